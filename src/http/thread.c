/*
 * thread.c - MORK's exec threads over HTTP (docs/http.md, "exec rules"):
 *
 *   GET /metta_thread/?location=T   runs the exec atoms (exec (T PRIO) P Q)
 *       on a worker, a step at a time under the served space's lock, each
 *       step one logged change; answers at once. The status of (exec T)
 *       says pathForbiddenTemporary while it runs, then pathClear, or
 *       execError with the step that failed (the thread stops there).
 *   GET /metta_thread_suspend/T/L/  takes thread T's pending exec atoms out
 *       of the space and keeps them as (L EXEC): the thread finds none and
 *       ends; resuming is copying them back and asking metta_thread again.
 *
 * As MORK's server: 501 without a location, 400 for one that does not
 * parse or is not ground, 409 for a thread that already runs there; 410
 * from suspend for a thread that is not running or has nothing left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const uint8_t EXEC_HEAD[] = { 0xC4, 'e', 'x', 'e', 'c' };

/* A URL argument or segment as one ground atom: 0, or 1 with the 400. */
static int ground_atom(ps_bytes text, ps_buf *out, const char *what, reply *r)
{
    ps_diag d = { 0 };
    if (ps_atom_parse(text.ptr, text.len, out, &d))
        return ps__reply_text(r, 400, "malformed %s sexpr: %u:%u: %s", what, d.line, d.col,
                              d.msg), 1;
    if (ps_atom_prefix(ps_buf_bytes(out)) != out->len)
        return ps__reply_text(r, 400, "the %s must be ground (no variables)", what), 1;
    return 0;
}

/* keys: [4] exec [2] T (the atoms the thread takes), then [2] exec T (its
 * status). */
typedef struct mthread {
    size_t take_n, status_off, status_n;
    char loc[200];
} mthread;

typedef struct failure {
    int code;
    ps_buf atom;
} failure;

static void on_error(void *ctx, const ps_exec_failure *f)
{
    failure *x = ctx;
    if (x->code)
        return;
    x->code = f->code;
    ps_atom_print(f->exec, &x->atom);
}

static void run_thread(hjob *j)
{
    ps_http *h = ps__hjob_http(j);
    mthread *m = ps__hjob_ext(j);
    ps_exec_opts o;
    ps_exec_opts_init(&o);
    /* a step collects at most its share of --http-max-result-bytes: with
     * every worker running a thread, they stay within it together */
    o.max_bytes = h->o.max_result_bytes / h->o.workers;
    o.stop_on_error = 1;
    o.act_dir = h->o.act_dir;
    failure f = { 0, { 0 } };
    o.on_error = on_error;
    o.ctx = &f;
    ps_exec_stats st;
    ps_diag d = { 0 };
    int rc = ps__served_exec(h->sv, ps_bytes_of(ps_buf_data(ps__hjob_keys(j)), m->take_n), &o,
                             &st, &d);
    if (rc || f.code) {
        hstatus s;
        memset(&s, 0, sizeof s);
        s.kind = ST_EXEC_ERROR;
        if (rc)
            snprintf(s.msg, sizeof s.msg, "ExecError: %s", d.msg[0] ? d.msg : ps_strerror(rc));
        else
            snprintf(s.msg, sizeof s.msg, "ExecError: %s %.*s", ps_exec_error_name(f.code),
                     (int)f.atom.len, (const char *)ps_buf_data(&f.atom));
        ps__hjob_status(j, &s);
    }
    ps_buf_free(&f.atom);
}

