/*
 * adapter.c - one TAP adapter's life: initialize (registry parameters, attributes, devices),
 * pause/restart, halt, the unused shutdown/PnP/check-for-hang/reset handlers, link-state
 * indications and the processing of the core's events.
 */
#include "tap.h"

/* ---- Registry parameters -------------------------------------------------------------------- */

typedef struct TAP_PARAMETERS {
    ULONG Mtu;
    ULONG MediaStatus;   /* 1: always connected */
    ULONG AllowNonAdmin; /* 0: SYSTEM and Administrators only */
    PVOID NetworkAddress;
    UINT NetworkAddressLength;
} TAP_PARAMETERS, *PTAP_PARAMETERS;

/* An integer parameter (REG_DWORD or a decimal REG_SZ), or Default when absent. */
static ULONG TapAdapterReadInteger(NDIS_HANDLE Config, PCWSTR Keyword, ULONG Default)
{
    PNDIS_CONFIGURATION_PARAMETER value = NULL;
    NDIS_STRING name;
    NDIS_STATUS status;

    RtlInitUnicodeString(&name, Keyword);
    NdisReadConfiguration(&status, &value, Config, &name, NdisParameterInteger);
    if (status != NDIS_STATUS_SUCCESS || value == NULL ||
        value->ParameterType != NdisParameterInteger) {
        return Default;
    }
    return value->ParameterData.IntegerData;
}

/* NetCfgInstanceId into Adapter->Guid (at most 38 characters). */
static NDIS_STATUS TapAdapterReadGuid(PTAP_ADAPTER Adapter, NDIS_HANDLE Config)
{
    PNDIS_CONFIGURATION_PARAMETER value = NULL;
    NDIS_STRING name = RTL_CONSTANT_STRING(L"NetCfgInstanceId");
    NDIS_STATUS status;
    USHORT chars;

    NdisReadConfiguration(&status, &value, Config, &name, NdisParameterString);
    if (status != NDIS_STATUS_SUCCESS || value == NULL ||
        value->ParameterType != NdisParameterString) {
        return NDIS_STATUS_FAILURE;
    }
    chars = (USHORT)(value->ParameterData.StringData.Length / sizeof(WCHAR));
    if (chars > TAPC_GUID_MAX_CHARS) {
        chars = TAPC_GUID_MAX_CHARS;
    }
    NdisMoveMemory(Adapter->Guid, value->ParameterData.StringData.Buffer, chars * sizeof(WCHAR));
    Adapter->Guid[chars] = L'\0';
    return chars != 0 ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

/* The adapter's parameters and MAC addresses, as the core derives them. PASSIVE_LEVEL. */
static NDIS_STATUS TapAdapterReadParameters(PTAP_ADAPTER Adapter, tapc_config *Config)
{
    NDIS_CONFIGURATION_OBJECT object;
    NDIS_HANDLE config = NULL;
    TAP_PARAMETERS p;
    NDIS_STATUS status;
    size_t guidChars = 0;

    NdisZeroMemory(&object, sizeof(object));
    object.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    object.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    object.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    object.NdisHandle = Adapter->MiniportHandle;
    status = NdisOpenConfigurationEx(&object, &config);
    if (status != NDIS_STATUS_SUCCESS) {
        return status;
    }

    status = TapAdapterReadGuid(Adapter, config);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL, "tap: no NetCfgInstanceId\n");
        goto cleanup;
    }
    while (Adapter->Guid[guidChars] != L'\0') {
        guidChars++;
    }
    if (!tapc_mac_from_guid((const uint16_t *)Adapter->Guid, guidChars, Config->permanent_mac)) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "tap: NetCfgInstanceId %ws does not start with 8 hex digits\n", Adapter->Guid);
        status = NDIS_STATUS_FAILURE;
        goto cleanup;
    }

    p.Mtu = TapAdapterReadInteger(config, L"MTU", TAPC_MTU_DEFAULT);
    p.MediaStatus = TapAdapterReadInteger(config, L"MediaStatus", 0);
    p.AllowNonAdmin = TapAdapterReadInteger(config, L"AllowNonAdmin", 1);
    p.NetworkAddress = NULL;
    p.NetworkAddressLength = 0;
    NdisReadNetworkAddress(&status, &p.NetworkAddress, &p.NetworkAddressLength, config);
    if (status != NDIS_STATUS_SUCCESS) {
        p.NetworkAddress = NULL;
        p.NetworkAddressLength = 0;
    }
    (void)tapc_mac_current(Config->permanent_mac, (const uint8_t *)p.NetworkAddress,
                           p.NetworkAddressLength, Config->current_mac);
    Config->mtu = p.Mtu;
    Config->media_always_connected = p.MediaStatus == 1;
    Adapter->AllowNonAdmin = p.AllowNonAdmin == 1; /* the enum's other values: admin only */
    status = NDIS_STATUS_SUCCESS;

