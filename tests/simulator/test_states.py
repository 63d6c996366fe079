"""State changes with work in flight: media toggles and their link-state indications, pause
and restart with reads pending and receives outstanding, cancellation, closing with frames
queued, halting with IRPs pending, power transitions."""

from __future__ import annotations

import pytest
from simrun import (
    MEDIA_CONNECTED,
    MEDIA_DISCONNECTED,
    NDIS_STATUS_LOW_POWER_STATE,
    PERMANENT_MAC,
    SimRun,
    Simulator,
    core,
    ioctl,
    media,
    opened,
    packets,
    send,
    setup,
    teardown,
    u32,
)

pytestmark = [pytest.mark.tool("wine")]

OID_PNP_SET_POWER = 0xFD010101
D0, D3 = 1, 4  # NDIS_DEVICE_POWER_STATE: NdisDeviceStateD0, NdisDeviceStateD3
REMOTE = bytes.fromhex("020000000001")


def frame(size: int = 64) -> bytes:
    return bytes(packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=size))


def write_frame() -> bytes:
    return bytes(packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=40))


def links(run: SimRun) -> list[int]:
    return [e.int("connect") for e in run.of("status", "link")]


def test_media_toggles_indicate_link_state(sim: Simulator) -> None:
    run = sim.run(
        [*opened(connect=False), media("h1", True, "on1"), media("h1", True, "on2"),
         media("h1", False, "off1"), media("h1", True, "on3"), *teardown("h1")]
    )  # fmt: skip
    # A change each (none for the repeated "on"); closing the handle disconnects.
    assert links(run) == [MEDIA_CONNECTED, MEDIA_DISCONNECTED, MEDIA_CONNECTED, MEDIA_DISCONNECTED]
    for e in run.of("status", "link"):
        assert e.int("xmit") == e.int("rcv") == 1_000_000_000
        assert e.fields["duplex"] == "2"  # MediaDuplexStateFull


def test_always_connected_ignores_close(sim: Simulator) -> None:
    run = sim.run([*opened(reg={"MediaStatus": "1"}, connect=False), *teardown("h1")])
    assert links(run) == []


def test_media_off_cancels_pending_reads(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "read h1 2000 r1", media("h1", False, "off"), "read h1 2000 r2",
         *teardown("h1")]
    )  # fmt: skip
    assert run.pending("r1")
    assert run.irp("r1").int("status") == core.CANCELLED
    assert run.irp("r2").int("status") == core.CANCELLED


def test_cancel_a_pending_read(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "read h1 2000 r1", "read h1 2000 r2", "cancel r1", send(frame()),
         *teardown("h1")]
    )  # fmt: skip
    assert run.one("cancel", "r1").fields["result"] == "completed"
    assert run.irp("r1").int("status") == core.CANCELLED
    assert run.irp("r2").data() == frame()  # the queue goes on with the next read


def test_cancel_after_completion_is_harmless(sim: Simulator) -> None:
    run = sim.run([*opened(), "read h1 2000 r1", send(frame()), "cancel r1", *teardown("h1")])
    assert run.one("cancel", "r1").fields["result"] == "not-pending"
    assert run.irp("r1").data() == frame()


def test_close_with_pending_reads_and_queued_frames(sim: Simulator) -> None:
    """Closing cancels pending reads and drops what was queued; the next open starts empty."""
    run = sim.run(
        [*opened(), "read h1 2000 r1", "close h1", "open h2", media("h2", True), send(frame(99)),
         "read h2 2000 r2", "read h2 2000 r3", "close h2", "open h3", media("h3", True),
         "read h3 2000 r4", *teardown("h3")]
    )  # fmt: skip
    assert run.irp("r1").int("status") == core.CANCELLED
    assert run.irp("r2").data() == frame(99)
    assert run.irp("r3").int("status") == core.CANCELLED  # pending at the second close
    assert run.pending("r4")  # nothing left from h2's queue
    assert run.irp("r4").int("status") == core.CANCELLED


def test_close_with_frames_queued(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), send(frame(1), frame(2), frame(3)), "close h1", "open h2", media("h2", True),
         "read h2 2000 r1", *teardown("h2")]
    )  # fmt: skip
    assert [e.int("status") for e in run.of("send-complete")] == [core.SUCCESS] * 3
    assert run.pending("r1")


def test_pause_and_restart_with_reads_pending(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "read h1 2000 r1", "pause", f"write h1 {write_frame().hex()} w1",
         send(frame()), "restart", send(frame(77)), *teardown("h1")]
    )  # fmt: skip
    assert run.pending("r1")
    assert run.of("pause")[0].int("status") == core.SUCCESS
    # As 9.x: accepted and dropped (no indications while paused).
    w1 = run.irp("w1")
    assert (w1.int("status"), w1.int("info")) == (core.SUCCESS, len(write_frame()))
    assert run.received() == []
    assert run.one("send", "refused")  # NDIS holds sends back from a paused miniport
    assert run.irp("r1").data() == frame(77)  # the read survived the pause


def test_pause_waits_for_outstanding_receives(sim: Simulator) -> None:
    """With NDIS holding indicated lists, pause pends until they come back."""
    run = sim.run(
        [*opened(), "hold on", f"write h1 {write_frame().hex()} w1",
         f"write h1 {write_frame().hex()} w2", "pause", "hold off", "restart",
         f"write h1 {write_frame().hex()} w3", *teardown("h1")]
    )  # fmt: skip
    watched = ("recv", "return", "pause", "pause-complete", "restart")
    kinds = [e.kind for e in run.events if e.kind in watched]
    kinds = kinds[kinds.index("recv") :]  # from the first write on
    assert kinds[: kinds.index("restart") + 3] == [
        "recv", "recv", "pause", "return", "return", "pause-complete", "restart", "recv", "return"
    ]  # fmt: skip
    assert run.of("pause")[0].int("status") == core.PENDING


