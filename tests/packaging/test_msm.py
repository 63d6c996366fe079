"""`nox -s package-msm`: merge modules built with msibuild, read back with msitools and gcab."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tapbuild.arch import ARCHES
from tapbuild.cli import package
from tapbuild.errors import TapError
from tapbuild.package import msm, msmdist, msmwrite, wix
from tapbuild.product.names import PackageNames, load_names

pytestmark = pytest.mark.tool("msibuild", "msiinfo", "msidump", "gcab")


@pytest.fixture
def msm_dist(make_dist, tmp_path: Path):
    def make(
        component_id: str = "tap0901", override: Path | None = None
    ) -> tuple[Path, PackageNames]:
        names = load_names(override)
        win7 = make_dist(
            tmp_path / f"w7-{component_id}", component_id, catalogs=True, variant="win7"
        )
        win10 = make_dist(
            tmp_path / f"w10-{component_id}", component_id, catalogs=True, variant="win10"
        )
        dist = tmp_path / f"dist-{component_id}"
        msmdist.prepare(win7, win10, dist, names)
        return dist, names

    return make


def _build(
    names: PackageNames, dist: Path, dll_dir: Path, arch: str, out: Path
) -> tuple[msm.Module, Path]:
    module = msm.describe(names, dist, dll_dir / arch / "installer" / "tapmsi.dll", arch)
    return module, msmwrite.write(module, out / names.msm_file(arch))


def seq_of(tables: dict[str, list[list[str]]], name: str) -> dict[str, list[str]]:
    return {r[0]: r + [""] * (5 - len(r)) for r in tables[name]}


def _suminfo(path: Path) -> dict[str, str]:
    out = subprocess.run(
        ["msiinfo", "suminfo", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


def _tables(path: Path, dest: Path) -> dict[str, list[list[str]]]:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        # msidump writes the streams (-s) into its working directory, whatever -d says.
        ["msidump", "-d", str(dest), "-t", "-s", str(path)],
        check=True,
        capture_output=True,
        cwd=dest,
    )
    tables = {}
    for idt in dest.glob("*.idt"):
        lines = idt.read_bytes().decode("cp1252").split("\r\n")
        tables[idt.stem] = [line.split("\t") for line in lines[3:] if line]
    return tables


@pytest.mark.parametrize("arch", list(ARCHES))
def test_module_reads_back(msm_dist, dll_dir: Path, tmp_path: Path, arch: str) -> None:
    dist, names = msm_dist()
    module, path = _build(names, dist, dll_dir, arch, tmp_path / "out")
    assert path.name == f"tap-windows-9.27.0-{arch}.msm"

    info = _suminfo(path)
    platform = {"i386": "Intel", "amd64": "x64", "arm64": "Arm64"}[arch]
    assert info["Title"] == "Merge Module"
    assert info["Template"] == f"{platform};1033"
    assert info["Revision number (UUID)"] == module.package_code
    assert info["Version"].startswith("500" if arch == "arm64" else "200")
    assert info["Keywords"] == "MergeModule, MSI, database"
    assert info["Author"] == "OpenVPN Technologies, Inc."
    assert "Created" in info and "Last saved" in info and info["Security"].startswith("2")

    t = _tables(path, tmp_path / "dump")
    guid = module.module_guid
    suffix = "." + guid.replace("-", "_")
    assert t["ModuleSignature"] == [[f"tap_windows_tap0901.{guid}", "1033", "9.27.0.0"]]

    dirs = {r[0]: r for r in t["Directory"]}
    assert dirs["TARGETDIR"][2] == "SourceDir"
    assert dirs["TapRoot" + suffix][2].endswith("|TAP-Windows")
    assert dirs["TapDriver10Dir" + suffix][2] == "win10"

    comps = {r[0]: r for r in t["Component"]}
    labels = ["10"] if arch == "arm64" else ["7", "10"]
    assert set(comps) == {f"TapDriver{x}{suffix}" for x in labels} | {"TapSdk" + suffix}
    for c in comps.values():
        assert c[1] == "{" + c[1][1:-1].upper() + "}" and len(c[1]) == 38
        assert int(c[3]) & 0x100 == (0 if arch == "i386" else 0x100)  # 64-bit components
    assert sorted(r[0] for r in t["ModuleComponents"]) == sorted(comps)

    files = {r[0]: r for r in t["File"]}
    assert len(files) == 3 * len(labels) + 1
    assert files["Sys10" + suffix][2] == "tap0901.sys"
    assert files["Header" + suffix][2].endswith("|tap-windows.h")
    assert sorted(int(r[7]) for r in files.values()) == list(range(1, len(files) + 1))

    assert t["Binary"] == [["TapMsi" + suffix, "Binary.TapMsi" + suffix + ".ibd"]] or t["Binary"][
        0
    ][0] == ("TapMsi" + suffix)
    dll = dll_dir / arch / "installer" / "tapmsi.dll"
    stream = (tmp_path / "dump" / "_Streams" / f"Binary.TapMsi{suffix}").read_bytes()
    assert stream == dll.read_bytes()

    actions = {r[0]: r for r in t["CustomAction"]}
    assert actions["MsiEvaluate" + suffix][1:] == ["1", "TapMsi" + suffix, "MsiEvaluate"]
    assert actions["ProcessInstall" + suffix][1] == str(1 | 0x400 | 0x800)
    assert actions["RollbackInstall" + suffix][1] == str(1 | 0x100 | 0x400 | 0x800)
    assert actions["CommitInstall" + suffix][1] == str(1 | 0x200 | 0x400 | 0x800)
    assert {r[3] for r in actions.values() if r[1] != "19"} == {"MsiEvaluate", "MsiProcess"}
    if arch == "i386":  # the refusal on 64-bit Windows, in both sequences
        refuse = "WoW64Unsupported" + suffix
        assert actions[refuse][1:3] == ["19", ""] and "64-bit Windows" in actions[refuse][3]
        assert seq_of(t, "ModuleInstallExecuteSequence")[refuse][2:] == [
            "LaunchConditions", "1", "VersionNT64",
        ]  # fmt: skip
        assert seq_of(t, "ModuleInstallUISequence")[refuse][2:] == [
            "LaunchConditions", "1", "VersionNT64",
        ]  # fmt: skip
    else:
        assert "ModuleInstallUISequence" not in t
        assert not [a for a in actions.values() if a[1] == "19"]

    seq = {r[0]: r for r in t["ModuleInstallExecuteSequence"]}
    assert seq["MsiEvaluate" + suffix][2:4] == ["InstallInitialize", "1"]
    assert seq["ProcessRemove" + suffix][2:4] == ["RemoveFiles", "0"]
    assert seq["RollbackInstall" + suffix][2:4] == ["InstallFiles", "1"]
    assert seq["InstallFiles"][1] == "4000"

    (row,) = t["TapDriver"]
    assert row[1] == "TapDriver10" + suffix
    assert row[2] == ("" if arch == "arm64" else "Inf7" + suffix)
    assert row[3:7] == [
        "Inf10" + suffix,
        "tap0901",
        "9.27.0.0",
        r"SOFTWARE\TAP-Windows\MergeModule\tap0901",
    ]
    assert all(r in actions for r in row[7:])
    assert {r[0] for r in t["_Validation"]} >= {"File", "Component", "TapDriver", "ModuleSignature"}


def test_cabinet_round_trip(msm_dist, dll_dir: Path, tmp_path: Path) -> None:
    dist, names = msm_dist()
    module, path = _build(names, dist, dll_dir, "amd64", tmp_path / "out")
    cab = tmp_path / "m.cab"
    with cab.open("wb") as f:
        subprocess.run(
            ["msiinfo", "extract", str(path), "MergeModule.CABinet"], check=True, stdout=f
        )
    listing = subprocess.run(
        ["gcab", "-l", str(cab)], check=True, capture_output=True, text=True
    ).stdout
    assert [line.split()[0] for line in listing.splitlines() if line.strip()] == [
        f.id for f in sorted(module.files, key=lambda f: f.sequence)
    ]
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["gcab", "-x", "-C", str(out), str(cab)], check=True, capture_output=True)
    for f in module.files:
        assert (out / f.id).read_bytes() == f.source.read_bytes(), f.id
    assert (out / module.files[0].id).stat().st_size == module.files[0].size


def test_reproducible(msm_dist, dll_dir: Path, tmp_path: Path) -> None:
    dist, names = msm_dist()
    _, a = _build(names, dist, dll_dir, "arm64", tmp_path / "a")
    _, b = _build(names, dist, dll_dir, "arm64", tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_component_id_override(msm_dist, dll_dir: Path, tmp_path: Path) -> None:
    override = tmp_path / "override.py"
    override.write_text('PRODUCT_TAP_WIN_COMPONENT_ID = "tapoas6"\n')
    dist, names = msm_dist("tapoas6", override)
    module, path = _build(names, dist, dll_dir, "amd64", tmp_path / "out")
    assert path.name == "tap-windows-tapoas6-9.27.0-amd64.msm"
    default = msm.describe(
        *reversed(msm_dist()), dll_dir / "amd64" / "installer" / "tapmsi.dll", "amd64"
    )  # type: ignore[misc]
    assert module.module_guid != default.module_guid
    assert {c.guid for c in module.components}.isdisjoint({c.guid for c in default.components})
    assert module.package_code != default.package_code
    t = _tables(path, tmp_path / "dump")
    assert t["ModuleSignature"][0][0] == f"tap_windows_tapoas6_tapoas6.{module.module_guid}"
    assert {r[2] for r in t["File"]} >= {"tapoas6.sys", "tapoas6.cat"}
    assert t["TapDriver"][0][4] == "tapoas6"
    assert "TAP-Windows (tapoas6)" in _suminfo(path)["Subject"]


def test_missing_inputs_one_line(msm_dist, dll_dir: Path, tmp_path: Path) -> None:
    dist, names = msm_dist()
    (dist / "arm64" / "win10" / "tap0901.cat").unlink()
    with pytest.raises(TapError) as err:
        msm.describe(names, dist, dll_dir / "arm64" / "installer" / "tapmsi.dll", "arm64")
    assert "\n" not in str(err.value) and "arm64/win10/tap0901.cat" in str(err.value)
    assert "prepare-msm" in str(err.value)
    with pytest.raises(TapError, match="scons msica"):
        msm.describe(names, dist, tmp_path / "nope.dll", "amd64")


def test_session_writes_all_three(msm_dist, dll_dir: Path, tmp_path: Path) -> None:
    dist, _ = msm_dist()
    out = package.package_msm_main(
        [
            "--dist",
            str(dist),
            "--dll-dir",
            str(dll_dir),
            "--out",
            str(tmp_path / "o"),
            "--writer",
            "msibuild",
        ],
        log=lambda s: None,
    )
    assert [p.name for p in out] == [f"tap-windows-9.27.0-{a}.msm" for a in ARCHES]


# --- WiX: the same description, another writer ---------------------------------------------


def test_wix_source_matches_the_module(msm_dist, dll_dir: Path) -> None:
    dist, names = msm_dist()
    module = msm.describe(names, dist, dll_dir / "amd64" / "installer" / "tapmsi.dll", "amd64")
    root = ET.fromstring(wix.source(module))
    ns = {"w": wix.NAMESPACE}
    mod = root.find("w:Module", ns)
    assert mod is not None
    assert mod.get("Guid") == module.module_guid and mod.get("Id") == names.module_name
    assert mod.get("Version") == "9.27.0.0" and mod.get("Language") == "1033"
    suffix = "." + module.module_guid.replace("-", "_")
    # WiX appends the module GUID to every id: the results equal the msibuild tables' keys.
    comps = {
        c.get("Id") + suffix: c.get("Guid") for c in root.iter(f"{{{wix.NAMESPACE}}}Component")
    }
    assert comps == {c.id: c.guid for c in module.components}
    files = {f.get("Id") + suffix: f.get("Source") for f in root.iter(f"{{{wix.NAMESPACE}}}File")}
    assert files == {f.id: str(f.source) for f in module.files}
    actions = {a.get("Id") + suffix: a for a in root.iter(f"{{{wix.NAMESPACE}}}CustomAction")}
    assert set(actions) == {a.id for a in module.custom_actions}
    assert actions["RollbackInstall" + suffix].get("Execute") == "rollback"
    assert actions["ProcessInstall" + suffix].get("Impersonate") == "no"
    customs = {c.get("Action") + suffix for c in root.iter(f"{{{wix.NAMESPACE}}}Custom")}
    assert customs == {s.action for s in module.sequence if s.action not in msm.STANDARD_ACTIONS}
    data = {d.get("Column"): d.text for d in root.iter(f"{{{wix.NAMESPACE}}}Data")}
    assert data["HardwareId"] == "tap0901" and data["Inf10"] + suffix == module.tap_driver[0].inf10


def test_wix_source_refuses_64_bit_windows_for_i386(msm_dist, dll_dir: Path) -> None:
    """9.x's WoW64Unsupported, from the same description: an Error custom action after
    LaunchConditions on VersionNT64, in both sequences; none in the 64-bit modules."""
    dist, names = msm_dist()
    for arch in ("i386", "amd64"):
        module = msm.describe(names, dist, dll_dir / arch / "installer" / "tapmsi.dll", arch)
        root = ET.fromstring(wix.source(module))
        q = f"{{{wix.NAMESPACE}}}"
        errors = [a for a in root.iter(q + "CustomAction") if a.get("Error")]
        customs = {
            seq.tag.removeprefix(q): [
                c.attrib for c in seq if c.get("Action") == "WoW64Unsupported"
            ]
            for seq in root.iter()
            if seq.tag in (q + "InstallExecuteSequence", q + "InstallUISequence")
        }
        if arch == "amd64":
            assert not errors and not any(customs.values()) and "InstallUISequence" not in customs
            continue
        assert [(a.get("Id"), a.get("Error")) for a in errors] == [
            ("WoW64Unsupported", msm.wow64_message(names))
        ]
        want = [{"Action": "WoW64Unsupported", "After": "LaunchConditions",
                 "Condition": "VersionNT64"}]  # fmt: skip
        assert customs == {"InstallExecuteSequence": want, "InstallUISequence": want}


def test_wix_command_line(msm_dist, dll_dir: Path, tmp_path: Path) -> None:
    dist, names = msm_dist()
    for arch, wix_arch in (("i386", "x86"), ("amd64", "x64"), ("arm64", "arm64")):
        module = msm.describe(names, dist, dll_dir / arch / "installer" / "tapmsi.dll", arch)
        argv = wix.command("wix.exe", module, Path("m.wxs"), Path("o.msm"))
        assert argv == [
            "wix.exe", "build", "-arch", wix_arch, "-outputtype", "module", "-pdbtype", "none",
            "-o", "o.msm", "m.wxs",
        ]  # fmt: skip


def test_wix_missing_is_one_line(
    msm_dist, dll_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("WIX", raising=False)
    with pytest.raises(TapError, match="wix not found"):
        wix.find_wix()
