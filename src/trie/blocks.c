/*
 * blocks.c - the node arena's blocks of children: allocation, free lists
 * by capacity, making room for a child and taking one out, edge chains,
 * splits and merges (for the point operations; the builder writes whole
 * blocks itself).
 */
#include <assert.h>
#include <string.h>

#include "trie.h"

/* Classes grow by about 1.5x: a full block moves at most 16 times on the
 * way to 256 children, and a block wastes a third of itself at worst. */
static const uint16_t blk_size[NCLS] = { 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256 };

/* The capacity a block holding n children grows or shrinks to. */
static uint32_t cap_for(uint32_t n)
{
    unsigned c = 0;
    while (blk_size[c] < n)
        c++;
    return blk_size[c];
}

/* Moves n nodes (and their values, when there are any) from src to dst;
 * the ranges may overlap. */
static void move_nodes(ps_space *s, nid dst, nid src, uint32_t n)
{
    if (!n)
        return;
    memmove(N(s, dst), N(s, src), (size_t)n * sizeof(node));
    if (s->vs.len)
        memmove(V(s, dst), V(s, src), (size_t)n * sizeof(uint64_t));
}

static unsigned list_of(uint32_t cap)
{
    return cap > MAX_KIDS ? MAX_KIDS + 1 : cap;
}

/* A free block's head: its list neighbours (lab, kids and the segments in
 * nk) and its capacity (meta). */
static nid free_prev(const node *n) { return (uint64_t)(n->nk & SEG_MASK) << 32 | n->lab; }
static nid free_next(const node *n) { return (uint64_t)(n->nk >> 12 & SEG_MASK) << 32 | n->kids; }

static void set_prev(node *n, nid k)
{
    n->lab = (uint32_t)k;
    n->nk = (n->nk & ~SEG_MASK) | (uint32_t)(k >> 32);
}

static void set_next(node *n, nid k)
{
    n->kids = (uint32_t)k;
    n->nk = (n->nk & ~(SEG_MASK << 12)) | (uint32_t)(k >> 32) << 12;
}

static void unlink_free(ps_space *s, nid at)
{
    node *n = N(s, at);
    unsigned l = list_of(n->meta);
    nid prev = free_prev(n), next = free_next(n);
    if (prev)
        set_next(N(s, prev), next);
    else if (!(s->free_blk[l] = next))
        s->free_map[l >> 6] &= ~(1ull << (l & 63));
    if (next)
        set_prev(N(s, next), prev);
    n->nk = n->meta = 0;
}

static void blk_free(ps_space *s, nid at, uint32_t cap)
{
    uint32_t seg = (uint32_t)(at >> 32), off = (uint32_t)at, end = off + cap;
    node_vec *g = &s->ns.data[seg];
    /* a block inside its segment, never the root's slot: a block freed
     * past its segment would be handed out over live nodes */
    assert(cap >= 1 && seg < s->ns.len && (uint64_t)off + cap <= g->len && (off || seg));
    if (end < g->len && (g->data[end].nk & FREE_NK)) { /* the block after */
        uint32_t c = g->data[end].meta;
        unlink_free(s, at + cap);
        end += c;
    }
    if (off > 0 && (g->data[off - 1].nk & FREE_NK)) { /* the one before, by its tail */
        uint32_t c = g->data[off - 1].meta;
        off -= c;
        unlink_free(s, (uint64_t)seg << 32 | off);
    }
    if (end == g->len && seg == s->ns.len - 1) { /* the arena's end: it gets shorter */
        g->len = off;
        if (s->vs.len)
            s->vs.data[seg].len = off;
        return;
    }
    cap = end - off;
    at = (uint64_t)seg << 32 | off;
    unsigned l = list_of(cap);
    node *t = &g->data[end - 1], *n = &g->data[off];
    t->meta = cap; /* the tail's tag first: for one slot it is the head */
    t->nk = FREE_NK;
    n->meta = cap;
    n->nk = FREE_NK;
    set_prev(n, 0);
    set_next(n, s->free_blk[l]);
    if (s->free_blk[l])
        set_prev(N(s, s->free_blk[l]), at);
    s->free_blk[l] = at;
    s->free_map[l >> 6] |= 1ull << (l & 63);
}

/* A free block of cap slots, or the front of the smallest larger one (the
 * rest is freed again). 0 if there is none. */
