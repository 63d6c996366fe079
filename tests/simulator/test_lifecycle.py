"""The driver's life under the simulator: load, registration by NDIS version, initialize with
registry parameters (attributes, MAC, MTU), halt and unload leaving nothing behind."""

from __future__ import annotations

import pytest
from simrun import (
    GUID,
    NDIS_BAD_VERSION,
    PERMANENT_MAC,
    Simulator,
    core,
    ioctl,
    packets,
    setup,
    teardown,
)

pytestmark = [pytest.mark.tool("wine")]

# NDIS_MINIPORT_ATTRIBUTES_*: SURPRISE_REMOVE_OK | NDIS_WDM | NO_HALT_ON_SUSPEND.
ATTRIBUTE_FLAGS = 0x04 | 0x02 | 0x20
# NDIS_MAC_OPTION_*: COPY_LOOKAHEAD_DATA | TRANSFERS_NOT_PEND | NO_LOOPBACK | 8021P_PRIORITY.
MAC_OPTIONS = 0x01 | 0x04 | 0x08 | 0x40
IF_TYPE_PROP_VIRTUAL = 53


def test_load_and_unload(sim: Simulator) -> None:
    run = sim.run([*setup(init=False), "unload"])
    reg = run.one("register")
    assert reg.int("status") == 0
    assert reg.fields["ndis"] == "6.30"
    assert reg.fields["revision"] == "2"
    assert run.one("load").int("status") == 0
    assert run.of("deregister") and run.of("unload", "done")


@pytest.mark.parametrize(
    ("running", "registered"),
    [("6.20", "6.20"), ("6.30", "6.30"), ("6.40", "6.30"), ("6.82", "6.30")],
)
def test_registers_620_on_620_and_630_above(sim: Simulator, running: str, registered: str) -> None:
    run = sim.run([*setup(ndis=running), *teardown()])
    assert run.one("register").fields["ndis"] == registered
    regattr = run.one("attributes", "registration")
    general = run.one("attributes", "general")
    if registered == "6.20":
        # Registration attributes revision 1 and the NDIS 6.20 power-management capabilities.
        assert regattr.fields["revision"] == "1"
        assert (general.fields["pm"], general.fields["pm-ex"]) == ("yes", "no")
    else:
        assert regattr.fields["revision"] == "2"
        assert (general.fields["pm"], general.fields["pm-ex"]) == ("no", "yes")


@pytest.mark.parametrize("running", ["6.0", "6.1", "5.1"])
def test_refuses_ndis_below_620(sim: Simulator, running: str) -> None:
    run = sim.run([*setup(ndis=running, init=False)])
    assert run.one("load").int("status") == NDIS_BAD_VERSION
    assert not run.of("register")


def test_attributes(sim: Simulator) -> None:
    run = sim.run([*setup(), *teardown()])
    regattr = run.one("attributes", "registration")
    assert regattr.int("flags") == ATTRIBUTE_FLAGS
    assert regattr.fields["interface"] == "0"  # NdisInterfaceInternal
    g = run.one("attributes", "general")
    assert g.fields["media"] == "0"  # NdisMedium802_3
    assert g.int("mtu") == 1500
    assert g.int("lookahead") == 1500
    assert g.int("mac-options") == MAC_OPTIONS
    assert g.int("xmit") == g.int("rcv") == 1_000_000_000
    assert g.int("multicast") == 32
    assert g.int("iftype") == IF_TYPE_PROP_VIRTUAL
    assert g.fields["rss"] == "no"
    assert g.fields["permanent"] == g.fields["current"] == packets.mac_str(PERMANENT_MAC)
    # Application-controlled media: disconnected until SET_MEDIA_STATUS.
    assert g.fields["connect"] == "2"


@pytest.mark.parametrize(
    ("mtu", "effective"),
    [("1400", 1400), ("100", 100), ("1500", 1500), ("99", 1500), ("9000", 1500)],
)
def test_mtu_from_the_registry(sim: Simulator, mtu: str, effective: int) -> None:
    run = sim.run(
        [*setup(reg={"MTU": mtu}), "open h1", ioctl("h1", core.GET_MTU, out=4, name="mtu"),
         *teardown("h1")]
    )  # fmt: skip
    assert run.one("attributes", "general").int("mtu") == effective
    assert run.irp("mtu").data() == effective.to_bytes(4, "little")


@pytest.mark.parametrize(
    ("address", "current"),
    [
        ("02AABBCCDDEE", "02aabbccddee"),  # unicast, locally administered: used
        ("02-AA-BB-CC-DD-EE", "02aabbccddee"),
        ("00AABBCCDDEE", None),  # universally administered: permanent MAC
        ("03AABBCCDDEE", None),  # multicast
        ("02AABBCCDD", None),  # five bytes
    ],
)
def test_network_address(sim: Simulator, address: str, current: str | None) -> None:
    run = sim.run(
        [*setup(reg={"NetworkAddress": address}), "open h1",
         ioctl("h1", core.GET_MAC, out=6, name="mac"), *teardown("h1")]
    )  # fmt: skip
    expected = bytes.fromhex(current) if current else PERMANENT_MAC
    g = run.one("attributes", "general")
    assert g.fields["current"] == packets.mac_str(expected)
    assert g.fields["permanent"] == packets.mac_str(PERMANENT_MAC)
    assert run.irp("mac").data() == expected


def test_media_status_always_connected(sim: Simulator) -> None:
    run = sim.run([*setup(reg={"MediaStatus": "1"}), *teardown()])
    assert run.one("attributes", "general").fields["connect"] == "1"


def test_device_names(sim: Simulator) -> None:
    run = sim.run([*setup(), *teardown()])
    dev = run.one("device-register")
    assert dev.fields["name"] == rf"\Device\{GUID}.tap"
    assert dev.fields["link"] == rf"\DosDevices\Global\{GUID}.tap"
    assert run.of("device-deregister")


def test_halt_and_unload_twice(sim: Simulator) -> None:
    """An adapter comes and goes twice on one driver load; nothing leaks in between."""
    run = sim.run([*setup(), "halt", "init", "open h1", "close h1", "halt", "unload"])
    assert len(run.of("init")) == 2 and len(run.of("halt", "done")) == 2
    assert len(run.of("nbl-pool", "allocate")) == len(run.of("nbl-pool", "free"))
