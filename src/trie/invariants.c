/*
 * invariants.c - the trie's invariants (trie.h), checked whole: what the
 * tests run after every kind of change, so a corruption is caught where it
 * starts and not where it is read. The walk is iterative (a space may be
 * millions of levels deep) and reads nothing outside the arenas, so it may
 * run on a space it suspects.
 */
#include "common/alloc.h"
#include "common/diag.h"
#include "trie.h"

PS_VEC_DEFINE(walk_vec, uint64_t) /* nid << 1 | 0, then the path length */

/* A block of cap slots at k lies inside its segment. */
static int block_ok(const ps_space *s, nid k, uint32_t cap)
{
    uint32_t seg = (uint32_t)(k >> 32);
    return seg < s->ns.len && (uint64_t)(uint32_t)k + cap <= s->ns.data[seg].len;
}

/* n's edge bytes after the first lie inside their label segment. */
static int label_ok(const ps_space *s, const node *n)
{
    if (n_len(n) <= 1)
        return 1;
    lid a = n_lab(n);
    uint32_t seg = (uint32_t)(a >> 32);
    return seg < s->ls.len && (uint64_t)(uint32_t)a + n_len(n) - 1 <= s->ls.data[seg].len;
}

typedef struct tally {
    uint64_t paths, bytes, nodes;
} tally;

/* One node k at depth (path bytes above and on its edge): its own fields,
 * then its children's order; pushes them. */
static int check_node(const ps_space *s, nid k, uint64_t depth, walk_vec *st, tally *t,
                      ps_diag *d)
{
    const node *n = N(s, k);
    uint32_t nk = n_nkids(n), cap = n_cap(n);
    t->nodes++;
    if (n->nk & FREE_NK)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, k, "a live node is tagged free");
    if (k != ROOT && (n_len(n) < 1 || !label_ok(s, n)))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, k, "an edge outside the label arena");
    if ((n->meta & M_VAL) && !s->vs.len)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, k, "a value with no value segments");
    if (n->meta & M_TERM)
        t->paths++, t->bytes += depth;
    else if (!nk && k != ROOT)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, k, "a leaf that ends no path");
    if (!nk)
        return PS_OK;
    if (nk > cap || cap > MAX_KIDS || !block_ok(s, n_kids(n), cap))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, k, "a block of %u children in %u slots",
                            nk, cap);
    const node *b = N(s, n_kids(n));
    for (uint32_t i = 0; i < nk; i++) {
        if (i && n_first(&b[i - 1]) >= n_first(&b[i]))
            return ps__diag_set(d, PS_E_CORRUPT, NULL, k, "children out of order");
        if (walk_vec_push(st, n_kids(n) + i) || walk_vec_push(st, depth + n_len(&b[i])))
            return PS_E_NOMEM;
    }
    return PS_OK;
}

/* Every free list: blocks tagged free at both ends, of their list's size,
 * inside their segment, linked both ways. */
static int check_free(const ps_space *s, ps_diag *d)
{
    for (unsigned l = 1; l <= MAX_KIDS + 1; l++) {
        int listed = s->free_blk[l] != 0, mapped = (int)(s->free_map[l >> 6] >> (l & 63) & 1);
        if (listed != mapped)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, l, "free map and list %u disagree", l);
        nid prev = 0;
        uint64_t seen = 0;
        for (nid at = s->free_blk[l]; at; seen++) {
            const node *h = N(s, at);
            uint32_t cap = h->meta;
            if (!(h->nk & FREE_NK) || !block_ok(s, at, cap) || !cap ||
                (l <= MAX_KIDS ? cap != l : cap <= MAX_KIDS) ||
                !(N(s, at + cap - 1)->nk & FREE_NK) || seen > s->ns.len * (uint64_t)SEG_NODES)
                return ps__diag_set(d, PS_E_CORRUPT, NULL, at, "a bad block on free list %u", l);
            nid p = (uint64_t)(h->nk & SEG_MASK) << 32 | h->lab;
            if (p != prev)
                return ps__diag_set(d, PS_E_CORRUPT, NULL, at, "free list %u linked wrong", l);
            prev = at;
            at = (uint64_t)(h->nk >> 12 & SEG_MASK) << 32 | h->kids;
        }
    }
    return PS_OK;
}

int ps__space_check(const ps_space *s, ps_diag *d)
{
    walk_vec st;
    walk_vec_init(&st);
    tally t = { 0, 0, 0 };
    int rc = walk_vec_push(&st, ROOT) || walk_vec_push(&st, 0) ? PS_E_NOMEM : PS_OK;
    while (!rc && st.len) {
        uint64_t depth = st.data[--st.len], k = st.data[--st.len];
        rc = check_node(s, k, depth, &st, &t, d);
    }
    walk_vec_free(&st);
    if (rc == PS_E_NOMEM)
        return ps__diag_set(d, rc, NULL, 0, "out of memory");
    if (!rc && (t.paths != s->count || t.bytes != s->path_bytes || t.nodes != s->live_nodes))
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0,
                          "counts: %llu paths, %llu bytes, %llu nodes found; %llu, %llu, %llu "
                          "kept", (unsigned long long)t.paths, (unsigned long long)t.bytes,
                          (unsigned long long)t.nodes, (unsigned long long)s->count,
                          (unsigned long long)s->path_bytes, (unsigned long long)s->live_nodes);
    return rc ? rc : check_free(s, d);
}
