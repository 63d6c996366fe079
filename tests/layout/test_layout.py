"""The driver's declarations have the real WDK's layouts on i386, amd64 and arm64.

The probe (layoutprobe.py) is built with zig against driver/decl/tapkernel.h, i.e. the
project's NDIS declarations and mingw-w64's kernel types (with the ARM64 patch), and asserts
every size, alignment and field offset of the WDK tables in wdk/. The tests below also make
sure the check bites: a single wrong expectation fails with the field's name, and the only
differences between mingw-w64 and the WDK are the documented ones.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from layoutprobe import (
    BITFIELDS,
    DISPATCHER_INTERNALS,
    KNOWN_MINGW_DIFFERENCES,
    KNOWN_MINGW_GAPS,
    Bitfield,
    bitfield_mismatches,
    build_with_zig,
    load_expected,
    probe_source,
)
from tapbuild.arch import ARCHES

ARCH_NAMES = list(ARCHES)

# What the driver touches through the project's declarations and mingw-w64's kernel types;
# all must be in the tables (a table without them would make the check vacuous).
REQUIRED_TYPES = {
    "IRP",
    "IO_STACK_LOCATION",
    "MDL",
    "DRIVER_OBJECT",
    "FILE_OBJECT",
    "IO_CSQ",
    "UNICODE_STRING",
    "NET_BUFFER_LIST",
    "NET_BUFFER",
    "NDIS_MINIPORT_DRIVER_CHARACTERISTICS",
    "NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES",
    "NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES",
    "NDIS_OID_REQUEST",
    "NDIS_STATUS_INDICATION",
    "NDIS_NET_BUFFER_LIST_8021Q_INFO",
}


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCH_NAMES)
def test_declarations_have_the_wdk_layouts(arch: str, tmp_path: Path) -> None:
    expected = load_expected(arch)
    assert set(expected) >= REQUIRED_TYPES
    source, bitfields = probe_source(expected, "mingw", arch)
    build = build_with_zig(arch, source, tmp_path)
    assert build.returncode == 0, build.stderr
    assert bitfield_mismatches(build.obj, bitfields) == []

    # Every type is checked, and every field except dispatcher internals, anonymous-member
    # paths and the documented mingw-w64 gaps.
    asserts = source.count("_Static_assert(offsetof(")
    fields = sum(len(t["fields"]) for t in expected.values())
    skipped = fields - asserts - len(bitfields)
    print(
        f"{arch}: {len(expected)} types, {asserts} offsets, {len(bitfields)} bit-fields, "
        f"{skipped} fields not checked of {fields}"
    )
    for type_name in expected:
        assert f"sizeof({type_name})" in source
    # The fields left out are exactly the dispatcher internals, the anonymous-member paths and
    # the documented gaps.
    left_out = [
        (t, p)
        for t, info in expected.items()
        for p in info["fields"]
        if DISPATCHER_INTERNALS.search(p)
        or p.split(".")[-1].startswith("_")
        or any(t == gt and (p == gp or p.startswith(gp + ".")) for gt, gp in KNOWN_MINGW_GAPS)
    ]
    assert skipped == len(left_out)
    assert not [p for t, p in left_out if t.startswith("NDIS") and "Event.Header." not in p]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arch", "type_name", "path"),
    [
        ("arm64", "IO_STACK_LOCATION", "Parameters.DeviceIoControl.IoControlCode"),
        ("arm64", "IRP", "Tail.Overlay.CurrentStackLocation"),
        ("i386", "NET_BUFFER_LIST", "NetBufferListInfo"),
        ("amd64", "NDIS_MINIPORT_DRIVER_CHARACTERISTICS", "CancelDirectOidRequestHandler"),
    ],
)
def test_a_wrong_offset_fails_naming_the_field(
    arch: str, type_name: str, path: str, tmp_path: Path
) -> None:
    expected = copy.deepcopy(load_expected(arch))
    expected[type_name]["fields"][path] += 4
    source, _ = probe_source(expected, "mingw", arch, types=[type_name])
    build = build_with_zig(arch, source, tmp_path)
    assert build.returncode != 0
    assert f"{type_name}.{path}: expected offset" in build.stderr
    assert build.stderr.count("static assertion failed") == 1


@pytest.mark.slow
def test_a_wrong_size_fails(tmp_path: Path) -> None:
    # amd64 has two more NBL information slots than arm64: the arm64 probe must notice.
    expected = copy.deepcopy(load_expected("arm64"))
    expected["NET_BUFFER_LIST"]["size"] = load_expected("amd64")["NET_BUFFER_LIST"]["size"]
    source, _ = probe_source(expected, "mingw", "arm64", types=["NET_BUFFER_LIST"])
    build = build_with_zig("arm64", source, tmp_path)
    assert build.returncode != 0
    assert "sizeof(NET_BUFFER_LIST) == 336" in build.stderr


@pytest.mark.slow
def test_a_wrong_bitfield_position_is_reported(tmp_path: Path) -> None:
    arch = "amd64"
    expected = load_expected(arch)
    source, bitfields = probe_source(
        expected, "mingw", arch, types=["NDIS_NET_BUFFER_LIST_8021Q_INFO"]
    )
    build = build_with_zig(arch, source, tmp_path)
    assert build.returncode == 0, build.stderr
    assert bitfield_mismatches(build.obj, bitfields) == []

    def altered(bf: Bitfield) -> Bitfield:
        if bf.path == "TagHeader.Reserved":  # starts in byte 2: claim byte 3
            return Bitfield(bf.symbol, bf.type_name, bf.path, bf.size, 3, None)
        if bf.path == "TagHeader.VlanId":  # bits 4..15: claim 12 bits from bit 3
            return Bitfield(bf.symbol, bf.type_name, bf.path, bf.size, bf.expected, (3, 12))
        return bf

    problems = bitfield_mismatches(build.obj, [altered(bf) for bf in bitfields])
    assert problems == [
        "NDIS_NET_BUFFER_LIST_8021Q_INFO.TagHeader.Reserved: bit-field starts in byte 2, WDK 3",
        "NDIS_NET_BUFFER_LIST_8021Q_INFO.TagHeader.VlanId: bits 4+12, documented 3+12",
    ]


def _failing_items(source: str, stderr: str) -> set[tuple[str, str]]:
    """(type, field path or sizeof/alignof) of every probe line the compiler rejected."""
    lines = source.splitlines()
    items = set()
    for number in {int(n) for n in re.findall(r"probe-\w+\.c:(\d+):\d+: error", stderr)}:
        line = lines[number - 1]
        if m := re.search(r'"(sizeof|alignof)\((\w+)\)', line):
            items.add((m.group(2), m.group(1)))
        elif (m := re.search(r'"(\w+)\.([\w.]+): expected offset', line)) or (
            m := re.search(r"union \{ (\w+) v;.*= \{ \.v\.([\w.]+) =", line)
        ):
            items.add((m.group(1), m.group(2)))
        else:
            items.add(("?", line))
    return items


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCH_NAMES)
def test_mingw_differs_from_the_wdk_only_where_documented(arch: str, tmp_path: Path) -> None:
    """Built as if zig's headers were the WDK, the probe fails exactly on the documented
    differences and gaps of mingw-w64: they are real, and there are no others."""
    expected = load_expected(arch)
    source, _ = probe_source(expected, "wdk", arch)
    build = build_with_zig(arch, source, tmp_path)
    assert build.returncode != 0
    failing = _failing_items(source, build.stderr)
    known = {k for k, (arches, _) in KNOWN_MINGW_DIFFERENCES.items() if arch in arches}
    gaps = {(t, p) for (t, p) in KNOWN_MINGW_GAPS}
    for type_name, item in failing:
        assert (type_name, item) in known or any(
            t == type_name and (item == p or item.startswith(p + ".")) for t, p in gaps
        ), f"undocumented difference from the WDK: {type_name} {item}"
    assert known <= failing


def test_bitfield_table_names_fields_of_the_tables() -> None:
    """Every bit-field listed exists in some table (no stale entries)."""
    tables = [load_expected(a) for a in ARCH_NAMES]
    for type_name, paths in BITFIELDS.items():
        for path in paths:
            assert any(path in t[type_name]["fields"] for t in tables), (type_name, path)
