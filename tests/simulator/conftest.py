"""Fixtures of the driver simulator tests: the simulator built from a copy of the tree, a wine
prefix to run it in, and a runner for command scripts.

Every scenario runs twice, once per arch the simulator builds (``sim`` and ``sim_debug`` are
parametrized: test ids end in ``[amd64]`` / ``[i386]``): amd64 as a 64-bit process, i386 --
the i386 driver objects with their stdcall/fastcall calls -- as a 32-bit process in the same
64-bit prefix (needs wine32). The simulator's own self-test (``selftest``) is amd64 only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tools
from sconsrun import scons
from simrun import Simulator
from tapbuild.dev import sourcetree
from wine import Wine, running

SIM_ARCHES = ("amd64", "i386")


def sim_dir(tree: Path, arch: str, config: str = "release") -> Path:
    """Where `scons arch=<arch> config=<config> driver-sim` puts the simulator."""
    return tree / "build" / "sim" / (config if arch == "amd64" else f"{arch}/{config}")


@pytest.fixture(scope="session")
def sim_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree with the simulator built (`scons arch=amd64 driver-sim`)."""
    tree = Path(sourcetree.copy_tree(tmp_path_factory.mktemp("sim-tree")))
    scons(tree, "-j2", "arch=amd64", "driver-sim")
    return tree


_built: set[tuple[str, str]] = {("amd64", "release")}


def sim_exe(tree: Path, arch: str, config: str = "release") -> Path:
    """The simulator of one arch and config in the sim_tree, built on first use."""
    if (arch, config) not in _built:
        scons(tree, "-j2", f"config={config}", f"arch={arch}", "driver-sim")
        _built.add((arch, config))
    exe = sim_dir(tree, arch, config) / "tapsim.exe"
    assert exe.is_file()
    return exe


@pytest.fixture(scope="session", params=SIM_ARCHES)
def sim_arch(request: pytest.FixtureRequest) -> str:
    """The arch of the driver objects under simulation (i386 needs wine32)."""
    if request.param == "i386":
        tools.require("wine32")
    return str(request.param)


@pytest.fixture(scope="session")
def tapsim(sim_tree: Path) -> Path:
    return sim_exe(sim_tree, "amd64")


@pytest.fixture(scope="session")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    """A throwaway wine prefix with a persistent wineserver (tests using it need wine)."""
    with running(tmp_path_factory.mktemp("sim-wineprefix")) as w:
        yield w


@pytest.fixture(scope="session")
def sim(sim_tree: Path, sim_arch: str, wine: Wine) -> Simulator:
    return Simulator(wine, sim_exe(sim_tree, sim_arch))


@pytest.fixture(scope="session")
def selftest(sim_tree: Path, wine: Wine) -> Simulator:
    """The simulation around a deliberately faulty miniport (tests/simulator/selftest)."""
    exe = sim_dir(sim_tree, "amd64") / "tapsim-selftest.exe"
    assert exe.is_file()
    return Simulator(wine, exe)


@pytest.fixture(scope="session")
def sim_debug(sim_tree: Path, sim_arch: str, wine: Wine) -> Simulator:
    """The simulator around the debug build of the driver (config=debug: TAP_DEBUG, -O0)."""
    return Simulator(wine, sim_exe(sim_tree, sim_arch, "debug"))
