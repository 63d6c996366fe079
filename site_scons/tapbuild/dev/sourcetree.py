"""The project's source tree as git tracks it: listing it and copying it elsewhere.

Used wherever a build must run apart from the working tree (the build benchmark, the tests
that build in scratch copies): tracked files with their local edits, as a clean clone plus
the developer's uncommitted changes would hold them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tapbuild.paths import ROOT


def tracked_files(root: Path = ROOT, *patterns: str) -> list[Path]:
    """Every tracked file (matching ``patterns``, git pathspecs, when given) that exists."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *patterns], cwd=root, capture_output=True, check=True
    ).stdout.decode()
    return [root / rel for rel in out.split("\0") if rel and (root / rel).is_file()]


def copy_tree(dest: Path, root: Path = ROOT) -> Path:
    """Copy the tracked files of ``root`` into ``dest`` (kept: contents, modes, times)."""
    for path in tracked_files(root):
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return dest
