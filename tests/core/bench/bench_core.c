/*
 * bench_core.c - packets per second through the core on the host: TUN framing both ways and
 * the DHCP responder. Usage: bench_core SECONDS tun_ipv4_frame tun_ip_packet dhcp_discover
 * dhcp_request tap_frame (files with one packet each, from tapbuild.dev.corebench).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tapcore.h"

static uint8_t ring[1u << 20];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t load(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        fprintf(stderr, "bench_core: cannot open %s\n", path);
        exit(2);
    }
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void setup(tapc_adapter *ad, int tun, int dhcp)
{
    static const uint8_t mac[6] = {0x00, 0xFF, 0x12, 0x34, 0x56, 0x78};
    static const uint8_t tunc[12] = {10, 8, 0, 2, 10, 8, 0, 0, 255, 255, 255, 0};
    static const uint8_t masq[16] = {10, 8, 0, 2, 255, 255, 255, 0, 10, 8, 0, 1, 60, 0, 0, 0};
    static const uint8_t one[4] = {1, 0, 0, 0};
    static const uint8_t prio[4] = {1, 0, 0, 0};
    uint8_t out[16];
    size_t w;
    tapc_config cfg;

    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.permanent_mac, mac, 6);
    memcpy(cfg.current_mac, mac, 6);
    cfg.mtu = 1500;
    cfg.queue_ring = ring;
    cfg.queue_ring_size = sizeof ring;
    if (tapc_adapter_init(ad, &cfg) != TAPC_STATUS_SUCCESS || tapc_open(ad) != 0)
        exit(3);
    tapc_set_paused(ad, false);
    tapc_ioctl(ad, 0, TAP_WIN_IOCTL_SET_MEDIA_STATUS, one, 4, out, 0, &w);
    tapc_ioctl(ad, 0, TAP_WIN_IOCTL_PRIORITY_BEHAVIOR, prio, 4, out, 0, &w);
    if (tun)
        tapc_ioctl(ad, 0, TAP_WIN_IOCTL_CONFIG_TUN, tunc, 12, out, 0, &w);
    if (dhcp)
        tapc_ioctl(ad, 0, TAP_WIN_IOCTL_CONFIG_DHCP_MASQ, masq, 16, out, 0, &w);
}

typedef enum { SEND_READ, WRITE, DHCP_DISCOVER, DHCP_REQUEST } bench_kind;

/* pre: a frame sent once before timing (the DISCOVER before REQUESTs), or NULL. */
static void bench(const char *name, bench_kind kind, int tun, int dhcp, const uint8_t *pkt,
                  size_t len, const uint8_t *pre, size_t pre_len, double seconds)
{
    static tapc_adapter ad;
    uint8_t out[TAPC_REPLY_MAX > TAPC_READ_FRAME_MAX ? TAPC_REPLY_MAX : TAPC_READ_FRAME_MAX];
    tapc_vlan vlan = {5, 100};
    unsigned long long count = 0;
    unsigned long long bytes = 0;
    double start;
    double elapsed;
    size_t n;
    int i;

    setup(&ad, tun, dhcp);
    if (pre != NULL &&
        tapc_host_send(&ad, pre, pre_len, &vlan, out, sizeof out, &n) != TAPC_SEND_REPLY)
        exit(7);
    start = now();
    do {
        for (i = 0; i < 4096; i++) {
            switch (kind) {
            case SEND_READ:
                if (tapc_host_send(&ad, pkt, len, &vlan, out, sizeof out, &n) != TAPC_SEND_QUEUED ||
                    tapc_user_read(&ad, out, sizeof out, &n) != TAPC_STATUS_SUCCESS)
                    exit(4);
                break;
            case WRITE:
                if (tapc_user_write(&ad, pkt, len, out, sizeof out, &n, &vlan) !=
                    TAPC_STATUS_SUCCESS)
                    exit(5);
                break;
            case DHCP_DISCOVER:
            case DHCP_REQUEST:
                if (tapc_host_send(&ad, pkt, len, &vlan, out, sizeof out, &n) != TAPC_SEND_REPLY)
                    exit(6);
                break;
            }
            bytes += n;
        }
        count += 4096;
        elapsed = now() - start;
    } while (elapsed < seconds);
    printf("%-34s %12.0f packets/s  %8.1f MB/s out\n", name, (double)count / elapsed,
           (double)bytes / elapsed / 1e6);
}

int main(int argc, char **argv)
{
    static uint8_t f[6][2048];
    size_t len[6];
    double seconds;
    int i;

    if (argc != 7) {
        fprintf(stderr, "usage: bench_core SECONDS tun_frame tun_packet discover request tap\n");
        return 2;
    }
    seconds = atof(argv[1]);
    for (i = 2; i < 7; i++)
        len[i - 2] = load(argv[i], f[i - 2], sizeof f[0]);
    bench("TUN host->app (send + read)", SEND_READ, 1, 0, f[0], len[0], NULL, 0, seconds);
    bench("TUN app->host (write)", WRITE, 1, 0, f[1], len[1], NULL, 0, seconds);
    bench("TAP host->app +802.1Q (send + read)", SEND_READ, 0, 0, f[4], len[4], NULL, 0, seconds);
    bench("DHCP DISCOVER -> OFFER", DHCP_DISCOVER, 0, 1, f[2], len[2], NULL, 0, seconds);
    bench("DHCP REQUEST -> ACK", DHCP_REQUEST, 0, 1, f[3], len[3], f[2], len[2], seconds);
    return 0;
}
