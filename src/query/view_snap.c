/*
 * view_snap.c - a snapshot as a query view (view.h): its sorted paths seen
 * as a trie without building one.
 *
 * A position is a range [lo, hi) of the snapshot's paths (numbered across
 * chunks) that share their first `depth` bytes: (a, b, c) = (lo, hi,
 * depth). Going on with some bytes narrows the range by two binary
 * searches. Each search runs first over the chunks' first paths, which the
 * index holds (no decoding), and then inside the one chunk where the
 * boundary falls, so a walk decodes only chunks that hold paths of the
 * range it is in. Decoded chunks are kept in a small LRU cache, as full
 * paths with an offset table for random access.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "snap/snap.h"
#include "view.h"

PS_VEC_DEFINE(off_list, uint32_t)

typedef struct slot {
    uint64_t chunk; /* UINT64_MAX: empty */
    uint64_t used;  /* LRU tick */
    off_list off;   /* count + 1 offsets into data */
    ps_buf data;    /* the chunk's paths, back to back */
} slot;

struct qview_snap {
    qview v;
    const ps_snap *s;
    uint64_t *cum;  /* cum[i]: paths before chunk i; cum[nchunks] = all */
    slot *slots;
    unsigned nslots;
    uint32_t *where; /* per chunk: its slot, or UINT32_MAX */
    uint64_t tick, decoded;
    uint64_t held;  /* path bytes in all slots: at most the trailer's total */
    snap_dctx *dc;
    uint8_t *buf;
    size_t cap;
    snap_cur cur;
    uint64_t last; /* the chunk of the path looked up last */
};

#define SNAPV(v) ((qview_snap *)(v))

/* ------------------------------------------------------------ the chunks */

/* The chunk that holds path j (j < all paths). */
static uint64_t chunk_of(qview_snap *x, uint64_t j)
{
    if (j >= x->cum[x->last] && j < x->cum[x->last + 1])
        return x->last;
    uint64_t lo = 0, hi = x->s->nchunks; /* cum[lo] <= j < cum[hi] */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (x->cum[mid] <= j)
            lo = mid;
        else
            hi = mid;
    }
    return x->last = lo;
}

/* Decodes chunk i into sl, checking it as an iterator would (order, the
 * index's first path and count, and that it ends before the next chunk's
 * first path). */
static int decode(qview_snap *x, uint64_t i, slot *sl)
{
    const ps_snap *s = x->s;
    const uint8_t *raw;
    ps_diag *d = &x->v.d;
    sl->chunk = UINT64_MAX;
    sl->off.len = 0;
    x->held -= sl->data.len;
    ps_buf_clear(&sl->data, 0);
    int rc = ps__snap_chunk_load(s, i, x->dc, &x->buf, &x->cap, &raw, d);
    if (!rc)
        rc = ps__snap_cur_start(&x->cur, s, i, raw, d);
    while (!rc && (rc = ps__snap_cur_next(&x->cur, d)) == PS_OK) {
        ps_bytes p = ps_buf_bytes(&x->cur.path);
        if (off_list_push(&sl->off, (uint32_t)sl->data.len) ||
            ps_buf_append(&sl->data, p.ptr, p.len))
            return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory decoding a chunk");
        /* what honest chunks hold together is at most the trailer's total
         * (checked against the decoding budget at open): so is the cache */
        if (x->held + sl->data.len > s->path_bytes)
            return ps__snap_chunk_err(s, i, d, PS_E_CORRUPT, "paths pass the trailer's total");
        if (sl->data.len > UINT32_MAX) /* the offsets are u32 */
            return ps__snap_chunk_err(s, i, d, PS_E_LIMIT, "paths pass 4 GiB in one chunk");
    }
    if (rc != PS_E_EMPTY)
        return rc;
    if (sl->off.len != s->chunks[i].count)
        return ps__snap_chunk_err(s, i, d, PS_E_CORRUPT, "holds another number of paths than "
                                  "its index entry says");
    if (i + 1 < s->nchunks &&
        ps_bytes_cmp(ps_buf_bytes(&x->cur.path), snap_first(s, i + 1)) >= 0)
        return ps__snap_chunk_err(s, i + 1, d, PS_E_CORRUPT,
                                  "first path not after the previous chunk's last");
    if (off_list_push(&sl->off, (uint32_t)sl->data.len))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory decoding a chunk");
    sl->chunk = i;
    x->held += sl->data.len;
    x->decoded++;
    return PS_OK;
}

/* Chunk i's slot, decoding it into the least recently used one if it is
 * not cached. */
