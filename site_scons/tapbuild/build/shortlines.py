"""The one short line each build step prints (``CC     amd64  driver/adapter.c``): every
``$…COMSTR`` of the build, set in one place.

A line is a label (6 wide), the arch (``$TAPARCH``: amd64, i386, arm64, host, or ``-`` for what
is not per arch) and what the step makes or reads, after ``$TAP_PROGRESS`` (``[n/N] `` on a
terminal, tapbuild.build.progress). With ``verbose=1`` none is set, so SCons prints each full
command line instead (and a Python step as its function call).
"""

from __future__ import annotations

# COMSTR variable -> (label, what). $TARGET or $SOURCE are SCons's own variables.
STEPS: dict[str, tuple[str, str]] = {
    "CCCOMSTR": ("CC", "$SOURCE"),
    "SHCCCOMSTR": ("CC", "$SOURCE"),
    "SHLINKCOMSTR": ("LINK", "$TARGET"),
    "TAP_KLINKCOMSTR": ("LINK", "$TARGET"),
    "TAP_PLINKCOMSTR": ("LINK", "$TARGET"),
    "TAP_DLINKCOMSTR": ("LINK", "$TARGET"),
    "TAP_CRTLINKCOMSTR": ("LINK", "$TARGET"),
    "TAP_PECHKCOMSTR": ("PECHK", "$TARGET"),
    "TAP_IMPLIBCOMSTR": ("IMPLIB", "$TARGET"),
    "TAP_RCCOMSTR": ("RC", "$TARGET"),
    "TAP_GENCOMSTR": ("GEN", "$TARGET"),
    "TAP_INFCOMSTR": ("INF", "$TARGET"),
    "TAP_DDKCOMSTR": ("DDK", "build/zig-ddk"),
    "TAP_SIMCHKCOMSTR": ("SIMCHK", "$TARGET"),
    "TAP_DEVCON_MCCOMSTR": ("MC", "$SOURCE"),
    "TAP_DEVCON_CXXCOMSTR": ("CXX", "$SOURCE"),
    "TAP_DEVCON_RCCOMSTR": ("RC", "$TARGET"),
    "TAP_DEVCON_LINKCOMSTR": ("LINK", "$TARGET"),
    "TAP_COPYCOMSTR": ("COPY", "$TARGET"),
    "INSTALLSTR": ("DIST", "$TARGET"),
    "TAP_TARCOMSTR": ("TAR", "$TARGET"),
    "COMPILATIONDB_COMSTR": ("DB", "$TARGET"),
}


def line(label: str, what: str) -> str:
    """One short line, as a COMSTR (substituted by SCons when the step runs)."""
    return f"${{TAP_PROGRESS}}{label:<6} $TAPARCH  {what}"


def comstrs(verbose: bool) -> dict[str, str | None]:
    """Every COMSTR of the build: the short lines, or (verbose) none, so that SCons prints the
    command lines."""
    return {name: None if verbose else line(*step) for name, step in STEPS.items()}
