/*
 * tapc_net.c - protocol header parsing, building and checksums.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_net.h"

bool tapc_eth_parse(const uint8_t *p, size_t len, tapc_eth_view *v)
{
    if (p == NULL || len < TAPC_ETH_HLEN)
        return false;
    v->dst = p;
    v->src = p + TAPC_ETH_ALEN;
    v->type = tapc_get16(p + 12);
    v->payload = p + TAPC_ETH_HLEN;
    v->payload_len = len - TAPC_ETH_HLEN;
    return true;
}

bool tapc_arp_parse(const uint8_t *p, size_t len, tapc_arp_view *v)
{
    if (p == NULL || len < TAPC_ARP_LEN)
        return false;
    /* Ethernet hardware (1), IPv4 protocol, 6-byte and 4-byte addresses. */
    if (tapc_get16(p) != 1u || tapc_get16(p + 2) != TAPC_ETHERTYPE_IPV4 || p[4] != 6u || p[5] != 4u)
        return false;
    v->op = tapc_get16(p + 6);
    v->sha = p + 8;
    v->spa = tapc_get32(p + 14);
    v->tha = p + 18;
    v->tpa = tapc_get32(p + 24);
    return true;
}

bool tapc_ipv4_parse(const uint8_t *p, size_t len, tapc_ipv4_view *v)
{
    size_t hlen;
    size_t total;

    if (p == NULL || len < TAPC_IPV4_HLEN || (p[0] >> 4) != 4u)
        return false;
    hlen = (size_t)(p[0] & 0x0Fu) * 4u;
    total = tapc_get16(p + 2);
    if (hlen < TAPC_IPV4_HLEN || hlen > len || total < hlen || total > len)
        return false;
    v->header_len = hlen;
    v->total_len = total;
    v->ttl = p[8];
    v->proto = p[9];
    v->fragment = (tapc_get16(p + 6) & 0x3FFFu) != 0u; /* MF or offset */
    v->src = tapc_get32(p + 12);
    v->dst = tapc_get32(p + 16);
    v->header = p;
    v->payload = p + hlen;
    v->payload_len = total - hlen;
    return true;
}

bool tapc_ipv6_parse(const uint8_t *p, size_t len, tapc_ipv6_view *v)
{
    size_t plen;

    if (p == NULL || len < TAPC_IPV6_HLEN || (p[0] >> 4) != 6u)
        return false;
    plen = tapc_get16(p + 4);
    if (plen > len - TAPC_IPV6_HLEN)
        return false;
    v->next_header = p[6];
    v->hop_limit = p[7];
    v->src = p + 8;
    v->dst = p + 24;
    v->payload = p + TAPC_IPV6_HLEN;
    v->payload_len = plen;
    return true;
}

bool tapc_udp_parse(const uint8_t *p, size_t len, tapc_udp_view *v)
{
    size_t ulen;

    if (p == NULL || len < TAPC_UDP_HLEN)
        return false;
    ulen = tapc_get16(p + 4);
    if (ulen < TAPC_UDP_HLEN || ulen > len)
        return false;
    v->src_port = tapc_get16(p);
    v->dst_port = tapc_get16(p + 2);
    v->payload = p + TAPC_UDP_HLEN;
    v->payload_len = ulen - TAPC_UDP_HLEN;
    return true;
}

bool tapc_mac_is_broadcast(const uint8_t *mac)
{
    return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xFFu;
}

bool tapc_mac_is_multicast(const uint8_t *mac)
{
    return (mac[0] & 1u) != 0u;
}

uint32_t tapc_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    sum = (sum & 0xFFFFu) + (sum >> 16); /* at most 0x1FFFE: no overflow for any length */
    for (i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
        if (sum & 0x80000000u)
            sum = (sum & 0xFFFFu) + (sum >> 16);
    }
    if (i < len)
        sum += (uint32_t)p[i] << 8;
    return sum;
}

uint16_t tapc_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFFu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t tapc_ipv4_header_checksum(const uint8_t *header, size_t header_len)
{
    return tapc_csum_fold(tapc_csum_add(0, header, header_len));
}

uint16_t tapc_udp4_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t udp_len)
{
    uint8_t pseudo[12];
    uint16_t c;

    tapc_put32(pseudo, src);
    tapc_put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = (uint8_t)TAPC_IPPROTO_UDP;
    tapc_put16(pseudo + 10, (uint16_t)udp_len);
    c = tapc_csum_fold(tapc_csum_add(tapc_csum_add(0, pseudo, sizeof pseudo), udp, udp_len));
    return c == 0 ? 0xFFFFu : c;
}

uint16_t tapc_icmp6_checksum(const uint8_t *src16, const uint8_t *dst16, const uint8_t *icmp,
                             size_t icmp_len)
{
    uint8_t tail[8];
    uint32_t sum;

    tapc_put32(tail, (uint32_t)icmp_len);
    tail[4] = tail[5] = tail[6] = 0;
    tail[7] = (uint8_t)TAPC_IPPROTO_ICMPV6;
    sum = tapc_csum_add(0, src16, 16);
    sum = tapc_csum_add(sum, dst16, 16);
    sum = tapc_csum_add(sum, tail, sizeof tail);
    return tapc_csum_fold(tapc_csum_add(sum, icmp, icmp_len));
}

size_t tapc_eth_build(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    tapc_memcpy(p, dst, TAPC_ETH_ALEN);
    tapc_memcpy(p + TAPC_ETH_ALEN, src, TAPC_ETH_ALEN);
    tapc_put16(p + 12, type);
    return TAPC_ETH_HLEN;
}

size_t tapc_ipv4_build(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
                       size_t payload_len)
{
    p[0] = 0x45;
    p[1] = 0;
    tapc_put16(p + 2, (uint16_t)(TAPC_IPV4_HLEN + payload_len));
    tapc_put16(p + 4, 0); /* identification */
    tapc_put16(p + 6, 0); /* flags, fragment offset */
    p[8] = ttl;
    p[9] = proto;
    tapc_put16(p + 10, 0);
    tapc_put32(p + 12, src);
    tapc_put32(p + 16, dst);
    tapc_put16(p + 10, tapc_ipv4_header_checksum(p, TAPC_IPV4_HLEN));
    return TAPC_IPV4_HLEN;
}

size_t tapc_udp_build(uint8_t *p, uint16_t src_port, uint16_t dst_port, size_t payload_len)
{
    tapc_put16(p, src_port);
    tapc_put16(p + 2, dst_port);
    tapc_put16(p + 4, (uint16_t)(TAPC_UDP_HLEN + payload_len));
    tapc_put16(p + 6, 0);
    return TAPC_UDP_HLEN;
}

size_t tapc_eth_pad(uint8_t *frame, size_t len, size_t cap)
{
    if (len >= TAPC_ETH_MIN_FRAME || cap < TAPC_ETH_MIN_FRAME)
        return len;
    tapc_memset(frame + len, 0, TAPC_ETH_MIN_FRAME - len);
    return TAPC_ETH_MIN_FRAME;
}
