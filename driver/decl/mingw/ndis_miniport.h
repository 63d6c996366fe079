/*
 * The NDIS 6 miniport driver interface for zig (mingw-w64) builds: driver characteristics and
 * the MiniportXxx callbacks, adapter attributes, the parameters NDIS passes on initialize,
 * pause, restart and PnP events, and the calls a miniport makes on its data path (receive
 * indication, send completion) and for status indications.
 * Written from Microsoft's NDIS reference (ndis.h, miniport driver pages).
 *
 * Every callback is NTAPI (stdcall on i386), as NDIS calls it. Declare a driver's handlers
 * by role, e.g. `static MINIPORT_PAUSE TapPause;`.
 */
#pragma once
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the WDK's struct tags (_NDIS_...) are interface facts */

#include "ndis_base.h"
#include "ndis_nbl.h"
#include "ndis_oid.h"

/* ---- Parameters NDIS passes ----------------------------------------------------------------- */

#define NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1 1

typedef struct _NDIS_PORT_AUTHORIZATION_PARAMETERS NDIS_PORT_AUTHORIZATION_PARAMETERS,
    *PNDIS_PORT_AUTHORIZATION_PARAMETERS;
typedef struct _NDIS_PCI_DEVICE_CUSTOM_PROPERTIES NDIS_PCI_DEVICE_CUSTOM_PROPERTIES,
    *PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES;
typedef CM_PARTIAL_RESOURCE_LIST NDIS_RESOURCE_LIST, *PNDIS_RESOURCE_LIST;

typedef struct _NDIS_MINIPORT_INIT_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    PNDIS_RESOURCE_LIST AllocatedResources;
    NDIS_HANDLE IMDeviceInstanceContext;
    NDIS_HANDLE MiniportAddDeviceContext;
    NET_IFINDEX IfIndex;
    NET_LUID NetLuid;
    PNDIS_PORT_AUTHORIZATION_PARAMETERS DefaultPortAuthStates;
    PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES PciDeviceCustomProperties;
} NDIS_MINIPORT_INIT_PARAMETERS, *PNDIS_MINIPORT_INIT_PARAMETERS;

#define NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1 1

typedef struct _NDIS_MINIPORT_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG PauseReason; /* NDIS_PAUSE_* */
} NDIS_MINIPORT_PAUSE_PARAMETERS, *PNDIS_MINIPORT_PAUSE_PARAMETERS;

#define NDIS_PAUSE_NDIS_INTERNAL          0x00000001
#define NDIS_PAUSE_LOW_POWER              0x00000002
#define NDIS_PAUSE_BIND_PROTOCOL          0x00000004
#define NDIS_PAUSE_UNBIND_PROTOCOL        0x00000008
#define NDIS_PAUSE_ATTACH_FILTER          0x00000010
#define NDIS_PAUSE_DETACH_FILTER          0x00000020
#define NDIS_PAUSE_FILTER_RESTART_STACK   0x00000040
#define NDIS_PAUSE_MINIPORT_DEVICE_REMOVE 0x00000080

/* Completes a pause for which MiniportPause returned NDIS_STATUS_PENDING. */
TAP_NDIS_IMPORT VOID NTAPI NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle);

/* A chain of attribute blocks NDIS hands over on restart (Oid says what Data holds). */
typedef struct _NDIS_RESTART_ATTRIBUTES NDIS_RESTART_ATTRIBUTES, *PNDIS_RESTART_ATTRIBUTES;
struct _NDIS_RESTART_ATTRIBUTES {
    PNDIS_RESTART_ATTRIBUTES Next;
    NDIS_OID Oid;
    ULONG DataLength;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR Data[1];
};

#define NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 1

typedef struct _NDIS_MINIPORT_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    ULONG Flags;
} NDIS_MINIPORT_RESTART_PARAMETERS, *PNDIS_MINIPORT_RESTART_PARAMETERS;

/* Data of the OID_GEN_MINIPORT_RESTART_ATTRIBUTES restart attribute. */
#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_1 1
#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2 2

typedef struct _NDIS_RESTART_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES */
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG LookaheadSize;
    ULONG MacOptions;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    ULONG Flags;
    NET_IF_CONNECTION_TYPE ConnectionType;
    ULONG SupportedStatistics;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength;
    ULONG MaxLookaheadSizeAccessed; /* revision 2 */
} NDIS_RESTART_GENERAL_ATTRIBUTES, *PNDIS_RESTART_GENERAL_ATTRIBUTES;

