/*
 * tapc_net.h - Ethernet, ARP, IPv4, IPv6, ICMPv6 and UDP: bounds-checked parsing into views,
 * header building and Internet checksums.
 *
 * IPv4 addresses are uint32_t in numeric order (a.b.c.d is a << 24 | ... | d): reading the
 * four network-order bytes with tapc_get32 gives this value.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_NET_H
#define TAPC_NET_H

#include "tapc_base.h"

#define TAPC_ETH_ALEN        ((size_t)6)
#define TAPC_ETH_HLEN        14
#define TAPC_ETH_MIN_FRAME   60 /* frames indicated to NDIS are padded to this */
#define TAPC_ETH_MAX_PAYLOAD 1500
#define TAPC_ETH_MAX_FRAME   1514 /* header + 1500 */
#define TAPC_VLAN_HLEN       4
#define TAPC_ETH_MAX_TAGGED  1518 /* largest frame a read can return */

#define TAPC_ETHERTYPE_IPV4 0x0800u
#define TAPC_ETHERTYPE_ARP  0x0806u
#define TAPC_ETHERTYPE_VLAN 0x8100u
#define TAPC_ETHERTYPE_IPV6 0x86DDu

#define TAPC_ARP_LEN     28 /* Ethernet/IPv4 ARP body */
#define TAPC_ARP_REQUEST 1u
#define TAPC_ARP_REPLY   2u

#define TAPC_IPV4_HLEN      20
#define TAPC_IPV6_HLEN      40
#define TAPC_UDP_HLEN       8
#define TAPC_IPPROTO_UDP    17u
#define TAPC_IPPROTO_ICMPV6 58u

typedef struct tapc_eth_view {
    const uint8_t *dst;
    const uint8_t *src;
    uint16_t type;
    const uint8_t *payload;
    size_t payload_len;
} tapc_eth_view;

typedef struct tapc_arp_view {
    uint16_t op;
    const uint8_t *sha; /* sender hardware address */
    uint32_t spa;       /* sender protocol address */
    const uint8_t *tha;
    uint32_t tpa;
} tapc_arp_view;

typedef struct tapc_ipv4_view {
    size_t header_len; /* IHL * 4 */
    size_t total_len;  /* from the header; <= the bytes available */
    uint8_t proto;
    uint8_t ttl;
    bool fragment; /* MF set or non-zero offset */
    uint32_t src;
    uint32_t dst;
    const uint8_t *header;
    const uint8_t *payload;
    size_t payload_len; /* total_len - header_len */
} tapc_ipv4_view;

typedef struct tapc_ipv6_view {
    uint8_t next_header;
    uint8_t hop_limit;
    const uint8_t *src; /* 16 bytes */
    const uint8_t *dst; /* 16 bytes */
    const uint8_t *payload;
    size_t payload_len; /* from the header; <= the bytes available */
} tapc_ipv6_view;

typedef struct tapc_udp_view {
    uint16_t src_port;
    uint16_t dst_port;
    const uint8_t *payload;
    size_t payload_len; /* UDP length - 8; <= the bytes available */
} tapc_udp_view;

/* Parsers: true when the bytes hold a well-formed header of that kind; views point into p. */
bool tapc_eth_parse(const uint8_t *p, size_t len, tapc_eth_view *v);
bool tapc_arp_parse(const uint8_t *p, size_t len, tapc_arp_view *v);
bool tapc_ipv4_parse(const uint8_t *p, size_t len, tapc_ipv4_view *v);
bool tapc_ipv6_parse(const uint8_t *p, size_t len, tapc_ipv6_view *v);
bool tapc_udp_parse(const uint8_t *p, size_t len, tapc_udp_view *v);

/* MAC address classes (by the group bit and the all-ones address). */
bool tapc_mac_is_broadcast(const uint8_t *mac);
bool tapc_mac_is_multicast(const uint8_t *mac); /* includes broadcast */

/* Internet checksum (RFC 1071). Chain tapc_csum_add calls over even lengths (any length for
 * the last one), then fold. */
uint32_t tapc_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t tapc_csum_fold(uint32_t sum);
uint16_t tapc_ipv4_header_checksum(const uint8_t *header, size_t header_len);
/* UDP over IPv4: the checksum field inside udp must be zero or the value to verify (a
 * correct packet then sums to 0). Returns the value to store (0 is sent as 0xFFFF). */
uint16_t tapc_udp4_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t udp_len);
uint16_t tapc_icmp6_checksum(const uint8_t *src16, const uint8_t *dst16, const uint8_t *icmp,
                             size_t icmp_len);

/* Builders: write a header at p (the caller guarantees the room) and return its length. */
size_t tapc_eth_build(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type);
/* IPv4 header without options, checksum filled in. */
size_t tapc_ipv4_build(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
                       size_t payload_len);
size_t tapc_udp_build(uint8_t *p, uint16_t src_port, uint16_t dst_port, size_t payload_len);

/* Pad a frame of len bytes in a buffer of cap bytes with zeros to TAPC_ETH_MIN_FRAME;
 * returns the new length (len itself when it is long enough or cap is too small). */
size_t tapc_eth_pad(uint8_t *frame, size_t len, size_t cap);

#endif /* TAPC_NET_H */
