"""`nox -s prepare-msm`: the dist/ layout MSM packaging consumes, from two signed dists.

The win7 dist (cross-signed, EV) gives ``<arch>/`` for i386 and amd64; the win10 dist
(attestation-signed by Microsoft) gives ``<arch>/win10/`` for i386, amd64 and arm64 and
``include/tap-windows.h``. Neither copy keeps tapinstall.exe (the modules install the driver
themselves). An existing dist/ is kept as ``dist.<unix time>``; the new one appears in one
rename, so a failure leaves dist/ as it was. It is built in ``.dist.msm-<pid>-*`` beside it,
removed on every way out (SIGTERM included) and by the next run after a crash.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tapbuild import atomic, scratch
from tapbuild.arch import arch_names
from tapbuild.errors import TapError
from tapbuild.product.names import PackageNames
from tapbuild.transaction import backup_path, install_dir

WIN7_ARCHES = arch_names(lambda a: a.min_windows < (10, 0))  # the cross-signed dist
WIN10_ARCHES = arch_names(lambda a: True)
DROPPED = {"tapinstall.exe"}


def driver_files(names: PackageNames) -> tuple[str, ...]:
    return ("OemVista.inf", f"{names.component_id}.sys", f"{names.component_id}.cat")


def check_signed_dist(
    label: str, folder: Path, names: PackageNames, arches: tuple[str, ...]
) -> None:
    if not folder.is_dir():
        raise TapError(
            f"--{label} {folder}: no such directory; give the {label} signed dist/ folder"
        )
    cat = folder / "amd64" / f"{names.component_id}.cat"
    if not cat.is_file():
        raise TapError(
            f"--{label} {folder}: no amd64/{cat.name}; sign the drivers first (a {label} dist "
            "holds <arch>/OemVista.inf, <id>.sys and <id>.cat)"
        )
    missing = [
        f"{a}/{f}" for a in arches for f in driver_files(names) if not (folder / a / f).is_file()
    ]
    if missing:
        raise TapError(f"--{label} {folder}: missing {', '.join(missing)}")


def _copy_arch(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if f.is_file() and f.name.lower() not in DROPPED:
            shutil.copy2(f, dst / f.name)


def prepare(
    win7: Path,
    win10: Path,
    dist: Path,
    names: PackageNames,
    now: float | None = None,
    log: scratch.Log | None = None,
) -> Path | None:
    """Write the MSM layout to ``dist``; return where the previous dist/ went (or None)."""
    check_signed_dist("win7", win7, names, WIN7_ARCHES)
    check_signed_dist("win10", win10, names, WIN10_ARCHES)
    header = win10 / "include" / "tap-windows.h"
    if not header.is_file():
        raise TapError(f"--win10 {win10}: missing include/tap-windows.h")
    given = f"--dist {dist}"
    dist = dist.absolute()
    if dist.is_symlink() or (dist.exists() and not dist.is_dir()):
        raise TapError(f"{given}: not a directory; accepted: a folder (replaced, the old one kept)")
    atomic.make_dir(dist.parent, given)
    with scratch.folder(dist.parent, f".{dist.name}.msm-", log, given, "MSM layout") as tx:
        work = tx / dist.name
        for a in WIN7_ARCHES:
            _copy_arch(win7 / a, work / a)
        for a in WIN10_ARCHES:
            _copy_arch(win10 / a, work / a / "win10")
        (work / "include").mkdir()
        shutil.copy2(header, work / "include" / "tap-windows.h")
        return install_dir(work, dist, backup_path(dist, now))
