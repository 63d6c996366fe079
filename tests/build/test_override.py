"""override=FILE.py renames everything that derives from the component id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pefile
import pytest
from sconsrun import scons
from tapbuild.product import resource

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("component_id", ["tapoas6", "tap", "tap_very_long_component_id_2026"])
def test_component_id_override(
    make_tree: Callable[[str], Path], tmp_path: Path, component_id: str
) -> None:
    tree = make_tree(f"override-{len(component_id)}")
    override = tmp_path / "vendor.py"
    override.write_text(
        f'PRODUCT_TAP_WIN_COMPONENT_ID = "{component_id}"\n'
        'PRODUCT_TAP_WIN_PROVIDER = "Vendor Provider"\n'
        'PRODUCT_TAP_WIN_DEVICE_DESCRIPTION = "Vendor VPN Adapter"\n'
    )
    scons(tree, "arch=amd64", f"override={override}")
    dist = tree / "dist" / "amd64"
    assert (dist / f"{component_id}.sys").is_file()
    assert not (dist / "tap0901.sys").exists()
    inf = (dist / "OemVista.inf").read_bytes().decode("ascii")
    assert f"CatalogFile = {component_id}.cat" in inf
    assert f"root\\{component_id}\r\n" in inf
    assert f"TapInstall, {component_id}\r\n" in inf
    assert f"AddService = {component_id}, 2," in inf
    assert f"ServiceBinary  = %12%\\{component_id}.sys" in inf
    assert 'Provider          = "Vendor Provider"' in inf
    assert 'DeviceDescription = "Vendor VPN Adapter"' in inf
    # The driver reports the description as OID_GEN_VENDOR_DESCRIPTION.
    image = (dist / f"{component_id}.sys").read_bytes()
    assert b"Vendor VPN Adapter\0" in image
    assert b"TAP-Windows Adapter V9" not in image
    assert "tap0901" not in inf
    pe = pefile.PE(str(dist / f"{component_id}.sys"))
    strings = resource.read_strings(pe)
    assert strings["OriginalFilename"] == f"{component_id}.sys"
