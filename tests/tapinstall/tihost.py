"""tapinstall's portable core on the host: build it as a shared library, drive it with ctypes.

``FakeSystem`` is a TiPlatform written in Python: a list of devices and the outcomes of the
device operations, so every verb's rules (matching, output, exit codes, roll-back) run here.
The real SetupAPI layer runs under wine (test_wine.py).
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sconsrun import scons as scons  # re-exported: tihost.scons(...)
from tapbuild.dev import sourcetree

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "tapinstall"
CORE_SOURCES = ("ti_args.c", "ti_match.c", "ti_out.c", "ti_main.c")

EXIT_OK, EXIT_REBOOT, EXIT_FAIL, EXIT_USAGE = 0, 1, 2, 3
STATE_RUNNING, STATE_STOPPED, STATE_DISABLED, STATE_PROBLEM = 0, 1, 2, 3
ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_NO_SUCH_DEVINST = 0xE000020B
ERROR_IN_WOW64 = 0xE0000235

Units = ctypes.POINTER(ctypes.c_uint16)


def build_core(out_dir: Path) -> Path:
    """Compile the core (not the Windows layer) into a host shared library.

    gcc's undefined-behaviour sanitizer is on (the process aborts naming the line), so
    overflow, misaligned or out-of-range accesses fail the tests instead of passing unseen.
    """
    cc = shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no gcc for the host build of the tapinstall core")
    out = out_dir / "libticore.so"
    cmd = [
        cc, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-Wconversion",
        "-Wno-sign-conversion", "-fPIC", "-shared", "-fvisibility=hidden",
        "-fsanitize=undefined", "-fno-sanitize-recover=all",
        "-o", str(out), *(str(SOURCE_DIR / s) for s in CORE_SOURCES),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"host build of the tapinstall core failed:\n{proc.stderr}")
    return out


def copy_tree(dest: Path) -> Path:
    """A copy of the source tree (tracked files) to build in."""
    return sourcetree.copy_tree(dest)


# ---- UTF-16 <-> Python ----------------------------------------------------------------------


def units(text: str) -> ctypes.Array[ctypes.c_uint16]:
    """A NUL-terminated UTF-16 copy of ``text``."""
    data = text.encode("utf-16-le")
    codes = [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
    return (ctypes.c_uint16 * (len(codes) + 1))(*codes, 0)


def multi_sz(items: Sequence[str]) -> ctypes.Array[ctypes.c_uint16]:
    """A REG_MULTI_SZ: each string NUL-terminated, then one more NUL."""
    codes: list[int] = []
    for item in items:
        data = item.encode("utf-16-le")
        codes += [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
        codes.append(0)
    codes.append(0)
    return (ctypes.c_uint16 * len(codes))(*codes)


def text_of(ptr: ctypes._Pointer[ctypes.c_uint16], length: int | None = None) -> str:
    if length is None:
        length = 0
        while ptr[length] != 0:
            length += 1
    raw = bytes(ctypes.string_at(ctypes.cast(ptr, ctypes.c_void_p), 2 * length))
    return raw.decode("utf-16-le", "surrogatepass")


# ---- ctypes declarations of ti.h ----------------------------------------------------------------


class TiError(ctypes.Structure):
    _fields_ = [("call", ctypes.c_char_p), ("code", ctypes.c_uint32), ("configRet", ctypes.c_int)]


class TiDevice(ctypes.Structure):
    _fields_ = [
        ("instanceId", Units),
        ("name", Units),
        ("hardwareIds", Units),
        ("compatibleIds", Units),
        ("handle", ctypes.c_void_p),
    ]


class TiStatus(ctypes.Structure):
    _fields_ = [("state", ctypes.c_int), ("problem", ctypes.c_uint32)]


PErr = ctypes.POINTER(TiError)
DeviceFn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(TiDevice))
WriteFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, Units, ctypes.c_size_t)
InfPathFn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, Units, Units, ctypes.c_size_t, PErr)
EnumerateFn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, DeviceFn, ctypes.c_void_p, PErr)
StatusFn = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(TiDevice), ctypes.POINTER(TiStatus), PErr
)
RemoveFn = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(TiDevice), ctypes.POINTER(ctypes.c_int), PErr
)
CreateFn = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, Units, Units, ctypes.POINTER(ctypes.c_void_p), Units,
    ctypes.c_size_t, PErr,
)  # fmt: skip
DiscardFn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, PErr)
ReleaseFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
UpdateFn = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, Units, Units, ctypes.POINTER(ctypes.c_int), PErr
)
DescribeFn = ctypes.CFUNCTYPE(
    ctypes.c_size_t, ctypes.c_void_p, ctypes.c_uint32, Units, ctypes.c_size_t
)


class TiPlatform(ctypes.Structure):
    _fields_ = [
        ("ctx", ctypes.c_void_p),
        ("write", WriteFn),
        ("infPath", InfPathFn),
        ("enumerate", EnumerateFn),
        ("status", StatusFn),
        ("remove", RemoveFn),
        ("create", CreateFn),
        ("discard", DiscardFn),
        ("release", ReleaseFn),
        ("update", UpdateFn),
        ("describe", DescribeFn),
    ]


class Core:
    """The core's exported functions with Python types."""

    def __init__(self, path: Path) -> None:
        lib = ctypes.CDLL(str(path))
        lib.ArgsSplitChars.argtypes = [Units]
        lib.ArgsSplitChars.restype = ctypes.c_size_t
        lib.ArgsSplitMax.argtypes = [Units]
        lib.ArgsSplitMax.restype = ctypes.c_size_t
        lib.ArgsSplit.argtypes = [Units, Units, ctypes.POINTER(Units)]
        lib.ArgsSplit.restype = ctypes.c_size_t
        lib.MatchGlob.argtypes = [Units, Units]
        lib.MatchGlob.restype = ctypes.c_int
        lib.MatchDevice.argtypes = [Units, Units, Units, Units]
        lib.MatchDevice.restype = ctypes.c_int
        lib.TiMain.argtypes = [ctypes.c_size_t, ctypes.POINTER(Units), ctypes.POINTER(TiPlatform)]
        lib.TiMain.restype = ctypes.c_int
        self.lib = lib

    def split(self, cmdline: str) -> list[str]:
        """ArgsSplit with buffers of exactly the advertised sizes, guarded by canaries."""
        src = units(cmdline)
        nchars = self.lib.ArgsSplitChars(src)
        nargs = self.lib.ArgsSplitMax(src)
        canary = 0xBEEF
        strings = (ctypes.c_uint16 * (nchars + 8))(*([canary] * (nchars + 8)))
        argv = (Units * (nargs + 8))()
        sentinel = ctypes.cast(ctypes.c_void_p(0x5A5A5A5A), Units)
        for i in range(nargs, nargs + 8):
            argv[i] = sentinel
        argc = self.lib.ArgsSplit(src, strings, argv)
        assert all(strings[i] == canary for i in range(nchars, nchars + 8)), "strings overrun"
        for i in range(nargs, nargs + 8):
            assert ctypes.cast(argv[i], ctypes.c_void_p).value == 0x5A5A5A5A, "argv overrun"
        assert argc < nargs and not argv[argc], "argv not NULL-terminated"
        return [text_of(argv[i]) for i in range(argc)]

    def glob(self, pattern: str, text: str) -> bool:
        return bool(self.lib.MatchGlob(units(pattern), units(text)))

    def match(
        self,
        pattern: str,
        instance_id: str | None = None,
        hardware_ids: Sequence[str] | None = None,
        compatible_ids: Sequence[str] | None = None,
    ) -> bool:
        def opt(v: ctypes.Array[ctypes.c_uint16] | None) -> Units | None:
            return ctypes.cast(v, Units) if v is not None else None

        return bool(
            self.lib.MatchDevice(
                units(pattern),
                opt(units(instance_id) if instance_id is not None else None),
                opt(multi_sz(hardware_ids) if hardware_ids is not None else None),
                opt(multi_sz(compatible_ids) if compatible_ids is not None else None),
            )
        )


