/*
 * A deliberately faulty NDIS miniport for the simulator's own tests: well-behaved until told
 * otherwise, then it breaks one rule per request, so that each check of the simulation is
 * seen to fire (and to name this file's line as the call site). Never part of the driver.
 *
 * Compiled like the driver (its flags and declarations) and linked with the driver's krt.o
 * (GsDriverEntry, the stack cookie) into tapsim-selftest.exe.
 *
 * Its device \Device\BadDrv (\\.\Global\BadDrv) breaks rule N on IOCTL BAD_CODE(N); the
 * send and unload handlers break theirs once armed by an IOCTL.
 *
 * SPDX-License-Identifier: MIT
 */
#include "decl/tapkernel.h"

#define BAD_CODE(n) CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900 + (n), METHOD_BUFFERED, FILE_ANY_ACCESS)
#define BAD_TAG     'daBT'
#define BAD_FRAME   64

typedef struct _BAD_ADAPTER {
    NDIS_HANDLE Handle;
    NDIS_HANDLE Pool;
    PDEVICE_OBJECT Device;
    NDIS_HANDLE DeviceHandle;
    PUCHAR Frame; /* a receive buffer */
    PMDL FrameMdl;
    KSPIN_LOCK Lock;
    NDIS_EVENT Never;
    IO_CSQ Csq;
    LIST_ENTRY Queue;
} BAD_ADAPTER, *PBAD_ADAPTER;

DRIVER_INITIALIZE DriverEntry;
static MINIPORT_INITIALIZE BadInitialize;
static MINIPORT_HALT BadHalt;
static MINIPORT_UNLOAD BadUnload;
static MINIPORT_PAUSE BadPause;
static MINIPORT_RESTART BadRestart;
static MINIPORT_OID_REQUEST BadOid;
static MINIPORT_SEND_NET_BUFFER_LISTS BadSend;
static MINIPORT_RETURN_NET_BUFFER_LISTS BadReturn;
static MINIPORT_CANCEL_SEND BadCancelSend;
static MINIPORT_DEVICE_PNP_EVENT_NOTIFY BadPnp;
static MINIPORT_SHUTDOWN BadShutdown;
static MINIPORT_CANCEL_OID_REQUEST BadCancelOid;
static DRIVER_DISPATCH BadDispatch;

static NDIS_HANDLE BadDriver;
static PBAD_ADAPTER BadAdapter;
static ULONG BadSendRule;        /* 1: complete twice, 2: dispatch flag at PASSIVE_LEVEL */
static BOOLEAN BadUnloadRule;    /* do not deregister */
static BOOLEAN BadMapExecutable; /* map read buffers without MdlMappingNoExecute */

/* ---- Cancel-safe queue ---------------------------------------------------------------------- */

static VOID NTAPI BadCsqInsert(PIO_CSQ Csq, PIRP Irp)
{
    PBAD_ADAPTER a = CONTAINING_RECORD(Csq, BAD_ADAPTER, Csq);
    InsertTailList(&a->Queue, &Irp->Tail.Overlay.ListEntry);
}

