"""Signing with a key held in a token: SoftHSM2 over PKCS#11 with real osslsigncode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from signtest_util import Token, Tsa, osslsigncode_verify, token_env, tree_bytes
from tapbuild.errors import TapError
from tapbuild.formats import authenticode
from tapbuild.sign import signer
from tapbuild.sign.signer import SignOptions
from tapbuild.sign.testcert import CertFiles

pytestmark = pytest.mark.tool("osslsigncode", "openssl", "softhsm2-util", "p11tool")


def opts(tsa: Tsa, **kw: object) -> SignOptions:
    return SignOptions(tsa_ca=(tsa.ca_pem,), ts_rounds=1, **kw)  # type: ignore[arg-type]


def test_sign_dist_with_the_token(
    make_dist, softhsm: Token, tsa: Tsa, test_cert: CertFiles
) -> None:
    dist = make_dist(("amd64", "arm64"))
    report = signer.sign_dist(dist, opts(tsa), token_env(softhsm, tsa.url))
    assert all(v.startswith("signed (sha256, timestamped") for v in report.values())
    for arch in ("amd64", "arm64"):
        for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
            sigs = authenticode.signatures(dist / arch / name)
            assert sigs[0].signer_sha1 == test_cert.thumbprint and sigs[0].timestamped
        res = osslsigncode_verify(dist / arch / "tap0901.sys", softhsm.cert_pem, "-catalog",
                                  str(dist / arch / "tap0901.cat"))  # fmt: skip
        assert res.returncode == 0, res.stdout


def test_dual_signing_with_the_token(
    make_dist: Callable[..., Path], softhsm: Token, tsa: Tsa
) -> None:
    """An EV key in a token: sha1, then --append sha256, catalogs included."""
    dist = make_dist(("amd64",))
    env = token_env(softhsm, tsa.url)
    signer.sign_dist(dist, opts(tsa, digest="sha1"), env)
    report = signer.sign_dist(dist, opts(tsa, digest="sha256", append=True), env)
    assert set(report.values()) == {"appended (sha256, timestamped)"}
    cat = dist / "amd64" / "tap0901.cat"
    assert [(s.digest, s.timestamped) for s in authenticode.signatures(cat)] == [
        ("sha1", True), ("sha256", True)
    ]  # fmt: skip
    res = osslsigncode_verify(cat, softhsm.cert_pem, "-TSA-CAfile", str(tsa.ca_pem))
    assert res.returncode == 0 and res.stdout.count("\nSignature verification: ok") == 2


def test_certificate_from_a_file(make_dist, softhsm: Token, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    env = token_env(softhsm, tsa.url, TAP_SIGN_PKCS11_CERT=str(softhsm.cert_pem))
    signer.sign_dist(dist, opts(tsa, digest="sha384"), env)
    assert authenticode.signatures(dist / "amd64" / "tap0901.sys")[0].digest == "sha384"


def test_wrong_pin_changes_nothing(make_dist, softhsm: Token, tsa: Tsa, tmp_path) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    wrong = tmp_path / "pin"
    wrong.write_text("999999\n")
    with pytest.raises(TapError) as err:
        signer.sign_dist(dist, opts(tsa), token_env(softhsm, tsa.url, TAP_SIGN_PIN_FILE=str(wrong)))
    assert str(err.value) == "signing tap0901.sys: the token refused the PIN (TAP_SIGN_PIN_FILE)"
    assert tree_bytes(dist) == before


def test_unknown_key_label(make_dist, softhsm: Token, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    env = token_env(
        softhsm, tsa.url, TAP_SIGN_PKCS11_KEY="pkcs11:token=tap;object=nokey;type=private"
    )
    with pytest.raises(TapError, match="no such private key in the token"):
        signer.sign_dist(dist, opts(tsa), env)
