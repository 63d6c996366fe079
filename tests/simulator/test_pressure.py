"""Work piling up: flow control holding host sends back past 4 MiB queued (and what pause,
cancellation, close and halt do with the held lists), the receive buffers all lent to NDIS,
and the whole data path on Windows 7 (NDIS 6.20: executable pool, no NX mappings)."""

from __future__ import annotations

import pytest
from simrun import (
    NDIS_STATUS_PAUSED,
    PERMANENT_MAC,
    SimRun,
    Simulator,
    core,
    opened,
    packets,
    send,
    teardown,
)

pytestmark = [pytest.mark.tool("wine")]

REMOTE = bytes.fromhex("020000000001")
BIG = packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=1480)  # 1514 bytes
MANY = 3000  # 4.5 MB: past the 4 MiB threshold
SEND_ABORTED = 0xC023000C  # NDIS_STATUS_SEND_ABORTED (STATUS_NDIS_REQUEST_ABORTED)
QUIET = "set data-limit 0"  # no frame bytes in the output


def outstanding(run: SimRun) -> list[int]:
    return [int(e.fields["sends-outstanding"]) for e in run.of("state", "adapter")]


def completed(run: SimRun) -> dict[int, int]:
    return {e.int("id"): e.int("status") for e in run.of("send-complete")}


def test_flow_control_holds_sends_until_reads_drain(sim: Simulator) -> None:
    run = sim.run(
        [QUIET, *opened(), send(BIG, options=f"repeat={MANY}"), "state",
         f"read h1 2000 r count={MANY}", "state", "read h1 2000 last", *teardown("h1")]
    )  # fmt: skip
    held, after = outstanding(run)
    assert held > 0 and after == 0
    assert completed(run) == dict.fromkeys(range(1, MANY + 1), core.SUCCESS)
    reads = [e for e in run.of("irp") if e.words[0].startswith("r.") and "done" in e.words]
    assert len(reads) == MANY and all(e.int("info") == len(BIG) for e in reads)
    assert run.irp("last").int("status") == core.CANCELLED  # nothing was dropped or doubled


def test_pause_completes_held_sends(sim: Simulator) -> None:
    run = sim.run(
        [QUIET, *opened(), send(BIG, options=f"repeat={MANY}"), "pause", "restart",
         "read h1 2000 r1", *teardown("h1")]
    )  # fmt: skip
    statuses = completed(run)
    assert len(statuses) == MANY
    assert set(statuses.values()) == {core.SUCCESS, NDIS_STATUS_PAUSED}
    assert run.irp("r1").int("info") == len(BIG)  # queued frames stay queued


def test_cancel_send_of_a_held_list(sim: Simulator) -> None:
    run = sim.run(
        [QUIET, *opened(), send(BIG, options=f"repeat={MANY}"), f"cancel-send {MANY}",
         f"cancel-send {MANY + 7}", "state", *teardown("h1")]
    )  # fmt: skip
    statuses = completed(run)
    assert statuses[MANY] == SEND_ABORTED
    assert list(statuses.values()).count(SEND_ABORTED) == 1
    assert len(statuses) == MANY


@pytest.mark.parametrize("end", [["close h1"], ["halt"]])
def test_close_or_halt_with_sends_held(sim: Simulator, end: list[str]) -> None:
    run = sim.run([QUIET, *opened(), send(BIG, options=f"repeat={MANY}"), *end, "state"])
    assert len(completed(run)) == MANY
    assert outstanding(run)[-1] == 0


def test_every_receive_buffer_lent_to_ndis(sim: Simulator) -> None:
    """128 receive buffers: with NDIS holding all of them, writes go on with lists NDIS must
    give back at once (NDIS_RECEIVE_FLAGS_RESOURCES), and a pause waits for the rest."""
    frame = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=60)
    writes = [f"write h1 {frame.hex()} w{i}" for i in range(140)]
    run = sim.run([QUIET, *opened(), "hold on", *writes, "pause", "hold off", *teardown("h1")])
    assert all(run.irp(f"w{i}").int("status") == core.SUCCESS for i in range(140))
    recv = run.of("recv")
    assert len(recv) == 140
    low = [e for e in recv if e.fields["resources"] == "1"]
    assert len(recv) - len(low) == 127  # the last free buffer always goes out as "resources"
    assert len(run.of("return")) == 127
    assert run.of("pause")[0].int("status") == core.PENDING


@pytest.mark.parametrize("ndis", ["6.20", "6.30"])
def test_data_path_on_windows_7_and_8(sim: Simulator, ndis: str) -> None:
    """The simulator refuses NX pool and MdlMappingNoExecute on Windows 7 and executable pool
    and mappings on 8: reads and writes through direct I/O pass on both."""
    frame = packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=100)
    written = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=100)
    run = sim.run(
        [*opened(ndis=ndis), "read h1 2000 r1", send(frame), f"write h1 {written.hex()} w1",
         *teardown("h1")]
    )  # fmt: skip
    assert run.one("register").fields["ndis"] == ndis
    assert run.irp("r1").data() == frame
    assert run.one("recv").data() == written
