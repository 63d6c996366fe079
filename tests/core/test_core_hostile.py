"""Truncated, oversized, malformed and hostile inputs: every prefix of every valid packet, and
random bytes, through every entry point, with the core's promises checked each time."""

from __future__ import annotations

import socket
import struct

import packets as P
import pytest
import tapcore_ffi as ffi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tapbuild.dev import coreseeds

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def ip(text: str) -> bytes:
    return socket.inet_aton(text)


def configured(lib, tun: bool, dhcp: bool) -> ffi.Adapter:
    ad = ffi.Adapter(lib, mac="00:ff:12:34:56:78", ring_size=8192).start()
    if tun:
        ad.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"))
    if dhcp:
        cfg = ip("10.8.0.2") + ip("255.255.255.0") + ip("10.8.0.1") + struct.pack("<I", 60)
        ad.ioctl(ffi.CONFIG_DHCP_MASQ, cfg)
    ad.ioctl(ffi.PRIORITY_BEHAVIOR, b"\2\0\0\0")
    return ad


def valid_frames() -> list[bytes]:
    mac = bytes.fromhex("00ff12345678")
    return [
        *coreseeds._host_frames(),
        P.dhcp(mac, "request", requested="10.8.0.2"),
        P.neighbor_solicit(mac),
        P.tagged(P.ipv4_frame(bytes.fromhex("00ff13345678"), mac), 3, 7),
    ]


def check_send(ad: ffi.Adapter, frame: bytes) -> int:
    res = ad.host_send(frame)
    assert 0 <= res.action <= ffi.DROP_MEDIA
    if res.action == ffi.REPLY:
        assert 60 <= len(res.reply) <= ffi.REPLY_MAX
    else:
        assert res.reply == b""
    frames, nbytes = ad.queued()
    assert (frames == 0) == (nbytes == 0)
    return res.action


