"""Which driver-store packages and adapters are this driver's: decisions on structured records.

Windows reports the driver store through DISM (PowerShell's ``Get-WindowsDriver -Online``,
third-party packages only) and devices through WMI (``Win32_PnPSignedDriver``); both reach
here as JSON, never as pnputil's localised text. A stored package is a copy of this driver
when its original INF name, provider and class equal the built INF's — the three things
that stay when the version, the catalog or the signature change. This module only decides;
:mod:`tapbuild.release.devinstall` runs the commands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapbuild.errors import TapError
from tapbuild.sign.catalog import inf_hardware_ids, inf_sections


@dataclass(frozen=True)
class Package:
    """The identity of the built driver package (from its INF)."""

    inf_name: str  # OemVista.inf
    provider: str  # [Version] Provider, %strings% resolved
    class_name: str  # [Version] Class (Net)
    version: str  # from DriverVer: 9.27.0.0
    hardware_ids: tuple[str, ...]  # lower case: root\tap0901, tap0901


@dataclass(frozen=True)
class StoredDriver:
    """One package of the driver store (a Get-WindowsDriver record)."""

    published_name: str  # oem12.inf
    original_name: str  # OemVista.inf (file name of OriginalFileName)
    provider: str
    class_name: str
    version: str
    inbox: bool


@dataclass(frozen=True)
class Device:
    """One device and its driver (a Win32_PnPSignedDriver record)."""

    instance_id: str
    hardware_id: str
    driver_version: str
    inf_name: str  # the published name of the package in use: oem12.inf


# --- the built package --------------------------------------------------------------------


def _version_entries(inf: Path) -> dict[str, str]:
    sections = inf_sections(inf.read_text(encoding="utf-8-sig", errors="replace"))
    strings: dict[str, str] = {}
    for line in sections.get("strings", []):
        name, sep, value = line.partition("=")
        if sep:
            strings[name.strip().lower()] = value.strip().strip('"')

    def resolve(m: re.Match[str]) -> str:
        return strings.get(m.group(1).lower(), m.group(0)) if m.group(1) else "%"

    out: dict[str, str] = {}
    for line in sections.get("version", []):
        name, sep, value = line.partition("=")
        if sep:
            out[name.strip().lower()] = re.sub(r"%([^%]*)%", resolve, value.strip().strip('"'))
    return out


def package_of(inf: Path) -> Package:
    """Read the identity of the driver package whose INF is ``inf``."""
    if not inf.is_file():
        raise TapError(f"{inf}: no such INF; build dist/ first (scons)")
    entries = _version_entries(inf)
    missing = [k for k in ("provider", "class", "driverver") if not entries.get(k)]
    if missing:
        raise TapError(f"{inf}: [Version] lacks {', '.join(missing)}; is it the driver's INF?")
    _, _, version = entries["driverver"].partition(",")
    if not version.strip():
        raise TapError(f"{inf}: DriverVer {entries['driverver']!r} has no version after the date")
    ids = tuple(inf_hardware_ids(inf))
    if not ids:
        raise TapError(f"{inf}: no hardware id in its models section")
    return Package(inf.name, entries["provider"], entries["class"], version.strip(), ids)


# --- records --------------------------------------------------------------------------------


def _records(value: Any, what: str) -> list[Mapping[str, Any]]:
    """ConvertTo-Json gives a list, a single object (one record) or null (none)."""
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise TapError(f"{what}: expected JSON objects, got {type(value).__name__}")
    return list(value)


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, Mapping) and "Major" in value:  # a System.Version, serialised whole
        parts = [value.get(k, 0) for k in ("Major", "Minor", "Build", "Revision")]
        return ".".join(str(max(int(p), 0)) for p in parts)
    return str(value)


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path)[-1]


def parse_drivers(value: Any) -> list[StoredDriver]:
    """Get-WindowsDriver records (already decoded from JSON)."""
    return [
        StoredDriver(
            _text(r, "Driver"),
            _basename(_text(r, "OriginalFileName")),
            _text(r, "ProviderName"),
            _text(r, "ClassName"),
            _text(r, "Version"),
            bool(r.get("Inbox")),
        )
        for r in _records(value, "Get-WindowsDriver")
    ]


def parse_devices(value: Any) -> list[Device]:
    """Win32_PnPSignedDriver records (already decoded from JSON)."""
    return [
        Device(
            _text(r, "DeviceID"),
            _text(r, "HardWareID"),
            _text(r, "DriverVersion"),
            _text(r, "InfName"),
        )
        for r in _records(value, "Win32_PnPSignedDriver")
    ]


def parse_state(text: str) -> tuple[list[StoredDriver], list[Device]]:
    """The query script's output: ``{"drivers": [...], "devices": [...]}``."""
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise TapError(f"driver store query: output is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, Mapping):
        raise TapError("driver store query: expected a JSON object with drivers and devices")
    return parse_drivers(data.get("drivers")), parse_devices(data.get("devices"))


# --- decisions --------------------------------------------------------------------------------


def version_key(version: str) -> tuple[int, int, int, int]:
    """``9.27.0.0`` -> (9, 27, 0, 0); missing parts are 0, so 9.27 == 9.27.0.0."""
    try:
        parts = [int(p) for p in version.strip().split(".")]
    except ValueError:
        raise TapError(f"driver version {version!r}: expected numbers such as 9.27.0.0") from None
    if not 1 <= len(parts) <= 4:
        raise TapError(f"driver version {version!r}: expected up to four numbers")
    a, b, c, d = [*parts, 0, 0, 0][:4]
    return a, b, c, d


def same_version(version: str, want: str) -> bool:
    """Equal as driver versions; an unreadable or empty version equals nothing."""
    try:
        return version_key(version) == version_key(want)
    except TapError:
        return False


def is_copy(record: StoredDriver, package: Package) -> bool:
    """Whether a driver-store package is a copy (any version) of the built package."""
    return (
        not record.inbox
        and record.original_name.casefold() == package.inf_name.casefold()
        and record.provider.casefold() == package.provider.casefold()
        and record.class_name.casefold() == package.class_name.casefold()
    )


def copies(records: Iterable[StoredDriver], package: Package) -> list[StoredDriver]:
    """Every copy of the package in the store, by published name (oem2 before oem10)."""
    found = [r for r in records if is_copy(r, package)]
    return sorted(found, key=lambda r: (len(r.published_name), r.published_name.lower()))


def our_devices(devices: Iterable[Device], package: Package) -> list[Device]:
    """The adapters whose (first) hardware id is one of the INF's."""
    ids = {h.casefold() for h in package.hardware_ids}
    return [d for d in devices if d.hardware_id.casefold() in ids]


def check_installed(
    records: Sequence[StoredDriver], devices: Sequence[Device], package: Package
) -> str:
    """After installing: exactly one copy in the store, of the built version, used by every
    adapter. Returns that copy's published name; raises TapError (one line) otherwise."""
    stored = copies(records, package)
    version_key(package.version)  # the built version must be readable
    if not stored:
        raise TapError(
            f"no {package.inf_name} from {package.provider!r} in the driver store after "
            "installing; see C:\\Windows\\INF\\setupapi.dev.log"
        )
    if len(stored) > 1:
        names = ", ".join(f"{r.published_name} ({r.version})" for r in stored)
        raise TapError(f"{len(stored)} copies of {package.inf_name} in the driver store: {names}")
    copy = stored[0]
    if not same_version(copy.version, package.version):
        raise TapError(
            f"the driver store holds {package.inf_name} {copy.version} ({copy.published_name}), "
            f"not the {package.version} just built"
        )
    ours = our_devices(devices, package)
    if not ours:
        raise TapError(
            f"no adapter with hardware id {' or '.join(package.hardware_ids)} after installing"
        )
    for d in ours:
        if d.inf_name.casefold() != copy.published_name.casefold() or not same_version(
            d.driver_version, package.version
        ):
            raise TapError(
                f"adapter {d.instance_id} runs {d.inf_name} {d.driver_version}, not "
                f"{copy.published_name} {package.version}; Windows kept an old driver"
            )
    return copy.published_name
