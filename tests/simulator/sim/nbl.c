/*
 * Simulated NDIS packets: NET_BUFFER_LIST pools and allocation, MDLs, data access helpers,
 * the host's sends into the miniport (built as a protocol driver would: MDL chains, data
 * offsets, 802.1Q metadata) and their completion, and the miniport's receive indications and
 * their return.
 *
 * Ownership rules checked: every NET_BUFFER_LIST sent to the miniport comes back exactly once
 * through NdisMSendNetBufferListsComplete, unchanged and with the dispatch flag telling the
 * truth; every list the miniport indicates comes from its own pool, is not indicated again
 * before it is returned, and is returned by the simulation (through MiniportReturnNetBuffer
 * Lists) as NDIS would; nothing the miniport indicated is freed while NDIS owns it; a pool is
 * freed only with all its lists back.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "sim.h"

/* ---- Pools ------------------------------------------------------------------------------------
 */

typedef struct sim_pool {
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    sim_owner owner;
    size_t outstanding;
} sim_pool;

/* A list from a driver's pool. */
typedef struct sim_nbl {
    sim_block *pool_block;
    int ndis_owned;        /* indicated, not yet returned */
    unsigned serial;       /* of its receive indication */
    const void *indicated; /* call site of the indication */
    int indicated_line;
    struct sim_nbl *next_free;
} sim_nbl;

static NDIS_HANDLE NTAPI sim_NdisAllocateNetBufferListPool(
    NDIS_HANDLE NdisHandle, PNET_BUFFER_LIST_POOL_PARAMETERS Parameters)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisAllocateNetBufferListPool", DISPATCH_LEVEL);
    sim_owner owner = sim_ndis_owner_of(NdisHandle, site, "NdisAllocateNetBufferListPool");
    const NDIS_OBJECT_HEADER *h = &Parameters->Header;
    if (h->Type != NDIS_OBJECT_TYPE_DEFAULT ||
        h->Revision < NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 ||
        h->Size < NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1) {
        sim_violation(site,
                      "NdisAllocateNetBufferListPool: header type 0x%02X revision %u size "
                      "%u",
                      h->Type, h->Revision, h->Size);
    }
    if (Parameters->PoolTag == 0) {
        sim_violation(site, "NdisAllocateNetBufferListPool: PoolTag 0");
    }
    if (sim_inject_failure("NdisAllocateNetBufferListPool")) {
        return NULL;
    }
    sim_block *b =
        sim_alloc(SIM_NBL_POOL, 64, Parameters->PoolTag, owner, site, 1, "NET_BUFFER_LIST pool");
    sim_pool *p = host_malloc(sizeof(*p));
    p->params = *Parameters;
    p->owner = owner;
    b->extra = p;
    sim_event("nbl-pool allocate tag=%c%c%c%c context=%u data=%lu net-buffer=%d",
              (char)(Parameters->PoolTag & 0xFF), (char)(Parameters->PoolTag >> 8 & 0xFF),
              (char)(Parameters->PoolTag >> 16 & 0xFF), (char)(Parameters->PoolTag >> 24),
              Parameters->ContextSize, (unsigned long)Parameters->DataSize,
              (int)Parameters->fAllocateNetBuffer);
    return b->ptr;
}
SIM_EXPORT(NdisAllocateNetBufferListPool);

static sim_block *pool_block(const void *site, NDIS_HANDLE pool, const char *fn)
{
    char where[300];
    sim_block *b = sim_block_at(pool);
    if (b == NULL || b->kind != SIM_NBL_POOL) {
        sim_violation(site, "%s(%p): not a NET_BUFFER_LIST pool", fn, pool);
    }
    if (!b->live) {
        sim_violation(site, "%s(%p): the pool was freed at %s", fn, pool,
                      sim_where(b->free_site, where, sizeof(where)));
    }
    return b;
}

static VOID NTAPI sim_NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisFreeNetBufferListPool", DISPATCH_LEVEL);
    sim_block *b = pool_block(site, PoolHandle, "NdisFreeNetBufferListPool");
    sim_pool *p = b->extra;
    if (p->outstanding > 0) {
        sim_violation(site,
                      "NdisFreeNetBufferListPool with %zu NET_BUFFER_LISTs of the pool not "
                      "freed",
                      p->outstanding);
    }
    sim_release(b, site);
    sim_event("nbl-pool free");
}
SIM_EXPORT(NdisFreeNetBufferListPool);

/* ---- MDL chains ------------------------------------------------------------------------------ */

