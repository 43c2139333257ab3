/*
 * build.c - bulk build from sorted paths.
 *
 * Sorted input means every new path branches off the rightmost spine of the
 * trie (the path to the previous leaf) at depth lcp(prev, path), and its new
 * edge is the last child there. So the builder keeps that spine as a stack
 * and never searches for a child: per path it computes one common prefix,
 * pops the spine, splits at most one node, and appends one edge.
 *
 * The children of a spine node are not final until it is popped, so they
 * wait in a staging stack: level i's children are stage[sp[i].first ..
 * sp[i+1].first), and the last of them is spine node i+1. Popping a level
 * writes its children to the node arena as one block of exactly their
 * number, at the arena's end: no block ever moves or wastes a slot, and the
 * arena fills in order. The arena keeps room for every staged node (and its
 * value), so popping never fails; ps_builder_free pops the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/lcp.h"
#include "trie.h"

typedef struct level {
    uint64_t start, end; /* path depth before and after its node's edge */
    uint32_t first;      /* its children in the stage, from here on      */
} level;

PS_VEC_DEFINE(level_vec, level)

struct ps_builder {
    ps_space *s;
    level_vec sp;
    node_vec st;  /* the staged nodes                                   */
    u64_vec stv;  /* their values, kept once the space has values       */
    ps_buf prev;
    int any;
};

int ps_builder_new(ps_space *s, ps_builder **out)
{
    if (s->count || n_nkids(N(s, ROOT)))
        return PS_E_INVAL;
    ps_builder *b = ps_calloc(1, sizeof *b);
    if (!b)
        return PS_E_NOMEM;
    level root = { 0, 0, 0 };
    if (level_vec_push(&b->sp, root)) {
        free(b);
        return PS_E_NOMEM;
    }
    b->s = s;
    *out = b;
    return PS_OK;
}

/* The node of spine level i: the root, or the last child staged above it. */
static node *level_node(ps_builder *b, uint32_t i)
{
    return i ? &b->st.data[b->sp.data[i].first - 1] : N(b->s, ROOT);
}

/* Writes stage[first ..) to the arena's end (room was kept) as the block
 * of kids of n, and drops them from the stage. */
static void emit(ps_builder *b, uint32_t first, node *n)
{
    ps_space *s = b->s;
    uint32_t k = b->st.len - first;
    nid at = nodes_end(s);
    set_kids(n, 0, 0, 0);
    if (!k)
        return;
    memcpy(N(s, at), &b->st.data[first], (size_t)k * sizeof(node));
    if (s->vs.len) {
        memcpy(V(s, at), &b->stv.data[first], (size_t)k * sizeof(uint64_t));
        s->vs.data[s->vs.len - 1].len += k;
        b->stv.len = first;
    }
    last_nseg(s)->len += k;
    s->live_nodes += k;
    set_kids(n, at, k, k);
    b->st.len = first;
}

/* Pops the deepest level: its children are final. */
static void pop(ps_builder *b)
{
    uint32_t i = b->sp.len - 1;
    emit(b, b->sp.data[i].first, level_node(b, i));
    b->sp.len--;
}

void ps_builder_free(ps_builder *b)
{
    if (!b)
        return;
    while (b->sp.len)
        pop(b);
    level_vec_free(&b->sp);
    node_vec_free(&b->st);
    u64_vec_free(&b->stv);
    ps_buf_free(&b->prev);
    free(b);
}

/* l falls inside the edge of the deepest level's node e: e keeps the bytes
 * before l, and a new node t the rest, with e's flags, value and children
 * (all final: every level below was popped). t is e's only child. */
static void split(ps_builder *b, uint64_t l)
{
    ps_space *s = b->s;
    level *e = &b->sp.data[b->sp.len - 1];
    node *en = &b->st.data[e->first - 1];
    uint32_t i = (uint32_t)(l - e->start), len = n_len(en);
    lid lab = n_lab(en);
    node t = { (uint32_t)(lab + i),
               mk_meta(L(s, lab)[i - 1], len - i, lab + i, en->meta & (M_TERM | M_VAL)), 0,
               0 };
    uint64_t tv = s->vs.len ? b->stv.data[e->first - 1] : 0;
    emit(b, e->first, &t);
    en = &b->st.data[e->first - 1];
    en->meta = mk_meta(n_first(en), i, lab, 0);
    b->st.data[b->st.len++] = t; /* room was reserved */
    s->dead_labels++;            /* t's first byte, in its meta */
    if (s->vs.len) {
        b->stv.data[e->first - 1] = 0;
        b->stv.data[b->stv.len++] = tv;
    }
    e->end = l;
}

