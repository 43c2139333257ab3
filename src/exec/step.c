/*
 * step.c - one step of an exec rule (exec_priv.h).
 *
 * MORK copies its whole space for every step so that the step's writes
 * cannot reach its own matching. Here nothing is copied: the match reads
 * the live space (the exec atom still in it, so a rule sees itself), the
 * sinks only collect, and the writes are applied after the match, all of
 * them or none. A step therefore costs what its match and its writes cost,
 * whatever the size of the space.
 */
#include <string.h>
#include <xxhash.h>

#include "exec_priv.h"
#include "query/query.h"

/* The engine's results come template by template for each solution: 0,
 * or 1 to stop the match (r->err says why). */
static int on_result(void *ctx, ps_bytes inst)
{
    exec_run *r = ctx;
    unsigned j = r->cur;
    r->cur = j + 1 == r->sh.ntpl ? 0 : j + 1;
    int rc = ps__sink_feed(r, j, inst);
    if (rc)
        r->err = rc;
    return rc != 0;
}

/* The compiled query for the step's shape, from the cache when the same
 * rule ran before (a rule that writes itself back runs the same query at
 * every step). */
static int compiled(exec_run *r, ps_query **q)
{
    ps_bytes k = ps_buf_bytes(&r->sh.query);
    unsigned i = (unsigned)(XXH3_64bits(k.ptr, k.len) % QCACHE);
    if (r->qc[i].q && ps_bytes_cmp(ps_buf_bytes(&r->qc[i].key), k) == 0) {
        *q = r->qc[i].q;
        return PS_OK;
    }
    ps_query_free(r->qc[i].q);
    r->qc[i].q = NULL;
    ps_buf_clear(&r->qc[i].key, 0);
    ps_diag d;
    int rc = ps_query_new(k, q, &d);
    if (rc)
        return rc == PS_E_LIMIT ? PS_EXEC_E_VARS : rc == PS_E_NOMEM ? PS_EXEC_E_NOMEM : PS_EXEC_E_SHAPE;
    if (ps_buf_append(&r->qc[i].key, k.ptr, k.len)) {
        ps_query_free(*q);
        return PS_EXEC_E_NOMEM;
    }
    r->qc[i].q = *q;
    return PS_OK;
}

static int match_engine(exec_run *r)
{
    ps_query *q;
    int rc = compiled(r, &q);
    if (rc)
        return rc;
    ps_source src = ps_source_space(r->s);
    if (r->sh.nfac && r->sh.fac[0] == FAC_ACT) { /* every factor reads one file */
        ps_act *a;
        if ((rc = ps__act_get(&r->acts, r->sh.act[0], &a, &r->detail)))
            return rc;
        src = ps_source_act(a);
    }
    ps_query_opts qo;
    ps_query_opts_init(&qo);
    qo.max_steps = r->o.max_work;
    ps_query_stats qs;
    ps_diag d;
    r->cur = 0;
    /* several threads deliver one result at a time, not a solution's
     * templates together: so only a one-template exec spreads */
    qo.threads = r->sh.ntpl == 1 ? r->o.threads : 1;
    if (qo.threads != 1)
        rc = ps_query_run(q, src, &qo, on_result, r, &qs, &d);
    else
        rc = ps__query_run_here(q, src, &qo, r->sh.ntpl ? on_result : NULL, r, &qs, &d);
    r->st.solutions += qs.solutions;
    if (r->err)
        return r->err;
    if (rc == PS_E_LIMIT)
        return r->o.max_work && qs.nodes >= r->o.max_work ? PS_EXEC_E_WORK : PS_EXEC_E_VARS;
    if (rc) {
        r->detail = rc;
        return rc == PS_E_NOMEM ? PS_EXEC_E_NOMEM : PS_EXEC_E_ACT;
    }
    return PS_OK;
}

static void reset(exec_run *r)
{
    ps_space_clear(r->adds);
    for (unsigned j = 0; j < SHAPE_MAX; j++)
        if (r->set[j])
            ps_space_clear(r->set[j]);
    ps_buf_clear(&r->ops, 0);
    r->results = r->bytes = 0;
    r->err = r->detail = 0;
    r->err_at = 0;
}

/* The ACT sinks' files, once every sink has finished. */
static int write_acts(exec_run *r)
{
    for (unsigned j = 0; j < r->sh.ntpl; j++) {
        if (!r->sh.wrap[j] || r->sh.snk[j] != SNK_ACT)
            continue;
        if (!r->set[j] && ps_space_new(&r->set[j]))
            return PS_EXEC_E_NOMEM;
        int rc = ps__act_put(&r->acts, r->sh.sname[j], r->set[j], &r->detail);
        if (rc)
            return rc;
    }
    return PS_OK;
}

static int run_step(exec_run *r, ps_bytes x)
{
    int rc = ps__shape(x, &r->sh, &r->err_at);
    if (rc)
        return rc;
    rc = r->sh.engine ? match_engine(r) : ps__exec_solve(r);
    for (unsigned j = 0; !rc && j < r->sh.ntpl; j++)
        rc = ps__sink_finish(r, j);
    if (!rc)
        rc = write_acts(r);
    return rc;
}

int ps__exec_step(exec_run *r, ps_bytes x)
{
    reset(r);
    int rc = run_step(r, x);
    /* the exec atom goes first, so a rule that writes itself back stays;
     * a step that failed writes nothing else */
    exec_writes w = { x, rc ? NULL : r->adds, rc ? NULL : ps_buf_data(&r->ops),
                      rc ? 0 : r->ops.len };
    int wr = r->t.apply(r->t.ctx, &w, &r->st);
    if (wr) /* the space could not take a write: the run cannot go on */
        return -wr;
    return rc;
}
