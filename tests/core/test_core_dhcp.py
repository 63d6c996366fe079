"""DHCP masquerade: OFFER/ACK/NAK rules, option order, user options, limits, broadcast."""

from __future__ import annotations

import socket
import struct

import packets as P
import pytest
import tapcore_ffi as ffi

ADDR, MASK, SERVER, LEASE = "10.3.0.7", "255.255.255.0", "10.3.0.1", 86400


def ip(text: str) -> bytes:
    return socket.inet_aton(text)


def masq(ad: ffi.Adapter, addr: str = ADDR, server: str = SERVER) -> None:
    cfg = ip(addr) + ip(MASK) + ip(server) + struct.pack("<I", LEASE)
    assert ad.ioctl(ffi.CONFIG_DHCP_MASQ, cfg)[0] == ffi.SUCCESS


@pytest.fixture
def srv(tap):
    masq(tap)
    return tap


def options(reply: bytes) -> list[tuple[int, bytes]]:
    """The raw option list of a reply, in order, read without scapy's interpretation."""
    o = reply[14 + 20 + 8 + 240 :]
    out = []
    i = 0
    while o[i] != 255:
        out.append((o[i], o[i + 2 : i + 2 + o[i + 1]]))
        i += 2 + o[i + 1]
    assert o[i + 1 :] == b"", "nothing after the end option"
    return out


def send(ad: ffi.Adapter, msg: str, **kw) -> ffi.SendResult:
    return ad.host_send(P.dhcp(ad.mac, msg, **kw))


def check_reply(ad: ffi.Adapter, res: ffi.SendResult, kind: int, bcast: bool, xid: int) -> None:
    assert res.action == ffi.REPLY
    e = P.Ether(res.reply)
    server_mac = ad.mac[:2] + bytes([(ad.mac[2] + 2) & 0xFF]) + ad.mac[3:]
    assert e.src == P.mac_str(server_mac)
    assert e.dst == ("ff:ff:ff:ff:ff:ff" if bcast else P.mac_str(ad.mac))
    ipl = e[P.IP]
    assert (ipl.src, ipl.dst, ipl.ttl, ipl.ihl) == (
        SERVER,
        "255.255.255.255" if bcast else ADDR,
        16,
        5,
    )
    u = e[P.UDP]
    assert (u.sport, u.dport) == (67, 68)
    # The checksums scapy recomputes equal the core's.
    again = P.Ether(res.reply)
    del again[P.IP].chksum
    del again[P.UDP].chksum
    assert bytes(again) == res.reply
    b = e[P.BOOTP]
    assert (b.op, b.xid, b.chaddr[:6]) == (2, xid, ad.mac)
    assert b.yiaddr == ("0.0.0.0" if kind == 6 else ADDR)
    opts = options(res.reply)
    assert opts[0] == (53, bytes([kind]))
    assert opts[1] == (54, ip(SERVER))
    if kind != 6:
        assert opts[2] == (51, struct.pack(">I", LEASE))
        assert opts[3] == (1, ip(MASK))
    else:
        assert len(opts) == 2


def test_discover_gets_an_offer(srv) -> None:
    check_reply(srv, send(srv, "discover", xid=7), 2, bcast=True, xid=7)


def test_unicast_discover_gets_a_unicast_offer(srv) -> None:
    res = send(srv, "discover", xid=8, eth_dst=P.mac_str(srv.dhcp_server_mac()))
    check_reply(srv, res, 2, bcast=False, xid=8)


def test_request_after_discover_gets_an_ack(srv) -> None:
    send(srv, "discover")
    check_reply(srv, send(srv, "request", xid=9, requested=ADDR, server_id=SERVER), 5, True, 9)
    # Renewal: unicast, ciaddr set, no requested address option.
    res = send(
        srv, "request", xid=10, ciaddr=ADDR, eth_dst=P.mac_str(srv.dhcp_server_mac()), ip_dst=SERVER
    )
    check_reply(srv, res, 5, bcast=False, xid=10)
    assert P.Ether(res.reply)[P.BOOTP].ciaddr == ADDR


def test_request_without_discover_is_naked(srv) -> None:
    res = send(srv, "request", xid=3, requested=ADDR)
    check_reply(srv, res, 6, bcast=True, xid=3)


