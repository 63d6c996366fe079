"""Running Windows programs under Debian's wine, for every test area that does.

(``tests/`` is on sys.path through tests/conftest.py: ``from wine import Wine``.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TIMEOUT = 180

# What wine's start.exe prints when wine's loader could not start the image and fell back to
# opening it as a document ("wine foo.exe" -> "start /exec foo.exe"). Our programs never print it.
NOT_STARTED = (
    b"Application could not be started, or no application associated with the specified file."
)


class Wine:
    """A throwaway wine prefix (created on first use) with a persistent wineserver.

    Output goes through files, never pipes: the processes a prefix's first start leaves
    running (services, explorer) would inherit a pipe and keep it open long after the
    program exits.
    """

    def __init__(self, prefix: Path, win32: bool = False) -> None:
        """win32: a 32-bit prefix (WINEARCH=win32: i386 programs only, as on 32-bit Windows);
        by default a 64-bit one, where i386 programs run under WoW64 (they need wine32)."""
        self.env = {
            **os.environ,
            "WINEPREFIX": str(prefix),
            "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no Mono/Gecko install dialogs
        }
        self.env.pop("DISPLAY", None)
        if win32:
            self.env["WINEARCH"] = "win32"
        self.server = shutil.which("wineserver")

    def _server(self, flag: str) -> None:
        if self.server:
            subprocess.run(
                [self.server, flag], env=self.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False,
            )  # fmt: skip

    def start(self) -> None:
        """Start the server (each wine run then takes a fraction of a second) and the prefix.

        A new prefix's first program can start before wine has finished filling it (seen on a
        loaded machine: "could not load kernel32.dll, status c0000135"); that start is tried
        again, at most twice, and each repetition is reported on stderr.
        """
        self._server("-p")
        for attempt in range(3):
            code, _, err = self.run(["cmd.exe", "/c", "exit", "0"], timeout=300)
            if code == 0 or b"could not load kernel32.dll" not in err or attempt == 2:
                break
            print(  # past pytest's capture: the CI log shows every repeated start
                f"\nwine: {self.env['WINEPREFIX']} was not ready (kernel32.dll); start again",
                file=sys.__stderr__, flush=True,
            )  # fmt: skip
            time.sleep(2)
        assert code == 0, err.decode("utf-8", "replace")

    def stop(self) -> None:
        self._server("-k")

    def run(
        self,
        argv: list[str],
        stdin: bytes = b"",
        cwd: Path | None = None,
        timeout: float = TIMEOUT,
        speaks_first: bool = False,
    ) -> tuple[int, bytes, bytes]:
        """``wine argv...``: (exit code, stdout, stderr).

        speaks_first: the program flushes a line to stdout before it does anything else, so a
        failed run with no output at all never reached the program (wine itself failed to start
        it: seen once in about 200 runs on a loaded machine, exit 1, nothing printed). Such a
        run is repeated, at most twice, and each repetition is reported on stderr.

        Any program is run again the same way when wine's loader could not start it and
        handed it to start.exe instead (seen once in CI on a loaded machine, right after a
        new prefix's first installer run: start.exe's "ShellExecuteEx failed: Internal error").
        """
        for attempt in range(3):
            code, out, err = self._run_once(argv, stdin, cwd, timeout)
            silent = speaks_first and code != 0 and not out and not err
            not_started = code != 0 and out.startswith(NOT_STARTED)
            if not (silent or not_started) or attempt == 2:
                return code, out, err
            why = out.decode("utf-8", "replace").strip() if not_started else "no output"
            print(  # past pytest's capture: the CI log shows every repeated run
                f"\nwine {argv[0]}: exit {code} before the program ran ({why!r}); run again",
                file=sys.__stderr__, flush=True,
            )  # fmt: skip
            time.sleep(1)
        raise AssertionError("unreachable")

    def _run_once(
        self, argv: list[str], stdin: bytes, cwd: Path | None, timeout: float
    ) -> tuple[int, bytes, bytes]:
        with tempfile.TemporaryDirectory(prefix="tapwine-") as tmp:
            files = [Path(tmp, n) for n in ("in", "out", "err")]
            files[0].write_bytes(stdin)
            with files[0].open("rb") as i, files[1].open("wb") as o, files[2].open("wb") as e:
                proc = subprocess.run(
                    ["wine", *argv], env=self.env, stdin=i, stdout=o, stderr=e, cwd=cwd,
                    timeout=timeout, check=False,
                )  # fmt: skip
            return proc.returncode, files[1].read_bytes(), files[2].read_bytes()


@contextmanager
def running(prefix: Path, win32: bool = False) -> Iterator[Wine]:
    """A started prefix, its server stopped afterwards (also when starting failed)."""
    wine = Wine(prefix, win32)
    try:
        wine.start()
        yield wine
    finally:
        wine.stop()
