"""Windows security catalogs (.cat) for the driver package: made, read back and checked.

The project's own generator runs on every host and is deterministic (same files, targets
and date -> the same bytes). On Windows, Inf2Cat can make the catalog instead
(:func:`inf2cat_command`). Either way the catalog is unsigned; signing is separate.

Structure written (one per architecture, ``<component id>.cat``): a PKCS#7 SignedData whose
content is a certificate trust list with usage "catalog list", one member per file. Member
hashes follow Inf2Cat: SHA-1 ("v1" catalog) when any target is older than Windows 8, since
Windows 7 cannot read SHA-256 members, else SHA-256 ("v2" catalog, where each file also gets
a SHA-1 entry). A PE file's member hash is its Authenticode image hash, any other file's
the hash of its bytes. Catalog attributes: ``OS`` (the targets) and ``HWID1..n`` (the
INF's hardware ids).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, core, x509

from tapbuild import atomic
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.formats import asn1 as asn
from tapbuild.formats import authenticode

# Flags of every name-value pair Inf2Cat writes: NAMEASCII | DATAASCII | AUTHENTICATED.
_NV_FLAGS = 0x10010001
_MEMBER_CERT_VERSION = 512


@dataclass(frozen=True)
class OsTarget:
    key: str  # the name used in configuration: 7, 8, 8.1, 10, server2008r2, ...
    arch: str  # i386, amd64, arm64
    inf2cat: str  # Inf2Cat /os: identifier
    cat_os: str  # the catalog's OS attribute string
    nt: tuple[int, int]  # NT version, for OSAttr and the member-hash choice
    title: str


def _t(key: str, arch: str, inf2cat: str, cat_os: str, nt: tuple[int, int], title: str) -> OsTarget:
    return OsTarget(key, arch, inf2cat, cat_os, nt, title)


OS_TARGETS: tuple[OsTarget, ...] = (
    _t("7", "i386", "7_X86", "7X86", (6, 1), "Windows 7"),
    _t("8", "i386", "8_X86", "8X86", (6, 2), "Windows 8"),
    _t("8.1", "i386", "6_3_X86", "_v63", (6, 3), "Windows 8.1"),
    _t("10", "i386", "10_X86", "_v100", (10, 0), "Windows 10"),
    _t("7", "amd64", "7_X64", "7X64", (6, 1), "Windows 7"),
    _t("8", "amd64", "8_X64", "8X64", (6, 2), "Windows 8"),
    _t("8.1", "amd64", "6_3_X64", "_v63_X64", (6, 3), "Windows 8.1"),
    _t("10", "amd64", "10_X64", "_v100_X64", (10, 0), "Windows 10 and later"),
    _t("server2008r2", "amd64", "Server2008R2_X64", "Server2008R2X64", (6, 1), "Server 2008 R2"),
    _t("server2012", "amd64", "Server8_X64", "Server2012X64", (6, 2), "Server 2012"),
    _t("server2012r2", "amd64", "Server6_3_X64", "_v63_Server_X64", (6, 3), "Server 2012 R2"),
    _t("server2016", "amd64", "Server10_X64", "Server_v100_X64", (10, 0), "Server 2016 and later"),
    _t("10", "arm64", "10_RS3_ARM64", "_v100_ARM64_RS3", (10, 0), "Windows 10 (1709) and later"),
)

# What the driver supports (tapbuild.arch's catalog_os): i386 Windows 7-10, amd64 the same plus
# the Server editions, arm64 Windows 10.
DEFAULT_OS: dict[str, tuple[str, ...]] = {a.name: a.catalog_os for a in ARCHES.values()}

MEMBER_HASHES = ("sha1", "sha256")


def _accepted_keys(arch: str) -> str:
    return ", ".join(t.key for t in OS_TARGETS if t.arch == arch)


def os_targets(arch: str, keys: Iterable[str] | None = None) -> tuple[OsTarget, ...]:
    """The targets named by ``keys`` (default: :data:`DEFAULT_OS`) for one arch, table order."""
    if arch not in ARCHES:
        raise TapError(f"catalog: unknown architecture {arch!r}; accepted: {', '.join(ARCHES)}")
    wanted = [k.strip().lower() for k in (DEFAULT_OS[arch] if keys is None else keys)]
    wanted = [k for k in wanted if k]
    known = {t.key for t in OS_TARGETS if t.arch == arch}
    for k in wanted:
        if k not in known:
            raise TapError(
                f"catalog: unknown target OS {k!r} for {arch}; accepted: {_accepted_keys(arch)}"
            )
    if not wanted:
        raise TapError(f"catalog: no target OS for {arch}; accepted: {_accepted_keys(arch)}")
    return tuple(t for t in OS_TARGETS if t.arch == arch and t.key in wanted)


def parse_os_option(values: Sequence[str]) -> dict[str, tuple[OsTarget, ...]]:
    """``--os ARCH=KEY,KEY`` (repeatable) -> targets per arch; arches not named keep defaults."""
    out = {arch: os_targets(arch) for arch in DEFAULT_OS}
    for value in values:
        arch, sep, keys = value.partition("=")
        if not sep:
            raise TapError(
                f"--os {value}: expected ARCH=LIST such as amd64=10,server2016; "
                f"arches: {', '.join(DEFAULT_OS)}"
            )
        out[arch.strip()] = os_targets(arch.strip(), keys.split(","))
    return out


def default_member_hash(targets: Sequence[OsTarget]) -> str:
    """Inf2Cat's rule: SHA-1 members when any target is older than Windows 8, else SHA-256."""
    return "sha1" if any(t.nt < (6, 2) for t in targets) else "sha256"


