"""The user-mode device under the simulated I/O manager: opening (single open, access by
AllowNonAdmin), the TapDiag device, and every IOCTL with its buffer checks."""

from __future__ import annotations

import pytest
from simrun import (
    GUID,
    OBJECT_NAME_NOT_FOUND,
    PERMANENT_MAC,
    Simulator,
    core,
    ioctl,
    ip,
    media,
    opened,
    setup,
    teardown,
    u32,
)
from tapbuild.product import versioninfo

pytestmark = [pytest.mark.tool("wine")]


def test_open_and_close(sim: Simulator) -> None:
    run = sim.run([*setup(), "open h1", "close h1", *teardown()])
    assert run.one("open", "h1").int("status") == core.SUCCESS
    assert run.irp("h1.cleanup").int("status") == core.SUCCESS
    assert run.irp("h1.close").int("status") == core.SUCCESS


def test_second_open_refused_until_the_first_closes(sim: Simulator) -> None:
    run = sim.run(
        [*setup(), "open h1", "open h2", "close h1", "open h3", "close h3", *teardown()]
    )  # fmt: skip
    assert run.one("open", "h1").int("status") == core.SUCCESS
    assert run.one("open", "h2").int("status") == core.UNSUCCESSFUL  # as 9.x
    assert run.one("open", "h3").int("status") == core.SUCCESS


def test_open_of_an_unknown_device(sim: Simulator) -> None:
    run = sim.run([*setup(), r"open h1 path=\\.\Global\{00000000-0000-0000-0000-000000000000}.tap"])
    assert run.one("open", "h1").int("status") == OBJECT_NAME_NOT_FOUND


@pytest.mark.parametrize(
    ("allow", "user_status"),
    [
        ("1", core.SUCCESS),
        ("0", core.ACCESS_DENIED),  # upstream bug: any value enabled non-admin access
        ("2", core.ACCESS_DENIED),  # only 1 opens the device to everyone
        (None, core.SUCCESS),  # absent: the INF's default, 1
    ],
)
def test_allow_non_admin(sim: Simulator, allow: str | None, user_status: int) -> None:
    reg = {"AllowNonAdmin": allow} if allow is not None else {}
    run = sim.run(
        [*setup(reg=reg), "open u1 user", "close u1" if user_status == 0 else "echo -",
         "open a1 admin", "close a1", "open s1 system", "close s1", *teardown()]
    )  # fmt: skip
    assert run.one("open", "u1").int("status") == user_status
    assert run.one("open", "a1").int("status") == core.SUCCESS
    assert run.one("open", "s1").int("status") == core.SUCCESS
    sddl = run.one("device-register").fields["sddl"]
    if user_status == core.SUCCESS:
        assert sddl == "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)"


def test_tapdiag_device(sim: Simulator) -> None:
    """TapDiag=1 in the service key: {GUID}.tapdiag, shared opens, two IOCTLs only."""
    run = sim.run(
        [*setup(svc={"TapDiag": 1}), "open h1", "open d1 diag", "open d2 diag",
         media("d1", True, name="diag-media"),
         ioctl("d2", core.PRIORITY_BEHAVIOR, u32(1), name="diag-prio"),
         ioctl("d1", core.GET_MAC, out=6, name="diag-mac"),
         ioctl("d1", core.GET_VERSION, out=12, name="diag-version"),
         "read d1 2000 diag-read", "write d1 00 diag-write",
         "close d1", "close d2", *teardown("h1")]
    )  # fmt: skip
    names = [e.fields["name"] for e in run.of("device-register")]
    assert names == [rf"\Device\{GUID}.tap", rf"\Device\{GUID}.tapdiag"]
    for h in ("h1", "d1", "d2"):
        assert run.one("open", h).int("status") == core.SUCCESS
    assert run.irp("diag-media").int("status") == core.SUCCESS
    assert run.of("status", "link")[0].fields["connect"] == "1"  # (closing h1 disconnects)
    assert run.irp("diag-prio").int("status") == core.SUCCESS
    for refused in ("diag-mac", "diag-version", "diag-read", "diag-write"):
        assert run.irp(refused).int("status") != core.SUCCESS, refused


def test_no_tapdiag_device_by_default(sim: Simulator) -> None:
    run = sim.run([*setup(svc={"TapDiag": 0}), "open d1 diag", *teardown()])
    assert len(run.of("device-register")) == 1
    assert run.one("open", "d1").int("status") == OBJECT_NAME_NOT_FOUND


def test_query_ioctls(sim: Simulator) -> None:
    product = versioninfo.load()
    run = sim.run(
        [*opened(connect=False),
         ioctl("h1", core.GET_MAC, out=6, name="mac"),
         ioctl("h1", core.GET_MAC, out=64, name="mac-big"),
         ioctl("h1", core.GET_VERSION, out=12, name="version"),
         ioctl("h1", core.GET_MTU, out=4, name="mtu"),
         ioctl("h1", core.GET_INFO, out=256, name="info"),
         ioctl("h1", core.GET_LOG_LINE, out=256, name="log"),
         *teardown("h1")]
    )  # fmt: skip
    assert run.irp("mac").data() == PERMANENT_MAC
    assert run.irp("mac-big").data() == PERMANENT_MAC  # Information: 6, not the buffer size
    version = run.irp("version").data()
    assert version == u32(product.PRODUCT_TAP_WIN_MAJOR) + u32(product.PRODUCT_TAP_WIN_MINOR) + u32(
        0
    )
    assert run.irp("mtu").data() == u32(1500)
    info = run.irp("info")
    assert info.int("status") == core.SUCCESS  # upstream bug: GET_INFO always failed
    text = info.data()
    assert text.endswith(b"\0") and len(text) > 1 and b"\0" not in text[:-1]
    assert run.irp("log").int("status") == core.INVALID_DEVICE_REQUEST  # release build


