"""``ti=DIR``: devcon as tapinstall.exe, the old workflows.

DIR holds either devcon's sources (the Windows-driver-samples ``setup/devcon`` folder), which
the ewdk/wdk toolchains compile with the static C runtime, or prebuilt binaries in the layout
the old build used (what building devcon.vcxproj leaves behind)::

    DIR/Release/devcon.exe          i386
    DIR/x64/Release/devcon.exe      amd64
    DIR/ARM64/Release/devcon.exe    arm64

with the configuration (``Release``, ``Debug``, ``Hlk``) in place of ``Release``. A prebuilt
binary is copied as tapinstall.exe after the PE gate's machine check. When DIR holds both, the
ewdk/wdk toolchains build the sources and zig copies the binaries; zig never compiles devcon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapbuild import atomic
from tapbuild.build import msvc, pecheck
from tapbuild.arch import ARCHES, Arch
from tapbuild.errors import TapError

# build configuration -> the folder name Visual Studio gives it
CONFIG_DIRS = {"release": "Release", "debug": "Debug", "hlk": "Hlk"}

# What a devcon source folder must hold (devcon.vcxproj's items).
CPP_SOURCES = ("cmds.cpp", "devcon.cpp", "dump.cpp")
MESSAGES = "msg.mc"
RESOURCES = "devcon.rc"
SOURCE_FILES = (*CPP_SOURCES, MESSAGES, RESOURCES)
SOURCE_MARKERS = ("devcon.vcxproj", *SOURCE_FILES)

# The import libraries devcon.vcxproj links (plus the static C runtime's defaults).
DEVCON_LIBS = (
    "advapi32.lib", "kernel32.lib", "ntdll.lib", "ole32.lib", "setupapi.lib", "shell32.lib",
    "user32.lib",
)  # fmt: skip

# DLLs that mean a C runtime would have to be installed on the target machine.
CRT_DLL_PREFIXES = ("msvcr", "msvcp", "vcruntime", "ucrtbase", "api-ms-win-crt-", "concrt")

PREBUILT_LAYOUT = ", ".join(
    f"{'/'.join(p for p in (a.devcon_dir, 'Release', 'devcon.exe') if p)}" for a in ARCHES.values()
)


@dataclass(frozen=True)
class Plan:
    """What ti=DIR means for one build: compile the sources, or copy a prebuilt binary."""

    kind: str  # "sources" or "prebuilt"
    path: Path  # the source folder, or the devcon.exe to copy


def _child(parent: Path, name: str) -> Path | None:
    """``parent/name``, matched case-blind as Windows would (the tree may come from there)."""
    exact = parent / name
    if exact.exists():
        return exact
    if not parent.is_dir():
        return None
    for entry in sorted(parent.iterdir()):
        if entry.name.lower() == name.lower():
            return entry
    return None


def _find(root: Path, parts: tuple[str, ...]) -> Path | None:
    here: Path | None = root
    for part in parts:
        if here is None:
            return None
        here = _child(here, part)
    return here


def prebuilt_parts(arch: Arch, config: str) -> tuple[str, ...]:
    """The old layout's path of devcon.exe for an arch and configuration."""
    return tuple(p for p in (arch.devcon_dir, CONFIG_DIRS[config], "devcon.exe") if p)


def prebuilt(ti: Path, arch: Arch, config: str) -> Path | None:
    found = _find(ti, prebuilt_parts(arch, config))
    return found if found is not None and found.is_file() else None


def has_prebuilt(ti: Path) -> bool:
    """Whether DIR holds any devcon.exe in the old layout (any arch, any configuration)."""
    return any(prebuilt(ti, a, c) is not None for a in ARCHES.values() for c in CONFIG_DIRS)


def has_sources(ti: Path) -> bool:
    return any(_child(ti, name) is not None for name in SOURCE_MARKERS)


