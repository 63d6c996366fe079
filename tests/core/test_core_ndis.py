"""What the adapter tells NDIS (driver/core/tapc_ndis.c): OID queries and sets with their
length checks, the receive packet filter, the statistics block, send completion status."""

from __future__ import annotations

import ctypes as C
import struct
from collections.abc import Callable

import pytest
import tapcore_ffi as ffi
from packets import Ether, mac_str
from scapy.packet import Raw

# NDIS_STATUS values.
NDIS_SUCCESS = 0
NDIS_FAILURE = 0xC0000001
NOT_SUPPORTED = 0xC00000BB
MULTICAST_FULL = 0xC0010009
INVALID_LENGTH = 0xC0010014
INVALID_DATA = 0xC0010015
BUFFER_TOO_SHORT = 0xC0010016
MEDIA_DISCONNECTED = 0xC023001F
PAUSED = 0xC023002A
LOW_POWER_STATE = 0xC023002F

# OIDs (ntddndis.h).
GEN_SUPPORTED_LIST = 0x00010101
HARDWARE_STATUS, MEDIA_SUPPORTED, MEDIA_IN_USE = 0x00010102, 0x00010103, 0x00010104
MAXIMUM_LOOKAHEAD, MAXIMUM_FRAME_SIZE, LINK_SPEED = 0x00010105, 0x00010106, 0x00010107
TRANSMIT_BUFFER_SPACE, RECEIVE_BUFFER_SPACE = 0x00010108, 0x00010109
TRANSMIT_BLOCK_SIZE, RECEIVE_BLOCK_SIZE, VENDOR_ID = 0x0001010A, 0x0001010B, 0x0001010C
VENDOR_DESCRIPTION, CURRENT_PACKET_FILTER = 0x0001010D, 0x0001010E
CURRENT_LOOKAHEAD, DRIVER_VERSION, MAXIMUM_TOTAL_SIZE = 0x0001010F, 0x00010110, 0x00010111
MAC_OPTIONS, MEDIA_CONNECT_STATUS, VENDOR_DRIVER_VERSION = 0x00010113, 0x00010114, 0x00010116
PHYSICAL_MEDIUM, INTERRUPT_MODERATION = 0x00010202, 0x00010209
RCV_DISCARDS = 0x0002021B
XMIT_OK, RCV_OK, XMIT_ERROR, RCV_ERROR, RCV_NO_BUFFER, STATISTICS = range(0x00020101, 0x00020107)
DIRECTED_BYTES_XMIT, DIRECTED_FRAMES_XMIT = 0x00020201, 0x00020202
BROADCAST_FRAMES_XMIT, DIRECTED_FRAMES_RCV, BROADCAST_FRAMES_RCV = (
    0x00020206,
    0x00020208,
    0x0002020C,
)
PERMANENT_ADDRESS, CURRENT_ADDRESS, MULTICAST_LIST, MAXIMUM_LIST_SIZE = range(
    0x01010101, 0x01010105
)
RCV_ERROR_ALIGNMENT = 0x01020101
PNP_CAPABILITIES, PNP_SET_POWER, PNP_QUERY_POWER = 0xFD010100, 0xFD010101, 0xFD010102
PM_HARDWARE_CAPABILITIES = 0xFD010114

DIRECTED, MULTICAST, ALL_MULTICAST, BROADCAST, PROMISCUOUS = 0x1, 0x2, 0x4, 0x8, 0x20
ALL_LOCAL = 0x80

MAC = "00:ff:12:34:56:78"
OTHER = bytes.fromhex("02aabbccddee")


class Ndis(C.Structure):
    _fields_ = [
        ("ndis_version", C.c_uint16),
        ("packet_filter", C.c_uint32),
        ("lookahead", C.c_uint32),
        ("multicast_count", C.c_uint32),
        ("multicast", (C.c_uint8 * 6) * 32),
        ("rx_no_buffer", C.c_uint64),
    ]


