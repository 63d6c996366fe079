"""The PE gate rejects what must never ship; each case is a real image, altered."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pefile
import pytest
from tapbuild.build import pecheck
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.build.imports import Import, for_toolchain, load_table

pytestmark = pytest.mark.slow


@pytest.fixture
def image(built_tree: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tap0901.sys"
    shutil.copy(built_tree / "dist" / "amd64" / "tap0901.sys", copy)
    return copy


@pytest.fixture
def table(built_tree: Path) -> list[Import]:
    return for_toolchain(load_table(built_tree / "driver" / "imports.py"), "zig")


def rewrite(path: Path, change: object) -> None:
    pe = pefile.PE(str(path))
    change(pe)  # type: ignore[operator]
    pe.OPTIONAL_HEADER.CheckSum = pe.generate_checksum()
    data = pe.write()
    pe.close()
    path.write_bytes(data)


def expect(
    path: Path, check: str, table: list[Import] | None, arch: str = "amd64", kind: str = "driver"
) -> str:
    with pytest.raises(TapError) as err:
        pecheck.check(path, ARCHES[arch], kind, table)
    message = str(err.value)
    assert message.startswith(f"{path}: PE check '{check}' failed: "), message
    assert "\n" not in message
    return message


def test_real_image_passes(image: Path, table: list[Import]) -> None:
    pecheck.check(image, ARCHES["amd64"], "driver", table)


def test_wrong_machine(image: Path, table: list[Import]) -> None:
    assert "expected 0xAA64 for arm64" in expect(image, "machine", table, arch="arm64")


def test_not_native(image: Path, table: list[Import]) -> None:
    assert "for a program" in expect(image, "subsystem", table, kind="program")


def test_nx_and_dynamic_base(image: Path, table: list[Import]) -> None:
    rewrite(
        image,
        lambda pe: setattr(
            pe.OPTIONAL_HEADER, "DllCharacteristics", pe.OPTIONAL_HEADER.DllCharacteristics & ~0x100
        ),
    )
    expect(image, "nx", table)
    rewrite(image, lambda pe: setattr(pe.OPTIONAL_HEADER, "DllCharacteristics", 0x100))
    expect(image, "dynamic base", table)


def test_writable_code(image: Path, table: list[Import]) -> None:
    def make_text_writable(pe: pefile.PE) -> None:
        text = next(s for s in pe.sections if s.Name.startswith(b".text"))
        text.Characteristics |= pecheck.SCN_MEM_WRITE

    rewrite(image, make_text_writable)
    assert "section .text is both writable and executable" in expect(image, "w^x", table)


def test_bad_checksum(image: Path, table: list[Import]) -> None:
    pe = pefile.PE(str(image))
    pe.OPTIONAL_HEADER.CheckSum ^= 0x10
    data = pe.write()
    pe.close()
    image.write_bytes(data)
    expect(image, "checksum", table)


def test_kernel32_import_is_refused(image: Path, table: list[Import]) -> None:
    """What /GS with newer WDKs once did: a driver importing kernel32."""
    data = image.read_bytes()
    assert data.count(b"ntoskrnl.exe") == 1
    image.write_bytes(data.replace(b"ntoskrnl.exe", b"kernel32.dll"))
    rewrite(image, lambda pe: None)
    assert (
        "imports kernel32.dll; a driver may import only hal.dll, ndis.sys, ntoskrnl.exe"
        in expect(image, "imports", table)
    )


def test_import_not_in_table(image: Path, table: list[Import]) -> None:
    smaller = [i for i in table if i.name != "DbgPrintEx"]
    assert "imports DbgPrintEx from ntoskrnl.exe, not in the table" in expect(
        image, "import table", smaller
    )


def test_table_entry_not_imported(image: Path, table: list[Import]) -> None:
    bigger = [*table, Import("ntoskrnl.exe", "IoCreateDevice", "stdcall", 28)]
    message = expect(image, "import table", bigger)
    assert (
        "table lists IoCreateDevice from ntoskrnl.exe for amd64, the image does not import it"
        in message
    )


def test_import_newer_than_oldest_windows(image: Path, table: list[Import]) -> None:
    newer = [
        Import(i.dll, i.name, i.conv, i.args, since=(10, 0)) if i.name == "DbgPrintEx" else i
        for i in table
    ]
    message = expect(image, "windows version", newer)
    assert re.search(r"DbgPrintEx needs Windows 10; amd64 supports Windows 7$", message)


def test_not_a_pe_file(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sys"
    bogus.write_bytes(b"MZ" + b"\0" * 100)
    expect(bogus, "format", None)


@pytest.mark.parametrize("arch", sorted(ARCHES))
@pytest.mark.parametrize("name", ["tap0901.sys", "tapinstall.exe"])
def test_checksum_agrees_with_pefile_and_the_linker(built_tree: Path, arch: str, name: str) -> None:
    """The gate's own checksum (fast: no pefile, no garbage collection) against two
    computations it does not control: the linker's, in the header, and pefile's; and an image
    of odd length, where the last byte counts as a word of its own."""
    data = (built_tree / "dist" / arch / name).read_bytes()
    pe = pefile.PE(data=data)
    offset = pe.OPTIONAL_HEADER.get_file_offset()
    assert pecheck.checksum(data, offset) == pe.OPTIONAL_HEADER.CheckSum == pe.generate_checksum()
    odd = data + b"\x7f"
    assert pecheck.checksum(odd, offset) == pefile.PE(data=odd).generate_checksum()
