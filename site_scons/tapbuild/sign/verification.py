"""Checking signed files: signatures present, timestamped, by the right certificate,
cryptographically valid, and catalogs listing exactly the package's files."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tapbuild import toolrun
from tapbuild.errors import TapError
from tapbuild.formats import authenticode
from tapbuild.sign import catalog, osslsigncode, signtool


@dataclass(frozen=True)
class Expectations:
    certificate: bytes | None = None  # DER of the signing certificate, when known
    timestamped: bool = True
    ca: Sequence[Path] = ()  # extra trust anchors (PEM/DER) for signatures
    tsa_ca: Sequence[Path] = ()  # extra trust anchors for time-stamp authorities (any timestamp)
    environ: Mapping[str, str] | None = field(default=None, repr=False)


def _pem(path: Path) -> str:
    data = path.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        return data.decode("ascii", "replace")
    try:
        return x509.load_der_x509_certificate(data).public_bytes(Encoding.PEM).decode()
    except ValueError:
        raise TapError(f"{path}: not a certificate file; expected PEM or DER") from None


def _default_bundle(exe: str, environ: Mapping[str, str] | None) -> Path | None:
    out = toolrun.run([exe, "--version"], environ=environ).output
    m = re.search(r"Default -CAfile location:\s*(\S+)", out)
    path = Path(m.group(1)) if m else None
    return path if path is not None and path.is_file() else None


def _self_signed(der: bytes) -> bool:
    cert = x509.load_der_x509_certificate(der)
    return cert.issuer == cert.subject


def _anchor_file(
    directory: Path, name: str, base: Path | None, extra: Sequence[Path], certs: Sequence[bytes]
) -> Path:
    parts = [base.read_text(encoding="ascii", errors="replace")] if base else []
    parts += [_pem(p) for p in extra]
    parts += [x509.load_der_x509_certificate(d).public_bytes(Encoding.PEM).decode() for d in certs]
    out = directory / name
    out.write_text("\n".join(parts), encoding="ascii")
    return out


def verify_files(
    files: Sequence[Path],
    expect: Expectations,
    catalogs: Mapping[Path, Sequence[Path]] | None = None,
) -> list[str]:
    """Problems (empty when all is well). ``catalogs`` maps each catalog to the files it must
    list; catalogs are themselves among ``files`` when they should be signed."""
    problems: list[str] = []
    for path in files:
        problems += _structure(path, expect)
    for cat, members in (catalogs or {}).items():
        problems += catalog.check_members(cat, members)
    if problems:
        return problems
    if osslsigncode.available(expect.environ):
        problems += _crypto_osslsigncode(files, expect, catalogs or {})
    elif signtool.available(expect.environ):
        tool = signtool.SignTool(signtool.find(expect.environ), environ=expect.environ)
        for path in files:
            problems += tool.verify(path)
        for cat, members in (catalogs or {}).items():
            for m in members:
                if authenticode.is_pe(m.read_bytes()):
                    problems += tool.verify(m, catalog=cat)
    else:
        raise TapError("verification needs osslsigncode 2.8+ (any host) or signtool (Windows)")
    return problems


def _structure(path: Path, expect: Expectations) -> list[str]:
    try:
        sigs = authenticode.signatures(path)
    except authenticode.UnknownFormat:
        return []  # left to the tool
    if not sigs:
        return [f"{path.name}: not signed"]
    problems = []
    if expect.timestamped:
        problems += [
            f"{path.name}: signature {s.index} ({s.digest}) has no timestamp; run nox -s timestamp"
            for s in sigs
            if not s.timestamped
        ]
    if path.suffix.lower() == ".cat":  # a nested signature carries its own copy of the CTL
        problems += [
            f"{path.name}: signature {s.index} ({s.digest}) signs other content than the catalog"
            for s in sigs[1:]
            if s.content != sigs[0].content
        ]
    if expect.certificate is not None:
        want = expect.certificate
        if not any(s.signer is not None and s.signer.dump() == want for s in sigs):
            problems.append(
                f"{path.name}: not signed by the signing certificate "
                f"({', '.join(s.signer_subject for s in sigs)})"
            )
    return problems


def _crypto_osslsigncode(
    files: Sequence[Path], expect: Expectations, catalogs: Mapping[Path, Sequence[Path]]
) -> list[str]:
    exe = osslsigncode.find(expect.environ)
    tool = osslsigncode.Osslsigncode(exe, environ=expect.environ)
    base = _default_bundle(exe, expect.environ)
    own = [expect.certificate] if expect.certificate and _self_signed(expect.certificate) else []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tapverify-") as tmp:
        ca = _anchor_file(Path(tmp), "ca.pem", base, expect.ca, own)
        tsa = _anchor_file(Path(tmp), "tsa.pem", base, expect.tsa_ca, [])
        for path in files:  # a timestamp is checked whenever there is one, required or not
            problems += tool.verify(path, ca, tsa)
        for cat, members in catalogs.items():
            for m in members:
                if authenticode.is_pe(m.read_bytes()):
                    problems += tool.verify(m, ca, None, catalog=cat)
    return problems
