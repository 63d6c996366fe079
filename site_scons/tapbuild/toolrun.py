"""Running a signing tool: secrets through stdin, a clean environment, one-line errors."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tapbuild.credentials import Secret
from tapbuild.errors import TapError
from tapbuild.timestamp import tool_environment


@dataclass(frozen=True)
class Result:
    returncode: int
    output: str  # stdout + stderr, secrets replaced by ***


def _redact(text: str, secret: Secret | None) -> str:
    if secret and secret.reveal():
        text = text.replace(secret.reveal(), "***")
    return text


def run(
    argv: Sequence[str],
    *,
    secret: Secret | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> Result:
    """Run ``argv`` (never through a shell). ``secret``, if any, is written to its stdin
    followed by a newline; otherwise stdin is empty."""
    stdin = (secret.reveal() + "\n").encode("utf-8") if secret is not None else b""
    try:
        proc = subprocess.run(
            list(argv),
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=tool_environment(environ),
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise TapError(f"{argv[0]}: not found; install it or put it on PATH") from None
    except subprocess.TimeoutExpired:
        raise TapError(
            f"{argv[0]} {argv[1] if len(argv) > 1 else ''}: no answer in {timeout:.0f} s"
        ) from None
    return Result(proc.returncode, _redact(proc.stdout.decode("utf-8", "replace"), secret))


def check(
    argv: Sequence[str],
    what: str,
    *,
    secret: Secret | None = None,
    environ: Mapping[str, str] | None = None,
    explain: Callable[[str], str | None] | None = None,
) -> Result:
    """:func:`run`, raising a one-line TapError naming ``what`` when the tool fails."""
    res = run(argv, secret=secret, environ=environ)
    if res.returncode != 0:
        reason = (explain(res.output) if explain else None) or last_line(res.output)
        raise TapError(f"{what}: {reason}")
    return res


def last_line(output: str) -> str:
    """The most telling line of a tool's output: the last that is not a bare status word."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.lower() not in ("failed", "succeeded", "error"):
            return line[:200]
    return "failed without a message"
