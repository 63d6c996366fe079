/*
 * Simulated kernel services (ntoskrnl, hal): bug checks and debug output, spin locks and the
 * IRQL, events and waits, pool memory, MDLs and their mapping, registry keys, strings, time and
 * the version. Each checks the contract the kernel documents for it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "sim.h"

/* ---- Bug checks and debug output ---------------------------------------------------------- */

__attribute__((noreturn)) static VOID NTAPI sim_KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1,
                                                             ULONG_PTR P2, ULONG_PTR P3,
                                                             ULONG_PTR P4)
{
    sim_violation(SIM_SITE(), "bug check 0x%08lX (0x%llx, 0x%llx, 0x%llx, 0x%llx)%s",
                  (unsigned long)BugCheckCode, (unsigned long long)P1, (unsigned long long)P2,
                  (unsigned long long)P3, (unsigned long long)P4,
                  BugCheckCode == 0xF7 ? ": DRIVER_OVERRAN_STACK_BUFFER (stack cookie)" : "");
}
SIM_EXPORT(KeBugCheckEx);

static void debug_line(ULONG level, const char *fmt, va_list ap)
{
    char text[1024];
    host_kformat(text, sizeof(text), fmt, ap);
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
        text[--n] = '\0';
    }
    sim_event("dbg level=%lu %s", (unsigned long)level, text);
}

static ULONG __cdecl sim_DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list ap;
    (void)ComponentId;
    va_start(ap, Format);
    debug_line(Level, Format, ap);
    va_end(ap);
    return STATUS_SUCCESS;
}
SIM_EXPORT(DbgPrintEx);

static ULONG __cdecl sim_DbgPrint(PCSTR Format, ...)
{
    va_list ap;
    va_start(ap, Format);
    debug_line(0, Format, ap);
    va_end(ap);
    return STATUS_SUCCESS;
}
SIM_EXPORT(DbgPrint);

/* DBG=1 builds: ASSERT in mingw-w64's wdm.h (IoGetCurrentIrpStackLocation...) calls RtlAssert;
 * reaching it is a failed assertion in the driver. */
static VOID NTAPI sim_RtlAssert(PVOID FailedAssertion, PVOID FileName, ULONG LineNumber,
                                PSTR Message)
{
    sim_violation(SIM_SITE(), "ASSERT(%s) failed at %s:%lu%s%s", (const char *)FailedAssertion,
                  (const char *)FileName, (unsigned long)LineNumber, Message ? ": " : "",
                  Message ? Message : "");
}
SIM_EXPORT(RtlAssert);

static ULONG NTAPI sim_vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)
{
    (void)ComponentId;
    debug_line(Level, Format, arglist);
    return STATUS_SUCCESS;
}
SIM_EXPORT(vDbgPrintEx);

/* ---- Time and version -------------------------------------------------------------------- */

#define PERF_FREQUENCY 10000000LL /* the simulated clock counts 100 ns */

static LARGE_INTEGER NTAPI sim_KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    LARGE_INTEGER now;
    if (PerformanceFrequency != NULL) {
        PerformanceFrequency->QuadPart = PERF_FREQUENCY;
    }
    now.QuadPart = (LONGLONG)sim_time_100ns;
    return now;
}
SIM_EXPORT(KeQueryPerformanceCounter);

#if defined(_X86_)
/* ---- i386: ntoskrnl's 64-bit division helpers ------------------------------------------------ */

/* Shift-and-subtract: the compiler's own 64-bit division would call back into driver/krt.c's
 * __udivdi3, which forwards here. */
static unsigned long long udivmod64(const void *site, unsigned long long n, unsigned long long d,
                                    unsigned long long *rem)
{
    unsigned long long q = 0, r = 0;
    if (d == 0) {
        sim_violation(site, "64-bit division by zero");
    }
    for (int bit = 63; bit >= 0; bit--) {
        r = (r << 1) | ((n >> bit) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ULL << bit;
        }
    }
    *rem = r;
    return q;
}

static unsigned long long magnitude(long long v)
{
    return v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
}

static unsigned long long __stdcall sim__aulldiv(unsigned long long a, unsigned long long b)
{
    unsigned long long r;
    return udivmod64(SIM_SITE(), a, b, &r);
}
SIM_EXPORT(_aulldiv);

static unsigned long long __stdcall sim__aullrem(unsigned long long a, unsigned long long b)
{
    unsigned long long r;
    udivmod64(SIM_SITE(), a, b, &r);
    return r;
}
SIM_EXPORT(_aullrem);

static long long __stdcall sim__alldiv(long long a, long long b)
{
    unsigned long long r, q = udivmod64(SIM_SITE(), magnitude(a), magnitude(b), &r);
    return (long long)(((a < 0) != (b < 0)) ? 0 - q : q);
}
SIM_EXPORT(_alldiv);

