/*
 * iter.c - ordered iteration, optionally under a prefix.
 *
 * Depth-first, pre-order, with an explicit stack of frames, each a run of
 * siblings still to visit (a slice of one block) at one depth: taking the
 * first node of the top run appends its edge to the path buffer (cut back
 * to the run's depth first), leaves the rest of the run, pushes the node's
 * children as a run, and yields the path if a path ends there. A node is
 * yielded before its children and siblings are in byte order, which is
 * exactly MORK's order.
 */
#include <stdlib.h>

#include "common/alloc.h"
#include "trie.h"

typedef struct iframe {
    nid node, end; /* nodes [node, end) of one block */
    uint64_t depth;
} iframe;

PS_VEC_DEFINE(iframe_vec, iframe)

struct ps_iter {
    const ps_space *s;
    iframe_vec st;
    ps_buf path;
};

/* Finds the node whose subtree holds exactly the paths with this prefix;
 * *depth = path length before that node's edge. 0 and no frame if none. */
static int seek(const ps_space *s, ps_bytes pre, nid *out, uint64_t *depth)
{
    nid cur = ROOT;
    uint64_t pos = 0;
    while (pos < pre.len) {
        uint8_t c = pre.ptr[pos];
        nid k = ps__kid(s, cur, c, NULL);
        if (!k)
            return 0;
        const node *n = N(s, k);
        uint64_t el = n_len(n), cmp = el - 1;
        if (cmp > pre.len - pos - 1)
            cmp = pre.len - pos - 1;
        if (cmp && memcmp(n_tail(s, n), pre.ptr + pos + 1, cmp))
            return 0;
        if (pos + el >= pre.len) {
            *out = k;
            *depth = pos;
            return 1;
        }
        cur = k;
        pos += el;
    }
    *out = ROOT;
    *depth = 0;
    return 1;
}

int ps_iter_new(const ps_space *s, ps_bytes prefix, ps_iter **out)
{
    ps_iter *it = ps_calloc(1, sizeof *it);
    if (!it)
        return PS_E_NOMEM;
    it->s = s;
    nid k;
    uint64_t depth;
    int rc = PS_OK;
    if (seek(s, prefix, &k, &depth)) {
        iframe f = { k, k + 1, depth };
        if ((rc = iframe_vec_push(&it->st, f)) == PS_OK)
            rc = ps_buf_append(&it->path, prefix.ptr, (size_t)depth);
    }
    if (rc) {
        ps_iter_free(it);
        return rc;
    }
    *out = it;
    return PS_OK;
}

void ps_iter_free(ps_iter *it)
{
    if (!it)
        return;
    iframe_vec_free(&it->st);
    ps_buf_free(&it->path);
    free(it);
}

int ps_iter_next(ps_iter *it, ps_bytes *path, int *has_value, uint64_t *value)
{
    const ps_space *s = it->s;
    int rc;
    while (it->st.len) {
        iframe *top = &it->st.data[it->st.len - 1];
        nid k = top->node;
        uint64_t depth = top->depth;
        if (++top->node == top->end)
            it->st.len--;
        const node *n = N(s, k);
        it->path.len = (size_t)depth;
        if (k != ROOT) {
            uint32_t el = n_len(n);
            uint8_t *o = ps_buf_append_uninit(&it->path, el, &rc);
            if (!o)
                return rc;
            o[0] = n_first(n);
            if (el > 1)
                ps__copy(o + 1, n_tail(s, n), el - 1);
        }
        if (n_nkids(n)) {
            /* The children sit together; their edge bytes do not: start
             * loading the first ones now, so the misses overlap. */
            nid kids = n_kids(n);
            const node *c = N(s, kids);
            if (n_len(c) > 1)
                __builtin_prefetch(n_tail(s, c));
            iframe ch = { kids, kids + n_nkids(n), it->path.len };
            if ((rc = iframe_vec_push(&it->st, ch)))
                return rc;
        }
        if (n->meta & M_TERM) {
            int hv = (n->meta & M_VAL) != 0;
            if (has_value)
                *has_value = hv;
            if (value)
                *value = hv ? *V(s, k) : 0;
            *path = ps_buf_bytes(&it->path);
            return PS_OK;
        }
    }
    return PS_E_EMPTY;
}

int ps_space_count_prefix(const ps_space *s, ps_bytes prefix, uint64_t cap, uint64_t *n,
                          int *more)
{
    int cut = 0;
    *n = 0;
    if (!prefix.len) {
        *n = ps_space_count(s);
        cut = cap && *n > cap;
        if (cut)
            *n = cap;
    } else {
        ps_iter *it;
        int rc = ps_iter_new(s, prefix, &it);
        if (rc)
            return rc;
        ps_bytes path;
        while (!(cut = cap && *n == cap) && ps_iter_next(it, &path, NULL, NULL) == PS_OK)
            ++*n;
        if (cut) /* exactly cap paths, or more? */
            cut = ps_iter_next(it, &path, NULL, NULL) == PS_OK;
        ps_iter_free(it);
    }
    if (more)
        *more = cut;
    return PS_OK;
}
