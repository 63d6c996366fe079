/*
 * NDIS 6 basics for zig (mingw-w64) builds: versions, handles, strings, status codes, the
 * interface types, and mingw-w64's ntddndis.h for NDIS_OBJECT_HEADER, the OIDs and the
 * structures user mode shares with NDIS (link state, statistics, PM capabilities, ...).
 *
 * Written from Microsoft's NDIS reference (learn.microsoft.com, "Network Drivers Starting with
 * Windows Vista"). Numbers and layouts are interface facts; tests/layout checks the layouts
 * against the WDK on every architecture.
 */
#pragma once
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the WDK's struct tags (_NDIS_...) are interface facts */

#include "kernel.h"

/* The declarations cover NDIS 6.0 through 6.30, as the WDK's ndis.h does for NDIS630_MINIPORT.
 * The driver chooses the version it registers at run time (NdisGetVersion). */
#define NDIS_SUPPORT_NDIS6   1
#define NDIS_SUPPORT_NDIS61  1
#define NDIS_SUPPORT_NDIS620 1
#define NDIS_SUPPORT_NDIS630 1

/*
 * mingw-w64's ntddndis.h ends with the NDK (RDMA) declarations, which include ws2ipdef.h and
 * so need winsock2.h's socket types, a user-mode header. The driver uses no NDK: skip
 * ws2ipdef.h and give the one type the NDK structures take from it an opaque stand-in of the
 * same size (SOCKADDR_INET is 28 bytes, 4-byte aligned).
 */
#ifndef _WS2IPDEF_
#define _WS2IPDEF_
typedef union TAPDECL_OPAQUE_SOCKADDR_INET {
    USHORT si_family;
    ULONG Opaque[7];
} SOCKADDR_INET, *PSOCKADDR_INET;
#endif
#include <ntddndis.h>

/* NDIS functions are exported by ndis.sys with the stdcall convention (on i386). */
#define TAP_NDIS_IMPORT DECLSPEC_IMPORT

/* NDIS interfaces use UINT, which kernel headers do not define (C11 allows the repetition if
 * a user-mode header defines it too). */
typedef unsigned int UINT, *PUINT;

typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef UNICODE_STRING NDIS_STRING, *PNDIS_STRING;
typedef PHYSICAL_ADDRESS NDIS_PHYSICAL_ADDRESS, *PNDIS_PHYSICAL_ADDRESS;
typedef ULONG NDIS_ERROR_CODE, *PNDIS_ERROR_CODE;

/* An NDIS_STRING initializer for a string literal. */
#define NDIS_STRING_CONST(x) {sizeof(L##x) - sizeof(WCHAR), sizeof(L##x), L##x}

