"""The PE gate: checks every linked image before it can reach dist/.

A failed check raises TapError naming the file and the check.
"""

from __future__ import annotations

import array
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tapbuild.build import mingwdefs
from tapbuild.arch import ARCHES, Arch
from tapbuild.errors import TapError
from tapbuild.build.imports import Import, expected_imports, for_arch, windows_name

if TYPE_CHECKING:
    import pefile  # imported where an image is opened: a no-op build never loads it

SUBSYSTEM_NATIVE = 1
SUBSYSTEM_WINDOWS_GUI = 2
SUBSYSTEM_WINDOWS_CUI = 3
DLLCHAR_DYNAMIC_BASE = 0x0040
DLLCHAR_NX_COMPAT = 0x0100
SCN_MEM_EXECUTE = 0x20000000
SCN_MEM_WRITE = 0x80000000

KERNEL_DLLS = frozenset({"ntoskrnl.exe", "hal.dll", "ndis.sys"})

# DLLs that are part of Windows 7 SP1 (and of Windows 10 on arm64) that programs may import.
SYSTEM_DLLS = frozenset(
    {
        "kernel32.dll", "advapi32.dll", "user32.dll", "shell32.dll", "ole32.dll",
        "setupapi.dll", "newdev.dll", "cfgmgr32.dll", "ntdll.dll", "msi.dll",
        "version.dll", "shlwapi.dll", "iphlpapi.dll", "ws2_32.dll", "crypt32.dll",
        "wintrust.dll", "rpcrt4.dll", "oleaut32.dll",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Kind:
    name: str  # "driver", "program", "dll"
    subsystems: tuple[int, ...]
    allowed_dlls: frozenset[str]


DRIVER = Kind("driver", (SUBSYSTEM_NATIVE,), KERNEL_DLLS)
PROGRAM = Kind("program", (SUBSYSTEM_WINDOWS_CUI, SUBSYSTEM_WINDOWS_GUI), SYSTEM_DLLS)
DLL = Kind("dll", (SUBSYSTEM_WINDOWS_CUI, SUBSYSTEM_WINDOWS_GUI), SYSTEM_DLLS)
KINDS = {k.name: k for k in (DRIVER, PROGRAM, DLL)}


def _fail(path: Path, check: str, detail: str) -> TapError:
    return TapError(f"{path}: PE check '{check}' failed: {detail}")


def image_imports(pe: pefile.PE) -> dict[str, set[str]]:
    """DLL (lower case) -> imported names (ordinals as '#N')."""
    out: dict[str, set[str]] = {}
    for entry in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []):
        names = out.setdefault(entry.dll.decode("ascii").lower(), set())
        for imp in entry.imports:
            names.add(imp.name.decode("ascii") if imp.name else f"#{imp.ordinal}")
    return out


def check_machine(path: Path, arch: Arch, pe: pefile.PE | None = None) -> None:
    """Only the machine type (what a copied prebuilt binary gets)."""
    pe = pe or _open(path)
    machine = pe.FILE_HEADER.Machine
    if machine != arch.pe_machine:
        raise _fail(
            path, "machine", f"0x{machine:04X}, expected 0x{arch.pe_machine:04X} for {arch.name}"
        )


def _open(path: Path) -> pefile.PE:
    """The parsed headers and imports, the image read into memory: nothing to close
    (pefile's close() and checksum run a full garbage collection each, a tenth of a second in
    a build)."""
    import pefile

    try:
        pe = pefile.PE(data=path.read_bytes(), fast_load=True)
        # The one data directory the gate reads (a full load parses every one: 3x slower).
        pe.parse_data_directories(
            directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]]
        )
    except (OSError, pefile.PEFormatError) as exc:
        raise _fail(path, "format", f"not a PE image ({exc})") from None
    return pe


# The CheckSum field's offset in the optional header (PE32 and PE32+ alike).
_CHECKSUM_OFFSET = 64


def checksum(image: bytes, optional_header: int) -> int:
    """The image checksum as Windows computes it (ImageHlp's CheckSumMappedFile): the
    one's-complement sum of the file's 16-bit little-endian words, the CheckSum field (at
    ``optional_header`` + 64) counted as zero, folded to 16 bits, plus the file's length."""
    data = bytearray(image)
    field = optional_header + _CHECKSUM_OFFSET
    data[field : field + 4] = bytes(4)
    if len(data) % 2:
        data.append(0)
    words = array.array("H", bytes(data))
    if sys.byteorder == "big":
        words.byteswap()
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total + len(image)


def check(
    path: Path,
    arch: Arch,
    kind: str,
    table: Iterable[Import] | None = None,
) -> None:
    """Run every check of the gate on one image."""
    k = KINDS[kind]
    pe = _open(path)
    check_machine(path, arch, pe)
    oh = pe.OPTIONAL_HEADER
    if oh.Subsystem not in k.subsystems:
        raise _fail(
            path, "subsystem", f"{oh.Subsystem}, expected one of {k.subsystems} for a {kind}"
        )
    if not oh.DllCharacteristics & DLLCHAR_NX_COMPAT:
        raise _fail(path, "nx", "NX_COMPAT is not set")
    if not oh.DllCharacteristics & DLLCHAR_DYNAMIC_BASE:
        raise _fail(path, "dynamic base", "DYNAMIC_BASE is not set")
    for s in pe.sections:
        if s.Characteristics & SCN_MEM_EXECUTE and s.Characteristics & SCN_MEM_WRITE:
            name = s.Name.rstrip(b"\0").decode("ascii", "replace")
            raise _fail(path, "w^x", f"section {name} is both writable and executable")
    computed = checksum(pe.__data__, oh.get_file_offset())
    if oh.CheckSum == 0 or oh.CheckSum != computed:
        raise _fail(path, "checksum", f"header 0x{oh.CheckSum:08X}, computed 0x{computed:08X}")
    _check_imports(path, arch, k, pe, table)