static long long __stdcall sim__allrem(long long a, long long b)
{
    unsigned long long r;
    udivmod64(SIM_SITE(), magnitude(a), magnitude(b), &r);
    return (long long)(a < 0 ? 0 - r : r);
}
SIM_EXPORT(_allrem);
#endif

static VOID NTAPI sim_KeStallExecutionProcessor(ULONG MicroSeconds)
{
    if (MicroSeconds > 50) {
        sim_problem(SIM_SITE(),
                    "KeStallExecutionProcessor(%lu): stalls longer than 50 us are "
                    "not allowed",
                    (unsigned long)MicroSeconds);
        sim_fail_pending();
    }
    sim_advance((ULONG64)MicroSeconds * 10);
}
SIM_EXPORT(KeStallExecutionProcessor);

static NTSTATUS NTAPI sim_RtlGetVersion(PRTL_OSVERSIONINFOW VersionInformation)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "RtlGetVersion", PASSIVE_LEVEL);
    ULONG size = VersionInformation->dwOSVersionInfoSize;
    if (size != sizeof(RTL_OSVERSIONINFOW) && size != sizeof(RTL_OSVERSIONINFOEXW)) {
        sim_violation(site, "RtlGetVersion: dwOSVersionInfoSize is %lu; expected %zu or %zu",
                      (unsigned long)size, sizeof(RTL_OSVERSIONINFOW),
                      sizeof(RTL_OSVERSIONINFOEXW));
    }
    memset((unsigned char *)VersionInformation + sizeof(ULONG), 0, size - sizeof(ULONG));
    VersionInformation->dwMajorVersion = sim_os_major;
    VersionInformation->dwMinorVersion = sim_os_minor;
    VersionInformation->dwBuildNumber = sim_os_build;
    VersionInformation->dwPlatformId = 2; /* VER_PLATFORM_WIN32_NT */
    return STATUS_SUCCESS;
}
SIM_EXPORT(RtlGetVersion);

static int os_at_least(ULONG major, ULONG minor)
{
    return sim_os_major > major || (sim_os_major == major && sim_os_minor >= minor);
}

/* ---- Spin locks ----------------------------------------------------------------------------- */

#define LOCK_HELD ((KSPIN_LOCK)0x5350494EULL) /* 'SPIN' in the lock word while held */

static void spin_acquire(PKSPIN_LOCK lock, const void *site, const char *fn)
{
    if (sim_live_range(lock, sizeof(*lock)) == NULL && sim_block_holding(lock) != NULL) {
        sim_violation(site, "%s: the lock %p is not in live memory", fn, (void *)lock);
    }
    if (*lock != 0 && *lock != LOCK_HELD) {
        sim_violation(site,
                      "%s: the lock %p holds 0x%llx: not initialized (KeInitializeSpinLock "
                      "or NdisAllocateSpinLock)",
                      fn, (void *)lock, (unsigned long long)*lock);
    }
    sim_lock_acquired(lock, SIM_LOCK_SPIN, site);
    *lock = LOCK_HELD;
}

static void spin_release(PKSPIN_LOCK lock, const void *site)
{
    sim_lock_released(lock, SIM_LOCK_SPIN, site);
    if (*lock != LOCK_HELD) {
        sim_violation(site, "spin lock %p changed while held (0x%llx)", (void *)lock,
                      (unsigned long long)*lock);
    }
    *lock = 0;
}

static KIRQL spin_acquire_raise(PKSPIN_LOCK SpinLock, const void *site)
{
    KIRQL old = sim_irql;
    sim_irql_at_most(site, "KeAcquireSpinLock", DISPATCH_LEVEL);
    spin_acquire(SpinLock, site, "KeAcquireSpinLock");
    sim_irql = DISPATCH_LEVEL;
    return old;
}

static void spin_release_lower(PKSPIN_LOCK SpinLock, KIRQL NewIrql, const void *site)
{
    if (sim_irql != DISPATCH_LEVEL) {
        sim_violation(site, "KeReleaseSpinLock at IRQL %u; a held spin lock means DISPATCH_LEVEL",
                      (unsigned)sim_irql);
    }
    if (NewIrql > DISPATCH_LEVEL) {
        sim_violation(site, "KeReleaseSpinLock: the IRQL to restore is %u", (unsigned)NewIrql);
    }
    spin_release(SpinLock, site);
    sim_irql = NewIrql;
}

static void spin_acquire_at_dpc(PKSPIN_LOCK SpinLock, const void *site)
{
    if (sim_irql < DISPATCH_LEVEL) {
        sim_violation(site,
                      "KeAcquireSpinLockAtDpcLevel (NdisDprAcquireSpinLock) at IRQL %u; "
                      "it needs DISPATCH_LEVEL",
                      (unsigned)sim_irql);
    }
    spin_acquire(SpinLock, site, "KeAcquireSpinLockAtDpcLevel");
}

