/*
 * act_verify.c - a full check of an ACT: every record reachable from the
 * root parsed once (a bitmap of visited offsets, so shared subtries cost
 * nothing extra and the work is linear in the file), and the chain of merge
 * trailers followed back to the base file.
 */
#include <stdlib.h>

#include "act.h"
#include "act_read.h"
#include "common/alloc.h"
#include "common/diag.h"

/* A reference to check: a record and the offset it must end by. */
typedef struct ref {
    uint64_t off, limit;
} ref;

PS_VEC_DEFINE(ref_vec, ref)

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

/* The walk: records and line data already counted, references to check. */
typedef struct walk {
    const ps_act *a;
    uint8_t *recs, *lines; /* bitmaps over arena offsets */
    ref_vec stack;
    ps_act_stats st;
} walk;

static int push(walk *w, uint64_t off, uint64_t limit)
{
    return seen(w->recs, off) ? PS_OK : ref_vec_push(&w->stack, (ref){ off, limit });
}

/* Parses one record in full and queues the records it refers to. Siblings
 * are only stepped over here; each is parsed in full when its turn comes. */
static int visit(walk *w, ref p, ps_diag *d)
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
        return r.has_child ? push(w, r.child, r.off) : PS_OK;
    }
    w->st.branches++;
    unsigned n = r.nkids;
    if (n == ACT_MASKED) {
        n = 0;
        for (int i = 0; i < 4; i++)
            n += (unsigned)__builtin_popcountll(ps_read_le64(r.kids + 8 * i));
    }
    uint64_t at = r.child;
    for (unsigned i = 0; i < n && !rc; i++) {
        if (at < ACT_HDR || at >= r.off)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, r.off,
                               "sibling run runs past its parent at offset %llu",
                               (unsigned long long)r.off);
        rc = push(w, at, r.off);
        at = act_skip(w->a, at, r.off);
    }
    return rc;
}

int ps_act_verify(const ps_act *a, ps_act_stats *st_out, ps_diag *d)
{
    walk w = { .a = a, .st = { .file_bytes = a->len } };
    int rc = check_trailers(a, &w.st, d);
    if (rc)
        return rc;
    size_t nb = (size_t)(a->arena_end >> 3) + 1;
    w.recs = ps_calloc(nb, 1);
    w.lines = ps_calloc(nb, 1);
    rc = w.recs && w.lines ? push(&w, a->root, a->arena_end) : PS_E_NOMEM;
    while (!rc && w.stack.len)
        rc = visit(&w, *ref_vec_ptr(&w.stack, --w.stack.len), d);
    ref_vec_free(&w.stack);
    free(w.recs);
    free(w.lines);
    if (!rc && st_out)
        *st_out = w.st;
    return rc;
}
