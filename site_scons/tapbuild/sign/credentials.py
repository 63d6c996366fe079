"""Signing credentials, from the environment and files only (never from arguments).

=========================  ====================================================================
``TAP_SIGN_PFX``           a PKCS#12 file with the key and certificate (chain)
``TAP_SIGN_PASSWORD_FILE`` a file holding the PFX password (one line); or
``TAP_SIGN_PASSWORD``      the PFX password itself (the file is preferred)
``TAP_SIGN_SUBJECT``       Windows certificate store: subject name or SHA-1 thumbprint
``TAP_SIGN_PKCS11_MODULE`` a PKCS#11 module (.so/.dll) for an HSM or token
``TAP_SIGN_PKCS11_CERT``   the certificate: a ``pkcs11:`` URI or a certificate file
``TAP_SIGN_PKCS11_KEY``    the private key: a ``pkcs11:`` URI
``TAP_SIGN_PIN_FILE``      a file holding the token PIN (one line)
``TAP_SIGN_CROSSCERT``     optional cross-certificate (PEM or DER) added to signatures (``/ac``)
=========================  ====================================================================

A password or PIN is held in a :class:`Secret`, whose ``str``/``repr`` never show it; it
reaches a tool only through a pipe. Errors name the variable, never the value.

Loading checks what can be checked before any file is touched: the PFX opens with its
password; the signing certificate (the PFX's, or ``TAP_SIGN_PKCS11_CERT`` when it is a file)
is valid now and may sign code (:func:`check_signing_certificate`); the PKCS#11 module loads
and is one (it exports ``C_GetFunctionList``).
"""

from __future__ import annotations

import ctypes
import datetime
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from tapbuild.errors import TapError
from tapbuild.toolrun import Secret

ENV_NAMES = (
    "TAP_SIGN_PFX",
    "TAP_SIGN_PASSWORD_FILE",
    "TAP_SIGN_PASSWORD",
    "TAP_SIGN_SUBJECT",
    "TAP_SIGN_PKCS11_MODULE",
    "TAP_SIGN_PKCS11_CERT",
    "TAP_SIGN_PKCS11_KEY",
    "TAP_SIGN_PIN_FILE",
    "TAP_SIGN_CROSSCERT",
)
# The variables that hold a secret itself are toolrun.SECRET_ENV: no tool is given them.

HOW = (
    "set TAP_SIGN_PFX (+ TAP_SIGN_PASSWORD_FILE), or TAP_SIGN_PKCS11_MODULE + "
    "TAP_SIGN_PKCS11_CERT + TAP_SIGN_PKCS11_KEY (+ TAP_SIGN_PIN_FILE), or TAP_SIGN_SUBJECT "
    "(Windows certificate store); see docs/signing.md, Credentials"
)


@dataclass(frozen=True)
class PfxKey:
    path: Path
    password: Secret = field(repr=False)
    certificate: bytes = field(repr=False)  # DER of the signing certificate

    @property
    def thumbprint(self) -> str:
        return hashlib.sha1(self.certificate).hexdigest().upper()


@dataclass(frozen=True)
class Pkcs11Key:
    module: Path
    cert: str  # pkcs11: URI or a certificate file
    key: str  # pkcs11: URI
    pin: Secret | None = field(repr=False)

    @property
    def cert_is_uri(self) -> bool:
        return self.cert.lower().startswith("pkcs11:")

    @property
    def certificate(self) -> bytes | None:
        """DER of the certificate when it is a file; None when it lives in the token."""
        return (
            None if self.cert_is_uri else _load_cert_file(Path(self.cert), "TAP_SIGN_PKCS11_CERT")
        )


@dataclass(frozen=True)
class StoreKey:
    subject: str  # subject name, or a 40-hex-digit SHA-1 thumbprint

    @property
    def is_thumbprint(self) -> bool:
        return re.fullmatch(r"[0-9A-Fa-f]{40}", self.subject.replace(" ", "")) is not None


Key = PfxKey | Pkcs11Key | StoreKey


@dataclass(frozen=True)
class Credentials:
    key: Key
    cross_cert: Path | None = None

    @property
    def certificate(self) -> bytes | None:
        """DER of the signing certificate when known without asking a token or a store."""
        if isinstance(self.key, PfxKey | Pkcs11Key):
            return self.key.certificate
        return None

    @property
    def cross_certificates(self) -> tuple[bytes, ...]:
        """DER of each certificate in the cross-certificate file (none without one)."""
        if self.cross_cert is None:
            return ()
        return _load_certs_file(self.cross_cert, "TAP_SIGN_CROSSCERT")


