/*
 * ring.h - chunks compressed on a worker pool and written strictly in
 * order: the ring of slots both parallel writers (.paths, snapshots) stand
 * on. The producer fills the current slot, submits it, and goes on with the
 * next; it waits for a compressor only when every slot is in flight, and
 * then emits the oldest first, so the output never depends on the thread
 * count. With one thread there is one slot, compressed on the caller's.
 *
 *   slots   [ s0 | s1 | s2 | s3 ]      n = 2 x threads (1 for one thread)
 *             ^head (oldest in flight)  ^cur = head + inflight (being filled)
 */
#ifndef PS_COMMON_RING_H
#define PS_COMMON_RING_H

#include <stddef.h>
#include <stdint.h>

#include "workers.h"

/* Writes out a slot whose task finished (its owner's checks first): PS_OK
 * or the owner's error, which the ring passes on. */
typedef int (*ring_emit)(void *owner, void *slot);

typedef struct ps_ring {
    ps_workers *pool;
    uint8_t *slots;       /* n slots of size bytes, each starting with its ps_task */
    size_t size;
    unsigned n, head, inflight;
    void *cur;            /* the slot being filled */
    ring_emit emit;
    void *owner;
} ps_ring;

/* n zeroed slots of size bytes (a struct whose first member is a ps_task)
 * and the pool; cur is slot 0. PS_E_NOMEM (ps__ring_free cleans up). */
int ps__ring_init(ps_ring *r, unsigned threads, size_t size, ring_emit emit, void *owner);
static inline void *ps__ring_slot(const ps_ring *r, unsigned i)
{
    return r->slots + (size_t)i * r->size;
}
/* Waits for running tasks, then frees each slot's own parts (free_slot)
 * and the slots. */
void ps__ring_free(ps_ring *r, void (*free_slot)(void *slot));
/* Hands cur to the pool; with every slot in flight, the oldest is waited
 * for and emitted. The next free slot becomes cur. PS_OK or emit's error. */
int ps__ring_submit(ps_ring *r);
/* Every slot in flight, waited for and emitted in order. */
int ps__ring_drain(ps_ring *r);

#endif
