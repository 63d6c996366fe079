"""Running a signing tool: secrets through stdin, a clean environment, one-line errors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tapbuild.errors import TapError

PROXY_ENV = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def tool_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a signing tool: no proxy variables (it talks to the loopback
    relay directly) and no secret variables."""
    env = dict(os.environ if environ is None else environ)
    for name in (*PROXY_ENV, "TAP_SIGN_PASSWORD"):
        env.pop(name, None)
    return env


class Secret:
    """A password or PIN. Shown as ``***`` everywhere; :meth:`reveal` is for the pipe."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


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