static nid take_free(ps_space *s, uint32_t cap)
{
    for (uint32_t w = cap >> 6; w < 5; w++) {
        uint64_t m = s->free_map[w];
        if (w == cap >> 6)
            m &= ~0ull << (cap & 63);
        if (!m)
            continue;
        uint32_t l = w * 64 + (uint32_t)__builtin_ctzll(m);
        nid at = s->free_blk[l];
        uint32_t c = N(s, at)->meta;
        unlink_free(s, at);
        /* cleared before the rest is freed: an old tag inside it would look
         * like a free neighbour */
        memset(N(s, at), 0, (size_t)cap * sizeof(node));
        memset(N(s, at + c - 1), 0, sizeof(node));
        if (c > cap)
            blk_free(s, at + cap, c - cap);
        return at;
    }
    return 0;
}

/* A zeroed block of cap slots (1..MAX_KIDS): its first slot's index in *out. */
static int blk_alloc(ps_space *s, uint32_t cap, nid *out)
{
    nid at = take_free(s, cap);
    if (!at) {
        int rc = nodes_room(s, cap);
        if (rc)
            return rc;
        at = nodes_end(s);
        last_nseg(s)->len += cap;
        if (s->vs.len)
            s->vs.data[s->vs.len - 1].len += cap;
    }
    memset(N(s, at), 0, (size_t)cap * sizeof(node));
    *out = at;
    return PS_OK;
}

/* Makes room for a child of node parent at slot pos (its block may move);
 * the new, zeroed child's index in *out. */
static int kid_open(ps_space *s, nid parent, uint32_t pos, nid *out)
{
    node *p = N(s, parent);
    uint32_t n = n_nkids(p), cap = n_cap(p);
    nid old = n_kids(p), at = old;
    assert(pos <= n && n <= cap); /* pos from ps__kid: the sorted slot */
    if (n < cap) { /* room in the block: shift the tail up */
        move_nodes(s, old + pos + 1, old + pos, n - pos);
    } else if (n == MAX_KIDS) {
        return PS_E_INVAL; /* 256 first bytes at most: cannot happen */
    } else {
        uint32_t nc = cap_for(n + 1);
        int rc = blk_alloc(s, nc, &at);
        if (rc)
            return rc;
        if (n) {
            move_nodes(s, at, old, pos);
            move_nodes(s, at + pos + 1, old + pos, n - pos);
            blk_free(s, old, cap);
        }
        cap = nc;
        p = N(s, parent); /* its segment may have moved */
    }
    set_kids(p, at, n + 1, cap);
    memset(N(s, at + pos), 0, sizeof(node));
    if (s->vs.len)
        *V(s, at + pos) = 0;
    s->live_nodes++;
    *out = at + pos;
    return PS_OK;
}

void ps__kid_close(ps_space *s, nid parent, uint32_t pos)
{
    node *p = N(s, parent);
    assert(pos < n_nkids(p) && !n_nkids(N(s, n_kids(p) + pos))); /* its subtree is gone */
    uint32_t n = n_nkids(p) - 1, cap = n_cap(p);
    nid at = n_kids(p);
    move_nodes(s, at + pos, at + pos + 1, n - pos);
    s->live_nodes--;
    if (n == 0) {
        blk_free(s, at, cap);
        p = N(s, parent);
        set_kids(p, 0, 0, 0);
        return;
    }
    /* A block left less than half full gives its tail back. */
    if (2 * n <= cap) {
        uint32_t fit = cap_for(n);
        if (fit < cap)
            blk_free(s, at + fit, cap - fit);
        cap = fit;
    }
    set_kids(N(s, parent), at, n, cap);
}

static void unchain(ps_space *s, nid k)
{
    while (k) {
        nid next = n_kids(N(s, k));
        blk_free(s, k, 1);
        s->live_nodes--;
        k = next;
    }
}

/* Fills node n as a piece of len bytes of an edge: first byte c, the rest
 * at lab, with flags, and below it the chain's next piece (0: none). */
static void piece(node *n, uint8_t c, uint32_t len, lid lab, uint32_t flags, nid below)
{
    n->lab = (uint32_t)lab;
    n->meta = mk_meta(c, len, lab, below ? 0 : flags);
    set_kids(n, below, below ? 1 : 0, below ? 1 : 0);
}

/* An edge is cut into pieces of MAX_EDGE bytes (the last one shorter).
 * Builds the nodes of every piece after the first, bottom up, none linked
 * to a parent yet: *top is the second piece's node (0 if there is one
 * piece), *last the last piece's. */
static int chain(ps_space *s, const uint8_t *p, size_t len, uint32_t flags, nid *top, nid *last)
{
    nid below = 0;
    for (size_t j = (len - 1) / MAX_EDGE; j >= 1; j--) {
        size_t at = j * MAX_EDGE, take = len - at < MAX_EDGE ? len - at : MAX_EDGE;
        nid k;
        lid lab = labels_end(s);
        int rc = blk_alloc(s, 1, &k);
        if (!rc && take > 1 && (rc = ps__labels_put(s, p + at + 1, (uint32_t)take - 1, &lab)))
            blk_free(s, k, 1);
        if (rc) { /* nothing half-built stays allocated */
            unchain(s, below);
            return rc;
        }
        piece(N(s, k), p[at], (uint32_t)take, lab, flags, below);
        s->live_nodes++;
        if (!below)
            *last = k;
        below = k;
    }
    *top = below;
    return PS_OK;
}

