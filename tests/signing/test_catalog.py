"""The catalog generator: determinism, Inf2Cat's choices, reading back, osslsigncode's
catalog verification, bad input, and the Inf2Cat command lines."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from signtest_util import osslsigncode_verify
from tapbuild.errors import TapError
from tapbuild.formats import authenticode
from tapbuild.sign import catalog
from tapbuild.sign.testcert import CertFiles

WHEN = datetime.datetime(2026, 9, 27, tzinfo=datetime.timezone.utc)


def test_default_targets_and_member_hash() -> None:
    i386 = catalog.os_targets("i386")
    amd64 = catalog.os_targets("amd64")
    arm64 = catalog.os_targets("arm64")
    assert [t.cat_os for t in i386] == ["7X86", "8X86", "_v63", "_v100"]
    assert [t.inf2cat for t in amd64] == [
        "7_X64", "8_X64", "6_3_X64", "10_X64",
        "Server2008R2_X64", "Server8_X64", "Server6_3_X64", "Server10_X64",
    ]  # fmt: skip
    assert [t.inf2cat for t in arm64] == ["10_RS3_ARM64"]
    # Windows 7 cannot read SHA-256 members; from Windows 8 on, SHA-256
    assert catalog.default_member_hash(i386) == "sha1"
    assert catalog.default_member_hash(amd64) == "sha1"
    assert catalog.default_member_hash(arm64) == "sha256"
    assert catalog.default_member_hash(catalog.os_targets("amd64", ["8", "10"])) == "sha256"
    assert catalog.os_attr(amd64) == "2:6.1,2:6.2,2:6.3,2:10.0"


def test_os_option_parsing() -> None:
    got = catalog.parse_os_option(["amd64=10, server2016", "i386=8.1,10"])
    assert [t.key for t in got["amd64"]] == ["10", "server2016"]
    assert [t.key for t in got["i386"]] == ["8.1", "10"]
    assert got["arm64"] == catalog.os_targets("arm64")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("amd64=vista", "unknown target OS 'vista' for amd64; accepted: 7, 8, 8.1, 10, server"),
        ("arm64=7", "unknown target OS '7' for arm64; accepted: 10"),
        ("amd64", "expected ARCH=LIST"),
        ("ia64=10", "unknown architecture 'ia64'"),
        ("amd64=", "no target OS for amd64"),
    ],
)
def test_bad_os_option(value: str, message: str) -> None:
    with pytest.raises(TapError, match=message.replace(".", r"\.").replace("(", r"\(")) as err:
        catalog.parse_os_option([value])
    assert "\n" not in str(err.value)


def package(make_dist, arch: str = "amd64") -> Path:
    return make_dist((arch,)) / arch


def test_deterministic_across_paths(make_dist, tmp_path: Path) -> None:
    d = package(make_dist)
    copy = tmp_path / "elsewhere" / "x" / "amd64"
    shutil.copytree(d, copy)
    targets = catalog.os_targets("amd64")
    a = catalog.write_package_catalog(d, "tap0901.cat", targets, when=WHEN).read_bytes()
    b = catalog.write_package_catalog(copy, "tap0901.cat", targets, when=WHEN).read_bytes()
    assert a == b
    assert catalog.write_package_catalog(d, "tap0901.cat", targets, when=WHEN).read_bytes() == a
    later = WHEN + datetime.timedelta(days=1)
    assert catalog.write_package_catalog(d, "tap0901.cat", targets, when=later).read_bytes() != a


def test_date_from_source_date_epoch_or_reldate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    assert catalog.catalog_date() == datetime.datetime.fromtimestamp(
        1790000000, tz=datetime.timezone.utc
    )
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    from tapbuild.product.versioninfo import load

    m, d, y = (int(x) for x in load().PRODUCT_TAP_WIN_RELDATE.split("/"))
    assert catalog.catalog_date() == datetime.datetime(y, m, d, tzinfo=datetime.timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(TapError, match="SOURCE_DATE_EPOCH=yesterday: not a Unix time"):
        catalog.catalog_date()


@pytest.mark.parametrize("arch", ["i386", "amd64", "arm64"])
def test_read_back(make_dist, arch: str) -> None:
    d = package(make_dist, arch)
    targets = catalog.os_targets(arch)
    cat = catalog.write_package_catalog(d, "tap0901.cat", targets, when=WHEN)
    info = catalog.read_catalog(cat)
    assert not info.signed
    assert info.this_update == WHEN
    assert info.attributes["OS"] == ",".join(t.cat_os for t in targets)
    assert info.hardware_ids == ["root\\tap0901", "tap0901"]
    algo = catalog.default_member_hash(targets)
    assert info.member_hash == algo
    sys_data = (d / "tap0901.sys").read_bytes()
    inf_data = (d / "OemVista.inf").read_bytes()
    primary = {m.name: m for m in info.members if m.algorithm == algo}
    assert primary["tap0901.sys"].pe is True
    assert primary["tap0901.sys"].digest == authenticode.pe_image_hash(sys_data, algo)
    assert primary["OemVista.inf"].pe is False
    assert primary["OemVista.inf"].digest == authenticode.DIGESTS[algo](inf_data).digest()
    assert {m.os_attr for m in info.members} == {catalog.os_attr(targets)}
    if algo == "sha256":  # v2 catalogs also list each file by its SHA-1 hash
        sha1 = {m.name: m.digest for m in info.members if m.algorithm == "sha1"}
        assert sha1["tap0901.sys"] == authenticode.pe_image_hash(sys_data, "sha1")
    # tapinstall.exe is not part of the driver package
    assert {m.name for m in info.members} == {"tap0901.sys", "OemVista.inf"}
    assert catalog.check_members(cat, catalog.package_files(d)) == []


def test_member_hash_override(make_dist) -> None:
    d = package(make_dist)
    cat = catalog.write_package_catalog(
        d, "tap0901.cat", catalog.os_targets("amd64"), member_hash="sha256", when=WHEN
    )
    assert catalog.read_catalog(cat).member_hash == "sha256"
    with pytest.raises(TapError, match="member hash 'md5'; accepted: sha1, sha256"):
        catalog.make_catalog(catalog.package_files(d), catalog.os_targets("amd64"), (), "md5")


@pytest.mark.tool("osslsigncode")
@pytest.mark.parametrize("member_hash", ["sha1", "sha256"])
def test_osslsigncode_catalog_verification(
    make_dist, test_cert: CertFiles, member_hash: str, tmp_path: Path
) -> None:
    d = package(make_dist)
    cat = catalog.write_package_catalog(
        d, "tap0901.cat", catalog.os_targets("amd64"), member_hash, WHEN
    )
    signed = tmp_path / "signed.cat"
    subprocess.run(
        ["osslsigncode", "sign", "-pkcs12", str(test_cert.pfx), "-readpass",
         str(test_cert.password_file), "-h", "sha256", "-in", str(cat), "-out", str(signed)],
        check=True, capture_output=True,
    )  # fmt: skip
    ok = osslsigncode_verify(d / "tap0901.sys", test_cert.pem, "-catalog", str(signed))
    assert ok.returncode == 0 and "Succeeded" in ok.stdout, ok.stdout + ok.stderr
    assert catalog.read_catalog(signed).signed
    # a changed driver is no longer in the catalog
    changed = tmp_path / "tap0901.sys"
    data = bytearray((d / "tap0901.sys").read_bytes())
    data[0x200] ^= 0x55
    changed.write_bytes(bytes(data))
    bad = osslsigncode_verify(changed, test_cert.pem, "-catalog", str(signed))
    assert bad.returncode != 0 and "Catalog verification: failed" in bad.stdout


def test_check_members_finds_problems(make_dist, tmp_path: Path) -> None:
    d = package(make_dist)
    cat = catalog.write_package_catalog(d, "tap0901.cat", catalog.os_targets("amd64"), when=WHEN)
    inf = d / "OemVista.inf"
    inf.write_bytes(inf.read_bytes() + b"; edited\r\n")
    extra = d / "extra.sys"
    shutil.copy(d / "tap0901.sys", extra)
    problems = catalog.check_members(cat, [d / "tap0901.sys", inf, extra])
    assert problems == [
        "tap0901.cat: OemVista.inf changed since the catalog was made (sha1 hash differs)",
        "tap0901.cat: extra.sys is not listed",
    ]
    assert catalog.check_members(cat, [d / "tap0901.sys"]) == [
        f"tap0901.cat: lists oemvista.inf, which is not in {d}"
    ]


def test_catalog_name_must_match_the_inf(make_dist) -> None:
    d = package(make_dist)
    with pytest.raises(TapError, match=r"CatalogFile = tap0901\.cat, but the component id gives "):
        catalog.write_package_catalog(d, "tapoas6.cat", catalog.os_targets("amd64"), when=WHEN)
    assert not (d / "tapoas6.cat").exists()


def test_package_without_driver(tmp_path: Path) -> None:
    (tmp_path / "amd64").mkdir()
    (tmp_path / "amd64" / "OemVista.inf").write_text("[Version]\n")
    with pytest.raises(TapError, match=r"expected a driver package \(\.sys and \.inf\); run scons"):
        catalog.package_files(tmp_path / "amd64")


def test_unreadable_catalog(tmp_path: Path) -> None:
    bad = tmp_path / "x.cat"
    bad.write_bytes(b"\x30\x03\x02\x01\x01")
    with pytest.raises(TapError, match=r"x\.cat: not a readable catalog"):
        catalog.read_catalog(bad)


def test_inf_hardware_ids(tmp_path: Path) -> None:
    inf = tmp_path / "a.inf"
    inf.write_text(
        "[Version]\nCatalogFile.NTamd64 = a.cat ; comment\n"
        "[Manufacturer]\n%P% = Models, NTamd64, NTx86\n"
        "[Models.NTamd64]\n%D% = Inst, ROOT\\Tap0901, Tap0901\n%D2% = Inst2, tap0901\n"
        "[Models.NTx86]\n%D% = Inst, other\\id\n"
    )
    assert catalog.inf_hardware_ids(inf) == ["root\\tap0901", "tap0901", "other\\id"]
    assert catalog.inf_catalog_name(inf) == "a.cat"


def test_inf2cat_command_lines() -> None:
    d = Path("C:/work/dist/amd64")
    assert catalog.inf2cat_command("Inf2Cat.exe", d, catalog.os_targets("amd64")) == [
        "Inf2Cat.exe",
        f"/driver:{d}",
        "/os:7_X64,8_X64,6_3_X64,10_X64,Server2008R2_X64,Server8_X64,Server6_3_X64,Server10_X64",
    ]
    assert catalog.inf2cat_command("inf2cat", d, catalog.os_targets("i386")) == [
        "inf2cat", f"/driver:{d}", "/os:7_X86,8_X86,6_3_X86,10_X86"
    ]  # fmt: skip
    assert catalog.inf2cat_command("inf2cat", d, catalog.os_targets("arm64"))[2] == (
        "/os:10_RS3_ARM64"
    )


def test_catalog_tool_choice(tmp_path: Path) -> None:
    from tapbuild.sign import signer
    from tapbuild.sign.signer import SignOptions

    no_inf2cat = {"PATH": str(tmp_path)}
    assert signer._use_inf2cat(SignOptions(), no_inf2cat) is None
    assert signer._use_inf2cat(SignOptions(catalog_tool="python"), no_inf2cat) is None
    with pytest.raises(TapError, match="--catalog-tool inf2cat: Inf2Cat not found"):
        signer._use_inf2cat(SignOptions(catalog_tool="inf2cat"), no_inf2cat)
    fake = tmp_path / "inf2cat"
    fake.write_text("")
    fake.chmod(0o755)
    with pytest.raises(TapError, match="--member-hash cannot be given to Inf2Cat"):
        signer._use_inf2cat(SignOptions(catalog_tool="inf2cat", member_hash="sha1"), no_inf2cat)
    assert signer._use_inf2cat(SignOptions(catalog_tool="inf2cat"), no_inf2cat) == str(fake)
