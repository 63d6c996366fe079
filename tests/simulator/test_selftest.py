"""The simulator's checks, each seen to fire: a deliberately faulty miniport
(tests/simulator/selftest/baddrv.c) breaks one rule per request, and the run must stop with
exit code 3, the violation, and the faulty line as the call site. Its well-behaved requests
run clean, so the checks do not fire on correct code either."""

from __future__ import annotations

import pytest
from simrun import SimRun, Simulator, send

pytestmark = [pytest.mark.tool("wine")]

OPEN = r"open h1 path=\\.\Global\BadDrv"
FRAME = bytes.fromhex("ffffffffffff020000000001" + "0800") + bytes(46)


def rule(n: int, out: int = 16) -> str:
    """The IOCTL that makes the faulty miniport break rule n."""
    return f"ioctl h1 0x{(0x22 << 16) | ((0x900 + n) << 2):08X} out={out}"


def start(*lines: str) -> list[str]:
    return ["load", "init", OPEN, *lines]


def failed(run: SimRun, *phrases: str, site: str = "baddrv.c") -> str:
    assert run.returncode == 3, str(run)
    text = run.violation
    assert text is not None, str(run)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in:\n{text}"
    assert site in text, f"call site {site!r} not in:\n{text}"
    return text


def test_well_behaved_requests_run_clean(selftest: Simulator) -> None:
    run = selftest.run(
        [*start(rule(0), "read h1 100 r1", rule(29, out=0), "cancel #4"), send(FRAME),
         "close h1", "halt", "unload"]
    )  # fmt: skip
    assert run.irp("r1").data() == b"\x42"
    assert run.irp("#4").int("status") == 0xC0000120  # cancelled through the cancel-safe queue
    assert run.one("send-complete").int("status") == 0


@pytest.mark.parametrize(
    ("n", "phrases"),
    [
        (1, ["completed twice", "first at BadIoctl"]),
        (2, ["returned STATUS_PENDING without IoMarkIrpPending"]),
        (3, ["returned 0xC0000001 but completed the IRP with 0x00000000"]),
        (4, ["returned 0x00000000 without completing the IRP"]),
        (5, ["completed with its cancel routine still set"]),
        (6, ["Information 17 exceeds the 16-byte buffer"]),
        (7, ["use after free: read", "IRP #2 (DEVICE_CONTROL)"]),
        (9, ["freed twice"]),
        (10, ["use after free: write", "offset 10 in NDIS memory"]),
        (11, ["written 1 bytes past its end"]),
        (12, ["buffer overrun: write", "8 bytes past the end of NDIS memory (4096 bytes)"]),
        (13, ["returned holding a spin lock"]),
        (14, ["NdisMSleep called at IRQL 2; allowed at most 0"]),
        (15, ["deadlock: NdisWaitEvent waits forever"]),
        (16, ["deadlock: spin lock", "acquired again"]),
        (18, ["NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL is set at IRQL 0"]),
        (19, ["NdisFreeNetBufferList", "NDIS still owns it"]),
        (20, ["NdisFreeNetBufferListPool with 1 NET_BUFFER_LISTs of the pool not freed"]),
        (21, ["NdisAllocateMdl", "is not inside one live block"]),
        (22, ["executable non-paged pool (type 0) on Windows 10.0"]),
        (24, ["returned at IRQL 2; it was called at IRQL 0"]),
        (25, ["not initialized"]),
        (26, ["bug check 0x000000E2"]),
        (28, ["completed while still in the cancel-safe queue"]),
    ],
)
def test_rule_broken_in_a_request(selftest: Simulator, n: int, phrases: list[str]) -> None:
    run = selftest.run(start(rule(n)), check=False)
    failed(run, *phrases)


def test_stack_overrun_caught_by_the_cookie(selftest: Simulator) -> None:
    """The driver's own kernel runtime (krt.c) under the simulation: __stack_chk_fail."""
    run = selftest.run(start(rule(27, out=64)), check=False)
    failed(run, "bug check 0x000000F7", "DRIVER_OVERRAN_STACK_BUFFER", site="krt.c")


def test_memory_leaked_past_halt(selftest: Simulator) -> None:
    run = selftest.run([*start(rule(8)), "close h1", "halt"], check=False)
    failed(run, "halt: memory leaked", "100 bytes, tag 'TBad'")


