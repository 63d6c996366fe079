/*
 * The data-path benchmark of the simulator (nox -s bench-sim): frames through the driver's
 * glue and core, timed with the host's clock, against the same frames through the core alone
 * in the same program.
 *
 *   bench H N SEND_HEX WRITE_HEX [tun=HEX]
 *
 * - host to application: N times a read IRP on handle H (it pends) and a host send of
 *   SEND_HEX (a NET_BUFFER_LIST through MiniportSendNetBufferLists) that completes it;
 * - application to host: N write IRPs of WRITE_HEX, each indicated as a receive and returned;
 * - the core alone: the same frames through tapc_host_send + tapc_user_read and through
 *   tapc_user_write, on an adapter of its own (TUN-configured with tun=HEX, as the driver by
 *   the script's CONFIG_TUN IOCTL).
 *
 * Event lines are off while a loop runs; each loop prints
 * `bench glue|core read|write frames=N ok=M ns=T` (ok: frames that came out as expected).
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "sim.h"

#include "core/tapcore.h"

static unsigned char core_ring[1 << 20];
static unsigned char out_frame[TAPC_READ_FRAME_MAX];

static void report(const char *path, const char *dir, ULONG n, ULONG ok, unsigned long long ns)
{
    sim_event("bench %s %s frames=%lu ok=%lu ns=%llu", path, dir, (unsigned long)n,
              (unsigned long)ok, ns);
}

static void glue(const char *handle, ULONG n, const unsigned char *send, ULONG send_len,
                 const unsigned char *write, ULONG write_len)
{
    sim_send_options o;
    memset(&o, 0, sizeof(o));
    o.vlan = -1;
    size_t before = sim_io_pending_irps();

    sim_quiet = 1;
    unsigned long long t0 = host_nanoseconds();
    for (ULONG i = 0; i < n; i++) {
        sim_io_read(handle, sizeof(out_frame), NULL);
        sim_nbl_send(&send, &send_len, 1, &o);
        sim_nbl_idle();
    }
    unsigned long long t1 = host_nanoseconds();
    sim_quiet = 0;
    /* Every read was completed by its send. */
    report("glue", "read", n, sim_io_pending_irps() == before ? n : 0, t1 - t0);

    sim_quiet = 1;
    t0 = host_nanoseconds();
    for (ULONG i = 0; i < n; i++) {
        sim_io_write(handle, write, write_len, NULL);
        sim_nbl_idle();
    }
    t1 = host_nanoseconds();
    sim_quiet = 0;
    report("glue", "write", n, sim_io_pending_irps() == before ? n : 0, t1 - t0);
}

static void core_alone(ULONG n, const unsigned char *send, ULONG send_len,
                       const unsigned char *write, ULONG write_len, const unsigned char *tun,
                       size_t tun_len)
{
    static tapc_adapter ad;
    static const unsigned char mac[6] = {0x00, 0xff, 0x8c, 0x3b, 0x2d, 0x1e};
    tapc_config cfg;
    unsigned char reply[TAPC_REPLY_MAX];
    size_t reply_len, got, w;
    tapc_vlan vlan;
    ULONG ok = 0;

    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.permanent_mac, mac, 6);
    memcpy(cfg.current_mac, mac, 6);
    cfg.mtu = 1500;
    cfg.queue_ring = core_ring;
    cfg.queue_ring_size = sizeof(core_ring);
    if (tapc_adapter_init(&ad, &cfg) != TAPC_STATUS_SUCCESS ||
        tapc_open(&ad) != TAPC_STATUS_SUCCESS) {
        sim_script_error("bench: the core adapter did not initialize");
    }
    tapc_set_paused(&ad, false);
    tapc_set_media(&ad, true);
    if (tun_len != 0 && tapc_ioctl(&ad, 0, TAP_WIN_IOCTL_CONFIG_TUN, tun, tun_len, out_frame, 0,
                                   &w) != TAPC_STATUS_SUCCESS) {
        sim_script_error("bench: tun=: CONFIG_TUN refused the input");
    }
    tapc_take_events(&ad);

    unsigned long long t0 = host_nanoseconds();
    for (ULONG i = 0; i < n; i++) {
        if (tapc_host_send(&ad, send, send_len, NULL, reply, sizeof(reply), &reply_len) ==
                TAPC_SEND_QUEUED &&
            tapc_user_read(&ad, out_frame, sizeof(out_frame), &got) == TAPC_STATUS_SUCCESS) {
            ok++;
        }
        tapc_take_events(&ad);
    }
    unsigned long long t1 = host_nanoseconds();
    report("core", "read", n, ok, t1 - t0);

    ok = 0;
    t0 = host_nanoseconds();
    for (ULONG i = 0; i < n; i++) {
        if (tapc_user_write(&ad, write, write_len, out_frame, sizeof(out_frame), &got, &vlan) ==
            TAPC_STATUS_SUCCESS) {
            ok++;
        }
        tapc_take_events(&ad);
    }
    t1 = host_nanoseconds();
    report("core", "write", n, ok, t1 - t0);
    tapc_close(&ad);
}

void sim_bench(const char *handle, ULONG n, const unsigned char *send, ULONG send_len,
               const unsigned char *write, ULONG write_len, const unsigned char *tun,
               size_t tun_len)
{
    glue(handle, n, send, send_len, write, write_len);
    core_alone(n, send, send_len, write, write_len, tun, tun_len);
}
