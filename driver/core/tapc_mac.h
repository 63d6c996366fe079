/*
 * tapc_mac.h - the adapter's MAC addresses.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_MAC_H
#define TAPC_MAC_H

#include "tapc_base.h"

#define TAPC_GUID_MAX_CHARS 38 /* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */

/*
 * Permanent address: 00:FF: followed by the first 8 hex digits of the adapter GUID (the
 * NetCfgInstanceId, UTF-16 code units, braces optional, at most 38 used). False, with mac
 * untouched, when the GUID does not start with 8 hex digits.
 */
bool tapc_mac_from_guid(const uint16_t *guid, size_t nchars, uint8_t mac[6]);

/*
 * Current address: the NetworkAddress value when it is exactly 6 bytes, unicast and locally
 * administered, else the permanent address. Returns true when NetworkAddress was used.
 */
bool tapc_mac_current(const uint8_t permanent[6], const uint8_t *network_address, size_t len,
                      uint8_t mac[6]);

/* mac with byte 2 increased by delta (mod 256): +1 is the TUN peer, +2 the DHCP server. */
void tapc_mac_related(const uint8_t mac[6], uint8_t delta, uint8_t out[6]);

#define TAPC_MAC_DELTA_PEER        1u
#define TAPC_MAC_DELTA_DHCP_SERVER 2u

#endif /* TAPC_MAC_H */
