/*
 * Uses every kernel and NDIS declaration the TAP driver needs, the way a miniport uses them.
 * Compiled (never linked or run) by tests/layout/test_decl_usage.py with zig for i386, amd64
 * and arm64 under the driver's warning flags, and by tests/layout/check_wdk.py against the real
 * WDK: the same source must compile on both sides.
 */
#include "tapkernel.h"

typedef struct _USAGE_ADAPTER {
    NDIS_HANDLE MiniportHandle;
    NDIS_HANDLE NblPool;
    NDIS_HANDLE DeviceHandle;
    PDEVICE_OBJECT Device;
    NDIS_SPIN_LOCK Lock;
    PNDIS_RW_LOCK_EX RwLock;
    NDIS_EVENT Event;
    IO_CSQ Csq;
    LIST_ENTRY PendingReads;
    UCHAR Mac[6];
    ULONG64 Frames;
} USAGE_ADAPTER, *PUSAGE_ADAPTER;

static NDIS_OID UsageOids[] = {OID_GEN_SUPPORTED_LIST, OID_GEN_STATISTICS, OID_PNP_QUERY_POWER,
                               OID_802_3_MULTICAST_LIST, OID_GEN_CURRENT_PACKET_FILTER};

/* ---- Driver characteristics (revision 2) and registration --------------------------------- */

static MINIPORT_INITIALIZE UsageInitialize;
static MINIPORT_HALT UsageHalt;
static MINIPORT_UNLOAD UsageUnload;
static MINIPORT_PAUSE UsagePause;
static MINIPORT_RESTART UsageRestart;
static MINIPORT_OID_REQUEST UsageOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS UsageSend;
static MINIPORT_RETURN_NET_BUFFER_LISTS UsageReturn;
static MINIPORT_CANCEL_SEND UsageCancelSend;
static MINIPORT_DEVICE_PNP_EVENT_NOTIFY UsagePnP;
static MINIPORT_SHUTDOWN UsageShutdown;
static MINIPORT_CANCEL_OID_REQUEST UsageCancelOid;
static MINIPORT_DIRECT_OID_REQUEST UsageDirectOid;
static MINIPORT_CANCEL_DIRECT_OID_REQUEST UsageCancelDirectOid;
static DRIVER_DISPATCH UsageDispatch;

NTSTATUS UsageRegister(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                       PNDIS_HANDLE DriverHandle);
NTSTATUS UsageRegister(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                       PNDIS_HANDLE DriverHandle)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.MajorNdisVersion = 6;
    chars.MinorNdisVersion = NdisGetVersion() == 0x00060014 ? 20 : 30;
    chars.Flags = 0;
    chars.InitializeHandlerEx = UsageInitialize;
    chars.HaltHandlerEx = UsageHalt;
    chars.UnloadHandler = UsageUnload;
    chars.PauseHandler = UsagePause;
    chars.RestartHandler = UsageRestart;
    chars.OidRequestHandler = UsageOidRequest;
    chars.SendNetBufferListsHandler = UsageSend;
    chars.ReturnNetBufferListsHandler = UsageReturn;
    chars.CancelSendHandler = UsageCancelSend;
    chars.DevicePnPEventNotifyHandler = UsagePnP;
    chars.ShutdownHandlerEx = UsageShutdown;
    chars.CancelOidRequestHandler = UsageCancelOid;
    chars.DirectOidRequestHandler = UsageDirectOid;
    chars.CancelDirectOidRequestHandler = UsageCancelDirectOid;
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, DriverHandle);
}

static VOID NTAPI UsageUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NdisMDeregisterMiniportDriver(NULL);
}

/* ---- Configuration, attributes (both revisions), PM capabilities (both forms) ------------- */

