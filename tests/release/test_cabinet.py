"""tapbuild.formats.cabinet: real cabinets read back by gcab, 7-Zip and the project's own reader;
byte-identical rebuilds; checksums that the independent readers check."""

from __future__ import annotations

import datetime
import os
import random
import struct
import subprocess
from pathlib import Path

import pytest
from tapbuild.errors import TapError
from tapbuild.formats import cabinet

WHEN = datetime.datetime(2026, 9, 27, 13, 45, 30)


def _members() -> list[tuple[str, bytes]]:
    rng = random.Random(4711)
    text = b"".join(b"line %d of a driver INF\r\n" % i for i in range(4000))  # ~100 KiB
    noise = bytes(rng.getrandbits(8) for _ in range(70_000))  # incompressible, 3 blocks
    return [
        ("amd64\\OemVista.inf", text),
        ("amd64\\tap0901.sys", noise),
        ("amd64\\empty.txt", b""),
        ("amd64\\sub\\nested.bin", bytes(range(256)) * 129),  # crosses a block boundary
        ("amd64\\caf\u00e9.txt", b"UTF-8 name\n"),
    ]


def _extract_gcab(cab: Path, dest: Path) -> dict[str, bytes]:
    dest.mkdir()
    subprocess.run(["gcab", "-x", "-C", str(dest), str(cab)], check=True, capture_output=True)
    return {
        "\\".join(p.relative_to(dest).parts): p.read_bytes()
        for p in sorted(dest.rglob("*"))
        if p.is_file()
    }


