"""Where the driver tests find what a build made."""

from __future__ import annotations

from pathlib import Path

from tapbuild.product import versioninfo


def image(tree: Path, arch: str, config: str = "release") -> Path:
    """The driver image of one arch and config in a built tree."""
    name = versioninfo.load().component_id
    return tree / "build" / config / arch / "driver" / f"{name}.sys"
