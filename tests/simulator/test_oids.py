"""OID requests through the miniport's handlers: values land in NDIS's buffer, lengths are
checked (BytesNeeded on a short buffer: the simulator enforces it), the counters follow the
traffic, unknown OIDs are not supported."""

from __future__ import annotations

import pytest
from simrun import (
    NDIS_STATUS_NOT_SUPPORTED,
    PERMANENT_MAC,
    SimRun,
    Simulator,
    opened,
    packets,
    send,
    teardown,
    u32,
)

pytestmark = [pytest.mark.tool("wine")]

OID_GEN_MAXIMUM_FRAME_SIZE = 0x00010106
OID_GEN_VENDOR_ID = 0x0001010C
OID_GEN_VENDOR_DESCRIPTION = 0x0001010D
OID_GEN_CURRENT_PACKET_FILTER = 0x0001010E
OID_GEN_MAXIMUM_TOTAL_SIZE = 0x00010111
OID_GEN_MEDIA_CONNECT_STATUS = 0x00010114
OID_GEN_XMIT_OK = 0x00020101
OID_GEN_RCV_OK = 0x00020102
OID_802_3_PERMANENT_ADDRESS = 0x01010101
OID_802_3_CURRENT_ADDRESS = 0x01010102
OID_802_3_MULTICAST_LIST = 0x01010103
OID_802_3_MAXIMUM_LIST_SIZE = 0x01010104
OID_GEN_RNDIS_CONFIG_PARAMETER = 0x0001021B
OID_PM_PARAMETERS = 0xFD010105
SHORT = (0xC0010014, 0xC0010016)  # NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_BUFFER_TOO_SHORT
MULTICAST_FULL = 0xC0010009


def query(oid: int, length: int, direct: bool = False) -> str:
    return f"oid query 0x{oid:08X} {length}" + (" direct" if direct else "")


def oid_set(oid: int, data: bytes) -> str:
    return f"oid set 0x{oid:08X} {data.hex() or '-'}"


def answers(run: SimRun, oid: int) -> list[tuple[int, bytes]]:
    """(status, data) of each completed request for oid."""
    return [(e.int("status"), e.data()) for e in run.of("oid") if int(e.words[1], 16) == oid]


def test_query_values(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), query(OID_GEN_VENDOR_ID, 4), query(OID_GEN_MAXIMUM_FRAME_SIZE, 4),
         query(OID_GEN_MAXIMUM_TOTAL_SIZE, 4), query(OID_802_3_PERMANENT_ADDRESS, 6),
         query(OID_802_3_CURRENT_ADDRESS, 6), query(OID_802_3_MAXIMUM_LIST_SIZE, 4),
         query(OID_GEN_MEDIA_CONNECT_STATUS, 4), query(OID_GEN_VENDOR_DESCRIPTION, 256),
         query(OID_GEN_VENDOR_ID, 4, direct=True), *teardown("h1")]
    )  # fmt: skip
    assert answers(run, OID_GEN_VENDOR_ID) == [(0, u32(0x00FFFFFF))] * 2
    assert answers(run, OID_GEN_MAXIMUM_FRAME_SIZE) == [(0, u32(1500))]
    assert answers(run, OID_GEN_MAXIMUM_TOTAL_SIZE) == [(0, u32(1514))]
    assert answers(run, OID_802_3_PERMANENT_ADDRESS) == [(0, PERMANENT_MAC)]
    assert answers(run, OID_802_3_CURRENT_ADDRESS) == [(0, PERMANENT_MAC)]
    assert answers(run, OID_802_3_MAXIMUM_LIST_SIZE) == [(0, u32(32))]
    assert answers(run, OID_GEN_MEDIA_CONNECT_STATUS) == [(0, u32(0))]  # connected
    ((status, text),) = answers(run, OID_GEN_VENDOR_DESCRIPTION)
    assert status == 0 and text.endswith(b"\0") and len(text) > 1


@pytest.mark.parametrize(
    ("oid", "length"),
    [(OID_GEN_VENDOR_ID, 3), (OID_802_3_CURRENT_ADDRESS, 5), (OID_GEN_XMIT_OK, 3), (OID_GEN_VENDOR_DESCRIPTION, 2)],
)  # fmt: skip
def test_short_query_buffers(sim: Simulator, oid: int, length: int) -> None:
    run = sim.run([*opened(), query(oid, length), *teardown("h1")])
    ((status, _),) = answers(run, oid)
    assert status in SHORT
    (e,) = run.of("oid", "query")
    assert e.int("written") == 0 and e.int("needed") > length


def test_unknown_oids_are_not_supported(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), query(OID_GEN_RNDIS_CONFIG_PARAMETER, 64), oid_set(OID_PM_PARAMETERS, bytes(32)),
         *teardown("h1")]
    )  # fmt: skip
    assert answers(run, OID_GEN_RNDIS_CONFIG_PARAMETER) == [(NDIS_STATUS_NOT_SUPPORTED, b"")]
    assert answers(run, OID_PM_PARAMETERS) == [(NDIS_STATUS_NOT_SUPPORTED, b"")]


def test_packet_filter_round_trip(sim: Simulator) -> None:
    run = sim.run(
        [*opened(), oid_set(OID_GEN_CURRENT_PACKET_FILTER, u32(0x2F)),
         query(OID_GEN_CURRENT_PACKET_FILTER, 4), oid_set(OID_GEN_CURRENT_PACKET_FILTER, b"\1"),
         *teardown("h1")]
    )  # fmt: skip
    statuses = answers(run, OID_GEN_CURRENT_PACKET_FILTER)
    # bind's set, ours, the query, the short set
    assert statuses[:3] == [(0, b""), (0, b""), (0, u32(0x2F))]
    assert statuses[3][0] in SHORT


def test_multicast_list_limits(sim: Simulator) -> None:
    groups = [bytes([0x01, 0x00, 0x5E, 0, 0, n]) for n in range(33)]
    run = sim.run(
        [*opened(), oid_set(OID_802_3_MULTICAST_LIST, b"".join(groups[:32])),
         oid_set(OID_802_3_MULTICAST_LIST, b"".join(groups)),
         oid_set(OID_802_3_MULTICAST_LIST, bytes(7)), oid_set(OID_802_3_MULTICAST_LIST, b""),
         *teardown("h1")]
    )  # fmt: skip
    statuses = [s for s, _ in answers(run, OID_802_3_MULTICAST_LIST)]
    assert statuses[0] == 0
    assert statuses[1] == MULTICAST_FULL
    assert statuses[2] in SHORT
    assert statuses[3] == 0  # an empty list clears it


def test_counters_follow_traffic(sim: Simulator) -> None:
    remote = bytes.fromhex("020000000001")
    frames = [packets.ipv4_frame(remote, PERMANENT_MAC, payload_len=n) for n in (10, 20, 30)]
    written = packets.ipv4_frame(PERMANENT_MAC, remote, payload_len=50)
    run = sim.run(
        [*opened(), send(*frames), f"write h1 {written.hex()} w1", query(OID_GEN_XMIT_OK, 8),
         query(OID_GEN_XMIT_OK, 4), query(OID_GEN_RCV_OK, 8), *teardown("h1")]
    )  # fmt: skip
    assert answers(run, OID_GEN_XMIT_OK) == [(0, (3).to_bytes(8, "little")), (0, u32(3))]
    assert answers(run, OID_GEN_RCV_OK) == [(0, (1).to_bytes(8, "little"))]
