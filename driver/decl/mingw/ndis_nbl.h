/*
 * Packets for zig (mingw-w64) builds: NET_BUFFER_LIST / NET_BUFFER over MDL chains, their
 * access macros, the per-list information slots (802.1Q, cancel id), pools and allocation,
 * and the flags of receive indications, returns, sends and send completions.
 * Written from Microsoft's NDIS reference (nbl.h, nblinfo.h, nblaccessors.h pages).
 */
#pragma once
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the WDK's struct tags (_NDIS_...) are interface facts */

#include "ndis_base.h"

typedef struct _NET_BUFFER NET_BUFFER, *PNET_BUFFER;
typedef struct _NET_BUFFER_LIST NET_BUFFER_LIST, *PNET_BUFFER_LIST;
typedef struct _NET_BUFFER_LIST_CONTEXT NET_BUFFER_LIST_CONTEXT, *PNET_BUFFER_LIST_CONTEXT;
struct _NET_BUFFER_SHARED_MEMORY;

/* ---- MDLs ------------------------------------------------------------------------------------ */

#define NDIS_MDL_LINKAGE(Mdl)               ((Mdl)->Next)
#define NdisGetNextMdl(CurrentMdl, NextMdl) (*(NextMdl) = (CurrentMdl)->Next)

/* The system address (NULL when it cannot be mapped) and byte count of an MDL. */
#define NdisQueryMdl(Mdl, VirtualAddress, Length, Priority)                                        \
    do {                                                                                           \
        if (ARGUMENT_PRESENT(VirtualAddress)) {                                                    \
            *(PVOID *)(VirtualAddress) = MmGetSystemAddressForMdlSafe(Mdl, Priority);              \
        }                                                                                          \
        *(Length) = MmGetMdlByteCount(Mdl);                                                        \
    } while (0)
#define NdisQueryMdlOffset(Mdl, Offset, Length)                                                    \
    do {                                                                                           \
        *(Offset) = MmGetMdlByteOffset(Mdl);                                                       \
        *(Length) = MmGetMdlByteCount(Mdl);                                                        \
    } while (0)

/* An MDL for non-paged memory the caller owns, charged to an NDIS handle. */
TAP_NDIS_IMPORT PMDL NTAPI NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress,
                                           UINT Length);
TAP_NDIS_IMPORT VOID NTAPI NdisFreeMdl(PMDL Mdl);

/* ---- NET_BUFFER ------------------------------------------------------------------------------ */

/* The members NDIS links and walks; the union lets NDIS queue a NET_BUFFER on an SLIST. */
typedef union _NET_BUFFER_HEADER {
    struct {
        PNET_BUFFER Next;
        PMDL CurrentMdl;
        ULONG CurrentMdlOffset;
        union {
            ULONG DataLength;
            SIZE_T stDataLength;
        };
        PMDL MdlChain;
        ULONG DataOffset;
    };
    SLIST_HEADER Link;
} NET_BUFFER_HEADER, *PNET_BUFFER_HEADER;

struct _NET_BUFFER {
    union {
        struct {
            PNET_BUFFER Next;
            PMDL CurrentMdl;
            ULONG CurrentMdlOffset;
            union {
                ULONG DataLength;
                SIZE_T stDataLength;
            };
            PMDL MdlChain;
            ULONG DataOffset;
        };
        SLIST_HEADER Link;
        NET_BUFFER_HEADER NetBufferHeader;
    };
    USHORT ChecksumBias;
    USHORT Reserved;
    NDIS_HANDLE NdisPoolHandle;
    PVOID NdisReserved[2];
    PVOID ProtocolReserved[6];
    PVOID MiniportReserved[4];
    NDIS_PHYSICAL_ADDRESS DataPhysicalAddress;
    union {
        struct _NET_BUFFER_SHARED_MEMORY *SharedMemoryInfo;
        PSCATTER_GATHER_LIST ScatterGatherList;
    };
};

