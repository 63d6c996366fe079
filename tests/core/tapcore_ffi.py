"""ctypes bindings of the portable TAP core (build/host/core/libtapcore*.so) for the tests."""

from __future__ import annotations

import ctypes as C
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIB_RELEASE = ROOT / "build/host/core/libtapcore.so"
LIB_DEBUG = ROOT / "build/host/core-debug/libtapcore-debug.so"

# NTSTATUS values the core returns.
SUCCESS = 0x00000000
PENDING = 0x00000103
NO_MORE_ENTRIES = 0x8000001A
UNSUCCESSFUL = 0xC0000001
INVALID_PARAMETER = 0xC000000D
INVALID_DEVICE_REQUEST = 0xC0000010
ACCESS_DENIED = 0xC0000022  # the I/O manager's, for an open the device's ACL refuses
BUFFER_TOO_SMALL = 0xC0000023
CANCELLED = 0xC0000120

# tapc_send_action
QUEUED, REPLY, CONSUMED, DROP_NOT_OPEN, DROP_FILTERED, DROP_INVALID = range(6)
DROP_PAUSED, DROP_LOW_POWER, DROP_MEDIA = 6, 7, 8

EV_MEDIA_CHANGED, EV_READ_READY, EV_CANCEL_READS, EV_FLOW_RESUME = 1, 2, 4, 8
IOCTL_DIAG = 1


def ctl_code(n: int) -> int:
    return (0x22 << 16) | (n << 2)


GET_MAC, GET_VERSION, GET_MTU, GET_INFO = (ctl_code(n) for n in (1, 2, 3, 4))
CONFIG_POINT_TO_POINT, SET_MEDIA_STATUS, CONFIG_DHCP_MASQ = (ctl_code(n) for n in (5, 6, 7))
GET_LOG_LINE, CONFIG_DHCP_SET_OPT, CONFIG_TUN = (ctl_code(n) for n in (8, 9, 10))
PRIORITY_BEHAVIOR = ctl_code(11)

REPLY_MAX = 600
READ_MAX = 1518


class Vlan(C.Structure):
    _fields_ = [("priority", C.c_uint8), ("vlan_id", C.c_uint16)]


class Config(C.Structure):
    _fields_ = [
        ("permanent_mac", C.c_uint8 * 6),
        ("current_mac", C.c_uint8 * 6),
        ("mtu", C.c_uint32),
        ("media_always_connected", C.c_bool),
        ("queue_ring", C.c_void_p),
        ("queue_ring_size", C.c_size_t),
        ("flow_threshold", C.c_size_t),
    ]


_COUNT_FIELDS = [
    (f"{kind}_{what}", C.c_uint64)
    for kind in ("directed", "multicast", "broadcast")
    for what in ("frames", "bytes")
]


class Counts(C.Structure):
    _fields_ = _COUNT_FIELDS


class Stats(C.Structure):
    _fields_ = [
        ("tx", Counts),
        ("rx", Counts),
        ("tx_dropped", C.c_uint64),
        ("tx_queue_dropped", C.c_uint64),
        ("rx_errors", C.c_uint64),
        ("replies", C.c_uint64),
        ("replies_lost", C.c_uint64),
        ("read_too_small", C.c_uint64),
        ("flow_holds", C.c_uint64),
        ("rx_paused_drops", C.c_uint64),
    ]


