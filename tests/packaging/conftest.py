"""Fixtures for the packaging tests: a dist/ layout made of real PE files built with zig.

The images are tiny (an entry point returning a marker byte, no CRT) so the tests never wait
for another part of the build; each carries a marker string naming its role and arch, so a
test can tell which architecture's file ended up where.

Tests that need the project's real binaries build them with scons in one scratch copy of the
source tree per session (``scratch_tree``): the working tree's build/ and dist/ stay untouched.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sconsrun import scons
from tapbuild.arch import ARCHES
from tapbuild.build import zig
from tapbuild.cli import package
from tapbuild.dev.sourcetree import copy_tree
from tapbuild.sign import catalog

CATALOG_DATE = datetime.datetime(2026, 9, 27, tzinfo=datetime.timezone.utc)
STUB_C = r"""
const char tap_test_marker[] = "TAP-PACKAGING-TEST " MARKER;
int __stdcall entry(void *a, void *b) { (void)a; (void)b; return (int)tap_test_marker[0]; }
"""

# role -> (file name pattern, extra link flags)
ROLES = {
    "sys": ["-shared", "-Wl,--subsystem,native"],
    "exe": ["-Wl,--subsystem,console"],
}


def _stub(out: Path, arch: str, role: str, marker: str) -> Path:
    src = out.parent / "stub.c"
    if not src.exists():
        src.write_text(STUB_C)
    argv = [
        *zig.command(),
        "cc",
        "-target",
        ARCHES[arch].zig_target,
        "-O1",
        "-nostdlib",
        f'-DMARKER="{marker}"',
        "-Wl,-e,entry",
        *ROLES[role],
        str(src),
        "-o",
        str(out),
    ]
    subprocess.run(argv, check=True, capture_output=True, cwd=out.parent)
    return out


@pytest.fixture(scope="session")
def pe_stubs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(arch, "sys"|"exe") -> a real PE image for that arch."""
    folder = tmp_path_factory.mktemp("pe-stubs")
    out: dict[tuple[str, str], Path] = {}
    for arch in ARCHES:
        out[(arch, "sys")] = _stub(folder / f"driver-{arch}.sys", arch, "sys", f"driver {arch}")
        out[(arch, "exe")] = _stub(
            folder / f"tapinstall-{arch}.exe", arch, "exe", f"tapinstall {arch}"
        )
    return out


DistMaker = Callable[..., Path]


@pytest.fixture
def make_dist(pe_stubs: dict[tuple[str, str], Path], tmp_path: Path) -> DistMaker:
    """make_dist(folder=None, component_id="tap0901", arches=all, catalogs=False,
    tapinstall=True) -> a dist/ layout as `scons` writes it."""

    def make(
        folder: Path | None = None,
        component_id: str = "tap0901",
        arches: tuple[str, ...] = tuple(ARCHES),
        catalogs: bool = False,
        tapinstall: bool = True,
        variant: str = "",
    ) -> Path:
        dist = folder or tmp_path / "dist"
        for arch in arches:
            d = dist / arch
            d.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pe_stubs[(arch, "sys")], d / f"{component_id}.sys")
            inf = f'[Version]\r\nSignature="$Windows NT$"\r\n; {component_id} {arch} {variant}\r\n'
            (d / "OemVista.inf").write_bytes(inf.encode("ascii"))
            if tapinstall:
                shutil.copyfile(pe_stubs[(arch, "exe")], d / "tapinstall.exe")
            if catalogs:  # unsigned, but real: the package checks what it lists
                catalog.write_package_catalog(
                    d, f"{component_id}.cat", catalog.os_targets(arch), when=CATALOG_DATE
                )
        (dist / "include").mkdir(parents=True, exist_ok=True)
        (dist / "include" / "tap-windows.h").write_text(f"/* tap-windows.h {variant} */\n")
        return dist

    return make


@pytest.fixture(autouse=True)
def _packaging_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sessions' entry points (tapbuild.cli.package) default to the top of the tree and stage
    into its build/package: in these tests that top is a folder of the test's own."""
    monkeypatch.setattr(package, "ROOT", tmp_path / "root")


@pytest.fixture(scope="session")
def scratch_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree (tracked files with their local edits) to run scons in."""
    return copy_tree(tmp_path_factory.mktemp("pkg-tree"))


@pytest.fixture(scope="session")
def dll_dir(scratch_tree: Path) -> Path:
    """build/release of the scratch tree holding the real custom-action DLLs
    (``<arch>/installer/tapmsi.dll``, `scons msica`: zig, three archs)."""
    scons(scratch_tree, "-j2", "msica")
    return scratch_tree / "build" / "release"


@pytest.fixture(scope="session")
def real_dist(scratch_tree: Path) -> Path:
    """dist/ of the scratch tree after a full `scons` (driver, INF, tapinstall, header)."""
    scons(scratch_tree, "-j2")
    return scratch_tree / "dist"
