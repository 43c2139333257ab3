/*
 * blocks.c - the node arena's blocks of children: allocation, free lists
 * by capacity, making room for a child and taking one out, edge chains,
 * splits and merges (for the point operations; the builder writes whole
 * blocks itself).
 */
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
static void move_nodes(ps_space *s, uint32_t dst, uint32_t src, uint32_t n)
{
    memmove(&s->nodes.data[dst], &s->nodes.data[src], (size_t)n * sizeof(node));
    if (s->vals.len)
        memmove(&s->vals.data[dst], &s->vals.data[src], (size_t)n * sizeof(uint64_t));
}

static unsigned list_of(uint32_t cap)
{
    return cap > MAX_KIDS ? MAX_KIDS + 1 : cap;
}

static int is_free(const ps_space *s, uint32_t at)
{
    return (s->nodes.data[at].nk & FREE_NK) != 0;
}

static uint32_t free_cap(const ps_space *s, uint32_t at)
{
    return s->nodes.data[at].nk & ~FREE_NK;
}

static void unlink_free(ps_space *s, uint32_t at)
{
    node *n = &s->nodes.data[at];
    unsigned l = list_of(free_cap(s, at));
    if (n->lab)
        s->nodes.data[n->lab].kids = n->kids;
    else if (!(s->free_blk[l] = n->kids))
        s->free_map[l >> 6] &= ~(1ull << (l & 63));
    if (n->kids)
        s->nodes.data[n->kids].lab = n->lab;
    n->nk = 0;
}

void ps__blk_free(ps_space *s, uint32_t at, uint32_t cap)
{
    uint32_t end = at + cap;
    if (end < s->nodes.len && is_free(s, end)) { /* the block after */
        uint32_t c = free_cap(s, end);
        unlink_free(s, end);
        end += c;
    }
    if (at > 1 && is_free(s, at - 1)) { /* the block before, by its last slot's tag */
        uint32_t c = free_cap(s, at - 1);
        unlink_free(s, at - c);
        at -= c;
    }
    if (end == s->nodes.len) { /* at the end: the arena gets shorter */
        s->nodes.len = at;
        if (s->vals.len)
            s->vals.len = at;
        return;
    }
    cap = end - at;
    unsigned l = list_of(cap);
    node *n = &s->nodes.data[at];
    n->meta = 0;
    n->nk = FREE_NK | cap;
    n->lab = 0;
    n->kids = s->free_blk[l];
    if (n->kids)
        s->nodes.data[n->kids].lab = at;
    s->free_blk[l] = at;
    s->free_map[l >> 6] |= 1ull << (l & 63);
    s->nodes.data[end - 1].nk = FREE_NK | cap; /* the last slot's tag */
}

/* A free block of cap slots, or the front of the smallest larger one (the
 * rest is freed again). 0 if there is none. */
static uint32_t take_free(ps_space *s, uint32_t cap)
{
    for (uint32_t w = cap >> 6; w < 5; w++) {
        uint64_t m = s->free_map[w];
        if (w == cap >> 6)
            m &= ~0ull << (cap & 63);
        if (!m)
            continue;
        uint32_t l = w * 64 + (uint32_t)__builtin_ctzll(m), at = s->free_blk[l];
        uint32_t c = free_cap(s, at);
        (void)l;
        unlink_free(s, at);
        /* cleared before the rest is freed: an old tag inside it would look
         * like a free neighbour */
        memset(&s->nodes.data[at], 0, (size_t)cap * sizeof(node));
        s->nodes.data[at + c - 1].nk = 0;
        if (c > cap)
            ps__blk_free(s, at + cap, c - cap);
        return at;
    }
    return 0;
}

int ps__blk_alloc(ps_space *s, uint32_t cap, uint32_t *out)
{
    uint32_t at = take_free(s, cap);
    if (!at) {
        at = s->nodes.len;
        if ((uint64_t)at + cap > PS_VEC_MAX_LEN)
            return PS_E_OVERFLOW;
        int rc = node_vec_reserve(&s->nodes, cap);
        if (!rc && s->vals.len)
            rc = u64_vec_reserve(&s->vals, cap);
        if (rc)
            return rc;
        s->nodes.len += cap;
        if (s->vals.len)
            s->vals.len += cap;
    }
    memset(&s->nodes.data[at], 0, (size_t)cap * sizeof(node));
    *out = at;
    return PS_OK;
}

int ps__kid_open(ps_space *s, uint32_t parent, uint32_t pos, uint32_t *out)
{
    node *p = &s->nodes.data[parent];
    uint32_t n = n_nkids(p), old = p->kids, cap = n_cap(p);
    if (n < cap) { /* room in the block: shift the tail up */
        move_nodes(s, old + pos + 1, old + pos, n - pos);
    } else if (n == MAX_KIDS) {
        return PS_E_INVAL; /* 256 first bytes at most: cannot happen */
    } else {
        uint32_t nc = cap_for(n + 1), at;
        int rc = ps__blk_alloc(s, nc, &at);
        if (rc)
            return rc;
        p = &s->nodes.data[parent];
        if (n) {
            move_nodes(s, at, old, pos);
            move_nodes(s, at + pos + 1, old + pos, n - pos);
            ps__blk_free(s, old, cap);
        }
        p->kids = at;
        cap = nc;
    }
    p->nk = (n + 1) | cap << CAP_SHIFT;
    node *k = &s->nodes.data[p->kids + pos];
    memset(k, 0, sizeof *k);
    if (s->vals.len)
        s->vals.data[p->kids + pos] = 0;
    s->live_nodes++;
    *out = p->kids + pos;
    return PS_OK;
}

