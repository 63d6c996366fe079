/*
 * datapath.c - frames both ways between NDIS and the core.
 *
 * Host sends (MiniportSendNetBufferLists): each NET_BUFFER, made contiguous, goes through
 * tapc_host_send, which queues it for the application, answers it (ARP, DHCP, neighbour
 * discovery: the reply is indicated as a receive) or drops it; the list completes with the
 * status the core gives. While more than the flow-control threshold is queued toward user
 * space, sends are held back here, in order, and processed once reads drain the queue.
 *
 * Receives: a frame the application writes (tapc_user_write builds it, padded to 60 bytes,
 * with its 802.1Q tag moved to the list's Ieee8021QNetBufferListInfo) or a driver reply is
 * built in one of the adapter's receive buffers, passed through the packet filter and
 * indicated in a NET_BUFFER_LIST from the adapter's pool; NDIS returns it later (or at once
 * when the last buffer was lent: NDIS_RECEIVE_FLAGS_RESOURCES). A pause waits for every
 * indicated list to come back.
 */
#include "tap.h"

typedef struct TAP_NBL_CHAIN {
    PNET_BUFFER_LIST Head;
    PNET_BUFFER_LIST Tail;
    ULONG Count;
} TAP_NBL_CHAIN, *PTAP_NBL_CHAIN;

#define TAP_NBL_SLOT(Nbl) (NET_BUFFER_LIST_MINIPORT_RESERVED(Nbl)[0])

static VOID TapChainInit(PTAP_NBL_CHAIN Chain)
{
    Chain->Head = NULL;
    Chain->Tail = NULL;
    Chain->Count = 0;
}

static VOID TapChainAppend(PTAP_NBL_CHAIN Chain, PNET_BUFFER_LIST Nbl)
{
    NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
    if (Chain->Tail != NULL) {
        NET_BUFFER_LIST_NEXT_NBL(Chain->Tail) = Nbl;
    } else {
        Chain->Head = Nbl;
    }
    Chain->Tail = Nbl;
    Chain->Count++;
}

static PNET_BUFFER_LIST TapChainLast(PNET_BUFFER_LIST Nbls)
{
    while (NET_BUFFER_LIST_NEXT_NBL(Nbls) != NULL) {
        Nbls = NET_BUFFER_LIST_NEXT_NBL(Nbls);
    }
    return Nbls;
}

/* ---- Receive buffers ------------------------------------------------------------------------ */

NDIS_STATUS TapDataInitialize(PTAP_ADAPTER Adapter)
{
    NET_BUFFER_LIST_POOL_PARAMETERS pool;
    PTAP_RX_SLOT slot;
    ULONG i;

    NdisZeroMemory(&pool, sizeof(pool));
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    pool.fAllocateNetBuffer = TRUE;
    pool.ContextSize = 0;
    pool.PoolTag = TAP_POOL_TAG;
    pool.DataSize = 0; /* the receive buffers' MDLs are ours */
    Adapter->NblPool = NdisAllocateNetBufferListPool(Adapter->MiniportHandle, &pool);
    if (Adapter->NblPool == NULL) {
        return NDIS_STATUS_RESOURCES;
    }

    Adapter->RxSlots = (PTAP_RX_SLOT)TapAlloc(sizeof(TAP_RX_SLOT) * TAP_RX_SLOTS);
    if (Adapter->RxSlots == NULL) {
        goto cleanup;
    }
    NdisZeroMemory(Adapter->RxSlots, sizeof(TAP_RX_SLOT) * TAP_RX_SLOTS);
    for (i = 0; i < TAP_RX_SLOTS; i++) {
        slot = &Adapter->RxSlots[i];
        slot->Mdl = NdisAllocateMdl(Adapter->MiniportHandle, slot->Data, TAP_RX_BUFFER);
        if (slot->Mdl == NULL) {
            goto cleanup;
        }
        slot->Next = Adapter->RxFree;
        Adapter->RxFree = slot;
        Adapter->RxFreeCount++;
    }
    return NDIS_STATUS_SUCCESS;

cleanup:
    TapDataFree(Adapter);
    return NDIS_STATUS_RESOURCES;
}

