"""Every name and GUID the installers use, derived from the product constants.

A component-id override reaches all of them: when the effective component id differs from
the one in version.py and the override left the product and package names alone, those
names gain the id (``TAP-Windows (tapoas)``, ``tap-windows-tapoas``), so two vendors'
installers, Uninstall keys, merge modules and GUIDs never collide. GUIDs are UUID version 5
of the component id, version, build, architecture and role: rebuilds give the same ones.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from tapbuild.product.versioninfo import Product, load

# The project's own namespace for name-based UUIDs (itself uuid5 of a fixed URL).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/OpenVPN/tap-windows6/packaging")


@dataclass(frozen=True)
class PackageNames:
    product: Product
    product_name: str  # display name, Uninstall key, install folder
    package_name: str  # file-name stem of the installers

    @property
    def component_id(self) -> str:
        return self.product.component_id

    @property
    def version(self) -> str:
        return self.product.PRODUCT_VERSION

    @property
    def build(self) -> int:
        return self.product.PRODUCT_TAP_WIN_BUILD

    @property
    def installer_file(self) -> str:
        return f"{self.package_name}-{self.version}-I{self.build}.exe"

    def msm_file(self, arch: str) -> str:
        return f"{self.package_name}-{self.version}-{arch}.msm"

    @property
    def uninstall_key(self) -> str:
        return rf"Software\Microsoft\Windows\CurrentVersion\Uninstall\{self.product_name}"

    @property
    def four_part_version(self) -> str:
        """PRODUCT_VERSION padded to four numbers (VIProductVersion, ModuleSignature)."""
        parts = self.version.split(".")
        return ".".join(parts + ["0"] * (4 - len(parts)))

    @property
    def module_name(self) -> str:
        """The identifier part of the ModuleSignature id (letters, digits, '_' and '.')."""
        return re.sub(r"[^A-Za-z0-9_.]", "_", f"{self.package_name}_{self.component_id}")

    def guid(self, arch: str, role: str) -> uuid.UUID:
        """A stable GUID for one role (component, package code, module id) of one package."""
        key = f"{self.component_id}|{self.version}|{self.build}|{arch}|{role}"
        return uuid.uuid5(NAMESPACE, key)


def derive(product: Product, base: Product) -> PackageNames:
    """Names for ``product``; ``base`` is version.py alone (no override)."""
    name = product.PRODUCT_NAME
    package = product.PRODUCT_PACKAGE_NAME
    if product.component_id != base.component_id:
        if name == base.PRODUCT_NAME:
            name = f"{name} ({product.component_id})"
        if package == base.PRODUCT_PACKAGE_NAME:
            package = f"{package}-{product.component_id}"
    return PackageNames(product, name, package)


def load_names(override: str | Path | None = None) -> PackageNames:
    """version.py plus ``override`` (a constants module, optional), as package names."""
    return derive(load(override), load())
