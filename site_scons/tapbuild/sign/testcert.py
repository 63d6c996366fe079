"""A self-signed code-signing certificate for test signing (the old --hlk path).

``nox -s testcert`` writes, in ``testcert/`` at the top of the tree (ignored by git):

- ``tap-test.pfx``       key and certificate, PKCS#12, protected by a random password
- ``tap-test.password``  that password (mode 0600) — point TAP_SIGN_PASSWORD_FILE at it
- ``tap-test.cer``       the certificate (DER), to import on the test machine
- ``tap-test.pem``       the certificate (PEM), for ``--ca`` when verifying

Never use it for a release: Windows loads drivers signed with it only in test mode.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tapbuild import atomic, toolrun
from tapbuild.errors import TapError
from tapbuild.sign import credentials

FILE_STEM = "tap-test"
DEFAULT_SUBJECT = "TAP-Windows Test Signing (not for release)"


@dataclass(frozen=True)
class CertFiles:
    pfx: Path
    password_file: Path
    cer: Path
    pem: Path
    thumbprint: str
    kept: bool = False  # an existing certificate, reused

    def environment(self) -> dict[str, str]:
        return {"TAP_SIGN_PFX": str(self.pfx), "TAP_SIGN_PASSWORD_FILE": str(self.password_file)}


def make(
    directory: Path,
    subject: str = DEFAULT_SUBJECT,
    days: int = 3 * 365,
    key_size: int = 3072,
    now: datetime.datetime | None = None,
    password: str | None = None,
    replace: bool = True,
) -> CertFiles:
    """Create the test certificate files in ``directory``. Without ``replace`` one already
    there is kept and returned (``kept``): machines that trust it would stop trusting what a
    new one signs (``nox -s testcert -- --force`` replaces it)."""
    if not subject.strip():
        raise TapError("testcert: empty subject; give a common name")
    if days < 1:
        raise TapError(f"testcert: --days {days}: not accepted; accepted: 1 or more days")
    pfx = directory / f"{FILE_STEM}.pfx"
    if pfx.exists() and not replace:
        return existing(directory)
    atomic.make_dir(directory, f"testcert: --dir {directory}")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    password = password if password is not None else secrets.token_urlsafe(24)
    pfx_bytes = pkcs12.serialize_key_and_certificates(
        FILE_STEM.encode(),
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
    out = CertFiles(
        pfx,
        directory / f"{FILE_STEM}.password",
        directory / f"{FILE_STEM}.cer",
        directory / f"{FILE_STEM}.pem",
        cert.fingerprint(hashes.SHA1()).hex().upper(),
    )
    atomic.write_bytes(out.password_file, password.encode("utf-8") + b"\n", 0o600)
    atomic.write_bytes(out.pfx, pfx_bytes, 0o600)
    atomic.write_bytes(out.cer, cert.public_bytes(serialization.Encoding.DER), 0o644)
    atomic.write_bytes(out.pem, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return out


def existing(directory: Path) -> CertFiles:
    """The test certificate already in ``directory``, checked: its files are all there, the
    password opens the PFX, the .cer is its certificate, and it can still sign."""
    files = CertFiles(
        directory / f"{FILE_STEM}.pfx",
        directory / f"{FILE_STEM}.password",
        directory / f"{FILE_STEM}.cer",
        directory / f"{FILE_STEM}.pem",
        "",
        kept=True,
    )
    redo = "give --force to replace it (then import the new .cer where the old one is trusted)"
    missing = [p.name for p in (files.password_file, files.cer, files.pem) if not p.is_file()]
    if missing:
        raise TapError(f"testcert: {files.pfx} is there but not {', '.join(missing)}; {redo}")
    try:
        der = credentials.load_pfx(
            files.pfx, toolrun.Secret(files.password_file.read_text("utf-8").rstrip("\r\n"))
        )
        credentials.check_signing_certificate(der, f"testcert: {files.pfx}")
    except (TapError, OSError, UnicodeDecodeError) as exc:
        why = str(exc) if isinstance(exc, TapError) else f"{files.password_file}: unreadable"
        raise TapError(f"{why}; {redo}") from None
    if files.cer.read_bytes() != der:
        raise TapError(f"testcert: {files.cer} is not the certificate of {files.pfx}; {redo}")
    return dataclasses.replace(files, thumbprint=hashlib.sha1(der).hexdigest().upper())