def test_synchronous_returns(sim: Simulator) -> None:
    """The protocol returns each list inside the indication: writes, the driver's own replies
    and a pause all cope (no lock held across an indication)."""
    arp = packets.arp_request(PERMANENT_MAC, "10.8.0.2", "10.8.0.1")
    tun = ioctl("h1", core.CONFIG_TUN, bytes([10, 8, 0, 2, 10, 8, 0, 0, 255, 255, 255, 0]))
    run = sim.run(
        ["set return sync", *opened(), f"write h1 {write_frame().hex()} w1", tun, send(arp),
         send(arp, options="dispatch"), "pause", "restart", *teardown("h1")]
    )  # fmt: skip
    kinds = [e.kind for e in run.events if e.kind in ("recv", "return", "send-complete")]
    # The write's list, then each ARP reply: indicated, returned inside, the send completed.
    assert kinds == ["recv", "return", *(["recv", "return", "send-complete"] * 2)]


def test_receive_returns_at_passive_level(sim: Simulator) -> None:
    run = sim.run(
        ["set return-irql passive", *opened(), f"write h1 {write_frame().hex()} w1",
         *teardown("h1")]
    )  # fmt: skip
    assert len(run.of("return")) == 1


def test_halt_with_irps_pending(sim: Simulator) -> None:
    """Disabling the adapter while an application waits in reads: halt completes them; the
    handle stays open on the detached device until the application closes it."""
    run = sim.run(
        [*opened(), "read h1 2000 r1", "read h1 2000 r2", send(frame()), "read h1 2000 r3",
         "read h1 2000 r4", "halt", "read h1 2000 r5", f"write h1 {write_frame().hex()} w1",
         ioctl("h1", core.GET_MTU, out=4, name="mtu"), "close h1", "unload"]
    )  # fmt: skip
    assert run.irp("r1").data() == frame()
    for name in ("r2", "r3"):
        assert run.irp(name).int("status") == core.CANCELLED, name
    halt = next(i for i, e in enumerate(run.events) if e.kind == "halt")
    done = [i for i, e in enumerate(run.events) if e.kind == "irp" and e.words[0] in ("r2", "r3")]
    assert all(i < halt for i in done)
    # After halt the device answers but reaches no adapter.
    for name in ("r5", "w1", "mtu"):
        assert run.irp(name).int("status") != core.SUCCESS, name
    assert run.irp("h1.close").int("status") == core.SUCCESS


def test_halt_with_sends_queued_and_handle_open(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), send(*(frame(n) for n in (10, 20, 30))), "halt", "close h1", "unload"]
    )  # fmt: skip
    assert len(run.of("send-complete")) == 3


def test_power_d3_and_back(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "read h1 2000 r1", f"oid set 0x{OID_PNP_SET_POWER:08X} {u32(D3).hex()}",
         "read h1 2000 r2", send(frame()),
         f"oid set 0x{OID_PNP_SET_POWER:08X} {u32(D0).hex()}",
         "read h1 2000 r3", send(frame(5)), *teardown("h1")]
    )  # fmt: skip
    sets = run.of("oid", "set")
    assert [e.int("status") for e in sets] == [core.SUCCESS] * len(sets)
    assert run.irp("r1").int("status") == core.CANCELLED
    assert run.irp("r2").int("status") == core.CANCELLED
    assert run.of("send-complete")[0].int("status") == NDIS_STATUS_LOW_POWER_STATE
    assert run.irp("r3").data() == frame(5)


def test_pnp_events_and_shutdown(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), "pnp surprise-removed", "hang-check", "shutdown", *teardown("h1")]
    )  # fmt: skip
    assert run.of("pnp", "done") and run.of("shutdown", "done")


def test_unload_halts_the_adapter_first(sim: Simulator) -> None:
    run = sim.run([*setup(), "unload"])
    names = [e.kind for e in run.events if e.kind in ("halt", "deregister", "unload")]
    assert names == ["unload", "halt", "deregister", "unload"]


@pytest.mark.parametrize(
    ("lines", "outcome"),
    [
        # Cancelled on another processor just before the read enters the queue.
        (["race-cancel r1 insert", "read h1 2000 r1"], "cancelled"),
        # ... just after the read service took it out, with no frame to give it.
        (["read h1 2000 r1", "race-cancel r1 remove", "read h1 2000 r2"], "cancelled"),
        # ... just after the read service took it out to give it a frame: the cancel loses.
        (["read h1 2000 r1", "race-cancel r1 remove", send(frame())], "frame"),
        # ... while closing and halting take it out.
        (["read h1 2000 r1", "race-cancel r1 remove", "close h1", "open h1b"], "cancelled"),
        (["read h1 2000 r1", "race-cancel r1 remove", "halt", "close h1", "init", "open h1b"],
         "cancelled"),
    ],
)  # fmt: skip
def test_cancellation_races(sim: Simulator, lines: list[str], outcome: str) -> None:
    last = "h1b" if "open h1b" in lines else "h1"
    run = sim.run([*opened(), *lines, *teardown(last)])
    assert run.one("race", "cancel")
    done = run.irp("r1")  # exactly once, whichever side won
    if outcome == "frame":
        assert done.data() == frame()
    else:
        assert done.int("status") == core.CANCELLED
