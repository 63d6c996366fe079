"""driver/decl's constants and array lengths are the WDK's, on i386, amd64 and arm64.

Every object-like integer #define and every enumerator that driver/decl declares, used by the
driver or not, has its WDK 10.0.10240 value per arch in wdk/constants.json, and every array
member its length in wdk/arrays.json; a probe built with zig through tapkernel.h asserts them
all (tests/layout/check_wdk.py builds the same probe against the installed WDK on Windows). A
wrong value fails the compile naming the constant.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from layoutprobe import (
    NOT_INTEGER_CONSTANTS,
    NOT_PROBED,
    NOT_WDK_ARRAYS,
    build_with_zig,
    constants_source,
    decl_arrays,
    decl_constants,
    load_arrays,
    load_constants,
)
from tapbuild.arch import ARCHES

ARCH_NAMES = list(ARCHES)


def test_every_declared_constant_has_wdk_values() -> None:
    constants = load_constants()
    declared = decl_constants()
    assert len(declared) > 200
    missing = sorted(set(declared) - set(constants) - set(NOT_INTEGER_CONSTANTS))
    assert missing == [], f"declared in driver/decl without a WDK value: {missing}"
    assert set(NOT_INTEGER_CONSTANTS) <= set(declared)  # no stale exception
    # Each is asserted on some arch (null: that arch's WDK has no integer constant of the name).
    for name in declared.keys() - NOT_INTEGER_CONSTANTS.keys():
        assert any(v is not None for v in constants[name].values()), name
        assert not NOT_PROBED.match(name), name


def test_every_declared_array_has_a_wdk_length() -> None:
    arrays = load_arrays()
    listed = {(t, m) for t, members in arrays.items() for m in members}
    declared = set(decl_arrays())
    assert declared - set(NOT_WDK_ARRAYS) == listed
    assert set(NOT_WDK_ARRAYS) <= declared
    # Lengths named by a constant take the WDK's constant.
    constants = load_constants()
    for arch in ARCH_NAMES:
        pointer = 4 if arch == "i386" else 8

        def wdk(name: str, arch: str = arch) -> int:
            value = constants[name][arch]
            assert value is not None
            return value

        nbl = arrays["NET_BUFFER_LIST"]["NetBufferListInfo"][arch]
        assert nbl == wdk("MaxNetBufferListInfo")
        general = arrays["NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES"]
        assert general["CurrentMacAddress"][arch] == wdk("NDIS_MAX_PHYS_ADDRESS_LENGTH")
        oid = arrays["NDIS_OID_REQUEST"]
        assert oid["NdisReserved"][arch] == wdk("NDIS_OID_REQUEST_NDIS_RESERVED_SIZE") * pointer
        assert oid["MiniportReserved"][arch] == 2 * pointer


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCH_NAMES)
def test_declarations_have_the_wdk_constants(arch: str, tmp_path: Path) -> None:
    source = constants_source(load_constants(), load_arrays(), arch)
    build = build_with_zig(arch, source, tmp_path)
    assert build.returncode == 0, build.stderr
    # Every declared constant and array is in the probe (where the WDK has a value).
    constants = load_constants()
    for name in decl_constants().keys() - NOT_INTEGER_CONSTANTS.keys():
        if constants[name][arch] is not None:
            assert f'"{name}: expected ' in source, name
    print(f"{arch}: {source.count('_Static_assert(')} constants and array lengths asserted")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arch", "name", "value"),
    [
        # The three values driver/decl once had wrong.
        ("i386", "MaxNetBufferListInfo", 22),
        ("arm64", "MaxNetBufferListInfo", 22),
        ("amd64", "NDIS_STATUS_INDICATION_FLAGS_MEDIA_CONNECT_TO_CONNECT", 1),
        ("amd64", "NdisHaltDevicePoweredDown", 3),
    ],
)
def test_a_wrong_constant_fails_naming_it(arch: str, name: str, value: int, tmp_path: Path) -> None:
    constants = copy.deepcopy(load_constants())
    constants[name][arch] = value
    build = build_with_zig(arch, constants_source(constants, {}, arch), tmp_path)
    assert build.returncode != 0
    assert f"{name}: expected {value}" in build.stderr
    assert build.stderr.count("static assertion failed") == 1


@pytest.mark.slow
def test_a_wrong_array_length_and_a_wrong_name_fail(tmp_path: Path) -> None:
    arrays = copy.deepcopy(load_arrays())
    arrays["NET_BUFFER_LIST"]["NetBufferListInfo"]["arm64"] = 22
    build = build_with_zig("arm64", constants_source({}, arrays, "arm64"), tmp_path)
    assert build.returncode != 0
    assert "NET_BUFFER_LIST.NetBufferListInfo: expected array length 22" in build.stderr
    # The misspelt enumerator of old is no WDK name: the probe cannot compile it.
    old = {"NdisHaltDeviceInstanceDeInstalled": {"amd64": 1}}
    build = build_with_zig("amd64", constants_source(old, {}, "amd64"), tmp_path)
    assert build.returncode != 0
    assert "NdisHaltDeviceInstanceDeInstalled" in build.stderr
