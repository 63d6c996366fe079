"""SCons Tool: Visual Studio + WDK, from a Developer Command Prompt (the old --sdk=wdk).

A prompt targets one architecture (VSCMD_ARG_TGT_ARCH); an arch it does not target is refused.
"""

from __future__ import annotations

import os
from typing import Any

from tapbuild.build import msvc


def generate(env: Any) -> None:
    environ = dict(os.environ)
    env["ENV"].update(environ)
    root, version = msvc.kit_from_environment(environ, "wdk")
    msvc.check_prompt_target(environ, env["TAP_ARCH"])
    msvc.configure(env, root, version)


def exists(env: Any) -> bool:
    return "VCINSTALLDIR" in os.environ
