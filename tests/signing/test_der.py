"""tapbuild.formats.der: DER values walked and put together as stored, checked against
asn1crypto's object model (which parses independently) and on a catalog signed by real
osslsigncode."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import cms, core
from signtest_util import pfx_env
from tapbuild.formats import der
from tapbuild.sign import catalog, credentials, osslsigncode
from tapbuild.sign.testcert import CertFiles


class _Pair(core.Sequence):
    _fields = [("number", core.Integer), ("blob", core.OctetString)]  # noqa: RUF012


def test_children_are_the_stored_encodings() -> None:
    blob = bytes(range(256)) * 2  # a long-form length
    pair = _Pair({"number": 7, "blob": blob}).dump()
    number, octets = der.children(pair, der.UNIVERSAL, der.SEQUENCE)
    assert number == core.Integer(7).dump()
    assert octets == core.OctetString(blob).dump()
    assert der.children(pair) == [number, octets]  # unchecked
    assert der.elements(number + octets) == [number, octets]
    assert der.elements(b"") == []
    assert der.emit(der.UNIVERSAL, der.SEQUENCE, [number, octets]) == pair


def test_a_length_ending_in_0x80_is_kept() -> None:
    """A length whose last byte is 0x80 (what asn1crypto's dump() mistakes for an
    indefinite length) is walked and emitted as stored."""
    octets = core.OctetString(b"x" * 0x180).dump()
    assert octets[1:4] == b"\x82\x01\x80"
    outer = der.emit(der.UNIVERSAL, der.SEQUENCE, [octets])
    assert der.children(outer, der.UNIVERSAL, der.SEQUENCE) == [octets]
    pair = der.emit(der.UNIVERSAL, der.SEQUENCE, [core.Integer(1).dump(), octets])
    assert _Pair.load(pair)["blob"].native == b"x" * 0x180


def test_first_drops_what_follows() -> None:
    one = core.Integer(1).dump()
    assert der.first(one + b"\0\0trailing") == one


def test_the_tag_is_checked() -> None:
    pair = _Pair({"number": 1, "blob": b""}).dump()
    with pytest.raises(ValueError, match=r"expected a constructed \[0:17\], found \[0:16\]"):
        der.children(pair, der.UNIVERSAL, der.SET)
    with pytest.raises(ValueError, match=r"found \[0:2\]"):  # primitive INTEGER
        der.children(core.Integer(5).dump(), der.UNIVERSAL, der.SEQUENCE)
    with pytest.raises(ValueError):
        der.children(b"\x30\x05\x02\x01")  # truncated
    assert der.has_tag(pair, der.UNIVERSAL, der.SEQUENCE)
    assert not der.has_tag(pair, der.CONTEXT, 1)
    tagged = der.emit(der.CONTEXT, 1, [core.Integer(1).dump()])
    assert tagged[0] == 0xA1 and der.has_tag(tagged, der.CONTEXT, 1)


def test_a_set_of_is_sorted() -> None:
    two, one = core.Integer(2).dump(), core.Integer(1).dump()
    assert der.emit(der.UNIVERSAL, der.SET, [two, one], sort=True) == b"\x31\x06" + one + two
    assert der.emit(der.UNIVERSAL, der.SET, [two, one]) == b"\x31\x06" + two + one


def test_not_a_signed_data() -> None:
    for bad, message in (
        (b"\x30\x03\x02\x01\x01", "not a PKCS#7 SignedData"),
        (b"\x02\x01\x01", r"expected a constructed \[0:16\]"),
        (cms.ContentInfo({"content_type": "data", "content": b"x"}).dump(), "not a PKCS#7"),
    ):
        with pytest.raises(ValueError, match=message):
            der.signer_infos(bad)


@pytest.mark.tool("osslsigncode", "openssl")
def test_signed_data_of_a_signed_catalog(
    make_dist: Callable[..., Path], test_cert: CertFiles
) -> None:
    d = make_dist(("amd64",)) / "amd64"
    when = datetime.datetime(2026, 9, 27, tzinfo=datetime.timezone.utc)
    catalog.write_package_catalog(d, "tap0901.cat", catalog.os_targets("amd64"), when=when)
    cat = d / "tap0901.cat"
    unsigned = cat.read_bytes()
    assert der.signer_infos(unsigned) == []
    env = pfx_env(test_cert, "")
    tool = osslsigncode.Osslsigncode(osslsigncode.find(env), credentials.from_environment(env), env)
    tool.sign(cat, "sha256", append=False, ts_url=None)
    signed = cat.read_bytes()
    sd = cms.ContentInfo.load(signed)["content"]
    (info,) = der.signer_infos(signed + b"\0" * 8)  # padding after the value, as in a PE
    assert info == sd["signer_infos"][0].dump()
    assert cms.SignerInfo.load(info)["digest_algorithm"]["algorithm"].native == "sha256"
    assert der.encapsulated_content(signed) == der.encapsulated_content(unsigned)
    assert der.encapsulated_content(signed) == sd["encap_content_info"].dump()
    ci, fields = der.signed_data(signed)
    assert ci[0] == cms.ContentType("signed_data").dump()
    assert ci[1] == sd.dump()  # [0] EXPLICIT SignedData
    assert der.emit(der.CONTEXT, 0, [der.emit(der.UNIVERSAL, der.SEQUENCE, fields)]) == ci[1]
