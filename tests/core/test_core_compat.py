"""TAP-Windows6 9.x compatibility (docs/compatibility.md), one test per listed behaviour:
first the six changes that make the core behave as 9.x, then the deliberate differences kept.
The glue's part (pause, open, the I/O manager's byte counts) is in tests/simulator/test_compat.py.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import packets as P
import pytest
import tapcore_ffi as ffi

ADDR, MASK, SERVER = "10.3.0.7", "255.255.255.0", "10.3.0.1"
OTHER = bytes.fromhex("020000000042")
UDP_BOOTP = 14 + 20 + 8  # offset of the BOOTP message in a frame


def ip(text: str) -> bytes:
    return socket.inet_aton(text)


def masq(ad: ffi.Adapter) -> ffi.Adapter:
    cfg = ip(ADDR) + ip(MASK) + ip(SERVER) + struct.pack("<I", 3600)
    assert ad.ioctl(ffi.CONFIG_DHCP_MASQ, cfg)[0] == ffi.SUCCESS
    return ad


def server_mac(ad: ffi.Adapter) -> bytes:
    return ad.mac[:2] + bytes([(ad.mac[2] + 2) & 0xFF]) + ad.mac[3:]


def refix(frame: bytes | bytearray) -> bytes:
    """Recompute the IP and UDP lengths and checksums after an edit."""
    e = P.Ether(bytes(frame))
    del e[P.IP].len, e[P.IP].chksum, e[P.UDP].len, e[P.UDP].chksum
    return bytes(e)


# ---- 1. SET_MEDIA_STATUS 0 on an "Always Connected" adapter is ignored ----------------------


def test_always_connected_ignores_set_media_status_0(
    make_adapter: Callable[..., ffi.Adapter],
) -> None:
    ad = make_adapter(always_connected=True).start(connected=False)
    ad.host_send(P.ipv4_frame(OTHER, ad.mac))
    ad.events()
    assert ad.ioctl(ffi.SET_MEDIA_STATUS, struct.pack("<I", 0))[0] == ffi.SUCCESS
    assert ad.media() and ad.events() == 0  # no indication, no reads cancelled
    assert ad.read()[0] == ffi.SUCCESS
    assert ad.write(P.ipv4_frame(ad.mac, OTHER))[0] == ffi.SUCCESS
    assert ad.host_send(P.ipv4_frame(OTHER, ad.mac)).action == ffi.QUEUED


# ---- 2. A write while paused succeeds; the frame is dropped and counted ----------------------


def test_write_while_paused_succeeds_and_is_counted(tap: ffi.Adapter) -> None:
    tap.set_paused(True)
    assert tap.write(P.ipv4_frame(tap.mac, OTHER))[:2] == (ffi.SUCCESS, b"")
    assert tap.stats().rx_paused_drops == 1 and tap.stats().rx.directed_frames == 0
    assert " RxDrop=1 " in tap.info()


@pytest.mark.parametrize(
    "change", [lambda a: a.close(), lambda a: a.set_media(False), lambda a: a.set_power(False)]
)
def test_closed_media_down_and_low_power_still_cancel_writes(
    tap: ffi.Adapter, change: Callable[[ffi.Adapter], None]
) -> None:
    tap.set_paused(True)
    change(tap)
    assert tap.write(P.ipv4_frame(tap.mac, OTHER))[0] == ffi.CANCELLED
    assert tap.stats().rx_paused_drops == 0


# ---- 3. The masquerade answers only requests addressed to it ---------------------------------


@pytest.mark.parametrize("to", ["adapter", "other"])
def test_dhcp_request_unicast_elsewhere_goes_to_the_app(tap: ffi.Adapter, to: str) -> None:
    masq(tap)
    dst = tap.mac if to == "adapter" else OTHER
    frame = P.dhcp(tap.mac, "discover", eth_dst=P.mac_str(dst))
    assert tap.host_send(frame).action == ffi.QUEUED
    assert tap.read() == (ffi.SUCCESS, frame)


@pytest.mark.parametrize("to", ["broadcast", "server"])
def test_dhcp_request_to_broadcast_or_the_server_is_answered(tap: ffi.Adapter, to: str) -> None:
    masq(tap)
    dst = P.BCAST if to == "broadcast" else P.mac_str(server_mac(tap))
    assert tap.host_send(P.dhcp(tap.mac, "discover", eth_dst=dst)).action == ffi.REPLY


# ---- 4. Traffic to the server that it does not answer is consumed ----------------------------


def _consumed_cases(mac: bytes) -> dict[str, bytes]:
    good = P.dhcp(mac, "discover")
    cases: dict[str, bytes] = {}
    reply = bytearray(good)
    reply[UDP_BOOTP] = 2  # op BOOTREPLY
    cases["bootreply"] = bytes(reply)
    cases["no message type"] = refix(good[: UDP_BOOTP + 240] + b"\xff")
    cases["message type 0"] = refix(good[: UDP_BOOTP + 240] + bytes([53, 1, 0, 255]))
    cases["malformed message type"] = refix(good[: UDP_BOOTP + 240] + bytes([53, 2, 1, 1, 255]))
    cases["no options at all"] = refix(good[: UDP_BOOTP + 240])
    frag = P.Ether(good)
    frag[P.IP].frag = 8
    del frag[P.IP].chksum
    cases["fragment"] = bytes(frag)
    long_ip = bytearray(good)
    long_ip[16:18] = struct.pack(">H", len(good) - 14 + 1)
    cases["IP total length past the frame"] = bytes(long_ip)
    short_ip = bytearray(good)
    short_ip[16:18] = struct.pack(">H", 20 + 8 + 100)
    cases["IP total length short of the message"] = bytes(short_ip)
    return cases


@pytest.mark.parametrize("case", list(_consumed_cases(b"\0" * 6)))
def test_unanswered_traffic_to_the_server_is_consumed(tap: ffi.Adapter, case: str) -> None:
    masq(tap)
    res = tap.host_send(_consumed_cases(tap.mac)[case])
    assert res == ffi.SendResult(ffi.CONSUMED, b"")
    assert tap.queued() == (0, 0)


def test_port_67_traffic_is_not_consumed_before_masquerade(tap: ffi.Adapter) -> None:
    frames = _consumed_cases(tap.mac)
    for frame in frames.values():
        assert tap.host_send(frame).action == ffi.QUEUED
    assert tap.queued()[0] == len(frames)


# ---- 5. Status codes and byte counts ----------------------------------------------------------

CONFIG = [
    (ffi.CONFIG_POINT_TO_POINT, ip("10.8.0.6") + ip("10.8.0.5")),
    (ffi.SET_MEDIA_STATUS, struct.pack("<I", 1)),
    (ffi.CONFIG_DHCP_MASQ, ip(ADDR) + ip(MASK) + ip(SERVER) + struct.pack("<I", 60)),
    (ffi.CONFIG_DHCP_SET_OPT, bytes([15, 3]) + b"lan"),
    (ffi.CONFIG_TUN, ip("10.8.0.6") + ip("10.8.0.0") + ip("255.255.255.0")),
    (ffi.PRIORITY_BEHAVIOR, struct.pack("<I", 1)),
]
IDS = ["point-to-point", "media", "masq", "set-opt", "tun", "priority"]


@pytest.mark.parametrize(("code", "inp"), CONFIG, ids=IDS)
def test_short_ioctl_input_is_an_invalid_parameter(tap: ffi.Adapter, code: int, inp: bytes) -> None:
    masq(tap)
    short = inp[:-1] if code != ffi.CONFIG_DHCP_SET_OPT else None
    if short is not None:
        assert tap.ioctl(code, short, out_len=len(inp))[0] == ffi.INVALID_PARAMETER
        assert tap.returned == 0


def test_dhcp_set_opt_before_masq_is_an_invalid_parameter(tap: ffi.Adapter) -> None:
    assert tap.ioctl(ffi.CONFIG_DHCP_SET_OPT, CONFIG[3][1])[0] == ffi.INVALID_PARAMETER


@pytest.mark.parametrize(("code", "inp"), CONFIG, ids=IDS)
def test_configuration_ioctls_report_one_byte(tap: ffi.Adapter, code: int, inp: bytes) -> None:
    masq(tap)
    # METHOD_BUFFERED: the first byte of the system buffer (the input) is copied back.
    assert tap.ioctl(code, inp, out_len=len(inp), alias=True) == (ffi.SUCCESS, inp[:1])
    assert tap.returned == 1
    assert tap.ioctl(code, inp, out_len=len(inp)) == (ffi.SUCCESS, inp[:1])
    assert tap.ioctl(code, inp) == (ffi.SUCCESS, b"") and tap.returned == 1


def test_second_open_is_unsuccessful(make_adapter: Callable[..., ffi.Adapter]) -> None:
    ad = make_adapter()
    assert (ad.open(), ad.open()) == (ffi.SUCCESS, ffi.UNSUCCESSFUL)


def test_short_writes_are_buffer_too_small(tap: ffi.Adapter) -> None:
    assert tap.write(b"\0" * 13)[0] == ffi.BUFFER_TOO_SMALL
    assert tap.ioctl(ffi.CONFIG_TUN, CONFIG[4][1])[0] == ffi.SUCCESS
    assert tap.write(b"\x45" * 19)[0] == ffi.BUFFER_TOO_SMALL


def test_zero_length_read_is_an_invalid_parameter(tap: ffi.Adapter) -> None:
    assert tap.read(cap=0)[0] == ffi.INVALID_PARAMETER  # nothing queued: still not pending
    tap.host_send(P.ipv4_frame(OTHER, tap.mac))
    assert tap.read(cap=0)[0] == ffi.INVALID_PARAMETER
    assert tap.queued()[0] == 1


# ---- Kept, deliberately -----------------------------------------------------------------------


def test_dhcp_replies_follow_rfc2131_table_3(tap: ffi.Adapter) -> None:
    masq(tap)
    tap.host_send(P.dhcp(tap.mac, "discover"))
    req = bytearray(P.dhcp(tap.mac, "request", ciaddr=ADDR, flags=0x8000))
    req[UDP_BOOTP + 24 : UDP_BOOTP + 28] = ip("10.3.0.254")  # giaddr
    req[UDP_BOOTP + 34 : UDP_BOOTP + 44] = bytes(range(1, 11))  # the rest of chaddr
    res = tap.host_send(refix(req))
    b = res.reply[UDP_BOOTP:]
    assert res.action == ffi.REPLY and b[242] == 5  # an ACK
    assert b[20:24] == ip(SERVER)  # siaddr
    assert b[10:12] == b"\x80\x00"  # flags
    assert b[12:16] == ip(ADDR)  # ciaddr
    assert b[24:28] == ip("10.3.0.254")  # giaddr
    assert b[28:44] == tap.mac + bytes(range(1, 11))  # chaddr


@pytest.mark.parametrize("kw", [{"requested": "10.3.0.8"}, {}])
def test_request_for_another_or_no_address_is_naked(tap: ffi.Adapter, kw: dict[str, Any]) -> None:
    masq(tap)
    tap.host_send(P.dhcp(tap.mac, "discover"))
    assert tap.host_send(P.dhcp(tap.mac, "request", **kw)).reply[UDP_BOOTP + 242] == 6


def test_bad_requests_and_history_reset_by_discover_and_masq(tap: ffi.Adapter) -> None:
    masq(tap)
    tap.host_send(P.dhcp(tap.mac, "discover"))
    for _ in range(3):
        tap.host_send(P.dhcp(tap.mac, "request", requested="10.3.0.99"))
    good = P.dhcp(tap.mac, "request", requested=ADDR)
    assert tap.host_send(good).reply[UDP_BOOTP + 242] == 6  # three bad ones: NAK
    tap.host_send(P.dhcp(tap.mac, "discover"))
    assert tap.host_send(good).reply[UDP_BOOTP + 242] == 5  # reset by the DISCOVER
    masq(tap)
    assert tap.host_send(good).reply[UDP_BOOTP + 242] == 6  # MASQ forgets the DISCOVER


@pytest.mark.parametrize("field", ["cookie", "htype", "MF", "UDP length"])
def test_request_answered_only_when_valid(tap: ffi.Adapter, field: str) -> None:
    masq(tap)
    frame = bytearray(P.dhcp(tap.mac, "discover"))
    if field == "cookie":
        frame[UDP_BOOTP + 236] ^= 1
    elif field == "htype":
        frame[UDP_BOOTP + 1] = 6
    elif field == "MF":
        frame[14 + 6] |= 0x20
    else:
        frame[14 + 20 + 4 : 14 + 20 + 6] = struct.pack(">H", 7)
    assert tap.host_send(bytes(frame)).action == ffi.CONSUMED


def test_request_with_an_ethernet_trailer_is_answered(tap: ffi.Adapter) -> None:
    masq(tap)
    assert tap.host_send(P.dhcp(tap.mac, "discover") + bytes(6)).action == ffi.REPLY


def test_priority_tagging_comes_after_arp_and_dhcp(tap: ffi.Adapter) -> None:
    masq(tap)
    tap.ioctl(ffi.PRIORITY_BEHAVIOR, struct.pack("<I", 2))
    res = tap.host_send(P.dhcp(tap.mac, "discover"), priority=5, vlan_id=7)
    assert res.action == ffi.REPLY and res.reply[12:14] == b"\x08\x00"  # untagged reply
    res = tap.host_send(P.arp_request(tap.mac, ADDR, SERVER), priority=5)
    assert res.action == ffi.REPLY
    tap.host_send(P.ipv4_frame(OTHER, tap.mac), priority=5, vlan_id=7)
    assert tap.read()[1][12:16] == b"\x81\x00\xa0\x07"  # other frames are tagged


def test_padded_arp_and_unicast_rechecks_are_answered(tap: ffi.Adapter) -> None:
    tap.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"))
    req = P.arp_request(tap.mac, "10.8.0.2", "10.8.0.1")
    assert tap.host_send(req + bytes(18)).action == ffi.REPLY
    unicast = P.arp_request(tap.mac, "10.8.0.2", "10.8.0.1", dst=P.mac_str(tap.peer))
    assert tap.host_send(unicast).action == ffi.REPLY


def test_solicitations_failing_rfc4861_are_not_answered(tap: ffi.Adapter) -> None:
    tap.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"))
    assert tap.host_send(P.neighbor_solicit(tap.mac, hlim=64)).action != ffi.REPLY
    bad = bytearray(P.neighbor_solicit(tap.mac))
    bad[14 + 40 + 2] ^= 0xFF  # checksum
    assert tap.host_send(bytes(bad)).action != ffi.REPLY


def test_dad_probe_is_answered_to_all_nodes(tap: ffi.Adapter) -> None:
    tap.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"))
    res = tap.host_send(P.neighbor_solicit(tap.mac, src_ip="::"))
    assert res.action == ffi.REPLY and P.Ether(res.reply)[P.IPv6].dst == "ff02::1"


def test_config_tun_again_refreshes_server_mac_and_arp(tap: ffi.Adapter) -> None:
    masq(tap)
    tap.ioctl(ffi.CONFIG_TUN, ip(ADDR) + ip("10.3.0.0") + ip(MASK))
    assert tap.dhcp_server_mac() == tap.peer
    tap.ioctl(ffi.CONFIG_TUN, ip(ADDR) + ip("10.4.0.0") + ip(MASK))
    assert tap.dhcp_server_mac() == server_mac(tap)
    assert tap.host_send(P.arp_request(tap.mac, ADDR, "10.4.0.1")).action == ffi.REPLY
    assert tap.host_send(P.arp_request(tap.mac, ADDR, "10.5.0.1")).action != ffi.REPLY


def test_refused_config_tun_keeps_the_previous_mode(tap: ffi.Adapter) -> None:
    bad = ip("10.8.0.2") + ip("10.8.0.1") + ip("255.255.255.0")
    assert tap.ioctl(ffi.CONFIG_TUN, bad)[0] == ffi.INVALID_PARAMETER
    assert "Mode=tap" in tap.info()
    tap.ioctl(ffi.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"))
    assert tap.ioctl(ffi.CONFIG_TUN, bad)[0] == ffi.INVALID_PARAMETER
    assert "Mode=tun" in tap.info()
    assert tap.host_send(P.arp_request(tap.mac, "10.8.0.2", "10.8.0.1")).action == ffi.REPLY


def test_set_media_status_takes_the_whole_ulong(make_adapter: Callable[..., ffi.Adapter]) -> None:
    ad = make_adapter()
    assert ad.ioctl(ffi.SET_MEDIA_STATUS, struct.pack("<I", 0x100))[0] == ffi.SUCCESS
    assert ad.media()


def test_lower_mtu_does_not_refuse_full_size_host_frames(
    make_adapter: Callable[..., ffi.Adapter],
) -> None:
    ad = make_adapter(mtu=576).start()
    assert ad.ioctl(ffi.GET_MTU, out_len=4)[1] == struct.pack("<I", 576)
    assert ad.host_send(P.ipv4_frame(OTHER, ad.mac, 1500 - 28)).action == ffi.QUEUED


# ---- The page itself ---------------------------------------------------------------------------


def test_compatibility_page_names_existing_tests() -> None:
    """Every test docs/compatibility.md names exists, in the file it names."""
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "compatibility.md").read_text()
    defined: dict[str, set[str]] = {}
    for path in (root / "tests").rglob("test_*.py"):
        tests = set(re.findall(r"^def (test_\w+)", path.read_text(), re.MULTILINE))
        defined[path.name] = tests
        defined[str(path.relative_to(root))] = tests
    everywhere: set[str] = set().union(*defined.values())
    refs = re.findall(r"`((?:[\w/]+\.py::)?test_\w+)`", page)
    assert len(refs) > 30
    for ref in refs:
        where, _, name = ref.rpartition("::")
        assert name in (defined.get(where, set()) if where else everywhere), ref
    for name in re.findall(r"sim: `(test_\w+)`", page):
        assert name in defined["tests/simulator/test_compat.py"], name
    for where in re.findall(r"`((?:tests/)?[\w/]*test_\w+\.py)`", page):
        assert where in defined or (root / where).is_file(), where
