/*
 * tapc_ioctl.c - the eleven TAP_WIN_IOCTL_* requests and GET_INFO's status line.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_product.h"
#include "tapcore.h"

static uint32_t get_host32(const uint8_t *p)
{
    uint32_t v;
    tapc_memcpy(&v, p, 4); /* ULONGs other than IPv4 addresses are in host order */
    return v;
}

static void put_host32(uint8_t *p, uint32_t v)
{
    tapc_memcpy(p, &v, 4);
}

static const char *yes_no(bool v)
{
    return v ? "yes" : "no";
}

size_t tapc_info_text(const tapc_adapter *ad, char *out, size_t cap)
{
    tapc_text t;

    tapc_text_init(&t, out, cap);
    tapc_text_str(&t, "State=");
    tapc_text_str(&t, ad->open ? "open" : "closed");
    tapc_text_str(&t, ad->media_connected ? ",connected" : ",disconnected");
    tapc_text_str(&t, ad->paused ? ",paused" : ",running");
    tapc_text_str(&t, ad->powered ? ",D0" : ",D3");
    tapc_text_str(&t, " Mode=");
    tapc_text_str(&t, ad->tun.enabled ? "tun" : "tap");
    tapc_text_str(&t, " MTU=");
    tapc_text_u64(&t, ad->mtu);
    tapc_text_str(&t, " MAC=");
    tapc_text_mac(&t, ad->mac);
    tapc_text_str(&t, " DHCP=");
    tapc_text_str(&t, yes_no(ad->dhcp.enabled));
    tapc_text_str(&t, " Prio=");
    tapc_text_u64(&t, ad->priority_behavior);
    tapc_text_str(&t, " Q=[");
    tapc_text_u64(&t, ad->queue.frames);
    tapc_text_str(&t, ",");
    tapc_text_u64(&t, ad->queue.bytes);
    tapc_text_str(&t, ad->flow_held ? ",held]" : "]");
    tapc_text_str(&t, " Tx=");
    tapc_text_u64(&t, ad->stats.tx.directed_frames + ad->stats.tx.multicast_frames +
                          ad->stats.tx.broadcast_frames);
    tapc_text_str(&t, " Rx=");
    tapc_text_u64(&t, ad->stats.rx.directed_frames + ad->stats.rx.multicast_frames +
                          ad->stats.rx.broadcast_frames);
    tapc_text_str(&t, " Drop=");
    tapc_text_u64(&t, ad->stats.tx_dropped + ad->stats.tx_queue_dropped);
    tapc_text_str(&t, " RxDrop=");
    tapc_text_u64(&t, ad->stats.rx_paused_drops);
    tapc_text_str(&t, " Err=");
    tapc_text_u64(&t, ad->stats.rx_errors);
    if (t.overflow)
        return 0;
    return t.len + 1;
}

/*
 * A configuration IOCTL succeeded: 1 byte returned, as 9.x reports (a "boolean"). With
 * METHOD_BUFFERED the I/O manager copies that byte from the system buffer, which holds the
 * caller's input: out[0] gets the first input byte (0 without input, so no stale byte leaves
 * the driver); when in and out are the one system buffer this changes nothing. No output
 * buffer: nothing is copied, the count is still 1.
 */
static tapc_status config_done(const uint8_t *ip, size_t in_len, uint8_t *op, size_t out_len,
                               size_t *out_written)
{
    if (out_len >= 1)
        op[0] = in_len >= 1 ? ip[0] : 0u;
    *out_written = 1;
    return TAPC_STATUS_SUCCESS;
}

