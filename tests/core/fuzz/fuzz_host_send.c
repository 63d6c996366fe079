/*
 * fuzz_host_send.c - frames the host stack sends: TAP/TUN filtering, ARP/ND/DHCP responders,
 * 802.1Q insertion, the queue. Input: flags, priority, VLAN (2 bytes), read size, frame.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_env env;
    uint8_t reply[TAPC_REPLY_MAX];
    uint8_t *frame;
    size_t reply_len = 12345;
    tapc_vlan vlan;
    tapc_send_action act;
    size_t len;
    int i;

    if (size < 5)
        return 0;
    fz_setup(&env, data[0]);
    vlan.priority = data[1];
    vlan.vlan_id = (uint16_t)(data[2] << 8 | data[3]);
    len = size - 5;
    /* An exact-size heap copy so that ASan sees any read past the frame. */
    frame = (uint8_t *)malloc(len ? len : 1);
    CHECK(frame != NULL);
    memcpy(frame, data + 5, len);
    for (i = 0; i < 3; i++) { /* three sends: DHCP history and the queue evolve */
        act = tapc_host_send(&env.ad, frame, len, &vlan, reply, sizeof reply, &reply_len);
        CHECK(act <= TAPC_SEND_DROP_MEDIA);
        if (act == TAPC_SEND_REPLY)
            CHECK(reply_len >= TAPC_ETH_MIN_FRAME && reply_len <= sizeof reply);
        else
            CHECK(reply_len == 0);
        if (act == TAPC_SEND_QUEUED)
            CHECK(tapc_queued_frames(&env.ad) >= 1);
        fz_check_queue(&env.ad);
    }
    /* A NULL reply buffer never gets written. */
    (void)tapc_host_send(&env.ad, frame, len, NULL, NULL, 0, NULL);
    fz_drain(&env.ad, (size_t)data[4] * 8u);
    free(frame);
    return 0;
}
