"""The one argparse base of the nox sessions' command lines (tapbuild.cli.sign, .package,
.release): the parser whose errors are one TapError line, the options several sessions share
(--dist, --override, --arch, --json) and the session dispatch.

Each session keeps its own help texts and defaults (given here as arguments): the option's
name, type, metavar and how its value is read are the same everywhere.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from tapbuild.arch import parse_arches
from tapbuild.errors import TapError

Log = Callable[[str], None]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise one TapError line instead of exiting.

    A session's parser (``prog`` the session's name) ends the line with where its help is;
    a step's parser (``prog`` the whole ``nox -s NAME --``, ``usage_in_errors``) with its
    usage line.
    """

    def __init__(self, prog: str, description: str, *, usage_in_errors: bool = False) -> None:
        super().__init__(prog=prog, description=description)
        self.usage_in_errors = usage_in_errors

    def error(self, message: str) -> NoReturn:
        if self.usage_in_errors:
            usage = " ".join(self.format_usage().split()[1:])
            raise TapError(f"{self.prog}: {message}; usage: {usage}")
        raise TapError(f"nox -s {self.prog} -- : {message}; see nox -s {self.prog} -- --help")


def session_parser(command: str) -> Parser:
    """The parser of ``nox -s COMMAND -- [options]`` (the signing and release sessions)."""
    return Parser(command, f"nox -s {command} -- [options]")


def step_parser(session: str, description: str) -> Parser:
    """The parser of ``nox -s SESSION --`` described by ``description`` (the packaging
    sessions), whose errors end with the usage line."""
    return Parser(f"nox -s {session} --", description, usage_in_errors=True)


def add_dist(p: argparse.ArgumentParser, default: Path, help: str = "the dist/ folder") -> None:
    """--dist DIST: the dist/ folder a session reads or writes."""
    p.add_argument("--dist", type=Path, default=default, help=help)


def add_override(p: argparse.ArgumentParser, help: str) -> None:
    """--override OVERRIDE: the version override module (tapbuild.product.names)."""
    p.add_argument("--override", type=Path, help=help)


def add_arch(p: argparse.ArgumentParser, help: str, default: str | None = None) -> None:
    """--arch ARCH: a comma-separated list of architectures (read with :func:`arches`), or
    with devinstall one dist/ folder."""
    p.add_argument("--arch", default=default, help=help)


def arches(value: str) -> list[str]:
    """The dist/ folder names an --arch value names, in table order (one line if unknown)."""
    return [a.name for a in parse_arches(value, "--arch ")]


def add_json(p: argparse.ArgumentParser) -> None:
    """--json FILE: the machine-readable report (tapbuild.sign.report)."""
    p.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write a report of each file, its signatures and the verdict as JSON",
    )


def check_command(kind: str, command: str, commands: Sequence[str]) -> None:
    """One line when ``command`` is not one of a CLI module's ``commands``."""
    if command not in commands:
        raise TapError(f"unknown {kind} command {command!r}; accepted: {', '.join(commands)}")


def help_requested(parser: argparse.ArgumentParser, argv: Sequence[str], log: Log) -> bool:
    """Whether ``argv`` asks for --help, after logging the help if it does (a session shows
    it through nox's log, without argparse's exit)."""
    if "-h" in argv or "--help" in argv:
        log(parser.format_help())
        return True
    return False


def quiet_http_log() -> None:
    """urllib3's connection lines off (nox logs at debug level): a session says itself what
    it asks a time-stamp server."""
    logging.getLogger("urllib3").setLevel(logging.WARNING)
