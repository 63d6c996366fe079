/*
 * tapc_adapter.c - adapter state rules and the data path (host sends, reads, writes).
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapcore.h"

size_t tapc_adapter_size(void)
{
    return sizeof(tapc_adapter);
}

static uint32_t clamp32(size_t v)
{
    return (uint64_t)v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v;
}

void tapc_logf(tapc_adapter *ad, const char *fmt, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
#if TAP_DEBUG
    uint32_t args[4];
    args[0] = a;
    args[1] = b;
    args[2] = c;
    args[3] = d;
    tapc_log_write(&ad->log, fmt, args, 4);
#else
    (void)ad;
    (void)fmt;
    (void)a;
    (void)b;
    (void)c;
    (void)d;
#endif
}

tapc_status tapc_adapter_init(tapc_adapter *ad, const tapc_config *cfg)
{
    if (ad == NULL || cfg == NULL)
        return TAPC_STATUS_INVALID_PARAMETER;
    tapc_memset(ad, 0, sizeof *ad);
    if (!tapc_queue_init(&ad->queue, cfg->queue_ring, cfg->queue_ring_size, TAPC_READ_FRAME_MAX))
        return TAPC_STATUS_INVALID_PARAMETER;
    tapc_memcpy(ad->permanent_mac, cfg->permanent_mac, 6);
    tapc_memcpy(ad->mac, cfg->current_mac, 6);
    tapc_mac_related(ad->mac, TAPC_MAC_DELTA_PEER, ad->peer_mac);
    ad->mtu = cfg->mtu >= TAPC_MTU_MIN && cfg->mtu <= TAPC_MTU_MAX ? cfg->mtu : TAPC_MTU_DEFAULT;
    ad->media_always_connected = cfg->media_always_connected;
    ad->media_connected = cfg->media_always_connected;
    ad->paused = true;
    ad->powered = true;
    ad->priority_behavior = TAP_PRIORITY_BEHAVIOR_NOPRIORITY;
    ad->flow_threshold =
        cfg->flow_threshold != 0 ? cfg->flow_threshold : TAPC_FLOW_THRESHOLD_DEFAULT;
#if TAP_DEBUG
    tapc_log_init(&ad->log);
#endif
    tapc_logf(ad, "init mtu=%u always-connected=%u", ad->mtu, ad->media_always_connected, 0, 0);
    return TAPC_STATUS_SUCCESS;
}

static void update_flow(tapc_adapter *ad)
{
    if (!ad->flow_held && ad->queue.bytes > ad->flow_threshold) {
        ad->flow_held = true;
        ad->stats.flow_holds++;
    } else if (ad->flow_held && ad->queue.bytes <= ad->flow_threshold) {
        ad->flow_held = false;
        ad->events |= TAPC_EVENT_FLOW_RESUME;
    }
}

static void reset_session(tapc_adapter *ad)
{
    tapc_memset(&ad->tun, 0, sizeof ad->tun);
    tapc_dhcp_reset(&ad->dhcp);
}

tapc_status tapc_open(tapc_adapter *ad)
{
    if (ad->open) {
        tapc_logf(ad, "open refused: already open", 0, 0, 0, 0);
        return TAPC_STATUS_UNSUCCESSFUL; /* as 9.x */
    }
    ad->open = true;
    reset_session(ad);
    tapc_logf(ad, "open", 0, 0, 0, 0);
    return TAPC_STATUS_SUCCESS;
}

void tapc_close(tapc_adapter *ad)
{
    if (!ad->open)
        return;
    ad->open = false;
    reset_session(ad);
    if (!ad->media_always_connected)
        tapc_set_media(ad, false);
    tapc_queue_clear(&ad->queue);
    update_flow(ad);
    ad->events |= TAPC_EVENT_CANCEL_READS;
    tapc_logf(ad, "close", 0, 0, 0, 0);
}

void tapc_set_paused(tapc_adapter *ad, bool paused)
{
    ad->paused = paused;
}

void tapc_set_power(tapc_adapter *ad, bool d0)
{
    ad->powered = d0;
}

