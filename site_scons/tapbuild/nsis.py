"""`nox -s package`: the NSIS installer, from dist/, with makensis.

One x86 installer carries every architecture's driver and picks the native one at run time
(installer/tap-windows6.nsi). This module checks dist/, stages what the script needs beside
the driver files (LICENSE with CRLF line ends, the artwork, the utility scripts), passes every
name with -D and writes ``<package>-<version>-I<build>.exe`` in one step (a failed build
leaves no file behind).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tapbuild import artwork, atomic, catalog
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.inf import substitute
from tapbuild.pkgnames import PackageNames

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "installer" / "tap-windows6.nsi"
UTILITIES = ROOT / "installer" / "utilities"


@dataclass(frozen=True)
class DistFiles:
    """What the installer takes from dist/ for the chosen architectures."""

    arches: tuple[str, ...]
    catalogs: tuple[str, ...]  # arches whose <id>.cat exists (signed builds)


def arch_files(names: PackageNames) -> tuple[str, ...]:
    return ("OemVista.inf", f"{names.component_id}.sys", "tapinstall.exe")


def check_dist(dist: Path, names: PackageNames, arches: Sequence[str]) -> DistFiles:
    """Every file the installer needs, or one error line naming all that are missing."""
    missing = [
        f"{a}/{f}" for a in arches for f in arch_files(names) if not (dist / a / f).is_file()
    ]
    if not (dist / "include" / "tap-windows.h").is_file():
        missing.append("include/tap-windows.h")
    if missing:
        raise TapError(
            f"{dist}: missing {', '.join(missing)}; build dist/ first (nox -s build) "
            "or pass --dist DIR holding <arch>/OemVista.inf, <id>.sys, tapinstall.exe "
            "and include/tap-windows.h"
        )
    cats = tuple(a for a in arches if (dist / a / f"{names.component_id}.cat").is_file())
    for a in cats:  # a catalog that no longer matches would fail the install on Windows
        problems = catalog.check_members(
            dist / a / f"{names.component_id}.cat", catalog.package_files(dist / a)
        )
        if problems:
            raise TapError(
                f"{dist / a}: {problems[0]}; sign dist/ again (nox -s sign) or rebuild it "
                "(scons) for an unsigned package"
            )
    return DistFiles(tuple(arches), cats)


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def stage(folder: Path, names: PackageNames, license_file: Path = ROOT / "LICENSE") -> Path:
    """Write the license, artwork and utility scripts the script includes into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        license_text = license_file.read_text(encoding="utf-8")
    except OSError:
        raise TapError(f"{license_file}: cannot read the license the installer shows") from None
    atomic.write_if_changed(folder / "LICENSE.txt", crlf(license_text))
    artwork.write_all(folder)
    values = {"PRODUCT_NAME": names.product_name, "COMPONENT_ID": names.component_id}
    for template in sorted(UTILITIES.glob("*.bat.in")):
        text = substitute(template.read_text(encoding="utf-8"), values, str(template))
        atomic.write_if_changed(folder / template.name[: -len(".in")], crlf(text))
    return folder


def _nsis_text(value: str) -> str:
    """A define's value as NSIS reads it: ``$`` doubled so it stays literal."""
    return value.replace("$", "$$")


def defines(
    names: PackageNames,
    dist: Path,
    staged: Path,
    files: DistFiles,
    outfile: Path,
    sign_command: Sequence[str] | None = None,
) -> dict[str, str]:
    d = {
        "PRODUCT_NAME": _nsis_text(names.product_name),
        "PRODUCT_PUBLISHER": _nsis_text(names.product.PRODUCT_PUBLISHER),
        "PRODUCT_VERSION": names.version,
        "VI_VERSION": names.four_part_version,
        "COMPONENT_ID": names.component_id,
        "UNINSTALL_KEY": _nsis_text(names.uninstall_key),
        "DIST": str(dist),
        "STAGE": str(staged),
        "OUTFILE": str(outfile),
        "ARCH_LIST": ", ".join(files.arches),
    }
    for a in files.arches:
        d[f"ARCH_{a}"] = "1"
    for a in files.catalogs:
        d[f"CAT_{a}"] = "1"
    if sign_command:
        d["SIGN_COMMAND"] = _command_line(sign_command)
    return d


def _command_line(argv: Sequence[str]) -> str:
    if os.name == "nt":
        return subprocess.list2cmdline(list(argv))
    return shlex.join(argv)


def find_makensis() -> str:
    candidates = [os.environ.get("MAKENSIS", ""), shutil.which("makensis") or ""]
    if os.name == "nt":
        for var in ("ProgramFiles(x86)", "ProgramFiles"):
            base = os.environ.get(var)
            if base:
                candidates.append(str(Path(base) / "NSIS" / "makensis.exe"))
    for c in candidates:
        if c and Path(c).is_file():
            return c
    raise TapError(
        "makensis not found; install NSIS 3 (Debian: apt-get install nsis; Windows: nsis.sf.net) "
        "or set MAKENSIS to its path"
    )


def command(makensis: str, defs: dict[str, str], script: Path = SCRIPT) -> list[str]:
    return [
        makensis,
        "-V2",
        "-INPUTCHARSET",
        "UTF8",
        *(f"-D{k}={v}" for k, v in defs.items()),
        str(script),
    ]


def build(
    names: PackageNames,
    dist: Path,
    out_dir: Path,
    work: Path,
    arches: Sequence[str] = tuple(ARCHES),
    sign_command: Sequence[str] | None = None,
    makensis: str | None = None,
) -> Path:
    """Build the installer into ``out_dir``; return its path."""
    dist = dist.resolve()
    files = check_dist(dist, names, arches)
    exe = find_makensis() if makensis is None else makensis
    staged = stage(work.resolve() / "nsis", names)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir.resolve() / names.installer_file
    with atomic.replacing(target) as tmp:
        argv = command(exe, defines(names, dist, staged, files, tmp, sign_command))
        proc = subprocess.run(argv, capture_output=True, text=True, errors="replace", check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
            hook = [
                x for x in (proc.stdout + proc.stderr).splitlines() if x.startswith("signhook:")
            ]
            raise TapError(f"makensis failed (exit {proc.returncode}): {(hook or lines)[-1]}")
    return target
