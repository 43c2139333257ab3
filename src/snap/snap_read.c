/*
 * snap_read.c - loading a snapshot into a space, and verifying one, with
 * chunks checked and decoded on a thread pool.
 *
 * The caller's thread submits chunks to a ring of slots, then takes them
 * back in order: while it feeds chunk i to the bulk builder (paths are
 * already sorted: no search per path), the pool decodes the chunks after
 * it. verify runs the whole entry walk in the pool too, and the caller
 * only checks what spans chunks: order across their boundaries and the
 * trailer's totals.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/workers.h"
#include "snap.h"

typedef struct rslot {
    ps_task task; /* first: the task pointer is the slot pointer */
    const ps_snap *s;
    uint64_t chunk;
    int walk; /* verify: check every entry here */
    snap_dctx *dc;
    uint8_t *buf;
    size_t cap;
    const uint8_t *raw;
    snap_cur cur;     /* after a walk: the chunk's last path */
    uint64_t path_bytes;
    int rc;
    ps_diag d;
} rslot;

typedef struct reader {
    const ps_snap *s;
    ps_workers *pool;
    rslot *slots;
    unsigned nslots;
} reader;

static int totals_err(const ps_snap *s, ps_diag *d)
{
    return ps__diag_set(d, PS_E_CORRUPT, NULL, s->len - SNAP_TRAILER + 24,
                       "trailer: path bytes differ from the paths' total");
}

static void decode_task(ps_task *t)
{
    rslot *r = (rslot *)t;
    r->path_bytes = 0;
    r->rc = ps__snap_chunk_load(r->s, r->chunk, r->dc, &r->buf, &r->cap, &r->raw, &r->d);
    if (r->rc || !r->walk)
        return;
    if ((r->rc = ps__snap_cur_start(&r->cur, r->s, r->chunk, r->raw, &r->d)))
        return;
    while ((r->rc = ps__snap_cur_next(&r->cur, &r->d)) == PS_OK)
        if ((r->path_bytes += r->cur.path.len) > r->s->path_bytes) { /* the trailer lies */
            r->rc = totals_err(r->s, &r->d);
            return;
        }
    if (r->rc == PS_E_EMPTY)
        r->rc = PS_OK;
}

static void reader_free(reader *rd)
{
    ps__workers_free(rd->pool);
    for (unsigned i = 0; rd->slots && i < rd->nslots; i++) {
        ps__snap_dctx_free(rd->slots[i].dc);
        free(rd->slots[i].buf);
        ps_buf_free(&rd->slots[i].cur.path);
    }
    free(rd->slots);
}

/* Starts the pool and submits the first chunks. */
static int reader_init(reader *rd, const ps_snap *s, unsigned threads, int walk)
{
    memset(rd, 0, sizeof *rd);
    rd->s = s;
    if (!threads)
        threads = ps__cpu_count();
    if (threads > 256)
        return PS_E_INVAL;
    rd->nslots = threads == 1 ? 1 : 2 * threads; /* one: decoded on this thread */
    if (!(rd->slots = ps_calloc(rd->nslots, sizeof *rd->slots)))
        return PS_E_NOMEM;
    int rc = PS_OK;
    for (unsigned i = 0; i < rd->nslots && !rc; i++) {
        rd->slots[i].task.fn = decode_task;
        rd->slots[i].s = s;
        rd->slots[i].walk = walk;
        rc = ps__snap_dctx_new(&rd->slots[i].dc);
    }
    if (!rc)
        rc = ps__workers_new(threads == 1 ? 0 : threads, &rd->pool);
    for (uint64_t i = 0; !rc && i < rd->nslots && i < s->nchunks; i++) {
        rd->slots[i].chunk = i;
        ps__workers_submit(rd->pool, &rd->slots[i].task);
    }
    return rc;
}

/* Waits for chunk i; its slot is then the caller's until reader_done. */
static rslot *reader_take(reader *rd, uint64_t i, ps_diag *d, int *rc)
{
    rslot *r = &rd->slots[i % rd->nslots];
    ps__workers_wait(rd->pool, &r->task);
    if ((*rc = r->rc) && d)
        *d = r->d;
    return r;
}

