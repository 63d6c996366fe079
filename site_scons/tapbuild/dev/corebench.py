"""Benchmark of the portable core on the host (nox -s bench-core): packets per second through
TUN framing and the DHCP responder, measured by tests/core/bench/bench_core.c."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from tapbuild.dev import coreseeds
from tapbuild.errors import TapError


def _packets() -> list[bytes]:
    """TUN frame to the peer, an IPv4 packet, DISCOVER, REQUEST, a TAP frame (1514 bytes)."""
    tun_frame = coreseeds.ipv4_frame(coreseeds.PEER, 1472)
    return [
        tun_frame,
        tun_frame[14:],
        coreseeds.dhcp_client(1),
        coreseeds.dhcp_client(3, requested="10.8.0.2"),
        coreseeds.ipv4_frame(coreseeds.OTHER, 1472),
    ]


def parse_seconds(args: list[str]) -> float:
    """The optional SECONDS argument of nox -s bench-core (default 1)."""
    if not args:
        return 1.0
    try:
        value = float(args[0]) if len(args) == 1 else 0.0
    except ValueError:
        value = 0.0
    if not 0 < value <= 600:
        raise TapError(f"bench-core: expected one argument SECONDS (0 < s <= 600), got {args!r}")
    return value


def run(root: Path, seconds: float = 1.0) -> str:
    """Compile the benchmark with the host compiler (-O2) and return its report."""
    cc = shlex.split(os.environ.get("CC", "cc"))
    if not cc or shutil.which(cc[0]) is None:
        raise TapError(f"bench-core: C compiler {cc[0] if cc else ''!r} not found; set CC")
    with tempfile.TemporaryDirectory(prefix="tapcore-bench-") as tmp:
        work = Path(tmp)
        exe = work / "bench_core"
        srcs = [str(root / "tests/core/bench/bench_core.c")]
        srcs += sorted(str(p) for p in (root / "driver/core").glob("*.c"))
        cmd = [*cc, "-std=c99", "-O2", f"-I{root / 'driver/core'}", "-o", str(exe), *srcs]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise TapError(f"bench-core: compiling failed: {proc.stderr.strip()[:300]}")
        files = []
        for i, data in enumerate(_packets()):
            path = work / f"p{i}.bin"
            path.write_bytes(data)
            files.append(str(path))
        proc = subprocess.run([str(exe), str(seconds), *files], capture_output=True, text=True,
                              check=False)  # fmt: skip
        if proc.returncode != 0:
            raise TapError(f"bench-core: benchmark failed (exit {proc.returncode}) "
                           f"{proc.stderr.strip()}")  # fmt: skip
        return proc.stdout