def test_round_trip_with_own_reader(tmp_path: Path) -> None:
    members = _members()
    cab = cabinet.write(tmp_path / "t.cab", members, WHEN)
    back = cabinet.read_file(cab)
    assert [(m.name, m.data) for m in back] == members
    assert {m.when for m in back} == {datetime.datetime(2026, 9, 27, 13, 45, 30)}
    assert back[-1].attribs & cabinet.ATTR_NAME_IS_UTF
    assert all(m.attribs & cabinet.ATTR_ARCHIVE for m in back)
    # one folder, MSZIP, ceil(total / 32 KiB) data blocks
    data = cab.read_bytes()
    assert data[:4] == b"MSCF"
    first, blocks, kind = struct.unpack_from("<IHH", data, 36)
    total = sum(len(d) for _, d in members)
    assert kind == cabinet.COMPRESS_MSZIP
    assert blocks == -(-total // cabinet.BLOCK_SIZE)
    assert len(data) < total  # compressed
    assert data[first + 8 : first + 10] == b"CK"


@pytest.mark.tool("gcab")
def test_gcab_reads_every_file_byte_for_byte(tmp_path: Path) -> None:
    members = _members()
    cab = cabinet.write(tmp_path / "t.cab", members, WHEN)
    listing = subprocess.run(
        ["gcab", "-l", str(cab)], check=True, capture_output=True, text=True
    ).stdout
    for name, data in members:
        line = next(ln for ln in listing.splitlines() if ln.startswith(name + " "))
        assert line.split()[1] == str(len(data))
        assert "2026-09-27 13:45:30" in line
    assert _extract_gcab(cab, tmp_path / "x") == dict(members)


@pytest.mark.tool("7z")
def test_7zip_tests_the_cabinet(tmp_path: Path) -> None:
    members = _members()
    cab = cabinet.write(tmp_path / "t.cab", members, WHEN)
    res = subprocess.run(["7z", "t", str(cab)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout
    assert "Everything is Ok" in res.stdout
    assert f"Files: {len(members)}" in res.stdout


def test_same_input_same_bytes_and_the_date_is_the_only_time(tmp_path: Path) -> None:
    members = _members()
    a = cabinet.build(members, WHEN)
    b = cabinet.build(list(members), WHEN)
    assert a == b
    c = cabinet.build(members, WHEN + datetime.timedelta(days=1))
    assert c != a and len(c) == len(a)


@pytest.mark.tool("gcab")
def test_stored_cabinets_too(tmp_path: Path) -> None:
    members = _members()
    cab = tmp_path / "stored.cab"
    cab.write_bytes(cabinet.build(members, WHEN, compression="none"))
    assert _extract_gcab(cab, tmp_path / "x") == dict(members)
    assert [(m.name, m.data) for m in cabinet.read_file(cab)] == members


@pytest.mark.tool("gcab")
def test_reads_cabinets_gcab_made(tmp_path: Path) -> None:
    """Another writer's MSZIP (its blocks may refer back to earlier ones)."""
    src = tmp_path / "src"
    src.mkdir()
    files = {"a.txt": b"abcdefgh" * 20_000, "b.bin": os.urandom(40_000), "c.txt": b"c" * 5}
    for name, data in files.items():
        (src / name).write_bytes(data)
    cab = tmp_path / "g.cab"
    subprocess.run(
        ["gcab", "-c", "-z", "-n", str(cab), *(str(src / n) for n in files)],
        check=True,
        capture_output=True,
    )
    assert {m.name: m.data for m in cabinet.read_file(cab)} == files


@pytest.mark.tool("gcab", "7z")
@pytest.mark.parametrize("where", ["checksum", "data"])
def test_damage_is_caught_by_every_reader(tmp_path: Path, where: str) -> None:
    good = cabinet.build(_members(), WHEN)
    first = struct.unpack_from("<I", good, 36)[0]
    bad = bytearray(good)
    bad[first if where == "checksum" else first + 8 + 40] ^= 0x10
    cab = tmp_path / "bad.cab"
    cab.write_bytes(bytes(bad))
    with pytest.raises(TapError, match="checksum"):
        cabinet.read_file(cab)
    (tmp_path / "x").mkdir()
    assert subprocess.run(["gcab", "-x", "-C", str(tmp_path / "x"), str(cab)], capture_output=True).returncode != 0  # fmt: skip
    assert subprocess.run(["7z", "t", str(cab)], capture_output=True).returncode != 0


def test_checksum_of_the_words_and_the_tail() -> None:
    # XOR of little-endian words; the 1-3 bytes left over count most significant first.
    assert cabinet.checksum(b"") == 0
    assert cabinet.checksum(b"\x01\x02\x03\x04") == 0x04030201
    assert cabinet.checksum(b"\x01\x02\x03\x04\x05\x06\x07") == 0x04030201 ^ 0x050607
    assert cabinet.checksum(b"\xff", seed=0x100) == 0x1FF


@pytest.mark.parametrize(
    "name",
    ["\\abs.sys", "C:\\x.sys", "a\\..\\..\\x", "", "nul\0byte", "x" * 256],
)
def test_bad_member_names_are_refused(tmp_path: Path, name: str) -> None:
    out = tmp_path / "t.cab"
    with pytest.raises(TapError) as exc:
        cabinet.write(out, [(name, b"x")], WHEN)
    assert "\n" not in str(exc.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_duplicate_names_case_blind_and_bad_dates_are_refused() -> None:
    with pytest.raises(TapError, match="twice"):
        cabinet.build([("a\\X.sys", b"1"), ("A\\x.SYS", b"2")], WHEN)
    with pytest.raises(TapError, match="1980-2107"):
        cabinet.build([("a", b"1")], datetime.datetime(1979, 12, 31))
    with pytest.raises(TapError, match="accepted: none, mszip"):
        cabinet.build([("a", b"1")], WHEN, compression="lzx")


def test_not_a_cabinet_is_one_line() -> None:
    with pytest.raises(TapError, match="no MSCF signature") as exc:
        cabinet.read(b"PK\x03\x04" + b"\0" * 60, "x.zip")
    assert str(exc.value).startswith("x.zip: ")
    with pytest.raises(TapError, match="truncated"):
        cabinet.read(b"MSCF", "short.cab")
