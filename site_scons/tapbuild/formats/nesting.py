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
everything else (:mod:`tapbuild.formats.der`): the signed content, signed attributes,
signatures and timestamps keep their bytes.
"""

from __future__ import annotations

from asn1crypto import cms

from tapbuild.errors import TapError
from tapbuild.formats import asn1 as asn
from tapbuild.formats import der
from tapbuild.formats.der import CONTEXT, SEQUENCE, SET, UNIVERSAL

_NESTED_OID_DER = cms.CMSAttributeType(asn.OID_SPC_NESTED_SIGNATURE).dump()


def _unsigned_attrs(signer_info: bytes) -> tuple[list[bytes], list[bytes]]:
    """(the other fields, the unsigned attributes) of a SignerInfo."""
    fields = der.children(signer_info, UNIVERSAL, SEQUENCE)
    if fields and der.has_tag(fields[-1], CONTEXT, 1):  # [1] IMPLICIT unsignedAttrs
        return fields[:-1], der.children(fields[-1], CONTEXT, 1)
    return fields, []


def nested_signatures(signer_info: bytes) -> list[bytes]:
    """The ContentInfos nested in a SignerInfo, as stored (no re-encoding)."""
    out: list[bytes] = []
    for attr in _unsigned_attrs(signer_info)[1]:
        kind, values = der.children(attr, UNIVERSAL, SEQUENCE)
        if kind == _NESTED_OID_DER:
            out += der.children(values, UNIVERSAL, SET)
    return out


def _with_nested(signer_info: bytes, inner: bytes) -> bytes:
    """``signer_info`` with ``inner`` added to its nested-signature attribute."""
    fields, attrs = _unsigned_attrs(signer_info)
    for i, attr in enumerate(attrs):
        kind, values = der.children(attr, UNIVERSAL, SEQUENCE)
        if kind == _NESTED_OID_DER:
            nested = der.emit(
                UNIVERSAL, SET, [*der.children(values, UNIVERSAL, SET), inner], sort=True
            )
            attrs[i] = der.emit(UNIVERSAL, SEQUENCE, [kind, nested])
            break
    else:
        nested = der.emit(UNIVERSAL, SET, [inner])
        attrs.append(der.emit(UNIVERSAL, SEQUENCE, [_NESTED_OID_DER, nested]))
    return der.emit(UNIVERSAL, SEQUENCE, [*fields, der.emit(CONTEXT, 1, attrs, sort=True)])


def nest(outer: bytes, inner: bytes, name: str = "catalog") -> bytes:
    """``outer`` (a signed catalog's DER) with ``inner`` (the same catalog signed again)
    added as one more nested signature of its first SignerInfo."""
    try:
        ci, sd = der.signed_data(outer)
        infos = der.children(sd[-1], UNIVERSAL, SET)
        if not infos:
            raise ValueError("no signature")
    except (ValueError, TypeError) as exc:
        raise TapError(f"{name}: not a signed catalog ({exc}); sign it first") from None
    try:
        inner = der.first(inner)
        _ci2, sd2 = der.signed_data(inner)
        if not der.children(sd2[-1], UNIVERSAL, SET):
            raise ValueError("no signature")
    except (ValueError, TypeError) as exc:
        raise TapError(f"{name}: the tool's second signature is unreadable ({exc})") from None
    if sd2[2] != sd[2]:  # encapContentInfo: the certificate trust list
        raise TapError(f"{name}: the second signature signs other content than the catalog")
    try:
        infos[0] = _with_nested(infos[0], inner)
        sd[-1] = der.emit(UNIVERSAL, SET, infos)  # in stored order: the first is the primary
        content = der.emit(CONTEXT, 0, [der.emit(UNIVERSAL, SEQUENCE, sd)])
        out = der.emit(UNIVERSAL, SEQUENCE, [ci[0], content])
        if len(cms.ContentInfo.load(out, strict=True)["content"]["signer_infos"]) != len(infos):
            raise ValueError("re-encoding lost a signature")
    except (ValueError, TypeError, KeyError) as exc:
        raise TapError(f"{name}: unreadable signature ({exc.__class__.__name__})") from None
    return out


def unsigned(catalog: bytes, name: str = "catalog") -> bytes:
    """``catalog`` (a signed catalog's DER) with every signature, certificate and CRL removed: what
    :func:`tapbuild.sign.catalog.make_catalog` writes, the certificate trust list kept as stored
    (osslsigncode cannot remove a catalog's signature)."""
    try:
        ci, sd = der.signed_data(catalog)
        empty = der.emit(UNIVERSAL, SET, [])
        content = der.emit(
            CONTEXT, 0, [der.emit(UNIVERSAL, SEQUENCE, [sd[0], empty, sd[2], empty])]
        )
        return der.emit(UNIVERSAL, SEQUENCE, [ci[0], content])
    except (ValueError, TypeError) as exc:
        raise TapError(f"{name}: not a catalog ({exc})") from None
