"""Bad command-line input: one line naming what was wrong and what is accepted, nothing built."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sconsrun import scons


@pytest.fixture(scope="module")
def tree(make_tree: Callable[[str], Path]) -> Path:
    return make_tree("bad-input")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["arch=sparc"], "arch=sparc: unknown architecture 'sparc'; accepted: i386, amd64, arm64"),
        (["arch=amd64,mips"], "unknown architecture 'mips'"),
        (["config=fast"], "config=fast: not accepted; accepted: release, debug, hlk"),
        (["toolchain=gcc"], "toolchain=gcc: not accepted; accepted: zig, ewdk, wdk"),
        (["toolchain=ewdk"], "toolchain=ewdk needs the EWDK root: give ewdk=DIR or set TAP_EWDK"),
        (["ewdk=/no/such/ewdk"], "ewdk=/no/such/ewdk: no such directory"),
        (["ti=/no/such/devcon"], "ti=/no/such/devcon: no such directory"),
        (["verbose=maybe"], "verbose=maybe: not accepted; accepted: 0 or 1"),
        (["override=/no/such.py"], "override=/no/such.py: no such file"),
        (["cache=/etc/passwd"], "cache=/etc/passwd: cannot make the folder (not a directory)"),
        (["cache=/proc/no/cache"], "cache=/proc/no/cache: cannot make the folder (No such file"),
        (["toolchain=ewdk", "ewdk=/"], "ewdk=/: no BuildEnv\\SetupBuildEnv.cmd there"),
        (["toolchain=wdk"], "toolchain=wdk: no Windows kit found in the environment"),
        (
            ["colour=blue"],
            "unknown variable colour=; accepted: arch, config, toolchain, ewdk, override, ti, verbose, cache",
        ),
    ],
)
def test_rejected_before_any_work(tree: Path, args: list[str], expected: str) -> None:
    result = scons(tree, *args, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0]
    assert not (tree / "build" / "release").exists()
    assert not (tree / "dist").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "PRODUCT_TAP_WIN_COMPONENT_ID = 'tap0901'\nPRODUCT_COLOUR = 'blue'\n",
            "vendor.py:2: unknown name PRODUCT_COLOUR; accepted: PRODUCT_NAME",
        ),
        (
            "PRODUCT_TAP_WIN_MAJOR = '9'\n",
            "vendor.py:1: PRODUCT_TAP_WIN_MAJOR must be int, got str",
        ),
        (
            "\n\nPRODUCT_TAP_WIN_COMPONENT_ID = 'tap 0901'\n",
            "vendor.py:3: PRODUCT_TAP_WIN_COMPONENT_ID = 'tap 0901' is not valid; accepted: a valid INF/service name",
        ),
        (
            "PRODUCT_TAP_WIN_RELDATE = '2026-09-27'\n",
            "vendor.py:1: PRODUCT_TAP_WIN_RELDATE = '2026-09-27' is not valid; accepted: a date MM/DD/YYYY",
        ),
        ("PRODUCT_TAP_WIN_MINOR = (\n", "vendor.py:1: syntax error"),
        ("import os\nPRODUCT_NAME = os.environ['NO_SUCH_VARIABLE_X']\n", "vendor.py:2: KeyError"),
    ],
)
def test_broken_override(tree: Path, tmp_path: Path, text: str, expected: str) -> None:
    override = tmp_path / "vendor.py"
    override.write_text(text)
    result = scons(tree, f"override={override}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0]
    assert not (tree / "dist").exists()


def test_help_lists_variables_with_defaults(tree: Path) -> None:
    out = scons(tree, "-h").stdout
    for name, default in [
        ("arch", "all"),
        ("config", "release"),
        ("toolchain", "auto"),
        ("verbose", "0"),
    ]:
        assert f"  {name}=" in out
        assert f"default: {default};" in out
    for name in ("ewdk", "override", "ti", "cache"):
        assert f"  {name}=" in out
    assert "i386, amd64, arm64 (aliases x86, x64, aarch64)" in out
