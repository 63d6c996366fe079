"""Edges an application or the system can push the driver to: empty and oversized buffers,
missing system buffers, requests in odd states (surprise removal, low power, pause), registry
values of the other type, and handles that outlive their adapter."""

from __future__ import annotations

import pytest
from simrun import (
    OBJECT_NAME_NOT_FOUND,
    PERMANENT_MAC,
    Simulator,
    core,
    ioctl,
    opened,
    packets,
    send,
    setup,
    teardown,
    u32,
)

pytestmark = [pytest.mark.tool("wine")]

REMOTE = bytes.fromhex("020000000001")
OID_PNP_SET_POWER = 0xFD010101
OID_GEN_VENDOR_ID = 0x0001010C


def test_empty_and_tiny_buffers(sim: Simulator) -> None:
    frame = packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=20)
    run = sim.run(
        [*opened(), "write h1 - w0", "read h1 0 r0", send(frame), "read h1 1 r1",
         ioctl("h1", core.GET_MAC, name="mac0"), ioctl("h1", core.SET_MEDIA_STATUS, name="media0"),
         "read h1 2000 r2", *teardown("h1")]
    )  # fmt: skip
    assert run.irp("w0").int("status") == core.INVALID_PARAMETER
    assert run.irp("r0").int("status") == core.INVALID_PARAMETER  # as 9.x
    assert run.irp("r1").int("status") == core.BUFFER_TOO_SMALL
    assert run.irp("mac0").int("status") == core.BUFFER_TOO_SMALL
    assert run.irp("media0").int("status") == core.INVALID_PARAMETER  # short input, as 9.x
    assert run.irp("r2").data() == frame


@pytest.mark.parametrize(
    ("payload", "tagged", "ok"),
    [(1500, False, True), (1501, False, False), (1500, True, True), (1501, True, False)],
)
def test_write_sizes(sim: Simulator, payload: int, tagged: bool, ok: bool) -> None:
    frame = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=payload - 20)
    if tagged:
        frame = packets.tagged(frame, prio=1, vlan=2)
    run = sim.run([*opened(), f"write h1 {frame.hex()} w1", *teardown("h1")])
    status = run.irp("w1").int("status")
    assert (status == core.SUCCESS) == ok, hex(status)
    assert len(run.of("recv")) == (1 if ok else 0)


def test_oversized_write(sim: Simulator) -> None:
    run = sim.run([*opened(), f"write h1 {bytes(8000).hex()} w1", *teardown("h1")])
    assert run.irp("w1").int("status") == core.INVALID_PARAMETER


def test_registry_values_as_dwords(sim: Simulator) -> None:
    """The INF writes strings; a DWORD of the same name means the same."""
    run = sim.run(
        [*setup(reg={"MTU": 1280, "MediaStatus": 1, "AllowNonAdmin": 0}), "open u1 user",
         *teardown()]
    )  # fmt: skip
    general = run.one("attributes", "general")
    assert (general.int("mtu"), general.fields["connect"]) == (1280, "1")
    assert run.one("open", "u1").int("status") == core.ACCESS_DENIED


def test_surprise_removal_with_reads_pending(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "read h1 2000 r1", "pnp surprise-removed", "halt", "close h1", "unload"]
    )  # fmt: skip
    assert run.irp("r1").int("status") == core.CANCELLED


def test_requests_while_in_low_power(sim: Simulator) -> None:
    frame = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=30)
    d3 = f"oid set 0x{OID_PNP_SET_POWER:08X} {u32(4).hex()}"
    run = sim.run(
        [*opened(), d3, f"write h1 {frame.hex()} w1", ioctl("h1", core.GET_MTU, out=4, name="mtu"),
         "close h1", "open h2", *teardown("h2")]
    )  # fmt: skip
    assert run.irp("w1").int("status") == core.CANCELLED
    assert run.irp("mtu").data() == u32(1500)  # configuration stays reachable
    assert run.one("open", "h2").int("status") == core.SUCCESS


def test_oids_while_paused(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "pause", f"oid query 0x{OID_GEN_VENDOR_ID:08X} 4",
         f"oid query 0x{OID_GEN_VENDOR_ID:08X} 4 direct", "restart", *teardown("h1")]
    )  # fmt: skip
    assert [e.int("status") for e in run.of("oid", "query")] == [core.SUCCESS] * 2


def test_device_gone_after_halt(sim: Simulator) -> None:
    run = sim.run([*setup(), "halt", "open h1", "unload"])
    assert run.one("open", "h1").int("status") == OBJECT_NAME_NOT_FOUND


def test_cancel_during_pause(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "read h1 2000 r1", "pause", "cancel r1", "restart", *teardown("h1")]
    )  # fmt: skip
    assert run.irp("r1").int("status") == core.CANCELLED


def test_reads_at_dispatch_level_sends_and_passive_returns(sim: Simulator) -> None:
    frames = [packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=n) for n in (50, 60)]
    written = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=70)
    run = sim.run(
        ["set return-irql passive", *opened(), "read h1 2000 r1", "read h1 2000 r2",
         send(*frames, options="dispatch split=9"), f"write h1 {written.hex()} w1",
         *teardown("h1")]
    )  # fmt: skip
    assert [run.irp(n).data() for n in ("r1", "r2")] == frames
    assert run.one("recv").data() == written
