"""The exact EWDK/WDK command lines, checked with ``scons -n`` (cl/link/rc cannot run here).

For the EWDK, the environment SetupBuildEnv.cmd would give is placed in the build's cache, as
a first build on Windows leaves it; for the WDK it comes from the Developer Command Prompt's
variables (the kit, and VSCMD_ARG_TGT_ARCH: the one target a prompt is set up for).

Every builder is covered for both toolchains, every arch and every config: the kernel driver
(tap0901.sys), the console program (tapinstall.exe) and the installer DLL (tapmsi.dll).
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
from tapbuild.build import msvc
from tapbuild.arch import ARCHES
from tapbuild.build.imports import for_arch, for_toolchain, load_table

ROOT = Path(__file__).resolve().parents[2]
KIT = "C:\\EWDK\\Program Files\\Windows Kits\\10\\"
VERSION = "10.0.22621.0"
KM_INC = f"{KIT}Include\\{VERSION}\\km"
LIB_ARCH = {"i386": "x86", "amd64": "x64", "arm64": "arm64"}
TOOLCHAINS = ["ewdk", "wdk"]
CONFIGS = ["release", "debug", "hlk"]


def prompt(target: str | None, sdk: str = KIT, version: str = VERSION) -> dict[str, str]:
    """A Developer Command Prompt's variables (upper case, as Windows keeps them)."""
    environ = {"WINDOWSSDKDIR": sdk, "WINDOWSSDKVERSION": version + "\\"}
    if target is not None:
        environ["VSCMD_ARG_TGT_ARCH"] = target
        environ["VSCMD_ARG_HOST_ARCH"] = "x64"
    return environ


def without_prompt() -> dict[str, str]:
    """This process's environment without any Developer Command Prompt variable."""
    names = {"WINDOWSSDKDIR", "WINDOWSSDKVERSION", "VSCMD_ARG_TGT_ARCH", "VSCMD_ARG_HOST_ARCH"}
    return {k: v for k, v in os.environ.items() if k.upper() not in names}


def out(config: str, arch: str, *rest: str) -> str:
    """A build path as scons prints it on this host."""
    return os.path.join("build", config, arch, *rest)


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


