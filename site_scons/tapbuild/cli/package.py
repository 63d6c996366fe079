"""The packaging sessions' logic: `nox -s package`, `prepare-msm`, `package-msm`.

Each ``*_main(argv, log)`` parses the session's arguments (``nox -s NAME -- ARGS``), does
the work and returns what it wrote; bad arguments or inputs raise TapError (one line).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tapbuild.arch import ARCHES
from tapbuild.cli import common
from tapbuild.cli.common import Log
from tapbuild.paths import ROOT
from tapbuild.product.names import load_names
from tapbuild.sign import options as signoptions
from tapbuild.sign.signer import SignOptions


def _parser(session: str, description: str) -> common.Parser:
    p = common.step_parser(session, description)
    common.add_override(p, "a version override module (Python constants)")
    return p


def package_main(argv: Sequence[str], log: Log = print) -> Path:
    """nox -s package [-- --dist DIR --out DIR --arch LIST --override FILE --no-timestamp ...]."""
    from tapbuild.package import nsis

    p = _parser("package", "Build the NSIS installer from dist/.")
    common.add_dist(p, ROOT / "dist", "the dist/ folder to package")
    p.add_argument("--out", type=Path, default=ROOT, help="where the installer goes (top of tree)")
    common.add_arch(p, "architectures to carry (default: all)", "all")
    signoptions.add_proxy_argument(p)
    signoptions.add_trust_arguments(p)
    args = p.parse_args(list(argv))
    names = load_names(args.override)
    arches = common.arches(args.arch)
    log("[1/3] signing credentials")
    sign = signing_hook(signoptions.output_options(args), log)
    what = "signing and verifying the uninstaller and the installer" if sign else "unsigned"
    log(f"[2/3] makensis: {names.installer_file} for {args.arch} from {args.dist} ({what})")
    out = nsis.build(
        names,
        args.dist,
        args.out,
        ROOT / "build" / "package",
        arches,
        sign_command=sign,
        log=log,
    )
    log(f"[3/3] wrote {out}")
    return out


def prepare_msm_main(argv: Sequence[str], log: Log = print) -> Path:
    """nox -s prepare-msm -- --win7 DIR --win10 DIR [--dist DIR --override FILE]."""
    from tapbuild.package import msmdist

    p = _parser("prepare-msm", "Build the dist/ layout MSM packaging consumes.")
    p.add_argument("--win7", type=Path, required=True, help="the cross-signed (EV) dist/")
    p.add_argument("--win10", type=Path, required=True, help="the attestation-signed dist/")
    common.add_dist(p, ROOT / "dist", "the dist/ to write")
    args = p.parse_args(list(argv))
    names = load_names(args.override)
    log(f"# MSM layout from {args.win7} (win7) and {args.win10} (win10) into {args.dist}")
    backup = msmdist.prepare(args.win7, args.win10, args.dist, names, log=log)
    if backup is not None:
        log(f"previous dist kept as {backup}")
    log(f"wrote {args.dist}")
    return Path(args.dist)


def package_msm_main(argv: Sequence[str], log: Log = print) -> list[Path]:
    """nox -s package-msm [-- --dist DIR --dll-dir DIR --out DIR --arch LIST --writer W]."""
    import os

    from tapbuild import atomic
    from tapbuild.package import msm, msmwrite, wix

    p = _parser("package-msm", "Build the merge modules from the MSM dist/ layout.")
    common.add_dist(p, ROOT / "dist", "the layout prepare-msm wrote")
    p.add_argument(
        "--dll-dir",
        type=Path,
        default=ROOT / "build" / "release",
        help="where <arch>/installer/tapmsi.dll is (scons msica)",
    )
    p.add_argument("--out", type=Path, default=ROOT, help="where the modules go (top of tree)")
    common.add_arch(p, "architectures (default: all)", "all")
    p.add_argument(
        "--writer",
        choices=("wix", "msibuild"),
        default="wix" if os.name == "nt" else "msibuild",
        help="WiX (Windows) or msitools' msibuild (default off Windows)",
    )
    args = p.parse_args(list(argv))
    names = load_names(args.override)
    arches = common.arches(args.arch)
    out_dir = atomic.writable_dir(args.out.absolute(), f"--out {args.out}").resolve()
    written = []
    for arch in arches:
        dll = args.dll_dir / arch / "installer" / "tapmsi.dll"
        module = msm.describe(names, args.dist, dll, arch)
        out = out_dir / names.msm_file(arch)
        log(f"# {args.writer}: {out.name}")
        if args.writer == "wix":
            wix.build(module, out, ROOT / "build" / "package" / "wix")
        else:
            msmwrite.write(module, out)
        log(f"wrote {out}")
        written.append(out)
    return written


def signing_hook(options: SignOptions, log: Log) -> Callable[[Path], list[str]] | None:
    """What makes the command makensis runs to sign the installer and the uninstaller (given
    makensis's private folder, where a password is handed over), or None.

    Signing belongs to tapbuild's signing modules: when their credentials are configured
    (environment variables, never arguments), the command signs one file in place;
    otherwise the installer is built unsigned.
    """
    from tapbuild.sign import credentials, hook

    if not hook.configured():
        log("signing credentials not set: installer and uninstaller stay unsigned")
        return None
    credentials.from_environment()  # a bad password or certificate: said now, not after makensis
    log("signing installer and uninstaller")
    return lambda private: hook.command(options, private)


COMMANDS = ("package", "prepare-msm", "package-msm")


def main(command: str, argv: Sequence[str], log: Log = print) -> None:
    """Run one packaging command, as tapbuild.cli.sign and tapbuild.cli.release run theirs;
    raises TapError (one line) on any failure."""
    steps: dict[str, Callable[[Sequence[str], Log], object]] = {
        "package": package_main,
        "prepare-msm": prepare_msm_main,
        "package-msm": package_msm_main,
    }
    common.check_command("packaging", command, COMMANDS)
    steps[command](argv, log)


__all__ = [
    "ARCHES",
    "COMMANDS",
    "main",
    "package_main",
    "package_msm_main",
    "prepare_msm_main",
    "signing_hook",
]
