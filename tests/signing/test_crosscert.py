"""TAP_SIGN_CROSSCERT (the old /ac) through the osslsigncode backend, with real osslsigncode,
a generated PFX and a real RFC 3161 responder: a DER cross-certificate (the usual .cer) and a
PEM one end up in each signature's certificate set, and the files still verify."""

from __future__ import annotations

import dataclasses
import datetime
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from signtest_util import Tsa, osslsigncode_verify, pfx_env
from tapbuild.errors import TapError
from tapbuild.formats import authenticode
from tapbuild.sign import credentials, osslsigncode
from tapbuild.sign import signer as signing
from tapbuild.sign.signer import SignOptions
from tapbuild.sign.testcert import CertFiles

pytestmark = pytest.mark.tool("osslsigncode", "openssl")


@dataclass(frozen=True)
class CrossCerts:
    cross: bytes  # DER of the cross-certificate (a CA certificate issued by another root)
    root: bytes  # DER of that other root
    der: Path  # the cross-certificate, DER (.cer, as the old workflow had it)
    pem: Path  # the same, PEM
    chain_pem: Path  # the cross-certificate and its root, one PEM file


def _ca(
    cn: str, key: rsa.RSAPrivateKey, issuer: x509.Name, signer: rsa.RSAPrivateKey
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


@pytest.fixture(scope="session")
def cross_certs(tmp_path_factory: pytest.TempPathFactory) -> CrossCerts:
    """A throwaway root and a CA certificate it cross-signs, in DER and PEM files."""
    d = tmp_path_factory.mktemp("crosscert")
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Cross Root")])
    root = _ca("Test Cross Root", root_key, root_name, root_key)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cross = _ca("Test Cross-Signed CA", ca_key, root_name, root_key)
    der, pem = serialization.Encoding.DER, serialization.Encoding.PEM
    (d / "cross.cer").write_bytes(cross.public_bytes(der))
    (d / "cross.pem").write_bytes(cross.public_bytes(pem))
    (d / "chain.pem").write_bytes(cross.public_bytes(pem) + root.public_bytes(pem))
    return CrossCerts(
        cross.public_bytes(der),
        root.public_bytes(der),
        d / "cross.cer",
        d / "cross.pem",
        d / "chain.pem",
    )


def certificate_set(path: Path) -> list[bytes]:
    """DER of each certificate in the primary signature's SignedData of ``path``."""
    der = authenticode.pkcs7_of(path)
    assert der is not None, f"{path} is not signed"
    sd = cms.ContentInfo.load(der)["content"]
    return [c.chosen.dump() for c in sd["certificates"] if c.name == "certificate"]


def opts(tsa: Tsa, cert: CertFiles) -> SignOptions:
    return SignOptions(
        backend="osslsigncode",
        ca=(cert.pem,),
        tsa_ca=(tsa.ca_pem,),
        ts_rounds=2,
        ts_backoff=0.05,
    )


@pytest.mark.parametrize("form", ["der", "pem"])
def test_sign_files_adds_the_cross_certificate(
    form: str,
    tmp_path: Path,
    pe_files: dict[tuple[str, str], Path],
    test_cert: CertFiles,
    tsa: Tsa,
    cross_certs: CrossCerts,
) -> None:
    exe = tmp_path / "tapinstall.exe"
    shutil.copy(pe_files[("amd64", "exe")], exe)
    source = cross_certs.der if form == "der" else cross_certs.pem
    before = source.read_bytes()
    env = pfx_env(test_cert, tsa.url, TAP_SIGN_CROSSCERT=str(source))

    done = signing.sign_files([exe], opts(tsa, test_cert), env)  # verifies, or raises

    assert done[exe] == "signed (sha256, timestamped)"
    certs = certificate_set(exe)
    assert cross_certs.cross in certs
    assert test_cert.cer.read_bytes() in certs
    assert cross_certs.root not in certs  # only what the file holds
    sigs = authenticode.signatures(exe)
    assert [(s.digest, s.timestamped, s.signer_sha1) for s in sigs] == [
        ("sha256", True, test_cert.thumbprint)
    ]
    res = osslsigncode_verify(exe, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
    assert res.returncode == 0, res.stdout
    assert "Timestamp Server Signature verification: ok" in res.stdout
    assert source.read_bytes() == before  # the user's file is only read


def test_sign_dist_with_a_der_cross_certificate(
    make_dist: Callable[..., Path],
    test_cert: CertFiles,
    tsa: Tsa,
    cross_certs: CrossCerts,
) -> None:
    """What `nox -s sign` does with TAP_SIGN_CROSSCERT=<DER .cer>: driver, program, catalog."""
    dist = make_dist(("amd64",))
    env = pfx_env(test_cert, tsa.url, TAP_SIGN_CROSSCERT=str(cross_certs.der))

    report = signing.sign_dist(dist, opts(tsa, test_cert), env)

    d = dist / "amd64"
    for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
        assert report[f"amd64/{name}"] == "signed (sha256, timestamped)"
        certs = certificate_set(d / name)
        assert cross_certs.cross in certs, name
        assert test_cert.cer.read_bytes() in certs, name
        res = osslsigncode_verify(d / name, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
        assert res.returncode == 0, res.stdout
    res = osslsigncode_verify(d / "tap0901.sys", test_cert.pem, "-catalog",
                              str(d / "tap0901.cat"))  # fmt: skip
    assert res.returncode == 0 and "Succeeded" in res.stdout, res.stdout


def test_a_pem_file_with_two_certificates_adds_both(
    tmp_path: Path,
    pe_files: dict[tuple[str, str], Path],
    test_cert: CertFiles,
    tsa: Tsa,
    cross_certs: CrossCerts,
) -> None:
    exe = tmp_path / "tap0901.sys"
    shutil.copy(pe_files[("arm64", "sys")], exe)
    env = pfx_env(test_cert, tsa.url, TAP_SIGN_CROSSCERT=str(cross_certs.chain_pem))

    signing.sign_files([exe], opts(tsa, test_cert), env)

    certs = certificate_set(exe)
    assert cross_certs.cross in certs and cross_certs.root in certs
    res = osslsigncode_verify(exe, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
    assert res.returncode == 0, res.stdout


def test_the_pem_copy_lives_in_a_private_directory_for_the_session(
    test_cert: CertFiles, tsa: Tsa, cross_certs: CrossCerts
) -> None:
    env = pfx_env(test_cert, tsa.url, TAP_SIGN_CROSSCERT=str(cross_certs.der))
    with signing.Signer(opts(tsa, test_cert), env) as signer:
        backend = signer.backend
        assert isinstance(backend, osslsigncode.Osslsigncode)
        copy = backend.cross_pem
        assert copy is not None and copy.is_file()
        assert copy.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        assert (
            x509.load_pem_x509_certificate(copy.read_bytes()).public_bytes(
                serialization.Encoding.DER
            )
            == cross_certs.cross
        )
        assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
        argv, _secret = backend.sign_command(
            Path("in.exe"), Path("out.exe"), "sha256", nest=False, ts_url=None
        )
        assert argv[argv.index("-ac") + 1] == str(copy)
    assert backend.cross_pem is None
    assert not copy.parent.exists()


def test_the_pem_copy_is_removed_when_signing_fails(
    tmp_path: Path,
    pe_files: dict[tuple[str, str], Path],
    test_cert: CertFiles,
    tsa: Tsa,
    dead_url: str,
    cross_certs: CrossCerts,
) -> None:
    """The only time-stamp server is dead: osslsigncode fails mid-signing."""
    env = pfx_env(test_cert, dead_url, TAP_SIGN_CROSSCERT=str(cross_certs.der))
    exe = tmp_path / "tapinstall.exe"
    shutil.copy(pe_files[("amd64", "exe")], exe)
    before = exe.read_bytes()
    options = dataclasses.replace(opts(tsa, test_cert), ts_rounds=1)
    copies: list[Path] = []
    with pytest.raises(TapError) as err, signing.Signer(options, env) as signer:
        assert isinstance(signer.backend, osslsigncode.Osslsigncode)
        assert signer.backend.cross_pem is not None
        copies.append(signer.backend.cross_pem)
        signer.sign(exe)
    assert "time-stamp" in str(err.value) or "timestamp" in str(err.value), err.value
    assert copies and not copies[0].parent.exists()
    assert exe.read_bytes() == before


def test_outside_a_session_the_backend_refuses_rather_than_pass_the_file(
    test_cert: CertFiles, cross_certs: CrossCerts
) -> None:
    env = pfx_env(test_cert, "", TAP_SIGN_CROSSCERT=str(cross_certs.der))
    tool = osslsigncode.Osslsigncode("osslsigncode", credentials.from_environment(env), env)
    with pytest.raises(TapError, match="cross-certificate"):
        tool.key_args()


def test_without_a_cross_certificate_the_session_writes_nothing(test_cert: CertFiles) -> None:
    env = pfx_env(test_cert, "")
    tool = osslsigncode.Osslsigncode("osslsigncode", credentials.from_environment(env), env)
    with tool.session():
        assert tool.cross_pem is None
        args, _secret = tool.key_args()
    assert "-ac" not in args
