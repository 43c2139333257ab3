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
 * range it is in. A chunk is read decoded whole (full paths and an offset
 * table, for random access), from the handle's cache, which keeps it for
 * every later query (snap/snap_cache.c); the view pins the few it uses.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "snap/snap.h"
#include "view.h"

/* A chunk this view holds pinned in the handle's cache (snap_cache.c). */
typedef struct slot {
    const snap_dec *e; /* NULL: empty */
    uint64_t used;     /* LRU tick */
} slot;

struct qview_snap {
    qview v;
    const ps_snap *s;
    const uint64_t *cum; /* cum[i]: paths before chunk i; cum[nchunks] = all */
    slot *slots;
    unsigned nslots, last_slot;
    uint64_t tick;
    snap_reader rd; /* what decoding a chunk needs, made on the first */
    uint64_t last;  /* the chunk of the path looked up last */
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

/* Chunk i decoded: pinned in one of this view's slots, the least recently
 * used one given back to the cache when all are taken. */
static int chunk_slot(qview_snap *x, uint64_t i, const snap_dec **out)
{
    slot *sl = &x->slots[x->last_slot];
    if (!(sl->e && sl->e->chunk == i)) {
        slot *lru = &x->slots[0];
        unsigned k = 0;
        for (; k < x->nslots && !(x->slots[k].e && x->slots[k].e->chunk == i); k++)
            if (x->slots[k].used < lru->used)
                lru = &x->slots[k];
        if (k == x->nslots) { /* not held: from the cache, or decoded into it */
            const snap_dec *e;
            int rc = ps__snap_dec_pin(x->s, i, &x->rd, &e, &x->v.d);
            if (rc)
                return -rc;
            ps__snap_dec_unpin(x->s, lru->e);
            lru->e = e;
            k = (unsigned)(lru - x->slots);
        }
        x->last_slot = k;
        sl = &x->slots[k];
    }
    sl->used = ++x->tick;
    *out = sl->e;
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
    const snap_dec *e;
    int rc = chunk_slot(x, i, &e);
    if (rc)
        return rc;
    uint64_t k = j - x->cum[i];
    *p = ps_bytes_of(e->data + e->off[k], e->off[k + 1] - e->off[k]);
    return PS_OK;
}

/* ---------------------------------------------------------- the searches */

/* p after its first depth bytes against key[0..k): < 0, 0 when it starts
 * with key, > 0. One byte, the common case (a step), without memcmp. */
static inline int cmp_path(ps_bytes p, uint64_t depth, const uint8_t *key, size_t k)
{
    size_t rest = p.len - (size_t)depth;
    if (k == 1)
        return rest ? (int)p.ptr[depth] - (int)key[0] : -1;
    size_t m = rest < k ? rest : k;
    int c = memcmp(p.ptr + depth, key, m);
    return c ? c : rest < k ? -1 : 0;
}

/* Path j against key, as cmp_path. */
static int cmp_at(qview_snap *x, uint64_t j, uint64_t depth, const uint8_t *key, size_t k,
                  int *out)
{
    ps_bytes p;
    int rc = path_at(x, j, &p);
    if (!rc)
        *out = cmp_path(p, depth, key, k);
    return rc;
}

/* The first j in [lo, hi) where cmp_at is >= 0 (strict: > 0), or hi:
 * over the chunks' first paths, then inside one chunk. */
static int bound(qview_snap *x, uint64_t lo, uint64_t hi, uint64_t depth, const uint8_t *key,
                 size_t k, int strict, uint64_t *out)
{
    int c, rc;
    if (strict && lo < hi) { /* the end of a child's range, most often near its
                              * start: galloping from lo finds it in O(log size)
                              * steps; only inside lo's chunk, which is decoded
                              * (a probe past it would decode another: the index
                              * search below needs none) */
        uint64_t end = x->cum[chunk_of(x, lo) + 1];
        end = end < hi ? end : hi;
        for (uint64_t step = 1; step < end - lo; step *= 2) {
            if ((rc = cmp_at(x, lo + step, depth, key, k, &c)))
                return rc;
            if (c > 0) {
                hi = lo + step;
                break;
            }
            lo += step;
        }
    }
    if (lo == hi) {
        *out = hi;
        return PS_OK;
    }
    /* the chunks that start inside (lo, hi): the first whose first path
     * passes bounds the answer from above */
    uint64_t cl = chunk_of(x, lo), ch = chunk_of(x, hi - 1);
    uint64_t a = cl + 1, b = ch + 1; /* first passing chunk in [a, b) or b */
    while (a < b) { /* a chunk's first path is in the index: no decoding */
        uint64_t mid = a + (b - a) / 2;
        c = cmp_path(snap_first(x->s, mid), depth, key, k);
        if (strict ? c > 0 : c >= 0)
            b = mid;
        else
            a = mid + 1;
    }
    uint64_t top = a <= ch ? x->cum[a] : hi;
    uint64_t bot = a > cl + 1 ? x->cum[a - 1] : lo; /* the last chunk before it */
    if (bot < top) { /* inside one chunk: its decoded paths, looked at directly */
        uint64_t i = chunk_of(x, bot), base = x->cum[i];
        const snap_dec *e;
        if ((rc = chunk_slot(x, i, &e)))
            return rc;
        assert(top <= x->cum[i + 1]);
        while (bot < top) {
            uint64_t mid = bot + (top - bot) / 2, m = mid - base;
            c = cmp_path(ps_bytes_of(e->data + e->off[m], e->off[m + 1] - e->off[m]), depth,
                         key, k);
            if (strict ? c > 0 : c >= 0)
                top = mid;
            else
                bot = mid + 1;
        }
    }
    *out = bot;
    return PS_OK;
}

/* ------------------------------------------------------------- the view */

static int n_root(qview *v, qnode *out)
{
    qview_snap *x = SNAPV(v);
    *out = (qnode){ .snap = { 0, x->cum[x->s->nchunks], 0 } };
    return 1;
}

static int n_walk(qview *v, const qnode *n, const uint8_t *p, size_t k, qnode *out)
{
    qview_snap *x = SNAPV(v);
    uint64_t lo, hi;
    v->steps++;
    int rc = bound(x, n->snap.lo, n->snap.hi, n->snap.depth, p, k, 0, &lo);
    if (rc)
        return rc;
    if (lo == n->snap.hi)
        return 0;
    int c;
    if ((rc = cmp_at(x, lo, n->snap.depth, p, k, &c)))
        return rc;
    if (c != 0)
        return 0;
    if ((rc = bound(x, lo, n->snap.hi, n->snap.depth, p, k, 1, &hi)))
        return rc;
    *out = (qnode){ .snap = { lo, hi, n->snap.depth + k } };
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
    int rc = bound(x, n->snap.lo, n->snap.hi, n->snap.depth, &key, 1, 0, &j);
    if (rc)
        return rc;
    if (j == n->snap.hi)
        return 0;
    ps_bytes p;
    if ((rc = path_at(x, j, &p)))
        return rc;
    if (p.ptr[n->snap.depth] > hi)
        return 0; /* bound() found a byte >= lo, so the path goes on */
    *b = p.ptr[n->snap.depth];
    uint64_t e;
    if ((rc = bound(x, j, n->snap.hi, n->snap.depth, b, 1, 1, &e)))
        return rc;
    *out = (qnode){ .snap = { j, e, n->snap.depth + 1 } };
    return 1;
}

static int n_run(qview *v, const qnode *n, const uint8_t **p, size_t *k)
{
    qview_snap *x = SNAPV(v);
    ps_bytes first, last;
    *k = 0;
    if (n->snap.lo == n->snap.hi)
        return 0;
    uint64_t ca = chunk_of(x, n->snap.lo);
    if (x->cum[ca + 1] < n->snap.hi) { /* the range reaches the next chunk: when its
                                  * first path (in the index) already parts from
                                  * the range's first here, n is a branch point,
                                  * and the last chunk need not be decoded */
        ps_bytes f = snap_first(x->s, ca + 1);
        int rc = path_at(x, n->snap.lo, &first);
        if (rc)
            return rc;
        if (first.len <= n->snap.depth || f.len <= n->snap.depth || first.ptr[n->snap.depth] != f.ptr[n->snap.depth])
            return 0;
    }
    int rc = path_at(x, n->snap.hi - 1, &last);
    if (!rc)
        rc = path_at(x, n->snap.lo, &first); /* the newer lookup: both stay valid */
    if (rc)
        return rc;
    /* sorted: what the first and last share, every path between shares */
    size_t i = (size_t)n->snap.depth, m = first.len < last.len ? first.len : last.len;
    while (i < m && first.ptr[i] == last.ptr[i])
        i++;
    if (n->snap.lo + 1 == n->snap.hi)
        i = first.len; /* one path: all of it */
    *k = i - (size_t)n->snap.depth;
    *p = first.ptr + n->snap.depth;
    return 0;
}

static int n_end(qview *v, const qnode *n)
{
    if (n->snap.lo == n->snap.hi)
        return 0;
    ps_bytes p;
    int rc = path_at(SNAPV(v), n->snap.lo, &p);
    return rc ? rc : p.len == n->snap.depth; /* a path that ends here sorts first */
}

static uint64_t n_count(qview *v, const qnode *n, uint64_t cap)
{
    (void)v;
    return n->snap.hi - n->snap.lo < cap ? n->snap.hi - n->snap.lo : cap;
}

static int n_skip(qview *v, const qnode *n, size_t k, qnode *out)
{
    (void)v; /* every path of the range goes on with those bytes: run() said so */
    *out = (qnode){ .snap = { n->snap.lo, n->snap.hi, n->snap.depth + k } };
    return 1;
}

/* Every child at once: one scan along the range, each child's end found
 * by galloping from its start (next() would search the whole rest of the
 * range twice per child; a capture walks every child of a subtree). */
static int n_kids(qview *v, const qnode *n, uint8_t *bs, qnode *out)
{
    qview_snap *x = SNAPV(v);
    uint64_t j = n->snap.lo;
    int k = 0, rc;
    v->steps++;
    while (j < n->snap.hi) {
        ps_bytes p;
        if ((rc = path_at(x, j, &p)))
            return rc;
        if (p.len == n->snap.depth) { /* a path that ends here: not a way on (it sorts first) */
            j++;
            continue;
        }
        uint8_t b = p.ptr[n->snap.depth];
        uint64_t e;
        if ((rc = bound(x, j, n->snap.hi, n->snap.depth, &b, 1, 1, &e)))
            return rc;
        assert(k < 256 && e > j);
        bs[k] = b;
        out[k++] = (qnode){ .snap = { j, e, n->snap.depth + 1 } };
        j = e;
    }
    return k;
}

static const qview_ops snap_ops = { n_root, n_step, n_walk, n_next, n_run, n_end, n_count,
                                    n_kids, n_skip };

int ps__qview_snap_new(const ps_snap *s, unsigned cache, qview_snap **out)
{
    qview_snap *x = ps_calloc(1, sizeof *x);
    if (!x)
        return PS_E_NOMEM;
    x->v.ops = &snap_ops;
    x->s = s;
    x->cum = s->cum;
    /* chunks held at once (the handle's cache keeps more): 16 unless said */
    x->nslots = cache ? (cache < 2 ? 2 : cache > 4096 ? 4096 : cache) : 16;
    if (!(x->slots = ps_calloc(x->nslots, sizeof *x->slots))) {
        free(x);
        return PS_E_NOMEM;
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
    return x->rd.decoded;
}

void ps__qview_snap_free(qview_snap *x)
{
    if (!x)
        return;
    for (unsigned k = 0; k < x->nslots; k++)
        ps__snap_dec_unpin(x->s, x->slots[k].e);
    free(x->slots);
    ps__snap_reader_free(&x->rd);
    free(x);
}
