"""Where the zig toolchain from PyPI (package ``ziglang``) lives and how to run it."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path

from tapbuild.arch import Arch
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


@cache
def version() -> str:
    """The installed ziglang release: it decides what every compile and link produces (asked
    once per run: every command's build signature names it)."""
    found = sorted(package_dir().parent.glob("ziglang-*.dist-info"))
    if len(found) == 1:  # the installed wheel's own record, without importing importlib.metadata
        return found[0].name.removeprefix("ziglang-").removesuffix(".dist-info")
    import importlib.metadata

    return importlib.metadata.version("ziglang")


def lib_dir() -> Path:
    return package_dir() / "lib"


def mingw_include() -> Path:
    """zig's mingw-w64 headers (``ddk/`` holds wdm.h, ntddk.h, ndis.h)."""
    return lib_dir() / "libc" / "include" / "any-windows-any"


def mingw_defs() -> Path:
    """zig's mingw-w64 module-definition files common to all arches."""
    return lib_dir() / "libc" / "mingw" / "lib-common"


def windows_defines(arch: Arch) -> list[tuple[str, str]]:
    """_WIN32_WINNT, NTDDI_VERSION and WINVER of the arch's oldest Windows (zig cc defines
    _WIN32_WINNT itself: compile with -U_WIN32_WINNT before these)."""
    major, minor = arch.min_windows
    winnt = f"0x{major:02X}{minor:02X}"
    return [("_WIN32_WINNT", winnt), ("NTDDI_VERSION", f"{winnt}0000"), ("WINVER", winnt)]


def kernel_flags(arch: Arch) -> list[str]:
    """The compile flags that make code kernel code, beyond the common ones."""
    return [
        "-std=gnu11",
        "-ffreestanding",
        "-fstack-protector-strong",
        "-mgeneral-regs-only",
        # zig appends its CPU's features after -mgeneral-regs-only, so on x86 that flag alone
        # leaves SSE/x87 on (copies through xmm registers): name the CPU without them.
        f"-mcpu={arch.kernel_cpu}",
    ]
