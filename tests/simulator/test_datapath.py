"""Packets through the driver under the simulator: host sends to pending and later reads (TAP
and TUN), application writes to receive indications (padding, 802.1Q), the driver's own ARP,
DHCP and neighbour replies, and sends in every shape a protocol driver may build them."""

from __future__ import annotations

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import ICMPv6ND_NA
from scapy.layers.l2 import ARP, Dot1Q, Ether
from simrun import (
    NDIS_STATUS_MEDIA_DISCONNECTED,
    PERMANENT_MAC,
    SimRun,
    Simulator,
    core,
    ioctl,
    ip,
    media,
    opened,
    packets,
    send,
    setup,
    teardown,
    u32,
)

pytestmark = [pytest.mark.tool("wine")]

ADAPTER = PERMANENT_MAC
PEER = ADAPTER[:2] + bytes([ADAPTER[2] + 1]) + ADAPTER[3:]  # TUN: byte 2 + 1
REMOTE = bytes.fromhex("020000000001")
TUN = ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0")


def host_frame(size: int = 64, dst: bytes = REMOTE) -> bytes:
    return bytes(packets.ipv4_frame(dst, ADAPTER, payload_len=size))


def completions(run: SimRun) -> list[int]:
    return [e.int("status") for e in run.of("send-complete")]


def test_host_send_completes_a_pending_read(sim: Simulator) -> None:
    frame = host_frame()
    run = sim.run([*opened(), "read h1 2000 r1", send(frame), *teardown("h1")])
    assert run.pending("r1")
    done = run.irp("r1")
    assert done.int("status") == core.SUCCESS
    assert done.data() == frame
    assert completions(run) == [core.SUCCESS]


def test_queued_frames_are_read_in_order(sim: Simulator) -> None:
    frames = [host_frame(size) for size in (46, 100, 1500 - 20)]
    run = sim.run(
        [*opened(), send(*frames), *(f"read h1 1600 r{i}" for i in range(3)), *teardown("h1")]
    )  # fmt: skip
    assert [run.irp(f"r{i}").data() for i in range(3)] == frames
    assert completions(run) == [core.SUCCESS] * 3


def test_short_read_buffer_keeps_the_frame(sim: Simulator) -> None:
    """Upstream bug: a read smaller than the frame lost it."""
    frame = host_frame()
    run = sim.run([*opened(), send(frame), "read h1 50 r1", "read h1 2000 r2", *teardown("h1")])
    assert run.irp("r1").int("status") == core.BUFFER_TOO_SMALL
    assert run.irp("r1").int("info") == 0
    assert run.irp("r2").data() == frame


@pytest.mark.parametrize(
    "options",
    ["", "split=7", "offset=5 split=13", "offset=100", "unmapped", "unmapped split=20", "dispatch",
     "dispatch split=1", "one-nbl"],
)  # fmt: skip
def test_sends_of_every_shape(sim: Simulator, options: str) -> None:
    """MDL chains split anywhere, data offsets, unmapped MDLs, DISPATCH_LEVEL sends, several
    NET_BUFFERs in one list: the frames read back intact and every list completes once."""
    frames = [host_frame(size) for size in (46, 64, 333)]
    run = sim.run(
        [*opened(), send(*frames, options=options), *(f"read h1 2000 r{i}" for i in range(3)),
         *teardown("h1")]
    )  # fmt: skip
    assert [run.irp(f"r{i}").data() for i in range(3)] == frames
    assert completions(run) == [core.SUCCESS] * (1 if "one-nbl" in options else 3)


def test_sends_without_a_handle_complete_and_drop(sim: Simulator) -> None:
    run = sim.run(
        [*setup(), send(host_frame(), host_frame()), "open h1", media("h1", True),
         "read h1 2000 r1", *teardown("h1")]
    )  # fmt: skip
    assert completions(run) == [core.SUCCESS] * 2
    assert run.pending("r1")  # nothing was queued; the close cancels it
    assert run.irp("r1").int("status") == core.CANCELLED


def test_sends_with_media_disconnected(sim: Simulator) -> None:
    run = sim.run([*opened(connect=False), send(host_frame()), *teardown("h1")])
    assert completions(run) == [NDIS_STATUS_MEDIA_DISCONNECTED]


def test_tun_host_to_application(sim: Simulator) -> None:
    to_peer = packets.ipv4_frame(PEER, ADAPTER, payload_len=80)
    elsewhere = packets.ipv4_frame(REMOTE, ADAPTER, payload_len=80)
    run = sim.run(
        [*opened(), ioctl("h1", core.CONFIG_TUN, TUN, name="tun"), "read h1 2000 r1",
         send(elsewhere), send(to_peer), *teardown("h1")]
    )  # fmt: skip
    assert run.irp("r1").data() == to_peer[14:]  # the Ethernet header stripped
    assert completions(run) == [core.SUCCESS, core.SUCCESS]


def test_write_is_indicated_padded_to_60(sim: Simulator) -> None:
    frame = bytes(Ether(dst=packets.mac_str(ADAPTER), src="02:00:00:00:00:01", type=0x88B5)) + b"x"
    run = sim.run([*opened(), f"write h1 {frame.hex()} w1", *teardown("h1")])
    assert run.irp("w1").int("status") == core.SUCCESS
    assert run.irp("w1").int("info") == len(frame)
    recv = run.one("recv")
    assert recv.int("len") == 60
    assert recv.data() == frame + bytes(60 - len(frame))
    assert recv.fields["source"] == "adapter"
    assert run.of("return")  # NDIS gave the list back


