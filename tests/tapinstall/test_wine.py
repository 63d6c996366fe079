"""tapinstall.exe, built by zig, run for real under wine: the amd64 one in a 64-bit prefix, the
i386 one in a 32-bit prefix (wine32), and the i386 one in a 64-bit prefix under WoW64.

The i386 one in a 64-bit prefix runs like the others here: wine's SetupAPI lets a WoW64 caller
create and install devices, where Windows refuses with ERROR_IN_WOW64 (the message tapinstall
gives then, naming the build to use instead, is checked on the host by test_main.py). Wine's
SetupAPI creates, lists and removes root-enumerated devices in its registry, so besides
help, usage errors and the no-device line, a whole install / hwids / update / remove cycle runs
with a small test INF. (Wine's UpdateDriverForPlugAndPlayDevices succeeds even without a
matching INF model, and it has no SetupDiSetClassInstallParams: the failure paths of those
calls are covered on the host by test_main.py.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tools import require
from wine import Wine

pytestmark = [pytest.mark.tool("wine"), pytest.mark.slow]

# id -> (the tapinstall.exe's arch, the prefix fixture, the tools beside wine)
TARGETS = {
    "amd64": ("amd64", "wine_prefix", ()),
    "i386": ("i386", "wine_prefix32", ("wine32",)),
    "i386-wow64": ("i386", "wine_prefix", ("wine32",)),
}

TEST_ID = "tapinstall_wine_test"
NO_DEVICES = "No matching devices found.\r\n"

TEST_INF = """\
[Version]
Signature="$Windows NT$"
Class=Net
ClassGuid={4d36e972-e325-11ce-bfc1-08002be10318}
Provider=%Provider%
DriverVer=01/01/2026,1.0.0.0

[Manufacturer]
%Provider%=Models,NTx86,NTamd64

[Models.NTx86]
%Description%=Adapter.Install, tapinstall_wine_test

[Models.NTamd64]
%Description%=Adapter.Install, tapinstall_wine_test

[Adapter.Install]
Characteristics=0x1

[Adapter.Install.Services]
AddService=,2

[Strings]
Provider="tapinstall tests"
Description="tapinstall wine test adapter"
"""


@pytest.fixture(scope="module", params=list(TARGETS))
def wine(request: pytest.FixtureRequest, ti_tree: Path) -> dict[str, object]:
    """The started prefix, and the exe to run."""
    arch, prefix, tools = TARGETS[request.param]
    require("wine", *tools)
    wine_prefix: Wine = request.getfixturevalue(prefix)
    return {"prefix": wine_prefix, "exe": ti_tree / "dist" / arch / "tapinstall.exe"}


def run(
    wine: dict[str, object], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run tapinstall; its output decoded as is (CR LF kept: what an installer reads)."""
    argv = [str(wine["exe"]), *args]
    code, out, err = wine["prefix"].run(argv, cwd=cwd)  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(argv, code, out.decode("utf-8"), err.decode("utf-8"))


def test_help(wine: dict[str, object]) -> None:
    r = run(wine, "help")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith(
        "tapinstall 9.27.0.0: install, update, remove and find TAP adapters\r\n"
    )
    assert "\r\n  hwids <id>...  " in r.stdout
    # version.py's component id, as installers pass it.
    assert "  tapinstall install OemVista.inf tap0901\r\n" in r.stdout
    assert "\n" not in r.stdout.replace("\r\n", "")  # CR LF line ends in a pipe


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "tapinstall: no command given;"),
        (["bogus"], "tapinstall: unknown command 'bogus';"),
        (["install", "OemVista.inf"], "tapinstall: install: takes <inf> <hwid>, got 1 argument"),
        (["hwids"], "tapinstall: hwids: takes <id>..., got 0 arguments"),
        (["update", "x.inf", "tap*"], "tapinstall: update: hardware id 'tap*' must be exact"),
    ],
)
def test_usage_errors(wine: dict[str, object], args: list[str], message: str) -> None:
    r = run(wine, *args)
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr.startswith(message)
    assert r.stderr.count("\r\n") == 1 and r.stderr.endswith("\r\n")


@pytest.mark.parametrize("verb", ["hwids", "find", "status", "remove"])
def test_no_tap_device(wine: dict[str, object], verb: str) -> None:
    r = run(wine, verb, "tap0901")
    assert (r.returncode, r.stdout, r.stderr) == (0, NO_DEVICES, "")


def test_other_devices_are_listed(wine: dict[str, object]) -> None:
    """Wine has devices of its own (monitor, HID): the listing really walks SetupAPI."""
    r = run(wine, "find", "*")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[-1].endswith(" matching device(s) found.")
    assert int(lines[-1].split()[0]) == len(lines) - 1 >= 1


def test_missing_inf(wine: dict[str, object], tmp_path: Path) -> None:
    r = run(wine, "install", "Missing.inf", TEST_ID, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith(
        "tapinstall: install: INF file Missing.inf: GetFileAttributes failed: "
    )
    assert r.stderr.endswith("(error 2)\r\n")


def test_install_list_update_remove(wine: dict[str, object], tmp_path: Path) -> None:
    folder = tmp_path / "driver dir"  # a blank in the path: quoting through the command line
    folder.mkdir()
    (folder / "Test.inf").write_text(TEST_INF.replace("\n", "\r\n"))

    r = run(wine, "hwids", TEST_ID)
    assert (r.returncode, r.stdout) == (0, NO_DEVICES)

    r = run(wine, "install", str(folder / "Test.inf"), TEST_ID)
    assert (r.returncode, r.stderr) == (0, ""), r.stdout + r.stderr
    created, installing, done = r.stdout.splitlines()
    assert created.startswith("Created device ROOT\\NET\\") and created.endswith(".")
    instance = created.removeprefix("Created device ").removesuffix(".")
    assert installing == f"Installing the driver for {TEST_ID} from Z:{folder}\\Test.inf.".replace(
        "/", "\\"
    )
    assert done == "Driver installed."

    r = run(wine, "hwids", TEST_ID.upper())
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (
        f"{instance}\r\n"
        "    Name: tapinstall wine test adapter\r\n"
        "    Hardware IDs:\r\n"
        f"        {TEST_ID}\r\n"
        "1 matching device(s) found.\r\n"
    )

    r = run(wine, "find", "tapinstall_wine_*")
    assert (
        r.stdout == f"{instance}: tapinstall wine test adapter\r\n1 matching device(s) found.\r\n"
    )

    r = run(wine, "status", f"@{instance}")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines()[2] in ("    Driver is running.", "    Device is stopped.")

    r = run(wine, "update", str(folder / "Test.inf"), TEST_ID)
    assert (r.returncode, r.stderr) == (0, ""), r.stdout + r.stderr
    assert r.stdout.endswith("Driver installed.\r\n")

    r = run(wine, "update", str(folder / "Test.inf"), "tapinstall_no_such_id")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (
        "tapinstall: update: no present device has the hardware id 'tapinstall_no_such_id'; "
        "`tapinstall install` creates one\r\n"
    )

    r = run(wine, "remove", TEST_ID)
    assert (r.returncode, r.stderr) == (0, ""), r.stdout + r.stderr
    assert r.stdout == f"{instance}: removed\r\n1 device(s) removed.\r\n"

    r = run(wine, "hwids", TEST_ID)
    assert (r.returncode, r.stdout, r.stderr) == (0, NO_DEVICES, "")
