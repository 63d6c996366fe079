"""The eleven IOCTLs: codes, buffer sizes, statuses, effects (driver-interface.md, IOCTLs)."""

from __future__ import annotations

import ctypes
import socket
import struct

import pytest
import tapcore_ffi as ffi
from tapbuild.product import versioninfo


def ip(text: str) -> bytes:
    return socket.inet_aton(text)


def test_codes_match_the_interface_table() -> None:
    expected = {
        ffi.GET_MAC: 0x220004,
        ffi.GET_VERSION: 0x220008,
        ffi.GET_MTU: 0x22000C,
        ffi.GET_INFO: 0x220010,
        ffi.CONFIG_POINT_TO_POINT: 0x220014,
        ffi.SET_MEDIA_STATUS: 0x220018,
        ffi.CONFIG_DHCP_MASQ: 0x22001C,
        ffi.GET_LOG_LINE: 0x220020,
        ffi.CONFIG_DHCP_SET_OPT: 0x220024,
        ffi.CONFIG_TUN: 0x220028,
        ffi.PRIORITY_BEHAVIOR: 0x22002C,
    }
    for code, value in expected.items():
        assert code == value


@pytest.mark.parametrize("alias", [False, True])
def test_get_mac(make_adapter, alias: bool) -> None:
    ad = make_adapter(mac="02:11:22:33:44:55", permanent="00:ff:aa:bb:cc:dd")
    assert ad.ioctl(ffi.GET_MAC, out_len=6, alias=alias) == (ffi.SUCCESS, ad.mac)
    assert ad.ioctl(ffi.GET_MAC, out_len=64, alias=alias) == (ffi.SUCCESS, ad.mac)
    assert ad.ioctl(ffi.GET_MAC, out_len=5, alias=alias) == (ffi.BUFFER_TOO_SMALL, b"")
    assert ad.ioctl(ffi.GET_MAC, out_len=0) == (ffi.BUFFER_TOO_SMALL, b"")


def test_get_version_reports_version_py(core_libs) -> None:
    product = versioninfo.load()
    for name, debug in (("release", 0), ("debug", 1)):
        ad = ffi.Adapter(core_libs[name])
        st, out = ad.ioctl(ffi.GET_VERSION, out_len=12)
        assert st == ffi.SUCCESS
        assert struct.unpack("<3I", out) == (
            product.PRODUCT_TAP_WIN_MAJOR,
            product.PRODUCT_TAP_WIN_MINOR,
            debug,
        )
        assert ad.ioctl(ffi.GET_VERSION, out_len=11) == (ffi.BUFFER_TOO_SMALL, b"")


@pytest.mark.parametrize(
    ("registry", "reported"),
    [(1500, 1500), (1400, 1400), (100, 100), (99, 1500), (1501, 1500), (0, 1500)],
)
def test_get_mtu_follows_the_registry(make_adapter, registry: int, reported: int) -> None:
    ad = make_adapter(mtu=registry)
    assert ad.ioctl(ffi.GET_MTU, out_len=4) == (ffi.SUCCESS, struct.pack("<I", reported))
    assert ad.ioctl(ffi.GET_MTU, out_len=3)[0] == ffi.BUFFER_TOO_SMALL


def test_get_info_returns_a_status_line(make_adapter) -> None:
    ad = make_adapter()
    st, out = ad.ioctl(ffi.GET_INFO, out_len=256)
    assert st == ffi.SUCCESS  # upstream always failed
    assert out.endswith(b"\0") and out.count(b"\0") == 1
    text = out[:-1].decode("ascii")
    assert text.startswith("State=closed,disconnected,paused,D0 Mode=tap MTU=1500")
    assert "MAC=00:ff:12:34:56:78" in text
    ad.start()
    assert ad.ioctl(ffi.CONFIG_TUN, ip("10.0.0.1") + ip("10.0.0.0") + ip("255.255.255.0"))[0] == 0
    out = ad.ioctl(ffi.GET_INFO, out_len=256)[1]
    assert "State=open,connected,running,D0 Mode=tun" in out.decode()
    assert ad.ioctl(ffi.GET_INFO, out_len=len(out)) == (ffi.SUCCESS, out)
    assert ad.ioctl(ffi.GET_INFO, out_len=len(out) - 1) == (ffi.BUFFER_TOO_SMALL, b"")
    st, out2 = ad.ioctl(ffi.GET_INFO, out_len=256, alias=True)
    assert st == ffi.SUCCESS and out2.decode().startswith("State=open")