static NDIS_STATUS UsageReadConfig(PUSAGE_ADAPTER Adapter, PULONG Mtu)
{
    NDIS_CONFIGURATION_OBJECT object;
    NDIS_HANDLE config = NULL;
    PNDIS_CONFIGURATION_PARAMETER value = NULL;
    NDIS_STRING keyword = NDIS_STRING_CONST("MTU");
    NDIS_STATUS status;
    PVOID address = NULL;
    UINT length = 0;

    object.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    object.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    object.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    object.NdisHandle = Adapter->MiniportHandle;
    object.Flags = 0;
    status = NdisOpenConfigurationEx(&object, &config);
    if (status != NDIS_STATUS_SUCCESS) {
        return status;
    }
    NdisReadConfiguration(&status, &value, config, &keyword, NdisParameterInteger);
    if (status == NDIS_STATUS_SUCCESS && value->ParameterType == NdisParameterInteger) {
        *Mtu = value->ParameterData.IntegerData;
    }
    NdisReadNetworkAddress(&status, &address, &length, config);
    if (status == NDIS_STATUS_SUCCESS && length == sizeof(Adapter->Mac)) {
        NdisMoveMemory(Adapter->Mac, address, sizeof(Adapter->Mac));
    }
    NdisCloseConfiguration(config);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS NTAPI UsageInitialize(NDIS_HANDLE MiniportHandle, NDIS_HANDLE DriverContext,
                                         PNDIS_MINIPORT_INIT_PARAMETERS InitParameters)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
    NDIS_PM_CAPABILITIES pm;
    NDIS_PNP_CAPABILITIES pnp;
    PUSAGE_ADAPTER adapter;
    ULONG mtu = 1500;
    NDIS_STATUS status;
    BOOLEAN win8 = NdisGetVersion() >= 0x0006001E;

    UNREFERENCED_PARAMETER(DriverContext);
    UNREFERENCED_PARAMETER(InitParameters);
    adapter = (PUSAGE_ADAPTER)NdisAllocateMemoryWithTagPriority(MiniportHandle, sizeof(*adapter),
                                                                'pAaT', NormalPoolPriority);
    if (adapter == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(adapter, sizeof(*adapter));
    adapter->MiniportHandle = MiniportHandle;
    (void)UsageReadConfig(adapter, &mtu);

    NdisZeroMemory(&reg, sizeof(reg));
    reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    reg.Header.Revision = win8 ? NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2
                               : NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.Header.Size = win8 ? NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2
                           : NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.MiniportAdapterContext = adapter;
    reg.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK |
                         NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM |
                         NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND;
    reg.CheckForHangTimeInSeconds = 0;
    reg.InterfaceType = NdisInterfaceInternal;
    status = NdisMSetMiniportAttributes(MiniportHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&reg);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeMemoryWithTagPriority(MiniportHandle, adapter, 'pAaT');
        return status;
    }

    NdisZeroMemory(&pm, sizeof(pm));
    pm.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pm.Header.Revision = NDIS_PM_CAPABILITIES_REVISION_2;
    pm.Header.Size = NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2;
    pm.MinMagicPacketWakeUp = NdisDeviceStateUnspecified;
    NdisZeroMemory(&pnp, sizeof(pnp));
    pnp.WakeUpCapabilities.MinMagicPacketWakeUp = NdisDeviceStateUnspecified;

    NdisZeroMemory(&gen, sizeof(gen));
    gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    gen.MediaType = NdisMedium802_3;
    gen.PhysicalMediumType = NdisPhysicalMediumUnspecified;
    gen.MtuSize = mtu;
    gen.MaxXmitLinkSpeed = gen.XmitLinkSpeed = 1000000000ULL;
    gen.MaxRcvLinkSpeed = gen.RcvLinkSpeed = 1000000000ULL;
    gen.MediaConnectState = MediaConnectStateDisconnected;
    gen.MediaDuplexState = MediaDuplexStateFull;
    gen.LookaheadSize = mtu;
    gen.PowerManagementCapabilities = NULL;
    gen.PowerManagementCapabilitiesEx = &pm;
    gen.MacOptions = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
                     NDIS_MAC_OPTION_NO_LOOPBACK | NDIS_MAC_OPTION_8021P_PRIORITY;
    gen.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
                                 NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_ALL_MULTICAST;
    gen.MaxMulticastListSize = 32;
    gen.MacAddressLength = 6;
    NdisMoveMemory(gen.PermanentMacAddress, adapter->Mac, 6);
    NdisMoveMemory(gen.CurrentMacAddress, adapter->Mac, 6);
    gen.AccessType = NET_IF_ACCESS_BROADCAST;
    gen.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    gen.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    gen.IfType = IF_TYPE_ETHERNET_CSMACD;
    gen.IfConnectorPresent = TRUE;
    gen.SupportedStatistics = NDIS_STATISTICS_XMIT_OK_SUPPORTED | NDIS_STATISTICS_RCV_OK_SUPPORTED;
    gen.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    gen.AutoNegotiationFlags = NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED;
    gen.SupportedOidList = UsageOids;
    gen.SupportedOidListLength = sizeof(UsageOids);
    (void)pnp;
    return NdisMSetMiniportAttributes(MiniportHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&gen);
}

