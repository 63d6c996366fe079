"""Command lines of the Microsoft toolchains (EWDK and Visual Studio + WDK).

Both toolchain Tools (site_tools/ewdk.py, site_tools/wdk.py) differ only in where the
environment comes from; the flags are set here, once. They cannot run off Windows: tests
check the exact command lines with ``scons -n`` (see tests/build/test_msvc_commands.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path, PureWindowsPath
from typing import Any

from tapbuild import atomic, toolrun
from tapbuild.arch import ARCHES, Arch
from tapbuild.errors import TapError

# SetupBuildEnv.cmd's argument is each arch's ``ewdk_setup`` (tapbuild.arch), in vcvarsall's
# <host>_<target> form: x64-hosted tools for every target (a lone "arm64" would mean
# arm64-hosted tools, which an x64 machine cannot run; "amd64_x86" rather than "x86" so that all
# three arches use the same 64-bit host tools).

# The variable SetupBuildEnv.cmd sets, and refuses to run when it finds it already set (a shell
# that ran it before: an EWDK prompt). The build runs the batch file without it.
EWDK_MARKER_VARIABLE = "WindowsSystemKit"

# Windows 8: the first Windows with the __fastfail interrupt (int 0x29).
_FASTFAIL_WINDOWS = (6, 2)


def gs_library(arch: Arch) -> str:
    """The /GS runtime of kernel images, by the arch's oldest Windows, as the WDK chooses it:
    BufferOverflowK.lib (bug check 0xF7) for targets older than Windows 8, whose kernels lack
    __fastfail; BufferOverflowFastFailK.lib from Windows 8 on."""
    if arch.min_windows < _FASTFAIL_WINDOWS:
        return "BufferOverflowK.lib"
    return "BufferOverflowFastFailK.lib"


def kernel_static_libs(arch: Arch) -> list[str]:
    """Static kernel libraries, named before the import libraries so that the linker resolves
    from them first: on i386 the kit's memcmp.lib, as the WDK's own builds do for Windows 7 x86
    targets (Windows 7 x86's ntoskrnl does not export memcmp: the image must not import it)."""
    return ["memcmp.lib"] if arch.name == "i386" else []


def kit_paths(
    kit_root: str, version: str, arch: Arch
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(kernel include dirs, user include dirs, kernel lib dirs, user lib dirs) of a Windows kit."""
    root = PureWindowsPath(kit_root)
    inc = root / "Include" / version
    lib = root / "Lib" / version
    la = arch.msvc
    kernel_inc = [str(inc / "km"), str(inc / "km" / "crt"), str(inc / "shared")]
    user_inc = [str(inc / "um"), str(inc / "shared"), str(inc / "ucrt")]
    return (
        kernel_inc,
        user_inc,
        [str(lib / "km" / la)],
        [str(lib / "um" / la), str(lib / "ucrt" / la)],
    )


def configure(env: Any, kit_root: str, version: str) -> None:
    """Set every construction variable tapcommon's Builders need, for cl/link/rc (the
    variables are listed in site_tools/tapcommon.py)."""
    arch: Arch = env["TAP_ARCH"]
    debug = env["TAP_CONFIG"] == "debug"
    major, minor = arch.min_windows
    winnt = f"0x{major:02X}{minor:02X}"
    kernel_inc, user_inc, kernel_lib, user_lib = kit_paths(kit_root, version, arch)
    env["CC"] = "cl"
    env["OBJSUFFIX"] = ".obj"
    env["INCPREFIX"] = "/I"
    env["CPPDEFPREFIX"] = "/D"
    env["CCCOM"] = "$CC /nologo /c $CFLAGS $CCFLAGS $_CCCOMCOM /Fo$TARGET $SOURCES"
    env.Append(
        CCFLAGS=["/Brepro", "/Z7", "/W4", "/WX", "/GF", "/Gy", "/GR-", "/Zc:wchar_t", "/Zc:inline"]
        + (["/Od"] if debug else ["/O2", "/Oy-"]),
        CPPDEFINES=[
            *arch.msvc_defines,
            f"_WIN32_WINNT={winnt}",
            f"WINVER={winnt}",
            f"NTDDI_VERSION={winnt}0000",
        ],
    )
    env["TAP_KIT_ROOT"], env["TAP_KIT_VERSION"] = kit_root, version  # devcon's build too
    # Kit headers are passed as plain flags: they are not scanned for dependencies.
    env["TAP_KERNEL_CCFLAGS"] = (
        ["/kernel", "/GS"] + (["/Gz"] if arch.name == "i386" else []) + _includes(kernel_inc)
    )
    env["TAP_KERNEL_CPPDEFINES"] = [*env["TAP_DRIVER_CPPDEFINES"], "_KERNEL_MODE", "WINNT=1"]
    env["TAP_KERNEL_CPPPATH"] = []
    env["TAP_KERNEL_KITLIBPATH"] = kernel_lib
    env["TAP_KERNEL_LIBS"] = [*kernel_static_libs(arch), gs_library(arch)]
    env["TAP_USER_CCFLAGS"] = _includes(user_inc)
    env["TAP_USER_CPPDEFINES"] = ["UNICODE", "_UNICODE", "WIN32_LEAN_AND_MEAN"]
    env["TAP_USER_CPPPATH"] = []
    env["TAP_USER_KITLIBPATH"] = user_lib
    # No C runtime: nothing would set up the /GS cookie.
    env["TAP_PROGRAM_CCFLAGS"] = ["/GS-"]
    env["TAP_DLL_CCFLAGS"] = ["/GS-"]
    env["TAP_LIBS_FROM_TABLE"] = False
    env["TAP_RC"] = "rc"
    env["TAP_RCFLAGS"] = ["/nologo"]
    env["TAP_RCCOM"] = "$TAP_RC $TAP_RCFLAGS /fo$TARGET $SOURCE"
    env["TAP_LINK"] = "link"
    env["TAP_LINKFLAGS"] = [
        "/nologo", f"/MACHINE:{arch.link_machine}", "/NODEFAULTLIB", "/DYNAMICBASE", "/NXCOMPAT",
        "/RELEASE", "/Brepro", "/OPT:REF", "/OPT:ICF", "/INCREMENTAL:NO", "/DEBUG",
        "/PDBALTPATH:%_PDB%",
    ]  # fmt: skip
    subsystem = f"{major}.{minor:02d}"
    env["TAP_KLINKFLAGS"] = [
        "$TAP_LINKFLAGS", "/DRIVER", f"/SUBSYSTEM:NATIVE,{subsystem}", "/ENTRY:GsDriverEntry"
    ]
    env["TAP_PLINKFLAGS"] = ["$TAP_LINKFLAGS", f"/SUBSYSTEM:CONSOLE,{subsystem}", "/ENTRY:$TAP_ENTRY"]
    env["TAP_DLINKFLAGS"] = [
        "$TAP_LINKFLAGS", "/DLL", "/NOENTRY", f"/SUBSYSTEM:WINDOWS,{subsystem}", "/DEF:$TAP_DEFFILE"
    ]
    # Programs built from foreign sources (devcon with ti=DIR) link the static C runtime.
    env["TAP_STATIC_CRT_CCFLAGS"] = ["/MT" if not debug else "/MTd", "/EHsc"]


def _includes(dirs: list[str]) -> list[str]:
    return [f"/I{d}" for d in dirs]


def table_libs(dlls: list[str]) -> list[str]:
    """Kit import libraries for the DLLs of an import table (ntoskrnl.exe -> ntoskrnl.lib)."""
    return sorted({f"{PureWindowsPath(d).stem.lower()}.lib" for d in dlls})


def ewdk_cache(ewdk: Path, arch: Arch, cache_dir: Path) -> tuple[Path, dict[str, str]]:
    """Where the captured environment of ``arch`` is cached, and the key stored with it.

    The key holds the EWDK path, the arch and the batch file's size and mtime, so a no-op
    build never reruns it and a different EWDK is never confused with this one.
    """
    script = ewdk / "BuildEnv" / "SetupBuildEnv.cmd"
    if not script.is_file():
        raise TapError(
            f"ewdk={ewdk}: no BuildEnv\\SetupBuildEnv.cmd there; accepted: the root of a mounted EWDK"
        )
    stat = script.stat()
    key = {
        "kind": "ewdk",
        "root": str(ewdk),
        "arch": arch.ewdk_setup,
        "stamp": f"{stat.st_size}:{int(stat.st_mtime)}",
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / f"ewdk-{arch.msvc}-{digest}.json", key


def ewdk_environment(
    ewdk: Path, arch: Arch, cache_dir: Path, write_cache: bool = True
) -> dict[str, str]:
    """The environment SetupBuildEnv.cmd makes for ``arch``, captured once and cached on disk
    (``write_cache=False``: read a cached one, but write nothing, as for ``scons -n`` or
    ``-h``)."""
    cached, key = ewdk_cache(ewdk, arch, cache_dir)
    script = ewdk / "BuildEnv" / "SetupBuildEnv.cmd"
    if cached.is_file():
        data = json.loads(cached.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return dict(data["environ"])
    environ = _run_batch(script, arch.ewdk_setup)
    if not write_cache:
        return environ
    cache_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_text(
        cached, json.dumps({"key": key, "environ": environ}, sort_keys=True, indent=1)
    )
    return environ


_ENV_MARKER = "__TAP_ENV_BEGIN__"


def setup_command(script: Path, arch_arg: str) -> list[str]:
    """The cmd.exe command that runs SetupBuildEnv.cmd for one arch and prints the result."""
    return [
        "cmd.exe", "/d", "/c",
        f'call "{script}" {arch_arg} >nul && echo {_ENV_MARKER} && set',
    ]  # fmt: skip


def setup_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment SetupBuildEnv.cmd runs in: this one without WindowsSystemKit (names
    compared case-blind), so that a build started from an EWDK prompt can run it again."""
    marker = EWDK_MARKER_VARIABLE.upper()
    return {k: v for k, v in environ.items() if k.upper() != marker}


def _on_windows() -> bool:
    return os.name == "nt"


def _run_batch(script: Path, arch_arg: str) -> dict[str, str]:
    if not _on_windows():
        raise TapError(
            f"toolchain=ewdk runs {script.name} with cmd.exe: only on Windows; use toolchain=zig here"
        )
    marker = _ENV_MARKER
    res = toolrun.run(
        setup_command(script, arch_arg),
        environ=setup_environment(os.environ),
        keep_proxy=True,
        stdin=None,
        merge_stderr=False,
        text=True,
        timeout=None,
    )
    if res.returncode != 0 or marker not in res.output:
        raise TapError(
            f"{script}: failed (exit {res.returncode}); check that the EWDK is complete"
        )
    environ: dict[str, str] = {}
    for line in res.output.split(marker, 1)[1].splitlines():
        name, sep, value = line.partition("=")
        if sep and name:
            environ[name] = value
    return environ


def kit_from_environment(environ: Mapping[str, str], kind: str) -> tuple[str, str]:
    """(kit root, kit version) from an EWDK or Developer Command Prompt environment."""
    upper = _upper(environ)
    if kind == "ewdk":
        root, version = upper.get("WDKCONTENTROOT", ""), upper.get("VERSION_NUMBER", "")
    else:
        root, version = upper.get("WINDOWSSDKDIR", ""), upper.get("WINDOWSSDKVERSION", "")
    version = version.strip("\\")
    if not root or not version:
        where = (
            "the EWDK's SetupBuildEnv.cmd"
            if kind == "ewdk"
            else "a Visual Studio Developer Command Prompt"
        )
        raise TapError(
            f"toolchain={kind}: no Windows kit found in the environment; run from {where}"
        )
    return root, version


def prompt_target(environ: Mapping[str, str], arch: Arch) -> str:
    """The arch a Developer Command Prompt targets (VSCMD_ARG_TGT_ARCH: x86, x64, arm64 ...),
    or a one-line TapError outside such a prompt (Visual Studio 2017 or later)."""
    target = _upper(environ).get("VSCMD_ARG_TGT_ARCH", "").strip().lower()
    if not target:
        raise TapError(
            "toolchain=wdk: no VSCMD_ARG_TGT_ARCH in the environment; run from a Visual Studio "
            f"2017 or later Developer Command Prompt (for {arch.msvc}, or any: the other arches "
            "are set up through SCons's msvc Tool)"
        )
    return target


# The environment variables of a prompt that hold its one target's folders: left out when
# SCons's msvc Tool sets up another target, which puts its own there.
TARGET_PATH_VARIABLES = ("INCLUDE", "LIB", "LIBPATH")


def cross_setup(environ: Mapping[str, str], arch: Arch) -> dict[str, str] | None:
    """How toolchain=wdk builds ``arch`` from this Developer Command Prompt.

    None when the prompt targets ``arch``: its environment is used as it is (one prompt per
    arch, as before). Otherwise the construction variables with which SCons's own msvc Tool
    runs vcvarsall.bat for ``arch`` (``TARGET_ARCH``), pinned to the prompt's Visual Studio
    toolset (``MSVC_VERSION``, ``MSVC_TOOLSET_VERSION``) and Windows SDK
    (``MSVC_SDK_VERSION``), with a missing toolset an error rather than a warning.
    """
    if prompt_target(environ, arch) == arch.msvc:
        return None
    upper = _upper(environ)
    setup = {"TARGET_ARCH": arch.name, "MSVC_NOTFOUND_POLICY": "error"}
    tools = upper.get("VCTOOLSVERSION", "").strip()  # 14.38.33130
    parts = tools.split(".")
    if len(parts) >= 2 and all(p.isdigit() for p in parts):
        setup["MSVC_VERSION"] = f"{parts[0]}.{parts[1][0]}"  # 14.3: Visual Studio 2022
        setup["MSVC_TOOLSET_VERSION"] = tools
    sdk = upper.get("WINDOWSSDKVERSION", "").strip().strip("\\")
    if sdk:
        setup["MSVC_SDK_VERSION"] = sdk
    return setup


def without_target_paths(environ: Mapping[str, str]) -> dict[str, str]:
    """A prompt's environment without the folders of its own target (TARGET_PATH_VARIABLES)."""
    return {k: v for k, v in environ.items() if k.upper() not in TARGET_PATH_VARIABLES}


def _upper(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment with upper-case names (Windows names are case-blind)."""
    return {k.upper(): v for k, v in environ.items()}
