/*
 * async.c - MORK's asynchronous commands: import, transform and count
 * answer "ACK. ..." at once and run on a worker thread, holding their
 * permissions; the status of their target says pathForbiddenTemporary
 * (or pathReadOnlyTemporary) while they run, then what came of it. A
 * worker that finds every other busy gets 503, as MORK's does. And stop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/mapfile.h"
#include "expr/tags.h"
#include "http.h"
#include "query/match.h"

struct hjob {
    ps_http *h;
    int slot;
    void (*run)(hjob *j);
    grant g[MAX_GRANTS];
    size_t ng;
    ps_buf keys;         /* the bytes the grants point into             */
    size_t skey, skey_n; /* where the outcome's status goes, in keys    */
    pt x;                /* import                                      */
    ps_query *q;         /* transform                                   */
    char *file;
    int format;
    void *ext;           /* another file's job (thread.c)              */
    void (*ext_free)(void *ext);
    unsigned busy;       /* the HTTP status when a grant is held (0: 401) */
};

static void job_free(hjob *j)
{
    if (j->ext_free)
        j->ext_free(j->ext);
    ps__pt_free(&j->x);
    ps_query_free(j->q);
    ps_buf_free(&j->keys);
    free(j->file);
    free(j);
}

static void outcome(hjob *j, int kind, unsigned code, const char *fmt, const ps_diag *d)
{
    hstatus st;
    memset(&st, 0, sizeof st);
    st.kind = kind;
    st.code = code;
    if (d && d->line)
        snprintf(st.msg, sizeof st.msg, "%s %u:%u: %s", fmt, d->line, d->col, d->msg);
    else if (d)
        snprintf(st.msg, sizeof st.msg, "%s: %s (byte %llu)", fmt, d->msg,
                 (unsigned long long)d->offset);
    else
        snprintf(st.msg, sizeof st.msg, "%s", fmt);
    ps__perm_set(j->h, j->skey_n ? ps_buf_data(&j->keys) + j->skey : NULL, j->skey_n, &st);
}

static void *job_main(void *arg)
{
    hjob *j = arg;
    ps_http *h = j->h;
    int slot = j->slot;
    j->run(j); /* sets the outcome's status while still holding the grants */
    ps__perm_release(h, j->g, j->ng);
    job_free(j);
    pthread_mutex_lock(&h->mu);
    h->workers[slot].state = 2;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* A free worker, waiting for one while at most o.queue others wait (the
 * request's own thread waits: libmicrohttpd gives each its own); -1 when
 * the queue is full or the server stops. */
static int slot_take(ps_http *h)
{
    int got = -1, waited = 0;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        for (uint32_t i = 0; i < h->o.workers && got < 0; i++) {
            worker *w = &h->workers[i];
            if (w->state == 2) { /* finished: it has let go of mu, join it */
                pthread_join(w->t, NULL);
                w->state = 0;
            }
            if (!w->state) {
                w->state = 1;
                got = (int)i;
            }
        }
        if (got >= 0 || h->stopping || (!waited && h->queued >= h->o.queue))
            break;
        if (!waited)
            h->queued++, waited = 1;
        pthread_cond_wait(&h->cv, &h->mu);
    }
    if (waited)
        h->queued--;
    pthread_mutex_unlock(&h->mu);
    return got;
}

static void slot_give(ps_http *h, int i)
{
    pthread_mutex_lock(&h->mu);
    h->workers[i].state = 0;
    pthread_cond_broadcast(&h->cv); /* a request may wait for it */
    pthread_mutex_unlock(&h->mu);
}

void ps__hjob_join_all(ps_http *h)
{
    pthread_mutex_lock(&h->mu);
    for (uint32_t i = 0; i < h->o.workers; i++) {
        while (h->workers[i].state == 1)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->workers[i].state == 2) {
            pthread_join(h->workers[i].t, NULL);
            h->workers[i].state = 0;
        }
    }
    pthread_mutex_unlock(&h->mu);
}

/* Takes a worker and the job's grants, starts it, and answers ack; the
 * job is taken in every case. */
