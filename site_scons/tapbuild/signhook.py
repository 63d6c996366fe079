"""The command that signs one packaging output in place (NSIS `!finalize`/`!uninstfinalize`).

makensis runs ``python -m tapbuild.signhook FILE`` for the installer and for the uninstaller
it embeds. The signing itself (certificate from a PFX or a PKCS#11 token, RFC 3161
timestamp, credentials from environment variables only) is tapbuild's signing modules';
this file is the one place that calls them, so packaging plugs in with one call.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from tapbuild.errors import TapError

# Any of these selects a way of signing (tapbuild.credentials reads and checks them all).
SELECTORS = ("TAP_SIGN_PFX", "TAP_SIGN_PKCS11_MODULE", "TAP_SIGN_SUBJECT")


def configured(environ: Mapping[str, str] | None = None) -> bool:
    """True when signing credentials are set in the environment."""
    env = os.environ if environ is None else environ
    return any(env.get(name, "").strip() for name in SELECTORS)


def command() -> list[str]:
    return [sys.executable, "-m", "tapbuild.signhook"]


def sign_in_place(path: Path) -> None:
    """Sign (and, with TAP_TIMESTAMP_URLS set, timestamp) one file through tapbuild.signing."""
    from tapbuild import signing

    if not configured():
        raise TapError(f"{path}: signing requested but no signing credentials are configured")
    options = signing.SignOptions(timestamp=bool(os.environ.get("TAP_TIMESTAMP_URLS", "").strip()))
    signing.sign_files([path], options)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tapbuild.signhook FILE", file=sys.stderr)
        return 2
    try:
        sign_in_place(Path(argv[0]))
    except TapError as exc:
        print(f"signhook: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
