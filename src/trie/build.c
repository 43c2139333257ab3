/*
 * build.c - bulk build from sorted paths.
 *
 * Sorted input means every new path branches off the rightmost spine of the
 * trie (the path to the previous leaf) at depth lcp(prev, path), and its new
 * edge is the last child there. So the builder keeps that spine as a stack
 * and never searches a sibling list: per path it computes one common prefix,
 * pops the spine, splits at most one node, and appends one edge.
 */
#include <stdlib.h>

#include "common/alloc.h"
#include "common/lcp.h"
#include "trie.h"

typedef struct spine {
    uint32_t node;
    uint64_t start, end; /* path depth before and after this node's edge */
} spine;

PS_VEC_DEFINE(spine_vec, spine)

struct ps_builder {
    ps_space *s;
    spine_vec sp;
    ps_buf prev;
    int any;
    int failed; /* an error left the spine behind the trie: no more adds */
};

int ps_builder_new(ps_space *s, ps_builder **out)
{
    if (s->count || n_nkids(&s->nodes.data[ROOT]))
        return PS_E_INVAL;
    ps_builder *b = ps_calloc(1, sizeof *b);
    if (!b)
        return PS_E_NOMEM;
    spine root = { ROOT, 0, 0 };
    if (spine_vec_push(&b->sp, root)) {
        free(b);
        return PS_E_NOMEM;
    }
    b->s = s;
    *out = b;
    return PS_OK;
}

void ps_builder_free(ps_builder *b)
{
    if (!b)
        return;
    spine_vec_free(&b->sp);
    ps_buf_free(&b->prev);
    free(b);
}

/* Pushes the spine entries for a fresh chain first..last starting at depth. */
static int push_chain(ps_builder *b, uint32_t k, uint64_t depth)
{
    const node *nd = b->s->nodes.data;
    for (;;) {
        spine e = { k, depth, depth + n_len(&nd[k]) };
        int rc = spine_vec_push(&b->sp, e);
        if (rc)
            return rc;
        depth = e.end;
        if (!n_nkids(&nd[k]))
            return PS_OK;
        k = nd[k].kids; /* a chain: one child each */
    }
}

static int add(ps_builder *b, ps_bytes p, int has_value, uint64_t value)
{
    ps_space *s = b->s;
    int rc;
    size_t l = 0;
    if (b->failed)
        return b->failed;
    if (b->any) {
        ps_bytes prev = ps_buf_bytes(&b->prev);
        int c = ps_bytes_cmp(p, prev);
        if (c == 0)
            return PS_OK; /* duplicate */
        if (c < 0)
            return PS_E_INVAL;
        l = ps__lcp(prev.ptr, prev.len, p.ptr, p.len);
    }
    /* Everything that can fail after the trie changes is reserved first, so
     * a path is either fully added (and counted) or not added at all: the
     * nodes (a split, a block of up to 256, the chain), their values, the
     * edge bytes, the spine and the copy of the path. */
    uint64_t chain = 2 + p.len / MAX_EDGE, slots = chain + 1 + 256;
    if ((rc = spine_vec_reserve(&b->sp, chain)) || (rc = node_vec_reserve(&s->nodes, slots)) ||
        (has_value && (rc = ps__vals_on(s))) ||
        (s->vals.len && (rc = u64_vec_reserve(&s->vals, slots))) ||
        (rc = byte_vec_reserve(&s->labels, p.len)) ||
        (p.len > b->prev.len && (rc = ps_buf_reserve(&b->prev, p.len - b->prev.len))))
        return rc;
    /* Pop to the deepest spine node whose edge starts before l. */
    while (b->sp.len > 1 && b->sp.data[b->sp.len - 1].start >= l)
        b->sp.len--;
    spine *e = &b->sp.data[b->sp.len - 1];
    if (e->end > l) { /* l falls inside e's edge: split there */
        if ((rc = ps__split(s, e->node, (uint32_t)(l - e->start))))
            return b->failed = rc;
        e->end = l;
    }
    uint32_t at = e->node, leaf = at;
    if (p.len > l) {
        uint32_t pos = n_nkids(&s->nodes.data[at]); /* sorted: the last child */
        if ((rc = ps__add_edge(s, at, pos, p.ptr + l, p.len - l, M_TERM, &leaf)))
            return b->failed = rc; /* the spine was popped: this builder is done */
        if ((rc = push_chain(b, s->nodes.data[at].kids + pos, l))) /* reserved: cannot fail */
            return b->failed = rc;
    } else {
        s->nodes.data[at].meta |= M_TERM; /* only the empty path, first */
    }
    if (has_value && (rc = ps__set_val(s, leaf, value))) /* reserved above */
        return b->failed = rc;
    ps_buf_clear(&b->prev, 0);
    if ((rc = ps_buf_append(&b->prev, p.ptr, p.len)))
        return rc;
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
