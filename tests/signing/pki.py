"""A private PKI for the signing tests: a root CA (made with ``cryptography``, as openssl
would) that issues code-signing certificates as PKCS#12 files, good ones and faulty ones
(expired, not yet valid, serverAuth only)."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tapbuild.sign.testcert import CertFiles

DAY = datetime.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class PrivateCa:
    """A root CA in ``directory``; :meth:`issue` makes signing certificates under it."""

    directory: Path
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> Path:
        return self.directory / "root.pem"

    @classmethod
    def create(cls, directory: Path, cn: str = "Test Private Root") -> PrivateCa:
        now = datetime.datetime.now(datetime.timezone.utc)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - 3650 * DAY)
            .not_valid_after(now + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        ca = cls(directory, key, cert)
        ca.pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return ca

    def issue(
        self,
        stem: str,
        *,
        valid_from: float = -1,
        valid_to: float = 30,
        usages: tuple[x509.ObjectIdentifier, ...] = (ExtendedKeyUsageOID.CODE_SIGNING,),
    ) -> CertFiles:
        """A signing certificate valid from ``valid_from`` to ``valid_to`` days from now,
        with these extended key usages, as the files ``nox -s testcert`` writes."""
        now = datetime.datetime.now(datetime.timezone.utc)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"Test Signer {stem}"))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + valid_from * DAY)
            .not_valid_after(now + valid_to * DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        password = secrets.token_urlsafe(16)
        d = self.directory
        files = CertFiles(
            d / f"{stem}.pfx",
            d / f"{stem}.password",
            d / f"{stem}.cer",
            d / f"{stem}.pem",
            cert.fingerprint(hashes.SHA1()).hex().upper(),
        )
        files.pfx.write_bytes(
            pkcs12.serialize_key_and_certificates(
                stem.encode(), key, cert, [self.cert],
                serialization.BestAvailableEncryption(password.encode()),
            )
        )  # fmt: skip
        files.password_file.write_text(password + "\n")
        files.cer.write_bytes(cert.public_bytes(serialization.Encoding.DER))
        files.pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return files
