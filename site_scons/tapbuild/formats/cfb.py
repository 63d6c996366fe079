"""Compound files (MS-CFB) and summary information (MS-OLEPS), as Windows Installer uses them.

msibuild writes a correct database but not a reproducible file (it stamps times and a random
package code) and cannot set every summary property. ``read_streams`` takes the streams out
of any compound file with only a root storage (an .msi or .msm); ``write`` puts them into a
new, byte-stable one (version 3, 512-byte sectors, zero times); ``summary_information``
serialises the ``\\x05SummaryInformation`` stream.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from tapbuild.errors import TapError

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
MSI_CLSID = uuid.UUID("000C1084-0000-0000-C000-000000000046")


@dataclass(frozen=True)
class CompoundFile:
    clsid: uuid.UUID
    streams: dict[str, bytes]  # name as stored (MSI names are encoded) -> data


def _chain(fat: list[int], start: int, name: str) -> list[int]:
    out: list[int] = []
    s = start
    while s != ENDOFCHAIN:
        if s >= len(fat) or len(out) > len(fat):
            raise TapError(f"compound file: broken sector chain of {name}")
        out.append(s)
        s = fat[s]
    return out


def read(data: bytes) -> CompoundFile:
    """The root CLSID and every stream of a compound file without sub-storages."""
    if data[:8] != SIGNATURE:
        raise TapError("not a compound file (no D0CF11E0 signature); expected an .msi or .msm")
    shift = struct.unpack_from("<H", data, 30)[0]
    mshift = struct.unpack_from("<H", data, 32)[0]
    size, msize = 1 << shift, 1 << mshift
    n_fat, first_dir = struct.unpack_from("<II", data, 44)[0], struct.unpack_from("<I", data, 48)[0]
    first_mini, n_mini = (
        struct.unpack_from("<I", data, 60)[0],
        struct.unpack_from("<I", data, 64)[0],
    )
    first_difat, n_difat = struct.unpack_from("<II", data, 68)
    base = 512 if size == 512 else size

    def sector(i: int) -> bytes:
        return data[base + i * size : base + (i + 1) * size]

    difat = [x for x in struct.unpack_from("<109I", data, 76) if x != FREESECT]
    s = first_difat
    for _ in range(n_difat):
        difat_sector = struct.unpack(f"<{size // 4}I", sector(s))
        difat += [x for x in difat_sector[:-1] if x != FREESECT]
        s = difat_sector[-1]
    fat: list[int] = []
    for fs in difat[:n_fat]:
        fat += struct.unpack(f"<{size // 4}I", sector(fs))

    def stream(start: int, length: int, name: str) -> bytes:
        return b"".join(sector(i) for i in _chain(fat, start, name))[:length]

    directory = b"".join(sector(i) for i in _chain(fat, first_dir, "the directory"))
    entries = [directory[i : i + 128] for i in range(0, len(directory), 128)]
    root = entries[0]
    root_start, root_size = struct.unpack_from("<IQ", root, 116)
    ministream = stream(root_start, root_size, "the mini stream") if root_size else b""
    minifat: list[int] = []
    if n_mini:
        raw = b"".join(sector(i) for i in _chain(fat, first_mini, "the mini FAT"))
        minifat = list(struct.unpack(f"<{len(raw) // 4}I", raw))
    streams: dict[str, bytes] = {}
    for e in entries[1:]:
        etype = e[66]
        if etype == 0:
            continue
        name_len = struct.unpack_from("<H", e, 64)[0]
        name = e[: max(name_len - 2, 0)].decode("utf-16-le", "surrogatepass")
        if etype != 2:
            raise TapError(f"compound file: storage {name!r} inside; expected streams only")
        start, length = struct.unpack_from("<IQ", e, 116)
        length &= 0xFFFFFFFF if size == 512 else length
        if length < MINI_CUTOFF:
            chain = _chain(minifat, start, name) if length else []
            streams[name] = b"".join(ministream[i * msize : (i + 1) * msize] for i in chain)[
                :length
            ]
        else:
            streams[name] = stream(start, length, name)
    return CompoundFile(uuid.UUID(bytes_le=root[80:96]), streams)


def _key(name: str) -> tuple[int, str]:
    """CFB sibling order: shorter names first, then by upper-case code units."""
    return (len(name.encode("utf-16-le", "surrogatepass")), name.upper())


def write(clsid: uuid.UUID, streams: Mapping[str, bytes]) -> bytes:
    """A compound file holding ``streams`` in its root storage; the same input, the same bytes."""
    names = sorted(streams, key=_key)
    for n in names:
        if len(n) > 31:
            raise TapError(f"compound file: stream name too long ({len(n)} > 31 characters)")

    sectors: list[bytes] = []  # regular sectors after the header, FAT and DIFAT added last
    fat: list[int] = []

    def place(data: bytes, marker: int | None = None) -> int:
        if not data:
            return ENDOFCHAIN
        first = len(sectors)
        count = (len(data) + SECTOR - 1) // SECTOR
        padded = data + b"\0" * (count * SECTOR - len(data))
        for i in range(count):
            sectors.append(padded[i * SECTOR : (i + 1) * SECTOR])
            fat.append(
                marker if marker is not None else (first + i + 1 if i + 1 < count else ENDOFCHAIN)
            )
        return first

    # Small streams go to the mini stream (64-byte sectors), large ones to regular sectors.
    mini = bytearray()
    minifat: list[int] = []
    starts: dict[str, int] = {}
    for n in names:
        data = streams[n]
        if len(data) >= MINI_CUTOFF:
            continue
        if not data:
            starts[n] = ENDOFCHAIN
            continue
        first = len(minifat)
        count = (len(data) + MINI_SECTOR - 1) // MINI_SECTOR
        mini += data + b"\0" * (count * MINI_SECTOR - len(data))
        minifat += [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
        starts[n] = first
    for n in names:
        if len(streams[n]) >= MINI_CUTOFF:
            starts[n] = place(streams[n])
    root_start = place(bytes(mini))
    minifat_bytes = b"".join(struct.pack("<I", x) for x in minifat)
    minifat_bytes += struct.pack("<I", FREESECT) * (-len(minifat) % (SECTOR // 4))
    first_minifat = place(minifat_bytes) if minifat else ENDOFCHAIN

    # Directory: root, then the streams as a balanced binary tree (all nodes black).
    children: dict[int, tuple[int, int]] = {}

    def tree(lo: int, hi: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        children[mid] = (tree(lo, mid), tree(mid + 1, hi))
        return mid + 1  # directory index (0 is the root)

    root_child = tree(0, len(names))

    def entry(
        name: str, etype: int, left: int, right: int, child: int, cls: bytes, start: int, size: int
    ) -> bytes:
        raw = name.encode("utf-16-le", "surrogatepass") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), etype, 1, left, right, child)
            + cls.ljust(16, b"\0")
            + struct.pack("<I2Q", 0, 0, 0)
            + struct.pack("<IQ", start, size)
        )

    dir_entries = [
        entry(
            "Root Entry", 5, NOSTREAM, NOSTREAM, root_child, clsid.bytes_le, root_start, len(mini)
        )
    ]
    for i, n in enumerate(names):
        left, right = children[i]
        dir_entries.append(entry(n, 2, left, right, NOSTREAM, b"", starts[n], len(streams[n])))
    while len(dir_entries) % (SECTOR // 128):
        dir_entries.append(entry("", 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0))
    first_dir = place(b"".join(dir_entries))

    # FAT sectors describe themselves too; grow until stable. DIFAT sectors beyond 109.
    per = SECTOR // 4
    n_fat = n_difat = 0
    while True:
        total = len(sectors) + n_fat + n_difat
        need_fat = (total + per - 1) // per
        need_difat = 0 if need_fat <= 109 else (need_fat - 109 + per - 2) // (per - 1)
        if (need_fat, need_difat) == (n_fat, n_difat):
            break
        n_fat, n_difat = need_fat, need_difat
    fat_start = len(sectors)
    fat += [FATSECT] * n_fat
    difat_start = fat_start + n_fat
    fat += [0xFFFFFFFC] * n_difat  # DIFSECT
    fat += [FREESECT] * (n_fat * per - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    fat_sectors = [fat_bytes[i * SECTOR : (i + 1) * SECTOR] for i in range(n_fat)]
    fat_ids = list(range(fat_start, fat_start + n_fat))
    difat_sectors = []
    rest = fat_ids[109:]
    for d in range(n_difat):
        chunk = rest[d * (per - 1) : (d + 1) * (per - 1)]
        chunk += [FREESECT] * (per - 1 - len(chunk))
        nxt = difat_start + d + 1 if d + 1 < n_difat else ENDOFCHAIN
        difat_sectors.append(struct.pack(f"<{per}I", *chunk, nxt))
    head_difat = fat_ids[:109] + [FREESECT] * (109 - min(109, n_fat))
    header = (
        SIGNATURE
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIIII", 0, n_fat, first_dir, 0, MINI_CUTOFF, first_minifat,
                      (len(minifat_bytes) // SECTOR) if minifat else 0,
                      difat_start if n_difat else ENDOFCHAIN, n_difat, head_difat[0])
        + struct.pack("<108I", *head_difat[1:])
    )  # fmt: skip
    return header + b"".join(sectors) + b"".join(fat_sectors) + b"".join(difat_sectors)


# --- summary information -------------------------------------------------------------------

SUMMARY_STREAM = "\x05SummaryInformation"
FMTID_SUMMARY = uuid.UUID("F29F85E0-4FF9-1068-AB91-08002B27B3D9")
PID = {
    "codepage": 1, "title": 2, "subject": 3, "author": 4, "keywords": 5, "comments": 6,
    "template": 7, "last_author": 8, "revision": 9, "create_time": 12, "last_save_time": 13,
    "page_count": 14, "word_count": 15, "creating_application": 18, "security": 19,
}  # fmt: skip
VT_I2, VT_I4, VT_LPSTR, VT_FILETIME = 2, 3, 30, 64
_FILETIME_EPOCH = 116444736000000000  # 1601-01-01 to 1970-01-01 in 100 ns


def summary_information(
    props: Mapping[str, str | int], codepage: int = 1252, unix_time: int = 0
) -> bytes:
    """The summary stream: strings (VT_LPSTR in ``codepage``), integers (VT_I4) and both times."""
    values: list[tuple[int, bytes]] = [(PID["codepage"], struct.pack("<Ih2x", VT_I2, codepage))]
    encoding = f"cp{codepage}"
    for name, value in props.items():
        pid = PID[name]
        if isinstance(value, int):
            values.append((pid, struct.pack("<Ii", VT_I4, value)))
        else:
            raw = value.encode(encoding) + b"\0"
            raw += b"\0" * (-len(raw) % 4)
            values.append(
                (pid, struct.pack("<II", VT_LPSTR, len(value.encode(encoding)) + 1) + raw)
            )
    stamp = _FILETIME_EPOCH + unix_time * 10_000_000
    for pid in (PID["create_time"], PID["last_save_time"]):
        values.append((pid, struct.pack("<IQ", VT_FILETIME, stamp)))
    values.sort()
    offset = 8 + 8 * len(values)
    table, body = b"", b""
    for pid, data in values:
        table += struct.pack("<II", pid, offset + len(body))
        body += data
    section = struct.pack("<II", 8 + len(table) + len(body), len(values)) + table + body
    header = struct.pack("<HHI", 0xFFFE, 0, 0x00020006) + b"\0" * 16 + struct.pack("<I", 1)
    return header + FMTID_SUMMARY.bytes_le + struct.pack("<I", 48) + section
