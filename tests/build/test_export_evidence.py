"""Imports proven against evidence the project does not control: mingw-w64's .def files in the
installed ziglang (tapbuild.build.mingwdefs), read by the PE gate for every i386 and amd64 image.

The project's own import tables cannot prove themselves: a wrong table passes its own check.
These tests read the real files of the installed package, hold every built image and every
table entry to them, and show that the two defects the driver once shipped (memcmp from
ntoskrnl.exe on i386, KeQueryPerformanceCounter from ntoskrnl.exe) fail the check, inside a
real build too. arm64 has no kernel .def: there the kernel imports must name the DLL the
table gives on i386/amd64.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pefile
import pytest
from sconsrun import scons
from tapbuild.build import mingwdefs, pecheck, zig
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.build.imports import Import, expected_imports, for_arch, for_toolchain, load_table

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "driver": ROOT / "driver" / "imports.py",
    "tapinstall": ROOT / "tapinstall" / "imports.py",
    "msica": ROOT / "installer" / "msica" / "imports.py",
}
EVIDENCE_ARCHES = ["i386", "amd64"]
IMAGES = {
    "driver": ("driver", "tap0901.sys"),
    "tapinstall": ("tapinstall", "tapinstall.exe"),
    "msica": ("installer", "tapmsi.dll"),
}


def todays_defects(table: list[Import]) -> list[Import]:
    """The driver's table as it was: KeQueryPerformanceCounter from ntoskrnl.exe on amd64 and
    arm64 (hal.dll on i386), memcmp from ntoskrnl.exe on every arch."""
    out = []
    for imp in table:
        if imp.name == "KeQueryPerformanceCounter":
            out.append(dataclasses.replace(imp, dll="ntoskrnl.exe", arches=("amd64", "arm64")))
            out.append(dataclasses.replace(imp, arches=("i386",)))
        elif imp.name == "memcmp":
            out.append(dataclasses.replace(imp, arches=()))
        else:
            out.append(imp)
    return out


# ---- The files, found through the installed package -----------------------------------------


def test_files_come_from_the_installed_ziglang() -> None:
    mingw = zig.lib_dir() / "libc" / "mingw"
    assert mingwdefs.mingw_dir() == mingw
    i386, amd64 = ARCHES["i386"], ARCHES["amd64"]
    expected = {
        (i386, "ntoskrnl.exe"): "lib32/ntoskrnl.def",
        (i386, "hal.dll"): "lib32/hal.def",
        (i386, "kernel32.dll"): "lib32/kernel32.def",
        (amd64, "ntoskrnl.exe"): "lib64/ntoskrnl.def",
        (amd64, "hal.dll"): "lib64/hal.def",
        (amd64, "ndis.sys"): "lib-common/ndis.def",  # no lib64/ndis.def
        (amd64, "kernel32.dll"): "lib-common/kernel32.def.in",  # a template
        (amd64, "advapi32.dll"): "lib-common/advapi32.def.in",
    }
    for (arch, dll), rel in expected.items():
        assert mingwdefs.find_def(arch, dll) == mingw / rel, (arch.name, dll)
        found = mingwdefs.exports(arch, dll)
        assert found is not None and found.library.lower() == dll
    assert mingwdefs.find_def(amd64, "nosuch.dll") is None
    assert mingwdefs.has_evidence(i386) and mingwdefs.has_evidence(amd64)
    assert not mingwdefs.has_evidence(ARCHES["arm64"])


def test_what_the_files_say() -> None:
    """The facts behind the two defects, and the template machinery, read off the files."""
    i386, amd64 = ARCHES["i386"], ARCHES["amd64"]
    nt32 = mingwdefs.exports(i386, "ntoskrnl.exe")
    nt64 = mingwdefs.exports(amd64, "ntoskrnl.exe")
    hal32 = mingwdefs.exports(i386, "hal.dll")
    hal64 = mingwdefs.exports(amd64, "hal.dll")
    assert nt32 and nt64 and hal32 and hal64
    assert {"memcpy", "memmove", "memset"} <= set(nt32.names) and "memcmp" not in nt32.names
    assert "memcmp" in nt64.names
    assert "KeQueryPerformanceCounter" not in nt64.names
    assert "KeQueryPerformanceCounter" in hal64.names and "KeQueryPerformanceCounter" in hal32.names
    # i386 decorations resolved: the name an image imports -> the file's spelling.
    assert nt32.names["KeBugCheckEx"] == ("KeBugCheckEx@20",)
    assert nt32.names["IofCompleteRequest"] == ("@IofCompleteRequest@8",)
    assert hal32.names["KfAcquireSpinLock"] == ("@KfAcquireSpinLock@4",)
    # The kernel32 template for amd64: F_X64(...) kept, F_I386(...) dropped, and an export
    # spelled like a .def statement (HeapSize) still read as an export.
    k64 = mingwdefs.exports(amd64, "kernel32.dll")
    assert k64 is not None
    assert {"CreateUmsThreadContext", "HeapSize", "QueryPerformanceCounter"} <= set(k64.names)
    assert len(k64.names) > 1500


def test_kernel_files_predate_windows_8() -> None:
    """Why a kernel import in the i386/amd64 files is also Windows 7's: their ntoskrnl.def and
    hal.def list no export the DDI reference dates Windows 8 or later (so the table's
    ``since`` of Windows 7 agrees with them), while ndis.def does (NDIS 6.30's
    NdisMIdleNotificationComplete): for ndis.sys the ``since`` data rests on the reference."""
    newer = {"RtlQueryRegistryValuesEx", "ExAllocateTimer", "ExAllocatePool2"}
    for arch in (ARCHES["i386"], ARCHES["amd64"]):
        for dll in ("ntoskrnl.exe", "hal.dll"):
            listed = mingwdefs.exports(arch, dll)
            assert listed is not None and not newer & set(listed.names), (arch.name, dll)
        ndis = mingwdefs.exports(arch, "ndis.sys")
        assert ndis is not None and "NdisMIdleNotificationComplete" in ndis.names
    table = load_table(TABLES["driver"])
    assert all(i.since == (6, 1) for i in table if i.dll != "ndis.sys" and i.arches != ("arm64",))


# ---- Every built image and every table entry --------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("arch", EVIDENCE_ARCHES)
@pytest.mark.parametrize("what", sorted(IMAGES))
def test_every_import_of_every_image_is_an_export(built_tree: Path, arch: str, what: str) -> None:
    folder, name = IMAGES[what]
    image = built_tree / "build" / "release" / arch / folder / name
    pe = pefile.PE(str(image))
    got = pecheck.image_imports(pe)
    pe.close()
    table = for_toolchain(load_table(TABLES[what]), "zig")
    assert got and pecheck.export_problems(got, ARCHES[arch], table) == []
    print(f"{arch} {name}: {sum(map(len, got.values()))} imports from {', '.join(sorted(got))}")


@pytest.mark.slow
def test_arm64_kernel_imports_name_the_other_arches_dlls(built_tree: Path) -> None:
    image = built_tree / "build" / "release" / "arm64" / "driver" / "tap0901.sys"
    pe = pefile.PE(str(image))
    got = pecheck.image_imports(pe)
    pe.close()
    table = for_toolchain(load_table(TABLES["driver"]), "zig")
    assert got["hal.dll"] == {"KeQueryPerformanceCounter"}
    assert pecheck.dll_consistency_problems(got, ARCHES["arm64"], table) == []


@pytest.mark.parametrize("toolchain", ["zig", "ewdk"])
@pytest.mark.parametrize("what", sorted(TABLES))
def test_every_table_entry_is_an_export(what: str, toolchain: str) -> None:
    """All the tables may import, implicit entries too, for every toolchain: exported per
    mingw-w64 on i386/amd64 (with the i386 decoration the file spells), and on arm64 from the
    DLL the other arches name."""
    table = for_toolchain(load_table(TABLES[what]), toolchain)
    for name in EVIDENCE_ARCHES:
        arch = ARCHES[name]
        assert pecheck.export_problems(expected_imports(table, arch), arch, table) == []
    i386 = ARCHES["i386"]
    for imp in for_arch(table, i386):
        listed = mingwdefs.exports(i386, imp.dll)
        spellings = listed.names.get(imp.name, ()) if listed else ()
        if any("@" in s for s in spellings):  # the file states the decoration
            assert imp.def_name(i386) in spellings, (imp.name, spellings)
    arm64 = ARCHES["arm64"]
    assert pecheck.dll_consistency_problems(expected_imports(table, arm64), arm64, table) == []


def test_todays_defects_fail_the_check() -> None:
    table = todays_defects(load_table(TABLES["driver"]))
    i386, amd64, arm64 = ARCHES["i386"], ARCHES["amd64"], ARCHES["arm64"]
    assert pecheck.export_problems(expected_imports(table, i386), i386, table) == [
        "imports memcmp from ntoskrnl.exe, which does not export it on i386 "
        "(mingw-w64's lib32/ntoskrnl.def)"
    ]
    assert pecheck.export_problems(expected_imports(table, amd64), amd64, table) == [
        "imports KeQueryPerformanceCounter from ntoskrnl.exe, which does not export it on "
        "amd64 (mingw-w64's lib64/ntoskrnl.def)"
    ]
    # arm64 alone (the i386/amd64 entries right, arm64's wrong): its own rule notices.
    wrong = [
        dataclasses.replace(i, arches=("i386", "amd64"))
        if i.name == "KeQueryPerformanceCounter"
        else i
        for i in load_table(TABLES["driver"])
    ] + [Import("ntoskrnl.exe", "KeQueryPerformanceCounter", "stdcall", 4, arches=("arm64",))]
    assert pecheck.dll_consistency_problems(expected_imports(wrong, arm64), arm64, wrong) == [
        "imports KeQueryPerformanceCounter from ntoskrnl.exe; the table gives hal.dll on "
        "i386/amd64 and the entry does not say why it differs (differs=)"
    ]
    # ...unless the entry says why.
    why = [*wrong[:-1], dataclasses.replace(wrong[-1], differs="a reason")]
    assert pecheck.dll_consistency_problems(expected_imports(why, arm64), arm64, why) == []
    # An arm64-only kernel import has nothing to be compared with: it must say why.
    alone = [Import("ntoskrnl.exe", "ExAllocatePool2", "stdcall", 16, arches=("arm64",))]
    assert pecheck.dll_consistency_problems(expected_imports(alone, arm64), arm64, alone) == [
        "imports ExAllocatePool2 from ntoskrnl.exe; the table has it for no arch with export "
        "evidence (i386, amd64) and its entry does not say why (differs=)"
    ]


def test_a_dll_without_any_def_is_no_evidence() -> None:
    got = {"ntoskrnl.exe": {"memcpy"}, "tapfake.sys": {"Anything"}}
    assert pecheck.export_problems(got, ARCHES["amd64"]) == [
        "imports from tapfake.sys, for which mingw-w64 has no .def (lib64/ or lib-common/): "
        "no evidence of its exports"
    ]


def test_evidence_beyond_the_arch_file_needs_another_mingw_def() -> None:
    """DiUninstallDevice (Windows 7) is missing from mingw-w64's older lib32/lib64 newdev.def:
    the table's evidence note is accepted only because another of its newdev.def lists it.
    When mingw-w64 adds it, this gap (and the note) can go."""
    amd64 = ARCHES["amd64"]
    got = {"newdev.dll": {"DiUninstallDevice"}}
    table = load_table(TABLES["msica"])
    assert [i for i in table if i.evidence] == [i for i in table if i.name == "DiUninstallDevice"]
    listed = mingwdefs.exports(amd64, "newdev.dll")
    assert listed is not None and "DiUninstallDevice" not in listed.names
    assert [p.parent.name for p in mingwdefs.listed_elsewhere("newdev.dll", "DiUninstallDevice")]
    assert pecheck.export_problems(got, amd64, table) == []
    assert pecheck.export_problems(got, amd64) == [
        "imports DiUninstallDevice from newdev.dll, which does not export it on amd64 "
        "(mingw-w64's lib64/newdev.def)"
    ]
    # A note is not enough for a name no mingw-w64 file lists.
    fake = [Import("newdev.dll", "DiNoSuchFunction", "stdcall", 4, evidence="trust me")]
    assert pecheck.export_problems({"newdev.dll": {"DiNoSuchFunction"}}, amd64, fake) == [
        "imports DiNoSuchFunction from newdev.dll, which does not export it on amd64 "
        "(mingw-w64's lib64/newdev.def, nor any other mingw-w64 .def of it; the entry's "
        "evidence is not enough)"
    ]


# ---- Inside a real build: the gate stops the defects ------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


@pytest.mark.slow
def test_the_gate_stops_todays_defects_in_a_real_build(make_tree: Callable[[str], Path]) -> None:
    tree = make_tree("export-evidence")
    table = tree / "driver" / "imports.py"
    # KeQueryPerformanceCounter from ntoskrnl.exe on amd64 and arm64, as before.
    _edit(
        table,
        'Import("hal.dll", "KeQueryPerformanceCounter", "stdcall", 4, toolchains=ZIG),',
        'Import("hal.dll", "KeQueryPerformanceCounter", "stdcall", 4, arches=X86, toolchains=ZIG),'
        '\n    Import("ntoskrnl.exe", "KeQueryPerformanceCounter", "stdcall", 4, arches=WIN64, '
        "toolchains=ZIG),",
    )
    # memcmp from ntoskrnl.exe on i386, as before (krt.c's own memcmp removed).
    _edit(
        table, '"memcmp", "cdecl", arches=WIN64, implicit=True', '"memcmp", "cdecl", implicit=True'
    )
    krt = tree / "driver" / "krt.c"
    text = krt.read_text()
    start = text.index("/* -ffreestanding: the compiler never turns")
    krt.write_text(text[:start] + "#endif\n")
    expected = {
        "i386": "PE check 'exports' failed: imports memcmp from ntoskrnl.exe, which does not "
        "export it on i386 (mingw-w64's lib32/ntoskrnl.def)",
        "amd64": "PE check 'exports' failed: imports KeQueryPerformanceCounter from "
        "ntoskrnl.exe, which does not export it on amd64 (mingw-w64's lib64/ntoskrnl.def)",
    }
    for arch, message in expected.items():
        sys_file = f"build/release/{arch}/driver/tap0901.sys"
        result = scons(tree, f"arch={arch}", sys_file, check=False)
        assert result.returncode != 0
        assert result.stderr.splitlines() == [
            f"scons: *** [{sys_file}] {tree / sys_file}: {message}"
        ], result.stderr
        assert not (tree / sys_file).exists()
    # arm64: wrong only there (i386/amd64 right again): the DLL rule stops it.
    _edit(
        table,
        'arches=X86, toolchains=ZIG),\n    Import("ntoskrnl.exe", "KeQueryPerformanceCounter", '
        '"stdcall", 4, arches=WIN64,',
        'arches=("i386", "amd64"), toolchains=ZIG),\n    Import("ntoskrnl.exe", '
        '"KeQueryPerformanceCounter", "stdcall", 4, arches=WIN10,',
    )
    sys_file = "build/release/arm64/driver/tap0901.sys"
    result = scons(tree, "arch=arm64", sys_file, check=False)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"scons: *** [{sys_file}] {tree / sys_file}: PE check 'dll' failed: imports "
        "KeQueryPerformanceCounter from ntoskrnl.exe; the table gives hal.dll on i386/amd64 "
        "and the entry does not say why it differs (differs=)"
    ], result.stderr


# ---- The preprocessor and the parser -----------------------------------------------------------


def _pp(text: str, defines: dict[str, str] | None = None, **files: str) -> str:
    def include(name: str) -> str:
        key = name.replace(".", "_").replace("-", "_")
        if key not in files:
            raise TapError(f"no {name}")
        return files[key]

    return mingwdefs.preprocess(text, defines or {}, include)


def test_preprocessor_conditionals_and_macros() -> None:
    header = (
        "#ifndef H\n#define H\n// a comment line\n#if defined(__x86_64__)\n#define F64(x) x\n"
        "#define F_I386(x)\n#elif defined(__i386__)\n#define F64(x)\n#define F_I386(x) x\n"
        "#endif\n#define STDCALL(s) s == _ ## s\n#endif\n"
    )
    body = (
        '#include "h.in"\n#include "h.in"\nLIBRARY "X.dll"\nEXPORTS\nF64(OnlyX64)\n'
        "F_I386(OnlyI386@4)\nSTDCALL(Alias)\n#if __SIZEOF_LONG_DOUBLE__ == __SIZEOF_DOUBLE__\n"
        "LongDouble64\n#else\nLongDouble80\n#endif\n#if !defined(A) || !defined(B)\nNotBoth\n"
        "#endif\n#ifdef A\n#if 1\nNested\n#endif\n#else\nNoA\n#endif\n"
    )
    x64 = {"__x86_64__": "1", "__SIZEOF_LONG_DOUBLE__": "16", "__SIZEOF_DOUBLE__": "8"}
    assert _pp(body, x64, h_in=header).split() == [
        "LIBRARY", '"X.dll"', "EXPORTS", "OnlyX64", "Alias", "==", "_Alias", "LongDouble80",
        "NotBoth", "NoA",
    ]  # fmt: skip
    x86 = {"__i386__": "1", "A": "1", "B": "1"}
    assert _pp(body, x86, h_in=header).split() == [
        "LIBRARY", '"X.dll"', "EXPORTS", "OnlyI386@4", "Alias", "==", "_Alias", "LongDouble64",
        "Nested",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#pragma once\n", "#pragma: not understood"),
        ("#if 1\n", "#if without #endif"),
        ("#endif\n", "#endif without #if"),
        ("#error stop here\n", "#error stop here"),
        ("#include <x>\n", '#include <x>: accepted: #include "file"'),
        ("#if 1 +\n#endif\n", "expression ends early"),
    ],
)
def test_preprocessor_refuses_what_it_does_not_understand(text: str, message: str) -> None:
    with pytest.raises(TapError, match=message):
        _pp(text)


def test_def_parser() -> None:
    text = (
        '; comment\nLIBRARY "NTOSKRNL.exe"\nEXPORTS\nKeBugCheckEx@20\n@IofCompleteRequest@8\n'
        "memcpy\nstrlwr == _strlwr\nF\nF@8==F\nOrdinal @12 NONAME\nVariable DATA\nHeapSize\n"
        "HalRequestIpi@8\t\t; FIXME: a comment\n"
    )
    parsed = mingwdefs.parse_def(text, Path("x.def"))
    assert parsed.library == "NTOSKRNL.exe"
    assert dict(parsed.names) == {
        "KeBugCheckEx": ("KeBugCheckEx@20",),
        "IofCompleteRequest": ("@IofCompleteRequest@8",),
        "memcpy": ("memcpy",),
        "_strlwr": ("strlwr",),
        "F": ("F", "F@8"),
        "Ordinal": ("Ordinal",),
        "Variable": ("Variable",),
        "HeapSize": ("HeapSize",),
        "HalRequestIpi": ("HalRequestIpi@8",),
    }
    with pytest.raises(TapError, match="no LIBRARY line"):
        mingwdefs.parse_def("EXPORTS\nA\n", Path("y.def"))
