"""dist/ is what the last build produced: a default build removes what it did not make (a
catalog, another component id, an arch not built now) and replaces files changed since they were
installed (signed); scons -n, -q and other targets leave dist/ alone."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sconsrun import scons

pytestmark = pytest.mark.slow

BUILT = {"OemVista.inf", "tap0901.sys", "tapinstall.exe"}


def listing(tree: Path) -> set[str]:
    dist = tree / "dist"
    return {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}


def test_a_build_leaves_only_its_own_files(make_tree: Callable[[str], Path]) -> None:
    tree = make_tree("distsync")
    scons(tree, "-j2", "arch=amd64,arm64")
    dist = tree / "dist"
    catalog = dist / "amd64" / "tap0901.cat"
    catalog.write_bytes(b"a catalog nox -s sign made")
    signed = dist / "amd64" / "tap0901.sys"
    fresh = signed.read_bytes()
    signed.write_bytes(fresh + b"\0" * 8)  # as a signature appended to the image

    for args in (["-n"], ["-q"], ["core-host"]):
        scons(tree, "arch=amd64", *args, check=False)
        assert catalog.exists() and (dist / "arm64" / "tap0901.sys").exists(), args

    result = scons(tree, "-j2", "arch=amd64")
    assert "DIST   -     dist/amd64/tap0901.cat removed: not made by this build" in result.stdout
    assert (
        "DIST   -     dist/amd64/tap0901.sys removed: changed since it was built, e.g. signed"
        in result.stdout
    )
    assert listing(tree) == {f"amd64/{n}" for n in BUILT} | {"include/tap-windows.h"}
    assert signed.read_bytes() == fresh
    with tarfile.open(tree / "tap6.tar.gz") as tar:
        assert {m.name for m in tar.getmembers() if m.isfile()} == {
            f"dist/{n}" for n in listing(tree)
        }
    # nothing left to do: the next build removes and installs nothing
    again = scons(tree, "-j2", "arch=amd64")
    assert "DIST" not in again.stdout


def test_another_component_id_replaces_the_old_files(
    make_tree: Callable[[str], Path], tmp_path: Path
) -> None:
    tree = make_tree("distsync-override")
    scons(tree, "-j2", "arch=amd64")
    vendor = tmp_path / "vendor.py"
    vendor.write_text('PRODUCT_TAP_WIN_COMPONENT_ID = "tapoas6"\n')
    scons(tree, "-j2", "arch=amd64", f"override={vendor}")
    assert listing(tree) == {
        "amd64/OemVista.inf", "amd64/tapoas6.sys", "amd64/tapinstall.exe", "include/tap-windows.h"
    }  # fmt: skip
