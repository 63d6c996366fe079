"""DER values as stored: walking and re-assembling an encoding without re-encoding it.

asn1crypto's object model re-encodes what it has read as soon as anything in a tree is
touched, and reading a timestamp fills in default fields, which marks the whole tree as
changed (and costs time exponential in its depth). Its ``dump()`` also re-encodes a value
whose length ends in byte 0x80, taking it for an indefinite length. Code that must keep the
bytes of signed content, signatures and timestamps walks the encoding here instead, on
asn1crypto's low-level DER parser and emitter: every value is taken as the bytes it was
stored as, and only the containers that change are emitted anew.

Errors are ``ValueError`` (the parser's too), for the caller to turn into one line.
"""

from __future__ import annotations

from asn1crypto import cms, parser

UNIVERSAL, CONTEXT = 0, 2  # tag classes
CONSTRUCTED = 1  # encoding method
SEQUENCE, SET = 16, 17  # universal tags

_SIGNED_DATA_OID = cms.ContentType("signed_data").dump()


# --- values ----------------------------------------------------------------------------------


def first(data: bytes) -> bytes:
    """The encoding of the first value in ``data`` (whatever follows it is dropped)."""
    return data[: parser.peek(data)]


def elements(contents: bytes) -> list[bytes]:
    """The encodings of the values one after the other in ``contents``."""
    out: list[bytes] = []
    pos = 0
    while pos < len(contents):
        n = parser.peek(contents[pos:])
        out.append(contents[pos : pos + n])
        pos += n
    return out


def children(element: bytes, cls: int | None = None, tag: int | None = None) -> list[bytes]:
    """The encodings of a constructed value's children; with ``cls`` and ``tag``, the value
    is checked to be a constructed ``[cls] tag``."""
    class_, method, tag_, _header, contents, _trailer = parser.parse(element, strict=True)
    if cls is not None and (class_, method, tag_) != (cls, CONSTRUCTED, tag):
        raise ValueError(f"expected a constructed [{cls}:{tag}], found [{class_}:{tag_}]")
    return elements(contents)


def has_tag(element: bytes, cls: int, tag: int) -> bool:
    """Whether ``element`` is a ``[cls] tag`` value (either encoding method)."""
    class_, _method, tag_, _header, _contents, _trailer = parser.parse(element)
    return (class_, tag_) == (cls, tag)


def emit(cls: int, tag: int, parts: list[bytes], *, sort: bool = False) -> bytes:
    """A constructed ``[cls] tag`` value of definite length holding ``parts`` (already
    encoded); ``sort`` orders them as a DER SET OF requires."""
    return bytes(parser.emit(cls, CONSTRUCTED, tag, b"".join(sorted(parts) if sort else parts)))


# --- CMS SignedData --------------------------------------------------------------------------


def signed_data(der: bytes) -> tuple[list[bytes], list[bytes]]:
    """(the ContentInfo's children, the SignedData's children) of a PKCS#7 SignedData, as
    stored: [contentType, [0] content] and [version, digestAlgorithms, encapContentInfo,
    ..., signerInfos]."""
    ci = children(first(der), UNIVERSAL, SEQUENCE)
    if len(ci) != 2 or ci[0] != _SIGNED_DATA_OID:
        raise ValueError("not a PKCS#7 SignedData")
    (sd_der,) = children(ci[1], CONTEXT, 0)
    sd = children(sd_der, UNIVERSAL, SEQUENCE)
    if len(sd) < 4:
        raise ValueError("truncated SignedData")
    return ci, sd


def encapsulated_content(der: bytes) -> bytes:
    """The encoding of what a SignedData signs (its encapContentInfo), as stored."""
    return signed_data(der)[1][2]


def signer_infos(der: bytes) -> list[bytes]:
    """The encodings of a SignedData's SignerInfos, in stored order."""
    return children(signed_data(der)[1][-1], UNIVERSAL, SET)
