"""`nox -s package`: the NSIS installer, from dist/, with makensis.

One x86 installer carries every architecture's driver and picks the native one at run time
(installer/tap-windows6.nsi). This module checks dist/, stages what the script needs beside
the driver files (LICENSE with CRLF line ends, the artwork, the utility scripts), passes every
name with -D and writes ``<package>-<version>-I<build>.exe`` in one step (a failed build
leaves no file behind).

makensis runs in a private folder of its own (mode 0700, ``<work>/makensis-<pid>-*``), its
working folder and temporary folder, holding a copy of the inputs: the script names them
there by relative names, so no path the user chose (with spaces, quotes, ``$`` or non-ASCII
letters) is ever parsed by makensis or by a shell. The signing command, if any, is written
into a launcher there (``sh signhook.sh FILE``; ``signhook.cmd FILE`` on Windows) that
makensis runs as ``!finalize``/``!uninstfinalize``. The folder, with the secrets the hook was
handed and makensis's temporary uninstaller (``/tmp/makensisXXXXXX`` off Windows, whose
path the launcher notes), is removed when packaging ends, however it ends; one that a crash
left is removed by the next run. No child sees TAP_SIGN_PASSWORD in its environment.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tapbuild import atomic, scratch, toolrun
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.package import artwork
from tapbuild.paths import ROOT
from tapbuild.product.inf import substitute
from tapbuild.product.names import PackageNames
from tapbuild.sign import catalog

SCRIPT = ROOT / "installer" / "tap-windows6.nsi"
UTILITIES = ROOT / "installer" / "utilities"
PRIVATE_PREFIX = "makensis-"
OUTPUT = "installer.exe"  # inside the private folder
SIGNED_LIST = "signed-files.txt"  # what the launcher was asked to sign, one path a line
# makensis's temporary uninstaller off Windows (NSIS util.cpp: mkstemp of this template).
_MAKENSIS_TEMP = re.compile(r"/tmp/makensis[A-Za-z0-9]{6}")

# The signing command: a fixed argv, or one made for the private folder (where it may leave
# files only it reads, such as a secret handed over in a mode-0600 file).
SignCommand = Sequence[str] | Callable[[Path], Sequence[str]]


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
    sign_command: str | None = None,
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
        d["SIGN_COMMAND"] = sign_command
    return d


def launcher(argv: Sequence[str], windows: bool = os.name == "nt") -> tuple[str, str, bytes]:
    """The command makensis runs (``<it> "FILE"``), and the name and content of the launcher
    file behind it, which runs ``argv`` with the file added. Every argument is quoted in the
    file for its shell, so any path works; makensis itself only sees the fixed command."""
    if windows:
        line = " ".join(_cmd_quote(a) for a in argv).replace("%", "%%")
        # cmd.exe reads a batch file line by line in the console code page: UTF-8 from line 2.
        text = f"@chcp 65001 >nul\r\n@{line} %*\r\n"
        return "signhook.cmd", "signhook.cmd", text.encode("utf-8")
    text = (
        "# written by tapbuild.package.nsis: makensis runs this for each file to sign (!finalize)\n"
        f'printf "%s\\n" "$1" >> {SIGNED_LIST}\n'
        f'exec {shlex.join(argv)} "$@"\n'
    )
    return "sh signhook.sh", "signhook.sh", os.fsencode(text)


def _cmd_quote(arg: str) -> str:
    """One argument for cmd.exe and the C runtime: always in double quotes (so that cmd's
    ``& | < > ^`` stay literal), inner quotes and the backslashes before them escaped."""
    quoted = subprocess.list2cmdline([arg])
    if quoted.startswith('"'):
        return quoted
    return '"' + re.sub(r"(\\+)$", r"\1\1", quoted) + '"'


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
    """makensis's arguments; -NOCD keeps it in the private folder the defines point into."""
    return [
        makensis,
        "-NOCD",
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
    sign_command: SignCommand | None = None,
    makensis: str | None = None,
    log: scratch.Log | None = None,
) -> Path:
    """Build the installer into ``out_dir`` (``--out``); return its path. ``work`` is where
    makensis's private folder is made."""
    dist = dist.resolve()
    files = check_dist(dist, names, arches)
    out_dir = atomic.writable_dir(Path(out_dir).absolute(), f"--out {out_dir}")
    exe = find_makensis() if makensis is None else makensis
    target = out_dir.resolve() / names.installer_file
    work = atomic.make_dir(Path(work).resolve(), f"{work} (packaging's work folder)")
    with scratch.folder(
        work, PRIVATE_PREFIX, log, what="packaging folder", before_removal=remove_temporaries
    ) as private:
        stage(private / "stage", names)
        copy_inputs(dist, private / "dist", names, files)
        command_name = None
        if sign_command is not None:
            argv = sign_command(private) if callable(sign_command) else sign_command
            command_name, file_name, script = launcher(argv)
            atomic.write_bytes(private / file_name, script, mode=0o600)
        defs = defines(names, Path("dist"), Path("stage"), files, Path(OUTPUT), command_name)
        _run(command(exe, defs), private)
        try:
            with atomic.replacing(target) as tmp:
                shutil.copyfile(private / OUTPUT, tmp)
        except OSError as exc:
            raise TapError(
                f"--out {out_dir}: cannot write {target.name} ({exc.strerror})"
            ) from None
    return target


def copy_inputs(dist: Path, into: Path, names: PackageNames, files: DistFiles) -> None:
    """The dist/ files the script takes, copied under the private folder (by relative names)."""
    wanted = [Path(a) / f for a in files.arches for f in arch_files(names)]
    wanted += [Path(a) / f"{names.component_id}.cat" for a in files.catalogs]
    wanted.append(Path("include") / "tap-windows.h")
    for rel in wanted:
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dist / rel, into / rel)


def environment(private: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """makensis's environment (and so the signing hook's): no secret variables, the proxy
    variables kept (the hook reaches the time-stamp servers); its temporary files (the
    uninstaller on Windows, the hook's) in the private folder."""
    env = toolrun.tool_environment(environ, keep_proxy=True)
    for name in ("TMPDIR", "TMP", "TEMP"):
        env[name] = str(private)
    return env


def _run(argv: list[str], private: Path) -> None:
    res = toolrun.run(
        argv,
        environ=environment(private),
        keep_proxy=True,
        merge_stderr=False,
        text=True,
        cwd=private,
        timeout=None,
    )
    if res.returncode != 0:
        said = res.output + res.stderr
        sys.stderr.write(said)
        hook = [x for x in said.splitlines() if x.startswith("signhook:")]
        raise TapError(
            f"makensis failed (exit {res.returncode}): {(hook or [res.last_said()])[-1]}"
        )


def remove_temporaries(private: Path) -> None:
    """Remove makensis's temporary uninstallers the launcher noted (they are outside the
    private folder off Windows, and makensis leaves them behind when signing fails)."""
    try:
        noted = (private / SIGNED_LIST).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for line in noted.splitlines():
        if _MAKENSIS_TEMP.fullmatch(line):
            Path(line).unlink(missing_ok=True)