def run_scons(tree: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-C", str(tree), *args],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip


def dry_run(tree: Path, *args: str, env: dict[str, str] | None = None) -> list[list[str]]:
    proc = run_scons(tree, "-n", "verbose=1", *args, env={**without_prompt(), **(env or {})})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [
        shlex.split(line, posix=False)
        for line in proc.stdout.splitlines()
        if line.startswith(("cl ", "link ", "rc "))
    ]


@pytest.fixture(scope="module")
def build_lines(tree: Path, fake_ewdk: Path) -> Callable[[str, str, str], list[list[str]]]:
    """The command lines of a whole default build, per (toolchain, arch, config), run once."""
    done: dict[tuple[str, str, str], list[list[str]]] = {}

    def lines(toolchain: str, arch: str, config: str) -> list[list[str]]:
        if (toolchain, arch, config) not in done:
            args = [f"toolchain={toolchain}", f"arch={arch}", f"config={config}"]
            if toolchain == "ewdk":
                done[toolchain, arch, config] = dry_run(tree, *args, f"ewdk={fake_ewdk}")
            else:
                done[toolchain, arch, config] = dry_run(tree, *args, env=prompt(ARCHES[arch].msvc))
        return done[toolchain, arch, config]

    return lines


def commands(lines: list[list[str]], tool: str, ending: str) -> list[list[str]]:
    return [argv for argv in lines if argv[0] == tool and any(a.endswith(ending) for a in argv)]


def table_libs(imports: str, toolchain: str, arch: str) -> list[str]:
    """The kit import libraries a link must name: one per DLL of the table, for this arch."""
    return sorted(
        {
            f"{Path(i.dll).stem.lower()}.lib"
            for i in load_table(ROOT / imports)
            if (not i.arches or arch in i.arches)
            and (not i.toolchains or toolchain in i.toolchains)
        }
    )


ARCH_FLAGS = {
    "i386": (["/D_X86_=1", "/Di386=1"], "/MACHINE:X86", "0x0601"),
    "amd64": (["/D_WIN64", "/D_AMD64_", "/DAMD64"], "/MACHINE:X64", "0x0601"),
    "arm64": (["/D_WIN64", "/D_ARM64_", "/DARM64"], "/MACHINE:ARM64", "0x0A00"),
}
ALL = pytest.mark.parametrize(
    ("toolchain", "arch", "config"),
    [(t, a, c) for t in TOOLCHAINS for a in sorted(ARCHES) for c in CONFIGS],
)


def check_compile(cl: list[str], arch: str, config: str) -> None:
    """What every cl line has, whatever it builds."""
    arch_flags, _, winnt = ARCH_FLAGS[arch]
    assert cl[:3] == ["cl", "/nologo", "/c"]
    for flag in ["/Brepro", "/Z7", "/W4", "/WX", "/GF", "/Gy", "/GR-", *arch_flags]:
        assert flag in cl, flag
    assert f"/D_WIN32_WINNT={winnt}" in cl and f"/DWINVER={winnt}" in cl
    assert f"/DNTDDI_VERSION={winnt}0000" in cl
    if config == "debug":
        assert "/Od" in cl and "/O2" not in cl
    else:
        assert "/O2" in cl and "/Oy-" in cl and "/Od" not in cl


def check_link(link: list[str], arch: str, config: str, name: str, subdir: str) -> None:
    """What every link line has: machine, hardening, reproducible output, image and .pdb."""
    _, machine, _ = ARCH_FLAGS[arch]
    assert link[:3] == ["link", "/nologo", machine]
    for flag in ["/NODEFAULTLIB", "/DYNAMICBASE", "/NXCOMPAT", "/RELEASE", "/Brepro", "/OPT:REF",
                 "/OPT:ICF", "/INCREMENTAL:NO", "/DEBUG", "/PDBALTPATH:%_PDB%"]:  # fmt: skip
        assert flag in link, flag
    assert f"/OUT:{out(config, arch, subdir, name)}" in link
    assert f"/PDB:{out(config, arch, subdir, Path(name).stem)}.pdb" in link


def check_objects(lines: list[list[str]], link: list[str], config: str, arch: str, sub: str) -> int:
    """The link takes exactly the objects cl makes for this image, and its version resource."""
    where = out(config, arch, sub) + os.sep
    made = sorted(a[3:] for cl in lines if cl[0] == "cl" for a in cl if a.startswith("/Fo"))
    made = [m for m in made if m.startswith(where)]
    assert made and sorted(a for a in link if a.endswith(".obj")) == made
    stem = Path(next(a[5:] for a in link if a.startswith("/OUT:"))).stem
    (rc,) = commands(lines, "rc", f"{stem}-version.rc")
    res = out(config, arch, sub, f"{stem}-version.res")
    assert rc == ["rc", "/nologo", f"/fo{res}", out(config, arch, sub, f"{stem}-version.rc")]
    assert res in link
    return len(made)


def user_libpaths(arch: str) -> list[str]:
    la = LIB_ARCH[arch]
    return [f'"/LIBPATH:{KIT}Lib\\{VERSION}\\{kind}\\{la}"' for kind in ("um", "ucrt")]


def check_user_compile(cl: list[str], arch: str, config: str) -> None:
    """cl for a user-mode image without C runtime: user headers, no cookie, no kernel mode."""
    check_compile(cl, arch, config)
    for kind in ("um", "shared", "ucrt"):
        assert f'"/I{KIT}Include\\{VERSION}\\{kind}"' in cl, kind
    for flag in ("/GS-", "/DUNICODE", "/D_UNICODE", "/DWIN32_LEAN_AND_MEAN"):
        assert flag in cl, flag
    for flag in (
        "/kernel",
        "/GS",
        "/Gz",
        f'"/I{KM_INC}"',
        "/D_KERNEL_MODE",
        "/DNDIS_MINIPORT_DRIVER",
    ):
        assert flag not in cl, flag


@ALL
def test_driver_commands(
    build_lines: Callable[[str, str, str], list[list[str]]], toolchain: str, arch: str, config: str
) -> None:
    lines = build_lines(toolchain, arch, config)
    (cl,) = commands(lines, "cl", "driver.c")
    check_compile(cl, arch, config)
    for flag in ["/kernel", "/GS", f'"/I{KM_INC}"', f'"/I{KM_INC}\\crt"']:
        assert flag in cl, flag
    for define in [
        "NDIS_MINIPORT_DRIVER",
        "NDIS620_MINIPORT",
        "NDIS630_MINIPORT",
        "NDIS_WDM=1",
        "_KERNEL_MODE",
        "WINNT=1",
    ]:
        assert f"/D{define}" in cl, define
    if config == "debug":
        assert "/DDBG=1" in cl and "/DTAP_DEBUG=1" in cl
    else:
        assert "/DNDEBUG" in cl and "/DTAP_DEBUG=0" in cl
    assert ("/Gz" in cl) == (arch == "i386")
    assert ("/DSTD_CALL" in cl) == (arch != "amd64")
    assert "/GS-" not in cl and f'"/I{KIT}Include\\{VERSION}\\um"' not in cl
    assert f"/Fo{out(config, arch, 'driver', 'driver.obj')}" in cl
    for other in commands(lines, "cl", ".c"):
        if any(a.startswith(f"/Fo{out(config, arch, 'driver')}") for a in other):
            assert other[:-2] == cl[:-2]  # every driver source, the same flags

    (link,) = commands(lines, "link", ".sys")
    check_link(link, arch, config, "tap0901.sys", "driver")
    for flag in ["/DRIVER", "/ENTRY:GsDriverEntry"]:
        assert flag in link, flag
    assert f"/SUBSYSTEM:{'NATIVE,10.00' if arch == 'arm64' else 'NATIVE,6.01'}" in link
    libs = table_libs("driver/imports.py", toolchain, arch)
    assert "ntoskrnl.lib" in libs and "ndis.lib" in libs
    # i386: the kit's memcmp.lib before the import libraries (Windows 7 x86's ntoskrnl does not
    # export memcmp); /GS: the bug-check library for Windows 7 targets, __fastfail from 8 on.
    # The static libraries ($TAP_KERNEL_LIBS) come first, then the table's ($LIBS, in order).
    static = ["memcmp.lib"] if arch == "i386" else []
    gs = "BufferOverflowFastFailK.lib" if arch == "arm64" else "BufferOverflowK.lib"
    assert link[-len(libs) - len(static) - 2 :] == [
        f'"/LIBPATH:{KIT}Lib\\{VERSION}\\km\\{LIB_ARCH[arch]}"',
        *static,
        gs,
        *libs,
    ]
    others = {"memcmp.lib", "BufferOverflowK.lib", "BufferOverflowFastFailK.lib"} - {gs, *static}
    assert not others & set(link)
    # krt.c (zig's runtime) is compiled but empty: the WDK's GsDriverEntry comes from the lib.
    assert check_objects(lines, link, config, arch, "driver") > 1


@ALL
def test_console_program_commands(
    build_lines: Callable[[str, str, str], list[list[str]]], toolchain: str, arch: str, config: str
) -> None:
    """tapinstall.exe (ConsoleProgram): no C runtime, its own entry point, a console subsystem."""
    lines = build_lines(toolchain, arch, config)
    here = out(config, arch, "tapinstall")
    compiles = [cl for cl in lines if cl[0] == "cl" and f"/I{here}" in cl]
    assert sorted(Path(cl[-1]).name for cl in compiles) == sorted(
        ["ti_args.c", "ti_match.c", "ti_out.c", "ti_main.c", "win_main.c", "win_devices.c",
         "win_rt.c"]
    )  # fmt: skip
    for cl in compiles:
        check_user_compile(cl, arch, config)
        assert "/DTI_HAVE_VERSION_H" in cl  # ti_version.h, generated beside the objects
        assert cl[-2] == f"/Fo{here}{os.sep}{Path(cl[-1]).stem}.obj"

    (link,) = commands(lines, "link", "tapinstall.exe")
    check_link(link, arch, config, "tapinstall.exe", "tapinstall")
    major, minor = ARCHES[arch].min_windows
    assert f"/SUBSYSTEM:CONSOLE,{major}.{minor:02d}" in link
    assert "/ENTRY:TapinstallStart" in link
    for flag in ("/DRIVER", "/DLL", "/NOENTRY", "BufferOverflowFastFailK.lib",
                 "BufferOverflowK.lib", "memcmp.lib"):  # fmt: skip
        assert flag not in link, flag
    libs = table_libs("tapinstall/imports.py", toolchain, arch)
    assert {"kernel32.lib", "setupapi.lib", "newdev.lib", "cfgmgr32.lib"} <= set(libs)
    assert link[-len(libs) - 2 :] == [*user_libpaths(arch), *libs]
    assert check_objects(lines, link, config, arch, "tapinstall") == len(compiles)


@ALL
def test_installer_dll_commands(
    build_lines: Callable[[str, str, str], list[list[str]]], toolchain: str, arch: str, config: str
) -> None:
    """tapmsi.dll (InstallerDll, `scons msica`): exports from its .def, no entry, no C runtime."""
    lines = build_lines(toolchain, arch, config)
    here = out(config, arch, "installer", "msica")
    compiles = [cl for cl in lines if cl[0] == "cl" and cl[-2].startswith(f"/Fo{here}")]
    assert sorted(cl[-1] for cl in compiles) == [
        os.path.join("installer", "msica", "msica.c"),
        os.path.join("installer", "msica", "plan.c"),
    ]
    for cl in compiles:
        check_user_compile(cl, arch, config)
        assert "/DTI_HAVE_VERSION_H" not in cl
        assert cl[-2] == f"/Fo{here}{os.sep}{Path(cl[-1]).stem}.obj"

    (link,) = commands(lines, "link", "tapmsi.dll")
    check_link(link, arch, config, "tapmsi.dll", "installer")
    major, minor = ARCHES[arch].min_windows
    for flag in ("/DLL", "/NOENTRY", f"/SUBSYSTEM:WINDOWS,{major}.{minor:02d}",
                 f"/DEF:{os.path.join('installer', 'msica', 'tapmsi.def')}"):  # fmt: skip
        assert flag in link, flag
    assert not any(a.startswith(("/ENTRY", "/DRIVER")) for a in link)
    libs = table_libs("installer/msica/imports.py", toolchain, arch)
    assert {"msi.lib", "kernel32.lib"} <= set(libs)
    assert link[-len(libs) - 2 :] == [*user_libpaths(arch), *libs]
    assert check_objects(lines, link, config, arch, "installer") == 2


@pytest.mark.parametrize("toolchain", TOOLCHAINS)
def test_msica_alias_builds_only_the_dll(tree: Path, fake_ewdk: Path, toolchain: str) -> None:
    """``scons msica``: the three arches' tapmsi.dll, nothing else."""
    if toolchain == "ewdk":
        per_arch = [dry_run(tree, "toolchain=ewdk", f"ewdk={fake_ewdk}", "msica")]
    else:  # a prompt targets one arch: one run each
        per_arch = [
            dry_run(tree, "toolchain=wdk", f"arch={a}", "msica", env=prompt(ARCHES[a].msvc))
            for a in sorted(ARCHES)
        ]
    links = [argv for lines in per_arch for argv in lines if argv[0] == "link"]
    assert sorted(next(a for a in link if a.startswith("/OUT:")) for link in links) == sorted(
        f"/OUT:{out('release', a, 'installer', 'tapmsi.dll')}" for a in ARCHES
    )
    for lines in per_arch:
        assert {Path(cl[-1]).name for cl in lines if cl[0] == "cl"} == {"msica.c", "plan.c"}


def test_wdk_uses_developer_prompt_kit(tree: Path) -> None:
    sdk = "C:\\Program Files (x86)\\Windows Kits\\10\\"
    lines = dry_run(tree, "toolchain=wdk", "arch=amd64", env=prompt("x64", sdk, "10.0.26100.0"))
    (cl,) = commands(lines, "cl", "driver.c")
    assert f'"/I{sdk}Include\\10.0.26100.0\\km"' in cl
    (link,) = commands(lines, "link", ".sys")
    assert f'"/LIBPATH:{sdk}Lib\\10.0.26100.0\\km\\x64"' in link


def test_wdk_outside_developer_prompt(tree: Path) -> None:
    proc = run_scons(tree, "-n", "toolchain=wdk", env=without_prompt())
    assert proc.returncode != 0
    assert (
        "toolchain=wdk: no Windows kit found in the environment; run from a Visual Studio Developer Command Prompt"
        in proc.stderr
    )


# ---- a Developer Command Prompt targets one arch; SCons's msvc Tool sets up the others -------


@pytest.fixture(scope="module")
def prompt_tree(make_tree: Callable[[str], Path]) -> Path:
    return make_tree("wdk-prompt")


def refused(tree: Path, env: dict[str, str], *args: str) -> str:
    """The one error line of a wdk build refused before any work (no -n: nothing may run)."""
    proc = run_scons(tree, "toolchain=wdk", *args, env={**without_prompt(), **env})
    assert proc.returncode != 0, proc.stdout
    assert not any(
        line.startswith(("CC ", "LINK ", "RC ", "GEN ")) for line in proc.stdout.splitlines()
    )
    assert not (tree / "build" / "release").exists() and not (tree / "dist").exists()
    errors = [line for line in proc.stderr.splitlines() if line.startswith("scons: *** ")]
    assert errors, proc.stderr
    return errors[-1].removeprefix("scons: *** ")


TOOLSET = "14.38.33130"  # a Visual Studio 2022 prompt's VCToolsVersion


def tools_prompt(target: str) -> dict[str, str]:
    return {**prompt(target), "VCTOOLSVERSION": TOOLSET}


def scons_setup_failed(arch: str) -> tuple[str, str]:
    """The start and end of the one line when SCons's msvc Tool finds no Visual Studio for
    ``arch`` (none here: it runs for real and fails as on a Windows machine without them)."""
    start = (
        f"toolchain=wdk: arch={arch}: SCons's msvc set-up (TARGET_ARCH={arch}, MSVC_VERSION=14.3, "
        f"MSVC_TOOLSET_VERSION={TOOLSET}, MSVC_SDK_VERSION={VERSION}) failed: "
    )
    msvc_name = ARCHES[arch].msvc
    end = (
        f"; install Visual Studio's {msvc_name} build tools, build from an {msvc_name} "
        "Developer Command Prompt, or use toolchain=ewdk"
    )
    return start, end


@pytest.mark.parametrize(
    ("target", "arch"),
    [("x64", "i386"), ("x64", "arm64"), ("x86", "amd64"), ("arm64", "i386"), ("arm", "arm64")],
)
def test_wdk_sets_up_other_arches_with_scons_msvc_tool(
    prompt_tree: Path, target: str, arch: str
) -> None:
    """An arch the prompt does not target goes to SCons's own msvc Tool (vcvarsall.bat with
    TARGET_ARCH, pinned to the prompt's toolset and SDK). It runs here for real and finds no
    Visual Studio: one line naming the set-up, nothing built. On Windows it succeeds: the
    Windows workflow builds all three arches from one x64 prompt."""
    start, end = scons_setup_failed(arch)
    line = refused(prompt_tree, tools_prompt(target), f"arch={arch}")
    assert line.startswith(start) and line.endswith(end), line
    assert "not found" in line.removeprefix(start)


def test_wdk_all_arches_from_one_prompt(prompt_tree: Path) -> None:
    """The default arch=all in an x64 prompt: amd64 from the prompt itself, i386 and arm64
    through SCons's msvc Tool; here the first of those (i386) finds no Visual Studio."""
    start, end = scons_setup_failed("i386")
    line = refused(prompt_tree, tools_prompt("x64"))
    assert line.startswith(start) and line.endswith(end), line


def test_cross_setup() -> None:
    """The variables SCons's msvc Tool gets for an arch the prompt does not target."""
    environ = {"VSCMD_ARG_TGT_ARCH": "x64", "VCToolsVersion": TOOLSET,
               "WindowsSDKVersion": "10.0.26100.0\\"}  # fmt: skip
    assert msvc.cross_setup(environ, ARCHES["amd64"]) is None  # the prompt's own target
    for name in ("i386", "arm64"):
        assert msvc.cross_setup(environ, ARCHES[name]) == {
            "TARGET_ARCH": name,
            "MSVC_NOTFOUND_POLICY": "error",
            "MSVC_VERSION": "14.3",
            "MSVC_TOOLSET_VERSION": TOOLSET,
            "MSVC_SDK_VERSION": "10.0.26100.0",
        }
    # A prompt without VCToolsVersion (Visual Studio's own default toolset) or SDK version.
    assert msvc.cross_setup({"VSCMD_ARG_TGT_ARCH": "x86"}, ARCHES["arm64"]) == {
        "TARGET_ARCH": "arm64",
        "MSVC_NOTFOUND_POLICY": "error",
    }
    keep = {"PATH": "C:\\VS\\bin", "Include": "x", "LIB": "y", "LibPath": "z", "TEMP": "t"}
    assert msvc.without_target_paths(keep) == {"PATH": "C:\\VS\\bin", "TEMP": "t"}


def test_wdk_prompt_without_target(prompt_tree: Path) -> None:
    assert refused(prompt_tree, prompt(None), "arch=amd64") == (
        "toolchain=wdk: no VSCMD_ARG_TGT_ARCH in the environment; run from a Visual Studio "
        "2017 or later Developer Command Prompt (for x64, or any: the other arches are set up "
        "through SCons's msvc Tool)"
    )


def test_prompt_target_names_are_case_blind() -> None:
    for arch in ARCHES.values():
        assert msvc.cross_setup({"vscmd_arg_tgt_arch": arch.msvc.upper()}, arch) is None
    other = msvc.cross_setup({"Vscmd_Arg_Tgt_Arch": "X64"}, ARCHES["i386"])
    assert other is not None and other["TARGET_ARCH"] == "i386"


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


@pytest.mark.parametrize(
    ("arch", "gs", "static"),
    [
        ("i386", "BufferOverflowK.lib", ["memcmp.lib"]),
        ("amd64", "BufferOverflowK.lib", []),
        ("arm64", "BufferOverflowFastFailK.lib", []),
    ],
)
def test_kernel_libraries_follow_the_oldest_windows(arch: str, gs: str, static: list[str]) -> None:
    """/GS as the WDK links it: BufferOverflowK.lib for targets older than Windows 8 (7 for
    i386 and amd64: no __fastfail there), BufferOverflowFastFailK.lib from 8 on (arm64: 10);
    memcmp.lib on i386 only."""
    assert msvc.gs_library(ARCHES[arch]) == gs
    assert msvc.kernel_static_libs(ARCHES[arch]) == static


def test_setup_build_env_arguments_are_x64_hosted() -> None:
    """vcvarsall forms <host>_<target>, host always x64: a lone "arm64" would ask for
    arm64-hosted tools, which an x64 machine cannot run."""
    assert {a.name: a.ewdk_setup for a in ARCHES.values()} == {
        "i386": "amd64_x86",
        "amd64": "amd64",
        "arm64": "amd64_arm64",
    }
    script = Path("E:\\BuildEnv\\SetupBuildEnv.cmd")
    for arch in ARCHES.values():
        assert msvc.setup_command(script, arch.ewdk_setup) == [
            "cmd.exe", "/d", "/c",
            f'call "{script}" {arch.ewdk_setup} >nul && echo __TAP_ENV_BEGIN__ && set',
        ]  # fmt: skip


def test_setup_build_env_runs_without_the_ewdk_marker() -> None:
    """From an EWDK prompt (WindowsSystemKit set, in any case), SetupBuildEnv.cmd would refuse
    to run again: the build runs it with that one variable removed."""
    environ = {"PATH": "C:\\Windows", "WindowsSystemKit": "1", "TEMP": "C:\\Temp"}
    assert msvc.setup_environment(environ) == {"PATH": "C:\\Windows", "TEMP": "C:\\Temp"}
    assert msvc.setup_environment({"WINDOWSSYSTEMKIT": "x", "A": "1"}) == {"A": "1"}
    assert msvc.setup_environment({"A": "1"}) == {"A": "1"}


def test_setup_build_env_command_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What _run_batch hands cmd.exe (which cannot run here): the x64-hosted argument, and the
    environment of an EWDK prompt without WindowsSystemKit (nor the signing password); the
    captured variables are kept."""
    root = tmp_path / "ewdk"
    (root / "BuildEnv").mkdir(parents=True)
    script = root / "BuildEnv" / "SetupBuildEnv.cmd"
    script.write_text("@echo off\r\n")
    seen: list[tuple[list[str], dict[str, str]]] = []

    def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        env = kwargs["env"]
        assert isinstance(env, dict)
        seen.append((argv, env))
        stdout = "banner\r\n__TAP_ENV_BEGIN__ \r\nWDKContentRoot=C:\\K\\\r\nVersion_Number=10.0\r\n"
        return subprocess.CompletedProcess(argv, 0, stdout, "")

    monkeypatch.setattr(msvc, "_on_windows", lambda: True)
    monkeypatch.setattr(subprocess, "run", run)  # under tapbuild.toolrun.run
    monkeypatch.setenv("WindowsSystemKit", "from-an-ewdk-prompt")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("TAP_SIGN_PASSWORD", "not-for-the-build")
    environ = msvc.ewdk_environment(root, ARCHES["arm64"], tmp_path / "cache")
    assert environ == {"WDKContentRoot": "C:\\K\\", "Version_Number": "10.0"}
    ((argv, env),) = seen
    assert argv == msvc.setup_command(script, "amd64_arm64")
    assert "WindowsSystemKit" not in env and env["PATH"] == os.environ["PATH"]
    assert env["HTTPS_PROXY"] == "http://proxy.example:3128"  # the build's environment keeps it
    assert "TAP_SIGN_PASSWORD" not in env  # and never gets a secret
    # Cached: a second call runs nothing.
    assert msvc.ewdk_environment(root, ARCHES["arm64"], tmp_path / "cache") == environ
    assert len(seen) == 1


def test_driver_table_per_toolchain_and_arch() -> None:
    """What the WDK's own code makes the driver import, per arch: KeInitializeSpinLock is an
    ntoskrnl import on i386 and for Windows 10 targets (arm64), inline for amd64's Windows 7
    target; KeBugCheckEx may come from BufferOverflowK.lib; memcmp never on i386 (memcmp.lib);
    the zig runtime's KeQueryPerformanceCounter from hal.dll on every arch."""
    table = load_table(ROOT / "driver" / "imports.py")

    def names(toolchain: str, arch: str, dll: str) -> set[str]:
        return {
            i.name for i in for_arch(for_toolchain(table, toolchain), ARCHES[arch]) if i.dll == dll
        }

    for toolchain in TOOLCHAINS:
        for arch in ARCHES:
            nt = names(toolchain, arch, "ntoskrnl.exe")
            assert ("KeInitializeSpinLock" in nt) == (arch != "amd64"), (toolchain, arch)
            assert ("memcmp" in nt) == (arch != "i386")
            assert "KeBugCheckEx" in nt
            assert "KeQueryPerformanceCounter" not in names(toolchain, arch, "hal.dll") | nt
    for arch in ARCHES:
        assert "KeInitializeSpinLock" not in names("zig", arch, "ntoskrnl.exe")
        assert "KeQueryPerformanceCounter" in names("zig", arch, "hal.dll")


def test_ewdk_environment_cache_is_written_only_by_a_real_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`scons -n` or `-h` (write_cache=False) capture the environment but write nothing; a
    build caches it. cmd.exe cannot run here: the batch file's output stands in for it."""
    root = tmp_path / "ewdk"
    (root / "BuildEnv").mkdir(parents=True)
    (root / "BuildEnv" / "SetupBuildEnv.cmd").write_text("@echo off\r\n")
    runs: list[str] = []

    def batch(script: Path, arch_arg: str) -> dict[str, str]:
        runs.append(arch_arg)
        return {"WDKContentRoot": KIT, "Version_Number": VERSION}

    monkeypatch.setattr(msvc, "_run_batch", batch)
    cache = tmp_path / "cache"
    arch = ARCHES["arm64"]
    assert msvc.ewdk_environment(root, arch, cache, write_cache=False)["Version_Number"] == VERSION
    assert not cache.exists()
    msvc.ewdk_environment(root, arch, cache)
    assert [p.name for p in cache.iterdir()] == [msvc.ewdk_cache(root, arch, cache)[0].name]
    msvc.ewdk_environment(root, arch, cache, write_cache=False)  # from the cache: no run
    assert runs == ["amd64_arm64", "amd64_arm64"]
