/*
 * search.c - the served space as the HTTP commands use it: queries under
 * its read lock; changes through ps__served_apply, logged and committed
 * before the command answers (so an ACK, or a status that says a command
 * is done, is never ahead of the log).
 */
#include <errno.h>
#include <string.h>

#include "common/diag.h"
#include "http.h"
#include "expr/tags.h"
#include "query/query.h"

/* The atoms of a space, one by one, for ps__served_apply. */
static int next_of(void *ctx, ps_bytes *a)
{
    return ps_iter_next(ctx, a, NULL, NULL) == PS_OK;
}

int ps__space_apply(ps_http *h, int op, const ps_space *atoms, uint64_t *changed, ps_diag *d)
{
    ps_iter *it;
    *changed = 0;
    if (ps_iter_new(atoms, ps_bytes_of(NULL, 0), &it))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    int rc = ps__served_apply(h->sv, op, next_of, it, changed, d);
    ps_iter_free(it);
    return rc;
}

typedef struct into {
    ps_space *out;
    uint64_t limit, solutions, budget, bytes, byte_budget;
    uint64_t cut; /* bytes (or cut / 128 solutions) past which it stops (0: none) */
    int err, was_cut;
} into;

/* Each solution's result into the space; stops at limit distinct results,
 * past the budget of solutions (a cross product whose results repeat
 * would otherwise search on and on with nothing to show), or past the
 * budget of result bytes (a template that repeats its variable makes
 * results far bigger than the atoms they come from). */
static int put(void *ctx, ps_bytes r)
{
    into *k = ctx;
    if (++k->solutions > k->budget || (k->bytes += r.len) > k->byte_budget)
        return 1;
    if (k->cut && (k->bytes > k->cut || k->solutions > k->cut / 128)) {
        k->was_cut = 1; /* the caller goes elsewhere (a forked child) */
        return 1;
    }
    if ((k->err = ps_space_insert(k->out, r, NULL)))
        return 1;
    return k->limit && ps_space_count(k->out) >= k->limit;
}

/* here: on the calling thread (which has MATCH_STACK): a selective query
 * takes less time than starting a search thread. */
int ps__space_run(ps_http *h, const ps_query *q, const ps_space *src, uint64_t limit, int here,
                  ps_space *out, ps_diag *d)
{
    return ps__space_run_cut(h, q, src, limit, here, 0, NULL, out, d);
}

int ps__space_run_cut(ps_http *h, const ps_query *q, const ps_space *src, uint64_t limit,
                      int here, uint64_t cut, int *was_cut, ps_space *out, ps_diag *d)
{
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = here ? 1 : 0;
    o.max_steps = cut ? HELD_CUT_STEPS : 0; /* a search that finds little for long */
    into k = { out, limit, 0, SOLUTIONS_PER_RESULT * h->o.max_results, 0,
               h->o.max_result_bytes, cut, 0, 0 };
    ps_query_stats qs;
    int rc = here ? ps__query_run_here(q, ps_source_space(src), &o, put, &k, &qs, d)
                  : ps_query_run(q, ps_source_space(src), &o, put, &k, &qs, d);
    if (rc == PS_E_LIMIT && o.max_steps && qs.nodes > o.max_steps)
        k.was_cut = 1, rc = PS_OK;
    if (!rc && k.err)
        rc = ps__diag_set(d, k.err, NULL, 0, "out of memory");
    if (was_cut)
        *was_cut = k.was_cut;
    if (!rc && k.solutions > k.budget)
        rc = ps__diag_set(d, PS_E_LIMIT, NULL, 0,
                          "more than %llu solutions (%u per --http-max-results): stopped",
                          (unsigned long long)k.budget, SOLUTIONS_PER_RESULT);
    else if (!rc && k.bytes > k.byte_budget)
        rc = ps__diag_set(d, PS_E_LIMIT, NULL, 0,
                          "more than %llu bytes of results (--http-max-result-bytes): stopped",
                          (unsigned long long)k.byte_budget);
    return rc;
}

int ps__space_query(ps_http *h, const ps_query *q, uint64_t limit, int here, ps_space *out,
                    ps_diag *d)
{
    ps__served_lock(h->sv, 0);
    int rc = ps__space_run(h, q, ps_pspace_space(ps_served_pspace(h->sv)), limit, here, out, d);
    ps__served_unlock(h->sv);
    return rc;
}

/* Where $x sits in a template that holds it once and no other variable
 * (a namespace: (ns $x)), or -1. Items are walked whole: a symbol's bytes
 * may look like variable tags. */
long ps__wrap_at(const pt *x)
{
    const uint8_t *t = ps_buf_data(&x->tmpl);
    size_t n = x->tmpl.len, i = 0;
    long at = -1;
    if (x->pat.len != 1 || ps_buf_data(&x->pat)[0] != TAG_NEWVAR)
        return -1;
    while (i < n) {
        item it;
        if (ps__item(t + i, n - i, &it))
            return -1;
        if (it.kind == ITEM_NEWVAR && at < 0)
            at = (long)i;
        else if (it.kind != ITEM_LIST && it.kind != ITEM_SYMBOL)
            return -1; /* a reference, a second variable, a reserved tag */
        i += item_size(&it);
    }
    return at;
}

/* Each atom in the template's hole. The atom's own variables stay as they
 * are (the template introduces none before it), and the results keep the
 * atoms' order (atoms are prefix-free), so they are bulk-built. */
static int wrap(const pt *x, size_t at, const ps_space *src, ps_space *out, ps_diag *d)
{
    const uint8_t *t = ps_buf_data(&x->tmpl);
    ps_builder *b;
    ps_iter *it;
    if (ps_builder_new(out, &b))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    if (ps_iter_new(src, ps_bytes_of(NULL, 0), &it)) {
        ps_builder_free(b);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    }
    ps_buf r = { 0 };
    ps_bytes a;
    int rc = PS_OK;
    while (!rc && ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
        ps_buf_clear(&r, 0);
        if (!(rc = ps_buf_append(&r, t, at)) && !(rc = ps_buf_append(&r, a.ptr, a.len)) &&
            !(rc = ps_buf_append(&r, t + at + 1, x->tmpl.len - at - 1)))
            rc = ps_builder_add(b, ps_buf_bytes(&r));
    }
    ps_buf_free(&r);
    ps_iter_free(it);
    ps_builder_free(b);
    return rc ? ps__diag_set(d, rc, NULL, 0, "out of memory") : PS_OK;
}

int ps__space_match(ps_http *h, const pt *x, const ps_space *src, ps_space *out, ps_diag *d)
{
    if (!x->q) /* $x to $x: the caller takes src as it is */
        return PS_OK;
    long at = ps__wrap_at(x);
    return at >= 0 ? wrap(x, (size_t)at, src, out, d) : ps__space_run(h, x->q, src, 0, 0, out, d);
}

int ps__space_parse(ps_bytes text, ps_buf *out, size_t *pfx, ps_diag *d)
{
    size_t at = out->len;
    int rc = ps_atom_parse(text.ptr, text.len, out, d);
    if (rc)
        return rc;
    *pfx = ps_atom_prefix(ps_bytes_of(ps_buf_data(out) + at, out->len - at));
    return PS_OK;
}