/* Stages the edge p[0..len) below the deepest level, a level for each of
 * its pieces (MAX_EDGE bytes at most); the last one ends the path. */
static void append(ps_builder *b, const uint8_t *p, size_t len, uint64_t depth, int has_value,
                   uint64_t value)
{
    ps_space *s = b->s;
    for (size_t at = 0; at < len;) {
        size_t take = len - at < MAX_EDGE ? len - at : MAX_EDGE;
        int last = at + take == len;
        lid lab = labels_end(s);
        node x = { (uint32_t)lab,
                   mk_meta(p[at], (uint32_t)take, lab,
                           last ? M_TERM | (has_value ? M_VAL : 0) : 0),
                   0, 0 };
        if (take > 1) { /* reserved, in the last segment */
            byte_vec *g = last_lseg(s);
            ps__copy(g->data + g->len, p + at + 1, take - 1);
            g->len += (uint32_t)(take - 1);
        }
        b->st.data[b->st.len++] = x;
        if (s->vs.len)
            b->stv.data[b->stv.len++] = last && has_value ? value : 0;
        level lv = { depth + at, depth + at + take, b->st.len };
        b->sp.data[b->sp.len++] = lv;
        at += take;
    }
}

/* Values from now on, in the space and for the nodes already staged. */
static int vals_on(ps_builder *b)
{
    if (b->s->vs.len)
        return PS_OK;
    int rc = u64_vec_push_n(&b->stv, 0, b->st.len);
    if (!rc && (rc = ps__vals_on(b->s)))
        b->stv.len = 0;
    return rc;
}

static int add(ps_builder *b, ps_bytes p, int has_value, uint64_t value)
{
    ps_space *s = b->s;
    int rc;
    size_t l = 0;
    if (b->any) { /* the common prefix says the order too: one pass */
        ps_bytes prev = ps_buf_bytes(&b->prev);
        l = ps__lcp(prev.ptr, prev.len, p.ptr, p.len);
        if (l == p.len)
            return l == prev.len ? PS_OK : PS_E_INVAL; /* a duplicate, or a prefix of prev */
        if (l < prev.len && p.ptr[l] < prev.ptr[l])
            return PS_E_INVAL;
    }
    /* Everything that can fail is reserved first, so a path is either fully
     * added (and counted) or not added at all: stage and spine room for the
     * pieces and a split, arena room (and values) for everything staged,
     * the edge bytes and the copy of the path. */
    uint64_t k = 2 + (p.len - l) / MAX_EDGE;
    lid lab;
    if (p.len - l > UINT32_MAX || b->st.len + k > UINT32_MAX)
        return PS_E_OVERFLOW;
    if ((rc = level_vec_reserve(&b->sp, k)) || (rc = node_vec_reserve(&b->st, k)) ||
        (has_value && (rc = vals_on(b))) ||
        (rc = nodes_room(s, b->st.len + (uint32_t)k)) ||
        (s->vs.len && (rc = u64_vec_reserve(&b->stv, k))) ||
        (rc = labels_room(s, (uint32_t)(p.len - l), &lab)) ||
        (p.len > b->prev.len && (rc = ps_buf_reserve(&b->prev, p.len - b->prev.len))))
        return rc;
    while (b->sp.len > 1 && b->sp.data[b->sp.len - 1].start >= l)
        pop(b);
    if (b->sp.data[b->sp.len - 1].end > l)
        split(b, l);
    if (p.len > l) {
        append(b, p.ptr + l, p.len - l, l, has_value, value);
    } else { /* only the empty path, first */
        N(s, ROOT)->meta |= M_TERM;
        if (has_value)
            ps__set_val(s, ROOT, value); /* vals are on: cannot fail */
    }
    ps_buf_clear(&b->prev, 0);
    ps_buf_append(&b->prev, p.ptr, p.len); /* reserved */
    b->any = 1;
    s->count++;
    s->path_bytes += p.len;
    return PS_OK;
}

int ps_builder_add(ps_builder *b, ps_bytes path)
{
    return add(b, path, 0, 0);
}

int ps_builder_add_value(ps_builder *b, ps_bytes path, uint64_t value)
{
    return add(b, path, 1, value);
}
