"""Reading Authenticode: the PE image hash, and the signatures a file carries.

Pure Python (pefile, asn1crypto), the same on every host, so "is this file signed?",
"how many signatures, which digests, timestamped?" never depend on the signing tool.
PE images (.sys, .exe, .dll), catalogs (.cat) and cabinets (.cab) are read here; other
formats (.msi) raise :class:`UnknownFormat` and the caller asks the signing tool.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms, core, x509

from tapbuild.errors import TapError
from tapbuild.formats import der, nesting

_WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002
_CAB_RESERVE_PRESENT = 0x0004
_SECURITY_DIR = 4

DIGESTS: dict[str, Callable[..., hashlib._Hash]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True)
class Signature:
    """One Authenticode signature (the primary one is index 0, nested ones follow)."""

    index: int
    digest: str  # sha1, sha256, ...
    timestamped: bool
    signer: x509.Certificate | None = field(repr=False, compare=False)
    content: bytes = field(default=b"", repr=False, compare=False)  # DER: what is signed

    @property
    def signer_subject(self) -> str:
        return self.signer.subject.human_friendly if self.signer is not None else "?"

    @property
    def signer_sha1(self) -> str:
        """The signer certificate's thumbprint (upper-case hex), as Windows shows it."""
        return hashlib.sha1(self.signer.dump()).hexdigest().upper() if self.signer else ""


class UnknownFormat(Exception):
    """The file is of a kind this module does not parse (e.g. .msi)."""


# --- PE --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PeLayout:
    checksum_offset: int
    security_entry_offset: int
    cert_offset: int  # 0 when unsigned
    cert_size: int


def _pe_layout(data: bytes, name: str) -> _PeLayout:
    try:
        if data[:2] != b"MZ":
            raise ValueError("no MZ header")
        (pe_off,) = struct.unpack_from("<I", data, 0x3C)
        if data[pe_off : pe_off + 4] != b"PE\0\0":
            raise ValueError("no PE signature")
        opt = pe_off + 24
        (magic,) = struct.unpack_from("<H", data, opt)
        if magic == 0x10B:
            dirs = opt + 96
        elif magic == 0x20B:
            dirs = opt + 112
        else:
            raise ValueError(f"unknown optional-header magic 0x{magic:X}")
        (ndirs,) = struct.unpack_from("<I", data, dirs - 4)
        if ndirs <= _SECURITY_DIR:
            raise ValueError("no security data directory")
        sec = dirs + 8 * _SECURITY_DIR
        cert_offset, cert_size = struct.unpack_from("<II", data, sec)
    except (struct.error, ValueError) as exc:
        raise TapError(f"{name}: not a valid PE image ({exc}); expected a .sys/.exe/.dll") from None
    if cert_offset and (cert_offset + cert_size > len(data) or cert_offset < sec + 8):
        raise TapError(f"{name}: PE certificate table points outside the file; file is damaged")
    return _PeLayout(opt + 64, sec, cert_offset, cert_size)


def is_pe(data: bytes) -> bool:
    return data[:2] == b"MZ"


def pe_image_hash(data: bytes, digest: str, name: str = "PE image") -> bytes:
    """The Authenticode hash of a PE image: everything except the checksum field, the
    security directory entry and the certificate table."""
    lay = _pe_layout(data, name)
    h = DIGESTS[digest]()
    h.update(data[: lay.checksum_offset])
    h.update(data[lay.checksum_offset + 4 : lay.security_entry_offset])
    if lay.cert_offset:
        h.update(data[lay.security_entry_offset + 8 : lay.cert_offset])
        h.update(data[lay.cert_offset + lay.cert_size :])
    else:
        h.update(data[lay.security_entry_offset + 8 :])
    return h.digest()


