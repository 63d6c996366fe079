"""Adapter state rules: open, close, media, pause, power decide reads, writes and sends."""

from __future__ import annotations

import packets as P
import pytest
import tapcore_ffi as ffi

OTHER = bytes.fromhex("020000000001")


def test_initial_state(make_adapter) -> None:
    ad = make_adapter()
    assert not ad.media()
    assert ad.info().startswith("State=closed,disconnected,paused,D0")
    assert make_adapter(always_connected=True).media()


def test_second_open_fails(make_adapter) -> None:
    ad = make_adapter()
    assert ad.open() == ffi.SUCCESS
    assert ad.open() == ffi.UNSUCCESSFUL  # as 9.x
    ad.close()
    assert ad.open() == ffi.SUCCESS


def test_sends_without_an_open_handle_succeed_and_drop(make_adapter) -> None:
    ad = make_adapter(always_connected=True)
    ad.set_paused(False)
    assert ad.host_send(P.ipv4_frame(OTHER, ad.mac)).action == ffi.DROP_NOT_OPEN
    assert ad.queued() == (0, 0) and ad.stats().tx_dropped == 1


@pytest.mark.parametrize(
    ("change", "send", "io"),
    [
        (lambda a: a.set_paused(True), ffi.DROP_PAUSED, "write-only"),
        (lambda a: a.set_power(False), ffi.DROP_LOW_POWER, "both"),
        (lambda a: a.set_media(False), ffi.DROP_MEDIA, "both"),
    ],
)
def test_state_blocks_sends_reads_writes(tap, change, send, io) -> None:
    frame = P.ipv4_frame(OTHER, tap.mac, 10)
    tap.host_send(frame)
    change(tap)
    assert tap.host_send(frame).action == send
    st_w, out, _ = tap.write(frame)
    st_r = tap.read()[0]
    if io == "both":
        assert (st_w, st_r) == (ffi.CANCELLED, ffi.CANCELLED)
    else:
        assert (st_w, out) == (ffi.SUCCESS, b"")  # paused: accepted and dropped, as 9.x
        assert tap.stats().rx_paused_drops == 1
        assert st_r == ffi.SUCCESS  # queued frames stay readable while paused


def test_reads_and_writes_cancelled_when_closed(make_adapter) -> None:
    ad = make_adapter(always_connected=True)
    ad.set_paused(False)
    assert ad.read()[0] == ffi.CANCELLED
    assert ad.write(P.ipv4_frame(OTHER, ad.mac))[0] == ffi.CANCELLED


def test_close_disconnects_unless_always_connected(make_adapter) -> None:
    ad = make_adapter().start()
    ad.close()
    assert not ad.media() and ad.events() & ffi.EV_MEDIA_CHANGED
    ad2 = make_adapter(always_connected=True).start()
    ad2.close()
    assert ad2.media() and not ad2.events() & ffi.EV_MEDIA_CHANGED


def test_open_resets_tun_and_dhcp_but_not_priority(tap) -> None:
    tap.ioctl(ffi.CONFIG_TUN, bytes([10, 0, 0, 1, 10, 0, 0, 0, 255, 0, 0, 0]))
    tap.ioctl(ffi.CONFIG_DHCP_MASQ, bytes([10, 0, 0, 2, 255, 0, 0, 0, 10, 0, 0, 1, 60, 0, 0, 0]))
    tap.ioctl(ffi.PRIORITY_BEHAVIOR, b"\2\0\0\0")
    assert "Mode=tun" in tap.info() and "DHCP=yes" in tap.info()
    tap.close()
    assert "Mode=tap" in tap.info() and "DHCP=no" in tap.info()
    tap.ioctl(ffi.CONFIG_TUN, bytes([10, 0, 0, 1, 10, 0, 0, 0, 255, 0, 0, 0]))
    tap.open()
    info = tap.info()
    assert "Mode=tap" in info and "DHCP=no" in info and "Prio=2" in info


def test_media_events(make_adapter) -> None:
    ad = make_adapter()
    ad.set_media(True)
    assert ad.events() == ffi.EV_MEDIA_CHANGED
    ad.set_media(True)
    assert ad.events() == 0
