/*
 * fuzz_oid.c - OID requests as NDIS hands them to the miniport: queries and sets of every
 * OID the core answers (and of raw OID numbers) with buffers of any length, interleaved with
 * host sends through the packet filter. The bug class: trusting an InformationBufferLength.
 *
 * Input: flags, then records {op, oid, len, bytes[len]} (op & 0x80: len counts 8-byte units).
 * op & 3: 0 query, 1 set, 2 query or set (op & 4) of the OID in the next four bytes,
 * 3 a frame through tapc_ndis_filter and tapc_host_send.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz_common.h"
#include "tapc_ndis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void query(const tapc_adapter *ad, const tapc_ndis *nd, uint32_t oid, size_t cap)
{
    uint8_t *out = (uint8_t *)malloc(cap ? cap : 1); /* exactly cap bytes: ASan sees overruns */
    size_t written = 777, needed = 777;
    uint32_t st;

    CHECK(out != NULL);
    st = tapc_oid_query(ad, nd, oid, cap ? out : NULL, cap, &written, &needed);
    CHECK(written <= cap);
    if (st == TAPC_NDIS_SUCCESS)
        CHECK(needed == 0);
    else
        CHECK(written == 0);
    if (st == TAPC_NDIS_BUFFER_TOO_SHORT)
        CHECK(needed > cap);
    free(out);
}

static void set(tapc_adapter *ad, tapc_ndis *nd, uint32_t oid, const uint8_t *in, size_t len)
{
    uint8_t *copy = (uint8_t *)malloc(len ? len : 1);
    size_t read = 777, needed = 777;
    uint32_t st;

    CHECK(copy != NULL);
    memcpy(copy, in, len);
    st = tapc_oid_set(ad, nd, oid, len ? copy : NULL, len, &read, &needed);
    CHECK(read <= len);
    if (st == TAPC_NDIS_INVALID_LENGTH)
        CHECK(needed > len);
    CHECK(nd->multicast_count <= TAPC_MULTICAST_MAX);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_env env;
    tapc_ndis nd;
    size_t count = 0, pos = 1;
    const uint32_t *oids = tapc_ndis_oids(&count);

    if (size < 1)
        return 0;
    CHECK(oids != NULL && count > 0);
    fz_setup(&env, data[0]);
    tapc_ndis_init(&nd, (data[0] & 1u) ? 0x0614u : 0x061Eu);
    while (size - pos >= 3) {
        uint8_t op = data[pos];
        uint32_t oid = oids[data[pos + 1] % count];
        size_t len = data[pos + 2];

        pos += 3;
        if (op & 0x80u)
            len *= 8u;
        if ((op & 3u) == 2u) {
            if (size - pos < 4)
                break;
            oid = (uint32_t)data[pos] | (uint32_t)data[pos + 1] << 8 |
                  (uint32_t)data[pos + 2] << 16 | (uint32_t)data[pos + 3] << 24;
            pos += 4;
        }
        if ((op & 3u) != 0u && len > size - pos)
            len = size - pos;
        switch (op & 3u) {
        case 0:
            query(&env.ad, &nd, oid, len);
            break;
        case 1:
            set(&env.ad, &nd, oid, data + pos, len);
            break;
        case 2:
            if (op & 4u)
                set(&env.ad, &nd, oid, data + pos, len);
            else
                query(&env.ad, &nd, oid, len);
            break;
        default: {
            uint8_t reply[TAPC_REPLY_MAX];
            size_t written = 0;
            tapc_vlan vlan = {0, 0};
            uint8_t *frame = (uint8_t *)malloc(len ? len : 1);
            CHECK(frame != NULL);
            memcpy(frame, data + pos, len);
            (void)tapc_ndis_filter(&env.ad, &nd, frame, len);
            (void)tapc_host_send(&env.ad, frame, len, &vlan, reply, sizeof reply, &written);
            CHECK(written <= sizeof reply);
            free(frame);
            break;
        }
        }
        if ((op & 3u) != 0u)
            pos += len;
        fz_check_queue(&env.ad);
    }
    tapc_close(&env.ad);
    return 0;
}
