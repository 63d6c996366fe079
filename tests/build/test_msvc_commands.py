"""The exact EWDK/WDK command lines, checked with ``scons -n`` (cl/link/rc cannot run here).

For the EWDK, the environment SetupBuildEnv.cmd would give is placed in the build's cache, as
a first build on Windows leaves it; for the WDK it comes from the Developer Command Prompt's
variables.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tapbuild import msvc
from tapbuild.arch import ARCHES

KIT = "C:\\EWDK\\Program Files\\Windows Kits\\10\\"
VERSION = "10.0.22621.0"
KM_INC = f"{KIT}Include\\{VERSION}\\km"


@pytest.fixture(scope="module")
def tree(make_tree: Callable[[str], Path]) -> Path:
    return make_tree("msvc")


@pytest.fixture(scope="module")
def fake_ewdk(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ewdk")
    (root / "BuildEnv").mkdir()
    (root / "BuildEnv" / "SetupBuildEnv.cmd").write_text("@echo off\r\n")
    for arch in ARCHES.values():
        path, key = msvc.ewdk_cache(root, arch, tree / "build" / "toolchain-env")
        path.parent.mkdir(parents=True, exist_ok=True)
        environ = {"WDKContentRoot": KIT, "Version_Number": VERSION, "PATH": "C:\\EWDK\\bin"}
        path.write_text(json.dumps({"key": key, "environ": environ}))
    return root


def dry_run(tree: Path, *args: str, env: dict[str, str] | None = None) -> list[list[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-n", "-C", str(tree), "verbose=1", *args],
        capture_output=True, text=True, check=False, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [
        shlex.split(line, posix=False)
        for line in proc.stdout.splitlines()
        if line.startswith(("cl ", "link ", "rc "))
    ]


def commands(lines: list[list[str]], tool: str, ending: str) -> list[list[str]]:
    return [argv for argv in lines if argv[0] == tool and any(a.endswith(ending) for a in argv)]


ARCH_FLAGS = {
    "i386": (["/Gz", "/D_X86_=1", "/Di386=1"], "/MACHINE:X86", "0x0601"),
    "amd64": (["/D_WIN64", "/D_AMD64_", "/DAMD64"], "/MACHINE:X64", "0x0601"),
    "arm64": (["/D_WIN64", "/D_ARM64_", "/DARM64"], "/MACHINE:ARM64", "0x0A00"),
}


@pytest.mark.parametrize("config", ["release", "debug", "hlk"])
@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_ewdk_driver_commands(tree: Path, fake_ewdk: Path, arch: str, config: str) -> None:
    lines = dry_run(tree, "toolchain=ewdk", f"ewdk={fake_ewdk}", f"arch={arch}", f"config={config}")
    arch_flags, machine, winnt = ARCH_FLAGS[arch]
    (cl,) = commands(lines, "cl", "driver.c")
    assert cl[:3] == ["cl", "/nologo", "/c"]
    for flag in ["/kernel", "/GS", "/Brepro", "/Z7", "/W4", "/WX", f'"/I{KM_INC}"', *arch_flags]:
        assert flag in cl, flag
    for define in [
        "NDIS_MINIPORT_DRIVER",
        "NDIS620_MINIPORT",
        "NDIS630_MINIPORT",
        "NDIS_WDM=1",
        "_KERNEL_MODE",
    ]:
        assert f"/D{define}" in cl, define
    assert f"/D_WIN32_WINNT={winnt}" in cl and f"/DNTDDI_VERSION={winnt}0000" in cl
    if config == "debug":
        assert "/Od" in cl and "/DDBG=1" in cl and "/DTAP_DEBUG=1" in cl
    else:
        assert "/O2" in cl and "/DNDEBUG" in cl and "/DTAP_DEBUG=0" in cl
    assert ("/Gz" in cl) == (arch == "i386")
    assert f"/Fobuild/{config}/{arch}/driver/driver.obj" in cl
    (link,) = commands(lines, "link", ".sys")
    for flag in [machine, "/DRIVER", "/ENTRY:GsDriverEntry", "/NODEFAULTLIB", "/RELEASE", "/NXCOMPAT",
                 "/DYNAMICBASE", "/Brepro", "/OPT:REF", "/INCREMENTAL:NO", "ntoskrnl.lib",
                 "BufferOverflowFastFailK.lib"]:  # fmt: skip
        assert flag in link, flag
    sub = "NATIVE,10.00" if arch == "arm64" else "NATIVE,6.01"
    assert f"/SUBSYSTEM:{sub}" in link
    assert f"/OUT:build/{config}/{arch}/driver/tap0901.sys" in link
    assert f"/PDB:build/{config}/{arch}/driver/tap0901.pdb" in link
    assert (
        f'"/LIBPATH:{KIT}Lib\\{VERSION}\\km\\{ {"i386": "x86", "amd64": "x64", "arm64": "arm64"}[arch] }"'
        in link
    )
    # krt.c (zig's runtime) is compiled but empty: the WDK's GsDriverEntry comes from the lib.
    (rc,) = commands(lines, "rc", "tap0901-version.rc")
    assert rc[:2] == ["rc", "/nologo"]


def test_wdk_uses_developer_prompt_kit(tree: Path) -> None:
    env = {
        "WindowsSdkDir": "C:\\Program Files (x86)\\Windows Kits\\10\\",
        "WindowsSDKVersion": "10.0.26100.0\\",
    }
    lines = dry_run(tree, "toolchain=wdk", "arch=amd64", env=env)
    (cl,) = commands(lines, "cl", "driver.c")
    assert '"/IC:\\Program Files (x86)\\Windows Kits\\10\\Include\\10.0.26100.0\\km"' in cl
    (link,) = commands(lines, "link", ".sys")
    assert (
        '"/LIBPATH:C:\\Program Files (x86)\\Windows Kits\\10\\Lib\\10.0.26100.0\\km\\x64"' in link
    )


def test_wdk_outside_developer_prompt(tree: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in {"WINDOWSSDKDIR", "WINDOWSSDKVERSION"}
    }
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-n", "-C", str(tree), "toolchain=wdk"],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode != 0
    assert (
        "toolchain=wdk: no Windows kit found in the environment; run from a Visual Studio Developer Command Prompt"
        in proc.stderr
    )


def test_ewdk_environment_needs_windows(tmp_path: Path) -> None:
    """Off Windows, an uncached EWDK environment is one clear error, not a crash."""
    root = tmp_path / "ewdk"
    (root / "BuildEnv").mkdir(parents=True)
    (root / "BuildEnv" / "SetupBuildEnv.cmd").write_text("@echo off\r\n")
    with pytest.raises(
        msvc.TapError,
        match=r"toolchain=ewdk runs SetupBuildEnv\.cmd with cmd\.exe: only on Windows",
    ):
        msvc.ewdk_environment(root, ARCHES["amd64"], tmp_path / "cache")
    with pytest.raises(msvc.TapError, match="no BuildEnv"):
        msvc.ewdk_environment(tmp_path, ARCHES["amd64"], tmp_path / "cache")