void ps__cmd_metta_thread(req *q, reply *r)
{
    ps_buf arg = { 0 }, loc = { 0 };
    const char *text = ps__reply_arg(q, "location", &arg, NULL);
    hjob *j = NULL;
    mthread *m = NULL;
    if (!text || !*text) {
        ps__reply_text(r, 501, "metta_thread: give the thread a name: ?location=<name> "
                               "(threads without one are not implemented, as in MORK)");
    } else if (!ground_atom(ps_bytes_of(text, strlen(text)), &loc, "location", r)) {
        j = ps__hjob_new();
        m = calloc(1, sizeof *m);
        ps_buf *k = j ? ps__hjob_keys(j) : NULL;
        int rc = !j || !m;
        /* [4] exec [2] T, then [2] exec T */
        if (!rc)
            rc = ps_buf_append(k, "\x04", 1) || ps_buf_append(k, EXEC_HEAD, 5) ||
                 ps_buf_append(k, "\x02", 1) || ps_buf_append(k, ps_buf_data(&loc), loc.len);
        if (!rc) {
            m->take_n = k->len;
            m->status_off = k->len;
            rc = ps_buf_append(k, "\x02", 1) || ps_buf_append(k, EXEC_HEAD, 5) ||
                 ps_buf_append(k, ps_buf_data(&loc), loc.len);
            m->status_n = k->len - m->status_off;
            snprintf(m->loc, sizeof m->loc, "%s", text);
        }
        if (rc || ps__hjob_grant(j, m->status_off, m->status_n, 1, 1)) {
            ps__reply_text(r, 500, "metta_thread: out of memory");
            free(m);
            ps__hjob_free(j);
        } else {
            char ack[512];
            snprintf(ack, sizeof ack, "Thread `%s` was dispatched. Errors will be found at the "
                     "status location: `(exec %s)`", m->loc, m->loc);
            ps__hjob_set(j, run_thread, m, free, 409);
            ps__hjob_start(q, r, j, "metta_thread", ack);
        }
    }
    ps_buf_free(&arg);
    ps_buf_free(&loc);
}

/* ------------------------------------------------------------- suspend */

/* The atoms under prefix, copied: u32 length + bytes each. */
static int under(const ps_space *s, ps_bytes prefix, ps_buf *out, uint64_t *n)
{
    ps_iter *it;
    ps_bytes p;
    *n = 0;
    if (ps_iter_new(s, prefix, &it))
        return PS_E_NOMEM;
    int rc = PS_OK;
    while (!rc && ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        uint8_t len[4];
        ps_write_le32(len, (uint32_t)p.len);
        rc = ps_buf_append(out, len, 4) || ps_buf_append(out, p.ptr, p.len) ? PS_E_NOMEM : PS_OK;
        ++*n;
    }
    ps_iter_free(it);
    return rc;
}

/* Under the write lock: clears (L ...), and moves the thread's pending exec
 * atoms there. 200, 410, or 500. */
static unsigned freeze(ps_http *h, ps_bytes take, ps_bytes sloc, ps_bytes status, reply *r)
{
    ps_served *sv = h->sv;
    ps_buf old = { 0 }, ex = { 0 }, item = { 0 };
    uint64_t nold, nex;
    ps_buf spre = { 0 };
    ps_buf_append(&spre, "\x02", 1);
    ps_buf_append(&spre, sloc.ptr, sloc.len);
    ps__served_lock(sv, 1); /* between two steps of the thread */
    const ps_space *s = ps_pspace_space(ps_served_pspace(sv));
    int rc = under(s, ps_buf_bytes(&spre), &old, &nold);
    hstatus st;
    ps__perm_get(h, status.ptr, status.len, &st);
    int running = st.kind == ST_FORBIDDEN_TMP;
    if (!rc && running)
        rc = under(s, take, &ex, &nex);
    int changed;
    const uint8_t *p = ps_buf_data(&old);
    for (size_t at = 0; !rc && at < old.len; at += 4 + ps_read_le32(p + at))
        rc = ps__served_stage(sv, SERVED_REMOVE, ps_bytes_of(p + at + 4, ps_read_le32(p + at)),
                              &changed);
    p = ps_buf_data(&ex);
    for (size_t at = 0; !rc && at < ex.len; at += 4 + ps_read_le32(p + at)) {
        ps_bytes a = ps_bytes_of(p + at + 4, ps_read_le32(p + at));
        ps_buf_clear(&item, 0);
        rc = ps_buf_append(&item, ps_buf_data(&spre), spre.len) || ps_buf_append(&item, a.ptr, a.len);
        if (!rc)
            rc = ps__served_stage(sv, SERVED_REMOVE, a, &changed);
        if (!rc)
            rc = ps__served_stage(sv, SERVED_ADD, ps_buf_bytes(&item), &changed);
    }
    ps_diag d;
    int c = ps__served_commit(sv, &d);
    ps__served_unlock(sv);
    unsigned code = rc || c ? 500 : !running ? 410 : ex.len ? 200 : 410;
    if (code == 500)
        ps__reply_text(r, 500, "metta_thread_suspend: %s", ps_strerror(rc ? rc : c));
    else if (!running)
        ps__reply_text(r, 410, "metta_thread_suspend: the thread is already stopped");
    else if (!ex.len)
        ps__reply_text(r, 410, "metta_thread_suspend: the thread is already exhausted");
    ps_buf_free(&old), ps_buf_free(&ex), ps_buf_free(&item), ps_buf_free(&spre);
    return code;
}

