"""The command that signs one packaging output in place (NSIS `!finalize`/`!uninstfinalize`).

makensis runs ``python -m tapbuild.sign.hook FILE`` for the installer and for the uninstaller
it embeds. The signing itself (certificate from a PFX or a PKCS#11 token, RFC 3161
timestamp, credentials from environment variables only) is tapbuild's signing modules';
this file is the one place that calls them, so packaging plugs in with one call.

makensis starts the hook itself and owns its stdin, so a PFX password given in
``TAP_SIGN_PASSWORD`` reaches the hook through a mode-0600 file in packaging's private folder
(``--password-file``), never through an environment: makensis, the shell and the hook run
without that variable.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tapbuild import atomic
from tapbuild.errors import TapError

if TYPE_CHECKING:
    from tapbuild.sign.signer import SignOptions

# Any of these selects a way of signing (tapbuild.sign.credentials reads and checks them all).
SELECTORS = ("TAP_SIGN_PFX", "TAP_SIGN_PKCS11_MODULE", "TAP_SIGN_SUBJECT")
PASSWORD_FILE = "password"  # in the private folder


def configured(environ: Mapping[str, str] | None = None) -> bool:
    """True when signing credentials are set in the environment."""
    env = os.environ if environ is None else environ
    return any(env.get(name, "").strip() for name in SELECTORS)


def command(
    options: SignOptions, private: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The command, without the file, that signs one file with ``options``. With a private
    folder (mode 0700, removed by the caller when done), a password in TAP_SIGN_PASSWORD is
    written there (mode 0600) and the command names that file."""
    from tapbuild.sign import options as signoptions

    env = os.environ if environ is None else environ
    # makensis runs the hook in its own folder: --cwd brings back the caller's, where
    # relative paths in TAP_SIGN_* and --ca/--tsa-ca mean what the caller meant.
    argv = [
        sys.executable, "-m", "tapbuild.sign.hook", "--cwd", os.getcwd(),
        *signoptions.output_arguments(options),
    ]  # fmt: skip
    password = env.get("TAP_SIGN_PASSWORD", "")
    if private is not None and password and not env.get("TAP_SIGN_PASSWORD_FILE", "").strip():
        secret = atomic.write_bytes(
            private.resolve() / PASSWORD_FILE, password.encode("utf-8"), mode=0o600
        )
        argv += ["--password-file", str(secret)]
    return argv


def sign_in_place(path: Path, options: SignOptions) -> None:
    """Sign, timestamp (unless options say not) and verify one file through tapbuild.sign.signer."""
    from tapbuild.sign import signer

    if not configured():
        raise TapError(f"{path}: signing requested but no signing credentials are configured")
    signer.sign_files([path], options)


def main(argv: list[str]) -> int:
    from tapbuild.sign import options as signoptions

    parser = argparse.ArgumentParser(prog="python -m tapbuild.sign.hook")
    signoptions.add_proxy_argument(parser)
    signoptions.add_trust_arguments(parser)
    parser.add_argument("--cwd", type=Path, help="resolve relative paths from here")
    parser.add_argument(
        "--password-file", type=Path, help="the PFX password (TAP_SIGN_PASSWORD_FILE's role)"
    )
    parser.add_argument("file", type=Path)
    ns = parser.parse_args(argv)
    if ns.password_file is not None:
        os.environ.pop("TAP_SIGN_PASSWORD", None)
        os.environ["TAP_SIGN_PASSWORD_FILE"] = str(ns.password_file.resolve())
    if ns.cwd is not None:
        ns.file = ns.file.resolve()
        os.chdir(ns.cwd)
    try:
        sign_in_place(ns.file, signoptions.output_options(ns))
    except TapError as exc:
        print(f"signhook: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
