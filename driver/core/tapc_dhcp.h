/*
 * tapc_dhcp.h - the DHCP masquerade server: answers the host's own DHCP client with the
 * address the application configured (CONFIG_DHCP_MASQ) and its user options
 * (CONFIG_DHCP_SET_OPT).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_DHCP_H
#define TAPC_DHCP_H

#include "tapc_base.h"

#define TAPC_DHCP_SERVER_PORT       67u
#define TAPC_DHCP_CLIENT_PORT       68u
#define TAPC_DHCP_FIXED_LEN         236u /* BOOTP header up to the options */
#define TAPC_DHCP_COOKIE            0x63825363u
#define TAPC_DHCP_OPTIONS_MAX       256u /* options in a reply, the end option included */
#define TAPC_DHCP_USER_OPTIONS_MAX  256u
#define TAPC_DHCP_BAD_REQUEST_LIMIT 3u
#define TAPC_DHCP_TTL               16u
/* Largest reply frame: Ethernet + IPv4 + UDP + BOOTP + cookie + options. */
#define TAPC_DHCP_REPLY_MAX (14u + 20u + 8u + TAPC_DHCP_FIXED_LEN + 4u + TAPC_DHCP_OPTIONS_MAX)

#define TAPC_DHCP_DISCOVER 1u
#define TAPC_DHCP_OFFER    2u
#define TAPC_DHCP_REQUEST  3u
#define TAPC_DHCP_DECLINE  4u
#define TAPC_DHCP_ACK      5u
#define TAPC_DHCP_NAK      6u
#define TAPC_DHCP_RELEASE  7u
#define TAPC_DHCP_INFORM   8u

#define TAPC_DHCP_OPT_PAD          0u
#define TAPC_DHCP_OPT_NETMASK      1u
#define TAPC_DHCP_OPT_REQUESTED_IP 50u
#define TAPC_DHCP_OPT_LEASE_TIME   51u
#define TAPC_DHCP_OPT_MSG_TYPE     53u
#define TAPC_DHCP_OPT_SERVER_ID    54u
#define TAPC_DHCP_OPT_END          255u

typedef struct tapc_dhcp {
    bool enabled; /* CONFIG_DHCP_MASQ succeeded since the last reset */
    uint32_t addr;
    uint32_t netmask;
    uint32_t server_ip;
    uint32_t lease_seconds;
    uint8_t user_options[TAPC_DHCP_USER_OPTIONS_MAX];
    size_t user_options_len;
    bool received_discover; /* a DISCOVER was seen since configuration */
    uint32_t bad_requests;  /* NAKed REQUESTs since the last DISCOVER */
} tapc_dhcp;

/* A client message the server answers, as parsed from a host frame. */
typedef struct tapc_dhcp_msg {
    uint8_t type;
    uint32_t xid;
    uint16_t flags;
    uint32_t ciaddr;
    uint32_t giaddr;
    bool has_requested_ip;
    uint32_t requested_ip;
    bool has_server_id;
    uint32_t server_id;
    const uint8_t *chaddr; /* 16 bytes */
    bool eth_broadcast;    /* the request frame went to ff:ff:ff:ff:ff:ff */
} tapc_dhcp_msg;

/* Forget configuration, options and client history. */
void tapc_dhcp_reset(tapc_dhcp *d);
/* CONFIG_DHCP_MASQ: false (and disabled) unless all four values are non-zero. Clears the
 * user options and the client history. */
bool tapc_dhcp_configure(tapc_dhcp *d, uint32_t addr, uint32_t netmask, uint32_t server_ip,
                         uint32_t lease_seconds);
/* CONFIG_DHCP_SET_OPT: replaces the user options; false if len > 256 or p is NULL with len. */
bool tapc_dhcp_set_options(tapc_dhcp *d, const uint8_t *p, size_t len);

/* What the masquerade makes of a host frame. */
typedef enum tapc_dhcp_verdict {
    TAPC_DHCP_NOT_OURS = 0, /* not addressed to the server: the frame goes on as any other */
    TAPC_DHCP_DROP = 1,     /* addressed to the server but not answered: consumed */
    TAPC_DHCP_ANSWER = 2    /* a client message to answer, parsed into *m */
} tapc_dhcp_verdict;

/*
 * Classify a host frame while the masquerade is on. Addressed to the server (as 9.x judges
 * it): IPv4 with a 20-byte header, UDP 68 -> 67, at least the 240-byte BOOTP header and
 * cookie in the frame, Ethernet source and chaddr equal to mac (hlen 6), Ethernet destination
 * broadcast or server_mac. Such a frame is answered when its IP and UDP lengths hold the
 * message (an Ethernet trailer may follow), it is no fragment (MF or offset), a BOOTREQUEST
 * for Ethernet with the magic cookie and a well-formed message type option; else consumed.
 */
tapc_dhcp_verdict tapc_dhcp_classify(const uint8_t *frame, size_t len, const uint8_t mac[6],
                                     const uint8_t server_mac[6], tapc_dhcp_msg *m);

/*
 * The reply type for a client message (0: none) and the state change it implies:
 * DISCOVER -> OFFER (and a fresh history); REQUEST -> ACK, or NAK when no DISCOVER was seen,
 * ciaddr or the requested address is not the assigned one, neither is given, or
 * TAPC_DHCP_BAD_REQUEST_LIMIT bad requests were already NAKed.
 */
uint8_t tapc_dhcp_decide(tapc_dhcp *d, const tapc_dhcp_msg *m);

/*
 * Build the reply frame: options 53, 54, then for OFFER/ACK 51, 1 and the user options, then
 * 255, at most TAPC_DHCP_OPTIONS_MAX bytes; TTL 16; broadcast for NAK or when the request
 * was broadcast. Returns its length, or 0 when the options or the frame do not fit.
 */
size_t tapc_dhcp_build_reply(const tapc_dhcp *d, const tapc_dhcp_msg *m, uint8_t type,
                             const uint8_t server_mac[6], const uint8_t client_mac[6], uint8_t *out,
                             size_t cap);

#endif /* TAPC_DHCP_H */
