/*
 * device.c - the user-mode device of an adapter: \Device\{GUID}.tap with the symbolic link
 * \DosDevices\Global\{GUID}.tap, and with TapDiag set \Device\{GUID}.tapdiag.
 *
 * The .tap device: one open handle at a time (the core refuses a second), access by the SDDL
 * that AllowNonAdmin selects, direct I/O for reads and writes, METHOD_BUFFERED IOCTLs. Reads
 * wait in a cancel-safe queue (IoCsq) until the core has a frame; every IRP is completed
 * exactly once: by the read service, by the queue's cancel routine, or at halt.
 * The .tapdiag device: default access, shared opens, SET_MEDIA_STATUS and PRIORITY_BEHAVIOR.
 *
 * Dispatch routines run at PASSIVE_LEVEL (the devices are top-level, opened from user mode).
 */
#include "tap.h"

/* AllowNonAdmin 1: SYSTEM all access; Administrators, Everyone and restricted code read,
 * write and execute. AllowNonAdmin 0: SYSTEM and Administrators only. */
static const UNICODE_STRING TapSddlAllowNonAdmin =
    RTL_CONSTANT_STRING(L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)");
static const UNICODE_STRING TapSddlAdminOnly = RTL_CONSTANT_STRING(L"D:P(A;;GA;;;SY)(A;;GA;;;BA)");

#define TAP_CSQ_INSERT_HEAD ((PVOID)1) /* IoCsqInsertIrpEx context: back to the front */
#define TAP_NAME_CHARS      80         /* \DosDevices\Global\ + 38 + .tapdiag + NUL */

static DRIVER_DISPATCH TapDeviceDispatch;
static IO_CSQ_INSERT_IRP_EX TapCsqInsert;
static IO_CSQ_REMOVE_IRP TapCsqRemove;
static IO_CSQ_PEEK_NEXT_IRP TapCsqPeek;
static IO_CSQ_ACQUIRE_LOCK TapCsqAcquireLock;
static IO_CSQ_RELEASE_LOCK TapCsqReleaseLock;
static IO_CSQ_COMPLETE_CANCELED_IRP TapCsqCompleteCanceled;

/* ---- References: what halt waits for ------------------------------------------------------- */

/* The attached adapter with one more I/O reference, or NULL after halt. */
static PTAP_ADAPTER TapDeviceEnter(PTAP_DEVICE_EXTENSION Ext)
{
    PTAP_ADAPTER adapter;
    KIRQL irql;

    KeAcquireSpinLock(&Ext->Lock, &irql);
    adapter = Ext->Adapter;
    if (adapter != NULL) {
        Ext->IoCount++;
    }
    KeReleaseSpinLock(&Ext->Lock, irql);
    return adapter;
}

/* One more reference for an IRP that stays pending; the caller holds one already. */
static VOID TapDeviceReference(PTAP_DEVICE_EXTENSION Ext)
{
    KIRQL irql;

    KeAcquireSpinLock(&Ext->Lock, &irql);
    Ext->IoCount++;
    KeReleaseSpinLock(&Ext->Lock, irql);
}

/* Drops a reference. The adapter may be gone once this returns: call it last, before
 * completing the IRP (the IRP keeps the device object alive until then). */
static VOID TapDeviceLeave(PTAP_DEVICE_EXTENSION Ext)
{
    KIRQL irql;

    KeAcquireSpinLock(&Ext->Lock, &irql);
    if (--Ext->IoCount == 0 && Ext->Draining) {
        NdisSetEvent(&Ext->Drained);
    }
    KeReleaseSpinLock(&Ext->Lock, irql);
}

static VOID TapDeviceComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = NT_SUCCESS(Status) ? Information : 0;
    IoCompleteRequest(Irp, NT_SUCCESS(Status) ? IO_NETWORK_INCREMENT : IO_NO_INCREMENT);
}

