"""Helpers shared by the release tests: zips as a hostile tool could make them, tree
snapshots, nox's error lines."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

# (name in the zip, content); content None makes a folder entry
ZipEntry = tuple[str, bytes | None]


def write_zip(path: Path, entries: Sequence[ZipEntry]) -> Path:
    """A zip with exactly these entry names (no normalisation), as a hostile tool could make."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 9, 27, 12, 0, 0))
            info.create_system = 3
            if data is None:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                zf.writestr(info, data)
    return path


def write_symlink_zip(path: Path, name: str, target: str, before: Sequence[ZipEntry] = ()) -> Path:
    """A zip whose entry ``name`` is a symbolic link to ``target`` (as Info-ZIP -y stores it)."""
    write_zip(path, before)
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo(name, date_time=(2026, 9, 27, 12, 0, 0))
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
    return path


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for folders, the target for links)."""
    if not root.exists():
        return {}
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = b"-> " + str(p.readlink()).encode()
        elif p.is_dir():
            out[rel] = None
        else:
            out[rel] = p.read_bytes()
    return out


def error_lines(output: str) -> list[str]:
    """The lines nox prints for a failed session (``Session X aborted: ...``/``failed: ...``)."""
    return [ln for ln in output.splitlines() if " aborted: " in ln or " failed: " in ln]
