/*
 * Adapter configuration (the adapter's registry key) for zig (mingw-w64) builds: opening it,
 * reading typed parameters and the NetworkAddress override.
 * Written from Microsoft's NDIS reference (configuration functions of ndis.h).
 */
#pragma once
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the WDK's struct tags (_NDIS_...) are interface facts */

#include "ndis_base.h"

#define NDIS_CONFIGURATION_OBJECT_REVISION_1           1
#define NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION 0x00000001

typedef struct _NDIS_CONFIGURATION_OBJECT {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT, revision 1 */
    NDIS_HANDLE NdisHandle;    /* the miniport adapter handle */
    ULONG Flags;
} NDIS_CONFIGURATION_OBJECT, *PNDIS_CONFIGURATION_OBJECT;

#define NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1                                                \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_CONFIGURATION_OBJECT, Flags)

typedef enum _NDIS_PARAMETER_TYPE {
    NdisParameterInteger,
    NdisParameterHexInteger,
    NdisParameterString,
    NdisParameterMultiString,
    NdisParameterBinary
} NDIS_PARAMETER_TYPE,
    *PNDIS_PARAMETER_TYPE;

typedef struct _BINARY_DATA {
    USHORT Length;
    PVOID Buffer;
} BINARY_DATA;

/* A value read by NdisReadConfiguration; NDIS owns its storage until the configuration handle
 * is closed. */
typedef struct _NDIS_CONFIGURATION_PARAMETER {
    NDIS_PARAMETER_TYPE ParameterType;
    union {
        ULONG IntegerData;
        NDIS_STRING StringData;
        BINARY_DATA BinaryData;
    } ParameterData;
} NDIS_CONFIGURATION_PARAMETER, *PNDIS_CONFIGURATION_PARAMETER;

TAP_NDIS_IMPORT NDIS_STATUS NTAPI NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
                                                          PNDIS_HANDLE ConfigurationHandle);
TAP_NDIS_IMPORT VOID NTAPI NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle);
TAP_NDIS_IMPORT VOID NTAPI NdisReadConfiguration(PNDIS_STATUS Status,
                                                 PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                                                 NDIS_HANDLE ConfigurationHandle,
                                                 PNDIS_STRING Keyword,
                                                 NDIS_PARAMETER_TYPE ParameterType);
/* The NetworkAddress value as bytes (NDIS parses the hex string); NDIS owns the buffer. */
TAP_NDIS_IMPORT VOID NTAPI NdisReadNetworkAddress(PNDIS_STATUS Status, PVOID *NetworkAddress,
                                                  PUINT NetworkAddressLength,
                                                  NDIS_HANDLE ConfigurationHandle);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
