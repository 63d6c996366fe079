"""Fixtures of the core tests: build the host libraries once per session with SCons."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
import tapcore_ffi as ffi


@pytest.fixture(scope="session")
def core_libs() -> dict[str, ctypes.CDLL]:
    """The release and debug (TAP_DEBUG=1) builds of the core, built by `scons core-host`."""
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "core-host"],
        cwd=ffi.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"scons core-host failed:\n{proc.stdout}\n{proc.stderr}")
    return {"release": ffi.load(ffi.LIB_RELEASE), "debug": ffi.load(ffi.LIB_DEBUG)}


@pytest.fixture(params=["release", "debug"])
def lib(request: pytest.FixtureRequest, core_libs: dict[str, ctypes.CDLL]) -> ctypes.CDLL:
    """Each test that takes `lib` runs against both builds."""
    return core_libs[request.param]


@pytest.fixture
def make_adapter(lib: ctypes.CDLL) -> Iterator[Callable[..., ffi.Adapter]]:
    def make(**kw: object) -> ffi.Adapter:
        ad = ffi.Adapter(lib, **kw)  # type: ignore[arg-type]
        assert ad.init_status == ffi.SUCCESS
        return ad

    yield make


@pytest.fixture
def tap(make_adapter: Callable[..., ffi.Adapter]) -> ffi.Adapter:
    """An open, running, connected adapter in TAP mode."""
    return make_adapter().start()
