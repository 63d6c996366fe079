/*
 * tap.h - the NDIS and IRP glue of the TAP driver: the adapter object its files share.
 *
 *   driver.c    DriverEntry, registration, unload; the run-time choices (NDIS version, NX pool)
 *   adapter.c   MiniportInitializeEx/HaltEx/Pause/Restart/Shutdown/PnP/CheckForHang/Reset,
 *               registry parameters, attributes, link-state indications, event processing
 *   oid.c       OID requests, answered by the core (core/tapc_ndis.c)
 *   device.c    \Device\{GUID}.tap (and .tapdiag): create, cleanup, close, read, write, ioctl;
 *               the cancel-safe queue of pending reads
 *   datapath.c  host sends -> the core's queue; writes and driver replies -> receive indications
 *
 * The glue moves bytes, holds locks and talks to NDIS and the I/O manager; every decision
 * (which frames, which status, which state) is the core's (core/tapcore.h).
 *
 * Locks, always taken in this order: Adapter->LinkLock, Adapter->Lock, Adapter->CsqLock, a
 * device extension's Lock. Adapter->Lock guards the core, the receive buffers, the held sends
 * and the flags beside them; no NDIS or I/O manager call is made while it is held, except the
 * non-blocking ones noted in the code.
 */
#pragma once

#include "decl/tapkernel.h"
#include "core/tapc_ndis.h"

#define TAP_POOL_TAG 'paTT' /* "TTap" in pool dumps */

/* Frames queued toward user space: the flow-control threshold plus room for the sends being
 * processed when it is crossed (the core drops the oldest frames beyond it, counted). */
#define TAP_RING_SIZE (TAPC_FLOW_THRESHOLD_DEFAULT + (size_t)256 * 1024)

/* Receive buffers: one frame each (a write or a driver reply), lent to NDIS while indicated. */
#define TAP_RX_SLOTS  128u
#define TAP_RX_BUFFER 1536u
C_ASSERT(TAP_RX_BUFFER >= TAPC_WRITE_FRAME_MAX && TAP_RX_BUFFER >= TAPC_REPLY_MAX);

/* Glue-only event for TapAdapterProcessEvents: the adapter state changed (open, power, pause,
 * halt), pending reads are to be re-examined. */
#define TAP_EVENT_STATE 0x80000000u

typedef struct TAP_ADAPTER TAP_ADAPTER, *PTAP_ADAPTER;

typedef struct TAP_RX_SLOT {
    struct TAP_RX_SLOT *Next; /* free list */
    PMDL Mdl;                 /* describes Data, made once */
    UCHAR Data[TAP_RX_BUFFER];
} TAP_RX_SLOT, *PTAP_RX_SLOT;

/*
 * The reserved extension of a device object. The device object can outlive the adapter (a
 * handle still open after halt), so the extension, not the adapter, holds the lock and the
 * count that let halt wait for every dispatch and pending read. Zeroed by the I/O manager,
 * which is also the initialized state of a KSPIN_LOCK.
 */
typedef struct TAP_DEVICE_EXTENSION {
    KSPIN_LOCK Lock;
    PTAP_ADAPTER Adapter; /* NULL before the adapter attaches and after it halts */
    ULONG IoCount;        /* dispatches in progress + pending read IRPs */
    BOOLEAN Diag;         /* the {GUID}.tapdiag device */
    BOOLEAN Draining;     /* halt waits for IoCount to reach 0 */
    NDIS_EVENT Drained;
} TAP_DEVICE_EXTENSION, *PTAP_DEVICE_EXTENSION;

typedef struct TAP_DEVICE {
    NDIS_HANDLE Handle; /* NdisRegisterDeviceEx */
    PDEVICE_OBJECT Object;
    PTAP_DEVICE_EXTENSION Extension;
} TAP_DEVICE, *PTAP_DEVICE;

struct TAP_ADAPTER {
    NDIS_HANDLE MiniportHandle;
    WCHAR Guid[TAPC_GUID_MAX_CHARS + 1]; /* NetCfgInstanceId, NUL-terminated */
    BOOLEAN AllowNonAdmin;

    KSPIN_LOCK Lock;
    tapc_adapter Core;
    tapc_ndis Ndis;
    PUCHAR Ring;
    PFILE_OBJECT OpenFile; /* the handle the core counts as open */
    BOOLEAN Halting;
    BOOLEAN PausePending; /* MiniportPause returned NDIS_STATUS_PENDING */
    ULONG RxInFlight;     /* lists indicated and not yet returned */
    PTAP_RX_SLOT RxSlots;
    PTAP_RX_SLOT RxFree;
    ULONG RxFreeCount;
    NDIS_HANDLE NblPool;
    PNET_BUFFER_LIST HeldHead; /* sends held back by flow control, in order */
    PNET_BUFFER_LIST HeldTail;
    UCHAR SendFrame[TAPC_ETH_MAX_FRAME]; /* a send made contiguous */
    UCHAR Reply[TAPC_REPLY_MAX];         /* the core's ARP/DHCP/ND reply to it */