static int chunk_slot(qview_snap *x, uint64_t i, slot **out)
{
    uint32_t k = x->where[i];
    if (k != UINT32_MAX) {
        x->slots[k].used = ++x->tick;
        *out = &x->slots[k];
        return PS_OK;
    }
    slot *lru = &x->slots[0]; /* a miss decodes a chunk: a scan costs less */
    for (unsigned j = 1; j < x->nslots; j++)
        if (x->slots[j].used < lru->used)
            lru = &x->slots[j];
    if (lru->chunk != UINT64_MAX)
        x->where[lru->chunk] = UINT32_MAX;
    int rc = decode(x, i, lru);
    if (rc)
        return -rc;
    x->where[i] = (uint32_t)(lru - x->slots);
    lru->used = ++x->tick;
    *out = lru;
    return PS_OK;
}

/* Path j: from the index when it opens its chunk (no decoding), else from
 * the decoded chunk. Valid while the chunk stays cached (the cache holds
 * at least two, so the two newest lookups stay valid together). */
static int path_at(qview_snap *x, uint64_t j, ps_bytes *p)
{
    uint64_t i = chunk_of(x, j);
    if (j == x->cum[i]) {
        *p = snap_first(x->s, i);
        return PS_OK;
    }
    slot *sl;
    int rc = chunk_slot(x, i, &sl);
    if (rc)
        return rc;
    uint64_t k = j - x->cum[i];
    *p = ps_bytes_of(ps_buf_data(&sl->data) + sl->off.data[k],
                     sl->off.data[k + 1] - sl->off.data[k]);
    return PS_OK;
}

/* ---------------------------------------------------------- the searches */

/* Path j after its first depth bytes against key[0..k): < 0, 0 when it
 * starts with key, > 0. */
static int cmp_at(qview_snap *x, uint64_t j, uint64_t depth, const uint8_t *key, size_t k,
                  int *out)
{
    ps_bytes p;
    int rc = path_at(x, j, &p);
    if (rc)
        return rc;
    size_t rest = p.len - (size_t)depth, m = rest < k ? rest : k;
    int c = memcmp(p.ptr + depth, key, m);
    *out = c ? c : rest < k ? -1 : 0;
    return PS_OK;
}

/* The first j in [lo, hi) where cmp_at is >= 0 (strict: > 0), or hi:
 * over the chunks' first paths, then inside one chunk. */
static int bound(qview_snap *x, uint64_t lo, uint64_t hi, uint64_t depth, const uint8_t *key,
                 size_t k, int strict, uint64_t *out)
{
    int c, rc;
    if (lo == hi) {
        *out = hi;
        return PS_OK;
    }
    /* the chunks that start inside (lo, hi): the first whose first path
     * passes bounds the answer from above */
    uint64_t cl = chunk_of(x, lo), ch = chunk_of(x, hi - 1);
    uint64_t a = cl + 1, b = ch + 1; /* first passing chunk in [a, b) or b */
    while (a < b) {
        uint64_t mid = a + (b - a) / 2;
        if ((rc = cmp_at(x, x->cum[mid], depth, key, k, &c)))
            return rc;
        if (strict ? c > 0 : c >= 0)
            b = mid;
        else
            a = mid + 1;
    }
    uint64_t top = a <= ch ? x->cum[a] : hi;
    uint64_t bot = a > cl + 1 ? x->cum[a - 1] : lo; /* the last chunk before it */
    while (bot < top) { /* inside one chunk */
        uint64_t mid = bot + (top - bot) / 2;
        if ((rc = cmp_at(x, mid, depth, key, k, &c)))
            return rc;
        if (strict ? c > 0 : c >= 0)
            top = mid;
        else
            bot = mid + 1;
    }
    *out = bot;
    return PS_OK;
}

/* ------------------------------------------------------------- the view */

static int n_root(qview *v, qnode *out)
{
    qview_snap *x = SNAPV(v);
    *out = (qnode){ 0, x->cum[x->s->nchunks], 0 };
    return 1;
}

static int n_walk(qview *v, const qnode *n, const uint8_t *p, size_t k, qnode *out)
{
    qview_snap *x = SNAPV(v);
    uint64_t lo, hi;
    v->steps++;
    int rc = bound(x, n->a, n->b, n->c, p, k, 0, &lo);
    if (rc)
        return rc;
    if (lo == n->b)
        return 0;
    int c;
    if ((rc = cmp_at(x, lo, n->c, p, k, &c)))
        return rc;
    if (c != 0)
        return 0;
    if ((rc = bound(x, lo, n->b, n->c, p, k, 1, &hi)))
        return rc;
    *out = (qnode){ lo, hi, n->c + k };
    return 1;
}

static int n_step(qview *v, const qnode *n, uint8_t b, qnode *out)
{
    return n_walk(v, n, &b, 1, out);
}

