"""The verbs end to end through the portable core, on a platform written in Python.

What installers rely on is pinned exactly: the hwids output and its no-device line, the exit
codes (0 ok, 1 reboot needed, 2 failure, 3 usage) and one-line error messages on stderr.
"""

from __future__ import annotations

import pytest
import tihost
from tihost import (
    ERROR_ACCESS_DENIED,
    ERROR_IN_WOW64,
    ERROR_NO_SUCH_DEVINST,
    EXIT_FAIL,
    EXIT_OK,
    EXIT_REBOOT,
    EXIT_USAGE,
    FakeDevice,
    FakeSystem,
)

pytestmark = pytest.mark.tool("gcc")

VERBS = ("install", "update", "remove", "hwids", "find", "status", "help")
NO_DEVICES = "No matching devices found.\n"
INF = "C:\\TAP\\driver\\OemVista.inf"


def tap(n: int = 0, **kw: object) -> FakeDevice:
    return FakeDevice(f"ROOT\\NET\\{n:04d}", ["tap0901"], **kw)  # type: ignore[arg-type]


def others() -> list[FakeDevice]:
    return [
        FakeDevice("PCI\\VEN_8086&DEV_100E\\3&1", ["PCI\\VEN_8086&DEV_100E"], name="Intel NIC",
                   compatible_ids=["PCI\\CC_020000"]),
        FakeDevice("ROOT\\NET\\0007", ["wintun"], name="Wintun Userspace Tunnel"),
        FakeDevice("HTREE\\ROOT\\0", None, name=None),
    ]  # fmt: skip


def system(*devices: FakeDevice, **kw: object) -> FakeSystem:
    return FakeSystem(devices=[*others(), *devices], files={"OemVista.inf": INF}, **kw)  # type: ignore[arg-type]


def one_error_line(result: tihost.Result) -> str:
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("tapinstall: ")
    return line


# ---- help and usage ----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["help"], ["-h"], ["--help"], ["/?"], ["-?"], ["HELP"]])
def test_help(core: tihost.Core, args: list[str]) -> None:
    r = FakeSystem().run(core, args)
    assert r.code == EXIT_OK and r.err == ""
    assert "Usage: tapinstall <command> <arguments>" in r.out
    for verb in VERBS:
        assert f"\n  {verb} " in r.out
    assert "0 success, 1 success but Windows must restart, 2 failure, 3 usage error" in r.out
    assert max(len(line) for line in r.out.splitlines()) <= 100


@pytest.mark.parametrize("verb", VERBS)
def test_help_for_each_command(core: tihost.Core, verb: str) -> None:
    r = FakeSystem().run(core, ["help", verb])
    assert r.code == EXIT_OK and r.err == ""
    assert r.out.startswith(f"Usage: tapinstall {verb} ")