cleanup:
    NdisCloseConfiguration(config); /* frees what NdisReadConfiguration returned */
    return status;
}

/* ---- Attributes ----------------------------------------------------------------------------- */

static NDIS_STATUS TapAdapterSetRegistration(PTAP_ADAPTER Adapter)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg;

    NdisZeroMemory(&reg, sizeof(reg));
    reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    if (TapNdisMinor == 20) {
        reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
        reg.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    } else {
        reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
        reg.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
    }
    reg.MiniportAdapterContext = Adapter;
    reg.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK |
                         NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM |
                         NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND;
    reg.CheckForHangTimeInSeconds = 0; /* NDIS's default interval */
    reg.InterfaceType = NdisInterfaceInternal;
    return NdisMSetMiniportAttributes(Adapter->MiniportHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&reg);
}

static NDIS_STATUS TapAdapterSetGeneral(PTAP_ADAPTER Adapter)
{
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
    NDIS_PNP_CAPABILITIES pnp;
    NDIS_PM_CAPABILITIES pm;
    const uint32_t *oids;
    size_t count;

    /* No wake-on-LAN and no power-management offload. NDIS 6.20 gets them in the old form
     * (NDIS_PNP_CAPABILITIES, general attributes revision 1), 6.30 and later as
     * NDIS_PM_CAPABILITIES revision 2 (general attributes revision 2). */
    NdisZeroMemory(&pnp, sizeof(pnp));
    pnp.WakeUpCapabilities.MinMagicPacketWakeUp = NdisDeviceStateUnspecified;
    pnp.WakeUpCapabilities.MinPatternWakeUp = NdisDeviceStateUnspecified;
    pnp.WakeUpCapabilities.MinLinkChangeWakeUp = NdisDeviceStateUnspecified;
    NdisZeroMemory(&pm, sizeof(pm));
    pm.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pm.Header.Revision = NDIS_PM_CAPABILITIES_REVISION_2;
    pm.Header.Size = NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2;
    pm.MinMagicPacketWakeUp = NdisDeviceStateUnspecified;
    pm.MinPatternWakeUp = NdisDeviceStateUnspecified;
    pm.MinLinkChangeWakeUp = NdisDeviceStateUnspecified;

    oids = tapc_ndis_oids(&count);
    NdisZeroMemory(&gen, sizeof(gen));
    gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    if (TapNdisMinor == 20) {
        gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
        gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
        gen.PowerManagementCapabilities = &pnp;
    } else {
        gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
        gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
        gen.PowerManagementCapabilitiesEx = &pm;
    }
    gen.MediaType = NdisMedium802_3;
    gen.PhysicalMediumType = NdisPhysicalMediumUnspecified;
    gen.MtuSize = Adapter->Core.mtu; /* the registry MTU, as the core validated it */
    gen.MaxXmitLinkSpeed = gen.XmitLinkSpeed = TAPC_LINK_SPEED_BPS;
    gen.MaxRcvLinkSpeed = gen.RcvLinkSpeed = TAPC_LINK_SPEED_BPS;
    gen.MediaConnectState =
        Adapter->LinkIndicated ? MediaConnectStateConnected : MediaConnectStateDisconnected;
    gen.MediaDuplexState = MediaDuplexStateFull;
    gen.LookaheadSize = TAPC_LOOKAHEAD_MAX;
    gen.MacOptions = TAPC_MAC_OPTIONS;
    gen.SupportedPacketFilters = TAPC_PACKET_FILTERS;
    gen.MaxMulticastListSize = TAPC_MULTICAST_MAX;
    gen.MacAddressLength = 6;
    NdisMoveMemory(gen.PermanentMacAddress, Adapter->Core.permanent_mac, 6);
    NdisMoveMemory(gen.CurrentMacAddress, Adapter->Core.mac, 6);
    gen.RecvScaleCapabilities = NULL;
    gen.AccessType = NET_IF_ACCESS_BROADCAST;
    gen.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    gen.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    gen.IfType = IF_TYPE_PROP_VIRTUAL; /* *IfType of the INF */
    gen.IfConnectorPresent = TRUE;
    gen.SupportedStatistics =
        NDIS_STATISTICS_XMIT_OK_SUPPORTED | NDIS_STATISTICS_RCV_OK_SUPPORTED |
        NDIS_STATISTICS_XMIT_ERROR_SUPPORTED | NDIS_STATISTICS_RCV_ERROR_SUPPORTED |
        NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED | NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED |
        NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED |
        NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED |
        NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED |
        NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED |
        NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED |
        NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED |
        NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED |
        NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED |
        NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED |
        NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED |
        NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED | NDIS_STATISTICS_BYTES_RCV_SUPPORTED |
        NDIS_STATISTICS_BYTES_XMIT_SUPPORTED | NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED |
        NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED | NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED;
    gen.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    gen.DataBackFillSize = 0;
    gen.ContextBackFillSize = 0;
    /* NDIS only reads the list (NDIS_OID and uint32_t are both 32-bit unsigned). */
    gen.SupportedOidList = (PNDIS_OID)(ULONG_PTR)oids;
    /* NOLINTNEXTLINE(bugprone-misplaced-widening-cast): on i386 size_t and ULONG are both 32-bit */
    gen.SupportedOidListLength = (ULONG)(count * sizeof(NDIS_OID));
    gen.AutoNegotiationFlags = NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED |
                               NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED |
                               NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED;
    return NdisMSetMiniportAttributes(Adapter->MiniportHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&gen);
}

