"""ti=DIR: devcon sources (ewdk/wdk) or prebuilt binaries in the old layout, as tapinstall.exe.

Prebuilt "devcon.exe" files here are real PE images of each machine type (the zig-built
tapinstall.exe); the ewdk/wdk command lines are checked with ``scons -n`` as cl, mc, rc and
link cannot run off Windows.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tihost
from tapbuild import atomic
from tapbuild.arch import ARCHES
from tapbuild.build import devcon, msvc, zig
from tapbuild.errors import TapError

I386, AMD64, ARM64 = ARCHES["i386"], ARCHES["amd64"], ARCHES["arm64"]
LAYOUT = {"i386": "Release", "amd64": "x64/Release", "arm64": "ARM64/Release"}
TARGETS = [f"dist/{a}/tapinstall.exe" for a in ARCHES]


def make_sources(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*devcon.SOURCE_FILES, "devcon.vcxproj", "devcon.h", "rc_ids.h"):
        (folder / name).write_text(f"// {name}: stands in for the sample's file\n")
    return folder


def make_prebuilt(folder: Path, images: dict[str, Path], config_dir: str = "Release") -> Path:
    for arch, image in images.items():
        where = folder / LAYOUT[arch].replace("Release", config_dir) / "devcon.exe"
        where.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, where)
    return folder


def fake_exe(tmp_path: Path, name: str = "devcon.exe") -> Path:
    path = tmp_path / name
    path.write_bytes(b"MZ not really")
    return path


# ---- choosing what ti=DIR means ------------------------------------------------------------


def test_prebuilt_layout_per_arch_and_config(tmp_path: Path) -> None:
    for config, folder in devcon.CONFIG_DIRS.items():
        for arch in ARCHES.values():
            exe = tmp_path / "/".join(devcon.prebuilt_parts(arch, config))
            exe.parent.mkdir(parents=True, exist_ok=True)
            exe.write_bytes(b"MZ")
            plan = devcon.plan(tmp_path, arch, config, "zig")
            assert plan == devcon.Plan("prebuilt", exe)
            assert plan.path.relative_to(tmp_path).as_posix() == (
                LAYOUT[arch.name].replace("Release", folder) + "/devcon.exe"
            )


def test_prebuilt_names_are_case_blind(tmp_path: Path) -> None:
    exe = tmp_path / "X64" / "release" / "DevCon.EXE"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"MZ")
    assert devcon.plan(tmp_path, AMD64, "release", "zig").path == exe


def test_missing_binary_for_an_arch_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "x64" / "Release").mkdir(parents=True)
    fake_exe(tmp_path / "x64" / "Release")
    with pytest.raises(TapError) as exc:
        devcon.plan(tmp_path, ARM64, "release", "zig")
    assert str(exc.value) == (
        f"ti={tmp_path}: no prebuilt devcon for arm64 (release): expected ARM64/Release/devcon.exe; "
        "add it, or build without arch=arm64"
    )
    with pytest.raises(
        TapError, match=r"no prebuilt devcon for amd64 \(hlk\): expected x64/Hlk/devcon.exe"
    ):
        devcon.plan(tmp_path, AMD64, "hlk", "zig")


@pytest.mark.parametrize("toolchain", ["ewdk", "wdk"])
def test_sources_with_a_microsoft_toolchain(tmp_path: Path, toolchain: str) -> None:
    make_sources(tmp_path)
    assert devcon.plan(tmp_path, I386, "release", toolchain) == devcon.Plan("sources", tmp_path)


def test_sources_are_refused_with_zig(tmp_path: Path) -> None:
    make_sources(tmp_path)
    with pytest.raises(TapError) as exc:
        devcon.plan(tmp_path, AMD64, "release", "zig")
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"ti={tmp_path}: devcon sources need toolchain=ewdk or toolchain=wdk")
    assert "Release/devcon.exe, x64/Release/devcon.exe, ARM64/Release/devcon.exe" in message


def test_sources_and_binaries_together(tmp_path: Path) -> None:
    """A devcon folder built in place holds both: ewdk/wdk build it, zig copies the binary."""
    make_sources(tmp_path)
    (tmp_path / "x64" / "Release").mkdir(parents=True)
    exe = fake_exe(tmp_path / "x64" / "Release")
    assert devcon.plan(tmp_path, AMD64, "release", "ewdk").kind == "sources"
    assert devcon.plan(tmp_path, AMD64, "release", "zig") == devcon.Plan("prebuilt", exe)


def test_incomplete_sources(tmp_path: Path) -> None:
    make_sources(tmp_path)
    (tmp_path / "msg.mc").unlink()
    (tmp_path / "dump.cpp").unlink()
    with pytest.raises(TapError) as exc:
        devcon.plan(tmp_path, AMD64, "release", "wdk")
    assert str(exc.value) == (
        f"ti={tmp_path}: devcon sources incomplete, missing dump.cpp, msg.mc; accepted: the "
        "setup/devcon folder of Windows-driver-samples"
    )


def test_neither(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(TapError, match=r"neither devcon sources \(cmds.cpp, devcon.cpp, dump.cpp"):
        devcon.plan(tmp_path, AMD64, "release", "zig")
    with pytest.raises(TapError, match="no such directory"):
        devcon.plan(tmp_path / "nope", AMD64, "release", "zig")


# ---- copying a prebuilt binary ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_copy_checks_the_machine(ti_tree: Path, tmp_path: Path, arch: str) -> None:
    image = ti_tree / "dist" / arch / "tapinstall.exe"
    target = tmp_path / "tapinstall.exe"
    assert devcon.copy_checked(image, target, ARCHES[arch]) == []
    assert target.read_bytes() == image.read_bytes()
    for other in ARCHES.values():
        if other.name == arch:
            continue
        wrong = tmp_path / f"wrong-{other.name}.exe"
        with pytest.raises(TapError, match=r"PE check 'machine' failed"):
            devcon.copy_checked(image, wrong, other)
        assert not wrong.exists() and not atomic.temporary(wrong).exists()


def test_copy_refuses_what_is_not_a_pe(tmp_path: Path) -> None:
    with pytest.raises(TapError, match=r"PE check 'format' failed"):
        devcon.copy_checked(fake_exe(tmp_path), tmp_path / "tapinstall.exe", AMD64)
    assert not (tmp_path / "tapinstall.exe").exists()


def _exe_importing_vcruntime(folder: Path) -> Path:
    """A small amd64 program that imports memset from vcruntime140.dll, as a /MD devcon does."""
    src = folder / "dyn.c"
    src.write_text(
        "void *memset(void *, int, unsigned long long);\n"
        "volatile unsigned long long n = 4;\n"
        "int start(void) { char b[8]; memset(b, 1, n); return b[0]; }\n"
    )
    (folder / "vcruntime140.def").write_text("LIBRARY vcruntime140.dll\nEXPORTS\nmemset\n")
    z = zig.command()
    run = {"check": True, "capture_output": True, "cwd": folder}
    subprocess.run([*z, "cc", "-target", "x86_64-windows-gnu", "-O1", "-fno-builtin", "-c", "dyn.c", "-o", "dyn.o"], **run)  # type: ignore[call-overload]  # fmt: skip
    subprocess.run([*z, "dlltool", "-m", "i386:x86-64", "-d", "vcruntime140.def", "-l", "vcruntime140.lib"], **run)  # type: ignore[call-overload]  # fmt: skip
    subprocess.run([*z, "lld-link", "/nologo", "/machine:x64", "/entry:start", "/subsystem:console", "/nodefaultlib", "/out:dyn.exe", "dyn.o", "vcruntime140.lib"], **run)  # type: ignore[call-overload]  # fmt: skip
    return folder / "dyn.exe"


def test_copy_warns_about_a_c_runtime_dependency(tmp_path: Path) -> None:
    exe = _exe_importing_vcruntime(tmp_path)
    assert devcon.crt_imports(exe) == ["vcruntime140.dll"]
    warnings = devcon.copy_checked(exe, tmp_path / "tapinstall.exe", AMD64)
    assert warnings == [
        f"{exe}: imports vcruntime140.dll; tapinstall.exe will fail on machines without that C "
        "runtime (link devcon with /MT)"
    ]


# ---- through scons -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def devcon_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tihost.copy_tree(tmp_path_factory.mktemp("ti-devcon"))


@pytest.fixture(scope="module")
def zig_images(ti_tree: Path) -> dict[str, Path]:
    return {a: ti_tree / "dist" / a / "tapinstall.exe" for a in ARCHES}


def one_error(result: object) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("scons: ***")]  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    return lines[0]


@pytest.mark.slow
def test_scons_copies_prebuilt_binaries(
    devcon_tree: Path, zig_images: dict[str, Path], tmp_path: Path
) -> None:
    ti = make_prebuilt(tmp_path / "devcon", zig_images)
    (ti / "x64" / "Release" / "devcon.pdb").write_bytes(b"Microsoft C/C++ MSF 7.00 stand-in")
    pdb = "build/release/amd64/tapinstall/devcon.pdb"
    r = tihost.scons(devcon_tree, f"ti={ti}", *TARGETS, pdb)
    for arch, image in zig_images.items():
        assert (devcon_tree / "dist" / arch / "tapinstall.exe").read_bytes() == image.read_bytes()
    assert "COPY   amd64  build/release/amd64/tapinstall/tapinstall.exe" in r.stdout
    # devcon's symbols travel with it (into tap6-symbols.tar.gz).
    assert (devcon_tree / pdb).read_bytes() == b"Microsoft C/C++ MSF 7.00 stand-in"
    # Up to date the second time.
    again = tihost.scons(devcon_tree, f"ti={ti}", *TARGETS, pdb)
    assert "COPY" not in again.stdout


@pytest.mark.slow
def test_scons_missing_arch_binary(
    devcon_tree: Path, zig_images: dict[str, Path], tmp_path: Path
) -> None:
    ti = make_prebuilt(tmp_path / "devcon", {"amd64": zig_images["amd64"]})
    r = tihost.scons(devcon_tree, f"ti={ti}", "arch=amd64,arm64", check=False)
    assert r.returncode == 2
    assert one_error(r) == (
        f"scons: *** ti={ti}: no prebuilt devcon for arm64 (release): expected "
        "ARM64/Release/devcon.exe; add it, or build without arch=arm64"
    )
    ok = tihost.scons(devcon_tree, f"ti={ti}", "arch=amd64", "dist/amd64/tapinstall.exe")
    assert ok.returncode == 0


@pytest.mark.slow
def test_scons_config_picks_its_folder(
    devcon_tree: Path, zig_images: dict[str, Path], tmp_path: Path
) -> None:
    ti = make_prebuilt(tmp_path / "devcon", {"i386": zig_images["i386"]}, config_dir="Hlk")
    r = tihost.scons(devcon_tree, f"ti={ti}", "arch=i386", "config=release", check=False)
    assert r.returncode == 2
    assert "expected Release/devcon.exe" in one_error(r)
    tihost.scons(devcon_tree, f"ti={ti}", "arch=i386", "config=hlk", "dist/i386/tapinstall.exe")
    assert (devcon_tree / "dist/i386/tapinstall.exe").read_bytes() == zig_images[
        "i386"
    ].read_bytes()


@pytest.mark.slow
def test_scons_wrong_machine_fails_the_copy(
    devcon_tree: Path, zig_images: dict[str, Path], tmp_path: Path
) -> None:
    ti = make_prebuilt(tmp_path / "devcon", {"amd64": zig_images["arm64"]})
    built = devcon_tree / "build" / "release" / "amd64" / "tapinstall" / "tapinstall.exe"
    built.unlink(missing_ok=True)
    r = tihost.scons(
        devcon_tree, f"ti={ti}", "arch=amd64", "dist/amd64/tapinstall.exe", check=False
    )
    assert r.returncode != 0
    assert "PE check 'machine' failed: 0xAA64, expected 0x8664 for amd64" in r.stdout
    assert not built.exists()


@pytest.mark.slow
def test_scons_refuses_sources_with_zig(devcon_tree: Path, tmp_path: Path) -> None:
    ti = make_sources(tmp_path / "devcon")
    r = tihost.scons(devcon_tree, f"ti={ti}", "arch=amd64", check=False)
    assert r.returncode == 2 and r.stdout.count("CC ") == 0
    assert one_error(r).startswith(
        f"scons: *** ti={ti}: devcon sources need toolchain=ewdk or toolchain=wdk"
    )


# ---- ewdk/wdk command lines for devcon sources ------------------------------------------------

SDK = "C:\\Program Files (x86)\\Windows Kits\\10\\"
SDK_VERSION = "10.0.22621.0"


@pytest.mark.parametrize("toolchain", ["ewdk", "wdk"])
@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_source_flags(toolchain: str, arch: str) -> None:
    a = ARCHES[arch]
    environ = (
        {"WDKContentRoot": SDK, "Version_Number": SDK_VERSION}
        if toolchain == "ewdk"
        else {"WindowsSdkDir": SDK, "WindowsSDKVersion": SDK_VERSION + "\\"}
    )
    root, version = msvc.kit_from_environment(environ, toolchain)  # as msvc.configure keeps it
    flags = devcon.source_flags({"TAP_ARCH": a, "TAP_KIT_ROOT": root, "TAP_KIT_VERSION": version})
    lib = {"i386": "x86", "amd64": "x64", "arm64": "arm64"}[arch]
    link = flags["TAP_DEVCON_LINKCOM"]
    assert link.startswith(f"link /nologo /MACHINE:{a.msvc.upper()} ")
    assert "/NODEFAULTLIB" not in link and "/ENTRY" not in link  # the static CRT's own start-up
    assert f"/SUBSYSTEM:CONSOLE,{a.min_windows[0]}.{a.min_windows[1]:02d}" in link
    assert f'"/LIBPATH:{SDK}Lib\\{SDK_VERSION}\\um\\{lib}"' in link
    assert f'"/LIBPATH:{SDK}Lib\\{SDK_VERSION}\\ucrt\\{lib}"' in link
    assert link.endswith(" ".join(devcon.DEVCON_LIBS))
    assert f'"/I{SDK}Include\\{SDK_VERSION}\\um"' in flags["TAP_DEVCON_INCLUDES"]
    assert "$TAP_STATIC_CRT_CCFLAGS" in flags["TAP_DEVCON_CXXCOM"]


def _dry_run(tree: Path, env: dict[str, str], *args: str) -> list[list[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-n", "-C", str(tree), "verbose=1", *args],
        capture_output=True, text=True, check=False, env={**os.environ, **env},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [
        shlex.split(line, posix=False)
        for line in proc.stdout.splitlines()
        if line.startswith(("cl ", "link ", "rc ", "mc "))
    ]


WDK_ENV = {
    "VCINSTALLDIR": "C:\\VS\\VC\\",
    "WindowsSdkDir": SDK,
    "WindowsSDKVersion": SDK_VERSION + "\\",
    "VSCMD_ARG_TGT_ARCH": "x64",  # an x64 Developer Command Prompt: these runs are arch=amd64
}


@pytest.mark.parametrize(("config", "crt"), [("release", "/MT"), ("debug", "/MTd")])
def test_wdk_builds_devcon_sources_statically(
    devcon_tree: Path, tmp_path: Path, config: str, crt: str
) -> None:
    ti = make_sources(tmp_path / "devcon")
    lines = _dry_run(
        devcon_tree, WDK_ENV, "toolchain=wdk", f"ti={ti}", "arch=amd64", f"config={config}",
        "dist/amd64/tapinstall.exe",
    )  # fmt: skip
    out = f"build\\{config}\\amd64\\tapinstall".replace("\\", os.sep)
    by_tool: dict[str, list[list[str]]] = {}
    for argv in lines:
        by_tool.setdefault(argv[0], []).append(argv)
    assert sorted(by_tool) == ["cl", "link", "mc", "rc"]

    (mc,) = by_tool["mc"]
    assert mc == ["mc", "-h", out, "-r", out, str(ti / "msg.mc")]

    assert sorted(argv[-1] for argv in by_tool["cl"]) == [
        str(ti / name) for name in sorted(devcon.CPP_SOURCES)
    ]
    for cl in by_tool["cl"]:
        assert cl[:4] == ["cl", "/nologo", "/c", "/TP"]
        for flag in (crt, "/EHsc", "/DUNICODE", "/D_UNICODE", "/W4", "/WX", f"/I{out}", f"/I{ti}"):
            assert flag in cl, flag
        assert "/GS-" not in cl  # the static CRT has the security cookie
        assert "/kernel" not in cl
        assert any(a.startswith("/Fo") and a.endswith(".obj") for a in cl)

    (rc,) = by_tool["rc"]
    assert rc[:2] == ["rc", "/nologo"] and rc[-1] == str(ti / "devcon.rc")
    assert f"/I{out}" in rc and f"/I{ti}" in rc  # msg.rc from mc, rc_ids.h beside devcon.rc

    (link,) = by_tool["link"]
    assert "/MACHINE:X64" in link and "/NODEFAULTLIB" not in link
    assert f"/OUT:{out}{os.sep}tapinstall.exe" in link
    assert f"/PDB:{out}{os.sep}tapinstall.pdb" in link
    assert link[-len(devcon.DEVCON_LIBS) :] == list(devcon.DEVCON_LIBS)
    assert sum(a.endswith(".obj") for a in link) == 3 and any(
        a.endswith("devcon.res") for a in link
    )


def test_wdk_without_ti_builds_the_projects_own_tapinstall(devcon_tree: Path) -> None:
    lines = _dry_run(
        devcon_tree, WDK_ENV, "toolchain=wdk", "arch=amd64", "dist/amd64/tapinstall.exe"
    )
    cl = [argv for argv in lines if argv[0] == "cl"]
    assert sorted(Path(argv[-1]).name for argv in cl) == sorted(
        [
            "ti_args.c",
            "ti_match.c",
            "ti_out.c",
            "ti_main.c",
            "win_main.c",
            "win_devices.c",
            "win_rt.c",
        ]
    )
    (link,) = [argv for argv in lines if argv[0] == "link"]
    assert "/NODEFAULTLIB" in link and "/ENTRY:TapinstallStart" in link
    for lib in ("kernel32.lib", "setupapi.lib", "newdev.lib", "cfgmgr32.lib"):
        assert lib in link


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_ewdk_builds_devcon_sources_statically(
    devcon_tree: Path, tmp_path: Path, arch: str
) -> None:
    """The EWDK's environment as a first build on Windows caches it; then the exact lines."""
    a = ARCHES[arch]
    ewdk = tmp_path / "ewdk"
    (ewdk / "BuildEnv").mkdir(parents=True)
    (ewdk / "BuildEnv" / "SetupBuildEnv.cmd").write_text("@echo off\r\n")
    cache, key = msvc.ewdk_cache(ewdk, a, devcon_tree / "build" / "toolchain-env")
    cache.parent.mkdir(parents=True, exist_ok=True)
    environ = {"WDKContentRoot": SDK, "Version_Number": SDK_VERSION, "PATH": "C:\\EWDK\\bin"}
    cache.write_text(json.dumps({"key": key, "environ": environ}))
    ti = make_sources(tmp_path / "devcon")
    lines = _dry_run(
        devcon_tree, {}, "toolchain=ewdk", f"ewdk={ewdk}", f"ti={ti}", f"arch={arch}",
        f"dist/{arch}/tapinstall.exe",
    )  # fmt: skip
    tools = sorted(argv[0] for argv in lines)
    assert tools == ["cl", "cl", "cl", "link", "mc", "rc"]
    (link,) = [argv for argv in lines if argv[0] == "link"]
    assert link[:3] == ["link", "/nologo", f"/MACHINE:{a.msvc.upper()}"]
    assert "/NODEFAULTLIB" not in link
    lib = {"i386": "x86", "amd64": "x64", "arm64": "arm64"}[arch]
    assert f'"/LIBPATH:{SDK}Lib\\{SDK_VERSION}\\ucrt\\{lib}"' in link
    for cl in (argv for argv in lines if argv[0] == "cl"):
        assert "/MT" in cl and "/EHsc" in cl and "/TP" in cl