def test_help_does_not_touch_devices(core: tihost.Core) -> None:
    s = system()
    s.run(core, ["help"])
    assert s.calls == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "tapinstall: no command given; accepted: install, update, remove, hwids, find, "
             "status, help (see tapinstall help)"),
        (["frobnicate"], "tapinstall: unknown command 'frobnicate'; accepted: install, update, "
                         "remove, hwids, find, status, help (see tapinstall help)"),
        (["-r", "install"], "tapinstall: unknown option '-r'; accepted: install, update, remove, "
                            "hwids, find, status, help (see tapinstall help)"),
        (["install", "OemVista.inf"],
         "tapinstall: install: takes <inf> <hwid>, got 1 argument (see tapinstall help install)"),
        (["install", "a", "b", "c"],
         "tapinstall: install: takes <inf> <hwid>, got 3 arguments (see tapinstall help install)"),
        (["update"], "tapinstall: update: takes <inf> <hwid>, got 0 arguments (see tapinstall "
                     "help update)"),
        (["remove"], "tapinstall: remove: takes <id>..., got 0 arguments (see tapinstall help "
                     "remove)"),
        (["hwids"], "tapinstall: hwids: takes <id>..., got 0 arguments (see tapinstall help hwids)"),
        (["find"], "tapinstall: find: takes <id>..., got 0 arguments (see tapinstall help find)"),
        (["status"], "tapinstall: status: takes <id>..., got 0 arguments (see tapinstall help "
                     "status)"),
        (["help", "a", "b"], "tapinstall: help: takes [<command>], got 2 arguments (see "
                             "tapinstall help help)"),
        (["help", "nope"], "tapinstall: help: unknown command 'nope'; accepted: install, update, "
                           "remove, hwids, find, status, help"),
        (["install", "OemVista.inf", "tap*"],
         "tapinstall: install: hardware id 'tap*' must be exact: no '*' and no leading '@'"),
        (["update", "OemVista.inf", "@ROOT\\NET\\0000"],
         "tapinstall: update: hardware id '@ROOT\\NET\\0000' must be exact: no '*' and no "
         "leading '@'"),
        (["remove", ""], "tapinstall: remove: argument 1 is empty; expected <id>..."),
        (["install", "", "tap0901"], "tapinstall: install: argument 1 is empty; expected <inf> <hwid>"),
    ],
)  # fmt: skip
def test_usage_errors(core: tihost.Core, args: list[str], message: str) -> None:
    s = system(tap())
    r = s.run(core, args)
    assert r.code == EXIT_USAGE
    assert r.out == ""
    assert one_error_line(r) == message
    assert s.calls == [], "a usage error must not touch any device"


def test_commands_are_case_blind(core: tihost.Core) -> None:
    assert system(tap()).run(core, ["HwIds", "tap0901"]).code == EXIT_OK


# ---- hwids, find, status ---------------------------------------------------------------------


def test_hwids_lists_matching_devices(core: tihost.Core) -> None:
    s = system(tap(0), FakeDevice("ROOT\\NET\\0001", ["root\\tap0901"], name="TAP-Windows Adapter V9 #2",
                                  compatible_ids=["tapcompat"]))  # fmt: skip
    r = s.run(core, ["hwids", "tap0901"])
    assert r.code == EXIT_OK and r.err == ""
    assert r.out == (
        "ROOT\\NET\\0000\n"
        "    Name: TAP-Windows Adapter V9\n"
        "    Hardware IDs:\n"
        "        tap0901\n"
        "ROOT\\NET\\0001\n"
        "    Name: TAP-Windows Adapter V9 #2\n"
        "    Hardware IDs:\n"
        "        root\\tap0901\n"
        "    Compatible IDs:\n"
        "        tapcompat\n"
        "2 matching device(s) found.\n"
    )


def test_hwids_without_devices(core: tihost.Core) -> None:
    """The line installers see when no adapter exists: exit 0, and the id is not repeated."""
    r = system().run(core, ["hwids", "tap0901"])
    assert (r.code, r.out, r.err) == (EXIT_OK, NO_DEVICES, "")
    assert "tap0901" not in r.out


def test_installer_decision(core: tihost.Core) -> None:
    """The old NSIS rule: `update` when the hwids output contains the id, `install` otherwise."""
    for devices, contains in (([], False), ([tap()], True)):
        out = system(*devices).run(core, ["hwids", "tap0901"]).out
        assert ("tap0901" in out) is contains


def test_hwids_several_patterns_list_each_device_once(core: tihost.Core) -> None:
    r = system(tap()).run(core, ["hwids", "tap0901", "TAP*", "@root\\net\\0000"])
    assert r.out.count("ROOT\\NET\\0000\n") == 1
    assert r.out.endswith("1 matching device(s) found.\n")


def test_hwids_device_without_name_or_ids(core: tihost.Core) -> None:
    r = system().run(core, ["hwids", "@HTREE\\*"])
    assert r.out == "HTREE\\ROOT\\0\n    Name:\n1 matching device(s) found.\n"


