"""Running scons in a copy of the source tree, for every test area that builds.

(``tests/`` is on sys.path through tests/conftest.py: ``from sconsrun import scons``.)
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def steps(self) -> list[str]:
        """The short step lines (``CC     amd64  driver/driver.c``) of a build."""
        labels = ("CC ", "LINK ", "RC ", "GEN ", "IMPLIB ", "PECHK ", "INF ", "DIST ", "TAR ")
        return [line for line in self.stdout.splitlines() if line.startswith(labels)]


def other_python() -> str:
    """This interpreter under another name (python <-> python3 in the same venv): the way a
    user's ``scons`` script and nox's ``python -m SCons`` differ."""
    exe = Path(sys.executable)
    other = exe.with_name("python" if exe.name != "python" else "python3")
    assert other.exists(), f"{other}: no second name for {exe}"
    return str(other)


def scons(tree: Path, *args: str, check: bool = True, python: str | None = None) -> Result:
    proc = subprocess.run(
        [python or sys.executable, "-m", "SCons", "-Q", "-C", str(tree), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"scons {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return result