/* The system address of an MDL's bytes as NDIS reads them. */
static unsigned char *mdl_data(const void *site, PMDL mdl, const char *what)
{
    if (sim_block_holding(mdl) != NULL && sim_live_range(mdl, sizeof(MDL)) == NULL) {
        sim_violation(site, "%s: MDL %p is not live", what, (void *)mdl);
    }
    unsigned char *va = (mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
                            ? mdl->MappedSystemVa
                            : (unsigned char *)MmGetMdlVirtualAddress(mdl);
    if (mdl->ByteCount > 0 && sim_block_holding(va) != NULL &&
        sim_live_range(va, mdl->ByteCount) == NULL) {
        sim_violation(site, "%s: MDL %p describes %lu bytes at %p that are not live memory", what,
                      (void *)mdl, (unsigned long)mdl->ByteCount, (void *)va);
    }
    return va;
}

static ULONG chain_bytes(PMDL mdl)
{
    ULONG n = 0;
    for (; mdl; mdl = mdl->Next) {
        n += mdl->ByteCount;
    }
    return n;
}

/* CurrentMdl/CurrentMdlOffset for a data offset from the start of the chain. */
static void set_current(PNET_BUFFER nb)
{
    PMDL mdl = nb->MdlChain;
    ULONG offset = nb->DataOffset;
    while (mdl != NULL && offset >= mdl->ByteCount && mdl->Next != NULL) {
        offset -= mdl->ByteCount;
        mdl = mdl->Next;
    }
    nb->CurrentMdl = mdl;
    nb->CurrentMdlOffset = offset;
}

/* Copies a NET_BUFFER's data (walking from its current MDL); with out NULL, only checks the
 * MDLs and counts. */
static size_t nb_copy(const void *site, PNET_BUFFER nb, unsigned char *out, size_t cap,
                      const char *what)
{
    ULONG left = nb->DataLength;
    ULONG offset = nb->CurrentMdlOffset;
    size_t n = 0;
    if (nb->CurrentMdl == NULL && left > 0) {
        sim_violation(site, "%s: NET_BUFFER %p has %lu bytes but no current MDL", what, (void *)nb,
                      (unsigned long)left);
    }
    for (PMDL mdl = nb->CurrentMdl; mdl != NULL && left > 0; mdl = mdl->Next) {
        unsigned char *va = mdl_data(site, mdl, what);
        if (offset > mdl->ByteCount) {
            sim_violation(site, "%s: current MDL offset %lu beyond its %lu bytes", what,
                          (unsigned long)offset, (unsigned long)mdl->ByteCount);
        }
        ULONG take = mdl->ByteCount - offset;
        if (take > left) {
            take = left;
        }
        if (n + take > cap) {
            sim_violation(site, "%s: more than %zu bytes of data", what, cap);
        }
        if (out != NULL) {
            memcpy(out + n, va + offset, take);
        }
        n += take;
        left -= take;
        offset = 0;
    }
    if (left > 0) {
        sim_violation(site, "%s: NET_BUFFER %p DataLength %lu exceeds its MDL chain", what,
                      (void *)nb, (unsigned long)nb->DataLength);
    }
    return n;
}

static PMDL NTAPI sim_NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisAllocateMdl", DISPATCH_LEVEL);
    sim_owner owner = sim_ndis_owner_of(NdisHandle, site, "NdisAllocateMdl");
    if (Length > 0 && sim_live_range(VirtualAddress, Length) == NULL) {
        sim_violation(site,
                      "NdisAllocateMdl: %p + %u bytes is not inside one live block of "
                      "non-paged memory",
                      VirtualAddress, Length);
    }
    if (sim_inject_failure("NdisAllocateMdl")) {
        return NULL;
    }
    sim_block *b = sim_alloc(SIM_MDL, sizeof(MDL) + 2 * sizeof(PFN_NUMBER), 0, owner, site, 1,
                             "MDL (NdisAllocateMdl)");
    PMDL mdl = b->ptr;
    MmInitializeMdl(mdl, VirtualAddress, Length);
    mdl->MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
    mdl->MappedSystemVa = VirtualAddress;
    b->extra = (void *)(ULONG_PTR)1;
    return mdl;
}
SIM_EXPORT(NdisAllocateMdl);

/* ---- Lists from the driver's pools -------------------------------------------------------------
 */

#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

/* Records of freed lists, for reuse: nothing reads the record of a freed list. */
static sim_nbl *free_recs;

static sim_nbl *nbl_record(PNET_BUFFER_LIST nbl)
{
    sim_block *b = sim_block_at(nbl);
    return b != NULL && b->kind == SIM_NBL && b->live ? b->extra : NULL;
}

