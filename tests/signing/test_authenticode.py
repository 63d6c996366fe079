"""Reading Authenticode in Python, checked against files osslsigncode really signed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from signtest_util import base_env
from tapbuild.errors import TapError
from tapbuild.formats import authenticode
from tapbuild.sign import signer
from tapbuild.sign.testcert import CertFiles

pytestmark = pytest.mark.tool("osslsigncode")


def osslsign(cert: CertFiles, src: Path, dst: Path, *extra: str) -> Path:
    subprocess.run(
        ["osslsigncode", "sign", "-pkcs12", str(cert.pfx), "-readpass", str(cert.password_file),
         *extra, "-in", str(src), "-out", str(dst)],
        check=True, capture_output=True,
    )  # fmt: skip
    return dst


@pytest.mark.parametrize("arch", ["i386", "amd64", "arm64"])
def test_pe_image_hash_matches_osslsigncode(pe_files, test_cert: CertFiles, tmp_path, arch) -> None:
    src = pe_files[(arch, "sys")]
    signed = osslsign(test_cert, src, tmp_path / "s.sys")
    out = subprocess.run(["osslsigncode", "verify", "-in", str(signed)],
                         capture_output=True, text=True, check=False).stdout  # fmt: skip
    calculated = re.search(r"Calculated message digest\s*:\s*([0-9A-F]+)", out)
    assert calculated is not None, out
    want = calculated.group(1)
    # the hash is the same before and after signing (the certificate table is excluded)
    assert authenticode.pe_image_hash(src.read_bytes(), "sha256").hex().upper() == want
    assert authenticode.pe_image_hash(signed.read_bytes(), "sha256").hex().upper() == want


@pytest.mark.tool("openssl")
def test_signatures_nested_and_timestamped(pe_files, test_cert: CertFiles, tsa, tmp_path) -> None:
    src = pe_files[("amd64", "exe")]
    assert authenticode.signatures(src) == []
    assert not authenticode.is_signed(src)
    one = osslsign(test_cert, src, tmp_path / "1.exe", "-h", "sha1")
    two = osslsign(test_cert, one, tmp_path / "2.exe", "-h", "sha256", "-nest", "-ts", tsa.url)
    sigs = authenticode.signatures(two)
    assert [(s.index, s.digest, s.timestamped) for s in sigs] == [
        (0, "sha1", False),
        (1, "sha256", True),
    ]
    assert {s.signer_sha1 for s in sigs} == {test_cert.thumbprint}
    assert "TAP-Windows Test Signing" in sigs[0].signer_subject


@pytest.mark.tool("gcab")
def test_cabinet(test_cert: CertFiles, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("payload\n")
    cab = tmp_path / "t.cab"
    subprocess.run(["gcab", "-c", "-z", str(cab), "a.txt"], cwd=tmp_path, check=True)
    assert not authenticode.is_signed(cab)
    signed = osslsign(test_cert, cab, tmp_path / "s.cab")
    assert [s.digest for s in authenticode.signatures(signed)] == ["sha256"]


def test_other_formats_ask_the_tool(test_cert: CertFiles, tmp_path: Path) -> None:
    script = tmp_path / "s.ps1"
    script.write_bytes(b'Write-Host "hi"\r\n')
    with pytest.raises(authenticode.UnknownFormat):
        authenticode.signatures(script)
    env = base_env()
    assert not signer.is_signed(script, env)
    assert signer.is_signed(osslsign(test_cert, script, tmp_path / "t.ps1"), env)


def test_damaged_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sys"
    bad.write_bytes(b"MZ" + b"\0" * 100)
    with pytest.raises(TapError, match=r"bad\.sys: not a valid PE image"):
        authenticode.signatures(bad)
    cat = tmp_path / "bad.cat"
    cat.write_bytes(b"\x30\x80garbage")
    with pytest.raises(TapError, match=r"bad\.cat: not a catalog"):
        authenticode.is_signed(cat)