static VOID NTAPI BadCsqRemove(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

static PIRP NTAPI BadCsqPeek(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PBAD_ADAPTER a = CONTAINING_RECORD(Csq, BAD_ADAPTER, Csq);
    PLIST_ENTRY next = Irp ? Irp->Tail.Overlay.ListEntry.Flink : a->Queue.Flink;
    UNREFERENCED_PARAMETER(PeekContext);
    return next == &a->Queue ? NULL : CONTAINING_RECORD(next, IRP, Tail.Overlay.ListEntry);
}

static VOID NTAPI BadCsqAcquire(PIO_CSQ Csq, PKIRQL Irql)
{
    KeAcquireSpinLock(&CONTAINING_RECORD(Csq, BAD_ADAPTER, Csq)->Lock, Irql);
}

static VOID NTAPI BadCsqRelease(PIO_CSQ Csq, KIRQL Irql)
{
    KeReleaseSpinLock(&CONTAINING_RECORD(Csq, BAD_ADAPTER, Csq)->Lock, Irql);
}

static VOID NTAPI BadCsqCompleteCanceled(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* ---- Helpers ----------------------------------------------------------------------------------
 */

static VOID NTAPI BadCancelRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
}

static NTSTATUS BadComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* Indicates the adapter's receive buffer as one list. */
static PNET_BUFFER_LIST BadIndicate(PBAD_ADAPTER a, ULONG Flags)
{
    PNET_BUFFER_LIST nbl =
        NdisAllocateNetBufferAndNetBufferList(a->Pool, 0, 0, a->FrameMdl, 0, BAD_FRAME);
    if (nbl == NULL) {
        return NULL;
    }
    nbl->SourceHandle = a->Handle;
    NdisMIndicateReceiveNetBufferLists(a->Handle, nbl, NDIS_DEFAULT_PORT_NUMBER, 1, Flags);
    return nbl;
}

/* A stack array indexed from the request: the stack protector's business. */
static __attribute__((noinline)) ULONG BadSmash(ULONG Count)
{
    volatile UCHAR local[8];
    for (ULONG i = 0; i < Count; i++) {
        local[i] = (UCHAR)i;
    }
    return local[0];
}

/* ---- Device ------------------------------------------------------------------------------------
 */

static NTSTATUS BadIoctl(PBAD_ADAPTER a, PIRP Irp, PIO_STACK_LOCATION Stack)
{
    ULONG code = Stack->Parameters.DeviceIoControl.IoControlCode;
    ULONG out = Stack->Parameters.DeviceIoControl.OutputBufferLength;
    PUCHAR p;
    KIRQL irql;
    UCHAR stack[32];

    switch (code) {
    case BAD_CODE(0): /* rule kept: completes once */
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(1): /* completes the IRP twice */
        BadComplete(Irp, STATUS_SUCCESS, 0);
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    case BAD_CODE(2): /* STATUS_PENDING without IoMarkIrpPending */
        return STATUS_PENDING;
    case BAD_CODE(3): /* returns another status than it completed with */
        BadComplete(Irp, STATUS_SUCCESS, 0);
        return STATUS_UNSUCCESSFUL;
    case BAD_CODE(4): /* returns success without completing */
        return STATUS_SUCCESS;
    case BAD_CODE(5): /* completes with a cancel routine set */
        IoSetCancelRoutine(Irp, BadCancelRoutine);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(6): /* Information beyond the output buffer */
        return BadComplete(Irp, STATUS_SUCCESS, out + 1);
    case BAD_CODE(7): /* reads the IRP after completing it */
        BadComplete(Irp, STATUS_SUCCESS, 0);
        return Irp->IoStatus.Status;
    case BAD_CODE(8): /* memory charged to the adapter, never freed */
        (void)NdisAllocateMemoryWithTagPriority(a->Handle, 100, BAD_TAG, NormalPoolPriority);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(9): /* frees twice */
        p = NdisAllocateMemoryWithTagPriority(a->Handle, 100, BAD_TAG, NormalPoolPriority);
        NdisFreeMemoryWithTagPriority(a->Handle, p, BAD_TAG);
        NdisFreeMemoryWithTagPriority(a->Handle, p, BAD_TAG);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(10): /* writes after freeing */
        p = NdisAllocateMemoryWithTagPriority(a->Handle, 100, BAD_TAG, NormalPoolPriority);
        NdisFreeMemoryWithTagPriority(a->Handle, p, BAD_TAG);
        p[10] = 1;
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(11): /* one byte past the end (caught when freed) */
        p = NdisAllocateMemoryWithTagPriority(a->Handle, 10, BAD_TAG, NormalPoolPriority);
        p[10] = 1;
        NdisFreeMemoryWithTagPriority(a->Handle, p, BAD_TAG);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(12): /* far past the end (caught at once) */
        p = NdisAllocateMemoryWithTagPriority(a->Handle, 4096, BAD_TAG, NormalPoolPriority);
        p[4096 + 8] = 1;
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(13): /* returns holding a spin lock */
        KeAcquireSpinLock(&a->Lock, &irql);
        BadComplete(Irp, STATUS_SUCCESS, 0);
        return STATUS_SUCCESS;
    case BAD_CODE(14): /* sleeps at DISPATCH_LEVEL */
        KeAcquireSpinLock(&a->Lock, &irql);
        NdisMSleep(10);
        KeReleaseSpinLock(&a->Lock, irql);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(15): /* waits for an event nothing sets */
        (void)NdisWaitEvent(&a->Never, 0);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(16): /* acquires a spin lock it holds */
        KeAcquireSpinLock(&a->Lock, &irql);
        KeAcquireSpinLock(&a->Lock, &irql);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(17): /* indicates (used while paused) */
        (void)BadIndicate(a, 0);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(18): /* claims DISPATCH_LEVEL at PASSIVE_LEVEL */
        (void)BadIndicate(a, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(19): /* frees a list NDIS still owns */
        NdisFreeNetBufferList(BadIndicate(a, 0));
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(20): /* frees the pool with a list outstanding */
        (void)NdisAllocateNetBufferAndNetBufferList(a->Pool, 0, 0, a->FrameMdl, 0, BAD_FRAME);
        NdisFreeNetBufferListPool(a->Pool);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(21): /* an MDL over stack memory */
        NdisFreeMdl(NdisAllocateMdl(a->Handle, stack, sizeof(stack)));
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(22): /* executable pool on a Windows with NX pool */
        ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPoolExecute, 16, BAD_TAG), BAD_TAG);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(23): /* NX pool on Windows 7 */
        ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPoolNx, 16, BAD_TAG), BAD_TAG);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(24): /* leaves the IRQL raised */
        KeRaiseIrql(DISPATCH_LEVEL, &irql);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(25): /* a spin lock in memory never initialized */
        p = NdisAllocateMemoryWithTagPriority(a->Handle, sizeof(KSPIN_LOCK), BAD_TAG,
                                              NormalPoolPriority);
        KeAcquireSpinLock((PKSPIN_LOCK)p, &irql);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(26): /* bug check */
        KeBugCheckEx(0xE2, 1, 2, 3, 4);
    case BAD_CODE(27): /* overruns a stack buffer (stack cookie) */
        return BadComplete(Irp, BadSmash(out) == 0 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL, 0);
    case BAD_CODE(28): /* completes an IRP still in its cancel-safe queue */
        IoCsqInsertIrp(&a->Csq, Irp, NULL);
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
    case BAD_CODE(29): /* queued in the cancel-safe queue: rule kept (cancel completes it) */
        IoCsqInsertIrp(&a->Csq, Irp, NULL);
        return STATUS_PENDING;
    case BAD_CODE(30): /* arms the send handler: complete each list twice */
        BadSendRule = 1;
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(31): /* arms the send handler: dispatch flag at PASSIVE_LEVEL */
        BadSendRule = 2;
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(32): /* arms unload: no NdisMDeregisterMiniportDriver */
        BadUnloadRule = TRUE;
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(34): /* rule kept: the time, read as amd64 code reads it (shared data) */
        if (out < 3 * sizeof(ULONG64)) {
            return BadComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        }
        {
            PULONG64 t = Irp->AssociatedIrp.SystemBuffer;
            LARGE_INTEGER system, ticks;
            t[0] = KeQueryInterruptTime();
            KeQuerySystemTime(&system);
            KeQueryTickCount(&ticks);
            t[1] = (ULONG64)system.QuadPart;
            t[2] = (ULONG64)ticks.QuadPart;
        }
        return BadComplete(Irp, STATUS_SUCCESS, 3 * sizeof(ULONG64));
    case BAD_CODE(35): /* indicates holding the lock its return handler takes */
        KeAcquireSpinLock(&a->Lock, &irql);
        (void)BadIndicate(a, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
        KeReleaseSpinLock(&a->Lock, irql);
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    case BAD_CODE(33): /* arms reads: executable mappings */
        BadMapExecutable = TRUE;
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    default:
        return BadComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static NTSTATUS NTAPI BadDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PVOID buffer;
    UNREFERENCED_PARAMETER(DeviceObject);

    switch (stack->MajorFunction) {
    case IRP_MJ_DEVICE_CONTROL:
        return BadIoctl(BadAdapter, Irp, stack);
    case IRP_MJ_READ:
        /* The mapping flag must suit the running Windows: this one asks for NX unless armed. */
        buffer = MmGetSystemAddressForMdlSafe(
            Irp->MdlAddress, NormalPagePriority | (BadMapExecutable ? 0 : MdlMappingNoExecute));
        if (buffer == NULL) {
            return BadComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        }
        ((PUCHAR)buffer)[0] = 0x42;
        return BadComplete(Irp, STATUS_SUCCESS, 1);
    default:
        return BadComplete(Irp, STATUS_SUCCESS, 0);
    }
}

