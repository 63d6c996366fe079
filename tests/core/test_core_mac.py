"""MAC derivation: permanent from the GUID, current from NetworkAddress, related MACs."""

from __future__ import annotations

import pytest
import tapcore_ffi as ffi

GUID = "{8A5E1B2C-3D4F-4A6B-9C8D-7E6F5A4B3C2D}"


def test_permanent_from_guid(lib) -> None:
    assert ffi.mac_from_guid(lib, GUID) == bytes.fromhex("00ff8a5e1b2c")
    assert ffi.mac_from_guid(lib, GUID.lower()) == bytes.fromhex("00ff8a5e1b2c")
    assert ffi.mac_from_guid(lib, GUID[1:]) == bytes.fromhex("00ff8a5e1b2c")
    assert ffi.mac_from_guid(lib, "{12345678}") == bytes.fromhex("00ff12345678")


@pytest.mark.parametrize("guid", ["", "{", "{1234567", "{1234567G-", "x2345678", "{ 2345678"])
def test_bad_guids_are_refused(lib, guid: str) -> None:
    assert ffi.mac_from_guid(lib, guid) is None


def test_guid_non_ascii_code_units_are_refused(lib) -> None:
    assert ffi.mac_from_guid(lib, "{1234567\u0661-") is None  # Arabic-Indic digit one
    assert ffi.mac_from_guid(lib, "{1234567\uff10") is None  # fullwidth zero


PERM = bytes.fromhex("00ff8a5e1b2c")


@pytest.mark.parametrize(
    ("value", "used"),
    [
        (bytes.fromhex("02aabbccddee"), True),  # local, unicast
        (bytes.fromhex("0aaabbccddee"), True),
        (bytes.fromhex("00aabbccddee"), False),  # universally administered
        (bytes.fromhex("03aabbccddee"), False),  # multicast
        (bytes.fromhex("ffffffffffff"), False),
        (bytes.fromhex("02aabbccdd"), False),  # 5 bytes
        (bytes.fromhex("02aabbccddeeff"), False),  # 7 bytes
        (None, False),
    ],
)
def test_current_from_network_address(lib, value, used: bool) -> None:
    got_used, mac = ffi.mac_current(lib, PERM, value)
    assert got_used == used
    assert mac == (value if used else PERM)


@pytest.mark.parametrize(
    ("mac", "delta", "out"),
    [
        ("00ff8a5e1b2c", 1, "00ff8b5e1b2c"),
        ("00ff8a5e1b2c", 2, "00ff8c5e1b2c"),
        ("00ffff5e1b2c", 1, "00ff005e1b2c"),
        ("00fffe5e1b2c", 2, "00ff005e1b2c"),
    ],
)
def test_related_macs(lib, mac: str, delta: int, out: str) -> None:
    assert ffi.mac_related(lib, bytes.fromhex(mac), delta) == bytes.fromhex(out)
