/*
 * tapc_dhcp.c - DHCP masquerade server.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_dhcp.h"
#include "tapc_net.h"

#define BOOTREQUEST 1u
#define BOOTREPLY   2u
#define OFF_OP      0u
#define OFF_HTYPE   1u
#define OFF_HLEN    2u
#define OFF_XID     4u
#define OFF_FLAGS   10u
#define OFF_CIADDR  12u
#define OFF_YIADDR  16u
#define OFF_SIADDR  20u
#define OFF_GIADDR  24u
#define OFF_CHADDR  28u
#define OFF_COOKIE  TAPC_DHCP_FIXED_LEN
#define OFF_OPTIONS (TAPC_DHCP_FIXED_LEN + 4u)

void tapc_dhcp_reset(tapc_dhcp *d)
{
    tapc_memset(d, 0, sizeof *d);
}

bool tapc_dhcp_configure(tapc_dhcp *d, uint32_t addr, uint32_t netmask, uint32_t server_ip,
                         uint32_t lease_seconds)
{
    tapc_dhcp_reset(d);
    if (addr == 0 || netmask == 0 || server_ip == 0 || lease_seconds == 0)
        return false;
    d->addr = addr;
    d->netmask = netmask;
    d->server_ip = server_ip;
    d->lease_seconds = lease_seconds;
    d->enabled = true;
    return true;
}

bool tapc_dhcp_set_options(tapc_dhcp *d, const uint8_t *p, size_t len)
{
    if (len > TAPC_DHCP_USER_OPTIONS_MAX || (p == NULL && len != 0))
        return false;
    if (len != 0)
        tapc_memcpy(d->user_options, p, len);
    d->user_options_len = len;
    return true;
}

static bool parse_options(const uint8_t *o, size_t len, tapc_dhcp_msg *m)
{
    size_t i = 0;

    m->type = 0;
    while (i < len) {
        uint8_t code = o[i];
        size_t olen;
        if (code == TAPC_DHCP_OPT_PAD) {
            i++;
            continue;
        }
        if (code == TAPC_DHCP_OPT_END)
            break;
        if (len - i < 2)
            return false;
        olen = o[i + 1];
        if (olen > len - i - 2)
            return false;
        switch (code) {
        case TAPC_DHCP_OPT_MSG_TYPE:
            if (olen != 1)
                return false;
            m->type = o[i + 2];
            break;
        case TAPC_DHCP_OPT_REQUESTED_IP:
            if (olen == 4) {
                m->has_requested_ip = true;
                m->requested_ip = tapc_get32(o + i + 2);
            }
            break;
        case TAPC_DHCP_OPT_SERVER_ID:
            if (olen == 4) {
                m->has_server_id = true;
                m->server_id = tapc_get32(o + i + 2);
            }
            break;
        default:
            break;
        }
        i += 2 + olen;
    }
    return m->type != 0;
}

/* Offsets in a host frame of an untagged IPv4 packet with a 20-byte header. */
#define FRAME_UDP  (TAPC_ETH_HLEN + TAPC_IPV4_HLEN)
#define FRAME_BOOT (FRAME_UDP + TAPC_UDP_HLEN)

/* Addressed to the masquerade, judged at fixed offsets whatever the length fields say: an
 * IPv4 (20-byte header) UDP datagram 68 -> 67 with room for the BOOTP header and cookie, from
 * the adapter's MAC to the broadcast or server MAC, hlen 6 and chaddr the adapter's MAC. */
