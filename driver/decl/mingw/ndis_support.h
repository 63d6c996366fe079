/*
 * NDIS support services for zig (mingw-w64) builds: tagged memory, spin locks, read/write
 * locks, events and time. Written from Microsoft's NDIS reference; see ndis_base.h.
 */
#pragma once
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the WDK's struct tags (_NDIS_...) are interface facts */

#include "ndis_base.h"

/* ---- Memory ------------------------------------------------------------------------------ */

/* Non-paged memory charged to an NDIS handle (driver or adapter), tagged for pool tracking.
 * NDIS 6.0 and later; free with NdisFreeMemoryWithTagPriority (6.20) or NdisFreeMemory. */
TAP_NDIS_IMPORT PVOID NTAPI NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length,
                                                              ULONG Tag, EX_POOL_PRIORITY Priority);
TAP_NDIS_IMPORT VOID NTAPI NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle,
                                                         PVOID VirtualAddress, ULONG Tag);
TAP_NDIS_IMPORT VOID NTAPI NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags);

#define NdisZeroMemory(Destination, Length)         RtlZeroMemory(Destination, Length)
#define NdisFillMemory(Destination, Length, Fill)   RtlFillMemory(Destination, Length, Fill)
#define NdisMoveMemory(Destination, Source, Length) RtlCopyMemory(Destination, Source, Length)
#define NdisEqualMemory(Source1, Source2, Length)   RtlEqualMemory(Source1, Source2, Length)

/* ---- Spin locks ---------------------------------------------------------------------------- */

/* An executive spin lock and the IRQL to restore when it is released. The NDIS reference
 * documents the operations as macros over the kernel's spin-lock routines. */
typedef struct _NDIS_SPIN_LOCK {
    KSPIN_LOCK SpinLock;
    KIRQL OldIrql;
} NDIS_SPIN_LOCK, *PNDIS_SPIN_LOCK;

#define NdisAllocateSpinLock(Lock)   KeInitializeSpinLock(&(Lock)->SpinLock)
#define NdisFreeSpinLock(Lock)       ((VOID)(Lock))
#define NdisAcquireSpinLock(Lock)    KeAcquireSpinLock(&(Lock)->SpinLock, &(Lock)->OldIrql)
#define NdisReleaseSpinLock(Lock)    KeReleaseSpinLock(&(Lock)->SpinLock, (Lock)->OldIrql)
#define NdisDprAcquireSpinLock(Lock) KeAcquireSpinLockAtDpcLevel(&(Lock)->SpinLock)
#define NdisDprReleaseSpinLock(Lock) KeReleaseSpinLockFromDpcLevel(&(Lock)->SpinLock)

/* ---- Read/write locks (NDIS 6.20) ------------------------------------------------------- */

/* The lock itself is opaque (NdisAllocateRWLock allocates it); the caller keeps one
 * LOCK_STATE_EX per acquisition. */
typedef struct _NDIS_RW_LOCK_EX NDIS_RW_LOCK_EX, *PNDIS_RW_LOCK_EX;

typedef struct _LOCK_STATE_EX {
    KIRQL OldIrql;
    UCHAR LockState;
    UCHAR Flags;
} LOCK_STATE_EX, *PLOCK_STATE_EX;

/* Flags of NdisAcquireRWLockRead/Write and NdisReleaseRWLock. */
#define NDIS_RWL_AT_DISPATCH_LEVEL 0x01

TAP_NDIS_IMPORT PNDIS_RW_LOCK_EX NTAPI NdisAllocateRWLock(NDIS_HANDLE NdisHandle);
TAP_NDIS_IMPORT VOID NTAPI NdisFreeRWLock(PNDIS_RW_LOCK_EX Lock);
TAP_NDIS_IMPORT VOID NTAPI NdisAcquireRWLockRead(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState,
                                                 UCHAR Flags);
TAP_NDIS_IMPORT VOID NTAPI NdisAcquireRWLockWrite(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState,
                                                  UCHAR Flags);
TAP_NDIS_IMPORT VOID NTAPI NdisReleaseRWLock(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState);

/* ---- Events ------------------------------------------------------------------------------ */

/* A notification event: set stays set until reset. */
typedef struct _NDIS_EVENT {
    KEVENT Event;
} NDIS_EVENT, *PNDIS_EVENT;

TAP_NDIS_IMPORT VOID NTAPI NdisInitializeEvent(PNDIS_EVENT Event);
TAP_NDIS_IMPORT VOID NTAPI NdisSetEvent(PNDIS_EVENT Event);
TAP_NDIS_IMPORT VOID NTAPI NdisResetEvent(PNDIS_EVENT Event);
/* Waits at most MsToWait milliseconds (0: forever); TRUE when the event was set. */
TAP_NDIS_IMPORT BOOLEAN NTAPI NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait);

/* ---- Time -------------------------------------------------------------------------------- */

/* Milliseconds since the system started, as a 64-bit count (NDIS 6.0). */
TAP_NDIS_IMPORT VOID NTAPI NdisGetSystemUpTimeEx(PLARGE_INTEGER pSystemUpTime);
/* Sleeps the calling thread (IRQL PASSIVE_LEVEL) for at least the given microseconds. */
TAP_NDIS_IMPORT VOID NTAPI NdisMSleep(ULONG MicrosecondsToSleep);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