/* ---- The pending-read queue ---------------------------------------------------------------- */

static NTSTATUS NTAPI TapCsqInsert(PIO_CSQ Csq, PIRP Irp, PVOID InsertContext)
{
    PTAP_ADAPTER adapter = CONTAINING_RECORD(Csq, TAP_ADAPTER, Csq);

    if (InsertContext == TAP_CSQ_INSERT_HEAD) {
        InsertHeadList(&adapter->PendingReads, &Irp->Tail.Overlay.ListEntry);
    } else {
        InsertTailList(&adapter->PendingReads, &Irp->Tail.Overlay.ListEntry);
    }
    return STATUS_SUCCESS;
}

static VOID NTAPI TapCsqRemove(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

static PIRP NTAPI TapCsqPeek(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PTAP_ADAPTER adapter = CONTAINING_RECORD(Csq, TAP_ADAPTER, Csq);
    PLIST_ENTRY next =
        Irp != NULL ? Irp->Tail.Overlay.ListEntry.Flink : adapter->PendingReads.Flink;

    UNREFERENCED_PARAMETER(PeekContext);
    return next != &adapter->PendingReads ? CONTAINING_RECORD(next, IRP, Tail.Overlay.ListEntry)
                                          : NULL;
}

static VOID NTAPI TapCsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    KeAcquireSpinLock(&CONTAINING_RECORD(Csq, TAP_ADAPTER, Csq)->CsqLock, Irql);
}

static VOID NTAPI TapCsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    KeReleaseSpinLock(&CONTAINING_RECORD(Csq, TAP_ADAPTER, Csq)->CsqLock, Irql);
}

/* A pending read cancelled by the I/O manager (CancelIo, thread exit). IRQL <= DISPATCH_LEVEL. */
static VOID NTAPI TapCsqCompleteCanceled(PIO_CSQ Csq, PIRP Irp)
{
    PTAP_ADAPTER adapter = CONTAINING_RECORD(Csq, TAP_ADAPTER, Csq);

    TapDeviceLeave(adapter->Device.Extension);
    TapDeviceComplete(Irp, STATUS_CANCELLED, 0);
}

VOID TapDeviceInitializeQueue(PTAP_ADAPTER Adapter)
{
    KeInitializeSpinLock(&Adapter->CsqLock);
    InitializeListHead(&Adapter->PendingReads);
    (void)IoCsqInitializeEx(&Adapter->Csq, TapCsqInsert, TapCsqRemove, TapCsqPeek,
                            TapCsqAcquireLock, TapCsqReleaseLock, TapCsqCompleteCanceled);
}

/* Runs the core's read for a queued IRP into its buffer, under Adapter->Lock. */
static tapc_status TapDeviceReadInto(PTAP_ADAPTER Adapter, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR buffer = (PUCHAR)Irp->Tail.Overlay.DriverContext[0];
    size_t written = 0;
    tapc_status status;

    if (Adapter->Halting) {
        status = TAPC_STATUS_CANCELLED;
    } else {
        status = tapc_user_read(&Adapter->Core, buffer,
                                buffer != NULL ? stack->Parameters.Read.Length : 0, &written);
    }
    Irp->IoStatus.Status = (NTSTATUS)status;
    Irp->IoStatus.Information = written;
    return status;
}

