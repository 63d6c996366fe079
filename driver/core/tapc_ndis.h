/*
 * tapc_ndis.h - what the adapter tells NDIS: OID queries and sets (every length checked), the
 * receive packet filter, the statistics block and the status a host send completes with.
 *
 * The numbers (OIDs, NDIS_STATUS values, structure offsets) are interface facts of NDIS 6;
 * the driver checks at compile time that they equal its declarations (driver/oid.c), so the
 * core never includes an NDIS header. The state here (packet filter, lookahead, multicast list)
 * lives beside the tapc_adapter and, like it, under the adapter's lock.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_NDIS_H
#define TAPC_NDIS_H

#include "tapcore.h"

/* NDIS_STATUS values an OID request or a send completes with. */
#define TAPC_NDIS_SUCCESS            0x00000000u
#define TAPC_NDIS_FAILURE            0xC0000001u
#define TAPC_NDIS_NOT_SUPPORTED      0xC00000BBu
#define TAPC_NDIS_MULTICAST_FULL     0xC0010009u
#define TAPC_NDIS_INVALID_LENGTH     0xC0010014u
#define TAPC_NDIS_INVALID_DATA       0xC0010015u
#define TAPC_NDIS_BUFFER_TOO_SHORT   0xC0010016u
#define TAPC_NDIS_MEDIA_DISCONNECTED 0xC023001Fu
#define TAPC_NDIS_PAUSED             0xC023002Au
#define TAPC_NDIS_LOW_POWER_STATE    0xC023002Fu

/* OIDs the adapter answers (ntddndis.h). */
#define TAPC_OID_GEN_HARDWARE_STATUS        0x00010102u
#define TAPC_OID_GEN_MEDIA_SUPPORTED        0x00010103u
#define TAPC_OID_GEN_MEDIA_IN_USE           0x00010104u
#define TAPC_OID_GEN_MAXIMUM_LOOKAHEAD      0x00010105u
#define TAPC_OID_GEN_MAXIMUM_FRAME_SIZE     0x00010106u
#define TAPC_OID_GEN_LINK_SPEED             0x00010107u
#define TAPC_OID_GEN_TRANSMIT_BUFFER_SPACE  0x00010108u
#define TAPC_OID_GEN_RECEIVE_BUFFER_SPACE   0x00010109u
#define TAPC_OID_GEN_TRANSMIT_BLOCK_SIZE    0x0001010Au
#define TAPC_OID_GEN_RECEIVE_BLOCK_SIZE     0x0001010Bu
#define TAPC_OID_GEN_VENDOR_ID              0x0001010Cu
#define TAPC_OID_GEN_VENDOR_DESCRIPTION     0x0001010Du
#define TAPC_OID_GEN_CURRENT_PACKET_FILTER  0x0001010Eu
#define TAPC_OID_GEN_CURRENT_LOOKAHEAD      0x0001010Fu
#define TAPC_OID_GEN_DRIVER_VERSION         0x00010110u
#define TAPC_OID_GEN_MAXIMUM_TOTAL_SIZE     0x00010111u
#define TAPC_OID_GEN_MAC_OPTIONS            0x00010113u
#define TAPC_OID_GEN_MEDIA_CONNECT_STATUS   0x00010114u
#define TAPC_OID_GEN_VENDOR_DRIVER_VERSION  0x00010116u
#define TAPC_OID_GEN_PHYSICAL_MEDIUM        0x00010202u
#define TAPC_OID_GEN_INTERRUPT_MODERATION   0x00010209u
#define TAPC_OID_GEN_XMIT_OK                0x00020101u
#define TAPC_OID_GEN_RCV_OK                 0x00020102u
#define TAPC_OID_GEN_XMIT_ERROR             0x00020103u
#define TAPC_OID_GEN_RCV_ERROR              0x00020104u
#define TAPC_OID_GEN_RCV_NO_BUFFER          0x00020105u
#define TAPC_OID_GEN_RCV_DISCARDS           0x0002021Bu
#define TAPC_OID_GEN_STATISTICS             0x00020106u
#define TAPC_OID_GEN_DIRECTED_BYTES_XMIT    0x00020201u
#define TAPC_OID_GEN_DIRECTED_FRAMES_XMIT   0x00020202u
#define TAPC_OID_GEN_MULTICAST_BYTES_XMIT   0x00020203u
#define TAPC_OID_GEN_MULTICAST_FRAMES_XMIT  0x00020204u
#define TAPC_OID_GEN_BROADCAST_BYTES_XMIT   0x00020205u
#define TAPC_OID_GEN_BROADCAST_FRAMES_XMIT  0x00020206u
#define TAPC_OID_GEN_DIRECTED_BYTES_RCV     0x00020207u
#define TAPC_OID_GEN_DIRECTED_FRAMES_RCV    0x00020208u
#define TAPC_OID_GEN_MULTICAST_BYTES_RCV    0x00020209u
#define TAPC_OID_GEN_MULTICAST_FRAMES_RCV   0x0002020Au
#define TAPC_OID_GEN_BROADCAST_BYTES_RCV    0x0002020Bu
#define TAPC_OID_GEN_BROADCAST_FRAMES_RCV   0x0002020Cu
#define TAPC_OID_802_3_PERMANENT_ADDRESS    0x01010101u
#define TAPC_OID_802_3_CURRENT_ADDRESS      0x01010102u
#define TAPC_OID_802_3_MULTICAST_LIST       0x01010103u
#define TAPC_OID_802_3_MAXIMUM_LIST_SIZE    0x01010104u
#define TAPC_OID_802_3_RCV_ERROR_ALIGNMENT  0x01020101u
#define TAPC_OID_802_3_XMIT_ONE_COLLISION   0x01020102u
#define TAPC_OID_802_3_XMIT_MORE_COLLISIONS 0x01020103u
#define TAPC_OID_PNP_SET_POWER              0xFD010101u
#define TAPC_OID_PNP_QUERY_POWER            0xFD010102u