static PNET_BUFFER_LIST nbl_alloc(const void *site, NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                  USHORT ContextBackFill, int with_nb, PMDL MdlChain,
                                  ULONG DataOffset, SIZE_T DataLength, const char *fn)
{
    sim_irql_at_most(site, fn, DISPATCH_LEVEL);
    sim_block *pb = pool_block(site, PoolHandle, fn);
    sim_pool *pool = pb->extra;
    if (with_nb && !pool->params.fAllocateNetBuffer) {
        sim_violation(site, "%s: the pool was allocated with fAllocateNetBuffer FALSE", fn);
    }
    int pool_data = with_nb && pool->params.DataSize > 0 && MdlChain == NULL;
    if (MdlChain != NULL && DataOffset + DataLength > chain_bytes(MdlChain)) {
        sim_violation(site, "%s: DataOffset %lu + DataLength %llu exceed the %lu-byte MDL chain",
                      fn, (unsigned long)DataOffset, (unsigned long long)DataLength,
                      (unsigned long)chain_bytes(MdlChain));
    }
    if (sim_inject_failure(fn)) {
        return NULL;
    }
    size_t ctx = ContextSize || ContextBackFill
                     ? ALIGN16(sizeof(NET_BUFFER_LIST_CONTEXT) + ContextSize + ContextBackFill)
                     : 0;
    size_t size = ALIGN16(sizeof(NET_BUFFER_LIST)) + (with_nb ? ALIGN16(sizeof(NET_BUFFER)) : 0) +
                  ctx + (pool_data ? ALIGN16(sizeof(MDL)) + pool->params.DataSize : 0);
    sim_block *b =
        sim_alloc(SIM_NBL, size, pool->params.PoolTag, pool->owner, site, 1, "NET_BUFFER_LIST");
    sim_nbl *rec = free_recs;
    if (rec != NULL) {
        free_recs = rec->next_free;
        memset(rec, 0, sizeof(*rec));
    } else {
        rec = host_malloc(sizeof(*rec));
    }
    rec->pool_block = pb;
    b->extra = rec;
    pool->outstanding++;

    unsigned char *p = b->ptr;
    PNET_BUFFER_LIST nbl = (PNET_BUFFER_LIST)p;
    p += ALIGN16(sizeof(NET_BUFFER_LIST));
    nbl->NdisPoolHandle = PoolHandle;
    if (with_nb) {
        PNET_BUFFER nb = (PNET_BUFFER)p;
        p += ALIGN16(sizeof(NET_BUFFER));
        nb->NdisPoolHandle = PoolHandle;
        nbl->FirstNetBuffer = nb;
        if (ctx) {
            nbl->Context = (PNET_BUFFER_LIST_CONTEXT)p;
            p += ctx;
        }
        if (pool_data) {
            PMDL mdl = (PMDL)p;
            p += ALIGN16(sizeof(MDL));
            MmInitializeMdl(mdl, p, pool->params.DataSize);
            mdl->MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
            mdl->MappedSystemVa = p;
            MdlChain = mdl;
        }
        nb->MdlChain = MdlChain;
        nb->DataOffset = DataOffset;
        nb->DataLength = (ULONG)DataLength;
        set_current(nb);
    } else if (ctx) {
        nbl->Context = (PNET_BUFFER_LIST_CONTEXT)p;
    }
    if (nbl->Context != NULL) {
        nbl->Context->Size = (USHORT)(ContextSize + ContextBackFill);
        nbl->Context->Offset = ContextBackFill;
    }
    return nbl;
}

static PNET_BUFFER_LIST NTAPI sim_NdisAllocateNetBufferAndNetBufferList(
    NDIS_HANDLE PoolHandle, USHORT ContextSize, USHORT ContextBackFill, PMDL MdlChain,
    ULONG DataOffset, SIZE_T DataLength)
{
    return nbl_alloc(SIM_SITE(), PoolHandle, ContextSize, ContextBackFill, 1, MdlChain, DataOffset,
                     DataLength, "NdisAllocateNetBufferAndNetBufferList");
}
SIM_EXPORT(NdisAllocateNetBufferAndNetBufferList);

static PNET_BUFFER_LIST NTAPI sim_NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle,
                                                            USHORT ContextSize,
                                                            USHORT ContextBackFill)
{
    return nbl_alloc(SIM_SITE(), PoolHandle, ContextSize, ContextBackFill, 0, NULL, 0, 0,
                     "NdisAllocateNetBufferList");
}
SIM_EXPORT(NdisAllocateNetBufferList);

static sim_block *driver_nbl(const void *site, PNET_BUFFER_LIST nbl, const char *fn)
{
    char where[300];
    sim_block *b = sim_block_at(nbl);
    if (b == NULL || b->kind != SIM_NBL) {
        sim_violation(site, "%s(%p): not a NET_BUFFER_LIST from the driver's pools", fn,
                      (void *)nbl);
    }
    if (!b->live) {
        sim_violation(site, "%s(%p): the NET_BUFFER_LIST was freed at %s", fn, (void *)nbl,
                      sim_where(b->free_site, where, sizeof(where)));
    }
    return b;
}

static VOID NTAPI sim_NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList)
{
    const void *site = SIM_SITE();
    char where[300];
    sim_irql_at_most(site, "NdisFreeNetBufferList", DISPATCH_LEVEL);
    sim_block *b = driver_nbl(site, NetBufferList, "NdisFreeNetBufferList");
    sim_nbl *rec = b->extra;
    if (rec->ndis_owned) {
        sim_violation(site,
                      "NdisFreeNetBufferList(%p): NDIS still owns it (indicated at %s, "
                      "script line %d, not returned yet)",
                      (void *)NetBufferList, sim_where(rec->indicated, where, sizeof(where)),
                      rec->indicated_line);
    }
    ((sim_pool *)rec->pool_block->extra)->outstanding--;
    b->extra = NULL;
    rec->next_free = free_recs;
    free_recs = rec;
    sim_release(b, site);
}
SIM_EXPORT(NdisFreeNetBufferList);