#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1                                          \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_RESTART_GENERAL_ATTRIBUTES, SupportedOidListLength)
#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2                                          \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_RESTART_GENERAL_ATTRIBUTES, MaxLookaheadSizeAccessed)

/* Why MiniportHaltEx is called. */
typedef enum _NDIS_HALT_ACTION {
    NdisHaltDeviceDisabled,
    NdisHaltDeviceInstanceDeInitialized,
    NdisHaltDevicePoweredDown,
    NdisHaltDeviceSurpriseRemoved,
    NdisHaltDeviceFailed,
    NdisHaltDeviceInitializationFailed,
    NdisHaltDeviceStopped
} NDIS_HALT_ACTION,
    *PNDIS_HALT_ACTION;

/* Why MiniportShutdownEx is called. */
typedef enum _NDIS_SHUTDOWN_ACTION {
    NdisShutdownPowerOff,
    NdisShutdownBugCheck
} NDIS_SHUTDOWN_ACTION,
    *PNDIS_SHUTDOWN_ACTION;

/* MiniportDevicePnPEventNotify. */
typedef enum _NDIS_DEVICE_PNP_EVENT {
    NdisDevicePnPEventQueryRemoved,
    NdisDevicePnPEventRemoved,
    NdisDevicePnPEventSurpriseRemoved,
    NdisDevicePnPEventQueryStopped,
    NdisDevicePnPEventStopped,
    NdisDevicePnPEventPowerProfileChanged,
    NdisDevicePnPEventFilterListChanged,
    NdisDevicePnPEventMaximum
} NDIS_DEVICE_PNP_EVENT,
    *PNDIS_DEVICE_PNP_EVENT;

typedef struct _NET_DEVICE_PNP_EVENT {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_NUMBER PortNumber;
    NDIS_DEVICE_PNP_EVENT DevicePnPEvent;
    PVOID InformationBuffer;
    ULONG InformationBufferLength;
    UCHAR NdisReserved[2 * sizeof(PVOID)];
} NET_DEVICE_PNP_EVENT, *PNET_DEVICE_PNP_EVENT;

/* ---- Callbacks (MiniportXxx) ------------------------------------------------------------- */

typedef NDIS_STATUS(NTAPI MINIPORT_SET_OPTIONS)(NDIS_HANDLE NdisDriverHandle,
                                                NDIS_HANDLE DriverContext);
typedef NDIS_STATUS(NTAPI MINIPORT_INITIALIZE)(
    NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
    PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters);
typedef VOID(NTAPI MINIPORT_HALT)(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction);
typedef VOID(NTAPI MINIPORT_UNLOAD)(PDRIVER_OBJECT DriverObject);
typedef NDIS_STATUS(NTAPI MINIPORT_PAUSE)(NDIS_HANDLE MiniportAdapterContext,
                                          PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters);
typedef NDIS_STATUS(NTAPI MINIPORT_RESTART)(NDIS_HANDLE MiniportAdapterContext,
                                            PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters);