def _file(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise TapError(f"{name}={value}: no such file; expected the path of an existing file")
    return path


def _read_secret(path: Path, name: str) -> Secret:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise TapError(f"{name}: cannot read {path} as UTF-8 text") from None
    return Secret(text.rstrip("\r\n"))


def _load_certs_file(path: Path, name: str) -> tuple[bytes, ...]:
    """DER of each certificate in a PEM file (one or more) or a DER file (one)."""
    data = path.read_bytes()
    try:
        certs = (
            x509.load_pem_x509_certificates(data)
            if b"-----BEGIN" in data
            else [x509.load_der_x509_certificate(data)]
        )
    except ValueError:
        raise TapError(f"{name}={path}: not a certificate; expected a PEM or DER file") from None
    return tuple(c.public_bytes(Encoding.DER) for c in certs)


def _load_cert_file(path: Path, name: str) -> bytes:
    return _load_certs_file(path, name)[0]


def _check_uri(name: str, value: str) -> str:
    if not value.lower().startswith("pkcs11:"):
        raise TapError(f"{name}: expected a pkcs11: URI (RFC 7512), e.g. pkcs11:token=T;object=K")
    if re.search(r"(^|[;?&])pin-(value|source)=", value, re.IGNORECASE):
        raise TapError(
            f"{name}: the URI holds a PIN; remove it and put the PIN in TAP_SIGN_PIN_FILE"
        )
    return value


def load_pfx(path: Path, password: Secret) -> bytes:
    """Open the PFX (checks the password); return the signing certificate's DER."""
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(
            path.read_bytes(), password.reveal().encode("utf-8") or None
        )
    except ValueError:
        if not password.reveal():
            raise TapError(
                f"TAP_SIGN_PFX={path}: needs a password (or is not a PKCS#12 file); set "
                "TAP_SIGN_PASSWORD_FILE (or TAP_SIGN_PASSWORD)"
            ) from None
        raise TapError(
            f"TAP_SIGN_PFX={path}: wrong password or not a PKCS#12 file; check "
            "TAP_SIGN_PASSWORD_FILE (or TAP_SIGN_PASSWORD)"
        ) from None
    if key is None or cert is None:
        raise TapError(f"TAP_SIGN_PFX={path}: holds no private key with its certificate")
    return cert.public_bytes(Encoding.DER)


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _usage_name(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", "")
    return oid.dotted_string if not name or name.startswith("Unknown") else name


def check_signing_certificate(
    der: bytes, source: str, now: datetime.datetime | None = None
) -> None:
    """One line naming the problem when the certificate cannot make a signature that
    verifies: outside its validity period, an extended key usage without code signing (no
    extension at all means any use, as Windows reads it), or a key usage without digital
    signatures. ``source`` says where it came from (``TAP_SIGN_PFX=...``)."""
    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    who = f"{source}: the certificate {cert.subject.rfc4514_string()!r}"
    if cert.not_valid_after_utc < now:
        raise TapError(f"{who} expired on {_when(cert.not_valid_after_utc)}; renew it")
    if cert.not_valid_before_utc > now:
        raise TapError(
            f"{who} is not valid before {_when(cert.not_valid_before_utc)}; check this "
            "computer's clock or wait"
        )
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = None
    if eku is not None and ExtendedKeyUsageOID.CODE_SIGNING not in eku:
        usages = ", ".join(_usage_name(u) for u in eku) or "none"
        raise TapError(
            f"{who} is not for code signing (extended key usage: {usages}); accepted: a "
            "certificate with the codeSigning usage (1.3.6.1.5.5.7.3.3)"
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.digital_signature:
        raise TapError(
            f"{who} does not allow digital signatures (key usage); accepted: a code-signing "
            "certificate with the digitalSignature key usage"
        )


def _check_module(path: Path) -> None:
    """The PKCS#11 module loads and exports the PKCS#11 entry point; one line otherwise."""
    name = f"TAP_SIGN_PKCS11_MODULE={path}"
    accepted = "accepted: the token's PKCS#11 library (.so/.dll, e.g. libsofthsm2.so)"
    try:
        library = ctypes.CDLL(str(path.resolve()))
    except OSError as exc:
        why = str(exc).replace(str(path.resolve()), "").strip(": ") or "not a shared library"
        raise TapError(f"{name}: the module could not be loaded ({why}); {accepted}") from None
    if not hasattr(library, "C_GetFunctionList"):
        raise TapError(f"{name}: not a PKCS#11 module (no C_GetFunctionList); {accepted}")


def from_environment(
    environ: Mapping[str, str] | None = None, *, signing: bool = True
) -> Credentials:
    """The credentials the environment names; one clear line when they are missing or wrong.
    ``signing``: also refuse a certificate that cannot sign now and a module that does not
    load (``False`` when the credentials only name the certificate to expect)."""
    env = os.environ if environ is None else environ
    pfx = _file(env, "TAP_SIGN_PFX")
    module = _file(env, "TAP_SIGN_PKCS11_MODULE")
    subject = env.get("TAP_SIGN_SUBJECT", "").strip()
    chosen = [
        n
        for n, v in (
            ("TAP_SIGN_PFX", pfx),
            ("TAP_SIGN_PKCS11_MODULE", module),
            ("TAP_SIGN_SUBJECT", subject),
        )
        if v
    ]
    if not chosen:
        raise TapError(f"no signing credentials: {HOW}")
    if len(chosen) > 1:
        raise TapError(f"{' and '.join(chosen)} are both set; choose one way of signing")
    cross = _file(env, "TAP_SIGN_CROSSCERT")
    if cross is not None:
        _load_cert_file(cross, "TAP_SIGN_CROSSCERT")
    key: Key
    if pfx is not None:
        pw_file = _file(env, "TAP_SIGN_PASSWORD_FILE")
        if pw_file is not None:
            password = _read_secret(pw_file, "TAP_SIGN_PASSWORD_FILE")
        else:
            password = Secret(env.get("TAP_SIGN_PASSWORD", ""))
        key = PfxKey(pfx, password, load_pfx(pfx, password))
        if signing:
            check_signing_certificate(key.certificate, f"TAP_SIGN_PFX={pfx}")
    elif module is not None:
        cert = env.get("TAP_SIGN_PKCS11_CERT", "").strip()
        uri = env.get("TAP_SIGN_PKCS11_KEY", "").strip()
        if not cert or not uri:
            missing = [
                n
                for n, v in (("TAP_SIGN_PKCS11_CERT", cert), ("TAP_SIGN_PKCS11_KEY", uri))
                if not v
            ]
            raise TapError(
                f"TAP_SIGN_PKCS11_MODULE is set, so {' and '.join(missing)} must be set too"
            )
        if cert.lower().startswith("pkcs11:"):
            _check_uri("TAP_SIGN_PKCS11_CERT", cert)
        else:
            cert_path = _file(env, "TAP_SIGN_PKCS11_CERT")
            assert cert_path is not None
            der = _load_cert_file(cert_path, "TAP_SIGN_PKCS11_CERT")
            cert = str(cert_path)
            if signing:
                check_signing_certificate(der, f"TAP_SIGN_PKCS11_CERT={cert_path}")
        pin_file = _file(env, "TAP_SIGN_PIN_FILE")
        pin = _read_secret(pin_file, "TAP_SIGN_PIN_FILE") if pin_file else None
        key = Pkcs11Key(module, cert, _check_uri("TAP_SIGN_PKCS11_KEY", uri), pin)
        if signing:
            _check_module(module)
    else:
        key = StoreKey(subject)
    return Credentials(key, cross)


def source(creds: Credentials) -> str:
    """Where the signing certificate comes from, as the user set it (``NAME=value``)."""
    k = creds.key
    if isinstance(k, PfxKey):
        return f"TAP_SIGN_PFX={k.path}"
    if isinstance(k, Pkcs11Key):
        return f"TAP_SIGN_PKCS11_CERT={k.cert}"
    return f"TAP_SIGN_SUBJECT={k.subject}"


def describe(creds: Credentials) -> str:
    """A one-line description for logs (no secret)."""
    k = creds.key
    if isinstance(k, PfxKey):
        text = f"PFX {k.path} (certificate {k.thumbprint})"
    elif isinstance(k, Pkcs11Key):
        text = f"PKCS#11 {k.module}, key {k.key}"
    else:
        text = f"certificate store, {'thumbprint' if k.is_thumbprint else 'subject'} {k.subject}"
    return text + (f", cross-certificate {creds.cross_cert}" if creds.cross_cert else "")
