"""The core compiles as the driver needs it: strict C99 on the host, freestanding for the
three Windows targets with no library calls but memcpy/memset/memmove/memcmp; tap-windows.h
compiles in user mode (windows.h) and kernel mode (wdm.h)."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
import tapcore_ffi as ffi
from tapbuild.build import zig

CORE = ffi.ROOT / "driver/core"
INCLUDE = ffi.ROOT / "driver/include"
SOURCES = sorted(CORE.glob("*.c"))
STRICT = [
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Wpedantic",
    "-Werror",
    "-Wconversion",
    "-Wshadow",
    "-Wcast-qual",
    "-Wstrict-prototypes",
    "-Wmissing-prototypes",
]
TARGETS = ["x86-windows-gnu", "x86_64-windows-gnu", "aarch64-windows-gnu"]
ALLOWED_EXTERNAL = {"memcpy", "memset", "memmove", "memcmp"}
# Headers the driver build generates from version.py (driver/SConscript), included only under
# TAP_HAVE_PRODUCT_H: every other build uses the core's defaults.
GENERATED = {"tap_product.h"}
ZIG = zig.command()


def run(cmd: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_core_includes_only_freestanding_headers() -> None:
    for path in sorted(CORE.glob("*.[ch]")):
        for line in path.read_text().splitlines():
            m = re.match(r"\s*#\s*include\s*([<\"])([^>\"]+)", line)
            if not m:
                continue
            if m.group(1) == "<":
                assert m.group(2) in {"stdint.h", "stddef.h", "stdbool.h"}, (path, line)
            else:
                assert (CORE / m.group(2)).exists() or m.group(2) in GENERATED, (path, line)


def test_core_has_no_floating_point_types() -> None:
    for path in sorted(CORE.glob("*.[ch]")):
        assert not re.search(r"\b(float|double)\b", path.read_text()), path


@pytest.mark.tool("nm", "gcc")
@pytest.mark.parametrize("debug", [0, 1])
def test_core_has_no_mutable_globals(tmp_path: Path, debug: int) -> None:
    """No symbol in writable data (.data/.bss, static locals included): all state is in the
    caller's tapc_adapter."""
    cc = "gcc"
    for src in SOURCES:
        obj = tmp_path / (src.stem + ".o")
        run(
            [
                cc,
                "-std=c99",
                "-O0",
                f"-DTAP_DEBUG={debug}",
                "-fno-common",
                "-c",
                str(src),
                "-o",
                str(obj),
            ]
        )
        for line in run(["nm", str(obj)]).splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "DdBbCGgSs":
                pytest.fail(f"{src.name}: writable global {parts[2]}")


@pytest.mark.tool("gcc", "clang")
@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("debug", [0, 1])
def test_strict_host_compile(tmp_path: Path, cc: str, debug: int) -> None:
    run(
        [
            cc,
            *STRICT,
            f"-DTAP_DEBUG={debug}",
            "-O2",
            "-fPIC",
            "-shared",
            "-o",
            str(tmp_path / "t.so"),
            *map(str, SOURCES),
        ]
    )


def _undefined(obj: Path) -> set[str]:
    """Undefined external symbols of a COFF object (leading underscore of i386 removed)."""
    data = obj.read_bytes()
    _machine, _nsect, _stamp, symptr, nsyms = struct.unpack_from("<HHIII", data, 0)
    strtab = symptr + nsyms * 18
    names = set()
    i = 0
    while i < nsyms:
        raw, _value, section, _type, sclass, naux = struct.unpack_from(
            "<8sIhHBB", data, symptr + 18 * i
        )
        if raw[:4] == b"\0\0\0\0":
            off = strtab + struct.unpack_from("<I", raw, 4)[0]
            name = data[off : data.index(b"\0", off)].decode()
        else:
            name = raw.rstrip(b"\0").decode()
        if section == 0 and sclass == 2:  # IMAGE_SYM_CLASS_EXTERNAL, undefined
            names.add(name[1:] if name.startswith("_") else name)
        i += 1 + naux
    return names


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("debug", [0, 1])
def test_freestanding_windows_compile(tmp_path: Path, target: str, debug: int) -> None:
    """As the driver compiles it: -ffreestanding, kernel flags; only mem* stay external."""
    flags = [
        "-target",
        target,
        "-ffreestanding",
        "-O2",
        "-fstack-protector-strong",
        "-mno-stack-arg-probe",
        f"-DTAP_DEBUG={debug}",
        "-DTAP_DRIVER_MAJOR_VERSION=9",
        "-DTAP_DRIVER_MINOR_VERSION=27",
        *STRICT,
    ]
    if not target.startswith("aarch64"):
        flags.append("-mgeneral-regs-only")  # any floating point would fail to compile
    undefined: set[str] = set()
    for src in SOURCES:
        obj = tmp_path / (src.stem + ".o")
        run([*ZIG, "cc", *flags, "-c", str(src), "-o", str(obj)])
        undefined |= _undefined(obj)
    external = {s for s in undefined if not s.startswith("tapc_")}
    # __stack_chk_* come from the driver's runtime (krt.c), as for every driver file.
    external -= {"__stack_chk_fail", "__stack_chk_guard", "_stack_chk_fail", "_stack_chk_guard"}
    assert external <= ALLOWED_EXTERNAL, external
    assert not any(
        re.match(r"_*(u?divdi3|u?moddi3|aulldiv|alldiv|aullrem|allrem)", s) for s in undefined
    )