static void start(req *q, reply *r, hjob *j, const char *cmd, const char *ack)
{
    j->h = q->h;
    if ((j->slot = slot_take(q->h)) < 0) {
        ps__reply_text(r, 503, "%s: every worker is busy and %u requests wait (--http-workers "
                       "%u, --http-queue %u)", cmd, q->h->o.queue, q->h->o.workers, q->h->o.queue);
        return job_free(j);
    }
    int rc = ps__perm_acquire(q->h, j->g, j->ng);
    if (rc) {
        slot_give(q->h, j->slot);
        if (j->busy && rc == PS_E_LOCKED)
            ps__reply_text(r, j->busy, "%s: a command holds its path", cmd);
        else
            ps__http_busy(r, cmd, rc);
        return job_free(j);
    }
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, MATCH_STACK); /* a search runs on it (virtual until used) */
    int slot = j->slot;
    if (pthread_create(&q->h->workers[slot].t, &a, job_main, j)) {
        ps__perm_release(q->h, j->g, j->ng);
        slot_give(q->h, slot);
        job_free(j);
        ps__reply_text(r, 500, "%s: cannot start a thread", cmd);
    } else
        ps__reply_text(r, 200, "%s", ack);
    pthread_attr_destroy(&a);
}

/* ------------------------------------------------- jobs of other files */

hjob *ps__hjob_new(void)
{
    return ps_calloc(1, sizeof(hjob));
}

void ps__hjob_free(hjob *j)
{
    job_free(j);
}

ps_buf *ps__hjob_keys(hjob *j)
{
    return &j->keys;
}

int ps__hjob_grant(hjob *j, size_t off, size_t n, int write, int status)
{
    if (j->ng == MAX_GRANTS)
        return -1;
    j->g[j->ng++] = (grant){ ps_buf_data(&j->keys) + off, n, write };
    if (status)
        j->skey = off, j->skey_n = n;
    return 0;
}

void ps__hjob_set(hjob *j, void (*run)(hjob *), void *ext, void (*ext_free)(void *), unsigned busy)
{
    j->run = run;
    j->ext = ext;
    j->ext_free = ext_free;
    j->busy = busy;
}

void *ps__hjob_ext(const hjob *j)
{
    return j->ext;
}

ps_http *ps__hjob_http(const hjob *j)
{
    return j->h;
}

void ps__hjob_status(hjob *j, const hstatus *st)
{
    ps__perm_set(j->h, ps_buf_data(&j->keys) + j->skey, j->skey_n, st);
}

void ps__hjob_start(req *q, reply *r, hjob *j, const char *cmd, const char *ack)
{
    start(q, r, j, cmd, ack);
}

/* ------------------------------------------------------------------ import */

/* The import of an open file (taken). */
static void import_fd(hjob *j, int fd)
{
    ps_diag d = { 0 };
    struct stat sb;
    const void *data = NULL;
    size_t len = 0;
    uint64_t n;
    int bad, rc;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        outcome(j, ST_FETCH_ERROR, 400, "Failed to open file at path: not a regular file", NULL);
    } else if ((uint64_t)sb.st_size > j->h->o.max_file) {
        close(fd);
        outcome(j, ST_FETCH_ERROR, 413, "the file is larger than --http-max-file", NULL);
    } else if (ps__map_fd(fd, &data, &len, &d))
        outcome(j, ST_FETCH_ERROR, 400, "Failed to open file at path", &d);
    else if ((rc = ps__space_add_input(j->h, &j->x, data, len, j->format, &n, &bad, &d)))
        outcome(j, bad == 1 ? ST_PARSE_ERROR : ST_EXEC_ERROR, 400,
                bad == 1 ? "Failed to parse file" : "import", &d);
    if (data)
        ps__unmap_file(data, len);
}

static void run_import(hjob *j)
{
    int fd = ps__files_read(j->h, j->file);
    if (fd >= 0)
        return import_fd(j, fd);
    ps_diag d = { 0 };
    snprintf(d.msg, sizeof d.msg, "%s: %s", j->file, ps__files_why(errno));
    outcome(j, ST_FETCH_ERROR, 400, "Failed to open file at path", &d);
}

/* http(s)://: fetched first (fetch.c), then imported as a file. */
static void run_fetch(hjob *j)
{
    char why[256] = "";
    unsigned code;
    int fd;
    if (!ps__fetch(j->h, j->file, &fd, &code, why, sizeof why))
        return import_fd(j, fd);
    outcome(j, ST_FETCH_ERROR, code, why, NULL);
}

/* The refusal of an http(s) URI, in the reply and, for MORK's clients,
 * in the status too: 1, or 0 when the fetch may go. */
