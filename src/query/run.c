/*
 * run.c - running a compiled query on a source (pathspace.h, "queries").
 *
 * A run's search recurses (match.c, lock.c), up to MATCH_MAX_DEPTH steps
 * deep, so it runs on threads of its own with MATCH_STACK of stack, never
 * on the caller's, whose size nobody knows. With threads > 1 each thread
 * walks the same search tree down to MATCH_SPLIT_DEPTH and takes the
 * branches there that it claims from a shared counter, one at a time, so
 * the work spreads by itself; results go to the caller's function under
 * one lock, in no fixed order.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/opts.h"
#include "common/workers.h"
#include "join.h"
#include "match.h"
#include "query.h"

void ps_query_opts_init(ps_query_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->threads = 1;
}

/* What every thread of a run shares. */
typedef struct shared {
    const ps_query *q;
    ps_source src;
    ps_query_opts o;
    ps_query_fn fn;
    void *ctx;
    par par;
    pthread_mutex_t mu;   /* the caller's function, and what follows     */
    uint64_t results;
    int err;              /* the first error, and its diagnosis          */
    ps_diag d;
    ps_query_stats st;    /* summed over the threads                     */
    int here;             /* on the caller's thread (ps__query_run_here)  */
    /* a parallel leapfrog run: chunks of units, claimed in order, their
     * results held and handed out in chunk order (the order one thread
     * finds them in); a claim waits while more than ORDER_HELD bytes are
     * held, so what is held stays bounded however slow one chunk is */
    pthread_cond_t turn;
    uint64_t next_chunk, next_out, held_bytes;
    int emitting;                                /* a thread hands out */
    struct held { ps_buf r; int done; } *held; /* a ring, by chunk */
    uint64_t hcap;                               /* its size: a power of 2 */
} shared;

#define ORDER_HELD (64u << 20)

typedef struct worker {
    shared *sh;
    unsigned tid;
    ps_buf out;           /* a result being written                       */
    int ordered;          /* results go to pend, for chunk: */
    uint64_t chunk;
    ps_buf pend;          /* u32 length + bytes each                      */
    pthread_t th;
} worker;

/* One result to the caller: counted, limited; under the lock of a
 * parallel run, or by its one emitting thread (out_ready). */
static int deliver_locked(shared *sh, ps_bytes atom)
{
    int rc = 0;
    if (atomic_load(&sh->par.stop) || (sh->o.limit && sh->results >= sh->o.limit)) {
        rc = 1;
    } else {
        sh->results++;
        rc = sh->fn ? sh->fn(sh->ctx, atom) : 0;
        if (!rc && sh->o.limit && sh->results == sh->o.limit)
            rc = 1;
    }
    if (rc)
        atomic_store(&sh->par.stop, 1);
    return rc;
}

static int deliver(worker *w, ps_bytes atom)
{
    shared *sh = w->sh;
    if (w->ordered) { /* held for its chunk's turn */
        uint8_t le[4];
        ps_write_le32(le, (uint32_t)atom.len);
        if (ps_buf_append(&w->pend, le, 4) || ps_buf_append(&w->pend, atom.ptr, atom.len))
            return -PS_E_NOMEM;
        return atomic_load_explicit(&sh->par.stop, memory_order_relaxed) != 0;
    }
    int many = sh->o.threads > 1;
    if (many)
        pthread_mutex_lock(&sh->mu);
    int rc = deliver_locked(sh, atom);
    if (many)
        pthread_mutex_unlock(&sh->mu);
    return rc;
}

/* Hands out the held chunks whose turn has come (called under the lock).
 * One thread at a time does (emitting), without the lock while it calls
 * the caller's function, so the others publish and claim meanwhile; a
 * chunk published then is found by its next look. */
