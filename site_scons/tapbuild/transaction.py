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
- The copy is ``.<name>.tx-<pid>-<random>`` beside the directory. SIGTERM, like Ctrl-C,
  removes it before the process ends; a copy a crash left (``kill -9``) is removed, with a
  line saying so, by the next update of the same directory once its owner process is gone.

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

from tapbuild import scratch
from tapbuild.errors import TapError, naming

__all__ = ["backup_path", "install_dir", "tx_prefix", "update_dir"]

_RENAME_EXCHANGE = 2  # linux/fs.h


@contextlib.contextmanager
def update_dir(
    path: str | os.PathLike[str],
    log: scratch.Log | None = None,
    given_as: str | None = None,
) -> Iterator[Path]:
    """Yield a working copy of directory ``path``; swap it in on success, drop it on failure.
    ``log`` hears about stale copies removed (default: stderr); ``given_as`` (``"--dist DIR"``)
    starts the error line when no copy can be made beside ``path``."""
    target = Path(path).resolve()
    if target.exists() and not target.is_dir():
        raise TapError(f"{target}: not a directory; a transaction updates a directory tree")
    parent = target.parent
    if not parent.is_dir():
        raise TapError(f"{parent}: no such directory; create it before updating {target.name}/")
    prefix = tx_prefix(target)
    with _exclusive(target) as locked, scratch.terminating():
        # Holding the lock, no other process is updating this directory: a copy whose owner
        # is gone, or (with the lock) one of an older run naming no owner, is stale.
        scratch.remove_stale(parent, prefix, log, "transaction folder", unowned_are_stale=locked)
        tx = scratch.make(parent, prefix, given_as)
        work = tx / target.name
        try:
            if target.exists():
                shutil.copytree(target, work, symlinks=True, copy_function=shutil.copy2)
            else:
                work.mkdir()
            with naming(work, target):
                yield work
            _swap_in(work, target, tx)
        finally:
            shutil.rmtree(tx, ignore_errors=True)


def tx_prefix(target: Path) -> str:
    """The name prefix of ``target``'s transaction folders (``.dist.tx-``)."""
    return f".{target.name}.tx-"


def backup_path(path: Path, now: float | None = None) -> Path:
    """``<path>.<unix time>`` for keeping an old tree (dist.<unix time>), the next free
    second when that name is taken."""
    stamp = int(time.time() if now is None else now)
    while (backup := path.with_name(f"{path.name}.{stamp}")).exists():
        stamp += 1
    return backup


def _swap_in(work: Path, target: Path, tx: Path) -> None:
    """Make ``work`` the new ``target``; the old tree ends up inside ``tx``."""
    if target.exists() and _exchange(work, target):
        return  # the old tree is now at ``work``, inside tx
    install_dir(work, target, tx / "old")


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
def _exclusive(target: Path) -> Iterator[bool]:
    """Hold the update lock of ``target``; yields whether a lock is held (POSIX)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; one process at a time is the rule
        yield False
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
        yield True
    finally:
        os.close(fd)