static bool addressed_to_server(const uint8_t *f, size_t len, const uint8_t mac[6],
                                const uint8_t server_mac[6])
{
    if (f == NULL || len < FRAME_BOOT + OFF_OPTIONS)
        return false;
    if (tapc_get16(f + 12) != TAPC_ETHERTYPE_IPV4 || f[TAPC_ETH_HLEN] != 0x45u ||
        f[TAPC_ETH_HLEN + 9] != TAPC_IPPROTO_UDP)
        return false;
    if (tapc_get16(f + FRAME_UDP) != TAPC_DHCP_CLIENT_PORT ||
        tapc_get16(f + FRAME_UDP + 2) != TAPC_DHCP_SERVER_PORT)
        return false;
    if (tapc_memcmp(f + 6, mac, 6) != 0 ||
        !(tapc_mac_is_broadcast(f) || tapc_memcmp(f, server_mac, 6) == 0))
        return false;
    return f[FRAME_BOOT + OFF_HLEN] == 6u && tapc_memcmp(f + FRAME_BOOT + OFF_CHADDR, mac, 6) == 0;
}

tapc_dhcp_verdict tapc_dhcp_classify(const uint8_t *frame, size_t len, const uint8_t mac[6],
                                     const uint8_t server_mac[6], tapc_dhcp_msg *m)
{
    tapc_eth_view eth;
    tapc_ipv4_view ip;
    tapc_udp_view udp;
    const uint8_t *b;

    if (!addressed_to_server(frame, len, mac, server_mac))
        return TAPC_DHCP_NOT_OURS;
    /* Ours from here: answered, or consumed (a bad IP or UDP length, a fragment, a BOOTREPLY,
     * another hardware type, a bad cookie, no or a malformed message type). */
    if (!tapc_eth_parse(frame, len, &eth) || !tapc_ipv4_parse(eth.payload, eth.payload_len, &ip) ||
        ip.fragment || !tapc_udp_parse(ip.payload, ip.payload_len, &udp) ||
        udp.payload_len < OFF_OPTIONS)
        return TAPC_DHCP_DROP;
    b = udp.payload;
    if (b[OFF_OP] != BOOTREQUEST || b[OFF_HTYPE] != 1u ||
        tapc_get32(b + OFF_COOKIE) != TAPC_DHCP_COOKIE)
        return TAPC_DHCP_DROP;
    tapc_memset(m, 0, sizeof *m);
    if (!parse_options(b + OFF_OPTIONS, udp.payload_len - OFF_OPTIONS, m))
        return TAPC_DHCP_DROP;
    m->xid = tapc_get32(b + OFF_XID);
    m->flags = tapc_get16(b + OFF_FLAGS);
    m->ciaddr = tapc_get32(b + OFF_CIADDR);
    m->giaddr = tapc_get32(b + OFF_GIADDR);
    m->chaddr = b + OFF_CHADDR;
    m->eth_broadcast = tapc_mac_is_broadcast(eth.dst);
    return TAPC_DHCP_ANSWER;
}

uint8_t tapc_dhcp_decide(tapc_dhcp *d, const tapc_dhcp_msg *m)
{
    bool addr_ok;

    if (!d->enabled)
        return 0;
    if (m->type == TAPC_DHCP_DISCOVER) {
        d->received_discover = true;
        d->bad_requests = 0;
        return TAPC_DHCP_OFFER;
    }
    if (m->type != TAPC_DHCP_REQUEST)
        return 0;
    addr_ok = (m->ciaddr == 0 || m->ciaddr == d->addr) &&
              (!m->has_requested_ip || m->requested_ip == d->addr) &&
              (m->ciaddr != 0 || m->has_requested_ip);
    if (d->received_discover && addr_ok && d->bad_requests < TAPC_DHCP_BAD_REQUEST_LIMIT)
        return TAPC_DHCP_ACK;
    if (d->bad_requests < 0xFFFFFFFFu)
        d->bad_requests++;
    return TAPC_DHCP_NAK;
}

/* Append option code/len/value; false when it would pass TAPC_DHCP_OPTIONS_MAX (end kept). */
static bool put_option(uint8_t *o, size_t *n, uint8_t code, const uint8_t *v, size_t vlen)
{
    if (vlen > 255 || 2 + vlen > TAPC_DHCP_OPTIONS_MAX - 1 - *n)
        return false;
    o[*n] = code;
    o[*n + 1] = (uint8_t)vlen;
    tapc_memcpy(o + *n + 2, v, vlen);
    *n += 2 + vlen;
    return true;
}

