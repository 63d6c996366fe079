"""Smoke test of an installed TAP-Windows6 adapter, on a real (test-signed) Windows machine.

Run from an elevated prompt (netsh sets the address; AllowNonAdmin may be 0) with the driver
installed and one adapter present:

    python tests\\windows\\tap_smoke.py [--guid {GUID}] [--component-id tap0901]
                                        [--local 10.254.254.2] [--peer 10.254.254.1]

It opens \\\\.\\Global\\{GUID}.tap (and checks that a second open is refused), reads the
driver version, MTU and MAC, toggles the media status and checks the driver's status line
follows, then switches to TUN mode, gives Windows the local address, pings the peer and
answers the echo requests from user space: the ping succeeding proves the whole path (host
send -> read -> write -> receive indication). Standard library only (ctypes, winreg).

Exit status: 0 all steps passed; 1 a step failed (one line says which); 2 bad arguments or
not on Windows.
"""

from __future__ import annotations

import argparse
import ctypes
import ipaddress
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

# ---- The driver's interface (driver/include/tap-windows.h) ------------------------------------


def ctl_code(function: int) -> int:
    """CTL_CODE(FILE_DEVICE_UNKNOWN, function, METHOD_BUFFERED, FILE_ANY_ACCESS)."""
    return (0x22 << 16) | (function << 2)


GET_MAC, GET_VERSION, GET_MTU, GET_INFO = (ctl_code(n) for n in (1, 2, 3, 4))
SET_MEDIA_STATUS, CONFIG_TUN = ctl_code(6), ctl_code(10)
ADAPTER_KEY = r"SYSTEM\CurrentControlSet\Control\Class\{4D36E972-E325-11CE-BFC1-08002BE10318}"
USERMODEDEVICEDIR = "\\\\.\\Global\\"
TAP_WIN_SUFFIX = ".tap"


class SmokeError(Exception):
    """A step failed; the message is the one line printed."""