def _check_imports(
    path: Path, arch: Arch, kind: Kind, pe: pefile.PE, table: Iterable[Import] | None
) -> None:
    got = image_imports(pe)
    for dll in sorted(got):
        if dll not in kind.allowed_dlls:
            raise _fail(
                path,
                "imports",
                f"imports {dll}; a {kind.name} may import only {', '.join(sorted(kind.allowed_dlls))}",
            )
    if table is None:
        return
    entries = for_arch(table, arch)
    allowed = expected_imports(entries, arch)
    required = expected_imports(entries, arch, required_only=True)
    for dll in sorted(set(got) | set(allowed)):
        extra = got.get(dll, set()) - allowed.get(dll, set())
        missing = required.get(dll, set()) - got.get(dll, set())
        if extra:
            raise _fail(
                path,
                "import table",
                f"imports {', '.join(sorted(extra))} from {dll}, not in the table",
            )
        if missing:
            raise _fail(
                path, "import table",
                f"table lists {', '.join(sorted(missing))} from {dll} for {arch.name}, the image does not import it",
            )  # fmt: skip
    _check_evidence(path, arch, got, table)
    imported = {(dll, name) for dll, names in got.items() for name in names}
    for imp in entries:
        if imp.since > arch.min_windows and (imp.dll.lower(), imp.name) in imported:
            raise _fail(
                path, "windows version",
                f"{imp.name} needs {windows_name(imp.since)}; {arch.name} supports {windows_name(arch.min_windows)}",
            )  # fmt: skip


def export_problems(
    got: dict[str, set[str]], arch: Arch, table: Iterable[Import] = ()
) -> list[str]:
    """Imports that the named DLL does not export according to mingw-w64's .def files in the
    installed ziglang (i386 and amd64; empty where that evidence is missing). An import the
    arch's file lacks passes only when its table entry names its ``evidence`` and another
    mingw-w64 .def of the same DLL lists it."""
    if not mingwdefs.has_evidence(arch):
        return []
    documented = {(i.dll.lower(), i.name) for i in for_arch(table, arch) if i.evidence}
    problems = []
    for dll in sorted(got):
        exports = mingwdefs.exports(arch, dll)
        if exports is None:
            problems.append(
                f"imports from {dll}, for which mingw-w64 has no .def "
                f"({mingwdefs.ARCH_DIRS[arch.name]}/ or lib-common/): no evidence of its exports"
            )
            continue
        for name in sorted(got[dll] - set(exports.names)):
            where = f"mingw-w64's {exports.path.parent.name}/{exports.path.name}"
            if (dll, name) in documented and mingwdefs.listed_elsewhere(dll, name):
                continue
            if (dll, name) in documented:
                where += ", nor any other mingw-w64 .def of it; the entry's evidence is not enough"
            problems.append(
                f"imports {name} from {dll}, which does not export it on {arch.name} ({where})"
            )
    return problems


def dll_consistency_problems(
    got: dict[str, set[str]], arch: Arch, table: Iterable[Import]
) -> list[str]:
    """Kernel imports of an arch without kernel .def files (arm64) that name another DLL than
    the table gives the same function on the arches that have them, or that have no such entry
    to compare with, unless the arch's entry says why (``Import.differs``)."""
    if arch.name in mingwdefs.ARCH_DIRS:
        return []
    entries = list(table)
    problems = []
    for dll in sorted(got.keys() & KERNEL_DLLS):
        for name in sorted(got[dll]):
            own = [i for i in for_arch(entries, arch) if i.name == name and i.dll.lower() == dll]
            if any(i.differs for i in own):
                continue
            elsewhere = {
                i.dll.lower()
                for a in mingwdefs.ARCH_DIRS
                for i in for_arch(entries, ARCHES[a])
                if i.name == name
            }
            if not elsewhere:
                problems.append(
                    f"imports {name} from {dll}; the table has it for no arch with export "
                    "evidence (i386, amd64) and its entry does not say why (differs=)"
                )
            elif dll not in elsewhere:
                problems.append(
                    f"imports {name} from {dll}; the table gives {', '.join(sorted(elsewhere))} "
                    "on i386/amd64 and the entry does not say why it differs (differs=)"
                )
    return problems


def _check_evidence(
    path: Path, arch: Arch, got: dict[str, set[str]], table: Iterable[Import]
) -> None:
    for problem in export_problems(got, arch, table):
        raise _fail(path, "exports", problem)
    for problem in dll_consistency_problems(got, arch, table):
        raise _fail(path, "dll", problem)