typedef NDIS_STATUS(NTAPI MINIPORT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                PNDIS_OID_REQUEST OidRequest);
typedef VOID(NTAPI MINIPORT_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                                   PNET_BUFFER_LIST NetBufferList,
                                                   NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef VOID(NTAPI MINIPORT_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                                     PNET_BUFFER_LIST NetBufferLists,
                                                     ULONG ReturnFlags);
typedef VOID(NTAPI MINIPORT_CANCEL_SEND)(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId);
typedef BOOLEAN(NTAPI MINIPORT_CHECK_FOR_HANG)(NDIS_HANDLE MiniportAdapterContext);
typedef NDIS_STATUS(NTAPI MINIPORT_RESET)(NDIS_HANDLE MiniportAdapterContext,
                                          PBOOLEAN AddressingReset);
typedef VOID(NTAPI MINIPORT_DEVICE_PNP_EVENT_NOTIFY)(NDIS_HANDLE MiniportAdapterContext,
                                                     PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef VOID(NTAPI MINIPORT_SHUTDOWN)(NDIS_HANDLE MiniportAdapterContext,
                                      NDIS_SHUTDOWN_ACTION ShutdownAction);
typedef VOID(NTAPI MINIPORT_CANCEL_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                PVOID RequestId);
typedef NDIS_STATUS(NTAPI MINIPORT_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                       PNDIS_OID_REQUEST OidRequest);
typedef VOID(NTAPI MINIPORT_CANCEL_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                       PVOID RequestId);

typedef MINIPORT_SET_OPTIONS *SET_OPTIONS_HANDLER;
typedef MINIPORT_INITIALIZE *MINIPORT_INITIALIZE_HANDLER;
typedef MINIPORT_HALT *MINIPORT_HALT_HANDLER;
typedef MINIPORT_UNLOAD *MINIPORT_DRIVER_UNLOAD;
typedef MINIPORT_PAUSE *MINIPORT_PAUSE_HANDLER;
typedef MINIPORT_RESTART *MINIPORT_RESTART_HANDLER;
typedef MINIPORT_OID_REQUEST *MINIPORT_OID_REQUEST_HANDLER;
typedef MINIPORT_SEND_NET_BUFFER_LISTS *MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER;
typedef MINIPORT_RETURN_NET_BUFFER_LISTS *MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER;
typedef MINIPORT_CANCEL_SEND *MINIPORT_CANCEL_SEND_HANDLER;
typedef MINIPORT_CHECK_FOR_HANG *MINIPORT_CHECK_FOR_HANG_HANDLER;
typedef MINIPORT_RESET *MINIPORT_RESET_HANDLER;
typedef MINIPORT_DEVICE_PNP_EVENT_NOTIFY *MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER;
typedef MINIPORT_SHUTDOWN *MINIPORT_SHUTDOWN_HANDLER;
typedef MINIPORT_CANCEL_OID_REQUEST *MINIPORT_CANCEL_OID_REQUEST_HANDLER;
typedef MINIPORT_DIRECT_OID_REQUEST *MINIPORT_DIRECT_OID_REQUEST_HANDLER;
typedef MINIPORT_CANCEL_DIRECT_OID_REQUEST *MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER;

/* ---- Driver characteristics and registration -------------------------------------------- */

#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 1
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 2 /* NDIS 6.20: direct OID requests */

/* Flags. */
#define NDIS_INTERMEDIATE_DRIVER 0x00000001
#define NDIS_WDM_DRIVER          0x00000002

typedef struct _NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS */
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    MINIPORT_INITIALIZE_HANDLER InitializeHandlerEx;
    MINIPORT_HALT_HANDLER HaltHandlerEx;
    MINIPORT_DRIVER_UNLOAD UnloadHandler;
    MINIPORT_PAUSE_HANDLER PauseHandler;
    MINIPORT_RESTART_HANDLER RestartHandler;
    MINIPORT_OID_REQUEST_HANDLER OidRequestHandler;
    MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    MINIPORT_CANCEL_SEND_HANDLER CancelSendHandler;
    MINIPORT_CHECK_FOR_HANG_HANDLER CheckForHangHandlerEx;
    MINIPORT_RESET_HANDLER ResetHandlerEx;
    MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    MINIPORT_SHUTDOWN_HANDLER ShutdownHandlerEx;
    MINIPORT_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
    MINIPORT_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;              /* revision 2 */
    MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler; /* revision 2 */
} NDIS_MINIPORT_DRIVER_CHARACTERISTICS, *PNDIS_MINIPORT_DRIVER_CHARACTERISTICS;

#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1                                     \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2                                     \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)

TAP_NDIS_IMPORT NDIS_STATUS NTAPI NdisMRegisterMiniportDriver(
    PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, NDIS_HANDLE MiniportDriverContext,
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
    PNDIS_HANDLE NdisMiniportDriverHandle);
TAP_NDIS_IMPORT VOID NTAPI NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle);

/* ---- Adapter attributes (MiniportInitializeEx) ------------------------------------------ */

#define NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 2 /* NDIS 6.30 flags */

/* AttributeFlags. */
#define NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE       0x00000001
#define NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM              0x00000002
#define NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK    0x00000004
#define NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS           0x00000008
#define NDIS_MINIPORT_ATTRIBUTES_DO_NOT_BIND_TO_ALL_CO 0x00000010
#define NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND    0x00000020
#define NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER            0x00000040
#define NDIS_MINIPORT_ATTRIBUTES_CONTROLS_DEFAULT_PORT 0x00000080
#define NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND   0x00000100 /* NDIS 6.30 */

typedef struct _NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES */
    NDIS_HANDLE MiniportAdapterContext;
    ULONG AttributeFlags;
    UINT CheckForHangTimeInSeconds;
    NDIS_INTERFACE_TYPE InterfaceType;
} NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1                            \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2                            \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)

#define NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 2 /* NDIS 6.20: PM capabilities */

/* Length of the address arrays in the general attributes. */
#define NDIS_MAX_PHYS_ADDRESS_LENGTH IF_MAX_PHYS_ADDRESS_LENGTH

