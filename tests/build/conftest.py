"""Fixtures for the build tests: copies of the source tree and a way to run scons in them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sconsrun import scons
from tapbuild.dev.sourcetree import copy_tree


@pytest.fixture(scope="session")
def make_tree(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    def make(name: str) -> Path:
        return copy_tree(tmp_path_factory.mktemp(name))  # tracked files, with local edits

    return make


@pytest.fixture(scope="session")
def built_tree(make_tree: Callable[[str], Path]) -> Path:
    """A copy of the tree with a full default build (all three archs, release, zig)."""
    tree = make_tree("built")
    scons(tree, "-j2")
    return tree
