"""Readers the packaging tests use to look inside what was built."""

from __future__ import annotations

import hashlib
import lzma
import shutil
import struct
import subprocess
from pathlib import Path


def nsis_header(exe: Path) -> bytes:
    """The decompressed data of a solid-LZMA NSIS installer (header, strings, files)."""
    data = exe.read_bytes()
    sig = data.find(b"\xef\xbe\xad\xdeNullsoftInst")
    assert sig > 0, "no NSIS first header"
    stream = data[sig - 4 + 28 :]
    props = stream[:5]
    lc, rest = props[0] % 9, props[0] // 9
    (dict_size,) = struct.unpack("<I", props[1:5])
    filt = {
        "id": lzma.FILTER_LZMA1,
        "dict_size": dict_size,
        "lc": lc,
        "lp": rest % 5,
        "pb": rest // 5,
    }
    dec = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[filt])
    return dec.decompress(stream[5:], max_length=64 * 1024 * 1024)


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def extract_7z(archive: Path, dest: Path) -> list[Path]:
    """Extract with 7-Zip, renaming duplicates (one installer holds a file per arch)."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["7z", "x", "-y", "-aou", f"-o{dest}", str(archive)], check=True, capture_output=True
    )
    return sorted(p for p in dest.rglob("*") if p.is_file())


def list_7z(archive: Path) -> list[str]:
    out = subprocess.run(
        ["7z", "l", "-slt", str(archive)], check=True, capture_output=True, text=True
    ).stdout
    return [line[7:] for line in out.splitlines() if line.startswith("Path = ")][1:]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def have(*tools: str) -> bool:
    return all(shutil.which(t) for t in tools)