/* After halt or a failed initialize: no list is indicated, none is held. */
VOID TapDataFree(PTAP_ADAPTER Adapter)
{
    ULONG i;

    if (Adapter->RxSlots != NULL) {
        for (i = 0; i < TAP_RX_SLOTS; i++) {
            if (Adapter->RxSlots[i].Mdl != NULL) {
                NdisFreeMdl(Adapter->RxSlots[i].Mdl);
            }
        }
        TapFree(Adapter->RxSlots);
        Adapter->RxSlots = NULL;
    }
    Adapter->RxFree = NULL;
    Adapter->RxFreeCount = 0;
    if (Adapter->NblPool != NULL) {
        NdisFreeNetBufferListPool(Adapter->NblPool);
        Adapter->NblPool = NULL;
    }
}

/* Under Adapter->Lock. */
static PTAP_RX_SLOT TapDataTakeSlot(PTAP_ADAPTER Adapter)
{
    PTAP_RX_SLOT slot = Adapter->RxFree;

    if (slot != NULL) {
        Adapter->RxFree = slot->Next;
        Adapter->RxFreeCount--;
    }
    return slot;
}

/* Under Adapter->Lock. */
static VOID TapDataPutSlot(PTAP_ADAPTER Adapter, PTAP_RX_SLOT Slot)
{
    Slot->Next = Adapter->RxFree;
    Adapter->RxFree = Slot;
    Adapter->RxFreeCount++;
}

/*
 * Under Adapter->Lock (DISPATCH_LEVEL, where allocating from the pool is allowed): Length
 * bytes in Slot become a list to indicate if the packet filter passes them, else the slot
 * goes back.
 */
static PNET_BUFFER_LIST TapDataWrapSlot(PTAP_ADAPTER Adapter, PTAP_RX_SLOT Slot, SIZE_T Length,
                                        const tapc_vlan *Vlan)
{
    NDIS_NET_BUFFER_LIST_8021Q_INFO tag;
    PNET_BUFFER_LIST nbl = NULL;

    if (tapc_ndis_filter(&Adapter->Core, &Adapter->Ndis, Slot->Data, Length)) {
        nbl = NdisAllocateNetBufferAndNetBufferList(Adapter->NblPool, 0, 0, Slot->Mdl, 0, Length);
        if (nbl == NULL) {
            Adapter->Ndis.rx_no_buffer++;
        }
    }
    if (nbl == NULL) {
        TapDataPutSlot(Adapter, Slot);
        return NULL;
    }
    TAP_NBL_SLOT(nbl) = Slot;
    nbl->SourceHandle = Adapter->MiniportHandle;
    tag.Value = NULL;
    if (Vlan != NULL) {
        tag.TagHeader.UserPriority = Vlan->priority;
        tag.TagHeader.VlanId = Vlan->vlan_id;
    }
    NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo) = tag.Value;
    Adapter->RxInFlight++;
    return nbl;
}

/* Lists back from NDIS (or from an indication made with NDIS_RECEIVE_FLAGS_RESOURCES):
 * buffers to the free list; the last one completes a pending pause. IRQL <= DISPATCH_LEVEL. */
static VOID TapDataReclaim(PTAP_ADAPTER Adapter, PNET_BUFFER_LIST Nbls)
{
    PNET_BUFFER_LIST next;
    BOOLEAN pauseDone = FALSE;
    KIRQL irql;

    KeAcquireSpinLock(&Adapter->Lock, &irql);
    for (; Nbls != NULL; Nbls = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(Nbls);
        TapDataPutSlot(Adapter, (PTAP_RX_SLOT)TAP_NBL_SLOT(Nbls));
        NdisFreeNetBufferList(Nbls); /* back to our pool: no NDIS lock, no callback */
        Adapter->RxInFlight--;
    }
    if (Adapter->RxInFlight == 0 && Adapter->PausePending) {
        Adapter->PausePending = FALSE;
        pauseDone = TRUE;
    }
    KeReleaseSpinLock(&Adapter->Lock, irql);
    if (pauseDone) {
        NdisMPauseComplete(Adapter->MiniportHandle);
    }
}