void tapc_set_media(tapc_adapter *ad, bool connected)
{
    if (ad->media_connected != connected) {
        ad->media_connected = connected;
        ad->events |= TAPC_EVENT_MEDIA_CHANGED;
        tapc_logf(ad, "media %u", connected, 0, 0, 0);
    }
}

bool tapc_media_connected(const tapc_adapter *ad)
{
    return ad->media_connected;
}

uint32_t tapc_take_events(tapc_adapter *ad)
{
    uint32_t e = ad->events;
    ad->events = 0;
    return e;
}

const tapc_stats *tapc_get_stats(const tapc_adapter *ad)
{
    return &ad->stats;
}

size_t tapc_queued_frames(const tapc_adapter *ad)
{
    return ad->queue.frames;
}

size_t tapc_queued_bytes(const tapc_adapter *ad)
{
    return ad->queue.bytes;
}

bool tapc_flow_held(const tapc_adapter *ad)
{
    return ad->flow_held;
}

void tapc_dhcp_server_mac(const tapc_adapter *ad, uint8_t out[6])
{
    if (ad->tun.enabled && (ad->dhcp.server_ip & ad->tun.remote_mask) == ad->tun.remote_net)
        tapc_memcpy(out, ad->peer_mac, 6);
    else
        tapc_mac_related(ad->mac, TAPC_MAC_DELTA_DHCP_SERVER, out);
}

static void count(tapc_counts *c, const uint8_t *dst, size_t len)
{
    if (tapc_mac_is_broadcast(dst)) {
        c->broadcast_frames++;
        c->broadcast_bytes += len;
    } else if (tapc_mac_is_multicast(dst)) {
        c->multicast_frames++;
        c->multicast_bytes += len;
    } else {
        c->directed_frames++;
        c->directed_bytes += len;
    }
}

static tapc_send_action drop(tapc_adapter *ad, tapc_send_action why)
{
    ad->stats.tx_dropped++;
    return why;
}

static tapc_send_action reply_made(tapc_adapter *ad, const uint8_t *frame, size_t len,
                                   const uint8_t *reply, size_t reply_len, size_t *out_len)
{
    count(&ad->stats.tx, frame, len);
    count(&ad->stats.rx, reply, reply_len);
    ad->stats.replies++;
    *out_len = reply_len;
    return TAPC_SEND_REPLY;
}

static tapc_send_action queue_frame(tapc_adapter *ad, const uint8_t *frame, size_t len, size_t skip,
                                    const tapc_vlan *vlan)
{
    tapc_piece pieces[3];
    size_t n = 0;
    uint8_t tag[TAPC_VLAN_HLEN];
    uint64_t dropped = ad->queue.dropped;
    bool add_tag = false;

    if (!ad->tun.enabled) {
        uint8_t prio = vlan != NULL ? (uint8_t)(vlan->priority & 7u) : 0;
        uint16_t id = vlan != NULL ? (uint16_t)(vlan->vlan_id & 0x0FFFu) : 0;
        add_tag =
            ad->priority_behavior == TAP_PRIORITY_BEHAVIOR_ADDALWAYS ||
            (ad->priority_behavior == TAP_PRIORITY_BEHAVIOR_ENABLED && (prio != 0 || id != 0));
        if (add_tag) {
            /* Tag control in network byte order (the upstream driver did not swap it). */
            tapc_put16(tag, TAPC_ETHERTYPE_VLAN);
            tapc_put16(tag + 2, (uint16_t)((unsigned)prio << 13 | id));
        }
    }
    if (add_tag) {
        pieces[n].p = frame;
        pieces[n++].len = 2 * TAPC_ETH_ALEN;
        pieces[n].p = tag;
        pieces[n++].len = sizeof tag;
        pieces[n].p = frame + 2 * TAPC_ETH_ALEN;
        pieces[n++].len = len - 2 * TAPC_ETH_ALEN;
    } else {
        pieces[n].p = frame + skip;
        pieces[n++].len = len - skip;
    }
    if (!tapc_queue_push(&ad->queue, pieces, n))
        return drop(ad, TAPC_SEND_DROP_INVALID); /* cannot happen: init sized the ring */
    ad->stats.tx_queue_dropped += ad->queue.dropped - dropped;
    count(&ad->stats.tx, frame, len);
    ad->events |= TAPC_EVENT_READ_READY;
    update_flow(ad);
    return TAPC_SEND_QUEUED;
}