static int fetch_refused(req *q, reply *r, hjob *j, const char *uri)
{
    if (q->h->o.fetch_hosts && ps__fetch_allowed(q->h, uri))
        return 0;
    if (!q->h->o.fetch_hosts)
        ps__reply_text(r, 400, "import: http(s) imports are off: the operator allows them with "
                               "--http-fetch HOST[,HOST...]");
    else
        ps__reply_text(r, 403, "import: %s: its host is not one --http-fetch allows", uri);
    char why[256];
    snprintf(why, sizeof why, "%.*s", (int)r->body.len, (const char *)ps_buf_data(&r->body));
    j->skey_n = j->x.tpfx;
    j->h = q->h;
    outcome(j, ST_FETCH_ERROR, r->code, why, NULL);
    return 1;
}

/* An import of target (a file beneath --http-files, or a URL) in format
 * the extension says, as MORK's server takes it (its client sends
 * format=metta for .paths files), else format=; the job is taken. */
static void import_start(req *q, reply *r, hjob *j, const char *target, const char *fname,
                         void (*run)(hjob *))
{
    if (!(j->format = ps_format_of(target)) && !(fname && (j->format = ps_format_of(fname)))) {
        ps__reply_text(r, 400, "import: no format: pass ?format=metta|paths|json|jsonl|csv");
        return job_free(j);
    }
    if (!(j->file = strdup(target))) {
        ps__reply_text(r, 500, "import: out of memory");
        return job_free(j);
    }
    j->g[0] = (grant){ ps_buf_data(&j->keys), j->x.tpfx, 1 };
    j->ng = 1;
    j->skey_n = j->x.tpfx;
    j->run = run;
    start(q, r, j, "import", "ACK. Starting Import");
}

void ps__hjob_import(req *q, reply *r)
{
    ps_buf ub = { 0 }, fb = { 0 };
    const char *uri = ps__reply_arg(q, "uri", &ub, NULL),
               *fname = ps__reply_arg(q, "format", &fb, NULL), *rel = NULL;
    hjob *j = ps_calloc(1, sizeof *j);
    if (!j)
        ps__reply_text(r, 500, "import: out of memory");
    else if (ps__pt_parse(&j->x, q->seg[0], q->seg[1], 1, r))
        job_free(j);
    else if (ps_buf_append(&j->keys, ps_buf_data(&j->x.tmpl), j->x.tpfx)) {
        ps__reply_text(r, 500, "import: out of memory");
        job_free(j);
    } else if (ps__fetch_is_url(uri)) {
        if (fetch_refused(q, r, j, uri))
            job_free(j);
        else
            import_start(q, r, j, uri, fname, run_fetch);
    } else if (ps__files_rel(q->h, uri, &rel, r, "import")) {
        /* MORK's clients read the refusal from the status too */
        char why[256];
        snprintf(why, sizeof why, "%.*s", (int)r->body.len, (const char *)ps_buf_data(&r->body));
        j->skey_n = j->x.tpfx;
        j->h = q->h;
        outcome(j, ST_FETCH_ERROR, r->code, why, NULL);
        job_free(j);
    } else
        import_start(q, r, j, rel, fname, run_import);
    ps_buf_free(&ub);
    ps_buf_free(&fb);
}

/* --------------------------------------------------------------- transform */

/* All or nothing: a transform whose results pass max_results adds none
 * (a conjunction of bare variables is a cross product of the space). */
static void run_transform(hjob *j)
{
    ps_space *out = NULL;
    ps_diag d = { 0 };
    uint64_t n, cap = j->h->o.max_results;
    if (ps_space_new(&out))
        outcome(j, ST_EXEC_ERROR, 500, "out of memory", NULL);
    else if (ps__space_query_long(j->h, j->q, cap + 1, out, &d))
        outcome(j, ST_EXEC_ERROR, 500, "transform", &d);
    else if (ps_space_count(out) > cap) {
        snprintf(d.msg, sizeof d.msg,
                 "more than %llu results: nothing added (raise "
                 "--http-max-results)",
                 (unsigned long long)cap);
        outcome(j, ST_EXEC_ERROR, 413, "transform", &d);
    } else if (ps__space_apply(j->h, SERVED_ADD, out, &n, &d))
        outcome(j, ST_EXEC_ERROR, 500, "transform", &d);
    ps_space_free(out);
}

/* Grants for each term of a conjunction (or the one term) at p. */
static int conj_grants(hjob *j, const uint8_t *p, size_t n, int write)
{
    size_t at = 0;
    uint64_t k = 1;
    if (!ps__conj(p, n, &k, &at) || !k)
        k = 1, at = 0; /* one term (an empty conjunction is one too) */
    for (size_t i = 0; i < k; i++) {
        if (at >= n || j->ng == MAX_GRANTS)
            return -1;
        size_t len = ps__term_len(p + at, n - at);
        j->g[j->ng++] = (grant){ p + at, ps_atom_prefix(ps_bytes_of(p + at, len)), write };
        at += len;
    }
    return 0;
}

