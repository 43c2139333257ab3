/*
 * snap_chunk.c - one chunk: checksum, decode, and a cursor over its
 * front-coded entries that checks every one of them.
 *
 * An entry is  varint a | varint n | n suffix bytes | [varint value]
 * where a is the length shared with the previous path, doubled plus a
 * has-value bit in chunks flagged CF_VALUES. The cursor insists on the
 * canonical form, which also makes the order strict: a chunk's first
 * entry equals the index's first path; a restart entry shares nothing,
 * sits where the restart table says, and compares greater than the path
 * before it; every other entry shares at most the whole previous path and
 * its first new byte is greater than the previous path's byte there (or
 * it extends the previous path). So a path is never longer than the
 * chunk's raw bytes, and a full walk checks every restart offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "snap.h"

int ps__snap_chunk_err(const ps_snap *s, uint64_t i, ps_diag *d, int code, const char *why)
{
    return ps__diag_set(d, code, NULL, s->chunks[i].off, "chunk %llu (file offset %llu): %s",
                       (unsigned long long)i, (unsigned long long)s->chunks[i].off, why);
}

int ps__snap_chunk_load(const ps_snap *s, uint64_t i, snap_dctx *dc, uint8_t **buf, size_t *cap,
                    const uint8_t **raw, ps_diag *d)
{
    const snap_chunk *k = &s->chunks[i];
    const uint8_t *src = s->data + k->off;
    int rc;
    if (s->remote && (rc = ps__snap_page_in(s, i, d)))
        return rc;
    uint8_t sum[SNAP_CSUM];
    ps__snap_checksum(s->ck, src, k->stored, sum);
    if (!SNAP_CSUM_EQ(sum, k->csum))
        return ps__snap_chunk_err(s, i, d, PS_E_CHECKSUM, "checksum mismatch");
    if (s->fc == FC_NONE || (k->flags & CF_STORED)) {
        *raw = src; /* zero-copy */
        return PS_OK;
    }
    if (*cap < k->raw) { /* raw <= what `stored` bytes can decode to: checked at open */
        uint8_t *p = ps_malloc(k->raw);
        if (!p)
            return ps__snap_chunk_err(s, i, d, PS_E_NOMEM, "out of memory");
        free(*buf);
        *buf = p;
        *cap = k->raw;
    }
    rc = ps__snap_decompress(dc, s->fc, src, k->stored, *buf, k->raw);
    if (rc == PS_E_NOMEM)
        return ps__snap_chunk_err(s, i, d, rc, "out of memory");
    if (rc)
        return ps__snap_chunk_err(s, i, d, rc, rc == PS_E_CHECKSUM
                                               ? "compressed stream fails its own checksum"
                                               : "compressed data do not decode to the raw size");
    *raw = *buf;
    return PS_OK;
}

int ps__snap_cur_start(snap_cur *c, const ps_snap *s, uint64_t i, const uint8_t *raw, ps_diag *d)
{
    const snap_chunk *k = &s->chunks[i];
    uint64_t nr = ((uint64_t)k->count + (uint64_t)s->restart - 1) / (uint64_t)s->restart;
    c->s = s;
    c->chunk = i;
    c->base = c->p = raw;
    c->count = k->count;
    c->nr = (uint32_t)nr;
    c->idx = 0;
    c->values = (k->flags & CF_VALUES) != 0;
    c->fresh = 1;
    c->path.len = 0;
    c->has_value = 0;
    c->value = 0;
    if (4 * nr + 2 * (uint64_t)k->count > k->raw) {
        c->end = c->restarts = raw;
        c->count = 0;
        return ps__snap_chunk_err(s, i, d, PS_E_CORRUPT, "restart table does not fit the chunk");
    }
    c->end = c->restarts = raw + k->raw - 4 * nr;
    return PS_OK;
}

static int entry_err(const snap_cur *c, ps_diag *d, const char *why)
{
    char m[160];
    snprintf(m, sizeof m, "entry %u: %s", c->idx, why);
    return ps__snap_chunk_err(c->s, c->chunk, d, PS_E_CORRUPT, m);
}

