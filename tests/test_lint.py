"""The tree passes its own checks (the same commands as `nox -s lint`), and each check that
could pass by accident (mypy's config, zizmor's audits) is shown to fail on a bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tapbuild.dev import lint

IDS = ["ruff-check", "ruff-format", "mypy", "zizmor", "clang-format"]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("command", lint.commands(), ids=IDS)
def test_clean(command: list[str]) -> None:
    proc = _run(command)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_strict(tmp_path: Path) -> None:
    """The project's config is strict: an unannotated function is an error."""
    bad = tmp_path / "loose.py"
    bad.write_text("def untyped(x):\n    return x\n")
    proc = _run(lint.mypy(bad))
    assert proc.returncode == 1 and "no-untyped-def" in proc.stdout, proc.stdout + proc.stderr


def test_zizmor_refuses_unpinned_actions(tmp_path: Path) -> None:
    """An action pinned to a tag, not a commit, is a finding (the rule the workflows follow)."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "name: ci\non: push\npermissions:\n  contents: read\njobs:\n  a:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        "        with:\n          persist-credentials: false\n"
    )
    proc = _run(lint.zizmor(workflows))
    assert proc.returncode != 0 and "unpinned-uses" in proc.stdout + proc.stderr, proc.stdout
