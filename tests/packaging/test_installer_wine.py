"""The NSIS installer and its uninstaller, run silently under wine as a user runs them.

Built with makensis from the scratch tree's real dist/ (conftest.py: ``real_dist``), run in a
copy of a fresh prefix per test (nsiswine.py): 64-bit unless a test says otherwise, where the
32-bit installer runs under WoW64 (so it needs wine32) and installs the amd64 driver; in a
32-bit prefix it installs the i386 one. What each run leaves is read from the prefix: the
files, the Start menu shortcuts, the registry (``reg query``, 64-bit view), and the adapters
(the installed ``tapinstall hwids``). Wine's SetupAPI creates the root device the driver step
asks for, so that step succeeds here; wine then tries to load the driver and fails (its
ntoskrnl lacks what NDIS drivers import), which tapinstall does not see.
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nsiswine import PROGRAMS, UNINSTALL, Prefix, copied, make_template, tree, windows_path
from tapbuild.arch import ARCHES
from tapbuild.package import nsis
from tapbuild.product.names import PackageNames, load_names
from tapbuild.sign import catalog

pytestmark = [pytest.mark.tool("wine", "wine32", "makensis"), pytest.mark.slow]

NAMES = load_names()
FOLDER = r"C:\Program Files\TAP-Windows"
NATIVE = {64: "amd64", 32: "i386"}  # the prefix's bitness -> the driver it gets
NO_DEVICES = "No matching devices found.\r\n"
SHORTCUTS = {  # under the Start menu's <PRODUCT_NAME> folder -> target in the install folder
    "Utilities/Add a new TAP virtual ethernet adapter.lnk": r"bin\addtap.bat",
    "Utilities/Delete ALL TAP virtual ethernet adapters.lnk": r"bin\deltapall.bat",
}
CATALOG_DATE = datetime.datetime(2026, 9, 27, tzinfo=datetime.timezone.utc)


@dataclass(frozen=True)
class Build:
    """An installer and what it was built from."""

    exe: Path
    dist: Path
    staged: Path  # the license, artwork and utility scripts makensis took
    names: PackageNames
    catalogs: bool

    def files(
        self, bits: int, driver: bool = True, utilities: bool = True, sdk: bool = True
    ) -> dict[str, bytes | None]:
        """What a silent install leaves in the folder (None: any content)."""
        arch = self.dist / NATIVE[bits]
        out: dict[str, bytes | None] = {"Uninstall.exe": None}
        if driver:
            sys_name, cat_name = self.names.product.sys_name, self.names.product.cat_name
            out["bin/tapinstall.exe"] = (arch / "tapinstall.exe").read_bytes()
            out["driver/OemVista.inf"] = (arch / "OemVista.inf").read_bytes()
            out[f"driver/{sys_name}"] = (arch / sys_name).read_bytes()
            if self.catalogs:
                out[f"driver/{cat_name}"] = (arch / cat_name).read_bytes()
        if utilities:
            for bat in ("addtap.bat", "deltapall.bat"):
                out[f"bin/{bat}"] = (self.staged / bat).read_bytes()
        if sdk:
            out["include/tap-windows.h"] = (self.dist / "include" / "tap-windows.h").read_bytes()
        return out

    def shortcuts(self) -> dict[str, str]:
        return {**SHORTCUTS, f"Uninstall {self.names.product_name}.lnk": "Uninstall.exe"}


def _copy_dist(real_dist: Path, folder: Path, catalogs: bool, edit: Callable[[Path], None]) -> Path:
    shutil.copytree(real_dist, folder)
    edit(folder)
    if catalogs:  # unsigned, but real: what a signed dist/ carries beside the driver
        for arch in ARCHES:
            catalog.write_package_catalog(
                folder / arch, NAMES.product.cat_name, catalog.os_targets(arch), when=CATALOG_DATE
            )
    return folder


def _installer(
    folder: Path, dist: Path, names: PackageNames = NAMES, arches: tuple[str, ...] = tuple(ARCHES)
) -> Build:
    exe = nsis.build(names, dist, folder / "out", folder / "work", arches=arches)
    catalogs = (dist / arches[0] / names.product.cat_name).exists()
    staged = nsis.stage(folder / "staged", names)  # what makensis took (in its private folder)
    return Build(exe, dist, staged, names, catalogs)


def _override(folder: Path, **values: str) -> PackageNames:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "override.py"
    path.write_text("".join(f"{k} = {v!r}\n" for k, v in values.items()))
    return load_names(path)


@pytest.fixture(scope="module")
def builds(real_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """The installers the tests run: this build unsigned and signed, the previous build
    (9.26.0, signed, another header), one with a broken INF, one with other names, and one
    carrying arm64 only."""
    root = tmp_path_factory.mktemp("installers")

    def unchanged(dist: Path) -> None:
        pass

    def older(dist: Path) -> None:
        (dist / "include" / "tap-windows.h").write_text("/* tap-windows.h of 9.26.0 */\n")

    def broken(dist: Path) -> None:
        for arch in ARCHES:  # no Class: tapinstall cannot create the device
            (dist / arch / "OemVista.inf").write_bytes(b'[Version]\r\nSignature="$Windows NT$"\r\n')

    signed = _copy_dist(real_dist, root / "dist.signed", True, unchanged)
    old_dist = _copy_dist(real_dist, root / "dist.old", True, older)
    broken_dist = _copy_dist(real_dist, root / "dist.broken", False, broken)
    return {
        "plain": _installer(root / "plain", real_dist),
        "signed": _installer(root / "signed", signed),
        "old": _installer(root / "old", old_dist, _override(root / "o1", PRODUCT_VERSION="9.26.0")),
        "broken": _installer(root / "broken", broken_dist),
        "vendor": _installer(
            root / "vendor",
            real_dist,
            _override(root / "o2", PRODUCT_NAME="Example TAP", PRODUCT_PUBLISHER="Example Ltd."),
        ),
        "arm64": _installer(root / "arm64", real_dist, arches=("arm64",)),
    }


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """bits -> a fresh initialized prefix of that bitness (made once, on first use)."""
    made: dict[int, Path] = {}

    def get(bits: int) -> Path:
        if bits not in made:
            made[bits] = make_template(tmp_path_factory.mktemp(f"win{bits}") / "prefix", bits)
        return made[bits]

    return get


@pytest.fixture
def prefix64(templates: Callable[[int], Path], tmp_path: Path) -> Iterator[Prefix]:
    with copied(templates(64), tmp_path / "prefix", 64) as p:
        yield p


@pytest.fixture
def prefix32(templates: Callable[[int], Path], tmp_path: Path) -> Iterator[Prefix]:
    with copied(templates(32), tmp_path / "prefix", 32) as p:
        yield p


def install(prefix: Prefix, build: Build, *options: str) -> tuple[int, str]:
    """Run the installer silently: (exit code, standard error). Options with a blank (/D=)
    go on the command line unquoted, as NSIS wants them."""
    if any(" " in o for o in options):
        line = " ".join([f'"{windows_path(build.exe)}"', "/S", *options])
        code, out, err = prefix.run_line(line)
    else:
        code, out, err = prefix.run(build.exe, "/S", *options)
    assert out == ""
    return code, err


def uninstall(prefix: Prefix, folder: str) -> None:
    """What the Uninstall entry's QuietUninstallString runs, until its copy in the temp
    folder has finished."""
    code, out, err = prefix.run(rf"{folder}\Uninstall.exe", "/S")
    assert (code, out, err) == (0, "", "")
    prefix.wait_for_programs()


def adapters(prefix: Prefix, build: Build) -> str:
    """``tapinstall hwids <id>`` with the dist's tapinstall of the prefix's arch."""
    exe = build.dist / NATIVE[prefix.bits] / "tapinstall.exe"
    code, out, err = prefix.run(exe, "hwids", build.names.component_id)
    assert (code, err) == (0, ""), out + err
    return out


def assert_installed(prefix: Prefix, build: Build, folder: str = FOLDER, **sections: bool) -> None:
    """The files, shortcuts, registry entries and adapter of one installation of ``build``."""
    names = build.names
    assert tree(prefix.host(folder)).keys() == build.files(prefix.bits, **sections).keys()
    for path, data in build.files(prefix.bits, **sections).items():
        assert data is None or prefix.host(folder).joinpath(path).read_bytes() == data, path

    menu = prefix.host(rf"{PROGRAMS}\{names.product_name}")
    if sections.get("utilities", True):
        assert tree(menu).keys() == build.shortcuts().keys()
        for link, target in build.shortcuts().items():  # the target's path, as Windows keeps it
            assert rf"{folder}\{target}".encode() in (menu / link).read_bytes(), link
    else:
        assert not menu.exists()

    # Where 9.x records the folder (its InstallDirRegKey), and the Uninstall entry.
    recorded = prefix.reg(rf"HKLM\Software\{names.product_name}")
    assert recorded is not None and recorded[0] == {"(Default)": ("REG_SZ", folder)}
    entry = prefix.reg(rf"{UNINSTALL}\{names.product_name}")
    assert entry is not None
    values = entry[0]
    size = values.pop("EstimatedSize")
    assert size[0] == "REG_DWORD" and int(size[1], 16) > 0
    assert values == {
        "DisplayName": ("REG_SZ", f"{names.product_name} {names.version}"),
        "DisplayVersion": ("REG_SZ", names.version),
        "Publisher": ("REG_SZ", names.product.PRODUCT_PUBLISHER),
        "DisplayIcon": ("REG_SZ", rf"{folder}\Uninstall.exe,0"),
        "InstallLocation": ("REG_SZ", folder),
        "UninstallString": ("REG_SZ", rf'"{folder}\Uninstall.exe"'),
        "QuietUninstallString": ("REG_SZ", rf'"{folder}\Uninstall.exe" /S'),
        "NoModify": ("REG_DWORD", "0x1"),
        "NoRepair": ("REG_DWORD", "0x1"),
    }
    if prefix.bits == 64:  # written in the 64-bit view, as 9.x does: nothing under WoW64's
        assert prefix.reg(rf"HKLM\Software\Wow6432Node\{names.product_name}") is None
    uninstall_keys = prefix.reg(UNINSTALL)
    assert uninstall_keys is not None
    assert [k for k in uninstall_keys[1] if k.startswith(names.product_name)] == [
        names.product_name
    ]


def assert_removed(prefix: Prefix, build: Build, folder: str = FOLDER) -> None:
    names = build.names
    assert not prefix.host(folder).exists()
    assert not prefix.host(rf"{PROGRAMS}\{names.product_name}").exists()
    assert prefix.reg(rf"HKLM\Software\{names.product_name}") is None
    assert prefix.reg(rf"{UNINSTALL}\{names.product_name}") is None
    assert adapters(prefix, build) == NO_DEVICES


def one_adapter(prefix: Prefix, build: Build) -> None:
    listing = adapters(prefix, build)
    assert listing.endswith(
        f"\r\n        {build.names.component_id}\r\n1 matching device(s) found.\r\n"
    ), listing


@pytest.mark.parametrize(("bits", "build"), [(64, "signed"), (64, "plain"), (32, "signed")])
def test_install_with_defaults_then_uninstall(
    request: pytest.FixtureRequest, builds: dict[str, Build], bits: int, build: str
) -> None:
    prefix: Prefix = request.getfixturevalue(f"prefix{bits}")
    b = builds[build]
    assert install(prefix, b) == (0, "")
    assert_installed(prefix, b)
    one_adapter(prefix, b)  # the driver step: `tapinstall install` made one

    uninstall(prefix, FOLDER)
    assert_removed(prefix, b)


def test_names_from_an_override(prefix64: Prefix, builds: dict[str, Build]) -> None:
    b = builds["vendor"]
    assert install(prefix64, b) == (0, "")
    folder = r"C:\Program Files\Example TAP"
    assert_installed(prefix64, b, folder)
    assert prefix64.reg(rf"HKLM\Software\{NAMES.product_name}") is None
    uninstall(prefix64, folder)
    assert_removed(prefix64, b, folder)


@pytest.mark.parametrize(
    ("options", "sections"),
    [
        (["/SELECT_TAP=0"], {"driver": False}),
        (["/SELECT_UTILITIES=0"], {"utilities": False}),
        (["/SELECT_SDK=0"], {"sdk": False}),
        (["/SELECT_UTILITIES=0", "/SELECT_SDK=0"], {"utilities": False, "sdk": False}),
        (["/SELECT_TAP=1", "/SELECT_UTILITIES=1", "/SELECT_SDK=1"], {}),
    ],
)
def test_section_options(
    prefix64: Prefix, builds: dict[str, Build], options: list[str], sections: dict[str, bool]
) -> None:
    """9.x's /SELECT_<section>=0|1 switches: each section's files, shortcuts and work."""
    b = builds["signed"]
    assert install(prefix64, b, *options) == (0, "")
    assert_installed(prefix64, b, **sections)
    if sections.get("driver", True):
        one_adapter(prefix64, b)
    else:  # no driver section: tapinstall neither installed nor run
        assert adapters(prefix64, b) == NO_DEVICES
    uninstall(prefix64, FOLDER)
    assert_removed(prefix64, b)


def test_install_folder_option(prefix64: Prefix, builds: dict[str, Build]) -> None:
    """/D= (last, unquoted, blanks allowed) installs there and records it; a later install
    without /D= finds the folder where it is recorded."""
    b = builds["plain"]
    folder = r"C:\Tools\TAP Windows"
    assert install(prefix64, b, rf"/D={folder}") == (0, "")
    assert_installed(prefix64, b, folder)
    assert not prefix64.host(FOLDER).exists()

    assert install(prefix64, b) == (0, "")
    assert_installed(prefix64, b, folder)
    assert not prefix64.host(FOLDER).exists()
    one_adapter(prefix64, b)  # updated, not a second one

    uninstall(prefix64, folder)
    assert_removed(prefix64, b, folder)
    assert prefix64.host(r"C:\Tools").is_dir()  # not the installer's to remove


def test_uninstall_keeps_a_folder_that_is_not_empty(
    prefix64: Prefix, builds: dict[str, Build]
) -> None:
    b = builds["plain"]
    assert install(prefix64, b) == (0, "")
    mine = prefix64.host(FOLDER) / "driver" / "notes.txt"
    mine.write_text("the user's own file\n")
    uninstall(prefix64, FOLDER)
    assert tree(prefix64.host(FOLDER)) == {"driver/notes.txt": b"the user's own file\n"}
    assert not prefix64.host(rf"{PROGRAMS}\{NAMES.product_name}").exists()
    assert prefix64.reg(rf"{UNINSTALL}\{NAMES.product_name}") is None


def test_upgrade_over_the_previous_build(prefix64: Prefix, builds: dict[str, Build]) -> None:
    """9.26.0, signed, then this build unsigned: its entry, files and adapter; the old
    catalog, which no longer matches the driver, is gone."""
    old, new = builds["old"], builds["plain"]
    assert install(prefix64, old) == (0, "")
    assert_installed(prefix64, old)
    assert install(prefix64, new) == (0, "")
    assert_installed(prefix64, new)
    one_adapter(prefix64, new)
    uninstall(prefix64, FOLDER)
    assert_removed(prefix64, new)


def make_9x_install(prefix: Prefix, build: Build) -> None:
    """What TAP-Windows 9.x's installer leaves (its public NSIS script): bin\\, driver\\ with a
    catalog, include\\, license.txt and icon.ico beside Uninstall.exe, the Utilities
    shortcuts, HKLM\\SOFTWARE\\TAP-Windows and its Uninstall entry (UninstallString unquoted,
    as an expandable string), all in the 64-bit view; and one adapter, installed from the
    folder with the dist's own tapinstall and INF."""
    folder = prefix.host(FOLDER)
    arch = build.dist / NATIVE[prefix.bits]
    for name, data in {
        "bin/tapinstall.exe": (arch / "tapinstall.exe").read_bytes(),
        "bin/addtap.bat": b"rem Add a new TAP virtual ethernet adapter\r\n",
        "bin/deltapall.bat": b"echo WARNING: this script will delete ALL TAP adapters\r\n",
        "driver/OemVista.inf": (arch / "OemVista.inf").read_bytes(),
        "driver/tap0901.sys": b"the 9.24.2 driver",
        "driver/tap0901.cat": b"the 9.24.2 catalog",
        "include/tap-windows.h": b"/* 9.24.2 */\r\n",
        "license.txt": b"9.x license\r\n",
        "icon.ico": b"9.x icon",
        "Uninstall.exe": b"9.x uninstaller",
    }.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    menu = prefix.host(rf"{PROGRAMS}\TAP-Windows\Utilities")
    menu.mkdir(parents=True)
    for link in SHORTCUTS:
        (menu.parent / link).write_bytes(b"9.x shortcut")
    prefix.reg_add(r"HKLM\SOFTWARE\TAP-Windows", "", "REG_SZ", FOLDER)
    key = rf"{UNINSTALL}\TAP-Windows"
    prefix.reg_add(key, "DisplayName", "REG_SZ", "TAP-Windows 9.24.2")
    prefix.reg_add(key, "UninstallString", "REG_EXPAND_SZ", rf"{FOLDER}\Uninstall.exe")
    prefix.reg_add(key, "DisplayIcon", "REG_SZ", rf"{FOLDER}\icon.ico")
    prefix.reg_add(key, "DisplayVersion", "REG_SZ", "9.24.2")
    code, out, err = prefix.run(
        folder / "bin" / "tapinstall.exe", "install", rf"{FOLDER}\driver\OemVista.inf", "tap0901"
    )
    assert code == 0, out + err