#define NET_BUFFER_NEXT_NB(Nb)            ((Nb)->Next)
#define NET_BUFFER_FIRST_MDL(Nb)          ((Nb)->MdlChain)
#define NET_BUFFER_DATA_LENGTH(Nb)        ((Nb)->DataLength)
#define NET_BUFFER_DATA_OFFSET(Nb)        ((Nb)->DataOffset)
#define NET_BUFFER_CURRENT_MDL(Nb)        ((Nb)->CurrentMdl)
#define NET_BUFFER_CURRENT_MDL_OFFSET(Nb) ((Nb)->CurrentMdlOffset)
#define NET_BUFFER_PROTOCOL_RESERVED(Nb)  ((Nb)->ProtocolReserved)
#define NET_BUFFER_MINIPORT_RESERVED(Nb)  ((Nb)->MiniportReserved)
#define NET_BUFFER_CHECKSUM_BIAS(Nb)      ((Nb)->ChecksumBias)

/* ---- NET_BUFFER_LIST ------------------------------------------------------------------------ */

/* Per-list information slots (NET_BUFFER_LIST_INFO), in the documented order. The number of
 * slots at the end of NET_BUFFER_LIST differs by platform in the WDK that NDIS 6.30 builds
 * against (the later slots serve the Hyper-V switch and offloads the TAP driver does not use):
 * MaxNetBufferListInfo is that count, so that sizeof(NET_BUFFER_LIST) matches too. */
/* NOLINTNEXTLINE(readability-enum-initial-value,cert-int09-c): the WDK's values */
typedef enum _NDIS_NET_BUFFER_LIST_INFO {
    TcpIpChecksumNetBufferListInfo,
    TcpOffloadBytesTransferred = TcpIpChecksumNetBufferListInfo,
    IPsecOffloadV1NetBufferListInfo,
    IPsecOffloadV2NetBufferListInfo = IPsecOffloadV1NetBufferListInfo,
    TcpLargeSendNetBufferListInfo,
    TcpReceiveNoPush = TcpLargeSendNetBufferListInfo,
    ClassificationHandleNetBufferListInfo,
    Ieee8021QNetBufferListInfo,
    NetBufferListCancelId,
    MediaSpecificInformation,
    NetBufferListFrameType,
    NetBufferListProtocolId = NetBufferListFrameType,
    NetBufferListHashValue,
    NetBufferListHashInfo,
    WfpNetBufferListInfo,
    IPsecOffloadV2TunnelNetBufferListInfo,
    IPsecOffloadV2HeaderNetBufferListInfo,
    NetBufferListCorrelationId,
    NetBufferListFilteringInfo,
    MediaSpecificInformationEx,
    NblOriginalInterfaceIfIndex,
    NblReAuthWfpFlowContext = NblOriginalInterfaceIfIndex,
#if defined(_AMD64_)
    MaxNetBufferListInfo = 24
#else
    MaxNetBufferListInfo = 21
#endif
} NDIS_NET_BUFFER_LIST_INFO,
    *PNDIS_NET_BUFFER_LIST_INFO;

/* The first members of a list, and the SLIST view of them. */
typedef union _NET_BUFFER_LIST_HEADER {
    struct {
        PNET_BUFFER_LIST Next;
        PNET_BUFFER FirstNetBuffer;
    };
    SLIST_HEADER Link;
} NET_BUFFER_LIST_HEADER, *PNET_BUFFER_LIST_HEADER;

struct _NET_BUFFER_LIST {
    union {
        struct {
            PNET_BUFFER_LIST Next;
            PNET_BUFFER FirstNetBuffer;
        };
        SLIST_HEADER Link;
        NET_BUFFER_LIST_HEADER NetBufferListHeader;
    };
    PNET_BUFFER_LIST_CONTEXT Context;
    PNET_BUFFER_LIST ParentNetBufferList;
    NDIS_HANDLE NdisPoolHandle;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID NdisReserved[2];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID ProtocolReserved[4];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID MiniportReserved[2];
    PVOID Scratch;
    NDIS_HANDLE SourceHandle;
    ULONG NblFlags;
    LONG ChildRefCount;
    ULONG Flags;
    union {
        NDIS_STATUS Status;
        ULONG NdisReserved2;
    };
    PVOID NetBufferListInfo[MaxNetBufferListInfo];
};

