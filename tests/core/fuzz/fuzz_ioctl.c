/*
 * fuzz_ioctl.c - sequences of IOCTLs (METHOD_BUFFERED: one buffer for input and output)
 * interleaved with sends, reads, writes, open/close and state changes.
 *
 * Input: flags, then records {op, in_len, out_len, bytes[in_len]}.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_env env;
    size_t pos = 1;

    if (size < 1)
        return 0;
    fz_setup(&env, data[0]);
    while (size - pos >= 3) {
        uint8_t op = data[pos];
        size_t in_len = data[pos + 1];
        size_t out_len = data[pos + 2];
        uint8_t *buf;
        size_t buf_len;
        size_t written = 777;
        uint8_t reply[TAPC_REPLY_MAX];
        uint8_t frame[TAPC_WRITE_FRAME_MAX];
        tapc_vlan vlan = {0, 0};
        tapc_status st;

        pos += 3;
        if (op & 0x80u) /* long inputs for SET_OPT and frames */
            in_len = in_len * 8u;
        if (in_len > size - pos)
            in_len = size - pos;
        buf_len = in_len > out_len ? in_len : out_len;
        buf = (uint8_t *)malloc(buf_len ? buf_len : 1);
        CHECK(buf != NULL);
        memcpy(buf, data + pos, in_len);
        pos += in_len;

        switch (op & 0x1Fu) {
        case 12:
            (void)tapc_host_send(&env.ad, buf, in_len, &vlan, reply, sizeof reply, &written);
            break;
        case 13:
            fz_drain(&env.ad, out_len * 8u);
            break;
        case 14:
            (void)tapc_user_write(&env.ad, buf, in_len, frame, sizeof frame, &written, &vlan);
            break;
        case 15:
            if (tapc_open(&env.ad) != TAPC_STATUS_SUCCESS)
                tapc_close(&env.ad);
            break;
        case 16:
            tapc_set_paused(&env.ad, (out_len & 1u) != 0);
            break;
        case 17:
            tapc_set_power(&env.ad, (out_len & 1u) != 0);
            break;
        case 18: {
            char text[TAPC_INFO_MAX];
            size_t n = tapc_info_text(&env.ad, text, out_len < sizeof text ? out_len : sizeof text);
            CHECK(n == 0 || (n <= out_len && text[n - 1] == '\0'));
            break;
        }
        default: {
            /* Codes 0..11 (0 is invalid) and some outside the table. */
            uint32_t code = (op & 0x1Fu) < 12 ? (uint32_t)(0x220000u | (op & 0x1Fu) << 2)
                                              : (uint32_t)(0x220000u | (uint32_t)op << 2);
            uint32_t flags = (op & 0x40u) ? TAPC_IOCTL_DIAG : 0u;
            st = tapc_ioctl(&env.ad, flags, code, buf, in_len, buf, out_len, &written);
            /* Configuration IOCTLs report 1 byte even without an output buffer (as 9.x);
             * the I/O manager copies nothing then. */
            CHECK(written <= out_len || (written == 1 && st == TAPC_STATUS_SUCCESS));
            if (st != TAPC_STATUS_SUCCESS)
                CHECK(written == 0);
            if (code == TAP_WIN_IOCTL_GET_INFO && st == TAPC_STATUS_SUCCESS)
                CHECK(written >= 1 && buf[written - 1] == '\0');
            break;
        }
        }
        fz_check_queue(&env.ad);
        free(buf);
    }
    tapc_close(&env.ad);
    CHECK(tapc_queued_frames(&env.ad) == 0);
    return 0;
}