static void spin_release_at_dpc(PKSPIN_LOCK SpinLock, const void *site)
{
    if (sim_irql < DISPATCH_LEVEL) {
        sim_violation(site, "KeReleaseSpinLockFromDpcLevel at IRQL %u", (unsigned)sim_irql);
    }
    spin_release(SpinLock, site);
}

#if defined(_X86_)
/* i386: KeAcquireSpinLock and KeReleaseSpinLock are hal.dll's fastcall KfAcquireSpinLock and
 * KfReleaseSpinLock, the DPC-level forms ntoskrnl's fastcall Kef* functions. */
static KIRQL FASTCALL sim_KfAcquireSpinLock(PKSPIN_LOCK SpinLock)
{
    return spin_acquire_raise(SpinLock, SIM_SITE());
}
SIM_EXPORT(KfAcquireSpinLock);

static VOID FASTCALL sim_KfReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    spin_release_lower(SpinLock, NewIrql, SIM_SITE());
}
SIM_EXPORT(KfReleaseSpinLock);

static VOID FASTCALL sim_KefAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    spin_acquire_at_dpc(SpinLock, SIM_SITE());
}
SIM_EXPORT(KefAcquireSpinLockAtDpcLevel);

static VOID FASTCALL sim_KefReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    spin_release_at_dpc(SpinLock, SIM_SITE());
}
SIM_EXPORT(KefReleaseSpinLockFromDpcLevel);
#else
static KIRQL NTAPI sim_KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    return spin_acquire_raise(SpinLock, SIM_SITE());
}
SIM_EXPORT(KeAcquireSpinLockRaiseToDpc);

static VOID NTAPI sim_KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    spin_release_lower(SpinLock, NewIrql, SIM_SITE());
}
SIM_EXPORT(KeReleaseSpinLock);

static VOID NTAPI sim_KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    spin_acquire_at_dpc(SpinLock, SIM_SITE());
}
SIM_EXPORT(KeAcquireSpinLockAtDpcLevel);

static VOID NTAPI sim_KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    spin_release_at_dpc(SpinLock, SIM_SITE());
}
SIM_EXPORT(KeReleaseSpinLockFromDpcLevel);
#endif

static VOID FASTCALL sim_KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock,
                                                        PKLOCK_QUEUE_HANDLE LockHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "KeAcquireInStackQueuedSpinLock", DISPATCH_LEVEL);
    LockHandle->OldIrql = sim_irql;
    LockHandle->LockQueue.Lock = SpinLock;
    LockHandle->LockQueue.Next = NULL;
    spin_acquire(SpinLock, site, "KeAcquireInStackQueuedSpinLock");
    sim_irql = DISPATCH_LEVEL;
}
SIM_EXPORT(KeAcquireInStackQueuedSpinLock);

static VOID FASTCALL sim_KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
    const void *site = SIM_SITE();
    if (sim_irql != DISPATCH_LEVEL) {
        sim_violation(site, "KeReleaseInStackQueuedSpinLock at IRQL %u", (unsigned)sim_irql);
    }
    spin_release(LockHandle->LockQueue.Lock, site);
    sim_irql = LockHandle->OldIrql;
}
SIM_EXPORT(KeReleaseInStackQueuedSpinLock);

/* ---- Events and waits ----------------------------------------------------------------------- */

static void check_event(const void *site, PRKEVENT event, const char *fn)
{
    if (sim_block_holding(event) != NULL && sim_live_range(event, sizeof(*event)) == NULL) {
        sim_violation(site, "%s: event %p is not in live memory", fn, (void *)event);
    }
    if ((event->Header.Type != NotificationEvent && event->Header.Type != SynchronizationEvent) ||
        event->Header.Size != sizeof(KEVENT) / sizeof(LONG)) {
        sim_violation(site, "%s: event %p is not initialized (type %u, size %u)", fn, (void *)event,
                      (unsigned)event->Header.Type, (unsigned)event->Header.Size);
    }
}

static VOID NTAPI sim_KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    memset(Event, 0, sizeof(*Event));
    Event->Header.Type = (UCHAR)Type;
    Event->Header.Size = sizeof(KEVENT) / sizeof(LONG);
    Event->Header.SignalState = State ? 1 : 0;
    InitializeListHead(&Event->Header.WaitListHead);
}
SIM_EXPORT(KeInitializeEvent);

static LONG NTAPI sim_KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    const void *site = SIM_SITE();
    (void)Increment;
    sim_irql_at_most(site, "KeSetEvent", Wait ? APC_LEVEL : DISPATCH_LEVEL);
    check_event(site, Event, "KeSetEvent");
    LONG previous = Event->Header.SignalState;
    Event->Header.SignalState = 1;
    return previous;
}
SIM_EXPORT(KeSetEvent);

