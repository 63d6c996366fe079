"""Incremental builds: what a change reruns, and nothing else."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sconsrun import other_python, scons

pytestmark = pytest.mark.slow

ARCHES = "amd64,arm64"


@pytest.fixture(scope="module")
def tree(make_tree: Callable[[str], Path]) -> Path:
    t = make_tree("incremental")
    scons(t, "-j2", f"arch={ARCHES}")
    return t


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    later = time.time() + 5
    os.utime(path, (later, later))


def test_one_c_file(tree: Path) -> None:
    edit(tree / "driver" / "driver.c", "driver loaded", "driver started")
    steps = scons(tree, "-j2", f"arch={ARCHES}").steps
    compiled = sorted(s.split()[1:] for s in steps if s.startswith("CC "))
    assert compiled == [["amd64", "driver/driver.c"], ["arm64", "driver/driver.c"]]
    linked = sorted(s.split()[1] for s in steps if s.startswith("LINK "))
    assert linked == ["amd64", "arm64"]
    assert not [s for s in steps if s.startswith(("RC ", "GEN ", "IMPLIB ", "INF "))]
    assert scons(tree, f"arch={ARCHES}").steps == []


def test_version_change_reruns_only_its_users(tree: Path) -> None:
    version = tree / "version.py"
    text = version.read_text()
    # The publisher appears in version resources only: no compile, no INF.
    version.write_text(
        text.replace(
            'PRODUCT_PUBLISHER = "OpenVPN Technologies, Inc."', 'PRODUCT_PUBLISHER = "Example Ltd"'
        )
    )
    steps = scons(tree, "-j2", f"arch={ARCHES}").steps
    assert not [s for s in steps if s.startswith(("CC ", "INF ", "IMPLIB "))]
    rc = [s.split() for s in steps if s.startswith("RC ")]
    assert {arch for _, arch, _ in rc} == {"amd64", "arm64"}
    assert any(target.endswith("/driver/tap0901-version.res") for _, _, target in rc)
    # The release date appears in the INF only.
    version.write_text(version.read_text().replace('"09/27/2026"', '"10/01/2026"'))
    steps = scons(tree, "-j2", f"arch={ARCHES}").steps
    assert sorted(s.split()[1] for s in steps if s.startswith("INF ")) == ["amd64", "arm64"]
    assert not [s for s in steps if s.startswith(("CC ", "RC ", "LINK "))]
    assert (
        "DriverVer   = 10/01/2026,9.27.0.0"
        in (tree / "dist" / "amd64" / "OemVista.inf").read_text()
    )
    # The minor version reaches the driver's code (GET_VERSION), the resources and the INF.
    version.write_text(
        version.read_text().replace("PRODUCT_TAP_WIN_MINOR = 27", "PRODUCT_TAP_WIN_MINOR = 28")
    )
    steps = scons(tree, "-j2", f"arch={ARCHES}").steps
    compiled = {tuple(s.split()[1:]) for s in steps if s.startswith("CC ")}
    users = ("driver/driver.c", "driver/core/tapc_ioctl.c", "driver/core/tapc_ndis.c")
    users += ("tapinstall/ti_main.c",)  # `tapinstall help` names its version
    assert compiled == {(arch, f) for arch in ("amd64", "arm64") for f in users}
    assert {s.split()[1] for s in steps if s.startswith("RC ")} == {"amd64", "arm64"}
    assert sorted(s.split()[1] for s in steps if s.startswith("INF ")) == ["amd64", "arm64"]


def test_parallel_build_is_safe(make_tree: Callable[[str], Path]) -> None:
    t = make_tree("parallel")
    scons(t, "-j4")
    assert scons(t, "-q", check=False).returncode == 0


def test_no_op_under_another_interpreter_name(tree: Path) -> None:
    """`scons` (the venv's script) after `nox -s build` (python -m SCons) rebuilds nothing."""
    assert scons(tree, "-q", f"arch={ARCHES}", check=False, python=other_python()).returncode == 0


def test_shared_cache_dir(make_tree: Callable[[str], Path], tmp_path: Path) -> None:
    """cache=DIR: a second checkout (run by another interpreter path, as another venv's would
    be) retrieves what the first one built."""
    cache = tmp_path / "team-cache"
    first = make_tree("cache-first")
    scons(first, "arch=i386", f"cache={cache}")
    second = make_tree("cache-second")
    result = scons(second, "arch=i386", f"cache={cache}", python=other_python())
    retrieved = [line for line in result.stdout.splitlines() if line.startswith("Retrieved")]
    assert any("tap0901.sys" in line for line in retrieved), result.stdout
    assert not [s for s in result.steps if s.startswith(("CC ", "LINK "))]
    assert (second / "dist" / "i386" / "tap0901.sys").read_bytes() == (
        first / "dist" / "i386" / "tap0901.sys"
    ).read_bytes()


def test_same_second_edit_rebuilds_and_a_touch_does_not(tree: Path) -> None:
    """The content-timestamp decider: timestamps are compared at full resolution, so an edit
    that keeps the size and lands in the same second as the file's last build still rebuilds;
    a new timestamp on the same content rebuilds nothing."""
    path = tree / "driver" / "driver.c"
    second = int(time.time()) + 10
    text = path.read_text()
    path.write_text(f"{text}/* a */\n")
    os.utime(path, ns=(second * 10**9 + 100_000_000,) * 2)
    scons(tree, "-j2", f"arch={ARCHES}")
    path.write_text(f"{text}/* b */\n")  # the same size
    os.utime(path, ns=(second * 10**9 + 200_000_000,) * 2)  # the same second
    steps = scons(tree, "-j2", f"arch={ARCHES}").steps
    compiled = sorted(s.split()[1:] for s in steps if s.startswith("CC "))
    assert compiled == [["amd64", "driver/driver.c"], ["arm64", "driver/driver.c"]]
    os.utime(path, (second + 20, second + 20))  # touched: the content decides
    assert scons(tree, f"arch={ARCHES}").steps == []


def test_help_and_dry_run_write_nothing(make_tree: Callable[[str], Path]) -> None:
    """`scons -h` and `scons -n` leave the tree as it was: zig's patched ddk headers are a
    build target, not written while the tool is set up."""
    t = make_tree("dry")
    scons(t, "-h")
    scons(t, "-n", "-j2")
    assert not (t / "build").exists() and not (t / "dist").exists()


def _scons_on_a_terminal(tree: Path, *args: str) -> list[str]:
    """scons with its output on a pseudo-terminal, as a developer runs it: its lines."""
    main, sub = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "SCons", "-Q", "-C", str(tree), *args],
        stdout=sub, stderr=sub, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(sub)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=600) == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode().replace("\r\n", "\n").splitlines()


def test_progress_on_a_terminal(tree: Path) -> None:
    """On a terminal each step is numbered [n/N], n climbing to N; in a log (every other test
    here) the lines are as they were."""
    path = tree / "driver" / "core" / "tapc_text.c"
    path.write_text(path.read_text() + "/* progress */\n")
    lines = [line for line in _scons_on_a_terminal(tree, "-j2", f"arch={ARCHES}") if "] " in line]
    numbered = [re.fullmatch(r"\[ *(\d+)/(\d+)\] (\S+) .*", line) for line in lines]
    assert numbered and all(numbered), lines
    done = [int(m.group(1)) for m in numbered if m]
    (total,) = {int(m.group(2)) for m in numbered if m}
    # With -j2 two steps may print in the other order than they were counted.
    assert max(done) == total and all(0 < n <= total for n in done), lines
    labels = [m.group(3) for m in numbered if m]
    assert labels.count("CC") == 2 and labels[-1] == "TAR", labels
