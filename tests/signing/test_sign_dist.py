"""nox -s sign's engine (tapbuild.sign.signer) with real osslsigncode, a generated PFX, a real
RFC 3161 responder behind a real HTTP proxy, the first time-stamp server dead."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from signtest_util import (
    Proxy,
    Tsa,
    assert_outer_kept,
    nested_values,
    osslsigncode_verify,
    pfx_env,
    tree_bytes,
)
from tapbuild.errors import TapError
from tapbuild.formats import authenticode
from tapbuild.sign import catalog, signer
from tapbuild.sign.signer import SignOptions
from tapbuild.sign.testcert import CertFiles
from tapbuild.sign.verification import Expectations, verify_files

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
    make_dist: Callable[..., Path],
    env: dict[str, str],
    tsa: Tsa,
    tsa_requests: list[dict[str, str]],
    proxy: Proxy,
    test_cert: CertFiles,
) -> None:
    dist = make_dist()
    log: list[str] = []
    report = signer.sign_dist(dist, opts(tsa), env, log.append)

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


def test_rerun_skips_signed_files(
    make_dist: Callable[..., Path],
    env: dict[str, str],
    tsa: Tsa,
    tsa_requests: list[dict[str, str]],
) -> None:
    dist = make_dist(("amd64",))
    signer.sign_dist(dist, opts(tsa), env)
    before = tree_bytes(dist)
    tsa_requests.clear()
    report = signer.sign_dist(dist, opts(tsa), env)
    assert set(report.values()) == {"skipped (already signed)"}
    assert tree_bytes(dist) == before
    assert tsa_requests == []


def test_append_adds_a_second_signature(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa, test_cert: CertFiles
) -> None:
    """Dual signing: sha1, then --append sha256; catalogs too (nested in Python)."""
    dist = make_dist(("i386", "arm64"))
    signer.sign_dist(dist, opts(tsa, digest="sha1"), env)
    first = {a: (dist / a / "tap0901.cat").read_bytes() for a in ("i386", "arm64")}
    report = signer.sign_dist(dist, opts(tsa, digest="sha256", append=True), env)
    for arch in ("i386", "arm64"):
        d = dist / arch
        for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
            path = d / name
            assert report[f"{arch}/{name}"] == "appended (sha256, timestamped)"
            sigs = authenticode.signatures(path)
            assert [(s.digest, s.timestamped) for s in sigs] == [("sha1", True), ("sha256", True)]
            assert {s.signer_sha1 for s in sigs} == {test_cert.thumbprint}
            res = osslsigncode_verify(path, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
            assert res.returncode == 0 and "Succeeded" in res.stdout, res.stdout
            assert "Number of verified signatures: 2" in res.stdout
            # each signature verifies, each timestamp too (the tool's exit status alone says
            # only that one of them does)
            assert res.stdout.count("\nSignature verification: ok") == 2, res.stdout
            assert res.stdout.count("Timestamp Server Signature verification: ok") == 2
            assert "failed" not in res.stdout
        cat = d / "tap0901.cat"
        # the first signature is the catalog's own, byte for byte, with its timestamp
        assert assert_outer_kept(first[arch], cat.read_bytes()) == 1
        # both signatures sign the same catalog content, which still lists the package
        sigs = authenticode.signatures(cat)
        assert sigs[0].content == sigs[1].content
        assert catalog.check_members(cat, catalog.package_files(d)) == []
        res = osslsigncode_verify(d / "tap0901.sys", test_cert.pem, "-catalog", str(cat))
        assert res.returncode == 0 and "Succeeded" in res.stdout, res.stdout
    signer.verify_dist(dist, opts(tsa), env)


def test_append_to_a_dual_signed_catalog_adds_a_third(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa, test_cert: CertFiles
) -> None:
    """Several nested signatures are several values of the one attribute (signtool /as)."""
    dist = make_dist(("amd64",))
    signer.sign_dist(dist, opts(tsa, digest="sha1"), env)
    signer.sign_dist(dist, opts(tsa, digest="sha256", append=True), env)
    cat = dist / "amd64" / "tap0901.cat"
    dual = cat.read_bytes()
    report = signer.sign_dist(dist, opts(tsa, digest="sha384", append=True), env)
    assert report["amd64/tap0901.cat"] == "appended (sha384, timestamped)"
    sigs = authenticode.signatures(cat)
    assert len(sigs) == 3 and all(s.timestamped for s in sigs)
    assert sigs[0].digest == "sha1"  # the catalog's own; the nested ones in DER order
    assert sorted(s.digest for s in sigs[1:]) == ["sha256", "sha384"]
    assert assert_outer_kept(dual, cat.read_bytes()) == 2
    # the sha256 signature nested before is still there, byte for byte
    before = nested_values(dual)
    assert len(before) == 1 and before[0] in nested_values(cat.read_bytes())
    res = osslsigncode_verify(cat, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
    assert res.returncode == 0 and "Number of verified signatures: 3" in res.stdout, res.stdout
    assert res.stdout.count("\nSignature verification: ok") == 3
    assert res.stdout.count("Timestamp Server Signature verification: ok") == 3
    signer.verify_dist(dist, opts(tsa), env)
    assert sorted(p.name for p in cat.parent.iterdir()) == [
        "OemVista.inf", "tap0901.cat", "tap0901.sys", "tapinstall.exe"
    ]  # fmt: skip


def test_failed_append_leaves_dist_unchanged(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa
) -> None:
    """--append fails in the last arch after the first two catalogs got nested signatures
    (in the work copy): dist/ stays byte-identical, nothing left behind."""
    dist = make_dist()
    signer.sign_dist(dist, opts(tsa, digest="sha1"), env)
    (dist / "arm64" / "tapinstall.exe").write_bytes(b"; not a program\r\n")
    before = tree_bytes(dist)
    log: list[str] = []
    with pytest.raises(TapError, match=r"tapinstall\.exe"):
        signer.sign_dist(dist, opts(tsa, digest="sha256", append=True), env, log.append)
    assert "i386/tap0901.cat: appended (sha256, timestamped)" in log
    assert "amd64/tap0901.cat: appended (sha256, timestamped)" in log
    assert tree_bytes(dist) == before
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist"]
    for arch in ARCHES:
        assert len(authenticode.signatures(dist / arch / "tap0901.cat")) == 1


def test_force_remakes_catalogs_and_replaces_signatures(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa
) -> None:
    dist = make_dist(("amd64",))
    signer.sign_dist(dist, opts(tsa, digest="sha1"), env)
    signer.sign_dist(dist, opts(tsa, digest="sha256", append=True), env)
    report = signer.sign_dist(dist, opts(tsa, force=True), env)
    assert report["amd64/tap0901.sys"].startswith("signed (sha256")
    for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
        sigs = authenticode.signatures(dist / "amd64" / name)
        assert [(s.digest, s.timestamped) for s in sigs] == [("sha256", True)]


def test_force_and_append_exclude_each_other(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa
) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    with pytest.raises(TapError, match="--force and --append exclude each other"):
        signer.sign_dist(dist, opts(tsa, force=True, append=True), env)
    assert tree_bytes(dist) == before


def test_no_timestamp_server_leaves_dist_unchanged(
    make_dist: Callable[..., Path], test_cert: CertFiles, tsa: Tsa, dead_url: str, proxy: Proxy
) -> None:
    dist = make_dist()
    before = tree_bytes(dist)
    env = pfx_env(test_cert, dead_url, HTTP_PROXY=proxy.url)
    with pytest.raises(TapError) as err:
        signer.sign_dist(dist, opts(tsa), env)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("no time-stamp server answered (2 rounds)")
    assert f"{dead_url} through proxy {proxy.url}: " in msg
    assert tree_bytes(dist) == before
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist"]  # no leftovers


def test_failure_in_the_last_arch_leaves_dist_unchanged(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa
) -> None:
    dist = make_dist()
    signer.sign_dist(dist, opts(tsa), env)  # some files signed already
    (dist / "arm64" / "tapinstall.exe").unlink()
    shutil.copy(dist / "i386" / "OemVista.inf", dist / "arm64" / "tapinstall.exe")  # not a PE
    before = tree_bytes(dist)
    with pytest.raises(TapError, match=r"tapinstall\.exe"):
        signer.sign_dist(dist, opts(tsa, force=True), env)
    assert tree_bytes(dist) == before


def test_wrong_password_changes_nothing(
    make_dist: Callable[..., Path], test_cert: CertFiles, tsa: Tsa, tmp_path: Path
) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Hunter2-wrong\n")
    env = pfx_env(test_cert, tsa.url, TAP_SIGN_PASSWORD_FILE=str(wrong))
    with pytest.raises(TapError) as err:
        signer.sign_dist(dist, opts(tsa), env)
    assert "wrong password" in str(err.value) and "Hunter2" not in str(err.value)
    assert tree_bytes(dist) == before


def test_stale_signed_catalog_is_remade(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa
) -> None:
    """After a rebuild dist/ has a new .sys beside an old signed catalog."""
    dist = make_dist(("amd64",))
    signer.sign_dist(dist, opts(tsa), env)
    sys_path = dist / "amd64" / "tap0901.sys"
    data = bytearray(authenticode_strip(sys_path))
    data[0x200] ^= 0xFF  # a "rebuilt" driver: different code, unsigned
    sys_path.write_bytes(bytes(data))
    log: list[str] = []
    signer.sign_dist(dist, opts(tsa), env, log.append)
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


def test_timestamp_adds_missing_timestamps(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa, test_cert: CertFiles
) -> None:
    dist = make_dist(("amd64",))
    signer.sign_dist(dist, opts(tsa, timestamp=False), env)
    for name in ("tap0901.sys", "tap0901.cat"):
        assert not authenticode.signatures(dist / "amd64" / name)[0].timestamped
    with pytest.raises(TapError, match="has no timestamp"):
        signer.verify_dist(dist, opts(tsa), env)
    added = signer.timestamp_dist(dist, opts(tsa), env)
    assert added == {"amd64/tap0901.sys": 1, "amd64/tapinstall.exe": 1, "amd64/tap0901.cat": 1}
    signer.verify_dist(dist, opts(tsa), env)
    # a second run has nothing to do
    assert set(signer.timestamp_dist(dist, opts(tsa), env).values()) == {0}


def test_timestamp_reaches_nested_catalog_signatures(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa
) -> None:
    dist = make_dist(("i386",))
    signer.sign_dist(dist, opts(tsa, digest="sha1", timestamp=False), env)
    signer.sign_dist(dist, opts(tsa, digest="sha256", append=True, timestamp=False), env)
    cat = dist / "i386" / "tap0901.cat"
    assert [(s.digest, s.timestamped) for s in authenticode.signatures(cat)] == [
        ("sha1", False), ("sha256", False)
    ]  # fmt: skip
    added = signer.timestamp_dist(dist, opts(tsa), env)
    assert added["i386/tap0901.cat"] == 2
    assert [(s.digest, s.timestamped) for s in authenticode.signatures(cat)] == [
        ("sha1", True), ("sha256", True)
    ]  # fmt: skip
    signer.verify_dist(dist, opts(tsa), env)


def test_verify_detects_tampering(
    make_dist: Callable[..., Path], env: dict[str, str], tsa: Tsa
) -> None:
    dist = make_dist(("amd64",))
    signer.sign_dist(dist, opts(tsa), env)
    signer.verify_dist(dist, opts(tsa), env)
    inf = dist / "amd64" / "OemVista.inf"
    inf.write_bytes(inf.read_bytes().replace(b"V9", b"V8"))
    with pytest.raises(TapError, match=r"OemVista\.inf changed since the catalog was made"):
        signer.verify_dist(dist, opts(tsa), env)
    exe = dist / "amd64" / "tapinstall.exe"
    data = bytearray(exe.read_bytes())
    data[0x210] ^= 1
    exe.write_bytes(bytes(data))
    problems = verify_files([exe], Expectations(None, True, (), (tsa.ca_pem,), env))
    assert any(re.search(r"changed after signing|not trusted", p) for p in problems)


def test_sign_files_for_packaging(
    pe_files: dict[tuple[str, str], Path], env: dict[str, str], tsa: Tsa, tmp_path: Path
) -> None:
    """The API the packaging and release sessions call for installers."""
    installer = tmp_path / "tap-windows-9.27.0-I000.exe"
    shutil.copy(pe_files[("i386", "exe")], installer)
    assert not signer.is_signed(installer)
    done = signer.sign_files([installer], opts(tsa), env)
    assert done[installer].startswith("signed (sha256, timestamped")
    assert signer.is_signed(installer)
    again = signer.sign_files([installer], opts(tsa), env)
    assert again[installer] == "skipped (already signed)"