static LONG NTAPI sim_KeResetEvent(PRKEVENT Event)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "KeResetEvent", DISPATCH_LEVEL);
    check_event(site, Event, "KeResetEvent");
    LONG previous = Event->Header.SignalState;
    Event->Header.SignalState = 0;
    return previous;
}
SIM_EXPORT(KeResetEvent);

static VOID NTAPI sim_KeClearEvent(PRKEVENT Event)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "KeClearEvent", DISPATCH_LEVEL);
    check_event(site, Event, "KeClearEvent");
    Event->Header.SignalState = 0;
}
SIM_EXPORT(KeClearEvent);

static LONG NTAPI sim_KeReadStateEvent(PRKEVENT Event)
{
    check_event(SIM_SITE(), Event, "KeReadStateEvent");
    return Event->Header.SignalState;
}
SIM_EXPORT(KeReadStateEvent);

/*
 * One thread: a wait on an unsignaled event lets the rest of the system run (deferred work)
 * until the event is set; when nothing is left that could set it, a wait without timeout is a
 * deadlock and a timed wait times out (the clock moves by the timeout).
 */
static NTSTATUS wait_event(const void *site, PRKEVENT event, LONGLONG timeout_100ns, int infinite,
                           const char *fn)
{
    check_event(site, event, fn);
    while (event->Header.SignalState == 0) {
        if (!infinite && timeout_100ns == 0) {
            return STATUS_TIMEOUT;
        }
        if (sim_run_deferred() == 0) {
            if (infinite) {
                sim_violation(site,
                              "deadlock: %s waits forever on event %p and nothing left "
                              "in the system can set it",
                              fn, (void *)event);
            }
            sim_advance((ULONG64)timeout_100ns);
            return STATUS_TIMEOUT;
        }
    }
    if (event->Header.Type == SynchronizationEvent) {
        event->Header.SignalState = 0;
    }
    return STATUS_SUCCESS;
}

/* A relative (negative) or absolute KeWaitFor/KeDelay timeout in 100 ns from now. */
static LONGLONG relative_timeout(const LARGE_INTEGER *timeout)
{
    if (timeout->QuadPart < 0) {
        return -timeout->QuadPart;
    }
    return timeout->QuadPart > (LONGLONG)sim_time_100ns
               ? timeout->QuadPart - (LONGLONG)sim_time_100ns
               : 0;
}

static NTSTATUS NTAPI sim_KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
                                                KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                                PLARGE_INTEGER Timeout)
{
    const void *site = SIM_SITE();
    (void)WaitReason;
    (void)WaitMode;
    (void)Alertable;
    if (Timeout == NULL || Timeout->QuadPart != 0) {
        sim_irql_at_most(site, "KeWaitForSingleObject (non-zero timeout)", APC_LEVEL);
    } else {
        sim_irql_at_most(site, "KeWaitForSingleObject", DISPATCH_LEVEL);
    }
    return wait_event(site, Object, Timeout ? relative_timeout(Timeout) : 0, Timeout == NULL,
                      "KeWaitForSingleObject");
}
SIM_EXPORT(KeWaitForSingleObject);

static NTSTATUS NTAPI sim_KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                                 PLARGE_INTEGER Interval)
{
    const void *site = SIM_SITE();
    (void)WaitMode;
    (void)Alertable;
    sim_irql_at_most(site, "KeDelayExecutionThread", APC_LEVEL);
    sim_run_deferred();
    sim_advance((ULONG64)relative_timeout(Interval));
    return STATUS_SUCCESS;
}
SIM_EXPORT(KeDelayExecutionThread);

/* NDIS events: notification events waited on at PASSIVE_LEVEL. */
static VOID NTAPI sim_NdisInitializeEvent(PNDIS_EVENT Event)
{
    sim_KeInitializeEvent(&Event->Event, NotificationEvent, FALSE);
}
SIM_EXPORT(NdisInitializeEvent);

static VOID NTAPI sim_NdisSetEvent(PNDIS_EVENT Event)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisSetEvent", DISPATCH_LEVEL);
    check_event(site, &Event->Event, "NdisSetEvent");
    Event->Event.Header.SignalState = 1;
}
SIM_EXPORT(NdisSetEvent);

static VOID NTAPI sim_NdisResetEvent(PNDIS_EVENT Event)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisResetEvent", DISPATCH_LEVEL);
    check_event(site, &Event->Event, "NdisResetEvent");
    Event->Event.Header.SignalState = 0;
}
SIM_EXPORT(NdisResetEvent);

static BOOLEAN NTAPI sim_NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisWaitEvent", PASSIVE_LEVEL);
    return wait_event(site, &Event->Event, (LONGLONG)MsToWait * 10000, MsToWait == 0,
                      "NdisWaitEvent") == STATUS_SUCCESS;
}
SIM_EXPORT(NdisWaitEvent);