@pytest.mark.parametrize(
    ("code", "inp", "out", "status"),
    [
        (core.GET_MAC, b"", 5, core.BUFFER_TOO_SMALL),
        (core.GET_VERSION, b"", 11, core.BUFFER_TOO_SMALL),
        (core.GET_MTU, b"", 3, core.BUFFER_TOO_SMALL),
        # Short input is an invalid parameter, as 9.x.
        (core.SET_MEDIA_STATUS, b"\1\0\0", 0, core.INVALID_PARAMETER),
        (core.CONFIG_POINT_TO_POINT, b"\0" * 7, 0, core.INVALID_PARAMETER),
        (core.CONFIG_DHCP_MASQ, b"\0" * 15, 0, core.INVALID_PARAMETER),
        (core.CONFIG_TUN, b"\0" * 11, 0, core.INVALID_PARAMETER),
        (core.PRIORITY_BEHAVIOR, b"\0" * 3, 0, core.INVALID_PARAMETER),
    ],
    ids=["mac", "version", "mtu", "media", "p2p", "masq", "tun", "priority"],
)
def test_too_small_buffers(sim: Simulator, code: int, inp: bytes, out: int, status: int) -> None:
    run = sim.run([*opened(connect=False), ioctl("h1", code, inp, out, name="x"), *teardown("h1")])
    done = run.irp("x")
    assert done.int("status") == status
    assert done.int("info") == 0


@pytest.mark.parametrize("code", [0x00220040, 0x00220003, 0x00120004, 0x0022C004])
def test_unknown_ioctls(sim: Simulator, code: int) -> None:
    run = sim.run(
        [*opened(connect=False), ioctl("h1", code, b"\0" * 16, 16, name="x"), *teardown("h1")]
    )
    assert run.irp("x").int("status") == core.INVALID_DEVICE_REQUEST


def test_configuration_ioctls(sim: Simulator) -> None:
    run = sim.run(
        [*opened(connect=False),
         ioctl("h1", core.SET_MEDIA_STATUS, u32(1), name="media-on"),
         ioctl("h1", core.CONFIG_POINT_TO_POINT, ip("10.8.0.2") + ip("10.8.0.1"), name="p2p"),
         ioctl("h1", core.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0"),
               name="tun"),
         ioctl("h1", core.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.1") + ip("255.255.255.0"),
               name="tun-bad"),
         ioctl("h1", core.CONFIG_DHCP_SET_OPT, bytes([6, 4]) + ip("10.8.0.1"), name="opt-early"),
         ioctl("h1", core.CONFIG_DHCP_MASQ,
               ip("10.8.0.2") + ip("255.255.255.0") + ip("10.8.0.254") + u32(3600), name="masq"),
         ioctl("h1", core.CONFIG_DHCP_SET_OPT, bytes([6, 4]) + ip("10.8.0.1"), name="opt"),
         ioctl("h1", core.CONFIG_DHCP_SET_OPT, bytes(257), name="opt-long"),
         ioctl("h1", core.PRIORITY_BEHAVIOR, u32(2), name="prio"),
         ioctl("h1", core.PRIORITY_BEHAVIOR, u32(3), name="prio-bad"),
         ioctl("h1", core.SET_MEDIA_STATUS, u32(0), name="media-off"),
         *teardown("h1")]
    )  # fmt: skip
    for ok in ("media-on", "p2p", "tun", "masq", "opt", "prio", "media-off"):
        assert run.irp(ok).int("status") == core.SUCCESS, ok
    assert run.irp("tun-bad").int("status") == core.INVALID_PARAMETER
    for refused in ("opt-early", "opt-long", "prio-bad"):
        assert run.irp(refused).int("status") != core.SUCCESS, refused


def test_debug_build_log_and_version(sim_debug: Simulator) -> None:
    """config=debug: GET_VERSION's debug flag is 1 and GET_LOG_LINE hands out the log."""
    product = versioninfo.load()
    lines = [ioctl("h1", core.GET_LOG_LINE, out=256, name=f"log{i}") for i in range(3)]
    run = sim_debug.run(
        [*opened(), ioctl("h1", core.GET_VERSION, out=12, name="version"), *lines,
         ioctl("h1", core.GET_LOG_LINE, out=256, name="empty"), *teardown("h1")]
    )  # fmt: skip
    expected = u32(product.PRODUCT_TAP_WIN_MAJOR) + u32(product.PRODUCT_TAP_WIN_MINOR) + u32(1)
    assert run.irp("version").data() == expected
    texts = [run.irp(f"log{i}").data() for i in range(3)]
    assert all(t.endswith(b"\0") and len(t) > 1 for t in texts), texts
    assert b"open" in texts[1]
    assert run.irp("empty").int("status") == core.NO_MORE_ENTRIES


def test_device_extension_not_assumed_zero(sim: Simulator) -> None:
    """NdisRegisterDeviceEx's reference does not promise a zeroed reserved extension."""
    sim.run(["set extension-fill pattern", *opened(), *teardown("h1")])
