"""The merge module: one description, two writers.

``describe()`` turns the product names, the MSM dist layout (``nox -s prepare-msm``) and the
custom-action DLL of one architecture into a :class:`Module`: directories, components, files,
the DLL, custom actions, their sequence and the TapDriver table the DLL reads. Every
identifier is modularized (``Name.<module GUID with underscores>``) and every GUID derives
from the component id, version, build and arch (tapbuild.product.names), so rebuilds are identical
and two vendors' modules never collide.

The writers: ``tapbuild.package.msmwrite`` (msitools' msibuild + tapbuild.formats.cabinet, any host) and
``tapbuild.package.wix`` (WiX source and command line, Windows) both take a Module.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pefile

from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.product.names import PackageNames

LANGUAGE = 1033
COMPONENT_64BIT = 0x100  # msidbComponentAttributes64bit
FILE_VITAL = 0x200  # msidbFileAttributesVital
CA_DLL_BINARY = 0x01  # msidbCustomActionTypeDll + msidbCustomActionTypeBinaryData
CA_ERROR = 0x13  # type 19: show the formatted Target as an error and end the installation
CA_ROLLBACK, CA_COMMIT, CA_IN_SCRIPT, CA_NO_IMPERSONATE = 0x100, 0x200, 0x400, 0x800
DEFERRED = CA_DLL_BINARY | CA_IN_SCRIPT | CA_NO_IMPERSONATE

# Standard actions the module's own actions are placed relative to (standard numbers).
STANDARD_ACTIONS = {
    "LaunchConditions": 100,
    "InstallInitialize": 1500,
    "RemoveFiles": 3500,
    "InstallFiles": 4000,
}


@dataclass(frozen=True)
class Directory:
    id: str
    parent: str | None
    name: str  # long name ("." for TARGETDIR's "SourceDir")

    @property
    def default_dir(self) -> str:
        return self.name if self.parent is None else filename_column(self.name)


@dataclass(frozen=True)
class File:
    id: str
    component: str
    name: str
    source: Path
    sequence: int
    size: int
    version: str | None
    language: str | None


@dataclass(frozen=True)
class Component:
    id: str
    guid: str
    directory: str
    attributes: int
    key_path: str


@dataclass(frozen=True)
class CustomAction:
    id: str
    type: int
    source: str | None  # None: the error action (CA_ERROR) has no source
    target: str


@dataclass(frozen=True)
class SequenceEntry:
    action: str
    sequence: int | None
    base_action: str | None = None
    after: int | None = None
    condition: str | None = None


@dataclass(frozen=True)
class TapDriverRow:
    key: str
    component: str
    inf: str | None
    inf10: str
    hardware_id: str
    version: str
    state_key: str
    process_install: str
    rollback_install: str
    commit_install: str
    process_remove: str
    rollback_remove: str


@dataclass(frozen=True)
class Module:
    names: PackageNames
    arch: str
    module_guid: str
    package_code: str
    directories: list[Directory]
    components: list[Component]
    files: list[File]
    binaries: dict[str, Path]
    custom_actions: list[CustomAction]
    sequence: list[SequenceEntry]
    tap_driver: list[TapDriverRow]
    summary: dict[str, str | int] = field(default_factory=dict)
    ui_sequence: list[SequenceEntry] = field(default_factory=list)

    @property
    def module_id(self) -> str:
        return f"{self.names.module_name}.{self.module_guid.upper()}"

    @property
    def language(self) -> int:
        return LANGUAGE

    @property
    def version(self) -> str:
        return self.names.four_part_version

    @property
    def is_64bit(self) -> bool:
        return self.arch != "i386"


def short_name(long: str) -> str:
    """A stable 8.3 name: the long one when it already is one, else stem + hash."""
    if re.fullmatch(r"[A-Za-z0-9_]{1,8}(\.[A-Za-z0-9_]{1,3})?", long):
        return long
    stem, _, ext = long.rpartition(".") if "." in long else (long, "", "")
    digest = hashlib.sha256(long.encode()).hexdigest()[:4].upper()
    clean = re.sub(r"[^A-Za-z0-9_]", "", stem).upper()[:4] or "F"
    ext = re.sub(r"[^A-Za-z0-9_]", "", ext).upper()[:3]
    return f"{clean}{digest}" + (f".{ext}" if ext else "")


def filename_column(long: str) -> str:
    short = short_name(long)
    return long if short == long else f"{short}|{long}"


def _pe_version(path: Path) -> tuple[str | None, str | None]:
    """(FileVersion, Language) of a versioned PE file, (None, None) otherwise."""
    try:
        pe = pefile.PE(str(path), fast_load=True)
    except pefile.PEFormatError:
        return None, None
    try:
        pe.parse_data_directories(
            directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]]
        )
        fixed = getattr(pe, "VS_FIXEDFILEINFO", None)
        if not fixed:
            return None, None
        ms, ls = fixed[0].FileVersionMS, fixed[0].FileVersionLS
        return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}", "0"
    finally:
        pe.close()


def variants(arch: str) -> list[tuple[str, str]]:
    """(label, folder below dist/<arch>) of the driver variants a module carries."""
    out = [("7", "")] if arch != "arm64" else []  # the EV-signed arm64 driver is not used
    return [*out, ("10", "win10")]


def check_inputs(dist: Path, dll: Path, names: PackageNames, arch: str) -> None:
    files = [f"{arch}/{sub + '/' if sub else ''}{f}" for _, sub in variants(arch)
             for f in ("OemVista.inf", f"{names.component_id}.sys", f"{names.component_id}.cat")]  # fmt: skip
    files.append("include/tap-windows.h")
    missing = [f for f in files if not (dist / f).is_file()]
    if missing:
        raise TapError(
            f"{dist}: missing {', '.join(missing)}; prepare the MSM layout first "
            "(nox -s prepare-msm -- --win7 DIR --win10 DIR)"
        )
    if not dll.is_file():
        raise TapError(
            f"{dll}: no custom-action DLL; build it first (scons msica) or pass --dll-dir"
        )


def describe(names: PackageNames, dist: Path, dll: Path, arch: str) -> Module:
    """The module for one architecture."""
    check_inputs(dist, dll, names, arch)
    dist, dll = dist.resolve(), dll.resolve()
    module_guid = str(names.guid(arch, "module")).upper()
    suffix = "." + module_guid.replace("-", "_")

    def mid(name: str) -> str:
        return name + suffix

    cid = names.component_id
    attrs = COMPONENT_64BIT if arch != "i386" else 0
    root = mid("TapRoot")
    driver_dir = mid("TapDriverDir")
    directories = [
        Directory("TARGETDIR", None, "SourceDir"),
        Directory(root, "TARGETDIR", names.product_name),
        Directory(driver_dir, root, "driver"),
        Directory(mid("TapInclude"), root, "include"),
    ]
    components: list[Component] = []
    files: list[File] = []

    def add_file(fid: str, comp: str, name: str, source: Path) -> None:
        version, language = (
            _pe_version(source) if name.lower().endswith((".sys", ".dll", ".exe")) else (None, None)
        )
        files.append(
            File(fid, comp, name, source, len(files) + 1, source.stat().st_size, version, language)
        )

    infs: dict[str, str] = {}
    for label, sub in variants(arch):
        directory = driver_dir
        if sub:
            directory = mid("TapDriver10Dir")
            directories.append(Directory(directory, driver_dir, sub))
        comp = mid(f"TapDriver{label}")
        folder = dist / arch / sub if sub else dist / arch
        inf_id = mid(f"Inf{label}")
        add_file(inf_id, comp, "OemVista.inf", folder / "OemVista.inf")
        add_file(mid(f"Sys{label}"), comp, f"{cid}.sys", folder / f"{cid}.sys")
        add_file(mid(f"Cat{label}"), comp, f"{cid}.cat", folder / f"{cid}.cat")
        guid = str(names.guid(arch, f"component:TapDriver{label}")).upper()
        components.append(Component(comp, "{" + guid + "}", directory, attrs, inf_id))
        infs[label] = inf_id
    sdk = mid("TapSdk")
    add_file(mid("Header"), sdk, "tap-windows.h", dist / "include" / "tap-windows.h")
    components.append(
        Component(
            sdk,
            "{" + str(names.guid(arch, "component:TapSdk")).upper() + "}",
            mid("TapInclude"),
            attrs,
            mid("Header"),
        )
    )

    binary = mid("TapMsi")
    ca = {n: mid(n) for n in ("MsiEvaluate", "ProcessInstall", "RollbackInstall", "CommitInstall",
                               "ProcessRemove", "RollbackRemove")}  # fmt: skip
    custom_actions = [
        CustomAction(ca["MsiEvaluate"], CA_DLL_BINARY, binary, "MsiEvaluate"),
        CustomAction(ca["ProcessInstall"], DEFERRED, binary, "MsiProcess"),
        CustomAction(ca["RollbackInstall"], DEFERRED | CA_ROLLBACK, binary, "MsiProcess"),
        CustomAction(ca["CommitInstall"], DEFERRED | CA_COMMIT, binary, "MsiProcess"),
        CustomAction(ca["ProcessRemove"], DEFERRED, binary, "MsiProcess"),
        CustomAction(ca["RollbackRemove"], DEFERRED | CA_ROLLBACK, binary, "MsiProcess"),
    ]
    sequence = [SequenceEntry(a, n) for a, n in STANDARD_ACTIONS.items()] + [
        # Decide once the component states are known, inside the script's transaction.
        SequenceEntry(ca["MsiEvaluate"], None, "InstallInitialize", 1),
        # Removal before the files go (its rollback reinstalls from the restored files).
        SequenceEntry(ca["ProcessRemove"], None, "RemoveFiles", 0),
        SequenceEntry(ca["RollbackRemove"], None, ca["ProcessRemove"], 0),
        # Installation once the files are there (rollback first, commit after).
        SequenceEntry(ca["RollbackInstall"], None, "InstallFiles", 1),
        SequenceEntry(ca["ProcessInstall"], None, ca["RollbackInstall"], 1),
        SequenceEntry(ca["CommitInstall"], None, ca["ProcessInstall"], 1),
    ]
    ui_sequence: list[SequenceEntry] = []
    if arch == "i386":
        # The 32-bit driver does not load on 64-bit Windows: refuse the install there, in both
        # sequences (a silent install runs only the execute one), as 9.x's i386 module does.
        refuse = CustomAction(mid("WoW64Unsupported"), CA_ERROR, None, wow64_message(names))
        custom_actions.append(refuse)
        guard = [
            SequenceEntry("LaunchConditions", STANDARD_ACTIONS["LaunchConditions"]),
            SequenceEntry(refuse.id, None, "LaunchConditions", 1, "VersionNT64"),
        ]
        sequence.append(guard[1])
        ui_sequence = guard
    else:
        sequence = [s for s in sequence if s.action != "LaunchConditions"]
    row = TapDriverRow(
        key=mid("Driver"),
        component=mid("TapDriver10"),
        inf=infs.get("7"),
        inf10=infs["10"],
        hardware_id=cid,
        version=names.product.driver_version,
        state_key=rf"SOFTWARE\{names.product_name}\MergeModule\{cid}",
        process_install=ca["ProcessInstall"],
        rollback_install=ca["RollbackInstall"],
        commit_install=ca["CommitInstall"],
        process_remove=ca["ProcessRemove"],
        rollback_remove=ca["RollbackRemove"],
    )
    package_code = "{" + str(names.guid(arch, "package")).upper() + "}"
    summary: dict[str, str | int] = {
        "title": "Merge Module",
        "subject": f"{names.product_name} {names.version} driver ({cid}, {arch})",
        "author": names.product.PRODUCT_PUBLISHER,
        "keywords": "MergeModule, MSI, database",
        "comments": f"The {names.product_name} virtual network adapter driver {names.product.driver_version}",
        "template": f"{ARCHES[arch].msi_platform};{LANGUAGE}",
        "revision": package_code,
        "page_count": ARCHES[arch].msi_schema,
        "word_count": 0,
        "creating_application": "tapbuild msm writer",
        "security": 2,
    }
    return Module(
        names, arch, module_guid, package_code, directories, components, files, {binary: dll},
        custom_actions, sequence, [row], summary, ui_sequence,
    )  # fmt: skip


def wow64_message(names: PackageNames) -> str:
    """The i386 module's refusal on 64-bit Windows (msiexec shows it and ends with 1603)."""
    return (
        f"{names.product_name} {names.version}: this package carries the 32-bit (i386) "
        f"{names.component_id} driver, which 64-bit Windows cannot load. Install the "
        "package built with the 64-bit (amd64) merge module instead."
    )
