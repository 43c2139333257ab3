/* ring.c - the writers' ring of compression slots (ring.h). */
#include <stdlib.h>

#include "alloc.h"
#include "pathspace.h"
#include "ring.h"

int ps__ring_init(ps_ring *r, unsigned threads, size_t size, ring_emit emit, void *owner)
{
    r->n = threads == 1 ? 1 : 2 * threads;
    r->size = size;
    r->emit = emit;
    r->owner = owner;
    r->head = r->inflight = 0;
    r->pool = NULL;
    if (!(r->slots = ps_calloc(r->n, size)))
        return PS_E_NOMEM;
    r->cur = r->slots;
    return ps__workers_new(threads == 1 ? 0 : threads, &r->pool);
}

void ps__ring_free(ps_ring *r, void (*free_slot)(void *slot))
{
    ps__workers_free(r->pool); /* waits for tasks still running */
    for (unsigned i = 0; r->slots && i < r->n; i++)
        free_slot(ps__ring_slot(r, i));
    free(r->slots);
    r->slots = NULL;
}

/* Waits for the oldest slot in flight and emits it. */
static int drain_one(ps_ring *r)
{
    void *s = ps__ring_slot(r, r->head);
    ps__workers_wait(r->pool, (ps_task *)s);
    r->head = (r->head + 1) % r->n;
    r->inflight--;
    return r->emit(r->owner, s);
}

int ps__ring_submit(ps_ring *r)
{
    ps__workers_submit(r->pool, (ps_task *)r->cur);
    r->inflight++;
    int rc = r->inflight == r->n ? drain_one(r) : PS_OK;
    r->cur = ps__ring_slot(r, (r->head + r->inflight) % r->n);
    return rc;
}

int ps__ring_drain(ps_ring *r)
{
    int rc = PS_OK;
    while (r->inflight && !rc)
        rc = drain_one(r);
    return rc;
}
