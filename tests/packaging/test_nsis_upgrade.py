"""Upgrading over TAP-Windows 9.x and uninstalling leave no file behind.

Read from the compiled installer and its uninstaller (as 7-Zip extracts it): their File,
SetOutPath, WriteUninstaller, Delete and RMDir instructions, every branch of them, including
the architectures no run here takes. test_installer_wine.py runs both programs under wine.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from pkgtest_util import extract_7z, nsis_header
from tapbuild.package import nsis
from tapbuild.product.names import load_names

pytestmark = pytest.mark.tool("makensis", "7z")

# Opcodes of NSIS 3's compiled instructions (each: opcode and six parameters).
CREATEDIR, EXTRACTFILE, DELETEFILE, RMDIR, WRITEUNINSTALLER = 11, 20, 21, 23, 62
# Codes inside a Unicode script's strings: the next character is literal / a shell folder /
# a variable (its number in 14 bits) / a language string.
SKIP_CODE, SHELL_CODE, VAR_CODE, LANG_CODE = 1, 2, 3, 4
VARIABLES = {21: "$INSTDIR", 22: "$OUTDIR", 26: "$PLUGINSDIR"}

# What the old 9.x installer kept in the install folder that this one does not install.
OLD_9X_FILES = {r"$INSTDIR\icon.ico", r"$INSTDIR\license.txt"}


@dataclass
class Script:
    entries: list[tuple[int, ...]]
    strings: bytes

    def text(self, offset: int) -> str:
        """The string at ``offset`` (in characters), variables written as $NAME."""
        out, i = [], offset * 2
        while (c := int.from_bytes(self.strings[i : i + 2], "little")) != 0:
            i += 2
            if c in (SKIP_CODE, SHELL_CODE, VAR_CODE, LANG_CODE):
                arg = int.from_bytes(self.strings[i : i + 2], "little")
                i += 2
                if c == SKIP_CODE:
                    out.append(chr(arg))
                elif c == VAR_CODE:
                    n = (arg & 0x7F) | ((arg & 0x7F00) >> 1)
                    out.append(VARIABLES.get(n, f"$[var {n}]"))
                else:
                    out.append("$[shell]" if c == SHELL_CODE else "$(lang)")
            else:
                out.append(chr(c))
        return "".join(out)

    def texts(self, opcode: int, param: int = 0) -> list[str]:
        return [self.text(e[1 + param]) for e in self.entries if e[0] == opcode]

    def installed(self) -> set[str]:
        """Every path File and WriteUninstaller write (SetOutPath followed in order)."""
        out, outdir = set(), ""
        for e in self.entries:
            if e[0] == CREATEDIR and e[2] == 1:
                outdir = self.text(e[1])
            elif e[0] == EXTRACTFILE:
                name = self.text(e[2])
                out.add(name if name.startswith("$") else f"{outdir}\\{name}")
            elif e[0] == WRITEUNINSTALLER:
                out.add(self.text(e[1]))
        return out


def read_script(exe: Path) -> Script:
    data = nsis_header(exe)
    (size,) = struct.unpack_from("<I", data)
    header = data[4 : 4 + size]
    # After the flags: eight (offset, count) blocks; entries are the third, strings the fourth.
    blocks = [struct.unpack_from("<II", header, 4 + 8 * i) for i in range(8)]
    (entries_at, count), (strings_at, _), (langs_at, _) = blocks[2], blocks[3], blocks[4]
    entries = [struct.unpack_from("<7i", header, entries_at + 28 * i) for i in range(count)]
    return Script(entries, header[strings_at:langs_at])


@pytest.fixture
def scripts(make_dist, tmp_path: Path) -> tuple[Script, Script]:
    """(installer, uninstaller) of an installer built from a dist/ with catalogs."""
    dist = make_dist(catalogs=True)
    exe = nsis.build(load_names(), dist, tmp_path / "out", tmp_path / "work")
    (uninstaller,) = [p for p in extract_7z(exe, tmp_path / "x") if p.name == "Uninstall.exe"]
    return read_script(exe), read_script(uninstaller)


def test_upgrade_removes_the_old_files(scripts: tuple[Script, Script]) -> None:
    installer, _ = scripts
    assert set(installer.texts(DELETEFILE)) >= OLD_9X_FILES
    assert not OLD_9X_FILES & installer.installed()  # no license.txt of its own to keep


def test_uninstaller_removes_every_file_and_folder(scripts: tuple[Script, Script]) -> None:
    installer, uninstaller = scripts
    installed = {p for p in installer.installed() if p.startswith("$INSTDIR\\")}
    assert {r"$INSTDIR\bin\addtap.bat", r"$INSTDIR\driver\tap0901.cat"} <= installed
    assert r"$INSTDIR\Uninstall.exe" in installed

    deleted = set(uninstaller.texts(DELETEFILE))
    assert installed - deleted == set()
    assert deleted >= OLD_9X_FILES  # what an upgrade from 9.x may have left
    folders = {p.rpartition("\\")[0] for p in installed | OLD_9X_FILES}
    assert folders == {"$INSTDIR", r"$INSTDIR\bin", r"$INSTDIR\driver", r"$INSTDIR\include"}
    assert folders <= set(uninstaller.texts(RMDIR))
