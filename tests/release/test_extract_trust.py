"""nox -s extract with a private PKI: tapinstall.exe signed by a private CA's certificate and
timestamped by a private time-stamp authority is accepted with --ca and --tsa-ca, as by
nox -s verify, and refused with one line naming --tsa-ca without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reltest_util import error_lines, tree, write_zip
from signtest_util import Tsa, pfx_env
from tapbuild.formats import authenticode
from tapbuild.sign import signer
from tapbuild.sign.testcert import CertFiles

pytestmark = pytest.mark.tool("osslsigncode", "openssl")


@pytest.fixture
def timestamped_zip(pe_files, test_cert: CertFiles, tsa: Tsa, tmp_path: Path) -> Path:
    """A zip of drivers/amd64/ whose tapinstall.exe is signed and timestamped (private TSA)."""
    exe = tmp_path / "signed" / "tapinstall.exe"
    exe.parent.mkdir()
    shutil.copy(pe_files[("amd64", "exe")], exe)
    options = signer.SignOptions(tsa_ca=(tsa.ca_pem,), ts_rounds=1)
    signer.sign_files([exe], options, pfx_env(test_cert, tsa.url))
    assert authenticode.signatures(exe)[0].timestamped
    return write_zip(
        tmp_path / "signed.zip",
        [
            ("drivers/", None),
            ("drivers/amd64/", None),
            ("drivers/amd64/OemVista.inf", b"; signed inf\r\n"),
            ("drivers/amd64/tap0901.sys", b"MZ signed sys"),
            ("drivers/amd64/tapinstall.exe", exe.read_bytes()),
        ],
    )


def test_tsa_ca_on_extract(
    timestamped_zip: Path, test_cert: CertFiles, tsa: Tsa, tmp_path: Path, nox_run
) -> None:
    dist = tmp_path / "dist"
    ca = ["--ca", str(test_cert.pem)]
    refused = nox_run("extract", str(timestamped_zip), "--dist", str(dist), *ca)
    assert refused.returncode != 0
    [line] = error_lines(refused.stderr)
    assert "amd64/tapinstall.exe: the timestamp of signature 0 does not verify" in line
    assert "pass --tsa-ca FILE" in line
    assert not dist.exists()

    res = nox_run("extract", str(timestamped_zip), "--dist", str(dist), *ca,
                  "--tsa-ca", str(tsa.ca_pem))  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert tree(dist)["amd64/tap0901.sys"] == b"MZ signed sys"
    assert authenticode.signatures(dist / "amd64" / "tapinstall.exe")[0].timestamped

    help_text = nox_run("extract", "--help").stderr + nox_run("extract", "--help").stdout
    assert "--tsa-ca" in help_text