def test_find(core: tihost.Core) -> None:
    r = system(tap(0), tap(3)).run(core, ["find", "tap0901"])
    assert r.code == EXIT_OK and r.err == ""
    assert r.out == (
        "ROOT\\NET\\0000: TAP-Windows Adapter V9\n"
        "ROOT\\NET\\0003: TAP-Windows Adapter V9\n"
        "2 matching device(s) found.\n"
    )
    assert system().run(core, ["find", "tap0901"]).out == NO_DEVICES


def test_find_everything(core: tihost.Core) -> None:
    r = system(tap()).run(core, ["find", "*"])
    assert r.out.endswith("3 matching device(s) found.\n")  # devices without ids never match


@pytest.mark.parametrize(
    ("state", "problem", "line"),
    [
        (tihost.STATE_RUNNING, 0, "    Driver is running."),
        (tihost.STATE_STOPPED, 0, "    Device is stopped."),
        (tihost.STATE_DISABLED, 22, "    Device is disabled."),
        (tihost.STATE_PROBLEM, 28, "    Device has a problem: code 28."),
    ],
)
def test_status(core: tihost.Core, state: int, problem: int, line: str) -> None:
    r = system(tap(state=state, problem=problem)).run(core, ["status", "tap0901"])
    assert r.code == EXIT_OK and r.err == ""
    assert (
        r.out
        == f"ROOT\\NET\\0000\n    Name: TAP-Windows Adapter V9\n{line}\n1 matching device(s) found.\n"
    )


def test_status_failure_is_reported_with_its_configret(core: tihost.Core) -> None:
    r = system(tap(status_configret=0x0D), tap(1)).run(core, ["status", "tap0901"])
    assert r.code == EXIT_FAIL
    assert one_error_line(r) == (
        "tapinstall: status: ROOT\\NET\\0000: CM_Get_DevNode_Status failed: (CONFIGRET 0x0000000D)"
    )
    assert "ROOT\\NET\\0001\n    Name: TAP-Windows Adapter V9\n    Driver is running.\n" in r.out
    assert r.out.endswith("2 matching device(s) found.\n")


def test_listing_failure(core: tihost.Core) -> None:
    s = system(
        enumerate_error=ERROR_ACCESS_DENIED, messages={ERROR_ACCESS_DENIED: "Access is denied"}
    )
    r = s.run(core, ["hwids", "tap0901"])
    assert r.code == EXIT_FAIL and r.out == ""
    assert one_error_line(r) == (
        "tapinstall: hwids: listing devices: SetupDiGetClassDevs failed: Access is denied "
        "(error 5); run tapinstall from an elevated (administrator) prompt"
    )


# ---- remove ----------------------------------------------------------------------------------


def test_remove(core: tihost.Core) -> None:
    s = system(tap(0), tap(1))
    r = s.run(core, ["remove", "tap0901"])
    assert r.code == EXIT_OK and r.err == ""
    assert r.out == "ROOT\\NET\\0000: removed\nROOT\\NET\\0001: removed\n2 device(s) removed.\n"
    assert [c for c in s.calls if c[0] == "remove"] == [
        ("remove", "ROOT\\NET\\0000"),
        ("remove", "ROOT\\NET\\0001"),
    ]


def test_remove_nothing_matching(core: tihost.Core) -> None:
    s = system()
    r = s.run(core, ["remove", "tap0901"])
    assert (r.code, r.out, r.err) == (EXIT_OK, NO_DEVICES, "")
    assert not [c for c in s.calls if c[0] == "remove"]


def test_remove_needing_reboot(core: tihost.Core) -> None:
    r = system(tap(0), tap(1, remove_reboot=True)).run(core, ["remove", "tap0901"])
    assert r.code == EXIT_REBOOT
    assert "ROOT\\NET\\0001: removed; Windows must restart to finish\n" in r.out