static VOID NTAPI sim_NdisMSleep(ULONG MicrosecondsToSleep)
{
    sim_irql_at_most(SIM_SITE(), "NdisMSleep", PASSIVE_LEVEL);
    sim_run_deferred();
    sim_advance((ULONG64)MicrosecondsToSleep * 10);
}
SIM_EXPORT(NdisMSleep);

static VOID NTAPI sim_NdisGetSystemUpTimeEx(PLARGE_INTEGER pSystemUpTime)
{
    pSystemUpTime->QuadPart = (LONGLONG)(sim_time_100ns / 10000);
}
SIM_EXPORT(NdisGetSystemUpTimeEx);

/* ---- Pool ------------------------------------------------------------------------------------ */

static int pool_is_paged(POOL_TYPE type)
{
    return (type & 1) != 0; /* PagedPool and its variants are odd */
}

static void check_pool_type(const void *site, POOL_TYPE type, const char *fn)
{
    int nx = type == NonPagedPoolNx || type == NonPagedPoolNxCacheAligned;
    if (nx && !os_at_least(6, 2)) {
        sim_violation(site, "%s: pool type %d (NonPagedPoolNx) does not exist on Windows %lu.%lu",
                      fn, (int)type, (unsigned long)sim_os_major, (unsigned long)sim_os_minor);
    }
    if (!nx && !pool_is_paged(type) && os_at_least(6, 2)) {
        sim_violation(site,
                      "%s: executable non-paged pool (type %d) on Windows %lu.%lu; the "
                      "driver's pool must be NX where Windows supports it "
                      "(ExInitializeDriverRuntime(DrvRtPoolNxOptIn) before allocating)",
                      fn, (int)type, (unsigned long)sim_os_major, (unsigned long)sim_os_minor);
    }
}

static PVOID pool_alloc(const void *site, POOL_TYPE type, SIZE_T size, ULONG tag, const char *fn)
{
    sim_irql_at_most(site, fn, pool_is_paged(type) ? APC_LEVEL : DISPATCH_LEVEL);
    check_pool_type(site, type, fn);
    if (size == 0) {
        sim_violation(site, "%s: zero bytes requested", fn);
    }
    if (tag == 0) {
        sim_violation(site, "%s: pool tag 0; the tag must be a non-zero character literal", fn);
    }
    if (sim_inject_failure(fn)) {
        return NULL;
    }
    sim_block *b = sim_alloc(SIM_MEMORY, size, tag, SIM_OWNER_DRIVER, site, 0, "pool block");
    b->extra = (void *)(ULONG_PTR)1; /* from ExAllocatePool* */
    return b->ptr;
}

static PVOID NTAPI sim_ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return pool_alloc(SIM_SITE(), PoolType, NumberOfBytes, Tag, "ExAllocatePoolWithTag");
}
SIM_EXPORT(ExAllocatePoolWithTag);

static PVOID NTAPI sim_ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                     ULONG Tag, EX_POOL_PRIORITY Priority)
{
    (void)Priority;
    return pool_alloc(SIM_SITE(), PoolType, NumberOfBytes, Tag, "ExAllocatePoolWithTagPriority");
}
SIM_EXPORT(ExAllocatePoolWithTagPriority);

static void pool_free(const void *site, PVOID p, ULONG tag, int check_tag, const char *fn)
{
    char where[300], a[8], b[8];
    sim_irql_at_most(site, fn, DISPATCH_LEVEL);
    sim_block *blk = sim_block_at(p);
    if (blk == NULL || blk->kind != SIM_MEMORY || blk->extra != (void *)(ULONG_PTR)1) {
        sim_violation(site, "%s(%p): not a block from ExAllocatePool*", fn, p);
    }
    if (!blk->live) {
        sim_violation(site, "%s(%p): freed twice; first freed at %s (script line %d)", fn, p,
                      sim_where(blk->free_site, where, sizeof(where)), blk->free_line);
    }
    if (check_tag && tag != blk->tag) {
        sim_violation(site, "%s(%p): tag '%s' but the block was allocated with '%s'", fn, p,
                      sim_tag_text(tag, a), sim_tag_text(blk->tag, b));
    }
    sim_release(blk, site);
}

static VOID NTAPI sim_ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    pool_free(SIM_SITE(), P, Tag, 1, "ExFreePoolWithTag");
}
SIM_EXPORT(ExFreePoolWithTag);

static VOID NTAPI sim_ExFreePool(PVOID P)
{
    pool_free(SIM_SITE(), P, 0, 0, "ExFreePool");
}
SIM_EXPORT(ExFreePool);

/* ---- MDLs ---------------------------------------------------------------------------------------
 */

