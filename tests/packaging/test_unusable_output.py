"""An output location that cannot be used (/proc/x, a file, a folder nobody can write in) is
one line naming the option, through nox too: package, package-msm, prepare-msm, extract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tapbuild.cli import package, release
from tapbuild.errors import TapError

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")


def _places(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    return {"proc": Path("/proc/x"), "file": a_file, "under-file": a_file / "sub"}


def _inputs(make_dist, tmp_path: Path) -> dict[str, list[str]]:
    dist = make_dist(catalogs=True)
    zips = tmp_path / "z.zip"
    import zipfile

    with zipfile.ZipFile(zips, "w") as zf:
        zf.writestr("drivers/amd64/tap0901.sys", b"MZ")
    return {
        "package": ["--dist", str(dist), "--out"],
        "package-msm": ["--dist", str(dist), "--dll-dir", str(tmp_path / "dll"), "--out"],
        "prepare-msm": ["--win7", str(dist), "--win10", str(dist), "--dist"],
        "extract": [str(zips), "--dist"],
    }


def _call(command: str, argv: list[str]) -> None:
    if command == "extract":
        release.main(command, argv, log=lambda s: None)
    else:
        getattr(package, f"{command.replace('-', '_')}_main")(argv, log=lambda s: None)


# An existing folder nobody can write in only for --out (--dist names a folder to replace).
CASES = [
    *((c, p) for c in ("package", "package-msm", "prepare-msm", "extract")
      for p in ("proc", "file", "under-file")),
    ("package", "unwritable"),
    ("package-msm", "unwritable"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "place"), CASES)
def test_one_line_naming_the_option(make_dist, tmp_path: Path, command: str, place: str) -> None:
    target = Path("/proc") if place == "unwritable" else _places(tmp_path)[place]
    argv = [*_inputs(make_dist, tmp_path)[command], str(target)]
    option = argv[-2]
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(TapError) as exc:
        _call(command, argv)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{option} {target}"), message
    assert "accepted: a folder" in message, message
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing half-made


def test_nox_says_one_line_not_a_traceback(make_dist, tmp_path: Path) -> None:
    for command, argv in _inputs(make_dist, tmp_path).items():
        if command == "package-msm":
            continue  # its session builds the custom-action DLLs first (scons): covered above
        proc = subprocess.run(
            [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", command, "--",
             *argv, "/proc/x"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode != 0, command
        assert "Traceback" not in proc.stderr, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if " aborted: " in ln]
        assert len(lines) == 1 and "/proc/x: cannot" in lines[0], (command, proc.stderr)