static NDIS_STATUS NTAPI sim_NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList,
                                                              USHORT ContextSize,
                                                              USHORT ContextBackFill, ULONG PoolTag)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisAllocateNetBufferListContext", DISPATCH_LEVEL);
    if (sim_inject_failure("NdisAllocateNetBufferListContext")) {
        return NDIS_STATUS_RESOURCES;
    }
    sim_block *owner = sim_block_holding(NetBufferList);
    sim_block *b = sim_alloc(
        SIM_NBL_CTX, sizeof(NET_BUFFER_LIST_CONTEXT) + ContextSize + ContextBackFill, PoolTag,
        owner ? owner->owner : SIM_OWNER_NONE, site, 1, "NET_BUFFER_LIST context");
    PNET_BUFFER_LIST_CONTEXT ctx = b->ptr;
    ctx->Size = (USHORT)(ContextSize + ContextBackFill);
    ctx->Offset = ContextBackFill;
    ctx->Next = NetBufferList->Context;
    NetBufferList->Context = ctx;
    return NDIS_STATUS_SUCCESS;
}
SIM_EXPORT(NdisAllocateNetBufferListContext);

static VOID NTAPI sim_NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList,
                                                   USHORT ContextSize)
{
    const void *site = SIM_SITE();
    PNET_BUFFER_LIST_CONTEXT ctx = NetBufferList->Context;
    sim_block *b = ctx ? sim_block_at(ctx) : NULL;
    if (b == NULL || b->kind != SIM_NBL_CTX || !b->live) {
        sim_violation(site, "NdisFreeNetBufferListContext: the list's context was not allocated "
                            "by NdisAllocateNetBufferListContext");
    }
    if ((USHORT)(ctx->Size - ctx->Offset) != ContextSize) {
        sim_violation(site, "NdisFreeNetBufferListContext: size %u; allocated %u", ContextSize,
                      (unsigned)(ctx->Size - ctx->Offset));
    }
    NetBufferList->Context = ctx->Next;
    sim_release(b, site);
}
SIM_EXPORT(NdisFreeNetBufferListContext);

static PVOID NTAPI sim_NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage,
                                         UINT AlignMultiple, UINT AlignOffset)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisGetDataBuffer", DISPATCH_LEVEL);
    if (BytesNeeded == 0 || NetBuffer->DataLength < BytesNeeded) {
        return NULL;
    }
    PMDL mdl = NetBuffer->CurrentMdl;
    if (mdl == NULL) {
        sim_violation(site, "NdisGetDataBuffer: NET_BUFFER %p has no current MDL",
                      (void *)NetBuffer);
    }
    unsigned char *va = mdl_data(site, mdl, "NdisGetDataBuffer");
    unsigned char *start = va + NetBuffer->CurrentMdlOffset;
    int aligned = AlignMultiple <= 1 ||
                  (((ULONG_PTR)start + AlignOffset) & (ULONG_PTR)(AlignMultiple - 1)) == 0;
    if (mdl->ByteCount - NetBuffer->CurrentMdlOffset >= BytesNeeded && aligned) {
        return start;
    }
    if (Storage == NULL) {
        return NULL;
    }
    static unsigned char tmp[65536]; /* one thread */
    size_t n = nb_copy(site, NetBuffer, tmp, sizeof(tmp), "NdisGetDataBuffer");
    if (n < BytesNeeded) {
        return NULL;
    }
    memcpy(Storage, tmp, BytesNeeded);
    return Storage;
}
SIM_EXPORT(NdisGetDataBuffer);

static VOID NTAPI sim_NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta,
                                                    BOOLEAN FreeMdl,
                                                    NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler)
{
    const void *site = SIM_SITE();
    (void)FreeMdl;
    (void)FreeMdlHandler;
    if (DataOffsetDelta > NetBuffer->DataLength) {
        sim_violation(site, "NdisAdvanceNetBufferDataStart by %lu past the %lu bytes of data",
                      (unsigned long)DataOffsetDelta, (unsigned long)NetBuffer->DataLength);
    }
    NetBuffer->DataOffset += DataOffsetDelta;
    NetBuffer->DataLength -= DataOffsetDelta;
    set_current(NetBuffer);
}
SIM_EXPORT(NdisAdvanceNetBufferDataStart);

static NDIS_STATUS NTAPI
sim_NdisRetreatNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, ULONG DataBackFill,
                                  NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler)
{
    (void)DataBackFill;
    (void)AllocateMdlHandler;
    if (DataOffsetDelta > NetBuffer->DataOffset) {
        return NDIS_STATUS_RESOURCES; /* new MDLs in front: not simulated */
    }
    NetBuffer->DataOffset -= DataOffsetDelta;
    NetBuffer->DataLength += DataOffsetDelta;
    set_current(NetBuffer);
    return NDIS_STATUS_SUCCESS;
}
SIM_EXPORT(NdisRetreatNetBufferDataStart);

