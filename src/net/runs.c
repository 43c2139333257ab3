/*
 * runs.c - RUN: exec rules on the served space (docs/protocol.md, "RUN").
 *
 * A RUN starts a thread that runs the rules (ps__served_exec), one step
 * per hold of the served space's lock, so the loop and every client go on
 * between steps. The thread leaves its figures in the run about ten times
 * a second and wakes the loop through an eventfd; the loop sends them as
 * the stream's frames (MORE), and the last frame when the run ends. A
 * CANCEL of the stream, or the client leaving, stops the run after its
 * current step; so does the server stopping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server.h"
#include "wire.h"

#define RUN_FLAGS (PS_RUN_EXACT | PS_RUN_TIMING | PS_RUN_STOP_ON_ERROR)


typedef struct netrun {
    ps_server *s;
    uint64_t cid, id;
    int efd;
    pthread_t th;
    ps_exec_opts o;
    ps_buf prefix;          /* [4] exec [2] THREAD, or empty              */
    atomic_int cancel;
    pthread_mutex_t mu;     /* what follows, between the thread and the loop */
    ps_exec_stats st;
    uint64_t atoms;
    int done, rc, fresh;
    int fail_code;          /* the first failed step's                     */
    ps_buf fail_text;
    char msg[200];          /* why the run itself failed                   */
} netrun;

static void wake(netrun *r)
{
    uint64_t one = 1;
    ssize_t k = write(r->efd, &one, sizeof one);
    (void)k; /* a full counter wakes the loop all the same */
}

static int progress(void *ctx, const ps_exec_stats *st, uint64_t atoms)
{
    netrun *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->st = *st;
    r->atoms = atoms;
    r->fresh = 1;
    pthread_mutex_unlock(&r->mu);
    wake(r);
    return 0;
}

static int should_stop(void *ctx)
{
    return atomic_load(&((netrun *)ctx)->cancel);
}

static void on_error(void *ctx, const ps_exec_failure *f)
{
    netrun *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (!r->fail_code) {
        r->fail_code = f->code;
        ps_atom_print(f->exec, &r->fail_text);
    }
    pthread_mutex_unlock(&r->mu);
}

static void *run_main(void *arg)
{
    netrun *r = arg;
    ps_exec_stats st;
    ps_diag d = { 0 };
    int rc = ps__served_exec(r->s->sv, ps_buf_bytes(&r->prefix), &r->o, &st, &d);
    pthread_mutex_lock(&r->mu);
    r->st = st;
    r->rc = rc;
    memcpy(r->msg, d.msg, sizeof r->msg);
    r->done = 1;
    pthread_mutex_unlock(&r->mu);
    wake(r);
    return NULL;
}

static void run_free(netrun *r)
{
    close(r->efd);
    pthread_mutex_destroy(&r->mu);
    ps_buf_free(&r->prefix);
    ps_buf_free(&r->fail_text);
    free(r);
}

netrun *ps__run_of(ps_server *s, void *tag)
{
    for (int i = 0; i < MAX_RUNS; i++)
        if (s->runs[i] && tag == s->runs[i])
            return tag;
    return NULL;
}

/* The payload: u64 steps (0: MORK's default), u32 flags, u32 thread
 * length, the thread's MeTTa text (empty: every exec atom). */
static int parse(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload, netrun *r)
{
    rd x = rd_of(payload);
    uint64_t steps = rd_u64(&x);
    uint32_t flags = rd_u32(&x), tl = rd_u32(&x);
    const uint8_t *t = rd_take(&x, tl);
    if (x.bad || rd_left(&x) || (flags & ~RUN_FLAGS)) {
        ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "RUN: a malformed request");
        return -1;
    }
    ps_exec_opts_init(&r->o);
    /* what a step may collect: a share of what every client together may
     * hold, so MAX_RUNS runs at once stay within --max-memory */
    r->o.max_bytes = s->o.max_memory / MAX_RUNS;
    if (steps)
        r->o.steps = steps;
    r->o.exact = (flags & PS_RUN_EXACT) != 0;
    r->o.timing = (flags & PS_RUN_TIMING) != 0;
    r->o.stop_on_error = (flags & PS_RUN_STOP_ON_ERROR) != 0;
    if (!tl)
        return 0;
    ps_buf a = { 0 };
    ps_diag d = { 0 };
    int rc = ps_atom_parse(t, tl, &a, &d);
    if (!rc && ps_atom_prefix(ps_buf_bytes(&a)) != a.len) {
        rc = PS_E_INVAL;
        strcpy(d.msg, "the thread must be ground (no variables)");
    }
    if (!rc)
        rc = ps_buf_append(&r->prefix, "\x04\xC4" "exec\x02", 7) ||
             ps_buf_append(&r->prefix, ps_buf_data(&a), a.len);
    ps_buf_free(&a);
    if (rc) {
        ps__conn_error(s, c, f->id, rc == PS_E_NOMEM ? rc : PS_E_PARSE, 0, "RUN: thread: %s",
                       d.msg[0] ? d.msg : ps_strerror(rc));
        return -1;
    }
    return 0;
}