def bind(lib: C.CDLL) -> C.CDLL:
    SZ, U32, P = C.c_size_t, C.c_uint32, C.c_void_p
    NP = C.POINTER(Ndis)
    lib.tapc_ndis_init.argtypes = [NP, C.c_uint16]
    lib.tapc_ndis_init.restype = None
    lib.tapc_ndis_oids.argtypes = [C.POINTER(SZ)]
    lib.tapc_ndis_oids.restype = C.POINTER(U32)
    lib.tapc_oid_query.argtypes = [P, NP, U32, P, SZ, C.POINTER(SZ), C.POINTER(SZ)]
    lib.tapc_oid_query.restype = U32
    lib.tapc_oid_set.argtypes = [P, NP, U32, P, SZ, C.POINTER(SZ), C.POINTER(SZ)]
    lib.tapc_oid_set.restype = U32
    lib.tapc_ndis_filter.argtypes = [P, NP, C.c_char_p, SZ]
    lib.tapc_ndis_filter.restype = C.c_bool
    lib.tapc_ndis_send_status.argtypes = [C.c_int]
    lib.tapc_ndis_send_status.restype = U32
    return lib


class Nic:
    """A core adapter and its NDIS state."""

    def __init__(self, adapter: ffi.Adapter, version: int = 0x061E) -> None:
        self.ad = adapter
        self.lib = bind(adapter.lib)
        self.nd = Ndis()
        self.lib.tapc_ndis_init(C.byref(self.nd), version)

    def query(self, oid: int, cap: int = 256, none: bool = False) -> tuple[int, bytes, int]:
        buf = C.create_string_buffer(b"\xee" * max(cap, 1), max(cap, 1))
        written, needed = C.c_size_t(0xDEAD), C.c_size_t(0xDEAD)
        st = self.lib.tapc_oid_query(
            self.ad.mem, C.byref(self.nd), oid, None if none else buf, cap,
            C.byref(written), C.byref(needed),
        )  # fmt: skip
        assert written.value <= cap
        if st != NDIS_SUCCESS:
            assert written.value == 0
            assert buf.raw[:cap] == b"\xee" * cap, "a failed query wrote to the buffer"
        return int(st), buf.raw[: written.value], int(needed.value)

    def set(self, oid: int, data: bytes) -> tuple[int, int, int]:
        buf = C.create_string_buffer(data, max(len(data), 1))
        read, needed = C.c_size_t(0xDEAD), C.c_size_t(0xDEAD)
        st = self.lib.tapc_oid_set(
            self.ad.mem, C.byref(self.nd), oid, buf if data else None, len(data),
            C.byref(read), C.byref(needed),
        )  # fmt: skip
        assert read.value <= len(data)
        return int(st), int(read.value), int(needed.value)

    def passes(self, frame: bytes) -> bool:
        return bool(self.lib.tapc_ndis_filter(self.ad.mem, C.byref(self.nd), frame, len(frame)))

    def u32(self, oid: int) -> int:
        st, data, _ = self.query(oid)
        assert st == NDIS_SUCCESS and len(data) == 4, (hex(oid), hex(st), data)
        return int.from_bytes(data, "little")


@pytest.fixture
def nic(make_adapter: Callable[..., ffi.Adapter]) -> Nic:
    return Nic(make_adapter(mac=MAC, permanent="00:ff:aa:bb:cc:dd", mtu=1400))