def plan(ti: Path, arch: Arch, config: str, toolchain: str) -> Plan:
    """Decide what to do with ti=DIR for one arch, or raise TapError saying what is wrong."""
    if not ti.is_dir():
        raise TapError(f"ti={ti}: no such directory; accepted: devcon sources or prebuilt devcon")
    sources = has_sources(ti)
    if sources and toolchain != "zig":
        missing = [n for n in SOURCE_FILES if _child(ti, n) is None]
        if missing:
            raise TapError(
                f"ti={ti}: devcon sources incomplete, missing {', '.join(missing)}; accepted: "
                "the setup/devcon folder of Windows-driver-samples"
            )
        return Plan("sources", ti)
    if has_prebuilt(ti):
        exe = prebuilt(ti, arch, config)
        if exe is None:
            where = "/".join(prebuilt_parts(arch, config))
            raise TapError(
                f"ti={ti}: no prebuilt devcon for {arch.name} ({config}): expected {where}; "
                f"add it, or build without arch={arch.name}"
            )
        return Plan("prebuilt", exe)
    if sources:
        raise TapError(
            f"ti={ti}: devcon sources need toolchain=ewdk or toolchain=wdk (cl, mc, rc); zig "
            f"builds the project's own tapinstall; or give prebuilt binaries ({PREBUILT_LAYOUT})"
        )
    raise TapError(
        f"ti={ti}: neither devcon sources ({', '.join(SOURCE_FILES)}) nor prebuilt binaries "
        f"({PREBUILT_LAYOUT}, Debug or Hlk in place of Release)"
    )


def crt_imports(image: Path) -> list[str]:
    """The C-runtime DLLs a PE image imports (a dynamically linked devcon)."""
    import pefile

    pe = pefile.PE(str(image), fast_load=False)
    try:
        dlls = pecheck.image_imports(pe)
    finally:
        pe.close()
    return sorted(d for d in dlls if d.startswith(CRT_DLL_PREFIXES))


def copy_checked(source: Path, target: Path, arch: Arch) -> list[str]:
    """Copy a prebuilt devcon.exe as tapinstall.exe once its machine type is arch's.

    Returns warnings (C-runtime DLL imports); raises TapError on a wrong machine, leaving no
    target behind.
    """
    pecheck.check_machine(source, arch)
    warnings = [
        f"{source}: imports {dll}; tapinstall.exe will fail on machines without that C runtime "
        "(link devcon with /MT)"
        for dll in crt_imports(source)
    ]
    atomic.write_bytes(target, source.read_bytes())
    return warnings


# ---- SCons ---------------------------------------------------------------------------------


def _copy_plain(target: list[Any], source: list[Any], env: Any) -> int:
    atomic.write_bytes(Path(target[0].abspath), Path(source[0].abspath).read_bytes())
    return 0


def _copy_action(target: list[Any], source: list[Any], env: Any) -> int:
    try:
        for line in copy_checked(Path(source[0].abspath), Path(target[0].abspath), env["TAP_ARCH"]):
            print(f"scons: warning: {line}")
    except TapError as exc:
        print(f"scons: *** {exc}")
        return 1
    return 0


def _action(act: Any, comstr: str) -> Any:
    """An Action printing its short line (tapbuild.build.shortlines), or with verbose=1 its
    command line."""
    import SCons.Action

    return SCons.Action.Action(act, f"${comstr}")


def _pe_gate(target: list[Any], source: list[Any], env: Any) -> int:
    image = Path(target[0].abspath)
    try:
        pecheck.check(image, env["TAP_ARCH"], "program")
        crt = crt_imports(image)
        if crt:
            raise TapError(
                f"{image}: imports {', '.join(crt)}; devcon must link the static C runtime"
            )
    except TapError as exc:
        image.unlink(missing_ok=True)
        print(f"scons: *** {exc}")
        return 1
    return 0