    KSPIN_LOCK LinkLock;   /* serializes link-state indications */
    BOOLEAN LinkReady;     /* initialized: indications allowed */
    BOOLEAN LinkIndicated; /* the state NDIS knows */

    KSPIN_LOCK CsqLock;
    IO_CSQ Csq;
    LIST_ENTRY PendingReads;

    TAP_DEVICE Device;
    TAP_DEVICE DiagDevice;
};

/* ---- driver.c ------------------------------------------------------------------------------ */

extern NDIS_HANDLE TapDriverHandle;
extern UINT TapNdisVersion;    /* running NDIS, major << 16 | minor */
extern UCHAR TapNdisMinor;     /* registered: 6.20 or 6.30 */
extern ULONG TapMdlNoExecute;  /* MdlMappingNoExecute from Windows 8 (NDIS 6.30), else 0 */
extern BOOLEAN TapDiagEnabled; /* service key TapDiag != 0: create the .tapdiag devices */

/* Non-paged memory, NX from Windows 8 on (IRQL <= DISPATCH_LEVEL). */
PVOID TapAlloc(SIZE_T Size);
VOID TapFree(PVOID Memory);

/* ---- adapter.c ----------------------------------------------------------------------------- */

MINIPORT_INITIALIZE TapAdapterInitialize;
MINIPORT_HALT TapAdapterHalt;
MINIPORT_PAUSE TapAdapterPause;
MINIPORT_RESTART TapAdapterRestart;
MINIPORT_SHUTDOWN TapAdapterShutdown;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY TapAdapterPnPEventNotify;
MINIPORT_CHECK_FOR_HANG TapAdapterCheckForHang;
MINIPORT_RESET TapAdapterReset;

/* Acts on the core's events (TAPC_EVENT_*, TAP_EVENT_STATE) until none are left: link-state
 * indication, pending reads, held sends. Call without locks; IRQL <= DISPATCH_LEVEL. */
VOID TapAdapterProcessEvents(PTAP_ADAPTER Adapter, ULONG Events);

/* ---- oid.c --------------------------------------------------------------------------------- */

MINIPORT_OID_REQUEST TapOidRequest;
MINIPORT_DIRECT_OID_REQUEST TapOidDirectRequest;
MINIPORT_CANCEL_OID_REQUEST TapOidCancelRequest;
MINIPORT_CANCEL_DIRECT_OID_REQUEST TapOidCancelDirectRequest;

/* ---- device.c ------------------------------------------------------------------------------ */

/* The pending-read queue (before anything can use it). */
VOID TapDeviceInitializeQueue(PTAP_ADAPTER Adapter);
/* Registers \Device\{GUID}.tap (and .tapdiag) and attaches them to the adapter. PASSIVE_LEVEL. */
NDIS_STATUS TapDeviceCreate(PTAP_ADAPTER Adapter);
/* Detaches the devices, completes every pending read, waits for dispatches in progress and
 * deregisters the devices. Adapter->Halting must be set. PASSIVE_LEVEL. */
VOID TapDeviceDestroy(PTAP_ADAPTER Adapter);
/* Completes the pending reads the core can answer now; returns the core's new events. */
ULONG TapDeviceServiceReads(PTAP_ADAPTER Adapter);

/* ---- datapath.c ---------------------------------------------------------------------------- */

MINIPORT_SEND_NET_BUFFER_LISTS TapDataSend;
MINIPORT_RETURN_NET_BUFFER_LISTS TapDataReturn;
MINIPORT_CANCEL_SEND TapDataCancelSend;

/* The NBL pool and the receive buffers of an adapter. PASSIVE_LEVEL. */
NDIS_STATUS TapDataInitialize(PTAP_ADAPTER Adapter);
VOID TapDataFree(PTAP_ADAPTER Adapter);
/* A frame written by the application: indicated to NDIS as the core decides. */
NTSTATUS TapDataWrite(PTAP_ADAPTER Adapter, const UCHAR *Data, SIZE_T Length);
/* Processes the held sends once flow control allows; returns the core's new events. */
ULONG TapDataResumeSends(PTAP_ADAPTER Adapter);
/* Completes every held send with Status (pause, halt). */
VOID TapDataCompleteHeld(PTAP_ADAPTER Adapter, NDIS_STATUS Status);
