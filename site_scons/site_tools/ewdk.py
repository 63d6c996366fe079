"""SCons Tool: the Enterprise WDK (Windows). Its environment is captured once and cached
(in build/toolchain-env/; ``scons -n`` and ``-h`` read the cache but write nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from SCons.Script import GetOption
from tapbuild.build import msvc


def generate(env: Any) -> None:
    environ = msvc.ewdk_environment(
        Path(env["TAP_EWDK"]),
        env["TAP_ARCH"],
        Path(env.Dir("#build/toolchain-env").abspath),
        write_cache=not any(GetOption(o) for o in ("no_exec", "help")),
    )
    env["ENV"].update(environ)
    root, version = msvc.kit_from_environment(environ, "ewdk")
    msvc.configure(env, root, version)


def exists(env: Any) -> bool:
    return bool(env.get("TAP_EWDK"))
