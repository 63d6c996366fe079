"""TAP-mode data path: host sends queued for reads, writes indicated, 802.1Q, padding."""

from __future__ import annotations

import struct

import packets as P
import pytest
import tapcore_ffi as ffi

OTHER = bytes.fromhex("020000000001")


def test_host_frame_is_read_back_unchanged(tap) -> None:
    frame = P.ipv4_frame(OTHER, tap.mac, 100)
    assert tap.host_send(frame).action == ffi.QUEUED
    assert tap.events() & ffi.EV_READ_READY
    assert tap.queued() == (1, len(frame))
    assert tap.read() == (ffi.SUCCESS, frame)
    assert tap.read() == (ffi.PENDING, b"")
    assert tap.queued() == (0, 0)


def test_frames_are_read_in_order(tap) -> None:
    frames = [P.ipv4_frame(OTHER, tap.mac, n) for n in (0, 1, 500, 1472, 7)]
    for f in frames:
        assert tap.host_send(f).action == ffi.QUEUED
    assert [tap.read()[1] for _ in frames] == frames


def test_small_read_buffer_keeps_the_frame(tap) -> None:
    """Upstream bug: a read buffer smaller than the frame lost the frame."""
    frame = P.ipv4_frame(OTHER, tap.mac, 1000)
    tap.host_send(frame)
    assert tap.read(cap=len(frame) - 1) == (ffi.BUFFER_TOO_SMALL, b"")
    assert tap.read(cap=0) == (ffi.INVALID_PARAMETER, b"")  # a zero-length read, as 9.x
    assert tap.next_len() == len(frame)
    assert tap.stats().read_too_small == 1
    assert tap.read(cap=len(frame)) == (ffi.SUCCESS, frame)


@pytest.mark.parametrize("length", [0, 1, 13])
def test_runt_host_frames_are_dropped(tap, length: int) -> None:
    assert tap.host_send(b"\xff" * length).action == ffi.DROP_INVALID
    assert tap.queued() == (0, 0)


def test_oversized_host_frames_are_dropped(tap) -> None:
    assert tap.host_send(P.ipv4_frame(OTHER, tap.mac, 1500 - 20)).action == ffi.QUEUED
    assert tap.host_send(P.ipv4_frame(OTHER, tap.mac, 1501 - 20)).action == ffi.DROP_INVALID
    assert tap.host_send(b"\0" * 70000).action == ffi.DROP_INVALID


def test_write_indicates_the_frame_padded_to_60(tap) -> None:
    frame = P.ipv4_frame(tap.mac, OTHER, 4)  # 14 + 24 = 38 bytes
    assert len(frame) == 42 - 4
    st, out, vlan = tap.write(frame)
    assert st == ffi.SUCCESS and vlan == (0, 0)
    assert out == frame + b"\0" * (60 - len(frame))
    big = P.ipv4_frame(tap.mac, OTHER, 1480)
    assert tap.write(big)[:2] == (ffi.SUCCESS, big)


@pytest.mark.parametrize(
    ("length", "status"),
    [(0, ffi.INVALID_PARAMETER), (1, ffi.BUFFER_TOO_SMALL), (13, ffi.BUFFER_TOO_SMALL)],
)
def test_short_writes_are_refused(tap, length: int, status: int) -> None:
    """As 9.x: no buffer at all is an invalid parameter, a runt a buffer too small."""
    st, out, _ = tap.write(b"\1" * length)
    assert (st, out) == (status, b"")
    assert tap.stats().rx_errors == 1


def test_oversized_writes_are_invalid(tap) -> None:
    assert tap.write(b"\1" * 1515)[0] == ffi.INVALID_PARAMETER
    assert tap.write(P.tagged(P.ipv4_frame(tap.mac, OTHER, 1480), 1, 2))[0] == ffi.SUCCESS
    assert tap.write(P.tagged(P.ipv4_frame(tap.mac, OTHER, 1481), 1, 2))[0] == (
        ffi.INVALID_PARAMETER
    )