C_ASSERT(sizeof(NDIS_OID) == sizeof(uint32_t));

/* ---- Link state and events ------------------------------------------------------------------ */

/* Tells NDIS the media state the core has, once per change. IRQL <= DISPATCH_LEVEL. */
static VOID TapAdapterIndicateLink(PTAP_ADAPTER Adapter)
{
    NDIS_STATUS_INDICATION indication;
    NDIS_LINK_STATE link;
    KIRQL linkIrql;
    KIRQL irql;
    BOOLEAN connected;
    BOOLEAN ready;

    /* LinkLock keeps indications in the order of the state changes they report. */
    KeAcquireSpinLock(&Adapter->LinkLock, &linkIrql);
    KeAcquireSpinLock(&Adapter->Lock, &irql);
    connected = tapc_media_connected(&Adapter->Core) ? TRUE : FALSE;
    ready = Adapter->LinkReady && !Adapter->Halting;
    KeReleaseSpinLock(&Adapter->Lock, irql);

    if (ready && connected != Adapter->LinkIndicated) {
        NdisZeroMemory(&link, sizeof(link));
        link.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        link.Header.Revision = NDIS_LINK_STATE_REVISION_1;
        link.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
        link.MediaConnectState =
            connected ? MediaConnectStateConnected : MediaConnectStateDisconnected;
        link.MediaDuplexState = MediaDuplexStateFull;
        link.XmitLinkSpeed = link.RcvLinkSpeed = TAPC_LINK_SPEED_BPS;
        link.PauseFunctions = NdisPauseFunctionsUnsupported;

        NdisZeroMemory(&indication, sizeof(indication));
        indication.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
        indication.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
        indication.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
        indication.SourceHandle = Adapter->MiniportHandle;
        indication.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
        indication.StatusCode = NDIS_STATUS_LINK_STATE;
        indication.StatusBuffer = &link;
        indication.StatusBufferSize = sizeof(link);
        /* IRQL <= DISPATCH_LEVEL: allowed under LinkLock, which nothing NDIS calls takes. */
        NdisMIndicateStatusEx(Adapter->MiniportHandle, &indication);
        Adapter->LinkIndicated = connected;
    }
    KeReleaseSpinLock(&Adapter->LinkLock, linkIrql);
}

