"""Fixtures of the driver tests: the driver built from copies of the tree, release and debug,
for the three architectures, and a fake EWDK for the dry-run command lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sconsrun import scons
from tapbuild.arch import ARCHES
from tapbuild.build import msvc
from tapbuild.dev import sourcetree


@dataclass(frozen=True)
class FakeEwdk:
    root: Path
    kit: str = "C:\\EWDK\\Program Files\\Windows Kits\\10\\"  # only paths matter: scons -n
    version: str = "10.0.22621.0"


def built(tmp_path_factory: pytest.TempPathFactory, config: str) -> Path:
    tree = Path(sourcetree.copy_tree(tmp_path_factory.mktemp(f"driver-{config}")))
    scons(tree, "-j2", f"config={config}")
    return tree


@pytest.fixture(scope="session")
def release_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree after `scons config=release` (three archs, PE gate passed)."""
    return built(tmp_path_factory, "release")


@pytest.fixture(scope="session")
def debug_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree after `scons config=debug`."""
    return built(tmp_path_factory, "debug")


@pytest.fixture(scope="session")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree that is never built (for `scons -n`)."""
    return Path(sourcetree.copy_tree(tmp_path_factory.mktemp("driver-src")))


@pytest.fixture(scope="session")
def fake_ewdk(source_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> FakeEwdk:
    """An EWDK root whose captured environment is already cached in the tree, as a first
    build on Windows leaves it: toolchain=ewdk then configures without cmd.exe."""
    ewdk = FakeEwdk(tmp_path_factory.mktemp("ewdk"))
    (ewdk.root / "BuildEnv").mkdir()
    (ewdk.root / "BuildEnv" / "SetupBuildEnv.cmd").write_text("@echo off\r\n")
    for arch in ARCHES.values():
        path, key = msvc.ewdk_cache(ewdk.root, arch, source_tree / "build" / "toolchain-env")
        path.parent.mkdir(parents=True, exist_ok=True)
        environ = {"WDKContentRoot": ewdk.kit, "Version_Number": ewdk.version}
        path.write_text(json.dumps({"key": key, "environ": environ}))
    return ewdk
