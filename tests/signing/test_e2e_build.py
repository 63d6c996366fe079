"""End to end on a real build: `scons config=hlk` in a copy of the tree, `nox -s testcert`,
`nox -s sign` and `nox -s verify` on the dist/ it made; and a component-id override."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from signtest_util import Tsa, base_env, osslsigncode_verify
from tapbuild.dev.sourcetree import copy_tree
from tapbuild.formats import authenticode
from tapbuild.sign import catalog

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.tool("osslsigncode", "openssl")]


def run(tree: Path, *argv: str, env: dict[str, str]) -> str:
    res = subprocess.run([sys.executable, "-m", *argv], cwd=tree, env=env, capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert res.returncode == 0, f"{argv}:\n{res.stdout}\n{res.stderr}"
    return res.stdout + res.stderr


def nox(tree: Path, session: str, *args: str, env: dict[str, str]) -> str:
    return run(tree, "nox", "-f", str(tree / "noxfile.py"), "-s", session, "--", *args, env=env)


def test_hlk_build_test_signed(tmp_path_factory: pytest.TempPathFactory, tsa: Tsa) -> None:
    tree = copy_tree(tmp_path_factory.mktemp("tree"))
    env = base_env(TAP_TIMESTAMP_URLS=tsa.url)
    run(tree, "SCons", "-Q", "-j2", "config=hlk", env=env)
    out = nox(tree, "testcert", env=env)
    assert "export TAP_SIGN_PFX=" in out
    env["TAP_SIGN_PFX"] = str(tree / "testcert" / "tap-test.pfx")
    env["TAP_SIGN_PASSWORD_FILE"] = str(tree / "testcert" / "tap-test.password")
    dist = tree / "dist"
    out = nox(tree, "sign", "--digest", "sha1", "--tsa-ca", str(tsa.ca_pem), env=env)
    assert re.findall(r"\[(\d)/4\] ", out) == ["1", "2", "3", "4"]  # three arches, then verify
    assert "[4/4] verifying every signature, timestamp and catalog" in out
    pem = tree / "testcert" / "tap-test.pem"
    for arch in ("i386", "amd64", "arm64"):
        d = dist / arch
        for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
            sigs = authenticode.signatures(d / name)
            assert [(s.digest, s.timestamped) for s in sigs] == [("sha1", True)], f"{arch}/{name}"
        res = osslsigncode_verify(d / "tap0901.sys", pem, "-catalog", str(d / "tap0901.cat"))
        assert res.returncode == 0, res.stdout
        info = catalog.read_catalog(d / "tap0901.cat")
        assert info.hardware_ids == ["root\\tap0901", "tap0901"]
        assert info.attributes["OS"] == ",".join(t.cat_os for t in catalog.os_targets(arch))
        assert catalog.check_members(d / "tap0901.cat", catalog.package_files(d)) == []
    out = nox(tree, "verify", "--tsa-ca", str(tsa.ca_pem), env=env)
    assert "verified 9 files" in out
    # dual signing: every file, catalogs included, gets a nested SHA-256 signature
    out = nox(tree, "sign", "--append", "--digest", "sha256", "--tsa-ca", str(tsa.ca_pem), env=env)
    for arch in ("i386", "amd64", "arm64"):
        d = dist / arch
        for name in ("tap0901.sys", "tapinstall.exe", "tap0901.cat"):
            assert f"{arch}/{name}: appended (sha256, timestamped)" in out
            sigs = authenticode.signatures(d / name)
            assert [(s.digest, s.timestamped) for s in sigs] == [("sha1", True), ("sha256", True)]
            res = osslsigncode_verify(d / name, pem, "-TSA-CAfile", str(tsa.ca_pem))
            assert res.returncode == 0 and "Number of verified signatures: 2" in res.stdout
            assert res.stdout.count("\nSignature verification: ok") == 2, res.stdout
        res = osslsigncode_verify(d / "tap0901.sys", pem, "-catalog", str(d / "tap0901.cat"))
        assert res.returncode == 0, res.stdout
        assert catalog.check_members(d / "tap0901.cat", catalog.package_files(d)) == []
    out = nox(tree, "verify", "--tsa-ca", str(tsa.ca_pem), env=env)
    assert "verified 9 files" in out
    # a second build makes dist/ what it built: fresh unsigned files, no catalog, no other
    # arch (DESIGN.md); signing again makes the catalog anew
    run(tree, "SCons", "-Q", "-j2", "config=release", "arch=amd64", env=env)
    assert sorted(p.name for p in dist.iterdir()) == ["amd64", "include"]
    assert not (dist / "amd64" / "tap0901.cat").exists()
    assert authenticode.signatures(dist / "amd64" / "tap0901.sys") == []
    out = nox(tree, "sign", "--tsa-ca", str(tsa.ca_pem), env=env)
    assert "amd64/tap0901.cat: made" in out
    assert "amd64/tap0901.sys: signed (sha256, timestamped)" in out
    assert "i386/" not in out


def test_component_id_override(tmp_path_factory: pytest.TempPathFactory, tsa: Tsa) -> None:
    from tapbuild.sign import testcert

    tree = copy_tree(tmp_path_factory.mktemp("tree"))
    (tree / "oas.py").write_text('PRODUCT_TAP_WIN_COMPONENT_ID = "tapoas6"\n')
    env = base_env(TAP_TIMESTAMP_URLS=tsa.url)
    run(tree, "SCons", "-Q", "-j2", "arch=amd64", "override=oas.py", env=env)
    cert = testcert.make(tree / "testcert", key_size=2048)
    env.update(cert.environment())
    nox(tree, "sign", "--override", "oas.py", "--tsa-ca", str(tsa.ca_pem), env=env)
    d = tree / "dist" / "amd64"
    assert sorted(p.name for p in d.iterdir()) == [
        "OemVista.inf", "tapinstall.exe", "tapoas6.cat", "tapoas6.sys"
    ]  # fmt: skip
    assert catalog.read_catalog(d / "tapoas6.cat").hardware_ids == ["root\\tapoas6", "tapoas6"]