int ps__add_edge(ps_space *s, nid parent, uint32_t pos, const uint8_t *p, size_t len,
                 uint32_t flags, nid *last)
{
    assert(len >= 1 && pos <= n_nkids(N(s, parent)));
    size_t head = len < MAX_EDGE ? len : MAX_EDGE;
    nid below = 0, k;
    lid lab = labels_end(s);
    int rc = chain(s, p, len, flags, &below, last);
    if (rc)
        return rc;
    if (head > 1 && (rc = ps__labels_put(s, p + 1, (uint32_t)head - 1, &lab))) {
        unchain(s, below);
        return rc;
    }
    if ((rc = kid_open(s, parent, pos, &k))) {
        if (head > 1) /* the head's bytes went in last: out again */
            last_lseg(s)->len = (uint32_t)lab;
        unchain(s, below);
        return rc;
    }
    piece(N(s, k), p[0], (uint32_t)head, lab, flags, below);
    if (!below)
        *last = k;
    return PS_OK;
}

int ps__set_val(ps_space *s, nid k, uint64_t v)
{
    int rc = ps__vals_on(s);
    if (rc)
        return rc;
    *V(s, k) = v;
    N(s, k)->meta |= M_VAL;
    return PS_OK;
}

int ps__split(ps_space *s, nid k, uint32_t i)
{
    assert(k != ROOT && i > 0 && i < n_len(N(s, k)));
    nid t;
    int rc = blk_alloc(s, 1, &t);
    if (rc)
        return rc;
    node *n = N(s, k), *m = N(s, t);
    uint32_t len = n_len(n);
    lid lab = n_lab(n);
    /* the child's first byte stays in the arena, just before its tail */
    piece(m, L(s, lab)[i - 1], len - i, lab + i, n->meta & (M_TERM | M_VAL), 0);
    m->nk = n->nk;
    m->kids = n->kids;
    if (s->vs.len)
        *V(s, t) = *V(s, k);
    n->meta = mk_meta(n_first(n), i, lab, 0);
    set_kids(n, t, 1, 1);
    s->live_nodes++;
    s->dead_labels++; /* the child's first byte, in meta from now on */
    return PS_OK;
}

/* The edge bytes of n's tail, m's first byte and m's tail as one run: where
 * a split left them (adjacent, in one segment), or else a copy at the
 * arena's end. 0 if neither (no memory: the nodes stay apart). */
static int joined_run(ps_space *s, const node *n, const node *m, lid *at)
{
    lid nl = n_lab(n), ml = n_lab(m);
    uint32_t ln = n_len(n), lm = n_len(m);
    if (ml == nl + ln && (ml >> 32) < s->ls.len && (uint32_t)ml - 1 < s->ls.data[ml >> 32].len &&
        L(s, ml - 1)[0] == n_first(m)) {
        if (s->dead_labels) /* the split's spare byte is used again */
            s->dead_labels--;
        *at = nl;
        return 1;
    }
    uint8_t run[MAX_EDGE];
    if (ln > 1)
        ps__copy(run, L(s, nl), ln - 1);
    run[ln - 1] = n_first(m);
    if (lm > 1)
        ps__copy(run + ln, L(s, ml), lm - 1);
    if (ps__labels_put(s, run, ln + lm - 1, at))
        return 0;
    s->dead_labels += ln + lm - 2;
    return 1;
}

int ps__merge(ps_space *s, nid k)
{
    node *n = N(s, k);
    if (k == ROOT || (n->meta & M_TERM) || n_nkids(n) != 1)
        return 0;
    nid c = n_kids(n);
    node *m = N(s, c);
    uint32_t len = n_len(n) + n_len(m), cap = n_cap(n);
    lid at;
    if (len > MAX_EDGE || !joined_run(s, n, m, &at))
        return 0;
    n = N(s, k); /* no node moved, but say so */
    m = N(s, c);
    n->lab = (uint32_t)at;
    n->meta = mk_meta(n_first(n), len, at, m->meta & (M_TERM | M_VAL));
    if (s->vs.len)
        *V(s, k) = *V(s, c);
    n->kids = m->kids;
    n->nk = m->nk;
    blk_free(s, c, cap);
    s->live_nodes--;
    return 1;
}
