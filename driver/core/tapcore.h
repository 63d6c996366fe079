/*
 * tapcore.h - the TAP adapter's logic as portable C: the one header the NDIS glue includes.
 *
 * The NDIS glue only moves bytes and calls these functions; the core decides. It
 * includes only <stdint.h>, <stddef.h> and <stdbool.h>, never allocates (the packet queue's
 * ring comes from the caller), keeps all state in a tapc_adapter the caller owns, and is not
 * thread-safe: hold one lock per adapter around every call.
 *
 * Flow of a host send (MiniportSendNetBufferLists, per NET_BUFFER, copied contiguous):
 *     action = tapc_host_send(ad, frame, len, &vlan, reply, sizeof reply, &reply_len);
 *     TAPC_SEND_REPLY: indicate reply[0..reply_len) as a received frame.
 *     then: events = tapc_take_events(ad) (TAPC_EVENT_READ_READY: complete pending reads).
 * Reads (IRP_MJ_READ): tapc_user_read -> SUCCESS (bytes), PENDING (queue the IRP and retry on
 * TAPC_EVENT_READ_READY), BUFFER_TOO_SMALL (frame kept), CANCELLED.
 * Writes (IRP_MJ_WRITE): tapc_user_write -> a frame and its 802.1Q metadata to indicate.
 * IOCTLs: tapc_ioctl on the METHOD_BUFFERED system buffer (in and out may be the same).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPCORE_H
#define TAPCORE_H

#include "../include/tap-windows.h" /* IOCTL codes, priority behaviours */
#include "tapc_base.h"
#include "tapc_dhcp.h"
#include "tapc_mac.h"
#include "tapc_net.h"
#include "tapc_queue.h"
#include "tapc_text.h"
#include "tapc_tun.h"

/* TAP_DEBUG=1: the debug log and GET_LOG_LINE exist. */
#ifndef TAP_DEBUG
#define TAP_DEBUG 0
#endif

#define TAPC_MTU_MIN                100u
#define TAPC_MTU_MAX                1500u
#define TAPC_MTU_DEFAULT            1500u
#define TAPC_FLOW_THRESHOLD_DEFAULT ((size_t)4 * 1024 * 1024) /* hold sends above 4 MiB queued */
#define TAPC_REPLY_MAX       600u /* reply buffer size for tapc_host_send (DHCP replies <= 538) */
#define TAPC_WRITE_FRAME_MAX TAPC_ETH_MAX_FRAME  /* output buffer size for tapc_user_write */
#define TAPC_READ_FRAME_MAX  TAPC_ETH_MAX_TAGGED /* largest frame a read returns */
#define TAPC_LINK_SPEED_BPS  1000000000u         /* indicated on media changes, full duplex */
#define TAPC_INFO_MAX        256u                /* GET_INFO text, NUL included, always fits */

/* Events for the glue, accumulated until tapc_take_events. */
#define TAPC_EVENT_MEDIA_CHANGED 0x1u /* indicate link state (tapc_media_connected) */
#define TAPC_EVENT_READ_READY    0x2u /* frames queued: retry pending reads */
#define TAPC_EVENT_CANCEL_READS  0x4u /* complete pending reads with STATUS_CANCELLED */
#define TAPC_EVENT_FLOW_RESUME   0x8u /* queue fell to the threshold: resume held sends */

/* tapc_ioctl flags. */
#define TAPC_IOCTL_DIAG 0x1u /* the {GUID}.tapdiag device: SET_MEDIA_STATUS and PRIORITY only */

/* 802.1Q metadata of a frame (NDIS_NET_BUFFER_LIST_8021Q_INFO: UserPriority, VlanId). */
typedef struct tapc_vlan {
    uint8_t priority; /* 0..7 */
    uint16_t vlan_id; /* 0..4095 */
} tapc_vlan;

