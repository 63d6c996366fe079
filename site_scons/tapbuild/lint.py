"""The project's own checks of its sources: ruff for Python, clang-format for C."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tapbuild.errors import TapError
from tapbuild.sourcetree import tracked_files

ROOT = Path(__file__).resolve().parents[2]


def c_sources(root: Path = ROOT) -> list[Path]:
    """Every tracked .c and .h file of the project."""
    return tracked_files(root, "*.c", "*.h")


def clang_format() -> str:
    """The pinned clang-format from PyPI (the `test` extra), else one on PATH."""
    here = Path(sys.executable).parent / "clang-format"
    found = str(here) if here.is_file() else shutil.which("clang-format")
    if not found:
        raise TapError("clang-format not found; install the test extra: pip install -e '.[test]'")
    return found


def commands(root: Path = ROOT) -> list[list[str]]:
    """The check commands, each to exit 0 on a clean tree."""
    return [
        [sys.executable, "-m", "ruff", "check", str(root)],
        [sys.executable, "-m", "ruff", "format", "--check", str(root)],
        [clang_format(), "--dry-run", "--Werror", *map(str, c_sources(root))],
    ]
