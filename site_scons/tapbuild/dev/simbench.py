"""Data-path benchmark through the real driver code (nox -s bench-sim).

The driver simulator (tests/simulator, `scons arch=amd64 driver-sim`) runs its ``bench``
command (tests/simulator/sim/bench.c) under wine, in TAP and in TUN mode:

- host to application: a read IRP pends, a host send (a NET_BUFFER_LIST through
  MiniportSendNetBufferLists) completes it;
- application to host: a write IRP, indicated as a received NET_BUFFER_LIST and returned;

and, as the baseline, the same frames through the portable core alone (tapc_host_send +
tapc_user_read, tapc_user_write) inside the same program. The report gives frames/s of both
and their ratio (goal: 0.5 or higher, the glue costs no more than the core).

The bench runs the simulation lean (``set guard off``, ``set data-limit 0``, ``set history
off``: heap blocks and records of finished requests reused, nothing kept per request), but the
glue figure still includes the simulated I/O manager and NDIS: building each IRP or sent list
with its buffer, and the contract checks of every call the driver makes. That work, not the
driver's, is most of the figure (see the README), so the ratio is a lower bound of the glue's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tapbuild.dev import coreseeds
from tapbuild.errors import TapError

GUID = "{8C3B2D1E-5A6F-4B7C-9D0E-1F2A3B4C5D6E}"
ADAPTER = bytes.fromhex("00ff" + GUID[1:9])  # the driver's MAC: 00:FF + the GUID's first digits
PEER = ADAPTER[:2] + bytes([ADAPTER[2] + 1]) + ADAPTER[3:]  # TUN: byte 2 + 1
REMOTE = bytes.fromhex("020000000001")
LOCAL_IP, NETWORK, MASK, REMOTE_IP = "10.8.0.2", "10.8.0.0", "255.255.255.0", "10.8.0.1"
SET_MEDIA_STATUS = 0x00220018  # TAP_WIN_IOCTL_SET_MEDIA_STATUS
CONFIG_TUN = 0x00220028  # TAP_WIN_IOCTL_CONFIG_TUN
FRAME_BYTES = 1514  # full-size Ethernet frames
DEFAULT_FRAMES = 5000
GOAL = 0.5

DIRECTIONS = {
    "read": "host->app (NBL in, read IRP out)",
    "write": "app->host (write IRP in, NBL out)",
}


def _ip(text: str) -> bytes:
    return bytes(int(p) for p in text.split("."))


def frames(mode: str) -> tuple[bytes, bytes]:
    """(the host's send, the application's write) of one mode, full size."""
    payload = bytes(i & 0xFF for i in range(FRAME_BYTES - 14 - 28))
    to_app = coreseeds.udp4(LOCAL_IP, REMOTE_IP, 1000, 2000, payload)
    from_app = coreseeds.udp4(REMOTE_IP, LOCAL_IP, 2000, 1000, payload)
    if mode == "tun":
        return coreseeds.eth(PEER, ADAPTER, 0x0800, to_app), from_app
    return (
        coreseeds.eth(REMOTE, ADAPTER, 0x0800, to_app),
        coreseeds.eth(ADAPTER, REMOTE, 0x0800, from_app),
    )


def script(mode: str, count: int) -> list[str]:
    """The simulator script of one mode: load, initialize, open, connect, bench, tear down."""
    send, write = frames(mode)
    tun = _ip(LOCAL_IP) + _ip(NETWORK) + _ip(MASK)
    # No event data, no guard pages, no records of finished requests: the simulation's own
    # per-request work kept small and constant.
    lines = ["set data-limit 0", "set guard off", "set history off", f"reg NetCfgInstanceId sz {GUID}", "load",
             "init", "open h1",
             f"ioctl h1 0x{SET_MEDIA_STATUS:08X} in=01000000"]  # fmt: skip
    bench = f"bench h1 {count} {send.hex()} {write.hex()}"
    if mode == "tun":
        lines.append(f"ioctl h1 0x{CONFIG_TUN:08X} in={tun.hex()}")
        bench += f" tun={tun.hex()}"
    return [*lines, bench, "close h1", "halt", "unload"]


@dataclass(frozen=True)
class Result:
    mode: str  # tap, tun
    direction: str  # read, write
    frames: int
    glue_fps: float
    core_fps: float

    @property
    def ratio(self) -> float:
        return self.glue_fps / self.core_fps


def parse(mode: str, output: str, count: int) -> list[Result]:
    """The two results of one run from its ``bench ...`` lines; every frame must have come
    through (ok == frames), else one line says which path lost frames."""
    timing: dict[tuple[str, str], float] = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) < 6 or words[0] != "bench":
            continue
        fields = dict(w.split("=", 1) for w in words[3:])
        path, direction = words[1], words[2]
        if int(fields["ok"]) != count or int(fields["frames"]) != count:
            raise TapError(
                f"bench-sim: {mode} {path} {direction}: {fields['ok']} of {count} frames "
                "came through; the simulator's output above says why"
            )
        timing[(path, direction)] = count / max(int(fields["ns"]), 1) * 1e9
    missing = [f"{p} {d}" for p in ("glue", "core") for d in DIRECTIONS if (p, d) not in timing]
    if missing:
        raise TapError(f"bench-sim: {mode}: no figure for {', '.join(missing)} in:\n{output}")
    return [Result(mode, d, count, timing[("glue", d)], timing[("core", d)]) for d in DIRECTIONS]


def report(results: list[Result], arch: str) -> str:
    """The table nox -s bench-sim prints."""
    count = results[0].frames if results else 0
    lines = [
        f"bench-sim: {arch} driver objects under the simulator (wine), {count} frames of "
        f"{FRAME_BYTES} bytes per figure",
        f"{'mode':<5} {'direction':<36} {'glue+core f/s':>14} {'core alone f/s':>15} {'ratio':>8}",
    ]
    for r in results:
        lines.append(
            f"{r.mode.upper():<5} {DIRECTIONS[r.direction]:<36} {r.glue_fps:>14,.0f} "
            f"{r.core_fps:>15,.0f} {r.ratio:>8.4f}"
        )
    worst = min((r.ratio for r in results), default=0.0)
    lines.append(
        f"goal: ratio >= {GOAL} (the glue costs no more than the core); lowest {worst:.4f}: "
        + ("met" if worst >= GOAL else "not met")
    )
    lines.append(
        "the glue figure includes the simulated I/O manager and NDIS (each IRP and NBL built, "
        "every call checked): a lower bound"
    )
    return "\n".join(lines) + "\n"


Runner = Callable[[list[str]], str]


def measure(run: Runner, count: int) -> list[Result]:
    """Both modes through ``run`` (script lines -> the simulator's output)."""
    results: list[Result] = []
    for mode in ("tap", "tun"):
        results += parse(mode, run(script(mode, count)), count)
    return results


def wine_runner(exe: Path, prefix: Path) -> Runner:
    """Runs the simulator under wine in ``prefix`` (a throwaway one: nothing else uses it)."""
    wine = shutil.which("wine")
    if wine is None:
        raise TapError("bench-sim: wine not found; install wine (Debian: apt-get install wine)")
    env = {**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all",
           "WINEDLLOVERRIDES": "mscoree,mshtml="}  # fmt: skip
    env.pop("DISPLAY", None)

    def run(lines: list[str]) -> str:
        proc = subprocess.run([wine, str(exe)], input="\n".join(lines) + "\n", env=env,
                              capture_output=True, text=True, check=False, timeout=1800)  # fmt: skip
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise TapError(f"bench-sim: the simulator exited {proc.returncode}: {' / '.join(tail)}")
        return proc.stdout

    return run


def parse_args(args: list[str]) -> int:
    """nox -s bench-sim -- [FRAMES]: frames per figure, default 5000."""
    if not args:
        return DEFAULT_FRAMES
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= 1_000_000:
        return int(args[0])
    raise TapError(f"bench-sim: expected one argument FRAMES (1..1000000), got {' '.join(args)}")


def run(exe: Path, count: int, arch: str = "amd64") -> str:
    """Measure with the simulator ``exe`` in a throwaway wine prefix; return the report."""
    if not exe.is_file():
        raise TapError(f"bench-sim: {exe} not found; build it with scons arch={arch} driver-sim")
    with tempfile.TemporaryDirectory(prefix="tap-bench-sim-") as tmp:
        try:
            results = measure(wine_runner(exe, Path(tmp)), count)
        finally:
            server = shutil.which("wineserver")
            if server:
                subprocess.run([server, "-k"], env={**os.environ, "WINEPREFIX": tmp},
                               capture_output=True, check=False)  # fmt: skip
    return report(results, arch)