static int n_next(qview *v, const qnode *n, unsigned lo, unsigned hi, uint8_t *b, qnode *out)
{
    qview_snap *x = SNAPV(v);
    uint8_t key = (uint8_t)lo;
    uint64_t j;
    v->steps++;
    if (lo > hi || lo > 0xFF)
        return 0; /* lo is 0x100 after byte 0xFF: as a key byte it would wrap to 0 */
    int rc = bound(x, n->a, n->b, n->c, &key, 1, 0, &j);
    if (rc)
        return rc;
    if (j == n->b)
        return 0;
    ps_bytes p;
    if ((rc = path_at(x, j, &p)))
        return rc;
    if (p.ptr[n->c] > hi)
        return 0; /* bound() found a byte >= lo, so the path goes on */
    *b = p.ptr[n->c];
    uint64_t e;
    if ((rc = bound(x, j, n->b, n->c, b, 1, 1, &e)))
        return rc;
    *out = (qnode){ j, e, n->c + 1 };
    return 1;
}

static int n_run(qview *v, const qnode *n, const uint8_t **p, size_t *k)
{
    qview_snap *x = SNAPV(v);
    ps_bytes first, last;
    *k = 0;
    if (n->a == n->b)
        return 0;
    int rc = path_at(x, n->b - 1, &last);
    if (!rc)
        rc = path_at(x, n->a, &first); /* the newer lookup: both stay valid */
    if (rc)
        return rc;
    /* sorted: what the first and last share, every path between shares */
    size_t i = (size_t)n->c, m = first.len < last.len ? first.len : last.len;
    while (i < m && first.ptr[i] == last.ptr[i])
        i++;
    if (n->a + 1 == n->b)
        i = first.len; /* one path: all of it */
    *k = i - (size_t)n->c;
    *p = first.ptr + n->c;
    return 0;
}

static int n_end(qview *v, const qnode *n)
{
    if (n->a == n->b)
        return 0;
    ps_bytes p;
    int rc = path_at(SNAPV(v), n->a, &p);
    return rc ? rc : p.len == n->c; /* a path that ends here sorts first */
}

static uint64_t n_count(qview *v, const qnode *n, uint64_t cap)
{
    (void)v;
    return n->b - n->a < cap ? n->b - n->a : cap;
}

static int n_skip(qview *v, const qnode *n, size_t k, qnode *out)
{
    (void)v; /* every path of the range goes on with those bytes: run() said so */
    *out = (qnode){ n->a, n->b, n->c + k };
    return 1;
}

static const qview_ops snap_ops = { n_root, n_step, n_walk, n_next, n_run, n_end, n_count,
                                    ps__view_kids_by_next, n_skip };

int ps__qview_snap_new(const ps_snap *s, unsigned cache, qview_snap **out)
{
    qview_snap *x = ps_calloc(1, sizeof *x);
    if (!x)
        return PS_E_NOMEM;
    x->v.ops = &snap_ops;
    x->s = s;
    if (!cache) { /* as many chunks as 64 MiB of raw chunk bytes hold, 16 at least */
        uint64_t fit = (64ull << 20) / (s->chunk_size ? s->chunk_size : 1);
        cache = (unsigned)(fit < 16 ? 16 : fit > 65536 ? 65536 : fit);
    }
    if (cache > s->nchunks)
        cache = (unsigned)s->nchunks;
    x->nslots = cache < 2 ? 2 : cache;
    x->cum = ps_calloc((size_t)s->nchunks + 1, sizeof *x->cum);
    x->where = ps_malloc(((size_t)s->nchunks + 1) * sizeof *x->where);
    x->slots = ps_calloc(x->nslots, sizeof *x->slots);
    int rc = x->cum && x->where && x->slots ? ps__snap_dctx_new(&x->dc) : PS_E_NOMEM;
    if (rc) {
        ps__qview_snap_free(x);
        return rc;
    }
    for (unsigned k = 0; k < x->nslots; k++)
        x->slots[k].chunk = UINT64_MAX;
    for (uint64_t i = 0; i < s->nchunks; i++) {
        x->cum[i + 1] = x->cum[i] + s->chunks[i].count;
        x->where[i] = UINT32_MAX;
    }
    *out = x;
    return PS_OK;
}

qview *ps__qview_snap_base(qview_snap *x)
{
    return &x->v;
}

uint64_t ps__qview_snap_decoded(const qview_snap *x)
{
    return x->decoded;
}

void ps__qview_snap_free(qview_snap *x)
{
    if (!x)
        return;
    for (unsigned k = 0; x->slots && k < x->nslots; k++) {
        off_list_free(&x->slots[k].off);
        ps_buf_free(&x->slots[k].data);
    }
    free(x->slots);
    free(x->where);
    free(x->cum);
    ps__snap_dctx_free(x->dc);
    free(x->buf);
    ps_buf_free(&x->cur.path);
    free(x);
}