/* An MDL describing [va, va + length) of memory the caller owns. */
static PMDL mdl_build(const void *site, PVOID va, ULONG length, sim_owner owner, const char *what)
{
    sim_block *b =
        sim_alloc(SIM_MDL, sizeof(MDL) + 2 * sizeof(PFN_NUMBER), 0, owner, site, 1, what);
    PMDL mdl = b->ptr;
    MmInitializeMdl(mdl, va, length);
    return mdl;
}

static PMDL NTAPI sim_IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                                    BOOLEAN ChargeQuota, PIRP Irp)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "IoAllocateMdl", DISPATCH_LEVEL);
    (void)ChargeQuota;
    if (Irp != NULL || SecondaryBuffer) {
        sim_violation(site, "IoAllocateMdl: attaching MDLs to IRPs is not simulated");
    }
    if (sim_inject_failure("IoAllocateMdl")) {
        return NULL;
    }
    return mdl_build(site, VirtualAddress, Length, SIM_OWNER_DRIVER, "MDL (IoAllocateMdl)");
}
SIM_EXPORT(IoAllocateMdl);

static VOID NTAPI sim_IoFreeMdl(PMDL Mdl)
{
    const void *site = SIM_SITE();
    char where[300];
    sim_irql_at_most(site, "IoFreeMdl", DISPATCH_LEVEL);
    sim_block *b = sim_block_at(Mdl);
    if (b == NULL || b->kind != SIM_MDL) {
        sim_violation(site, "IoFreeMdl(%p): not an MDL from IoAllocateMdl", (void *)Mdl);
    }
    if (!b->live) {
        sim_violation(site, "IoFreeMdl(%p): freed twice; first at %s", (void *)Mdl,
                      sim_where(b->free_site, where, sizeof(where)));
    }
    sim_release(b, site);
}
SIM_EXPORT(IoFreeMdl);

static VOID NTAPI sim_MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
    const void *site = SIM_SITE();
    PVOID va = MmGetMdlVirtualAddress(MemoryDescriptorList);
    if (sim_live_range(va, MemoryDescriptorList->ByteCount) == NULL) {
        sim_violation(site,
                      "MmBuildMdlForNonPagedPool: %p + %lu bytes is not inside one live "
                      "non-paged block",
                      va, (unsigned long)MemoryDescriptorList->ByteCount);
    }
    MemoryDescriptorList->MappedSystemVa = va;
    MemoryDescriptorList->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}
SIM_EXPORT(MmBuildMdlForNonPagedPool);

/*
 * Mapping an MDL's pages into system space (MmGetSystemAddressForMdlSafe when the MDL is not
 * mapped yet). The simulated system address is the buffer itself. The driver must ask for a
 * no-execute mapping where Windows has it (8 and later) and must not on Windows 7.
 */
static PVOID NTAPI sim_MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList,
                                                    KPROCESSOR_MODE AccessMode,
                                                    MEMORY_CACHING_TYPE CacheType,
                                                    PVOID RequestedAddress, ULONG BugCheckOnFailure,
                                                    MM_PAGE_PRIORITY Priority)
{
    const void *site = SIM_SITE();
    (void)CacheType;
    sim_irql_at_most(site, "MmMapLockedPagesSpecifyCache", DISPATCH_LEVEL);
    if (AccessMode != KernelMode || RequestedAddress != NULL) {
        sim_violation(site, "MmMapLockedPagesSpecifyCache: only kernel-mode mappings at a "
                            "system-chosen address are simulated");
    }
    if (BugCheckOnFailure) {
        sim_violation(site, "MmMapLockedPagesSpecifyCache: BugCheckOnFailure must be FALSE for "
                            "kernel-mode mappings");
    }
    if (!(MemoryDescriptorList->MdlFlags &
          (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_IO_SPACE))) {
        sim_violation(site,
                      "MmMapLockedPagesSpecifyCache: MDL %p describes pages that are not "
                      "locked",
                      (void *)MemoryDescriptorList);
    }
    int nx = ((ULONG)Priority & MdlMappingNoExecute) != 0;
    if (nx && !os_at_least(6, 2)) {
        sim_violation(site,
                      "MmMapLockedPagesSpecifyCache: MdlMappingNoExecute passed on Windows "
                      "%lu.%lu, which does not know it",
                      (unsigned long)sim_os_major, (unsigned long)sim_os_minor);
    }
    if (!nx && os_at_least(6, 2)) {
        sim_violation(site,
                      "MmMapLockedPagesSpecifyCache: executable mapping on Windows %lu.%lu; "
                      "buffers must be mapped with MdlMappingNoExecute",
                      (unsigned long)sim_os_major, (unsigned long)sim_os_minor);
    }
    if (sim_inject_failure("MmMapLockedPagesSpecifyCache")) {
        return NULL; /* out of system PTEs */
    }
    PVOID va = MmGetMdlVirtualAddress(MemoryDescriptorList);
    MemoryDescriptorList->MappedSystemVa = va;
    MemoryDescriptorList->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
    return va;
}
SIM_EXPORT(MmMapLockedPagesSpecifyCache);

