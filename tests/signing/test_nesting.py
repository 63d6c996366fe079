"""A second (third, ...) signature nested into a catalog in Python (tapbuild.formats.nesting), signed
by real osslsigncode and timestamped by the real RFC 3161 responder; and the checks that
catch what ``osslsigncode verify`` lets through (its exit status is 0 when any one of the
signatures verifies, and a nested catalog signature carries its own copy of the content)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import cms
from signtest_util import Tsa, assert_outer_kept, nested_values, osslsigncode_verify, pfx_env
from tapbuild.errors import TapError
from tapbuild.formats import asn1 as asn
from tapbuild.formats import authenticode, nesting
from tapbuild.sign import catalog, credentials, osslsigncode
from tapbuild.sign.testcert import CertFiles
from tapbuild.sign.verification import Expectations, verify_files

pytestmark = pytest.mark.tool("osslsigncode", "openssl")

WHEN = datetime.datetime(2026, 9, 27, tzinfo=datetime.timezone.utc)


@pytest.fixture
def tool(test_cert: CertFiles) -> osslsigncode.Osslsigncode:
    env = pfx_env(test_cert, "")
    return osslsigncode.Osslsigncode(osslsigncode.find(env), credentials.from_environment(env), env)


@pytest.fixture
def package(make_dist: Callable[..., Path]) -> Path:
    """dist/amd64 with an unsigned catalog of its .sys and .inf."""
    d = make_dist(("amd64",)) / "amd64"
    catalog.write_package_catalog(d, "tap0901.cat", catalog.os_targets("amd64"), when=WHEN)
    return d


def expect(test_cert: CertFiles, tsa: Tsa, timestamped: bool) -> Expectations:
    return Expectations(
        test_cert.cer.read_bytes(), timestamped, (), (tsa.ca_pem,), pfx_env(test_cert, "")
    )


def test_nested_signatures_timestamped_and_verified(
    tool: osslsigncode.Osslsigncode, package: Path, test_cert: CertFiles, tsa: Tsa
) -> None:
    cat = package / "tap0901.cat"
    tool.sign(cat, "sha1", append=False, ts_url=tsa.url)
    one = cat.read_bytes()
    tool.sign(cat, "sha256", append=True, ts_url=tsa.url)
    two = cat.read_bytes()
    assert assert_outer_kept(one, two) == 1
    tool.sign(cat, "sha512", append=True, ts_url=tsa.url)
    assert assert_outer_kept(two, cat.read_bytes()) == 2
    # the second signature is kept byte for byte beside the third, in the same attribute
    (second,) = nested_values(two)
    assert second in nested_values(cat.read_bytes())

    sigs = authenticode.signatures(cat)
    assert sigs[0].digest == "sha1"
    assert sorted(s.digest for s in sigs[1:]) == ["sha256", "sha512"]
    assert all(s.timestamped for s in sigs)
    assert {s.signer_sha1 for s in sigs} == {test_cert.thumbprint}
    assert len({s.content for s in sigs}) == 1  # all sign the one certificate trust list
    # each nested SignedData keeps its own certificates
    for der in nested_values(cat.read_bytes()):
        certs = cms.ContentInfo.load(der)["content"]["certificates"]
        assert [c.chosen.sha1.hex().upper() for c in certs] == [test_cert.thumbprint]

    res = osslsigncode_verify(cat, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
    assert res.returncode == 0 and "Number of verified signatures: 3" in res.stdout, res.stdout
    assert res.stdout.count("\nSignature verification: ok") == 3
    assert res.stdout.count("Timestamp Server Signature verification: ok") == 3
    res = osslsigncode_verify(package / "tap0901.sys", test_cert.pem, "-catalog", str(cat))
    assert res.returncode == 0 and "Succeeded" in res.stdout, res.stdout
    # still a catalog of the package, read back
    assert catalog.check_members(cat, catalog.package_files(package)) == []
    assert catalog.read_catalog(cat).signed
    assert (
        verify_files([cat], expect(test_cert, tsa, True), {cat: catalog.package_files(package)})
        == []
    )
    assert sorted(p.name for p in package.iterdir()) == ["OemVista.inf", "tap0901.cat",
                                                         "tap0901.sys", "tapinstall.exe"]  # fmt: skip


def _forge(outer: bytes, nested: bytes) -> bytes:
    """``nested`` (any signed ContentInfo) attached to ``outer`` without nesting's checks,
    as someone tampering with a catalog would (untimestamped files only)."""
    ci = cms.ContentInfo.load(outer)
    si = ci["content"]["signer_infos"][0]
    attr = cms.CMSAttribute(
        {"type": asn.OID_SPC_NESTED_SIGNATURE, "values": [cms.ContentInfo.load(nested)]}
    )
    si["unsigned_attrs"] = [attr]
    return bytes(ci.dump())


def test_a_nested_signature_over_other_content_is_caught(
    tool: osslsigncode.Osslsigncode,
    package: Path,
    make_dist: Callable[..., Path],
    test_cert: CertFiles,
    tsa: Tsa,
) -> None:
    """A validly signed other catalog nested into this one: osslsigncode verifies each
    nested signature against its own copy of the content and says all is well."""
    cat = package / "tap0901.cat"
    tool.sign(cat, "sha1", append=False, ts_url=None)
    other = make_dist(("arm64",), name="other") / "arm64"
    ocat = catalog.write_package_catalog(
        other, "tap0901.cat", catalog.os_targets("arm64"), when=WHEN
    )
    tool.sign(ocat, "sha256", append=False, ts_url=None)
    with pytest.raises(TapError, match="the second signature signs other content than the catalog"):
        nesting.nest(cat.read_bytes(), ocat.read_bytes(), cat.name)

    forged = package / "forged.cat"
    forged.write_bytes(_forge(cat.read_bytes(), ocat.read_bytes()))
    res = osslsigncode_verify(forged, test_cert.pem)
    assert res.returncode == 0 and "Number of verified signatures: 2" in res.stdout  # blind
    problems = verify_files([forged], expect(test_cert, tsa, False))
    assert problems == ["forged.cat: signature 1 (sha256) signs other content than the catalog"]


def test_a_tampered_nested_signature_is_caught(
    tool: osslsigncode.Osslsigncode, package: Path, test_cert: CertFiles, tsa: Tsa
) -> None:
    cat = package / "tap0901.cat"
    tool.sign(cat, "sha1", append=False, ts_url=tsa.url)
    tool.sign(cat, "sha256", append=True, ts_url=tsa.url)
    data = cat.read_bytes()
    (nested,) = nested_values(data)
    value = cms.ContentInfo.load(nested)["content"]["signer_infos"][0]["signature"].native
    at = data.index(value) + 10
    cat.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    res = osslsigncode_verify(cat, test_cert.pem, "-TSA-CAfile", str(tsa.ca_pem))
    assert "Signature verification: failed" in res.stdout
    assert res.returncode == 0  # one signature of two verifies: the tool says "Succeeded"
    problems = verify_files([cat], expect(test_cert, tsa, True))
    assert problems == [
        "tap0901.cat: signature 1 does not verify: the file changed after signing",
        "tap0901.cat: the timestamp of signature 1 does not verify (it is not the timestamp of "
        "this signature, which changed)",
    ]


def test_nest_refuses_what_it_cannot_nest(
    tool: osslsigncode.Osslsigncode, package: Path, tmp_path: Path
) -> None:
    cat = package / "tap0901.cat"
    unsigned = cat.read_bytes()
    with pytest.raises(TapError, match=r"^x\.cat: not a signed catalog \(no signature\)"):
        nesting.nest(unsigned, unsigned, "x.cat")
    tool.sign(cat, "sha1", append=False, ts_url=None)
    with pytest.raises(TapError, match="second signature is unreadable"):
        nesting.nest(cat.read_bytes(), unsigned, "x.cat")
    with pytest.raises(TapError, match=r"^x\.cat: not a signed catalog"):
        nesting.nest(b"\x30\x03\x02\x01\x01", cat.read_bytes(), "x.cat")
    # appending to an unsigned catalog through the backend fails and changes nothing
    (tmp_path / "bare").mkdir()
    bare = tmp_path / "bare" / "bare.cat"
    bare.write_bytes(unsigned)
    with pytest.raises(TapError, match="not a signed catalog"):
        tool.sign(bare, "sha256", append=True, ts_url=None)
    assert bare.read_bytes() == unsigned
    assert [p.name for p in bare.parent.iterdir()] == ["bare.cat"]


def test_removing_every_signature_gives_back_the_unsigned_catalog(
    tool: osslsigncode.Osslsigncode, package: Path, tsa: Tsa
) -> None:
    cat = package / "tap0901.cat"
    unsigned = cat.read_bytes()
    assert nesting.unsigned(unsigned) == unsigned
    tool.sign(cat, "sha1", append=False, ts_url=tsa.url)
    tool.sign(cat, "sha256", append=True, ts_url=tsa.url)
    assert len(authenticode.signatures(cat)) == 2
    tool.remove_signatures(cat)
    assert cat.read_bytes() == unsigned
    assert authenticode.signatures(cat) == []
    assert [p.name for p in package.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(TapError, match=r"^x\.cat: not a catalog"):
        nesting.unsigned(b"\x30\x03\x02\x01\x01", "x.cat")
