"""The merge modules as a product meets them: `nox -s package-msm`'s modules, each merged into a
minimal MSI (msmmerge.py), installed and removed by wine's msiexec in a fresh prefix of the
module's bitness; tapmsi.dll's custom actions really run.

What wine's msiexec does differently from Windows (each assertion that depends on it says so):
- SetupCopyOEMInfW keeps the INF's own name in C:\\windows\\inf (Windows: oemNN.inf), so the
  recorded store package is ``OemVista.inf``;
- there is no PnP device of the TAP hardware id, so UpdateDriverForPlugAndPlayDevices finds
  none (the DLL treats that as success, as on a Windows machine without an adapter);
- uninstall leaves the emptied ``TAP-Windows`` folder and the INF's .pnf behind;
- the deferred actions' CustomActionData is not logged by wine: the immediate action's
  ``Property(S)`` lines and the registry state the deferred actions write show what they got;
- a failed action is logged with return value 0 (Windows: 3);
- an error action (type 19) with literal text, as WiX writes ``Error="..."``, is looked up in
  the Error table instead of shown, so its message reaches neither the log nor a UI handler:
  wine's msi trace (WINEDEBUG=+msi) shows the action handling it.
"""

from __future__ import annotations

import datetime
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msmmerge
import pytest
from tapbuild.cli import package
from tapbuild.package import msm, msmdist
from tapbuild.product.names import PackageNames, load_names
from tapbuild.sign import catalog
from wine import Wine

pytestmark = [pytest.mark.slow, pytest.mark.tool("wine", "msibuild", "msidump")]