static VOID NTAPI sim_NdisFreeMdl(PMDL Mdl)
{
    const void *site = SIM_SITE();
    char where[300];
    sim_irql_at_most(site, "NdisFreeMdl", DISPATCH_LEVEL);
    sim_block *b = sim_block_at(Mdl);
    if (b == NULL || b->kind != SIM_MDL || b->extra != (void *)(ULONG_PTR)1) {
        sim_violation(site, "NdisFreeMdl(%p): not an MDL from NdisAllocateMdl", (void *)Mdl);
    }
    if (!b->live) {
        sim_violation(site, "NdisFreeMdl(%p): freed twice; first at %s", (void *)Mdl,
                      sim_where(b->free_site, where, sizeof(where)));
    }
    sim_nbl_check_free(b, site, "NdisFreeMdl");
    sim_release(b, site);
}
SIM_EXPORT(NdisFreeMdl);

/* ---- Receive indications and returns -----------------------------------------------------------
 */

typedef struct held_nbl {
    PNET_BUFFER_LIST nbl;
    struct held_nbl *next;
} held_nbl;

static held_nbl *held_head, **held_tail = &held_head, *free_held;
static size_t held_count;
static int hold_mode;
static unsigned receive_serial;

/* Ranges of memory NDIS reads through the lists it holds. */
typedef struct held_range {
    const unsigned char *start;
    size_t len;
    PNET_BUFFER_LIST nbl;
} held_range;

static held_range ranges[4096];
static size_t range_count;

static void add_range(const void *p, size_t len, PNET_BUFFER_LIST nbl)
{
    if (range_count < sizeof(ranges) / sizeof(ranges[0])) {
        ranges[range_count].start = p;
        ranges[range_count].len = len;
        ranges[range_count].nbl = nbl;
        range_count++;
    }
}

static void drop_ranges(PNET_BUFFER_LIST nbl)
{
    size_t k = 0;
    for (size_t i = 0; i < range_count; i++) {
        if (ranges[i].nbl != nbl) {
            ranges[k++] = ranges[i];
        }
    }
    range_count = k;
}

void sim_nbl_check_free(sim_block *block, const void *site, const char *fn)
{
    const unsigned char *start = block->ptr;
    for (size_t i = 0; i < range_count; i++) {
        if (ranges[i].start < start + block->size && start < ranges[i].start + ranges[i].len) {
            sim_nbl *rec = nbl_record(ranges[i].nbl);
            char where[300];
            sim_violation(site,
                          "%s frees %s %p while NDIS still owns NET_BUFFER_LIST %p that "
                          "uses it (indicated at %s, not returned yet)",
                          fn, block->what, block->ptr, (void *)ranges[i].nbl,
                          rec ? sim_where(rec->indicated, where, sizeof(where)) : "?");
        }
    }
}

static void report_receive(const void *site, PNET_BUFFER_LIST nbl, NDIS_HANDLE handle,
                           unsigned serial, ULONG flags)
{
    static unsigned char frame[65536]; /* one thread */
    static char hex[2 * 2048 + 1];
    NDIS_NET_BUFFER_LIST_8021Q_INFO q;
    q.Value = NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo);
    int nbs = 0;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb), nbs++) {
        /* Quiet (the benchmark's loops): checked, not copied for a line nobody prints. */
        size_t n = nb_copy(site, nb, sim_quiet ? NULL : frame, sizeof(frame),
                           "NdisMIndicateReceiveNetBufferLists");
        for (PMDL mdl = nb->MdlChain; mdl; mdl = mdl->Next) {
            add_range(mdl, sizeof(MDL), nbl);
            add_range(mdl_data(site, mdl, "receive"), mdl->ByteCount, nbl);
        }
        if (sim_quiet) {
            continue;
        }
        sim_hex(frame, n, hex, sizeof(hex));
        sim_event("recv id=%u nb=%d len=%zu priority=%u vlan=%u source=%s resources=%d data=%s",
                  serial, nbs, n, (unsigned)q.TagHeader.UserPriority, (unsigned)q.TagHeader.VlanId,
                  nbl->SourceHandle == handle ? "adapter" : "other",
                  NDIS_TEST_RECEIVE_CANNOT_PEND(flags) ? 1 : 0, hex);
    }
    if (nbs == 0) {
        sim_violation(site,
                      "NdisMIndicateReceiveNetBufferLists: NET_BUFFER_LIST %p has no "
                      "NET_BUFFER",
                      (void *)nbl);
    }
}