/* Indicates the lists of Chain; call without locks. IRQL <= DISPATCH_LEVEL, as AtDispatch says. */
static VOID TapDataIndicate(PTAP_ADAPTER Adapter, PTAP_NBL_CHAIN Chain, BOOLEAN AtDispatch,
                            BOOLEAN LowResources)
{
    ULONG flags = AtDispatch ? NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL : 0;

    if (Chain->Head == NULL) {
        return;
    }
    if (LowResources) {
        flags |= NDIS_RECEIVE_FLAGS_RESOURCES;
    }
    NdisMIndicateReceiveNetBufferLists(Adapter->MiniportHandle, Chain->Head,
                                       NDIS_DEFAULT_PORT_NUMBER, Chain->Count, flags);
    if (LowResources) {
        TapDataReclaim(Adapter, Chain->Head); /* ours again as soon as the call returns */
    }
}

/* IRQL <= DISPATCH_LEVEL. */
VOID NTAPI TapDataReturn(NDIS_HANDLE AdapterContext, PNET_BUFFER_LIST NetBufferLists,
                         ULONG ReturnFlags)
{
    UNREFERENCED_PARAMETER(ReturnFlags);
    TapDataReclaim((PTAP_ADAPTER)AdapterContext, NetBufferLists);
}

NTSTATUS TapDataWrite(PTAP_ADAPTER Adapter, const UCHAR *Data, SIZE_T Length)
{
    TAP_NBL_CHAIN chain;
    PNET_BUFFER_LIST nbl;
    PTAP_RX_SLOT slot;
    BOOLEAN lowResources = FALSE;
    tapc_status status;
    tapc_vlan vlan;
    size_t n = 0;
    ULONG events;
    KIRQL irql;

    TapChainInit(&chain);
    KeAcquireSpinLock(&Adapter->Lock, &irql);
    slot = TapDataTakeSlot(Adapter);
    /* With every buffer lent to NDIS the core still judges the write, into SendFrame (ours
     * while the lock is held). A paused adapter accepts it with nothing to indicate. */
    status = tapc_user_write(&Adapter->Core, Data, Length,
                             slot != NULL ? slot->Data : Adapter->SendFrame,
                             slot != NULL ? TAP_RX_BUFFER : sizeof(Adapter->SendFrame), &n, &vlan);
    if (status == TAPC_STATUS_SUCCESS && n != 0 && slot != NULL) {
        nbl = TapDataWrapSlot(Adapter, slot, n, &vlan);
        if (nbl != NULL) {
            TapChainAppend(&chain, nbl);
        }
        lowResources = Adapter->RxFreeCount == 0;
    } else if (slot != NULL) {
        TapDataPutSlot(Adapter, slot);
    } else if (status == TAPC_STATUS_SUCCESS && n != 0) {
        /* A valid frame while every buffer is lent to NDIS: dropped, as a full receive ring
         * drops, and counted (receive discards). */
        Adapter->Ndis.rx_no_buffer++;
    }
    events = tapc_take_events(&Adapter->Core);
    KeReleaseSpinLock(&Adapter->Lock, irql);

    TapDataIndicate(Adapter, &chain, irql == DISPATCH_LEVEL, lowResources);
    TapAdapterProcessEvents(Adapter, events);
    return (NTSTATUS)status;
}

/* ---- Sends ------------------------------------------------------------------------------------
 */

/* Under Adapter->Lock: the lists wait behind those already held. */
static VOID TapDataHoldBack(PTAP_ADAPTER Adapter, PNET_BUFFER_LIST Nbls)
{
    if (Adapter->HeldTail != NULL) {
        NET_BUFFER_LIST_NEXT_NBL(Adapter->HeldTail) = Nbls;
    } else {
        Adapter->HeldHead = Nbls;
    }
    Adapter->HeldTail = TapChainLast(Nbls);
}

/* Under Adapter->Lock: the lists go first, ahead of those held. */
static VOID TapDataHoldFront(PTAP_ADAPTER Adapter, PNET_BUFFER_LIST Nbls)
{
    PNET_BUFFER_LIST last = TapChainLast(Nbls);

    NET_BUFFER_LIST_NEXT_NBL(last) = Adapter->HeldHead;
    if (Adapter->HeldHead == NULL) {
        Adapter->HeldTail = last;
    }
    Adapter->HeldHead = Nbls;
}

