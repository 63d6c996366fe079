/*
 * tapc_ndis.c - OID queries and sets, the receive packet filter, send completion status.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_ndis.h"
#include "tapc_product.h"

static const uint32_t oids[] = {
    TAPC_OID_GEN_HARDWARE_STATUS,
    TAPC_OID_GEN_MEDIA_SUPPORTED,
    TAPC_OID_GEN_MEDIA_IN_USE,
    TAPC_OID_GEN_MAXIMUM_LOOKAHEAD,
    TAPC_OID_GEN_MAXIMUM_FRAME_SIZE,
    TAPC_OID_GEN_LINK_SPEED,
    TAPC_OID_GEN_TRANSMIT_BUFFER_SPACE,
    TAPC_OID_GEN_RECEIVE_BUFFER_SPACE,
    TAPC_OID_GEN_TRANSMIT_BLOCK_SIZE,
    TAPC_OID_GEN_RECEIVE_BLOCK_SIZE,
    TAPC_OID_GEN_VENDOR_ID,
    TAPC_OID_GEN_VENDOR_DESCRIPTION,
    TAPC_OID_GEN_CURRENT_PACKET_FILTER,
    TAPC_OID_GEN_CURRENT_LOOKAHEAD,
    TAPC_OID_GEN_DRIVER_VERSION,
    TAPC_OID_GEN_MAXIMUM_TOTAL_SIZE,
    TAPC_OID_GEN_MAC_OPTIONS,
    TAPC_OID_GEN_MEDIA_CONNECT_STATUS,
    TAPC_OID_GEN_VENDOR_DRIVER_VERSION,
    TAPC_OID_GEN_PHYSICAL_MEDIUM,
    TAPC_OID_GEN_INTERRUPT_MODERATION,
    TAPC_OID_GEN_XMIT_OK,
    TAPC_OID_GEN_RCV_OK,
    TAPC_OID_GEN_XMIT_ERROR,
    TAPC_OID_GEN_RCV_ERROR,
    TAPC_OID_GEN_RCV_NO_BUFFER,
    TAPC_OID_GEN_RCV_DISCARDS,
    TAPC_OID_GEN_STATISTICS,
    TAPC_OID_GEN_DIRECTED_BYTES_XMIT,
    TAPC_OID_GEN_DIRECTED_FRAMES_XMIT,
    TAPC_OID_GEN_MULTICAST_BYTES_XMIT,
    TAPC_OID_GEN_MULTICAST_FRAMES_XMIT,
    TAPC_OID_GEN_BROADCAST_BYTES_XMIT,
    TAPC_OID_GEN_BROADCAST_FRAMES_XMIT,
    TAPC_OID_GEN_DIRECTED_BYTES_RCV,
    TAPC_OID_GEN_DIRECTED_FRAMES_RCV,
    TAPC_OID_GEN_MULTICAST_BYTES_RCV,
    TAPC_OID_GEN_MULTICAST_FRAMES_RCV,
    TAPC_OID_GEN_BROADCAST_BYTES_RCV,
    TAPC_OID_GEN_BROADCAST_FRAMES_RCV,
    TAPC_OID_802_3_PERMANENT_ADDRESS,
    TAPC_OID_802_3_CURRENT_ADDRESS,
    TAPC_OID_802_3_MULTICAST_LIST,
    TAPC_OID_802_3_MAXIMUM_LIST_SIZE,
    TAPC_OID_802_3_RCV_ERROR_ALIGNMENT,
    TAPC_OID_802_3_XMIT_ONE_COLLISION,
    TAPC_OID_802_3_XMIT_MORE_COLLISIONS,
    TAPC_OID_PNP_SET_POWER,
    TAPC_OID_PNP_QUERY_POWER,
};

void tapc_ndis_init(tapc_ndis *nd, uint16_t ndis_version)
{
    tapc_memset(nd, 0, sizeof *nd);
    nd->ndis_version = ndis_version;
    nd->lookahead = TAPC_LOOKAHEAD_MAX;
}

const uint32_t *tapc_ndis_oids(size_t *count)
{
    *count = sizeof oids / sizeof oids[0];
    return oids;
}

static uint64_t frames(const tapc_counts *c)
{
    return c->directed_frames + c->multicast_frames + c->broadcast_frames;
}

static uint64_t octets(const tapc_counts *c)
{
    return c->directed_bytes + c->multicast_bytes + c->broadcast_bytes;
}

static uint64_t out_discards(const tapc_stats *s)
{
    return s->tx_dropped + s->tx_queue_dropped;
}

/* Frames toward the host not indicated: no receive buffer, or written while paused. */
static uint64_t in_discards(const tapc_stats *s, const tapc_ndis *nd)
{
    return nd->rx_no_buffer + s->rx_paused_drops;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    tapc_memcpy(p, &v, 4); /* host order, as NDIS reads a ULONG */
}