void ps__kid_close(ps_space *s, uint32_t parent, uint32_t pos)
{
    node *p = &s->nodes.data[parent];
    uint32_t n = n_nkids(p) - 1, at = p->kids, cap = n_cap(p);
    move_nodes(s, at + pos, at + pos + 1, n - pos);
    s->live_nodes--;
    if (n == 0) {
        ps__blk_free(s, at, cap);
        p->kids = p->nk = 0;
        return;
    }
    /* A block left less than half full gives its tail back. */
    if (2 * n <= cap) {
        uint32_t fit = cap_for(n);
        if (fit < cap)
            ps__blk_free(s, at + fit, cap - fit);
        cap = fit;
    }
    p->nk = n | cap << CAP_SHIFT;
}

static void unchain(ps_space *s, uint32_t k)
{
    while (k) {
        uint32_t next = s->nodes.data[k].kids;
        ps__blk_free(s, k, 1);
        s->live_nodes--;
        k = next;
    }
}

/* An edge is cut into pieces of MAX_EDGE bytes (the last one shorter).
 * Builds the nodes of every piece after the first, bottom up, none linked
 * to a parent yet: *top is the second piece's node (0 if there is one
 * piece), *last the last piece's. */
static int chain(ps_space *s, const uint8_t *p, size_t len, uint32_t flags, uint32_t *top,
                 uint32_t *last)
{
    uint32_t below = 0;
    for (size_t j = (len - 1) / MAX_EDGE; j >= 1; j--) {
        size_t at = j * MAX_EDGE, take = len - at < MAX_EDGE ? len - at : MAX_EDGE;
        uint32_t k;
        int rc = ps__blk_alloc(s, 1, &k);
        if (!rc && take > 1 && (rc = byte_vec_extend(&s->labels, p + at + 1, take - 1)))
            ps__blk_free(s, k, 1);
        if (rc) { /* nothing half-built stays allocated */
            unchain(s, below);
            return rc;
        }
        node *n = &s->nodes.data[k];
        n->lab = s->labels.len - (uint32_t)(take - 1);
        n->meta = p[at] | (uint32_t)take << LEN_SHIFT | (below ? 0 : flags);
        n->kids = below;
        n->nk = below ? 1 | 1u << CAP_SHIFT : 0;
        s->live_nodes++;
        if (!below)
            *last = k;
        below = k;
    }
    *top = below;
    return PS_OK;
}

int ps__add_edge(ps_space *s, uint32_t parent, uint32_t pos, const uint8_t *p, size_t len,
                 uint32_t flags, uint32_t *last)
{
    size_t head = len < MAX_EDGE ? len : MAX_EDGE;
    if ((uint64_t)s->labels.len + len > PS_VEC_MAX_LEN)
        return PS_E_OVERFLOW;
    uint32_t below = 0, k, lab;
    int rc = chain(s, p, len, flags, &below, last);
    if (rc)
        return rc;
    lab = s->labels.len;
    if ((head > 1 && (rc = byte_vec_extend(&s->labels, p + 1, head - 1))) ||
        (rc = ps__kid_open(s, parent, pos, &k))) {
        s->labels.len = lab;
        unchain(s, below);
        return rc;
    }
    node *n = &s->nodes.data[k];
    n->lab = lab;
    n->meta = p[0] | (uint32_t)head << LEN_SHIFT | (below ? 0 : flags);
    n->kids = below;
    n->nk = below ? 1 | 1u << CAP_SHIFT : 0;
    if (!below)
        *last = k;
    return PS_OK;
}

int ps__vals_on(ps_space *s)
{
    return s->vals.len ? PS_OK : u64_vec_push_n(&s->vals, 0, s->nodes.len);
}

int ps__set_val(ps_space *s, uint32_t k, uint64_t v)
{
    int rc = ps__vals_on(s);
    if (rc)
        return rc;
    s->vals.data[k] = v;
    s->nodes.data[k].meta |= M_VAL;
    return PS_OK;
}

int ps__split(ps_space *s, uint32_t k, uint32_t i)
{
    uint32_t t;
    int rc = ps__blk_alloc(s, 1, &t);
    if (rc)
        return rc;
    node *n = &s->nodes.data[k], *m = &s->nodes.data[t];
    uint32_t len = n_len(n);
    m->lab = n->lab + i;
    m->meta = s->labels.data[n->lab + i - 1] | (len - i) << LEN_SHIFT |
              (n->meta & (M_TERM | M_VAL));
    m->kids = n->kids;
    m->nk = n->nk;
    if (s->vals.len)
        s->vals.data[t] = s->vals.data[k];
    n->meta = n_first(n) | i << LEN_SHIFT;
    n->kids = t;
    n->nk = 1 | 1u << CAP_SHIFT;
    s->live_nodes++;
    return PS_OK;
}

int ps__merge(ps_space *s, uint32_t k)
{
    node *n = &s->nodes.data[k];
    if (k == ROOT || (n->meta & M_TERM) || n_nkids(n) != 1)
        return 0;
    uint32_t c = n->kids;
    node *m = &s->nodes.data[c];
    uint64_t len = (uint64_t)n_len(n) + n_len(m);
    /* adjacent: n's tail, then m's first byte, then m's tail, as a split
     * leaves them (the first byte stays in the arena behind the tail) */
    if (len > MAX_EDGE || !s->labels.data || m->lab != n->lab + n_len(n) ||
        m->lab - 1 >= s->labels.len || s->labels.data[m->lab - 1] != n_first(m))
        return 0;
    uint32_t cap = n_cap(n);
    n->meta = n_first(n) | (uint32_t)len << LEN_SHIFT | (m->meta & (M_TERM | M_VAL));
    if (s->vals.len)
        s->vals.data[k] = s->vals.data[c];
    n->kids = m->kids;
    n->nk = m->nk;
    ps__blk_free(s, c, cap);
    s->live_nodes--;
    return 1;
}
