# ruff: noqa: RUF012  (asn1crypto declares types through mutable class attributes)
# asn1crypto has no type information: its base classes are Any to mypy.
# mypy: disable-error-code="misc"
"""ASN.1 types of Authenticode and Windows security catalogs, on asn1crypto.

Written from the public descriptions (Microsoft's "Windows Authenticode Portable Executable
Signature Format", MS-CAESO, the wincrypt/mscat OID list). Only what the project writes and
reads back: SpcIndirectDataContent with its PE/flat-file data, the catalog's certificate
trust list (CTL), its name-value and member-info attributes.
"""

from __future__ import annotations

from asn1crypto import algos, cms, core, x509

# Object identifiers (facts of the formats).
OID_SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
OID_SPC_PE_IMAGE_DATA = "1.3.6.1.4.1.311.2.1.15"
OID_SPC_CAB_DATA = "1.3.6.1.4.1.311.2.1.25"  # also used for flat files in catalogs
OID_SPC_NESTED_SIGNATURE = "1.3.6.1.4.1.311.2.4.1"  # unsigned attribute: more signatures
OID_CTL = "1.3.6.1.4.1.311.10.1"
OID_CATALOG_LIST = "1.3.6.1.4.1.311.12.1.1"
OID_CATALOG_MEMBER_V1 = "1.3.6.1.4.1.311.12.1.2"  # SHA-1 members
OID_CATALOG_MEMBER_V2 = "1.3.6.1.4.1.311.12.1.3"  # SHA-256 members
OID_CAT_NAMEVALUE = "1.3.6.1.4.1.311.12.2.1"
OID_CAT_MEMBERINFO = "1.3.6.1.4.1.311.12.2.2"
OID_CAT_MEMBERINFO2 = "1.3.6.1.4.1.311.12.2.3"

# Subject interface packages named in CAT_MEMBERINFO (SHA-1 catalogs).
SIP_PE = "{C689AAB8-8E78-11D0-8C47-00C04FC295EE}"
SIP_FLAT = "{DE351A42-8E59-11D0-8C47-00C04FC295EE}"


class SpcString(core.Choice):
    _alternatives = [
        ("unicode", core.BMPString, {"implicit": 0}),
        ("ascii", core.IA5String, {"implicit": 1}),
    ]


class SpcSerializedObject(core.Sequence):
    _fields = [
        ("class_id", core.OctetString),
        ("serialized_data", core.OctetString),
    ]


class SpcLink(core.Choice):
    _alternatives = [
        ("url", core.IA5String, {"implicit": 0}),
        ("moniker", SpcSerializedObject, {"implicit": 1}),
        ("file", SpcString, {"explicit": 2}),
    ]


class SpcPeImageFlags(core.BitString):
    _map = {0: "include_resources", 1: "include_debug_info", 2: "include_import_address_table"}


class SpcPeImageData(core.Sequence):
    _fields = [
        ("flags", SpcPeImageFlags, {"default": set()}),
        ("file", SpcLink, {"explicit": 0, "optional": True}),
    ]


class SpcDataType(core.ObjectIdentifier):
    _map = {
        OID_SPC_PE_IMAGE_DATA: "pe_image_data",
        OID_SPC_CAB_DATA: "cab_data",
    }


class SpcAttributeTypeAndOptionalValue(core.Sequence):
    _fields = [
        ("type", SpcDataType),
        ("value", core.Any, {"optional": True}),
    ]
    _oid_pair = ("type", "value")
    _oid_specs = {"pe_image_data": SpcPeImageData, "cab_data": SpcLink}


class DigestInfo(core.Sequence):
    _fields = [
        ("digest_algorithm", algos.DigestAlgorithm),
        ("digest", core.OctetString),
    ]


class SpcIndirectDataContent(core.Sequence):
    _fields = [
        ("data", SpcAttributeTypeAndOptionalValue),
        ("message_digest", DigestInfo),
    ]


class CatNameValue(core.Sequence):
    """A catalog name-value pair; the value is UTF-16LE text with a terminating NUL."""

    _fields = [
        ("tag", core.BMPString),
        ("flags", core.Integer),
        ("value", core.OctetString),
    ]


class CatMemberInfo(core.Sequence):
    _fields = [
        ("subject_guid", core.BMPString),
        ("cert_version", core.Integer),
    ]


class CatMemberInfo2(core.Choice):
    """CAT_MEMBERINFO2 as written in SHA-256 catalogs: an empty ``[2]`` primitive."""

    _alternatives = [("empty", core.Null, {"implicit": 2})]


class SubjectAttributeType(core.ObjectIdentifier):
    _map = {
        OID_CAT_NAMEVALUE: "cat_namevalue",
        OID_CAT_MEMBERINFO: "cat_memberinfo",
        OID_CAT_MEMBERINFO2: "cat_memberinfo2",
        OID_SPC_INDIRECT_DATA: "spc_indirect_data",
    }


class SetOfAny(core.SetOf):
    _child_spec = core.Any


class SubjectAttribute(core.Sequence):
    _fields = [
        ("type", SubjectAttributeType),
        ("values", SetOfAny),
    ]


class SubjectAttributes(core.SetOf):
    _child_spec = SubjectAttribute


class TrustedSubject(core.Sequence):
    _fields = [
        ("subject_identifier", core.OctetString),
        ("subject_attributes", SubjectAttributes, {"optional": True}),
    ]


class TrustedSubjects(core.SequenceOf):
    _child_spec = TrustedSubject


class SubjectUsage(core.SequenceOf):
    _child_spec = core.ObjectIdentifier


class CertificateTrustList(core.Sequence):
    _fields = [
        ("version", core.Integer, {"default": 0}),
        ("subject_usage", SubjectUsage),
        ("list_identifier", core.OctetString, {"optional": True}),
        ("sequence_number", core.Integer, {"optional": True}),
        ("this_update", x509.Time),
        ("next_update", x509.Time, {"optional": True}),
        ("subject_algorithm", algos.DigestAlgorithm),
        ("trusted_subjects", TrustedSubjects, {"optional": True}),
        ("extensions", x509.Extensions, {"explicit": 0, "optional": True}),
    ]


def name_value(tag: str, value: str, flags: int) -> CatNameValue:
    return CatNameValue({"tag": tag, "flags": flags, "value": (value + "\0").encode("utf-16-le")})


def name_value_text(nv: CatNameValue) -> tuple[str, str]:
    """(tag, value) of a name-value pair, without the terminating NUL."""
    raw = nv["value"].native
    return nv["tag"].native, raw.decode("utf-16-le").rstrip("\0")


# Let asn1crypto's SignedData carry a CTL as its content (keyed by the dotted OID, which is
# how asn1crypto names an OID it has no name for; nothing else of the library changes).
# A version 1 SignedData holds a PKCS#7 ContentInfo, later versions an EncapsulatedContentInfo.
cms.ContentInfo._oid_specs.setdefault(OID_CTL, CertificateTrustList)
cms.EncapsulatedContentInfo._oid_specs.setdefault(OID_CTL, CertificateTrustList)