/* ---- Locks, events, time, pools ---------------------------------------------------------- */

static VOID NTAPI UsageHalt(NDIS_HANDLE Context, NDIS_HALT_ACTION Action)
{
    PUSAGE_ADAPTER adapter = (PUSAGE_ADAPTER)Context;
    LOCK_STATE_EX state;
    LARGE_INTEGER uptime;

    UNREFERENCED_PARAMETER(Action);
    NdisAcquireSpinLock(&adapter->Lock);
    adapter->Frames = 0;
    NdisReleaseSpinLock(&adapter->Lock);
    NdisDprAcquireSpinLock(&adapter->Lock);
    NdisDprReleaseSpinLock(&adapter->Lock);
    NdisFreeSpinLock(&adapter->Lock);
    NdisAcquireRWLockWrite(adapter->RwLock, &state, 0);
    NdisReleaseRWLock(adapter->RwLock, &state);
    NdisAcquireRWLockRead(adapter->RwLock, &state, NDIS_RWL_AT_DISPATCH_LEVEL);
    NdisReleaseRWLock(adapter->RwLock, &state);
    NdisFreeRWLock(adapter->RwLock);
    NdisSetEvent(&adapter->Event);
    (void)NdisWaitEvent(&adapter->Event, 1000);
    NdisResetEvent(&adapter->Event);
    NdisGetSystemUpTimeEx(&uptime);
    if (adapter->DeviceHandle != NULL) {
        NdisDeregisterDeviceEx(adapter->DeviceHandle);
    }
    NdisFreeNetBufferListPool(adapter->NblPool);
    NdisFreeMemory(adapter, sizeof(*adapter), 0);
}

