"""What applications see through the real driver, where the NDIS glue decides, matching
TAP-Windows6 9.x (docs/compatibility.md): the I/O manager's byte counts of the configuration
IOCTLs, the second open, zero-length reads, short writes, writes while paused, "Always
Connected", and the packet filter applied to the driver's own replies."""

from __future__ import annotations

import pytest
from simrun import (
    MEDIA_DISCONNECTED,
    PERMANENT_MAC,
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

REMOTE = bytes.fromhex("020000000001")
OID_GEN_CURRENT_PACKET_FILTER = 0x0001010E
OID_GEN_RCV_OK = 0x00020102
OID_GEN_RCV_DISCARDS = 0x0002021B
DIRECTED, BROADCAST = 0x1, 0x8

CONFIG = [
    (core.CONFIG_POINT_TO_POINT, ip("10.8.0.6") + ip("10.8.0.5")),
    (core.SET_MEDIA_STATUS, u32(1)),
    (core.CONFIG_DHCP_MASQ, ip("10.8.0.6") + ip("255.255.255.0") + ip("10.8.0.1") + u32(60)),
    (core.CONFIG_DHCP_SET_OPT, bytes([6, 4]) + ip("10.8.0.1")),
    (core.CONFIG_TUN, ip("10.8.0.6") + ip("10.8.0.0") + ip("255.255.255.0")),
    (core.PRIORITY_BEHAVIOR, u32(2)),
]


@pytest.mark.parametrize(
    ("code", "inp"), CONFIG, ids=["point-to-point", "media", "masq", "set-opt", "tun", "priority"]
)
def test_configuration_ioctls_return_one_byte(sim: Simulator, code: int, inp: bytes) -> None:
    """Information 1: the I/O manager copies the system buffer's first byte (the caller's
    first input byte) to an output buffer; without one it only reports the count."""
    masq = CONFIG[2]
    run = sim.run(
        [*opened(), ioctl("h1", masq[0], masq[1], name="masq"),
         ioctl("h1", code, inp, out=len(inp), name="with"), ioctl("h1", code, inp, name="without"),
         *teardown("h1")]
    )  # fmt: skip
    with_out, without = run.irp("with"), run.irp("without")
    assert (with_out.int("status"), with_out.int("info"), with_out.data()) == (0, 1, inp[:1])
    assert (without.int("status"), without.int("info"), without.data()) == (0, 1, b"")


def test_short_ioctl_input_is_an_invalid_parameter(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), ioctl("h1", core.CONFIG_TUN, bytes(11), out=12, name="tun"),
         ioctl("h1", core.CONFIG_DHCP_SET_OPT, bytes(3), name="opt"), *teardown("h1")]
    )  # fmt: skip
    assert (run.irp("tun").int("status"), run.irp("tun").int("info")) == (
        core.INVALID_PARAMETER,
        0,
    )
    assert run.irp("opt").int("status") == core.INVALID_PARAMETER  # before CONFIG_DHCP_MASQ


def test_second_open_is_unsuccessful(sim: Simulator) -> None:
    run = sim.run([*setup(), "open h1", "open h2", "close h1", *teardown()])
    assert run.one("open", "h2").int("status") == core.UNSUCCESSFUL


def test_zero_length_read_fails_at_once(sim: Simulator) -> None:
    """Not queued behind a pending read: completed in the dispatch routine."""
    frame = packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=30)
    run = sim.run(
        [*opened(), "read h1 2000 r1", "read h1 0 r0", send(frame), *teardown("h1")]
    )  # fmt: skip
    assert not run.pending("r0")
    assert (run.irp("r0").int("status"), run.irp("r0").int("info")) == (core.INVALID_PARAMETER, 0)
    assert run.irp("r1").data() == frame


def test_short_writes_are_buffer_too_small(sim: Simulator) -> None:
    tun = ip("10.8.0.6") + ip("10.8.0.0") + ip("255.255.255.0")
    runt = bytes([0x45]) * 19
    run = sim.run(
        [*opened(), f"write h1 {bytes(13).hex()} w1", ioctl("h1", core.CONFIG_TUN, tun),
         f"write h1 {runt.hex()} w2", *teardown("h1")]
    )  # fmt: skip
    assert run.irp("w1").int("status") == core.BUFFER_TOO_SMALL
    assert run.irp("w2").int("status") == core.BUFFER_TOO_SMALL
    assert run.received() == []


def test_writes_while_paused_are_counted_receive_discards(sim: Simulator) -> None:
    written = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=50)
    run = sim.run(
        [*opened(), "pause", f"write h1 {written.hex()} w1", f"write h1 {written.hex()} w2",
         f"oid query 0x{OID_GEN_RCV_DISCARDS:08X} 8", "restart",
         f"write h1 {written.hex()} w3", f"oid query 0x{OID_GEN_RCV_OK:08X} 8",
         ioctl("h1", core.GET_INFO, out=256, name="info"), *teardown("h1")]
    )  # fmt: skip
    for name in ("w1", "w2"):
        assert (run.irp(name).int("status"), run.irp(name).int("info")) == (0, len(written))
    assert [e.data() for e in run.received()] == [written]  # only w3, after the restart
    (discards,) = [e for e in run.of("oid") if int(e.words[1], 16) == OID_GEN_RCV_DISCARDS]
    assert discards.data() == (2).to_bytes(8, "little")
    (rcv_ok,) = [e for e in run.of("oid") if int(e.words[1], 16) == OID_GEN_RCV_OK]
    assert rcv_ok.data() == (1).to_bytes(8, "little")
    assert b" RxDrop=2 " in run.irp("info").data()


def test_always_connected_ignores_a_disconnect(sim: Simulator) -> None:
    frame = packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=30)
    run = sim.run(
        [*setup(reg={"MediaStatus": "1"}), "open h1", "read h1 2000 r1",
         media("h1", False, name="off"), send(frame), *teardown("h1")]
    )  # fmt: skip
    assert (run.irp("off").int("status"), run.irp("off").int("info")) == (0, 1)
    assert MEDIA_DISCONNECTED not in [e.int("connect") for e in run.of("status", "link")]
    assert run.irp("r1").data() == frame  # the read was not cancelled


def test_packet_filter_applies_to_the_drivers_replies(sim: Simulator) -> None:
    """A broadcast DHCP offer is indicated only while the filter takes broadcasts."""
    masq = ip("10.8.0.6") + ip("255.255.255.0") + ip("10.8.0.1") + u32(60)
    discover = packets.dhcp(PERMANENT_MAC, "discover")
    run = sim.run(
        [*opened(), ioctl("h1", core.CONFIG_DHCP_MASQ, masq),
         f"oid set 0x{OID_GEN_CURRENT_PACKET_FILTER:08X} {u32(DIRECTED).hex()}", send(discover),
         f"oid set 0x{OID_GEN_CURRENT_PACKET_FILTER:08X} {u32(DIRECTED | BROADCAST).hex()}",
         send(discover), *teardown("h1")]
    )  # fmt: skip
    offers = run.received()
    assert len(offers) == 1 and offers[0].data()[:6] == b"\xff" * 6