/* Status codes a miniport returns or indicates. */
#define NDIS_STATUS_SUCCESS             ((NDIS_STATUS)STATUS_SUCCESS)
#define NDIS_STATUS_PENDING             ((NDIS_STATUS)STATUS_PENDING)
#define NDIS_STATUS_NOT_RECOGNIZED      ((NDIS_STATUS)0x00010001L)
#define NDIS_STATUS_NOT_COPIED          ((NDIS_STATUS)0x00010002L)
#define NDIS_STATUS_NOT_ACCEPTED        ((NDIS_STATUS)0x00010003L)
#define NDIS_STATUS_INDICATION_REQUIRED ((NDIS_STATUS)STATUS_NDIS_INDICATION_REQUIRED)
#define NDIS_STATUS_BUFFER_OVERFLOW     ((NDIS_STATUS)STATUS_BUFFER_OVERFLOW)
#define NDIS_STATUS_FAILURE             ((NDIS_STATUS)STATUS_UNSUCCESSFUL)
#define NDIS_STATUS_RESOURCES           ((NDIS_STATUS)STATUS_INSUFFICIENT_RESOURCES)
#define NDIS_STATUS_NOT_SUPPORTED       ((NDIS_STATUS)STATUS_NOT_SUPPORTED)
#define NDIS_STATUS_CLOSING             ((NDIS_STATUS)0xC0010002L)
#define NDIS_STATUS_BAD_VERSION         ((NDIS_STATUS)0xC0010004L)
#define NDIS_STATUS_BAD_CHARACTERISTICS ((NDIS_STATUS)0xC0010005L)
#define NDIS_STATUS_ADAPTER_NOT_FOUND   ((NDIS_STATUS)0xC0010006L)
#define NDIS_STATUS_OPEN_FAILED         ((NDIS_STATUS)0xC0010007L)
#define NDIS_STATUS_DEVICE_FAILED       ((NDIS_STATUS)0xC0010008L)
#define NDIS_STATUS_MULTICAST_FULL      ((NDIS_STATUS)0xC0010009L)
#define NDIS_STATUS_MULTICAST_EXISTS    ((NDIS_STATUS)0xC001000AL)
#define NDIS_STATUS_MULTICAST_NOT_FOUND ((NDIS_STATUS)0xC001000BL)
#define NDIS_STATUS_REQUEST_ABORTED     ((NDIS_STATUS)0xC001000CL)
#define NDIS_STATUS_RESET_IN_PROGRESS   ((NDIS_STATUS)0xC001000DL)
#define NDIS_STATUS_INVALID_PACKET      ((NDIS_STATUS)0xC001000FL)
#define NDIS_STATUS_ADAPTER_NOT_READY   ((NDIS_STATUS)0xC0010011L)
#define NDIS_STATUS_INVALID_LENGTH      ((NDIS_STATUS)0xC0010014L)
#define NDIS_STATUS_INVALID_DATA        ((NDIS_STATUS)0xC0010015L)
#define NDIS_STATUS_BUFFER_TOO_SHORT    ((NDIS_STATUS)0xC0010016L)
#define NDIS_STATUS_INVALID_OID         ((NDIS_STATUS)0xC0010017L)
#define NDIS_STATUS_ADAPTER_REMOVED     ((NDIS_STATUS)0xC0010018L)
#define NDIS_STATUS_UNSUPPORTED_MEDIA   ((NDIS_STATUS)0xC0010019L)
#define NDIS_STATUS_FILE_NOT_FOUND      ((NDIS_STATUS)0xC001001BL)
#define NDIS_STATUS_MEDIA_DISCONNECTED  ((NDIS_STATUS)STATUS_NDIS_MEDIA_DISCONNECTED)
#define NDIS_STATUS_PAUSED              ((NDIS_STATUS)STATUS_NDIS_PAUSED)
#define NDIS_STATUS_LOW_POWER_STATE     ((NDIS_STATUS)STATUS_NDIS_LOW_POWER_STATE)
#define NDIS_STATUS_SEND_ABORTED        ((NDIS_STATUS)STATUS_NDIS_REQUEST_ABORTED)
#define NDIS_STATUS_INVALID_PARAMETER   ((NDIS_STATUS)STATUS_INVALID_PARAMETER)

/* Status indications (NDIS_STATUS_INDICATION.StatusCode). */
#define NDIS_STATUS_MEDIA_CONNECT             ((NDIS_STATUS)0x4001000BL)
#define NDIS_STATUS_MEDIA_DISCONNECT          ((NDIS_STATUS)0x4001000CL)
#define NDIS_STATUS_MEDIA_SPECIFIC_INDICATION ((NDIS_STATUS)0x40010012L)
#define NDIS_STATUS_LINK_STATE                ((NDIS_STATUS)0x40010017L)

/* The bus a miniport adapter sits on (registration attributes); the values are those of the
 * kernel's INTERFACE_TYPE. */
/* NOLINTNEXTLINE(readability-enum-initial-value,cert-int09-c): the WDK's values */
typedef enum _NDIS_INTERFACE_TYPE {
    NdisInterfaceInternal = Internal,
    NdisInterfaceIsa = Isa,
    NdisInterfaceEisa = Eisa,
    NdisInterfaceMca = MicroChannel,
    NdisInterfaceTurboChannel = TurboChannel,
    NdisInterfacePci = PCIBus,
    NdisInterfacePcMcia = PCMCIABus,
    NdisInterfaceCBus = CBus,
    NdisInterfaceMPIBus = MPIBus,
    NdisInterfaceMPSABus = MPSABus,
    NdisInterfaceProcessorInternal = ProcessorInternal,
    NdisInterfaceInternalPowerBus = InternalPowerBus,
    NdisInterfacePNPISABus = PNPISABus,
    NdisInterfacePNPBus = PNPBus,
    NdisInterfaceUSB,
    NdisInterfaceIrda,
    NdisInterface1394,
    NdisMaximumInterfaceType
} NDIS_INTERFACE_TYPE,
    *PNDIS_INTERFACE_TYPE;

/* The running NDIS version: major in the high word, minor in the low word (6.20 = 0x60014). */
TAP_NDIS_IMPORT UINT NTAPI NdisGetVersion(VOID);

/* The address of an ndis.sys or ntoskrnl export by name, or NULL. */
TAP_NDIS_IMPORT PVOID NTAPI NdisGetRoutineAddress(PNDIS_STRING NdisRoutineName);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