# ---- Packets (pure: tested off Windows) ---------------------------------------------------


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(int(w) for w in struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_reply(packet: bytes, peer: bytes) -> bytes | None:
    """The ICMP echo reply to an IPv4 echo request addressed to ``peer`` (4 bytes), as a TUN
    read returns it and a TUN write takes it; None for anything else."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack_from("!H", packet, 2)[0]
    if ihl < 20 or total < ihl + 8 or total > len(packet):
        return None
    if packet[9] != 1 or packet[16:20] != peer or struct.unpack_from("!H", packet, 6)[0] & 0x3FFF:
        return None  # not ICMP, not for the peer, or a fragment
    icmp = bytearray(packet[ihl:total])
    if icmp[0] != 8 or icmp[1] != 0 or checksum(bytes(icmp)) != 0:
        return None
    icmp[0] = 0
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    header = bytearray(packet[:20])  # options dropped
    header[0] = 0x45
    header[2:4] = struct.pack("!H", 20 + len(icmp))
    header[8] = 64
    header[10:12] = b"\0\0"
    header[12:16], header[16:20] = packet[16:20], packet[12:16]
    header[10:12] = struct.pack("!H", checksum(bytes(header)))
    return bytes(header) + bytes(icmp)


def version_text(data: bytes) -> tuple[int, int, bool]:
    """GET_VERSION's ULONG[3]: major, minor, debug."""
    if len(data) < 12:
        raise SmokeError(f"GET_VERSION returned {len(data)} bytes, expected 12")
    major, minor, debug = struct.unpack_from("<3I", data)
    return major, minor, debug != 0


def info_text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("ascii", "replace")


def tun_config(local: str, peer: str) -> tuple[bytes, bytes]:
    """CONFIG_TUN's input (local, network, mask of a /24) and the peer's 4 bytes."""
    loc, per = ipaddress.IPv4Address(local), ipaddress.IPv4Address(peer)
    net = ipaddress.IPv4Network(f"{loc}/24", strict=False)
    if per not in net or per == loc or per in (net.network_address, net.broadcast_address):
        raise SmokeError(f"--peer {peer}: must be another host of {net} (the --local /24)")
    return loc.packed + net.network_address.packed + net.netmask.packed, per.packed


# ---- Windows (ctypes) -------------------------------------------------------------------------

GENERIC_READ, GENERIC_WRITE = 0x80000000, 0x40000000
OPEN_EXISTING = 3
FILE_ATTRIBUTE_SYSTEM, FILE_FLAG_OVERLAPPED = 0x4, 0x40000000
ERROR_IO_PENDING, ERROR_ACCESS_DENIED, ERROR_GEN_FAILURE = 997, 5, 31
WAIT_OBJECT_0 = 0
INVALID_HANDLE = ctypes.c_void_p(-1).value
# Windows-only parts of ctypes, looked up so that the module imports (and type-checks) anywhere.
_WinDLL: Callable[..., Any] = getattr(ctypes, "WinDLL", None) or ctypes.CDLL
_get_last_error: Callable[[], int] = getattr(ctypes, "get_last_error", lambda: 0)


class Overlapped(ctypes.Structure):
    _fields_ = [
        ("Internal", ctypes.c_void_p),
        ("InternalHigh", ctypes.c_void_p),
        ("Offset", ctypes.c_uint32),
        ("OffsetHigh", ctypes.c_uint32),
        ("hEvent", ctypes.c_void_p),
    ]


class Device:
    """An open \\\\.\\Global\\{GUID}.tap with overlapped I/O."""

    k32: Any
    path: str
    handle: int

    def __init__(self, guid: str) -> None:
        if sys.platform != "win32":
            raise SmokeError("the TAP device exists on Windows only")
        self.k32: Any = _WinDLL("kernel32", use_last_error=True)
        self.k32.CreateFileW.restype = ctypes.c_void_p
        self.k32.CreateEventW.restype = ctypes.c_void_p
        self.path = f"{USERMODEDEVICEDIR}{guid}{TAP_WIN_SUFFIX}"
        self.handle = self.open()
        if self.handle is None:
            raise SmokeError(f"open {self.path}: error {_get_last_error()}")
        self.lock = threading.Lock()

    def open(self) -> int | None:
        h = self.k32.CreateFileW(
            self.path, GENERIC_READ | GENERIC_WRITE, 0, None, OPEN_EXISTING,
            FILE_ATTRIBUTE_SYSTEM | FILE_FLAG_OVERLAPPED, None,
        )  # fmt: skip
        return None if h in (None, INVALID_HANDLE) else int(h)

    def close(self) -> None:
        self.k32.CloseHandle(ctypes.c_void_p(self.handle))

    def _io(self, start: Callable[[Overlapped], bool], timeout_ms: int) -> int | None:
        """Runs an overlapped operation; its byte count, or None on timeout (cancelled)."""
        ov = Overlapped()
        ov.hEvent = self.k32.CreateEventW(None, True, False, None)
        done = ctypes.c_uint32(0)
        h = ctypes.c_void_p(self.handle)
        try:
            if not start(ov):
                err = _get_last_error()
                if err != ERROR_IO_PENDING:
                    raise SmokeError(f"I/O on {self.path} failed: error {err}")
                if self.k32.WaitForSingleObject(ctypes.c_void_p(ov.hEvent), timeout_ms):
                    self.k32.CancelIoEx(h, ctypes.byref(ov))
                    self.k32.GetOverlappedResult(h, ctypes.byref(ov), ctypes.byref(done), True)
                    return None
            if not self.k32.GetOverlappedResult(h, ctypes.byref(ov), ctypes.byref(done), True):
                err = _get_last_error()
                raise SmokeError(f"I/O on {self.path} failed: error {err}")
            return done.value
        finally:
            self.k32.CloseHandle(ctypes.c_void_p(ov.hEvent))

    def ioctl(self, code: int, inp: bytes = b"", out_len: int = 0) -> bytes:
        inb = ctypes.create_string_buffer(inp, max(len(inp), 1))
        outb = ctypes.create_string_buffer(max(out_len, 1))
        got = 0
        n = self._io(
            lambda ov: bool(self.k32.DeviceIoControl(
                ctypes.c_void_p(self.handle), code, inb, len(inp), outb, out_len, None,
                ctypes.byref(ov))),
            5000,
        )  # fmt: skip
        if n is None:
            raise SmokeError(f"IOCTL 0x{code:08X} did not complete in 5 s")
        got = n
        return outb.raw[:got]

    def read(self, timeout_ms: int) -> bytes | None:
        buf = ctypes.create_string_buffer(2048)
        n = self._io(
            lambda ov: bool(self.k32.ReadFile(ctypes.c_void_p(self.handle), buf, 2048, None,
                                              ctypes.byref(ov))),
            timeout_ms,
        )  # fmt: skip
        return None if n is None else buf.raw[:n]

    def write(self, data: bytes) -> None:
        buf = ctypes.create_string_buffer(data, len(data))
        n = self._io(
            lambda ov: bool(self.k32.WriteFile(ctypes.c_void_p(self.handle), buf, len(data),
                                               None, ctypes.byref(ov))),
            5000,
        )  # fmt: skip
        if n != len(data):
            raise SmokeError(f"write of {len(data)} bytes wrote {n}")


def find_adapters(component_id: str) -> list[str]:
    """NetCfgInstanceId of every adapter whose ComponentId is (root\\)component_id."""
    if sys.platform != "win32":
        raise SmokeError("the registry exists on Windows only")
    import winreg

    found = []
    with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, ADAPTER_KEY) as cls:
        for i in range(winreg.QueryInfoKey(cls)[0]):
            sub = winreg.EnumKey(cls, i)
            try:
                with winreg.OpenKey(cls, sub) as key:
                    cid = str(winreg.QueryValueEx(key, "ComponentId")[0])
                    guid = str(winreg.QueryValueEx(key, "NetCfgInstanceId")[0])
            except OSError:
                continue
            if cid.lower().split("\\")[-1] == component_id.lower():
                found.append(guid)
    return found