VOID TapAdapterProcessEvents(PTAP_ADAPTER Adapter, ULONG Events)
{
    ULONG next;

    /* Reads drain the queue and may release held sends; resumed sends queue frames for the
     * reads. Each round consumes pending reads or held sends, so the loop ends. */
    while (Events != 0) {
        next = 0;
        if (Events & TAPC_EVENT_MEDIA_CHANGED) {
            TapAdapterIndicateLink(Adapter);
        }
        if (Events & (TAPC_EVENT_MEDIA_CHANGED | TAPC_EVENT_READ_READY | TAPC_EVENT_CANCEL_READS |
                      TAP_EVENT_STATE)) {
            next |= TapDeviceServiceReads(Adapter);
        }
        if (Events & TAPC_EVENT_FLOW_RESUME) {
            next |= TapDataResumeSends(Adapter);
        }
        Events = next;
    }
}

/* ---- Miniport handlers ---------------------------------------------------------------------- */

/* PASSIVE_LEVEL. The adapter starts paused; NDIS restarts it next. */
NDIS_STATUS NTAPI TapAdapterInitialize(NDIS_HANDLE MiniportHandle, NDIS_HANDLE DriverContext,
                                       PNDIS_MINIPORT_INIT_PARAMETERS InitParameters)
{
    PTAP_ADAPTER adapter;
    tapc_config config;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(DriverContext);
    UNREFERENCED_PARAMETER(InitParameters);

    adapter = (PTAP_ADAPTER)TapAlloc(sizeof(*adapter));
    if (adapter == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(adapter, sizeof(*adapter));
    adapter->MiniportHandle = MiniportHandle;
    KeInitializeSpinLock(&adapter->Lock);
    KeInitializeSpinLock(&adapter->LinkLock);
    TapDeviceInitializeQueue(adapter);

    status = TapAdapterSetRegistration(adapter);
    if (status != NDIS_STATUS_SUCCESS) {
        goto cleanup_adapter;
    }

    NdisZeroMemory(&config, sizeof(config));
    status = TapAdapterReadParameters(adapter, &config);
    if (status != NDIS_STATUS_SUCCESS) {
        goto cleanup_adapter;
    }
    adapter->Ring = (PUCHAR)TapAlloc(TAP_RING_SIZE);
    if (adapter->Ring == NULL) {
        status = NDIS_STATUS_RESOURCES;
        goto cleanup_adapter;
    }
    config.queue_ring = adapter->Ring;
    config.queue_ring_size = TAP_RING_SIZE;
    config.flow_threshold = 0; /* TAPC_FLOW_THRESHOLD_DEFAULT */
    if (tapc_adapter_init(&adapter->Core, &config) != TAPC_STATUS_SUCCESS) {
        status = NDIS_STATUS_FAILURE;
        goto cleanup_ring;
    }
    tapc_ndis_init(&adapter->Ndis, (uint16_t)(6u << 8 | TapNdisMinor));
    adapter->LinkIndicated = tapc_media_connected(&adapter->Core) ? TRUE : FALSE;

    status = TapDataInitialize(adapter);
    if (status != NDIS_STATUS_SUCCESS) {
        goto cleanup_ring;
    }
    status = TapAdapterSetGeneral(adapter);
    if (status != NDIS_STATUS_SUCCESS) {
        goto cleanup_data;
    }
    status = TapDeviceCreate(adapter);
    if (status != NDIS_STATUS_SUCCESS) {
        goto cleanup_data;
    }
    adapter->LinkReady = TRUE;
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "tap: adapter %ws initialized, MTU %u\n",
               adapter->Guid, adapter->Core.mtu);
    return NDIS_STATUS_SUCCESS;

cleanup_data:
    TapDataFree(adapter);
cleanup_ring:
    TapFree(adapter->Ring);
cleanup_adapter:
    TapFree(adapter);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
               "tap: adapter initialization failed: 0x%08X\n", (ULONG)status);
    return status;
}

