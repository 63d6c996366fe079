"""The wine runner itself: a silent failure of a program that speaks first is repeated (wine
failed to start it), anything else is returned as it came."""

from __future__ import annotations

import pytest
from wine import Wine

pytestmark = [pytest.mark.tool("wine")]


def test_a_silent_failure_is_run_again_then_returned(
    wine: Wine, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, err = wine.run(["cmd.exe", "/c", "exit", "1"], speaks_first=True)
    assert (code, out, err) == (1, b"", b"")
    assert capfd.readouterr().err.count("before the program printed anything; run again") == 2


def test_a_silent_failure_is_returned_at_once_by_default(
    wine: Wine, capfd: pytest.CaptureFixture[str]
) -> None:
    assert wine.run(["cmd.exe", "/c", "exit", "1"]) == (1, b"", b"")
    assert "run again" not in capfd.readouterr().err


def test_output_or_success_is_never_run_again(
    wine: Wine, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = wine.run(["cmd.exe", "/c", "echo", "hi&", "exit", "1"], speaks_first=True)
    assert (code, out.strip()) == (1, b"hi")
    assert wine.run(["cmd.exe", "/c", "exit", "0"], speaks_first=True)[0] == 0
    assert "run again" not in capfd.readouterr().err