static void out_ready(shared *sh)
{
    if (sh->emitting)
        return;
    sh->emitting = 1;
    for (;;) {
        uint64_t slot = sh->next_out;
        struct held *h = &sh->held[slot & (sh->hcap - 1)];
        if (!h->done)
            break;
        ps_buf r = h->r; /* its place stays reserved: next_out is still slot */
        h->r = (ps_buf){ 0 };
        pthread_mutex_unlock(&sh->mu);
        for (size_t at = 0; at < r.len;) {
            const uint8_t *p = ps_buf_data(&r) + at;
            if (deliver_locked(sh, ps_bytes_of(p + 4, ps_read_le32(p))))
                break;
            at += 4 + ps_read_le32(p);
        }
        pthread_mutex_lock(&sh->mu);
        h = &sh->held[slot & (sh->hcap - 1)]; /* the ring may have grown */
        sh->held_bytes -= r.len;
        ps_buf_clear(&r, 0);
        h->r = r; /* its memory, for the chunk that comes here next */
        h->done = 0;
        sh->next_out++;
        pthread_cond_broadcast(&sh->turn);
    }
    sh->emitting = 0;
}

/* Room in the ring for chunk c (under the lock); the chunks held keep
 * their places modulo the new size. */
static int ring_fit(shared *sh, uint64_t c)
{
    if (c - sh->next_out < sh->hcap)
        return PS_OK;
    uint64_t cap = sh->hcap * 2;
    while (c - sh->next_out >= cap)
        cap *= 2;
    struct held *n = ps_calloc(cap, sizeof *n);
    if (!n)
        return PS_E_NOMEM;
    for (uint64_t k = sh->next_out; k < sh->next_out + sh->hcap; k++)
        n[k & (cap - 1)] = sh->held[k & (sh->hcap - 1)];
    free(sh->held);
    sh->held = n;
    sh->hcap = cap;
    return PS_OK;
}

/* The worker's chunk is done: its results wait for their turn (under
 * the lock). */
static void publish(worker *w)
{
    shared *sh = w->sh;
    if (w->ordered < 2)
        return; /* it has none */
    struct held *h = &sh->held[w->chunk & (sh->hcap - 1)];
    ps_buf t = h->r;
    h->r = w->pend, w->pend = t;
    ps_buf_clear(&w->pend, 0);
    h->done = 1;
    sh->held_bytes += h->r.len;
    w->ordered = 1;
    out_ready(sh);
}

static void fail(shared *sh, int rc, const ps_diag *d);

/* engine.take_chunk: this worker's chunk is done; the next one for it. */
static int claim(void *ctx, uint64_t *chunk)
{
    worker *w = ctx;
    shared *sh = w->sh;
    pthread_mutex_lock(&sh->mu);
    publish(w);
    while (sh->held_bytes > ORDER_HELD && !atomic_load(&sh->par.stop))
        pthread_cond_wait(&sh->turn, &sh->mu); /* the next to go out is not held */
    w->chunk = sh->next_chunk++;
    w->ordered = 2;
    int stop = atomic_load(&sh->par.stop) != 0;
    if (!stop && ring_fit(sh, w->chunk)) {
        ps_diag d = { 0 };
        pthread_mutex_unlock(&sh->mu);
        fail(sh, PS_E_NOMEM, &d);
        return 1;
    }
    pthread_mutex_unlock(&sh->mu);
    *chunk = w->chunk;
    return stop;
}

static int on_solution(void *ctx, engine *e)
{
    worker *w = ctx;
    const ps_query *q = w->sh->q;
    int rc = PS_OK;
    if (w->sh->o.mode == PS_QUERY_COUNT)
        return atomic_load_explicit(&w->sh->par.stop, memory_order_relaxed) != 0;
    if (w->sh->o.mode == PS_QUERY_BINDINGS) {
        ps_buf_clear(&w->out, 0);
        if ((rc = ps__instantiate_list(e->t, q->vars, q->nvars, &w->out)))
            return -rc;
        return deliver(w, ps_buf_bytes(&w->out));
    }
    for (unsigned i = 0; i < q->ntpl && !rc; i++) {
        ps_buf_clear(&w->out, 0);
        if ((rc = ps__instantiate(e->t, q->tpl[i], &w->out))) {
            if (rc == PS_E_LIMIT)
                ps__diag_set(&e->d, rc, NULL, 0, "a result would hold more than 64 variables");
            return -rc;
        }
        rc = deliver(w, ps_buf_bytes(&w->out));
    }
    return rc;
}

