/*
 * fuzz_dhcp.c - the DHCP server alone: any configuration, any user options, any client
 * message, every reply type. Input: 16 bytes of MASQ configuration, option length, options,
 * then the frame.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t mac[6] = {0x00, 0xFF, 0x12, 0x34, 0x56, 0x78};
    static const uint8_t server_mac[6] = {0x00, 0xFF, 0x14, 0x34, 0x56, 0x78};
    tapc_dhcp d;
    tapc_dhcp_msg m;
    uint8_t out[TAPC_DHCP_REPLY_MAX];
    uint8_t *frame;
    size_t optlen;
    size_t len;
    int round;

    if (size < 17)
        return 0;
    tapc_dhcp_reset(&d);
    (void)tapc_dhcp_configure(&d, tapc_get32(data), tapc_get32(data + 4), tapc_get32(data + 8),
                              tapc_get32(data + 12));
    optlen = data[16] * 2u;
    if (optlen > size - 17)
        optlen = size - 17;
    CHECK(tapc_dhcp_set_options(&d, data + 17, optlen) == (optlen <= 256));
    len = size - 17 - optlen;
    frame = (uint8_t *)malloc(len ? len : 1);
    CHECK(frame != NULL);
    memcpy(frame, data + 17 + optlen, len);
    for (round = 0; round < 4; round++) {
        uint8_t type;
        size_t n;
        tapc_dhcp_verdict v = tapc_dhcp_classify(frame, len, mac, server_mac, &m);
        CHECK(v == TAPC_DHCP_NOT_OURS || v == TAPC_DHCP_DROP || v == TAPC_DHCP_ANSWER);
        if (v != TAPC_DHCP_ANSWER)
            break;
        CHECK(m.chaddr >= frame && m.chaddr + 16 <= frame + len);
        type = tapc_dhcp_decide(&d, &m);
        CHECK(type == 0 || type == TAPC_DHCP_OFFER || type == TAPC_DHCP_ACK ||
              type == TAPC_DHCP_NAK);
        n = tapc_dhcp_build_reply(&d, &m, type, server_mac, mac, out, sizeof out);
        if (n != 0) {
            tapc_dhcp_msg back;
            CHECK(n <= sizeof out && type != 0);
            /* The reply is well-formed: a server message, never addressed to the server. */
            CHECK(tapc_dhcp_classify(out, n, server_mac, mac, &back) == TAPC_DHCP_NOT_OURS);
            CHECK(tapc_dhcp_classify(out, n, mac, server_mac, &back) == TAPC_DHCP_NOT_OURS);
            CHECK(tapc_ipv4_header_checksum(out + 14, 20) == 0);
            CHECK(out[n - 1] == TAPC_DHCP_OPT_END);
        }
        /* Every reply type builds or fails cleanly, including into small buffers. */
        (void)tapc_dhcp_build_reply(&d, &m, TAPC_DHCP_NAK, server_mac, mac, out,
                                    (size_t)data[16] * 3u);
        (void)tapc_dhcp_build_reply(&d, &m, (uint8_t)(round * 2 + 1), server_mac, mac, out,
                                    sizeof out);
    }
    free(frame);
    return 0;
}