static VOID NTAPI sim_MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
    const void *site = SIM_SITE();
    if (!(MemoryDescriptorList->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) ||
        MemoryDescriptorList->MappedSystemVa != BaseAddress) {
        sim_violation(site, "MmUnmapLockedPages: %p is not the mapping of MDL %p", BaseAddress,
                      (void *)MemoryDescriptorList);
    }
    MemoryDescriptorList->MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA;
    MemoryDescriptorList->MappedSystemVa = NULL;
}
SIM_EXPORT(MmUnmapLockedPages);

/* ---- Strings ------------------------------------------------------------------------------ */

static VOID NTAPI sim_RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    size_t n = 0;
    if (SourceString != NULL) {
        while (SourceString[n] != 0) {
            n++;
        }
        if (n * sizeof(WCHAR) > 0xFFFC) {
            sim_violation(SIM_SITE(), "RtlInitUnicodeString: string of %zu characters", n);
        }
    }
    DestinationString->Buffer = (PWSTR)SourceString;
    DestinationString->Length = (USHORT)(n * sizeof(WCHAR));
    DestinationString->MaximumLength = SourceString ? (USHORT)((n + 1) * sizeof(WCHAR)) : 0;
}
SIM_EXPORT(RtlInitUnicodeString);

static VOID NTAPI sim_RtlCopyUnicodeString(PUNICODE_STRING DestinationString,
                                           PCUNICODE_STRING SourceString)
{
    if (SourceString == NULL) {
        DestinationString->Length = 0;
        return;
    }
    USHORT n = SourceString->Length < DestinationString->MaximumLength
                   ? SourceString->Length
                   : DestinationString->MaximumLength;
    memmove(DestinationString->Buffer, SourceString->Buffer, n);
    DestinationString->Length = n;
    if (n + sizeof(WCHAR) <= DestinationString->MaximumLength) {
        DestinationString->Buffer[n / sizeof(WCHAR)] = 0;
    }
}
SIM_EXPORT(RtlCopyUnicodeString);

static NTSTATUS NTAPI sim_RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
                                                         PCUNICODE_STRING Source)
{
    if ((ULONG)Destination->Length + Source->Length > Destination->MaximumLength) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    memmove((unsigned char *)Destination->Buffer + Destination->Length, Source->Buffer,
            Source->Length);
    Destination->Length = (USHORT)(Destination->Length + Source->Length);
    if (Destination->Length + sizeof(WCHAR) <= Destination->MaximumLength) {
        Destination->Buffer[Destination->Length / sizeof(WCHAR)] = 0;
    }
    return STATUS_SUCCESS;
}
SIM_EXPORT(RtlAppendUnicodeStringToString);

static NTSTATUS NTAPI sim_RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)
{
    UNICODE_STRING s;
    sim_RtlInitUnicodeString(&s, Source);
    return sim_RtlAppendUnicodeStringToString(Destination, &s);
}
SIM_EXPORT(RtlAppendUnicodeToString);

static WCHAR upcase(WCHAR c)
{
    return c >= 'a' && c <= 'z' ? (WCHAR)(c - 32) : c;
}

static LONG NTAPI sim_RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                              BOOLEAN CaseInSensitive)
{
    size_t a = String1->Length / sizeof(WCHAR), b = String2->Length / sizeof(WCHAR);
    for (size_t i = 0; i < a && i < b; i++) {
        WCHAR x = String1->Buffer[i], y = String2->Buffer[i];
        if (CaseInSensitive) {
            x = upcase(x);
            y = upcase(y);
        }
        if (x != y) {
            return (LONG)x - (LONG)y;
        }
    }
    return (LONG)a - (LONG)b;
}
SIM_EXPORT(RtlCompareUnicodeString);

static BOOLEAN NTAPI sim_RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                               BOOLEAN CaseInSensitive)
{
    return String1->Length == String2->Length &&
           sim_RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0;
}
SIM_EXPORT(RtlEqualUnicodeString);

/* ---- Registry keys (the driver's service key, from DriverEntry's RegistryPath) ----------- */

typedef struct sim_key {
    sim_store store;
} sim_key;