void ps__cmd_metta_suspend(req *q, reply *r)
{
    ps_buf t = { 0 }, l = { 0 }, keys = { 0 };
    if (ground_atom(q->seg[0], &t, "thread", r) || ground_atom(q->seg[1], &l, "suspend location", r))
        goto done;
    /* [2] L: the suspend prefix; [4] exec [2] T; [2] exec T */
    ps_buf_append(&keys, "\x02", 1);
    ps_buf_append(&keys, ps_buf_data(&l), l.len);
    size_t take = keys.len;
    ps_buf_append(&keys, "\x04", 1);
    ps_buf_append(&keys, EXEC_HEAD, 5);
    ps_buf_append(&keys, "\x02", 1);
    ps_buf_append(&keys, ps_buf_data(&t), t.len);
    size_t status = keys.len;
    ps_buf_append(&keys, "\x02", 1);
    ps_buf_append(&keys, EXEC_HEAD, 5);
    ps_buf_append(&keys, ps_buf_data(&t), t.len);
    if (keys.len != status + 6 + t.len) {
        ps__reply_text(r, 500, "metta_thread_suspend: out of memory");
        goto done;
    }
    const uint8_t *k = ps_buf_data(&keys);
    grant g = { k, take, 1 };
    int rc = ps__perm_acquire(q->h, &g, 1);
    if (rc) {
        ps__reply_text(r, rc == PS_E_LOCKED ? 409 : 500, "metta_thread_suspend: %s",
                       rc == PS_E_LOCKED ? "a command holds the suspend location"
                                         : "out of memory");
        goto done;
    }
    unsigned code = freeze(q->h, ps_bytes_of(k + take, status - take), ps_buf_bytes(&l),
                           ps_bytes_of(k + status, keys.len - status), r);
    ps__perm_release(q->h, &g, 1);
    if (code == 200) {
        ps_buf tt = { 0 }, lt = { 0 };
        ps_atom_print(ps_buf_bytes(&t), &tt);
        ps_atom_print(ps_buf_bytes(&l), &lt);
        ps__reply_text(r, 200, "Ack. Thread %.*s cleared, now frozen at `(%.*s (exec (%.*s "
                       "$priorities) $patterns $templates))`", (int)tt.len,
                       (const char *)ps_buf_data(&tt), (int)lt.len, (const char *)ps_buf_data(&lt),
                       (int)tt.len, (const char *)ps_buf_data(&tt));
        ps_buf_free(&tt), ps_buf_free(&lt);
    }
done:
    ps_buf_free(&t), ps_buf_free(&l), ps_buf_free(&keys);
}