/* A thread's own view of the source (views keep caches). */
typedef struct anyview {
    qview_space s;
    qview_act a;
    qview_snap *n;
} anyview;

static qview *view_open(anyview *v, const shared *sh, int *rc)
{
    *rc = PS_OK;
    switch (sh->src.kind) {
    case PS_SRC_SPACE:
        ps__qview_space(&v->s, sh->src.u.space);
        return &v->s.v;
    case PS_SRC_ACT:
        ps__qview_act(&v->a, sh->src.u.act);
        return &v->a.v;
    default:
        if ((*rc = ps__qview_snap_new(sh->src.u.snap, sh->o.snap_cache, &v->n)))
            return NULL;
        return ps__qview_snap_base(v->n);
    }
}

static void fail(shared *sh, int rc, const ps_diag *d)
{
    pthread_mutex_lock(&sh->mu);
    if (!sh->err) {
        sh->err = rc;
        sh->d = *d;
        if (!sh->d.msg[0])
            ps__diag_set(&sh->d, rc, NULL, 0, "%s", ps_strerror(rc));
    }
    atomic_store(&sh->par.stop, 1);
    pthread_cond_broadcast(&sh->turn);
    pthread_mutex_unlock(&sh->mu);
}

/*
 * The terms and the engine's buffers a thread keeps between its runs on
 * its own stack (ps__query_run_here: the server's loop, an exec run's
 * steps), so that a selective query allocates nothing; a run that grew
 * them past KEEP_MAX lets them go.
 */
#define KEEP_MAX (1u << 20)
typedef struct kept {
    terms t;
    engine e;
    int has;
} kept;
static pthread_key_t keep_key;
static pthread_once_t keep_once = PTHREAD_ONCE_INIT;

static void kept_drop(void *p) /* at the thread's exit */
{
    kept *k = p;
    if (k->has) {
        ps__engine_free(&k->e);
        ps__terms_free(&k->t);
    }
    free(k);
}

static void kept_key(void)
{
    pthread_key_create(&keep_key, kept_drop);
}

/* The thread's kept buffers, or NULL (nothing is kept then). */
static kept *kept_get(void)
{
    pthread_once(&keep_once, kept_key);
    kept *k = pthread_getspecific(keep_key);
    if (!k && (k = ps_calloc(1, sizeof *k)) && pthread_setspecific(keep_key, k)) {
        free(k);
        k = NULL;
    }
    return k;
}

static void kept_take(terms *t, engine *e)
{
    kept *kp = kept_get();
    memset(e, 0, sizeof *e);
    if (!kp || !kp->has) {
        memset(t, 0, sizeof *t);
        return;
    }
    kept *keep = kp;
    keep->has = 0;
    *t = keep->t;
    ps__terms_reset(t);
    e->items = keep->e.items, e->cap = keep->e.cap, e->capbytes = keep->e.capbytes;
    e->lk = keep->e.lk, e->built = keep->e.built, e->memo = keep->e.memo;
    e->counts = keep->e.counts, e->pre = keep->e.pre, e->kn = keep->e.kn, e->kb = keep->e.kb;
    ps__engine_reset(e);
}

static void kept_give(terms *t, engine *e)
{
    kept *keep = kept_get();
    if (!keep || keep->has || t->arena.cap > KEEP_MAX || e->capbytes.cap > KEEP_MAX ||
        e->built.cap > KEEP_MAX || e->memo.bytes.cap > KEEP_MAX || e->memo.cap > KEEP_MAX / 64) {
        ps__engine_free(e);
        ps__terms_free(t);
        return;
    }
    keep->t = *t;
    keep->e = *e;
    keep->has = 1;
}

