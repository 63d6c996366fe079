"""Deterministic gzip'd tarballs: sorted entries, fixed mtimes and owners, no gzip name/time."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Iterable
from pathlib import Path

from tapbuild import atomic

# 2000-01-01T00:00:00Z, or SOURCE_DATE_EPOCH when set (reproducible-builds.org convention).
DEFAULT_EPOCH = 946684800


def epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else DEFAULT_EPOCH


def write_tarball(out: Path, members: Iterable[tuple[str, Path]]) -> None:
    """Write ``out`` from (name in archive, file on disk) pairs, atomically.

    Directories are added for every parent of a member, so the archive unpacks the same
    everywhere.
    """
    mtime = epoch()
    entries = sorted(members)
    dirs = sorted(
        {
            str(Path(name).parents[i])
            for name, _ in entries
            for i in range(len(Path(name).parents) - 1)
        }
    )
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in dirs:
            info = _info(d, mtime, tarfile.DIRTYPE, 0o755)
            tar.addfile(info)
        for name, path in entries:
            data = path.read_bytes()
            info = _info(name, mtime, tarfile.REGTYPE, 0o644)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    # gzip's own default level (what `tar czf` gives): 0.7% larger than 9 for these
    # tarballs, five times faster, which every rebuild that changes dist/ pays.
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    atomic.write_bytes(out, packed.getvalue())


def _info(name: str, mtime: int, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
