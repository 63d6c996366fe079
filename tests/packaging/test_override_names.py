"""The names docs/building.md "Overrides" documents for a vendor's ``PRODUCT_TAP_WIN_COMPONENT_ID =
"tapoas6"`` (and nothing else), read from what was built: the installer (its file name, the
Uninstall entry, the Start-menu folder, from the compiled script) and the submission
cabinets (their names and contents). The merge modules: test_msm.py's override test."""

from __future__ import annotations

from pathlib import Path

import pytest
from pkgtest_util import list_7z, nsis_header, utf16
from tapbuild.cli import package, release
from tapbuild.errors import TapError
from tapbuild.formats import cabinet

OVERRIDE = 'PRODUCT_TAP_WIN_COMPONENT_ID = "tapoas6"\n'
NAME = "TAP-Windows (tapoas6)"  # the product name, with the id: docs/packaging.md "Names and GUIDs"


@pytest.fixture
def vendor(tmp_path: Path) -> Path:
    path = tmp_path / "vendor.py"
    path.write_text(OVERRIDE)
    return path


@pytest.fixture
def unsigned(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TAP_SIGN_PFX", "TAP_SIGN_PKCS11_MODULE", "TAP_SIGN_SUBJECT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.tool("makensis", "7z")
def test_installer(make_dist, tmp_path: Path, vendor: Path, unsigned: None) -> None:
    dist = make_dist(component_id="tapoas6")
    exe = package.package_main(
        ["--dist", str(dist), "--out", str(tmp_path / "out"), "--override", str(vendor)],
        log=lambda s: None,
    )
    assert exe.name == "tap-windows-tapoas6-9.27.0-I0.exe"
    assert list_7z(exe).count("driver/tapoas6.sys") == 3
    script = nsis_header(exe)
    uninstall = r"Software\Microsoft\Windows\CurrentVersion\Uninstall" + "\\" + NAME
    assert utf16(uninstall + "\0") in script  # the entry's key ...
    assert utf16(f"{NAME} 9.27.0\0") in script  # ... and its DisplayName
    # $SMPROGRAMS as NSIS stores it: code 2, then CSIDL_PROGRAMS (0x02) for the current
    # user and CSIDL_COMMON_PROGRAMS (0x17) for all users, then the rest of the path.
    smprograms = "\x02\u1702"
    assert utf16(f"{smprograms}\\{NAME}\\Utilities\0") in script
    assert utf16(f"{smprograms}\\{NAME}\\Uninstall {NAME}.lnk\0") in script
    assert utf16(f"{smprograms}\\TAP-Windows\\") not in script  # not the default's folder
    assert utf16(uninstall.removesuffix(" (tapoas6)") + "\0") not in script


@pytest.mark.tool("gcab")
def test_submission_cabinets(make_dist, tmp_path: Path, vendor: Path, unsigned: None) -> None:
    dist = make_dist(component_id="tapoas6", arches=("amd64", "arm64"))
    out = tmp_path / "out"
    logs: list[str] = []
    release.main(
        "submission", ["--dist", str(dist), "--out", str(out), "--override", str(vendor)],
        logs.append,
    )  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [
        "tap-windows6-tapoas6-amd64.cab",
        "tap-windows6-tapoas6-arm64.cab",
    ]
    members = {m.name for m in cabinet.read_file(out / "tap-windows6-tapoas6-amd64.cab")}
    assert {"amd64\\tapoas6.sys", "amd64\\OemVista.inf"} <= members
    # --name still decides; and a dist/ of another id than the override's is refused.
    release.main(
        "submission",
        ["--dist", str(dist), "--out", str(out), "--override", str(vendor), "--name", "mine"],
        logs.append,
    )
    assert (out / "mine-amd64.cab").is_file()
    with pytest.raises(TapError, match=r"no tapoas6\.sys; give the --override"):
        release.main(
            "submission",
            ["--dist", str(make_dist(tmp_path / "d0901")), "--out", str(out), "--override",
             str(vendor)],
            logs.append,
        )  # fmt: skip
