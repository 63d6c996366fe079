"""The layout probe: a C file that checks sizes, alignments and field offsets at compile time.

The expected values are the real WDK's (``wdk/<arch>.json`` beside this file, generated from
the WDK 10.0.10240 headers; see wdk/README.md). :func:`probe_source` turns them into one C
file that includes the driver's declarations (driver/decl/tapkernel.h) and states

- ``_Static_assert(sizeof(T) == N, ...)`` and the same for ``_Alignof(T)``;
- ``_Static_assert(offsetof(T, a.b.c) == N, "T.a.b.c ...")`` for every field;
- for bit-fields, whose offset C cannot compute, a constant of a union of ``T`` and its bytes
  with only that bit-field set to all ones: :func:`bitfield_offsets` reads the constants back
  from the object file (COFF) and finds the byte where each field starts.

So the same probe checks the project's declarations (zig, mingw-w64) and the real WDK (clang-cl
on Windows, tests/layout/check_wdk.py): a mismatch fails the compile with the field's name.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from tapbuild.arch import ARCHES
from tapbuild.build import ddkpatch, zig

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WDK_TABLES = HERE / "wdk"
DECL_DIR = ROOT / "driver" / "decl"

# Fields of dispatcher headers (the KEVENT/KMUTEX internals inside NDIS_EVENT, FILE_OBJECT and
# DEVICE_OBJECT): opaque kernel state that the driver only hands to kernel routines. Their
# names and bit layout change between WDK releases, and mingw-w64 places the flag bytes one byte
# off; the offset and size of the objects themselves are still checked.
DISPATCHER_INTERNALS = re.compile(r"(^|\.)(Event|Lock|DeviceLock)\.Header\.")

# Known differences of mingw-w64's headers from the WDK that the driver never depends on
# (it never allocates or sizes these objects), per architecture. The zig probe asserts that
# they still differ, so a fixed zig makes this list shrink instead of rot; the WDK probe checks
# the WDK value as usual.
WIN64 = ("amd64", "arm64")
KNOWN_MINGW_DIFFERENCES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("DEVICE_OBJECT", "sizeof"): (WIN64, "mingw-w64's DEVICE_OBJECT lacks the 16-byte alignment"),
    ("DEVICE_OBJECT", "alignof"): (
        ("i386", *WIN64),
        "mingw-w64's DEVICE_OBJECT lacks the MEMORY_ALLOCATION_ALIGNMENT alignment",
    ),
    ("IRP", "alignof"): (WIN64, "mingw-w64's IRP lacks the 16-byte alignment"),
}

# Members newer than mingw-w64's definitions of kernel types, inside parts the driver never
# touches: a device's DPC and DMA wait block, an IRP's APC, and the SLIST linkage NDIS keeps in
# its packets. The zig probe leaves them out (field path or path prefix); the WDK probe checks
# them. Everything around them is checked on both, so their absence moves nothing.
KNOWN_MINGW_GAPS: dict[tuple[str, str], str] = {
    ("DEVICE_OBJECT", "Dpc.DpcListEntry.Next"): "mingw-w64's KDPC links by LIST_ENTRY",
    ("DEVICE_OBJECT", "Dpc.ProcessorHistory"): "not in mingw-w64's KDPC",
    ("DEVICE_OBJECT", "Dpc.TargetInfoAsUlong"): "not in mingw-w64's KDPC",
    ("DEVICE_OBJECT", "Queue.Wcb.DmaContext"): "not in mingw-w64's WAIT_CONTEXT_BLOCK",
    ("DEVICE_OBJECT", "Queue.Wcb.DmaWaitEntry"): "not in mingw-w64's WAIT_CONTEXT_BLOCK",
    ("DEVICE_OBJECT", "Queue.Wcb.NumberOfChannels"): "not in mingw-w64's WAIT_CONTEXT_BLOCK",
    ("DEVICE_OBJECT", "Queue.Wcb.SyncCallback"): "not in mingw-w64's WAIT_CONTEXT_BLOCK",
    ("DEVICE_OBJECT", "Queue.Wcb.Reserved"): "not in mingw-w64's WAIT_CONTEXT_BLOCK",
    ("IRP", "Tail.Apc.Reserved"): "not in mingw-w64's KAPC",
    **{
        (t, f"{p}Link.{m}"): f"mingw-w64's SLIST_HEADER has no {m} view"
        for t, p in (
            ("NET_BUFFER", ""),
            ("NET_BUFFER", "NetBufferHeader."),
            ("NET_BUFFER_LIST", ""),
            ("NET_BUFFER_LIST", "NetBufferListHeader."),
        )
        for m in ("CpuId", "HeaderArm64")
    },
}


def _mingw_gap(type_name: str, path: str) -> bool:
    return any(
        t == type_name and (path == p or path.startswith(p + ".")) for (t, p) in KNOWN_MINGW_GAPS
    )


# Bit-fields among the checked fields: offsetof() cannot name them.
BITFIELDS: dict[str, frozenset[str]] = {
    "NDIS_NET_BUFFER_LIST_8021Q_INFO": frozenset(
        [
            f"{h}.{f}"
            for h in ("TagHeader", "WLanTagHeader")
            for f in ("UserPriority", "CanonicalFormatId", "VlanId", "Reserved")
        ]
        + ["WLanTagHeader.WMMInfo"]
    ),
    "NDIS_MINIPORT_INIT_PARAMETERS": frozenset(
        {"NetLuid.Info.Reserved", "NetLuid.Info.NetLuidIndex", "NetLuid.Info.IfType"}
    ),
    "NET_BUFFER": frozenset(
        f"{p}Link.{h}.{f}"
        for p in ("", "NetBufferHeader.")
        for h in ("HeaderX64", "HeaderArm64")
        for f in ("Depth", "Sequence", "NextEntry", "Reserved")
    ),
    "NET_BUFFER_LIST": frozenset(
        f"{p}Link.{h}.{f}"
        for p in ("", "NetBufferListHeader.")
        for h in ("HeaderX64", "HeaderArm64")
        for f in ("Depth", "Sequence", "NextEntry", "Reserved")
    ),
    "DEVICE_OBJECT": frozenset({"DeviceQueue.Hint", "DeviceQueue.Reserved"}),
    "IO_STACK_LOCATION": frozenset(
        f"Parameters.Power.SystemPowerStateContext.{f}"
        for f in (
            "Reserved1",
            "TargetSystemState",
            "EffectiveSystemState",
            "CurrentSystemState",
            "IgnoreHibernationPath",
            "PseudoTransition",
            "Reserved2",
        )
    ),
}


# Bit positions the driver relies on beyond the tables' byte offsets: the 802.1Q tag fields it
# reads and writes (NDIS_NET_BUFFER_LIST_8021Q_INFO: UserPriority:3, CanonicalFormatId:1,
# VlanId:12 from bit 0; Windows allocates bit-fields from the least significant bit).
# (first bit, width) from the start of the structure.
DOCUMENTED_BITS: dict[tuple[str, str], tuple[int, int]] = {
    ("NDIS_NET_BUFFER_LIST_8021Q_INFO", "TagHeader.UserPriority"): (0, 3),
    ("NDIS_NET_BUFFER_LIST_8021Q_INFO", "TagHeader.CanonicalFormatId"): (3, 1),
    ("NDIS_NET_BUFFER_LIST_8021Q_INFO", "TagHeader.VlanId"): (4, 12),
    ("NDIS_NET_BUFFER_LIST_8021Q_INFO", "TagHeader.Reserved"): (16, 16),
}


@dataclass(frozen=True)
class Bitfield:
    """One bit-field probe: the symbol of its constant, the size of its type, the byte where
    the WDK starts it and, where documented, its (first bit, width)."""

    symbol: str
    type_name: str
    path: str
    size: int
    expected: int
    bits: tuple[int, int] | None


class TypeLayout(TypedDict):
    """One type of a WDK table: size, alignment, and the offset of each field path."""

    size: int
    align: int
    fields: dict[str, int]


def load_expected(arch: str) -> dict[str, TypeLayout]:
    """The WDK table of one architecture: type -> {size, align, fields: {path: offset}}."""
    data: dict[str, TypeLayout] = json.loads((WDK_TABLES / f"{arch}.json").read_text())
    return data


def c_designator(path: str) -> str:
    """A JSON field path as C member designator: members that the WDK declares as anonymous
    members of a named type (``NetBufferHeader._NET_BUFFER_DATA.Next``) are reached through
    the enclosing member directly (``NetBufferHeader.Next``)."""
    return ".".join(part for part in path.split(".") if not part.startswith("_"))


def _is_checked(path: str) -> bool:
    """Dispatcher internals are not checked, nor paths that end in a member the WDK declares
    anonymously (C cannot name it; its first named member carries the same offset)."""
    return not DISPATCHER_INTERNALS.search(path) and not path.split(".")[-1].startswith("_")


def probe_source(
    expected: Mapping[str, TypeLayout],
    mode: str,
    arch: str,
    *,
    types: Iterable[str] | None = None,
) -> tuple[str, list[Bitfield]]:
    """The C text of the probe for ``arch`` and its bit-field probes.

    ``mode`` is ``"mingw"`` (the project's declarations: known mingw-w64 differences are
    asserted to differ, known gaps left out) or ``"wdk"`` (everything asserted equal).
    """
    if mode not in ("mingw", "wdk"):
        raise ValueError(f"mode {mode!r}: accepted 'mingw' or 'wdk'")
    lines = [
        "/* Generated by tests/layout/layoutprobe.py: sizes, alignments and offsets of the",
        " * types the TAP driver touches, against the real WDK's (tests/layout/wdk). */",
        '#include "tapkernel.h"',
        "#include <stddef.h>",
        "#if defined(__clang__)",
        '#pragma clang diagnostic ignored "-Wbitfield-constant-conversion"',
        '#pragma clang diagnostic ignored "-Wconstant-conversion"',
        '#pragma clang diagnostic ignored "-Wmissing-field-initializers"',
        "#endif",
        "#define TAP_PROBE_ONES (~0ULL)",
        "",
    ]
    bitfields: list[Bitfield] = []
    for type_name in sorted(types if types is not None else expected):
        info = expected[type_name]
        size, align = info["size"], info["align"]
        fields = info["fields"]
        for what, value, expr in (
            ("sizeof", size, f"sizeof({type_name})"),
            ("alignof", align, f"_Alignof({type_name})"),
        ):
            op = "=="
            known = KNOWN_MINGW_DIFFERENCES.get((type_name, what))
            if mode == "mingw" and known and arch in known[0]:
                op = "!="
            lines.append(
                f'_Static_assert({expr} {op} {value}, "{what}({type_name}) {op} {value}");'
            )
        bits = BITFIELDS.get(type_name, frozenset())
        for path in sorted(fields):
            if not _is_checked(path):
                continue
            if mode == "mingw" and _mingw_gap(type_name, path):
                continue
            offset = fields[path]
            member = c_designator(path)
            if path in bits:
                symbol = f"tap_probe_bf_{len(bitfields)}"
                bits_expected = DOCUMENTED_BITS.get((type_name, path))
                bitfields.append(Bitfield(symbol, type_name, path, size, offset, bits_expected))
                lines.append(
                    f"const union {{ {type_name} v; unsigned char b[sizeof({type_name})]; }} "
                    f"{symbol} = {{ .v.{member} = TAP_PROBE_ONES }};"
                )
                continue
            lines.append(
                f"_Static_assert(offsetof({type_name}, {member}) == {offset}, "
                f'"{type_name}.{path}: expected offset {offset}");'
            )
    lines.append("")
    return "\n".join(lines), bitfields


# ---- Reading the bit-field constants back from a COFF object -------------------------------

_COFF_HEADER = struct.Struct("<HHIIIHH")
_SECTION = struct.Struct("<8sIIIIIIHHI")
_SYMBOL = struct.Struct("<8sIhHBB")


def coff_symbols(obj: bytes) -> dict[str, bytes]:
    """Defined data symbols of a COFF object -> the bytes from their value to their section's
    end (enough for the fixed-size constants the probe defines)."""
    _machine, nsections, _ts, symtab, nsymbols, opt_size, _ch = _COFF_HEADER.unpack_from(obj, 0)
    sections = []
    base = _COFF_HEADER.size + opt_size
    for i in range(nsections):
        fields = _SECTION.unpack_from(obj, base + i * _SECTION.size)
        raw_size, raw_ptr = fields[3], fields[4]
        sections.append(obj[raw_ptr : raw_ptr + raw_size] if raw_ptr else b"")
    strings = symtab + nsymbols * _SYMBOL.size
    out: dict[str, bytes] = {}
    i = 0
    while i < nsymbols:
        name_raw, value, section, _type, _cls, naux = _SYMBOL.unpack_from(obj, symtab + i * 18)
        if name_raw[:4] == b"\0\0\0\0":
            offset = struct.unpack_from("<I", name_raw, 4)[0]
            end = obj.index(b"\0", strings + offset)
            name = obj[strings + offset : end].decode()
        else:
            name = name_raw.rstrip(b"\0").decode()
        if section > 0:
            out[name] = sections[section - 1][value:]
        i += 1 + naux
    return out


def bitfield_bits(obj: bytes, bitfields: Iterable[Bitfield]) -> dict[Bitfield, tuple[int, int]]:
    """(first bit, number of bits) of each probed bit-field as the object holds it; (-1, 0)
    when its constant is missing or has no bit set."""
    symbols = coff_symbols(obj)
    found: dict[Bitfield, tuple[int, int]] = {}
    for bf in bitfields:
        data = symbols.get(bf.symbol, symbols.get("_" + bf.symbol)) or b""
        value = int.from_bytes(data[: bf.size], "little")
        if value == 0:
            found[bf] = (-1, 0)
        else:
            found[bf] = ((value & -value).bit_length() - 1, value.bit_count())
    return found


def bitfield_mismatches(obj: bytes, bitfields: Iterable[Bitfield]) -> list[str]:
    """One line per bit-field that starts in another byte than the WDK's, or (where
    documented) occupies other bits."""
    problems = []
    for bf, (first, width) in bitfield_bits(obj, bitfields).items():
        where = f"{bf.type_name}.{bf.path}"
        if first < 0:
            problems.append(f"{where}: bit-field probe {bf.symbol} not found in the object")
        elif first // 8 != bf.expected:
            problems.append(f"{where}: bit-field starts in byte {first // 8}, WDK {bf.expected}")
        elif bf.bits is not None and (first, width) != bf.bits:
            problems.append(f"{where}: bits {first}+{width}, documented {bf.bits[0]}+{bf.bits[1]}")
    return problems


# ---- Building the probe with zig ---------------------------------------------------------


@dataclass(frozen=True)
class ProbeBuild:
    returncode: int
    stderr: str
    obj: bytes


def windows_defines(arch: str) -> list[str]:
    """_WIN32_WINNT/NTDDI_VERSION for the oldest Windows of ``arch`` (zig defines
    _WIN32_WINNT=0x0a00 itself: undefine it first)."""
    return ["-U_WIN32_WINNT", *(f"-D{k}={v}" for k, v in zig.windows_defines(ARCHES[arch]))]


def zig_include_args(overlay: Path) -> list[str]:
    """The kernel include path of zig builds, in order: the ARM64-patched wdm.h/ntddk.h
    overlay, zig's mingw-w64 ddk/ directory, the driver's declarations."""
    ddkpatch.write_overlay(zig.mingw_include(), overlay)
    return ["-I", str(overlay), "-I", str(zig.mingw_include() / "ddk"), "-I", str(DECL_DIR)]


def build_with_zig(arch: str, source: str, workdir: Path) -> ProbeBuild:
    """Compile a probe for ``arch`` with zig cc; the object's bytes when it compiled."""
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / f"probe-{arch}.c"
    obj = workdir / f"probe-{arch}.obj"
    src.write_text(source)
    obj.unlink(missing_ok=True)
    cmd = [
        *zig.command(),
        "cc",
        "-target",
        ARCHES[arch].zig_target,
        "-c",
        "-ferror-limit=0",
        *windows_defines(arch),
        *zig_include_args(workdir / "ddk-overlay"),
        str(src),
        "-o",
        str(obj),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    data = obj.read_bytes() if proc.returncode == 0 else b""
    return ProbeBuild(proc.returncode, proc.stderr, data)


# ---- Constants and array lengths ------------------------------------------------------------

# Names in constants.json that the probe does not assert through tapkernel.h: the core's and the
# driver's own constants (TAPC_*, TAP_*: the driver checks them against NDIS's at compile time,
# driver/oid.c), and what is no integer constant expression (NULL is a pointer; true/false
# belong to stdbool.h).
NOT_PROBED = re.compile(r"^(TAPC?_\w+|NULL|true|false)$")

# Macros of driver/decl that are no integer constant: they have no entry in constants.json.
NOT_INTEGER_CONSTANTS = {
    "TAP_NDIS_IMPORT": "a declaration attribute (DECLSPEC_IMPORT)",
    "_WS2IPDEF_": "an include guard (empty)",
}

# Arrays of driver/decl without a WDK counterpart to compare: the stand-in of a user-mode type.
NOT_WDK_ARRAYS = {
    ("TAPDECL_OPAQUE_SOCKADDR_INET", "Opaque"): "SOCKADDR_INET's opaque stand-in (ndis_base.h)",
}


def load_constants() -> dict[str, dict[str, int | None]]:
    """constants.json: name -> {arch: value, or None where that arch's WDK has no such
    integer constant}."""
    data: dict[str, dict[str, int | None]] = json.loads(
        (WDK_TABLES / "constants.json").read_text()
    )["constants"]
    return data


def load_arrays() -> dict[str, dict[str, dict[str, int | None]]]:
    """arrays.json: type -> member -> {arch: element count, None for a flexible array}."""
    data: dict[str, dict[str, dict[str, int | None]]] = json.loads(
        (WDK_TABLES / "arrays.json").read_text()
    )["arrays"]
    return data


def constants_source(
    constants: Mapping[str, Mapping[str, int | None]],
    arrays: Mapping[str, Mapping[str, Mapping[str, int | None]]],
    arch: str,
) -> str:
    """A C file asserting, through tapkernel.h, every constant's value and every array's
    length for ``arch`` (a wrong one fails the compile naming it)."""
    lines = [
        "/* Generated by tests/layout/layoutprobe.py: constants and array lengths against the",
        " * real WDK's (tests/layout/wdk/constants.json, arrays.json). */",
        '#include "tapkernel.h"',
        "#include <stddef.h>",
        "",
    ]
    for name in sorted(constants):
        value = constants[name].get(arch)
        if value is None or NOT_PROBED.match(name):
            continue
        lines.append(
            f'_Static_assert((long long)({name}) == {value}LL, "{name}: expected {value}");'
        )
    for type_name in sorted(arrays):
        for member in sorted(arrays[type_name]):
            length = arrays[type_name][member].get(arch)
            if length is None:  # flexible: C has no sizeof for it
                continue
            m = f"(({type_name} *)0)->{member}"
            lines.append(
                f"_Static_assert(sizeof({m}) / sizeof({m}[0]) == {length}, "
                f'"{type_name}.{member}: expected array length {length}");'
            )
    lines.append("")
    return "\n".join(lines)


_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\(?)(.*)$", re.M)
_ENUM = re.compile(r"\benum\b[^{;]*\{(.*?)\}", re.S)
_AGGREGATE = re.compile(r"\b(?:struct|union)\s+(_?\w+)\s*\{")
_ARRAY = re.compile(r"([A-Za-z_]\w*)\s*\[([^\]]*)\]\s*;")


def _decl_texts() -> dict[Path, str]:
    """The headers of driver/decl without comments, continuation lines joined."""
    out = {}
    for path in sorted(DECL_DIR.rglob("*.h")):
        text = re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
        out[path] = re.sub(r"//[^\n]*", "", text).replace("\\\n", " ")
    return out


def decl_constants() -> dict[str, str]:
    """Every object-like #define and every enumerator of driver/decl -> the header's name."""
    found: dict[str, str] = {}
    for path, text in _decl_texts().items():
        for m in _DEFINE.finditer(text):
            if not m.group(2):
                found[m.group(1)] = path.name
        for m in _ENUM.finditer(text):
            body = re.sub(r"^[ \t]*#.*$", "", m.group(1), flags=re.M)
            for item in body.split(","):
                name = item.split("=")[0].strip()
                if name:
                    found[name] = path.name
    return found


def decl_arrays() -> dict[tuple[str, str], str]:
    """Every array member of driver/decl's structures and unions -> its length as written.
    The type is named without its tag's leading underscore (struct _NET_BUFFER: NET_BUFFER);
    a member of a nested anonymous aggregate counts for the outer type."""
    found: dict[tuple[str, str], str] = {}
    for text in _decl_texts().values():
        pos = 0
        while m := _AGGREGATE.search(text, pos):
            depth, i = 0, m.end() - 1
            while True:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                if depth == 0:
                    break
                i += 1
            body = text[m.end() : i]
            for a in _ARRAY.finditer(body):
                found[(m.group(1).lstrip("_"), a.group(1))] = a.group(2).strip()
            pos = i + 1
    return found