tapc_send_action tapc_host_send(tapc_adapter *ad, const uint8_t *frame, size_t len,
                                const tapc_vlan *vlan, uint8_t *reply, size_t reply_cap,
                                size_t *reply_len)
{
    tapc_dhcp_msg msg;
    tapc_dhcp_verdict verdict;
    uint8_t server_mac[6];
    uint8_t type;
    size_t n;
    size_t no_reply_len;

    if (reply_len == NULL) { /* no room for a reply: the builders make none with cap 0 */
        reply_len = &no_reply_len;
        reply_cap = 0;
    }
    *reply_len = 0;
    if (frame == NULL || len < TAPC_ETH_HLEN || len > TAPC_ETH_MAX_FRAME)
        return drop(ad, TAPC_SEND_DROP_INVALID);
    if (!ad->open)
        return drop(ad, TAPC_SEND_DROP_NOT_OPEN);
    if (ad->paused)
        return drop(ad, TAPC_SEND_DROP_PAUSED);
    if (!ad->powered)
        return drop(ad, TAPC_SEND_DROP_LOW_POWER);
    if (!ad->media_connected)
        return drop(ad, TAPC_SEND_DROP_MEDIA);

    if (ad->dhcp.enabled) {
        tapc_dhcp_server_mac(ad, server_mac);
        verdict = tapc_dhcp_classify(frame, len, ad->mac, server_mac, &msg);
        if (verdict != TAPC_DHCP_NOT_OURS) {
            /* Addressed to the masquerade: answered or consumed, never passed on. */
            type = verdict == TAPC_DHCP_ANSWER ? tapc_dhcp_decide(&ad->dhcp, &msg) : 0u;
            count(&ad->stats.tx, frame, len);
            if (type == 0) {
                tapc_logf(ad, "dhcp: %u-byte frame to the server consumed", clamp32(len), 0, 0, 0);
                return TAPC_SEND_CONSUMED;
            }
            n = tapc_dhcp_build_reply(&ad->dhcp, &msg, type, server_mac, ad->mac, reply, reply_cap);
            tapc_logf(ad, "dhcp %u -> %u xid=%x addr=%I", msg.type, type, msg.xid, ad->dhcp.addr);
            if (n == 0) {
                ad->stats.replies_lost++;
                return TAPC_SEND_CONSUMED;
            }
            count(&ad->stats.rx, reply, n);
            ad->stats.replies++;
            *reply_len = n;
            return TAPC_SEND_REPLY;
        }
        n = tapc_arp_answer(frame, len, ad->mac, ad->dhcp.addr, ad->dhcp.server_ip, 0xFFFFFFFFu,
                            server_mac, reply, reply_cap);
        if (n != 0)
            return reply_made(ad, frame, len, reply, n, reply_len);
    }

    if (!ad->tun.enabled)
        return queue_frame(ad, frame, len, 0, vlan);

    n = tapc_arp_answer(frame, len, ad->mac, ad->tun.local_ip, ad->tun.remote_net,
                        ad->tun.remote_mask, ad->peer_mac, reply, reply_cap);
    if (n != 0)
        return reply_made(ad, frame, len, reply, n, reply_len);
    n = tapc_nd_answer(frame, len, ad->peer_mac, reply, reply_cap);
    if (n != 0)
        return reply_made(ad, frame, len, reply, n, reply_len);
    n = tapc_tun_from_host(frame, len, ad->mac, ad->peer_mac);
    if (n == 0)
        return drop(ad, TAPC_SEND_DROP_FILTERED);
    return queue_frame(ad, frame, len, n, vlan);
}

static bool io_allowed(const tapc_adapter *ad)
{
    return ad->open && ad->media_connected && ad->powered;
}

