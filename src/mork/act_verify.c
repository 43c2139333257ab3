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
            return ps_diag_set(d, PS_E_CORRUPT, NULL, at + 8, "merge trailer's previous root out of range");
        if (!prev)
            return PS_OK;
        if (prev < ACT_HDR || prev > at - ACT_TRAILER)
            return ps_diag_set(d, PS_E_CORRUPT, NULL, at, "merge trailer chain does not point backwards");
        at = prev;
        st->merges++;
    }
}

static int visit(const ps_act *a, ref p, uint8_t *recs, uint8_t *lines, ref_vec *todo,
                 ps_act_stats *st, ps_diag *d)
{
    act_rec r, c;
    int rc = act_parse(a, p.off, p.limit, &r, d);
    if (rc)
        return rc;
    if (r.is_line) {
        st->lines++;
        uint64_t lo = (uint64_t)(r.line - a->base);
        if (!seen(lines, lo)) {
            st->line_data++;
            st->line_bytes += r.line_len;
        }
        if (r.has_child && !seen(recs, r.child))
            return ref_vec_push(todo, (ref){ r.child, r.off });
        return PS_OK;
    }
    st->branches++;
    unsigned n = r.nkids;
    if (n == ACT_MASKED) {
        n = 0;
        for (int i = 0; i < 4; i++)
            n += (unsigned)__builtin_popcountll(ps_read_le64(r.kids + 8 * i));
    }
    uint64_t at = r.child;
    for (unsigned i = 0; i < n; i++, at = c.end) {
        if ((rc = act_parse(a, at, r.off, &c, d)))
            return rc;
        if (!seen(recs, at) && (rc = ref_vec_push(todo, (ref){ at, r.off })))
            return rc;
    }
    return PS_OK;
}

int ps_act_verify(const ps_act *a, ps_act_stats *st_out, ps_diag *d)
{
    ps_act_stats st = { .file_bytes = a->len };
    int rc = check_trailers(a, &st, d);
    if (rc)
        return rc;
    size_t nb = (size_t)(a->arena_end >> 3) + 1;
    uint8_t *recs = ps_calloc(nb, 1), *lines = ps_calloc(nb, 1);
    ref_vec todo = { 0 };
    rc = recs && lines ? PS_OK : PS_E_NOMEM;
    if (!rc) {
        seen(recs, a->root);
        rc = ref_vec_push(&todo, (ref){ a->root, a->arena_end });
    }
    while (!rc && todo.len) {
        ref p = *ref_vec_ptr(&todo, --todo.len);
        rc = visit(a, p, recs, lines, &todo, &st, d);
    }
    ref_vec_free(&todo);
    free(recs);
    free(lines);
    if (!rc && st_out)
        *st_out = st;
    return rc;
}
