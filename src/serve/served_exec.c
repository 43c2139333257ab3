/*
 * served_exec.c - exec rules on a served space (served.h): the exec
 * layer's target (exec/exec.h) over the served space's lock and log. A
 * step holds the write lock from the choice of its exec atom to the
 * commit of its writes, as one change of the log, so no client sees a
 * step half done and a crash leaves none half done; between steps the
 * lock is free and the other clients go on.
 */
#include "exec/exec.h"
#include "served.h"

typedef struct target {
    ps_served *sv;
    uint64_t staged, added, removed; /* the step's changes so far */
} target;

static const ps_space *begin(void *ctx)
{
    target *t = ctx;
    if (ps__served_stopping(t->sv))
        return NULL; /* the run ends, between two steps */
    ps__served_lock(t->sv, 1);
    return ps_pspace_space(ps_served_pspace(t->sv));
}

static int stage(void *ctx, int op, ps_bytes a)
{
    target *t = ctx;
    int changed = 0;
    int rc = ps__served_stage_more(t->sv, op == EXEC_OP_ADD ? SERVED_ADD : SERVED_REMOVE, a, 1,
                                   &changed);
    t->staged += (uint64_t)changed;
    if (op == EXEC_OP_ADD)
        t->added += (uint64_t)changed;
    else
        t->removed += (uint64_t)changed;
    return rc;
}

/* The step's changes staged as one, then committed (a failure of the log
 * stops the served space, and the run with it). */
static int apply(void *ctx, const exec_writes *w, ps_exec_stats *st)
{
    target *t = ctx;
    t->staged = t->added = t->removed = 0;
    int rc = ps__exec_each_change(w, stage, t);
    if (!rc && t->staged)
        ps__served_stage_end(t->sv);
    ps_diag d;
    int c = ps__served_commit(t->sv, &d);
    st->added += t->added;
    st->removed += t->removed;
    return rc ? rc : c;
}

static void end(void *ctx)
{
    ps__served_unlock(((target *)ctx)->sv);
}

int ps__served_exec(ps_served *sv, ps_bytes prefix, const ps_exec_opts *o, ps_exec_stats *st,
                    ps_diag *d)
{
    target t = { sv, 0, 0, 0 };
    exec_target et = { begin, apply, end, &t, prefix };
    return ps__exec_run(&et, o, st, d);
}