/* The planner: the leapfrog join wherever it has a plan without a cross
 * product (bench_query's joins: never slower than the nested one, and
 * far faster on cycles and on patterns a variable leads), else the nested
 * one; a leapfrog run that meets a stored variable before handing anything
 * out gives the query to the nested one whole. */
/* A parallel leapfrog run: its regions proven ground first (each thread
 * alike), then split in chunks whose results go out in order. JOIN_IMPURE
 * when the nested join must answer: a stored variable in a region, or a
 * copy that met one (before any claim, alike on every thread). */
static int leapfrog_parallel(engine *e, worker *w, const jplan *p)
{
    shared *sh = w->sh;
    int rc = ps__join_ground(e, p, ~0ull);
    if (rc <= 0)
        return rc < 0 ? rc : JOIN_IMPURE;
    e->par = NULL; /* its own splitting, not match.c's */
    e->take_chunk = claim;
    w->ordered = 1;
    rc = ps__join(e, p, 1);
    pthread_mutex_lock(&sh->mu);
    publish(w);
    pthread_mutex_unlock(&sh->mu);
    e->par = &sh->par; /* as the nested join, if it answers, needs them */
    e->take_chunk = NULL;
    w->ordered = 0;
    return rc;
}

static int search(engine *e, worker *w, int *used)
{
    int mode = w->sh->o.join, rc = JOIN_IMPURE;
    jplan p;
    memset(&p, 0, sizeof p);
    int plan = mode != PS_JOIN_NESTED && e->npat > 1 ? ps__join_plan(e, &p) : 0;
    if (plan > 0 && (mode == PS_JOIN_LEAPFROG || !p.product))
        rc = e->par ? leapfrog_parallel(e, w, &p) : ps__join(e, &p, 0);
    ps__join_plan_free(&p);
    if (plan < 0)
        return plan;
    if (rc != JOIN_IMPURE) {
        *used = PS_JOIN_LEAPFROG;
        return rc;
    }
    e->atoms = 0, e->solutions = 0; /* nothing was handed out: the nested join's */
    *used = PS_JOIN_NESTED;
    return ps__match(e);
}

static void *work(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    const ps_query *q = sh->q;
    anyview av;
    int rc;
    memset(&av, 0, sizeof av);
    qview *v = view_open(&av, sh, &rc);
    terms t;
    engine e;
    if (sh->here)
        kept_take(&t, &e);
    else
        memset(&e, 0, sizeof e), memset(&t, 0, sizeof t);
    if (rc || ps__terms_ids(&t, 0) ||
        ps_buf_append(&t.arena, ps_buf_data(&q->arena), q->arena.len)) {
        ps_diag d = { 0 };
        fail(sh, PS_E_NOMEM, &d);
        if (!rc)
            ps__terms_free(&t);
        ps__qview_snap_free(av.n);
        return NULL;
    }
    e.v = v;
    e.max_steps = sh->o.max_steps;
    e.t = &t;
    e.pat = q->pat;
    e.npat = q->npat;
    e.fn = on_solution;
    e.ctx = w;
    e.count_only = sh->o.mode == PS_QUERY_COUNT;
    e.tid = w->tid;
    if (sh->o.threads > 1) {
        e.par = &sh->par;
        ps__split_leave(&e); /* its first claim */
    }
    int used = PS_JOIN_NESTED;
    rc = search(&e, w, &used);
    if (rc < 0)
        fail(sh, -rc, &e.d);
    pthread_mutex_lock(&sh->mu);
    sh->st.join = (uint64_t)used;
    sh->st.atoms += e.atoms;
    sh->st.nodes += v->steps;
    sh->st.solutions += e.solutions;
    sh->st.chunks += av.n ? ps__qview_snap_decoded(av.n) : 0;
    pthread_mutex_unlock(&sh->mu);
    if (sh->here)
        kept_give(&t, &e);
    else {
        ps__engine_free(&e);
        ps__terms_free(&t);
    }
    ps__qview_snap_free(av.n);
    return NULL;
}