ULONG TapDeviceServiceReads(PTAP_ADAPTER Adapter)
{
    PTAP_DEVICE_EXTENSION ext = Adapter->Device.Extension;
    LIST_ENTRY done;
    PLIST_ENTRY entry;
    ULONG events;
    KIRQL irql;
    PIRP irp;

    InitializeListHead(&done);
    KeAcquireSpinLock(&Adapter->Lock, &irql);
    for (;;) {
        irp = IoCsqRemoveNextIrp(&Adapter->Csq, NULL);
        if (irp == NULL) {
            break;
        }
        if (TapDeviceReadInto(Adapter, irp) == TAPC_STATUS_PENDING) {
            /* Nothing to read yet: back to the front, still first in line. Should it have been
             * cancelled meanwhile, the queue completes it right here (TapCsqCompleteCanceled:
             * IoCompleteRequest at DISPATCH_LEVEL, the extension lock after ours). */
            (void)IoCsqInsertIrpEx(&Adapter->Csq, irp, NULL, TAP_CSQ_INSERT_HEAD);
            break;
        }
        InsertTailList(&done, &irp->Tail.Overlay.ListEntry);
    }
    events = tapc_take_events(&Adapter->Core);
    KeReleaseSpinLock(&Adapter->Lock, irql);

    while (!IsListEmpty(&done)) {
        entry = RemoveHeadList(&done);
        irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
        TapDeviceLeave(ext);
        IoCompleteRequest(irp, NT_SUCCESS(irp->IoStatus.Status) ? IO_NETWORK_INCREMENT
                                                                : IO_NO_INCREMENT);
    }
    return events;
}

/* ---- Dispatch ------------------------------------------------------------------------------- */

/* A buffer of a direct-I/O read or write, mapped no-execute where Windows supports it; NULL
 * for a zero-length request or when the pages cannot be mapped. */
static PUCHAR TapDeviceMapBuffer(PIRP Irp)
{
    if (Irp->MdlAddress == NULL) {
        return NULL;
    }
    return (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress,
                                                NormalPagePriority | TapMdlNoExecute);
}

static NTSTATUS TapDeviceCreateFile(PTAP_ADAPTER Adapter, PTAP_DEVICE_EXTENSION Ext, PIRP Irp,
                                    PIO_STACK_LOCATION Stack)
{
    tapc_status status;
    ULONG events;
    KIRQL irql;

    UNREFERENCED_PARAMETER(Irp);
    if (Stack->FileObject == NULL || Stack->FileObject->FileName.Length != 0) {
        return STATUS_OBJECT_NAME_NOT_FOUND; /* \\.\Global\{GUID}.tap\anything */
    }
    if (Ext->Diag) {
        return STATUS_SUCCESS;
    }
    KeAcquireSpinLock(&Adapter->Lock, &irql);
    status = tapc_open(&Adapter->Core);
    if (status == TAPC_STATUS_SUCCESS) {
        Adapter->OpenFile = Stack->FileObject;
    }
    events = tapc_take_events(&Adapter->Core);
    KeReleaseSpinLock(&Adapter->Lock, irql);
    TapAdapterProcessEvents(Adapter, events | TAP_EVENT_STATE);
    return (NTSTATUS)status;
}

/* The last handle of a file object is closed: the core closes (media, queue, pending reads). */
static NTSTATUS TapDeviceCleanup(PTAP_ADAPTER Adapter, PTAP_DEVICE_EXTENSION Ext,
                                 PIO_STACK_LOCATION Stack)
{
    ULONG events = 0;
    KIRQL irql;

    if (Ext->Diag) {
        return STATUS_SUCCESS;
    }
    KeAcquireSpinLock(&Adapter->Lock, &irql);
    if (Adapter->OpenFile != NULL && Adapter->OpenFile == Stack->FileObject) {
        tapc_close(&Adapter->Core);
        Adapter->OpenFile = NULL;
        events = tapc_take_events(&Adapter->Core);
    }
    KeReleaseSpinLock(&Adapter->Lock, irql);
    TapAdapterProcessEvents(Adapter, events | TAP_EVENT_STATE);
    return STATUS_SUCCESS;
}

/* Queues the read; the read service completes it now or when a frame arrives. A zero-length
 * read is answered at once: the core refuses it (or cancels it, as any read when closed). */