/* What the glue does with a host send. */
typedef enum tapc_send_action {
    TAPC_SEND_QUEUED = 0,         /* queued for the application: complete with success */
    TAPC_SEND_REPLY = 1,          /* consumed, indicate the reply: complete with success */
    TAPC_SEND_CONSUMED = 2,       /* consumed by the driver, nothing to indicate: success */
    TAPC_SEND_DROP_NOT_OPEN = 3,  /* no handle open: complete with success (dropped) */
    TAPC_SEND_DROP_FILTERED = 4,  /* not for the application (TUN mode): success */
    TAPC_SEND_DROP_INVALID = 5,   /* shorter than 14 or longer than 1514 bytes: failure */
    TAPC_SEND_DROP_PAUSED = 6,    /* miniport paused: NDIS_STATUS_PAUSED */
    TAPC_SEND_DROP_LOW_POWER = 7, /* not in D0: NDIS_STATUS_LOW_POWER_STATE */
    TAPC_SEND_DROP_MEDIA = 8      /* media disconnected: NDIS_STATUS_MEDIA_DISCONNECTED */
} tapc_send_action;

/* Frames and bytes by destination class; "tx" is host -> application, "rx" the other way
 * (application writes and the driver's own ARP/DHCP/ND replies). */
typedef struct tapc_counts {
    uint64_t directed_frames;
    uint64_t directed_bytes;
    uint64_t multicast_frames;
    uint64_t multicast_bytes;
    uint64_t broadcast_frames;
    uint64_t broadcast_bytes;
} tapc_counts;

typedef struct tapc_stats {
    tapc_counts tx;            /* host sends accepted (queued or answered) */
    tapc_counts rx;            /* frames produced for indication */
    uint64_t tx_dropped;       /* host sends dropped (any TAPC_SEND_DROP_*) */
    uint64_t tx_queue_dropped; /* queued frames dropped to make room (oldest first) */
    uint64_t rx_errors;        /* application writes refused (short or malformed) */
    uint64_t replies;          /* ARP, DHCP and ND replies produced */
    uint64_t replies_lost;     /* replies that did not fit (options or reply buffer) */
    uint64_t read_too_small;   /* reads failed because the buffer was too small */
    uint64_t flow_holds;       /* times the queue passed the flow-control threshold */
    uint64_t rx_paused_drops;  /* application writes accepted and dropped while paused */
} tapc_stats;

typedef struct tapc_config {
    uint8_t permanent_mac[6];
    uint8_t current_mac[6];
    uint32_t mtu;                /* registry MTU; outside 100..1500 means 1500 */
    bool media_always_connected; /* registry MediaStatus = 1 */
    uint8_t *queue_ring;         /* storage for the queue toward user space */
    size_t queue_ring_size;      /* >= TAPC_READ_FRAME_MAX + 4, <= 1 GiB */
    size_t flow_threshold;       /* 0: TAPC_FLOW_THRESHOLD_DEFAULT */
} tapc_config;

typedef struct tapc_adapter {
    uint8_t permanent_mac[6];
    uint8_t mac[6];      /* current */
    uint8_t peer_mac[6]; /* mac with byte 2 + 1 */
    uint32_t mtu;
    bool media_always_connected;

    bool open; /* a handle is open on the device */
    bool media_connected;
    bool paused;  /* NDIS pause state; the adapter starts paused */
    bool powered; /* D0 */
    uint32_t priority_behavior;

    tapc_tun tun;
    tapc_dhcp dhcp;
    tapc_queue queue;
    size_t flow_threshold;
    bool flow_held;

    uint32_t events;
    tapc_stats stats;
#if TAP_DEBUG
    tapc_log log;
#endif
} tapc_adapter;

/* sizeof(tapc_adapter) of this build (for hosts that allocate it opaquely). */
size_t tapc_adapter_size(void);

/* Set up an adapter: closed, paused, D0, media connected only if always-connected.
 * INVALID_PARAMETER when the ring is missing, too small or too large. */
tapc_status tapc_adapter_init(tapc_adapter *ad, const tapc_config *cfg);

/* Device handle opened (UNSUCCESSFUL if one already is, as 9.x): resets TUN and DHCP state. */
tapc_status tapc_open(tapc_adapter *ad);
/* Last handle closed: media disconnect unless always-connected, TUN/DHCP reset, queue
 * dropped, pending reads cancelled (events). */
void tapc_close(tapc_adapter *ad);

