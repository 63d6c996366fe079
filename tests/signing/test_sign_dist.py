"""nox -s sign's engine (tapbuild.signing) with real osslsigncode, a generated PFX, a real
RFC 3161 responder behind a real HTTP proxy, the first time-stamp server dead."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from signtest_util import Proxy, Tsa, osslsigncode_verify, pfx_env, tree_bytes
from tapbuild import authenticode, catalog, signing
from tapbuild.errors import TapError
from tapbuild.signing import SignOptions
from tapbuild.testcert import CertFiles
from tapbuild.verification import Expectations, verify_files

pytestmark = pytest.mark.tool("osslsigncode", "openssl", "tinyproxy")

ARCHES = ("i386", "amd64", "arm64")


def opts(tsa: Tsa, **kw: object) -> SignOptions:
    base: dict[str, object] = {"tsa_ca": (tsa.ca_pem,), "ts_rounds": 2, "ts_backoff": 0.05}
    base.update(kw)
    return SignOptions(**base)  # type: ignore[arg-type]


@pytest.fixture
def env(test_cert: CertFiles, tsa: Tsa, dead_url: str, proxy: Proxy) -> dict[str, str]:
    """PFX credentials; the first time-stamp server is dead; both reached via the proxy."""
    return pfx_env(test_cert, f"{dead_url} {tsa.url}", HTTP_PROXY=proxy.url)


def test_sign_dist_signs_timestamps_and_verifies(
    make_dist, env, tsa: Tsa, tsa_requests, proxy: Proxy, test_cert: CertFiles
) -> None:
    dist = make_dist()
    log: list[str] = []
    report = signing.sign_dist(dist, opts(tsa), env, log.append)

    for arch in ARCHES:
        d = dist / arch
        for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
            assert report[f"{arch}/{name}"].startswith("signed (sha256, timestamped")
            sigs = authenticode.signatures(d / name)
            assert [(s.digest, s.timestamped) for s in sigs] == [("sha256", True)]
            assert sigs[0].signer_sha1 == test_cert.thumbprint
            # the real tool agrees: chain to the test certificate, timestamp chains to the TSA
            res = osslsigncode_verify(d / name, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
            assert res.returncode == 0, res.stdout
            assert "Timestamp Server Signature verification: ok" in res.stdout
        # catalog membership: osslsigncode's catalog check of the driver ...
        res = osslsigncode_verify(d / "tap0901.sys", test_cert.pem, "-catalog",
                                  str(d / "tap0901.cat"))  # fmt: skip
        assert res.returncode == 0 and "Succeeded" in res.stdout, res.stdout
        # ... and reading the catalog back: the .sys by Authenticode hash, the .inf by file hash
        info = catalog.read_catalog(d / "tap0901.cat")
        assert info.signed
        want = "sha1" if arch != "arm64" else "sha256"
        assert info.member_hash == want
        members = {(m.name, m.algorithm): m.digest for m in info.members}
        sys_data = (d / "tap0901.sys").read_bytes()
        inf_data = (d / "OemVista.inf").read_bytes()
        assert members[("tap0901.sys", want)] == authenticode.pe_image_hash(sys_data, want)
        assert members[("OemVista.inf", want)] == authenticode.DIGESTS[want](inf_data).digest()
        assert {m.name for m in info.members} == {"tap0901.sys", "OemVista.inf"}

    # every timestamp request went through the proxy, and fail-over skipped the dead server
    assert len(tsa_requests) == 9
    assert all("tinyproxy" in r.get("via", "") for r in tsa_requests)
    assert "dead" in proxy.log.read_text()
    assert any("time-stamp servers" in line and proxy.url in line for line in log)


def test_rerun_skips_signed_files(make_dist, env, tsa: Tsa, tsa_requests) -> None:
    dist = make_dist(("amd64",))
    signing.sign_dist(dist, opts(tsa), env)
    before = tree_bytes(dist)
    tsa_requests.clear()
    report = signing.sign_dist(dist, opts(tsa), env)
    assert set(report.values()) == {"skipped (already signed)"}
    assert tree_bytes(dist) == before
    assert tsa_requests == []


def test_append_adds_a_second_signature(make_dist, env, tsa: Tsa, test_cert: CertFiles) -> None:
    dist = make_dist(("i386",))
    signing.sign_dist(dist, opts(tsa, digest="sha1"), env)
    report = signing.sign_dist(dist, opts(tsa, digest="sha256", append=True), env)
    for name in ("tap0901.sys", "tapinstall.exe"):
        path = dist / "i386" / name
        assert report[f"i386/{name}"].startswith("appended (sha256")
        sigs = authenticode.signatures(path)
        assert [(s.digest, s.timestamped) for s in sigs] == [("sha1", True), ("sha256", True)]
        res = osslsigncode_verify(path, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
        assert "Number of verified signatures: 2" in res.stdout and res.returncode == 0
    # a catalog holds one signature with osslsigncode: kept, and said so
    assert report["i386/tap0901.cat"].startswith("kept")
    assert len(authenticode.signatures(dist / "i386" / "tap0901.cat")) == 1


def test_force_remakes_catalogs_and_replaces_signatures(make_dist, env, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    signing.sign_dist(dist, opts(tsa, digest="sha1"), env)
    signing.sign_dist(dist, opts(tsa, digest="sha256", append=True), env)
    report = signing.sign_dist(dist, opts(tsa, force=True), env)
    assert report["amd64/tap0901.sys"].startswith("signed (sha256")
    for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
        sigs = authenticode.signatures(dist / "amd64" / name)
        assert [(s.digest, s.timestamped) for s in sigs] == [("sha256", True)]


def test_force_and_append_exclude_each_other(make_dist, env, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    with pytest.raises(TapError, match="--force and --append exclude each other"):
        signing.sign_dist(dist, opts(tsa, force=True, append=True), env)
    assert tree_bytes(dist) == before


def test_no_timestamp_server_leaves_dist_unchanged(
    make_dist, test_cert: CertFiles, tsa: Tsa, dead_url: str, proxy: Proxy
) -> None:
    dist = make_dist()
    before = tree_bytes(dist)
    env = pfx_env(test_cert, dead_url, HTTP_PROXY=proxy.url)
    with pytest.raises(TapError) as err:
        signing.sign_dist(dist, opts(tsa), env)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("no time-stamp server answered (2 rounds)")
    assert dead_url in msg and "via" in msg
    assert tree_bytes(dist) == before
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist"]  # no leftovers


def test_failure_in_the_last_arch_leaves_dist_unchanged(make_dist, env, tsa: Tsa) -> None:
    dist = make_dist()
    signing.sign_dist(dist, opts(tsa), env)  # some files signed already
    (dist / "arm64" / "tapinstall.exe").unlink()
    shutil.copy(dist / "i386" / "OemVista.inf", dist / "arm64" / "tapinstall.exe")  # not a PE
    before = tree_bytes(dist)
    with pytest.raises(TapError, match=r"tapinstall\.exe"):
        signing.sign_dist(dist, opts(tsa, force=True), env)
    assert tree_bytes(dist) == before


def test_wrong_password_changes_nothing(
    make_dist, test_cert: CertFiles, tsa: Tsa, tmp_path
) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Hunter2-wrong\n")
    env = pfx_env(test_cert, tsa.url, TAP_SIGN_PASSWORD_FILE=str(wrong))
    with pytest.raises(TapError) as err:
        signing.sign_dist(dist, opts(tsa), env)
    assert "wrong password" in str(err.value) and "Hunter2" not in str(err.value)
    assert tree_bytes(dist) == before


def test_stale_signed_catalog_is_remade(make_dist, env, tsa: Tsa) -> None:
    """After a rebuild dist/ has a new .sys beside an old signed catalog."""
    dist = make_dist(("amd64",))
    signing.sign_dist(dist, opts(tsa), env)
    sys_path = dist / "amd64" / "tap0901.sys"
    data = bytearray(authenticode_strip(sys_path))
    data[0x200] ^= 0xFF  # a "rebuilt" driver: different code, unsigned
    sys_path.write_bytes(bytes(data))
    log: list[str] = []
    signing.sign_dist(dist, opts(tsa), env, log.append)
    assert "amd64/tap0901.cat: remade" in log
    assert catalog.check_members(dist / "amd64" / "tap0901.cat",
                                 catalog.package_files(dist / "amd64")) == []  # fmt: skip


def authenticode_strip(path: Path) -> bytes:
    """The file as it was before signing (certificate table removed)."""
    import subprocess

    out = path.with_name("stripped")
    subprocess.run(["osslsigncode", "remove-signature", "-in", str(path), "-out", str(out)],
                   check=True, capture_output=True)  # fmt: skip
    data = out.read_bytes()
    out.unlink()
    return data


def test_timestamp_adds_missing_timestamps(make_dist, env, tsa: Tsa, test_cert: CertFiles) -> None:
    dist = make_dist(("amd64",))
    signing.sign_dist(dist, opts(tsa, timestamp=False), env)
    for name in ("tap0901.sys", "tap0901.cat"):
        assert not authenticode.signatures(dist / "amd64" / name)[0].timestamped
    with pytest.raises(TapError, match="has no timestamp"):
        signing.verify_dist(dist, opts(tsa), env)
    added = signing.timestamp_dist(dist, opts(tsa), env)
    assert added == {"amd64/tap0901.sys": 1, "amd64/tapinstall.exe": 1, "amd64/tap0901.cat": 1}
    signing.verify_dist(dist, opts(tsa), env)
    # a second run has nothing to do
    assert set(signing.timestamp_dist(dist, opts(tsa), env).values()) == {0}


def test_verify_detects_tampering(make_dist, env, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    signing.sign_dist(dist, opts(tsa), env)
    signing.verify_dist(dist, opts(tsa), env)
    inf = dist / "amd64" / "OemVista.inf"
    inf.write_bytes(inf.read_bytes().replace(b"V9", b"V8"))
    with pytest.raises(TapError, match=r"OemVista\.inf changed since the catalog was made"):
        signing.verify_dist(dist, opts(tsa), env)
    exe = dist / "amd64" / "tapinstall.exe"
    data = bytearray(exe.read_bytes())
    data[0x210] ^= 1
    exe.write_bytes(bytes(data))
    problems = verify_files([exe], Expectations(None, True, (), (tsa.ca_pem,), env))
    assert any(re.search(r"changed after signing|not trusted", p) for p in problems)


def test_sign_files_for_packaging(pe_files, env, tsa: Tsa, tmp_path: Path) -> None:
    """The API the packaging and release sessions call for installers."""
    installer = tmp_path / "tap-windows-9.27.0-I000.exe"
    shutil.copy(pe_files[("i386", "exe")], installer)
    assert not signing.is_signed(installer)
    done = signing.sign_files([installer], opts(tsa), env)
    assert done[installer].startswith("signed (sha256, timestamped")
    assert signing.is_signed(installer)
    again = signing.sign_files([installer], opts(tsa), env)
    assert again[installer] == "skipped (already signed)"