def os_attr(targets: Sequence[OsTarget]) -> str:
    """The members' OSAttr value, e.g. ``2:6.1,2:6.2,2:6.3,2:10.0``."""
    versions = sorted({t.nt for t in targets})
    return ",".join(f"2:{major}.{minor}" for major, minor in versions)


def catalog_date() -> datetime.datetime:
    """The catalog's update time: SOURCE_DATE_EPOCH when set, else the product's RELDATE."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
        except (ValueError, OverflowError):
            raise TapError(
                f"SOURCE_DATE_EPOCH={epoch}: not a Unix time; expected seconds since 1970"
            ) from None
    from tapbuild.product.versioninfo import load

    reldate = load().PRODUCT_TAP_WIN_RELDATE
    return datetime.datetime.strptime(reldate, "%m/%d/%Y").replace(tzinfo=datetime.timezone.utc)


# --- INF facts -------------------------------------------------------------------------------

_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")


def inf_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        m = _SECTION.match(line)
        if m:
            current = sections.setdefault(m.group(1).strip().lower(), [])
        elif line and current is not None:
            current.append(line)
    return sections


def inf_catalog_name(inf: Path) -> str | None:
    """The INF's ``CatalogFile`` (first of CatalogFile.<decoration> or CatalogFile)."""
    text = inf.read_text(encoding="utf-8-sig", errors="replace")
    for line in inf_sections(text).get("version", []):
        name, sep, value = line.partition("=")
        if sep and name.strip().lower().startswith("catalogfile"):
            return value.strip().strip('"')
    return None


def inf_hardware_ids(inf: Path) -> list[str]:
    """Hardware ids from the models sections the [Manufacturer] section names, lower case,
    in order of appearance, without duplicates."""
    text = inf.read_text(encoding="utf-8-sig", errors="replace")
    sections = inf_sections(text)
    models: list[str] = []
    for line in sections.get("manufacturer", []):
        _, sep, rhs = line.partition("=")
        if not sep:
            continue
        parts = [p.strip() for p in rhs.split(",")]
        base = parts[0]
        models += [f"{base}.{d}".lower() for d in parts[1:] if d] or [base.lower()]
    ids: list[str] = []
    for name in models:
        for line in sections.get(name, []):
            _, sep, rhs = line.partition("=")
            for hwid in [p.strip().lower() for p in rhs.split(",")[1:]] if sep else []:
                if hwid and hwid not in ids:
                    ids.append(hwid)
    return ids


