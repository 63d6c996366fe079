/*
 * tapc_mac.c - MAC derivation.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_mac.h"

static int hex_value(uint16_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool tapc_mac_from_guid(const uint16_t *guid, size_t nchars, uint8_t mac[6])
{
    uint8_t out[6] = {0x00, 0xFF, 0, 0, 0, 0};
    size_t i = 0;
    size_t d;

    if (guid == NULL)
        return false;
    if (nchars > TAPC_GUID_MAX_CHARS)
        nchars = TAPC_GUID_MAX_CHARS;
    if (nchars > 0 && guid[0] == '{')
        i = 1;
    if (nchars - i < 8)
        return false;
    for (d = 0; d < 8; d++) {
        int h = hex_value(guid[i + d]);
        if (h < 0)
            return false;
        out[2 + d / 2] = (uint8_t)((unsigned)out[2 + d / 2] << 4 | (unsigned)h);
    }
    tapc_memcpy(mac, out, 6);
    return true;
}

bool tapc_mac_current(const uint8_t permanent[6], const uint8_t *network_address, size_t len,
                      uint8_t mac[6])
{
    if (network_address != NULL && len == 6 && (network_address[0] & 0x01u) == 0 &&
        (network_address[0] & 0x02u) != 0) {
        tapc_memcpy(mac, network_address, 6);
        return true;
    }
    tapc_memcpy(mac, permanent, 6);
    return false;
}

void tapc_mac_related(const uint8_t mac[6], uint8_t delta, uint8_t out[6])
{
    tapc_memmove(out, mac, 6);
    out[2] = (uint8_t)(out[2] + delta);
}