/* The canonical-order rules for one entry sharing a bytes, suffix suf[n]. */
static const char *order_err(const snap_cur *c, uint64_t a, const uint8_t *suf, uint64_t n)
{
    size_t plen = c->path.len;
    const uint8_t *prev = ps_buf_data(&c->path);
    if (c->idx % (uint32_t)c->s->restart == 0) {
        if (a)
            return "a restart entry shares a prefix";
        if ((size_t)(c->p - c->base) != ps_read_le32(c->restarts + 4 * (c->idx / c->s->restart)))
            return "restart offset does not point at its entry";
        if (!c->fresh && ps_bytes_cmp(ps_bytes_of(suf, (size_t)n), ps_buf_bytes(&c->path)) <= 0)
            return "path not after the previous one";
        return NULL;
    }
    if (a > plen)
        return "shares more than the previous path";
    if (!n || (a < plen && suf[0] <= prev[a]))
        return "path not after the previous one";
    return NULL;
}

int ps__snap_cur_next(snap_cur *c, ps_diag *d)
{
    if (c->idx == c->count) {
        if (c->p != c->end)
            return entry_err(c, d, "bytes after the last entry");
        return PS_E_EMPTY;
    }
    uint64_t a, n, v = 0;
    size_t avail = (size_t)(c->end - c->p);
    unsigned k = snap_varint_get(c->p, avail, &a), k2;
    if (!k || !(k2 = snap_varint_get(c->p + k, avail - k, &n)))
        return entry_err(c, d, "bad or cut varint");
    int hv = c->values ? (int)(a & 1) : 0;
    if (c->values)
        a >>= 1;
    const uint8_t *suf = c->p + k + k2;
    if (n > (size_t)(c->end - suf))
        return entry_err(c, d, "suffix runs past the chunk");
    const char *why = order_err(c, a, suf, n);
    if (why)
        return entry_err(c, d, why);
    if (a + n > c->s->max_atom) {
        char m[160];
        snprintf(m, sizeof m, "entry %u: a path of %llu bytes, over the atom limit of %llu "
                 "(raise it with --max-atom)", c->idx, (unsigned long long)(a + n),
                 (unsigned long long)c->s->max_atom);
        return ps__snap_chunk_err(c->s, c->chunk, d, PS_E_LIMIT, m);
    }
    c->path.len = (size_t)a;
    int rc = ps_buf_append(&c->path, suf, (size_t)n);
    if (rc)
        return ps__snap_chunk_err(c->s, c->chunk, d, rc, "out of memory");
    c->p = suf + n;
    if (hv) {
        if (!(k = snap_varint_get(c->p, (size_t)(c->end - c->p), &v)))
            return entry_err(c, d, "bad or cut value");
        c->p += k;
    }
    if (c->idx == 0 && ps_bytes_cmp(ps_buf_bytes(&c->path), snap_first(c->s, c->chunk)))
        return entry_err(c, d, "first path differs from the index");
    c->fresh = 0;
    c->has_value = hv;
    c->value = v;
    c->idx++;
    return PS_OK;
}

/* The full path stored at restart r (it shares nothing), bounds-checked. */
static int restart_path(const snap_cur *c, uint32_t r, ps_bytes *out)
{
    uint32_t off = ps_read_le32(c->restarts + 4 * (size_t)r);
    size_t avail = (size_t)(c->end - c->base);
    uint64_t a, n;
    unsigned k, k2;
    if (off >= avail || !(k = snap_varint_get(c->base + off, avail - off, &a)) ||
        !(k2 = snap_varint_get(c->base + off + k, avail - off - k, &n)) || (a >> c->values) ||
        n > avail - off - k - k2)
        return PS_E_CORRUPT;
    *out = ps_bytes_of(c->base + off + k + k2, (size_t)n);
    return PS_OK;
}

int ps__snap_cur_seek(snap_cur *c, ps_bytes key, ps_diag *d)
{
    uint32_t lo = 0, hi = c->nr; /* restart 0 is the chunk's first path, <= key */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        ps_bytes p;
        if (restart_path(c, mid, &p))
            return ps__snap_chunk_err(c->s, c->chunk, d, PS_E_CORRUPT, "bad restart entry");
        if (ps_bytes_cmp(p, key) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    if (lo) {
        c->p = c->base + ps_read_le32(c->restarts + 4 * (size_t)lo);
        c->idx = lo * (uint32_t)c->s->restart;
        c->fresh = 1;
    }
    return PS_OK;
}

uint64_t ps__snap_find_chunk(const ps_snap *s, ps_bytes key)
{
    uint64_t lo = 0, hi = s->nchunks; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ps_bytes_cmp(snap_first(s, mid), key) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
