"""The wine runner itself: a silent failure of a program that speaks first is repeated (wine
failed to start it), and so is a program wine handed to start.exe; anything else is returned
as it came."""

from __future__ import annotations

from pathlib import Path

import pytest
from wine import NOT_STARTED, Wine

pytestmark = [pytest.mark.tool("wine")]


def test_a_silent_failure_is_run_again_then_returned(
    wine: Wine, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, err = wine.run(["cmd.exe", "/c", "exit", "1"], speaks_first=True)
    assert (code, out, err) == (1, b"", b"")
    assert capfd.readouterr().err.count("before the program ran ('no output'); run again") == 2


def test_a_program_wine_could_not_start_is_run_again(
    wine: Wine, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """What wine's loader does with an image it cannot load (seen once in CI, under load, with
    a good one): it hands it to start.exe, whose ShellExecuteEx fails. Any program run in that
    case is run again, at most twice; a file that is no program shows it for real."""
    bad = tmp_path / "bad.exe"
    bad.write_text("not a program\n")
    code, out, _ = wine.run([str(bad)])
    assert code != 0 and out.startswith(NOT_STARTED) and b"ShellExecuteEx failed" in out
    assert capfd.readouterr().err.count("before the program ran ('Application could not") == 2


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
