"""nox -s submission: one cabinet per arch holding dist/<arch>/ under <arch>\\, read back with
gcab and the own reader; byte-identical rebuilds; signed and timestamped with the test
certificate when credentials are set, verified with osslsigncode."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from reltest_util import error_lines, tree
from signtest_util import Tsa, base_env, osslsigncode_verify, pfx_env
from tapbuild.errors import TapError
from tapbuild.formats import authenticode, cabinet
from tapbuild.release import submission
from tapbuild.sign import signer
from tapbuild.sign.testcert import CertFiles

ARCHES = ("i386", "amd64", "arm64")


def _expected(dist: Path, arch: str) -> dict[str, bytes]:
    return {
        "\\".join(p.relative_to(dist).parts): p.read_bytes()
        for p in sorted((dist / arch).rglob("*"))
        if p.is_file()
    }


def _unsigned(**extra: str) -> dict[str, str]:
    return base_env(**extra)


@pytest.mark.tool("gcab")
def test_one_cabinet_per_arch_with_every_file(make_dist, tmp_path: Path) -> None:
    dist = make_dist()
    (dist / "amd64" / "symbols").mkdir()
    (dist / "amd64" / "symbols" / "tap0901.pdb").write_bytes(b"pdb" * 1000)
    out = tmp_path / "out"
    out.mkdir()
    made = submission.make(dist, out, environ=_unsigned())
    assert [p.name for p in made] == [f"tap-windows6-{a}.cab" for a in ARCHES]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in made)
    for arch, cab in zip(ARCHES, made, strict=True):
        want = _expected(dist, arch)
        assert "amd64\\symbols\\tap0901.pdb" in want or arch != "amd64"
        got = {m.name: m.data for m in cabinet.read_file(cab)}
        assert got == want
        dest = tmp_path / f"x-{arch}"
        dest.mkdir()
        subprocess.run(["gcab", "-x", "-C", str(dest), str(cab)], check=True, capture_output=True)
        assert {
            "\\".join(p.relative_to(dest).parts): p.read_bytes()
            for p in dest.rglob("*")
            if p.is_file()
        } == want
        data = cab.read_bytes()
        assert int.from_bytes(data[36 + 6 : 36 + 8], "little") == cabinet.COMPRESS_MSZIP
        assert not authenticode.is_signed(cab)


def test_rebuild_is_byte_identical_even_from_another_copy(make_dist, tmp_path: Path) -> None:
    dist = make_dist()
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    submission.make(dist, first, environ=_unsigned())
    other = tmp_path / "elsewhere" / "dist"
    shutil.copytree(dist, other)  # new paths and modification times
    for p in other.rglob("*"):
        os.utime(p, (1_800_000_000, 1_800_000_000))
    submission.make(other, second, environ=_unsigned())
    assert tree(first) == tree(second)


def test_name_arch_and_date(make_dist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = make_dist()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    made = submission.make(dist, tmp_path, "my-tap", ["arm64"], environ=_unsigned())
    assert [p.name for p in made] == ["my-tap-arm64.cab"]
    assert {m.when.year for m in cabinet.read_file(made[0])} == {2026}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "../evil"}, "--name '../evil': accepted: a file-name stem"),
        ({"name": ""}, "--name '': accepted"),
        ({"arches": ["amd64"], "drop": "amd64"}, "no amd64 folder; present: i386, arm64"),
        ({"empty": "i386"}, "i386: empty; build dist/ first"),
        ({"noinf": "arm64"}, "arm64: no .inf file"),
        ({"nodist": True}, "no such directory; build dist/ first"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    make_dist, tmp_path: Path, args: dict[str, object], message: str
) -> None:
    dist = make_dist()
    if "drop" in args:
        shutil.rmtree(dist / str(args["drop"]))
    if "empty" in args:
        for f in (dist / str(args["empty"])).iterdir():
            f.unlink()
    if "noinf" in args:
        (dist / str(args["noinf"]) / "OemVista.inf").unlink()
    if args.get("nodist"):
        dist = tmp_path / "missing"
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TapError) as exc:
        submission.make(
            dist,
            out,
            str(args.get("name", "tap-windows6")),
            args.get("arches"),  # type: ignore[arg-type]
            environ=_unsigned(),
        )
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)
    assert list(out.iterdir()) == []


@pytest.mark.tool("osslsigncode", "openssl", "gcab")
def test_signed_and_timestamped_when_credentials_are_set(
    make_dist, tmp_path: Path, test_cert: CertFiles, tsa: Tsa
) -> None:
    dist = make_dist()
    env = pfx_env(test_cert, tsa.url)
    options = signer.SignOptions(tsa_ca=(tsa.ca_pem,), ts_rounds=2, ts_backoff=0.05)
    lines: list[str] = []
    made = submission.make(dist, tmp_path, options=options, environ=env, log=lines.append)
    assert any("signing with osslsigncode" in ln for ln in lines)
    for cab in made:  # logged under the name it ends with, never the scratch folder's
        assert f"{cab}: signed (sha256, timestamped)" in lines
    assert not [ln for ln in lines if ".submission.tx-" in ln]
    for arch, cab in zip(ARCHES, made, strict=True):
        sigs = authenticode.signatures(cab)
        assert [(s.digest, s.timestamped) for s in sigs] == [("sha256", True)]
        assert sigs[0].signer_sha1 == test_cert.thumbprint
        res = osslsigncode_verify(cab, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
        assert res.returncode == 0, res.stdout + res.stderr
        assert "Signature verification: ok" in res.stdout
        # still a cabinet every reader takes, with the same files
        assert {m.name: m.data for m in cabinet.read_file(cab)} == _expected(dist, arch)
        listing = subprocess.run(["gcab", "-l", str(cab)], check=True, capture_output=True)
        assert listing.stdout.decode().count(f"{arch}\\") == 3


@pytest.mark.tool("osslsigncode")
def test_a_signing_failure_leaves_no_cabinet(
    make_dist, tmp_path: Path, test_cert: CertFiles
) -> None:
    dist = make_dist()
    env = pfx_env(test_cert, "")
    env["TAP_SIGN_PASSWORD_FILE"] = str(tmp_path / "wrong-password")
    (tmp_path / "wrong-password").write_text("not the password\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TapError) as exc:
        submission.make(dist, out, options=signer.SignOptions(timestamp=False), environ=env)
    assert "\n" not in str(exc.value)
    assert list(out.iterdir()) == []


@pytest.mark.tool("gcab")
def test_nox_session(make_dist, tmp_path: Path, nox_run) -> None:
    dist = make_dist(("amd64",))
    res = nox_run("submission", "--dist", str(dist), "--out", str(tmp_path), "--name", "tapx")
    assert res.returncode == 0, res.stderr
    assert "cabinets left unsigned" in res.stderr
    assert (tmp_path / "tapx-amd64.cab").is_file()
    bad = nox_run("submission", "--dist", str(dist), "--out", str(tmp_path), "--arch", "sparc")
    assert bad.returncode != 0
    [line] = error_lines(bad.stderr)
    assert "--arch sparc: unknown architecture 'sparc'; accepted: i386, amd64, arm64" in line


@pytest.mark.tool("gcab")
def test_json_report(make_dist, tmp_path: Path, nox_run) -> None:
    """--json FILE: the cabinets made, each with its digest and (here: no) signatures."""
    dist = make_dist(("amd64", "i386"))
    report = tmp_path / "submission.json"
    res = nox_run("submission", "--dist", str(dist), "--out", str(tmp_path), "--name", "tapx",
                  "--json", str(report))  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads(report.read_text())
    assert data["command"] == "submission" and data["ok"] is True
    assert sorted(f["file"] for f in data["files"]) == ["tapx-amd64.cab", "tapx-i386.cab"]
    for f in data["files"]:
        assert f["sha256"] == hashlib.sha256((tmp_path / f["file"]).read_bytes()).hexdigest()
        assert f["signatures"] == [] and f["verdict"] == "ok"
