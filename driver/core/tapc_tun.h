/*
 * tapc_tun.h - TUN framing (IP packets to and from Ethernet frames), the ARP responder and
 * the IPv6 neighbour advertisement for fe80::8.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_TUN_H
#define TAPC_TUN_H

#include "tapc_base.h"

#define TAPC_ARP_REPLY_LEN      60    /* 42 bytes, padded to the Ethernet minimum */
#define TAPC_NA_LEN             86    /* Ethernet + IPv6 + NA (24) + target link-layer option (8) */
#define TAPC_NA_FLAGS           0x60u /* solicited, override */
#define TAPC_TUN_IPV4_MIN_FRAME 34u   /* host frames: Ethernet + 20 */
#define TAPC_TUN_IPV6_MIN_FRAME 54u   /* Ethernet + 40 */
#define TAPC_TUN_WRITE_MIN      20u   /* IP packets written by the application */

typedef struct tapc_tun {
    bool enabled;
    uint32_t local_ip;
    uint32_t remote_net;
    uint32_t remote_mask;
} tapc_tun;

/*
 * ARP responder: when frame is an ARP request from adapter_mac (Ethernet source and sender
 * hardware address), sent to the broadcast address or to answer_mac, whose sender address is
 * ip, whose target is in net/mask and is not ip, write the reply "target is at answer_mac"
 * to out and return its length (TAPC_ARP_REPLY_LEN); else 0.
 */
size_t tapc_arp_answer(const uint8_t *frame, size_t len, const uint8_t adapter_mac[6], uint32_t ip,
                       uint32_t net, uint32_t mask, const uint8_t answer_mac[6], uint8_t *out,
                       size_t cap);

/*
 * Neighbour solicitation for fe80::8 (to ff02::1:ff00:8 or fe80::8, hop limit 255, valid
 * ICMPv6 checksum): write the advertisement (flags 0x60, hop limit 255, target link-layer
 * address peer_mac) to out and return TAPC_NA_LEN; else 0. A solicitation from :: (duplicate
 * address detection) is answered to ff02::1 without the solicited flag (RFC 4861 7.2.4).
 */
size_t tapc_nd_answer(const uint8_t *frame, size_t len, const uint8_t peer_mac[6], uint8_t *out,
                      size_t cap);

/*
 * Host frame to application packet: the offset of the IP packet inside frame (14) when the
 * frame may go to the application in TUN mode, else 0. IPv4 needs the exact header
 * {dst peer_mac, src adapter_mac, 0x0800} and >= 34 bytes; IPv6 needs >= 54 bytes.
 */
size_t tapc_tun_from_host(const uint8_t *frame, size_t len, const uint8_t adapter_mac[6],
                          const uint8_t peer_mac[6]);

/*
 * Application packet to host frame: {dst adapter_mac, src peer_mac, 0x0800 or 0x86DD by the
 * version nibble} + packet, padded to 60. Returns the frame length; 0 when the packet is not
 * 20..1500 bytes of IPv4 or IPv6 or cap is too small.
 */
size_t tapc_tun_to_host(const uint8_t *packet, size_t len, const uint8_t adapter_mac[6],
                        const uint8_t peer_mac[6], uint8_t *out, size_t cap);

#endif /* TAPC_TUN_H */
