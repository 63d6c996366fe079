"""A minimal product MSI that merges one built merge module, for running it under wine's msiexec.

What a merge tool does, reduced to one module: the .msm is read back with msidump (its tables,
the custom-action DLL and MergeModule.CABinet), its ``ModuleInstall*Sequence`` rows become
numbered ``Install*Sequence`` rows around a standard product sequence, its root directory is
re-parented under Program Files of the module's bitness, and the product adds one feature with
every module component, a Media row for the module's cabinet (embedded as a stream) and the
product properties. The tables are written with the project's writer (tapbuild.package.msmwrite.idt),
the database by msibuild, the summary stream by tapbuild.formats.cfb -- the same way as the modules.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tapbuild import atomic
from tapbuild.formats import cfb
from tapbuild.package import msmwrite
from tapbuild.package.msmwrite import Column

CABINET = "tapmsm.cab"
# fail_after_install: a deferred action of the module's DLL after ProcessInstall, given a script
# step MsiProcess does not know, so it fails and the installation rolls back.
FAILING_ACTION = "TapTestFailure"
DEFERRED_NO_IMPERSONATE = 0x01 | 0x400 | 0x800
# The module's own bookkeeping, not part of a product.
MODULE_ONLY = {
    "ModuleSignature", "ModuleComponents", "ModuleInstallExecuteSequence",
    "ModuleInstallUISequence", "_Validation", "_SummaryInformation", "_ForceCodepage",
}  # fmt: skip

# A product's standard actions (the numbers Windows Installer's documentation suggests).
EXECUTE = {
    "LaunchConditions": 100, "CostInitialize": 800, "FileCost": 900, "CostFinalize": 1000,
    "InstallValidate": 1400, "InstallInitialize": 1500, "ProcessComponents": 1600,
    "UnpublishFeatures": 1800, "RemoveFiles": 3500, "InstallFiles": 4000,
    "RegisterProduct": 6100, "PublishFeatures": 6300, "PublishProduct": 6400,
    "InstallFinalize": 6600,
}  # fmt: skip
UI = {
    "LaunchConditions": 100, "CostInitialize": 800, "FileCost": 900, "CostFinalize": 1000,
    "ExecuteAction": 1300,
}  # fmt: skip


def _s(name: str, width: int = 72, key: bool = False, nullable: bool = False) -> Column:
    return Column(name, f"{'S' if nullable else 's'}{width}", key)


PRODUCT_TABLES: dict[str, list[Column]] = {
    "Property": [_s("Property", key=True), Column("Value", "l0")],
    "Feature": [
        _s("Feature", 38, key=True), _s("Feature_Parent", 38, nullable=True),
        Column("Title", "L64"), Column("Description", "L255"), Column("Display", "I2"),
        Column("Level", "i2"), _s("Directory_", nullable=True), Column("Attributes", "i2"),
    ],
    "FeatureComponents": [_s("Feature_", 38, key=True), _s("Component_", key=True)],
    "Media": [
        Column("DiskId", "i2", True), Column("LastSequence", "i4"), Column("DiskPrompt", "L64"),
        Column("Cabinet", "S255"), Column("VolumeLabel", "S32"), Column("Source", "S72"),
    ],
    "InstallExecuteSequence": [
        _s("Action", key=True), Column("Condition", "S255"), Column("Sequence", "I2"),
    ],
    "InstallUISequence": [
        _s("Action", key=True), Column("Condition", "S255"), Column("Sequence", "I2"),
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Table:
    header: list[str]  # the three IDT header lines
    rows: list[list[str]]


def read_idt(path: Path) -> Table:
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    return Table(lines[:3], [line.split("\t") for line in lines[3:] if line])


def write_idt(path: Path, table: Table) -> None:
    text = "\r\n".join([*table.header, *("\t".join(r) for r in table.rows)]) + "\r\n"
    path.write_bytes(text.encode("cp1252"))


def sequence(module_rows: list[list[str]], standard: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Action -> (number, condition): the standard actions, and the module's placed next to
    their base actions (After: just after it, Before: just before), never on a taken number."""
    rows = {r[0]: r + [""] * (5 - len(r)) for r in module_rows}
    placed: dict[str, tuple[int, str]] = {a: (n, "") for a, n in standard.items()}
    taken = set(standard.values())

    def place(action: str) -> int:
        if action in placed:
            return placed[action][0]
        _, number, base, after, condition = rows[action]
        if number:
            n = int(number)
        else:
            step = 1 if after == "1" else -1
            n = place(base) + step
            while n in taken:
                n += step
        taken.add(n)
        placed[action] = (n, condition)
        return n

    for action in rows:
        place(action)
    return placed


