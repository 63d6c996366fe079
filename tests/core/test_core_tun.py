"""TUN mode: framing both ways, the ARP responder, the fe80::8 neighbour advertisement."""

from __future__ import annotations

import socket

import packets as P
import pytest
import tapcore_ffi as ffi
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr


def ip(text: str) -> bytes:
    return socket.inet_aton(text)


@pytest.fixture
def tun(tap):
    st, _ = tap.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"))
    assert st == ffi.SUCCESS
    return tap


def test_peer_mac_is_byte2_plus_1(make_adapter) -> None:
    ad = make_adapter(mac="02:aa:ff:01:02:03").start()
    ad.ioctl(ffi.CONFIG_POINT_TO_POINT, ip("10.8.0.6") + ip("10.8.0.5"))
    frame = P.ipv4_frame(bytes.fromhex("02aa00010203"), ad.mac, 20)  # wraps 0xff -> 0x00
    assert ad.host_send(frame).action == ffi.QUEUED


def test_host_ipv4_to_app_strips_header(tun) -> None:
    frame = P.ipv4_frame(tun.peer, tun.mac, 100)
    assert tun.host_send(frame).action == ffi.QUEUED
    assert tun.read() == (ffi.SUCCESS, frame[14:])


@pytest.mark.parametrize("which", ["dst", "src", "bcast"])
def test_host_ipv4_needs_the_exact_header(tun, which: str) -> None:
    other = bytes.fromhex("020000000009")
    dst, src = {"dst": (other, tun.mac), "src": (tun.peer, other), "bcast": (b"\xff" * 6, tun.mac)}[
        which
    ]
    assert tun.host_send(P.ipv4_frame(dst, src, 100)).action == ffi.DROP_FILTERED
    assert tun.queued() == (0, 0)


def test_host_ipv4_minimum_34_bytes(tun) -> None:
    frame = P.ipv4_frame(tun.peer, tun.mac, 0)
    assert len(frame) == 34
    assert tun.host_send(frame).action == ffi.QUEUED
    assert tun.host_send(frame[:33]).action == ffi.DROP_FILTERED


def test_host_ipv6_needs_54_bytes_only(tun) -> None:
    mcast = P.ipv6_frame("33:33:00:00:00:16", tun.mac, 0)
    assert len(mcast) == 54
    assert tun.host_send(mcast).action == ffi.QUEUED
    assert tun.read() == (ffi.SUCCESS, mcast[14:])
    assert tun.host_send(mcast[:53]).action == ffi.DROP_FILTERED


def test_other_ethertypes_are_dropped(tun) -> None:
    frame = tun.peer + tun.mac + b"\x88\xcc" + bytes(50)
    assert tun.host_send(frame).action == ffi.DROP_FILTERED
    assert tun.host_send(P.tagged(P.ipv4_frame(tun.peer, tun.mac), 1, 1)).action == (
        ffi.DROP_FILTERED
    )


@pytest.mark.parametrize(("version", "ethertype"), [(4, 0x0800), (6, 0x86DD)])
def test_written_packets_get_an_ethernet_header(tun, version: int, ethertype: int) -> None:
    pkt = (
        bytes(P.IP(src="10.8.0.1", dst="10.8.0.2") / P.UDP() / (b"x" * 100))
        if version == 4
        else bytes(P.IPv6(src="fd00::1", dst="fd00::2") / P.UDP() / (b"x" * 100))
    )
    st, out, meta = tun.write(pkt)
    assert st == ffi.SUCCESS and meta == (0, 0)
    assert out == tun.mac + tun.peer + ethertype.to_bytes(2, "big") + pkt


def test_short_written_packets_are_padded(tun) -> None:
    pkt = bytes([0x45]) + bytes(19)
    st, out, _ = tun.write(pkt)
    assert st == ffi.SUCCESS and len(out) == 60 and out[14:34] == pkt and out[34:] == bytes(26)


@pytest.mark.parametrize(
    "pkt", [b"", b"\x55" + bytes(40), b"\x05" + bytes(40), b"\x45" + bytes(1500)]
)
def test_bad_written_packets(tun, pkt: bytes) -> None:
    assert tun.write(pkt)[0] == ffi.INVALID_PARAMETER


@pytest.mark.parametrize("length", [1, 19])
def test_short_written_packets_are_too_small(tun, length: int) -> None:
    assert tun.write(b"\x45" * length)[:2] == (ffi.BUFFER_TOO_SMALL, b"")  # as 9.x


def test_largest_written_packet(tun) -> None:
    st, out, _ = tun.write(b"\x60" + bytes(1499))
    assert st == ffi.SUCCESS and len(out) == 1514