static void put_u64(uint8_t *p, uint64_t v)
{
    tapc_memcpy(p, &v, 8);
}

static void statistics(const tapc_adapter *ad, const tapc_ndis *nd, uint8_t *out)
{
    const tapc_stats *s = tapc_get_stats(ad);
    uint64_t c[TAPC_STATISTICS_COUNTERS];
    unsigned i;

    c[TAPC_IF_IN_DISCARDS] = in_discards(s, nd);
    c[TAPC_IF_IN_ERRORS] = s->rx_errors;
    c[TAPC_IF_HC_IN_OCTETS] = octets(&s->rx);
    c[TAPC_IF_HC_IN_UCAST_PKTS] = s->rx.directed_frames;
    c[TAPC_IF_HC_IN_MULTICAST_PKTS] = s->rx.multicast_frames;
    c[TAPC_IF_HC_IN_BROADCAST_PKTS] = s->rx.broadcast_frames;
    c[TAPC_IF_HC_OUT_OCTETS] = octets(&s->tx);
    c[TAPC_IF_HC_OUT_UCAST_PKTS] = s->tx.directed_frames;
    c[TAPC_IF_HC_OUT_MULTICAST_PKTS] = s->tx.multicast_frames;
    c[TAPC_IF_HC_OUT_BROADCAST_PKTS] = s->tx.broadcast_frames;
    c[TAPC_IF_OUT_ERRORS] = 0;
    c[TAPC_IF_OUT_DISCARDS] = out_discards(s);
    c[TAPC_IF_HC_IN_UCAST_OCTETS] = s->rx.directed_bytes;
    c[TAPC_IF_HC_IN_MULTICAST_OCTETS] = s->rx.multicast_bytes;
    c[TAPC_IF_HC_IN_BROADCAST_OCTETS] = s->rx.broadcast_bytes;
    c[TAPC_IF_HC_OUT_UCAST_OCTETS] = s->tx.directed_bytes;
    c[TAPC_IF_HC_OUT_MULTICAST_OCTETS] = s->tx.multicast_bytes;
    c[TAPC_IF_HC_OUT_BROADCAST_OCTETS] = s->tx.broadcast_bytes;

    tapc_memset(out, 0, TAPC_STATISTICS_SIZE);
    out[0] = TAPC_OBJECT_TYPE_DEFAULT;
    out[1] = TAPC_STATISTICS_REVISION;
    out[2] = (uint8_t)TAPC_STATISTICS_SIZE; /* USHORT Size, little-endian like every Windows */
    out[3] = 0;
    put_u32(out + 4, TAPC_STATISTICS_VALID);
    for (i = 0; i < TAPC_STATISTICS_COUNTERS; i++)
        put_u64(out + TAPC_STATISTICS_COUNTER_OFFSET(i), c[i]);
}

/* A 64-bit counter in 8 bytes, or its low half when the caller offers exactly 4 to 7. */
static uint32_t counter(uint64_t v, uint8_t *out, size_t cap, size_t *written, size_t *needed)
{
    if (cap >= 8) {
        put_u64(out, v);
        *written = 8;
    } else if (cap >= 4) {
        put_u32(out, (uint32_t)v);
        *written = 4;
    } else {
        *needed = 8;
        return TAPC_NDIS_BUFFER_TOO_SHORT;
    }
    return TAPC_NDIS_SUCCESS;
}