static VOID NTAPI sim_NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle,
                                                         PNET_BUFFER_LIST NetBufferList,
                                                         NDIS_PORT_NUMBER PortNumber,
                                                         ULONG NumberOfNetBufferLists,
                                                         ULONG ReceiveFlags)
{
    const void *site = SIM_SITE();
    const char *fn = "NdisMIndicateReceiveNetBufferLists";
    sim_irql_at_most(site, fn, DISPATCH_LEVEL);
    if (!sim_ndis_adapter_handle(MiniportAdapterHandle)) {
        sim_violation(site, "%s: %p is not a live adapter handle", fn, MiniportAdapterHandle);
    }
    /* "Dispatch IRQL tracking": set only when the IRQL is known to be DISPATCH_LEVEL (clear is
     * allowed anywhere: the IRQL may be unknown to the caller). */
    if (NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags) && sim_irql != DISPATCH_LEVEL) {
        sim_violation(site, "%s: NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL is set at IRQL %u", fn,
                      (unsigned)sim_irql);
    }
    if (!sim_ndis_adapter_running()) {
        sim_violation(site,
                      "%s while the adapter is not running (paused, pausing or "
                      "restarting)",
                      fn);
    }
    if (PortNumber != NDIS_DEFAULT_PORT_NUMBER) {
        sim_violation(site, "%s: port %lu was never allocated", fn, (unsigned long)PortNumber);
    }
    ULONG count = 0;
    for (PNET_BUFFER_LIST nbl = NetBufferList; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        sim_block *b = driver_nbl(site, nbl, fn);
        sim_nbl *rec = b->extra;
        if (rec->ndis_owned) {
            sim_violation(site, "%s: NET_BUFFER_LIST %p indicated again before NDIS returned it",
                          fn, (void *)nbl);
        }
        count++;
    }
    if (count != NumberOfNetBufferLists || count == 0) {
        sim_violation(site, "%s: NumberOfNetBufferLists %lu but the chain has %lu", fn,
                      (unsigned long)NumberOfNetBufferLists, (unsigned long)count);
    }
    for (PNET_BUFFER_LIST nbl = NetBufferList; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        sim_nbl *rec = nbl_record(nbl);
        rec->serial = ++receive_serial;
        report_receive(site, nbl, MiniportAdapterHandle, rec->serial, ReceiveFlags);
        if (!NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags)) {
            rec->ndis_owned = 1;
            rec->indicated = site;
            rec->indicated_line = sim_line_number;
        } else {
            drop_ranges(nbl);
        }
    }
    if (NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags)) {
        return; /* the miniport owns them again on return */
    }
    /* NDIS keeps the lists until it returns them (sim_nbl_return_held). */
    PNET_BUFFER_LIST nbl = NetBufferList;
    while (nbl != NULL) {
        PNET_BUFFER_LIST next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        held_nbl *h = free_held != NULL ? free_held : host_malloc(sizeof(*h));
        free_held = h->next;
        h->next = NULL;
        h->nbl = nbl;
        *held_tail = h;
        held_tail = &h->next;
        held_count++;
        nbl = next;
    }
    /* A protocol may return what it got before its receive handler returns: NDIS then calls
     * MiniportReturnNetBufferLists inside this very call. */
    if (sim_return_sync && !hold_mode) {
        sim_nbl_return_held();
    }
}

SIM_EXPORT(NdisMIndicateReceiveNetBufferLists);

void sim_nbl_hold(int hold)
{
    hold_mode = hold;
}

size_t sim_nbl_held(void)
{
    return held_count;
}

