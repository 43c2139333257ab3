/*
 * calc.c - the loop of a run (pathspace.h, "programs"; docs/exec.md).
 *
 *   loop: x = the byte-order-smallest atom starting [4] exec
 *         none: stop
 *         run one step of x (step.c), which removes x first
 *         timing: add (timing x i ns)
 *         MORK's budget: stop once `steps` steps have run past the first
 *         (steps + 1 in all, its off-by-one); exact: stop at steps
 *
 * The run goes on a thread with the query engine's stack (its matching
 * recurses), started once per run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/diag.h"
#include "common/opts.h"
#include "exec_priv.h"
#include "query/match.h"

static const uint8_t EXEC_PREFIX[] = { 0x04, 0xC4, 'e', 'x', 'e', 'c' };

const char *ps_exec_error_name(int code)
{
    static const char *const n[PS_EXEC_E_COUNT] = {
        "ok", "shape", "loc", "source", "sink", "unsupported", "argument", "act",
        "payload", "variables", "results", "bytes", "work", "memory"
    };
    return code >= 0 && code < PS_EXEC_E_COUNT ? n[code] : "?";
}

void ps_exec_opts_init(ps_exec_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->steps = 1000000000000000ull;
    o->max_results = 1ull << 27;
    o->max_bytes = 4ull << 30;
    o->threads = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The next exec atom into x: 1, or 0 when there is none. */
static int next_exec(exec_run *r, ps_buf *x)
{
    ps_iter *it;
    ps_bytes p;
    ps_bytes pre = r->t.prefix.len ? r->t.prefix : ps_bytes_of(EXEC_PREFIX, sizeof EXEC_PREFIX);
    if (ps_iter_new(r->s, pre, &it))
        return -PS_E_NOMEM;
    int found = ps_iter_next(it, &p, NULL, NULL) == PS_OK;
    ps_buf_clear(x, 0);
    if (found && ps_buf_append(x, p.ptr, p.len))
        found = -PS_E_NOMEM;
    ps_iter_free(it);
    return found;
}

/* (timing X I NS), written as a change of its own */
static int timing(exec_run *r, ps_bytes x, uint64_t i, uint64_t ns)
{
    char b[24];
    ps_buf *t = &r->tmp;
    ps_buf_clear(t, 0);
    int rc = ps_buf_append(t, "\x01\0\0\0\0\x04\xC6timing", 13); /* an add, its length later */
    if (!rc)
        rc = ps_buf_append(t, x.ptr, x.len);
    if (!rc)
        rc = ps__sym_append(t, b, (size_t)snprintf(b, sizeof b, "%llu", (unsigned long long)i));
    if (!rc)
        rc = ps__sym_append(t, b, (size_t)snprintf(b, sizeof b, "%llu", (unsigned long long)ns));
    if (rc)
        return rc;
    ps_write_le32(ps_buf_data(t) + 1, (uint32_t)(t->len - 5));
    exec_writes w = { { NULL, 0 }, NULL, ps_buf_data(t), t->len };
    return r->t.apply(r->t.ctx, &w, &r->st);
}

static void failed(exec_run *r, int code, ps_bytes x)
{
    r->st.failed++;
    if (r->o.stop_on_error)
        r->st.stopped = 1;
    if (!r->o.on_error)
        return;
    ps_exec_failure f = { code, x, r->err_at, r->st.execs - 1, r->detail };
    r->o.on_error(r->o.ctx, &f);
}

static int budget_left(const exec_run *r, uint64_t done)
{
    return r->o.exact ? r->st.execs < r->o.steps : done <= r->o.steps;
}

/* One step in one hold of the target: 1 when it ran, 0 when there was
 * nothing to run (or the target stops the run), < 0 on a fatal error. */
static int one(exec_run *r, ps_buf *x, uint64_t *last)
{
    if (r->o.stop && r->o.stop(r->o.ctx)) {
        r->st.stopped = 1;
        return 0;
    }
    if (!(r->s = r->t.begin(r->t.ctx)))
        return 0;
    int k = next_exec(r, x);
    if (k <= 0) {
        r->t.end(r->t.ctx);
        return k;
    }
    ps_bytes xb = ps_buf_bytes(x);
    uint64_t t0 = now_ns();
    r->st.execs++;
    int s = ps__exec_step(r, xb);
    uint64_t ns = now_ns() - t0;
    r->st.ns += ns;
    if (s > 0)
        failed(r, s, xb);
    if (s >= 0 && r->o.timing)
        s = -timing(r, xb, r->st.execs - 1, ns);
    if (s >= 0 && r->o.progress && t0 - *last > 100000000u) {
        *last = t0;
        if (r->o.progress(r->o.ctx, &r->st, ps_space_count(r->s)))
            r->st.stopped = 1;
    }
    r->t.end(r->t.ctx);
    return s < 0 ? s : 1;
}

static int loop(exec_run *r)
{
    ps_buf x = { 0 };
    uint64_t done = 0, last = now_ns();
    int rc = PS_OK;
    while (budget_left(r, done) && !r->st.stopped) {
        int k = one(r, &x, &last);
        if (k <= 0) {
            rc = -k;
            break;
        }
        if (!r->o.exact && done == r->o.steps) {
            r->st.returned = done;
            break;
        }
        r->st.returned = ++done;
    }
    ps_buf_free(&x);
    return rc;
}

static void run_free(exec_run *r)
{
    ps_space_free(r->adds);
    for (unsigned j = 0; j < SHAPE_MAX; j++)
        ps_space_free(r->set[j]);
    for (unsigned i = 0; i < QCACHE; i++) {
        ps_query_free(r->qc[i].q);
        ps_buf_free(&r->qc[i].key);
    }
    ps__shape_free(&r->sh);
    ps_buf_free(&r->ops);
    ps_buf_free(&r->tmp);
    ps_buf_free(&r->val);
    ps__act_close(&r->acts);
}

typedef struct job {
    exec_run *r;
    int rc;
} job;

static void *work(void *arg)
{
    job *j = arg;
    j->rc = loop(j->r);
    return NULL;
}

int ps__exec_run(const exec_target *t, const ps_exec_opts *o, ps_exec_stats *st, ps_diag *d)
{
    exec_run *r = calloc(1, sizeof *r);
    if (!r)
        return PS_E_NOMEM;
    ps_exec_opts_init(&r->o);
    int rc = ps__opts_copy(&r->o, sizeof r->o, o);
    if (rc) {
        free(r);
        return ps__diag_set(d, rc, NULL, 0, "exec options from %s",
                            rc == PS_E_INVAL ? "a struct without its size set" : "a newer pathspace");
    }
    r->t = *t;
    r->acts.dir = r->o.act_dir;
    if (ps_space_new(&r->adds)) {
        free(r);
        return PS_E_NOMEM;
    }
    job j = { r, PS_OK };
    pthread_attr_t attr;
    pthread_t th;
    int started = !pthread_attr_init(&attr);
    if (started) {
        pthread_attr_setstacksize(&attr, MATCH_STACK);
        started = !pthread_create(&th, &attr, work, &j);
        pthread_attr_destroy(&attr);
    }
    if (started)
        pthread_join(th, NULL);
    else
        j.rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot start the run's thread");
    if (j.rc && j.rc != PS_E_NOMEM)
        ps__diag_set(d, j.rc, NULL, 0, "the space failed a write: %s", ps_strerror(j.rc));
    if (st)
        *st = r->st;
    run_free(r);
    free(r);
    return j.rc;
}
