"""The build benchmark (``nox -s bench``): SCons against the floor of its own commands.

Measured in a copy of the tree, so the working tree's build/ and dist/ are untouched:
- cold: a full build of three archs from an empty build/ (zig's own cache warm, as on a
  developer's machine after the first build);
- no-op: the same build again;
- one .c: driver/driver.c edited, then rebuilt;
- floor: the compile, resource, import-library and link commands of the cold build, run
  directly (-j workers, links after everything else), without SCons.

SCons runs with Python's bytecode cache on, as on a developer's machine, whatever
PYTHONDONTWRITEBYTECODE says here.

And three ratios, each against its own floor measured in the same run (the best of a few runs
of each, so a busy machine disturbs them less):
- no-op / a minimal SCons project with one up-to-date target, on the same interpreter (goal 2.0);
- one .c / exactly the commands that rebuild ran, run directly (goal 1.5);
- cold / the cold build's commands run directly (goal 1.2).
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

from tapbuild.build import zig
from tapbuild.dev.sourcetree import copy_tree

# As a developer runs SCons: with Python's bytecode cache (a CI machine or a container may
# turn it off; SCons and the project's modules would then be compiled again on every run).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _scons(tree: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-C", str(tree), *args],
        capture_output=True,
        text=True,
        check=False,
        env=_ENV,
    )
    if proc.returncode:
        raise RuntimeError(f"scons {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _best(fn: Callable[[], object], runs: int = 5) -> float:
    return min(_timed(fn) for _ in range(runs))


def _minimal_noop(tmp: Path) -> float:
    """A no-op of a project with one up-to-date target: SCons's own floor on this interpreter."""
    tree = tmp / "minimal"
    tree.mkdir()
    (tree / "in.txt").write_text("in\n")
    (tree / "SConstruct").write_text("Command('out.txt', 'in.txt', Copy('$TARGET', '$SOURCE'))\n")
    _scons(tree)
    return _best(lambda: _scons(tree))


def _zig_commands(output: str) -> tuple[list[str], list[str]]:
    """The zig command lines of a verbose SCons run: (compile/rc/implib, link)."""
    prog = " ".join(shlex.quote(p) for p in zig.command())
    commands = [line for line in output.splitlines() if line.startswith(prog)]
    links = [c for c in commands if " lld-link " in c]
    return [c for c in commands if c not in links], links


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
        others, links = _zig_commands(_scons(tree, "-n", "verbose=1", j))
        cold = _timed(lambda: _scons(tree, j))
        noop = _best(lambda: _scons(tree, j))
        driver = tree / "driver" / "driver.c"
        text = driver.read_text()
        one_runs: list[float] = []
        for n in range(3):  # a different edit each time, so each run rebuilds
            driver.write_text(text.replace("driver loaded", f"driver loaded ({n})"))
            start = time.perf_counter()
            one_out = _scons(tree, j, "verbose=1")
            one_runs.append(time.perf_counter() - start)
        one = min(one_runs)
        one_others, one_links = _zig_commands(one_out)

        def direct(compiles: list[str], linking: list[str]) -> Callable[[], None]:
            def run_them() -> None:
                _run_all(tree, compiles, jobs)
                _run_all(tree, linking, jobs)

            return run_them

        floor = _timed(direct(others, links))
        one_floor_runs: list[float] = []
        for n in range(
            3
        ):  # a new edit again: zig cc would answer a repeated compile from its cache
            driver.write_text(text.replace("driver loaded", f"driver loaded [{n}]"))
            one_floor_runs.append(_timed(direct(one_others, one_links)))
        one_floor = min(one_floor_runs)
        minimal = _minimal_noop(Path(tmp))
    figures = {
        "cold": cold, "noop": noop, "one_c": one, "floor": floor,
        "one_c_floor": one_floor, "noop_floor": minimal,
    }  # fmt: skip
    log(
        f"jobs: {jobs}; commands in a cold build: {len(others)} compile/rc/implib + {len(links)} link"
    )
    log(f"cold full build (3 archs): {cold:7.2f} s  ({cold / floor:4.2f} x the floor)")
    log(f"floor, same commands run directly: {floor:7.2f} s")
    log(f"no-op build:                {noop:7.2f} s  ({noop / cold:5.1%} of cold)")
    log(f"one .c edited, rebuilt:     {one:7.2f} s  ({one / cold:5.1%} of cold)")
    log("ratios, each against its floor measured in this run (goal):")
    log(
        f"  no-op / minimal one-target SCons project ({minimal:.2f} s): {noop / minimal:5.2f} (2.0)"
    )
    log(
        f"  one .c / its {len(one_others)} compile + {len(one_links)} link commands run directly"
        f" ({one_floor:.2f} s): {one / one_floor:5.2f} (1.5)"
    )
    log(f"  cold / its commands run directly ({floor:.2f} s): {cold / floor:5.2f} (1.2)")
    return figures


if __name__ == "__main__":
    run(int(os.environ.get("JOBS", "2")))