/* The threads of one run, each with MATCH_STACK of stack, joined. Returns
 * how many started. */
static unsigned start_all(worker *w, shared *sh)
{
    pthread_attr_t attr;
    unsigned started = 0;
    if (pthread_attr_init(&attr))
        return 0;
    pthread_attr_setstacksize(&attr, MATCH_STACK);
    for (; started < sh->o.threads; started++) {
        w[started].sh = sh;
        w[started].tid = started;
        if (pthread_create(&w[started].th, &attr, work, &w[started]))
            break;
    }
    pthread_attr_destroy(&attr);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(w[i].th, NULL);
        ps_buf_free(&w[i].out);
        ps_buf_free(&w[i].pend);
    }
    return started;
}

/*
 * One search thread kept between single-threaded runs: starting a thread
 * with 64 MiB of stack (mmap, guard page, munmap at exit) costs more than a
 * selective query does. A run takes it if it is free and otherwise starts
 * its own, as before. A forked child starts afresh (the kept thread is not
 * in it).
 */
static struct park {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int started, busy, has_job;
    worker *job;
} park = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
           0, 0, 0, NULL };
static pthread_once_t park_once = PTHREAD_ONCE_INIT;

static void *park_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&park.mu);
    for (;;) {
        while (!park.has_job)
            pthread_cond_wait(&park.go, &park.mu);
        worker *w = park.job;
        pthread_mutex_unlock(&park.mu);
        work(w);
        pthread_mutex_lock(&park.mu);
        park.has_job = 0;
        pthread_cond_signal(&park.done);
    }
    return NULL;
}

static void park_child(void)
{
    pthread_mutex_init(&park.mu, NULL);
    pthread_cond_init(&park.go, NULL);
    pthread_cond_init(&park.done, NULL);
    park.started = park.busy = park.has_job = 0;
}

static void park_setup(void)
{
    pthread_atfork(NULL, NULL, park_child);
}

/* 0 when the run went on the kept thread, -1 to start one's own. */
static int park_run(worker *w, shared *sh)
{
    pthread_once(&park_once, park_setup);
    w->sh = sh;
    w->tid = 0;
    pthread_mutex_lock(&park.mu);
    if (park.busy) {
        pthread_mutex_unlock(&park.mu);
        return -1;
    }
    if (!park.started) {
        pthread_attr_t attr;
        pthread_t th;
        int ok = !pthread_attr_init(&attr);
        if (ok) {
            pthread_attr_setstacksize(&attr, MATCH_STACK);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            ok = !pthread_create(&th, &attr, park_loop, NULL);
            pthread_attr_destroy(&attr);
        }
        if (!ok) {
            pthread_mutex_unlock(&park.mu);
            return -1;
        }
        park.started = 1;
    }
    park.busy = 1;
    park.job = w;
    park.has_job = 1;
    pthread_cond_signal(&park.go);
    while (park.has_job)
        pthread_cond_wait(&park.done, &park.mu);
    park.busy = 0;
    pthread_mutex_unlock(&park.mu);
    ps_buf_free(&w->out);
    return 0;
}

static int run(const ps_query *q, ps_source src, const ps_query_opts *opts, ps_query_fn fn,
               void *ctx, ps_query_stats *st, ps_diag *d, int here);

int ps_query_run(const ps_query *q, ps_source src, const ps_query_opts *opts, ps_query_fn fn,
                 void *ctx, ps_query_stats *st, ps_diag *d)
{
    return run(q, src, opts, fn, ctx, st, d, 0);
}

int ps__query_run_here(const ps_query *q, ps_source src, const ps_query_opts *opts,
                       ps_query_fn fn, void *ctx, ps_query_stats *st, ps_diag *d)
{
    return run(q, src, opts, fn, ctx, st, d, 1);
}

