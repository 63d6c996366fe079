"""The one table of target architectures and everything derived from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tapbuild.errors import TapError


@dataclass(frozen=True)
class Arch:
    """Every per-arch fact of the project; everything else derives from these fields."""

    name: str  # canonical: i386, amd64, arm64 (dist/ folder names)
    bits: int  # pointer width: 32 or 64
    zig_target: str  # zig cc -target
    kernel_cpu: str  # zig -mcpu= for kernel code: no floating-point or SIMD registers
    msvc: str  # MSVC/EWDK/WiX name (x86, x64, arm64): kit lib folders, wix -arch
    msvc_defines: tuple[str, ...]  # what cl /kernel gets beyond the common defines
    ewdk_setup: str  # SetupBuildEnv.cmd's argument (vcvarsall <host>_<target>, x64-hosted)
    lld_machine: str  # lld-link /machine: (link /MACHINE: upper-cased)
    dlltool_machine: str  # zig dlltool -m
    inf_decoration: str  # $ARCH$ in the INF: NTx86, NTamd64, NTarm64 -> x86/amd64/arm64
    pe_machine: int  # IMAGE_FILE_MACHINE_*
    image_base: int  # preferred base of kernel images
    min_windows: tuple[int, int]  # oldest supported Windows (major, minor)
    catalog_os: tuple[str, ...]  # the catalog's default OS targets (tapbuild.sign.catalog keys)
    msi_platform: str  # the MSI summary's Template platform
    msi_schema: int  # the MSI summary's page count (Windows Installer schema)
    processor_architecture: str  # PROCESSOR_ARCHITECTURE on such a machine (lower case)
    devcon_dir: str  # where the old prebuilt devcon layout keeps this arch ("" = top)
    # mingw-w64's .def folder for the arch inside ziglang (lib32, lib64; "" = none with kernel
    # exports, as for arm64), and the macros its compiler predefines when the .def.in
    # templates are preprocessed (tapbuild.build.mingwdefs).
    mingw_def_dir: str = ""
    mingw_predefined: tuple[tuple[str, str], ...] = ()

    @property
    def link_machine(self) -> str:
        """link /MACHINE: (X86, X64, ARM64)."""
        return self.lld_machine.upper()


_NO_FP = "baseline-mmx-sse-sse2-x87"
_WIN7_TO_10 = ("7", "8", "8.1", "10")

ARCHES: dict[str, Arch] = {
    "i386": Arch(
        name="i386",
        bits=32,
        zig_target="x86-windows-gnu",
        kernel_cpu=_NO_FP,
        msvc="x86",
        msvc_defines=("_X86_=1", "i386=1", "STD_CALL"),
        ewdk_setup="amd64_x86",  # the same 64-bit host tools as the other arches
        lld_machine="x86",
        dlltool_machine="i386",
        inf_decoration="x86",
        pe_machine=0x14C,
        image_base=0x10000,
        min_windows=(6, 1),
        catalog_os=_WIN7_TO_10,
        msi_platform="Intel",
        msi_schema=200,
        processor_architecture="x86",
        devcon_dir="",
        mingw_def_dir="lib32",
        mingw_predefined=(
            ("__i386__", "1"),
            ("__SIZEOF_DOUBLE__", "8"),
            ("__SIZEOF_LONG_DOUBLE__", "12"),
        ),
    ),
    "amd64": Arch(
        name="amd64",
        bits=64,
        zig_target="x86_64-windows-gnu",
        kernel_cpu=_NO_FP,
        msvc="x64",
        msvc_defines=("_WIN64", "_AMD64_", "AMD64"),
        ewdk_setup="amd64",
        lld_machine="x64",
        dlltool_machine="i386:x86-64",
        inf_decoration="amd64",
        pe_machine=0x8664,
        image_base=0x140000000,
        min_windows=(6, 1),
        catalog_os=(*_WIN7_TO_10, "server2008r2", "server2012", "server2012r2", "server2016"),
        msi_platform="x64",
        msi_schema=200,
        processor_architecture="amd64",
        devcon_dir="x64",
        mingw_def_dir="lib64",
        mingw_predefined=(
            ("__x86_64__", "1"),
            ("__SIZEOF_DOUBLE__", "8"),
            ("__SIZEOF_LONG_DOUBLE__", "16"),
        ),
    ),
    "arm64": Arch(
        name="arm64",
        bits=64,
        zig_target="aarch64-windows-gnu",
        kernel_cpu="baseline-neon-fp_armv8",
        msvc="arm64",
        msvc_defines=("_WIN64", "_ARM64_", "ARM64", "_USE_DECLSPECS_FOR_SAL=1", "STD_CALL"),
        ewdk_setup="amd64_arm64",  # x64-hosted: a lone arm64 means arm64-hosted tools
        lld_machine="arm64",
        dlltool_machine="arm64",
        inf_decoration="arm64",
        pe_machine=0xAA64,
        image_base=0x140000000,
        min_windows=(10, 0),
        catalog_os=("10",),
        msi_platform="Arm64",
        msi_schema=500,  # Arm64 needs the Windows Installer 5 schema
        processor_architecture="arm64",
        devcon_dir="ARM64",
    ),
}


def arch_names(where: Callable[[Arch], bool]) -> tuple[str, ...]:
    """The names of the arches ``where`` holds for, in table order (``bits == 32``, ...)."""
    return tuple(a.name for a in ARCHES.values() if where(a))


ALIASES = {"x86": "i386", "x64": "amd64", "x86_64": "amd64", "aarch64": "arm64"}

ACCEPTED = "i386, amd64, arm64 (aliases x86, x64, aarch64), all, or a comma list"


def parse_arches(value: str, given_as: str = "arch=") -> list[Arch]:
    """Turn ``arch=`` (or ``--arch``: ``given_as="--arch "``) into canonical Arch records, in
    table order, without duplicates."""
    wanted: set[str] = set()
    for raw in value.split(","):
        item = raw.strip().lower()
        if item == "all":
            wanted.update(ARCHES)
            continue
        name = ALIASES.get(item, item)
        if name not in ARCHES:
            raise TapError(
                f"{given_as}{value}: unknown architecture {raw.strip()!r}; accepted: {ACCEPTED}"
            )
        wanted.add(name)
    if not wanted:
        raise TapError(f"{given_as}{value}: no architecture given; accepted: {ACCEPTED}")
    return [a for n, a in ARCHES.items() if n in wanted]