static bool counter_oid(const tapc_adapter *ad, const tapc_ndis *nd, uint32_t oid, uint64_t *v)
{
    const tapc_stats *s = tapc_get_stats(ad);

    switch (oid) {
    case TAPC_OID_GEN_XMIT_OK:
        *v = frames(&s->tx);
        return true;
    case TAPC_OID_GEN_RCV_OK:
        *v = frames(&s->rx);
        return true;
    case TAPC_OID_GEN_XMIT_ERROR:
        *v = out_discards(s);
        return true;
    case TAPC_OID_GEN_RCV_ERROR:
        *v = s->rx_errors;
        return true;
    case TAPC_OID_GEN_RCV_NO_BUFFER:
        *v = nd->rx_no_buffer;
        return true;
    case TAPC_OID_GEN_RCV_DISCARDS:
        *v = in_discards(s, nd);
        return true;
    case TAPC_OID_GEN_DIRECTED_BYTES_XMIT:
        *v = s->tx.directed_bytes;
        return true;
    case TAPC_OID_GEN_DIRECTED_FRAMES_XMIT:
        *v = s->tx.directed_frames;
        return true;
    case TAPC_OID_GEN_MULTICAST_BYTES_XMIT:
        *v = s->tx.multicast_bytes;
        return true;
    case TAPC_OID_GEN_MULTICAST_FRAMES_XMIT:
        *v = s->tx.multicast_frames;
        return true;
    case TAPC_OID_GEN_BROADCAST_BYTES_XMIT:
        *v = s->tx.broadcast_bytes;
        return true;
    case TAPC_OID_GEN_BROADCAST_FRAMES_XMIT:
        *v = s->tx.broadcast_frames;
        return true;
    case TAPC_OID_GEN_DIRECTED_BYTES_RCV:
        *v = s->rx.directed_bytes;
        return true;
    case TAPC_OID_GEN_DIRECTED_FRAMES_RCV:
        *v = s->rx.directed_frames;
        return true;
    case TAPC_OID_GEN_MULTICAST_BYTES_RCV:
        *v = s->rx.multicast_bytes;
        return true;
    case TAPC_OID_GEN_MULTICAST_FRAMES_RCV:
        *v = s->rx.multicast_frames;
        return true;
    case TAPC_OID_GEN_BROADCAST_BYTES_RCV:
        *v = s->rx.broadcast_bytes;
        return true;
    case TAPC_OID_GEN_BROADCAST_FRAMES_RCV:
        *v = s->rx.broadcast_frames;
        return true;
    case TAPC_OID_802_3_RCV_ERROR_ALIGNMENT:
    case TAPC_OID_802_3_XMIT_ONE_COLLISION:
    case TAPC_OID_802_3_XMIT_MORE_COLLISIONS:
        *v = 0;
        return true;
    default:
        return false;
    }
}

/* OIDs answered with one ULONG. */
static bool ulong_oid(const tapc_adapter *ad, const tapc_ndis *nd, uint32_t oid, uint32_t *v)
{
    switch (oid) {
    case TAPC_OID_GEN_HARDWARE_STATUS:
        *v = 0; /* NdisHardwareStatusReady */
        return true;
    /* NOLINTNEXTLINE(bugprone-branch-clone): NdisMedium802_3 is 0 too, by coincidence */
    case TAPC_OID_GEN_MEDIA_SUPPORTED:
    case TAPC_OID_GEN_MEDIA_IN_USE:
        *v = TAPC_MEDIUM_802_3;
        return true;
    case TAPC_OID_GEN_PHYSICAL_MEDIUM:
        *v = TAPC_PHYSICAL_MEDIUM;
        return true;
    case TAPC_OID_GEN_MAXIMUM_LOOKAHEAD:
        *v = TAPC_LOOKAHEAD_MAX;
        return true;
    case TAPC_OID_GEN_CURRENT_LOOKAHEAD:
        *v = nd->lookahead;
        return true;
    case TAPC_OID_GEN_MAXIMUM_FRAME_SIZE:
        *v = ad->mtu;
        return true;
    case TAPC_OID_GEN_MAXIMUM_TOTAL_SIZE:
    case TAPC_OID_GEN_TRANSMIT_BLOCK_SIZE:
    case TAPC_OID_GEN_RECEIVE_BLOCK_SIZE:
        *v = TAPC_BLOCK_SIZE;
        return true;
    case TAPC_OID_GEN_LINK_SPEED:
        *v = TAPC_LINK_SPEED_BPS / 100u; /* in units of 100 bit/s */
        return true;
    case TAPC_OID_GEN_TRANSMIT_BUFFER_SPACE:
    case TAPC_OID_GEN_RECEIVE_BUFFER_SPACE:
        *v = TAPC_BUFFER_SPACE;
        return true;
    case TAPC_OID_GEN_VENDOR_ID:
        *v = TAPC_VENDOR_ID;
        return true;
    case TAPC_OID_GEN_VENDOR_DRIVER_VERSION:
        *v = (uint32_t)TAP_DRIVER_MAJOR_VERSION << 16 | (uint32_t)TAP_DRIVER_MINOR_VERSION;
        return true;
    case TAPC_OID_GEN_CURRENT_PACKET_FILTER:
        *v = nd->packet_filter;
        return true;
    case TAPC_OID_GEN_MAC_OPTIONS:
        *v = TAPC_MAC_OPTIONS;
        return true;
    case TAPC_OID_GEN_MEDIA_CONNECT_STATUS:
        *v = tapc_media_connected(ad) ? 0u : 1u; /* NdisMediaStateConnected / Disconnected */
        return true;
    case TAPC_OID_802_3_MAXIMUM_LIST_SIZE:
        *v = TAPC_MULTICAST_MAX;
        return true;
    default:
        return false;
    }
}