@pytest.mark.parametrize(
    "kw",
    [
        {"requested": "10.3.0.8"},
        {"ciaddr": "10.3.0.8"},
        {"ciaddr": ADDR, "requested": "10.3.0.8"},
        {},
    ],
)
def test_request_for_another_address_is_naked(srv, kw) -> None:
    send(srv, "discover")
    check_reply(srv, send(srv, "request", xid=4, **kw), 6, bcast=True, xid=4)


def test_nak_is_broadcast_even_for_unicast_requests(srv) -> None:
    send(srv, "discover")
    res = send(srv, "request", ciaddr="10.3.0.9", eth_dst=P.mac_str(srv.dhcp_server_mac()))
    assert P.Ether(res.reply).dst == "ff:ff:ff:ff:ff:ff"


def test_three_bad_requests_then_nak_until_discover(srv) -> None:
    send(srv, "discover")
    for _ in range(3):
        assert options(send(srv, "request", requested="10.3.0.99").reply)[0] == (53, b"\6")
    assert options(send(srv, "request", requested=ADDR).reply)[0] == (53, b"\6")
    send(srv, "discover")
    assert options(send(srv, "request", requested=ADDR).reply)[0] == (53, b"\5")


def test_two_bad_requests_are_forgiven(srv) -> None:
    send(srv, "discover")
    for _ in range(2):
        send(srv, "request", requested="10.3.0.99")
    assert options(send(srv, "request", requested=ADDR).reply)[0] == (53, b"\5")


def test_reconfiguration_forgets_the_discover(srv) -> None:
    send(srv, "discover")
    masq(srv)
    assert options(send(srv, "request", requested=ADDR).reply)[0] == (53, b"\6")


@pytest.mark.parametrize("msg", ["release", "inform", "decline"])
def test_other_messages_are_consumed_silently(srv, msg: str) -> None:
    assert send(srv, msg, ciaddr=ADDR).action == ffi.CONSUMED
    assert srv.queued() == (0, 0)


def test_user_options_follow_the_netmask(srv) -> None:
    user = bytes([6, 8]) + ip("10.3.0.53") + ip("10.3.0.54") + bytes([15, 3]) + b"lan"
    assert srv.ioctl(ffi.CONFIG_DHCP_SET_OPT, user)[0] == ffi.SUCCESS
    res = send(srv, "discover")
    opts = options(res.reply)
    assert [c for c, _ in opts] == [53, 54, 51, 1, 6, 15]
    assert opts[4] == (6, ip("10.3.0.53") + ip("10.3.0.54")) and opts[5] == (15, b"lan")
    d = {o[0]: o[1:] for o in P.Ether(res.reply)[P.DHCP].options if isinstance(o, tuple)}
    assert d["name_server"] == ("10.3.0.53", "10.3.0.54")
    assert d["message-type"] == (2,) and d["subnet_mask"] == (MASK,)
    # A NAK carries no user options.
    assert [c for c, _ in options(send(srv, "request", requested="1.2.3.4").reply)] == [53, 54]
    # Setting options again replaces them.
    srv.ioctl(ffi.CONFIG_DHCP_SET_OPT, bytes([15, 2]) + b"xy")
    assert options(send(srv, "discover").reply)[4:] == [(15, b"xy")]


def test_options_at_most_256_bytes(srv) -> None:
    # 53(3) + 54(6) + 51(6) + 1(6) + end(1) = 22 bytes: 234 bytes of user options fit.
    fits = bytes([224, 232]) + bytes(232)
    srv.ioctl(ffi.CONFIG_DHCP_SET_OPT, fits)
    res = send(srv, "discover")
    assert res.action == ffi.REPLY
    assert len(res.reply) == 14 + 20 + 8 + 240 + 256
    srv.ioctl(ffi.CONFIG_DHCP_SET_OPT, bytes([224, 233]) + bytes(233))
    res = send(srv, "discover")
    assert (res.action, res.reply) == (ffi.CONSUMED, b"")
    assert srv.stats().replies_lost == 1
    # NAKs still fit.
    assert send(srv, "request", requested="1.2.3.4").action == ffi.REPLY


def test_reply_buffer_too_small(srv) -> None:
    res = srv.host_send(P.dhcp(srv.mac, "discover"), reply_cap=300)
    assert res.action == ffi.CONSUMED and srv.stats().replies_lost == 1


