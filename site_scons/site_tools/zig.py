"""SCons Tool: the zig cross toolchain from PyPI (any host).

``zig cc`` compiles, ``zig lld-link`` links (reproducible images: /Brepro, /release for the
checksum, no DWARF in the image), ``zig dlltool`` makes import libraries from the project's
import tables (``-k`` on i386), ``zig rc`` compiles version resources.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import SCons.Action
from tapbuild.build import ddkpatch, zig
from tapbuild.errors import TapError

Env = Any


def _cmd() -> str:
    return " ".join(shlex.quote(part) for part in zig.command())


def _release(target: Any, source: Any, env: Env, for_signature: bool) -> str:
    """``$TAP_ZIG_RELEASE``: the zig release, in build signatures only (empty on the command
    line)."""
    return f"ziglang=={zig.version()}" if for_signature else ""


def _write_overlay(target: list[Any], source: list[Any], env: Env) -> int:
    try:
        ddkpatch.write_overlay(zig.mingw_include(), Path(target[0].dir.abspath))
    except TapError as exc:
        print(f"scons: *** {exc}")
        return 1
    return 0


def _overlay(env: Env) -> list[Any]:
    """The patched headers (``build/zig-ddk``): build targets, made once for every arch's
    environment and only when a compile needs them (``scons -h`` or ``-n`` write nothing)."""
    out = env.Dir("#build/zig-ddk")
    targets = [out.File(name) for name in (*ddkpatch.EDITS, ddkpatch.ARCH_HEADER)]
    if targets[0].has_builder():
        return targets
    ddk = zig.mingw_include() / "ddk"
    sources = [str(ddk / name) for name in ddkpatch.EDITS]
    sources += [str(ddkpatch.ARCH_HEADER_SOURCE), str(Path(ddkpatch.__file__))]
    action = SCons.Action.Action(_write_overlay, "$TAP_DDKCOMSTR")
    nodes: list[Any] = env.Command(targets, sources, action, TAPARCH="all  ")
    env.Alias("headers", nodes)  # generated headers: `scons compiledb` makes them too
    return nodes


def generate(env: Env) -> None:
    arch = env["TAP_ARCH"]
    top = env.Dir("#").abspath
    debug = env["TAP_CONFIG"] == "debug"
    # The interpreter that runs zig is a machine detail (python or python3, one venv or
    # another): kept out of the build signatures, between $( $), so neither a no-op build nor
    # a shared cache= depends on it; the zig release takes its place there.
    env["TAP_ZIG_RELEASE"] = _release
    env.SetDefault(ZIG=f"$( {_cmd()} $) $TAP_ZIG_RELEASE")
    env["CC"] = "$ZIG cc -target $TAP_ZIGTARGET"
    env["TAP_ZIGTARGET"] = arch.zig_target
    env["OBJSUFFIX"] = ".o"
    env["INCPREFIX"] = "-I"
    env["CPPDEFPREFIX"] = "-D"
    # zig cc defines _WIN32_WINNT itself (Windows 10): undo it, then build for the oldest
    # Windows the arch supports.
    env["TAP_COMMON_CCFLAGS"] = [
        "-U_WIN32_WINNT",
        "-O0" if debug else "-O2",
        # zig cc turns UBSan on at -O0; its runtime does not exist in a driver or a no-CRT exe.
        "-fno-sanitize=undefined",
        "-g",
        "-gcodeview",
        "-gno-codeview-command-line",
        # Build-machine paths never reach an output; between $( $) they stay out of the
        # build signature too, so a CacheDir serves other checkouts and machines.
        "$(",
        f"-ffile-prefix-map={top}=.",
        f"-ffile-prefix-map={zig.lib_dir()}=/zig",
        "$)",
        "-fdebug-compilation-dir=.",
        # Else the debug info names a random temporary object in zig's cache.
        "-Xclang",
        "-object-file-name=$TARGET",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-mno-stack-arg-probe",
        "-fno-strict-aliasing",
        # No -ffunction-sections: clang's per-function .pdata$f/.xdata$f COMDATs have no
        # leader, and lld-link (outside -lldmingw) discards them, leaving x64/arm64 images
        # without unwind data (no exception directory).
    ]
    env.Append(CCFLAGS=env["TAP_COMMON_CCFLAGS"], CPPDEFINES=zig.windows_defines(arch))

    # zig's wdm.h/ntddk.h stop on aarch64: patched copies (tapbuild.build.ddkpatch) come first on
    # the include path, for every arch (they change nothing on x86 and x64).
    ddk = zig.mingw_include() / "ddk"
    overlay = env.Dir("#build/zig-ddk")
    env["TAP_KERNEL_DEPENDS"] = _overlay(env)  # every kernel object waits for the overlay
    env["TAP_KERNEL_CCFLAGS"] = zig.kernel_flags(arch)
    env["TAP_KERNEL_CPPDEFINES"] = env["TAP_DRIVER_CPPDEFINES"]
    env["TAP_KERNEL_CPPPATH"] = [overlay, str(ddk)]
    env["TAP_KERNEL_RUNTIME"] = ["krt.c"]  # driver/krt.c: what the WDK's libraries give
    env["TAP_USER_CCFLAGS"] = ["-std=gnu11", "-ffreestanding"]
    env["TAP_USER_CPPDEFINES"] = ["UNICODE", "_UNICODE", "WIN32_LEAN_AND_MEAN"]
    env["TAP_USER_CPPPATH"] = []
    # A program's own runtime (tapinstall's win_rt.c) provides the stack protector's guard,
    # seeded at start-up, and its handler. Without stack probes (-mno-stack-arg-probe) no frame
    # may reach past the one guard page below the stack: -Werror makes a frame over 3 KiB a
    # build failure. A DLL (tapmsi.dll) has no such runtime.
    env["TAP_PROGRAM_CCFLAGS"] = ["-fstack-protector-strong", "-Wframe-larger-than=3072"]
    env["TAP_DLL_CCFLAGS"] = ["-fno-stack-protector"]

    env["TAP_LIBS_FROM_TABLE"] = True
    env["TAP_IMPLIB"] = "$ZIG dlltool"
    env["TAP_IMPLIBFLAGS"] = ["-m", arch.dlltool_machine] + (["-k"] if arch.name == "i386" else [])
    env["TAP_IMPLIBCOM"] = "$TAP_IMPLIB $TAP_IMPLIBFLAGS -d $SOURCE -l $TARGET"
    env["TAP_RC"] = "$ZIG rc"
    env["TAP_RCFLAGS"] = ["/nologo", "/:no-preprocess", "/:auto-includes", "none"]
    env["TAP_RCCOM"] = "$TAP_RC $TAP_RCFLAGS /fo $TARGET -- $SOURCE"

    major, minor = arch.min_windows
    env["TAP_LINK"] = "$ZIG lld-link"
    env["TAP_LINKFLAGS"] = [
        "/nologo", f"/machine:{arch.lld_machine}", "/nodefaultlib", "/dynamicbase", "/nxcompat",
        "/release", "/Brepro", "/opt:ref", "/opt:icf", "/incremental:no", "/debug:full",
        "/debug:nodwarf", "/pdbaltpath:%_PDB%", "/pdbsourcepath:/tap",
    ]  # fmt: skip
    env["TAP_KLINKFLAGS"] = [
        "$TAP_LINKFLAGS", "/driver", f"/subsystem:native,{major}.{minor:02d}",
        "/entry:GsDriverEntry", f"/base:0x{arch.image_base:X}", "/tsaware:no",
    ]  # fmt: skip
    high_entropy = ["/highentropyva"] if arch.name != "i386" else []
    env["TAP_PLINKFLAGS"] = [
        "$TAP_LINKFLAGS", f"/subsystem:console,{major}.{minor:02d}", "/entry:$TAP_ENTRY",
        *high_entropy,
    ]  # fmt: skip
    env["TAP_DLINKFLAGS"] = [
        "$TAP_LINKFLAGS", "/dll", f"/subsystem:windows,{major}.{minor:02d}", "/noentry",
        *high_entropy, "/def:$TAP_DEFFILE",
    ]  # fmt: skip
    # A test program with the C runtime of zig's mingw-w64 (the driver simulator).
    env["TAP_CRTLINKCOM"] = "$CC -g -o $TARGET $SOURCES $TAP_CRTLINKFLAGS"


def exists(env: Env) -> bool:
    try:
        zig.package_dir()
    except Exception:
        return False
    return True
