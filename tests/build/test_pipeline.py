"""The whole pipeline with real zig for three architectures: dist/, PE properties, tarballs."""

from __future__ import annotations

import filecmp
import tarfile
from collections.abc import Callable
from pathlib import Path

import pefile
import pytest
from sconsrun import scons
from tapbuild.build import pecheck
from tapbuild.product import resource
from tapbuild.arch import ARCHES
from tapbuild.build.imports import load_table

pytestmark = pytest.mark.slow

DIST_FILES = {
    *(f"{a}/{n}" for a in ("i386", "amd64", "arm64")
      for n in ("OemVista.inf", "tap0901.sys", "tapinstall.exe")),
    "include/tap-windows.h",
}  # fmt: skip
SYMBOLS = {
    f"{a}/{n}" for a in ("i386", "amd64", "arm64")
    for n in ("tap0901.pdb", "tapinstall.pdb", "tapmsi.pdb")
}  # fmt: skip


def dist_listing(tree: Path) -> set[str]:
    return {
        p.relative_to(tree / "dist").as_posix() for p in (tree / "dist").rglob("*") if p.is_file()
    }


def test_dist_layout(built_tree: Path) -> None:
    listing = dist_listing(built_tree)
    assert listing == DIST_FILES
    assert (built_tree / "tap6.tar.gz").is_file()
    with tarfile.open(built_tree / "tap6.tar.gz") as tar:
        names = {m.name for m in tar.getmembers() if m.isfile()}
        assert names == {f"dist/{n}" for n in listing}
        for m in tar.getmembers():
            assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (946684800, 0, 0, "", "")
            if m.isfile():
                data = tar.extractfile(m)
                assert data is not None
                assert data.read() == (built_tree / m.name).read_bytes()
    with tarfile.open(built_tree / "tap6-symbols.tar.gz") as tar:
        pdbs = {m.name for m in tar.getmembers() if m.isfile()}
    assert pdbs == SYMBOLS
    assert (built_tree / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_driver_image(built_tree: Path, arch: str) -> None:
    a = ARCHES[arch]
    image = built_tree / "dist" / arch / "tap0901.sys"
    table = load_table(built_tree / "driver" / "imports.py")
    pecheck.check(
        image, a, "driver", [i for i in table if not i.toolchains or "zig" in i.toolchains]
    )
    pe = pefile.PE(str(image))
    assert pe.FILE_HEADER.Machine == a.pe_machine
    assert pe.OPTIONAL_HEADER.Subsystem == pecheck.SUBSYSTEM_NATIVE
    oh = pe.OPTIONAL_HEADER
    assert (oh.MajorSubsystemVersion, oh.MinorSubsystemVersion) == a.min_windows
    assert pe.verify_checksum()
    imported = pecheck.image_imports(pe)
    assert set(imported) <= pecheck.KERNEL_DLLS
    assert "DbgPrintEx" in imported["ntoskrnl.exe"]
    # The version resource carries version.py's numbers.
    fixed = pe.VS_FIXEDFILEINFO[0]
    assert (fixed.FileVersionMS, fixed.FileVersionLS) == ((9 << 16) | 27, 0)
    strings = resource.read_strings(pe)
    assert strings["OriginalFilename"] == "tap0901.sys"
    assert strings["FileVersion"] == "9.27.0.0"
    # No build-machine path inside the image.
    data = image.read_bytes()
    assert str(built_tree).encode() not in data
    assert b"/root" not in data and b"site-packages" not in data


def test_inf_per_arch(built_tree: Path) -> None:
    for arch, a in ARCHES.items():
        text = (built_tree / "dist" / arch / "OemVista.inf").read_bytes().decode("ascii")
        assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
        assert "DriverVer   = 09/27/2026,9.27.0.0" in text
        assert f"[TapModels.NT{a.inf_decoration}]" in text
        assert "$ARCH$" not in text and "@" not in text.replace("%%", "")


def test_reproducible_from_another_path(built_tree: Path, make_tree: Callable[[str], Path]) -> None:
    other = make_tree("elsewhere-with-a-longer-name")
    scons(other, "-j2")
    listing = dist_listing(built_tree)
    assert listing == dist_listing(other)
    for rel in sorted(listing):
        assert filecmp.cmp(built_tree / "dist" / rel, other / "dist" / rel, shallow=False), rel
    for name in ("tap6.tar.gz", "tap6-symbols.tar.gz"):
        assert (built_tree / name).read_bytes() == (other / name).read_bytes(), name


def test_noop_build_runs_nothing(built_tree: Path) -> None:
    assert scons(built_tree, "-q", check=False).returncode == 0
    again = scons(built_tree)
    assert again.steps == []


def test_clean(make_tree: Callable[[str], Path]) -> None:
    tree = make_tree("clean")
    scons(tree, "arch=amd64")
    assert (tree / "dist" / "amd64" / "tap0901.sys").is_file()
    scons(tree, "-c", "arch=amd64")
    assert not (tree / "dist").exists()
    assert not (tree / "tap6.tar.gz").exists()