static NTSTATUS NTAPI sim_ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                                    POBJECT_ATTRIBUTES ObjectAttributes)
{
    const void *site = SIM_SITE();
    char params[320];
    (void)DesiredAccess;
    sim_irql_at_most(site, "ZwOpenKey", PASSIVE_LEVEL);
    if (ObjectAttributes == NULL || ObjectAttributes->ObjectName == NULL) {
        sim_violation(site, "ZwOpenKey: no object name");
    }
    if (!(ObjectAttributes->Attributes & OBJ_KERNEL_HANDLE)) {
        sim_violation(site, "ZwOpenKey: a driver's handles must be kernel handles "
                            "(OBJ_KERNEL_HANDLE)");
    }
    sim_store store;
    UNICODE_STRING *name = ObjectAttributes->ObjectName;
    if (sim_unicode_equals(name, sim_service_path)) {
        store = SIM_STORE_SERVICE;
    } else {
        host_format(params, sizeof(params), "%s\\Parameters", sim_service_path);
        if (!sim_unicode_equals(name, params)) {
            return STATUS_OBJECT_NAME_NOT_FOUND;
        }
        store = SIM_STORE_PARAMETERS;
    }
    if (sim_inject_failure("ZwOpenKey")) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    sim_block *b =
        sim_alloc(SIM_KEY, sizeof(sim_key), 0, SIM_OWNER_DRIVER, site, 1, "registry key handle");
    ((sim_key *)b->ptr)->store = store;
    *KeyHandle = b->ptr;
    return STATUS_SUCCESS;
}
SIM_EXPORT(ZwOpenKey);

static sim_key *key_of(const void *site, HANDLE handle, const char *fn)
{
    sim_block *b = sim_block_at(handle);
    if (b == NULL || b->kind != SIM_KEY || !b->live) {
        sim_violation(site, "%s(%p): not an open registry key handle", fn, handle);
    }
    return b->ptr;
}

static NTSTATUS NTAPI sim_ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                                          KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                          PVOID KeyValueInformation, ULONG Length,
                                          PULONG ResultLength)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "ZwQueryValueKey", PASSIVE_LEVEL);
    sim_key *key = key_of(site, KeyHandle, "ZwQueryValueKey");
    if (KeyValueInformationClass != KeyValuePartialInformation) {
        sim_violation(site, "ZwQueryValueKey: information class %d is not simulated",
                      (int)KeyValueInformationClass);
    }
    const sim_value *v =
        sim_reg_find(key->store, ValueName->Buffer, ValueName->Length / sizeof(WCHAR));
    if (v == NULL) {
        return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    ULONG need = (ULONG)(FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + v->len);
    *ResultLength = need;
    if (Length < FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    PKEY_VALUE_PARTIAL_INFORMATION info = KeyValueInformation;
    info->TitleIndex = 0;
    info->Type = v->type;
    info->DataLength = (ULONG)v->len;
    if (Length < need) {
        return STATUS_BUFFER_OVERFLOW;
    }
    memcpy(info->Data, v->data, v->len);
    return STATUS_SUCCESS;
}
SIM_EXPORT(ZwQueryValueKey);

static NTSTATUS NTAPI sim_ZwClose(HANDLE Handle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "ZwClose", PASSIVE_LEVEL);
    key_of(site, Handle, "ZwClose");
    sim_release(sim_block_at(Handle), site);
    return STATUS_SUCCESS;
}
SIM_EXPORT(ZwClose);

/* ---- Routine addresses --------------------------------------------------------------------- */

typedef struct sim_routine {
    const char *name;
    PVOID address;
} sim_routine;

static PVOID lookup_routine(PUNICODE_STRING name)
{
    const sim_routine routines[] = {
        {"RtlGetVersion", (PVOID)sim_RtlGetVersion},
        {"ExAllocatePoolWithTag", (PVOID)sim_ExAllocatePoolWithTag},
        {"ExFreePoolWithTag", (PVOID)sim_ExFreePoolWithTag},
        {"KeQueryPerformanceCounter", (PVOID)sim_KeQueryPerformanceCounter},
    };
    for (size_t i = 0; i < sizeof(routines) / sizeof(routines[0]); i++) {
        if (sim_unicode_equals(name, routines[i].name)) {
            return routines[i].address;
        }
    }
    return NULL;
}

static PVOID NTAPI sim_MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
    sim_irql_at_most(SIM_SITE(), "MmGetSystemRoutineAddress", PASSIVE_LEVEL);
    return lookup_routine(SystemRoutineName);
}
SIM_EXPORT(MmGetSystemRoutineAddress);

static PVOID NTAPI sim_NdisGetRoutineAddress(PNDIS_STRING NdisRoutineName)
{
    sim_irql_at_most(SIM_SITE(), "NdisGetRoutineAddress", PASSIVE_LEVEL);
    return lookup_routine(NdisRoutineName);
}
SIM_EXPORT(NdisGetRoutineAddress);

/* ---- Checks between commands ------------------------------------------------------------- */

void sim_kernel_check_idle(const char *when)
{
    if (sim_irql != PASSIVE_LEVEL) {
        sim_violation(NULL, "%s: IRQL %u; the system is back at PASSIVE_LEVEL", when,
                      (unsigned)sim_irql);
    }
    if (sim_locks_held() != 0) {
        sim_violation(NULL, "%s: %zu locks still held", when, sim_locks_held());
    }
}
