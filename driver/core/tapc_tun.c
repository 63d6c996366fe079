/*
 * tapc_tun.c - TUN framing, ARP responder, neighbour advertisement.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_tun.h"
#include "tapc_net.h"

/* fe80::8, the link-local address OpenVPN gives the TUN peer. */
static const uint8_t peer_ll[16] = {0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08};
/* Its solicited-node multicast group ff02::1:ff00:8. */
static const uint8_t peer_snm[16] = {0xFF, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0, 0, 0x08};
static const uint8_t all_nodes[16] = {0xFF, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t unspecified[16] = {0};

#define ICMP6_NS 135u
#define ICMP6_NA 136u
#define NS_LEN   24u /* type, code, checksum, reserved, target */
#define NA_BODY  32u

size_t tapc_arp_answer(const uint8_t *frame, size_t len, const uint8_t adapter_mac[6], uint32_t ip,
                       uint32_t net, uint32_t mask, const uint8_t answer_mac[6], uint8_t *out,
                       size_t cap)
{
    tapc_eth_view eth;
    tapc_arp_view arp;
    uint8_t *a;

    if (!tapc_eth_parse(frame, len, &eth) || eth.type != TAPC_ETHERTYPE_ARP ||
        !tapc_arp_parse(eth.payload, eth.payload_len, &arp))
        return 0;
    if (arp.op != TAPC_ARP_REQUEST || tapc_memcmp(eth.src, adapter_mac, 6) != 0 ||
        tapc_memcmp(arp.sha, adapter_mac, 6) != 0 ||
        !(tapc_mac_is_broadcast(eth.dst) || tapc_memcmp(eth.dst, answer_mac, 6) == 0))
        return 0;
    if (arp.spa != ip || (arp.tpa & mask) != net || arp.tpa == ip)
        return 0;
    if (out == NULL || cap < TAPC_ARP_REPLY_LEN)
        return 0;

    tapc_eth_build(out, adapter_mac, answer_mac, TAPC_ETHERTYPE_ARP);
    a = out + TAPC_ETH_HLEN;
    tapc_put16(a, 1);
    tapc_put16(a + 2, TAPC_ETHERTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    tapc_put16(a + 6, TAPC_ARP_REPLY);
    tapc_memcpy(a + 8, answer_mac, 6);
    tapc_put32(a + 14, arp.tpa);
    tapc_memcpy(a + 18, adapter_mac, 6);
    tapc_put32(a + 24, ip);
    return tapc_eth_pad(out, TAPC_ETH_HLEN + TAPC_ARP_LEN, cap);
}

size_t tapc_nd_answer(const uint8_t *frame, size_t len, const uint8_t peer_mac[6], uint8_t *out,
                      size_t cap)
{
    tapc_eth_view eth;
    tapc_ipv6_view ip6;
    const uint8_t *ns;
    const uint8_t *dst;
    uint8_t *h;
    uint8_t *na;
    bool dad;

    if (!tapc_eth_parse(frame, len, &eth) || eth.type != TAPC_ETHERTYPE_IPV6 ||
        !tapc_ipv6_parse(eth.payload, eth.payload_len, &ip6))
        return 0;
    if (ip6.next_header != TAPC_IPPROTO_ICMPV6 || ip6.hop_limit != 255u || ip6.payload_len < NS_LEN)
        return 0;
    if (tapc_memcmp(ip6.dst, peer_snm, 16) != 0 && tapc_memcmp(ip6.dst, peer_ll, 16) != 0)
        return 0;
    ns = ip6.payload;
    if (ns[0] != ICMP6_NS || ns[1] != 0 || tapc_memcmp(ns + 8, peer_ll, 16) != 0)
        return 0;
    if (tapc_icmp6_checksum(ip6.src, ip6.dst, ns, ip6.payload_len) != 0)
        return 0;
    if (out == NULL || cap < TAPC_NA_LEN)
        return 0;

    dad = tapc_memcmp(ip6.src, unspecified, 16) == 0;
    dst = dad ? all_nodes : ip6.src;
    if (dad) {
        static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
        tapc_eth_build(out, all_nodes_mac, peer_mac, TAPC_ETHERTYPE_IPV6);
    } else {
        tapc_eth_build(out, eth.src, peer_mac, TAPC_ETHERTYPE_IPV6);
    }
    h = out + TAPC_ETH_HLEN;
    tapc_put32(h, 0x60000000u); /* version 6, class 0, flow 0 */
    tapc_put16(h + 4, NA_BODY);
    h[6] = (uint8_t)TAPC_IPPROTO_ICMPV6;
    h[7] = 255;
    tapc_memcpy(h + 8, peer_ll, 16);
    tapc_memmove(h + 24, dst, 16); /* dst may point into frame, which may alias out */
    na = h + TAPC_IPV6_HLEN;
    na[0] = ICMP6_NA;
    na[1] = 0;
    tapc_put16(na + 2, 0);
    tapc_put32(na + 4, (uint32_t)(dad ? 0x20u : TAPC_NA_FLAGS) << 24);
    tapc_memcpy(na + 8, peer_ll, 16);
    na[24] = 2; /* target link-layer address */
    na[25] = 1; /* in units of 8 bytes */
    tapc_memcpy(na + 26, peer_mac, 6);
    tapc_put16(na + 2, tapc_icmp6_checksum(h + 8, h + 24, na, NA_BODY));
    return TAPC_ETH_HLEN + TAPC_IPV6_HLEN + NA_BODY;
}

size_t tapc_tun_from_host(const uint8_t *frame, size_t len, const uint8_t adapter_mac[6],
                          const uint8_t peer_mac[6])
{
    tapc_eth_view eth;

    if (!tapc_eth_parse(frame, len, &eth))
        return 0;
    if (eth.type == TAPC_ETHERTYPE_IPV4) {
        if (len < TAPC_TUN_IPV4_MIN_FRAME || tapc_memcmp(eth.dst, peer_mac, 6) != 0 ||
            tapc_memcmp(eth.src, adapter_mac, 6) != 0)
            return 0;
        return TAPC_ETH_HLEN;
    }
    if (eth.type == TAPC_ETHERTYPE_IPV6 && len >= TAPC_TUN_IPV6_MIN_FRAME)
        return TAPC_ETH_HLEN;
    return 0;
}

size_t tapc_tun_to_host(const uint8_t *packet, size_t len, const uint8_t adapter_mac[6],
                        const uint8_t peer_mac[6], uint8_t *out, size_t cap)
{
    unsigned version;
    uint16_t type;

    if (packet == NULL || len < TAPC_TUN_WRITE_MIN || len > TAPC_ETH_MAX_PAYLOAD)
        return 0;
    version = packet[0] >> 4;
    if (version == 4u)
        type = TAPC_ETHERTYPE_IPV4;
    else if (version == 6u)
        type = TAPC_ETHERTYPE_IPV6;
    else
        return 0;
    if (out == NULL || cap < TAPC_ETH_HLEN + len || cap < TAPC_ETH_MIN_FRAME)
        return 0;
    tapc_memmove(out + TAPC_ETH_HLEN, packet, len);
    tapc_eth_build(out, adapter_mac, peer_mac, type);
    return tapc_eth_pad(out, TAPC_ETH_HLEN + len, cap);
}
