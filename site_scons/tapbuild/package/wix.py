"""The merge module for WiX (v4 or later; Windows): source text and command line.

Generated from the same :class:`tapbuild.package.msm.Module` the msibuild writer uses. WiX
modularizes identifiers itself (``Name`` -> ``Name.<Module/@Guid with underscores>``), so the
source carries the base names and the module GUID; the result has the same keys, GUIDs,
short names, sequence and TapDriver rows as the module built off Windows.
"""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from tapbuild import atomic, toolrun
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.package.msm import (
    CA_COMMIT,
    CA_ERROR,
    CA_ROLLBACK,
    STANDARD_ACTIONS,
    Module,
    short_name,
)

NAMESPACE = "http://wixtoolset.org/schemas/v4/wxs"
TAP_DRIVER_COLUMNS = (
    "TapDriver", "Component_", "Inf", "Inf10", "HardwareId", "Version", "StateKey",
    "ProcessInstall", "RollbackInstall", "CommitInstall", "ProcessRemove", "RollbackRemove",
)  # fmt: skip
# Columns holding module identifiers (WiX appends the module GUID to their values).
MODULARIZED = {"TapDriver", "Component_", "Inf", "Inf10", "ProcessInstall", "RollbackInstall",
               "CommitInstall", "ProcessRemove", "RollbackRemove"}  # fmt: skip


def _base(module: Module, ident: str | None) -> str | None:
    suffix = "." + module.module_guid.replace("-", "_")
    if ident is None or not ident.endswith(suffix):
        return ident
    return ident[: -len(suffix)]


