"""--json FILE of nox -s sign and verify (tapbuild.sign.report): each file, its signatures and
timestamps and the verdict, written also when the command fails. Real osslsigncode, PFX and
RFC 3161 responder."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from signtest_util import Tsa, pfx_env
from tapbuild.cli import sign
from tapbuild.errors import TapError
from tapbuild.sign.testcert import CertFiles

pytestmark = pytest.mark.tool("osslsigncode", "openssl")

NAMES = [
    f"{a}/{n}" for a in ("amd64", "i386") for n in ("tap0901.cat", "tap0901.sys", "tapinstall.exe")
]


@pytest.fixture
def signed(make_dist: Callable[..., Path], test_cert: CertFiles, tsa: Tsa,
           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, dict[str, object]]:  # fmt: skip
    for key, value in pfx_env(test_cert, tsa.url).items():
        monkeypatch.setenv(key, value)
    dist = make_dist(("i386", "amd64"))
    report = tmp_path / "sign.json"
    sign.main("sign", ["--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), "--json", str(report)],
                 log=lambda _: None)  # fmt: skip
    return dist, json.loads(report.read_text())


def test_sign_reports_each_file(
    signed: tuple[Path, dict[str, object]], test_cert: CertFiles
) -> None:
    dist, report = signed
    assert report["command"] == "sign" and report["ok"] is True and report["error"] is None
    files = report["files"]
    assert isinstance(files, list) and [f["file"] for f in files] == NAMES
    for f in files:
        assert f["action"].startswith("signed (sha256, timestamped"), f
        assert f["sha256"] == hashlib.sha256((dist / f["file"]).read_bytes()).hexdigest()
        [sig] = f["signatures"]
        assert sig["digest"] == "sha256" and sig["timestamped"] is True
        assert sig["thumbprint"] == test_cert.thumbprint and f["verdict"] == "ok"


def test_verify_reports_the_file_that_fails(
    signed: tuple[Path, dict[str, object]], tsa: Tsa, test_cert: CertFiles, tmp_path: Path
) -> None:
    dist, _ = signed
    argv = ["--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), "--ca", str(test_cert.pem)]
    good = tmp_path / "good.json"
    sign.main("verify", [*argv, "--json", str(good)], log=lambda _: None)
    again = tmp_path / "again.json"
    sign.main("verify", [*argv, "--json", str(again)], log=lambda _: None)
    assert good.read_bytes() == again.read_bytes()  # same files, same report
    assert json.loads(good.read_text())["ok"] is True

    exe = dist / "amd64" / "tapinstall.exe"
    data = bytearray(exe.read_bytes())
    data[len(data) // 3] ^= 0xFF  # a byte of the image the signature covers
    exe.write_bytes(bytes(data))
    bad = tmp_path / "bad.json"
    with pytest.raises(TapError, match=re.escape("verification failed: amd64/tapinstall.exe")):
        sign.main("verify", [*argv, "--json", str(bad)], log=lambda _: None)
    report = json.loads(bad.read_text())
    assert report["ok"] is False and report["error"].startswith("verification failed")
    verdicts = {f["file"]: f["verdict"] for f in report["files"]}
    assert verdicts.pop("amd64/tapinstall.exe") == "failed"
    assert set(verdicts.values()) == {"ok"}


def test_a_report_nowhere_is_refused_first(make_dist: Callable[..., Path], tmp_path: Path) -> None:
    dist = make_dist(("amd64",))
    before = sorted(p.name for p in (dist / "amd64").iterdir())
    with pytest.raises(TapError) as exc:
        sign.main("sign", ["--dist", str(dist), "--json", str(tmp_path / "no" / "r.json")])
    assert str(exc.value).startswith("--json ") and "\n" not in str(exc.value)
    assert sorted(p.name for p in (dist / "amd64").iterdir()) == before