def test_write_with_too_small_output_buffer(tap) -> None:
    frame = P.ipv4_frame(tap.mac, OTHER, 200)
    assert tap.write(frame, cap=len(frame) - 1)[0] == ffi.BUFFER_TOO_SMALL
    assert tap.write(b"\1" * 20, cap=59)[0] == ffi.BUFFER_TOO_SMALL


@pytest.mark.parametrize(("prio", "vlan"), [(0, 0), (5, 0), (0, 100), (7, 4095), (3, 1)])
def test_tagged_write_moves_the_tag_into_metadata(tap, prio: int, vlan: int) -> None:
    plain = P.ipv4_frame(tap.mac, OTHER, 100)
    st, out, meta = tap.write(P.tagged(plain, prio, vlan))
    assert st == ffi.SUCCESS
    assert out == plain
    assert meta == (prio, vlan)


def test_tagged_write_too_short_for_the_tag(tap) -> None:
    assert tap.write(bytes(12) + b"\x81\x00" + b"\xa0")[0] == ffi.INVALID_PARAMETER
    st, out, meta = tap.write(bytes(12) + b"\x81\x00" + b"\xa0\x05\x08\x00")
    assert st == ffi.SUCCESS and meta == (5, 5) and out == bytes(12) + b"\x08\x00" + bytes(46)


def set_priority(ad: ffi.Adapter, behaviour: int) -> None:
    assert ad.ioctl(ffi.PRIORITY_BEHAVIOR, struct.pack("<I", behaviour))[0] == ffi.SUCCESS


@pytest.mark.parametrize(
    ("behaviour", "prio", "vlan", "tagged"),
    [
        (0, 0, 0, False),
        (0, 5, 7, False),
        (1, 0, 0, False),
        (1, 5, 0, True),
        (1, 0, 7, True),
        (1, 7, 4095, True),
        (2, 0, 0, True),
        (2, 6, 0, True),
    ],
)
def test_reads_add_tags_per_priority_behaviour(tap, behaviour, prio, vlan, tagged) -> None:
    set_priority(tap, behaviour)
    frame = P.ipv4_frame(OTHER, tap.mac, 64)
    assert tap.host_send(frame, priority=prio, vlan_id=vlan).action == ffi.QUEUED
    st, out = tap.read()
    assert st == ffi.SUCCESS
    if not tagged:
        assert out == frame
        return
    # Network byte order (upstream did not swap the tag control field): scapy decodes it.
    e = P.Ether(out)
    assert e.type == 0x8100 and e[P.Dot1Q].prio == prio and e[P.Dot1Q].vlan == vlan
    assert out[12:16] == struct.pack(">HH", 0x8100, prio << 13 | vlan)
    assert out == P.tagged(frame, prio, vlan)


def test_tag_of_a_maximum_frame_fits_the_read_limit(tap) -> None:
    set_priority(tap, 2)
    frame = P.ipv4_frame(OTHER, tap.mac, 1480)
    assert len(frame) == 1514
    tap.host_send(frame, priority=1)
    assert tap.read(cap=1517)[0] == ffi.BUFFER_TOO_SMALL
    st, out = tap.read(cap=1518)
    assert st == ffi.SUCCESS and len(out) == 1518


def test_statistics_by_destination_class(tap) -> None:
    tap.host_send(P.ipv4_frame(OTHER, tap.mac, 10))
    tap.host_send(P.ipv6_frame("33:33:00:00:00:01", tap.mac, 10))
    tap.host_send(P.arp_request(tap.mac, "10.0.0.2", "10.0.0.1"))
    tap.write(P.ipv4_frame(tap.mac, OTHER, 500))
    s = tap.stats()
    assert (s.tx.directed_frames, s.tx.multicast_frames, s.tx.broadcast_frames) == (1, 1, 1)
    assert s.tx.directed_bytes == 14 + 20 + 10
    assert s.tx.broadcast_bytes == 42
    assert (s.rx.directed_frames, s.rx.directed_bytes) == (1, 534)
