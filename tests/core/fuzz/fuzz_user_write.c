/*
 * fuzz_user_write.c - frames and packets the application writes: TAP tag stripping, TUN
 * framing, padding. Input: flags, output size selector (2 bytes), data.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_env env;
    uint8_t *in;
    uint8_t *out;
    size_t len;
    size_t cap;
    size_t n = 999;
    tapc_vlan vlan;
    tapc_status st;

    if (size < 3)
        return 0;
    fz_setup(&env, data[0]);
    cap = (size_t)(data[1] << 8 | data[2]) % (TAPC_WRITE_FRAME_MAX + 64u);
    len = size - 3;
    in = (uint8_t *)malloc(len ? len : 1);
    out = (uint8_t *)malloc(cap ? cap : 1);
    CHECK(in != NULL && out != NULL);
    memcpy(in, data + 3, len);
    st = tapc_user_write(&env.ad, in, len, out, cap, &n, &vlan);
    if (st == TAPC_STATUS_SUCCESS && n == 0) {
        CHECK(env.ad.paused && len != 0); /* accepted and dropped while paused (as 9.x) */
    } else if (st == TAPC_STATUS_SUCCESS) {
        CHECK(n >= TAPC_ETH_MIN_FRAME && n <= cap && n <= TAPC_WRITE_FRAME_MAX);
        CHECK(vlan.priority <= 7 && vlan.vlan_id <= 4095);
        if (!env.ad.tun.enabled)
            CHECK(memcmp(out, in, 12) == 0);
        else
            CHECK(memcmp(out + 14, in, len) == 0);
    } else {
        CHECK(n == 0);
        CHECK(st == TAPC_STATUS_CANCELLED || st == TAPC_STATUS_INVALID_PARAMETER ||
              st == TAPC_STATUS_BUFFER_TOO_SMALL);
    }
    /* In place, as a driver may do with its own copy of the write buffer. */
    if (len <= cap) {
        memcpy(out, in, len);
        (void)tapc_user_write(&env.ad, out, len, out, cap, &n, &vlan);
    }
    free(in);
    free(out);
    return 0;
}
