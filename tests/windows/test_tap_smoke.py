"""The smoke script's parts that need no Windows: the ICMP echo responder (checked against
scapy, an independent implementation), the TUN configuration it sends, GET_VERSION parsing,
and its refusals (bad arguments, not Windows). The script itself runs on Windows only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tap_smoke
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.packet import Raw

SCRIPT = Path(__file__).with_name("tap_smoke.py")
LOCAL, PEER = "10.254.254.2", "10.254.254.1"
PEER_BYTES = bytes([10, 254, 254, 1])


def request(**ip: Any) -> Any:
    fields = {"src": LOCAL, "dst": PEER, "ttl": 128, "id": 0x1234, **ip}
    return IP(**fields) / ICMP(type=8, id=0x0001, seq=7) / Raw(b"abcdefghijklmnopqrstuvwabcdefghi")


def recomputed(pkt: Any) -> Any:
    """The same packet with scapy's own checksums."""
    fresh = pkt.copy()
    del fresh.chksum
    del fresh[ICMP].chksum
    return IP(bytes(fresh))


@pytest.mark.parametrize("options", [False, True])
def test_echo_reply_is_valid(options: bool) -> None:
    req = request(options=[b"\x01\x01\x01\x00"] if options else [])  # NOPs, end of list
    reply = tap_smoke.echo_reply(bytes(req), PEER_BYTES)
    assert reply is not None
    pkt = IP(reply)
    assert (pkt.src, pkt.dst, pkt.ihl, pkt.len) == (PEER, LOCAL, 5, len(reply))
    assert pkt[ICMP].type == 0 and pkt[ICMP].code == 0
    assert (pkt[ICMP].id, pkt[ICMP].seq) == (1, 7)
    assert bytes(pkt[ICMP].payload) == b"abcdefghijklmnopqrstuvwabcdefghi"
    fresh = recomputed(pkt)
    assert (pkt.chksum, pkt[ICMP].chksum) == (fresh.chksum, fresh[ICMP].chksum)


def test_echo_reply_ignores_the_rest() -> None:
    good = bytes(request())
    bad_icmp_sum = bytearray(good)
    bad_icmp_sum[22] ^= 0xFF
    others = [
        bytes(request(dst="10.254.254.3")),  # not for the peer
        bytes(IP(src=LOCAL, dst=PEER) / ICMP(type=0) / Raw(b"x")),  # a reply
        bytes(IP(src=LOCAL, dst=PEER) / UDP(sport=1, dport=2) / Raw(b"x")),
        bytes(request(flags="MF")),  # a fragment
        bytes(request(frag=10)),
        bytes(IPv6(src="fd00::2", dst="fd00::1") / ICMPv6EchoRequest()),
        bytes(bad_icmp_sum),
        good[:27],  # truncated below its ICMP header
        good[:-1],  # shorter than its total length
        b"",
    ]
    for packet in others:
        assert tap_smoke.echo_reply(packet, PEER_BYTES) is None, packet.hex()


def test_tun_config() -> None:
    config, peer = tap_smoke.tun_config(LOCAL, PEER)
    assert config == bytes([10, 254, 254, 2, 10, 254, 254, 0, 255, 255, 255, 0])
    assert peer == PEER_BYTES
    for bad_peer in ("10.254.253.1", LOCAL, "10.254.254.0", "10.254.254.255"):
        with pytest.raises(
            tap_smoke.SmokeError, match=r"must be another host of 10\.254\.254\.0/24"
        ):
            tap_smoke.tun_config(LOCAL, bad_peer)


def test_version_and_info() -> None:
    data = (9).to_bytes(4, "little") + (27).to_bytes(4, "little") + (1).to_bytes(4, "little")
    assert tap_smoke.version_text(data) == (9, 27, True)
    with pytest.raises(tap_smoke.SmokeError, match="returned 8 bytes, expected 12"):
        tap_smoke.version_text(data[:8])
    assert tap_smoke.info_text(b"State=open,connected\0junk") == "State=open,connected"
    assert tap_smoke.ctl_code(2) == tap_smoke.GET_VERSION == 0x220008
    assert (tap_smoke.SET_MEDIA_STATUS, tap_smoke.CONFIG_TUN) == (0x220018, 0x220028)


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_bad_arguments_are_one_line() -> None:
    proc = script("--peer", "192.168.1.1")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "tap_smoke: --peer 192.168.1.1: must be another host of 10.254.254.0/24 (the --local /24)"
    ]
    proc = script("--local", "not-an-address")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="the refusal off Windows")
def test_refuses_off_windows() -> None:
    proc = script()
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "tap_smoke: runs on Windows only, with the driver installed (see docs/testing.md)"
    ]