static NTSTATUS TapDeviceRead(PTAP_ADAPTER Adapter, PTAP_DEVICE_EXTENSION Ext, PIRP Irp,
                              PIO_STACK_LOCATION Stack)
{
    PUCHAR buffer = TapDeviceMapBuffer(Irp);
    size_t written = 0;
    tapc_status status;
    KIRQL irql;

    if (Stack->Parameters.Read.Length == 0) {
        KeAcquireSpinLock(&Adapter->Lock, &irql);
        status = tapc_user_read(&Adapter->Core, NULL, 0, &written);
        KeReleaseSpinLock(&Adapter->Lock, irql);
        return (NTSTATUS)status;
    }
    if (buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Irp->Tail.Overlay.DriverContext[0] = buffer;
    TapDeviceReference(Ext); /* the pending IRP's own, dropped when it completes */
    /* Pending from here (the queue marks it too): a cancelled IRP goes straight to
     * TapCsqCompleteCanceled, a queued one completes from the read service. */
    IoMarkIrpPending(Irp);
    (void)IoCsqInsertIrpEx(&Adapter->Csq, Irp, NULL, NULL);
    TapAdapterProcessEvents(Adapter, TAP_EVENT_STATE);
    return STATUS_PENDING;
}

static NTSTATUS TapDeviceWrite(PTAP_ADAPTER Adapter, PIRP Irp, PIO_STACK_LOCATION Stack,
                               PULONG_PTR Information)
{
    ULONG length = Stack->Parameters.Write.Length;
    PUCHAR buffer = TapDeviceMapBuffer(Irp);
    NTSTATUS status;

    if (buffer == NULL && length != 0) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = TapDataWrite(Adapter, buffer, buffer != NULL ? length : 0);
    *Information = length;
    return status;
}

static NTSTATUS TapDeviceControl(PTAP_ADAPTER Adapter, PTAP_DEVICE_EXTENSION Ext, PIRP Irp,
                                 PIO_STACK_LOCATION Stack, PULONG_PTR Information)
{
    ULONG code = Stack->Parameters.DeviceIoControl.IoControlCode;
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    size_t written = 0;
    tapc_status status;
    ULONG events;
    KIRQL irql;

    /* Every TAP IOCTL is METHOD_BUFFERED: only then is SystemBuffer the caller's data. */
    if ((code & 3u) != METHOD_BUFFERED) {
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    KeAcquireSpinLock(&Adapter->Lock, &irql);
    status = tapc_ioctl(&Adapter->Core, Ext->Diag ? TAPC_IOCTL_DIAG : 0u, code, buffer,
                        Stack->Parameters.DeviceIoControl.InputBufferLength, buffer,
                        Stack->Parameters.DeviceIoControl.OutputBufferLength, &written);
    events = tapc_take_events(&Adapter->Core);
    KeReleaseSpinLock(&Adapter->Lock, irql);
    TapAdapterProcessEvents(Adapter, events);
    *Information = written;
    return (NTSTATUS)status;
}

/* PASSIVE_LEVEL. */
static NTSTATUS NTAPI TapDeviceDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PTAP_DEVICE_EXTENSION ext = (PTAP_DEVICE_EXTENSION)NdisGetDeviceReservedExtension(DeviceObject);
    ULONG_PTR information = 0;
    PTAP_ADAPTER adapter;
    NTSTATUS status;

    adapter = TapDeviceEnter(ext);
    if (adapter == NULL) {
        /* The adapter halted while this handle stayed open: only closing works. */
        status = stack->MajorFunction == IRP_MJ_CLEANUP || stack->MajorFunction == IRP_MJ_CLOSE
                     ? STATUS_SUCCESS
                     : STATUS_DEVICE_REMOVED;
        TapDeviceComplete(Irp, status, 0);
        return status;
    }

    switch (stack->MajorFunction) {
    case IRP_MJ_CREATE:
        status = TapDeviceCreateFile(adapter, ext, Irp, stack);
        break;
    case IRP_MJ_CLEANUP:
        status = TapDeviceCleanup(adapter, ext, stack);
        break;
    case IRP_MJ_CLOSE:
        status = STATUS_SUCCESS;
        break;
    case IRP_MJ_READ:
        status =
            ext->Diag ? STATUS_INVALID_DEVICE_REQUEST : TapDeviceRead(adapter, ext, Irp, stack);
        break;
    case IRP_MJ_WRITE:
        status = ext->Diag ? STATUS_INVALID_DEVICE_REQUEST
                           : TapDeviceWrite(adapter, Irp, stack, &information);
        break;
    case IRP_MJ_DEVICE_CONTROL:
        status = TapDeviceControl(adapter, ext, Irp, stack, &information);
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }

    TapDeviceLeave(ext);
    if (status != STATUS_PENDING) {
        TapDeviceComplete(Irp, status, information);
    }
    return status;
}

/* ---- Registration -----------------------------------------------------------------------------
 */

/* Prefix + GUID + Suffix into Buffer (TAP_NAME_CHARS). */
static NTSTATUS TapDeviceName(PUNICODE_STRING Name, PWCH Buffer, PCWSTR Prefix, PCWSTR Guid,
                              PCWSTR Suffix)
{
    NTSTATUS status;

    Name->Buffer = Buffer;
    Name->Length = 0;
    Name->MaximumLength = TAP_NAME_CHARS * sizeof(WCHAR);
    status = RtlAppendUnicodeToString(Name, Prefix);
    if (NT_SUCCESS(status)) {
        status = RtlAppendUnicodeToString(Name, Guid);
    }
    if (NT_SUCCESS(status)) {
        status = RtlAppendUnicodeToString(Name, Suffix);
    }
    return status;
}

static NDIS_STATUS TapDeviceRegister(PTAP_ADAPTER Adapter, PTAP_DEVICE Device, BOOLEAN Diag)
{
    static PDRIVER_DISPATCH dispatch[IRP_MJ_MAXIMUM_FUNCTION + 1];
    NDIS_DEVICE_OBJECT_ATTRIBUTES attributes;
    PCWSTR suffix = Diag ? L".tapdiag" : L".tap";
    WCHAR nameBuffer[TAP_NAME_CHARS];
    WCHAR linkBuffer[TAP_NAME_CHARS];
    UNICODE_STRING name;
    UNICODE_STRING link;
    PTAP_DEVICE_EXTENSION ext;
    KIRQL irql;
    NDIS_STATUS status;

    status = TapDeviceName(&name, nameBuffer, L"\\Device\\", Adapter->Guid, suffix);
    if (NT_SUCCESS(status)) {
        status = TapDeviceName(&link, linkBuffer, L"\\DosDevices\\Global\\", Adapter->Guid, suffix);
    }
    if (!NT_SUCCESS(status)) {
        return NDIS_STATUS_FAILURE;
    }
    dispatch[IRP_MJ_CREATE] = TapDeviceDispatch;
    dispatch[IRP_MJ_CLEANUP] = TapDeviceDispatch;
    dispatch[IRP_MJ_CLOSE] = TapDeviceDispatch;
    dispatch[IRP_MJ_READ] = TapDeviceDispatch;
    dispatch[IRP_MJ_WRITE] = TapDeviceDispatch;
    dispatch[IRP_MJ_DEVICE_CONTROL] = TapDeviceDispatch;

    NdisZeroMemory(&attributes, sizeof(attributes));
    attributes.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
    attributes.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    attributes.Header.Size = NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    attributes.DeviceName = &name;
    attributes.SymbolicName = &link;
    attributes.MajorFunctions = dispatch;
    attributes.ExtensionSize = sizeof(TAP_DEVICE_EXTENSION);
    /* NULL for .tapdiag: NDIS's default security descriptor. */
    attributes.DefaultSDDLString =
        Diag ? NULL : (Adapter->AllowNonAdmin ? &TapSddlAllowNonAdmin : &TapSddlAdminOnly);
    attributes.DeviceClassGuid = NULL;
    status = NdisRegisterDeviceEx(TapDriverHandle, &attributes, &Device->Object, &Device->Handle);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "tap: NdisRegisterDeviceEx %wZ failed: 0x%08X\n", &name, (ULONG)status);
        Device->Object = NULL;
        Device->Handle = NULL;
        return status;
    }
    if (!Diag) {
        Device->Object->Flags &= ~DO_BUFFERED_IO;
        Device->Object->Flags |= DO_DIRECT_IO;
    }
    ext = (PTAP_DEVICE_EXTENSION)NdisGetDeviceReservedExtension(Device->Object);
    /* NdisRegisterDeviceEx does not promise a zeroed extension: set every field. */
    NdisZeroMemory(ext, sizeof(*ext));
    KeInitializeSpinLock(&ext->Lock);
    NdisInitializeEvent(&ext->Drained);
    ext->Diag = Diag;
    KeAcquireSpinLock(&ext->Lock, &irql);
    ext->Adapter = Adapter; /* from now on dispatches reach the adapter */
    KeReleaseSpinLock(&ext->Lock, irql);
    Device->Extension = ext;
    return NDIS_STATUS_SUCCESS;
}

