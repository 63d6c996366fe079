"""How every driver source is compiled, read from `scons -n`: with zig (the kernel flags: no
floating point or SIMD, stack protector, freestanding, the NDIS and version defines) and with
the EWDK's cl and link (which cannot run here: the exact command lines are the check)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tapbuild.arch import ARCHES

ROOT = Path(__file__).resolve().parents[2]
GLUE = ["driver.c", "adapter.c", "oid.c", "device.c", "datapath.c"]
CORE = sorted(p.name for p in (ROOT / "driver" / "core").glob("*.c"))
ALL = [*GLUE, "krt.c", *(f"core/{c}" for c in CORE)]
KERNEL_CPU = {
    "i386": "baseline-mmx-sse-sse2-x87",
    "amd64": "baseline-mmx-sse-sse2-x87",
    "arm64": "baseline-neon-fp_armv8",
}
NTDDI = {"i386": "0x06010000", "amd64": "0x06010000", "arm64": "0x0A000000"}
NDIS_DEFINES = ["NDIS_MINIPORT_DRIVER", "NDIS620_MINIPORT", "NDIS630_MINIPORT", "NDIS_WDM=1"]


def dry_run(tree: Path, *args: str) -> list[list[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-n", "-C", str(tree), "verbose=1", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [shlex.split(line, posix=False) for line in proc.stdout.splitlines()]


def compile_line(lines: list[list[str]], source: str, tool: str) -> list[str]:
    found = [
        argv
        for argv in lines
        if tool in argv and any(a.replace("\\", "/").endswith(f"driver/{source}") for a in argv)
    ]
    assert len(found) == 1, (source, found)
    return found[0]


@pytest.mark.parametrize("config", ["release", "debug"])
@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_zig_kernel_flags(source_tree: Path, arch: str, config: str) -> None:
    lines = dry_run(source_tree, f"arch={arch}", f"config={config}")
    debug = config == "debug"
    for source in ALL:
        argv = compile_line(lines, source, "cc")
        assert argv[argv.index("-target") + 1] == ARCHES[arch].zig_target
        for flag in ["-ffreestanding", "-fstack-protector-strong", "-mgeneral-regs-only",
                     f"-mcpu={KERNEL_CPU[arch]}", "-Werror", "-std=gnu11"]:  # fmt: skip
            assert flag in argv, (source, flag)
        for define in [*NDIS_DEFINES, f"NTDDI_VERSION={NTDDI[arch]}", "TAP_HAVE_PRODUCT_H",
                       f"TAP_DEBUG={int(debug)}", "DBG=1" if debug else "NDEBUG"]:  # fmt: skip
            assert f"-D{define}" in argv, (source, define)
        assert ("-O0" if debug else "-O2") in argv
        # The -mcpu name is the last word on the CPU: nothing after it turns a feature back on.
        assert not [a for a in argv if a.startswith(("-msse", "-mavx", "-mfpu", "-mmmx"))]


@pytest.mark.parametrize(("arch", "minimum"), [("i386", "620"), ("amd64", "620"), ("arm64", "630")])
def test_the_oldest_ndis_the_driver_loads_on(source_tree: Path, arch: str, minimum: str) -> None:
    """ARM64 (Windows 10 and later) refuses NDIS below 6.30, so it always registers 6.30: the
    macro as the real compile command for the arch preprocesses it."""
    argv = compile_line(dry_run(source_tree, f"arch={arch}"), "driver.c", "cc")
    # The headers the build generates (zig's patched ddk overlay), which a dry run only names.
    made = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-C", str(source_tree), f"arch={arch}", "headers"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    out = argv.index("-o")
    argv = [a for a in argv[:out] + argv[out + 2 :] if a not in ("-c", "-DTAP_HAVE_PRODUCT_H")]
    proc = subprocess.run(
        [*argv, "-E", "-dM"], cwd=source_tree, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert f"#define TAP_NDIS_MINIMUM TAP_NDIS_{minimum}" in proc.stdout.splitlines()


@pytest.mark.parametrize("config", ["release", "debug"])
@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_ewdk_compiles_and_links_every_driver_file(
    source_tree: Path, fake_ewdk: Any, arch: str, config: str
) -> None:
    lines = dry_run(source_tree, "toolchain=ewdk", f"ewdk={fake_ewdk.root}", f"arch={arch}",
                    f"config={config}")  # fmt: skip
    km = f'"/I{fake_ewdk.kit}Include\\{fake_ewdk.version}\\km"'
    objects = []
    assert not [argv for argv in lines if any(a.endswith("krt.c") for a in argv)]  # zig's only
    for source in [s for s in ALL if s != "krt.c"]:
        argv = compile_line(lines, source, "cl")
        for flag in ["/kernel", "/GS", "/W4", "/WX", km, "/DNDIS_WDM=1", "/D_KERNEL_MODE",
                     f"/DTAP_DEBUG={int(config == 'debug')}"]:  # fmt: skip
            assert flag in argv, (source, flag)
        assert ("/Gz" in argv) == (arch == "i386")  # stdcall by default, as NTAPI
        obj = next(a for a in argv if a.startswith("/Fo"))[3:]
        assert obj == f"build/{config}/{arch}/driver/{source.removesuffix('.c')}.obj"
        objects.append(obj)
    (link,) = [
        argv for argv in lines if argv[0] == "link" and any(a.endswith(".sys") for a in argv)
    ]
    assert set(objects) <= set(link)
    gs = "BufferOverflowFastFailK.lib" if arch == "arm64" else "BufferOverflowK.lib"
    for lib in ["ntoskrnl.lib", "ndis.lib", gs]:
        assert lib in link
    assert ("hal.lib" in link) == (arch == "i386")
    assert ("memcmp.lib" in link) == (arch == "i386")
    assert "/ENTRY:GsDriverEntry" in link and "/DRIVER" in link
