"""Seed inputs for the core's fuzz harnesses: valid packets, built here in plain Python.

Each harness's input format is described at the top of its source in tests/core/fuzz/.
"""

from __future__ import annotations

import socket
import struct

MAC = bytes.fromhex("00ff12345678")
PEER = bytes.fromhex("00ff13345678")
BCAST = b"\xff" * 6
OTHER = bytes.fromhex("020000000001")

# fuzz_common.h flags
TUN, P2P, DHCP, DHCP_FAR, CLOSED, PAUSED = 0x01, 0x02, 0x04, 0x08, 0x40, 0x80


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s: int = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _ip4(text: str) -> bytes:
    return socket.inet_aton(text)


def _ip6(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, text)


def eth(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack(">H", ethertype) + payload


def ipv4(src: str, dst: str, proto: int, payload: bytes, ttl: int = 64) -> bytes:
    hdr = struct.pack(
        ">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, ttl, proto, 0, _ip4(src), _ip4(dst)
    )
    return hdr[:10] + struct.pack(">H", _csum(hdr)) + hdr[12:] + payload


def udp4(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    u = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = _ip4(src) + _ip4(dst) + struct.pack(">BBH", 0, 17, len(u))
    c = _csum(pseudo + u) or 0xFFFF
    return ipv4(src, dst, 17, u[:6] + struct.pack(">H", c) + u[8:])


def arp_request(sender: str, target: str, dst: bytes = BCAST) -> bytes:
    body = struct.pack(
        ">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC, _ip4(sender), bytes(6), _ip4(target)
    )
    return eth(dst, MAC, 0x0806, body)


def dhcp_client(
    msg: int, ciaddr: str = "0.0.0.0", requested: str | None = None, dst: bytes = BCAST
) -> bytes:
    fixed = struct.pack(
        ">BBBBIHH4s4s4s4s16s64s128s",
        1,
        1,
        6,
        0,
        0x1234ABCD,
        0,
        0,
        _ip4(ciaddr),
        bytes(4),
        bytes(4),
        bytes(4),
        MAC + bytes(10),
        b"",
        b"",
    )
    opts = bytes([53, 1, msg])
    if requested:
        opts += bytes([50, 4]) + _ip4(requested)
    opts += bytes([54, 4]) + _ip4("10.8.0.1") + bytes([55, 3, 1, 3, 6, 255])
    bootp = fixed + struct.pack(">I", 0x63825363) + opts
    return eth(dst, MAC, 0x0800, udp4(ciaddr, "255.255.255.255", 68, 67, bootp))


def neighbor_solicit(src: str = "fe80::1", dst: str = "ff02::1:ff00:8") -> bytes:
    ns = struct.pack(">BBHI", 135, 0, 0, 0) + _ip6("fe80::8") + bytes([1, 1]) + MAC
    pseudo = _ip6(src) + _ip6(dst) + struct.pack(">IxxxB", len(ns), 58)
    ns = ns[:2] + struct.pack(">H", _csum(pseudo + ns)) + ns[4:]
    hdr = struct.pack(">IHBB", 0x60000000, len(ns), 58, 255) + _ip6(src) + _ip6(dst)
    return eth(bytes.fromhex("3333ff000008"), MAC, 0x86DD, hdr + ns)


def ipv4_frame(dst: bytes, n: int = 64) -> bytes:
    return eth(
        dst,
        MAC,
        0x0800,
        udp4("10.8.0.2", "10.8.0.1", 1000, 2000, bytes(i & 0xFF for i in range(n))),
    )


def ipv6_frame(n: int = 64) -> bytes:
    hdr = struct.pack(">IHBB", 0x60000000, n, 17, 64) + _ip6("fd00::2") + _ip6("fd00::1")
    return eth(bytes.fromhex("333300000001"), MAC, 0x86DD, hdr + bytes(n))


def tagged(frame: bytes, prio: int, vlan: int) -> bytes:
    return frame[:12] + struct.pack(">HH", 0x8100, prio << 13 | vlan) + frame[12:]


def _host_frames() -> list[bytes]:
    return [
        arp_request("10.8.0.2", "10.8.0.1"),
        arp_request("10.8.0.2", "10.8.0.9", dst=PEER),
        dhcp_client(1),
        dhcp_client(3, requested="10.8.0.2"),
        dhcp_client(3, ciaddr="10.8.0.2", dst=PEER),
        neighbor_solicit(),
        neighbor_solicit("::", "fe80::8"),
        ipv4_frame(PEER),
        ipv4_frame(OTHER, 1400),
        ipv6_frame(),
    ]


def _record(op: int, data: bytes = b"", out_len: int = 0) -> bytes:
    """One fuzz_ioctl record; inputs over 255 bytes use the 8-byte-unit form (op | 0x80)."""
    if len(data) > 255:
        units = -(-len(data) // 8)
        return bytes([op | 0x80, units, out_len]) + data.ljust(units * 8, b"\0")
    return bytes([op, len(data), out_len]) + data


def _oid_raw(oid: int, data: bytes = b"", set_: bool = True, length: int | None = None) -> bytes:
    """One fuzz_oid record naming its OID (op 2; op 6 sets)."""
    n = len(data) if length is None else length
    return bytes([6 if set_ else 2, 0, n]) + struct.pack("<I", oid) + data


def _oid_records(frames: list[bytes]) -> bytes:
    """Queries of every listed OID (too short, then large enough), the sets NDIS makes, frames
    through the packet filter."""
    multicast = bytes.fromhex("01005e000001") + bytes.fromhex("333300000001")
    out = [bytes([0, i, n]) for i in range(64) for n in (0, 3, 8, 255)]
    out += [
        _oid_raw(0x0001010E, struct.pack("<I", 0x0B)),  # OID_GEN_CURRENT_PACKET_FILTER
        _oid_raw(0x0001010F, struct.pack("<I", 1500)),  # OID_GEN_CURRENT_LOOKAHEAD
        _oid_raw(0x01010103, multicast),  # OID_802_3_MULTICAST_LIST
        _oid_raw(0xFD010101, struct.pack("<I", 4)),  # OID_PNP_SET_POWER: D3
        _oid_raw(0xFD010101, struct.pack("<I", 1)),  # D0
        _oid_raw(0x00020101, set_=False, length=4),  # OID_GEN_XMIT_OK, the 4-byte form
        _oid_raw(0x12345678, b"\0" * 4),  # not supported
    ]
    out += [bytes([3, 0, len(f)]) + f for f in frames if len(f) <= 255]
    return b"".join(out)


def seeds(harness: str) -> list[bytes]:
    """The seed inputs of one harness (fuzz_<harness>.c)."""
    frames = _host_frames()
    if harness == "host_send":
        out = []
        for flags in (0, TUN, TUN | P2P, DHCP, TUN | DHCP, TUN | DHCP | DHCP_FAR, 0x10, 0x20):
            for f in frames:
                out.append(bytes([flags, 5, 0, 7, 0xFF]) + f)
        out.append(bytes([0x20, 3, 0x0F, 0xFF, 0x10]) + tagged(frames[-2], 3, 4095))
        return out
    if harness == "user_write":
        ip_packets = [f[14:] for f in frames if f[12:14] in (b"\x08\x00", b"\x86\xdd")]
        return (
            [bytes([0, 0x05, 0xEA]) + f for f in frames]
            + [bytes([0, 0x05, 0xEA]) + tagged(frames[-2], 5, 100)]
            + [bytes([TUN, 0x05, 0xEA]) + p for p in ip_packets]
        )
    if harness == "ioctl":
        masq = _ip4("10.8.0.2") + _ip4("255.255.255.0") + _ip4("10.8.0.1") + struct.pack("<I", 60)
        tun = _ip4("10.8.0.2") + _ip4("10.8.0.0") + _ip4("255.255.255.0")
        opts = bytes([6, 4]) + _ip4("10.8.0.53") + bytes([15, 3]) + b"lan"
        seq = b"".join(
            [
                _record(1, out_len=6),
                _record(2, out_len=12),
                _record(3, out_len=4),
                _record(4, out_len=255),
                _record(10, tun),
                _record(7, masq),
                _record(9, opts),
                _record(11, b"\x02\0\0\0"),
                _record(6, b"\x01\0\0\0"),
                _record(12, frames[2]),
                _record(12, frames[0]),
                _record(13, out_len=0xFF),
                _record(14, frames[7][14:54]),
                _record(8, out_len=96),
                _record(15),
                _record(5, _ip4("10.8.0.2") + _ip4("10.8.0.1")),
                _record(18, out_len=200),
            ]
        )
        return [bytes([0]) + seq, bytes([TUN]) + seq, bytes([DHCP | 0x20]) + seq]
    if harness == "dhcp":
        cfg = _ip4("10.8.0.2") + _ip4("255.255.255.0") + _ip4("10.8.0.1") + struct.pack(">I", 60)
        opts = bytes([6, 4]) + _ip4("10.8.0.53") + bytes([15, 3]) + b"lan"
        return [cfg + bytes([len(opts) // 2]) + opts + f for f in frames[2:5]]
    if harness == "oid":
        return [bytes([flags]) + _oid_records(frames) for flags in (0, 1, TUN, DHCP | 1)]
    if harness == "mac":
        return [
            "{8A5E1B2C-3D4F-4A6B-9C8D-7E6F5A4B3C2D}".encode("utf-16-le"),
            bytes.fromhex("02aabbccddee"),
            "12345678".encode("utf-16-le"),
        ]
    raise KeyError(harness)
