"""Import tables: which functions a binary may import from which DLL, and since when.

A table is a plain Python module (the driver's is driver/imports.py) holding
``IMPORTS: list[Import]``. From it the build generates one ``.def`` per DLL and arch (i386
names decorated as the kernel exports them resolve: stdcall ``Name@N``, fastcall ``@Name@N``),
turns each into an import library with ``zig dlltool -k``, and the PE gate checks a linked
image against it: only listed functions, none newer than the arch's oldest Windows.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tapbuild.arch import ARCHES, Arch
from tapbuild.errors import TapError

CONVENTIONS = ("stdcall", "fastcall", "cdecl")

# Windows versions by (major, minor); names used in messages.
WINDOWS_NAMES = {
    (6, 1): "Windows 7",
    (6, 2): "Windows 8",
    (6, 3): "Windows 8.1",
    (10, 0): "Windows 10",
}


@dataclass(frozen=True)
class Import:
    """One imported function.

    ``args`` is the byte count of the arguments on i386 (the ``@N`` decoration); ``since``
    is the oldest Windows (major, minor) that exports it; ``arches`` restricts it to some
    architectures (empty: all); ``toolchains`` to some toolchains (empty: all), for what
    a toolchain's own runtime imports (zig's GsDriverEntry; the WDK has its own).
    ``implicit`` marks what the compiler may call on its own (memcpy, i386 64-bit division):
    always in the import library, in the image only when the code generator used it.
    ``differs`` says why an entry names another DLL on this arch than on the others (the PE
    gate holds arm64, for which mingw-w64 ships no kernel .def, to the other arches' DLLs).
    ``evidence`` says where the export is documented when mingw-w64's .def of the DLL for the
    arch lacks it (a file generated from an older Windows); the PE gate then still wants
    another mingw-w64 .def of the same DLL to list it (tapbuild.build.mingwdefs.listed_elsewhere).
    """

    dll: str
    name: str
    conv: str = "stdcall"
    args: int = 0
    since: tuple[int, int] = (6, 1)
    arches: tuple[str, ...] = ()
    toolchains: tuple[str, ...] = ()
    implicit: bool = False
    differs: str = ""
    evidence: str = ""

    def __post_init__(self) -> None:
        if self.conv not in CONVENTIONS:
            raise TapError(
                f"import {self.name}: calling convention {self.conv!r}; accepted: {CONVENTIONS}"
            )
        for a in self.arches:
            if a not in ARCHES:
                raise TapError(
                    f"import {self.name}: unknown arch {a!r}; accepted: {', '.join(ARCHES)}"
                )

    def applies(self, arch: Arch) -> bool:
        return not self.arches or arch.name in self.arches

    def def_name(self, arch: Arch) -> str:
        """The name as written in a .def for ``zig dlltool -k``."""
        if arch.name != "i386" or self.conv == "cdecl":
            return self.name
        if self.conv == "fastcall":
            return f"@{self.name}@{self.args}"
        return f"{self.name}@{self.args}"


def load_table(path: Path) -> list[Import]:
    """Load ``IMPORTS`` from a table module, checking it for duplicates."""
    spec = importlib.util.spec_from_file_location(f"_imports_{path.parent.name}", path)
    if spec is None or spec.loader is None:
        raise TapError(f"{path}: cannot load import table; expected a Python module with IMPORTS")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = getattr(module, "IMPORTS", None)
    if not isinstance(table, list) or not all(isinstance(i, Import) for i in table):
        raise TapError(f"{path}: IMPORTS must be a list of tapbuild.build.imports.Import")
    seen: set[tuple[str, str, str]] = set()
    for imp in table:
        for a in ARCHES.values():
            if not imp.applies(a):
                continue
            key = (imp.dll.lower(), imp.name, a.name)
            if key in seen:
                raise TapError(f"{path}: {imp.name} from {imp.dll} listed twice for {a.name}")
            seen.add(key)
    return table


def for_arch(table: Iterable[Import], arch: Arch) -> list[Import]:
    return [i for i in table if i.applies(arch)]


def for_toolchain(table: Iterable[Import], toolchain: str) -> list[Import]:
    return [i for i in table if not i.toolchains or toolchain in i.toolchains]


def dlls(table: Iterable[Import], arch: Arch) -> list[str]:
    """The DLLs the table imports from on ``arch``, sorted."""
    return sorted({i.dll for i in for_arch(table, arch)}, key=str.lower)


def def_text(table: Iterable[Import], arch: Arch, dll: str) -> str:
    """The module-definition text of one DLL for one arch (sorted, so byte-stable)."""
    names = sorted(i.def_name(arch) for i in for_arch(table, arch) if i.dll.lower() == dll.lower())
    return "\n".join([f"LIBRARY {dll}", "EXPORTS", *names]) + "\n"


def expected_imports(
    table: Iterable[Import], arch: Arch, *, required_only: bool = False
) -> dict[str, set[str]]:
    """What a PE image linked against the table may (or, required_only: must) import.

    DLL (lower case) -> names.
    """
    out: dict[str, set[str]] = {}
    for i in for_arch(table, arch):
        if not (required_only and i.implicit):
            out.setdefault(i.dll.lower(), set()).add(i.name)
    return out


def too_new(table: Iterable[Import], arch: Arch) -> list[Import]:
    """Entries exported only by Windows newer than the arch's oldest supported one."""
    return [i for i in for_arch(table, arch) if i.since > arch.min_windows]


def windows_name(version: tuple[int, int]) -> str:
    return WINDOWS_NAMES.get(version, f"Windows {version[0]}.{version[1]}")
