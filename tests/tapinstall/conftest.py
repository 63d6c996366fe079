"""Fixtures of the tapinstall tests: the host build of the core, and zig builds of the tree."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import tihost
from tapbuild.arch import ARCHES


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
def wine_prefix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a throwaway wine prefix (created by the first wine run)."""
    prefix = tmp_path_factory.mktemp("wineprefix")
    env = {
        **os.environ,
        "WINEPREFIX": str(prefix),
        "WINEDEBUG": "-all",
        "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no Mono/Gecko install dialogs
    }
    env.pop("DISPLAY", None)
    server = shutil.which("wineserver")
    if server:
        # A persistent server: each wine run then takes a fraction of a second, not three.
        # It lives on in the background: no pipes of ours for it to hold open.
        subprocess.run(
            [server, "-p"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=60, check=False,
        )  # fmt: skip
    yield env
    if server:
        subprocess.run(
            [server, "-k"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=60, check=False,
        )  # fmt: skip
