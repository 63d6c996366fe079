"""The osslsigncode backend (any host): PFX or PKCS#11 keys, RFC 3161, verification.

Version 2.8 or later is required (catalog verification). The password or PIN goes through
``-readpass -`` (stdin); the tool never sees a proxy variable, it timestamps through the
loopback relay of :mod:`tapbuild.sign.timestamp`. The tool reads a cross-certificate (``-ac``)
only as PEM: :meth:`Osslsigncode.session` writes a PEM copy of ``TAP_SIGN_CROSSCERT`` (PEM or
DER) into a private temporary directory, removed when the session ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from asn1crypto import pem

from tapbuild import atomic, toolrun
from tapbuild.errors import TapError
from tapbuild.formats import nesting
from tapbuild.sign.credentials import Credentials, PfxKey, Pkcs11Key
from tapbuild.toolrun import Secret

NAME = "osslsigncode"
MIN_VERSION = (2, 8)


@cache
def _version(exe: str) -> tuple[int, ...]:
    res = toolrun.run([exe, "--version"])
    m = re.search(r"osslsigncode\s+(\d+)\.(\d+)", res.output)
    if not m:
        raise TapError(f"{exe}: cannot read its version; expected osslsigncode 2.8 or later")
    return (int(m.group(1)), int(m.group(2)))


def find(environ: Mapping[str, str] | None = None) -> str:
    """The osslsigncode to use (on PATH), checked to be 2.8 or later."""
    env = os.environ if environ is None else environ
    exe = shutil.which(NAME, path=env.get("PATH"))
    if exe is None:
        raise TapError(
            "osslsigncode: not found; install osslsigncode 2.8 or later "
            "(Debian 12: apt-get install -t bookworm-backports osslsigncode)"
        )
    ver = _version(exe)
    if ver < MIN_VERSION:
        raise TapError(
            f"{exe}: version {'.'.join(map(str, ver))} is too old; 2.8 or later is needed "
            "(Debian 12: apt-get install -t bookworm-backports osslsigncode)"
        )
    return exe


def available(environ: Mapping[str, str] | None = None) -> bool:
    try:
        find(environ)
    except TapError:
        return False
    return True


def _explain(output: str) -> str | None:
    low = output.lower()
    if "mac verify failure" in low or "wrong password" in low:
        return "wrong PFX password (TAP_SIGN_PASSWORD_FILE / TAP_SIGN_PASSWORD)"
    if "pin incorrect" in low or "no pin code was entered" in low:
        return "the token refused the PIN (TAP_SIGN_PIN_FILE)"
    if "private key was not found" in low:
        return "no such private key in the token (TAP_SIGN_PKCS11_KEY)"
    if "failed to load pkcs11 engine" in low or "invalid engine" in low:
        return "cannot load the PKCS#11 engine (install libengine-pkcs11-openssl)"
    if "unsupported input file type" in low:
        return (
            "not a kind of file Authenticode signs; accepted: PE images (.exe, .dll, .sys), "
            "cabinets (.cab), catalogs (.cat), installer databases (.msi, .msm)"
        )
    return None


@dataclass
class Osslsigncode:
    """Signs, timestamps and verifies with osslsigncode."""

    exe: str
    creds: Credentials | None = None
    environ: Mapping[str, str] | None = None
    name: str = NAME
    cross_pem: Path | None = field(default=None, init=False, repr=False)  # in a session

    @contextlib.contextmanager
    def session(self) -> Iterator[Osslsigncode]:
        """Hold a PEM copy of the cross-certificate for the duration (no-op without one)."""
        certs = self.creds.cross_certificates if self.creds else ()
        if not certs:
            yield self
            return
        with tempfile.TemporaryDirectory(prefix="tapsign-") as tmp:
            self.cross_pem = Path(tmp) / "cross-certificate.pem"
            self.cross_pem.write_bytes(b"".join(pem.armor("CERTIFICATE", c) for c in certs))
            try:
                yield self
            finally:
                self.cross_pem = None

    def key_args(self) -> tuple[list[str], Secret | None]:
        if self.creds is None:
            raise TapError("osslsigncode: no signing credentials")
        k = self.creds.key
        args: list[str]
        secret: Secret | None
        if isinstance(k, PfxKey):
            args, secret = ["-pkcs12", str(k.path), "-readpass", "-"], k.password
        elif isinstance(k, Pkcs11Key):
            cert = ["-pkcs11cert", k.cert] if k.cert_is_uri else ["-certs", k.cert]
            args = ["-pkcs11module", str(k.module), *cert, "-key", k.key]
            secret = k.pin
            if secret is not None:
                args += ["-readpass", "-"]
        else:
            raise TapError(
                "TAP_SIGN_SUBJECT (Windows certificate store) needs the signtool backend on "
                "Windows; with osslsigncode use TAP_SIGN_PFX or TAP_SIGN_PKCS11_*"
            )
        if self.creds.cross_cert is not None:
            if self.cross_pem is None:
                raise TapError(
                    "osslsigncode: the cross-certificate is not ready; sign in session()"
                )
            args += ["-ac", str(self.cross_pem)]
        return args, secret

    def sign_command(
        self, src: Path, dst: Path, digest: str, *, nest: bool, ts_url: str | None
    ) -> tuple[list[str], Secret | None]:
        key, secret = self.key_args()
        argv = [self.exe, "sign", *key, "-h", digest]
        if nest:
            argv.append("-nest")
        if ts_url:
            argv += ["-ts", ts_url]
        argv += ["-in", str(src), "-out", str(dst)]
        return argv, secret

    def sign(self, path: Path, digest: str, *, append: bool, ts_url: str | None) -> None:
        """Sign ``path`` in place (through a temporary file beside it).

        The tool cannot nest a signature in a catalog (signing a signed catalog replaces its
        signature): to append, the catalog is signed afresh into the temporary file and that
        signature is nested into the original in Python (:mod:`tapbuild.formats.nesting`).
        """
        nest_here = append and path.suffix.lower() == ".cat"
        with atomic.replacing(path) as tmp:
            argv, secret = self.sign_command(
                path, tmp, digest, nest=append and not nest_here, ts_url=ts_url
            )
            toolrun.check(
                argv,
                f"signing {path.name}",
                secret=secret,
                environ=self.environ,
                explain=_explain,
            )
            if nest_here:
                tmp.write_bytes(nesting.nest(path.read_bytes(), tmp.read_bytes(), path.name))

    def timestamp(self, path: Path, index: int, digest: str, ts_url: str) -> None:
        """Add an RFC 3161 timestamp to signature ``index`` of ``path``."""
        with atomic.replacing(path) as tmp:
            argv = [self.exe, "add", "-index", str(index), "-h", digest, "-ts", ts_url]
            argv += ["-in", str(path), "-out", str(tmp)]
            toolrun.check(argv, f"timestamping {path.name}", environ=self.environ)

    def remove_signatures(self, path: Path) -> None:
        if path.suffix.lower() == ".cat":  # the tool's remove-signature does not take catalogs
            atomic.write_bytes(path, nesting.unsigned(path.read_bytes(), path.name))
            return
        with atomic.replacing(path) as tmp:
            argv = [self.exe, "remove-signature", "-in", str(path), "-out", str(tmp)]
            toolrun.check(argv, f"removing the signature of {path.name}", environ=self.environ)

    def has_signature(self, path: Path) -> bool:
        """For formats :mod:`tapbuild.formats.authenticode` does not read (e.g. .msi)."""
        tmp = atomic.temporary(path)  # scratch only: path is never replaced
        try:
            res = toolrun.run(
                [self.exe, "extract-signature", "-in", str(path), "-out", str(tmp)],
                environ=self.environ,
            )
            return res.returncode == 0 and tmp.exists() and tmp.stat().st_size > 0
        finally:
            tmp.unlink(missing_ok=True)

    def verify(
        self,
        path: Path,
        cafile: Path,
        tsa_cafile: Path | None = None,
        catalog: Path | None = None,
    ) -> list[str]:
        """Problems found by ``osslsigncode verify`` (empty when the file verifies)."""
        argv = [self.exe, "verify", "-in", str(path), "-CAfile", str(cafile)]
        if tsa_cafile is not None:
            argv += ["-TSA-CAfile", str(tsa_cafile)]
        if catalog is not None:
            argv += ["-catalog", str(catalog)]
        res = toolrun.run(argv, environ=self.environ)
        return parse_verify(path, res.returncode, res.output, catalog)


def parse_verify(path: Path, returncode: int, output: str, catalog: Path | None) -> list[str]:
    what = f"{path.name} in {catalog.name}" if catalog else path.name
    problems: list[str] = []
    blocks = _signature_blocks(output) or [(0, output)]
    if returncode != 0:
        problems.append(f"{what}: osslsigncode verify failed: {_verify_reason(output)}")
    else:  # the tool succeeds when any one of the signatures verifies: each one must
        problems += [
            f"{what}: signature {index} does not verify: {_verify_reason(block)}"
            for index, block in blocks
            if re.search(r"^Signature verification: failed", block, re.MULTILINE)
        ]
    if catalog is None:
        problems += [
            f"{path.name}: the timestamp of signature {index} does not verify ({_ts_reason(block)})"
            for index, block in blocks
            if re.search(r"Timestamp Server Signature verification: failed", block)
        ]
    return problems


def _ts_reason(block: str) -> str:
    if re.search(r"Hash value mismatch", block):
        return "it is not the timestamp of this signature, which changed"
    return "time-stamp authority not trusted; pass --tsa-ca FILE"


def _signature_blocks(output: str) -> list[tuple[int, str]]:
    """``osslsigncode verify`` output cut into (signature index, what it says about it)."""
    parts = re.split(r"^Signature Index: (\d+)", output, flags=re.MULTILINE)
    return [(int(parts[i]), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def _verify_reason(output: str) -> str:
    for pattern, text in (
        (r"certificate has expired", "a certificate of the signing chain has expired"),
        (
            r"certificate is not yet valid",
            "a certificate of the signing chain is not yet valid (check the clock)",
        ),
        (
            r"certificate purpose",
            "the signing certificate is not for code signing (extended key usage)",
        ),
        (
            r"self-signed certificate|unable to get local issuer|certificate verify error",
            "the certificate chain is not trusted (pass --ca FILE)",
        ),
        (
            r"MISMATCH|message digest mismatch|Calculated message digest.*\n.*mismatch",
            "the file changed after signing",
        ),
        (r"Catalog verification: failed", "not listed in the catalog with its current hash"),
        (r"PKCS7_verify error|signature failure", "the signature does not match what it signs"),
        (r"No signature found", "not signed"),
    ):
        if re.search(pattern, output, re.IGNORECASE):
            return text
    return toolrun.last_line(output)