def source_flags(env: Any) -> dict[str, str]:
    """Construction variables of the devcon compile, resource and link steps (ewdk/wdk)."""
    arch: Arch = env["TAP_ARCH"]
    root, version = env["TAP_KIT_ROOT"], env["TAP_KIT_VERSION"]  # msvc.configure
    _, user_inc, _, user_lib = msvc.kit_paths(root, version, arch)
    major, minor = arch.min_windows
    includes = " ".join(f'"/I{d}"' for d in user_inc)
    return {
        "TAP_DEVCON_INCLUDES": includes,
        "TAP_DEVCON_CXXCOM": (
            "$CC /nologo /c /TP $CFLAGS $CCFLAGS $TAP_STATIC_CRT_CCFLAGS /DUNICODE /D_UNICODE "
            "$_CPPDEFFLAGS /I${TARGET.dir} /I${SOURCE.dir} $TAP_DEVCON_INCLUDES /Fo$TARGET $SOURCE"
        ),
        "TAP_DEVCON_MCCOM": "mc -h ${TARGET.dir} -r ${TARGET.dir} $SOURCE",
        "TAP_DEVCON_RCCOM": (
            "rc /nologo /DUNICODE /D_UNICODE /I${TARGET.dir} /I${SOURCE.dir} "
            "$TAP_DEVCON_INCLUDES /fo$TARGET $SOURCE"
        ),
        "TAP_DEVCON_LINKCOM": (
            f"link /nologo /MACHINE:{arch.msvc.upper()} /DYNAMICBASE /NXCOMPAT /RELEASE /Brepro "
            "/OPT:REF /OPT:ICF /INCREMENTAL:NO /DEBUG /PDB:${TARGETS[1]} /PDBALTPATH:%_PDB% "
            f"/SUBSYSTEM:CONSOLE,{major}.{minor:02d} /OUT:$TARGET $SOURCES "
            + " ".join(f'"/LIBPATH:{d}"' for d in user_lib)
            + " "
            + " ".join(DEVCON_LIBS)
        ),
    }


def _source(env: Any, folder: Path, name: str) -> Any:
    """The File node of one devcon source, under the name it has on disk."""
    found = _child(folder, name)
    return env.File(str(found if found is not None else folder / name))


def _from_sources(env: Any, folder: Path) -> dict[str, list[Any]]:
    benv = env.Clone(**source_flags(env))
    messages = benv.Command(
        ["msg.h", "msg.rc"],
        _source(benv, folder, MESSAGES),
        _action("$TAP_DEVCON_MCCOM", "TAP_DEVCON_MCCOMSTR"),
    )
    objects = []
    for name in CPP_SOURCES:
        obj = benv.Command(
            f"{Path(name).stem}.obj",
            _source(benv, folder, name),
            _action("$TAP_DEVCON_CXXCOM", "TAP_DEVCON_CXXCOMSTR"),
        )
        benv.Depends(obj, messages)
        objects += obj
    res = benv.Command(
        "devcon.res",
        _source(benv, folder, RESOURCES),
        _action("$TAP_DEVCON_RCCOM", "TAP_DEVCON_RCCOMSTR"),
    )
    benv.Depends(res, messages)
    image = benv.Command(
        ["tapinstall.exe", "tapinstall.pdb"],
        objects + res,
        [
            _action("$TAP_DEVCON_LINKCOM", "TAP_DEVCON_LINKCOMSTR"),
            _action(_pe_gate, "TAP_PECHKCOMSTR"),
        ],
    )
    return {"dist": [image[0]], "symbols": [image[1]]}


def _from_prebuilt(env: Any, exe: Path) -> dict[str, list[Any]]:
    image = env.Command(
        "tapinstall.exe", env.File(str(exe)), _action(_copy_action, "TAP_COPYCOMSTR")
    )
    symbols = []
    pdb = exe.with_suffix(".pdb")
    if pdb.is_file():
        symbols = env.Command(
            "devcon.pdb", env.File(str(pdb)), _action(_copy_plain, "TAP_COPYCOMSTR")
        )
    return {"dist": [image[0]], "symbols": list(symbols)}


def tapinstall(env: Any, ti: Path) -> dict[str, list[Any]]:
    """tapinstall.exe (and symbols) for the env's arch from ti=DIR, as SConscript results."""
    p = plan(Path(ti), env["TAP_ARCH"], env["TAP_CONFIG"], env["TAP_TOOLCHAIN"])
    if p.kind == "sources":
        return _from_sources(env, p.path)
    return _from_prebuilt(env, p.path)
