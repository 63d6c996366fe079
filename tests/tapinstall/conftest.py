"""Fixtures of the tapinstall tests: the host build of the core, and zig builds of the tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tihost
from tapbuild.arch import ARCHES
from wine import Wine, running


@pytest.fixture(scope="session")
def core(tmp_path_factory: pytest.TempPathFactory) -> tihost.Core:
    """The portable core compiled for the host (gcc with UBSan) and loaded with ctypes.

    Tests using it carry @pytest.mark.tool("gcc").
    """
    return tihost.Core(tihost.build_core(tmp_path_factory.mktemp("ticore")))


@pytest.fixture(scope="session")
def ti_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree with tapinstall.exe built by zig for all three archs."""
    tree = tihost.copy_tree(tmp_path_factory.mktemp("ti-built"))
    tihost.scons(tree, "-j2", *(f"dist/{arch}/tapinstall.exe" for arch in ARCHES))
    return tree


@pytest.fixture(scope="session")
def wine_prefix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    """A throwaway 64-bit wine prefix with a persistent wineserver (tests using it need wine)."""
    with running(tmp_path_factory.mktemp("wineprefix")) as w:
        yield w


@pytest.fixture(scope="session")
def wine_prefix32(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    """The same, 32-bit (WINEARCH=win32; tests using it need wine32)."""
    with running(tmp_path_factory.mktemp("wineprefix32"), win32=True) as w:
        yield w