def test_remove_failure_wins_over_reboot(core: tihost.Core) -> None:
    s = system(tap(0, remove_error=0xE0000219), tap(1, remove_reboot=True),
               messages={0xE0000219: "The device is in use"})  # fmt: skip
    r = s.run(core, ["remove", "tap0901"])
    assert r.code == EXIT_FAIL
    assert one_error_line(r) == (
        "tapinstall: remove: ROOT\\NET\\0000: not removed: SetupDiCallClassInstaller(DIF_REMOVE) "
        "failed: The device is in use (error 0xE0000219)"
    )
    assert r.out.endswith("1 device(s) removed.\n")


def test_remove_by_instance_id_only_touches_that_device(core: tihost.Core) -> None:
    s = system(tap(0), tap(1))
    r = s.run(core, ["remove", "@ROOT\\NET\\0001"])
    assert r.code == EXIT_OK
    assert [c for c in s.calls if c[0] == "remove"] == [("remove", "ROOT\\NET\\0001")]


# ---- install and update ------------------------------------------------------------------------


def test_install(core: tihost.Core) -> None:
    s = system()
    r = s.run(core, ["install", "OemVista.inf", "tap0901"])
    assert r.code == EXIT_OK and r.err == ""
    assert r.out == (
        "Created device ROOT\\NET\\0000.\n"
        f"Installing the driver for tap0901 from {INF}.\n"
        "Driver installed.\n"
    )
    assert s.calls == [
        ("infPath", "OemVista.inf"),
        ("create", INF, "tap0901"),
        ("update", INF, "tap0901"),
        ("release", "ROOT\\NET\\0000"),
    ]
    # The new device is what hwids finds next.
    assert "tap0901" in s.run(core, ["hwids", "tap0901"]).out


def test_install_twice_adds_a_second_adapter(core: tihost.Core) -> None:
    s = system()
    s.run(core, ["install", "OemVista.inf", "tap0901"])
    r = s.run(core, ["install", "OemVista.inf", "tap0901"])
    assert r.out.startswith("Created device ROOT\\NET\\0001.\n")
    assert s.run(core, ["find", "tap0901"]).out.endswith("2 matching device(s) found.\n")


def test_install_needing_reboot(core: tihost.Core) -> None:
    r = system(update_reboot=True).run(core, ["install", "OemVista.inf", "tap0901"])
    assert r.code == EXIT_REBOOT
    assert r.out.endswith("Driver installed; Windows must restart to finish.\n")


def test_install_missing_inf(core: tihost.Core) -> None:
    s = system(messages={2: "The system cannot find the file specified"})
    r = s.run(core, ["install", "Missing.inf", "tap0901"])
    assert r.code == EXIT_FAIL and r.out == ""
    assert one_error_line(r) == (
        "tapinstall: install: INF file Missing.inf: GetFileAttributes failed: The system cannot "
        "find the file specified (error 2)"
    )
    assert s.calls == [("infPath", "Missing.inf")]


def test_install_rolls_back_the_device_when_the_driver_fails(core: tihost.Core) -> None:
    s = system(update_error=0xE000022D, messages={0xE000022D: "The INF is not signed"})
    r = s.run(core, ["install", "OemVista.inf", "tap0901"])
    assert r.code == EXIT_FAIL
    assert one_error_line(r) == (
        "tapinstall: install: UpdateDriverForPlugAndPlayDevices failed: The INF is not signed "
        "(error 0xE000022D)"
    )
    assert r.out.endswith("Removed device ROOT\\NET\\0000 again.\n")
    assert s.calls[-1] == ("discard", "ROOT\\NET\\0000")
    assert not any(c[0] == "release" for c in s.calls)
    assert s.run(core, ["hwids", "tap0901"]).out == NO_DEVICES


def test_install_roll_back_failure_is_reported(core: tihost.Core) -> None:
    s = system(update_error=ERROR_IN_WOW64, discard_error=5)
    r = s.run(core, ["install", "OemVista.inf", "tap0901"])
    assert r.code == EXIT_FAIL
    assert r.err_lines == [
        "tapinstall: install: UpdateDriverForPlugAndPlayDevices failed: (error 0xE0000235); run "
        "the tapinstall.exe built for this machine's architecture (amd64 or arm64), not the i386 one",
        "tapinstall: install: removing the new device ROOT\\NET\\0000 again: "
        "SetupDiCallClassInstaller(DIF_REMOVE) failed: (error 5); run tapinstall from an "
        "elevated (administrator) prompt",
    ]