def test_arp_for_the_remote_network_is_answered_with_the_peer_mac(tun) -> None:
    req = P.arp_request(tun.mac, "10.8.0.2", "10.8.0.1")
    res = tun.host_send(req)
    assert res.action == ffi.REPLY and len(res.reply) == 60
    e = P.Ether(res.reply)
    assert e.dst == P.mac_str(tun.mac) and e.src == P.mac_str(tun.peer) and e.type == 0x0806
    a = e[P.ARP]
    assert (a.op, a.hwsrc, a.psrc) == (2, P.mac_str(tun.peer), "10.8.0.1")
    assert (a.hwdst, a.pdst) == (P.mac_str(tun.mac), "10.8.0.2")
    assert res.reply[42:] == bytes(18)
    s = tun.stats()
    assert s.replies == 1 and s.rx.directed_frames == 1 and s.tx.broadcast_frames == 1


def test_unicast_arp_refresh_to_the_peer_is_answered(tun) -> None:
    req = P.arp_request(tun.mac, "10.8.0.2", "10.8.0.77", dst=P.mac_str(tun.peer))
    assert tun.host_send(req).action == ffi.REPLY


@pytest.mark.parametrize(
    ("sender", "target", "src_mac"),
    [
        ("10.8.0.3", "10.8.0.1", None),  # sender is not the local IP
        ("10.8.0.2", "10.9.0.1", None),  # target outside the remote network
        ("10.8.0.2", "10.8.0.2", None),  # target is the local IP
        ("0.0.0.0", "10.8.0.1", None),  # address conflict probe
        ("10.8.0.2", "10.8.0.1", "020000000009"),  # not from the adapter
    ],
)
def test_other_arp_is_dropped(tun, sender: str, target: str, src_mac) -> None:
    mac = bytes.fromhex(src_mac) if src_mac else tun.mac
    assert tun.host_send(P.arp_request(mac, sender, target)).action == ffi.DROP_FILTERED


def test_arp_replies_and_truncated_arp_are_dropped(tun) -> None:
    req = P.arp_request(tun.mac, "10.8.0.2", "10.8.0.1")
    reply = req[:20] + b"\x00\x02" + req[22:]
    assert tun.host_send(reply).action == ffi.DROP_FILTERED
    assert tun.host_send(req[:41]).action == ffi.DROP_FILTERED
    assert tun.host_send(req + bytes(18)).action == ffi.REPLY  # padded request


def test_point_to_point_answers_only_the_remote_address(tap) -> None:
    tap.ioctl(ffi.CONFIG_POINT_TO_POINT, ip("10.8.0.6") + ip("10.8.0.5"))
    assert tap.host_send(P.arp_request(tap.mac, "10.8.0.6", "10.8.0.5")).action == ffi.REPLY
    assert tap.host_send(P.arp_request(tap.mac, "10.8.0.6", "10.8.0.4")).action == (
        ffi.DROP_FILTERED
    )


@pytest.mark.parametrize("dst", ["ff02::1:ff00:8", "fe80::8"])
def test_neighbour_solicitation_for_fe80_8(tun, dst: str) -> None:
    res = tun.host_send(P.neighbor_solicit(tun.mac, dst_ip=dst))
    assert res.action == ffi.REPLY and len(res.reply) == 86
    e = P.Ether(res.reply)
    assert e.dst == P.mac_str(tun.mac) and e.src == P.mac_str(tun.peer)
    v6 = e[P.IPv6]
    assert (v6.src, v6.dst, v6.hlim, v6.plen) == ("fe80::8", "fe80::1234", 255, 32)
    na = e[ICMPv6ND_NA]
    assert (na.R, na.S, na.O, na.tgt) == (0, 1, 1, "fe80::8")
    assert res.reply[14 + 40 + 4] == 0x60
    assert na[ICMPv6NDOptDstLLAddr].lladdr == P.mac_str(tun.peer)
    # The checksum scapy computes equals the one the core wrote.
    again = P.Ether(res.reply)
    del again[ICMPv6ND_NA].cksum
    assert bytes(again) == res.reply


def test_dad_solicitation_is_answered_to_all_nodes(tun) -> None:
    res = tun.host_send(P.neighbor_solicit(tun.mac, src_ip="::"))
    assert res.action == ffi.REPLY
    e = P.Ether(res.reply)
    assert e.dst == "33:33:00:00:00:01" and e[P.IPv6].dst == "ff02::1"
    assert e[ICMPv6ND_NA].S == 0 and e[ICMPv6ND_NA].O == 1


@pytest.mark.parametrize(
    "kw",
    [{"target": "fe80::9"}, {"dst_ip": "ff02::1:ff00:9"}, {"hlim": 64}],
)
def test_other_solicitations_go_to_the_app(tun, kw) -> None:
    frame = P.neighbor_solicit(tun.mac, **kw)
    assert tun.host_send(frame).action == ffi.QUEUED
    assert tun.read()[1] == frame[14:]


def test_solicitation_with_a_bad_checksum_is_not_answered(tun) -> None:
    frame = bytearray(P.neighbor_solicit(tun.mac))
    frame[14 + 40 + 2] ^= 0xFF
    assert tun.host_send(bytes(frame)).action == ffi.QUEUED


def test_no_neighbour_advertisement_in_tap_mode(tap) -> None:
    assert tap.host_send(P.neighbor_solicit(tap.mac)).action == ffi.QUEUED
