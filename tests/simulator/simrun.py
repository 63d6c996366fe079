"""Running the driver simulator (tapsim.exe) under wine and reading what it reports.

The simulator reads a command script (tests/simulator/sim/script.c lists the commands) and
prints one line per event: ``irp r1 READ done status=0x00000000 info=42 data=...``,
``recv id=3 nb=0 len=60 ... data=...``, ``status link connect=1 ...``. A contract violation
prints ``VIOLATION ...`` with the call site and exits 3.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from wine import Wine

ROOT = Path(__file__).resolve().parents[2]


def _tests_module(rel: str) -> ModuleType:
    """A helper module of another test area, loaded by path (one implementation each)."""
    path = ROOT / "tests" / rel
    name = "_simrun_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The core tests' IOCTL codes and statuses, and their scapy packet builders.
core = _tests_module("core/tapcore_ffi.py")
packets = _tests_module("core/packets.py")

GUID = "{8C3B2D1E-5A6F-4B7C-9D0E-1F2A3B4C5D6E}"
PERMANENT_MAC = bytes.fromhex("00ff8c3b2d1e")  # 00:FF: + the GUID's first 8 hex digits
DEVICE = rf"\Device\{GUID}.tap"

# Statuses beyond the core's.
OBJECT_NAME_NOT_FOUND = 0xC0000034
NDIS_BAD_VERSION = 0xC0230004
NDIS_STATUS_FAILURE = 0xC0000001
NDIS_STATUS_PAUSED = 0xC023002A
NDIS_STATUS_MEDIA_DISCONNECTED = 0xC023001F
NDIS_STATUS_LOW_POWER_STATE = 0xC023002F
NDIS_STATUS_INVALID_LENGTH = 0xC0010014
NDIS_STATUS_NOT_SUPPORTED = 0xC00000BB

MEDIA_CONNECTED, MEDIA_DISCONNECTED = 1, 2  # NDIS_MEDIA_CONNECT_STATE


def u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def ip(text: str) -> bytes:
    return bytes(int(p) for p in text.split("."))


@dataclass
class Event:
    """One output line: its first word, the positional words, the key=value fields."""

    kind: str
    words: list[str]
    fields: dict[str, str]
    line: str

    def int(self, key: str) -> int:
        return int(self.fields[key], 0)

    def data(self) -> bytes:
        return bytes.fromhex(self.fields.get("data", ""))


def parse(line: str) -> Event:
    parts = line.split(" ")
    words: list[str] = []
    fields: dict[str, str] = {}
    for p in parts[1:]:
        key, eq, value = p.partition("=")
        if eq and key and " " not in key:
            fields[key] = value
        else:
            words.append(p)
    return Event(parts[0], words, fields, line)


@dataclass
class SimRun:
    returncode: int
    stdout: str
    stderr: str
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.events = [parse(line) for line in self.stdout.splitlines() if line]

    def of(self, kind: str, *words: str) -> list[Event]:
        """Events of a kind whose leading words are ``words``."""
        n = len(words)
        return [e for e in self.events if e.kind == kind and tuple(e.words[:n]) == words]

    def one(self, kind: str, *words: str) -> Event:
        found = self.of(kind, *words)
        assert len(found) == 1, f"expected one '{kind} {' '.join(words)}', got {found}\n{self}"
        return found[0]

    def irp(self, name: str) -> Event:
        """The completion of the IRP named ``name``."""
        done = [e for e in self.of("irp", name) if "done" in e.words]
        assert len(done) == 1, f"IRP {name} completed {len(done)} times\n{self}"
        return done[0]

    def pending(self, name: str) -> bool:
        return any("pending" in e.words for e in self.of("irp", name))

    def received(self) -> list[Event]:
        return self.of("recv")

    @property
    def violation(self) -> str | None:
        lines = self.stdout.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("VIOLATION"):
                tail = [x for x in lines[i + 1 :] if x.startswith("  ")]
                return "\n".join([line, *tail])
        return None

    def __str__(self) -> str:
        return (
            f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr[-2000:]}"
        )


def ioctl(handle: str, code: int, inp: bytes = b"", out: int = 0, name: str = "") -> str:
    parts = ["ioctl", handle, f"0x{code:08X}"]
    if inp:
        parts.append(f"in={inp.hex()}")
    if out:
        parts.append(f"out={out}")
    if name:
        parts.append(f"name={name}")
    return " ".join(parts)


def media(handle: str, connected: bool, name: str = "") -> str:
    return ioctl(handle, core.SET_MEDIA_STATUS, u32(1 if connected else 0), name=name)


def send(*frames: bytes, options: str = "") -> str:
    return " ".join(["send", *(f.hex() for f in frames), *options.split()])


def setup(
    reg: Mapping[str, str | int] | None = None,
    svc: Mapping[str, int] | None = None,
    ndis: str | None = None,
    os_version: str | None = None,
    init: bool = True,
) -> list[str]:
    """Script lines that load the driver and initialize one adapter (GUID) with registry
    values (str: REG_SZ, int: REG_DWORD) of the adapter key and the service key."""
    lines = []
    if ndis:
        lines.append(f"set ndis {ndis}")
    if os_version:
        lines.append(f"set os {os_version}")
    values: dict[str, str | int] = {"NetCfgInstanceId": GUID, **(reg or {})}
    for name, value in values.items():
        kind = "dword" if isinstance(value, int) else "sz"
        lines.append(f"reg {name} {kind} {value}")
    for name, dword in (svc or {}).items():
        lines.append(f"svc {name} dword {dword}")
    lines.append("load")
    if init:
        lines.append("init")
    return lines


def opened(handle: str = "h1", connect: bool = True, **kw: object) -> list[str]:
    """setup() plus an open handle, with the media connected."""
    lines = setup(**kw)  # type: ignore[arg-type]
    lines.append(f"open {handle}")
    if connect:
        lines.append(media(handle, True, name=f"{handle}.media"))
    return lines


def teardown(*handles: str) -> list[str]:
    return [*(f"close {h}" for h in handles), "halt", "unload"]


class Simulator:
    """tapsim.exe under wine: run(lines) checks a clean end, run(lines, check=False) not."""

    def __init__(self, wine: Wine, exe: Path) -> None:
        self.wine = wine
        self.exe = exe

    def run(self, lines: Iterable[str], check: bool = True) -> SimRun:
        script = ("\n".join(lines) + "\n").encode()
        code, out, err = self.wine.run([str(self.exe)], stdin=script, speaks_first=True)
        result = SimRun(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        if check:
            assert result.returncode == 0 and result.violation is None, str(result)
            assert result.events and result.events[-1].kind == "end", str(result)
        return result


def frames_of(events: Iterable[Event]) -> Iterator[bytes]:
    for e in events:
        yield e.data()