def source(module: Module) -> str:
    """The .wxs text of the module."""
    ET.register_namespace("", NAMESPACE)
    q = f"{{{NAMESPACE}}}"
    wix = ET.Element(q + "Wix")
    mod = ET.SubElement(
        wix,
        q + "Module",
        Id=module.names.module_name,
        Guid=module.module_guid,
        Language=str(module.language),
        Version=module.version,
        Codepage="1252",
        InstallerVersion=str(module.summary["page_count"]),
    )
    ET.SubElement(
        mod,
        q + "SummaryInformation",
        Description=str(module.summary["subject"]),
        Manufacturer=str(module.summary["author"]),
        Keywords=str(module.summary["keywords"]),
        Comments=str(module.summary["comments"]),
    )
    elements: dict[str, ET.Element] = {}
    for d in module.directories:
        if d.parent is None:
            elements[d.id] = ET.SubElement(mod, q + "StandardDirectory", Id=d.id)
            continue
        attrs = {"Id": _base(module, d.id) or "", "Name": d.name}
        if short_name(d.name) != d.name:
            attrs["ShortName"] = short_name(d.name)
        elements[d.id] = ET.SubElement(elements[d.parent], q + "Directory", attrs)
    for c in module.components:
        comp = ET.SubElement(
            elements[c.directory],
            q + "Component",
            Id=_base(module, c.id) or "",
            Guid=c.guid,
            Bitness="always64" if c.attributes & 0x100 else "always32",
        )
        for f in sorted((f for f in module.files if f.component == c.id), key=lambda f: f.sequence):
            attrs = {
                "Id": _base(module, f.id) or "",
                "Name": f.name,
                "Source": str(f.source),
                "Vital": "yes",
            }
            if short_name(f.name) != f.name:
                attrs["ShortName"] = short_name(f.name)
            if f.id == c.key_path:
                attrs["KeyPath"] = "yes"
            ET.SubElement(comp, q + "File", attrs)
    for key, path in module.binaries.items():
        ET.SubElement(mod, q + "Binary", Id=_base(module, key) or "", SourceFile=str(path))
    for a in module.custom_actions:
        if a.type == CA_ERROR:
            ET.SubElement(
                mod, q + "CustomAction", {"Id": _base(module, a.id) or "", "Error": a.target}
            )
            continue
        if a.type & CA_ROLLBACK:
            execute = "rollback"
        elif a.type & CA_COMMIT:
            execute = "commit"
        elif a.type & 0x400:
            execute = "deferred"
        else:
            execute = "immediate"
        attrs = {"Id": _base(module, a.id) or "", "BinaryRef": _base(module, a.source) or "",
                 "DllEntry": a.target, "Execute": execute, "Return": "check"}  # fmt: skip
        if execute != "immediate":
            attrs["Impersonate"] = "no"
        ET.SubElement(mod, q + "CustomAction", attrs)
    for element, entries in (
        ("InstallExecuteSequence", module.sequence),
        ("InstallUISequence", module.ui_sequence),
    ):
        if not entries:
            continue
        seq = ET.SubElement(mod, q + element)
        for s in entries:
            if s.action in STANDARD_ACTIONS:
                continue
            where = "After" if s.after else "Before"
            attrs = {
                "Action": _base(module, s.action) or "",
                where: _base(module, s.base_action) or "",
            }
            if s.condition:
                attrs["Condition"] = s.condition
            ET.SubElement(seq, q + "Custom", attrs)
    table = ET.SubElement(mod, q + "CustomTable", Id="TapDriver")
    from tapbuild.package.msmwrite import SCHEMA

    for col in SCHEMA["TapDriver"]:
        attrs = {
            "Id": col.name,
            "Type": "string",
            "Width": col.type[1:],
            "Category": col.category or "Text",
        }
        if col.key:
            attrs["PrimaryKey"] = "yes"
        if col.nullable:
            attrs["Nullable"] = "yes"
        if col.key_table:
            attrs["KeyTable"] = col.key_table
            attrs["KeyColumn"] = str(col.key_column)
        if col.name in MODULARIZED:
            attrs["Modularize"] = "Column"
        if col.description:
            attrs["Description"] = col.description
        ET.SubElement(table, q + "Column", attrs)
    for r in module.tap_driver:
        row = ET.SubElement(table, q + "Row")
        values = (r.key, r.component, r.inf, r.inf10, r.hardware_id, r.version, r.state_key,
                  r.process_install, r.rollback_install, r.commit_install, r.process_remove,
                  r.rollback_remove)  # fmt: skip
        for name, value in zip(TAP_DRIVER_COLUMNS, values, strict=True):
            if value is None:
                continue
            data = ET.SubElement(row, q + "Data", Column=name)
            data.text = _base(module, value) if name in MODULARIZED else value
    ET.indent(wix)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(wix, encoding="unicode") + "\n"


def command(wix: str, module: Module, wxs: Path, out: Path) -> list[str]:
    return [
        wix, "build", "-arch", ARCHES[module.arch].msvc, "-outputtype", "module", "-pdbtype", "none",
        "-o", str(out), str(wxs),
    ]  # fmt: skip


_INSTALL = (
    "install the WiX Toolset v4 or later (dotnet tool install --global wix) "
    "or build with --writer msibuild"
)


def find_wix() -> str:
    found = os.environ.get("WIX") and Path(os.environ["WIX"], "wix.exe")
    if found and found.is_file():
        return str(found)
    exe = shutil.which("wix")
    if exe is None:
        raise TapError(f"wix not found; {_INSTALL}")
    return exe


def build(module: Module, out: Path, work: Path, wix: str | None = None) -> Path:
    """Build the module with WiX (Windows); the output replaces ``out`` in one step."""
    exe = wix or find_wix()
    work.mkdir(parents=True, exist_ok=True)
    wxs = work / f"{out.stem}.wxs"
    wxs.write_text(source(module), encoding="utf-8")
    with atomic.replacing(out) as tmp:
        res = toolrun.run(
            command(exe, module, wxs, tmp),
            keep_proxy=True,
            stdin=None,
            merge_stderr=False,
            text=True,
            timeout=None,
            missing=_INSTALL,
        )
        if res.returncode != 0:
            raise TapError(f"wix build failed (exit {res.returncode}): {res.last_said()}")
    return out
