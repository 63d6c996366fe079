"""Build and run the core's libFuzzer harnesses (tests/core/fuzz/fuzz_*.c).

Each harness is compiled with Debian's clang 14 and libFuzzer, AddressSanitizer and
UndefinedBehaviorSanitizer (every finding fatal), together with driver/core/*.c built with
TAP_DEBUG=1 (the debug log's code paths included). Seeds come from tapbuild.dev.coreseeds.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tapbuild.dev import coreseeds
from tapbuild.errors import TapError

HARNESSES = ("host_send", "user_write", "ioctl", "oid", "dhcp", "mac")
CLANG_CANDIDATES = ("clang-14", "clang")
FLAGS = [
    "-g", "-O1", "-std=c99", "-Wall", "-Wextra", "-Werror",
    "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
    "-DTAP_DEBUG=1", "-DTAP_DRIVER_MAJOR_VERSION=9", "-DTAP_DRIVER_MINOR_VERSION=27",
]  # fmt: skip


@dataclass(frozen=True)
class FuzzResult:
    harness: str
    executed: int
    crashed: bool
    log: str


def find_clang() -> str:
    for name in CLANG_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise TapError("fuzz: clang not found; install Debian's clang and libclang-rt-14-dev")


def build(root: Path, out_dir: Path) -> dict[str, Path]:
    """Compile every harness into out_dir; returns harness name -> executable."""
    clang = find_clang()
    out_dir.mkdir(parents=True, exist_ok=True)
    core = sorted(str(p) for p in (root / "driver/core").glob("*.c"))
    exes = {}
    for name in HARNESSES:
        exe = out_dir / f"fuzz_{name}"
        src = root / "tests/core/fuzz" / f"fuzz_{name}.c"
        cmd = [clang, *FLAGS, f"-I{root / 'driver/core'}", "-o", str(exe), str(src), *core]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            first = (proc.stderr.strip().splitlines() or ["(no output)"])[0]
            raise TapError(f"fuzz: building fuzz_{name} failed: {first}")
        exes[name] = exe
    return exes


def write_seeds(name: str, corpus: Path) -> int:
    """Put the generated seeds of one harness into its corpus directory."""
    corpus.mkdir(parents=True, exist_ok=True)
    seeds = coreseeds.seeds(name)
    for data in seeds:
        (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return len(seeds)


_EXECUTED = re.compile(r"stat::number_of_executed_units:\s*(\d+)")


def run(name: str, exe: Path, seconds: int, work: Path) -> FuzzResult:
    """Fuzz one harness for `seconds` from its seeded corpus (kept and grown under work)."""
    corpus = work / "corpus" / name
    artifacts = work / "artifacts" / name
    artifacts.mkdir(parents=True, exist_ok=True)
    write_seeds(name, corpus)
    cmd = [
        str(exe), f"-max_total_time={seconds}", "-print_final_stats=1", "-timeout=10",
        "-rss_limit_mb=2048", "-max_len=4096", f"-artifact_prefix={artifacts}/", str(corpus),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=seconds + 120)
    log = proc.stdout + proc.stderr
    m = _EXECUTED.search(log)
    executed = int(m.group(1)) if m else 0
    return FuzzResult(name, executed, proc.returncode != 0, log)


def parse_seconds(args: list[str]) -> int:
    if not args:
        return 10
    if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
        raise TapError(f"fuzz: expected one argument SECONDS (a positive integer), got {args!r}")
    return int(args[0])
