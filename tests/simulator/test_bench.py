"""The data-path benchmark (nox -s bench-sim, tapbuild.dev.simbench + sim/bench.c), run briefly:
it prints a figure for both directions of TAP and TUN, glue and core alone, every frame through.
No timing is asserted."""

from __future__ import annotations

import math

import pytest
from simrun import Simulator, opened, send, teardown
from tapbuild.dev import simbench
from tapbuild.errors import TapError

pytestmark = [pytest.mark.tool("wine")]


def test_a_short_run_prints_sane_figures(sim: Simulator, sim_arch: str) -> None:
    results = simbench.measure(lambda lines: sim.run(lines).stdout, 40)
    assert [(r.mode, r.direction) for r in results] == [
        ("tap", "read"), ("tap", "write"), ("tun", "read"), ("tun", "write"),
    ]  # fmt: skip
    for r in results:
        assert r.frames == 40
        assert 0 < r.glue_fps < math.inf and 0 < r.core_fps < math.inf
        assert r.ratio == r.glue_fps / r.core_fps
    text = simbench.report(results, sim_arch)
    lines = text.splitlines()
    assert lines[0].startswith(f"bench-sim: {sim_arch} driver objects under the simulator")
    assert lines[2].startswith("TAP   host->app (NBL in, read IRP out)")
    assert lines[5].startswith("TUN   app->host (write IRP in, NBL out)")
    assert lines[6].startswith("goal: ratio >= 0.5")


def test_the_bench_lines_are_what_the_driver_did(sim: Simulator) -> None:
    """Every read completed by its send, every write indicated: nothing left pending, the
    indicated frames returned (the run ends clean)."""
    run = sim.run(simbench.script("tun", 10))
    bench = [e for e in run.events if e.kind == "bench"]
    assert [(e.words[0], e.words[1], e.int("ok")) for e in bench] == [
        ("glue", "read", 10), ("glue", "write", 10), ("core", "read", 10), ("core", "write", 10),
    ]  # fmt: skip
    assert not run.of("irp")[-1].line.endswith("pending")


def test_the_lean_settings_change_no_event(sim: Simulator) -> None:
    """The bench's settings (no guard pages, no history: memory and records of finished
    requests reused) give the same events, line for line, as the checking defaults."""
    to_app, from_app = simbench.frames("tap")
    short = to_app[:60]
    script = [*opened(), "read h1 2000 r1", send(to_app), "read h1 2000", "read h1 2000",
              send(short, to_app), f"write h1 {from_app.hex()}", "read h1 10 small",
              send(to_app), "read h1 2000", *teardown("h1")]  # fmt: skip
    full = sim.run(script)
    lean = sim.run(["set guard off", "set history off", *script])
    assert lean.stdout == full.stdout
    assert len(full.of("irp")) >= 8 and full.of("recv")


def test_lost_frames_are_one_line() -> None:
    output = "bench glue read frames=5 ok=3 ns=100\n"
    with pytest.raises(TapError, match=r"^bench-sim: tap glue read: 3 of 5 frames came through"):
        simbench.parse("tap", output, 5)


@pytest.mark.parametrize("args", [["0"], ["x"], ["1", "2"], ["2000000"]])
def test_bad_frame_counts_are_one_line(args: list[str]) -> None:
    with pytest.raises(
        TapError, match=r"^bench-sim: expected one argument FRAMES \(1\.\.1000000\)"
    ):
        simbench.parse_args(args)
    assert simbench.parse_args([]) == simbench.DEFAULT_FRAMES
