/*
 * TAP-Windows6 driver entry: registers the NDIS miniport driver and deregisters it on unload.
 *
 * The driver registers NDIS 6.20 on Windows 7 (NDIS 6.20 exactly) and 6.30 on anything newer,
 * and refuses to load below 6.20. The adapter itself (MiniportInitializeEx and the data path)
 * grows on the handlers below; until then an adapter fails to initialize and the other
 * handlers are never reached.
 */
#include "decl/tapkernel.h"

#define TAP_NDIS_VERSION(major, minor) (((UINT)(major) << 16) | (UINT)(minor))

/* One adapter (MiniportAdapterContext). */
typedef struct _TAP_ADAPTER {
    NDIS_HANDLE MiniportHandle;
} TAP_ADAPTER, *PTAP_ADAPTER;

DRIVER_INITIALIZE DriverEntry;
static MINIPORT_UNLOAD TapUnload;
static MINIPORT_INITIALIZE TapInitialize;
static MINIPORT_HALT TapHalt;
static MINIPORT_PAUSE TapPause;
static MINIPORT_RESTART TapRestart;
static MINIPORT_OID_REQUEST TapOidRequest;
static MINIPORT_DIRECT_OID_REQUEST TapDirectOidRequest;
static MINIPORT_CANCEL_OID_REQUEST TapCancelOidRequest;
static MINIPORT_CANCEL_DIRECT_OID_REQUEST TapCancelDirectOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS TapSendNetBufferLists;
static MINIPORT_RETURN_NET_BUFFER_LISTS TapReturnNetBufferLists;
static MINIPORT_CANCEL_SEND TapCancelSend;
static MINIPORT_DEVICE_PNP_EVENT_NOTIFY TapDevicePnPEventNotify;
static MINIPORT_SHUTDOWN TapShutdown;

/* The handle NdisMRegisterMiniportDriver returned; NULL until then. */
static NDIS_HANDLE TapDriverHandle;

static NDIS_STATUS NTAPI TapInitialize(NDIS_HANDLE MiniportHandle, NDIS_HANDLE DriverContext,
                                       PNDIS_MINIPORT_INIT_PARAMETERS InitParameters)
{
    UNREFERENCED_PARAMETER(MiniportHandle);
    UNREFERENCED_PARAMETER(DriverContext);
    UNREFERENCED_PARAMETER(InitParameters);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_WARNING_LEVEL, "tap: no adapter support yet\n");
    return NDIS_STATUS_FAILURE;
}

static VOID NTAPI TapHalt(NDIS_HANDLE AdapterContext, NDIS_HALT_ACTION HaltAction)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(HaltAction);
}

static NDIS_STATUS NTAPI TapPause(NDIS_HANDLE AdapterContext,
                                  PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(PauseParameters);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS NTAPI TapRestart(NDIS_HANDLE AdapterContext,
                                    PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(RestartParameters);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS NTAPI TapOidRequest(NDIS_HANDLE AdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(OidRequest);
    return NDIS_STATUS_NOT_SUPPORTED;
}

static NDIS_STATUS NTAPI TapDirectOidRequest(NDIS_HANDLE AdapterContext,
                                             PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(OidRequest);
    return NDIS_STATUS_NOT_SUPPORTED;
}

static VOID NTAPI TapCancelOidRequest(NDIS_HANDLE AdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
}

static VOID NTAPI TapCancelDirectOidRequest(NDIS_HANDLE AdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
}

/* No data path yet: every send completes at once as failed. */
static VOID NTAPI TapSendNetBufferLists(NDIS_HANDLE AdapterContext, PNET_BUFFER_LIST NetBufferLists,
                                        NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)AdapterContext;
    PNET_BUFFER_LIST nbl;

    UNREFERENCED_PARAMETER(PortNumber);
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_FAILURE;
    }
    NdisMSendNetBufferListsComplete(
        adapter->MiniportHandle, NetBufferLists,
        NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
}

static VOID NTAPI TapReturnNetBufferLists(NDIS_HANDLE AdapterContext,
                                          PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(NetBufferLists);
    UNREFERENCED_PARAMETER(ReturnFlags);
}

static VOID NTAPI TapCancelSend(NDIS_HANDLE AdapterContext, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(CancelId);
}

static VOID NTAPI TapDevicePnPEventNotify(NDIS_HANDLE AdapterContext,
                                          PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

static VOID NTAPI TapShutdown(NDIS_HANDLE AdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(ShutdownAction);
}

static VOID NTAPI TapUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (TapDriverHandle != NULL) {
        NdisMDeregisterMiniportDriver(TapDriverHandle);
        TapDriverHandle = NULL;
    }
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "tap: driver unloaded\n");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
    UINT ndis = NdisGetVersion();
    NDIS_STATUS status;

    if (ndis < TAP_NDIS_VERSION(6, 20)) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "tap: NDIS %u.%u is older than 6.20; not loading\n", ndis >> 16, ndis & 0xFFFF);
        return STATUS_NDIS_BAD_VERSION;
    }

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.MajorNdisVersion = 6;
    chars.MinorNdisVersion = ndis == TAP_NDIS_VERSION(6, 20) ? 20 : 30;
    chars.MajorDriverVersion = TAP_DRIVER_MAJOR_VERSION;
    chars.MinorDriverVersion = TAP_DRIVER_MINOR_VERSION;
    chars.InitializeHandlerEx = TapInitialize;
    chars.HaltHandlerEx = TapHalt;
    chars.UnloadHandler = TapUnload;
    chars.PauseHandler = TapPause;
    chars.RestartHandler = TapRestart;
    chars.OidRequestHandler = TapOidRequest;
    chars.SendNetBufferListsHandler = TapSendNetBufferLists;
    chars.ReturnNetBufferListsHandler = TapReturnNetBufferLists;
    chars.CancelSendHandler = TapCancelSend;
    chars.DevicePnPEventNotifyHandler = TapDevicePnPEventNotify;
    chars.ShutdownHandlerEx = TapShutdown;
    chars.CancelOidRequestHandler = TapCancelOidRequest;
    chars.DirectOidRequestHandler = TapDirectOidRequest;
    chars.CancelDirectOidRequestHandler = TapCancelDirectOidRequest;

    status =
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &TapDriverHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "tap: NdisMRegisterMiniportDriver failed: 0x%08X\n", (ULONG)status);
        TapDriverHandle = NULL;
        return status;
    }
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL,
               "tap: driver loaded as an NDIS %u.%u miniport\n", (UINT)chars.MajorNdisVersion,
               (UINT)chars.MinorNdisVersion);
    return STATUS_SUCCESS;
}