static uint32_t answer(const void *data, size_t n, void *out, size_t cap, size_t *written,
                       size_t *needed)
{
    if (cap < n || (n != 0 && out == NULL)) {
        *needed = n;
        return TAPC_NDIS_BUFFER_TOO_SHORT;
    }
    if (n != 0)
        tapc_memcpy(out, data, n);
    *written = n;
    return TAPC_NDIS_SUCCESS;
}

uint32_t tapc_oid_query(const tapc_adapter *ad, const tapc_ndis *nd, uint32_t oid, void *out,
                        size_t cap, size_t *written, size_t *needed)
{
    uint8_t tmp[TAPC_STATISTICS_SIZE];
    uint64_t v64;
    uint32_t v32;
    uint16_t v16;

    *written = 0;
    *needed = 0;
    if (out == NULL)
        cap = 0;
    if (ulong_oid(ad, nd, oid, &v32))
        return answer(&v32, 4, out, cap, written, needed);
    if (counter_oid(ad, nd, oid, &v64))
        return counter(v64, (uint8_t *)out, cap, written, needed);

    switch (oid) {
    case TAPC_OID_GEN_DRIVER_VERSION:
        v16 = nd->ndis_version;
        return answer(&v16, 2, out, cap, written, needed);
    case TAPC_OID_GEN_VENDOR_DESCRIPTION:
        return answer(TAP_VENDOR_DESCRIPTION, sizeof TAP_VENDOR_DESCRIPTION, out, cap, written,
                      needed);
    case TAPC_OID_802_3_PERMANENT_ADDRESS:
        return answer(ad->permanent_mac, 6, out, cap, written, needed);
    case TAPC_OID_802_3_CURRENT_ADDRESS:
        return answer(ad->mac, 6, out, cap, written, needed);
    case TAPC_OID_802_3_MULTICAST_LIST:
        return answer(nd->multicast, (size_t)nd->multicast_count * 6u, out, cap, written, needed);
    case TAPC_OID_GEN_STATISTICS:
        statistics(ad, nd, tmp);
        return answer(tmp, TAPC_STATISTICS_SIZE, out, cap, written, needed);
    case TAPC_OID_GEN_INTERRUPT_MODERATION:
        tapc_memset(tmp, 0, TAPC_INTERRUPT_MODERATION_SIZE);
        tmp[0] = TAPC_OBJECT_TYPE_DEFAULT;
        tmp[1] = 1; /* NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 */
        tmp[2] = TAPC_INTERRUPT_MODERATION_SIZE;
        put_u32(tmp + 8, TAPC_INTERRUPT_MODERATION_NOT_SUPPORTED);
        return answer(tmp, TAPC_INTERRUPT_MODERATION_SIZE, out, cap, written, needed);
    case TAPC_OID_PNP_QUERY_POWER:
        return TAPC_NDIS_SUCCESS; /* every device state can be entered */
    default:
        return TAPC_NDIS_NOT_SUPPORTED;
    }
}

static uint32_t need(size_t len, size_t n, size_t *needed)
{
    if (len < n) {
        *needed = n;
        return TAPC_NDIS_INVALID_LENGTH;
    }
    return TAPC_NDIS_SUCCESS;
}