@pytest.mark.parametrize(
    ("tun", "dhcp"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_every_prefix_of_every_valid_frame(lib, tun: bool, dhcp: bool) -> None:
    ad = configured(lib, tun, dhcp)
    for frame in valid_frames():
        full = check_send(ad, frame)
        for n in range(len(frame)):
            act = check_send(ad, frame[:n])
            if n < 14:
                assert act == ffi.DROP_INVALID
            # A reply is only ever produced for a complete packet.
            if act == ffi.REPLY:
                assert full == ffi.REPLY
        while ad.read()[0] == ffi.SUCCESS:
            pass


def test_truncated_replies_never_come_from_truncated_dhcp(lib) -> None:
    ad = configured(lib, True, True)
    discover = P.dhcp(bytes.fromhex("00ff12345678"), "discover")
    # The IP and UDP lengths still claim the full packet: every prefix must be refused.
    for n in range(14, len(discover)):
        assert ad.host_send(discover[:n]).action != ffi.REPLY


@SETTINGS
@given(frame=st.binary(max_size=1600), tun=st.booleans(), dhcp=st.booleans())
def test_random_host_frames(lib, frame: bytes, tun: bool, dhcp: bool) -> None:
    check_send(configured(lib, tun, dhcp), frame)


@SETTINGS
@given(
    base=st.sampled_from(valid_frames()),
    flips=st.lists(st.tuples(st.integers(0, 1599), st.integers(0, 255)), max_size=8),
    tun=st.booleans(),
)
def test_mutated_valid_frames(lib, base: bytes, flips, tun: bool) -> None:
    frame = bytearray(base)
    for pos, val in flips:
        if pos < len(frame):
            frame[pos] = val
    check_send(configured(lib, tun, True), bytes(frame))


@SETTINGS
@given(data=st.binary(max_size=1600), tun=st.booleans(), cap=st.integers(0, 1600))
def test_random_writes(lib, data: bytes, tun: bool, cap: int) -> None:
    ad = configured(lib, tun, False)
    status, out, (prio, vlan) = ad.write(data, cap=cap)
    if status == ffi.SUCCESS:
        assert 60 <= len(out) <= min(cap, 1514) and prio <= 7 and vlan <= 4095
    else:
        assert out == b""
        assert status in (ffi.INVALID_PARAMETER, ffi.BUFFER_TOO_SMALL)


@SETTINGS
@given(
    calls=st.lists(
        st.tuples(st.integers(0, 13), st.binary(max_size=300), st.integers(0, 300), st.booleans()),
        max_size=20,
    )
)
def test_random_ioctl_sequences(lib, calls) -> None:
    ad = configured(lib, False, False)
    for n, data, out_len, alias in calls:
        status, out = ad.ioctl(ffi.ctl_code(n), data, out_len=out_len, alias=alias)
        assert len(out) <= out_len
        if status != ffi.SUCCESS:
            assert out == b""
        if n in (0, 12, 13):
            assert status == ffi.INVALID_DEVICE_REQUEST
    # Whatever was configured, the data path still holds its promises.
    for frame in valid_frames():
        check_send(ad, frame)


def test_hostile_dhcp_option_lengths(lib) -> None:
    ad = configured(lib, False, True)
    mac = bytes.fromhex("00ff12345678")
    good = P.dhcp(mac, "discover")
    base = 14 + 20 + 8 + 240
    for opts in (
        bytes([53]),  # code without length
        bytes([53, 255]),  # length past the end
        bytes([0] * 50),  # only padding, no message type
        bytes([50, 4, 1, 2, 3]),  # truncated requested address, no type
        bytes([53, 1, 1, 50, 200]) + bytes(10),  # second option runs past the end
    ):
        e = P.Ether(good[:base] + opts)
        del e[P.IP].len, e[P.IP].chksum, e[P.UDP].len, e[P.UDP].chksum
        # Addressed to the masquerade: consumed unanswered, never passed on (as 9.x).
        assert ad.host_send(bytes(e)).action == ffi.CONSUMED


def test_udp_length_larger_than_ip_payload(lib) -> None:
    ad = configured(lib, False, True)
    frame = bytearray(P.dhcp(bytes.fromhex("00ff12345678"), "discover"))
    frame[14 + 20 + 4 : 14 + 20 + 6] = struct.pack(">H", 0xFFFF)
    assert ad.host_send(bytes(frame)).action == ffi.CONSUMED


def test_ip_total_length_larger_than_frame(lib) -> None:
    ad = configured(lib, True, True)
    frame = bytearray(P.dhcp(bytes.fromhex("00ff12345678"), "discover"))
    frame[14 + 2 : 14 + 4] = struct.pack(">H", 0xFFFF)
    assert ad.host_send(bytes(frame)).action == ffi.CONSUMED  # a bad IP length, as 9.x


def test_ipv6_payload_length_larger_than_frame(lib) -> None:
    ad = configured(lib, True, False)
    frame = bytearray(P.neighbor_solicit(bytes.fromhex("00ff12345678")))
    frame[14 + 4 : 14 + 6] = struct.pack(">H", 0xFFFF)
    assert ad.host_send(bytes(frame)).action == ffi.QUEUED  # plain IPv6 to the app, no NA


def test_huge_lengths_are_refused_without_reading(lib) -> None:
    """Lengths near SIZE_MAX (the CVE-2024-1305 shape) are refused up front."""
    import ctypes

    ad = configured(lib, False, False)
    frame = P.ipv4_frame(bytes.fromhex("020000000001"), ad.mac)
    n = ctypes.c_size_t(0)
    v = ffi.Vlan(0, 0)
    reply = (ctypes.c_uint8 * 600)()
    for huge in (2**64 - 1, 2**64 - 14, 2**63, 2**32 + 60):
        act = ad.lib.tapc_host_send(
            ad.mem, frame, huge, ctypes.byref(v), reply, 600, ctypes.byref(n)
        )
        assert act == ffi.DROP_INVALID
        out = (ctypes.c_uint8 * 1514)()
        status = ad.lib.tapc_user_write(
            ad.mem, frame, huge, out, 1514, ctypes.byref(n), ctypes.byref(v)
        )
        assert status == ffi.INVALID_PARAMETER