def test_indication_while_paused(selftest: Simulator) -> None:
    run = selftest.run([*start("pause", rule(17))], check=False)
    failed(run, "while the adapter is not running")


def test_pause_with_receives_outstanding(selftest: Simulator) -> None:
    run = selftest.run([*start("hold on", rule(17), "pause")], check=False)
    failed(run, "pause completed with 1 indicated NET_BUFFER_LISTs not yet returned", site="")


def test_nx_pool_on_windows_7(selftest: Simulator) -> None:
    run = selftest.run(["set ndis 6.20", *start(rule(23))], check=False)
    failed(run, "NonPagedPoolNx) does not exist on Windows 6.1")


def test_no_execute_mapping_on_windows_7(selftest: Simulator) -> None:
    run = selftest.run(["set ndis 6.20", *start("read h1 100 r1")], check=False)
    failed(run, "MdlMappingNoExecute passed on Windows 6.1")


def test_executable_mapping_on_windows_10(selftest: Simulator) -> None:
    run = selftest.run(start(rule(33), "read h1 100 r1"), check=False)
    failed(run, "executable mapping on Windows 10.0")


def test_send_completed_twice(selftest: Simulator) -> None:
    run = selftest.run(start(rule(30), send(FRAME)), check=False)
    failed(run, "NET_BUFFER_LIST 1 completed twice", site="BadSend")


def test_send_completion_claims_dispatch_level(selftest: Simulator) -> None:
    run = selftest.run(start(rule(31), send(FRAME)), check=False)
    failed(run, "NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL is set at IRQL 0", site="BadSend")


def test_oid_without_bytes_needed(selftest: Simulator) -> None:
    run = selftest.run(start("oid query 0x0001010C 2"), check=False)
    failed(run, "BytesNeeded must say how much is needed", site="")


def test_unload_without_deregistering(selftest: Simulator) -> None:
    run = selftest.run([*start(rule(32)), "close h1", "halt", "unload"], check=False)
    failed(run, "MiniportDriverUnload returned without NdisMDeregisterMiniportDriver", site="")


def test_time_read_from_shared_user_data(selftest: Simulator) -> None:
    """KeQueryInterruptTime/KeQuerySystemTime/KeQueryTickCount read KUSER_SHARED_DATA on amd64:
    the simulator answers from its clock (one second at boot, then what `advance` adds)."""
    run = selftest.run([*start("advance 1000", rule(34, out=24)), "close h1", "halt", "unload"])
    data = run.irp("#2").data()
    interrupt, system, ticks = (int.from_bytes(data[i : i + 8], "little") for i in (0, 8, 16))
    assert interrupt == 20_000_000  # 100 ns units
    assert system - interrupt == 133_800_000_000_000_000  # a fixed boot date
    assert ticks == interrupt // 156_250  # 15.625 ms ticks


def test_indication_under_a_lock_deadlocks_on_a_synchronous_return(selftest: Simulator) -> None:
    """Indicating while holding the lock the return handler takes: harmless while NDIS returns
    later, a deadlock when the protocol returns at once (inside the indication)."""
    later = selftest.run([*start(rule(35)), "close h1", "halt", "unload"])
    assert len(later.of("return")) == 1
    run = selftest.run(["set return sync", *start(rule(35))], check=False)
    failed(run, "deadlock: spin lock", "acquired again", "in MiniportReturnNetBufferLists")


@pytest.mark.parametrize(
    ("n", "phrase"),
    [
        (1, "completed twice"),
        (3, "returned 0xC0000001 but completed the IRP with 0x00000000"),
        (9, "freed twice"),
        (13, "returned holding a spin lock"),
        (19, "NDIS still owns it"),
        (28, "completed while still in the cancel-safe queue"),
    ],
)
def test_the_bench_settings_keep_the_contract_checks(
    selftest: Simulator, n: int, phrase: str
) -> None:
    """nox -s bench-sim runs without guard pages and without history (records and memory of
    finished requests reused): the rules of a request are checked all the same."""
    run = selftest.run(["set guard off", "set history off", *start(rule(n))], check=False)
    failed(run, phrase)
