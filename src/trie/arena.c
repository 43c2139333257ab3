/*
 * arena.c - the trie's arenas as lists of segments (trie.h): where the
 * next block or edge goes, a new segment when the last one is full, the
 * value segments beside the node segments, and their sizes.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "trie.h"

void ps__copy(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}

/* Test-only limits for the spaces made from now on (trie.h). */
static uint32_t test_seg_nodes, test_seg_labels;

void ps__test_segments(uint32_t nodes, uint32_t labels)
{
    test_seg_nodes = nodes;
    test_seg_labels = labels;
}

int ps__arena_init(ps_space *s)
{
    node root = { 0, 0, 0, 0 };
    node_vec n = { 0 };
    byte_vec l = { 0 };
    s->seg_nodes = test_seg_nodes ? test_seg_nodes : SEG_NODES;
    s->seg_labels = test_seg_labels ? test_seg_labels : SEG_LABELS;
    if (node_vec_push(&n, root))
        return PS_E_NOMEM;
    if (nseg_vec_push(&s->ns, n)) {
        node_vec_free(&n);
        return PS_E_NOMEM;
    }
    if (lseg_vec_push(&s->ls, l)) { /* n is the first segment's now */
        ps__arena_free(s);
        return PS_E_NOMEM;
    }
    return PS_OK;
}

static void free_vals(ps_space *s)
{
    for (uint32_t i = 0; i < s->vs.len; i++)
        u64_vec_free(&s->vs.data[i]);
    vseg_vec_free(&s->vs);
}

void ps__arena_free(ps_space *s)
{
    for (uint32_t i = 0; i < s->ns.len; i++)
        node_vec_free(&s->ns.data[i]);
    for (uint32_t i = 0; i < s->ls.len; i++)
        byte_vec_free(&s->ls.data[i]);
    nseg_vec_free(&s->ns);
    lseg_vec_free(&s->ls);
    free_vals(s);
}

void ps_space_clear(ps_space *s)
{
    /* the first segments stay (and keep their memory), the rest go */
    while (s->ns.len > 1)
        node_vec_free(&s->ns.data[--s->ns.len]);
    while (s->ls.len > 1)
        byte_vec_free(&s->ls.data[--s->ls.len]);
    free_vals(s);
    memset(&s->ns.data[0].data[ROOT], 0, sizeof(node));
    s->ns.data[0].len = 1;
    s->ls.data[0].len = 0;
    memset(s->free_blk, 0, sizeof s->free_blk);
    memset(s->free_map, 0, sizeof s->free_map);
    s->count = s->path_bytes = s->dead_labels = 0;
    s->live_nodes = 1;
}

/* A new, empty last node segment (and value segment). */
static int new_nseg(ps_space *s)
{
    node_vec n = { 0 };
    u64_vec v = { 0 };
    if (s->ns.len == MAX_SEGS)
        return PS_E_OVERFLOW;
    if (nseg_vec_push(&s->ns, n))
        return PS_E_NOMEM;
    if (s->vs.len && vseg_vec_push(&s->vs, v)) {
        s->ns.len--;
        return PS_E_NOMEM;
    }
    return PS_OK;
}

int ps__nodes_room(ps_space *s, uint32_t need)
{
    node_vec *g = last_nseg(s);
    int rc;
    if (g->len && (uint64_t)g->len + need > s->seg_nodes) {
        if ((rc = new_nseg(s)))
            return rc;
        g = last_nseg(s);
    }
    uint64_t want = (uint64_t)g->len + need;
    if (want > PS_VEC_MAX_LEN)
        return PS_E_OVERFLOW;
    if (want > g->cap) {
        /* the usual growth, but never past the segment's limit: a segment
         * asks for at most 4 GiB, however it grows */
        uint64_t cap = ps_vec_next_cap(g->cap, want, sizeof(node));
        if (cap > s->seg_nodes && want <= s->seg_nodes)
            cap = s->seg_nodes;
        if ((rc = node_vec_reserve_exact(g, cap - g->len)))
            return rc;
    }
    return s->vs.len ? u64_vec_reserve_exact(&s->vs.data[s->vs.len - 1], g->cap - g->len)
                     : PS_OK;
}

/* Room for need bytes at the end of the last segment of ls (a new one
 * past its limit): their address in *at. */
static int lroom(lseg_vec *ls, uint32_t limit, uint32_t need, lid *at)
{
    byte_vec *g = &ls->data[ls->len - 1];
    int rc;
    if (g->len && (uint64_t)g->len + need > limit) {
        byte_vec l = { 0 };
        if (ls->len == MAX_SEGS)
            return PS_E_OVERFLOW;
        if (lseg_vec_push(ls, l))
            return PS_E_NOMEM;
        g = &ls->data[ls->len - 1];
    }
    if ((uint64_t)g->len + need > PS_VEC_MAX_LEN)
        return PS_E_OVERFLOW;
    if ((rc = byte_vec_reserve(g, need)))
        return rc;
    *at = (uint64_t)(ls->len - 1) << 32 | g->len;
    return PS_OK;
}

int ps__labels_room(ps_space *s, uint32_t need, lid *at)
{
    return lroom(&s->ls, s->seg_labels, need, at);
}

