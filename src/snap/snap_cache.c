/*
 * snap_cache.c - decoded chunks shared by every reader of one snapshot
 * handle. A query on a snapshot in place reads a chunk as its paths laid
 * out whole, with an offset table for random access; decoding one (the
 * codec, then the front coding) costs a few milliseconds, so a selective
 * query that decoded its chunk afresh each time answered 300 times a
 * second where an ACT in place answers 30,000. Decoded once and kept here,
 * a chunk serves every later query and search thread of the handle.
 *
 * An entry is immutable once made and counted: a reader pins the entries
 * it uses and unpins them when done, so eviction (least recently used,
 * past the byte budget) never frees one in use. The lock is taken on a
 * pin and an unpin only, never while a chunk decodes, so threads decode
 * different chunks at once; two that decode the same chunk keep the first.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "snap.h"

struct snap_cache {
    pthread_mutex_t mu;
    snap_dec **of;   /* per chunk: its entry, or NULL */
    uint64_t budget; /* bytes of entries kept unpinned (PS_SNAP_CACHE_DEFAULT) */
    uint64_t bytes;  /* of every entry, offsets and all                  */
    uint64_t paths;  /* of their paths: an honest file's stay within its
                      * trailer's total, which open checked against the
                      * decoding budget                                   */
    uint64_t tick;
};

static void dec_free(snap_dec *e)
{
    if (!e)
        return;
    free(e->off);
    free(e->data);
    free(e);
}

static uint64_t dec_bytes(const snap_dec *e)
{
    return e->len + ((uint64_t)e->count + 1) * sizeof *e->off + sizeof *e;
}

/* The cache of s, made on first use. */
static snap_cache *cache_of(const ps_snap *cs)
{
    ps_snap *s = (ps_snap *)cs; /* logically const: the cache is not the snapshot */
    pthread_mutex_lock(&s->cache_mu);
    if (!s->dec) {
        snap_cache *c = ps_calloc(1, sizeof *c);
        if (c && !(c->of = ps_calloc((size_t)s->nchunks + 1, sizeof *c->of))) {
            free(c);
            c = NULL;
        }
        if (c) {
            pthread_mutex_init(&c->mu, NULL);
            c->budget = s->dec_budget;
            s->dec = c;
        }
    }
    pthread_mutex_unlock(&s->cache_mu);
    return s->dec;
}

/* Decodes chunk i whole, checking it as an iterator would: its count
 * against the index, its order, and that it ends before the next chunk's
 * first path. held: bytes the caller's other chunks hold (the trailer's
 * total bounds all of them together: an honest file cannot pass it). */
static int decode(const ps_snap *s, uint64_t i, snap_reader *r, uint64_t held, snap_dec **out,
                  ps_diag *d)
{
    const uint8_t *raw;
    uint32_t n = s->chunks[i].count;
    snap_dec *e = ps_calloc(1, sizeof *e);
    ps_buf data = { 0 };
    int rc = e && (e->off = ps_malloc(((size_t)n + 1) * sizeof *e->off)) ? PS_OK : PS_E_NOMEM;
    if (!rc && !r->dc)
        rc = ps__snap_dctx_new(&r->dc);
    if (rc) {
        dec_free(e);
        return ps__diag_set(d, rc, NULL, 0, "out of memory decoding a chunk");
    }
    rc = ps__snap_chunk_load(s, i, r->dc, &r->buf, &r->cap, &raw, d);
    if (!rc)
        rc = ps__snap_cur_start(&r->cur, s, i, raw, d);
    uint32_t k = 0;
    while (!rc && (rc = ps__snap_cur_next(&r->cur, d)) == PS_OK) {
        ps_bytes p = ps_buf_bytes(&r->cur.path);
        if (k == n) {
            rc = ps__snap_chunk_err(s, i, d, PS_E_CORRUPT, "holds more paths than its index "
                                    "entry says");
            break;
        }
        e->off[k++] = (uint32_t)data.len;
        if (ps_buf_append(&data, p.ptr, p.len))
            rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory decoding a chunk");
        else if (held + data.len > s->path_bytes)
            rc = ps__snap_chunk_err(s, i, d, PS_E_CORRUPT, "paths pass the trailer's total");
        else if (data.len > UINT32_MAX) /* the offsets are u32 */
            rc = ps__snap_chunk_err(s, i, d, PS_E_LIMIT, "paths pass 4 GiB in one chunk");
    }
    if (rc == PS_E_EMPTY)
        rc = k != n ? ps__snap_chunk_err(s, i, d, PS_E_CORRUPT, "holds another number of paths "
                                         "than its index entry says")
             : i + 1 < s->nchunks &&
                     ps_bytes_cmp(ps_buf_bytes(&r->cur.path), snap_first(s, i + 1)) >= 0
                 ? ps__snap_chunk_err(s, i + 1, d, PS_E_CORRUPT,
                                      "first path not after the previous chunk's last")
                 : PS_OK;
    if (rc) {
        ps_buf_free(&data);
        dec_free(e);
        return rc;
    }
    e->off[n] = (uint32_t)data.len;
    e->chunk = i;
    e->count = n;
    e->len = data.len;
    size_t dlen;
    e->data = ps_buf_detach(&data, &dlen);
    if (!e->data && !(e->data = ps_malloc(1))) { /* only empty paths: still an address */
        dec_free(e);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory decoding a chunk");
    }
    *out = e;
    return PS_OK;
}