typedef struct _NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES */
    ULONG Flags;
    NDIS_MEDIUM MediaType;
    NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 XmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG LookaheadSize;
    PNDIS_PNP_CAPABILITIES PowerManagementCapabilities; /* revision 1 form; NULL in revision 2 */
    ULONG MacOptions;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    USHORT MacAddressLength;
    UCHAR PermanentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    NET_IF_DIRECTION_TYPE DirectionType;
    NET_IF_CONNECTION_TYPE ConnectionType;
    NET_IFTYPE IfType;
    BOOLEAN IfConnectorPresent;
    ULONG SupportedStatistics;
    ULONG SupportedPauseFunctions;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength;
    ULONG AutoNegotiationFlags;
    PNDIS_PM_CAPABILITIES PowerManagementCapabilitiesEx; /* revision 2 */
} NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;

#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1                                 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, AutoNegotiationFlags)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2                                 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,                             \
                             PowerManagementCapabilitiesEx)

/* General attributes SupportedStatistics: the counters OID_GEN_STATISTICS reports. */
#define NDIS_STATISTICS_XMIT_OK_SUPPORTED               0x00000001
#define NDIS_STATISTICS_RCV_OK_SUPPORTED                0x00000002
#define NDIS_STATISTICS_XMIT_ERROR_SUPPORTED            0x00000004
#define NDIS_STATISTICS_RCV_ERROR_SUPPORTED             0x00000008
#define NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED         0x00000010
#define NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED   0x00000020
#define NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED  0x00000040
#define NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED  0x00000080
#define NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED 0x00000100
#define NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED  0x00000200
#define NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED 0x00000400
#define NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED    0x00000800
#define NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED   0x00001000
#define NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED   0x00002000
#define NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED  0x00004000
#define NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED   0x00008000
#define NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED  0x00010000
#define NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED         0x00020000
#define NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED 0x00040000
#define NDIS_STATISTICS_BYTES_RCV_SUPPORTED             0x00080000
#define NDIS_STATISTICS_BYTES_XMIT_SUPPORTED            0x00100000
#define NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED          0x00200000
#define NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED        0x00400000
#define NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED         0x08000000

/* What NdisMSetMiniportAttributes takes: NDIS reads Header.Type to tell which one it is. */
typedef union _NDIS_MINIPORT_ADAPTER_ATTRIBUTES {
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES RegistrationAttributes;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES GeneralAttributes;
} NDIS_MINIPORT_ADAPTER_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_ATTRIBUTES;

TAP_NDIS_IMPORT NDIS_STATUS NTAPI NdisMSetMiniportAttributes(
    NDIS_HANDLE NdisMiniportHandle, PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes);

/* ---- Data path ---------------------------------------------------------------------------------
 */

TAP_NDIS_IMPORT VOID NTAPI NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle,
                                                              PNET_BUFFER_LIST NetBufferList,
                                                              NDIS_PORT_NUMBER PortNumber,
                                                              ULONG NumberOfNetBufferLists,
                                                              ULONG ReceiveFlags);
TAP_NDIS_IMPORT VOID NTAPI NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                           PNET_BUFFER_LIST NetBufferList,
                                                           ULONG SendCompleteFlags);

/* ---- Status indications ------------------------------------------------------------------ */

#define NDIS_STATUS_INDICATION_REVISION_1 1

/* Flags. */
#define NDIS_STATUS_INDICATION_FLAGS_MEDIA_CONNECT_TO_CONNECT 0x1000

typedef struct _NDIS_STATUS_INDICATION {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_STATUS_INDICATION */
    NDIS_HANDLE SourceHandle;  /* the miniport adapter handle */
    NDIS_PORT_NUMBER PortNumber;
    NDIS_STATUS StatusCode; /* e.g. NDIS_STATUS_LINK_STATE */
    ULONG Flags;
    NDIS_HANDLE DestinationHandle;
    PVOID RequestId;
    PVOID StatusBuffer; /* e.g. NDIS_LINK_STATE */
    ULONG StatusBufferSize;
    GUID Guid;
    PVOID NdisReserved[4];
} NDIS_STATUS_INDICATION, *PNDIS_STATUS_INDICATION;

#define NDIS_SIZEOF_STATUS_INDICATION_REVISION_1                                                   \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_STATUS_INDICATION, NdisReserved)

TAP_NDIS_IMPORT VOID NTAPI NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle,
                                                 PNDIS_STATUS_INDICATION StatusIndication);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
