"""Real packets for the core tests, built with scapy (an independent implementation)."""

from __future__ import annotations

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Packet, Raw

BCAST = "ff:ff:ff:ff:ff:ff"


def mac_str(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def arp_request(src_mac: bytes, sender_ip: str, target_ip: str, dst: str = BCAST) -> bytes:
    return bytes(
        Ether(dst=dst, src=mac_str(src_mac))
        / ARP(
            op=1, hwsrc=mac_str(src_mac), psrc=sender_ip, hwdst="00:00:00:00:00:00", pdst=target_ip
        )
    )


def dhcp(
    mac: bytes,
    msg: str,
    xid: int = 0x1234ABCD,
    ciaddr: str = "0.0.0.0",
    requested: str | None = None,
    server_id: str | None = None,
    eth_dst: str = BCAST,
    ip_dst: str = "255.255.255.255",
    flags: int = 0,
    extra: list[tuple[str, object]] | None = None,
) -> bytes:
    opts: list[object] = [("message-type", msg)]
    if requested:
        opts.append(("requested_addr", requested))
    if server_id:
        opts.append(("server_id", server_id))
    opts += extra or []
    opts.append(("param_req_list", [1, 3, 6, 15]))
    opts.append("end")
    return bytes(
        Ether(dst=eth_dst, src=mac_str(mac))
        / IP(src=ciaddr if ciaddr != "0.0.0.0" else "0.0.0.0", dst=ip_dst)
        / UDP(sport=68, dport=67)
        / BOOTP(op=1, xid=xid, ciaddr=ciaddr, chaddr=mac + b"\0" * 10, flags=flags)
        / DHCP(options=opts)
    )


def neighbor_solicit(
    src_mac: bytes,
    src_ip: str = "fe80::1234",
    dst_ip: str = "ff02::1:ff00:8",
    target: str = "fe80::8",
    hlim: int = 255,
) -> bytes:
    dst_mac = "33:33:ff:00:00:08" if dst_ip.startswith("ff02") else "00:00:00:00:00:00"
    pkt: Packet = (
        Ether(dst=dst_mac, src=mac_str(src_mac))
        / IPv6(src=src_ip, dst=dst_ip, hlim=hlim)
        / ICMPv6ND_NS(tgt=target)
    )
    if src_ip != "::":
        pkt = pkt / ICMPv6NDOptSrcLLAddr(lladdr=mac_str(src_mac))
    return bytes(pkt)


def ipv4_frame(dst: bytes, src: bytes, payload_len: int = 64, proto: int = 17) -> bytes:
    return bytes(
        Ether(dst=mac_str(dst), src=mac_str(src))
        / IP(src="10.8.0.2", dst="10.8.0.1", proto=proto)
        / Raw(bytes(range(256)) * (payload_len // 256) + bytes(range(payload_len % 256)))
    )


def ipv6_frame(dst: bytes | str, src: bytes, payload_len: int = 64) -> bytes:
    d = dst if isinstance(dst, str) else mac_str(dst)
    return bytes(
        Ether(dst=d, src=mac_str(src))
        / IPv6(src="fd00::2", dst="fd00::1", nh=17)
        / Raw(b"\x5a" * payload_len)
    )


def tagged(frame: bytes, prio: int, vlan: int) -> bytes:
    e = Ether(frame)
    inner = e.payload
    return bytes(Ether(dst=e.dst, src=e.src) / Dot1Q(prio=prio, vlan=vlan, type=e.type) / inner)


__all__ = [
    "ARP",
    "BOOTP",
    "DHCP",
    "IP",
    "UDP",
    "Dot1Q",
    "Ether",
    "ICMPv6ND_NS",
    "IPv6",
    "arp_request",
    "dhcp",
    "ipv4_frame",
    "ipv6_frame",
    "mac_str",
    "neighbor_solicit",
    "tagged",
]