/* NDIS returns every held list, one MiniportReturnNetBufferLists call per list. */
int sim_nbl_return_held(void)
{
    int returned = 0;
    while (held_head != NULL) {
        held_nbl *h = held_head;
        held_head = h->next;
        if (held_head == NULL) {
            held_tail = &held_head;
        }
        held_count--;
        PNET_BUFFER_LIST nbl = h->nbl;
        h->next = free_held;
        free_held = h;
        sim_nbl *rec = nbl_record(nbl);
        if (rec == NULL) {
            sim_violation(NULL, "an indicated NET_BUFFER_LIST %p was freed while NDIS owned it",
                          (void *)nbl);
        }
        rec->ndis_owned = 0;
        drop_ranges(nbl);
        NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
        sim_event("return id=%u", rec->serial);
        sim_frame frame;
        KIRQL irql = sim_return_at_dispatch ? DISPATCH_LEVEL : PASSIVE_LEVEL;
        KIRQL outer = sim_irql;
        sim_enter(&frame, "MiniportReturnNetBufferLists", irql);
        sim_ndis_return(nbl, irql == DISPATCH_LEVEL ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
        sim_leave(&frame);
        sim_irql = outer;
        returned++;
    }
    return returned;
}

/* Between script commands: NDIS returns what it holds unless told to hold it. */
void sim_nbl_idle(void)
{
    if (!hold_mode) {
        sim_nbl_return_held();
    }
}

/* ---- Host sends
 * ---------------------------------------------------------------------------------- */

typedef struct sent_nbl {
    unsigned id;
    PNET_BUFFER_LIST nbl;
    sim_block *block;    /* NBL, NET_BUFFERs and MDLs */
    sim_block *data[16]; /* one buffer per frame */
    size_t frames;
    ULONG offsets[16]; /* DataOffset / DataLength as sent, to check they come back */
    ULONG lengths[16];
    int completed;
    const void *complete_site;
    int complete_line;
    struct sent_nbl *next;
} sent_nbl;

static sent_nbl *sent;
static sent_nbl *free_sent; /* set history off: records of completed lists, for reuse */
static unsigned send_serial;
static sim_block *protocol_handle; /* SourceHandle of the host's lists */

static sent_nbl *sent_record(PNET_BUFFER_LIST nbl)
{
    for (sent_nbl *s = sent; s; s = s->next) {
        if (s->nbl == nbl) {
            return s;
        }
    }
    return NULL;
}

size_t sim_nbl_sends_outstanding(void)
{
    size_t n = 0;
    for (sent_nbl *s = sent; s; s = s->next) {
        n += !s->completed;
    }
    return n;
}

/* A list of `count` frames (NET_BUFFERs) as a protocol driver builds it. */
static sent_nbl *build_send(const unsigned char *const *frames, const ULONG *lengths, size_t count,
                            const sim_send_options *o)
{
    sent_nbl *s = free_sent;
    if (s != NULL) {
        free_sent = s->next;
        memset(s, 0, sizeof(*s));
    } else {
        s = host_malloc(sizeof(*s));
    }
    ULONG split = o->split;
    size_t mdls = 0;
    for (size_t i = 0; i < count; i++) {
        ULONG total = o->offset + lengths[i];
        mdls += split ? (total + split - 1) / split : 1;
    }
    size_t size = ALIGN16(sizeof(NET_BUFFER_LIST)) + count * ALIGN16(sizeof(NET_BUFFER)) +
                  mdls * ALIGN16(sizeof(MDL) + 2 * sizeof(PFN_NUMBER));
    char id[12], index[12];
    s->id = ++send_serial;
    s->block = sim_alloc(SIM_OBJECT, size, 0, SIM_OWNER_NONE, NULL, 1, "sent NET_BUFFER_LIST");
    sim_concat(s->block->what, sizeof(s->block->what), "sent NET_BUFFER_LIST ",
               sim_decimal(s->id, id), (char *)NULL);
    unsigned char *p = s->block->ptr;
    PNET_BUFFER_LIST nbl = (PNET_BUFFER_LIST)p;
    p += ALIGN16(sizeof(NET_BUFFER_LIST));
    if (protocol_handle == NULL) {
        protocol_handle =
            sim_alloc(SIM_OBJECT, 16, 0, SIM_OWNER_NONE, NULL, 1, "protocol binding handle");
    }
    nbl->SourceHandle = protocol_handle->ptr;
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, (ULONG_PTR)s->id);
    if (o->vlan >= 0) {
        NDIS_NET_BUFFER_LIST_8021Q_INFO q;
        q.Value = NULL;
        q.TagHeader.VlanId = (UINT32)o->vlan;
        q.TagHeader.UserPriority = (UINT32)o->priority;
        NET_BUFFER_LIST_INFO(nbl, Ieee8021QNetBufferListInfo) = q.Value;
    }
    PNET_BUFFER *link = &nbl->FirstNetBuffer;
    for (size_t i = 0; i < count; i++) {
        PNET_BUFFER nb = (PNET_BUFFER)p;
        p += ALIGN16(sizeof(NET_BUFFER));
        ULONG total = o->offset + lengths[i];
        /* Every byte written below when the data starts the buffer. */
        s->data[i] = sim_alloc(SIM_OBJECT, total ? total : 1, 0, SIM_OWNER_NONE, NULL,
                               o->offset == 0 && total != 0 ? SIM_FILL_NONE : SIM_FILL_PATTERN,
                               "sent frame");
        sim_concat(s->data[i]->what, sizeof(s->data[i]->what), "sent frame ", id, ".",
                   sim_decimal((unsigned long)i, index), (char *)NULL);
        unsigned char *buf = s->data[i]->ptr;
        memcpy(buf + o->offset, frames[i], lengths[i]);
        PMDL *mdl_link = &nb->MdlChain;
        for (ULONG at = 0; at < total || at == 0;) {
            ULONG piece = split ? (total - at < split ? total - at : split) : total;
            PMDL mdl = (PMDL)p;
            p += ALIGN16(sizeof(MDL) + 2 * sizeof(PFN_NUMBER));
            MmInitializeMdl(mdl, buf + at, piece);
            if (o->unmapped) {
                mdl->MdlFlags = MDL_PAGES_LOCKED;
            } else {
                mdl->MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
                mdl->MappedSystemVa = buf + at;
            }
            *mdl_link = mdl;
            mdl_link = &mdl->Next;
            at += piece;
            if (piece == 0) {
                break;
            }
        }
        nb->DataOffset = o->offset;
        nb->DataLength = lengths[i];
        set_current(nb);
        s->offsets[i] = nb->DataOffset;
        s->lengths[i] = nb->DataLength;
        *link = nb;
        link = &nb->Next;
    }
    s->frames = count;
    s->nbl = nbl;
    s->next = sent;
    sent = s;
    return s;
}

