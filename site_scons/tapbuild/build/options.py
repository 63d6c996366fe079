"""The build's command-line variables: one table, validated before any work, shown by -h."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tapbuild import atomic
from tapbuild.arch import ACCEPTED as ARCH_ACCEPTED
from tapbuild.arch import Arch, parse_arches
from tapbuild.errors import TapError

CONFIGS = ("release", "debug", "hlk")
TOOLCHAINS = ("zig", "ewdk", "wdk")
EWDK_ENV = "TAP_EWDK"
BOOLEANS = {
    "1": True,
    "yes": True,
    "true": True,
    "on": True,
    "0": False,
    "no": False,
    "false": False,
    "off": False,
}


@dataclass(frozen=True)
class Variable:
    name: str
    help: str
    default: str
    accepted: str


VARIABLES = (
    Variable("arch", "architectures to build", "all", ARCH_ACCEPTED),
    Variable(
        "config",
        "release: optimized; debug: unoptimized, debug flag and log on; hlk: release code for HLK "
        "runs (test-signed), built apart",
        "release",
        ", ".join(CONFIGS),
    ),
    Variable(
        "toolchain",
        "compiler toolchain (default: ewdk on Windows when an EWDK is configured, else zig)",
        "auto",
        ", ".join(TOOLCHAINS),
    ),
    Variable("ewdk", f"EWDK root, a mounted ISO or a folder (also ${EWDK_ENV})", "", "a directory"),
    Variable("override", "a Python module overriding names of version.py", "", "a .py file"),
    Variable(
        "ti", "devcon sources or a prebuilt devcon tree to use as tapinstall", "", "a directory"
    ),
    Variable("verbose", "print full command lines instead of one short line per step", "0", "0, 1"),
    Variable("cache", "a CacheDir shared by builds (e.g. a team's build cache)", "", "a directory"),
)
NAMES = tuple(v.name for v in VARIABLES)


@dataclass(frozen=True)
class Options:
    arches: list[Arch]
    config: str
    toolchain: str
    ewdk: Path | None
    override: Path | None
    ti: Path | None
    verbose: bool
    cache: Path | None


def _bad(name: str, value: str, accepted: str) -> TapError:
    return TapError(f"{name}={value}: not accepted; accepted: {accepted}")


def _directory(name: str, value: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise TapError(f"{name}={value}: no such directory; accepted: an existing directory")
    return path.resolve()


def parse(
    arguments: Mapping[str, str],
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> Options:
    """Validate every variable; the first bad one raises TapError."""
    for name in arguments:
        if name not in NAMES:
            raise TapError(f"unknown variable {name}=; accepted: {', '.join(NAMES)} (scons -h)")
    get = {v.name: arguments.get(v.name, v.default) for v in VARIABLES}
    arches = parse_arches(get["arch"])
    config = get["config"].lower()
    if config not in CONFIGS:
        raise _bad("config", get["config"], ", ".join(CONFIGS))
    verbose = BOOLEANS.get(get["verbose"].lower())
    if verbose is None:
        raise _bad("verbose", get["verbose"], "0 or 1 (also yes/no, true/false, on/off)")
    toolchain = get["toolchain"].lower()
    if toolchain not in (*TOOLCHAINS, "auto"):
        raise _bad("toolchain", get["toolchain"], ", ".join(TOOLCHAINS))
    if get["ewdk"]:
        ewdk = _directory("ewdk", get["ewdk"])
    elif toolchain == "ewdk" or (toolchain == "auto" and platform == "win32"):
        ewdk = _directory(EWDK_ENV, environ.get(EWDK_ENV, ""))
    else:
        ewdk = None  # a stale $TAP_EWDK does not matter to a build that does not use it
    if toolchain == "auto":
        toolchain = "ewdk" if platform == "win32" and ewdk is not None else "zig"
    if toolchain == "ewdk" and ewdk is None:
        raise TapError(f"toolchain=ewdk needs the EWDK root: give ewdk=DIR or set {EWDK_ENV}")
    override = None
    if get["override"]:
        override = Path(get["override"]).expanduser()
        if not override.is_file():
            raise TapError(
                f"override={get['override']}: no such file; accepted: a Python file of version.py names"
            )
        override = override.resolve()
    cache = Path(get["cache"]).expanduser().resolve() if get["cache"] else None
    if cache is not None:
        atomic.make_dir(cache, f"cache={get['cache']}")
    return Options(
        arches=arches,
        config=config,
        toolchain=toolchain,
        ewdk=ewdk,
        override=override,
        ti=_directory("ti", get["ti"]),
        verbose=verbose,
        cache=cache,
    )


def help_text() -> str:
    lines = ["Variables (name=value on the scons command line):", ""]
    for v in VARIABLES:
        lines.append(f"  {v.name}=  {v.help}")
        lines.append(f"      default: {v.default or '(none)'}; accepted: {v.accepted}")
    lines += [
        "",
        "Targets: (default) dist/ and tap6.tar.gz, tap6-symbols.tar.gz;",
        "         core-host (the portable core as a host shared library, for tests/core);",
        "         msica (the MSM custom-action DLL only);",
        "         driver-sim (with arch=amd64: the driver simulator, for tests/simulator).",
    ]
    return "\n".join(lines) + "\n"