/* NDIS_PACKET_TYPE_* of OID_GEN_CURRENT_PACKET_FILTER. */
#define TAPC_PACKET_DIRECTED      0x00000001u
#define TAPC_PACKET_MULTICAST     0x00000002u
#define TAPC_PACKET_ALL_MULTICAST 0x00000004u
#define TAPC_PACKET_BROADCAST     0x00000008u
#define TAPC_PACKET_PROMISCUOUS   0x00000020u
#define TAPC_PACKET_FILTERS                                                                        \
    (TAPC_PACKET_DIRECTED | TAPC_PACKET_MULTICAST | TAPC_PACKET_ALL_MULTICAST |                    \
     TAPC_PACKET_BROADCAST | TAPC_PACKET_PROMISCUOUS)

/* NDIS_MAC_OPTION_*: COPY_LOOKAHEAD_DATA | TRANSFERS_NOT_PEND | NO_LOOPBACK | 8021P_PRIORITY. */
#define TAPC_MAC_OPTIONS (0x00000001u | 0x00000004u | 0x00000008u | 0x00000040u)

#define TAPC_MULTICAST_MAX   32u         /* OID_802_3_MAXIMUM_LIST_SIZE */
#define TAPC_LOOKAHEAD_MAX   1500u       /* OID_GEN_MAXIMUM_LOOKAHEAD */
#define TAPC_BLOCK_SIZE      1514u       /* total size, transmit and receive block size */
#define TAPC_BUFFER_SPACE    0x00400000u /* transmit and receive buffer space */
#define TAPC_VENDOR_ID       0x00FFFFFFu /* no IEEE OUI; low byte 0xFF (one adapter kind) */
#define TAPC_MEDIUM_802_3    0u          /* NdisMedium802_3 */
#define TAPC_PHYSICAL_MEDIUM 0u          /* NdisPhysicalMediumUnspecified (*PhysicalMediaType) */
#define TAPC_DEVICE_STATE_D0 1u          /* NdisDeviceStateD0 */
#define TAPC_DEVICE_STATE_D3 4u          /* NdisDeviceStateD3 */

/*
 * NDIS_STATISTICS_INFO as OID_GEN_STATISTICS returns it: an NDIS_OBJECT_HEADER (type 0x80,
 * revision 1, size 152), the valid-counter flags at offset 4, then eighteen 64-bit counters
 * from offset 8 in this order.
 */
