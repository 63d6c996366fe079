"""The signtool backend (Windows): certificate store by subject or thumbprint.

A PFX is never handed to signtool with ``/p``: :meth:`SignTool.session` imports it into a
temporary per-user certificate store (PowerShell ``Import-PfxCertificate``, the password
read from stdin), signs by thumbprint from that store, and deletes the store and the key
afterwards. Timestamps go through the loopback relay of :mod:`tapbuild.sign.timestamp` (signtool
cannot take a proxy). signtool cannot run off Windows: the command lines are unit-tested.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tapbuild import atomic, toolrun
from tapbuild.errors import TapError
from tapbuild.sign.credentials import Credentials, PfxKey, Pkcs11Key, StoreKey

NAME = "signtool"

IMPORT_PS1 = r"""param([Parameter(Mandatory)][string]$Pfx, [Parameter(Mandatory)][string]$Store)
$ErrorActionPreference = 'Stop'
$plain = [Console]::In.ReadLine()
if ($null -eq $plain) { $plain = '' }
$password = ConvertTo-SecureString -String $plain -AsPlainText -Force
Remove-Variable plain
$path = "Cert:\CurrentUser\$Store"
if (-not (Test-Path $path)) { New-Item -Path $path | Out-Null }
Import-PfxCertificate -FilePath $Pfx -CertStoreLocation $path -Password $password | Out-Null
"""

REMOVE_PS1 = r"""param([Parameter(Mandatory)][string]$Store)
$ErrorActionPreference = 'Stop'
$path = "Cert:\CurrentUser\$Store"
if (Test-Path $path) {
    Get-ChildItem -Path $path | Remove-Item -DeleteKey
    Remove-Item -Path $path
}
"""


def find(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    exe = shutil.which(NAME, path=env.get("PATH"))
    if exe is None:
        raise TapError(
            "signtool: not found; run from an EWDK/WDK environment (or choose --backend "
            "osslsigncode)"
        )
    return exe


def available(environ: Mapping[str, str] | None = None) -> bool:
    return (
        sys.platform == "win32"
        and shutil.which(NAME, path=(environ or os.environ).get("PATH")) is not None
    )


def powershell_command(script: Path, *args: str) -> list[str]:
    return [
        "powershell.exe",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-File",
        str(script),
        *args,
    ]


@dataclass
class SignTool:
    """Signs, timestamps and verifies with signtool."""

    exe: str
    creds: Credentials | None = None
    environ: Mapping[str, str] | None = None
    name: str = NAME
    store: str | None = None  # the temporary store while a PFX session is open
    scripts: Path | None = field(default=None, repr=False)

    # --- command lines -----------------------------------------------------------------------

    def key_args(self) -> list[str]:
        if self.creds is None:
            raise TapError("signtool: no signing credentials")
        k = self.creds.key
        if isinstance(k, StoreKey):
            args = ["/sha1", k.subject.replace(" ", "")] if k.is_thumbprint else ["/n", k.subject]
        elif isinstance(k, PfxKey):
            if self.store is None:
                raise TapError("signtool: the PFX is not imported; sign inside session()")
            args = ["/s", self.store, "/sha1", k.thumbprint]
        elif isinstance(k, Pkcs11Key):
            raise TapError(
                "TAP_SIGN_PKCS11_* needs the osslsigncode backend (--backend osslsigncode); "
                "signtool reaches hardware keys through the Windows certificate store "
                "(TAP_SIGN_SUBJECT)"
            )
        if self.creds.cross_cert is not None:
            args += ["/ac", str(self.creds.cross_cert)]
        return args

    def sign_command(
        self, path: Path, digest: str, *, append: bool, ts_url: str | None
    ) -> list[str]:
        argv = [self.exe, "sign", "/fd", digest, *self.key_args()]
        if append:
            argv.append("/as")
        if ts_url:
            argv += ["/tr", ts_url, "/td", digest]
        return [*argv, str(path)]

    def timestamp_command(self, path: Path, index: int, digest: str, ts_url: str) -> list[str]:
        return [self.exe, "timestamp", "/tr", ts_url, "/td", digest, "/tp", str(index), str(path)]

    def remove_command(self, path: Path) -> list[str]:
        return [self.exe, "remove", "/s", str(path)]

    def verify_command(self, path: Path, catalog: Path | None = None) -> list[str]:
        if catalog is not None:
            return [self.exe, "verify", "/pa", "/c", str(catalog), str(path)]
        return [self.exe, "verify", "/pa", "/all", str(path)]

    # --- the PFX session ---------------------------------------------------------------------

    def import_command(self, pfx: Path) -> list[str]:
        assert self.scripts is not None and self.store is not None
        return powershell_command(
            self.scripts / "import.ps1", "-Pfx", str(pfx), "-Store", self.store
        )

    def remove_store_command(self) -> list[str]:
        assert self.scripts is not None and self.store is not None
        return powershell_command(self.scripts / "remove.ps1", "-Store", self.store)

    @contextlib.contextmanager
    def session(self) -> Iterator[SignTool]:
        """Import a PFX into a temporary store for the duration (no-op for other keys)."""
        key = self.creds.key if self.creds else None
        if not isinstance(key, PfxKey):
            yield self
            return
        with tempfile.TemporaryDirectory(prefix="tapsign-") as tmp:
            self.scripts = Path(tmp)
            (self.scripts / "import.ps1").write_text(IMPORT_PS1, encoding="utf-8")
            (self.scripts / "remove.ps1").write_text(REMOVE_PS1, encoding="utf-8")
            self.store = f"TapSign-{secrets.token_hex(6)}"
            try:
                toolrun.check(
                    self.import_command(key.path),
                    f"importing {key.path.name} into a temporary certificate store",
                    secret=key.password,
                    environ=self.environ,
                )
                yield self
            finally:
                toolrun.run(self.remove_store_command(), environ=self.environ)
                self.store = None
                self.scripts = None

    # --- operations --------------------------------------------------------------------------

    def sign(self, path: Path, digest: str, *, append: bool, ts_url: str | None) -> None:
        self._in_place(
            path,
            self.sign_command(path, digest, append=append, ts_url=ts_url),
            f"signing {path.name}",
        )

    def timestamp(self, path: Path, index: int, digest: str, ts_url: str) -> None:
        self._in_place(
            path, self.timestamp_command(path, index, digest, ts_url), f"timestamping {path.name}"
        )

    def remove_signatures(self, path: Path) -> None:
        self._in_place(path, self.remove_command(path), f"removing the signature of {path.name}")

    def has_signature(self, path: Path) -> bool:
        res = toolrun.run(self.verify_command(path), environ=self.environ)
        return "No signature found" not in res.output

    def verify(self, path: Path, catalog: Path | None = None) -> list[str]:
        res = toolrun.run(self.verify_command(path, catalog), environ=self.environ)
        if res.returncode == 0:
            return []
        return [f"{path.name}: signtool verify failed: {toolrun.last_line(res.output)}"]

    def _in_place(self, path: Path, argv: list[str], what: str) -> None:
        """Run a command that rewrites ``path``, on a copy, so a failure changes nothing."""
        with atomic.replacing(path) as work:
            shutil.copy2(path, work)
            argv = [str(work) if a == str(path) else a for a in argv]
            toolrun.check(argv, what, environ=self.environ)