def build(
    msm: Path,
    out: Path,
    work: Path,
    *,
    win64: bool,
    product_code: str,
    fail_after_install: bool = False,
) -> Path:
    """The product MSI merging ``msm`` (a 64-bit package when ``win64``) at ``out``."""
    dump = work / "dump"
    dump.mkdir(parents=True)
    # msidump writes the streams into its working directory, whatever -d says.
    subprocess.run(["msidump", "-d", str(dump), "-t", "-s", str(msm)], check=True,
                   capture_output=True, cwd=dump)  # fmt: skip
    tables = {p.stem: read_idt(p) for p in dump.glob("*.idt")}
    module = {n: t for n, t in tables.items() if n not in MODULE_ONLY}
    (module_id, _, version) = tables["ModuleSignature"].rows[0]

    program_files = "ProgramFiles64Folder" if win64 else "ProgramFilesFolder"
    directory = module["Directory"]
    for r in directory.rows:
        if r[1] == "TARGETDIR":
            r[1] = program_files
    directory.rows.append([program_files, "TARGETDIR", "."])
    components = [r[0] for r in module["Component"].rows]
    last = max(int(r[7]) for r in module["File"].rows)

    execute = sequence(tables["ModuleInstallExecuteSequence"].rows, EXECUTE)
    ui_rows = tables["ModuleInstallUISequence"].rows if "ModuleInstallUISequence" in tables else []
    ui = sequence(ui_rows, UI)
    properties: list[tuple[str | int | None, ...]] = []
    if fail_after_install:
        binary = module["Binary"].rows[0][0]
        module["CustomAction"].rows.append(
            [FAILING_ACTION, str(DEFERRED_NO_IMPERSONATE), binary, "MsiProcess"]
        )
        after = next(n for a, (n, _) in execute.items() if a.startswith("ProcessInstall."))
        execute[FAILING_ACTION] = (after + 10, "")
        properties.append((FAILING_ACTION, "?|a step MsiProcess does not know"))
    template = ("x64" if win64 else "Intel") + ";1033"
    product: dict[str, list[tuple[str | int | None, ...]]] = {
        "Property": [
            ("ProductCode", product_code), ("ProductName", f"TAP merge test {module_id}"),
            ("ProductVersion", version), ("ProductLanguage", "1033"),
            ("Manufacturer", "tap-windows6 tests"), ("ALLUSERS", "1"), *properties,
        ],
        "Feature": [("Tap", None, "TAP", None, 1, 1, None, 0)],
        "FeatureComponents": [("Tap", c) for c in components],
        "Media": [(1, last, None, "#" + CABINET, None, None)],
        "InstallExecuteSequence": [(a, c or None, n) for a, (n, c) in execute.items()],
        "InstallUISequence": [(a, c or None, n) for a, (n, c) in ui.items()],
    }  # fmt: skip

    idts = []
    for name, table in module.items():
        write_idt(dump / f"{name}.idt", table)
        idts.append(f"{name}.idt")
    for name, rows in product.items():
        (dump / f"{name}.idt").write_bytes(msmwrite.idt(name, rows, PRODUCT_TABLES[name]))
        idts.append(f"{name}.idt")
    raw = work / "raw.msi"
    subprocess.run(["msibuild", str(raw), "-i", *idts], check=True, capture_output=True,
                   cwd=dump)  # fmt: skip
    cab = dump / "_Streams" / msmwrite.CABINET_STREAM
    subprocess.run(["msibuild", str(raw), "-a", CABINET, str(cab)], check=True,
                   capture_output=True)  # fmt: skip

    streams = dict(cfb.read(raw.read_bytes()).streams)
    streams[cfb.SUMMARY_STREAM] = cfb.summary_information(
        {
            "title": "Installation Database", "subject": f"merges {msm.name}",
            "author": "tap-windows6 tests", "template": template,
            "revision": product_code, "page_count": 200,
            "word_count": 2,  # compressed: the files come from the cabinet
            "security": 2,
        },
        msmwrite.CODEPAGE,
    )  # fmt: skip
    atomic.write_bytes(out, cfb.write(cfb.MSI_CLSID, streams))
    return out
