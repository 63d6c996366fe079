"""dist/ is what the last build produced (DESIGN.md): before a default ``scons`` builds, files
in dist/ that this build does not produce (a catalog ``nox -s sign`` made, another component
id's files, an arch not built this time) are removed, and files that differ from what the build
installs there (signed since) are removed so that SCons installs fresh copies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def sync(dist: Path, installs: Mapping[Path, Path]) -> list[tuple[Path, str]]:
    """Make ``dist`` hold only the keys of ``installs`` (dist file -> the build file it is a
    copy of), each identical to its build file or absent; returns the files removed, each
    with why."""
    removed: list[tuple[Path, str]] = []
    if not dist.is_dir():
        return removed
    wanted = {p.resolve() for p in installs}
    for path in sorted(dist.rglob("*")):
        if (path.is_file() or path.is_symlink()) and path.resolve() not in wanted:
            path.unlink()
            removed.append((path, "not made by this build"))
    for target, source in installs.items():
        if target.is_file() and source.is_file() and not _same(target, source):
            target.unlink()
            removed.append((target, "changed since it was built, e.g. signed"))
    for d in sorted((p for p in dist.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    return removed


def _same(a: Path, b: Path) -> bool:
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    return a.read_bytes() == b.read_bytes()
