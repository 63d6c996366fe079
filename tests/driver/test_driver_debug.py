"""config=debug builds the driver for the three archs (through the PE gate) with the core's
debug log, and GET_VERSION reports the debug flag: 1 in a debug build, 0 in a release build,
asked of the driver's own objects running in the simulator (tests/simulator) under wine."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from driverbuild import image
from sconsrun import scons
from tapbuild.arch import ARCHES

ROOT = Path(__file__).resolve().parents[2]
GET_VERSION = 0x220008
# A line of the core's debug log (tapc_logf): compiled in with TAP_DEBUG=1 only.
LOG_TEXT = b"open refused: already open"

pytestmark = pytest.mark.slow


def simrun() -> ModuleType:
    """The simulator tests' runner (one implementation), loaded by path."""
    path = ROOT / "tests" / "simulator" / "simrun.py"
    name = "_driver_simrun"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_debug_image_has_the_debug_log(debug_tree: Path, release_tree: Path, arch: str) -> None:
    debug = image(debug_tree, arch, "debug").read_bytes()
    release = image(release_tree, arch).read_bytes()
    assert LOG_TEXT in debug
    assert LOG_TEXT not in release


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    w = simrun().Wine(tmp_path_factory.mktemp("driver-wine"))
    w.start()
    yield w
    w.stop()


@pytest.mark.tool("wine")
@pytest.mark.parametrize(("config", "flag"), [("release", 0), ("debug", 1)])
def test_get_version_reports_the_debug_flag(
    request: pytest.FixtureRequest, wine: object, config: str, flag: int
) -> None:
    tree: Path = request.getfixturevalue(f"{config}_tree")
    scons(tree, "-j2", "arch=amd64", f"config={config}", "driver-sim")
    sim = simrun().Simulator(wine, tree / "build" / "sim" / config / "tapsim.exe")
    run = sim.run(
        [
            *simrun().setup(),
            "open h1",
            simrun().ioctl("h1", GET_VERSION, out=12, name="version"),
            *simrun().teardown("h1"),
        ]
    )
    version = run.irp("version").data()
    assert [int.from_bytes(version[i : i + 4], "little") for i in (0, 4, 8)] == [9, 27, flag]
