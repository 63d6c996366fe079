"""Writing a merge module off Windows: IDT tables -> msibuild, a cabinet from tapbuild.formats.cabinet, and
the compound file repacked byte-stable with complete summary information (tapbuild.formats.cfb).
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tapbuild import atomic, toolrun
from tapbuild.errors import TapError
from tapbuild.formats import cabinet as cabinet_writer
from tapbuild.formats import cfb
from tapbuild.package.msm import Module

CABINET_STREAM = "MergeModule.CABinet"
CODEPAGE = 1252


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # IDT type: s72 S72 l255 i2 I2 i4 v0 ... (upper case: nullable)
    key: bool = False
    category: str | None = None
    min: int | None = None
    max: int | None = None
    key_table: str | None = None
    key_column: int | None = None
    description: str | None = None

    @property
    def nullable(self) -> bool:
        return self.type[0].isupper()


def _id(
    name: str,
    *,
    key: bool = False,
    nullable: bool = False,
    table: str | None = None,
    width: int = 72,
) -> Column:
    return Column(name, f"{'S' if nullable else 's'}{width}", key, "Identifier", key_table=table,
                  key_column=1 if table else None)  # fmt: skip


def _int(
    name: str, lo: int, hi: int, *, nullable: bool = False, key: bool = False, width: int = 2
) -> Column:
    return Column(name, f"{'I' if nullable else 'i'}{width}", key, None, lo, hi)


def _sequence(table: str) -> list[Column]:
    """The columns of a module sequence table (BaseAction names an action of the same table)."""
    return [
        _id("Action", key=True, width=64),
        _int("Sequence", -4, 32767, nullable=True),
        _id("BaseAction", nullable=True, table=table, width=64),
        _int("After", 0, 1, nullable=True),
        Column("Condition", "S255", category="Condition"),
    ]


SCHEMA: dict[str, list[Column]] = {
    "Directory": [
        _id("Directory", key=True),
        _id("Directory_Parent", nullable=True, table="Directory"),
        Column("DefaultDir", "l255", category="DefaultDir"),
    ],
    "Component": [
        _id("Component", key=True),
        Column("ComponentId", "S38", category="Guid"),
        _id("Directory_", table="Directory"),
        _int("Attributes", 0, 32767),
        Column("Condition", "S255", category="Condition"),
        _id("KeyPath", nullable=True, table="File;Registry;ODBCDataSource"),
    ],
    "File": [
        _id("File", key=True),
        _id("Component_", table="Component"),
        Column("FileName", "l255", category="Filename"),
        _int("FileSize", 0, 2147483647, width=4),
        Column("Version", "S72", category="Version", key_table="File", key_column=1),
        Column("Language", "S20", category="Language"),
        _int("Attributes", 0, 32767, nullable=True),
        _int("Sequence", 1, 32767),
    ],
    "Binary": [_id("Name", key=True), Column("Data", "v0", category="Binary")],
    "CustomAction": [
        _id("Action", key=True),
        _int("Type", 1, 32767),
        Column("Source", "S72", category="CustomSource"),
        Column("Target", "S255", category="Formatted"),
    ],
    "ModuleSignature": [
        _id("ModuleID", key=True),
        _int("Language", 0, 32767, key=True),
        Column("Version", "s32", category="Version"),
    ],
    "ModuleComponents": [
        _id("Component", key=True, table="Component"),
        _id("ModuleID", key=True, table="ModuleSignature"),
        _int("Language", 0, 32767, key=True),
    ],
    "ModuleInstallExecuteSequence": _sequence("ModuleInstallExecuteSequence"),
    # i386 only: the refusal on 64-bit Windows (msm.describe) in the UI sequence too.
    "ModuleInstallUISequence": _sequence("ModuleInstallUISequence"),
    # The module's own table, read by MsiEvaluate (installer/msica/msica.c).
    "TapDriver": [
        _id("TapDriver", key=True),
        _id("Component_", table="Component"),
        _id("Inf", nullable=True, table="File"),
        _id("Inf10", table="File"),
        Column("HardwareId", "s72", category="Text", description="the driver's component id"),
        Column("Version", "s32", category="Version"),
        Column("StateKey", "s255", category="RegPath", description="HKLM key of the shared count"),
        _id("ProcessInstall", table="CustomAction"),
        _id("RollbackInstall", table="CustomAction"),
        _id("CommitInstall", table="CustomAction"),
        _id("ProcessRemove", table="CustomAction"),
        _id("RollbackRemove", table="CustomAction"),
    ],
}
VALIDATION = [
    Column("Table", "s32", True, "Identifier"),
    Column("Column", "s32", True, "Identifier"),
    Column("Nullable", "s4", category="Text"),
    Column("MinValue", "I4"),
    Column("MaxValue", "I4"),
    Column("KeyTable", "S255", category="Identifier"),
    Column("KeyColumn", "I2"),
    Column("Category", "S32", category="Text"),
    Column("Set", "S255", category="Text"),
    Column("Description", "S255", category="Text"),
]
SCHEMA["_Validation"] = VALIDATION

Row = tuple[str | int | None, ...]


def rows(module: Module) -> dict[str, list[Row]]:
    """Every table of the module as rows in schema column order (one description)."""
    out: dict[str, list[Row]] = {
        "Directory": [(d.id, d.parent, d.default_dir) for d in module.directories],
        "Component": [
            (c.id, c.guid, c.directory, c.attributes, None, c.key_path) for c in module.components
        ],
        "File": [
            (f.id, f.component, _filename(f.name), f.size, f.version, f.language, 0x200, f.sequence)
            for f in module.files
        ],
        "Binary": [(k, p.name) for k, p in module.binaries.items()],
        "CustomAction": [(a.id, a.type, a.source, a.target) for a in module.custom_actions],
        "ModuleSignature": [(module.module_id, module.language, module.version)],
        "ModuleComponents": [(c.id, module.module_id, module.language) for c in module.components],
        "ModuleInstallExecuteSequence": [
            (s.action, s.sequence, s.base_action, s.after, s.condition) for s in module.sequence
        ],
        "ModuleInstallUISequence": [
            (s.action, s.sequence, s.base_action, s.after, s.condition) for s in module.ui_sequence
        ],
        "TapDriver": [
            (
                r.key,
                r.component,
                r.inf,
                r.inf10,
                r.hardware_id,
                r.version,
                r.state_key,
                r.process_install,
                r.rollback_install,
                r.commit_install,
                r.process_remove,
                r.rollback_remove,
            )
            for r in module.tap_driver
        ],
    }
    out = {table: r for table, r in out.items() if r}  # no empty tables (UI sequence: i386)
    validation: list[Row] = []
    for table, columns in SCHEMA.items():
        if table not in out and table != "_Validation":
            continue
        for c in columns:
            validation.append(
                (table, c.name, "Y" if c.nullable else "N", c.min, c.max, c.key_table, c.key_column,
                 c.category, None, c.description)
            )  # fmt: skip
    out["_Validation"] = validation
    return out


def _filename(name: str) -> str:
    from tapbuild.package.msm import filename_column

    return filename_column(name)


def _cell(value: str | int | None, table: str) -> str:
    if value is None:
        return ""
    text = str(value)
    if any(c in text for c in "\t\r\n"):
        raise TapError(f"{table}: value {text!r} contains a tab or line break")
    return text


def idt(table: str, table_rows: list[Row], columns: list[Column] | None = None) -> bytes:
    """One table as msibuild imports it; columns: SCHEMA's unless given."""
    columns = SCHEMA[table] if columns is None else columns
    keys = [c.name for c in columns if c.key]
    lines = [
        "\t".join(c.name for c in columns),
        "\t".join(c.type for c in columns),
        "\t".join([table, *keys]),
    ]
    for r in sorted(table_rows, key=lambda r: tuple("" if v is None else str(v) for v in r)):
        lines.append("\t".join(_cell(v, table) for v in r))
    text = "\r\n".join(lines) + "\r\n"
    try:
        return text.encode(f"cp{CODEPAGE}")
    except UnicodeEncodeError:
        raise TapError(f"{table}: text outside code page {CODEPAGE} (Windows-1252)") from None


