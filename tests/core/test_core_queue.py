"""The queue toward user space: bounded, byte-accounted, flow control at the threshold."""

from __future__ import annotations

import packets as P
import tapcore_ffi as ffi

OTHER = bytes.fromhex("020000000001")


def test_ring_size_limits(lib) -> None:
    assert ffi.Adapter(lib, ring_size=1518 + 4).init_status == ffi.SUCCESS
    assert ffi.Adapter(lib, ring_size=1518 + 3).init_status == ffi.INVALID_PARAMETER
    assert ffi.Adapter(lib, ring_size=0).init_status == ffi.INVALID_PARAMETER


def test_full_ring_drops_the_oldest_and_counts(make_adapter) -> None:
    ad = make_adapter(ring_size=4 * (1514 + 4)).start()
    frames = [P.ipv4_frame(OTHER, ad.mac, 1480)[:-1] + bytes([i]) for i in range(10)]
    for f in frames:
        assert ad.host_send(f).action == ffi.QUEUED
    assert ad.queued() == (4, 4 * 1514)
    assert ad.stats().tx_queue_dropped == 6
    assert [ad.read()[1] for _ in range(4)] == frames[6:]


def test_wraparound_with_mixed_sizes(make_adapter) -> None:
    ad = make_adapter(ring_size=5000).start()
    sent: list[bytes] = []
    got: list[bytes] = []
    for i in range(2000):
        f = P.ipv4_frame(OTHER, ad.mac, (i * 37) % 1480)
        assert ad.host_send(f).action == ffi.QUEUED
        sent.append(f)
        if i % 3 == 2:
            while (r := ad.read())[0] == ffi.SUCCESS:
                got.append(r[1])
    while (r := ad.read())[0] == ffi.SUCCESS:
        got.append(r[1])
    dropped = ad.stats().tx_queue_dropped
    assert len(got) + dropped == len(sent)
    # What was read is in order, a subsequence of what was sent, ending with the last frame.
    it = iter(sent)
    assert all(any(g == s for s in it) for g in got)
    assert got[-1] == sent[-1]


def test_flow_control_threshold(make_adapter) -> None:
    ad = make_adapter(ring_size=64 * 1024, flow_threshold=10 * 1514).start()
    frame = P.ipv4_frame(OTHER, ad.mac, 1480)
    for _ in range(10):
        ad.host_send(frame)
    assert not ad.flow_held()  # exactly at the threshold
    ad.host_send(frame)
    assert ad.flow_held() and ad.stats().flow_holds == 1
    ad.events()
    ad.read()
    assert not ad.flow_held()
    assert ad.events() & ffi.EV_FLOW_RESUME


def test_default_threshold_is_4_mib(make_adapter) -> None:
    ad = make_adapter(ring_size=5 * 1024 * 1024).start()
    frame = P.ipv4_frame(OTHER, ad.mac, 1480)
    n = 0
    while not ad.flow_held():
        assert ad.host_send(frame).action == ffi.QUEUED
        n += 1
    assert ad.queued()[1] > 4 * 1024 * 1024 >= (n - 1) * len(frame)
    assert ad.stats().tx_queue_dropped == 0


def test_close_drops_the_queue_and_cancels_reads(tap) -> None:
    tap.host_send(P.ipv4_frame(OTHER, tap.mac, 10))
    tap.events()
    tap.close()
    assert tap.queued() == (0, 0)
    assert tap.events() & ffi.EV_CANCEL_READS
