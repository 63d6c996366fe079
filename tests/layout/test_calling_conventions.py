"""Calling conventions on i386: what the declarations make the compiler import is what the
driver's import table (driver/imports.py) provides.

A probe takes the address of every function the table lists (and of every NDIS function the
project declares), compiled with zig for each arch against driver/decl/tapkernel.h. On i386 the
object's undefined symbols carry the decoration the compiler derived from the declaration:
``__imp__Name@N`` for stdcall, ``__imp_@Name@N`` for fastcall, ``__imp__Name`` for cdecl. They
must be exactly the names the import libraries built from the table export.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from layoutprobe import DECL_DIR, ROOT, windows_defines, zig_include_args
from tapbuild.arch import ARCHES
from tapbuild.build import zig
from tapbuild.build.imports import Import, load_table

TABLE = ROOT / "driver" / "imports.py"
DECLARED = re.compile(r"TAP_NDIS_IMPORT\s+[\w\s*]+?\bNTAPI\s+(\w+)\s*\(")


def project_ndis_functions() -> list[str]:
    names = set()
    for header in sorted((DECL_DIR / "mingw").glob("*.h")):
        names.update(DECLARED.findall(header.read_text()))
    return sorted(names)


def table_functions(arch: str) -> list[Import]:
    """Table entries the declarations provide: not the compiler's own helpers (memcpy, the
    i386 64-bit division), which driver/krt.c and the compiler declare themselves."""
    return [
        i
        for i in load_table(TABLE)
        if i.applies(ARCHES[arch])
        and not i.implicit
        and (not i.toolchains or "zig" in i.toolchains)
    ]


def undefined_symbols(obj: bytes) -> set[str]:
    _m, _n, _t, symtab, nsymbols, _o, _c = struct.unpack_from("<HHIIIHH", obj, 0)
    strings = symtab + nsymbols * 18
    names = set()
    i = 0
    while i < nsymbols:
        raw, _value, section, _type, _cls, naux = struct.unpack_from(
            "<8sIhHBB", obj, symtab + i * 18
        )
        if section == 0:
            if raw[:4] == b"\0\0\0\0":
                off = strings + struct.unpack_from("<I", raw, 4)[0]
                names.add(obj[off : obj.index(b"\0", off)].decode())
            else:
                names.add(raw.rstrip(b"\0").decode())
        i += 1 + naux
    return names


def imported_by_reference(arch: str, names: list[str], tmp_path: Path) -> set[str]:
    # Addresses taken at run time: a static initializer would name the import thunk instead.
    lines = ['#include "tapkernel.h"', "void tap_probe_refs(void **out);"]
    lines += ["void tap_probe_refs(void **out)", "{"]
    lines += [f"    out[{n}] = (void *)&{name};" for n, name in enumerate(names)]
    lines += ["}", ""]
    src = tmp_path / f"refs-{arch}.c"
    obj = tmp_path / f"refs-{arch}.obj"
    src.write_text("\n".join(lines))
    cmd = [*zig.command(), "cc", "-target", ARCHES[arch].zig_target, "-c", "-std=gnu11"]
    cmd += [*windows_defines(arch), *zig_include_args(tmp_path / "ov"), str(src), "-o", str(obj)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return {s for s in undefined_symbols(obj.read_bytes()) if s.startswith("__imp_")}


@pytest.mark.slow
@pytest.mark.parametrize("arch", list(ARCHES))
def test_declarations_import_what_the_table_exports(arch: str, tmp_path: Path) -> None:
    entries = table_functions(arch)
    assert entries
    got = imported_by_reference(arch, sorted({i.name for i in entries}), tmp_path)
    prefix = "__imp__" if arch == "i386" else "__imp_"
    expected = set()
    for imp in entries:
        name = imp.def_name(ARCHES[arch])
        expected.add("__imp_" + name if name.startswith("@") else prefix + name)
    assert got == expected


@pytest.mark.slow
def test_every_project_ndis_function_is_stdcall_on_i386(tmp_path: Path) -> None:
    names = project_ndis_functions()
    assert {"NdisMRegisterMiniportDriver", "NdisMIndicateReceiveNetBufferLists"} <= set(names)
    got = imported_by_reference("i386", names, tmp_path)
    decorated = {re.fullmatch(r"__imp__(\w+)@(\d+)", s) for s in got}
    assert None not in decorated, sorted(got)
    assert {m.group(1) for m in decorated if m} == set(names)
    # Spot checks against the documented parameter lists.
    sizes = {m.group(1): int(m.group(2)) for m in decorated if m}
    assert sizes["NdisMRegisterMiniportDriver"] == 20
    assert sizes["NdisMIndicateReceiveNetBufferLists"] == 20
    assert sizes["NdisAllocateNetBufferAndNetBufferList"] == 24
    assert sizes["NdisGetVersion"] == 0


def test_table_entries_match_the_documented_argument_bytes() -> None:
    """The NDIS entries of the table agree with the project's declarations (i386 bytes)."""
    ndis = {i.name: i for i in load_table(TABLE) if i.dll.lower() == "ndis.sys"}
    assert set(ndis) <= set(project_ndis_functions())
    for imp in ndis.values():
        assert imp.conv == "stdcall"
