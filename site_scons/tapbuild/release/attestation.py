"""`nox -s extract -- ZIP...`: attestation-signed drivers from Partner Center into dist/.

As the old Extract-DriverSubmission.ps1: the ``drivers/`` folder of each zip Partner Center
returns is copied over dist/ (an overlay: files the zips do not carry, such as the
tapinstall.exe signed before the submission, stay). Unlike it, nothing is written until
every entry of every zip has been checked: an absolute path, a drive letter or stream name
(``:``), a ``..`` component (with ``/`` or ``\\`` separators), a symbolic link or other
special entry, an encrypted entry, a name Windows cannot hold (a reserved device name such as
``CON`` or ``com1.txt``, a trailing dot or space, which Windows drops so that ``tap0901.sys.``
would overwrite ``tap0901.sys``), two entries Windows would take for one name, or a zip
without a single file under ``drivers/`` refuses the whole run. Names are compared as Windows
compares them: case-blind, trailing dots and spaces ignored.

dist/ is updated in one transaction (:func:`tapbuild.transaction.update_dir`). Before it is
replaced, the previous dist/ is copied to ``dist.<unix time>``; and the result must hold, in
every architecture folder, a tapinstall.exe whose signature verifies — otherwise dist/ stays
as it was and the run fails with one line.
"""

from __future__ import annotations

import calendar
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tapbuild import atomic, scratch
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.sign.verification import Expectations, verify_files
from tapbuild.transaction import backup_path, tx_prefix, update_dir

DRIVERS = "drivers"
TAPINSTALL = "tapinstall.exe"
MAX_TOTAL_BYTES = 2 << 30  # what the zips may unpack to, together
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*\x00-\x1f]')
# Device names Windows reserves, also with an extension ("nul.txt" is NUL): Microsoft's
# "Naming Files, Paths, and Namespaces" (COM0-9, LPT0-9 and the superscript digits) and
# CreateFile's console names.
_WINDOWS_RESERVED = re.compile(
    r"(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|(COM|LPT)[0-9\u00b9\u00b2\u00b3])"
)
_FILE_ATTRIBUTE_REPARSE_POINT = 0x400
_ENCRYPTED = 0x1
_ACCEPTED = "accepted: plain files and folders with relative names; nothing was extracted"

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Item:
    """One entry of a zip's ``drivers/`` folder, as it will land in dist/."""

    source: Path  # the zip
    index: int  # the entry's position in the zip's central directory
    name: str  # the entry's name in the zip
    parts: tuple[str, ...]  # the path below drivers/
    is_dir: bool
    mtime: int  # from the entry's date (taken as UTC, so extraction is reproducible)


def windows_key(part: str) -> str:
    """A name as Windows compares it: trailing dots and spaces dropped, each character
    upper-cased on its own (NTFS's upcase table maps one character to one, so "ß" stays)."""
    return "".join(u if len(u := c.upper()) == 1 else c for c in part.rstrip(". "))


def reserved_name(part: str) -> bool:
    """Whether Windows takes ``part`` for a device (CON, nul.txt, COM1, LPT¹ ...)."""
    stem = part.split(".", 1)[0].rstrip(" ")
    return _WINDOWS_RESERVED.fullmatch(windows_key(stem)) is not None


def entry_parts(name: str) -> tuple[str, ...]:
    """The components of a zip entry name, or TapError (without the zip's name) when the
    name could escape the destination or cannot exist on Windows."""
    if not name:
        return ()
    if name.startswith(("/", "\\")):
        raise TapError(f"{name!r} is an absolute path")
    if re.match(r"^[A-Za-z]:", name):
        raise TapError(f"{name!r} starts with a drive letter")
    parts = tuple(p for p in re.split(r"[/\\]", name) if p not in ("", "."))
    if ".." in parts:
        raise TapError(f"{name!r} climbs out with '..'")
    bad = next((p for p in parts if _WINDOWS_FORBIDDEN.search(p)), None)
    if bad is not None:
        raise TapError(
            f"{name!r} has a character Windows file names cannot hold "
            '(control characters or <>:"|?*; a ":" would name a drive or a stream)'
        )
    bad = next((p for p in parts if p.endswith((".", " "))), None)
    if bad is not None:
        raise TapError(
            f"{name!r} has a name ending in a dot or a space, which Windows drops "
            f"({bad!r} would be {bad.rstrip('. ')!r})"
        )
    bad = next((p for p in parts if reserved_name(p)), None)
    if bad is not None:
        raise TapError(
            f"{name!r} uses {bad!r}, a device name Windows reserves (CON, PRN, AUX, NUL, "
            "COM0-9, LPT0-9, CONIN$, CONOUT$, with or without an extension)"
        )
    return parts


