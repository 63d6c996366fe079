"""Scratch folders owned by one process: a half-signed copy of dist/, makensis's private
folder, ... They are named after their owner (``<prefix><pid>-<random>``), removed on every way
out of the block that made them (an exception, Ctrl-C, SIGTERM), and removed by a later run
when a crash (``kill -9``, a power cut) left them behind and their owner is gone::

    with scratch.folder(parent, ".dist.tx-", log) as work:
        ...

A SIGTERM while such a block runs raises :class:`Terminated` (a ``SystemExit`` with the
shell's status 143), so ``finally`` clauses and context managers clean up before the process
ends; SIGINT already raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from tapbuild.errors import TapError

Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


class Terminated(SystemExit):
    """Raised in the main thread when SIGTERM arrives inside :func:`terminating`."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)


@contextlib.contextmanager
def terminating() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the duration of the block (main thread only;
    elsewhere, and where SIGTERM cannot be caught, the block runs unchanged). A second SIGTERM
    during the clean-up is ignored; ``kill -9`` still ends the process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated(signum)

    try:
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def make(parent: Path, prefix: str, given_as: str | None = None) -> Path:
    """A new folder ``<parent>/<prefix><pid>-<random>`` (mode 0700); one line naming
    ``given_as`` (how the user gave the place, e.g. ``"--dist DIR"``) when it cannot be made."""
    try:
        return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    except OSError as exc:
        place = f"{given_as}: " if given_as else ""
        raise TapError(
            f"{place}cannot write in {parent} ({exc.strerror}); accepted: a folder you can write"
        ) from None


def owner(path: Path, prefix: str) -> int | None:
    """The process id in a scratch folder's name, or None when it has none (older runs)."""
    m = re.match(re.escape(prefix) + r"(\d+)-", path.name)
    return int(m.group(1)) if m else None


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on POSIX; elsewhere always assumed)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return True  # os.kill(pid, 0) would end it on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale(
    parent: Path,
    prefix: str,
    log: Log | None = None,
    what: str = "scratch folder",
    unowned_are_stale: bool = False,
    before_removal: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Remove the ``<prefix>*`` folders in ``parent`` whose owner process is gone (and those
    naming no owner when ``unowned_are_stale``: the caller knows nobody else can be using
    them); each removal is logged with why. Returns what was removed."""
    removed: list[Path] = []
    try:
        candidates = sorted(p for p in parent.iterdir() if p.name.startswith(prefix))
    except OSError:
        return removed
    say = log or _stderr
    for path in candidates:
        if path.is_symlink() or not path.is_dir():
            continue
        pid = owner(path, prefix)
        if pid is None and not unowned_are_stale:
            continue
        if pid is not None and alive(pid):
            continue
        if before_removal is not None:
            before_removal(path)
        shutil.rmtree(path, ignore_errors=True)
        if path.exists():
            continue
        removed.append(path)
        left_by = f"process {pid}, no longer running" if pid is not None else "an earlier run"
        say(f"removed the stale {what} {path} (left by {left_by})")
    return removed


@contextlib.contextmanager
def folder(
    parent: Path,
    prefix: str,
    log: Log | None = None,
    given_as: str | None = None,
    what: str = "scratch folder",
    before_removal: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """A new owned folder in ``parent`` (stale ones from crashed runs removed first), removed
    when the block ends however it ends; ``before_removal(folder)`` runs first each time (for
    what the folder's owner made elsewhere and noted in it)."""
    remove_stale(parent, prefix, log, what, before_removal=before_removal)
    with terminating():
        path = make(parent, prefix, given_as)
        try:
            yield path
        finally:
            if before_removal is not None:
                before_removal(path)
            shutil.rmtree(path, ignore_errors=True)
