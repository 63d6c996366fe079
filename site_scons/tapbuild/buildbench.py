"""The build benchmark (``nox -s bench``): SCons against the floor of its own commands.

Measured in a copy of the tree, so the working tree's build/ and dist/ are untouched:
- cold: a full build of three archs from an empty build/ (zig's own cache warm, as on a
  developer's machine after the first build);
- no-op: the same build again;
- one .c: driver/driver.c edited, then rebuilt;
- floor: the compile, resource, import-library and link commands of the cold build, run
  directly (-j workers, links after everything else), without SCons.
"""

from __future__ import annotations

import concurrent.futures
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tapbuild import zig
from tapbuild.sourcetree import copy_tree


def _scons(tree: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-C", str(tree), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"scons {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _run_all(tree: Path, commands: list[str], jobs: int) -> None:
    def run(cmd: str) -> None:
        subprocess.run(shlex.split(cmd), cwd=tree, check=True, capture_output=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(run, commands))


def run(jobs: int = 2, log: Callable[[str], None] = print) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="tap-bench-") as tmp:
        tree = Path(tmp)
        copy_tree(tree)
        j = f"-j{jobs}"
        _scons(tree, j)  # warm zig's compile cache and its self-built tools
        shutil.rmtree(tree / "build")
        shutil.rmtree(tree / "dist")
        # The commands of a cold build, as SCons would run them.
        dry = _scons(tree, "-n", "verbose=1", j)
        prog = " ".join(shlex.quote(p) for p in zig.command())
        commands = [line for line in dry.splitlines() if line.startswith(prog)]
        links = [c for c in commands if " lld-link " in c]
        others = [c for c in commands if c not in links]
        cold = _timed(lambda: _scons(tree, j))
        noop = _timed(lambda: _scons(tree, j))
        driver = tree / "driver" / "driver.c"
        driver.write_text(driver.read_text().replace("driver loaded", "driver started"))
        one = _timed(lambda: _scons(tree, j))

        def floor_run() -> None:
            _run_all(tree, others, jobs)
            _run_all(tree, links, jobs)

        floor = _timed(floor_run)
    figures = {"cold": cold, "noop": noop, "one_c": one, "floor": floor}
    log(
        f"jobs: {jobs}; commands in a cold build: {len(others)} compile/rc/implib + {len(links)} link"
    )
    log(f"cold full build (3 archs): {cold:7.2f} s  ({cold / floor:4.2f} x the floor)")
    log(f"floor, same commands run directly: {floor:7.2f} s")
    log(f"no-op build:                {noop:7.2f} s  ({noop / cold:5.1%} of cold)")
    log(f"one .c edited, rebuilt:     {one:7.2f} s  ({one / cold:5.1%} of cold)")
    return figures


if __name__ == "__main__":
    run(int(os.environ.get("JOBS", "2")))
