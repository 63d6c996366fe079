"""The command that signs one packaging output in place (NSIS `!finalize`/`!uninstfinalize`).

makensis runs ``python -m tapbuild.signhook FILE`` for the installer and for the uninstaller
it embeds. The signing itself (certificate from a PFX or a PKCS#11 token, RFC 3161
timestamp, credentials from environment variables only) is tapbuild's signing modules';
this file is the one place that calls them, so packaging plugs in with one call.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from tapbuild.errors import TapError

_API = "tapbuild.signing"


def _signing() -> Any | None:
    try:
        return importlib.import_module(_API)
    except ModuleNotFoundError as exc:
        if exc.name == _API:
            return None
        raise


def configured() -> bool:
    """True when signing credentials are set (the signing module decides which)."""
    api = _signing()
    return bool(api is not None and api.configured())


def command() -> list[str]:
    return [sys.executable, "-m", "tapbuild.signhook"]


def sign_in_place(path: Path) -> None:
    api = _signing()
    if api is None or not api.configured():
        raise TapError(f"{path}: signing requested but no signing credentials are configured")
    api.sign_file(path)


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