def _run(argv: list[str], what: str, cwd: Path | None = None) -> None:
    """Run an msitools program as it is (environment and stdin inherited, stdout and stderr
    apart); one line with the last it said when it fails."""
    res = toolrun.run(
        argv,
        environ=None,
        keep_proxy=True,
        stdin=None,
        merge_stderr=False,
        text=True,
        cwd=cwd,
        timeout=None,
        missing="install msitools (Debian: apt-get install msitools)",
    )
    if res.returncode != 0:
        raise TapError(f"{what} failed (exit {res.returncode}): {res.last_said()}")


def release_time(module: Module) -> int:
    """The module's time stamps: the driver's release date (midnight UTC)."""
    date = datetime.datetime.strptime(module.names.product.PRODUCT_TAP_WIN_RELDATE, "%m/%d/%Y")
    return int(date.replace(tzinfo=datetime.timezone.utc).timestamp())


def cabinet(module: Module, work: Path) -> Path:
    """MergeModule.CABinet: the files named by their File keys, in Sequence order."""
    stamp = datetime.datetime.fromtimestamp(release_time(module), datetime.timezone.utc)
    members = [
        (f.id, f.source.read_bytes()) for f in sorted(module.files, key=lambda f: f.sequence)
    ]
    return cabinet_writer.write(work / CABINET_STREAM, members, stamp)


def write(module: Module, out: Path) -> Path:
    """Build the .msm at ``out`` (replaced in one step); return it."""
    with tempfile.TemporaryDirectory(prefix="tap-msm-") as tmp:
        work = Path(tmp)
        tables = work / "tables"
        (tables / "Binary").mkdir(parents=True)
        for path in module.binaries.values():
            shutil.copyfile(path, tables / "Binary" / path.name)
        # msibuild reads stream columns (Binary.Data) relative to its working directory.
        idts = ["_ForceCodepage.idt"]
        (tables / "_ForceCodepage.idt").write_bytes(
            f"\r\n\r\n{CODEPAGE}\t_ForceCodepage\r\n".encode()
        )
        for table, table_rows in rows(module).items():
            (tables / f"{table}.idt").write_bytes(idt(table, table_rows))
            idts.append(f"{table}.idt")
        cab = cabinet(module, work)
        raw = work / "raw.msm"
        _run(["msibuild", str(raw), "-i", *idts], "msibuild (tables)", cwd=tables)
        _run(["msibuild", str(raw), "-a", CABINET_STREAM, str(cab)], "msibuild (cabinet)")
        built = cfb.read(raw.read_bytes())
        streams = dict(built.streams)
        streams[cfb.SUMMARY_STREAM] = cfb.summary_information(
            module.summary, CODEPAGE, release_time(module)
        )
        data = cfb.write(cfb.MSI_CLSID, streams)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(out, data)
    return out
