"""Command-line options of the release nox sessions (submission, extract, devinstall); the
sessions stay thin. ``sign-file`` is a signing command (:mod:`tapbuild.cli.sign`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tapbuild.cli import common
from tapbuild.cli.common import Log
from tapbuild.paths import ROOT
from tapbuild.product.names import load_names
from tapbuild.release import attestation, devinstall, submission
from tapbuild.sign import options as signoptions
from tapbuild.sign import report as jsonreport

COMMANDS = ("submission", "extract", "devinstall")


def _parser(command: str) -> argparse.ArgumentParser:
    p = common.session_parser(command)
    common.add_dist(p, ROOT / "dist")
    if command == "submission":
        p.add_argument(
            "--name",
            help=f"cabinet name stem (default: {submission.DEFAULT_NAME}, and with an "
            f"--override's component id ID: {submission.DEFAULT_NAME}-ID)",
        )
        common.add_override(p, "the version override dist/ was built with")
        p.add_argument("--out", type=Path, default=ROOT, help="where the cabinets go")
        common.add_arch(p, "architectures (default: every one in dist/)")
        signoptions.add_proxy_argument(p)
        signoptions.add_trust_arguments(p)
        common.add_json(p)
    elif command == "extract":
        p.add_argument("zips", nargs="+", type=Path, metavar="ZIP", help="attestation-signed zips")
        p.add_argument(
            "--ca",
            action="append",
            type=Path,
            default=[],
            help="extra trusted root for tapinstall.exe (e.g. Microsoft's, off Windows)",
        )
        signoptions.add_tsa_ca_argument(p)
    else:
        common.add_arch(p, "dist/ folder to install (default: this machine's)")
    return p


def main(command: str, argv: Sequence[str], log: Log = print) -> None:
    """Run one release command; raises TapError (one line) on any failure."""
    common.check_command("release", command, COMMANDS)
    if command == "devinstall":
        devinstall.refuse_off_windows()
    if common.help_requested(_parser(command), argv, log):
        return
    ns = _parser(command).parse_args(list(argv))
    common.quiet_http_log()
    dist = ns.dist.resolve()
    if command == "submission":
        arches = common.arches(ns.arch) if ns.arch else None
        options = signoptions.output_options(ns)
        names = load_names(ns.override)
        name = submission.default_name(names) if ns.name is None else ns.name
        out = ns.out.resolve()
        with jsonreport.writing(ns.json, command) as report:
            made = submission.make(dist, out, name, arches, options=options, log=log, names=names)
            report.add_files(out, [p.name for p in made])
        log("wrote " + ", ".join(str(p) for p in made))
    elif command == "extract":
        backup = attestation.extract(ns.zips, dist, ns.ca, log=log, tsa_ca=ns.tsa_ca)
        log(f"updated {dist}" + (f"; the previous one is {backup}" if backup else ""))
    else:
        devinstall.run(dist, ns.arch, log)
