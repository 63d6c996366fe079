"""Fixtures of the driver simulator tests: the simulator built from a copy of the tree, a wine
prefix to run it in, and a runner for command scripts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sconsrun import scons
from simrun import Simulator
from tapbuild import sourcetree
from wine import Wine, running


@pytest.fixture(scope="session")
def sim_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree with the simulator built (`scons arch=amd64 driver-sim`)."""
    tree = Path(sourcetree.copy_tree(tmp_path_factory.mktemp("sim-tree")))
    scons(tree, "-j2", "arch=amd64", "driver-sim")
    return tree


@pytest.fixture(scope="session")
def tapsim(sim_tree: Path) -> Path:
    exe = sim_tree / "build" / "sim" / "release" / "tapsim.exe"
    assert exe.is_file()
    return exe


@pytest.fixture(scope="session")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    """A throwaway wine prefix with a persistent wineserver (tests using it need wine)."""
    with running(tmp_path_factory.mktemp("sim-wineprefix")) as w:
        yield w


@pytest.fixture(scope="session")
def sim(tapsim: Path, wine: Wine) -> Simulator:
    return Simulator(wine, tapsim)


@pytest.fixture(scope="session")
def selftest(sim_tree: Path, wine: Wine) -> Simulator:
    """The simulation around a deliberately faulty miniport (tests/simulator/selftest)."""
    exe = sim_tree / "build" / "sim" / "release" / "tapsim-selftest.exe"
    assert exe.is_file()
    return Simulator(wine, exe)


@pytest.fixture(scope="session")
def sim_debug(sim_tree: Path, wine: Wine) -> Simulator:
    """The simulator around the debug build of the driver (config=debug: TAP_DEBUG, -O0)."""
    scons(sim_tree, "-j2", "config=debug", "arch=amd64", "driver-sim")
    return Simulator(wine, sim_tree / "build" / "sim" / "debug" / "tapsim.exe")
