/*
 * act_read.c - ACT files queried in place: open, get, iterate, count.
 *
 * Nothing is decoded up front. Every record is parsed on demand by
 * ps__act_parse(), which bounds every read by the arena and insists that each
 * reference points strictly backwards: a child record lies wholly before
 * its parent, line data wholly before its line node. Offsets therefore
 * fall at every step down, so no file, however hostile, can make a walk
 * loop, and no read leaves the mapping (we never rely on the 8 bytes of
 * padding MORK's reader over-reads into).
 */
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "act_read.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "common/limits.h"
#include "common/mapfile.h"

static int bad(ps_diag *d, uint64_t off, const char *why)
{
    return ps__diag_set(d, PS_E_CORRUPT, NULL, off, "%s at offset %llu", why,
                       (unsigned long long)off);
}

/* A backwards distance from `at` into [ACT_HDR, at). */
static int act_back(uint64_t at, uint64_t dist, uint64_t *to)
{
    if (dist == 0 || dist > at - ACT_HDR)
        return 0;
    *to = at - dist;
    return 1;
}

static int branch_kids(const uint8_t *p, uint64_t avail, act_rec *r, uint64_t *used)
{
    if (r->nkids == ACT_MASKED) {
        if (avail < 32)
            return 0;
        unsigned n = 0;
        for (int i = 0; i < 4; i++)
            n += (unsigned)__builtin_popcountll(ps_read_le64(p + 8 * i));
        if (n < ACT_MASKED)
            return 0;
        r->kids = p;
        *used = 32;
        return 1;
    }
    if (avail < r->nkids)
        return 0;
    for (unsigned i = 1; i < r->nkids; i++)
        if (p[i] <= p[i - 1])
            return 0;
    r->kids = p;
    *used = r->nkids;
    return 1;
}

int ps__act_parse(const ps_act *a, uint64_t off, uint64_t limit, act_rec *r, ps_diag *d)
{
    if (off < ACT_HDR || off >= limit)
        return bad(d, off, "record offset out of range");
    const uint8_t *p = a->base + off;
    uint64_t avail = limit - off, k = 1, n, v;
    uint8_t h = p[0];
    r->off = off;
    r->value = r->child = r->line_len = 0;
    r->line = r->kids = NULL;
    r->nkids = 0;
    r->has_child = 0;
    r->is_line = h >> 7;
    r->has_value = h >> 6 & 1;
    if (r->has_value) {
        if (!(n = act_varint_get(p + k, avail - k, &r->value)))
            return bad(d, off, "truncated value");
        k += n;
    }
    if (r->is_line) {
        if ((h & ~(ACT_LINE | ACT_VALUE | ACT_CHILD)) || (h & ACT_VALUE && h & ACT_CHILD))
            return bad(d, off, "invalid line node header");
        r->has_child = h & ACT_CHILD;
        if (r->has_child) {
            if (!(n = act_varint_get(p + k, avail - k, &v)) || !act_back(off, v, &r->child))
                return bad(d, off, "line child offset not backwards in the arena");
            k += n;
            /* the child and the line data are two cache misses far apart:
             * start the child's now so they overlap */
            __builtin_prefetch(a->base + r->child);
        }
        uint64_t lo, len;
        if (!(n = act_varint_get(p + k, avail - k, &v)) || !act_back(off, v, &lo))
            return bad(d, off, "line data offset not backwards in the arena");
        k += n;
        unsigned m = act_varint_get(a->base + lo, off - lo, &len);
        if (!m || len == 0 || len > off - lo - m)
            return bad(d, lo, "line data of length 0 or running into its node");
        r->line = a->base + lo + m;
        r->line_len = len;
    } else {
        r->nkids = h & 63;
        if (r->nkids > ACT_MASKED)
            return bad(d, off, "branch child count over 32");
        if (r->nkids) {
            if (!(n = act_varint_get(p + k, avail - k, &v)) || !act_back(off, v, &r->child))
                return bad(d, off, "first child offset not backwards in the arena");
            k += n;
            __builtin_prefetch(a->base + r->child); /* the sibling run comes next */
            if (!branch_kids(p + k, avail - k, r, &n))
                return bad(d, off, "child bytes truncated, unordered, or mask under 32");
            k += n;
        }
    }
    r->end = off + k;
    return PS_OK;
}

/* Index of child byte x in a branch, or -1. */
int ps__act_kid_index(const act_rec *r, uint8_t x)
{
    if (r->nkids == 0)
        return -1;
    if (r->nkids < ACT_MASKED) {
        const uint8_t *q = memchr(r->kids, x, r->nkids);
        return q ? (int)(q - r->kids) : -1;
    }
    uint64_t w = ps_read_le64(r->kids + 8 * (x >> 6));
    if (!(w >> (x & 63) & 1))
        return -1;
    int idx = 0;
    for (int i = 0; i < (x >> 6); i++)
        idx += __builtin_popcountll(ps_read_le64(r->kids + 8 * i));
    return idx + __builtin_popcountll(w & ((1ull << (x & 63)) - 1));
}