/* (transform (, p...) (, t...)): the query (p... t...) and its grants. */
static int transform_parse(hjob *j, const ps_buf *body, reply *r)
{
    ps_diag d = { 0 };
    if (ps_atom_parse(ps_buf_data(body), body->len, &j->keys, &d))
        return ps__reply_text(r, 400, "transform %u:%u: %s", d.line, d.col, d.msg);
    const uint8_t *e = ps_buf_data(&j->keys);
    size_t n = j->keys.len;
    static const uint8_t head[] = { 3, 0xC9, 't', 'r', 'a', 'n', 's', 'f', 'o', 'r', 'm' };
    if (n < sizeof head || memcmp(e, head, sizeof head))
        return ps__reply_text(r, 400,
                              "transform: the body is (transform (, patterns...) (, "
                              "templates...))");
    size_t p = sizeof head, pl = ps__term_len(e + p, n - p),
           tl = ps__term_len(e + p + pl, n - p - pl);
    ps_buf spec = { 0 };
    uint8_t two = 2;
    int rc = ps_buf_append(&spec, &two, 1);
    if (!rc)
        rc = ps_buf_append(&spec, e + p, pl + tl);
    if (!rc)
        rc = ps_query_new(ps_buf_bytes(&spec), &j->q, &d);
    ps_buf_free(&spec);
    if (rc)
        return ps__reply_text(r, 400, "transform: %s", d.msg);
    if (conj_grants(j, e + p, pl, 0) || conj_grants(j, e + p + pl, tl, 1))
        return ps__reply_text(r, 400, "transform: more than %d patterns and templates", MAX_GRANTS);
    for (size_t i = 0; i < j->ng && !j->skey_n; i++)
        if (j->g[i].write) { /* the first template's prefix: MORK's client polls there */
            j->skey = (size_t)(j->g[i].p - e);
            j->skey_n = j->g[i].n;
        }
    return 0;
}

void ps__hjob_transform(req *q, reply *r)
{
    hjob *j = ps_calloc(1, sizeof *j);
    if (!j)
        return (void)ps__reply_text(r, 500, "transform: out of memory");
    if (transform_parse(j, &q->body, r))
        return job_free(j);
    j->run = run_transform;
    start(q, r, j, "transform", "ACK. Tranform dispatched");
}

/* ------------------------------------------------------------------- count */

static void run_count(hjob *j)
{
    ps_http *h = j->h;
    ps_bytes p = ps_bytes_of(ps_buf_data(&j->keys), j->skey_n);
    hstatus st;
    memset(&st, 0, sizeof st);
    st.kind = ST_COUNT;
    if (ps__space_count_long(h, p, &st.count)) {
        st.kind = ST_EXEC_ERROR;
        snprintf(st.msg, sizeof st.msg, "count: out of memory");
    }
    ps__perm_set(h, p.ptr, p.len, &st);
}

void ps__hjob_count(req *q, reply *r)
{
    hjob *j = ps_calloc(1, sizeof *j);
    if (!j)
        return (void)ps__reply_text(r, 500, "count: out of memory");
    if (ps__expr_arg(q, r, "count", &j->keys, &j->skey_n))
        return job_free(j);
    j->g[0] = (grant){ ps_buf_data(&j->keys), j->skey_n, 0 };
    j->ng = 1;
    j->run = run_count;
    start(q, r, j, "count", "ACK. Starting Count");
}

/* -------------------------------------------------------------------- stop */

void ps__hjob_stop(req *q, reply *r)
{
    ps_http *h = q->h;
    int idle = 0;
    ps_buf b = { 0 };
    ps__reply_arg(q, "wait_for_idle", &b, &idle);
    ps_buf_free(&b);
    pthread_mutex_lock(&h->mu);
    while (idle && !h->stopping) { /* until no command holds a path */
        int busy_w = 0;
        for (uint32_t i = 0; i < h->o.workers; i++)
            busy_w |= h->workers[i].state == 1;
        if (!busy_w && !h->nheld)
            break;
        pthread_cond_wait(&h->cv, &h->mu);
    }
    h->stopping = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    ps_served_stop(h->sv); /* MORK's /stop/ ends the whole service */
    ps__reply_text(r, 200, "ACK. Initiating Shutdown.  Connections will not longer be accepted");
}
