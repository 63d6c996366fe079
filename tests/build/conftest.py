"""Fixtures for the build tests: copies of the source tree and a way to run scons in them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site_scons"))


def source_files() -> list[str]:
    """Tracked files (with their local edits): what a clean clone holds."""
    out = subprocess.run(
        ["git", "ls-files", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


def copy_tree(dest: Path) -> Path:
    for rel in source_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return dest


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


def scons(tree: Path, *args: str, check: bool = True) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-C", str(tree), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"scons {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return result


@pytest.fixture(scope="session")
def make_tree(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    def make(name: str) -> Path:
        return copy_tree(tmp_path_factory.mktemp(name))

    return make


@pytest.fixture(scope="session")
def built_tree(make_tree: Callable[[str], Path]) -> Path:
    """A copy of the tree with a full default build (all three archs, release, zig)."""
    tree = make_tree("built")
    scons(tree, "-j2")
    return tree