def test_frames_not_addressed_to_the_server_go_to_the_app(srv) -> None:
    other = bytes.fromhex("020000000042")
    frames = [
        P.dhcp(other, "discover"),  # from another MAC
        P.dhcp(srv.mac, "discover")[:281],  # too short for the BOOTP header and cookie
    ]
    # chaddr differs from the source MAC
    f = bytearray(P.dhcp(srv.mac, "discover"))
    f[14 + 20 + 8 + 28] ^= 1
    frames.append(bytes(f))
    # wrong ports
    g = bytearray(P.dhcp(srv.mac, "discover"))
    g[14 + 20 + 3] = 68
    frames.append(bytes(g))
    # IP options (header longer than 20 bytes)
    frames.append(
        bytes(
            P.Ether(src=P.mac_str(srv.mac), dst=P.BCAST)
            / P.IP(dst="255.255.255.255", options=[b"\x94\x04\0\0"])
            / P.UDP(sport=68, dport=67)
            / P.Ether(P.dhcp(srv.mac, "discover"))[P.BOOTP]
        )
    )
    # unicast to another MAC, the adapter's own included
    for dst in (srv.mac, other):
        frames.append(P.dhcp(srv.mac, "discover", eth_dst=P.mac_str(dst)))
    for fr in frames:
        assert srv.host_send(fr).action == ffi.QUEUED, fr.hex()
    assert srv.queued()[0] == len(frames)


def test_unanswered_frames_to_the_server_are_consumed(srv) -> None:
    frames = [
        # no message type option
        bytes(
            P.Ether(src=P.mac_str(srv.mac), dst=P.BCAST)
            / P.IP(dst="255.255.255.255")
            / P.UDP(sport=68, dport=67)
            / P.BOOTP(chaddr=srv.mac)
            / P.DHCP(options=["end"])
        ),
        P.dhcp(srv.mac, "discover")[:-10],  # truncated: the IP length runs past the frame
    ]
    # a fragment (MF set)
    h = P.Ether(P.dhcp(srv.mac, "discover"))
    h[P.IP].flags = "MF"
    del h[P.IP].chksum
    frames.append(bytes(h))
    for fr in frames:
        assert srv.host_send(fr) == ffi.SendResult(ffi.CONSUMED, b""), fr.hex()
    assert srv.queued() == (0, 0)


def test_malformed_options_are_consumed(srv) -> None:
    good = P.dhcp(srv.mac, "discover")
    base = 14 + 20 + 8 + 240
    bad = good[:base] + bytes([53, 5, 1]) + b"\xff"  # length runs past the end
    assert srv.host_send(_fix_lengths(bad)).action == ffi.CONSUMED
    bad2 = good[:base] + bytes([53, 2, 1, 1, 255])  # message type of length 2
    assert srv.host_send(_fix_lengths(bad2)).action == ffi.CONSUMED
    assert srv.queued() == (0, 0)


def _fix_lengths(frame: bytes) -> bytes:
    e = P.Ether(frame)
    del e[P.IP].len, e[P.IP].chksum, e[P.UDP].len, e[P.UDP].chksum
    return bytes(e)


def test_arp_for_the_server_is_answered(srv) -> None:
    res = srv.host_send(P.arp_request(srv.mac, ADDR, SERVER))
    assert res.action == ffi.REPLY
    a = P.Ether(res.reply)[P.ARP]
    assert a.hwsrc == P.mac_str(srv.dhcp_server_mac()) and a.psrc == SERVER
    # Other ARP in TAP mode goes to the application.
    assert srv.host_send(P.arp_request(srv.mac, ADDR, "10.3.0.9")).action == ffi.QUEUED


def test_server_mac_is_peer_mac_when_tun_network_holds_the_server(tap) -> None:
    masq(tap, addr="10.8.0.2", server="10.8.0.254")
    assert tap.dhcp_server_mac() == tap.mac[:2] + bytes([tap.mac[2] + 2]) + tap.mac[3:]
    tap.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"))
    assert tap.dhcp_server_mac() == tap.peer
    res = tap.host_send(P.dhcp(tap.mac, "discover"))
    assert P.Ether(res.reply).src == P.mac_str(tap.peer)
    tap.close()
    tap.open()
    tap.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.128"))
    masq(tap, addr="10.8.0.2", server="10.8.0.254")
    assert tap.dhcp_server_mac() != tap.peer


def test_dhcp_in_tun_mode(tap) -> None:
    tap.ioctl(ffi.CONFIG_TUN, ip("10.3.0.7") + ip("10.3.0.0") + ip("255.255.255.0"))
    masq(tap)
    assert tap.host_send(P.dhcp(tap.mac, "discover")).action == ffi.REPLY
