"""The one table of target architectures and everything derived from them."""

from __future__ import annotations

from dataclasses import dataclass

from tapbuild.errors import TapError


@dataclass(frozen=True)
class Arch:
    name: str  # canonical: i386, amd64, arm64 (dist/ folder names)
    zig_target: str  # zig cc -target
    msvc: str  # MSVC/EWDK name (x86, x64, arm64)
    lld_machine: str  # lld-link /machine:
    dlltool_machine: str  # zig dlltool -m
    inf_decoration: str  # $ARCH$ in the INF: NTx86, NTamd64, NTarm64 -> x86/amd64/arm64
    pe_machine: int  # IMAGE_FILE_MACHINE_*
    image_base: int  # preferred base of kernel images
    min_windows: tuple[int, int]  # oldest supported Windows (major, minor)
    devcon_dir: str  # where the old prebuilt devcon layout keeps this arch ("" = top)


ARCHES: dict[str, Arch] = {
    "i386": Arch(
        "i386", "x86-windows-gnu", "x86", "x86", "i386", "x86", 0x14C, 0x10000, (6, 1), ""
    ),
    "amd64": Arch(
        "amd64",
        "x86_64-windows-gnu",
        "x64",
        "x64",
        "i386:x86-64",
        "amd64",
        0x8664,
        0x140000000,
        (6, 1),
        "x64",
    ),
    "arm64": Arch(
        "arm64",
        "aarch64-windows-gnu",
        "arm64",
        "arm64",
        "arm64",
        "arm64",
        0xAA64,
        0x140000000,
        (10, 0),
        "ARM64",
    ),
}

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