/* Context space NDIS keeps in front of a list's used context area. */
struct _NET_BUFFER_LIST_CONTEXT {
    PNET_BUFFER_LIST_CONTEXT Next;
    USHORT Size;
    USHORT Offset;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR ContextData[];
};

#define NET_BUFFER_LIST_NEXT_NBL(Nbl)          ((Nbl)->Next)
#define NET_BUFFER_LIST_FIRST_NB(Nbl)          ((Nbl)->FirstNetBuffer)
#define NET_BUFFER_LIST_FLAGS(Nbl)             ((Nbl)->Flags)
#define NET_BUFFER_LIST_NBL_FLAGS(Nbl)         ((Nbl)->NblFlags)
#define NET_BUFFER_LIST_STATUS(Nbl)            ((Nbl)->Status)
#define NET_BUFFER_LIST_INFO(Nbl, Id)          ((Nbl)->NetBufferListInfo[(Id)])
#define NET_BUFFER_LIST_PROTOCOL_RESERVED(Nbl) ((Nbl)->ProtocolReserved)
#define NET_BUFFER_LIST_MINIPORT_RESERVED(Nbl) ((Nbl)->MiniportReserved)
#define NET_BUFFER_LIST_CONTEXT_DATA_START(Nbl)                                                    \
    ((PVOID)((Nbl)->Context->ContextData + (Nbl)->Context->Offset))
/* Offset is also the unused space in front of the used context area. */
#define NET_BUFFER_LIST_CONTEXT_DATA_SIZE(Nbl)                                                     \
    ((ULONG)((Nbl)->Context->Size - (Nbl)->Context->Offset))

#define NdisTestNblFlag(Nbl, F)  (((Nbl)->NblFlags & (F)) != 0)
#define NdisSetNblFlag(Nbl, F)   ((Nbl)->NblFlags |= (F))
#define NdisClearNblFlag(Nbl, F) ((Nbl)->NblFlags &= ~(F))

/* The identifier a protocol gives sends it may cancel (MiniportCancelSend). */
#define NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(Nbl) (NET_BUFFER_LIST_INFO(Nbl, NetBufferListCancelId))
#define NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(Nbl, CancelId)                                          \
    (NET_BUFFER_LIST_INFO(Nbl, NetBufferListCancelId) = (PVOID)(CancelId))

/* ---- 802.1Q priority and VLAN (Ieee8021QNetBufferListInfo) ------------------------------ */

typedef struct _NDIS_NET_BUFFER_LIST_8021Q_INFO {
    union {
        struct {
            UINT32 UserPriority : 3;
            UINT32 CanonicalFormatId : 1;
            UINT32 VlanId : 12;
            UINT32 Reserved : 16;
        } TagHeader;
        struct {
            UINT32 UserPriority : 3;
            UINT32 CanonicalFormatId : 1;
            UINT32 VlanId : 12;
            UINT32 WMMInfo : 4;
            UINT32 Reserved : 12;
        } WLanTagHeader;
        PVOID Value;
    };
} NDIS_NET_BUFFER_LIST_8021Q_INFO, *PNDIS_NET_BUFFER_LIST_8021Q_INFO;

/* ---- Pools and allocation ---------------------------------------------------------------- */

#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 1

typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;  /* NDIS_OBJECT_TYPE_DEFAULT, revision 1 */
    UCHAR ProtocolId;           /* NDIS_PROTOCOL_ID_DEFAULT for a miniport */
    BOOLEAN fAllocateNetBuffer; /* each list comes with one NET_BUFFER */
    USHORT ContextSize;
    ULONG PoolTag;
    ULONG DataSize; /* 0: the caller supplies the MDLs */
} NET_BUFFER_LIST_POOL_PARAMETERS, *PNET_BUFFER_LIST_POOL_PARAMETERS;