#define TAPC_STATISTICS_SIZE     152u
#define TAPC_STATISTICS_REVISION 1u
#define TAPC_OBJECT_TYPE_DEFAULT 0x80u
enum tapc_statistics_counter {
    TAPC_IF_IN_DISCARDS,
    TAPC_IF_IN_ERRORS,
    TAPC_IF_HC_IN_OCTETS,
    TAPC_IF_HC_IN_UCAST_PKTS,
    TAPC_IF_HC_IN_MULTICAST_PKTS,
    TAPC_IF_HC_IN_BROADCAST_PKTS,
    TAPC_IF_HC_OUT_OCTETS,
    TAPC_IF_HC_OUT_UCAST_PKTS,
    TAPC_IF_HC_OUT_MULTICAST_PKTS,
    TAPC_IF_HC_OUT_BROADCAST_PKTS,
    TAPC_IF_OUT_ERRORS,
    TAPC_IF_OUT_DISCARDS,
    TAPC_IF_HC_IN_UCAST_OCTETS,
    TAPC_IF_HC_IN_MULTICAST_OCTETS,
    TAPC_IF_HC_IN_BROADCAST_OCTETS,
    TAPC_IF_HC_OUT_UCAST_OCTETS,
    TAPC_IF_HC_OUT_MULTICAST_OCTETS,
    TAPC_IF_HC_OUT_BROADCAST_OCTETS,
    TAPC_STATISTICS_COUNTERS
};
#define TAPC_STATISTICS_COUNTER_OFFSET(i) (8u + 8u * (unsigned)(i))
/* NDIS_STATISTICS_FLAGS_VALID_*: every counter above is maintained. */
#define TAPC_STATISTICS_VALID 0x003F87FFu

/* NDIS_INTERRUPT_MODERATION_PARAMETERS: header, flags, NdisInterruptModerationNotSupported. */
#define TAPC_INTERRUPT_MODERATION_SIZE          12u
#define TAPC_INTERRUPT_MODERATION_NOT_SUPPORTED 1u

/* The NDIS-facing state of one adapter. */
typedef struct tapc_ndis {
    uint16_t ndis_version; /* registered version, major << 8 | minor (OID_GEN_DRIVER_VERSION) */
    uint32_t packet_filter;
    uint32_t lookahead;
    uint32_t multicast_count;
    uint8_t multicast[TAPC_MULTICAST_MAX][6];
    uint64_t rx_no_buffer; /* frames to indicate dropped for want of a receive buffer */
} tapc_ndis;

/* No packet filter (nothing is indicated until NDIS sets one), lookahead at its maximum. */
void tapc_ndis_init(tapc_ndis *nd, uint16_t ndis_version);

/* The OIDs tapc_oid_query and tapc_oid_set answer (the general attributes' list). */
const uint32_t *tapc_ndis_oids(size_t *count);

/*
 * An OID query: the answer in out[0..*written), or BUFFER_TOO_SHORT with *needed set.
 * Counters (OID_GEN_XMIT_OK ...) are 8 bytes, or 4 (low half) when the buffer holds only 4.
 * NOT_SUPPORTED for every other OID.
 */
uint32_t tapc_oid_query(const tapc_adapter *ad, const tapc_ndis *nd, uint32_t oid, void *out,
                        size_t cap, size_t *written, size_t *needed);

/*
 * An OID set: packet filter, lookahead, multicast list, OID_PNP_SET_POWER (D0 on, D1..D3
 * off). INVALID_LENGTH (with *needed) for short or ragged buffers, INVALID_DATA for values
 * out of range, MULTICAST_FULL above 32 addresses, NOT_SUPPORTED for unknown OIDs and
 * filter bits.
 */
uint32_t tapc_oid_set(tapc_adapter *ad, tapc_ndis *nd, uint32_t oid, const void *in, size_t len,
                      size_t *read, size_t *needed);

/* Whether a frame toward the host (a write or a driver reply) passes the packet filter. */
bool tapc_ndis_filter(const tapc_adapter *ad, const tapc_ndis *nd, const uint8_t *frame,
                      size_t len);

/* The NDIS_STATUS a host send completes with. */
uint32_t tapc_ndis_send_status(tapc_send_action action);

#endif /* TAPC_NDIS_H */