USER_SOURCE = """
#ifdef LEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifdef AFTER
#include "tap-windows.h"
#include <windows.h>
#include <winioctl.h>
#else
#include <windows.h>
#include "tap-windows.h"
#endif
_Static_assert(TAP_WIN_IOCTL_GET_MAC == 0x220004, "GET_MAC");
_Static_assert(TAP_WIN_IOCTL_GET_VERSION == 0x220008, "");
_Static_assert(TAP_WIN_IOCTL_GET_MTU == 0x22000C, "");
_Static_assert(TAP_WIN_IOCTL_GET_INFO == 0x220010, "");
_Static_assert(TAP_WIN_IOCTL_CONFIG_POINT_TO_POINT == 0x220014, "");
_Static_assert(TAP_WIN_IOCTL_SET_MEDIA_STATUS == 0x220018, "");
_Static_assert(TAP_WIN_IOCTL_CONFIG_DHCP_MASQ == 0x22001C, "");
_Static_assert(TAP_WIN_IOCTL_GET_LOG_LINE == 0x220020, "");
_Static_assert(TAP_WIN_IOCTL_CONFIG_DHCP_SET_OPT == 0x220024, "");
_Static_assert(TAP_WIN_IOCTL_CONFIG_TUN == 0x220028, "");
_Static_assert(TAP_WIN_IOCTL_PRIORITY_BEHAVIOR == 0x22002C, "");
_Static_assert(TAP_PRIORITY_BEHAVIOR_NOPRIORITY == 0 && TAP_PRIORITY_BEHAVIOR_ENABLED == 1, "");
_Static_assert(TAP_PRIORITY_BEHAVIOR_ADDALWAYS == 2 && TAP_PRIORITY_BEHAVIOR_MAX == 2, "");
#if !defined(LEAN) || defined(AFTER)
_Static_assert(TAP_WIN_CONTROL_CODE(12, METHOD_BUFFERED) == 0x220030, "user's own code");
#endif
const char adapter_key[] = ADAPTER_KEY;
const char connections_key[] = NETWORK_CONNECTIONS_KEY;
const char path[] = USERMODEDEVICEDIR "{GUID}" TAP_WIN_SUFFIX;
const char sys_name[] = SYSDEVICEDIR "{GUID}" TAP_WIN_SUFFIX;
const char link_name[] = USERDEVICEDIR "{GUID}" TAP_WIN_SUFFIX;
"""


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("variant", [[], ["-DLEAN"], ["-DAFTER"], ["-DLEAN", "-DAFTER"]])
def test_public_header_in_user_mode(tmp_path: Path, target: str, variant: list[str]) -> None:
    (tmp_path / "u.c").write_text(USER_SOURCE)
    run(
        [
            *ZIG,
            "cc",
            "-target",
            target,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{INCLUDE}",
            *variant,
            "-c",
            "u.c",
            "-o",
            "u.o",
        ],
        cwd=tmp_path,
    )


@pytest.mark.slow
@pytest.mark.parametrize("target", ["x86-windows-gnu", "x86_64-windows-gnu"])
def test_public_header_and_core_in_kernel_mode(tmp_path: Path, target: str) -> None:
    """With the kernel headers (zig's wdm.h has no arm64 branch; the driver patches that)."""
    (tmp_path / "k.c").write_text(
        '#include <ddk/wdm.h>\n#include "tap-windows.h"\n#include "tapcore.h"\n'
        '_Static_assert(TAP_WIN_IOCTL_CONFIG_TUN == 0x220028, "");\n'
        '_Static_assert(TAPC_STATUS_BUFFER_TOO_SMALL == (ULONG)STATUS_BUFFER_TOO_SMALL, "");\n'
        '_Static_assert(TAPC_STATUS_CANCELLED == (ULONG)STATUS_CANCELLED, "");\n'
        '_Static_assert(TAPC_STATUS_INVALID_PARAMETER == (ULONG)STATUS_INVALID_PARAMETER, "");\n'
        "_Static_assert(TAPC_STATUS_INVALID_DEVICE_REQUEST =="
        ' (ULONG)STATUS_INVALID_DEVICE_REQUEST, "");\n'
        '_Static_assert(TAPC_STATUS_UNSUCCESSFUL == (ULONG)STATUS_UNSUCCESSFUL, "");\n'
        '_Static_assert(TAPC_STATUS_PENDING == (ULONG)STATUS_PENDING, "");\n'
        '_Static_assert(TAPC_STATUS_NO_MORE_ENTRIES == (ULONG)STATUS_NO_MORE_ENTRIES, "");\n'
    )
    run(
        [
            *ZIG,
            "cc",
            "-target",
            target,
            "-std=c11",
            "-ffreestanding",
            "-Wall",
            "-Werror",
            f"-I{INCLUDE}",
            f"-I{CORE}",
            "-c",
            "k.c",
            "-o",
            "k.o",
        ],
        cwd=tmp_path,
    )