def interface_index(guid: str) -> int:
    """The IP interface index of the adapter (iphlpapi: GUID -> LUID -> index)."""
    if sys.platform != "win32":
        raise SmokeError("IP interfaces are looked up on Windows only")
    iphlp: Any = _WinDLL("iphlpapi")
    ole: Any = _WinDLL("ole32")
    g = (ctypes.c_ubyte * 16)()
    if ole.CLSIDFromString(ctypes.c_wchar_p(guid), ctypes.byref(g)) != 0:
        raise SmokeError(f"{guid}: not a GUID")
    luid = ctypes.c_uint64(0)
    index = ctypes.c_uint32(0)
    if iphlp.ConvertInterfaceGuidToLuid(ctypes.byref(g), ctypes.byref(luid)) or (
        iphlp.ConvertInterfaceLuidToIndex(ctypes.byref(luid), ctypes.byref(index))
    ):
        raise SmokeError(f"{guid}: no IP interface for the adapter")
    return index.value


def run(argv: Sequence[str], what: str) -> None:
    proc = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SmokeError(f"{what}: {' '.join(argv)} exited {proc.returncode}: "
                         f"{(proc.stdout + proc.stderr).strip()[:200]}")  # fmt: skip


# ---- The steps --------------------------------------------------------------------------------


def step(name: str) -> None:
    print(f"[smoke] {name}", flush=True)


def media(dev: Device, connected: bool) -> None:
    status = struct.pack("<I", 1 if connected else 0)
    # As 9.x: one byte returned, the first byte of the input (METHOD_BUFFERED copies it back).
    if (got := dev.ioctl(SET_MEDIA_STATUS, status, out_len=4)) != status[:1]:
        raise SmokeError(f"SET_MEDIA_STATUS returned {got!r}, 9.x returns {status[:1]!r}")
    text = info_text(dev.ioctl(GET_INFO, out_len=256))
    want = ",connected" if connected else ",disconnected"
    if want not in text:
        raise SmokeError(f"media {'on' if connected else 'off'}: GET_INFO says {text!r}")
    print(f"        {text}")


