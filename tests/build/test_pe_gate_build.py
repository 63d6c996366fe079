"""The PE gate inside a real build: an image that fails a check stops the build with one line
naming the file and the check, and is deleted, so the next build links it again instead of
taking it for up to date."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sconsrun import scons

pytestmark = pytest.mark.slow

# A data section that is also executable (GNU as COFF flags d, w, x): the W^X check's case.
WX_SECTION = '__asm__(".section .wxdata,\\"dwx\\"\\n.long 1\\n.text");\n'


def test_a_failed_image_stops_the_build_and_is_deleted(
    make_tree: Callable[[str], Path],
) -> None:
    tree = make_tree("pe-gate")
    source = tree / "driver" / "driver.c"
    clean = source.read_text()
    source.write_text(clean + WX_SECTION)
    image = tree / "build" / "release" / "amd64" / "driver" / "tap0901.sys"
    for _ in range(2):  # the second build links again: nothing half-checked was left behind
        result = scons(tree, "arch=amd64", check=False)
        assert result.returncode != 0
        assert "LINK   amd64  build/release/amd64/driver/tap0901.sys" in result.stdout
        assert result.stderr.splitlines() == [
            f"scons: *** [build/release/amd64/driver/tap0901.sys] {image}: PE check 'w^x' "
            "failed: section .wxdata is both writable and executable"
        ], result.stderr
        assert not image.exists()
        assert not (tree / "dist" / "amd64" / "tap0901.sys").exists()
    source.write_text(clean)
    scons(tree, "arch=amd64")
    assert (tree / "dist" / "amd64" / "tap0901.sys").is_file()