tapc_status tapc_user_read(tapc_adapter *ad, uint8_t *out, size_t cap, size_t *written)
{
    size_t n;

    *written = 0;
    if (!io_allowed(ad))
        return TAPC_STATUS_CANCELLED;
    if (out == NULL || cap == 0)
        return TAPC_STATUS_INVALID_PARAMETER; /* a zero-length read, as 9.x */
    n = tapc_queue_front_len(&ad->queue);
    if (ad->queue.frames == 0)
        return TAPC_STATUS_PENDING;
    if (cap < n) {
        ad->stats.read_too_small++;
        tapc_logf(ad, "read buffer %u < frame %u: frame kept", clamp32(cap), clamp32(n), 0, 0);
        return TAPC_STATUS_BUFFER_TOO_SMALL;
    }
    tapc_queue_pop(&ad->queue, out, cap, written);
    update_flow(ad);
    return TAPC_STATUS_SUCCESS;
}

size_t tapc_user_read_next_len(const tapc_adapter *ad)
{
    return tapc_queue_front_len(&ad->queue);
}

static tapc_status write_refused(tapc_adapter *ad, size_t len, tapc_status why)
{
    ad->stats.rx_errors++;
    tapc_logf(ad, "write of %u bytes refused", clamp32(len), 0, 0, 0);
    return why;
}

tapc_status tapc_user_write(tapc_adapter *ad, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len, tapc_vlan *vlan)
{
    size_t n;

    *out_len = 0;
    vlan->priority = 0;
    vlan->vlan_id = 0;
    if (!io_allowed(ad))
        return TAPC_STATUS_CANCELLED;
    if (in == NULL || len == 0)
        return write_refused(ad, len, TAPC_STATUS_INVALID_PARAMETER); /* no buffer, as 9.x */
    if (ad->paused) {
        /* As 9.x: accepted and dropped (nothing is indicated while paused), counted with the
         * receive discards. */
        ad->stats.rx_paused_drops++;
        tapc_logf(ad, "write of %u bytes dropped: paused", clamp32(len), 0, 0, 0);
        return TAPC_STATUS_SUCCESS;
    }

    if (ad->tun.enabled) {
        if (len < TAPC_TUN_WRITE_MIN)
            return write_refused(ad, len, TAPC_STATUS_BUFFER_TOO_SMALL); /* as 9.x */
        if (len > TAPC_ETH_MAX_PAYLOAD || ((in[0] >> 4) != 4u && (in[0] >> 4) != 6u))
            return write_refused(ad, len, TAPC_STATUS_INVALID_PARAMETER);
        n = TAPC_ETH_HLEN + len;
        if (out == NULL || cap < n || cap < TAPC_ETH_MIN_FRAME)
            return TAPC_STATUS_BUFFER_TOO_SMALL;
        n = tapc_tun_to_host(in, len, ad->mac, ad->peer_mac, out, cap);
    } else {
        size_t skip = 0;
        if (len < TAPC_ETH_HLEN)
            return write_refused(ad, len, TAPC_STATUS_BUFFER_TOO_SMALL); /* as 9.x */
        if (tapc_get16(in + 12) == TAPC_ETHERTYPE_VLAN) {
            uint16_t tci;
            if (len < TAPC_ETH_HLEN + TAPC_VLAN_HLEN)
                return write_refused(ad, len, TAPC_STATUS_INVALID_PARAMETER);
            tci = tapc_get16(in + 14);
            vlan->priority = (uint8_t)(tci >> 13);
            vlan->vlan_id = (uint16_t)(tci & 0x0FFFu);
            skip = TAPC_VLAN_HLEN;
        }
        n = len - skip;
        if (n - TAPC_ETH_HLEN > TAPC_ETH_MAX_PAYLOAD) {
            vlan->priority = 0;
            vlan->vlan_id = 0;
            return write_refused(ad, len, TAPC_STATUS_INVALID_PARAMETER);
        }
        if (out == NULL || cap < n || cap < TAPC_ETH_MIN_FRAME) {
            vlan->priority = 0;
            vlan->vlan_id = 0;
            return TAPC_STATUS_BUFFER_TOO_SMALL;
        }
        tapc_memmove(out, in, 2 * TAPC_ETH_ALEN);
        tapc_memmove(out + 2 * TAPC_ETH_ALEN, in + 2 * TAPC_ETH_ALEN + skip, n - 2 * TAPC_ETH_ALEN);
        n = tapc_eth_pad(out, n, cap);
    }
    count(&ad->stats.rx, out, n);
    *out_len = n;
    return TAPC_STATUS_SUCCESS;
}
