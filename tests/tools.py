"""External programs the tests need: skip where one is missing, fail in CI.

(``tests/`` is on sys.path through tests/conftest.py: ``from tools import require``.)
``@pytest.mark.tool("name")`` does the same for a whole test; ``require`` serves fixtures.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest


@functools.cache
def _wine32() -> bool:
    """Whether wine runs an i386 program: a tiny one built with zig, exit code 42 expected.

    Debian's wine32:i386 adds no command to PATH (``wine`` is the same with or without it), so
    the only test of it is running i386 code. Asked once per test session.
    """
    if shutil.which("wine") is None:
        return False
    from tapbuild.build import zig
    from wine import Wine

    with tempfile.TemporaryDirectory(prefix="tapwine32-") as tmp:
        src, exe = Path(tmp, "probe.c"), Path(tmp, "probe.exe")
        src.write_text("int main(void) { return 42; }\n")
        subprocess.run(
            [*zig.command(), "cc", "-target", "x86-windows-gnu", "-o", str(exe), str(src)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        wine = Wine(Path(tmp, "prefix"))  # the suite's own prefix set-up (tests/wine.py)
        try:
            code, _, _ = wine.run([str(exe)], timeout=300)
        finally:
            wine.stop()
        return code == 42


# Tools that are no command on PATH, each with the probe that tells whether it is there.
PROBES: dict[str, Callable[[], bool]] = {"wine32": _wine32}


def present(name: str) -> bool:
    """A probe's verdict for the names in PROBES, else whether the program is on PATH."""
    probe = PROBES.get(name)
    return probe() if probe else shutil.which(name) is not None


def require(*names: str) -> None:
    """Skip (or, with TAP_REQUIRE_TOOLS=1 as .ci/run sets, fail) unless every tool is present.

    A name is a program on PATH, or one of PROBES ("wine32": wine runs i386 programs).
    """
    missing = [n for n in names if not present(n)]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (installed by .ci/run)"
    if os.environ.get("TAP_REQUIRE_TOOLS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)
