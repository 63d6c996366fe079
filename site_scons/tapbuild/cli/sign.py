"""Command-line options of the signing nox sessions (catalog, sign, timestamp, verify, sign-file,
testcert), parsed into :class:`tapbuild.sign.signer.SignOptions`; the sessions stay thin."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tapbuild.cli import common
from tapbuild.cli.common import Log
from tapbuild.paths import ROOT
from tapbuild.sign import catalog, signer, testcert
from tapbuild.sign import report as jsonreport
from tapbuild.sign.options import add_proxy_argument, add_trust_arguments

COMMANDS = ("catalog", "sign", "timestamp", "verify", "testcert", "sign-file")


def _parser(command: str) -> argparse.ArgumentParser:
    p = common.session_parser(command)
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
        common.add_dist(p, ROOT / "dist")
        common.add_override(p, "version override module (component id)")
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
        p.add_argument("--catalog-tool", choices=signer.CATALOG_TOOLS, default="auto")
    if command in ("sign", "timestamp", "sign-file"):
        add_proxy_argument(p)
        p.add_argument("--backend", choices=signer.BACKENDS, default="auto")
    if command in ("sign", "sign-file"):
        mode = p.add_mutually_exclusive_group()
        mode.add_argument(
            "--force", action="store_true", help="remake catalogs and replace signatures"
        )
        mode.add_argument(
            "--append", action="store_true", help="add one more signature to signed files"
        )
        p.add_argument("--digest", choices=signer.DIGESTS, default="sha256")
    if command in ("sign", "verify", "sign-file"):
        add_trust_arguments(p)
    if command in ("sign", "verify"):
        common.add_json(p)
    return p


def options_from(
    command: str, argv: Sequence[str]
) -> tuple[signer.SignOptions, argparse.Namespace]:
    common.check_command("signing", command, COMMANDS)
    ns = _parser(command).parse_args(list(argv))
    if command == "testcert":
        return signer.SignOptions(), ns
    opts = signer.SignOptions(
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


def main(command: str, argv: Sequence[str], log: Log = print) -> None:
    """Run one signing command; raises TapError (one line) on any failure."""
    common.check_command("signing", command, COMMANDS)
    if common.help_requested(_parser(command), argv, log):
        return
    opts, ns = options_from(command, argv)
    common.quiet_http_log()
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
        signer.sign_files(ns.files, opts, log=log)
        return
    dist = ns.dist.resolve()
    if command == "catalog":
        signer.make_catalogs(dist, opts, log=log)
    elif command == "sign":
        with jsonreport.writing(ns.json, command) as report:
            actions = signer.sign_dist(dist, opts, log=log)
            report.add_files(dist, sorted(actions), actions=actions)
    elif command == "timestamp":
        signer.timestamp_dist(dist, opts, log=log)
    else:
        with jsonreport.writing(ns.json, command) as report:
            names, problems = signer.verify_dist_report(dist, opts, log=log)
            report.add_files(dist, names, problems)
            signer.raise_problems(problems)
