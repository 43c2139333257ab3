/*
 * act_verify.c - a full check of an ACT, and the walk it is made of: every
 * record reachable from a start record parsed once (a bitmap of visited
 * offsets, so shared subtries cost nothing extra and the work is linear in
 * the file), and the chain of merge trailers followed back to the base file.
 *
 * A record reached again through another parent is not parsed again, but
 * it must still end before that parent, as iteration requires of every
 * record it enters: the walk steps over its header (O(1)) to check that.
 * So verify passes exactly the files whose every walk passes.
 */
#include <stdlib.h>

#include "act.h"
#include "act_read.h"
#include "act_walk.h"
#include "common/alloc.h"
#include "common/diag.h"

static int seen(uint8_t *bits, uint64_t off)
{
    int was = bits[off >> 3] >> (off & 7) & 1;
    bits[off >> 3] |= (uint8_t)(1u << (off & 7));
    return was;
}

static int check_trailers(const ps_act *a, ps_act_stats *st, ps_diag *d)
{
    if (!a->merged)
        return PS_OK;
    uint64_t at = a->arena_end;
    st->merges = 1;
    for (;;) {
        uint64_t prev = ps_read_le64(a->base + at), root = ps_read_le64(a->base + at + 8);
        if (root < ACT_HDR || root >= at)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, at + 8, "merge trailer's previous root out of range");
        if (!prev)
            return PS_OK;
        if (prev < ACT_HDR || prev > at - ACT_TRAILER)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, at, "merge trailer chain does not point backwards");
        at = prev;
        st->merges++;
    }
}

/* Queues the record at off, which must end by limit. A record seen before
 * is only stepped over, to check that it ends by this limit too. */
static int push(act_walk *w, uint64_t off, uint64_t limit, ps_diag *d)
{
    if (!seen(w->recs, off))
        return act_ref_vec_push(&w->stack, (act_ref){ off, limit });
    if (w->shared)
        w->shared[off >> 3] |= (uint8_t)(1u << (off & 7));
    w->nshared++;
    if (off < ACT_HDR || off >= limit || !act_skip(w->a, off, limit))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, off,
                            "shared record at offset %llu runs past a parent at offset %llu",
                            (unsigned long long)off, (unsigned long long)limit);
    return PS_OK;
}

/* Parses one record in full and queues the records it refers to. Siblings
 * are only stepped over here; each is parsed in full when its turn comes. */
static int visit(act_walk *w, act_ref p, ps_diag *d)
{
    act_rec r;
    int rc = ps__act_parse(w->a, p.off, p.limit, &r, d);
    if (rc)
        return rc;
    if (r.is_line) {
        w->st.lines++;
        if (!seen(w->lines, (uint64_t)(r.line - w->a->base))) {
            w->st.line_data++;
            w->st.line_bytes += r.line_len;
        }
        return r.has_child ? push(w, r.child, r.off, d) : PS_OK;
    }
    w->st.branches++;
    unsigned n = ps__act_nkids(&r);
    uint64_t at = r.child;
    for (unsigned i = 0; i < n && !rc; i++) {
        if (at < ACT_HDR || at >= r.off)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, r.off,
                               "sibling run runs past its parent at offset %llu",
                               (unsigned long long)r.off);
        rc = push(w, at, r.off, d);
        at = act_skip(w->a, at, r.off);
    }
    return rc;
}

int ps__act_walk(act_walk *w, const ps_act *a, uint64_t off, uint64_t limit, int want_shared,
                 ps_diag *d)
{
    memset(w, 0, sizeof *w);
    w->a = a;
    w->st.file_bytes = a->len;
    size_t nb = (size_t)(a->arena_end >> 3) + 1;
    w->recs = ps_calloc(nb, 1);
    w->lines = ps_calloc(nb, 1);
    if (want_shared)
        w->shared = ps_calloc(nb, 1);
    int rc = w->recs && w->lines && (!want_shared || w->shared) ? push(w, off, limit, d)
                                                                : PS_E_NOMEM;
    while (!rc && w->stack.len)
        rc = visit(w, *act_ref_vec_ptr(&w->stack, --w->stack.len), d);
    if (rc == PS_E_NOMEM)
        ps__diag_set(d, rc, NULL, 0, "out of memory walking the file");
    act_ref_vec_free(&w->stack);
    free(w->recs);
    free(w->lines);
    w->recs = w->lines = NULL;
    return rc;
}

void ps__act_walk_free(act_walk *w)
{
    free(w->shared);
    w->shared = NULL;
}

int ps_act_verify(const ps_act *a, ps_act_stats *st_out, ps_diag *d)
{
    act_walk w;
    ps_act_stats st = { .file_bytes = a->len };
    int rc = check_trailers(a, &st, d);
    if (rc)
        return rc;
    uint32_t merges = st.merges;
    if ((rc = ps__act_walk(&w, a, a->root, a->arena_end, 0, d)))
        return rc;
    st = w.st;
    st.merges = merges;
    /* the keys too, counted in time linear in the records (shared subtries
     * counted once each, however many keys they stand for) */
    if ((rc = ps__act_measure(a, &st.paths, &st.path_bytes, d)))
        return rc;
    if (st_out)
        *st_out = st;
    return PS_OK;
}
