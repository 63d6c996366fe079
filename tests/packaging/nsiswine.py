"""The NSIS installer run under wine: prefixes, their registry, and what an installation left.

A prefix of either bitness is made once per test session (``wineboot`` takes 10 to 70 seconds)
and copied for every test, so each test starts from a prefix nothing has touched. The copy
hard-links the large files of ``C:\\windows`` (the DLLs wine places there and never changes)
and copies everything else, the registry files included: a copy takes a fraction of a second
where a full one would write 1.3 GB.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wine import Wine, running

PROGRAMS = r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs"  # SetShellVarContext all
UNINSTALL = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"
LINK_MIN = 64 * 1024  # files of C:\windows at least this large are hard-linked, not copied


def _env(wine: Wine) -> None:
    # Shortcuts would otherwise become menu entries in the user's home (winemenubuilder), and
    # wine's failed attempt to load the driver would start its debugger each time.
    wine.env["WINEDLLOVERRIDES"] += ";winemenubuilder.exe,winedbg.exe=d"


def make_template(folder: Path, bits: int) -> Path:
    """A new, initialized prefix of ``bits`` (32 or 64), its server stopped."""
    wine = Wine(folder, win32=bits == 32)
    _env(wine)
    try:
        wine.start()
    finally:
        wine.stop()
    return folder


def _link_or_copy(src: str, dst: str) -> str:
    if f"{os.sep}drive_c{os.sep}windows{os.sep}" in src and os.path.getsize(src) >= LINK_MIN:
        os.link(src, dst)
        return dst
    return shutil.copy2(src, dst)


@dataclass
class Prefix:
    """A started copy of a template prefix."""

    root: Path
    bits: int
    wine: Wine

    def host(self, windows_path: str) -> Path:
        """The host path of ``C:\\...`` inside this prefix."""
        drive, _, rest = windows_path.partition(":\\")
        assert drive.upper() == "C", windows_path
        return self.root / "drive_c" / Path(*rest.split("\\"))

    def run(self, program: str | Path, *args: str) -> tuple[int, str, str]:
        """``wine program args``, output decoded (CR LF kept)."""
        code, out, err = self.wine.run([str(program), *args], timeout=300)
        return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def run_line(self, command_line: str) -> tuple[int, str, str]:
        """A command line run exactly as written, from a batch file by cmd.exe: for arguments
        no quoting may touch, such as NSIS's ``/D=``, which takes the rest of the line as is
        (``wine program args`` quotes every argument with a blank)."""
        batch = self.root.parent / "command-line.bat"
        batch.write_bytes(f"@{command_line}\r\n".encode())
        return self.run("cmd.exe", "/c", windows_path(batch))

    def reg(self, key: str) -> tuple[dict[str, tuple[str, str]], list[str]] | None:
        """(values: name -> (type, data), subkey names) of one key in the native view; None
        when there is no such key. The default value is named ``(Default)``."""
        view = ["/reg:64"] if self.bits == 64 else []
        code, out, err = self.run("reg.exe", "query", key, *view)
        if code != 0:
            assert "Unable to find the specified registry key" in out + err, out + err
            return None
        values: dict[str, tuple[str, str]] = {}
        subkeys: list[str] = []
        full = key.replace("HKLM\\", "HKEY_LOCAL_MACHINE\\", 1).lower()
        for line in out.splitlines():
            if line.startswith("    "):
                name, kind, *data = line[4:].split("    ", 2)
                values[name] = (kind, data[0] if data else "")
            elif line.lower().startswith(full + "\\"):  # a subkey (the key itself heads values)
                subkeys.append(line[len(full) + 1 :])
        return values, subkeys

    def reg_add(self, key: str, name: str, kind: str, data: str) -> None:
        view = ["/reg:64"] if self.bits == 64 else []
        value = ["/ve"] if name == "" else ["/v", name]
        code, out, err = self.run(
            "reg.exe", "add", key, *value, "/t", kind, "/d", data, "/f", *view
        )
        assert code == 0, out + err

    def wait_for_programs(self, timeout: float = 60) -> None:
        """Wait until no program runs in this prefix but wine's own services.

        NSIS's uninstaller copies itself to the temp folder, starts the copy and exits at once;
        the copy does the work. A program of this prefix is a process whose environment names
        it and whose command line is not one of C:\\windows (services, devices, explorer) nor
        the wine server; a process just forked still shows the loader's command line, so it
        counts too.
        """
        deadline = time.monotonic() + timeout
        while (left := self._programs()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"still running after {timeout} s: {left}"

    def _programs(self) -> list[str]:
        mark = f"WINEPREFIX={self.root}".encode()
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if mark not in (proc / "environ").read_bytes().split(b"\0"):
                    continue
                cmdline = (
                    (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                )
            except OSError:  # gone, or not ours to read
                continue
            if not cmdline or "wineserver" in cmdline.split(" ", 1)[0]:
                continue
            if cmdline.lower().startswith(("c:\\windows\\system32\\", "c:\\windows\\syswow64\\")):
                continue
            found.append(cmdline.strip())
        return found


@contextmanager
def copied(template: Path, folder: Path, bits: int) -> Iterator[Prefix]:
    """A started copy of ``template`` at ``folder``, its server stopped afterwards."""
    shutil.copytree(template, folder, symlinks=True, copy_function=_link_or_copy)
    with running(folder) as wine:
        _env(wine)
        yield Prefix(folder, bits, wine)


def windows_path(path: Path) -> str:
    """A host path as wine's programs see it (drive Z: is the host's root)."""
    return "Z:" + str(path).replace("/", "\\")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``: path relative to it, with '/' -> content."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