def _pe_pkcs7(data: bytes, name: str) -> bytes | None:
    lay = _pe_layout(data, name)
    if not lay.cert_offset:
        return None
    off, end = lay.cert_offset, lay.cert_offset + lay.cert_size
    while off + 8 <= end:
        length, _rev, ctype = struct.unpack_from("<IHH", data, off)
        if length < 8 or off + length > end:
            break
        if ctype == _WIN_CERT_TYPE_PKCS_SIGNED_DATA:
            return data[off + 8 : off + length]
        off += (length + 7) & ~7
    return None


# --- cabinet ---------------------------------------------------------------------------------


def _cab_pkcs7(data: bytes, name: str) -> bytes | None:
    """A signed cabinet keeps its signature's offset and size in the header reserve."""
    if len(data) < 36:
        raise TapError(f"{name}: truncated cabinet header")
    (flags,) = struct.unpack_from("<H", data, 30)
    if not flags & _CAB_RESERVE_PRESENT or len(data) < 52:
        return None
    (cb_header,) = struct.unpack_from("<H", data, 36)
    if cb_header < 20:
        return None
    sig_off, sig_len = struct.unpack_from("<II", data, 44)
    if not sig_off or not sig_len or sig_off + sig_len > len(data):
        return None
    return data[sig_off : sig_off + sig_len]


# --- generic ---------------------------------------------------------------------------------


def pkcs7_of(path: Path) -> bytes | None:
    """The DER SignedData a file carries (a catalog is one), or None when unsigned.

    Raises :class:`UnknownFormat` for formats not parsed here.
    """
    data = path.read_bytes()
    if is_pe(data):
        return _pe_pkcs7(data, str(path))
    if data[:4] == b"MSCF":
        return _cab_pkcs7(data, str(path))
    if path.suffix.lower() == ".cat" or data[:1] == b"\x30":
        try:
            ci = cms.ContentInfo.load(data)
            if ci["content_type"].native != "signed_data":
                raise ValueError
            sd = ci["content"]
            return data if len(sd["signer_infos"]) else None
        except (ValueError, TypeError):
            raise TapError(f"{path}: not a catalog (PKCS#7 SignedData); file is damaged") from None
    raise UnknownFormat(str(path))


def _signer_cert(sd: cms.SignedData, si: cms.SignerInfo) -> x509.Certificate | None:
    sid = si["sid"]
    for c in sd["certificates"] or []:
        if c.name != "certificate":
            continue
        cert = c.chosen
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if cert.issuer == ias["issuer"] and cert.serial_number == ias["serial_number"].native:
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _walk(pkcs7: bytes, out: list[Signature]) -> None:
    # Nested signatures and the signed content are taken as stored (tapbuild.formats.der), never
    # through asn1crypto's dump(), which re-encodes a value whose length ends in byte 0x80
    # (taking it for an indefinite length) and can fail on timestamps when it does.
    ci = cms.ContentInfo.load(pkcs7)
    sd = ci["content"]
    content = der.encapsulated_content(pkcs7)
    for si, raw in zip(sd["signer_infos"], der.signer_infos(pkcs7), strict=True):
        digest = si["digest_algorithm"]["algorithm"].native
        attrs = si["unsigned_attrs"]
        unsigned = [] if isinstance(attrs, core.Void) else list(attrs)
        types = {a["type"].native for a in unsigned}
        stamped = bool(
            types
            & {"microsoft_time_stamp_token", "counter_signature", "signature_time_stamp_token"}
        )
        out.append(Signature(len(out), digest, stamped, _signer_cert(sd, si), content))
        for nested in nesting.nested_signatures(raw):
            _walk(nested, out)


def signatures(path: Path) -> list[Signature]:
    """Every Authenticode signature of ``path``, primary first; [] when unsigned."""
    pkcs7 = pkcs7_of(path)
    if pkcs7 is None:
        return []
    out: list[Signature] = []
    try:
        _walk(pkcs7, out)
    except (ValueError, TypeError, KeyError) as exc:
        raise TapError(f"{path}: unreadable signature ({exc.__class__.__name__})") from None
    return out


def is_signed(path: Path) -> bool:
    return pkcs7_of(path) is not None
