"""Where the zig toolchain from PyPI (package ``ziglang``) lives and how to run it."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path

from tapbuild.errors import TapError


@cache
def package_dir() -> Path:
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise TapError(
            "toolchain=zig: the ziglang package is not installed; run pip install -e . "
            "(or choose toolchain=ewdk or toolchain=wdk on Windows)"
        )
    return Path(spec.origin).parent


def command() -> list[str]:
    """The argv prefix that runs zig (the package puts no ``zig`` on PATH)."""
    package_dir()
    return [sys.executable, "-m", "ziglang"]


def lib_dir() -> Path:
    return package_dir() / "lib"


def mingw_include() -> Path:
    """zig's mingw-w64 headers (``ddk/`` holds wdm.h, ntddk.h, ndis.h)."""
    return lib_dir() / "libc" / "include" / "any-windows-any"


def mingw_defs() -> Path:
    """zig's mingw-w64 module-definition files common to all arches."""
    return lib_dir() / "libc" / "mingw" / "lib-common"
