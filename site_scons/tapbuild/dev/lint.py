"""The project's own checks of its sources: ruff and mypy for Python, clang-format for C, zizmor
for the GitHub workflows."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tapbuild.dev.sourcetree import tracked_files
from tapbuild.errors import TapError
from tapbuild.paths import ROOT


def c_sources(root: Path = ROOT) -> list[Path]:
    """Every tracked .c and .h file of the project."""
    return tracked_files(root, "*.c", "*.h")


def pinned_tool(name: str) -> str:
    """A program the `test` extra pins (clang-format, zizmor): next to this interpreter, else
    on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.is_file() else shutil.which(name)
    if not found:
        raise TapError(f"{name} not found; install the test extra: pip install -e '.[test]'")
    return found


def mypy(*paths: Path, root: Path = ROOT) -> list[str]:
    """mypy with the project's strict config (pyproject.toml) over ``paths``."""
    config = str(root / "pyproject.toml")
    return [sys.executable, "-m", "mypy", "--config-file", config, *map(str, paths)]


def zizmor(workflows: Path) -> list[str]:
    """zizmor's offline audits of a folder of GitHub workflows."""
    return [pinned_tool("zizmor"), "--offline", "--no-progress", str(workflows)]


def commands(root: Path = ROOT) -> list[list[str]]:
    """The check commands, each to exit 0 on a clean tree."""
    return [
        [sys.executable, "-m", "ruff", "check", str(root)],
        [sys.executable, "-m", "ruff", "format", "--check", str(root)],
        mypy(root / "site_scons", root / "noxfile.py", root=root),
        zizmor(root / ".github" / "workflows"),
        [pinned_tool("clang-format"), "--dry-run", "--Werror", *map(str, c_sources(root))],
    ]