# --- writing ---------------------------------------------------------------------------------


def _attr(kind: str, value: core.Asn1Value) -> asn.SubjectAttribute:
    return asn.SubjectAttribute({"type": kind, "values": [core.Any.load(value.dump())]})


def _nv_attr(tag: str, value: str) -> asn.SubjectAttribute:
    return _attr("cat_namevalue", asn.name_value(tag, value, _NV_FLAGS))


def _indirect(data: bytes, digest_alg: str, digest: bytes) -> asn.SpcIndirectDataContent:
    empty_link = asn.SpcLink(name="file", value=asn.SpcString(name="unicode", value=""))
    if authenticode.is_pe(data):
        spc_data = {
            "type": "pe_image_data",
            "value": asn.SpcPeImageData(
                {"flags": {"include_resources", "include_import_address_table"}, "file": empty_link}
            ),
        }
    else:
        spc_data = {"type": "cab_data", "value": empty_link}
    return asn.SpcIndirectDataContent(
        {
            "data": spc_data,
            "message_digest": {
                "digest_algorithm": {"algorithm": digest_alg, "parameters": core.Null()},
                "digest": digest,
            },
        }
    )


def file_hash(data: bytes, digest_alg: str, name: str = "file") -> bytes:
    """A catalog member's hash: the Authenticode image hash of a PE, else of the bytes."""
    if authenticode.is_pe(data):
        return authenticode.pe_image_hash(data, digest_alg, name)
    return authenticode.DIGESTS[digest_alg](data).digest()


def _subjects(path: Path, member_hash: str, osattr: str) -> list[asn.TrustedSubject]:
    data = path.read_bytes()
    name_attrs = [_nv_attr("File", path.name), _nv_attr("OSAttr", osattr)]
    if member_hash == "sha1":
        digest = file_hash(data, "sha1", str(path))
        sip = asn.SIP_PE if authenticode.is_pe(data) else asn.SIP_FLAT
        info = asn.CatMemberInfo({"subject_guid": sip, "cert_version": _MEMBER_CERT_VERSION})
        attrs = [
            *name_attrs,
            _attr("cat_memberinfo", info),
            _attr("spc_indirect_data", _indirect(data, "sha1", digest)),
        ]
        tag = digest.hex().upper().encode("utf-16-le")
        return [_subject(tag, attrs)]
    info2 = asn.CatMemberInfo2(name="empty", value=core.Null())
    sha256 = file_hash(data, "sha256", str(path))
    sha1 = file_hash(data, "sha1", str(path))
    main = [
        *name_attrs,
        _attr("cat_memberinfo2", info2),
        _attr("spc_indirect_data", _indirect(data, "sha256", sha256)),
    ]
    extra = [*name_attrs, _attr("cat_memberinfo2", info2)]
    return [_subject(sha256, main), _subject(sha1, extra)]


def _subject(identifier: bytes, attrs: list[asn.SubjectAttribute]) -> asn.TrustedSubject:
    # DER orders a SET OF by the encodings; do it explicitly so the output never depends on
    # the library.
    ordered = sorted(attrs, key=lambda a: a.dump())
    return asn.TrustedSubject({"subject_identifier": identifier, "subject_attributes": ordered})