def test_get_info_fits_256_bytes_with_huge_counters(make_adapter) -> None:
    ad = make_adapter()
    stats = ad.lib.tapc_get_stats(ad.mem)
    for part in (stats.contents.tx, stats.contents.rx):
        for name, _ in ffi._COUNT_FIELDS:
            setattr(part, name, 2**62)
    stats.contents.tx_dropped = 2**64 - 1
    stats.contents.rx_errors = 2**64 - 1
    st, out = ad.ioctl(ffi.GET_INFO, out_len=256)
    assert st == ffi.SUCCESS and len(out) <= 256
    assert b"Err=18446744073709551615\0" in out


def test_point_to_point_sets_tun_mode(tap) -> None:
    st, out = tap.ioctl(ffi.CONFIG_POINT_TO_POINT, ip("10.8.0.6") + ip("10.8.0.5"), alias=True)
    assert (st, out, tap.returned) == (ffi.SUCCESS, b"", 1)  # no output buffer: nothing copied
    assert "Mode=tun" in tap.info()
    assert tap.ioctl(ffi.CONFIG_POINT_TO_POINT, b"\0" * 7)[0] == ffi.INVALID_PARAMETER


def test_set_media_status(make_adapter) -> None:
    ad = make_adapter()
    assert not ad.media()
    assert ad.ioctl(ffi.SET_MEDIA_STATUS, struct.pack("<I", 1)) == (ffi.SUCCESS, b"")
    assert ad.returned == 1
    assert ad.media() and ad.events() & ffi.EV_MEDIA_CHANGED
    assert ad.ioctl(ffi.SET_MEDIA_STATUS, struct.pack("<I", 0x100))[0] == ffi.SUCCESS
    assert ad.media() and ad.events() == 0  # still connected: no indication
    assert ad.ioctl(ffi.SET_MEDIA_STATUS, struct.pack("<I", 0), alias=True)[0] == ffi.SUCCESS
    assert not ad.media() and ad.events() == ffi.EV_MEDIA_CHANGED
    assert ad.ioctl(ffi.SET_MEDIA_STATUS, b"\1\0\0")[0] == ffi.INVALID_PARAMETER
    assert not ad.media()


def test_dhcp_masq_validation(tap) -> None:
    good = ip("10.3.0.2") + ip("255.255.255.0") + ip("10.3.0.1") + struct.pack("<I", 3600)
    assert tap.ioctl(ffi.CONFIG_DHCP_MASQ, good, alias=True) == (ffi.SUCCESS, b"")
    assert "DHCP=yes" in tap.info()
    assert tap.ioctl(ffi.CONFIG_DHCP_MASQ, good[:15])[0] == ffi.INVALID_PARAMETER
    for i in range(4):
        bad = good[: 4 * i] + b"\0\0\0\0" + good[4 * i + 4 :]
        assert tap.ioctl(ffi.CONFIG_DHCP_MASQ, bad)[0] == ffi.INVALID_PARAMETER
        assert "DHCP=no" in tap.info()


def test_dhcp_set_opt_requires_masq_and_limits_256(tap) -> None:
    assert tap.ioctl(ffi.CONFIG_DHCP_SET_OPT, b"\x06\x04\x08\x08\x08\x08")[0] == (
        ffi.INVALID_PARAMETER  # as 9.x
    )
    masq = ip("10.3.0.2") + ip("255.255.255.0") + ip("10.3.0.1") + struct.pack("<I", 60)
    assert tap.ioctl(ffi.CONFIG_DHCP_MASQ, masq)[0] == ffi.SUCCESS
    assert tap.ioctl(ffi.CONFIG_DHCP_SET_OPT, b"\0" * 256, alias=True)[0] == ffi.SUCCESS
    assert tap.ioctl(ffi.CONFIG_DHCP_SET_OPT, b"\0" * 257)[0] == ffi.INVALID_PARAMETER
    assert tap.ioctl(ffi.CONFIG_DHCP_SET_OPT, b"")[0] == ffi.SUCCESS


def test_config_tun_checks_network_within_mask(tap) -> None:
    ok = ip("10.0.0.1") + ip("10.0.0.0") + ip("255.255.255.0")
    assert tap.ioctl(ffi.CONFIG_TUN, ok, alias=True) == (ffi.SUCCESS, b"")
    bad = ip("10.0.0.1") + ip("10.0.0.1") + ip("255.255.255.0")
    assert tap.ioctl(ffi.CONFIG_TUN, bad)[0] == ffi.INVALID_PARAMETER
    assert tap.ioctl(ffi.CONFIG_TUN, ok[:11])[0] == ffi.INVALID_PARAMETER