PRODUCT = "{5D1A1C2B-3E4F-4A5B-8C6D-7E8F9A0B1C2D}"
STATE = r"HKLM\SOFTWARE\TAP-Windows\MergeModule\tap0901"
# msiexec's 1603 as the Unix side sees wine's exit code: its low byte (0x643 -> 0x43).
MSI_ERROR_INSTALL_FAILURE = 1603 & 0xFF
CATALOG_DATE = datetime.datetime(2026, 9, 27, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def modules(
    real_dist: Path, dll_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """amd64 and i386 modules from `nox -s prepare-msm` and `nox -s package-msm` on the real
    build (the driver, its INF, tapmsi.dll), with unsigned but real catalogs."""
    work = tmp_path_factory.mktemp("msm-wine")
    for label in ("win7", "win10"):
        shutil.copytree(real_dist, work / label)
        for arch in ("i386", "amd64", "arm64"):
            catalog.write_package_catalog(
                work / label / arch, "tap0901.cat", catalog.os_targets(arch), when=CATALOG_DATE
            )
    names = load_names(None)
    msmdist.prepare(work / "win7", work / "win10", work / "dist", names)
    written = package.package_msm_main(
        ["--dist", str(work / "dist"), "--dll-dir", str(dll_dir), "--out", str(work / "out"),
         "--arch", "amd64,i386", "--writer", "msibuild"], log=lambda _: None,
    )  # fmt: skip
    return {p.stem.rsplit("-", 1)[1]: p for p in written}


@pytest.fixture(scope="module")
def names() -> PackageNames:
    return load_names(None)


@contextmanager
def prefix(path: Path, win32: bool) -> Iterator[Wine]:
    """A fresh prefix: 64-bit, or 32-bit (WINEARCH=win32, needs wine32)."""
    wine = Wine(path)
    if win32:
        wine.env["WINEARCH"] = "win32"
    try:
        wine.start()
        yield wine
    finally:
        wine.stop()


def merged(module: Path, tmp_path: Path, win64: bool, **kw: object) -> Path:
    return msmmerge.build(module, tmp_path / "test.msi", tmp_path / "merge", win64=win64,
                          product_code=PRODUCT, **kw)  # type: ignore[arg-type]  # fmt: skip


def msiexec_traced(wine: Wine, verb: str, msi: Path, log: Path) -> tuple[int, str, str]:
    """msiexec VERB msi /qn /l*v log: (exit code, the log, wine's stderr)."""
    code, out, err = wine.run(["msiexec", verb, f"Z:{msi}", "/qn", "/l*v", f"Z:{log}"])
    text = log.read_bytes().decode("utf-8", "replace") if log.exists() else ""
    assert text, (code, out, err[-2000:])
    return code, text, err.decode("utf-8", "replace")


def msiexec(wine: Wine, verb: str, msi: Path, log: Path) -> tuple[int, str]:
    code, text, _ = msiexec_traced(wine, verb, msi, log)
    return code, text


def results(log: str) -> dict[str, list[int]]:
    """Action -> the return values the log shows for it, in order (1: success, 3: failure)."""
    out: dict[str, list[int]] = {}
    for action, value in re.findall(r"Action ended [\d:]+: (\S+)\. Return value (\d+)\.", log):
        out.setdefault(action, []).append(int(value))
    return out


def started(log: str) -> list[str]:
    return re.findall(r"Action start [\d:]+: (\S+)\.\n", log)


def properties(log: str) -> dict[str, str]:
    """The Property(S) lines of the log (the last value of each; values may span lines)."""
    out = {}
    for m in re.finditer(r"^Property\(S\): (\S+) = (.*?)(?=^Property\(|\Z)", log, re.M | re.S):
        out[m.group(1)] = m.group(2).strip("\n")
    return out


def reg_values(wine: Wine, key: str) -> dict[str, str] | None:
    """The values of an HKLM key in the 64-bit view (None: no key)."""
    code, out, _ = wine.run(["reg", "query", key, "/reg:64"])
    if code != 0:
        return None
    values = {}
    for line in out.decode("utf-8", "replace").splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[1].startswith("REG_"):
            values[parts[0]] = parts[2].strip() if len(parts) == 3 else ""
    return values


def program_files(wine: Wine) -> Path:
    return Path(wine.env["WINEPREFIX"]) / "drive_c" / "Program Files" / "TAP-Windows"


def inf_store(wine: Wine) -> Path:
    return Path(wine.env["WINEPREFIX"]) / "drive_c" / "windows" / "inf"


def landed(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def expected_files(dist: Path, arch: str) -> dict[str, bytes]:
    out = {"include/tap-windows.h": (dist / "include" / "tap-windows.h").read_bytes()}
    for folder, sub in (("driver", ""), ("driver/win10", "win10")):
        src = dist / arch / sub if sub else dist / arch
        for name in ("OemVista.inf", "tap0901.sys", "tap0901.cat"):
            out[f"{folder}/{name}"] = (src / name).read_bytes()
    return out


def suffix(names: PackageNames, arch: str) -> str:
    return "." + str(names.guid(arch, "module")).upper().replace("-", "_")


@pytest.mark.parametrize("arch", ["amd64", "i386"])
def test_install_and_uninstall_run_the_custom_actions(
    modules: dict[str, Path], names: PackageNames, tmp_path: Path, arch: str
) -> None:
    if arch == "i386":
        import tools

        tools.require("wine32")
    msi = merged(modules[arch], tmp_path, win64=arch == "amd64")
    dist = modules[arch].parent.parent / "dist"
    s = suffix(names, arch)
    with prefix(tmp_path / "prefix", win32=arch == "i386") as wine:
        code, log = msiexec(wine, "/i", msi, tmp_path / "install.log")
        assert code == 0, log[-3000:]

        # Each action of the module ran, in its sequence, and succeeded; rollback actions
        # are only scheduled (a successful install never runs them).
        ran = results(log)
        for action in ("MsiEvaluate", "ProcessInstall", "CommitInstall"):
            assert ran[action + s][-1] == 1, action
        seen = started(log)
        script = seen[seen.index("InstallFinalize") :]  # the deferred script runs there
        assert seen.index("MsiEvaluate" + s) < seen.index("InstallFinalize")
        positions = [script.index(a) for a in
                     ("RemoveFiles", "InstallFiles", "ProcessInstall" + s, "CommitInstall" + s)]  # fmt: skip
        assert positions == sorted(positions), script
        assert "TAP merge module: tap0901 install" in log
        if arch == "i386":  # 32-bit Windows: no VersionNT64, the refusal stays out of the way
            assert "Property(S): VersionNT64" not in log
            assert "WoW64Unsupported" + s not in seen

        # The data the immediate action computed, the same the deferred ones acted on.
        props = properties(log)
        version_nt = int(props["VersionNT"])
        inf = r"C:\Program Files\TAP-Windows\driver" + ("\\win10" if version_nt >= 1000 else "")
        key = STATE.removeprefix("HKLM\\")
        assert props["ProcessInstall" + s].splitlines() == [
            rf"I|{inf}\OemVista.inf|tap0901|{key}", f"+|{key}|{PRODUCT}|9.27.0.0",
        ]  # fmt: skip
        assert props["RollbackInstall" + s].splitlines() == [
            f"X|tap0901|{key}", f"-|{key}|{PRODUCT}",
        ]  # fmt: skip

        # The files land; the deferred action added the package to the store and recorded it.
        assert landed(program_files(wine)) == expected_files(dist, arch)
        store = inf_store(wine) / "OemVista.inf"  # wine keeps the name (Windows: oemNN.inf)
        assert (
            store.read_bytes()
            == expected_files(dist, arch)[
                ("driver/win10" if version_nt >= 1000 else "driver") + "/OemVista.inf"
            ]
        )
        state = reg_values(wine, STATE)
        assert state == {"Clients": PRODUCT, "Version": "9.27.0.0", "Published": "OemVista.inf"}

        code, log = msiexec(wine, "/x", msi, tmp_path / "remove.log")
        assert code == 0, log[-3000:]
        assert "TAP merge module: tap0901 uninstall" in log
        assert results(log)["ProcessRemove" + s][-1] == 1
        props = properties(log)
        assert props["ProcessRemove" + s].splitlines() == [
            f"X|tap0901|{key}", f"-|{key}|{PRODUCT}",
        ]  # fmt: skip
        # Uninstall undoes the install: files, store package, recorded state.
        assert landed(program_files(wine)) == {}  # wine leaves the emptied folder
        assert not store.exists()
        assert reg_values(wine, STATE) == {"Clients": ""}


def test_a_failed_install_runs_the_rollback_with_its_data(
    modules: dict[str, Path], names: PackageNames, tmp_path: Path
) -> None:
    """A deferred action that fails after ProcessInstall (MsiProcess given a step it does not
    know) ends the install with 1603; the rollback script removes what ProcessInstall did."""
    msi = merged(modules["amd64"], tmp_path, win64=True, fail_after_install=True)
    s = suffix(names, "amd64")
    with prefix(tmp_path / "prefix", win32=False) as wine:
        code, log = msiexec(wine, "/i", msi, tmp_path / "install.log")
        assert code == MSI_ERROR_INSTALL_FAILURE, log[-3000:]
        ran = results(log)
        assert ran["ProcessInstall" + s][-1] == 1
        assert ran[msmmerge.FAILING_ACTION][-1] == 0  # wine's "failed" (Windows: 3)
        assert ran["RollbackInstall" + s][-1] == 1  # run in the rollback, with its data
        seen = started(log)
        script = seen[seen.index("InstallFinalize") :]  # what ran of the deferred script
        assert "CommitInstall" + s not in script  # a failed install commits nothing
        assert script.index("RollbackInstall" + s) > script.index(msmmerge.FAILING_ACTION)
        assert landed(program_files(wine)) == {}
        assert not (inf_store(wine) / "OemVista.inf").exists()
        assert reg_values(wine, STATE) in (None, {"Clients": ""})


def test_the_i386_module_is_refused_on_64_bit_windows(
    modules: dict[str, Path], names: PackageNames, tmp_path: Path
) -> None:
    """The i386 module's WoW64Unsupported error action (VersionNT64) under wine64."""
    msi = merged(modules["i386"], tmp_path, win64=False)
    s = suffix(names, "i386")
    with prefix(tmp_path / "prefix", win32=False) as wine:
        wine.env["WINEDEBUG"] = "+msi"  # the message shows only in wine's trace (above)
        code, log, trace = msiexec_traced(wine, "/i", msi, tmp_path / "install.log")
        assert code == MSI_ERROR_INSTALL_FAILURE, log[-3000:]
        assert "Property(S): VersionNT64 = " in log
        assert results(log)["WoW64Unsupported" + s] == [0]  # wine's "failed" (Windows: 3)
        handled = [line for line in trace.splitlines()
                   if "ACTION_CustomAction Handling custom action" in line
                   and f"WoW64Unsupported{s}" in line]  # fmt: skip
        assert len(handled) == 1 and msm.wow64_message(names) in handled[0], handled
        assert "(13 " in handled[0]  # type 19 (hex 13): the error action
        assert "MsiEvaluate" + s not in started(log)
        assert landed(program_files(wine)) == {}
        assert reg_values(wine, STATE) is None
