"""Files replaced in one step: readers (and a later run after a crash) see the old file or the
new one, never half of one. Also the folder they go into (:func:`make_dir`).

The temporary file sits beside its target (same directory, so the rename cannot cross file
systems), is hidden (a leading dot), keeps the target's suffix (tools such as WiX choose the
output format by it) and has a fixed name, so an interrupted run leaves at most one stray file
per target, which the next run replaces.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tapbuild.errors import TapError


def temporary(path: Path) -> Path:
    """The temporary file beside ``path``: ``dist/a.tar.gz`` -> ``dist/.a.tar.tmp.gz``."""
    return path.with_name(f".{path.stem}.tmp{path.suffix}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path for a tool to write; renamed over ``path`` when the block completes,
    removed when it raises (``path`` is then untouched)."""
    tmp = temporary(path)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes, mode: int | None = None) -> Path:
    """Replace ``path`` with ``data``; ``mode`` sets the permissions (else 0o666 less the
    umask). A secret file (mode 0o600) is never readable by others, not even briefly."""
    with replacing(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)  # wider than the umask allows: as asked
    return path


def write_text(path: Path, text: str) -> Path:
    """:func:`write_bytes` of UTF-8 text."""
    return write_bytes(path, text.encode("utf-8"))


def write_if_changed(path: Path, data: bytes) -> bool:
    """:func:`write_bytes` unless ``path`` already holds ``data`` (its timestamp then stays);
    True when written."""
    if path.is_file() and path.read_bytes() == data:
        return False
    write_bytes(path, data)
    return True


def make_dir(path: Path, given_as: str) -> Path:
    """The folder ``path`` to write into, made when missing; when it cannot be, one line that
    starts with ``given_as`` (how the user gave it: ``"--out DIR"``, ``"cache=DIR"``)."""
    try:
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(0, "not a directory")
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TapError(
            f"{given_as}: cannot make the folder ({exc.strerror}); accepted: a folder you can "
            "write (made when missing)"
        ) from None
    return path


def writable_dir(path: Path, given_as: str) -> Path:
    """:func:`make_dir`, then proof that a file can be made in it (a permission, a read-only
    or pseudo file system such as /proc): one line starting with ``given_as`` otherwise."""
    make_dir(path, given_as)
    probe = path / f".probe-{os.getpid()}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise TapError(
            f"{given_as}: cannot write in the folder ({exc.strerror}); accepted: a folder you "
            "can write (made when missing)"
        ) from None
    return path
