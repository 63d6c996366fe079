"""Microsoft cabinet (.cab) files in pure Python: a deterministic MSZIP writer and a reader.

The layout, as the MS-CAB specification gives it::

    CFHEADER   36 bytes ("MSCF", sizes, counts, flags) [+ reserve when flag 0x0004]
    CFFOLDER   8 bytes each: offset of its first CFDATA, CFDATA count, compression type
    CFFILE     16 bytes + NUL-terminated name each: size, offset in its folder's
               uncompressed stream, folder index, DOS date and time, attributes
    CFDATA     8 bytes + data each: checksum, compressed and uncompressed sizes

The writer puts every file in one folder whose uncompressed stream (the files one after the
other) is cut into 32 KiB blocks. With MSZIP each block is ``CK`` followed by one complete raw
deflate stream; the blocks here never refer back to earlier ones, which every MSZIP reader
accepts (readers keep the previous block as history; this reader does too, so it also reads
cabinets made by makecab). Same members and date give byte-identical cabinets (given zlib's
output for level 9, which has not changed in many years).

A signature added by signtool or osslsigncode lives in the header reserve and after the
data; :func:`read` skips it (``tapbuild.formats.authenticode`` reads it).
"""

from __future__ import annotations

import datetime
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapbuild import atomic
from tapbuild.errors import TapError

SIGNATURE = b"MSCF"
BLOCK_SIZE = 32768  # uncompressed bytes per CFDATA
COMPRESS_NONE = 0
COMPRESS_MSZIP = 1
COMPRESSIONS = {"none": COMPRESS_NONE, "mszip": COMPRESS_MSZIP}

FLAG_PREV_CABINET = 0x0001
FLAG_NEXT_CABINET = 0x0002
FLAG_RESERVE_PRESENT = 0x0004

ATTR_READONLY = 0x01
ATTR_HIDDEN = 0x02
ATTR_SYSTEM = 0x04
ATTR_ARCHIVE = 0x20
ATTR_EXECUTE = 0x40
ATTR_NAME_IS_UTF = 0x80

MAX_FILES = 0xFFFF
MAX_FOLDER_BYTES = 0x7FFF8000  # what a CFFILE offset in the folder can address
MAX_NAME_BYTES = 255  # CB_MAX_FILENAME (256) with the NUL

_HEADER = struct.Struct("<4sIIIIIBBHHHHH")  # 36 bytes
_FOLDER = struct.Struct("<IHH")
_FILE = struct.Struct("<IIHHHH")
_DATA = struct.Struct("<IHH")
_MSZIP_MAGIC = b"CK"
_FOLDER_CONTINUED = (0xFFFD, 0xFFFE, 0xFFFF)


@dataclass(frozen=True)
class Member:
    """One file of a cabinet."""

    name: str  # as stored: folders separated by backslashes
    data: bytes
    when: datetime.datetime  # DOS resolution (2 s), no time zone
    attribs: int = ATTR_ARCHIVE


# --- checksums and DOS times ------------------------------------------------------------------


def checksum(data: bytes, seed: int = 0) -> int:
    """The CFDATA checksum: XOR of the little-endian 32-bit words, then the 1-3 bytes left
    over taken most significant first."""
    body = len(data) - len(data) % 4
    words = struct.unpack_from(f"<{body // 4}I", data)
    value = seed
    for w in words:
        value ^= w
    rest = 0
    for b in data[body:]:
        rest = (rest << 8) | b
    return (value ^ rest) & 0xFFFFFFFF


def _block_checksum(sizes: bytes, payload: bytes) -> int:
    return checksum(sizes, checksum(payload))


def dos_date_time(when: datetime.datetime) -> tuple[int, int]:
    if not 1980 <= when.year <= 2107:
        raise TapError(f"cabinet date {when:%Y-%m-%d}: accepted years are 1980-2107")
    date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    return date, time