def make_catalog(
    files: Sequence[Path],
    targets: Sequence[OsTarget],
    hardware_ids: Sequence[str] = (),
    member_hash: str | None = None,
    when: datetime.datetime | None = None,
) -> bytes:
    """The DER of an unsigned catalog listing ``files`` (deterministic)."""
    if not files:
        raise TapError("catalog: no files to list; expected the driver's .sys and .inf")
    if not targets:
        raise TapError("catalog: no target OS given")
    algo = member_hash or default_member_hash(targets)
    if algo not in MEMBER_HASHES:
        raise TapError(f"catalog: member hash {algo!r}; accepted: {', '.join(MEMBER_HASHES)}")
    names = [p.name.lower() for p in files]
    if len(set(names)) != len(names):
        raise TapError("catalog: two files with the same name; a catalog lists file names once")
    osattr = os_attr(targets)
    subjects: list[asn.TrustedSubject] = []
    for path in sorted(files, key=lambda p: p.name.lower()):
        subjects += _subjects(path, algo, osattr)
    subjects.sort(key=lambda s: s["subject_identifier"].native)
    when = when or catalog_date()
    os_value = ",".join(t.cat_os for t in targets)
    ext_values = [("OS", os_value)] + [
        (f"HWID{i}", hwid) for i, hwid in reversed(list(enumerate(hardware_ids, 1)))
    ]
    extensions = x509.Extensions(
        [
            {
                "extn_id": asn.OID_CAT_NAMEVALUE,
                "critical": False,
                "extn_value": asn.name_value(tag, value, _NV_FLAGS).dump(),
            }
            for tag, value in ext_values
        ]
    )
    body = b"".join(s.dump() for s in subjects) + os_value.encode()
    ctl = asn.CertificateTrustList(
        {
            "subject_usage": [asn.OID_CATALOG_LIST],
            "list_identifier": hashlib.sha256(body).digest()[:16],
            "this_update": x509.Time(name="utc_time", value=when),
            "subject_algorithm": {
                "algorithm": asn.OID_CATALOG_MEMBER_V1
                if algo == "sha1"
                else asn.OID_CATALOG_MEMBER_V2,
                "parameters": core.Null(),
            },
            "trusted_subjects": subjects,
            "extensions": extensions,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {
                "content_type": asn.OID_CTL,
                "content": ctl,
            },
            "signer_infos": [],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str  # the File attribute
    algorithm: str  # sha1 / sha256
    digest: bytes
    pe: bool | None  # from the indirect data; None for SHA-1 companion entries of v2
    os_attr: str


@dataclass(frozen=True)
class CatalogInfo:
    member_hash: str  # sha1 (v1) or sha256 (v2)
    members: tuple[Member, ...]
    attributes: Mapping[str, str]  # OS, HWID1, ...
    this_update: datetime.datetime
    signed: bool

    @property
    def hardware_ids(self) -> list[str]:
        ids = [(int(k[4:]), v) for k, v in self.attributes.items() if re.fullmatch(r"HWID\d+", k)]
        return [v for _, v in sorted(ids)]


def read_catalog(path: Path) -> CatalogInfo:
    """Parse a catalog (signed or not) back into its members and attributes."""
    try:
        ci = cms.ContentInfo.load(path.read_bytes())
        sd = ci["content"]
        eci = sd["encap_content_info"]
        if eci["content_type"].dotted != asn.OID_CTL:
            raise ValueError("content is not a certificate trust list")
        ctl = eci["content"]
        algo_oid = ctl["subject_algorithm"]["algorithm"].dotted
        member_hash = {asn.OID_CATALOG_MEMBER_V1: "sha1", asn.OID_CATALOG_MEMBER_V2: "sha256"}.get(
            algo_oid
        )
        if member_hash is None:
            raise ValueError(f"unknown member algorithm {algo_oid}")
        members = [_read_member(s, member_hash) for s in ctl["trusted_subjects"]]
        attributes: dict[str, str] = {}
        exts = ctl["extensions"]
        for ext in [] if isinstance(exts, core.Void) else exts:
            if ext["extn_id"].dotted == asn.OID_CAT_NAMEVALUE:
                nv = asn.CatNameValue.load(ext["extn_value"].contents)
                tag, value = asn.name_value_text(nv)
                attributes[tag] = value
        return CatalogInfo(
            member_hash,
            tuple(members),
            attributes,
            ctl["this_update"].native,
            len(sd["signer_infos"]) > 0,
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise TapError(f"{path}: not a readable catalog ({exc}); make it again") from None


def _read_member(subject: asn.TrustedSubject, member_hash: str) -> Member:
    name = osattr = ""
    digest_alg = ""
    digest = b""
    pe: bool | None = None
    for attr in subject["subject_attributes"]:
        kind = attr["type"].native
        value = attr["values"][0]
        if kind == "cat_namevalue":
            tag, text = asn.name_value_text(value.parse(asn.CatNameValue))
            if tag == "File":
                name = text
            elif tag == "OSAttr":
                osattr = text
        elif kind == "spc_indirect_data":
            idc = value.parse(asn.SpcIndirectDataContent)
            digest_alg = idc["message_digest"]["digest_algorithm"]["algorithm"].native
            digest = idc["message_digest"]["digest"].native
            pe = idc["data"]["type"].native == "pe_image_data"
    ident = subject["subject_identifier"].native
    if not digest:  # v2 SHA-1 companion entry: the identifier is the raw hash
        digest_alg, digest = "sha1", ident
    return Member(name, digest_alg, digest, pe, osattr)


def check_members(cat: Path, files: Sequence[Path]) -> list[str]:
    """Problems (empty when fine): each file listed with its current hash, nothing else."""
    info = read_catalog(cat)
    problems: list[str] = []
    listed = {m.name.lower() for m in info.members}
    for path in files:
        data = path.read_bytes()
        entries = [m for m in info.members if m.name.lower() == path.name.lower()]
        if not entries:
            problems.append(f"{cat.name}: {path.name} is not listed")
            continue
        for m in entries:
            if m.digest != file_hash(data, m.algorithm, str(path)):
                problems.append(
                    f"{cat.name}: {path.name} changed since the catalog was made "
                    f"({m.algorithm} hash differs)"
                )
                break
    extra = listed - {p.name.lower() for p in files}
    problems += [f"{cat.name}: lists {n}, which is not in {cat.parent}" for n in sorted(extra)]
    return problems


# --- the driver package of one arch ----------------------------------------------------------


def package_files(arch_dir: Path) -> list[Path]:
    """What the catalog of dist/<arch>/ covers: the driver (.sys) and the INF."""
    files = sorted(
        p for p in arch_dir.iterdir() if p.is_file() and p.suffix.lower() in (".sys", ".inf")
    )
    if not any(p.suffix.lower() == ".inf" for p in files) or not any(
        p.suffix.lower() == ".sys" for p in files
    ):
        raise TapError(f"{arch_dir}: expected a driver package (.sys and .inf); run scons first")
    return files


def write_package_catalog(
    arch_dir: Path,
    cat_name: str,
    targets: Sequence[OsTarget],
    member_hash: str | None = None,
    when: datetime.datetime | None = None,
) -> Path:
    """Make ``arch_dir/cat_name`` for the package in ``arch_dir`` (written atomically)."""
    files = package_files(arch_dir)
    infs = [p for p in files if p.suffix.lower() == ".inf"]
    for inf in infs:
        named = inf_catalog_name(inf)
        if named is not None and named.lower() != cat_name.lower():
            raise TapError(
                f"{inf}: CatalogFile = {named}, but the component id gives {cat_name}; "
                "rebuild dist/ with scons"
            )
    hwids: list[str] = []
    for inf in infs:
        hwids += [h for h in inf_hardware_ids(inf) if h not in hwids]
    data = make_catalog(files, targets, hwids, member_hash, when)
    return atomic.write_bytes(arch_dir / cat_name, data)


# --- Inf2Cat (Windows toolchains) ------------------------------------------------------------


def inf2cat_command(inf2cat: str, arch_dir: Path, targets: Sequence[OsTarget]) -> list[str]:
    """The Inf2Cat command line that catalogs the package in ``arch_dir`` for ``targets``."""
    return [inf2cat, f"/driver:{arch_dir}", "/os:" + ",".join(t.inf2cat for t in targets)]