static NDIS_STATUS NTAPI UsagePause(NDIS_HANDLE Context, PNDIS_MINIPORT_PAUSE_PARAMETERS Params)
{
    PUSAGE_ADAPTER adapter = (PUSAGE_ADAPTER)Context;
    NET_BUFFER_LIST_POOL_PARAMETERS pool;

    UNREFERENCED_PARAMETER(Params);
    NdisAllocateSpinLock(&adapter->Lock);
    adapter->RwLock = NdisAllocateRWLock(adapter->MiniportHandle);
    NdisInitializeEvent(&adapter->Event);
    NdisZeroMemory(&pool, sizeof(pool));
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    pool.fAllocateNetBuffer = TRUE;
    pool.PoolTag = 'lPaT';
    adapter->NblPool = NdisAllocateNetBufferListPool(adapter->MiniportHandle, &pool);
    return adapter->NblPool != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

static NDIS_STATUS NTAPI UsageRestart(NDIS_HANDLE Context, PNDIS_MINIPORT_RESTART_PARAMETERS Params)
{
    PNDIS_RESTART_ATTRIBUTES attr;

    UNREFERENCED_PARAMETER(Context);
    for (attr = Params->RestartAttributes; attr != NULL; attr = attr->Next) {
        if (attr->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES) {
            PNDIS_RESTART_GENERAL_ATTRIBUTES gen = (PNDIS_RESTART_GENERAL_ATTRIBUTES)attr->Data;
            gen->MtuSize = 1500;
        }
    }
    return NDIS_STATUS_SUCCESS;
}

/* ---- OID requests, status indications, link state, statistics --------------------------- */

static VOID UsageIndicateLinkState(PUSAGE_ADAPTER Adapter, BOOLEAN Connected)
{
    NDIS_LINK_STATE link;
    NDIS_STATUS_INDICATION ind;

    NdisZeroMemory(&link, sizeof(link));
    link.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    link.Header.Revision = NDIS_LINK_STATE_REVISION_1;
    link.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
    link.MediaConnectState = Connected ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    link.MediaDuplexState = MediaDuplexStateFull;
    link.XmitLinkSpeed = link.RcvLinkSpeed = 1000000000ULL;
    NdisZeroMemory(&ind, sizeof(ind));
    ind.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    ind.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    ind.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
    ind.SourceHandle = Adapter->MiniportHandle;
    ind.StatusCode = NDIS_STATUS_LINK_STATE;
    ind.StatusBuffer = &link;
    ind.StatusBufferSize = sizeof(link);
    NdisMIndicateStatusEx(Adapter->MiniportHandle, &ind);
}

static NDIS_STATUS NTAPI UsageOidRequest(NDIS_HANDLE Context, PNDIS_OID_REQUEST Request)
{
    PUSAGE_ADAPTER adapter = (PUSAGE_ADAPTER)Context;
    NDIS_STATISTICS_INFO stats;

    switch (Request->RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
        if (Request->DATA.QUERY_INFORMATION.Oid != OID_GEN_STATISTICS) {
            return NDIS_STATUS_NOT_SUPPORTED;
        }
        if (Request->DATA.QUERY_INFORMATION.InformationBufferLength < sizeof(stats)) {
            Request->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(stats);
            return NDIS_STATUS_BUFFER_TOO_SHORT;
        }
        NdisZeroMemory(&stats, sizeof(stats));
        stats.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        stats.Header.Revision = NDIS_STATISTICS_INFO_REVISION_1;
        stats.Header.Size = NDIS_SIZEOF_STATISTICS_INFO_REVISION_1;
        stats.SupportedStatistics = NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV;
        stats.ifHCInUcastPkts = adapter->Frames;
        NdisMoveMemory(Request->DATA.QUERY_INFORMATION.InformationBuffer, &stats, sizeof(stats));
        Request->DATA.QUERY_INFORMATION.BytesWritten = sizeof(stats);
        return NDIS_STATUS_SUCCESS;
    case NdisRequestSetInformation:
        Request->DATA.SET_INFORMATION.BytesRead =
            Request->DATA.SET_INFORMATION.InformationBufferLength;
        UsageIndicateLinkState(adapter, TRUE);
        return NDIS_STATUS_SUCCESS;
    case NdisRequestMethod:
        Request->DATA.METHOD_INFORMATION.BytesWritten = 0;
        return NDIS_STATUS_INVALID_OID;
    default:
        NdisMOidRequestComplete(adapter->MiniportHandle, Request, NDIS_STATUS_NOT_SUPPORTED);
        return NDIS_STATUS_PENDING;
    }
}

static NDIS_STATUS NTAPI UsageDirectOid(NDIS_HANDLE Context, PNDIS_OID_REQUEST Request)
{
    return UsageOidRequest(Context, Request);
}

static VOID NTAPI UsageCancelOid(NDIS_HANDLE Context, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(RequestId);
}

static VOID NTAPI UsageCancelDirectOid(NDIS_HANDLE Context, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(RequestId);
}

/* ---- Data path: NBL/NB/MDL, 802.1Q, receive indication, send completion ------------------ */

static VOID NTAPI UsageSend(NDIS_HANDLE Context, PNET_BUFFER_LIST Lists, NDIS_PORT_NUMBER Port,
                            ULONG SendFlags)
{
    PUSAGE_ADAPTER adapter = (PUSAGE_ADAPTER)Context;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    UCHAR storage[14];

    UNREFERENCED_PARAMETER(Port);
    for (nbl = Lists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NDIS_NET_BUFFER_LIST_8021Q_INFO tag;

        tag.Value = NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo);
        if (tag.TagHeader.UserPriority != 0 || tag.TagHeader.VlanId != 0) {
            adapter->Frames++;
        }
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            PMDL mdl = NET_BUFFER_CURRENT_MDL(nb);
            ULONG offset = NET_BUFFER_CURRENT_MDL_OFFSET(nb);
            ULONG length = NET_BUFFER_DATA_LENGTH(nb);
            PUCHAR data =
                (PUCHAR)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
            PVOID header = NdisGetDataBuffer(nb, sizeof(storage), storage, 1, 0);
            PVOID va = NULL;
            ULONG bytes = 0;

            NdisQueryMdl(mdl, &va, &bytes, NormalPagePriority);
            if (data == NULL || header == NULL || offset + length < length) {
                NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_RESOURCES;
            }
        }
        if (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl) != NULL) {
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SEND_ABORTED;
        }
    }
    NdisMSendNetBufferListsComplete(
        adapter->MiniportHandle, Lists,
        NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
}

VOID UsageReceive(PUSAGE_ADAPTER Adapter, PUCHAR Frame, ULONG Length, USHORT Vlan);
VOID UsageReceive(PUSAGE_ADAPTER Adapter, PUCHAR Frame, ULONG Length, USHORT Vlan)
{
    PMDL mdl = NdisAllocateMdl(Adapter->MiniportHandle, Frame, Length);
    PNET_BUFFER_LIST nbl;
    NDIS_NET_BUFFER_LIST_8021Q_INFO tag;

    if (mdl == NULL) {
        return;
    }
    nbl = NdisAllocateNetBufferAndNetBufferList(Adapter->NblPool, 0, 0, mdl, 0, Length);
    if (nbl == NULL) {
        NdisFreeMdl(mdl);
        return;
    }
    tag.Value = NULL;
    tag.TagHeader.VlanId = Vlan & 0x0FFF;
    tag.TagHeader.UserPriority = (Vlan >> 13) & 7;
    NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo) = tag.Value;
    nbl->SourceHandle = Adapter->MiniportHandle;
    NdisMIndicateReceiveNetBufferLists(Adapter->MiniportHandle, nbl, NDIS_DEFAULT_PORT_NUMBER, 1,
                                       NDIS_RECEIVE_FLAGS_RESOURCES);
    NdisFreeNetBufferList(nbl);
    NdisFreeMdl(mdl);
}

