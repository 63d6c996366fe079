"""Command-line options of the signing nox sessions (catalog, sign, timestamp, verify, sign-file,
testcert), parsed into :class:`tapbuild.signing.SignOptions`; the sessions stay thin."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from tapbuild import catalog, jsonreport, signing, testcert
from tapbuild.errors import TapError

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("catalog", "sign", "timestamp", "verify", "testcert", "sign-file")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise TapError(f"nox -s {self.prog} -- : {message}; see nox -s {self.prog} -- --help")


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


def output_options(ns: argparse.Namespace) -> signing.SignOptions:
    """SignOptions for signing a release output (installer, cabinet) from the arguments of
    :func:`add_proxy_argument` and :func:`add_trust_arguments`."""
    opts = signing.SignOptions(
        timestamp=not ns.no_timestamp, proxy=ns.proxy, ca=tuple(ns.ca), tsa_ca=tuple(ns.tsa_ca)
    )
    opts.check()
    return opts


def output_arguments(opts: signing.SignOptions) -> list[str]:
    """The arguments that make :func:`output_options` give ``opts`` back (for a child process)."""
    argv = [] if opts.timestamp else ["--no-timestamp"]
    argv += ["--proxy", opts.proxy] if opts.proxy else []
    for flag, paths in (("--ca", opts.ca), ("--tsa-ca", opts.tsa_ca)):
        for path in paths:
            argv += [flag, str(Path(path).resolve())]
    return argv


def _parser(command: str) -> argparse.ArgumentParser:
    p = _Parser(prog=command, description=f"nox -s {command} -- [options]")
    if command == "testcert":
        p.add_argument("--dir", type=Path, default=ROOT / "testcert", help="output folder")
        p.add_argument("--subject", default=testcert.DEFAULT_SUBJECT, help="common name")
        p.add_argument("--days", type=int, default=3 * 365, help="validity in days")
        p.add_argument(
            "--force", action="store_true", help="replace a test certificate already there"
        )
        return p
    if command == "sign-file":
        p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files to sign")
    else:
        p.add_argument("--dist", type=Path, default=ROOT / "dist", help="the dist/ folder")
        p.add_argument("--override", type=Path, help="version override module (component id)")
    if command in ("catalog", "sign"):
        p.add_argument(
            "--os",
            action="append",
            default=[],
            metavar="ARCH=LIST",
            help="target OS list of an arch, e.g. amd64=10,server2016 (repeatable)",
        )
        p.add_argument(
            "--member-hash",
            choices=catalog.MEMBER_HASHES,
            help="catalog member hash (default: by the targets, as Inf2Cat)",
        )
        p.add_argument("--catalog-tool", choices=signing.CATALOG_TOOLS, default="auto")
    if command in ("sign", "timestamp", "sign-file"):
        add_proxy_argument(p)
        p.add_argument("--backend", choices=signing.BACKENDS, default="auto")
    if command in ("sign", "sign-file"):
        mode = p.add_mutually_exclusive_group()
        mode.add_argument(
            "--force", action="store_true", help="remake catalogs and replace signatures"
        )
        mode.add_argument(
            "--append", action="store_true", help="add one more signature to signed files"
        )
        p.add_argument("--digest", choices=signing.DIGESTS, default="sha256")
    if command in ("sign", "verify", "sign-file"):
        add_trust_arguments(p)
    if command in ("sign", "verify"):
        add_json_argument(p)
    return p


def add_json_argument(p: argparse.ArgumentParser) -> None:
    """--json FILE: the machine-readable report (tapbuild.jsonreport)."""
    p.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write a report of each file, its signatures and the verdict as JSON",
    )


def options_from(
    command: str, argv: Sequence[str]
) -> tuple[signing.SignOptions, argparse.Namespace]:
    if command not in COMMANDS:
        raise TapError(f"unknown signing command {command!r}; accepted: {', '.join(COMMANDS)}")
    ns = _parser(command).parse_args(list(argv))
    if command == "testcert":
        return signing.SignOptions(), ns
    opts = signing.SignOptions(
        digest=getattr(ns, "digest", "sha256"),
        force=getattr(ns, "force", False),
        append=getattr(ns, "append", False),
        timestamp=not getattr(ns, "no_timestamp", False),
        backend=getattr(ns, "backend", "auto"),
        proxy=getattr(ns, "proxy", None),
        ca=tuple(getattr(ns, "ca", ())),
        tsa_ca=tuple(getattr(ns, "tsa_ca", ())),
        os_targets=catalog.parse_os_option(ns.os) if getattr(ns, "os", None) else None,
        member_hash=getattr(ns, "member_hash", None),
        catalog_tool=getattr(ns, "catalog_tool", "auto"),
        override=getattr(ns, "override", None),
    )
    opts.check()
    return opts, ns


def main(command: str, argv: Sequence[str], log: Callable[[str], None] = print) -> None:
    """Run one signing command; raises TapError (one line) on any failure."""
    if "-h" in argv or "--help" in argv:
        log(_parser(command).format_help())
        return
    opts, ns = options_from(command, argv)
    logging.getLogger("urllib3").setLevel(logging.WARNING)  # nox logs at debug level
    if command == "testcert":
        files = testcert.make(ns.dir, ns.subject, ns.days, replace=ns.force)
        if files.kept:
            log(
                f"kept the test certificate already in {ns.dir}: {files.pfx} (thumbprint "
                f"{files.thumbprint}), {files.cer}, {files.pem}; --force replaces it"
            )
        else:
            log(f"wrote {files.pfx} (thumbprint {files.thumbprint}), {files.cer}, {files.pem}")
        log("sign with it:")
        for k, v in files.environment().items():
            log(f"  export {k}={v}")
        return
    if command == "sign-file":
        signing.sign_files(ns.files, opts, log=log)
        return
    dist = ns.dist.resolve()
    if command == "catalog":
        signing.make_catalogs(dist, opts, log=log)
    elif command == "sign":
        with jsonreport.writing(ns.json, command) as report:
            actions = signing.sign_dist(dist, opts, log=log)
            report.add_files(dist, sorted(actions), actions=actions)
    elif command == "timestamp":
        signing.timestamp_dist(dist, opts, log=log)
    else:
        with jsonreport.writing(ns.json, command) as report:
            names, problems = signing.verify_dist_report(dist, opts, log=log)
            report.add_files(dist, names, problems)
            signing.raise_problems(problems)