def eth(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    return bytes(Ether(dst=mac_str(dst), src=mac_str(src), type=ethertype) / Raw(payload))


def u32(v: int) -> bytes:
    return v.to_bytes(4, "little")


def test_supported_list_is_what_query_and_set_answer(nic: Nic) -> None:
    count = C.c_size_t()
    arr = nic.lib.tapc_ndis_oids(C.byref(count))
    oids = [arr[i] for i in range(count.value)]
    assert len(set(oids)) == len(oids)
    setters = {CURRENT_PACKET_FILTER, CURRENT_LOOKAHEAD, MULTICAST_LIST, PNP_SET_POWER}
    for oid in oids:
        if oid == PNP_SET_POWER:
            continue
        st, _, _ = nic.query(oid, cap=512)
        assert st == NDIS_SUCCESS, hex(oid)
    assert setters <= set(oids)
    # Wake-on-LAN and PM offload are not supported; NDIS answers the supported list itself.
    for oid in (PNP_CAPABILITIES, PM_HARDWARE_CAPABILITIES, GEN_SUPPORTED_LIST, 0, 0xFFFFFFFF):
        assert oid not in oids
        assert nic.query(oid)[0] == NOT_SUPPORTED
        assert nic.set(oid, u32(0))[0] == NOT_SUPPORTED


def test_general_values(nic: Nic) -> None:
    assert nic.u32(HARDWARE_STATUS) == 0
    assert nic.u32(MEDIA_SUPPORTED) == nic.u32(MEDIA_IN_USE) == 0  # 802.3
    assert nic.u32(PHYSICAL_MEDIUM) == 0
    assert nic.u32(MAXIMUM_LOOKAHEAD) == 1500 == nic.u32(CURRENT_LOOKAHEAD)
    assert nic.u32(MAXIMUM_FRAME_SIZE) == 1400  # follows the registry MTU
    for oid in (MAXIMUM_TOTAL_SIZE, TRANSMIT_BLOCK_SIZE, RECEIVE_BLOCK_SIZE):
        assert nic.u32(oid) == 1514
    assert nic.u32(TRANSMIT_BUFFER_SPACE) == nic.u32(RECEIVE_BUFFER_SPACE) == 0x400000
    assert nic.u32(LINK_SPEED) == 10_000_000  # 1 Gbit/s in 100 bit/s
    assert nic.u32(VENDOR_ID) == 0x00FFFFFF
    assert nic.u32(VENDOR_DRIVER_VERSION) == (9 << 16) | 27
    assert nic.u32(MAC_OPTIONS) == 0x1 | 0x4 | 0x8 | 0x40
    assert nic.u32(MAXIMUM_LIST_SIZE) == 32
    assert nic.u32(CURRENT_PACKET_FILTER) == 0
    st, desc, _ = nic.query(VENDOR_DESCRIPTION)
    assert st == NDIS_SUCCESS and desc == b"TAP-Windows Adapter V9\0"
    st, ver, _ = nic.query(DRIVER_VERSION)
    assert st == NDIS_SUCCESS and ver == bytes([30, 6])
    assert nic.query(PERMANENT_ADDRESS)[1] == bytes.fromhex("00ffaabbccdd")
    assert nic.query(CURRENT_ADDRESS)[1] == ffi.mac_bytes(MAC)
    st, im, _ = nic.query(INTERRUPT_MODERATION)
    assert st == NDIS_SUCCESS and im == bytes([0x80, 1, 12, 0]) + u32(0) + u32(1)
    assert nic.query(PNP_QUERY_POWER) == (NDIS_SUCCESS, b"", 0)


def test_driver_version_follows_the_registered_ndis(
    make_adapter: Callable[..., ffi.Adapter],
) -> None:
    nic = Nic(make_adapter(), version=0x0614)
    assert nic.query(DRIVER_VERSION)[1] == bytes([20, 6])


def test_media_connect_status(make_adapter: Callable[..., ffi.Adapter]) -> None:
    ad = make_adapter()
    nic = Nic(ad)
    assert nic.u32(MEDIA_CONNECT_STATUS) == 1  # disconnected until the application says so
    ad.start()
    assert nic.u32(MEDIA_CONNECT_STATUS) == 0
    assert Nic(make_adapter(always_connected=True)).u32(MEDIA_CONNECT_STATUS) == 0


@pytest.mark.parametrize(
    ("oid", "size"),
    [
        (HARDWARE_STATUS, 4), (MAXIMUM_FRAME_SIZE, 4), (VENDOR_ID, 4), (DRIVER_VERSION, 2),
        (VENDOR_DESCRIPTION, 23), (PERMANENT_ADDRESS, 6), (CURRENT_ADDRESS, 6),
        (STATISTICS, 152), (INTERRUPT_MODERATION, 12), (XMIT_OK, 8), (RCV_NO_BUFFER, 8),
    ],
)  # fmt: skip
def test_every_short_query_buffer_is_refused_with_the_size_needed(
    nic: Nic, oid: int, size: int
) -> None:
    counter = oid in (XMIT_OK, RCV_NO_BUFFER)
    for cap in range(0, size):
        st, data, needed = nic.query(oid, cap=cap)
        if counter and cap >= 4:
            assert st == NDIS_SUCCESS and len(data) == 4
            continue
        assert (st, needed) == (BUFFER_TOO_SHORT, size), cap
    assert nic.query(oid, cap=size)[0] == NDIS_SUCCESS
    st, _, needed = nic.query(oid, cap=4096, none=True)
    assert (st, needed) == (BUFFER_TOO_SHORT, size)


def test_counters_in_four_or_eight_bytes(nic: Nic) -> None:
    nic.ad.start()
    frame = eth(b"\xff" * 6, nic.ad.mac, 0x0800, b"\0" * 50)
    for _ in range(3):
        assert nic.ad.host_send(frame).action == ffi.QUEUED
    st, data, _ = nic.query(XMIT_OK, cap=8)
    assert st == NDIS_SUCCESS and data == (3).to_bytes(8, "little")
    st, data, _ = nic.query(XMIT_OK, cap=6)
    assert st == NDIS_SUCCESS and data == u32(3)
    assert nic.query(BROADCAST_FRAMES_XMIT)[1] == (3).to_bytes(8, "little")
    assert nic.query(DIRECTED_FRAMES_XMIT)[1] == bytes(8)
    assert nic.query(RCV_ERROR_ALIGNMENT)[1] == bytes(8)


def test_statistics_block(nic: Nic) -> None:
    ad = nic.ad.start()
    bcast = eth(b"\xff" * 6, ad.mac, 0x0800, b"\0" * 86)  # 100 bytes
    ucast = eth(OTHER, ad.mac, 0x0800, b"\0" * 186)  # 200 bytes
    ad.host_send(bcast)
    ad.host_send(ucast)
    ad.host_send(ucast)
    assert ad.write(eth(ad.mac, OTHER, 0x0800, b"\0" * 50))[0] == ffi.SUCCESS
    assert ad.write(b"\0" * 5)[0] == ffi.BUFFER_TOO_SMALL
    nic.nd.rx_no_buffer = 7
    st, block, _ = nic.query(STATISTICS)
    assert st == NDIS_SUCCESS and len(block) == 152
    typ, rev, size, valid = struct.unpack_from("<BBHI", block)
    assert (typ, rev, size) == (0x80, 1, 152)
    assert valid == 0x003F87FF
    c = struct.unpack_from("<18Q", block, 8)
    (in_discards, in_errors, in_octets, in_ucast, in_mcast, in_bcast, out_octets, out_ucast,
     out_mcast, out_bcast, out_errors, out_discards, in_ucast_o, in_mcast_o, in_bcast_o,
     out_ucast_o, out_mcast_o, out_bcast_o) = c  # fmt: skip
    assert (in_discards, in_errors) == (7, 1)
    assert (in_ucast, in_mcast, in_bcast, in_octets, in_ucast_o) == (1, 0, 0, 64, 64)
    assert (out_ucast, out_mcast, out_bcast) == (2, 0, 1)
    assert (out_octets, out_ucast_o, out_bcast_o, out_mcast_o) == (500, 400, 100, 0)
    assert (out_errors, out_discards, in_mcast_o, in_bcast_o) == (0, 0, 0, 0)
    assert nic.query(RCV_NO_BUFFER)[1] == (7).to_bytes(8, "little")
    assert nic.query(RCV_ERROR)[1] == (1).to_bytes(8, "little")
    assert nic.query(DIRECTED_FRAMES_RCV)[1] == (1).to_bytes(8, "little")
    assert nic.query(RCV_DISCARDS)[1] == (7).to_bytes(8, "little")


def test_writes_while_paused_are_receive_discards(nic: Nic) -> None:
    """As 9.x: a write while paused succeeds and the frame is dropped; it is counted with the
    receive discards (OID_GEN_RCV_DISCARDS, ifInDiscards) and GET_INFO shows it."""
    ad = nic.ad.start()
    ad.set_paused(True)
    for _ in range(3):
        assert ad.write(eth(ad.mac, OTHER, 0x0800, b"\0" * 50))[:2] == (ffi.SUCCESS, b"")
    nic.nd.rx_no_buffer = 2
    assert nic.query(RCV_DISCARDS)[1] == (5).to_bytes(8, "little")
    assert nic.query(RCV_DISCARDS, 4)[1] == (5).to_bytes(4, "little")
    assert struct.unpack_from("<Q", nic.query(STATISTICS)[1], 8)[0] == 5  # ifInDiscards
    assert nic.query(RCV_OK)[1] == (0).to_bytes(8, "little")  # nothing was indicated
    assert " RxDrop=3 " in ad.info()


@pytest.mark.parametrize("oid", [CURRENT_PACKET_FILTER, CURRENT_LOOKAHEAD, PNP_SET_POWER])
def test_short_set_buffers(nic: Nic, oid: int) -> None:
    for n in range(4):
        assert nic.set(oid, b"\x01" * n) == (INVALID_LENGTH, 0, 4)
    assert nic.set(oid, u32(1) + b"extra")[0:2] == (NDIS_SUCCESS, 4)


def test_packet_filter_set(nic: Nic) -> None:
    assert nic.set(CURRENT_PACKET_FILTER, u32(DIRECTED | BROADCAST)) == (NDIS_SUCCESS, 4, 0)
    assert nic.u32(CURRENT_PACKET_FILTER) == DIRECTED | BROADCAST
    assert nic.set(CURRENT_PACKET_FILTER, u32(DIRECTED | ALL_LOCAL))[0] == NOT_SUPPORTED
    assert nic.u32(CURRENT_PACKET_FILTER) == DIRECTED | BROADCAST
    assert nic.set(CURRENT_PACKET_FILTER, u32(0))[0] == NDIS_SUCCESS


def test_lookahead_set(nic: Nic) -> None:
    assert nic.set(CURRENT_LOOKAHEAD, u32(128))[0] == NDIS_SUCCESS
    assert nic.u32(CURRENT_LOOKAHEAD) == 128
    assert nic.set(CURRENT_LOOKAHEAD, u32(1501)) == (INVALID_DATA, 0, 0)
    assert nic.u32(CURRENT_LOOKAHEAD) == 128


def test_multicast_list(nic: Nic) -> None:
    groups = [bytes([0x01, 0x00, 0x5E, 0, 0, i]) for i in range(32)]
    assert nic.set(MULTICAST_LIST, b"".join(groups[:2])) == (NDIS_SUCCESS, 12, 0)
    assert nic.query(MULTICAST_LIST)[1] == b"".join(groups[:2])
    assert nic.set(MULTICAST_LIST, b"".join(groups)) == (NDIS_SUCCESS, 192, 0)
    assert nic.set(MULTICAST_LIST, b"".join(groups) + groups[0])[0] == MULTICAST_FULL
    assert nic.set(MULTICAST_LIST, b"\x01" * 7) == (INVALID_LENGTH, 0, 12)
    assert nic.set(MULTICAST_LIST, b"\x01" * 5) == (INVALID_LENGTH, 0, 6)
    assert nic.query(MULTICAST_LIST)[1] == b"".join(groups)  # refused sets change nothing
    assert nic.set(MULTICAST_LIST, b"") == (NDIS_SUCCESS, 0, 0)
    assert nic.query(MULTICAST_LIST) == (NDIS_SUCCESS, b"", 0)


def test_set_power_drives_the_adapter_state(nic: Nic) -> None:
    ad = nic.ad.start()
    frame = eth(ad.mac, OTHER, 0x0800, b"\0" * 50)
    assert nic.set(PNP_SET_POWER, u32(4)) == (NDIS_SUCCESS, 4, 0)  # D3
    assert ad.write(frame)[0] == ffi.CANCELLED
    assert ad.read()[0] == ffi.CANCELLED
    assert nic.set(PNP_SET_POWER, u32(1))[0] == NDIS_SUCCESS  # D0
    assert ad.write(frame)[0] == ffi.SUCCESS
    for bad in (0, 5, 0xFFFFFFFF):
        assert nic.set(PNP_SET_POWER, u32(bad)) == (INVALID_DATA, 0, 0)
    assert ad.write(frame)[0] == ffi.SUCCESS


def test_packet_filter_decides_what_is_indicated(nic: Nic) -> None:
    mine = eth(nic.ad.mac, OTHER, 0x0800, b"\0" * 46)
    other = eth(OTHER, nic.ad.mac, 0x0800, b"\0" * 46)
    bcast = eth(b"\xff" * 6, OTHER, 0x0806, b"\0" * 46)
    group, stranger = bytes.fromhex("01005e000001"), bytes.fromhex("01005e000002")
    mcast = eth(group, OTHER, 0x0800, b"\0" * 46)
    mcast2 = eth(stranger, OTHER, 0x0800, b"\0" * 46)
    cases = {
        0: set(),
        DIRECTED: {"mine"},
        BROADCAST: {"bcast"},
        MULTICAST: {"mcast"},
        ALL_MULTICAST: {"mcast", "mcast2"},
        DIRECTED | BROADCAST | MULTICAST: {"mine", "bcast", "mcast"},
        PROMISCUOUS: {"mine", "other", "bcast", "mcast", "mcast2"},
    }
    nic.set(MULTICAST_LIST, group)
    frames = {"mine": mine, "other": other, "bcast": bcast, "mcast": mcast, "mcast2": mcast2}
    for filt, expected in cases.items():
        assert nic.set(CURRENT_PACKET_FILTER, u32(filt))[0] == NDIS_SUCCESS
        assert {k for k, f in frames.items() if nic.passes(f)} == expected, hex(filt)
    nic.set(CURRENT_PACKET_FILTER, u32(PROMISCUOUS))
    assert not nic.passes(mine[:13])
    assert not nic.passes(b"")


def test_send_completion_status(lib: C.CDLL) -> None:
    bind(lib)
    expected = {
        ffi.QUEUED: NDIS_SUCCESS, ffi.REPLY: NDIS_SUCCESS, ffi.CONSUMED: NDIS_SUCCESS,
        ffi.DROP_NOT_OPEN: NDIS_SUCCESS, ffi.DROP_FILTERED: NDIS_SUCCESS,
        ffi.DROP_INVALID: NDIS_FAILURE, ffi.DROP_PAUSED: PAUSED,
        ffi.DROP_LOW_POWER: LOW_POWER_STATE, ffi.DROP_MEDIA: MEDIA_DISCONNECTED,
    }  # fmt: skip
    for action, status in expected.items():
        assert lib.tapc_ndis_send_status(action) == status


def test_hostile_lengths_never_touch_memory(nic: Nic) -> None:
    """A NULL buffer with a large length is a zero-length buffer (CVE-2018-11674 was an
    unchecked OID length)."""
    for oid in (CURRENT_PACKET_FILTER, MULTICAST_LIST, CURRENT_LOOKAHEAD, PNP_SET_POWER):
        read, needed = C.c_size_t(), C.c_size_t()
        st = nic.lib.tapc_oid_set(
            nic.ad.mem, C.byref(nic.nd), oid, None, 1 << 40, C.byref(read), C.byref(needed)
        )
        assert st in (INVALID_LENGTH, NDIS_SUCCESS) and read.value == 0
