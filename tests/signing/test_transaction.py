"""tapbuild.transaction.update_dir: all-or-nothing updates of a directory tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from signtest_util import pfx_env
from tapbuild import transaction
from tapbuild.errors import TapError
from tapbuild.transaction import update_dir

ROOT = Path(__file__).resolve().parents[2]


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file and directory under root: content, mode, mtime (ns)."""
    out: dict[str, tuple[bytes, int, int]] = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        data = p.read_bytes() if p.is_file() else b"<dir>"
        out[str(p.relative_to(root))] = (data, st.st_mode, st.st_mtime_ns)
    return out


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    (d / "amd64").mkdir(parents=True)
    (d / "amd64" / "tap0901.sys").write_bytes(b"MZ" + bytes(range(256)))
    (d / "amd64" / "OemVista.inf").write_text("[Version]\r\n")
    (d / "include").mkdir()
    (d / "include" / "tap-windows.h").write_text("#pragma once\n")
    os.chmod(d / "amd64" / "tap0901.sys", 0o755)
    os.utime(d / "amd64" / "OemVista.inf", ns=(1_000_000_000, 1_000_000_000))
    return d


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name != "dist")


def test_success_swaps_in_the_copy(dist: Path) -> None:
    before = snapshot(dist)
    with update_dir(dist) as work:
        assert work != dist and snapshot(work) == before
        (work / "amd64" / "tap0901.cat").write_bytes(b"catalog")
        (work / "include" / "tap-windows.h").unlink()
        # the original is untouched while the work is in progress
        assert snapshot(dist) == before
    after = snapshot(dist)
    assert after["amd64/tap0901.cat"][0] == b"catalog"
    assert "include/tap-windows.h" not in after
    # files the body did not touch keep content, mode and mtime
    for name in ("amd64/tap0901.sys", "amd64/OemVista.inf"):
        assert after[name] == before[name]
    assert leftovers(dist.parent) == []


@pytest.mark.parametrize("exc", [RuntimeError("boom"), TapError("bad"), KeyboardInterrupt()])
def test_failure_leaves_the_original_byte_identical(dist: Path, exc: BaseException) -> None:
    before = snapshot(dist)
    with pytest.raises(type(exc)), update_dir(dist) as work:
        (work / "amd64" / "tap0901.sys").write_bytes(b"half-signed")
        (work / "amd64" / "new.cat").write_bytes(b"x")
        raise exc
    assert snapshot(dist) == before
    assert leftovers(dist.parent) == []


def test_missing_directory_appears_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "dist"
    with pytest.raises(RuntimeError), update_dir(target) as work:
        (work / "a").write_text("a")
        raise RuntimeError
    assert not target.exists()
    with update_dir(target) as work:
        (work / "a").write_text("a")
    assert (target / "a").read_text() == "a"
    assert leftovers(tmp_path) == []


def test_two_rename_fallback(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hosts without renameat2 (macOS, Windows) take the two-rename path."""
    monkeypatch.setattr(transaction, "_exchange", lambda a, b: False)
    with update_dir(dist) as work:
        (work / "new").write_text("n")
    assert (dist / "new").read_text() == "n"
    assert leftovers(dist.parent) == []


def test_second_update_of_the_same_directory_is_refused(dist: Path) -> None:
    before = snapshot(dist)
    with update_dir(dist) as work:
        (work / "x").write_text("x")
        with pytest.raises(TapError, match="another update"), update_dir(dist):
            pass
    assert snapshot(dist)["x"][0] == b"x"
    assert {k: v for k, v in snapshot(dist).items() if k != "x"} == before


def test_not_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "dist"
    f.write_text("file")
    with pytest.raises(TapError, match="not a directory"), update_dir(f):
        pass
    assert f.read_text() == "file"


def test_an_error_names_the_tree_not_its_copy(dist: Path) -> None:
    with pytest.raises(TapError) as err, update_dir(dist) as work:
        raise TapError(f"{work / 'amd64' / 'tap0901.cat'}: unreadable")
    assert str(err.value) == f"{dist.resolve() / 'amd64' / 'tap0901.cat'}: unreadable"


# A process that is in the middle of an update of ``dist`` (its copy half-changed) when it
# says "ready" and waits to be killed.
_MID_UPDATE = """
import sys, time
from tapbuild.transaction import update_dir
with update_dir(sys.argv[1]) as work:
    (work / "amd64" / "tap0901.sys").write_bytes(b"half-signed")
    print("ready", flush=True)
    time.sleep(60)
"""


def _mid_update(dist: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _MID_UPDATE, str(dist)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    proc.stdout.close()
    return proc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_clean_up_at_once(dist: Path, sig: signal.Signals) -> None:
    before = snapshot(dist)
    proc = _mid_update(dist)
    assert [p.name.startswith(".dist.tx-") for p in dist.parent.iterdir() if p != dist] == [True]
    proc.send_signal(sig)
    assert proc.wait(timeout=30) != 0
    assert leftovers(dist.parent) == []
    assert snapshot(dist) == before


def test_the_next_update_removes_what_kill_9_left(dist: Path) -> None:
    before = snapshot(dist)
    proc = _mid_update(dist)
    proc.kill()
    proc.wait()
    [stale] = leftovers(dist.parent)
    assert (dist.parent / stale / "dist" / "amd64" / "tap0901.sys").read_bytes() == b"half-signed"
    assert snapshot(dist) == before
    logs: list[str] = []
    with update_dir(dist, logs.append) as work:
        assert leftovers(dist.parent) == [work.parent.name]  # the stale copy went first
    assert leftovers(dist.parent) == []
    assert logs == [
        f"removed the stale transaction folder {dist.parent / stale} "
        f"(left by process {proc.pid}, no longer running)"
    ]


def test_a_copy_whose_owner_runs_is_kept(dist: Path) -> None:
    """Another update of the same dist/ holds the lock; a copy named after a live process
    of another tree's update is not touched either."""
    proc = _mid_update(dist)
    try:
        [theirs] = leftovers(dist.parent)
        with pytest.raises(TapError, match="another update"), update_dir(dist):
            pass
        assert leftovers(dist.parent) == [theirs]
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.tool("osslsigncode")
def test_nox_sign_terminated_mid_run_leaves_no_copy(
    make_dist, test_cert, dead_url: str, tmp_path: Path
) -> None:
    """`nox -s sign` waiting on a time-stamp server that never answers gets SIGTERM: its
    half-signed copy of dist/ is gone when it exits, dist/ as it was (issue 16, item 7)."""
    dist = make_dist()
    before = snapshot(dist)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "sign", "--",
         "--dist", str(dist)],
        env=pfx_env(test_cert, dead_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not [p for p in dist.parent.iterdir() if p.name.startswith(".dist.tx-")]:
        assert proc.poll() is None and time.monotonic() < deadline, "no transaction seen"
        time.sleep(0.002)
    time.sleep(0.5)  # signing, then waiting for the time-stamp server
    proc.terminate()
    assert proc.wait(timeout=60) != 0
    assert leftovers(dist.parent) == []
    assert snapshot(dist) == before