void ps__handle_run(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    int slot = 0;
    while (slot < MAX_RUNS && s->runs[slot])
        slot++;
    if (slot == MAX_RUNS)
        return ps__conn_error(s, c, f->id, PS_E_LIMIT, 0, "RUN: %d runs already", MAX_RUNS);
    netrun *r = calloc(1, sizeof *r);
    stream *st = calloc(1, sizeof *st);
    if (!r || !st || (r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        free(r), free(st);
        return ps__conn_error(s, c, f->id, PS_E_NOMEM, 0, "RUN: out of memory");
    }
    pthread_mutex_init(&r->mu, NULL);
    if (parse(s, c, f, payload, r)) {
        free(st);
        return run_free(r);
    }
    r->s = s;
    r->cid = c->cid;
    r->id = f->id;
    r->o.progress = progress;
    r->o.stop = should_stop;
    r->o.on_error = on_error;
    r->o.ctx = r;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = r };
    pthread_attr_t attr;
    int ok = !pthread_attr_init(&attr);
    if (ok) {
        pthread_attr_setstacksize(&attr, 64u << 20); /* the engine's (query/match.h) */
        ok = !epoll_ctl(s->ep, EPOLL_CTL_ADD, r->efd, &ev) &&
             !pthread_create(&r->th, &attr, run_main, r);
        pthread_attr_destroy(&attr);
    }
    if (!ok) {
        epoll_ctl(s->ep, EPOLL_CTL_DEL, r->efd, NULL);
        free(st);
        run_free(r);
        return ps__conn_error(s, c, f->id, PS_E_NOMEM, 0, "RUN: cannot start its thread");
    }
    s->runs[slot] = r;
    st->kind = STREAM_RUN;
    st->id = f->id;
    st->waiting = 1; /* frames come from the run's events, not stream_fill */
    st->fd = -1;
    st->run = r;
    c->st = st;
}

void ps__run_orphan(netrun *r)
{
    atomic_store(&r->cancel, 1);
}

/* One frame of the run's figures (under r->mu). */
static int frame(ps_server *s, conn *c, netrun *r, unsigned flags)
{
    ps_buf b = { 0 };
    int rc;
    size_t tl = r->fail_text.len > 4096 ? 4096 : r->fail_text.len;
    uint8_t *p = ps__frame_begin(&b, PS_MSG_RUN | PS_MSG_REPLY, (uint16_t)flags, r->id,
                                 PS_RUN_REPLY + tl, &rc);
    if (!p)
        return rc;
    const ps_exec_stats *t = &r->st;
    uint64_t v[8] = { t->execs, t->returned, t->failed, t->solutions, t->added, t->removed,
                      r->atoms, t->ns };
    for (int i = 0; i < 8; i++)
        p = wr_u64(p, v[i]);
    p = wr_u32(p, (uint32_t)r->fail_code);
    p = wr_u32(p, (uint32_t)tl);
    if (tl)
        memcpy(p, ps_buf_data(&r->fail_text), tl);
    ps__conn_queue(s, c, &b);
    return PS_OK;
}

static conn *conn_of(ps_server *s, netrun *r)
{
    for (uint32_t i = 0; i < s->nconns; i++) {
        conn *c = s->conns[i];
        if (c->cid == r->cid && c->st && c->st->run == r)
            return c;
    }
    return NULL;
}

void ps__run_event(ps_server *s, netrun *r)
{
    uint64_t v;
    ssize_t k = read(r->efd, &v, sizeof v);
    (void)k;
    conn *c = conn_of(s, r);
    if (c && c->st->cancelled)
        atomic_store(&r->cancel, 1);
    pthread_mutex_lock(&r->mu);
    int done = r->done;
    if (done) /* the loop holds the lock: the space is its own now */
        r->atoms = ps_space_count(ps_pspace_space(s->p));
    if (c && done) {
        stream *st = c->st;
        c->st = NULL;
        st->run = NULL;
        if (r->rc)
            ps__conn_error(s, c, r->id, r->rc, 0, "RUN: %s", r->msg[0] ? r->msg : ps_strerror(r->rc));
        else
            frame(s, c, r, st->cancelled || atomic_load(&r->cancel) ? PS_FLAG_CANCELLED : 0);
        ps__stream_free(st);
        ps__conn_pending(s, c);
    } else if (c && r->fresh && c->on < OUTQ / 2) { /* progress: dropped when replies back up */
        r->fresh = 0;
        frame(s, c, r, PS_FLAG_MORE);
        ps__conn_pending(s, c);
    }
    pthread_mutex_unlock(&r->mu);
    if (!done)
        return;
    pthread_join(r->th, NULL);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, r->efd, NULL);
    for (int i = 0; i < MAX_RUNS; i++)
        if (s->runs[i] == r)
            s->runs[i] = NULL;
    run_free(r);
}

void ps__runs_stop(ps_server *s)
{
    for (int i = 0; i < MAX_RUNS; i++) {
        netrun *r = s->runs[i];
        if (!r)
            continue;
        atomic_store(&r->cancel, 1);
        pthread_join(r->th, NULL);
        epoll_ctl(s->ep, EPOLL_CTL_DEL, r->efd, NULL);
        for (uint32_t k = 0; k < s->nconns; k++) /* their streams end without it */
            if (s->conns[k]->st && s->conns[k]->st->run == r)
                s->conns[k]->st->run = NULL;
        s->runs[i] = NULL;
        run_free(r);
    }
}