def test_upgrade_over_9x(prefix64: Prefix, builds: dict[str, Build]) -> None:
    b = builds["plain"]
    make_9x_install(prefix64, b)
    one_adapter(prefix64, b)
    assert install(prefix64, b) == (0, "")
    assert_installed(prefix64, b)  # exactly this build's files, entry and values
    one_adapter(prefix64, b)  # the 9.x adapter, updated
    uninstall(prefix64, FOLDER)
    assert_removed(prefix64, b)


def test_a_failing_driver_step(prefix64: Prefix, builds: dict[str, Build]) -> None:
    """`tapinstall install` fails (an INF without a class): exit code 2 and the message on
    the standard error; the installation stays registered, so its uninstaller removes it."""
    b = builds["broken"]
    code, err = install(prefix64, b)
    assert code == 2
    assert err == (
        "Could not install the TAP-Windows driver (tapinstall exit code 2). See the details of "
        rf"this installation; {FOLDER}\Uninstall.exe removes it."
        "\r\n"
    )
    files = tree(prefix64.host(FOLDER))
    assert set(files) == {
        "Uninstall.exe",
        *(k for k in b.files(64) if k.startswith(("bin/t", "driver/"))),
    }
    assert prefix64.reg(rf"{UNINSTALL}\TAP-Windows") is not None
    assert adapters(prefix64, b) == NO_DEVICES
    uninstall(prefix64, FOLDER)
    assert_removed(prefix64, b)


@pytest.mark.parametrize("bits", [32, 64])
def test_no_driver_for_the_processor(
    request: pytest.FixtureRequest, builds: dict[str, Build], bits: int
) -> None:
    """An installer built with --arch arm64 refuses an i386 or amd64 machine: exit code 1,
    its message, nothing installed."""
    prefix: Prefix = request.getfixturevalue(f"prefix{bits}")
    code, err = install(prefix, builds["arm64"])
    assert code == 1
    assert err == (
        f"This installer has no driver for this computer's processor ({NATIVE[bits]}); "
        "it carries arm64.\r\n"
    )
    assert not prefix.host(FOLDER).exists()
    assert prefix.reg(rf"{UNINSTALL}\TAP-Windows") is None