def _bind(lib: C.CDLL) -> C.CDLL:
    P, SZ, U32, U8P = C.c_void_p, C.c_size_t, C.c_uint32, C.POINTER(C.c_uint8)
    sig = {
        "tapc_adapter_size": (SZ, []),
        "tapc_adapter_init": (U32, [P, C.POINTER(Config)]),
        "tapc_open": (U32, [P]),
        "tapc_close": (None, [P]),
        "tapc_set_paused": (None, [P, C.c_bool]),
        "tapc_set_power": (None, [P, C.c_bool]),
        "tapc_set_media": (None, [P, C.c_bool]),
        "tapc_media_connected": (C.c_bool, [P]),
        "tapc_take_events": (U32, [P]),
        "tapc_flow_held": (C.c_bool, [P]),
        "tapc_get_stats": (C.POINTER(Stats), [P]),
        "tapc_queued_frames": (SZ, [P]),
        "tapc_queued_bytes": (SZ, [P]),
        "tapc_host_send": (C.c_int, [P, C.c_char_p, SZ, C.POINTER(Vlan), U8P, SZ, C.POINTER(SZ)]),
        "tapc_user_read": (U32, [P, U8P, SZ, C.POINTER(SZ)]),
        "tapc_user_read_next_len": (SZ, [P]),
        "tapc_user_write": (U32, [P, C.c_char_p, SZ, U8P, SZ, C.POINTER(SZ), C.POINTER(Vlan)]),
        "tapc_ioctl": (U32, [P, U32, U32, P, SZ, P, SZ, C.POINTER(SZ)]),
        "tapc_info_text": (SZ, [P, C.c_char_p, SZ]),
        "tapc_dhcp_server_mac": (None, [P, U8P]),
        "tapc_mac_from_guid": (C.c_bool, [C.POINTER(C.c_uint16), SZ, U8P]),
        "tapc_mac_current": (C.c_bool, [U8P, C.c_char_p, SZ, U8P]),
        "tapc_mac_related": (None, [U8P, C.c_uint8, U8P]),
        "tapc_csum_add": (U32, [U32, C.c_char_p, SZ]),
        "tapc_csum_fold": (C.c_uint16, [U32]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


_LIBS: dict[Path, C.CDLL] = {}


def load(path: Path) -> C.CDLL:
    if path not in _LIBS:
        _LIBS[path] = _bind(C.CDLL(str(path)))
    return _LIBS[path]


def mac_bytes(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


def _u8(buf: bytes | bytearray) -> C.Array[C.c_uint8]:
    return (C.c_uint8 * len(buf)).from_buffer_copy(bytes(buf))


@dataclass
class SendResult:
    action: int
    reply: bytes


class Adapter:
    """One tapc_adapter in host memory, with its queue ring."""

    def __init__(
        self,
        lib: C.CDLL,
        mac: str = "00:ff:12:34:56:78",
        permanent: str | None = None,
        mtu: int = 1500,
        always_connected: bool = False,
        ring_size: int = 1 << 16,
        flow_threshold: int = 0,
    ) -> None:
        self.lib = lib
        self.mem = C.create_string_buffer(lib.tapc_adapter_size())
        self.ring = C.create_string_buffer(max(ring_size, 1))
        cfg = Config()
        cfg.permanent_mac[:] = list(mac_bytes(permanent or mac))
        cfg.current_mac[:] = list(mac_bytes(mac))
        cfg.mtu = mtu
        cfg.media_always_connected = always_connected
        cfg.queue_ring = C.cast(self.ring, C.c_void_p)
        cfg.queue_ring_size = ring_size
        cfg.flow_threshold = flow_threshold
        self.init_status = lib.tapc_adapter_init(self.mem, C.byref(cfg))
        self.mac = mac_bytes(mac)
        self.returned = 0
        self.peer = self.mac[:2] + bytes([(self.mac[2] + 1) & 0xFF]) + self.mac[3:]

    @property
    def ad(self) -> C.Array[C.c_char]:
        return self.mem

    def start(self, connected: bool = True) -> Adapter:
        """Open, restart (unpause) and connect the media, as OpenVPN does after opening."""
        assert self.lib.tapc_open(self.mem) == SUCCESS
        self.lib.tapc_set_paused(self.mem, False)
        if connected:
            assert self.ioctl(SET_MEDIA_STATUS, (1).to_bytes(4, "little"))[0] == SUCCESS
        self.events()
        return self

    def open(self) -> int:
        return int(self.lib.tapc_open(self.mem))

    def close(self) -> None:
        self.lib.tapc_close(self.mem)

    def set_paused(self, v: bool) -> None:
        self.lib.tapc_set_paused(self.mem, v)

    def set_power(self, d0: bool) -> None:
        self.lib.tapc_set_power(self.mem, d0)

    def set_media(self, v: bool) -> None:
        self.lib.tapc_set_media(self.mem, v)

    def media(self) -> bool:
        return bool(self.lib.tapc_media_connected(self.mem))

    def events(self) -> int:
        return int(self.lib.tapc_take_events(self.mem))

    def flow_held(self) -> bool:
        return bool(self.lib.tapc_flow_held(self.mem))

    def stats(self) -> Stats:
        s = Stats()
        C.memmove(C.byref(s), self.lib.tapc_get_stats(self.mem), C.sizeof(Stats))
        return s

    def queued(self) -> tuple[int, int]:
        return (
            int(self.lib.tapc_queued_frames(self.mem)),
            int(self.lib.tapc_queued_bytes(self.mem)),
        )

    def ioctl(
        self, code: int, inp: bytes = b"", out_len: int = 0, flags: int = 0, alias: bool = False
    ) -> tuple[int, bytes]:
        """DeviceIoControl; alias=True passes one buffer as both input and output, as the
        METHOD_BUFFERED system buffer is. Returns the status and the bytes the caller's output
        buffer receives; the byte count (BytesReturned) is left in self.returned: the
        configuration IOCTLs report 1 even without an output buffer, as 9.x does."""
        written = C.c_size_t(0xDEAD)
        if alias:
            buf = C.create_string_buffer(bytes(inp), max(len(inp), out_len, 1))
            st = self.lib.tapc_ioctl(
                self.mem, flags, code, buf, len(inp), buf, out_len, C.byref(written)
            )
            self.returned = written.value
            assert written.value <= max(out_len, 1)
            return int(st), buf.raw[: min(written.value, out_len)]
        inb = C.create_string_buffer(bytes(inp), max(len(inp), 1))
        outb = C.create_string_buffer(max(out_len, 1))
        st = self.lib.tapc_ioctl(
            self.mem,
            flags,
            code,
            inb if inp else None,
            len(inp),
            outb if out_len else None,
            out_len,
            C.byref(written),
        )
        self.returned = written.value
        assert written.value <= max(out_len, 1)
        return int(st), outb.raw[: min(written.value, out_len)]

    def host_send(
        self, frame: bytes, priority: int = 0, vlan_id: int = 0, reply_cap: int = REPLY_MAX
    ) -> SendResult:
        reply = (C.c_uint8 * max(reply_cap, 1))()
        n = C.c_size_t(0xDEAD)
        v = Vlan(priority, vlan_id)
        act = self.lib.tapc_host_send(
            self.mem, bytes(frame), len(frame), C.byref(v), reply, reply_cap, C.byref(n)
        )
        assert n.value <= reply_cap
        return SendResult(int(act), bytes(reply[: n.value]))

    def read(self, cap: int = READ_MAX) -> tuple[int, bytes]:
        out = (C.c_uint8 * max(cap, 1))()
        n = C.c_size_t(0xDEAD)
        st = self.lib.tapc_user_read(self.mem, out, cap, C.byref(n))
        assert n.value <= cap
        return int(st), bytes(out[: n.value])

    def next_len(self) -> int:
        return int(self.lib.tapc_user_read_next_len(self.mem))

    def write(self, data: bytes, cap: int = 1514) -> tuple[int, bytes, tuple[int, int]]:
        out = (C.c_uint8 * max(cap, 1))()
        n = C.c_size_t(0xDEAD)
        v = Vlan(0xAA, 0xBBBB)
        st = self.lib.tapc_user_write(
            self.mem, bytes(data), len(data), out, cap, C.byref(n), C.byref(v)
        )
        assert n.value <= cap
        return int(st), bytes(out[: n.value]), (v.priority, v.vlan_id)

    def info(self) -> str:
        buf = C.create_string_buffer(256)
        n = self.lib.tapc_info_text(self.mem, buf, 256)
        return buf.raw[: max(n - 1, 0)].decode()

    def dhcp_server_mac(self) -> bytes:
        out = (C.c_uint8 * 6)()
        self.lib.tapc_dhcp_server_mac(self.mem, out)
        return bytes(out)


def mac_from_guid(lib: C.CDLL, guid: str) -> bytes | None:
    units = guid.encode("utf-16-le")
    arr = (C.c_uint16 * max(len(units) // 2, 1)).from_buffer_copy(units or b"\0\0")
    out = (C.c_uint8 * 6)(*([0xEE] * 6))
    ok = lib.tapc_mac_from_guid(arr, len(units) // 2, out)
    return bytes(out) if ok else None


def mac_current(lib: C.CDLL, permanent: bytes, network_address: bytes | None) -> tuple[bool, bytes]:
    out = (C.c_uint8 * 6)()
    na = network_address
    used = lib.tapc_mac_current(_u8(permanent), na, 0 if na is None else len(na), out)
    return bool(used), bytes(out)


def mac_related(lib: C.CDLL, mac: bytes, delta: int) -> bytes:
    out = (C.c_uint8 * 6)()
    lib.tapc_mac_related(_u8(mac), delta, out)
    return bytes(out)
