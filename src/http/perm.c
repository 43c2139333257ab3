/*
 * perm.c - MORK's path permissions and statuses.
 *
 * A command holds a read or a write on constant prefixes. Two grants
 * conflict when their prefixes overlap (one starts the other) and either
 * writes. The status of a prefix is what the running commands make it
 * (pathForbiddenTemporary under a write, pathReadOnlyTemporary under a
 * read), else what a finished command set there (a count, an error), else
 * pathClear. Few commands run at once, so plain arrays searched in full
 * are the right structure; the table of set statuses is bounded.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "common/alloc.h"
#include "http.h"

#define MAX_STATUSES 65536 /* set statuses kept; the oldest go first */

static int overlap(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    return !n || !memcmp(a, b, n);
}

static int conflicts(ps_http *h, const grant *g)
{
    for (size_t i = 0; i < h->nheld; i++) {
        const grant *o = h->held[i];
        if ((g->write || o->write) && overlap(g->p, g->n, o->p, o->n))
            return 1;
    }
    return 0;
}

void ps__deadline_ms(struct timespec *ts, clockid_t clock, unsigned ms)
{
    clock_gettime(clock, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Drops the statuses set at or below prefix p (a new writer there). */
static void clear_below(ps_http *h, const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < h->nst; i++) {
        entry *e = &h->st[i];
        if (e->n >= n && (!n || !memcmp(e->p, p, n))) {
            h->st_bytes -= e->n + sizeof *e;
            free(e->p);
        } else
            h->st[k++] = *e;
    }
    if (k != h->nst)
        h->version++;
    h->nst = k;
}

int ps__perm_acquire(ps_http *h, const grant *g, size_t n)
{
    struct timespec until;
    ps__deadline_ms(&until, CLOCK_REALTIME, h->o.perm_wait_ms);
    pthread_mutex_lock(&h->mu);
    for (;;) {
        int busy = 0;
        for (size_t i = 0; i < n && !busy; i++)
            busy = conflicts(h, &g[i]);
        if (!busy)
            break;
        if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&h->mu);
            return PS_E_LOCKED;
        }
    }
    if (h->nheld + n > h->capheld) {
        size_t cap = (h->nheld + n) * 2;
        const grant **v = realloc(h->held, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&h->mu);
            return PS_E_NOMEM;
        }
        h->held = v;
        h->capheld = cap;
    }
    for (size_t i = 0; i < n; i++) {
        h->held[h->nheld++] = &g[i];
        if (g[i].write)
            clear_below(h, g[i].p, g[i].n);
    }
    h->version++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return PS_OK;
}

void ps__perm_release(ps_http *h, const grant *g, size_t n)
{
    pthread_mutex_lock(&h->mu);
    size_t k = 0;
    for (size_t i = 0; i < h->nheld; i++)
        if (h->held[i] < g || h->held[i] >= g + n)
            h->held[k++] = h->held[i];
    h->nheld = k;
    h->version++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void ps__perm_set(ps_http *h, const uint8_t *p, size_t n, const hstatus *st)
{
    pthread_mutex_lock(&h->mu);
    entry *e = NULL;
    for (size_t i = 0; i < h->nst && !e; i++)
        if (h->st[i].n == n && (!n || !memcmp(h->st[i].p, p, n)))
            e = &h->st[i];
    /* the oldest go, until the table is within its count and its bytes
     * (o.status_bytes: a prefix may be as long as a URL) */
    size_t drop = 0, cost = n + sizeof *e;
    while (!e && drop < h->nst &&
           (h->nst - drop >= MAX_STATUSES || h->st_bytes + cost > h->o.status_bytes)) {
        h->st_bytes -= h->st[drop].n + sizeof *e;
        free(h->st[drop++].p);
    }
    if (drop) {
        memmove(h->st, h->st + drop, (h->nst - drop) * sizeof *h->st);
        h->nst -= drop;
    }
    if (!e && cost > h->o.status_bytes) /* larger than the whole table: not kept */
        goto out;
    if (!e && h->nst == h->capst) {
        size_t cap = h->capst ? h->capst * 2 : 16;
        entry *v = realloc(h->st, cap * sizeof *v);
        if (v) {
            h->st = v;
            h->capst = cap;
        }
    }
    if (!e && h->nst < h->capst) {
        uint8_t *copy = ps_malloc(n ? n : 1);
        if (copy) {
            if (n)
                memcpy(copy, p, n);
            e = &h->st[h->nst++];
            e->p = copy;
            e->n = n;
            h->st_bytes += cost;
        }
    }
    if (e)
        e->st = *st;
out:
    h->version++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void ps__perm_get(ps_http *h, const uint8_t *p, size_t n, hstatus *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->nheld; i++) {
        const grant *o = h->held[i];
        if (overlap(p, n, o->p, o->n)) {
            if (o->write) {
                st->kind = ST_FORBIDDEN_TMP;
                break;
            }
            st->kind = ST_READONLY_TMP;
        }
    }
    for (size_t i = 0; i < h->nst && st->kind == ST_CLEAR; i++)
        if (h->st[i].n == n && (!n || !memcmp(h->st[i].p, p, n)))
            *st = h->st[i].st;
    if (st->kind == ST_CLEAR && h->stopping)
        st->kind = ST_SHUTDOWN;
    pthread_mutex_unlock(&h->mu);
}

uint64_t ps__perm_version(ps_http *h)
{
    pthread_mutex_lock(&h->mu);
    uint64_t v = h->version;
    pthread_mutex_unlock(&h->mu);
    return v;
}

uint64_t ps__perm_wait(ps_http *h, uint64_t v, unsigned ms)
{
    struct timespec until;
    ps__deadline_ms(&until, CLOCK_REALTIME, ms);
    pthread_mutex_lock(&h->mu);
    while (h->version == v && !h->stopping)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT)
            break;
    v = h->version;
    pthread_mutex_unlock(&h->mu);
    return v;
}

void ps__perm_free(ps_http *h)
{
    for (size_t i = 0; i < h->nst; i++)
        free(h->st[i].p);
    free(h->st);
    free(h->held);
}

int ps__perm_temporary(const hstatus *st)
{
    return st->kind == ST_READONLY_TMP || st->kind == ST_FORBIDDEN_TMP;
}

static void put_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

int ps__perm_json(const hstatus *st, ps_buf *out)
{
    static const char *names[] = { "pathClear",
                                   "pathReadOnlyTemporary",
                                   "pathForbiddenTemporary",
                                   "countResult",
                                   "fetchError",
                                   "parseError",
                                   "execError",
                                   "serverShutdown" };
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return PS_E_NOMEM;
    yajl_gen_map_open(g);
    put_str(g, "status");
    put_str(g, names[st->kind]);
    if (st->kind == ST_COUNT) {
        put_str(g, "count");
        yajl_gen_integer(g, (long long)st->count);
    }
    if (st->kind >= ST_FETCH_ERROR && st->kind <= ST_EXEC_ERROR) {
        put_str(g, "logMessage");
        put_str(g, st->msg);
    }
    if (st->kind == ST_EXEC_ERROR) { /* the form the spec gives an exec thread's */
        put_str(g, "message");
        put_str(g, st->msg);
    }
    if (st->kind == ST_FETCH_ERROR) {
        put_str(g, "statusCode");
        yajl_gen_integer(g, st->code);
    }
    yajl_gen_map_close(g);
    return ps__json_take(g, out);
}

int ps__json_take(void *gen, ps_buf *out)
{
    yajl_gen g = gen;
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    int rc = ps_buf_append(out, buf, len);
    yajl_gen_free(g);
    return rc;
}
