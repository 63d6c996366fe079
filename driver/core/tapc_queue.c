/*
 * tapc_queue.c - byte ring of length-prefixed frames.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_queue.h"

/* Offsets stay below cap: additions are of values <= cap, reduced by one subtraction. */
static size_t ring_pos(const tapc_queue *q, size_t base, size_t add)
{
    size_t room = q->cap - base;
    return add >= room ? add - room : base + add;
}

static void ring_write(tapc_queue *q, size_t pos, const uint8_t *src, size_t n)
{
    size_t first = q->cap - pos;
    if (first > n)
        first = n;
    tapc_memcpy(q->ring + pos, src, first);
    if (n > first)
        tapc_memcpy(q->ring, src + first, n - first);
}

static void ring_read(const tapc_queue *q, size_t pos, uint8_t *dst, size_t n)
{
    size_t first = q->cap - pos;
    if (first > n)
        first = n;
    tapc_memcpy(dst, q->ring + pos, first);
    if (n > first)
        tapc_memcpy(dst + first, q->ring, n - first);
}

bool tapc_queue_init(tapc_queue *q, uint8_t *ring, size_t cap, size_t min_frame)
{
    tapc_memset(q, 0, sizeof *q);
    /* At most 1 GiB: every length then fits the 4-byte entry header. */
    if (ring == NULL || cap > TAPC_QUEUE_MAX_RING || min_frame > TAPC_QUEUE_MAX_RING ||
        cap < min_frame + TAPC_QUEUE_ENTRY_OVERHEAD)
        return false;
    q->ring = ring;
    q->cap = cap;
    return true;
}

void tapc_queue_clear(tapc_queue *q)
{
    q->head = 0;
    q->used = 0;
    q->frames = 0;
    q->bytes = 0;
}

size_t tapc_queue_front_len(const tapc_queue *q)
{
    uint8_t h[TAPC_QUEUE_ENTRY_OVERHEAD];

    if (q->frames == 0)
        return 0;
    ring_read(q, q->head, h, sizeof h);
    return (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
}

static void drop_front(tapc_queue *q)
{
    size_t len = tapc_queue_front_len(q);

    q->head = ring_pos(q, q->head, TAPC_QUEUE_ENTRY_OVERHEAD + len);
    q->used -= TAPC_QUEUE_ENTRY_OVERHEAD + len;
    q->bytes -= len;
    q->frames--;
    if (q->frames == 0)
        q->head = 0;
}

bool tapc_queue_push(tapc_queue *q, const tapc_piece *pieces, size_t npieces)
{
    size_t len = 0;
    size_t i;
    size_t pos;
    uint8_t h[TAPC_QUEUE_ENTRY_OVERHEAD];

    for (i = 0; i < npieces; i++) {
        if (pieces[i].len > q->cap - len)
            return false; /* larger than the ring: also keeps len + header overflow-free */
        len += pieces[i].len;
    }
    if (len > q->cap - TAPC_QUEUE_ENTRY_OVERHEAD)
        return false;
    while (q->cap - q->used < TAPC_QUEUE_ENTRY_OVERHEAD + len) {
        q->dropped++;
        q->dropped_bytes += tapc_queue_front_len(q);
        drop_front(q);
    }
    h[0] = (uint8_t)len;
    h[1] = (uint8_t)(len >> 8);
    h[2] = (uint8_t)(len >> 16);
    h[3] = (uint8_t)(len >> 24);
    pos = ring_pos(q, q->head, q->used);
    ring_write(q, pos, h, sizeof h);
    pos = ring_pos(q, pos, sizeof h);
    for (i = 0; i < npieces; i++) {
        if (pieces[i].len == 0)
            continue;
        ring_write(q, pos, pieces[i].p, pieces[i].len);
        pos = ring_pos(q, pos, pieces[i].len);
    }
    q->used += TAPC_QUEUE_ENTRY_OVERHEAD + len;
    q->bytes += len;
    q->frames++;
    return true;
}

bool tapc_queue_pop(tapc_queue *q, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = tapc_queue_front_len(q);

    if (q->frames == 0 || out == NULL || cap < n)
        return false;
    ring_read(q, ring_pos(q, q->head, TAPC_QUEUE_ENTRY_OVERHEAD), out, n);
    *len = n;
    drop_front(q);
    return true;
}
