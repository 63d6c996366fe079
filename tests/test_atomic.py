"""tapbuild.atomic: every file the project writes for users is replaced in one step."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from tapbuild import atomic
from tapbuild.errors import TapError


def test_write_bytes_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.tar.gz"
    target.write_bytes(b"old")
    assert atomic.write_bytes(target, b"new") == target
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]


def test_the_temporary_is_hidden_beside_the_target_with_its_suffix(tmp_path: Path) -> None:
    assert atomic.temporary(tmp_path / "tap.msm") == tmp_path / ".tap.tmp.msm"
    assert atomic.temporary(tmp_path / "a.tar.gz") == tmp_path / ".a.tar.tmp.gz"


def test_a_failed_block_leaves_the_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "tap.cat"
    target.write_bytes(b"signed")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the tool failed")
    assert target.read_bytes() == b"signed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tap.cat"]


def test_a_stale_temporary_from_a_killed_run_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    atomic.temporary(target).write_bytes(b"stale")
    atomic.write_bytes(target, b"fresh")
    assert target.read_bytes() == b"fresh"
    assert not atomic.temporary(target).exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_modes(tmp_path: Path) -> None:
    secret = atomic.write_bytes(tmp_path / "pw.txt", b"x", 0o600)
    public = atomic.write_bytes(tmp_path / "cert.cer", b"x", 0o644)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    old = os.umask(0o022)
    try:
        plain = atomic.write_bytes(tmp_path / "plain", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644


def test_write_if_changed_keeps_an_identical_file(tmp_path: Path) -> None:
    target = tmp_path / "wdm.h"
    target.write_bytes(b"same")
    os.utime(target, (1_000_000, 1_000_000))
    assert atomic.write_if_changed(target, b"same") is False
    assert target.stat().st_mtime == 1_000_000
    assert atomic.write_if_changed(target, b"other") is True
    assert target.read_bytes() == b"other"


def test_make_dir(tmp_path: Path) -> None:
    made = atomic.make_dir(tmp_path / "a" / "b", "--out a/b")
    assert made.is_dir() and atomic.make_dir(made, "--out a/b") == made
    (tmp_path / "file").write_text("x")
    with pytest.raises(TapError, match=r"^--out file: cannot make the folder \(not a directory\)"):
        atomic.make_dir(tmp_path / "file", "--out file")
    with pytest.raises(TapError, match=r"^cache=x: cannot make the folder \(Not a directory\)"):
        atomic.make_dir(tmp_path / "file" / "sub", "cache=x")
