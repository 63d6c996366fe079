/*
 * OID requests for zig (mingw-w64) builds: NDIS_OID_REQUEST (query, set, method) and its
 * completion. The OID numbers and NDIS_REQUEST_TYPE come from ntddndis.h (ndis_base.h).
 * Written from Microsoft's NDIS reference (oidrequest.h pages).
 */
#pragma once
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the WDK's struct tags (_NDIS_...) are interface facts */

#include "ndis_base.h"

#define NDIS_OID_REQUEST_REVISION_1         1
#define NDIS_OID_REQUEST_NDIS_RESERVED_SIZE 16

typedef struct _NDIS_OID_REQUEST {
    NDIS_OBJECT_HEADER Header; /* NDIS_OBJECT_TYPE_OID_REQUEST */
    NDIS_REQUEST_TYPE RequestType;
    NDIS_PORT_NUMBER PortNumber;
    UINT Timeout; /* seconds */
    PVOID RequestId;
    NDIS_HANDLE RequestHandle;
    union _NDIS_OID_REQUEST_DATA {
        struct _NDIS_OID_REQUEST_QUERY {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesWritten;
            UINT BytesNeeded;
        } QUERY_INFORMATION;
        struct _NDIS_OID_REQUEST_SET {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            UINT InformationBufferLength;
            UINT BytesRead;
            UINT BytesNeeded;
        } SET_INFORMATION;
        struct _NDIS_OID_REQUEST_METHOD {
            NDIS_OID Oid;
            PVOID InformationBuffer;
            ULONG InputBufferLength;
            ULONG OutputBufferLength;
            ULONG MethodId;
            UINT BytesWritten;
            UINT BytesRead;
            UINT BytesNeeded;
        } METHOD_INFORMATION;
    } DATA;
    UCHAR NdisReserved[NDIS_OID_REQUEST_NDIS_RESERVED_SIZE * sizeof(PVOID)];
    UCHAR MiniportReserved[2 * sizeof(PVOID)];
    UCHAR SourceReserved[2 * sizeof(PVOID)];
    UCHAR SupportedRevision;
    UCHAR Reserved1;
    USHORT Reserved2;
} NDIS_OID_REQUEST, *PNDIS_OID_REQUEST;

#define NDIS_SIZEOF_OID_REQUEST_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_OID_REQUEST, Reserved2)

/* Completes a request the miniport returned NDIS_STATUS_PENDING for. */
TAP_NDIS_IMPORT VOID NTAPI NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                   PNDIS_OID_REQUEST OidRequest,
                                                   NDIS_STATUS Status);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