def test_write_moves_the_8021q_tag_into_metadata(sim: Simulator) -> None:
    inner = packets.ipv4_frame(ADAPTER, REMOTE, payload_len=100)
    frame = packets.tagged(inner, prio=5, vlan=0x123)
    run = sim.run([*opened(), f"write h1 {frame.hex()} w1", *teardown("h1")])
    recv = run.one("recv")
    assert recv.data() == inner
    assert (recv.int("priority"), recv.int("vlan")) == (5, 0x123)


@pytest.mark.parametrize(
    ("behavior", "priority", "vlan", "tagged"),
    [(0, 3, 5, False), (1, 3, 5, True), (1, 0, 0, False), (2, 0, 0, True)],
)
def test_reads_tag_by_priority_behavior(
    sim: Simulator, behavior: int, priority: int, vlan: int, tagged: bool
) -> None:
    frame = host_frame()
    run = sim.run(
        [*opened(), ioctl("h1", core.PRIORITY_BEHAVIOR, u32(behavior), name="prio"),
         send(frame, options=f"vlan={vlan} priority={priority}"), "read h1 2000 r1",
         *teardown("h1")]
    )  # fmt: skip
    data = run.irp("r1").data()
    if tagged:
        tag = Ether(data)[Dot1Q]
        assert (tag.prio, tag.vlan) == (priority, vlan)  # network byte order (upstream bug)
        assert packets.tagged(frame, priority, vlan) == data
    else:
        assert data == frame


def test_tun_write_gets_an_ethernet_header(sim: Simulator) -> None:
    packet = bytes(IP(src="10.8.0.1", dst="10.8.0.2") / UDP(sport=1, dport=2) / b"hi")  # type: ignore[operator]
    run = sim.run(
        [*opened(), ioctl("h1", core.CONFIG_TUN, TUN, name="tun"), f"write h1 {packet.hex()} w1",
         *teardown("h1")]
    )  # fmt: skip
    data = run.one("recv").data()
    assert data[:14] == ADAPTER + PEER + b"\x08\x00"
    assert data[14 : 14 + len(packet)] == packet
    assert len(data) == 60


def test_arp_reply_in_tun_mode(sim: Simulator) -> None:
    request = packets.arp_request(ADAPTER, "10.8.0.2", "10.8.0.1")
    run = sim.run(
        [*opened(), ioctl("h1", core.CONFIG_TUN, TUN, name="tun"), "read h1 2000 r1",
         send(request), *teardown("h1")]
    )  # fmt: skip
    reply = Ether(run.one("recv").data())
    assert reply[ARP].op == 2
    assert reply[ARP].hwsrc == packets.mac_str(PEER)
    assert (reply[ARP].psrc, reply[ARP].pdst) == ("10.8.0.1", "10.8.0.2")
    assert completions(run) == [core.SUCCESS]
    assert run.irp("r1").int("status") == core.CANCELLED  # answered, not passed on


def test_dhcp_masquerade(sim: Simulator) -> None:
    masq = ip("10.8.0.2") + ip("255.255.255.0") + ip("10.8.0.254") + u32(3600)
    discover = packets.dhcp(ADAPTER, "discover")
    request = packets.dhcp(ADAPTER, "request", requested="10.8.0.2", server_id="10.8.0.254")
    run = sim.run(
        [*opened(), ioctl("h1", core.CONFIG_DHCP_MASQ, masq, name="masq"),
         ioctl("h1", core.CONFIG_DHCP_SET_OPT, bytes([6, 4]) + ip("10.8.0.1"), name="opt"),
         send(discover), send(request), *teardown("h1")]
    )  # fmt: skip
    offer, ack = (Ether(e.data()) for e in run.of("recv"))
    for reply, kind in ((offer, 2), (ack, 5)):
        assert reply[UDP].sport == 67 and reply[UDP].dport == 68
        assert reply[BOOTP].yiaddr == "10.8.0.2"
        options: dict[str, object] = dict(o for o in reply[DHCP].options if isinstance(o, tuple))
        assert options["message-type"] == kind
        assert options["server_id"] == "10.8.0.254"
        assert options["name_server"] == "10.8.0.1"
    assert completions(run) == [core.SUCCESS, core.SUCCESS]


def test_neighbour_advertisement_in_tun_mode(sim: Simulator) -> None:
    solicit = packets.neighbor_solicit(ADAPTER)
    run = sim.run(
        [*opened(), ioctl("h1", core.CONFIG_TUN, TUN, name="tun"), send(solicit), *teardown("h1")]
    )  # fmt: skip
    advert = Ether(run.one("recv").data())
    assert advert[ICMPv6ND_NA].tgt == "fe80::8"
    assert advert.src == packets.mac_str(PEER)


def test_writes_need_the_media_connected(sim: Simulator) -> None:
    frame = host_frame()
    run = sim.run([*opened(connect=False), f"write h1 {frame.hex()} w1", *teardown("h1")])
    assert run.irp("w1").int("status") == core.CANCELLED
    assert not run.received()


def test_malformed_writes_are_refused(sim: Simulator) -> None:
    version5 = bytes([0x50]) + bytes(30)
    run = sim.run(
        [*opened(), "write h1 00112233445566778899aabbcc w1",
         ioctl("h1", core.CONFIG_TUN, TUN, name="tun"), f"write h1 {bytes(19).hex()} w2",
         f"write h1 {version5.hex()} w3", *teardown("h1")]
    )  # fmt: skip
    assert run.irp("w1").int("status") == core.BUFFER_TOO_SMALL  # 13 bytes, as 9.x
    assert run.irp("w2").int("status") == core.BUFFER_TOO_SMALL  # 19 bytes in TUN mode
    assert run.irp("w3").int("status") == core.INVALID_PARAMETER  # neither IPv4 nor IPv6
    assert not run.received()
