/*
 * tapc_queue.h - the queue of frames toward user space, over a caller-provided byte ring.
 *
 * Each entry is a 4-byte length followed by the frame; entries wrap around the end of the
 * ring. The queue never allocates: the driver hands in pool memory, the tests host memory.
 * When a new frame does not fit, the oldest frames are dropped (and counted) until it does.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_QUEUE_H
#define TAPC_QUEUE_H

#include "tapc_base.h"

#define TAPC_QUEUE_ENTRY_OVERHEAD 4u
#define TAPC_QUEUE_MAX_RING       ((size_t)1 << 30)

typedef struct tapc_queue {
    uint8_t *ring;
    size_t cap;       /* ring bytes */
    size_t head;      /* offset of the oldest entry */
    size_t used;      /* ring bytes in use, headers included */
    size_t frames;    /* entries queued */
    size_t bytes;     /* frame bytes queued, headers excluded */
    uint64_t dropped; /* frames dropped to make room */
    uint64_t dropped_bytes;
} tapc_queue;

/* A piece of a frame: push concatenates pieces (e.g. MACs, an inserted tag, the rest). */
typedef struct tapc_piece {
    const uint8_t *p;
    size_t len;
} tapc_piece;

/* False when ring is NULL, cap exceeds TAPC_QUEUE_MAX_RING or is below
 * min_frame + TAPC_QUEUE_ENTRY_OVERHEAD. */
bool tapc_queue_init(tapc_queue *q, uint8_t *ring, size_t cap, size_t min_frame);
void tapc_queue_clear(tapc_queue *q);
/* Append one frame made of the pieces; false (nothing changed) when it could never fit. */
bool tapc_queue_push(tapc_queue *q, const tapc_piece *pieces, size_t npieces);
/* Length of the oldest frame, 0 when empty. */
size_t tapc_queue_front_len(const tapc_queue *q);
/* Copy out and remove the oldest frame; false (frame kept) when empty or cap too small. */
bool tapc_queue_pop(tapc_queue *q, uint8_t *out, size_t cap, size_t *len);

#endif /* TAPC_QUEUE_H */