static void send_once(const unsigned char *const *frames, const ULONG *lengths, size_t count,
                      const sim_send_options *options)
{
    sent_nbl *first = NULL, *last = NULL;
    sim_frame frame;
    if (options->same_nbl) {
        first = last = build_send(frames, lengths, count, options);
    } else {
        for (size_t i = 0; i < count; i++) {
            sent_nbl *s = build_send(&frames[i], &lengths[i], 1, options);
            if (last) {
                NET_BUFFER_LIST_NEXT_NBL(last->nbl) = s->nbl;
            } else {
                first = s;
            }
            last = s;
        }
    }
    /* The lists just built, newest first (sent holds the newest first). */
    for (sent_nbl *s = sent; s && s->id >= first->id; s = s->next) {
        sim_event("send id=%u frames=%zu", s->id, s->frames);
    }
    KIRQL irql = options->dispatch ? DISPATCH_LEVEL : PASSIVE_LEVEL;
    sim_enter(&frame, "MiniportSendNetBufferLists", irql);
    sim_ndis_send(first->nbl, options->dispatch ? NDIS_SEND_FLAGS_DISPATCH_LEVEL : 0);
    sim_leave(&frame);
}

void sim_nbl_send(const unsigned char *const *frames, const ULONG *lengths, size_t count,
                  const sim_send_options *options)
{
    if (count == 0 || count > 16) {
        sim_script_error("send: 1 to 16 frames");
    }
    for (ULONG i = 0; i < (options->repeat ? options->repeat : 1); i++) {
        if (!sim_ndis_adapter_running()) {
            sim_event("send refused adapter-not-running");
            return;
        }
        send_once(frames, lengths, count, options);
        sim_nbl_idle(); /* NDIS returns indicated lists between sends */
    }
}

/* set history off: a completed list leaves the records (near their head: the newest first),
 * its record is reused. */
static void forget_sent(sent_nbl *s)
{
    for (sent_nbl **p = &sent; *p != NULL; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            s->next = free_sent;
            free_sent = s;
            return;
        }
    }
}

static VOID NTAPI sim_NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                      PNET_BUFFER_LIST NetBufferList,
                                                      ULONG SendCompleteFlags)
{
    const void *site = SIM_SITE();
    const char *fn = "NdisMSendNetBufferListsComplete";
    char where[300];
    sim_irql_at_most(site, fn, DISPATCH_LEVEL);
    if (!sim_ndis_adapter_handle(MiniportAdapterHandle)) {
        sim_violation(site, "%s: %p is not a live adapter handle", fn, MiniportAdapterHandle);
    }
    if ((SendCompleteFlags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL) &&
        sim_irql != DISPATCH_LEVEL) {
        sim_violation(site, "%s: NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL is set at IRQL %u", fn,
                      (unsigned)sim_irql);
    }
    if (NetBufferList == NULL) {
        sim_violation(site, "%s with no NET_BUFFER_LIST", fn);
    }
    /* Check the whole chain before taking any of it back. */
    for (PNET_BUFFER_LIST nbl = NetBufferList; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        sent_nbl *s = sent_record(nbl);
        if (s == NULL) {
            sim_violation(site, "%s: %p is not a NET_BUFFER_LIST sent to the miniport", fn,
                          (void *)nbl);
        }
        if (s->completed) {
            sim_violation(site,
                          "%s: NET_BUFFER_LIST %u completed twice; first at %s (script "
                          "line %d)",
                          fn, s->id, sim_where(s->complete_site, where, sizeof(where)),
                          s->complete_line);
        }
        size_t i = 0;
        for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb), i++) {
            if (i >= s->frames || nb->DataOffset != s->offsets[i] ||
                nb->DataLength != s->lengths[i]) {
                sim_violation(site,
                              "%s: NET_BUFFER_LIST %u comes back with its NET_BUFFERs "
                              "changed",
                              fn, s->id);
            }
        }
        if (NET_BUFFER_LIST_STATUS(nbl) == NDIS_STATUS_PENDING) {
            sim_violation(site, "%s: NET_BUFFER_LIST %u completed with NDIS_STATUS_PENDING", fn,
                          s->id);
        }
    }
    PNET_BUFFER_LIST nbl = NetBufferList;
    while (nbl != NULL) {
        PNET_BUFFER_LIST next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        sent_nbl *s = sent_record(nbl);
        s->completed = 1;
        s->complete_site = site;
        s->complete_line = sim_line_number;
        sim_event("send-complete id=%u status=0x%08lX", s->id,
                  (unsigned long)NET_BUFFER_LIST_STATUS(nbl));
        for (size_t i = 0; i < s->frames; i++) {
            sim_release(s->data[i], site);
        }
        sim_release(s->block, site);
        if (!sim_history) {
            forget_sent(s);
        }
        nbl = next;
    }
}
SIM_EXPORT(NdisMSendNetBufferListsComplete);

/* MiniportCancelSend for the lists the host sent with this cancel id. */
void sim_nbl_cancel_send(ULONG_PTR cancel_id)
{
    sim_frame frame;
    if (!sim_ndis_adapter_exists()) {
        sim_script_error("cancel-send: no adapter");
    }
    sim_enter(&frame, "MiniportCancelSend", DISPATCH_LEVEL);
    sim_ndis_cancel_send((PVOID)cancel_id);
    sim_leave(&frame);
    sim_event("cancel-send id=%llu done", (unsigned long long)cancel_id);
}