/* Stops new dispatches from reaching the adapter. */
static VOID TapDeviceDetach(PTAP_DEVICE Device)
{
    PTAP_DEVICE_EXTENSION ext = Device->Extension;
    KIRQL irql;

    if (ext == NULL) {
        return;
    }
    KeAcquireSpinLock(&ext->Lock, &irql);
    ext->Adapter = NULL;
    ext->Draining = TRUE;
    KeReleaseSpinLock(&ext->Lock, irql);
}

/* Waits for the dispatches and pending reads of a detached device, then deregisters it. */
static VOID TapDeviceDrain(PTAP_DEVICE Device)
{
    PTAP_DEVICE_EXTENSION ext = Device->Extension;
    BOOLEAN busy;
    KIRQL irql;

    if (ext == NULL) {
        return;
    }
    KeAcquireSpinLock(&ext->Lock, &irql);
    busy = ext->IoCount != 0;
    KeReleaseSpinLock(&ext->Lock, irql);
    if (busy) {
        (void)NdisWaitEvent(&ext->Drained, 0);
        /* The last TapDeviceLeave set the event holding the lock: once we get the lock it
         * has let go, and nothing touches the extension any more. */
        KeAcquireSpinLock(&ext->Lock, &irql);
        KeReleaseSpinLock(&ext->Lock, irql);
    }
    /* With a handle still open the device object lives on, detached, until it closes. */
    NdisDeregisterDeviceEx(Device->Handle);
    Device->Extension = NULL;
    Device->Object = NULL;
    Device->Handle = NULL;
}

NDIS_STATUS TapDeviceCreate(PTAP_ADAPTER Adapter)
{
    NDIS_STATUS status;

    status = TapDeviceRegister(Adapter, &Adapter->Device, FALSE);
    if (status != NDIS_STATUS_SUCCESS) {
        return status;
    }
    if (TapDiagEnabled) {
        /* Optional: the adapter works without it. */
        (void)TapDeviceRegister(Adapter, &Adapter->DiagDevice, TRUE);
    }
    return NDIS_STATUS_SUCCESS;
}

VOID TapDeviceDestroy(PTAP_ADAPTER Adapter)
{
    TapDeviceDetach(&Adapter->Device);
    TapDeviceDetach(&Adapter->DiagDevice);
    /* Adapter->Halting is set: the service completes every pending read as cancelled, and
     * so does every read dispatch still under way after queueing its IRP. */
    (void)TapDeviceServiceReads(Adapter);
    TapDeviceDrain(&Adapter->Device);
    TapDeviceDrain(&Adapter->DiagDevice);
}
