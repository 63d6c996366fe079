"""The built tapinstall.exe for each arch: no C runtime, only Windows 7 DLLs, the PE gate, the
version resource; and the import table itself against zig's own i386 decorations."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pefile
import pytest
import tihost
from tapbuild.arch import ARCHES
from tapbuild.build import mingwdefs, pecheck
from tapbuild.build.imports import for_toolchain, load_table
from tapbuild.product import resource

TABLE = tihost.ROOT / "tapinstall" / "imports.py"
ALLOWED = {"kernel32.dll", "setupapi.dll", "newdev.dll", "cfgmgr32.dll"}
CRT = re.compile(r"^(msvcr|msvcp|vcruntime|ucrtbase|api-ms-win-crt-|libgcc|libwinpthread)")


def test_table_uses_only_windows7_system_dlls() -> None:
    table = load_table(TABLE)
    assert {i.dll.lower() for i in table} == ALLOWED
    assert ALLOWED <= pecheck.SYSTEM_DLLS
    assert all(i.since <= (6, 1) for i in table)


def test_i386_decorations_agree_with_zig() -> None:
    """Our stdcall argument sizes equal those of zig's mingw-w64 i386 .def files where they
    state one (tapbuild.build.mingwdefs reads them; tests/build/test_export_evidence.py checks every
    table entry and image against them)."""
    i386 = ARCHES["i386"]
    table = load_table(TABLE)
    compared = 0
    for imp in table:
        listed = mingwdefs.exports(i386, imp.dll)
        spellings = listed.names.get(imp.name, ()) if listed else ()
        if any("@" in s for s in spellings):
            assert imp.def_name(i386) in spellings, imp.name
            compared += 1
    assert compared >= len(table) - 2, "zig's .def files should know almost every function"


@pytest.mark.slow
@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_built_image(ti_tree: Path, arch: str) -> None:
    a = ARCHES[arch]
    image = ti_tree / "dist" / arch / "tapinstall.exe"
    table = for_toolchain(load_table(ti_tree / "tapinstall" / "imports.py"), "zig")
    pecheck.check(image, a, "program", table)

    pe = pefile.PE(str(image))
    assert pe.FILE_HEADER.Machine == a.pe_machine
    oh = pe.OPTIONAL_HEADER
    assert oh.Subsystem == pecheck.SUBSYSTEM_WINDOWS_CUI
    assert (oh.MajorSubsystemVersion, oh.MinorSubsystemVersion) == a.min_windows
    imported = pecheck.image_imports(pe)
    assert set(imported) <= ALLOWED
    assert not [d for d in imported if CRT.match(d)]
    assert "UpdateDriverForPlugAndPlayDevicesW" in imported["newdev.dll"]
    # No TLS callbacks or C runtime start-up: the entry point is ours.
    assert not hasattr(pe, "DIRECTORY_ENTRY_TLS")
    fixed = pe.VS_FIXEDFILEINFO[0]
    assert (fixed.FileVersionMS, fixed.FileVersionLS) == ((9 << 16) | 27, 0)
    assert fixed.FileType == 1  # VFT_APP
    strings = resource.read_strings(pe)
    assert strings["OriginalFilename"] == "tapinstall.exe"
    assert strings["FileVersion"] == "9.27.0.0"
    data = image.read_bytes()
    assert str(ti_tree).encode() not in data
    assert b"site-packages" not in data
    # The component id the help text names comes from version.py.
    assert "tapinstall hwids tap0901".encode("ascii") in data


@pytest.mark.slow
def test_component_id_override_reaches_the_help(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The id `tapinstall help` names follows override=, also in an incremental rebuild."""
    tree = tihost.copy_tree(tmp_path_factory.mktemp("ti-override"))
    target = "dist/amd64/tapinstall.exe"
    tihost.scons(tree, "arch=amd64", target)
    assert b"tapinstall hwids tap0901" in (tree / target).read_bytes()
    override = tmp_path / "vendor.py"
    override.write_text('PRODUCT_TAP_WIN_COMPONENT_ID = "tapoas6"\n')
    # SConstruct's Decider("content-timestamp") trusts a timestamp within the same second:
    # a rebuild less than a second after the first can leave dist/ stale (SCons's caveat).
    time.sleep(1.1)
    tihost.scons(tree, "arch=amd64", f"override={override}", target)
    data = (tree / target).read_bytes()
    assert b"tapinstall hwids tapoas6" in data
    assert b"tap0901" not in data