tapc_status tapc_ioctl(tapc_adapter *ad, uint32_t flags, uint32_t code, const void *in,
                       size_t in_len, void *out, size_t out_len, size_t *out_written)
{
    const uint8_t *ip = (const uint8_t *)in;
    uint8_t *op = (uint8_t *)out;
    uint32_t a;
    uint32_t b;
    uint32_t c;
    uint32_t d;

    *out_written = 0;
    if (ip == NULL)
        in_len = 0;
    if (op == NULL)
        out_len = 0;
    if ((flags & TAPC_IOCTL_DIAG) != 0 && code != TAP_WIN_IOCTL_SET_MEDIA_STATUS &&
        code != TAP_WIN_IOCTL_PRIORITY_BEHAVIOR)
        return TAPC_STATUS_INVALID_DEVICE_REQUEST;

    switch (code) {
    case TAP_WIN_IOCTL_GET_MAC:
        if (out_len < 6)
            return TAPC_STATUS_BUFFER_TOO_SMALL;
        tapc_memcpy(op, ad->mac, 6);
        *out_written = 6;
        return TAPC_STATUS_SUCCESS;

    case TAP_WIN_IOCTL_GET_VERSION:
        if (out_len < 12)
            return TAPC_STATUS_BUFFER_TOO_SMALL;
        put_host32(op, TAP_DRIVER_MAJOR_VERSION);
        put_host32(op + 4, TAP_DRIVER_MINOR_VERSION);
        put_host32(op + 8, TAP_DEBUG ? 1u : 0u);
        *out_written = 12;
        return TAPC_STATUS_SUCCESS;

    case TAP_WIN_IOCTL_GET_MTU:
        if (out_len < 4)
            return TAPC_STATUS_BUFFER_TOO_SMALL;
        put_host32(op, ad->mtu);
        *out_written = 4;
        return TAPC_STATUS_SUCCESS;

    case TAP_WIN_IOCTL_GET_INFO: {
        char text[TAPC_INFO_MAX];
        size_t n = tapc_info_text(ad, text, sizeof text);
        if (n == 0 || out_len < n)
            return TAPC_STATUS_BUFFER_TOO_SMALL;
        tapc_memcpy(op, text, n);
        *out_written = n;
        return TAPC_STATUS_SUCCESS;
    }

    case TAP_WIN_IOCTL_CONFIG_POINT_TO_POINT:
        if (in_len < 8)
            return TAPC_STATUS_INVALID_PARAMETER; /* as 9.x */
        a = tapc_get32(ip);
        b = tapc_get32(ip + 4);
        ad->tun.enabled = true;
        ad->tun.local_ip = a;
        ad->tun.remote_net = b;
        ad->tun.remote_mask = 0xFFFFFFFFu;
        tapc_logf(ad, "point-to-point local=%I remote=%I", a, b, 0, 0);
        return config_done(ip, in_len, op, out_len, out_written);

    case TAP_WIN_IOCTL_SET_MEDIA_STATUS:
        if (in_len < 4)
            return TAPC_STATUS_INVALID_PARAMETER; /* as 9.x */
        /* The whole ULONG: any non-zero value connects. "Always Connected" (MediaStatus=1)
         * ignores a disconnect, as 9.x does. */
        a = get_host32(ip);
        if (a != 0 || !ad->media_always_connected)
            tapc_set_media(ad, a != 0);
        return config_done(ip, in_len, op, out_len, out_written);

    case TAP_WIN_IOCTL_CONFIG_DHCP_MASQ:
        if (in_len < 16)
            return TAPC_STATUS_INVALID_PARAMETER; /* as 9.x */
        a = tapc_get32(ip);
        b = tapc_get32(ip + 4);
        c = tapc_get32(ip + 8);
        d = get_host32(ip + 12);
        if (!tapc_dhcp_configure(&ad->dhcp, a, b, c, d)) {
            tapc_logf(ad, "dhcp-masq refused: ip=%I mask=%I server=%I lease=%u", a, b, c, d);
            return TAPC_STATUS_INVALID_PARAMETER;
        }
        tapc_logf(ad, "dhcp-masq ip=%I mask=%I server=%I lease=%u", a, b, c, d);
        return config_done(ip, in_len, op, out_len, out_written);

    case TAP_WIN_IOCTL_GET_LOG_LINE:
#if TAP_DEBUG
        if (tapc_log_peek(&ad->log) == 0)
            return TAPC_STATUS_NO_MORE_ENTRIES;
        if (!tapc_log_pop(&ad->log, (char *)op, out_len, out_written))
            return TAPC_STATUS_BUFFER_TOO_SMALL;
        return TAPC_STATUS_SUCCESS;
#else
        return TAPC_STATUS_INVALID_DEVICE_REQUEST;
#endif

    case TAP_WIN_IOCTL_CONFIG_DHCP_SET_OPT:
        /* Too long, or before CONFIG_DHCP_MASQ: invalid parameter, as 9.x. */
        if (in_len > TAPC_DHCP_USER_OPTIONS_MAX || !ad->dhcp.enabled)
            return TAPC_STATUS_INVALID_PARAMETER;
        tapc_dhcp_set_options(&ad->dhcp, ip, in_len);
        tapc_logf(ad, "dhcp-set-opt %u bytes", (uint32_t)in_len, 0, 0, 0);
        return config_done(ip, in_len, op, out_len, out_written);

    case TAP_WIN_IOCTL_CONFIG_TUN:
        if (in_len < 12)
            return TAPC_STATUS_INVALID_PARAMETER; /* as 9.x */
        a = tapc_get32(ip);
        b = tapc_get32(ip + 4);
        c = tapc_get32(ip + 8);
        if ((b & c) != b) {
            tapc_logf(ad, "tun refused: network %I is not within mask %I", b, c, 0, 0);
            return TAPC_STATUS_INVALID_PARAMETER;
        }
        ad->tun.enabled = true;
        ad->tun.local_ip = a;
        ad->tun.remote_net = b;
        ad->tun.remote_mask = c;
        tapc_logf(ad, "tun local=%I network=%I mask=%I", a, b, c, 0);
        return config_done(ip, in_len, op, out_len, out_written);

    case TAP_WIN_IOCTL_PRIORITY_BEHAVIOR:
        if (in_len < 4)
            return TAPC_STATUS_INVALID_PARAMETER; /* as 9.x */
        a = get_host32(ip);
        if (a > TAP_PRIORITY_BEHAVIOR_MAX)
            return TAPC_STATUS_INVALID_PARAMETER;
        ad->priority_behavior = a;
        tapc_logf(ad, "priority behavior %u", a, 0, 0, 0);
        return config_done(ip, in_len, op, out_len, out_written);

    default:
        return TAPC_STATUS_INVALID_DEVICE_REQUEST;
    }
}