/* Under Adapter->Lock: one NET_BUFFER through the core; a reply joins Replies. */
static NDIS_STATUS TapDataSendOne(PTAP_ADAPTER Adapter, PNET_BUFFER Nb, const tapc_vlan *Vlan,
                                  PTAP_NBL_CHAIN Replies)
{
    ULONG length = NET_BUFFER_DATA_LENGTH(Nb);
    const UCHAR *frame = NULL;
    size_t replyLength = 0;
    tapc_send_action action;
    PNET_BUFFER_LIST nbl;
    PTAP_RX_SLOT slot;

    if (length != 0 && length <= sizeof(Adapter->SendFrame)) {
        /* A pointer into the buffer when contiguous, else a copy in SendFrame. */
        frame = (const UCHAR *)NdisGetDataBuffer(Nb, length, Adapter->SendFrame, 1, 0);
        if (frame == NULL) {
            return NDIS_STATUS_RESOURCES;
        }
    }
    /* Longer frames reach the core without data: it refuses them by length. */
    action = tapc_host_send(&Adapter->Core, frame, length, Vlan, Adapter->Reply,
                            sizeof(Adapter->Reply), &replyLength);
    if (action == TAPC_SEND_REPLY) {
        slot = TapDataTakeSlot(Adapter);
        if (slot == NULL) {
            Adapter->Ndis.rx_no_buffer++;
        } else {
            NdisMoveMemory(slot->Data, Adapter->Reply, replyLength);
            nbl = TapDataWrapSlot(Adapter, slot, replyLength, NULL);
            if (nbl != NULL) {
                TapChainAppend(Replies, nbl);
            }
        }
    }
    return (NDIS_STATUS)tapc_ndis_send_status(action);
}

/* Under Adapter->Lock: the lists through the core, until flow control holds the rest. */
static VOID TapDataProcessSends(PTAP_ADAPTER Adapter, PNET_BUFFER_LIST Nbls, PTAP_NBL_CHAIN Done,
                                PTAP_NBL_CHAIN Replies)
{
    NDIS_NET_BUFFER_LIST_8021Q_INFO tag;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    NDIS_STATUS status;
    NDIS_STATUS one;
    tapc_vlan vlan;

    while (Nbls != NULL) {
        /* Held only while the core would queue them (a paused adapter fails them at once). */
        if (tapc_flow_held(&Adapter->Core) && !Adapter->Core.paused) {
            TapDataHoldFront(Adapter, Nbls);
            return;
        }
        nbl = Nbls;
        Nbls = NET_BUFFER_LIST_NEXT_NBL(nbl);
        tag.Value = NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo);
        vlan.priority = (uint8_t)tag.TagHeader.UserPriority;
        vlan.vlan_id = (uint16_t)tag.TagHeader.VlanId;
        status = NDIS_STATUS_SUCCESS;
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            one = TapDataSendOne(Adapter, nb, &vlan, Replies);
            if (status == NDIS_STATUS_SUCCESS) {
                status = one; /* the first failure */
            }
        }
        NET_BUFFER_LIST_STATUS(nbl) = status;
        TapChainAppend(Done, nbl);
    }
}

/* Completes the processed sends and indicates the replies; call without locks. */
static VOID TapDataFinishSends(PTAP_ADAPTER Adapter, PTAP_NBL_CHAIN Done, PTAP_NBL_CHAIN Replies,
                               BOOLEAN AtDispatch, BOOLEAN LowResources)
{
    TapDataIndicate(Adapter, Replies, AtDispatch, LowResources);
    if (Done->Head != NULL) {
        NdisMSendNetBufferListsComplete(Adapter->MiniportHandle, Done->Head,
                                        AtDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
    }
}

/* IRQL <= DISPATCH_LEVEL; the IRQL the adapter lock was taken from says which. */
VOID NTAPI TapDataSend(NDIS_HANDLE AdapterContext, PNET_BUFFER_LIST NetBufferLists,
                       NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)AdapterContext;
    TAP_NBL_CHAIN done;
    TAP_NBL_CHAIN replies;
    BOOLEAN lowResources;
    ULONG events;
    KIRQL irql;

    UNREFERENCED_PARAMETER(PortNumber);
    UNREFERENCED_PARAMETER(SendFlags);
    TapChainInit(&done);
    TapChainInit(&replies);
    KeAcquireSpinLock(&adapter->Lock, &irql);
    if (adapter->HeldHead != NULL) {
        TapDataHoldBack(adapter, NetBufferLists); /* keep the order */
    } else {
        TapDataProcessSends(adapter, NetBufferLists, &done, &replies);
    }
    lowResources = adapter->RxFreeCount == 0;
    events = tapc_take_events(&adapter->Core);
    KeReleaseSpinLock(&adapter->Lock, irql);

    TapDataFinishSends(adapter, &done, &replies, irql == DISPATCH_LEVEL, lowResources);
    TapAdapterProcessEvents(adapter, events);
}

