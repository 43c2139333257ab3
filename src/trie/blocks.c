/*
 * blocks.c - the node arena's blocks of children: allocation by size
 * class, free lists, making room for a child and taking one out, edge
 * chains and splits (shared by the point operations and the builder).
 */
#include <string.h>

#include "trie.h"

/* Classes grow by about 1.5x: a full block moves at most 16 times on the
 * way to 256 children, and a block wastes a third of itself at worst. */
const uint16_t ps__blk_size[NCLS] = { 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256 };

static unsigned cls_for(uint32_t n)
{
    unsigned c = 0;
    while (ps__blk_size[c] < n)
        c++;
    return c;
}

/* Moves n nodes (and their values, when there are any) from src to dst;
 * the ranges may overlap. */
static void move_nodes(ps_space *s, uint32_t dst, uint32_t src, uint32_t n)
{
    memmove(&s->nodes.data[dst], &s->nodes.data[src], (size_t)n * sizeof(node));
    if (s->vals.len)
        memmove(&s->vals.data[dst], &s->vals.data[src], (size_t)n * sizeof(uint64_t));
}

/* Gives slots [at, at + n) back to the free lists, as the largest blocks
 * they make up. */
static void free_slots(ps_space *s, uint32_t at, uint32_t n)
{
    while (n) {
        unsigned c = NCLS - 1;
        while (ps__blk_size[c] > n)
            c--;
        ps__blk_free(s, at, c);
        at += ps__blk_size[c];
        n -= ps__blk_size[c];
    }
}

/* A free block of class cls, or one cut from a larger free block (the
 * rest goes back to the free lists): blocks freed by nodes that grew are
 * reused by the many small ones. 0 if there is none. */
static uint32_t take_free(ps_space *s, unsigned cls)
{
    for (unsigned c = cls; c < NCLS; c++) {
        uint32_t at = s->free_blk[c];
        if (!at)
            continue;
        s->free_blk[c] = s->nodes.data[at].kids;
        if (c > cls)
            free_slots(s, at + ps__blk_size[cls], ps__blk_size[c] - ps__blk_size[cls]);
        return at;
    }
    return 0;
}

int ps__blk_alloc(ps_space *s, unsigned cls, uint32_t *out)
{
    uint32_t size = ps__blk_size[cls], at = take_free(s, cls);
    if (!at) {
        at = s->nodes.len;
        if ((uint64_t)at + size > PS_VEC_MAX_LEN)
            return PS_E_OVERFLOW;
        int rc = node_vec_reserve(&s->nodes, size);
        if (!rc && s->vals.len)
            rc = u64_vec_reserve(&s->vals, size);
        if (rc)
            return rc;
        s->nodes.len += size;
        if (s->vals.len)
            s->vals.len += size;
    }
    memset(&s->nodes.data[at], 0, (size_t)size * sizeof(node));
    *out = at;
    return PS_OK;
}

void ps__blk_free(ps_space *s, uint32_t at, unsigned cls)
{
    node *n = &s->nodes.data[at];
    n->meta = FREE_META;
    n->kids = s->free_blk[cls];
    n->nk = 0;
    s->free_blk[cls] = at;
}

int ps__kid_open(ps_space *s, uint32_t parent, uint32_t pos, uint32_t *out)
{
    node *p = &s->nodes.data[parent];
    uint32_t n = n_nkids(p), old = p->kids;
    unsigned cls = n_cls(p);
    if (n && n < ps__blk_size[cls]) { /* room in the block: shift the tail up */
        move_nodes(s, old + pos + 1, old + pos, n - pos);
    } else if (n == 256) {
        return PS_E_INVAL; /* 256 first bytes at most: cannot happen */
    } else {
        unsigned nc = n ? cls + 1 : 0;
        uint32_t at;
        int rc = ps__blk_alloc(s, nc, &at);
        if (rc)
            return rc;
        p = &s->nodes.data[parent];
        if (n) {
            move_nodes(s, at, old, pos);
            move_nodes(s, at + pos + 1, old + pos, n - pos);
            ps__blk_free(s, old, cls);
        }
        p->kids = at;
        cls = nc;
    }
    p->nk = (n + 1) | (uint32_t)cls << CLS_SHIFT;
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
    uint32_t n = n_nkids(p) - 1, at = p->kids;
    unsigned cls = n_cls(p);
    move_nodes(s, at + pos, at + pos + 1, n - pos);
    s->live_nodes--;
    if (n == 0) {
        ps__blk_free(s, at, cls);
        p->kids = p->nk = 0;
        return;
    }
    unsigned fit = cls_for(n);
    uint32_t to;
    /* A block left less than half full moves to the class that fits (if
     * memory for it can be had: a removal never fails). */
    if (2 * n <= ps__blk_size[cls] && ps__blk_alloc(s, fit, &to) == PS_OK) {
        p = &s->nodes.data[parent];
        move_nodes(s, to, at, n);
        ps__blk_free(s, at, cls);
        p->kids = to;
        cls = fit;
    }
    p->nk = n | (uint32_t)cls << CLS_SHIFT;
}

static void unchain(ps_space *s, uint32_t k)
{
    while (k) {
        uint32_t next = s->nodes.data[k].kids;
        ps__blk_free(s, k, 0);
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
        int rc = ps__blk_alloc(s, 0, &k);
        if (!rc && take > 1 && (rc = byte_vec_extend(&s->labels, p + at + 1, take - 1)))
            ps__blk_free(s, k, 0);
        if (rc) { /* nothing half-built stays allocated */
            unchain(s, below);
            return rc;
        }
        node *n = &s->nodes.data[k];
        n->lab = s->labels.len - (uint32_t)(take - 1);
        n->meta = p[at] | (uint32_t)take << LEN_SHIFT | (below ? 0 : flags);
        n->kids = below;
        n->nk = below ? 1 : 0;
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
    n->nk = below ? 1 : 0;
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
    int rc = ps__blk_alloc(s, 0, &t);
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
    n->nk = 1; /* class 0 */
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
    n->meta = n_first(n) | (uint32_t)len << LEN_SHIFT | (m->meta & (M_TERM | M_VAL));
    if (s->vals.len)
        s->vals.data[k] = s->vals.data[c];
    n->kids = m->kids;
    n->nk = m->nk;
    ps__blk_free(s, c, 0);
    s->live_nodes--;
    return 1;
}
