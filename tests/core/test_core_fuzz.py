"""Fuzzing: the seeds are the valid packets they claim to be, and a short smoke run of every
harness (libFuzzer, ASan, UBSan) finds no crash. `nox -s fuzz -- SECONDS` runs longer."""

from __future__ import annotations

from pathlib import Path

import pytest
import tapcore_ffi as ffi
from tapbuild.dev import corebench, corefuzz, coreseeds

SMOKE_SECONDS = 3


def test_host_send_seeds_reach_the_responders(lib) -> None:
    """The seeds drive the interesting paths: with TUN + DHCP every responder answers."""
    ad = ffi.Adapter(lib, mac="00:ff:12:34:56:78").start()
    ad.ioctl(ffi.CONFIG_TUN, bytes([10, 8, 0, 2, 10, 8, 0, 0, 255, 255, 255, 0]))
    ad.ioctl(ffi.CONFIG_DHCP_MASQ, bytes([10, 8, 0, 2, 255, 255, 255, 0, 10, 8, 0, 1, 60, 0, 0, 0]))
    actions = [ad.host_send(f).action for f in coreseeds._host_frames()]
    assert actions == [ffi.REPLY] * 7 + [ffi.QUEUED, ffi.DROP_FILTERED, ffi.QUEUED]


def test_seed_formats() -> None:
    for name in corefuzz.HARNESSES:
        seeds = coreseeds.seeds(name)
        assert seeds and all(0 < len(s) <= 4096 for s in seeds)
    with pytest.raises(KeyError):
        coreseeds.seeds("nope")


def test_bench_packets_are_accepted(lib) -> None:
    tun_frame, packet, discover, request, tap_frame = corebench._packets()
    ad = ffi.Adapter(lib).start()
    assert ad.host_send(tap_frame).action == ffi.QUEUED
    ad.ioctl(ffi.CONFIG_TUN, bytes([10, 8, 0, 2, 10, 8, 0, 0, 255, 255, 255, 0]))
    assert ad.host_send(tun_frame).action == ffi.QUEUED
    assert ad.write(packet)[0] == ffi.SUCCESS
    ad.ioctl(ffi.CONFIG_DHCP_MASQ, bytes([10, 8, 0, 2, 255, 255, 255, 0, 10, 8, 0, 1, 60, 0, 0, 0]))
    assert ad.host_send(discover).reply[14 + 20 + 8 + 240 : 14 + 20 + 8 + 243] == b"\x35\x01\x02"
    assert ad.host_send(request).reply[14 + 20 + 8 + 240 : 14 + 20 + 8 + 243] == b"\x35\x01\x05"


@pytest.mark.slow
@pytest.mark.tool("clang-14")
def test_fuzz_smoke(tmp_path: Path) -> None:
    exes = corefuzz.build(ffi.ROOT, tmp_path / "bin")
    assert set(exes) == set(corefuzz.HARNESSES)
    for name, exe in exes.items():
        result = corefuzz.run(name, exe, SMOKE_SECONDS, tmp_path)
        assert not result.crashed, result.log[-4000:]
        assert result.executed > 100, result.log[-2000:]


def test_fuzz_argument_validation() -> None:
    assert corefuzz.parse_seconds([]) == 10
    assert corefuzz.parse_seconds(["30"]) == 30
    for bad in (["0"], ["-1"], ["x"], ["1", "2"]):
        with pytest.raises(corefuzz.TapError, match="SECONDS"):
            corefuzz.parse_seconds(bad)


def test_bench_argument_validation() -> None:
    assert corebench.parse_seconds([]) == 1.0
    assert corebench.parse_seconds(["0.5"]) == 0.5
    for bad in (["0"], ["x"], ["1", "2"], ["601"]):
        with pytest.raises(corebench.TapError, match="SECONDS"):
            corebench.parse_seconds(bad)
