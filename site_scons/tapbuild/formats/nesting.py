"""Nesting one more Authenticode signature into a catalog, in Python.

osslsigncode nests signatures in PE files (``-nest``) but not in catalogs: signing a signed
catalog again replaces its signature. What signtool ``/as`` writes instead, done here: the
catalog is signed a second time into a separate file (the tool signs the same certificate
trust list afresh, timestamp included), and that second ContentInfo becomes a value of the
"nested signature" unsigned attribute (SPC_NESTED_SIGNATURE_OBJID) of the catalog's first
SignerInfo. Several nested signatures are several values of that one attribute; the other
unsigned attributes (timestamps) stay; the certificates of each nested signature stay inside
its own SignedData.

Only the containers on the way to that attribute are re-encoded, from the original bytes of
everything else (asn1crypto's DER parser and emitter): the signed content, signed attributes,
signatures and timestamps keep their bytes. (Re-encoding through asn1crypto's object model
would not: reading a timestamp fills in default fields, which marks the whole tree as changed
and re-encodes it, at a cost exponential in its depth.)
"""

from __future__ import annotations

from asn1crypto import cms, parser

from tapbuild.errors import TapError
from tapbuild.formats import asn1 as asn

_UNIVERSAL, _CONTEXT = 0, 2
_CONSTRUCTED = 1
_SEQUENCE, _SET = 16, 17

_NESTED_OID_DER = cms.CMSAttributeType(asn.OID_SPC_NESTED_SIGNATURE).dump()
_SIGNED_DATA_OID_DER = cms.ContentType("signed_data").dump()


# --- DER values, as stored -------------------------------------------------------------------


def _elements(contents: bytes) -> list[bytes]:
    """The encodings of the values one after the other in ``contents``."""
    out: list[bytes] = []
    pos = 0
    while pos < len(contents):
        n = parser.peek(contents[pos:])
        out.append(contents[pos : pos + n])
        pos += n
    return out


def _open(element: bytes, cls: int, tag: int) -> list[bytes]:
    """The children of a constructed value, checked to be ``[cls] tag``."""
    class_, method, tag_, _header, contents, _trailer = parser.parse(element, strict=True)
    if (class_, method, tag_) != (cls, _CONSTRUCTED, tag):
        raise ValueError(f"expected a constructed [{cls}:{tag}], found [{class_}:{tag_}]")
    return _elements(contents)


def _emit(cls: int, tag: int, children: list[bytes], *, sort: bool = False) -> bytes:
    """A constructed value of definite length (a DER SET OF sorts its elements)."""
    return bytes(
        parser.emit(cls, _CONSTRUCTED, tag, b"".join(sorted(children) if sort else children))
    )


def _is(element: bytes, cls: int, tag: int) -> bool:
    class_, _method, tag_, _header, _contents, _trailer = parser.parse(element)
    return (class_, tag_) == (cls, tag)


# --- SignedData ------------------------------------------------------------------------------


def _signed_data(der: bytes) -> tuple[list[bytes], list[bytes]]:
    """(ContentInfo's children, SignedData's children) of a PKCS#7 SignedData."""
    ci = _open(der[: parser.peek(der)], _UNIVERSAL, _SEQUENCE)
    if len(ci) != 2 or ci[0] != _SIGNED_DATA_OID_DER:
        raise ValueError("not a PKCS#7 SignedData")
    (sd_der,) = _open(ci[1], _CONTEXT, 0)
    sd = _open(sd_der, _UNIVERSAL, _SEQUENCE)
    if len(sd) < 4:
        raise ValueError("truncated SignedData")
    return ci, sd


def encapsulated_content(der: bytes) -> bytes:
    """The encoding of what a SignedData signs (its encapContentInfo), as stored."""
    return _signed_data(der)[1][2]


def signer_infos(der: bytes) -> list[bytes]:
    """The encodings of a SignedData's SignerInfos, in stored order."""
    return _open(_signed_data(der)[1][-1], _UNIVERSAL, _SET)


