/*
 * A miniport's own device object (the TAP control device \Device\{GUID}.tap) for zig
 * (mingw-w64) builds: NdisRegisterDeviceEx with dispatch routines and an SDDL string.
 * Written from Microsoft's NDIS reference (NdisRegisterDeviceEx, NDIS_DEVICE_OBJECT_ATTRIBUTES).
 */
#pragma once
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the WDK's struct tags (_NDIS_...) are interface facts */

#include "ndis_base.h"

#define NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 1

typedef struct _NDIS_DEVICE_OBJECT_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;        /* NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES, revision 1 */
    PNDIS_STRING DeviceName;          /* \Device\... */
    PNDIS_STRING SymbolicName;        /* \DosDevices\Global\... */
    PDRIVER_DISPATCH *MajorFunctions; /* IRP_MJ_MAXIMUM_FUNCTION + 1 entries, NULL allowed */
    ULONG ExtensionSize;              /* bytes of NdisGetDeviceReservedExtension */
    PCUNICODE_STRING DefaultSDDLString;
    LPCGUID DeviceClassGuid;
} NDIS_DEVICE_OBJECT_ATTRIBUTES, *PNDIS_DEVICE_OBJECT_ATTRIBUTES;

#define NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1                                            \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_DEVICE_OBJECT_ATTRIBUTES, DeviceClassGuid)

/* NdisHandle: the miniport driver handle of NdisMRegisterMiniportDriver. */
TAP_NDIS_IMPORT NDIS_STATUS NTAPI
NdisRegisterDeviceEx(NDIS_HANDLE NdisHandle, PNDIS_DEVICE_OBJECT_ATTRIBUTES DeviceObjectAttributes,
                     PDEVICE_OBJECT *pDeviceObject, PNDIS_HANDLE NdisDeviceHandle);
TAP_NDIS_IMPORT VOID NTAPI NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle);
TAP_NDIS_IMPORT PVOID NTAPI NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
