"""The simulator's build: it implements exactly what the driver may import, says which
function is missing when the table grows, and stays test code (nothing of it in dist/, the
tarballs or the driver image)."""

from __future__ import annotations

import hashlib
import re
import tarfile
from pathlib import Path

import pytest
from sconsrun import scons
from tapbuild.arch import ARCHES
from tapbuild.build import imports
from tapbuild.dev import sourcetree

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "tests" / "simulator" / "sim"
RUNTIME = {"memcpy", "memset", "memmove", "memcmp"}  # the C runtime's, in user mode


def simulated() -> set[str]:
    names: set[str] = set()
    for src in SIM.glob("*.c"):
        names |= set(re.findall(r"^SIM_EXPORT\((\w+)\);", src.read_text(), re.M))
    return names


@pytest.mark.parametrize("arch", ["amd64", "i386"])
def test_every_import_of_the_driver_is_simulated(arch: str) -> None:
    table = imports.for_toolchain(imports.load_table(ROOT / "driver" / "imports.py"), "zig")
    wanted = {i.name for i in imports.for_arch(table, ARCHES[arch])} - RUNTIME
    assert wanted <= simulated(), sorted(wanted - simulated())


def test_exports_are_checked_against_the_driver_declarations() -> None:
    """SIM_EXPORT makes the compiler compare each implementation with the driver's
    declaration of the function: the macro must keep that static assertion."""
    header = (SIM / "sim.h").read_text()
    check = header[header.index("#define SIM_CHECK_TYPE") :].split("\n#")[0]
    assert "__builtin_types_compatible_p(__typeof__(&name), __typeof__(&sim_##name))" in check
    exports = header.split("#define SIM_EXPORT(name)")[1:]
    assert len(exports) == 2  # amd64/arm64 and i386
    assert all(e.split("\n#")[0].count("SIM_CHECK_TYPE(name);") == 1 for e in exports)


@pytest.mark.slow
def test_a_function_missing_from_the_simulation_fails_the_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tree = sourcetree.copy_tree(tmp_path_factory.mktemp("sim-missing"))
    table = tree / "driver" / "imports.py"
    table.write_text(
        table.read_text()
        + '\nIMPORTS.append(Import("ndis.sys", "NdisSimTestMissing", "stdcall", 4))\n'
    )
    result = scons(tree, "-j2", "arch=amd64", "driver-sim", check=False)
    assert result.returncode != 0
    assert (
        "driver-sim: driver/imports.py lists functions the simulator does not implement: "
        "NdisSimTestMissing; add them to tests/simulator/sim"
    ) in result.stdout
    assert not (tree / "build" / "sim" / "release" / "tapsim.exe").exists()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_the_simulator_never_ships(
    sim_tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The tree that built the simulator builds the same driver image, bit for bit, as a tree
    that never did, and installs nothing of the simulator."""
    scons(sim_tree, "-j2", "arch=amd64")
    again = scons(sim_tree, "-j2", "arch=amd64", "driver-sim")
    assert not [s for s in again.steps if s.startswith(("CC ", "LINK "))], again.stdout
    clean = sourcetree.copy_tree(tmp_path_factory.mktemp("sim-never"))
    scons(clean, "-j2", "arch=amd64")

    sys_name = next(p.name for p in (clean / "dist" / "amd64").glob("*.sys"))
    assert sha(sim_tree / "dist" / "amd64" / sys_name) == sha(clean / "dist" / "amd64" / sys_name)
    shipped = sorted(p.relative_to(sim_tree).as_posix() for p in (sim_tree / "dist").rglob("*"))
    assert shipped == sorted(p.relative_to(clean).as_posix() for p in (clean / "dist").rglob("*"))
    for tree in (sim_tree, clean):
        for name in ("tap6.tar.gz", "tap6-symbols.tar.gz"):
            with tarfile.open(tree / name) as tar:
                assert not [m for m in tar.getnames() if "sim" in m.lower()], tar.getnames()
    assert (sim_tree / "build" / "sim" / "release" / "tapsim.exe").is_file()