uint32_t tapc_oid_set(tapc_adapter *ad, tapc_ndis *nd, uint32_t oid, const void *in, size_t len,
                      size_t *read, size_t *needed)
{
    const uint8_t *p = (const uint8_t *)in;
    uint32_t v = 0;
    uint32_t st;

    *read = 0;
    *needed = 0;
    if (p == NULL)
        len = 0;
    switch (oid) {
    case TAPC_OID_GEN_CURRENT_PACKET_FILTER:
    case TAPC_OID_GEN_CURRENT_LOOKAHEAD:
    case TAPC_OID_PNP_SET_POWER:
        st = need(len, 4, needed);
        if (st != TAPC_NDIS_SUCCESS)
            return st;
        tapc_memcpy(&v, p, 4);
        break;
    case TAPC_OID_802_3_MULTICAST_LIST:
        if (len % 6u != 0) {
            *needed = (len / 6u + 1u) * 6u;
            return TAPC_NDIS_INVALID_LENGTH;
        }
        if (len / 6u > TAPC_MULTICAST_MAX)
            return TAPC_NDIS_MULTICAST_FULL;
        if (len != 0)
            tapc_memcpy(nd->multicast, p, len);
        nd->multicast_count = (uint32_t)(len / 6u);
        *read = len;
        return TAPC_NDIS_SUCCESS;
    default:
        return TAPC_NDIS_NOT_SUPPORTED;
    }

    switch (oid) {
    case TAPC_OID_GEN_CURRENT_PACKET_FILTER:
        if ((v & ~TAPC_PACKET_FILTERS) != 0)
            return TAPC_NDIS_NOT_SUPPORTED;
        nd->packet_filter = v;
        break;
    case TAPC_OID_GEN_CURRENT_LOOKAHEAD:
        if (v > TAPC_LOOKAHEAD_MAX)
            return TAPC_NDIS_INVALID_DATA;
        nd->lookahead = v;
        break;
    default: /* TAPC_OID_PNP_SET_POWER */
        if (v < TAPC_DEVICE_STATE_D0 || v > TAPC_DEVICE_STATE_D3)
            return TAPC_NDIS_INVALID_DATA;
        tapc_set_power(ad, v == TAPC_DEVICE_STATE_D0);
        tapc_logf(ad, "power D%u", v - 1u, 0, 0, 0);
        break;
    }
    *read = 4;
    return TAPC_NDIS_SUCCESS;
}

bool tapc_ndis_filter(const tapc_adapter *ad, const tapc_ndis *nd, const uint8_t *frame, size_t len)
{
    uint32_t f = nd->packet_filter;
    uint32_t i;

    if (frame == NULL || len < TAPC_ETH_HLEN || f == 0)
        return false;
    if ((f & TAPC_PACKET_PROMISCUOUS) != 0)
        return true;
    if (tapc_mac_is_broadcast(frame))
        return (f & TAPC_PACKET_BROADCAST) != 0;
    if (tapc_mac_is_multicast(frame)) {
        if ((f & TAPC_PACKET_ALL_MULTICAST) != 0)
            return true;
        if ((f & TAPC_PACKET_MULTICAST) == 0)
            return false;
        for (i = 0; i < nd->multicast_count; i++) {
            if (tapc_memcmp(nd->multicast[i], frame, 6) == 0)
                return true;
        }
        return false;
    }
    return (f & TAPC_PACKET_DIRECTED) != 0 && tapc_memcmp(frame, ad->mac, 6) == 0;
}

uint32_t tapc_ndis_send_status(tapc_send_action action)
{
    switch (action) {
    case TAPC_SEND_QUEUED:
    case TAPC_SEND_REPLY:
    case TAPC_SEND_CONSUMED:
    case TAPC_SEND_DROP_NOT_OPEN:
    case TAPC_SEND_DROP_FILTERED:
        return TAPC_NDIS_SUCCESS;
    case TAPC_SEND_DROP_PAUSED:
        return TAPC_NDIS_PAUSED;
    case TAPC_SEND_DROP_LOW_POWER:
        return TAPC_NDIS_LOW_POWER_STATE;
    case TAPC_SEND_DROP_MEDIA:
        return TAPC_NDIS_MEDIA_DISCONNECTED;
    default: /* TAPC_SEND_DROP_INVALID */
        return TAPC_NDIS_FAILURE;
    }
}