def test_install_create_failure(core: tihost.Core) -> None:
    s = system(create_error=ERROR_ACCESS_DENIED)
    r = s.run(core, ["install", "OemVista.inf", "tap0901"])
    assert r.code == EXIT_FAIL and r.out == ""
    assert one_error_line(r).startswith(
        "tapinstall: install: creating the device: SetupDiCallClassInstaller(DIF_REGISTERDEVICE) "
        "failed: (error 5)"
    )
    assert [c[0] for c in s.calls] == ["infPath", "create"]


def test_update(core: tihost.Core) -> None:
    s = system(tap())
    r = s.run(core, ["update", "OemVista.inf", "TAP0901"])
    assert r.code == EXIT_OK and r.err == ""
    assert r.out == f"Installing the driver for TAP0901 from {INF}.\nDriver installed.\n"
    assert s.calls[-1] == ("update", INF, "TAP0901")


def test_update_needs_a_device_with_the_exact_id(core: tihost.Core) -> None:
    # root\tap0901 is what hwids/remove accept for tap0901, but Windows updates exact ids only.
    s = system(FakeDevice("ROOT\\NET\\0000", ["root\\tap0901"]))
    r = s.run(core, ["update", "OemVista.inf", "tap0901"])
    assert r.code == EXIT_FAIL and r.out == ""
    assert one_error_line(r) == (
        "tapinstall: update: no present device has the hardware id 'tap0901'; "
        "`tapinstall install` creates one"
    )
    assert not any(c[0] == "update" for c in s.calls)


def test_update_by_compatible_id(core: tihost.Core) -> None:
    s = system(FakeDevice("ROOT\\NET\\0000", ["x"], compatible_ids=["tap0901"]))
    assert s.run(core, ["update", "OemVista.inf", "tap0901"]).code == EXIT_OK


def test_update_failure_hint(core: tihost.Core) -> None:
    r = system(tap(), update_error=ERROR_NO_SUCH_DEVINST).run(
        core, ["update", "OemVista.inf", "tap0901"]
    )
    assert r.code == EXIT_FAIL
    assert one_error_line(r).endswith(
        "; no present device has this hardware id (`install` creates one)"
    )


def test_long_output_is_flushed_in_pieces(core: tihost.Core) -> None:
    """More text than the core's buffer (256 units): nothing lost, nothing repeated."""
    ids = [f"tap0901-alias-{i:03d}" for i in range(60)]
    r = FakeSystem(devices=[FakeDevice("ROOT\\NET\\0000", ["tap0901", *ids])]).run(
        core, ["hwids", "tap0901"]
    )
    assert r.out.splitlines()[4:-1] == [f"        {i}" for i in ids]


def test_non_ascii_text_passes_through(core: tihost.Core) -> None:
    dev = FakeDevice("ROOT\\NET\\0000", ["tap0901"], name="Adaptateur TAP — réseau 🙂")
    r = FakeSystem(devices=[dev]).run(core, ["find", "tap0901"])
    assert r.out.splitlines()[0] == "ROOT\\NET\\0000: Adaptateur TAP — réseau 🙂"


@pytest.mark.parametrize("shift", range(4))
def test_writes_never_split_a_surrogate_pair(core: tihost.Core, shift: int) -> None:
    """Astral characters across the core's 256-unit buffer stay whole in each write."""
    name = "x" * shift + "🙂" * 300
    dev = FakeDevice("ROOT\\NET\\0000", ["tap0901"], name=name)
    r = FakeSystem(devices=[dev]).run(core, ["find", "tap0901"])
    assert r.out.splitlines()[0] == f"ROOT\\NET\\0000: {name}"
