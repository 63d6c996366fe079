"""Low resources: each allocation, mapping and registration the driver makes can fail
(`fail-nth`). A failed initialize must leave nothing behind (the simulator checks the adapter's
resources at once and everything else at unload); a failure in the data path must fail that
request only."""

from __future__ import annotations

import pytest
from simrun import PERMANENT_MAC, SimRun, Simulator, media, packets, send, setup

pytestmark = [pytest.mark.tool("wine")]

REMOTE = bytes.fromhex("020000000001")
SETUP = setup(svc={"TapDiag": 1}, init=False)


def failpoints(run: SimRun) -> list[int]:
    return [e.int("count") for e in run.of("failpoints")]


def injected(run: SimRun) -> str:
    found = run.of("inject", "failure")
    return found[0].words[1] if found else ""


def test_every_failure_in_initialize_is_cleaned_up(sim: Simulator) -> None:
    before, after = failpoints(sim.run([*SETUP, "failpoints", "init", "failpoints", "unload"]))
    total = after - before
    assert total > 3
    # Every failable call of MiniportInitializeEx, thinning out the long run of identical
    # ones (one receive buffer after another) in the middle.
    chosen = [n for n in range(1, total + 1) if n <= 8 or n > total - 8 or n % 16 == 0]
    where: set[str] = set()
    for n in chosen:
        run = sim.run([*SETUP, f"fail-nth {n}", "init", "unload"])
        where.add(injected(run))
        status = run.one("init").int("status")
        if status == 0:  # only the optional TapDiag device may fail without failing init
            assert injected(run) == "NdisRegisterDeviceEx", run
    assert {"NdisOpenConfigurationEx", "NdisAllocateNetBufferListPool", "NdisAllocateMdl",
            "NdisRegisterDeviceEx", "ExAllocatePoolWithTag"} <= where  # fmt: skip


def test_failures_in_the_data_path_fail_one_request(sim: Simulator) -> None:
    frame = packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=64)
    written = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=64)
    traffic = ["open h1", media("h1", True), "read h1 2000 r1", send(frame),
               f"write h1 {written.hex()} w1", "read h1 2000 r2", "close h1"]  # fmt: skip
    before, after = failpoints(sim.run([*SETUP, "init", "failpoints", *traffic, "failpoints",
                                        "unload"]))  # fmt: skip
    assert after > before
    for n in range(1, after - before + 1):
        run = sim.run([*SETUP, "init", f"fail-nth {n}", *traffic, "unload"])
        what = injected(run)
        if what == "MmMapLockedPagesSpecifyCache":  # a buffer that cannot be mapped
            failed = [e.int("status") for e in run.of("irp") if "done" in e.words]
            assert failed.count(0xC000009A) == 1  # STATUS_INSUFFICIENT_RESOURCES
        if what == "NdisAllocateNetBufferAndNetBufferList":  # the write is dropped, counted
            assert run.irp("w1").int("status") == 0 and not run.of("recv")


def test_failures_in_driver_entry(sim: Simulator) -> None:
    before, after = failpoints(sim.run([*SETUP[:-1], "failpoints", "load", "failpoints", "unload"]))
    assert after - before >= 2  # the service key, the registration
    for n in range(1, after - before + 1):
        run = sim.run([*SETUP[:-1], f"fail-nth {n}", "load", "echo loaded", "init", "unload"],
                      check=False)  # fmt: skip
        assert run.violation is None, str(run)
        if injected(run) == "NdisMRegisterMiniportDriver":
            assert run.one("load").int("status") != 0
            assert run.returncode == 2  # the script's init finds no driver
        else:  # no service key: TapDiag off, the driver loads
            assert run.returncode == 0 and run.one("load").int("status") == 0
