/*
 * space.c - the served space as the HTTP commands use it: queries under
 * the server's read lock, changes under its write lock, logged and
 * committed before the command answers (so an ACK, or a status that says
 * a command is done, is never ahead of the log).
 */
#include <string.h>

#include "common/diag.h"
#include "http.h"
#include "net/server.h"
#include "query/query.h"
#include "store/pspace.h"
#include "store/wal.h"

/* Changes taken in one hold of the lock: the loop waits at most this long. */
#define APPLY_BATCH 65536

static int commit(ps_http *h, ps_pspace *p, ps_diag *d)
{
    if (!ps__pspace_staged(p) || !ps__pspace_commit(p))
        return PS_OK;
    h->broken = 1; /* memory is ahead of the log: acknowledge nothing more */
    ps_server_stop(h->srv);
    return ps__diag_set(d, PS_E_IO, NULL, 0, "the log cannot be written: the server stops");
}

int ps__space_apply(ps_http *h, int op, const ps_space *atoms, uint64_t *changed, ps_diag *d)
{
    ps_pspace *p = ps__server_pspace(h->srv);
    ps_iter *it;
    *changed = 0;
    if (ps_iter_new(atoms, ps_bytes_of(NULL, 0), &it))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    ps_bytes a;
    int rc = PS_OK, more = ps_iter_next(it, &a, NULL, NULL) == PS_OK;
    while (more && !rc) {
        ps__server_lock(h->srv, 1);
        if (h->broken)
            rc = ps__diag_set(d, PS_E_IO, NULL, 0, "the log cannot be written");
        for (unsigned k = 0; more && !rc && k < APPLY_BATCH; k++) {
            int ch;
            if ((rc = ps__pspace_stage(p, op, a, &ch)))
                ps__diag_set(d, rc, NULL, 0, "cannot log a change");
            *changed += (uint64_t)ch;
            more = ps_iter_next(it, &a, NULL, NULL) == PS_OK;
        }
        int crc = commit(h, p, d);
        rc = rc ? rc : crc;
        ps__server_unlock(h->srv);
    }
    ps_iter_free(it);
    return rc;
}

typedef struct into {
    ps_space *out;
    uint64_t limit, solutions, budget;
    int err;
} into;

/* Each solution's result into the space; stops at limit distinct results
 * or past the budget of solutions (a cross product whose results repeat
 * would otherwise search on and on with nothing to show). */
static int put(void *ctx, ps_bytes r)
{
    into *k = ctx;
    if (++k->solutions > k->budget)
        return 1;
    if ((k->err = ps_space_insert(k->out, r, NULL)))
        return 1;
    return k->limit && ps_space_count(k->out) >= k->limit;
}

/* here: on the calling thread (which has MATCH_STACK): a selective query
 * takes less time than starting a search thread. */
static int run(ps_http *h, const ps_query *q, const ps_space *src, uint64_t limit, int here,
               ps_space *out, ps_diag *d)
{
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = here ? 1 : 0;
    into k = { out, limit, 0, SOLUTIONS_PER_RESULT * h->o.max_results, 0 };
    int rc = here ? ps__query_run_here(q, ps_source_space(src), &o, put, &k, NULL, d)
                  : ps_query_run(q, ps_source_space(src), &o, put, &k, NULL, d);
    if (!rc && k.err)
        rc = ps__diag_set(d, k.err, NULL, 0, "out of memory");
    if (!rc && k.solutions > k.budget)
        rc = ps__diag_set(d, PS_E_LIMIT, NULL, 0,
                          "more than %llu solutions (%u per --http-max-results): stopped",
                          (unsigned long long)k.budget, SOLUTIONS_PER_RESULT);
    return rc;
}

int ps__space_query(ps_http *h, const ps_query *q, uint64_t limit, int here, ps_space *out,
                    ps_diag *d)
{
    ps__server_lock(h->srv, 0);
    int rc = run(h, q, ps_pspace_space(ps__server_pspace(h->srv)), limit, here, out, d);
    ps__server_unlock(h->srv);
    return rc;
}

int ps__space_match(ps_http *h, const ps_query *q, const ps_space *src, ps_space *out,
                    ps_diag *d)
{
    if (!q) /* $x to $x: the caller takes src as it is */
        return PS_OK;
    return run(h, q, src, 0, 0, out, d);
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

size_t ps__space_term_len(const uint8_t *p, size_t n)
{
    size_t i = 0;
    uint64_t owed = 1;
    while (owed && i < n) {
        uint8_t t = p[i];
        owed--;
        if (t < 0x40)
            owed += t, i++;
        else if ((t == PS_TAG_WIDE_LIST || t == PS_TAG_LONG_SYMBOL) && n - i >= 5) {
            uint32_t v = (uint32_t)p[i + 1] << 24 | (uint32_t)p[i + 2] << 16 |
                         (uint32_t)p[i + 3] << 8 | p[i + 4];
            i += 5;
            if (t == PS_TAG_WIDE_LIST)
                owed += v;
            else
                i += v;
        } else if (t <= 0xC0)
            i++;
        else
            i += 1 + (t & 63u);
    }
    return i < n ? i : n;
}