def from_dos(date: int, time: int) -> datetime.datetime:
    try:
        return datetime.datetime(
            1980 + (date >> 9),
            (date >> 5) & 0x0F,
            date & 0x1F,
            time >> 11,
            (time >> 5) & 0x3F,
            (time & 0x1F) * 2,
        )
    except ValueError:
        return datetime.datetime(1980, 1, 1)  # makecab writes 0 for "no date"


# --- writing ----------------------------------------------------------------------------------


def _encode_name(name: str) -> tuple[bytes, int]:
    if not name or "\0" in name:
        raise TapError(f"cabinet member name {name!r}: empty or with a NUL character")
    parts = name.split("\\")
    if name.startswith("\\") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise TapError(f"cabinet member name {name!r}: must be relative, without '..'")
    if name.isascii():
        raw, flag = name.encode("ascii"), 0
    else:
        raw, flag = name.encode("utf-8"), ATTR_NAME_IS_UTF
    if len(raw) > MAX_NAME_BYTES:
        raise TapError(f"cabinet member name {name!r}: longer than {MAX_NAME_BYTES} bytes")
    return raw, flag


def _mszip_block(chunk: bytes) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    return _MSZIP_MAGIC + comp.compress(chunk) + comp.flush(zlib.Z_FINISH)


def build(
    members: Sequence[tuple[str, bytes]],
    when: datetime.datetime,
    compression: str = "mszip",
    attribs: int = ATTR_ARCHIVE,
) -> bytes:
    """A single-folder cabinet holding ``members`` (name with backslashes, content) in the
    order given, every file dated ``when``."""
    if compression not in COMPRESSIONS:
        raise TapError(f"cabinet compression {compression!r}: accepted: {', '.join(COMPRESSIONS)}")
    if len(members) > MAX_FILES:
        raise TapError(f"{len(members)} files: a cabinet holds at most {MAX_FILES}")
    seen: set[str] = set()
    for name, _ in members:
        if name.lower() in seen:
            raise TapError(f"cabinet member {name!r} given twice (names are case-blind)")
        seen.add(name.lower())
    date, time = dos_date_time(when)
    stream = b"".join(data for _, data in members)
    if len(stream) > MAX_FOLDER_BYTES:
        raise TapError(f"{len(stream)} bytes: a cabinet folder holds at most {MAX_FOLDER_BYTES}")

    files = bytearray()
    offset = 0
    for name, data in members:
        raw, flag = _encode_name(name)
        files += _FILE.pack(len(data), offset, 0, date, time, attribs | flag) + raw + b"\0"
        offset += len(data)

    blocks = bytearray()
    count = 0
    for start in range(0, len(stream), BLOCK_SIZE):
        chunk = stream[start : start + BLOCK_SIZE]
        payload = _mszip_block(chunk) if compression == "mszip" else chunk
        sizes = struct.pack("<HH", len(payload), len(chunk))
        blocks += _DATA.pack(_block_checksum(sizes, payload), len(payload), len(chunk)) + payload
        count += 1
    if count > 0xFFFF:
        raise TapError("too many data blocks for one cabinet folder")

    files_at = _HEADER.size + _FOLDER.size
    data_at = files_at + len(files)
    total = data_at + len(blocks)
    header = _HEADER.pack(
        SIGNATURE, 0, total, 0, files_at, 0, 3, 1, 1, len(members), 0, 0, 0
    )  # version 1.3, one folder, no flags, set id 0, cabinet 0 of the set
    folder = _FOLDER.pack(data_at, count, COMPRESSIONS[compression])
    return bytes(header + folder + files + blocks)


def write(
    out: Path,
    members: Sequence[tuple[str, bytes]],
    when: datetime.datetime,
    compression: str = "mszip",
) -> Path:
    """:func:`build`, written to ``out`` through a temporary file (never half-written)."""
    return atomic.write_bytes(out, build(members, when, compression))