# ---- a platform in Python ---------------------------------------------------------------------


@dataclass
class FakeDevice:
    instance_id: str
    hardware_ids: list[str] | None = None
    name: str | None = "TAP-Windows Adapter V9"
    compatible_ids: list[str] | None = None
    state: int = STATE_RUNNING
    problem: int = 0
    status_configret: int | None = None  # CM_Get_DevNode_Status fails with this CONFIGRET
    remove_error: int | None = None
    remove_reboot: bool = False


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@dataclass
class FakeSystem:
    """Devices and outcomes; ``calls`` records what the core asked for, in order."""

    devices: list[FakeDevice] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # INF argument -> full path
    enumerate_error: int | None = None
    create_error: int | None = None
    update_error: int | None = None
    update_reboot: bool = False
    discard_error: int | None = None
    messages: dict[int, str] = field(default_factory=dict)  # code -> system text
    calls: list[tuple[str, ...]] = field(default_factory=list)
    created: int = 0

    def run(self, core: Core, args: Sequence[str]) -> Result:
        return _Session(self, core).run(["tapinstall.exe", *args])


_CALL_NAMES: dict[str, bytes] = {}


def _call_name(name: str) -> bytes:
    return _CALL_NAMES.setdefault(name, name.encode("ascii"))


class _Session:
    """One TiMain call: the callbacks, and the buffers they hand out kept alive meanwhile."""

    def __init__(self, system: FakeSystem, core: Core) -> None:
        self.system = system
        self.core = core
        self.streams: dict[int, list[str]] = {1: [], 2: []}
        self.keep: list[object] = []

    def fail(self, error: PErr, call: str, code: int) -> int:
        error.contents.call = _call_name(call)
        error.contents.code = code
        error.contents.configRet = 0
        return -1

    def run(self, argv: list[str]) -> Result:
        s = self.system
        bufs = [units(a) for a in argv]
        arr = (Units * (len(argv) + 1))(*[ctypes.cast(b, Units) for b in bufs], None)

        def write(ctx: int, stream: int, text: Units, length: int) -> None:
            assert stream in (1, 2)
            assert 0 < length <= 256
            assert not 0xD800 <= text[length - 1] < 0xDC00, "a write splits a surrogate pair"
            self.streams[stream].append(text_of(text, length))

        def inf_path(ctx: int, inf: Units, full: Units, cap: int, error: PErr) -> int:
            name = text_of(inf)
            s.calls.append(("infPath", name))
            if name not in s.files:
                return self.fail(error, "GetFileAttributes", ERROR_FILE_NOT_FOUND)
            path = s.files[name]
            assert len(path) < cap
            for i, ch in enumerate(units(path)):
                full[i] = ch
            return 0

        def enumerate_(ctx: int, fn: object, arg: int, error: PErr) -> int:
            s.calls.append(("enumerate",))
            if s.enumerate_error is not None:
                return self.fail(error, "SetupDiGetClassDevs", s.enumerate_error)
            for index, dev in enumerate(list(s.devices)):
                fields = [
                    units(dev.instance_id),
                    units(dev.name) if dev.name is not None else None,
                    multi_sz(dev.hardware_ids) if dev.hardware_ids is not None else None,
                    multi_sz(dev.compatible_ids) if dev.compatible_ids is not None else None,
                ]
                self.keep.extend(fields)
                record = TiDevice(
                    *[ctypes.cast(f, Units) if f is not None else None for f in fields],
                    ctypes.c_void_p(index + 1),
                )
                if fn(arg, ctypes.byref(record)):  # type: ignore[operator]
                    break
            return 0

        def device_of(d: ctypes._Pointer[TiDevice]) -> FakeDevice:
            return s.devices[(d.contents.handle or 0) - 1]

        def status(
            ctx: int, d: ctypes._Pointer[TiDevice], st: ctypes._Pointer[TiStatus], error: PErr
        ) -> int:
            dev = device_of(d)
            s.calls.append(("status", dev.instance_id))
            if dev.status_configret is not None:
                error.contents.call = _call_name("CM_Get_DevNode_Status")
                error.contents.code = dev.status_configret
                error.contents.configRet = 1
                return -1
            st.contents.state = dev.state
            st.contents.problem = dev.problem
            return 0

        def remove(
            ctx: int,
            d: ctypes._Pointer[TiDevice],
            reboot: ctypes._Pointer[ctypes.c_int],
            error: PErr,
        ) -> int:
            dev = device_of(d)
            s.calls.append(("remove", dev.instance_id))
            if dev.remove_error is not None:
                return self.fail(error, "SetupDiCallClassInstaller(DIF_REMOVE)", dev.remove_error)
            reboot.contents.value = int(dev.remove_reboot)
            return 0

        def create(
            ctx: int,
            inf: Units,
            hwid: Units,
            token: ctypes._Pointer[ctypes.c_void_p],
            inst: Units,
            cap: int,
            error: PErr,
        ) -> int:
            s.calls.append(("create", text_of(inf), text_of(hwid)))
            if s.create_error is not None:
                return self.fail(
                    error, "SetupDiCallClassInstaller(DIF_REGISTERDEVICE)", s.create_error
                )
            instance_id = f"ROOT\\NET\\{s.created:04d}"
            s.created += 1
            s.devices.append(FakeDevice(instance_id, [text_of(hwid)], name=None))
            for i, ch in enumerate(units(instance_id)):
                inst[i] = ch
            token.contents.value = len(s.devices)
            return 0

        def discard(ctx: int, token: int, error: PErr) -> int:
            dev = s.devices[token - 1]
            s.calls.append(("discard", dev.instance_id))
            if s.discard_error is not None:
                return self.fail(error, "SetupDiCallClassInstaller(DIF_REMOVE)", s.discard_error)
            s.devices.remove(dev)
            return 0

        def release(ctx: int, token: int) -> None:
            s.calls.append(("release", s.devices[token - 1].instance_id))

        def update(
            ctx: int, inf: Units, hwid: Units, reboot: ctypes._Pointer[ctypes.c_int], error: PErr
        ) -> int:
            s.calls.append(("update", text_of(inf), text_of(hwid)))
            if s.update_error is not None:
                return self.fail(error, "UpdateDriverForPlugAndPlayDevices", s.update_error)
            reboot.contents.value = int(s.update_reboot)
            return 0

        def describe(ctx: int, code: int, buf: Units, cap: int) -> int:
            text = s.messages.get(code, "")
            data = units(text)
            n = min(len(text), cap)
            for i in range(n):
                buf[i] = data[i]
            return n

        callbacks = [
            WriteFn(write), InfPathFn(inf_path), EnumerateFn(enumerate_), StatusFn(status),
            RemoveFn(remove), CreateFn(create), DiscardFn(discard), ReleaseFn(release),
            UpdateFn(update), DescribeFn(describe),
        ]  # fmt: skip
        platform = TiPlatform(None, *callbacks)
        code = self.core.lib.TiMain(len(argv), arr, ctypes.byref(platform))
        return Result(code, "".join(self.streams[1]), "".join(self.streams[2]))