/* Drops unpinned entries, least recently used first, while the cache
 * holds more than its budget. Under the lock. */
static void evict(const ps_snap *s, snap_cache *c)
{
    while (c->bytes > c->budget) {
        snap_dec *lru = NULL;
        for (uint64_t i = 0; i < s->nchunks; i++) {
            snap_dec *e = c->of[i];
            if (e && !e->refs && (!lru || e->used < lru->used))
                lru = e;
        }
        if (!lru)
            return; /* everything is pinned: readers hold what they use */
        c->of[lru->chunk] = NULL;
        c->bytes -= dec_bytes(lru);
        c->paths -= lru->len;
        dec_free(lru);
    }
}

int ps__snap_dec_pin(const ps_snap *s, uint64_t i, snap_reader *r, const snap_dec **out,
                     ps_diag *d)
{
    snap_cache *c = cache_of(s);
    if (!c)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    pthread_mutex_lock(&c->mu);
    snap_dec *e = c->of[i];
    uint64_t held = c->paths;
    if (e) {
        e->refs++;
        e->used = ++c->tick;
    }
    pthread_mutex_unlock(&c->mu);
    if (e) {
        *out = e;
        return PS_OK;
    }
    r->decoded++;
    int rc = decode(s, i, r, held, &e, d);
    if (rc)
        return rc;
    pthread_mutex_lock(&c->mu);
    if (c->of[i]) { /* another thread decoded it meanwhile: theirs stays */
        dec_free(e);
        e = c->of[i];
    } else {
        c->of[i] = e;
        c->bytes += dec_bytes(e);
        c->paths += e->len;
    }
    e->refs++;
    e->used = ++c->tick;
    evict(s, c);
    pthread_mutex_unlock(&c->mu);
    *out = e;
    return PS_OK;
}

void ps__snap_dec_unpin(const ps_snap *s, const snap_dec *ce)
{
    snap_cache *c = s->dec;
    snap_dec *e = (snap_dec *)ce;
    if (!e)
        return;
    pthread_mutex_lock(&c->mu);
    e->refs--;
    evict(s, c);
    pthread_mutex_unlock(&c->mu);
}

void ps__snap_reader_free(snap_reader *r)
{
    ps__snap_dctx_free(r->dc);
    free(r->buf);
    ps_buf_free(&r->cur.path);
    memset(r, 0, sizeof *r);
}

void ps__snap_cache_free(ps_snap *s)
{
    snap_cache *c = s->dec;
    if (!c)
        return;
    for (uint64_t i = 0; i < s->nchunks; i++)
        dec_free(c->of[i]);
    free(c->of);
    pthread_mutex_destroy(&c->mu);
    free(c);
    s->dec = NULL;
}

void ps_snap_set_cache(ps_snap *s, uint64_t bytes)
{
    pthread_mutex_lock(&s->cache_mu);
    s->dec_budget = bytes;
    if (s->dec) {
        pthread_mutex_lock(&s->dec->mu);
        s->dec->budget = bytes;
        evict(s, s->dec);
        pthread_mutex_unlock(&s->dec->mu);
    }
    pthread_mutex_unlock(&s->cache_mu);
}
