"""`nox -s prepare-msm`: the MSM layout from a win7 and a win10 signed dist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tapbuild.cli import package
from tapbuild.errors import TapError
from tapbuild.package import msmdist
from tapbuild.product.names import load_names

ROOT = Path(__file__).resolve().parents[2]


def _signed_pair(make_dist, tmp_path: Path) -> tuple[Path, Path]:
    win7 = make_dist(tmp_path / "dist.win7", catalogs=True, variant="win7")
    win10 = make_dist(tmp_path / "dist.win10", catalogs=True, variant="win10")
    return win7, win10


def test_layout(make_dist, tmp_path: Path) -> None:
    win7, win10 = _signed_pair(make_dist, tmp_path)
    dist = tmp_path / "dist"
    assert msmdist.prepare(win7, win10, dist, load_names()) is None
    files = sorted(str(p.relative_to(dist)) for p in dist.rglob("*") if p.is_file())
    expected = sorted(
        [
            f"{a}/{f}"
            for a in ("i386", "amd64")
            for f in ("OemVista.inf", "tap0901.sys", "tap0901.cat")
        ]
        + [
            f"{a}/win10/{f}"
            for a in ("i386", "amd64", "arm64")
            for f in ("OemVista.inf", "tap0901.sys", "tap0901.cat")
        ]
        + ["include/tap-windows.h"]
    )
    assert files == expected  # no tapinstall.exe anywhere, no arm64 win7 driver
    assert (dist / "amd64" / "tap0901.cat").read_bytes() == (
        win7 / "amd64" / "tap0901.cat"
    ).read_bytes()
    assert (dist / "amd64" / "win10" / "tap0901.cat").read_bytes() == (
        win10 / "amd64" / "tap0901.cat"
    ).read_bytes()
    assert b"win10" in (dist / "include" / "tap-windows.h").read_bytes()


def test_existing_dist_is_backed_up(make_dist, tmp_path: Path) -> None:
    win7, win10 = _signed_pair(make_dist, tmp_path)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "old.txt").write_text("previous build")
    backup = msmdist.prepare(win7, win10, dist, load_names(), now=1700000000)
    assert backup == tmp_path / "dist.1700000000"
    assert (backup / "old.txt").read_text() == "previous build"
    assert not (dist / "old.txt").exists()


def test_missing_catalog_one_line_and_dist_untouched(make_dist, tmp_path: Path) -> None:
    win7 = make_dist(tmp_path / "dist.win7", catalogs=False)
    win10 = make_dist(tmp_path / "dist.win10", catalogs=True)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "keep.txt").write_text("x")
    with pytest.raises(TapError) as err:
        msmdist.prepare(win7, win10, dist, load_names())
    assert "\n" not in str(err.value)
    assert "--win7" in str(err.value) and "amd64/tap0901.cat" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "dist.win10", "dist.win7"]
    assert (dist / "keep.txt").exists()


def test_missing_arch_and_missing_directory(make_dist, tmp_path: Path) -> None:
    win7 = make_dist(tmp_path / "dist.win7", catalogs=True, arches=("amd64",))
    win10 = make_dist(tmp_path / "dist.win10", catalogs=True)
    with pytest.raises(TapError, match=r"--win7 .*missing i386/OemVista.inf"):
        msmdist.prepare(win7, win10, tmp_path / "dist", load_names())
    with pytest.raises(TapError, match="no such directory"):
        msmdist.prepare(tmp_path / "nope", win10, tmp_path / "dist", load_names())


def test_session_arguments(make_dist, tmp_path: Path) -> None:
    win7, win10 = _signed_pair(make_dist, tmp_path)
    out = package.prepare_msm_main(
        ["--win7", str(win7), "--win10", str(win10), "--dist", str(tmp_path / "d")],
        log=lambda s: None,
    )
    assert (out / "arm64" / "win10" / "tap0901.sys").is_file()
    with pytest.raises(TapError, match="required: --win10"):
        package.prepare_msm_main(["--win7", str(win7)], log=lambda s: None)


def test_nox_session_error_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "prepare-msm", "--",
         "--win7", str(tmp_path / "a"), "--win10", str(tmp_path / "b"), "--dist", str(tmp_path / "d")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "aborted" in line]
    assert len(lines) == 1 and "--win7" in lines[0] and "no such directory" in lines[0]