int ps__labels_put(ps_space *s, const uint8_t *p, uint32_t n, lid *at)
{
    int rc = labels_room(s, n, at);
    if (rc)
        return rc;
    byte_vec *g = last_lseg(s);
    assert(n < MAX_EDGE && g->cap - g->len >= n); /* an edge never crosses a segment */
    memcpy(g->data + g->len, p, n);
    g->len += n;
    return PS_OK;
}

int ps__vals_on(ps_space *s)
{
    if (s->vs.len)
        return PS_OK;
    if (vseg_vec_reserve(&s->vs, s->ns.len))
        return PS_E_NOMEM;
    for (uint32_t i = 0; i < s->ns.len; i++) {
        u64_vec v = { 0 };
        if (u64_vec_push_n(&v, 0, s->ns.data[i].len)) {
            free_vals(s);
            return PS_E_NOMEM;
        }
        s->vs.data[s->vs.len++] = v;
    }
    return PS_OK;
}

uint64_t ps__label_bytes(const ps_space *s)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->ls.len; i++)
        n += s->ls.data[i].len;
    return n;
}

uint64_t ps__arena_bytes(const ps_space *s)
{
    uint64_t n = (uint64_t)s->ns.cap * sizeof(node_vec) + (uint64_t)s->ls.cap * sizeof(byte_vec) +
                 (uint64_t)s->vs.cap * sizeof(u64_vec);
    for (uint32_t i = 0; i < s->ns.len; i++)
        n += (uint64_t)s->ns.data[i].cap * sizeof(node);
    for (uint32_t i = 0; i < s->ls.len; i++)
        n += s->ls.data[i].cap;
    for (uint32_t i = 0; i < s->vs.len; i++)
        n += (uint64_t)s->vs.data[i].cap * sizeof(uint64_t);
    return n;
}

/* A depth-first walk over every node but the root, with a stack of runs
 * of siblings (a block's next node and how many are left in it). */
typedef struct walk {
    nid *st;
    uint32_t len, cap, most;
} walk;

static int walk_push(walk *w, const node *n)
{
    if (!n_nkids(n))
        return PS_OK;
    if (w->len == w->cap) {
        uint32_t c = w->cap ? 2 * w->cap : 128;
        nid *t = ps_realloc(w->st, (size_t)c * sizeof *t);
        if (!t)
            return PS_E_NOMEM;
        w->st = t;
        w->cap = c;
    }
    w->st[w->len++] = n_kids(n);
    w->st[w->len++] = n_nkids(n);
    if (w->len > w->most)
        w->most = w->len;
    return PS_OK;
}

static nid walk_next(walk *w)
{
    nid k = w->st[w->len - 2];
    if (--w->st[w->len - 1] == 0)
        w->len -= 2;
    else
        w->st[w->len - 2]++;
    return k;
}

/* Pass 1: every live edge's bytes copied, in walk order, to nl. */
static int copy_labels(const ps_space *s, lseg_vec *nl, walk *w)
{
    int rc = walk_push(w, N(s, ROOT));
    while (!rc && w->len) {
        const node *n = N(s, walk_next(w));
        uint32_t len = n_len(n);
        lid at;
        if (len > 1 && !(rc = lroom(nl, s->seg_labels, len - 1, &at))) {
            byte_vec *g = &nl->data[nl->len - 1];
            ps__copy(g->data + g->len, L(s, n_lab(n)), len - 1);
            g->len += len - 1;
        }
        if (!rc)
            rc = walk_push(w, n);
    }
    return rc;
}

/* Pass 2: the same walk points every node at its copy; pass 1 made the
 * stack as deep as it needs, so nothing here can fail. A run goes where
 * pass 1 put it: in the current segment while it fits in what that
 * segment holds, else at the start of the next. */
static void point_labels(ps_space *s, const lseg_vec *nl, walk *w)
{
    uint32_t seg = 0, off = 0;
    walk_push(w, N(s, ROOT));
    while (w->len) {
        node *n = N(s, walk_next(w));
        uint32_t len = n_len(n);
        if (len > 1) {
            if ((uint64_t)off + len - 1 > nl->data[seg].len)
                seg++, off = 0;
            lid at = (uint64_t)seg << 32 | off;
            n->lab = off;
            n->meta = mk_meta(n_first(n), len, at, n->meta & (M_TERM | M_VAL));
            off += len - 1;
        }
        walk_push(w, n);
    }
}

int ps__labels_compact(ps_space *s)
{
    lseg_vec nl = { 0 };
    byte_vec first = { 0 };
    walk w = { 0 };
    uint64_t all = ps__label_bytes(s), live = s->dead_labels < all ? all - s->dead_labels : 0;
    uint32_t want = live < s->seg_labels ? (uint32_t)live : s->seg_labels;
    int rc = PS_E_NOMEM;
    if (lseg_vec_push(&nl, first) || byte_vec_reserve(&nl.data[0], want))
        goto out;
    if ((rc = copy_labels(s, &nl, &w)))
        goto out;
    point_labels(s, &nl, &w);
    for (uint32_t i = 0; i < s->ls.len; i++)
        byte_vec_free(&s->ls.data[i]);
    lseg_vec_free(&s->ls);
    s->ls = nl;
    nl = (lseg_vec){ 0 };
    s->dead_labels = 0;
out:
    for (uint32_t i = 0; i < nl.len; i++)
        byte_vec_free(&nl.data[i]);
    lseg_vec_free(&nl);
    free(w.st);
    return rc;
}