static VOID NTAPI UsageReturn(NDIS_HANDLE Context, PNET_BUFFER_LIST Lists, ULONG ReturnFlags)
{
    PNET_BUFFER_LIST next;

    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(ReturnFlags);
    for (; Lists != NULL; Lists = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(Lists);
        NdisFreeMdl(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(Lists)));
        NdisFreeNetBufferList(Lists);
    }
}

static VOID NTAPI UsageCancelSend(NDIS_HANDLE Context, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(CancelId);
}

static VOID NTAPI UsagePnP(NDIS_HANDLE Context, PNET_DEVICE_PNP_EVENT Event)
{
    UNREFERENCED_PARAMETER(Context);
    if (Event->DevicePnPEvent == NdisDevicePnPEventSurpriseRemoved) {
        return;
    }
}

static VOID NTAPI UsageShutdown(NDIS_HANDLE Context, NDIS_SHUTDOWN_ACTION Action)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Action);
}

/* ---- Device object with SDDL, IRPs, cancel-safe queue, registry, strings ---------------- */

static NTSTATUS NTAPI UsageDispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PUSAGE_ADAPTER adapter = *(PUSAGE_ADAPTER *)NdisGetDeviceReservedExtension(Device);
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;

    if (stack->MajorFunction == IRP_MJ_READ) {
        IoCsqInsertIrp(&adapter->Csq, Irp, NULL);
        return STATUS_PENDING;
    }
    if (stack->MajorFunction == IRP_MJ_DEVICE_CONTROL &&
        stack->Parameters.DeviceIoControl.IoControlCode ==
            CTL_CODE(FILE_DEVICE_UNKNOWN, 1, METHOD_BUFFERED, FILE_ANY_ACCESS) &&
        stack->Parameters.DeviceIoControl.OutputBufferLength >= 6) {
        NdisMoveMemory(Irp->AssociatedIrp.SystemBuffer, adapter->Mac, 6);
        Irp->IoStatus.Information = 6;
        status = STATUS_SUCCESS;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

NTSTATUS UsageDevice(PUSAGE_ADAPTER Adapter, NDIS_HANDLE DriverHandle, PCWSTR Guid);
NTSTATUS UsageDevice(PUSAGE_ADAPTER Adapter, NDIS_HANDLE DriverHandle, PCWSTR Guid)
{
    static PDRIVER_DISPATCH dispatch[IRP_MJ_MAXIMUM_FUNCTION + 1];
    static const UNICODE_STRING sddl =
        RTL_CONSTANT_STRING(L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)");
    NDIS_DEVICE_OBJECT_ATTRIBUTES attrs;
    WCHAR nameBuffer[64];
    WCHAR linkBuffer[64];
    UNICODE_STRING name;
    UNICODE_STRING link;
    UNICODE_STRING guid;
    NTSTATUS status;

    RtlInitUnicodeString(&guid, Guid);
    name.Buffer = nameBuffer;
    name.Length = 0;
    name.MaximumLength = sizeof(nameBuffer);
    link.Buffer = linkBuffer;
    link.Length = 0;
    link.MaximumLength = sizeof(linkBuffer);
    status = RtlAppendUnicodeToString(&name, L"\\Device\\");
    if (NT_SUCCESS(status)) {
        status = RtlAppendUnicodeStringToString(&name, &guid);
    }
    if (NT_SUCCESS(status)) {
        status = RtlAppendUnicodeToString(&name, L".tap");
    }
    if (NT_SUCCESS(status)) {
        status = RtlAppendUnicodeToString(&link, L"\\DosDevices\\Global\\");
    }
    if (NT_SUCCESS(status)) {
        status = RtlAppendUnicodeStringToString(&link, &guid);
    }
    if (!NT_SUCCESS(status) || RtlEqualUnicodeString(&name, &link, TRUE)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    dispatch[IRP_MJ_CREATE] = UsageDispatch;
    dispatch[IRP_MJ_READ] = UsageDispatch;
    dispatch[IRP_MJ_DEVICE_CONTROL] = UsageDispatch;
    NdisZeroMemory(&attrs, sizeof(attrs));
    attrs.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
    attrs.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    attrs.Header.Size = NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    attrs.DeviceName = &name;
    attrs.SymbolicName = &link;
    attrs.MajorFunctions = dispatch;
    attrs.ExtensionSize = sizeof(PUSAGE_ADAPTER);
    attrs.DefaultSDDLString = &sddl;
    attrs.DeviceClassGuid = NULL;
    return NdisRegisterDeviceEx(DriverHandle, &attrs, &Adapter->Device, &Adapter->DeviceHandle);
}

static VOID NTAPI UsageCsqInsert(PIO_CSQ Csq, PIRP Irp)
{
    PUSAGE_ADAPTER adapter = CONTAINING_RECORD(Csq, USAGE_ADAPTER, Csq);
    InsertTailList(&adapter->PendingReads, &Irp->Tail.Overlay.ListEntry);
}

static VOID NTAPI UsageCsqRemove(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

static PIRP NTAPI UsageCsqPeek(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PUSAGE_ADAPTER adapter = CONTAINING_RECORD(Csq, USAGE_ADAPTER, Csq);
    PLIST_ENTRY next = Irp ? Irp->Tail.Overlay.ListEntry.Flink : adapter->PendingReads.Flink;

    UNREFERENCED_PARAMETER(PeekContext);
    return next == &adapter->PendingReads ? NULL
                                          : CONTAINING_RECORD(next, IRP, Tail.Overlay.ListEntry);
}

static VOID NTAPI UsageCsqAcquire(PIO_CSQ Csq, PKIRQL Irql)
{
    PUSAGE_ADAPTER adapter = CONTAINING_RECORD(Csq, USAGE_ADAPTER, Csq);
    KeAcquireSpinLock(&adapter->Lock.SpinLock, Irql);
}

static VOID NTAPI UsageCsqRelease(PIO_CSQ Csq, KIRQL Irql)
{
    PUSAGE_ADAPTER adapter = CONTAINING_RECORD(Csq, USAGE_ADAPTER, Csq);
    KeReleaseSpinLock(&adapter->Lock.SpinLock, Irql);
}

static VOID NTAPI UsageCsqCancel(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

NTSTATUS UsageQueue(PUSAGE_ADAPTER Adapter);
NTSTATUS UsageQueue(PUSAGE_ADAPTER Adapter)
{
    PIRP irp;

    InitializeListHead(&Adapter->PendingReads);
    IoCsqInitialize(&Adapter->Csq, UsageCsqInsert, UsageCsqRemove, UsageCsqPeek, UsageCsqAcquire,
                    UsageCsqRelease, UsageCsqCancel);
    irp = IoCsqRemoveNextIrp(&Adapter->Csq, NULL);
    return irp != NULL ? STATUS_SUCCESS : STATUS_NO_MORE_ENTRIES;
}

ULONG UsageRegistryDword(PUNICODE_STRING ServiceKey, PCWSTR Name);
ULONG UsageRegistryDword(PUNICODE_STRING ServiceKey, PCWSTR Name)
{
    OBJECT_ATTRIBUTES oa;
    HANDLE key;
    UNICODE_STRING value;
    UCHAR buffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
    PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
    ULONG length = 0;
    ULONG result = 0;

    InitializeObjectAttributes(&oa, ServiceKey, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL,
                               NULL);
    if (!NT_SUCCESS(ZwOpenKey(&key, KEY_READ, &oa))) {
        return 0;
    }
    RtlInitUnicodeString(&value, Name);
    if (NT_SUCCESS(ZwQueryValueKey(key, &value, KeyValuePartialInformation, info, sizeof(buffer),
                                   &length)) &&
        info->Type == REG_DWORD && info->DataLength == sizeof(ULONG)) {
        result = *(PULONG)info->Data;
    }
    ZwClose(key);
    return result;
}

PVOID UsagePool(SIZE_T Bytes);
PVOID UsagePool(SIZE_T Bytes)
{
    PVOID p = ExAllocatePoolWithTag(NonPagedPool, Bytes, 'oPaT');
    if (p != NULL) {
        ExFreePoolWithTag(p, 'oPaT');
    }
    return ExAllocatePoolWithTagPriority(NonPagedPoolNx, Bytes, 'oPaT', NormalPoolPriority);
}