size_t tapc_dhcp_build_reply(const tapc_dhcp *d, const tapc_dhcp_msg *m, uint8_t type,
                             const uint8_t server_mac[6], const uint8_t client_mac[6], uint8_t *out,
                             size_t cap)
{
    static const uint8_t bcast_mac[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    uint8_t opts[TAPC_DHCP_OPTIONS_MAX];
    uint8_t v[4];
    size_t n = 0;
    size_t bootp_len;
    size_t frame_len;
    bool bcast;
    bool grant = type == TAPC_DHCP_OFFER || type == TAPC_DHCP_ACK;
    uint32_t dst_ip;
    uint8_t *ipp;
    uint8_t *udp;
    uint8_t *b;

    if (!grant && type != TAPC_DHCP_NAK)
        return 0;
    v[0] = type;
    if (!put_option(opts, &n, TAPC_DHCP_OPT_MSG_TYPE, v, 1))
        return 0;
    tapc_put32(v, d->server_ip);
    if (!put_option(opts, &n, TAPC_DHCP_OPT_SERVER_ID, v, 4))
        return 0;
    if (grant) {
        tapc_put32(v, d->lease_seconds);
        if (!put_option(opts, &n, TAPC_DHCP_OPT_LEASE_TIME, v, 4))
            return 0;
        tapc_put32(v, d->netmask);
        if (!put_option(opts, &n, TAPC_DHCP_OPT_NETMASK, v, 4))
            return 0;
        if (d->user_options_len > TAPC_DHCP_OPTIONS_MAX - 1 - n)
            return 0;
        if (d->user_options_len != 0)
            tapc_memcpy(opts + n, d->user_options, d->user_options_len);
        n += d->user_options_len;
    }
    opts[n++] = (uint8_t)TAPC_DHCP_OPT_END;

    bootp_len = OFF_OPTIONS + n;
    frame_len = TAPC_ETH_HLEN + TAPC_IPV4_HLEN + TAPC_UDP_HLEN + bootp_len;
    if (out == NULL || cap < frame_len)
        return 0;

    bcast = type == TAPC_DHCP_NAK || m->eth_broadcast;
    dst_ip = bcast ? 0xFFFFFFFFu : d->addr;
    tapc_eth_build(out, bcast ? bcast_mac : client_mac, server_mac, TAPC_ETHERTYPE_IPV4);
    ipp = out + TAPC_ETH_HLEN;
    udp = ipp + TAPC_IPV4_HLEN;
    b = udp + TAPC_UDP_HLEN;

    tapc_memset(b, 0, OFF_OPTIONS);
    b[OFF_OP] = BOOTREPLY;
    b[OFF_HTYPE] = 1;
    b[OFF_HLEN] = 6;
    tapc_put32(b + OFF_XID, m->xid);
    tapc_put16(b + OFF_FLAGS, m->flags);
    tapc_put32(b + OFF_CIADDR, type == TAPC_DHCP_ACK ? m->ciaddr : 0);
    tapc_put32(b + OFF_YIADDR, grant ? d->addr : 0);
    tapc_put32(b + OFF_SIADDR, grant ? d->server_ip : 0);
    tapc_put32(b + OFF_GIADDR, m->giaddr);
    tapc_memcpy(b + OFF_CHADDR, m->chaddr, 16);
    tapc_put32(b + OFF_COOKIE, TAPC_DHCP_COOKIE);
    tapc_memcpy(b + OFF_OPTIONS, opts, n);

    tapc_udp_build(udp, TAPC_DHCP_SERVER_PORT, TAPC_DHCP_CLIENT_PORT, bootp_len);
    tapc_ipv4_build(ipp, d->server_ip, dst_ip, TAPC_IPPROTO_UDP, TAPC_DHCP_TTL,
                    TAPC_UDP_HLEN + bootp_len);
    tapc_put16(udp + 6, tapc_udp4_checksum(d->server_ip, dst_ip, udp, TAPC_UDP_HLEN + bootp_len));
    return frame_len;
}
