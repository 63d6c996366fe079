"""Random but reproducible interleavings of what an application, the host stack and NDIS do
(opens, reads, writes, cancels, IOCTLs, sends at both IRQLs, pauses, power changes, NDIS
holding packets, halts and re-initializations). Each run must end without a violation, with
every IRP completed exactly once and every sent list completed (the simulator checks the rest:
ownership, IRQL, locks, leaks at every halt and at unload)."""

from __future__ import annotations

import random

import pytest
from simrun import PERMANENT_MAC, SimRun, Simulator, core, ioctl, ip, media, packets, send, setup
from simrun import u32 as le32

pytestmark = [pytest.mark.tool("wine")]

REMOTE = bytes.fromhex("020000000001")
PEER = PERMANENT_MAC[:2] + bytes([PERMANENT_MAC[2] + 1]) + PERMANENT_MAC[3:]
OID_PNP_SET_POWER = 0xFD010101


class Script:
    """A command sequence that keeps to what the system allows (NDIS never sends to a paused
    adapter, applications only use handles they hold, and so on)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines = [
            *(["set return sync"] if self.rng.random() < 0.4 else []),
            *(["set return-irql passive"] if self.rng.random() < 0.3 else []),
            *setup(reg={"MediaStatus": self.rng.choice(["0", "1"])}),
        ]
        self.adapter = True  # initialized
        self.running = True
        self.powered = True
        self.handles: list[str] = []  # open, on this adapter's device or a halted one's
        self.current: str | None = None  # the open handle on this adapter's device
        self.reads: list[str] = []
        self.serial = 0

    def name(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def frame(self) -> bytes:
        kind = self.rng.randrange(4)
        size = self.rng.choice([1, 46, 100, 700, 1480])
        if kind == 0:
            return bytes(packets.ipv4_frame(REMOTE, PERMANENT_MAC, payload_len=size))
        if kind == 1:
            return bytes(packets.ipv4_frame(PEER, PERMANENT_MAC, payload_len=size))
        if kind == 2:
            return bytes(packets.arp_request(PERMANENT_MAC, "10.8.0.2", "10.8.0.1"))
        return bytes(packets.dhcp(PERMANENT_MAC, self.rng.choice(["discover", "request"])))

    def step(self) -> None:
        rng = self.rng
        choices = ["send", "noise"]
        if self.adapter:
            choices += ["open", "oid", "hold", "hang"]
            choices += ["pause"] if self.running else ["restart"]
            choices += ["halt"] * (1 if rng.random() < 0.15 else 0)
        else:
            choices += ["init"] * 4
        if self.handles:
            choices += ["read", "read", "write", "ioctl", "media", "close", "cancel"]
        what = rng.choice(choices)
        h = rng.choice(self.handles) if self.handles else ""
        if what == "send" and self.running:
            frames = [self.frame() for _ in range(rng.randint(1, 4))]
            options = " ".join(
                o for o in ("dispatch", "split=37", "one-nbl", "unmapped") if rng.random() < 0.3
            )
            self.lines.append(send(*frames, options=options))
        elif what == "open":
            name = self.name("h")
            self.lines.append(f"open {name}")
            if self.current is None:  # else refused: one handle at a time
                self.handles.append(name)
                self.current = name
        elif what == "read":
            name = self.name("r")
            if rng.random() < 0.1:  # cancelled on another processor as it is queued
                self.lines.append(f"race-cancel {name} insert")
            self.lines.append(f"read {h} {rng.choice([20, 100, 2000])} {name}")
            self.reads.append(name)
        elif what == "write":
            frame = packets.ipv4_frame(PERMANENT_MAC, REMOTE, payload_len=rng.choice([1, 64, 900]))
            if rng.random() < 0.3:
                frame = packets.tagged(frame, prio=rng.randrange(8), vlan=rng.randrange(4096))
            self.lines.append(f"write {h} {frame.hex()}")
        elif what == "ioctl":
            self.lines.append(
                rng.choice([
                    ioctl(h, core.GET_MAC, out=6),
                    ioctl(h, core.GET_INFO, out=256),
                    ioctl(h, core.CONFIG_TUN, ip("10.8.0.2") + ip("10.8.0.0") + ip("255.255.255.0")),
                    ioctl(h, core.CONFIG_DHCP_MASQ,
                          ip("10.8.0.2") + ip("255.255.255.0") + ip("10.8.0.1") + le32(60)),
                    ioctl(h, core.PRIORITY_BEHAVIOR, le32(rng.randrange(3))),
                ])
            )  # fmt: skip
        elif what == "media":
            self.lines.append(media(h, rng.random() < 0.7))
        elif what == "close":
            self.lines.append(f"close {h}")
            self.handles.remove(h)
            if h == self.current:
                self.current = None
        elif what == "cancel" and self.reads:
            if rng.random() < 0.5:
                self.lines.append(f"cancel {rng.choice(self.reads)}")
            else:  # cancelled on another processor as the read service takes it
                self.lines.append(f"race-cancel {rng.choice(self.reads)} remove")
        elif what == "pause":
            self.lines.append("pause")
            self.running = False
        elif what == "restart":
            self.lines.append("restart")
            self.running = True
        elif what == "oid":
            state = 4 if self.powered else 1
            self.lines.append(f"oid set 0x{OID_PNP_SET_POWER:08X} {le32(state).hex()}")
            self.powered = not self.powered
        elif what == "hold":
            self.lines.append(rng.choice(["hold on", "hold off", "return"]))
        elif what == "hang":
            self.lines.append("hang-check")
        elif what == "halt":
            self.lines.append("halt")
            self.adapter = self.running = False
            self.current = None  # its handle stays open on the detached device
            self.powered = True
        elif what == "init":
            self.lines.append("init")
            self.adapter = self.running = True
        else:
            self.lines.append("advance 10")

    def finish(self) -> list[str]:
        end = [f"close {h}" for h in self.handles]
        end += ["hold off", "return", *(["halt"] if self.adapter else []), "unload"]
        return self.lines + end


def check(run: SimRun) -> None:
    issued = {e.words[0] for e in run.of("irp")}
    for name in issued:
        run.irp(name)  # exactly one completion each
    sends = {e.int("id") for e in run.of("send") if "id" in e.fields}
    assert sends == {e.int("id") for e in run.of("send-complete")}


@pytest.mark.parametrize("seed", range(24))
def test_random_sequence(sim: Simulator, seed: int) -> None:
    script = Script(seed)
    for _ in range(80):
        script.step()
    check(sim.run(["set data-limit 0", *script.finish()]))


@pytest.mark.parametrize("seed", range(100, 108))
def test_random_sequence_debug_build(sim_debug: Simulator, seed: int) -> None:
    """The debug build (-O0, the debug log on) under the same interleavings."""
    script = Script(seed)
    for _ in range(80):
        script.step()
    check(sim_debug.run(["set data-limit 0", *script.finish()]))
