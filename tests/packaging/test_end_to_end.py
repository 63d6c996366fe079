"""From `scons` to the installer and the merge modules, with the project's real binaries.

Built in the session's scratch copy of the tree (conftest.py: ``real_dist``, ``dll_dir``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pefile
import pytest
from pkgtest_util import extract_7z, sha256
from tapbuild.arch import ARCHES
from tapbuild.cli import package
from tapbuild.package import msm, msmdist, msmwrite
from tapbuild.product.names import load_names


@pytest.mark.slow
@pytest.mark.tool("makensis", "7z")
def test_installer_from_real_dist(
    real_dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `nox -s package` as run at the top of the scratch tree (dist/, build/package).
    monkeypatch.setattr(package, "ROOT", real_dist.parent)
    exe = package.package_main(["--out", str(tmp_path)], log=lambda s: None)
    extracted = {sha256(p): p for p in extract_7z(exe, tmp_path / "x")}
    names = load_names()
    for arch, info in ARCHES.items():
        for f in ("OemVista.inf", names.product.sys_name, "tapinstall.exe"):
            digest = sha256(real_dist / arch / f)
            assert digest in extracted, (arch, f)
            if f.endswith((".sys", ".exe")):
                pe = pefile.PE(str(extracted[digest]), fast_load=True)
                assert pe.FILE_HEADER.Machine == info.pe_machine
                pe.close()


@pytest.mark.slow
@pytest.mark.tool("msibuild", "msiinfo")
def test_modules_from_real_dist(real_dist: Path, dll_dir: Path, tmp_path: Path) -> None:
    names = load_names()
    signed = []
    for label in ("win7", "win10"):  # stand-ins for the two signed dists: a catalog each
        d = tmp_path / f"dist.{label}"
        shutil.copytree(real_dist, d)
        for arch in ARCHES:
            (d / arch / names.product.cat_name).write_bytes(f"{label} catalog {arch}".encode())
        signed.append(d)
    layout = tmp_path / "dist"
    msmdist.prepare(signed[0], signed[1], layout, names)
    for arch in ARCHES:
        dll = dll_dir / arch / "installer" / "tapmsi.dll"
        module = msm.describe(names, layout, dll, arch)
        sys_file = next(f for f in module.files if f.name == names.product.sys_name)
        assert sys_file.version == names.product.driver_version  # from the driver's resource
        out = msmwrite.write(module, tmp_path / names.msm_file(arch))
        listing = subprocess.run(
            ["msiinfo", "export", str(out), "File"], check=True, capture_output=True, text=True
        ).stdout
        assert names.product.driver_version in listing