/* The record of child `idx` of branch r: step over the siblings before it
 * (they must lie before r), then parse it in full. */
int ps__act_kid(const ps_act *a, const act_rec *r, int idx, act_rec *c, ps_diag *d)
{
    uint64_t at = r->child;
    for (int i = 0; i < idx; i++) {
        if (at < ACT_HDR || at >= r->off || !(at = act_skip(a, at, r->off)))
            return bad(d, at, "sibling run runs past its parent");
    }
    return ps__act_parse(a, at, r->off, c, d);
}

/* ---------------------------------------------------------------- open */

static int open_checks(ps_act *a, ps_diag *d)
{
    if (a->len < ACT_HDR + 1 + ACT_PAD)
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, a->len, "file too short for an ACT (%zu bytes)",
                           a->len);
    if (memcmp(a->base, ACT_MAGIC, 8))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "bad magic: not an ACTree03 file");
    static const uint8_t zero[ACT_PAD];
    if (!memcmp(a->base + a->len - ACT_PAD, zero, ACT_PAD)) {
        a->arena_end = a->len - ACT_PAD;
    } else {
        /* an append-only merge ends with [previous trailer][previous root] */
        if (a->len < ACT_HDR + 1 + ACT_PAD + ACT_TRAILER)
            return ps__diag_set(d, PS_E_TRUNCATED, NULL, a->len, "file ends without padding or merge trailer");
        a->arena_end = a->len - ACT_TRAILER;
        uint64_t prev_suffix = ps_read_le64(a->base + a->arena_end);
        uint64_t prev_root = ps_read_le64(a->base + a->arena_end + 8);
        if ((prev_suffix && (prev_suffix < ACT_HDR || prev_suffix > a->arena_end - ACT_TRAILER)) ||
            prev_root < ACT_HDR || prev_root >= a->arena_end)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, a->arena_end,
                               "file ends neither in 8 zero bytes nor in a valid merge trailer");
        a->merged = 1;
    }
    a->root = ps_read_le64(a->base + 8);
    if (a->root < ACT_HDR || a->root >= a->arena_end)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 8, "root offset %llu outside the arena",
                           (unsigned long long)a->root);
    return PS_OK;
}

int ps_act_open_mem(const void *data, size_t len, ps_act **ap, ps_diag *d)
{
    ps_act *a = ps_calloc(1, sizeof *a);
    if (!a)
        return PS_E_NOMEM;
    a->base = data;
    a->len = len;
    a->max_atom = ps__max_atom();
    a->budget = ps__budget(len);
    int rc = open_checks(a, d);
    if (rc) {
        free(a);
        return rc;
    }
    pthread_mutex_init(&a->mu, NULL);
    *ap = a;
    return PS_OK;
}

int ps_act_open(const char *file, ps_act **ap, ps_diag *d)
{
    const void *m;
    size_t len;
    int rc = ps__map_file(file, &m, &len, d);
    if (rc)
        return rc;
    if ((rc = ps_act_open_mem(m, len, ap, d)))
        ps__unmap_file(m, len);
    else
        (*ap)->mapped = 1;
    return rc;
}

void ps_act_close(ps_act *a)
{
    if (!a)
        return;
    if (a->mapped)
        ps__unmap_file(a->base, a->len);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* ----------------------------------------------------------------- get */

int ps_act_get(const ps_act *a, ps_bytes key, uint64_t *value, ps_diag *d)
{
    act_rec r, parent;
    uint64_t depth = 0;
    int rc = ps__act_parse(a, a->root, a->arena_end, &r, d);
    while (!rc) {
        if (r.is_line) {
            if (key.len - depth < r.line_len || memcmp(key.ptr + depth, r.line, r.line_len))
                return PS_E_NOTFOUND;
            depth += r.line_len;
            if (!r.has_child)
                break;
            rc = ps__act_parse(a, r.child, r.off, &r, d);
        } else {
            if (depth == key.len)
                break;
            int idx = ps__act_kid_index(&r, key.ptr[depth++]);
            if (idx < 0)
                return PS_E_NOTFOUND;
            parent = r;
            rc = ps__act_kid(a, &parent, idx, &r, d);
        }
    }
    if (rc)
        return rc;
    if (depth != key.len || !r.has_value)
        return PS_E_NOTFOUND;
    if (value)
        *value = r.value;
    return PS_OK;
}
