"""nox -s sign-file: any files (cabinets, programs such as installers) signed, timestamped
and verified with the test certificate and a real RFC 3161 responder; signed files skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reltest_util import error_lines
from signtest_util import Tsa, base_env, osslsigncode_verify, pfx_env
from tapbuild.formats import authenticode, cabinet, nesting
from tapbuild.release import submission
from tapbuild.sign import catalog
from tapbuild.sign.testcert import CertFiles

pytestmark = pytest.mark.tool("osslsigncode", "openssl")


@pytest.fixture
def files(make_dist, pe_files, tmp_path: Path) -> list[Path]:
    dist = make_dist(("amd64",))
    cab = submission.make(dist, tmp_path, arches=["amd64"], environ=base_env())[0]
    exe = tmp_path / "tap-windows-9.27.0-I000.exe"  # a program, as the installer is
    shutil.copy(pe_files[("i386", "exe")], exe)
    return [cab, exe]


def test_signs_timestamps_verifies_then_skips(
    files: list[Path], test_cert: CertFiles, tsa: Tsa, nox_run
) -> None:
    env = pfx_env(test_cert, tsa.url)
    args = [*map(str, files), "--tsa-ca", str(tsa.ca_pem)]
    res = nox_run("sign-file", *args, env=env)
    assert res.returncode == 0, res.stderr
    for f in files:
        assert f"{f}: signed (sha256, timestamped)" in res.stderr
        sigs = authenticode.signatures(f)
        assert [(s.digest, s.timestamped, s.signer_sha1) for s in sigs] == [
            ("sha256", True, test_cert.thumbprint)
        ]
        v = osslsigncode_verify(f, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
        assert v.returncode == 0 and "Signature verification: ok" in v.stdout, v.stdout
    assert [m.name for m in cabinet.read_file(files[0])] == [
        "amd64\\OemVista.inf",
        "amd64\\tap0901.sys",
        "amd64\\tapinstall.exe",
    ]
    password = test_cert.password_file.read_text().strip()
    assert password not in res.stdout + res.stderr

    signed = {f: f.read_bytes() for f in files}
    again = nox_run("sign-file", *args, env=env)
    assert again.returncode == 0, again.stderr
    for f in files:
        assert f"{f}: skipped (already signed)" in again.stderr
        assert f.read_bytes() == signed[f]


def test_append_adds_a_second_signature(
    files: list[Path], test_cert: CertFiles, tsa: Tsa, nox_run
) -> None:
    env = pfx_env(test_cert, tsa.url)
    tsa_ca = ["--tsa-ca", str(tsa.ca_pem)]
    assert nox_run("sign-file", str(files[1]), "--digest", "sha1", *tsa_ca, env=env).returncode == 0
    res = nox_run("sign-file", str(files[1]), "--append", *tsa_ca, env=env)
    assert res.returncode == 0, res.stderr
    assert [s.digest for s in authenticode.signatures(files[1])] == ["sha1", "sha256"]


def test_without_credentials_one_line_and_nothing_changed(files: list[Path], nox_run) -> None:
    before = {f: f.read_bytes() for f in files}
    res = nox_run("sign-file", *map(str, files), env=base_env())
    assert res.returncode != 0
    [line] = error_lines(res.stderr)
    assert "no signing credentials: set TAP_SIGN_PFX" in line
    assert {f: f.read_bytes() for f in files} == before


def test_a_file_of_another_kind(tmp_path: Path, test_cert: CertFiles, nox_run) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not signable\n")
    res = nox_run("sign-file", str(text), "--no-timestamp", env=pfx_env(test_cert, ""))
    assert res.returncode != 0
    [line] = error_lines(res.stderr)
    assert "notes.txt: not a kind of file Authenticode signs; accepted: PE images" in line
    assert text.read_text() == "not signable\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_missing_file_or_no_file(tmp_path: Path, test_cert: CertFiles, nox_run) -> None:
    env = pfx_env(test_cert, "")
    res = nox_run("sign-file", str(tmp_path / "nope.cab"), env=env)
    assert res.returncode != 0
    [line] = error_lines(res.stderr)
    assert f"{tmp_path / 'nope.cab'}: no such file to sign" in line
    res = nox_run("sign-file", env=env)
    assert res.returncode != 0
    [line] = error_lines(res.stderr)
    assert "the following arguments are required: FILE" in line


def test_force_replaces_every_signature(
    files: list[Path], make_dist, test_cert: CertFiles, tsa: Tsa, nox_run
) -> None:
    amd64 = make_dist(("amd64",), name="catdist") / "amd64"
    cat = catalog.write_package_catalog(amd64, "tap0901.cat", catalog.os_targets("amd64"))
    unsigned = cat.read_bytes()
    env = pfx_env(test_cert, tsa.url)
    tsa_ca = ["--tsa-ca", str(tsa.ca_pem)]
    every = [*map(str, files), str(cat)]
    first = nox_run("sign-file", *every, "--digest", "sha1", *tsa_ca, env=env)
    assert first.returncode == 0, first.stderr
    assert nox_run("sign-file", str(cat), "--append", *tsa_ca, env=env).returncode == 0
    assert [s.digest for s in authenticode.signatures(cat)] == ["sha1", "sha256"]
    res = nox_run("sign-file", *every, "--force", *tsa_ca, env=env)
    assert res.returncode == 0, res.stderr
    for f in [*files, cat]:
        assert f"{f}: signed (sha256, timestamped)" in res.stderr
        sigs = authenticode.signatures(f)
        assert [(s.digest, s.timestamped) for s in sigs] == [("sha256", True)], f
    assert nesting.unsigned(cat.read_bytes()) == unsigned  # the same catalog, signed afresh
    v = osslsigncode_verify(cat, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
    assert v.returncode == 0 and "Signature verification: ok" in v.stdout, v.stdout