/* PASSIVE_LEVEL. NDIS halts a paused adapter: no send or receive is outstanding. */
VOID NTAPI TapAdapterHalt(NDIS_HANDLE AdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)AdapterContext;
    KIRQL irql;

    UNREFERENCED_PARAMETER(HaltAction);
    KeAcquireSpinLock(&adapter->Lock, &irql);
    adapter->Halting = TRUE;
    KeReleaseSpinLock(&adapter->Lock, irql);

    TapDeviceDestroy(adapter);
    TapDataCompleteHeld(adapter, NDIS_STATUS_FAILURE); /* none after pause; never leave one */
    TapDataFree(adapter);
    TapFree(adapter->Ring);
    TapFree(adapter);
}

/* PASSIVE_LEVEL. Held sends complete at once; the pause completes when NDIS has returned
 * every indicated list (TapDataReturn calls NdisMPauseComplete). */
NDIS_STATUS NTAPI TapAdapterPause(NDIS_HANDLE AdapterContext,
                                  PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)AdapterContext;
    NDIS_STATUS status;
    KIRQL irql;

    UNREFERENCED_PARAMETER(PauseParameters);
    KeAcquireSpinLock(&adapter->Lock, &irql);
    tapc_set_paused(&adapter->Core, true);
    if (adapter->RxInFlight != 0) {
        adapter->PausePending = TRUE;
        status = NDIS_STATUS_PENDING;
    } else {
        status = NDIS_STATUS_SUCCESS;
    }
    KeReleaseSpinLock(&adapter->Lock, irql);

    TapDataCompleteHeld(adapter, NDIS_STATUS_PAUSED);
    TapAdapterProcessEvents(adapter, TAP_EVENT_STATE);
    return status;
}

/* PASSIVE_LEVEL. */
NDIS_STATUS NTAPI TapAdapterRestart(NDIS_HANDLE AdapterContext,
                                    PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)AdapterContext;
    KIRQL irql;

    UNREFERENCED_PARAMETER(RestartParameters);
    KeAcquireSpinLock(&adapter->Lock, &irql);
    tapc_set_paused(&adapter->Core, false);
    KeReleaseSpinLock(&adapter->Lock, irql);
    TapAdapterProcessEvents(adapter, TAPC_EVENT_MEDIA_CHANGED | TAP_EVENT_STATE);
    return NDIS_STATUS_SUCCESS;
}

/* Any IRQL up to HIGH_LEVEL on a bug check: a virtual adapter has no hardware to quiesce, so
 * this touches nothing (no locks, no memory). */
VOID NTAPI TapAdapterShutdown(NDIS_HANDLE AdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(ShutdownAction);
}

/* PASSIVE_LEVEL. Surprise removal of a root-enumerated adapter needs no work: halt follows. */
VOID NTAPI TapAdapterPnPEventNotify(NDIS_HANDLE AdapterContext,
                                    PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

/* IRQL <= DISPATCH_LEVEL. Requests complete synchronously and nothing can wedge. */
BOOLEAN NTAPI TapAdapterCheckForHang(NDIS_HANDLE AdapterContext)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    return FALSE;
}

/* IRQL <= DISPATCH_LEVEL. Nothing to reset; addresses and filters are kept. */
NDIS_STATUS NTAPI TapAdapterReset(NDIS_HANDLE AdapterContext, PBOOLEAN AddressingReset)
{
    UNREFERENCED_PARAMETER(AdapterContext);
    *AddressingReset = FALSE;
    return NDIS_STATUS_SUCCESS;
}
