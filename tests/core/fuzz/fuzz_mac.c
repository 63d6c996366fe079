/*
 * fuzz_mac.c - registry-derived inputs: the adapter GUID (UTF-16) and NetworkAddress.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t perm[6] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
    uint8_t cur[6];
    uint16_t *guid;
    size_t nchars = size / 2;
    uint8_t *na;

    guid = (uint16_t *)malloc(nchars ? nchars * 2 : 2);
    CHECK(guid != NULL);
    memcpy(guid, data, nchars * 2);
    if (tapc_mac_from_guid(guid, nchars, perm))
        CHECK(perm[0] == 0x00 && perm[1] == 0xFF);
    else
        CHECK(perm[0] == 0x11);
    free(guid);
    na = (uint8_t *)malloc(size ? size : 1);
    CHECK(na != NULL);
    memcpy(na, data, size);
    if (tapc_mac_current(perm, na, size, cur))
        CHECK(size == 6 && (cur[0] & 3u) == 2u);
    else
        CHECK(memcmp(cur, perm, 6) == 0);
    free(na);
    return 0;
}