def ping_echo(dev: Device, local: str, peer: str, peer_bytes: bytes, count: int) -> int:
    """Pings the peer while answering its echo requests; returns the replies written."""
    stop = threading.Event()
    answered = [0]

    def responder() -> None:
        while not stop.is_set():
            packet = dev.read(500)
            if packet is None:
                continue
            reply = echo_reply(packet, peer_bytes)
            if reply is not None:
                dev.write(reply)
                answered[0] += 1

    thread = threading.Thread(target=responder, daemon=True)
    thread.start()
    try:
        run(["ping", "-n", str(count), "-w", "3000", "-S", local, peer], f"ping {peer}")
    finally:
        stop.set()
        thread.join(5)
    return answered[0]


def smoke(args: argparse.Namespace) -> None:
    config, peer_bytes = tun_config(args.local, args.peer)
    guids = [args.guid] if args.guid else find_adapters(args.component_id)
    if len(guids) != 1:
        raise SmokeError(f"{len(guids)} adapters with ComponentId {args.component_id}: "
                         "give --guid {...}")  # fmt: skip
    guid = guids[0]

    step(f"open {USERMODEDEVICEDIR}{guid}{TAP_WIN_SUFFIX}")
    dev = Device(guid)
    try:
        second = dev.open()
        if second is not None:
            dev.k32.CloseHandle(ctypes.c_void_p(second))
            raise SmokeError("a second open succeeded; one handle at a time is the rule")
        if (err := _get_last_error()) != ERROR_GEN_FAILURE:
            raise SmokeError(
                f"a second open failed with error {err}, 9.x gives {ERROR_GEN_FAILURE}"
            )
        major, minor, debug = version_text(dev.ioctl(GET_VERSION, out_len=12))
        step(f"driver version {major}.{minor}{' (debug)' if debug else ''}")
        mtu = struct.unpack("<I", dev.ioctl(GET_MTU, out_len=4))[0]
        mac = dev.ioctl(GET_MAC, out_len=6).hex(":")
        step(f"MTU {mtu}, MAC {mac}")
        if not 100 <= mtu <= 1500:
            raise SmokeError(f"MTU {mtu} outside 100..1500")

        step("media off, then on")
        media(dev, False)
        media(dev, True)

        step(f"TUN mode: {args.local}/24, answering pings to {args.peer}")
        dev.ioctl(CONFIG_TUN, config)
        index = interface_index(guid)
        run(["netsh", "interface", "ipv4", "set", "address", f"name={index}", "static",
             args.local, "255.255.255.0", "store=active"], "set the address")  # fmt: skip
        time.sleep(args.settle)
        answered = ping_echo(dev, args.local, args.peer, peer_bytes, args.count)
        if answered < args.count:
            raise SmokeError(f"answered {answered} of {args.count} echo requests")
        step(f"ping {args.peer}: {answered} replies through the driver")
        run(["netsh", "interface", "ipv4", "set", "address", f"name={index}", "dhcp"],
            "restore DHCP")  # fmt: skip
    finally:
        dev.close()
    step("all steps passed")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Smoke test of an installed TAP-Windows6 adapter.")
    p.add_argument("--guid", help="adapter NetCfgInstanceId (default: the only TAP adapter)")
    p.add_argument("--component-id", default="tap0901")
    p.add_argument("--local", default="10.254.254.2", help="the adapter's address (/24)")
    p.add_argument("--peer", default="10.254.254.1", help="the address the script answers for")
    p.add_argument("--count", type=int, default=3, help="echo requests (default 3)")
    p.add_argument("--settle", type=float, default=3.0, help="seconds after setting the address")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        tun_config(args.local, args.peer)
    except (SmokeError, ValueError) as exc:
        print(f"tap_smoke: {exc}", file=sys.stderr)
        return 2
    if sys.platform != "win32":
        print("tap_smoke: runs on Windows only, with the driver installed (see "
              "docs/testing.md)", file=sys.stderr)  # fmt: skip
        return 2
    try:
        smoke(args)
    except SmokeError as exc:
        print(f"tap_smoke: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
