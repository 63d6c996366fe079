"""nox -s devinstall: the driver-store decisions on sample Get-WindowsDriver /
Win32_PnPSignedDriver records, the exact command lines, the whole loop against a simulated
Windows machine, and the refusal off Windows."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reltest_util import error_lines
from tapbuild import toolrun
from tapbuild.arch import ARCHES
from tapbuild.cli import release
from tapbuild.errors import TapError
from tapbuild.product import inf as infgen
from tapbuild.product.versioninfo import load
from tapbuild.release import devinstall, driverstore

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
BUILD = 19045  # Windows 10 22H2
ENV = {"SystemRoot": "C:\\Windows", "PROCESSOR_ARCHITECTURE": "AMD64"}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """dist/amd64 with the INF the build makes from driver/OemVista.inf.in and version.py."""
    folder = tmp_path / "dist" / "amd64"
    folder.mkdir(parents=True)
    template = (ROOT / "driver" / "OemVista.inf.in").read_text()
    (folder / "OemVista.inf").write_bytes(infgen.render(template, load(), ARCHES["amd64"]))
    (folder / "tapinstall.exe").write_bytes(b"MZ")
    return tmp_path / "dist"


@pytest.fixture
def package(dist: Path) -> driverstore.Package:
    return driverstore.package_of(dist / "amd64" / "OemVista.inf")


def _state(name: str) -> tuple[list[driverstore.StoredDriver], list[driverstore.Device]]:
    return driverstore.parse_state((DATA / name).read_text())


# --- identity and matching ------------------------------------------------------------------


def test_identity_comes_from_the_built_inf(package: driverstore.Package) -> None:
    product = load()
    assert package == driverstore.Package(
        "OemVista.inf",
        product.PRODUCT_TAP_WIN_PROVIDER,
        "Net",
        product.driver_version,
        (f"root\\{product.component_id}", product.component_id),
    )


def test_every_copy_and_only_copies_are_matched(package: driverstore.Package) -> None:
    records, devices = _state("store-before.json")
    assert len(records) == 8 and len(devices) == 4
    # oem3 and oem12: same INF name (any case), provider and class, any version. Not: another
    # provider's OemVista.inf (oem20), another INF (oem45), another class (oem44), inbox.
    assert [r.published_name for r in driverstore.copies(records, package)] == [
        "oem3.inf",
        "oem12.inf",
    ]
    assert [d.instance_id for d in driverstore.our_devices(devices, package)] == [
        "ROOT\\NET\\0000",
        "ROOT\\NET\\0001",
    ]


def test_single_record_and_no_records() -> None:
    records, devices = _state("store-one-record.json")
    assert devices == []
    assert records == [
        driverstore.StoredDriver(
            "oem9.inf", "oemvista.inf", "TAP-Windows Provider V9", "Net", "9.27.0.0", False
        )
    ]
    assert driverstore.parse_state("") == ([], [])
    assert driverstore.parse_state('{"drivers": [], "devices": null}') == ([], [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Get-WindowsDriver : The requested operation requires elevation.", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"drivers": [1]}', "Get-WindowsDriver: expected JSON objects"),
    ],
)
def test_unreadable_query_output(text: str, message: str) -> None:
    with pytest.raises(TapError, match=message):
        driverstore.parse_state(text)


def test_versions_compare_as_numbers() -> None:
    assert driverstore.same_version("9.27", "9.27.0.0")
    assert driverstore.same_version("09.027.0.0", "9.27.0.0")
    assert not driverstore.same_version("9.27.0.1", "9.27.0.0")
    assert not driverstore.same_version("", "9.27.0.0")
    with pytest.raises(TapError, match="expected numbers"):
        driverstore.version_key("9.x")


# --- checking the result --------------------------------------------------------------------


def test_installed_state_accepted(package: driverstore.Package) -> None:
    records, devices = _state("store-after.json")
    assert driverstore.check_installed(records, devices, package) == "oem57.inf"


def test_old_copies_left_are_reported(package: driverstore.Package) -> None:
    records, devices = _state("store-before.json")
    with pytest.raises(
        TapError,
        match=r"2 copies of OemVista.inf in the driver store: oem3.inf \(9.21.2.0\), oem12.inf",
    ):
        driverstore.check_installed(records, devices, package)


def test_old_version_only_is_reported(package: driverstore.Package) -> None:
    records, devices = _state("store-before.json")
    old = [r for r in records if r.published_name != "oem3.inf"]
    with pytest.raises(
        TapError,
        match=r"holds OemVista\.inf 9\.24\.2\.601 \(oem12\.inf\), not the 9\.27\.0\.0 just built",
    ):
        driverstore.check_installed(old, devices, package)


def test_adapter_on_another_package_is_reported(package: driverstore.Package) -> None:
    records, devices = _state("store-after.json")
    stale = [*devices, driverstore.Device("ROOT\\NET\\0003", "TAP0901", "9.24.2.601", "oem12.inf")]
    with pytest.raises(
        TapError, match=r"adapter ROOT\\NET\\0003 runs oem12.inf 9.24.2.601, not oem57.inf 9.27.0.0"
    ):
        driverstore.check_installed(records, stale, package)
    with pytest.raises(TapError, match="no adapter with hardware id"):
        driverstore.check_installed(records, devices[1:], package)
    with pytest.raises(
        TapError, match=r"no OemVista\.inf from 'TAP-Windows Provider V9' in the driver store"
    ):
        driverstore.check_installed(records[1:], devices, package)


# --- command lines --------------------------------------------------------------------------


def test_exact_command_lines(dist: Path) -> None:
    s = devinstall.setup(dist, ENV, BUILD)
    tapinstall = str(dist / "amd64" / "tapinstall.exe")
    assert s.pnputil == "C:\\Windows\\System32\\pnputil.exe"
    assert devinstall.remove_command(s.tapinstall, s.package) == [
        tapinstall,
        "remove",
        "root\\tap0901",
        "tap0901",
    ]
    assert devinstall.install_command(s.tapinstall, s.inf, s.package) == [
        tapinstall,
        "install",
        str(dist / "amd64" / "OemVista.inf"),
        "tap0901",
    ]
    records, _ = _state("store-before.json")
    pnputil = "C:\\Windows\\System32\\pnputil.exe"
    assert devinstall.delete_plan(s, records) == [
        [pnputil, "/delete-driver", "oem3.inf", "/uninstall", "/force"],
        [pnputil, "/delete-driver", "oem12.inf", "/uninstall", "/force"],
    ]
    # before Windows 10 1607 pnputil only knows the old switches
    assert devinstall.delete_command(pnputil, "oem3.inf", 9600) == [pnputil, "-f", "-d", "oem3.inf"]


def test_query_command_carries_the_script_encoded() -> None:
    ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    argv = devinstall.query_command(ps)
    assert argv[:-1] == [
        ps,
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
    ]
    script = base64.b64decode(argv[-1]).decode("utf-16-le")
    assert script == devinstall.QUERY_SCRIPT
    assert "Get-WindowsDriver -Online" in script
    assert "Win32_PnPSignedDriver" in script
    assert "ConvertTo-Json" in script
    for key in ("Driver", "OriginalFileName", "ProviderName", "ClassName", "Version", "Inbox"):
        assert key in script
    for key in ("DeviceID", "HardWareID", "DriverVersion", "InfName"):
        assert key in script


@pytest.mark.parametrize(
    ("env", "arch", "folder"),
    [
        ({"PROCESSOR_ARCHITECTURE": "AMD64"}, "amd64", "System32"),
        (
            {"PROCESSOR_ARCHITECTURE": "x86", "PROCESSOR_ARCHITEW6432": "AMD64"},
            "amd64",
            "Sysnative",
        ),
        ({"PROCESSOR_ARCHITECTURE": "x86"}, "i386", "System32"),
        ({"PROCESSOR_ARCHITECTURE": "ARM64"}, "arm64", "System32"),
    ],
)
def test_machine_arch_and_system_folder(env: dict[str, str], arch: str, folder: str) -> None:
    env = {"SystemRoot": "D:\\Win", **env}
    assert devinstall.native_arch(env) == arch
    assert devinstall.system_tool("pnputil.exe", env) == f"D:\\Win\\{folder}\\pnputil.exe"


def test_setup_refuses_what_it_cannot_install(dist: Path) -> None:
    with pytest.raises(TapError, match="PROCESSOR_ARCHITECTURE='IA64': not a supported machine"):
        devinstall.setup(dist, {"PROCESSOR_ARCHITECTURE": "IA64"}, BUILD)
    with pytest.raises(TapError, match=r"arm64.OemVista.inf: missing; build dist/ for arm64 first"):
        devinstall.setup(dist, {"PROCESSOR_ARCHITECTURE": "ARM64"}, BUILD)


# --- the loop against a simulated machine ----------------------------------------------------


@dataclass
class FakeWindows:
    """Plays Windows for the commands devinstall runs: the store and devices as records, a
    new store copy on install, the highest version in the store used for adapters."""

    records: list[driverstore.StoredDriver]
    devices: list[driverstore.Device]
    package: driverstore.Package
    refuse_delete: set[str] = field(default_factory=set)
    keep_on_delete: set[str] = field(default_factory=set)
    commands: list[list[str]] = field(default_factory=list)

    def __call__(self, argv: Sequence[str]) -> toolrun.Result:
        argv = list(argv)
        self.commands.append(argv)
        ours = {h.casefold() for h in self.package.hardware_ids}
        if argv[0].endswith("powershell.exe"):
            out = {
                "drivers": [
                    {"Driver": r.published_name, "OriginalFileName": f"C:\\x\\{r.original_name}", "ProviderName": r.provider, "ClassName": r.class_name, "Version": r.version, "Inbox": r.inbox}
                    for r in self.records
                ],
                "devices": [
                    {"DeviceID": d.instance_id, "HardWareID": d.hardware_id, "DriverVersion": d.driver_version, "InfName": d.inf_name}
                    for d in self.devices
                ],
            }  # fmt: skip
            return toolrun.Result(0, json.dumps(out))
        if argv[0].endswith("pnputil.exe"):
            name = argv[2]
            if name in self.refuse_delete:
                return toolrun.Result(5, "Failed to delete driver package: Access is denied.")
            if name not in self.keep_on_delete:
                self.records = [r for r in self.records if r.published_name != name]
            return toolrun.Result(0, "Driver package deleted successfully.")
        if argv[1] == "remove":
            self.devices = [d for d in self.devices if d.hardware_id.casefold() not in ours]
            return toolrun.Result(0, "2 devices removed\n")
        if argv[1] == "install":
            self.records.append(
                driverstore.StoredDriver(
                    "oem57.inf",
                    "OemVista.inf",
                    self.package.provider,
                    "Net",
                    self.package.version,
                    False,
                )
            )
            best = max(
                driverstore.copies(self.records, self.package),
                key=lambda r: driverstore.version_key(r.version),
            )
            self.devices.append(
                driverstore.Device("ROOT\\NET\\0000", argv[3], best.version, best.published_name)
            )
            return toolrun.Result(0, "Drivers installed successfully.\n")
        raise AssertionError(f"unexpected command {argv}")


def test_the_loop_replaces_every_copy(dist: Path) -> None:
    s = devinstall.setup(dist, ENV, BUILD)
    records, devices = _state("store-before.json")
    machine = FakeWindows(records, devices, s.package)
    log: list[str] = []
    assert devinstall.replace(s, machine, log.append) == "oem57.inf"
    verbs = [
        c[1] if c[0].endswith("tapinstall.exe") else c[0].rsplit("\\", 1)[-1]
        for c in machine.commands
    ]
    assert verbs == [
        "remove",
        "powershell.exe",
        "pnputil.exe",
        "pnputil.exe",
        "install",
        "powershell.exe",
    ]
    assert [r.published_name for r in driverstore.copies(machine.records, s.package)] == [
        "oem57.inf"
    ]
    assert "oem20.inf" in {r.published_name for r in machine.records}  # another vendor's TAP stays
    assert log[-1] == "installed OemVista.inf 9.27.0.0 as oem57.inf; every adapter runs it"


def test_the_loop_fails_in_one_line_when_a_copy_stays(dist: Path) -> None:
    s = devinstall.setup(dist, ENV, BUILD)
    records, devices = _state("store-before.json")
    machine = FakeWindows(records, devices, s.package, refuse_delete={"oem12.inf"})
    with pytest.raises(TapError) as exc:
        devinstall.replace(s, machine)
    assert (
        str(exc.value)
        == "deleting oem12.inf (9.24.2.601) from the store failed (exit code 5): Failed to delete driver package: Access is denied."
    )


def test_a_copy_that_survives_is_caught(dist: Path) -> None:
    """pnputil says done but a newer copy stays (e.g. Windows restored it): the adapter runs
    that one, and the check after installing says so."""
    s = devinstall.setup(dist, ENV, BUILD)
    newer = driverstore.StoredDriver(
        "oem99.inf", "OemVista.inf", s.package.provider, "Net", "9.99.0.0", False
    )
    machine = FakeWindows([newer], [], s.package, keep_on_delete={"oem99.inf"})
    with pytest.raises(
        TapError,
        match=r"2 copies of OemVista.inf in the driver store: oem57.inf \(9.27.0.0\), oem99.inf \(9.99.0.0\)",
    ):
        devinstall.replace(s, machine)
    assert machine.devices[-1].inf_name == "oem99.inf"


# --- off Windows ----------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="the refusal is for other hosts")
def test_refused_off_windows_in_one_line(nox_run) -> None:
    with pytest.raises(TapError) as exc:
        release.main("devinstall", ["--arch", "nonsense"], print)
    assert str(exc.value) == (
        "nox -s devinstall runs on Windows only (it installs the driver on the machine it "
        f"runs on); this host is {sys.platform}"
    )
    res = nox_run("devinstall")
    assert res.returncode != 0
    [line] = error_lines(res.stderr)
    assert line.endswith(str(exc.value) + ".")  # nox ends the line with a full stop
