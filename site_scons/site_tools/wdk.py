"""SCons Tool: Visual Studio + WDK, from a Developer Command Prompt (the old --sdk=wdk).

The arch the prompt targets (VSCMD_ARG_TGT_ARCH) builds with the prompt's environment as it
is; every other arch is set up from the same prompt by SCons's own msvc Tool, with
``TARGET_ARCH`` and the prompt's toolset and SDK versions (tapbuild.build.msvc.cross_setup), so
``scons toolchain=wdk`` builds all three arches from one prompt.
"""

from __future__ import annotations

import os
from typing import Any

from tapbuild.build import msvc
from tapbuild.errors import TapError


def _set_up_with_scons(env: Any, setup: dict[str, str]) -> None:
    """vcvarsall.bat for another target, through SCons's msvc Tool (Windows only)."""
    import SCons.Tool.MSCommon

    env.Replace(**setup)
    try:
        SCons.Tool.MSCommon.msvc_setup_env_once(env, "wdk")
    except Exception as exc:  # SCons's MSVC errors (VisualCException) and UserErrors
        arch = env["TAP_ARCH"]
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pinned = ", ".join(f"{k}={v}" for k, v in setup.items() if k != "MSVC_NOTFOUND_POLICY")
        raise TapError(
            f"toolchain=wdk: arch={arch.name}: SCons's msvc set-up ({pinned}) failed: {first}; "
            f"install Visual Studio's {arch.msvc} build tools, build from an {arch.msvc} "
            "Developer Command Prompt, or use toolchain=ewdk"
        ) from None


def generate(env: Any) -> None:
    environ = dict(os.environ)
    root, version = msvc.kit_from_environment(environ, "wdk")
    setup = msvc.cross_setup(environ, env["TAP_ARCH"])
    if setup is None:
        env["ENV"].update(environ)
    else:
        env["ENV"].update(msvc.without_target_paths(environ))
        _set_up_with_scons(env, setup)
    msvc.configure(env, root, version)


def exists(env: Any) -> bool:
    return "VCINSTALLDIR" in os.environ