static int run(const ps_query *q, ps_source src, const ps_query_opts *opts, ps_query_fn fn,
               void *ctx, ps_query_stats *st, ps_diag *d, int here)
{
    if (src.kind < PS_SRC_SPACE || src.kind > PS_SRC_SNAP || !src.u.space)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "no such source");
    shared sh;
    memset(&sh, 0, sizeof sh);
    ps_query_opts_init(&sh.o);
    int rc = ps__opts_copy(&sh.o, sizeof sh.o, opts);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "query options from %s",
                            rc == PS_E_INVAL ? "a struct without its size set" : "a newer pathspace");
    if ((unsigned)sh.o.mode > PS_QUERY_COUNT || (unsigned)sh.o.join > PS_JOIN_LEAPFROG)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "no such query mode or join");
    if (sh.o.threads == 0)
        sh.o.threads = ps__cpu_count();
    if (sh.o.threads > 256)
        sh.o.threads = 256;
    sh.q = q;
    sh.src = src;
    sh.here = here && sh.o.threads == 1;
    sh.fn = fn;
    sh.ctx = ctx;
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.turn, NULL);
    worker *w = ps_calloc(sh.o.threads, sizeof *w);
    sh.hcap = 64;
    if (w && sh.o.threads > 1 && !(sh.held = ps_calloc(sh.hcap, sizeof *sh.held)))
        free(w), w = NULL;
    unsigned started = 0;
    if (w && sh.o.threads == 1 && here) { /* the caller's stack is MATCH_STACK */
        w[0].sh = &sh;
        work(&w[0]);
        ps_buf_free(&w[0].out);
        started = 1;
    } else if (w && sh.o.threads == 1 && park_run(&w[0], &sh) == 0)
        started = 1; /* on the kept thread */
    else if (w)
        started = start_all(w, &sh);
    if (started < sh.o.threads) { /* the others saw a part of the work only */
        ps_diag e = { 0 };
        ps__diag_set(&e, PS_E_NOMEM, NULL, 0, "cannot start the search's threads "
                     "(each needs %u MiB of stack)", MATCH_STACK >> 20);
        if (!sh.err)
            sh.err = PS_E_NOMEM, sh.d = e;
    }
    free(w);
    for (uint64_t i = 0; sh.held && i < sh.hcap; i++)
        ps_buf_free(&sh.held[i].r);
    free(sh.held);
    pthread_cond_destroy(&sh.turn);
    pthread_mutex_destroy(&sh.mu);
    if (st) {
        *st = sh.st;
        st->results = sh.results;
    }
    if (sh.err && d)
        *d = sh.d;
    return sh.err;
}

typedef struct into {
    ps_space *out;
    uint64_t added, limit;
    int rc;
} into;

static int add_result(void *ctx, ps_bytes atom)
{
    into *t = ctx;
    int added = 0;
    if ((t->rc = ps_space_insert(t->out, atom, &added)))
        return 1;
    t->added += (uint64_t)added;
    return t->limit && t->added == t->limit; /* enough distinct ones */
}

int ps_query_into(const ps_query *q, ps_source src, const ps_query_opts *opts, ps_space *out,
                  uint64_t *added, ps_query_stats *st, ps_diag *d)
{
    ps_query_opts o;
    ps_query_opts_init(&o);
    int rc = ps__opts_copy(&o, sizeof o, opts);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "query options from %s",
                            rc == PS_E_INVAL ? "a struct without its size set" : "a newer pathspace");
    into t = { out, 0, o.limit, PS_OK };
    o.limit = 0; /* the limit counts distinct results here */
    rc = ps_query_run(q, src, &o, add_result, &t, st, d);
    if (!rc && t.rc)
        rc = ps__diag_set(d, t.rc, NULL, 0, "adding a result: %s", ps_strerror(t.rc));
    if (added)
        *added = t.added;
    return rc;
}
