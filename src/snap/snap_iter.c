/*
 * snap_iter.c - reading a snapshot without building a space: ordered
 * iteration under a prefix (one chunk decoded at a time) and lookups that
 * decode the one chunk that can hold the path.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "snap.h"

struct ps_snap_iter {
    const ps_snap *s;
    snap_dctx *dc;
    uint8_t *buf;
    size_t cap;
    snap_cur cur;
    uint64_t chunk;  /* the chunk under the cursor */
    ps_buf prefix;
    int started, err;
    uint64_t bytes;  /* path bytes so far: a whole walk checks the trailer's */
};

int ps_snap_iter_new(const ps_snap *s, ps_bytes prefix, ps_snap_iter **out)
{
    ps_snap_iter *it = ps_calloc(1, sizeof *it);
    if (!it)
        return PS_E_NOMEM;
    it->s = s;
    it->chunk = ps__snap_find_chunk(s, prefix);
    int rc = ps__snap_dctx_new(&it->dc);
    if (!rc)
        rc = ps_buf_append(&it->prefix, prefix.ptr, prefix.len);
    if (rc) {
        ps_snap_iter_free(it);
        return rc;
    }
    *out = it;
    return PS_OK;
}

void ps_snap_iter_free(ps_snap_iter *it)
{
    if (!it)
        return;
    ps__snap_dctx_free(it->dc);
    free(it->buf);
    ps_buf_free(&it->cur.path);
    ps_buf_free(&it->prefix);
    free(it);
}

/* Moves the cursor to chunk i, checking that it starts after the last
 * path of the chunk before (the index only orders first paths). */
static int enter(ps_snap_iter *it, uint64_t i, ps_diag *d)
{
    const ps_snap *s = it->s;
    if (it->started && ps_bytes_cmp(ps_buf_bytes(&it->cur.path), snap_first(s, i)) >= 0)
        return ps__snap_chunk_err(s, i, d, PS_E_CORRUPT, "first path not after the previous chunk's last");
    const uint8_t *raw;
    int rc = ps__snap_chunk_load(s, i, it->dc, &it->buf, &it->cap, &raw, d);
    if (rc)
        return rc;
    if ((rc = ps__snap_cur_start(&it->cur, s, i, raw, d)))
        return rc;
    it->chunk = i;
    it->started = 1;
    return PS_OK;
}

/* The next path of the snapshot, whatever the prefix. */
static int step(ps_snap_iter *it, ps_diag *d)
{
    const ps_snap *s = it->s;
    for (;;) {
        int rc = it->started ? ps__snap_cur_next(&it->cur, d) : PS_E_EMPTY;
        if (rc == PS_OK && (it->bytes += it->cur.path.len) > s->path_bytes && !it->prefix.len)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, s->len - SNAP_TRAILER + 32,
                                "trailer: path bytes differ from the paths' total");
        if (rc != PS_E_EMPTY)
            return rc;
        uint64_t next = it->started ? it->chunk + 1 : it->chunk;
        if (next >= s->nchunks) {
            if (!it->prefix.len && it->bytes != s->path_bytes) /* walked it all */
                return ps__diag_set(d, PS_E_CORRUPT, NULL, s->len - SNAP_TRAILER + 32,
                                    "trailer: path bytes differ from the paths' total");
            return PS_E_EMPTY;
        }
        if ((rc = enter(it, next, d)))
            return rc;
    }
}

int ps_snap_iter_next(ps_snap_iter *it, ps_bytes *path, int *has_value, uint64_t *value,
                      ps_diag *d)
{
    if (it->err)
        return it->err == PS_E_EMPTY ? PS_E_EMPTY
                                     : ps__diag_set(d, it->err, NULL, 0, "iterator stopped by an earlier error");
    ps_bytes pre = ps_buf_bytes(&it->prefix);
    for (;;) {
        int rc = step(it, d);
        if (rc)
            return it->err = rc;
        ps_bytes p = ps_buf_bytes(&it->cur.path);
        if (p.len >= pre.len && (!pre.len || !memcmp(p.ptr, pre.ptr, pre.len))) {
            *path = p;
            if (has_value)
                *has_value = it->cur.has_value;
            if (value)
                *value = it->cur.value;
            return PS_OK;
        }
        if (ps_bytes_cmp(p, pre) > 0)
            return it->err = PS_E_EMPTY; /* past every path with the prefix */
    }
}

int ps_snap_get(ps_snap *s, ps_bytes key, int *has_value, uint64_t *value, ps_diag *d)
{
    if (!s->nchunks || ps_bytes_cmp(key, snap_first(s, 0)) < 0)
        return PS_E_NOTFOUND;
    uint64_t i = ps__snap_find_chunk(s, key);
    int rc;
    if (!s->get && !(s->get = ps_calloc(1, sizeof *s->get)))
        return PS_E_NOMEM;
    if (!s->dctx && (rc = ps__snap_dctx_new(&s->dctx)))
        return rc;
    if (s->cache_chunk != i) {
        s->cache_chunk = UINT64_MAX;
        if ((rc = ps__snap_chunk_load(s, i, s->dctx, &s->cache, &s->cache_cap, &s->cache_raw, d)))
            return rc;
        s->cache_chunk = i;
    }
    snap_cur *c = s->get;
    if ((rc = ps__snap_cur_start(c, s, i, s->cache_raw, d)) || (rc = ps__snap_cur_seek(c, key, d)))
        return rc;
    while ((rc = ps__snap_cur_next(c, d)) == PS_OK) {
        int cmp = ps_bytes_cmp(ps_buf_bytes(&c->path), key);
        if (cmp < 0)
            continue;
        if (cmp > 0)
            return PS_E_NOTFOUND;
        if (has_value)
            *has_value = c->has_value;
        if (value)
            *value = c->value;
        return PS_OK;
    }
    return rc == PS_E_EMPTY ? PS_E_NOTFOUND : rc;
}
