/*
 * fuzz_common.h - shared set-up of the libFuzzer harnesses of the TAP core.
 *
 * Every harness checks the core's promises with CHECK (a violated one aborts, so libFuzzer
 * reports it like a crash); AddressSanitizer and UndefinedBehaviorSanitizer catch the rest.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tapcore.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Harness input prefix: flags that pick the adapter's configuration. */
#define FZ_TUN        0x01u /* CONFIG_TUN 10.8.0.2 in 10.8.0.0/24 */
#define FZ_P2P        0x02u /* CONFIG_POINT_TO_POINT 10.8.0.2 <-> 10.8.0.1 (with FZ_TUN) */
#define FZ_DHCP       0x04u /* CONFIG_DHCP_MASQ 10.8.0.2/24, server 10.8.0.1 (or 10.3.0.1) */
#define FZ_DHCP_FAR   0x08u /* the DHCP server outside the TUN network */
#define FZ_PRIO_SHIFT 4     /* two bits: priority behaviour 0..2 (3 means 2) */
#define FZ_CLOSED     0x40u /* leave the handle closed */
#define FZ_PAUSED     0x80u /* leave the adapter paused */

/* The ring is small so that wrap-around and drop-oldest happen within one input. */
#define FZ_RING_SIZE (4u * 1024u)

typedef struct fuzz_env {
    tapc_adapter ad;
    uint8_t ring[FZ_RING_SIZE];
} fuzz_env;

static inline void fz_ioctl_in(tapc_adapter *ad, uint32_t code, const uint8_t *in, size_t len)
{
    uint8_t buf[64];
    size_t written = 0;
    CHECK(len <= sizeof buf);
    memcpy(buf, in, len);
    /* A configuration IOCTL: 1 byte returned on success (the first input byte), 0 else. */
    if (tapc_ioctl(ad, 0, code, buf, len, buf, sizeof buf, &written) == TAPC_STATUS_SUCCESS)
        CHECK(written == 1 && buf[0] == in[0]);
    else
        CHECK(written == 0);
}

static inline void fz_setup(fuzz_env *env, uint8_t flags)
{
    static const uint8_t mac[6] = {0x00, 0xFF, 0x12, 0x34, 0x56, 0x78};
    static const uint8_t tun[12] = {10, 8, 0, 2, 10, 8, 0, 0, 255, 255, 255, 0};
    static const uint8_t p2p[8] = {10, 8, 0, 2, 10, 8, 0, 1};
    uint8_t masq[16] = {10, 8, 0, 2, 255, 255, 255, 0, 10, 8, 0, 1, 0x10, 0x0E, 0, 0};
    uint8_t one[4] = {1, 0, 0, 0};
    uint8_t prio[4] = {0, 0, 0, 0};
    tapc_config cfg;

    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.permanent_mac, mac, 6);
    memcpy(cfg.current_mac, mac, 6);
    cfg.mtu = 1500;
    cfg.queue_ring = env->ring;
    cfg.queue_ring_size = sizeof env->ring;
    cfg.flow_threshold = 2048;
    CHECK(tapc_adapter_init(&env->ad, &cfg) == TAPC_STATUS_SUCCESS);
    if (!(flags & FZ_CLOSED))
        CHECK(tapc_open(&env->ad) == TAPC_STATUS_SUCCESS);
    if (!(flags & FZ_PAUSED))
        tapc_set_paused(&env->ad, false);
    fz_ioctl_in(&env->ad, TAP_WIN_IOCTL_SET_MEDIA_STATUS, one, 4);
    if (flags & FZ_TUN) {
        if (flags & FZ_P2P)
            fz_ioctl_in(&env->ad, TAP_WIN_IOCTL_CONFIG_POINT_TO_POINT, p2p, 8);
        else
            fz_ioctl_in(&env->ad, TAP_WIN_IOCTL_CONFIG_TUN, tun, 12);
    }
    if (flags & FZ_DHCP) {
        if (flags & FZ_DHCP_FAR)
            masq[9] = 3, masq[1] = 3;
        fz_ioctl_in(&env->ad, TAP_WIN_IOCTL_CONFIG_DHCP_MASQ, masq, 16);
    }
    prio[0] = (uint8_t)((flags >> FZ_PRIO_SHIFT) & 3u);
    if (prio[0] == 3)
        prio[0] = 2;
    fz_ioctl_in(&env->ad, TAP_WIN_IOCTL_PRIORITY_BEHAVIOR, prio, 4);
    (void)tapc_take_events(&env->ad);
}

/* The queue's accounting agrees with itself. */
static inline void fz_check_queue(const tapc_adapter *ad)
{
    CHECK(ad->queue.used <= ad->queue.cap);
    CHECK(ad->queue.bytes + ad->queue.frames * TAPC_QUEUE_ENTRY_OVERHEAD == ad->queue.used);
    CHECK((ad->queue.frames == 0) == (ad->queue.bytes == 0 && ad->queue.used == 0));
    CHECK(ad->queue.head < ad->queue.cap);
    CHECK(ad->flow_held == (ad->queue.bytes > ad->flow_threshold));
}

/* Drain the queue with reads of the given capacity; every frame comes out intact. */
static inline void fz_drain(tapc_adapter *ad, size_t cap)
{
    uint8_t out[TAPC_READ_FRAME_MAX];
    size_t n;
    tapc_status st;

    if (cap > sizeof out)
        cap = sizeof out;
    for (;;) {
        size_t next = tapc_user_read_next_len(ad);
        st = tapc_user_read(ad, out, cap, &n);
        if (st == TAPC_STATUS_INVALID_PARAMETER) {
            CHECK(cap == 0 && n == 0 && tapc_user_read_next_len(ad) == next); /* as 9.x */
            st = tapc_user_read(ad, out, sizeof out, &n);
        } else if (st == TAPC_STATUS_BUFFER_TOO_SMALL) {
            CHECK(next > cap && n == 0 && tapc_user_read_next_len(ad) == next);
            st = tapc_user_read(ad, out, sizeof out, &n);
        }
        if (st != TAPC_STATUS_SUCCESS)
            break;
        CHECK(n == next && n <= TAPC_READ_FRAME_MAX && n >= 1);
        fz_check_queue(ad);
    }
    CHECK(st == TAPC_STATUS_PENDING || st == TAPC_STATUS_CANCELLED);
}

#endif /* FUZZ_COMMON_H */