/* Hands chunk i's slot to chunk i + nslots. */
static void reader_done(reader *rd, uint64_t i)
{
    uint64_t next = i + rd->nslots;
    if (next < rd->s->nchunks) {
        rslot *r = &rd->slots[i % rd->nslots];
        r->chunk = next;
        ps__workers_submit(rd->pool, &r->task);
    }
}


/* Feeds one decoded chunk to the builder (or inserts into a non-empty
 * space). prev: the previous chunk's last path, to check the seam. */
static int load_chunk(ps_space *sp, ps_builder *b, const ps_snap *s, rslot *r, ps_buf *prev,
                      uint64_t *bytes, ps_diag *d)
{
    snap_cur *c = &r->cur;
    uint64_t i = r->chunk;
    int rc;
    if (i && ps_bytes_cmp(ps_buf_bytes(prev), snap_first(s, i)) >= 0)
        return ps__snap_chunk_err(s, i, d, PS_E_CORRUPT,
                              "first path not after the previous chunk's last");
    if ((rc = ps__snap_cur_start(c, s, i, r->raw, d)))
        return rc;
    while ((rc = ps__snap_cur_next(c, d)) == PS_OK) {
        ps_bytes p = ps_buf_bytes(&c->path);
        if ((*bytes += p.len) > s->path_bytes) /* stop as soon as the trailer is a lie */
            return totals_err(s, d);
        if (b)
            rc = c->has_value ? ps_builder_add_value(b, p, c->value) : ps_builder_add(b, p);
        else
            rc = c->has_value ? ps_space_set_value(sp, p, c->value) : ps_space_insert(sp, p, NULL);
        if (rc)
            return ps__snap_chunk_err(s, i, d, rc, ps_strerror(rc));
    }
    if (rc != PS_E_EMPTY)
        return rc;
    ps_buf_clear(prev, 0);
    return ps_buf_append(prev, ps_buf_data(&c->path), c->path.len);
}

int ps_space_read_snap(ps_space *sp, const ps_snap *s, unsigned threads, ps_diag *d)
{
    reader rd = { 0 };
    ps_builder *b = NULL;
    ps_buf prev = { 0 };
    uint64_t bytes = 0;
    int rc = ps_space_count(sp) ? PS_OK : ps_builder_new(sp, &b);
    if (!rc)
        rc = reader_init(&rd, s, threads, 0);
    for (uint64_t i = 0; !rc && i < s->nchunks; i++) {
        rslot *r = reader_take(&rd, i, d, &rc);
        if (!rc)
            rc = load_chunk(sp, b, s, r, &prev, &bytes, d);
        reader_done(&rd, i);
    }
    if (!rc && bytes != s->path_bytes)
        rc = totals_err(s, d);
    reader_free(&rd);
    ps_builder_free(b);
    ps_buf_free(&prev);
    return rc;
}

int ps_snap_verify(const ps_snap *s, unsigned threads, ps_diag *d)
{
    reader rd = { 0 };
    ps_buf prev = { 0 };
    uint64_t bytes = 0;
    int rc = reader_init(&rd, s, threads, 1);
    for (uint64_t i = 0; !rc && i < s->nchunks; i++) {
        rslot *r = reader_take(&rd, i, d, &rc);
        if (!rc && i && ps_bytes_cmp(ps_buf_bytes(&prev), snap_first(s, i)) >= 0)
            rc = ps__snap_chunk_err(s, i, d, PS_E_CORRUPT,
                                "first path not after the previous chunk's last");
        if (!rc) {
            bytes += r->path_bytes;
            ps_buf_clear(&prev, 0);
            rc = ps_buf_append(&prev, ps_buf_data(&r->cur.path), r->cur.path.len);
        }
        reader_done(&rd, i);
    }
    if (!rc && bytes != s->path_bytes)
        rc = totals_err(s, d);
    reader_free(&rd);
    ps_buf_free(&prev);
    return rc;
}
