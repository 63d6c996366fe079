"""Command-line options of every command that signs a release output (nox -s package,
submission, the signing hook): the proxy, timestamps and extra trust roots, and back."""

from __future__ import annotations

import argparse
from pathlib import Path

from tapbuild.sign import signer


def add_proxy_argument(p: argparse.ArgumentParser) -> None:
    """--proxy: for every command that reaches a time-stamp server."""
    p.add_argument("--proxy", metavar="URL", help="HTTP proxy for the time-stamp servers")


def add_trust_arguments(p: argparse.ArgumentParser) -> None:
    """--no-timestamp, --ca, --tsa-ca: how signatures are made and checked."""
    p.add_argument(
        "--no-timestamp",
        action="store_true",
        help="sign without timestamps (offline test signing)",
    )
    p.add_argument(
        "--ca",
        action="append",
        type=Path,
        default=[],
        help="extra trusted root for verification (repeatable)",
    )
    add_tsa_ca_argument(p)


def add_tsa_ca_argument(p: argparse.ArgumentParser) -> None:
    """--tsa-ca: for every command that verifies signatures (timestamps are checked too)."""
    p.add_argument(
        "--tsa-ca",
        action="append",
        type=Path,
        default=[],
        help="extra trusted time-stamp root for verification (repeatable)",
    )


def output_options(ns: argparse.Namespace) -> signer.SignOptions:
    """SignOptions for signing a release output (installer, cabinet) from the arguments of
    :func:`add_proxy_argument` and :func:`add_trust_arguments`."""
    opts = signer.SignOptions(
        timestamp=not ns.no_timestamp, proxy=ns.proxy, ca=tuple(ns.ca), tsa_ca=tuple(ns.tsa_ca)
    )
    opts.check()
    return opts


def output_arguments(opts: signer.SignOptions) -> list[str]:
    """The arguments that make :func:`output_options` give ``opts`` back (for a child process)."""
    argv = [] if opts.timestamp else ["--no-timestamp"]
    argv += ["--proxy", opts.proxy] if opts.proxy else []
    for flag, paths in (("--ca", opts.ca), ("--tsa-ca", opts.tsa_ca)):
        for path in paths:
            argv += [flag, str(Path(path).resolve())]
    return argv