# --- reading ----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes, label: str) -> None:
        self.data = data
        self.label = label

    def fail(self, what: str) -> TapError:
        return TapError(f"{self.label}: {what}; not a readable cabinet")

    def unpack(self, st: struct.Struct, at: int) -> tuple[Any, ...]:
        if at < 0 or at + st.size > len(self.data):
            raise self.fail(f"truncated at offset {at}")
        return st.unpack_from(self.data, at)

    def cstring(self, at: int) -> tuple[bytes, int]:
        end = self.data.find(b"\0", at, at + MAX_NAME_BYTES + 1)
        if end < 0:
            raise self.fail(f"unterminated name at offset {at}")
        return self.data[at:end], end + 1


def _folder_stream(r: _Reader, at: int, blocks: int, kind: int, reserve: int) -> bytes:
    out = bytearray()
    history = b""
    for _ in range(blocks):
        csum, cb_data, cb_uncomp = r.unpack(_DATA, at)
        start = at + _DATA.size
        payload = r.data[start + reserve : start + reserve + cb_data]
        if len(payload) != cb_data:
            raise r.fail(f"data block at offset {at} is truncated")
        if csum and csum != _block_checksum(
            struct.pack("<HH", cb_data, cb_uncomp), r.data[start : start + reserve] + payload
        ):
            raise r.fail(f"data block at offset {at} fails its checksum")
        if kind == COMPRESS_NONE:
            chunk = payload
        else:
            if payload[:2] != _MSZIP_MAGIC:
                raise r.fail(f"MSZIP block at offset {at} lacks its 'CK' signature")
            d = zlib.decompressobj(-15, zdict=history) if history else zlib.decompressobj(-15)
            try:
                chunk = d.decompress(payload[2:], cb_uncomp + 1)
            except zlib.error as exc:
                raise r.fail(f"MSZIP block at offset {at}: {exc}") from None
        if len(chunk) != cb_uncomp:
            raise r.fail(f"data block at offset {at} holds {len(chunk)} bytes, not {cb_uncomp}")
        out += chunk
        history = bytes(out[-BLOCK_SIZE:])
        at = start + reserve + cb_data
    return bytes(out)


def read(data: bytes, label: str = "cabinet") -> list[Member]:
    """Every file of a single cabinet (not part of a spanning set), in stored order."""
    r = _Reader(data, label)
    sig, _, size, _, files_at, _, minor, major, n_folders, n_files, flags, _, _ = r.unpack(
        _HEADER, 0
    )
    if sig != SIGNATURE:
        raise r.fail("no MSCF signature")
    if major != 1:
        raise r.fail(f"format version {major}.{minor}")
    if size > len(data):
        raise r.fail(f"header says {size} bytes, file has {len(data)}")
    if flags & (FLAG_PREV_CABINET | FLAG_NEXT_CABINET):
        raise r.fail("part of a multi-cabinet set")
    at = _HEADER.size
    folder_reserve = data_reserve = 0
    if flags & FLAG_RESERVE_PRESENT:
        header_reserve, folder_reserve, data_reserve = r.unpack(struct.Struct("<HBB"), at)
        at += 4 + header_reserve
    streams: list[bytes] = []
    for _ in range(n_folders):
        first, count, kind = r.unpack(_FOLDER, at)
        at += _FOLDER.size + folder_reserve
        if kind & 0x0F not in COMPRESSIONS.values():
            raise TapError(
                f"{label}: compression type {kind & 0x0F} is not supported (MSZIP or none)"
            )
        streams.append(_folder_stream(r, first, count, kind & 0x0F, data_reserve))
    members: list[Member] = []
    at = files_at
    for _ in range(n_files):
        length, offset, folder, date, time, attribs = r.unpack(_FILE, at)
        raw, at = r.cstring(at + _FILE.size)
        if folder in _FOLDER_CONTINUED or folder >= len(streams):
            raise r.fail(f"file {raw!r} refers to folder {folder:#x}")
        content = streams[folder][offset : offset + length]
        if len(content) != length:
            raise r.fail(f"file {raw!r} runs past its folder's data")
        name = raw.decode("utf-8" if attribs & ATTR_NAME_IS_UTF else "latin-1", "replace")
        members.append(Member(name, content, from_dos(date, time), attribs))
    return members


def read_file(path: Path) -> list[Member]:
    return read(Path(path).read_bytes(), str(path))