/* ---- Miniport
 * ------------------------------------------------------------------------------------ */

static NDIS_STATUS NTAPI BadInitialize(NDIS_HANDLE MiniportHandle, NDIS_HANDLE DriverContext,
                                       PNDIS_MINIPORT_INIT_PARAMETERS InitParameters)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
    NET_BUFFER_LIST_POOL_PARAMETERS pool;
    NDIS_DEVICE_OBJECT_ATTRIBUTES dev;
    PDRIVER_DISPATCH dispatch[IRP_MJ_MAXIMUM_FUNCTION + 1];
    NDIS_STRING name = NDIS_STRING_CONST("\\Device\\BadDrv");
    NDIS_STRING link = NDIS_STRING_CONST("\\DosDevices\\Global\\BadDrv");
    PBAD_ADAPTER a;

    UNREFERENCED_PARAMETER(DriverContext);
    UNREFERENCED_PARAMETER(InitParameters);
    a = NdisAllocateMemoryWithTagPriority(MiniportHandle, sizeof(*a), BAD_TAG, NormalPoolPriority);
    NdisZeroMemory(a, sizeof(*a));
    a->Handle = MiniportHandle;
    KeInitializeSpinLock(&a->Lock);
    NdisInitializeEvent(&a->Never);
    InitializeListHead(&a->Queue);
    IoCsqInitialize(&a->Csq, BadCsqInsert, BadCsqRemove, BadCsqPeek, BadCsqAcquire, BadCsqRelease,
                    BadCsqCompleteCanceled);

    NdisZeroMemory(&reg, sizeof(reg));
    reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.MiniportAdapterContext = a;
    reg.InterfaceType = NdisInterfaceInternal;
    NdisMSetMiniportAttributes(MiniportHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&reg);
    NdisZeroMemory(&gen, sizeof(gen));
    gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    gen.MediaType = NdisMedium802_3;
    gen.MtuSize = 1500;
    gen.MacAddressLength = 6;
    NdisMSetMiniportAttributes(MiniportHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&gen);

    NdisZeroMemory(&pool, sizeof(pool));
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.fAllocateNetBuffer = TRUE;
    pool.PoolTag = BAD_TAG;
    a->Pool = NdisAllocateNetBufferListPool(MiniportHandle, &pool);
    a->Frame =
        NdisAllocateMemoryWithTagPriority(MiniportHandle, BAD_FRAME, BAD_TAG, NormalPoolPriority);
    NdisZeroMemory(a->Frame, BAD_FRAME);
    a->FrameMdl = NdisAllocateMdl(MiniportHandle, a->Frame, BAD_FRAME);

    NdisZeroMemory(dispatch, sizeof(dispatch));
    dispatch[IRP_MJ_CREATE] = BadDispatch;
    dispatch[IRP_MJ_CLEANUP] = BadDispatch;
    dispatch[IRP_MJ_CLOSE] = BadDispatch;
    dispatch[IRP_MJ_READ] = BadDispatch;
    dispatch[IRP_MJ_DEVICE_CONTROL] = BadDispatch;
    NdisZeroMemory(&dev, sizeof(dev));
    dev.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
    dev.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    dev.Header.Size = NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    dev.DeviceName = &name;
    dev.SymbolicName = &link;
    dev.MajorFunctions = dispatch;
    if (NdisRegisterDeviceEx(BadDriver, &dev, &a->Device, &a->DeviceHandle) !=
        NDIS_STATUS_SUCCESS) {
        return NDIS_STATUS_FAILURE;
    }
    a->Device->Flags |= DO_DIRECT_IO;
    BadAdapter = a;
    return NDIS_STATUS_SUCCESS;
}

