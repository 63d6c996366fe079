"""`nox -s devinstall`: put the fresh build on this Windows test machine, replacing every
older copy, and prove that Windows now runs it.

The old developer loop, as one command:

1. remove every adapter of the driver (``tapinstall remove <hwid>...``, dist's tapinstall);
2. read the driver store as JSON (PowerShell ``Get-WindowsDriver -Online``, plus the
   adapters from ``Win32_PnPSignedDriver``) and delete every copy of this driver package,
   matched by original INF name, provider and class (:mod:`tapbuild.release.driverstore`), with
   pnputil — otherwise ``tapinstall install`` silently reinstalls the old copy;
3. install the build (``tapinstall install dist\\<arch>\\OemVista.inf <hwid>``);
4. read the store and adapters again: one copy, of the version just built, on every adapter.

The decisions are :mod:`tapbuild.release.driverstore`'s; this module builds the command lines (pure
functions, tested on any host) and runs them, on Windows only, from an Administrator shell.
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tapbuild import toolrun
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.release import driverstore

INF_NAME = "OemVista.inf"
TAPINSTALL = "tapinstall.exe"
PNPUTIL_MODERN_BUILD = 14393  # Windows 10 1607: pnputil /delete-driver

# Third-party driver packages (DISM) and network adapters with their drivers (WMI), as one
# JSON object, UTF-8. Versions are made strings here so every PowerShell serialises alike.
QUERY_SCRIPT = """\
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
$drivers = @(Get-WindowsDriver -Online | Select-Object Driver, OriginalFileName, ProviderName,
    ClassName, @{Name = 'Version'; Expression = { [string]$_.Version }}, Inbox)
$devices = @(Get-CimInstance -ClassName Win32_PnPSignedDriver |
    Where-Object { $_.DeviceClass -eq 'NET' } |
    Select-Object DeviceID, HardWareID, DriverVersion, InfName)
ConvertTo-Json -Compress -Depth 3 -InputObject @{ drivers = $drivers; devices = $devices }
"""

# PROCESSOR_ARCHITECTURE (or PROCESSOR_ARCHITEW6432 for a 32-bit process) -> dist/ folder
WINDOWS_ARCHES = {a.processor_architecture: a.name for a in ARCHES.values()}

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --- where things are -------------------------------------------------------------------------


def native_arch(environ: Mapping[str, str]) -> str:
    """The machine's architecture as a dist/ folder name, even from a 32-bit Python."""
    raw = environ.get("PROCESSOR_ARCHITEW6432") or environ.get("PROCESSOR_ARCHITECTURE", "")
    arch = WINDOWS_ARCHES.get(raw.lower())
    if arch is None:
        raise TapError(
            f"PROCESSOR_ARCHITECTURE={raw!r}: not a supported machine; "
            f"accepted: {', '.join(WINDOWS_ARCHES)}"
        )
    return arch


def system_tool(name: str, environ: Mapping[str, str]) -> str:
    """A program of System32 (through Sysnative from a 32-bit process on 64-bit Windows,
    which would otherwise get the 32-bit copy in SysWOW64)."""
    root = environ.get("SystemRoot") or environ.get("SYSTEMROOT") or "C:\\Windows"
    folder = "Sysnative" if environ.get("PROCESSOR_ARCHITEW6432") else "System32"
    return f"{root}\\{folder}\\{name}"


def powershell(environ: Mapping[str, str]) -> str:
    return system_tool("WindowsPowerShell\\v1.0\\powershell.exe", environ)


# --- command lines --------------------------------------------------------------------------


def install_hwid(package: driverstore.Package) -> str:
    """The hardware id ``tapinstall install`` gives the adapter it creates: the INF's plain
    one (``tap0901``, as the installers use), else its first."""
    plain = [h for h in package.hardware_ids if "\\" not in h]
    return (plain or list(package.hardware_ids))[0]


def query_command(powershell_exe: str) -> list[str]:
    encoded = base64.b64encode(QUERY_SCRIPT.encode("utf-16-le")).decode("ascii")
    return [
        powershell_exe,
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
        encoded,
    ]


def remove_command(tapinstall: str, package: driverstore.Package) -> list[str]:
    return [tapinstall, "remove", *package.hardware_ids]


def delete_command(pnputil: str, published_name: str, windows_build: int) -> list[str]:
    """Delete one package from the store, even if a device still uses it."""
    if windows_build >= PNPUTIL_MODERN_BUILD:
        return [pnputil, "/delete-driver", published_name, "/uninstall", "/force"]
    return [pnputil, "-f", "-d", published_name]


def install_command(tapinstall: str, inf: Path | str, package: driverstore.Package) -> list[str]:
    return [tapinstall, "install", str(inf), install_hwid(package)]


