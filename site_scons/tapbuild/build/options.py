"""The build's command-line variables: one table, validated before any work, shown by -h."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapbuild import atomic
from tapbuild.arch import ACCEPTED as ARCH_ACCEPTED
from tapbuild.arch import ALIASES, ARCHES, Arch, parse_arches
from tapbuild.errors import TapError

CONFIGS = ("release", "debug", "hlk")
TOOLCHAINS = ("zig", "ewdk", "wdk")
EWDK_ENV = "TAP_EWDK"


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


def _override_file(value: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise TapError(
            f"override={value}: no such file; accepted: a Python file of version.py names"
        )
    return path.resolve()


def _scons_variables(arguments: Mapping[str, str]) -> Any:
    """The variables as SCons ``Variables``: ListVariable (arch, with the aliases),
    EnumVariable (config, toolchain), BoolVariable (verbose), PathVariable (the folders and
    the override). Each keeps SCons's own conversion (alias map, case folding, the boolean
    words) and gets a validator or converter that fails with the project's one line, naming
    the value as given."""
    from SCons.Variables import BoolVariable, EnumVariable, ListVariable, PathVariable, Variables

    given = {v.name: arguments.get(v.name, v.default) for v in VARIABLES}

    def arches(key: str, value: Any, env: Any) -> None:
        parse_arches(given[key])  # the one line, with the value as given

    def one_of(accepted: tuple[str, ...]) -> Any:
        def check(key: str, value: str, env: Any) -> None:
            if value not in accepted:
                raise _bad(key, given[key], ", ".join(a for a in accepted if a != "auto"))

        return check

    *_, to_bool = BoolVariable("verbose", "", "0")

    def boolean(value: str) -> bool:
        try:
            return bool(to_bool(value))
        except ValueError:
            raise _bad("verbose", value, "0 or 1 (also yes/no, true/false, on/off)") from None

    def enum(name: str, accepted: tuple[str, ...]) -> tuple[Any, ...]:
        *_, convert = EnumVariable(
            name, "", "", allowed_values=accepted, ignorecase=2
        )  # SCons's case folding; the check is ours
        return one_of(accepted), convert

    *_, to_list = ListVariable("arch", "", "all", names=list(ARCHES), map=dict(ALIASES))
    # name -> (validator, converter); ewdk= is checked with $TAP_EWDK, only when the build
    # uses it, and cache= is made.
    checks: dict[str, tuple[Any, ...]] = {
        "arch": (arches, lambda v: to_list(v.replace(" ", "").lower())),
        "config": enum("config", CONFIGS),
        "toolchain": enum("toolchain", (*TOOLCHAINS, "auto")),
        "ewdk": (PathVariable.PathAccept, None),
        "override": (lambda key, value, env: _override_file(value), None),
        "ti": (lambda key, value, env: _directory(key, value), None),
        "verbose": (None, boolean),
        "cache": (PathVariable.PathAccept, None),
    }
    variables = Variables(args=dict(arguments))
    for v in VARIABLES:  # in the table's order, which -h keeps
        variables.Add(v.name, v.help, v.default, *checks[v.name])
    return variables


def parse(
    arguments: Mapping[str, str],
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> Options:
    """Validate every variable through SCons's ``Variables``; the first bad one raises
    TapError (one line)."""
    from SCons.Environment import Environment

    variables = _scons_variables(arguments)
    env = Environment(tools=[], variables=variables)
    for name in variables.UnknownVariables():
        raise TapError(f"unknown variable {name}=; accepted: {', '.join(NAMES)} (scons -h)")
    arches = [ARCHES[name] for name in ARCHES if name in env["arch"]]
    config = env["config"]
    verbose = env["verbose"]
    toolchain = env["toolchain"]
    if env["ewdk"]:
        ewdk = _directory("ewdk", env["ewdk"])
    elif toolchain == "ewdk" or (toolchain == "auto" and platform == "win32"):
        ewdk = _directory(EWDK_ENV, environ.get(EWDK_ENV, ""))
    else:
        ewdk = None  # a stale $TAP_EWDK does not matter to a build that does not use it
    if toolchain == "auto":
        toolchain = "ewdk" if platform == "win32" and ewdk is not None else "zig"
    if toolchain == "ewdk" and ewdk is None:
        raise TapError(f"toolchain=ewdk needs the EWDK root: give ewdk=DIR or set {EWDK_ENV}")
    cache = Path(env["cache"]).expanduser().resolve() if env["cache"] else None
    if cache is not None:
        atomic.make_dir(cache, f"cache={env['cache']}")
    return Options(
        arches=arches,
        config=config,
        toolchain=toolchain,
        ewdk=ewdk,
        override=_override_file(env["override"]),
        ti=_directory("ti", env["ti"]),
        verbose=verbose,
        cache=cache,
    )


def help_text() -> str:
    """``scons -h``: SCons's help text of the variables, in the project's format."""
    from SCons.Environment import Environment

    variables = _scons_variables({})
    accepted = {v.name: v.accepted for v in VARIABLES}

    def entry(env: Any, key: str, text: str, default: Any, actual: Any, aliases: Any = None) -> str:
        return f"  {key}=  {text}\n      default: {default or '(none)'}; accepted: {accepted[key]}\n"

    variables.FormatVariableHelpText = entry
    lines = ["Variables (name=value on the scons command line):", ""]
    lines.append(variables.GenerateHelpText(Environment(tools=[], variables=variables)).rstrip())
    lines += [
        "",
        "Targets: (default) dist/ and tap6.tar.gz, tap6-symbols.tar.gz;",
        "         core-host (the portable core as a host shared library, for tests/core);",
        "         msica (the MSM custom-action DLL only);",
        "         driver-sim (with arch=amd64: the driver simulator, for tests/simulator).",
    ]
    return "\n".join(lines) + "\n"