ULONG TapDataResumeSends(PTAP_ADAPTER Adapter)
{
    PNET_BUFFER_LIST held = NULL;
    TAP_NBL_CHAIN done;
    TAP_NBL_CHAIN replies;
    BOOLEAN lowResources;
    ULONG events;
    KIRQL irql;

    TapChainInit(&done);
    TapChainInit(&replies);
    KeAcquireSpinLock(&Adapter->Lock, &irql);
    if (!tapc_flow_held(&Adapter->Core)) {
        held = Adapter->HeldHead;
        Adapter->HeldHead = NULL;
        Adapter->HeldTail = NULL;
    }
    if (held != NULL) {
        TapDataProcessSends(Adapter, held, &done, &replies);
    }
    lowResources = Adapter->RxFreeCount == 0;
    events = tapc_take_events(&Adapter->Core);
    KeReleaseSpinLock(&Adapter->Lock, irql);

    TapDataFinishSends(Adapter, &done, &replies, irql == DISPATCH_LEVEL, lowResources);
    return events;
}

/* Completes the lists of a chain linked through their Next with Status. */
static VOID TapDataCompleteSends(PTAP_ADAPTER Adapter, PNET_BUFFER_LIST Nbls, NDIS_STATUS Status,
                                 BOOLEAN AtDispatch)
{
    PNET_BUFFER_LIST nbl;

    if (Nbls == NULL) {
        return;
    }
    for (nbl = Nbls; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NET_BUFFER_LIST_STATUS(nbl) = Status;
    }
    NdisMSendNetBufferListsComplete(Adapter->MiniportHandle, Nbls,
                                    AtDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
}

VOID TapDataCompleteHeld(PTAP_ADAPTER Adapter, NDIS_STATUS Status)
{
    PNET_BUFFER_LIST held;
    KIRQL irql;

    KeAcquireSpinLock(&Adapter->Lock, &irql);
    held = Adapter->HeldHead;
    Adapter->HeldHead = NULL;
    Adapter->HeldTail = NULL;
    KeReleaseSpinLock(&Adapter->Lock, irql);
    TapDataCompleteSends(Adapter, held, Status, irql == DISPATCH_LEVEL);
}

/* IRQL <= DISPATCH_LEVEL. Only held sends can be cancelled: the others complete at once. */
VOID NTAPI TapDataCancelSend(NDIS_HANDLE AdapterContext, PVOID CancelId)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)AdapterContext;
    TAP_NBL_CHAIN cancelled;
    PNET_BUFFER_LIST prev = NULL;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER_LIST next;
    KIRQL irql;

    TapChainInit(&cancelled);
    KeAcquireSpinLock(&adapter->Lock, &irql);
    for (nbl = adapter->HeldHead; nbl != NULL; nbl = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        if (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl) != CancelId) {
            prev = nbl;
            continue;
        }
        if (prev != NULL) {
            NET_BUFFER_LIST_NEXT_NBL(prev) = next;
        } else {
            adapter->HeldHead = next;
        }
        if (adapter->HeldTail == nbl) {
            adapter->HeldTail = prev;
        }
        TapChainAppend(&cancelled, nbl);
    }
    KeReleaseSpinLock(&adapter->Lock, irql);
    TapDataCompleteSends(adapter, cancelled.Head, NDIS_STATUS_SEND_ABORTED, irql == DISPATCH_LEVEL);
}