def test_priority_behavior_values(tap) -> None:
    for v in (0, 1, 2):
        assert tap.ioctl(ffi.PRIORITY_BEHAVIOR, struct.pack("<I", v)) == (ffi.SUCCESS, b"")
        assert f"Prio={v}" in tap.info()
    assert tap.ioctl(ffi.PRIORITY_BEHAVIOR, struct.pack("<I", 3))[0] == ffi.INVALID_PARAMETER
    assert tap.ioctl(ffi.PRIORITY_BEHAVIOR, b"\1\0")[0] == ffi.INVALID_PARAMETER
    assert "Prio=2" in tap.info()


@pytest.mark.parametrize(
    "code", [0, 0x220000, 0x220030, 0x22004C, 0x220005, 0x120004, 0xFFFFFFFF, ffi.ctl_code(12)]
)
def test_unknown_codes_are_invalid_device_requests(tap, code: int) -> None:
    assert tap.ioctl(code, b"\0" * 64, out_len=64) == (ffi.INVALID_DEVICE_REQUEST, b"")


def test_diag_device_accepts_only_media_and_priority(tap) -> None:
    allowed = {ffi.SET_MEDIA_STATUS: struct.pack("<I", 1), ffi.PRIORITY_BEHAVIOR: b"\1\0\0\0"}
    for n in range(1, 12):
        code = ffi.ctl_code(n)
        st, _ = tap.ioctl(code, allowed.get(code, b"\0" * 16), out_len=64, flags=ffi.IOCTL_DIAG)
        if code in allowed:
            assert st == ffi.SUCCESS
        else:
            assert st == ffi.INVALID_DEVICE_REQUEST


def test_get_log_line_release_vs_debug(core_libs) -> None:
    rel = ffi.Adapter(core_libs["release"])
    assert rel.ioctl(ffi.GET_LOG_LINE, out_len=256)[0] == ffi.INVALID_DEVICE_REQUEST
    dbg = ffi.Adapter(core_libs["debug"]).start()
    dbg.ioctl(ffi.CONFIG_TUN, ip("10.0.0.1") + ip("10.0.0.0") + ip("255.255.255.0"))
    lines = []
    while True:
        st, out = dbg.ioctl(ffi.GET_LOG_LINE, out_len=256)
        if st == ffi.NO_MORE_ENTRIES:
            break
        assert st == ffi.SUCCESS and out.endswith(b"\0")
        lines.append(out[:-1].decode())
    assert lines[0].startswith("0 init mtu=1500")
    assert any("tun local=10.0.0.1 network=10.0.0.0 mask=255.255.255.0" in x for x in lines)
    # A too-small buffer keeps the line.
    dbg.close()
    assert dbg.ioctl(ffi.GET_LOG_LINE, out_len=3)[0] == ffi.BUFFER_TOO_SMALL
    st, out = dbg.ioctl(ffi.GET_LOG_LINE, out_len=256, alias=True)
    assert st == ffi.SUCCESS and out.endswith(b" media 0\0")
    assert dbg.ioctl(ffi.GET_LOG_LINE, out_len=96)[1].endswith(b" close\0")


def test_debug_log_keeps_the_newest_lines(core_libs) -> None:
    dbg = ffi.Adapter(core_libs["debug"])
    for v in range(100):
        dbg.ioctl(ffi.PRIORITY_BEHAVIOR, struct.pack("<I", v % 3))
    got = []
    while (r := dbg.ioctl(ffi.GET_LOG_LINE, out_len=96))[0] == ffi.SUCCESS:
        got.append(r[1])
    assert len(got) == 32
    assert got[-1].startswith(b"100 priority behavior 0")


def test_null_buffers_are_refused_cleanly(tap) -> None:
    n = ctypes.c_size_t(7)
    st = tap.lib.tapc_ioctl(tap.mem, 0, ffi.GET_MAC, None, 100, None, 100, ctypes.byref(n))
    assert (st, n.value) == (ffi.BUFFER_TOO_SMALL, 0)
    st = tap.lib.tapc_ioctl(tap.mem, 0, ffi.CONFIG_TUN, None, 100, None, 0, ctypes.byref(n))
    assert st == ffi.INVALID_PARAMETER
