"""The tree passes its own checks (the same commands as `nox -s lint`)."""

from __future__ import annotations

import subprocess

import pytest
from tapbuild import lint


@pytest.mark.parametrize(
    "command", lint.commands(), ids=["ruff-check", "ruff-format", "clang-format"]
)
def test_clean(command: list[str]) -> None:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
