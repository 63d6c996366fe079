"""The signing certificate is checked before anything is signed, at every signing entry
point: outside its validity period or without the code-signing extended key usage, the run
stops with one line naming the problem, nothing changed and no time-stamp server asked.
Certificates from a private CA (as openssl makes them), real osslsigncode, a real TSA."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID
from pki import PrivateCa
from signtest_util import Token, Tsa, pfx_env, token_env, tree_bytes
from tapbuild.cli import package
from tapbuild.errors import TapError
from tapbuild.release import submission
from tapbuild.sign import credentials, hook, signer
from tapbuild.sign.testcert import CertFiles

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.tool("osslsigncode", "openssl")

FAULTS = {
    "expired": ({"valid_from": -60, "valid_to": -1}, "expired on "),
    "not-yet-valid": ({"valid_from": 2, "valid_to": 60}, "is not valid before "),
    "server-auth-only": (
        {"usages": (ExtendedKeyUsageOID.SERVER_AUTH,)},
        "is not for code signing (extended key usage: serverAuth); accepted: a certificate "
        "with the codeSigning usage",
    ),
}


@pytest.fixture(scope="module", params=list(FAULTS))
def faulty(request: pytest.FixtureRequest, private_ca: PrivateCa) -> tuple[CertFiles, str]:
    kwargs, message = FAULTS[request.param]
    return private_ca.issue(request.param, **kwargs), message  # type: ignore[arg-type]


def _opts(private_ca: PrivateCa, tsa: Tsa) -> signer.SignOptions:
    return signer.SignOptions(ca=(private_ca.pem,), tsa_ca=(tsa.ca_pem,), ts_rounds=1)


def _check(err: pytest.ExceptionInfo[TapError], cert: CertFiles, message: str) -> None:
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f"TAP_SIGN_PFX={cert.pfx}: the certificate 'CN=Test Signer ")
    assert message in text
    assert "not trusted" not in text


def test_sign_dist_refuses_before_signing(
    faulty, make_dist, private_ca: PrivateCa, tsa: Tsa, tsa_requests
) -> None:
    cert, message = faulty
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    with pytest.raises(TapError) as err:
        signer.sign_dist(dist, _opts(private_ca, tsa), pfx_env(cert, tsa.url))
    _check(err, cert, message)
    assert tree_bytes(dist) == before
    assert tsa_requests == []  # nothing was signed, so nothing was timestamped
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist"]


def test_sign_files_and_submission_refuse_before_signing(
    faulty, make_dist, pe_files, private_ca: PrivateCa, tsa: Tsa, tsa_requests, tmp_path: Path
) -> None:
    cert, message = faulty
    env = pfx_env(cert, tsa.url)
    exe = tmp_path / "setup.exe"
    shutil.copy(pe_files[("amd64", "exe")], exe)
    with pytest.raises(TapError) as err:
        signer.sign_files([exe], _opts(private_ca, tsa), env)
    _check(err, cert, message)
    assert exe.read_bytes() == pe_files[("amd64", "exe")].read_bytes()
    out = tmp_path / "cabs"
    with pytest.raises(TapError) as err:
        submission.make(make_dist(("amd64",)), out, options=_opts(private_ca, tsa), environ=env)
    _check(err, cert, message)
    assert list(out.iterdir()) == []
    assert tsa_requests == []


def test_package_refuses_before_makensis(
    faulty, make_dist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, message = faulty
    for name in ("TAP_SIGN_PKCS11_MODULE", "TAP_SIGN_SUBJECT", "TAP_SIGN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in cert.environment().items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    with pytest.raises(TapError) as err:
        package.package_main(
            ["--dist", str(make_dist(("amd64",))), "--out", str(out), "--no-timestamp"],
            log=lambda _line: None,
        )
    _check(err, cert, message)
    assert not out.exists()


def test_the_signing_hook_refuses(faulty, pe_files, tmp_path: Path) -> None:
    cert, message = faulty
    exe = tmp_path / "installer.exe"
    shutil.copy(pe_files[("i386", "exe")], exe)
    res = subprocess.run(
        [*hook.command(signer.SignOptions(timestamp=False)), str(exe)],
        env=pfx_env(cert, "", PYTHONPATH=str(ROOT / "site_scons")),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 1
    assert res.stderr.startswith(f"signhook: TAP_SIGN_PFX={cert.pfx}: the certificate ")
    assert message in res.stderr and res.stderr.count("\n") == 1
    assert exe.read_bytes() == pe_files[("i386", "exe")].read_bytes()


def test_nox_sign_file_names_the_problem(faulty, pe_files, tmp_path: Path) -> None:
    cert, message = faulty
    exe = tmp_path / "setup.exe"
    shutil.copy(pe_files[("amd64", "exe")], exe)
    res = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "sign-file", "--",
         str(exe), "--no-timestamp", "--ca", str(cert.pem)],
        capture_output=True, text=True, env=pfx_env(cert, ""), check=False, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode != 0
    [line] = [ln for ln in res.stderr.splitlines() if "Session sign-file" in ln]
    assert message in line and "# signing with" not in res.stderr


@pytest.mark.tool("softhsm2-util", "p11tool")
def test_a_pkcs11_certificate_file_is_checked_too(
    faulty, make_dist, softhsm: Token, private_ca: PrivateCa, tsa: Tsa, tsa_requests
) -> None:
    cert, message = faulty
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    env = token_env(softhsm, tsa.url, TAP_SIGN_PKCS11_CERT=str(cert.pem))
    with pytest.raises(TapError) as err:
        signer.sign_dist(dist, _opts(private_ca, tsa), env)
    assert str(err.value).startswith(f"TAP_SIGN_PKCS11_CERT={cert.pem}: the certificate ")
    assert message in str(err.value)
    assert tree_bytes(dist) == before and tsa_requests == []


def test_good_certificates_pass_and_verify_ignores_validity(
    private_ca: PrivateCa, test_cert: CertFiles
) -> None:
    good = private_ca.issue("good")
    for cert in (good, test_cert):
        creds = credentials.from_environment(pfx_env(cert, ""))
        assert creds.certificate == cert.cer.read_bytes()
    expired = private_ca.issue("old", valid_from=-60, valid_to=-1)
    # verifying what an expired certificate signed still knows which certificate to expect
    creds = credentials.from_environment(pfx_env(expired, ""), signing=False)
    assert creds.certificate == expired.cer.read_bytes()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("expired", "a certificate of the signing chain has expired"),
        ("not-yet-valid", "a certificate of the signing chain is not yet valid (check the clock)"),
        (
            "server-auth-only",
            "the signing certificate is not for code signing (extended key usage)",
        ),
    ],
)
def test_verify_names_the_problem_of_a_file_signed_elsewhere(
    fault: str, reason: str, pe_files, private_ca: PrivateCa, tmp_path: Path
) -> None:
    """A file signed by another tool with such a certificate: verification (nox -s verify,
    extract) says what is wrong, not "not trusted (pass --ca FILE)" with --ca given."""
    from tapbuild.sign.verification import Expectations, verify_files

    kwargs, _message = FAULTS[fault]
    cert = private_ca.issue(f"elsewhere-{fault}", **kwargs)  # type: ignore[arg-type]
    signed = tmp_path / "signed.exe"
    subprocess.run(
        ["osslsigncode", "sign", "-pkcs12", str(cert.pfx), "-readpass", str(cert.password_file),
         "-in", str(pe_files[("amd64", "exe")]), "-out", str(signed)],
        check=True, capture_output=True,
    )  # fmt: skip
    problems = verify_files([signed], Expectations(timestamped=False, ca=(private_ca.pem,)))
    assert problems == [f"signed.exe: osslsigncode verify failed: {reason}"]


@pytest.mark.tool("softhsm2-util", "p11tool")
def test_a_certificate_kept_in_the_token_is_checked_in_the_first_signature(
    make_dist, expired_token: Token, private_ca: PrivateCa, tsa: Tsa, pe_files, tmp_path: Path
) -> None:
    """With a pkcs11: URI the certificate is first seen in the signature osslsigncode made:
    checked there, before verification, nothing put in place."""
    dist = make_dist(("amd64", "arm64"))
    before = tree_bytes(dist)
    env = token_env(expired_token, tsa.url)
    with pytest.raises(TapError) as err:
        signer.sign_dist(dist, _opts(private_ca, tsa), env)
    text = str(err.value)
    assert text.startswith(f"TAP_SIGN_PKCS11_CERT={expired_token.cert_uri}: the certificate ")
    assert "expired on " in text and "not trusted" not in text
    assert tree_bytes(dist) == before
    exe = tmp_path / "setup.exe"
    shutil.copy(pe_files[("amd64", "exe")], exe)
    with pytest.raises(TapError, match="expired on "):
        signer.sign_files([exe], _opts(private_ca, tsa), env)
    assert exe.read_bytes() == pe_files[("amd64", "exe")].read_bytes()