/* NDIS state changes (MiniportPause/Restart, OID_PNP_SET_POWER). */
void tapc_set_paused(tapc_adapter *ad, bool paused);
void tapc_set_power(tapc_adapter *ad, bool d0);
void tapc_set_media(tapc_adapter *ad, bool connected);
bool tapc_media_connected(const tapc_adapter *ad);

/* Events since the last call; clears them. */
uint32_t tapc_take_events(tapc_adapter *ad);

/* Counters for the OID_GEN_* statistics queries. */
const tapc_stats *tapc_get_stats(const tapc_adapter *ad);
/* Frames and frame bytes queued toward user space. */
size_t tapc_queued_frames(const tapc_adapter *ad);
size_t tapc_queued_bytes(const tapc_adapter *ad);

/* Flow control: true while more than the threshold is queued toward user space. */
bool tapc_flow_held(const tapc_adapter *ad);

/*
 * A frame the host stack sent (Ethernet, 14..1514 bytes) with its 802.1Q metadata (NULL for
 * none). Decides drop / queue / reply; a reply (ARP, DHCP, ND; padded to 60) goes to
 * reply[0..*reply_len), reply_cap should be TAPC_REPLY_MAX.
 */
tapc_send_action tapc_host_send(tapc_adapter *ad, const uint8_t *frame, size_t len,
                                const tapc_vlan *vlan, uint8_t *reply, size_t reply_cap,
                                size_t *reply_len);

/* ReadFile: the oldest queued frame. SUCCESS, PENDING (empty), BUFFER_TOO_SMALL (frame
 * kept), CANCELLED (not open, media disconnected or not D0), INVALID_PARAMETER for a
 * zero-length read (never PENDING then: the glue need not queue it). */
tapc_status tapc_user_read(tapc_adapter *ad, uint8_t *out, size_t cap, size_t *written);
/* Length of the frame the next read returns (0: none). */
size_t tapc_user_read_next_len(const tapc_adapter *ad);

/*
 * WriteFile: the frame to indicate (padded to 60) in out[0..*out_len) and its 802.1Q
 * metadata. TAP: >= 14 bytes, a 0x8100 tag moves into vlan. TUN: 20..1500 bytes of IPv4 or
 * IPv6 get an Ethernet header. CANCELLED unless open, connected and D0; INVALID_PARAMETER
 * for a zero-length write; while paused SUCCESS with *out_len 0 (accepted, dropped, counted
 * in rx_paused_drops); BUFFER_TOO_SMALL for a short write (TAP < 14, TUN < 20);
 * INVALID_PARAMETER for other malformed frames; BUFFER_TOO_SMALL also if cap < the frame.
 */
tapc_status tapc_user_write(tapc_adapter *ad, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len, tapc_vlan *vlan);

/*
 * DeviceIoControl: one of the eleven TAP_WIN_IOCTL_* codes. in and out may be the same
 * (METHOD_BUFFERED system buffer): all input is read before output is written.
 * *out_written is the byte count to return (0 on failure). The configuration IOCTLs report 1
 * (the first input byte, copied to out[0] when out_len >= 1) even without an output buffer,
 * as 9.x does: with METHOD_BUFFERED the I/O manager copies nothing when there is none.
 * Input shorter than a code needs is INVALID_PARAMETER, as with 9.x.
 */
tapc_status tapc_ioctl(tapc_adapter *ad, uint32_t flags, uint32_t code, const void *in,
                       size_t in_len, void *out, size_t out_len, size_t *out_written);

/* GET_INFO's status line (NUL-terminated, < TAPC_INFO_MAX); returns its length + 1. */
size_t tapc_info_text(const tapc_adapter *ad, char *out, size_t cap);

/* The DHCP server's MAC: the peer MAC when TUN's remote network holds the server IP, else
 * mac with byte 2 + 2. */
void tapc_dhcp_server_mac(const tapc_adapter *ad, uint8_t out[6]);

/* Debug log (TAP_DEBUG builds; no-ops otherwise). Format as tapc_text_fmt. */
void tapc_logf(tapc_adapter *ad, const char *fmt, uint32_t a, uint32_t b, uint32_t c, uint32_t d);

#endif /* TAPCORE_H */
