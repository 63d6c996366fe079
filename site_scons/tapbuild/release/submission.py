"""`nox -s submission`: the cabinets submitted to Partner Center for attestation signing.

One cabinet per architecture, ``<name>-<arch>.cab``, holding every file of ``dist/<arch>/``
under ``<arch>\\`` with MSZIP compression (what the old Create-DriverSubmission.ps1 asked
makecab for). The cabinets are deterministic: files in name order, all dated
``SOURCE_DATE_EPOCH`` (or 2000-01-01, as the tarball). When signing credentials are set they
are signed, timestamped and verified through :mod:`tapbuild.sign.signer` — Partner Center
rejects unsigned cabinets. All cabinets appear together or none does.

With a version override whose component id is not version.py's, the default name gains the
id (``tap-windows6-tapoas6-amd64.cab``), as the installers and merge modules do, and every
architecture folder must hold that id's driver.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tapbuild import atomic, scratch
from tapbuild.errors import TapError, naming
from tapbuild.formats import cabinet, tarball
from tapbuild.product.names import PackageNames, load_names
from tapbuild.sign import credentials, hook, signer

DEFAULT_NAME = "tap-windows6"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise TapError(
            f"--name {name!r}: accepted: a file-name stem of letters, digits, '.', '_' or '-' "
            "(1-64, not starting with '.', '_' or '-')"
        )
    return name


def default_name(names: PackageNames) -> str:
    """``tap-windows6``, or ``tap-windows6-<id>`` for another component id than version.py's."""
    if names.component_id != load_names().component_id:
        return f"{DEFAULT_NAME}-{names.component_id}"
    return DEFAULT_NAME


def cabinet_name(name: str, arch: str) -> str:
    return f"{name}-{arch}.cab"


def cabinet_date() -> datetime.datetime:
    """The date every member carries: SOURCE_DATE_EPOCH, else the tarball's fixed epoch."""
    stamp = datetime.datetime.fromtimestamp(tarball.epoch(), datetime.timezone.utc)
    return stamp.replace(tzinfo=None)


def members(arch_dir: Path) -> list[tuple[str, bytes]]:
    """``(<arch>\\<relative path>, content)`` for every file under ``arch_dir``, sorted."""
    found: list[tuple[str, Path]] = []
    for top, dirs, files in os.walk(arch_dir):
        dirs.sort()
        for entry in (*dirs, *files):
            path = Path(top) / entry
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                raise TapError(
                    f"{path}: not a regular file or folder; a submission takes plain files"
                )
        for f in files:
            rel = (Path(top) / f).relative_to(arch_dir.parent)
            found.append(("\\".join(rel.parts), Path(top) / f))
    if not found:
        raise TapError(f"{arch_dir}: empty; build dist/ first (scons, then nox -s sign)")
    if not any(name.lower().endswith(".inf") for name, _ in found):
        raise TapError(f"{arch_dir}: no .inf file; a driver submission needs the driver package")
    found.sort(key=lambda item: item[0].lower())
    return [(name, path.read_bytes()) for name, path in found]


def _arch_dirs(dist: Path, arches: Sequence[str] | None) -> list[Path]:
    present = signer.arch_dirs(dist)
    if arches is None:
        return present
    missing = [a for a in arches if not (dist / a).is_dir()]
    if missing:
        raise TapError(
            f"{dist}: no {', '.join(missing)} folder; present: {', '.join(d.name for d in present)}"
        )
    return [dist / a for a in arches]


def make(
    dist: Path,
    out_dir: Path,
    name: str = DEFAULT_NAME,
    arches: Sequence[str] | None = None,
    sign: bool | None = None,
    options: signer.SignOptions | None = None,
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
    names: PackageNames | None = None,
) -> list[Path]:
    """Write the submission cabinets of ``dist`` into ``out_dir``; return their paths.

    ``sign`` None means: sign when credentials are set in the environment. With ``names``,
    every architecture folder must hold their component id's driver.
    """
    check_name(name)
    if not dist.is_dir():
        raise TapError(f"{dist}: no such directory; build dist/ first (scons)")
    dirs = _arch_dirs(dist, arches)
    if names is not None:
        sys_name = f"{names.component_id}.sys"
        for d in dirs:
            if not (d / sys_name).is_file():
                raise TapError(
                    f"{d}: no {sys_name}; give the --override dist/ was built with (its "
                    "component id names the driver)"
                )
    atomic.make_dir(out_dir, f"--out {out_dir}")  # as nox -s package makes its --out
    if sign is None:
        sign = hook.configured(environ)
    if sign:
        credentials.from_environment(environ)  # a certificate that cannot sign: said first
    when = cabinet_date()
    # made in .submission.tx-<pid>-*, removed however the run ends (and after a crash, by
    # the next run)
    with scratch.folder(
        out_dir, ".submission.tx-", log, f"--out {out_dir}", "submission folder"
    ) as tx:
        made: list[Path] = []
        total = 3 if sign else 2
        log(f"[1/{total}] cabinets of {', '.join(d.name for d in dirs)}")
        for d in dirs:
            cab = cabinet.write(tx / cabinet_name(name, d.name), members(d), when)
            log(f"{cab.name}: {len(cabinet.read_file(cab))} files from {d}")
            made.append(cab)
        if sign:

            def named(line: str) -> None:  # the cabinets' final place, not the scratch folder
                log(line.replace(str(tx), str(out_dir)))

            log(f"[2/{total}] signing, timestamping and verifying the cabinets")
            with naming(tx, out_dir):
                signer.sign_files(made, options or signer.SignOptions(), environ, named)
        else:
            log(
                "signing credentials not set: cabinets left unsigned (Partner Center rejects "
                "them; sign with nox -s sign-file)"
            )
        final = [out_dir / c.name for c in made]
        log(f"[{total}/{total}] putting them in {out_dir}")
        for cab, dst in zip(made, final, strict=True):
            os.replace(cab, dst)
        return final