static VOID NTAPI BadHalt(NDIS_HANDLE AdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PBAD_ADAPTER a = AdapterContext;
    UNREFERENCED_PARAMETER(HaltAction);
    NdisDeregisterDeviceEx(a->DeviceHandle);
    NdisFreeMdl(a->FrameMdl);
    NdisFreeMemoryWithTagPriority(a->Handle, a->Frame, BAD_TAG);
    NdisFreeNetBufferListPool(a->Pool);
    NdisFreeMemoryWithTagPriority(a->Handle, a, BAD_TAG);
    BadAdapter = NULL;
}

static NDIS_STATUS NTAPI BadPause(NDIS_HANDLE AdapterContext,
                                  PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(PauseParameters);
    return NDIS_STATUS_SUCCESS; /* without waiting for indicated lists: see the tests */
}

static NDIS_STATUS NTAPI BadRestart(NDIS_HANDLE AdapterContext,
                                    PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(RestartParameters);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS NTAPI BadOid(NDIS_HANDLE AdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    if (OidRequest->RequestType == NdisRequestQueryInformation &&
        OidRequest->DATA.QUERY_INFORMATION.Oid == OID_GEN_VENDOR_ID) {
        /* Too short, and says it needs no more than it got. */
        OidRequest->DATA.QUERY_INFORMATION.BytesNeeded =
            OidRequest->DATA.QUERY_INFORMATION.InformationBufferLength;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    return NDIS_STATUS_SUCCESS;
}

static VOID NTAPI BadSend(NDIS_HANDLE AdapterContext, PNET_BUFFER_LIST NetBufferLists,
                          NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PBAD_ADAPTER a = AdapterContext;
    ULONG flags =
        NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
    UNREFERENCED_PARAMETER(PortNumber);
    for (PNET_BUFFER_LIST nbl = NetBufferLists; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    }
    if (BadSendRule == 2) {
        flags = NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL;
    }
    NdisMSendNetBufferListsComplete(a->Handle, NetBufferLists, flags);
    if (BadSendRule == 1) {
        NdisMSendNetBufferListsComplete(a->Handle, NetBufferLists, flags);
    }
}

static VOID NTAPI BadReturn(NDIS_HANDLE AdapterContext, PNET_BUFFER_LIST NetBufferLists,
                            ULONG ReturnFlags)
{
    PBAD_ADAPTER a = AdapterContext;
    PNET_BUFFER_LIST next;
    KIRQL irql;
    UNREFERENCED_PARAMETER(ReturnFlags);
    KeAcquireSpinLock(&a->Lock, &irql);
    for (; NetBufferLists != NULL; NetBufferLists = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(NetBufferLists);
        NdisFreeNetBufferList(NetBufferLists);
    }
    KeReleaseSpinLock(&a->Lock, irql);
}

static VOID NTAPI BadCancelSend(NDIS_HANDLE AdapterContext, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(CancelId);
}

static VOID NTAPI BadPnp(NDIS_HANDLE AdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

static VOID NTAPI BadShutdown(NDIS_HANDLE AdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(ShutdownAction);
}

static VOID NTAPI BadCancelOid(NDIS_HANDLE AdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
}

static VOID NTAPI BadUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (!BadUnloadRule) {
        NdisMDeregisterMiniportDriver(BadDriver);
    }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.MajorNdisVersion = 6;
    chars.MinorNdisVersion = 20;
    chars.InitializeHandlerEx = BadInitialize;
    chars.HaltHandlerEx = BadHalt;
    chars.UnloadHandler = BadUnload;
    chars.PauseHandler = BadPause;
    chars.RestartHandler = BadRestart;
    chars.OidRequestHandler = BadOid;
    chars.SendNetBufferListsHandler = BadSend;
    chars.ReturnNetBufferListsHandler = BadReturn;
    chars.CancelSendHandler = BadCancelSend;
    chars.DevicePnPEventNotifyHandler = BadPnp;
    chars.ShutdownHandlerEx = BadShutdown;
    chars.CancelOidRequestHandler = BadCancelOid;
    return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &BadDriver);
}