@dataclass(frozen=True)
class Setup:
    """Everything devinstall needs to know about the machine and the build."""

    arch: str
    folder: Path  # dist/<arch>
    tapinstall: str
    pnputil: str
    powershell: str
    windows_build: int
    package: driverstore.Package

    @property
    def inf(self) -> Path:
        return self.folder / INF_NAME


def setup(
    dist: Path, environ: Mapping[str, str], windows_build: int, arch: str | None = None
) -> Setup:
    """Check dist/ for this machine and name the tools (pure: no command runs)."""
    arch = arch or native_arch(environ)
    if arch not in ARCHES:
        raise TapError(f"--arch {arch}: accepted: {', '.join(ARCHES)}")
    folder = Path(dist) / arch
    for name in (INF_NAME, TAPINSTALL):
        if not (folder / name).is_file():
            raise TapError(f"{folder / name}: missing; build dist/ for {arch} first (scons)")
    package = driverstore.package_of(folder / INF_NAME)
    return Setup(
        arch,
        folder,
        str(folder / TAPINSTALL),
        system_tool("pnputil.exe", environ),
        powershell(environ),
        windows_build,
        package,
    )


def delete_plan(s: Setup, records: Sequence[driverstore.StoredDriver]) -> list[list[str]]:
    """One pnputil command per copy of the package in the store."""
    return [
        delete_command(s.pnputil, r.published_name, s.windows_build)
        for r in driverstore.copies(records, s.package)
    ]


# --- running (Windows) -----------------------------------------------------------------------

Runner = Callable[[Sequence[str]], toolrun.Result]

# exit codes that mean "done" (1: tapinstall done, restart needed; 3010: pnputil the same)
_DONE = {0: "", 1: " (Windows must restart to finish)", 3010: " (Windows must restart to finish)"}


def _run(argv: Sequence[str]) -> toolrun.Result:
    """tapinstall, pnputil and PowerShell as they are (environment and stdin inherited),
    their output and errors together, read as UTF-8."""
    return toolrun.run(
        argv, keep_proxy=True, stdin=None, text=True, encoding="utf-8", timeout=None, missing=""
    )


def _reason(res: toolrun.Result) -> str:
    lines = [ln.strip() for ln in res.output.splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no output"


def _step(run: Runner, argv: Sequence[str], what: str, log: Log) -> None:
    res = run(argv)
    if res.returncode not in _DONE:
        raise TapError(f"{what} failed (exit code {res.returncode}): {_reason(res)}")
    log(f"{what}: done{_DONE[res.returncode]}")


def _state(
    run: Runner, s: Setup
) -> tuple[list[driverstore.StoredDriver], list[driverstore.Device]]:
    res = run(query_command(s.powershell))
    if res.returncode != 0:
        raise TapError(f"reading the driver store (Get-WindowsDriver) failed: {_reason(res)}")
    return driverstore.parse_state(res.output)


def _is_admin() -> bool:
    import ctypes

    return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]


def refuse_off_windows(platform: str = sys.platform) -> None:
    if platform != "win32":
        raise TapError(
            f"nox -s devinstall runs on Windows only (it installs the driver on the machine "
            f"it runs on); this host is {platform}"
        )


def run(
    dist: Path,
    arch: str | None = None,
    log: Log = _quiet,
    runner: Runner = _run,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The whole loop; returns the published name (oemN.inf) now installed."""
    refuse_off_windows()
    if not _is_admin():
        raise TapError("nox -s devinstall changes drivers: run it from an Administrator shell")
    env = os.environ if environ is None else environ
    s = setup(dist, env, sys.getwindowsversion().build, arch)  # type: ignore[attr-defined]
    return replace(s, runner, log)


def replace(s: Setup, runner: Runner, log: Log = _quiet) -> str:
    """Steps 1-4 with the commands run by ``runner``; returns the installed oemN.inf."""
    p = s.package
    log(f"# {p.inf_name} {p.version} from {p.provider!r} ({p.class_name}), {s.folder}")
    _step(runner, remove_command(s.tapinstall, p), "removing the adapters", log)
    records, _ = _state(runner, s)
    stored = driverstore.copies(records, p)
    if not stored:
        log("driver store: no copy of this driver")
    for r, argv in zip(stored, delete_plan(s, records), strict=True):
        _step(runner, argv, f"deleting {r.published_name} ({r.version}) from the store", log)
    _step(runner, install_command(s.tapinstall, s.inf, p), f"installing {s.inf}", log)
    records, devices = _state(runner, s)
    published = driverstore.check_installed(records, devices, p)
    log(f"installed {p.inf_name} {p.version} as {published}; every adapter runs it")
    return published
