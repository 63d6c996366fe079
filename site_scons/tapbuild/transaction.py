"""All-or-nothing updates of a directory tree (dist/, a release folder, ...).

One context manager::

    from tapbuild.transaction import update_dir

    with update_dir("dist") as work:       # work: a full copy of dist/, beside it
        (work / "amd64" / "tap0901.cat").write_bytes(...)
        sign(work / "amd64" / "tap0901.sys")
    # success: the copy has replaced dist/ in one rename
    # any exception (KeyboardInterrupt too): dist/ is byte-identical to before, the copy is gone

Rules for callers:

- Change files only under the yielded path, never under the original.
- The original path need not exist: on success the new tree appears, on failure nothing does.
- The copy keeps file contents, modes and modification times (``shutil.copy2``), so tools
  that look at timestamps (SCons) see untouched files as untouched.
- One update of a directory at a time: a second ``update_dir`` of the same directory while
  one is open raises :class:`TapError` instead of waiting (POSIX; advisory lock).

The swap is one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames
(original -> backup, copy -> original) with the backup renamed back if the second fails.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tapbuild.errors import TapError, naming

__all__ = ["backup_path", "install_dir", "update_dir"]

_RENAME_EXCHANGE = 2  # linux/fs.h


@contextlib.contextmanager
def update_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a working copy of directory ``path``; swap it in on success, drop it on failure."""
    target = Path(path).resolve()
    if target.exists() and not target.is_dir():
        raise TapError(f"{target}: not a directory; a transaction updates a directory tree")
    parent = target.parent
    if not parent.is_dir():
        raise TapError(f"{parent}: no such directory; create it before updating {target.name}/")
    with _exclusive(target):
        scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.tx-", dir=parent))
        work = scratch / target.name
        try:
            if target.exists():
                shutil.copytree(target, work, symlinks=True, copy_function=shutil.copy2)
            else:
                work.mkdir()
            with naming(work, target):
                yield work
            _swap_in(work, target, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def backup_path(path: Path, now: float | None = None) -> Path:
    """``<path>.<unix time>`` for keeping an old tree (dist.<unix time>), the next free
    second when that name is taken."""
    stamp = int(time.time() if now is None else now)
    while (backup := path.with_name(f"{path.name}.{stamp}")).exists():
        stamp += 1
    return backup


def _swap_in(work: Path, target: Path, scratch: Path) -> None:
    """Make ``work`` the new ``target``; the old tree ends up inside ``scratch``."""
    if target.exists() and _exchange(work, target):
        return  # the old tree is now at ``work``, inside scratch
    install_dir(work, target, scratch / "old")


def install_dir(work: Path, target: Path, backup: Path) -> Path | None:
    """Make the finished tree ``work`` the new ``target`` (two renames); the old tree, if any,
    moves to ``backup`` (returned; None when there was none), and back to ``target`` when the
    second rename fails."""
    if not target.exists():
        os.rename(work, target)
        return None
    os.rename(target, backup)
    try:
        os.rename(work, target)
    except BaseException:
        os.rename(backup, target)
        raise
    return backup


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


@contextlib.contextmanager
def _exclusive(target: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; one process at a time is the rule
        yield
        return
    key = hashlib.sha256(os.fsencode(target)).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"tapbuild-update-{key}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TapError(
                f"{target}: another update of this directory is in progress; "
                "run one signing or packaging step at a time"
            ) from None
        yield
    finally:
        os.close(fd)