def _entry_kind(info: zipfile.ZipInfo) -> str | None:
    """Why the entry is not a plain file or folder, or None when it is one."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode) or info.external_attr & _FILE_ATTRIBUTE_REPARSE_POINT:
        return "a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a special file (device, pipe or socket)"
    if info.flag_bits & _ENCRYPTED:
        return "encrypted"
    return None


def _mtime(info: zipfile.ZipInfo) -> int:
    try:
        return calendar.timegm((*info.date_time, 0, 0, 0))
    except (OverflowError, ValueError):
        return 315532800  # 1980-01-01, the zip format's first day


def plan(zips: Sequence[Path]) -> list[Item]:
    """Check every entry of every zip; return what lands in dist/ (zips in the order given,
    later ones overriding earlier ones). Nothing is written."""
    if not zips:
        raise TapError(
            "no zip given; usage: nox -s extract -- ZIP... (the zips Partner Center signed)"
        )
    items: list[Item] = []
    total = 0
    for z in zips:
        if not z.is_file():
            raise TapError(f"{z}: no such file; give the attestation-signed zips")
        try:
            with zipfile.ZipFile(z) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise TapError(f"{z}: not a readable zip file ({exc})") from None
        seen: dict[tuple[str, ...], str] = {}
        found = False
        files = 0
        for index, info in enumerate(infos):
            name = info.orig_filename
            if "\0" in name:
                raise TapError(f"{z}: entry {name!r} has a NUL character; nothing was extracted")
            try:
                parts = entry_parts(name)
            except TapError as exc:
                raise TapError(f"{z}: entry {exc}; {_ACCEPTED}") from None
            why = _entry_kind(info)
            if why is not None:
                raise TapError(f"{z}: entry {name!r} is {why}; {_ACCEPTED}")
            if not parts or windows_key(parts[0]) != DRIVERS.upper():
                continue
            found = True
            key = tuple(windows_key(p) for p in parts)
            if key in seen and not info.is_dir():
                other = "" if seen[key] == name else f" (as {seen[key]!r})"
                raise TapError(
                    f"{z}: {name!r} appears twice{other}, Windows names being case-blind; "
                    "nothing was extracted"
                )
            seen[key] = name
            total += info.file_size
            if len(parts) > 1:
                items.append(Item(z, index, name, parts[1:], info.is_dir(), _mtime(info)))
                files += not info.is_dir()
        if not found:
            raise TapError(
                f"{z}: no {DRIVERS}/ folder; expected a zip of attestation-signed drivers "
                "downloaded from Partner Center"
            )
        if not files:
            raise TapError(
                f"{z}: its {DRIVERS}/ folder holds no files; expected a zip of "
                "attestation-signed drivers downloaded from Partner Center; nothing was extracted"
            )
        if total > MAX_TOTAL_BYTES:
            raise TapError(f"{z}: the zips unpack to more than {MAX_TOTAL_BYTES >> 30} GiB")
    _check_shape(items)
    return items


def _check_shape(items: Sequence[Item]) -> None:
    """No path may be a file for one entry and a folder for another (case-blind, as Windows)."""
    files = {tuple(windows_key(p) for p in i.parts): i for i in items if not i.is_dir}
    for i in items:
        key = tuple(windows_key(p) for p in i.parts)
        for n in range(1, len(key) if not i.is_dir else len(key) + 1):
            clash = files.get(key[:n])
            if clash is not None and clash is not i:
                raise TapError(
                    f"{i.source}: {i.name!r} needs a folder where {clash.source} has the file "
                    f"{clash.name!r}; nothing was extracted"
                )


def _child(parent: Path, name: str) -> Path:
    """``parent/name``, reusing an existing child spelt differently (Windows is case-blind)."""
    exact = parent / name
    if exact.exists() or not parent.is_dir():
        return exact
    key = windows_key(name)
    for c in parent.iterdir():
        if windows_key(c.name) == key:
            return c
    return exact


def _target(root: Path, parts: Sequence[str]) -> Path:
    path = root
    for p in parts:
        path = _child(path, p)
    return path


def check_destination(items: Sequence[Item], dist: Path) -> None:
    """Refuse before writing when dist/ holds a file where a folder must go or the reverse,
    or a link anywhere on the way."""
    for i in items:
        path = dist
        for n, part in enumerate(i.parts):
            path = _child(path, part)
            last = n == len(i.parts) - 1
            if path.is_symlink():
                raise TapError(f"{path}: a symbolic link in dist/; remove it and run again")
            if path.exists() and (not last or i.is_dir) and not path.is_dir():
                raise TapError(
                    f"{path}: a file where {i.source} needs a folder; nothing was extracted"
                )
            if last and not i.is_dir and path.is_dir():
                raise TapError(f"{path}: a folder where {i.source} has the file {i.name!r}")


def _write(items: Sequence[Item], root: Path) -> int:
    count = 0
    opened: dict[Path, zipfile.ZipFile] = {}
    try:
        for i in items:
            dst = _target(root, i.parts)
            if i.is_dir:
                dst.mkdir(parents=True, exist_ok=True)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if i.source not in opened:
                opened[i.source] = zipfile.ZipFile(i.source)
            zf = opened[i.source]
            with atomic.replacing(dst) as tmp:
                try:
                    with zf.open(zf.infolist()[i.index]) as src, open(tmp, "wb") as out:
                        shutil.copyfileobj(src, out)
                except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
                    raise TapError(f"{i.source}: cannot extract {i.name!r} ({exc})") from None
                os.chmod(tmp, 0o644)
                os.utime(tmp, (i.mtime, i.mtime))
            count += 1
    finally:
        for zf in opened.values():
            zf.close()
    return count


def tapinstall_problems(
    dist: Path,
    ca: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
    tsa_ca: Sequence[Path] = (),
) -> list[str]:
    """Every architecture folder must hold a tapinstall.exe with a verifying signature (and
    timestamp, when it has one: ``tsa_ca`` adds trusted time-stamp roots)."""
    problems: list[str] = []
    present: list[tuple[str, Path]] = []
    for arch in ARCHES:
        folder = dist / arch
        if not folder.is_dir():
            continue
        exe = _child(folder, TAPINSTALL)
        if not exe.is_file():
            problems.append(f"{arch}/{TAPINSTALL}: missing")
        else:
            present.append((arch, exe))
    if present:
        expect = Expectations(
            None, timestamped=False, ca=tuple(ca), tsa_ca=tuple(tsa_ca), environ=environ
        )
        for arch, exe in present:
            problems += [f"{arch}/{p}" for p in verify_files([exe], expect)]
    return problems


def backup_copy(dist: Path, now: float | None = None) -> Path:
    """Copy ``dist`` to ``dist.<unix time>`` (the next free second when taken); return it."""
    backup = backup_path(dist, now)
    tx = scratch.make(dist.parent, tx_prefix(dist))
    try:
        shutil.copytree(dist, tx / "copy", symlinks=True, copy_function=shutil.copy2)
        os.rename(tx / "copy", backup)
    finally:
        shutil.rmtree(tx, ignore_errors=True)
    return backup


def extract(
    zips: Sequence[Path],
    dist: Path,
    ca: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
    now: float | None = None,
    tsa_ca: Sequence[Path] = (),
) -> Path | None:
    """Overlay the zips' ``drivers/`` onto ``dist``; return where the old dist/ was copied
    (None when there was none). On any failure dist/ is left exactly as it was."""
    items = plan([Path(z) for z in zips])
    dist = Path(dist).absolute()
    if dist.is_symlink() or (dist.exists() and not dist.is_dir()):
        raise TapError(f"--dist {dist}: not a directory; accepted: a folder (made when missing)")
    atomic.make_dir(dist.parent, f"--dist {dist}")
    if dist.is_dir():
        check_destination(items, dist)
    for flag, paths in (("--ca", ca), ("--tsa-ca", tsa_ca)):
        for p in paths:
            if not Path(p).is_file():
                raise TapError(f"{flag} {p}: no such certificate file")
    backup: Path | None = None
    with update_dir(dist, log, f"--dist {dist}") as work:
        count = _write(items, work)
        log(f"extracted {count} files from {len(zips)} zip(s)")
        problems = tapinstall_problems(work, ca, environ, tsa_ca)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise TapError(
                f"{problems[0]}{more}: every architecture folder needs a tapinstall.exe with a "
                "valid signature (extract onto the signed dist/, or sign it with nox -s "
                "sign-file; --ca adds a trusted root, --tsa-ca a time-stamp root); dist/ "
                "left unchanged"
            )
        if dist.is_dir():
            backup = backup_copy(dist, now)
            log(f"previous dist kept as {backup}")
    return backup
