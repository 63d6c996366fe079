"""The "TAP Utilities" scripts (addtap.bat, deltapall.bat) run by wine's cmd.exe.

Laid out as the installer lays them out (bin\\ beside driver\\, in a folder with a blank in its
name), with the real amd64 tapinstall.exe and OemVista.inf from the scratch tree's dist/.
Wine's user counts as an administrator, so the scripts run their work directly: one adapter
added, then all removed. The path that asks for administrator rights runs when the checks
cannot grant them (no `net` or `fltmc` on PATH); PowerShell, which would show the UAC prompt,
does not exist in wine, so the scripts take their not-granted exit.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tapbuild.package import nsis
from tapbuild.product.names import load_names
from wine import Wine, running

pytestmark = [pytest.mark.tool("wine"), pytest.mark.slow]

NO_DEVICES = "No matching devices found.\r\n"


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    with running(tmp_path_factory.mktemp("wineprefix")) as w:
        yield w


@pytest.fixture(scope="module")
def install_dir(real_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin\\ (tapinstall.exe and the staged scripts) and driver\\, as installed on amd64."""
    names = load_names()
    root = tmp_path_factory.mktemp("utilities") / "TAP Windows"
    staged = nsis.stage(root.parent / "stage", names)
    for folder, sources in (
        ("bin", [real_dist / "amd64" / "tapinstall.exe", staged / "addtap.bat",
                 staged / "deltapall.bat"]),
        ("driver", [real_dist / "amd64" / f for f in ("OemVista.inf", names.product.sys_name)]),
    ):  # fmt: skip
        (root / folder).mkdir(parents=True)
        for source in sources:
            shutil.copy2(source, root / folder)
    return root


def windows_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


def cmd(wine: Wine, command: str, cwd: Path, keys: int) -> tuple[int, str, str]:
    """``cmd /c command`` in ``cwd``, with a key ready for each `pause`."""
    code, out, err = wine.run(["cmd.exe", "/c", command], stdin=b"\r\n" * keys, cwd=cwd)
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def hwids(wine: Wine, install_dir: Path) -> str:
    code, out, _ = wine.run([str(install_dir / "bin" / "tapinstall.exe"), "hwids", "tap0901"])
    assert code == 0
    return out.decode("utf-8")


def test_add_then_delete_all(wine: Wine, install_dir: Path) -> None:
    bin_dir = install_dir / "bin"
    assert hwids(wine, install_dir) == NO_DEVICES

    # Started by its full path from elsewhere, as a Start menu shortcut starts it.
    code, out, err = cmd(wine, windows_path(bin_dir / "addtap.bat"), install_dir.parent, 1)
    assert code == 0, out + err
    inf = windows_path(install_dir / "driver" / "OemVista.inf")
    assert f"Installing the driver for tap0901 from {inf}.\r\nDriver installed.\r\n" in out
    assert "failed" not in out and "administrator" not in out
    listing = hwids(wine, install_dir)
    assert listing.endswith("\r\n        tap0901\r\n1 matching device(s) found.\r\n")

    code, out, err = cmd(wine, windows_path(bin_dir / "deltapall.bat"), install_dir.parent, 2)
    assert code == 0, out + err
    assert out.startswith("This removes ALL tap0901 virtual ethernet adapters")
    assert ": removed\r\n1 device(s) removed.\r\n" in out
    assert "failed" not in out
    assert hwids(wine, install_dir) == NO_DEVICES


@pytest.mark.parametrize(
    ("script", "what"),
    [("addtap.bat", "Adding the adapter"), ("deltapall.bat", "Removing the adapters")],
)
def test_without_rights_asks_for_them(
    wine: Wine, install_dir: Path, script: str, what: str
) -> None:
    bin_dir = install_dir / "bin"
    # No administrator check succeeds: the script starts PowerShell to run itself elevated.
    code, out, err = cmd(wine, rf"set PATH=Z:\nowhere& {script}", bin_dir, 1)
    assert code == 1
    assert out == f"{what} needs administrator rights, and they were not granted.\r\n" + (
        "Press any key to continue... "
    )
    assert "powershell -NoProfile" in err  # what cmd could not find here
    assert hwids(wine, install_dir) == NO_DEVICES

    # The run started elevated that still lacks the rights stops instead of asking again.
    code, out, err = cmd(wine, rf"set PATH=Z:\nowhere& {script} /elevated", bin_dir, 1)
    assert code == 1
    assert out.startswith(f"{what} needs administrator rights; this window does not have them.")
    assert "powershell" not in err