def _unsigned_attrs(signer_info: bytes) -> tuple[list[bytes], list[bytes]]:
    """(the other fields, the unsigned attributes) of a SignerInfo."""
    fields = _open(signer_info, _UNIVERSAL, _SEQUENCE)
    if fields and _is(fields[-1], _CONTEXT, 1):  # [1] IMPLICIT unsignedAttrs
        return fields[:-1], _open(fields[-1], _CONTEXT, 1)
    return fields, []


def nested_signatures(signer_info: bytes) -> list[bytes]:
    """The ContentInfos nested in a SignerInfo, as stored (no re-encoding)."""
    out: list[bytes] = []
    for attr in _unsigned_attrs(signer_info)[1]:
        kind, values = _open(attr, _UNIVERSAL, _SEQUENCE)
        if kind == _NESTED_OID_DER:
            out += _open(values, _UNIVERSAL, _SET)
    return out


def _with_nested(signer_info: bytes, inner: bytes) -> bytes:
    """``signer_info`` with ``inner`` added to its nested-signature attribute."""
    fields, attrs = _unsigned_attrs(signer_info)
    for i, attr in enumerate(attrs):
        kind, values = _open(attr, _UNIVERSAL, _SEQUENCE)
        if kind == _NESTED_OID_DER:
            nested = _emit(_UNIVERSAL, _SET, [*_open(values, _UNIVERSAL, _SET), inner], sort=True)
            attrs[i] = _emit(_UNIVERSAL, _SEQUENCE, [kind, nested])
            break
    else:
        nested = _emit(_UNIVERSAL, _SET, [inner])
        attrs.append(_emit(_UNIVERSAL, _SEQUENCE, [_NESTED_OID_DER, nested]))
    return _emit(_UNIVERSAL, _SEQUENCE, [*fields, _emit(_CONTEXT, 1, attrs, sort=True)])


def nest(outer: bytes, inner: bytes, name: str = "catalog") -> bytes:
    """``outer`` (a signed catalog's DER) with ``inner`` (the same catalog signed again)
    added as one more nested signature of its first SignerInfo."""
    try:
        ci, sd = _signed_data(outer)
        infos = _open(sd[-1], _UNIVERSAL, _SET)
        if not infos:
            raise ValueError("no signature")
    except (ValueError, TypeError) as exc:
        raise TapError(f"{name}: not a signed catalog ({exc}); sign it first") from None
    try:
        inner = inner[: parser.peek(inner)]
        _ci2, sd2 = _signed_data(inner)
        if not _open(sd2[-1], _UNIVERSAL, _SET):
            raise ValueError("no signature")
    except (ValueError, TypeError) as exc:
        raise TapError(f"{name}: the tool's second signature is unreadable ({exc})") from None
    if sd2[2] != sd[2]:  # encapContentInfo: the certificate trust list
        raise TapError(f"{name}: the second signature signs other content than the catalog")
    try:
        infos[0] = _with_nested(infos[0], inner)
        sd[-1] = _emit(_UNIVERSAL, _SET, infos)  # in stored order: the first is the primary
        content = _emit(_CONTEXT, 0, [_emit(_UNIVERSAL, _SEQUENCE, sd)])
        out = _emit(_UNIVERSAL, _SEQUENCE, [ci[0], content])
        if len(cms.ContentInfo.load(out, strict=True)["content"]["signer_infos"]) != len(infos):
            raise ValueError("re-encoding lost a signature")
    except (ValueError, TypeError, KeyError) as exc:
        raise TapError(f"{name}: unreadable signature ({exc.__class__.__name__})") from None
    return out


def unsigned(der: bytes, name: str = "catalog") -> bytes:
    """``der`` (a signed catalog) with every signature, certificate and CRL removed: what
    :func:`tapbuild.sign.catalog.make_catalog` writes, the certificate trust list kept as stored
    (osslsigncode cannot remove a catalog's signature)."""
    try:
        ci, sd = _signed_data(der)
        empty = _emit(_UNIVERSAL, _SET, [])
        content = _emit(_CONTEXT, 0, [_emit(_UNIVERSAL, _SEQUENCE, [sd[0], empty, sd[2], empty])])
        return _emit(_UNIVERSAL, _SEQUENCE, [ci[0], content])
    except (ValueError, TypeError) as exc:
        raise TapError(f"{name}: not a catalog ({exc})") from None
