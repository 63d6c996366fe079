"""Running an external tool (a signing tool, makensis, msibuild, WiX, tapinstall, pnputil,
SetupBuildEnv.cmd): never through a shell, secrets only through stdin, never a secret
variable in its environment, one-line errors when it is missing or does not answer.

What differs between tools is said by :func:`run`'s parameters: the environment and whether
it keeps the proxy variables, stdin, whether stderr is merged into stdout, text or bytes,
the folder and the timeout. The defaults are a signing tool's.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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


# Variables that hold a secret itself (tapbuild.sign.credentials): no tool gets them.
SECRET_ENV = ("TAP_SIGN_PASSWORD",)


def tool_environment(
    environ: Mapping[str, str] | None = None, *, keep_proxy: bool = False
) -> dict[str, str]:
    """The environment for a tool: ``environ`` (this process's by default) without the
    secret variables and, unless ``keep_proxy``, without the proxy variables (a signing tool
    talks to the loopback relay directly)."""
    env = dict(os.environ if environ is None else environ)
    for name in (*SECRET_ENV, *(() if keep_proxy else PROXY_ENV)):
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
    output: str  # stdout, with stderr merged in unless asked apart; secrets replaced by ***
    stderr: str = ""  # when not merged

    def last_said(self) -> str:
        """The last line the tool wrote: on stderr if it wrote any there, else on stdout."""
        return (self.stderr.strip() or self.output.strip() or "no output").splitlines()[-1]


def _redact(text: str, secret: Secret | None) -> str:
    if secret and secret.reveal():
        text = text.replace(secret.reveal(), "***")
    return text


def run(
    argv: Sequence[str],
    *,
    secret: Secret | None = None,
    environ: Mapping[str, str] | None = None,
    keep_proxy: bool = False,
    stdin: str | None = "",
    merge_stderr: bool = True,
    text: bool = False,
    encoding: str | None = None,
    cwd: Path | None = None,
    timeout: float | None = 600,
    missing: str = "install it or put it on PATH",
) -> Result:
    """Run ``argv`` (never through a shell) and wait for it.

    - ``environ``: the environment to start from (this process's by default), always without
      the secret variables, and without the proxy variables unless ``keep_proxy``.
    - stdin: ``secret`` followed by a newline if given (UTF-8, or ``encoding`` in text
      mode); otherwise ``stdin``: a text to write, "" for an empty one, None to inherit ours.
    - ``merge_stderr``: stderr into :attr:`Result.output`; otherwise it is
      :attr:`Result.stderr`.
    - ``text``: read the output in text mode (``encoding``, the locale's by default, with
      universal newlines); otherwise as bytes decoded as UTF-8, line ends kept. Undecodable
      bytes are replaced, never an error.
    - ``cwd``; ``timeout`` in seconds (None: none).
    - A missing program or a timeout is one TapError line (``missing`` says what to do).
    """
    if secret is not None:
        if stdin != "":
            raise ValueError("run: a secret is the tool's stdin; give no other")
        stdin = secret.reveal() + "\n"
    feed: str | bytes | None = stdin
    if stdin is not None and not text:
        feed = stdin.encode("utf-8")
    # The errors are raised outside the except blocks: what the tool said before it timed
    # out (which may echo a secret) stays out of the exception's context.
    failure = None
    try:
        proc = subprocess.run(
            list(argv),
            input=feed,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            env=tool_environment(environ, keep_proxy=keep_proxy),
            cwd=cwd,
            timeout=timeout,
            text=text,
            encoding=encoding if text else None,
            errors="replace" if text else None,
            check=False,
        )
    except FileNotFoundError:
        failure = f"{argv[0]}: not found" + (f"; {missing}" if missing else "")
    except subprocess.TimeoutExpired:
        failure = f"{argv[0]} {argv[1] if len(argv) > 1 else ''}: no answer in {timeout:.0f} s"
    if failure is not None:
        raise TapError(failure)

    def decoded(out: str | bytes | None) -> str:
        if out is None:
            return ""
        return _redact(out if isinstance(out, str) else out.decode("utf-8", "replace"), secret)

    return Result(proc.returncode, decoded(proc.stdout), decoded(proc.stderr))


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