#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1                                     \
    RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize)

TAP_NDIS_IMPORT NDIS_HANDLE NTAPI
NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_LIST_POOL_PARAMETERS Parameters);
TAP_NDIS_IMPORT VOID NTAPI NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle);

/* A list with one NET_BUFFER over MdlChain, from a pool made with fAllocateNetBuffer. */
TAP_NDIS_IMPORT PNET_BUFFER_LIST NTAPI NdisAllocateNetBufferAndNetBufferList(
    NDIS_HANDLE PoolHandle, USHORT ContextSize, USHORT ContextBackFill, PMDL MdlChain,
    ULONG DataOffset, SIZE_T DataLength);
TAP_NDIS_IMPORT PNET_BUFFER_LIST NTAPI NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle,
                                                                 USHORT ContextSize,
                                                                 USHORT ContextBackFill);
TAP_NDIS_IMPORT VOID NTAPI NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList);

TAP_NDIS_IMPORT NDIS_STATUS NTAPI NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList,
                                                                   USHORT ContextSize,
                                                                   USHORT ContextBackFill,
                                                                   ULONG PoolTag);
TAP_NDIS_IMPORT VOID NTAPI NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList,
                                                        USHORT ContextSize);

/* Contiguous access to BytesNeeded bytes at the current data offset: a pointer into the
 * buffer when they are contiguous (and aligned as asked), else a copy in Storage (if given);
 * NULL when the NET_BUFFER is shorter. */
TAP_NDIS_IMPORT PVOID NTAPI NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded,
                                              PVOID Storage, UINT AlignMultiple, UINT AlignOffset);

/* Moving the data start: callbacks that provide or release MDLs of back-fill space. */
typedef PMDL(NTAPI *NET_BUFFER_ALLOCATE_MDL_HANDLER)(PULONG BufferSize);
typedef VOID(NTAPI *NET_BUFFER_FREE_MDL_HANDLER)(PMDL Mdl);

TAP_NDIS_IMPORT VOID NTAPI
NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                              NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler);
TAP_NDIS_IMPORT NDIS_STATUS NTAPI
NdisRetreatNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, ULONG DataBackFill,
                              NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler);

/* ---- Flags of the data path -------------------------------------------------------------- */

/* NdisMIndicateReceiveNetBufferLists ReceiveFlags. */
#define NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL    0x00000001
#define NDIS_RECEIVE_FLAGS_RESOURCES         0x00000002 /* the lists come back at once: no return */
#define NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE 0x00000100
#define NDIS_RECEIVE_FLAGS_SINGLE_VLAN       0x00000200
#define NDIS_RECEIVE_FLAGS_PERFECT_FILTERED  0x00000400
#define NDIS_RECEIVE_FLAGS_SINGLE_QUEUE      0x00000800
#define NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID 0x00001000
#define NDIS_RECEIVE_FLAGS_MORE_NBLS                0x00002000

/* MiniportReturnNetBufferLists ReturnFlags. */
#define NDIS_RETURN_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_RETURN_FLAGS_SINGLE_QUEUE   0x00000002

/* MiniportSendNetBufferLists SendFlags. */
#define NDIS_SEND_FLAGS_DISPATCH_LEVEL     0x00000001
#define NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK 0x00000002
#define NDIS_SEND_FLAGS_SINGLE_QUEUE       0x00000004

/* NdisMSendNetBufferListsComplete SendCompleteFlags. */
#define NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL 0x00000001

#define NDIS_TEST_SEND_AT_DISPATCH_LEVEL(Flags) (((Flags) & NDIS_SEND_FLAGS_DISPATCH_LEVEL) != 0)
#define NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(Flags)                                                  \
    (((Flags) & NDIS_RETURN_FLAGS_DISPATCH_LEVEL) != 0)
#define NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(Flags)                                                 \
    (((Flags) & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) != 0)
#define NDIS_TEST_RECEIVE_CANNOT_PEND(Flags) (((Flags) & NDIS_RECEIVE_FLAGS_RESOURCES) != 0)
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
