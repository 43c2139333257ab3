/* bucket.c - what both roles do with a bucket: find its newest manifest,
 * apply its pieces, and the thread's life (replica.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "replica.h"

int64_t ps__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ps_replica_opts_init(ps_replica_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->interval_ms = 1000;
    o->piece_max = 16u << 20;
    o->part_max = 64u << 20;
    o->keep = 2;
    o->attempts = 6;
}

/* Manifest n: PS_OK, PS_E_NOTFOUND, or why not. */
static int get_manifest(s3 *b, uint64_t n, manifest *m, ps_diag *d)
{
    char key[64];
    ps__man_key(n, key);
    ps_buf buf = { 0 };
    int rc = ps__s3_get(b, key, MANIFEST_MAX_BYTES, &buf, d);
    if (!rc)
        rc = ps__man_decode(ps_buf_bytes(&buf), m, d);
    if (!rc && m->number != n)
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "%s/%s says it is manifest %" PRIu64,
                          ps__s3_url(b), key, m->number);
    ps_buf_free(&buf);
    return rc;
}

uint64_t ps__bucket_hint(s3 *b, const char *key, int *absent)
{
    ps_buf buf = { 0 };
    ps_diag d = { 0 };
    uint64_t n = 0;
    int rc = ps__s3_get(b, key, 64, &buf, &d);
    *absent = rc == PS_E_NOTFOUND;
    if (!rc && ps_buf_len(&buf) == 16) {
        for (size_t i = 0; i < 16; i++) {
            int c = ps_buf_data(&buf)[i];
            int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (x < 0) {
                n = 0;
                break;
            }
            n = n << 4 | (uint64_t)x;
        }
    }
    ps_buf_free(&buf);
    return n;
}

/* Some stores (s3rver) let a reader see an object while it is replaced, a
 * part of it: what does not read whole is read again, a few times. */
#define REREADS 5
#define REREAD_MS 50

static void pause_ms(unsigned ms)
{
    struct timespec ts = { 0, (long)ms * 1000000L };
    nanosleep(&ts, NULL);
}

static uint64_t hint(s3 *b)
{
    uint64_t n = 0;
    int absent = 0;
    for (int i = 0; i < REREADS && !(n = ps__bucket_hint(b, MAN_LATEST, &absent)) && !absent;
         i++)
        pause_ms(REREAD_MS);
    return n;
}

int ps__bucket_manifest(s3 *b, uint64_t n, manifest *m, ps_diag *d)
{
    int rc = get_manifest(b, n, m, d);
    for (int i = 0; i < REREADS && (rc == PS_E_CORRUPT || rc == PS_E_CHECKSUM); i++) {
        pause_ms(REREAD_MS);
        rc = get_manifest(b, n, m, d);
    }
    return rc;
}

/* How far past a collected manifest a reader looks, in strides of
 * MANIFEST_KEEP: a hint this stale is refreshed long before. */
#define STRIDES 16

int ps__bucket_latest(s3 *b, uint64_t from, manifest *m, ps_diag *d)
{
    uint64_t n = from ? from : hint(b);
    int known = n != 0; /* else the bucket may hold none: no strides */
    n = n ? n : 1;
    manifest got = { 0 };
    int rc = ps__bucket_manifest(b, n, &got, d);
    /* n was collected (a stale hint, or a reader left behind): the kept
     * manifests are consecutive, so strides of their count land in them */
    for (int i = 0; rc == PS_E_NOTFOUND && known && i < STRIDES; i++)
        rc = ps__bucket_manifest(b, n += MANIFEST_KEEP, &got, d);
    if (rc == PS_E_NOTFOUND && n > 1 && !from) /* a hint past them all: start over */
        rc = ps__bucket_manifest(b, n = 1, &got, d);
    if (rc)
        return rc;
    for (;;) { /* newer ones than the hint knew of */
        manifest next = { 0 };
        int r = ps__bucket_manifest(b, n + 1, &next, d);
        if (r == PS_E_NOTFOUND)
            break;
        if (r) {
            ps__man_free(&got);
            return r;
        }
        ps__man_free(&got);
        got = next;
        n++;
    }
    ps__man_free(m);
    *m = got;
    return PS_OK;
}

/* Fetches one piece (at most the size the manifest says) into r->piece. */
static int get_piece(ps_replica *r, const man_piece *p, ps_diag *d)
{
    char key[64];
    ps__piece_key(p->epoch, p->first, key);
    ps_buf_clear(&r->piece, 0);
    int rc = ps__s3_get(r->b, key, p->size, &r->piece, d);
    if (!rc && ps_buf_len(&r->piece) != p->size)
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "%s/%s: %zu bytes, the manifest says %" PRIu64,
                          ps__s3_url(r->b), key, ps_buf_len(&r->piece), p->size);
    r->st.bytes += ps_buf_len(&r->piece);
    return rc;
}

/* The space of checkpoint c, decoded from the bucket: its checksums
 * checked before anything is used. */
static int ckpt_space(ps_replica *r, const man_ckpt *c, ps_space **out, ps_diag *d)
{
    char key[128];
    ps__ckpt_key(&c->oid, key);
    ps_buf buf = { 0 };
    ps_ckpt_info ci;
    ps_bytes payload;
    ps_snap *sn = NULL;
    *out = NULL;
    int rc = ps__s3_get(r->b, key, c->size, &buf, d);
    if (!rc)
        rc = ps_ckpt_check(ps_buf_data(&buf), ps_buf_len(&buf), &ci, &payload, d);
    if (!rc && ci.log_pos != c->log_pos)
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "%s holds log position %" PRIu64
                          ", its manifest says %" PRIu64, key, ci.log_pos, c->log_pos);
    if (!rc)
        rc = ps_space_new(out) ? ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory") : PS_OK;
    if (!rc)
        rc = ps_snap_open_mem(payload.ptr, payload.len, &sn, d);
    if (!rc)
        rc = ps_space_read_snap(*out, sn, 0, d);
    ps_snap_close(sn);
    ps_buf_free(&buf);
    r->st.bytes += c->size;
    if (rc) {
        ps_space_free(*out);
        *out = NULL;
    }
    return rc;
}

/* The space is older than the oldest log the bucket keeps (a replica
 * stopped, or started, just before a checkpoint let the log before it
 * go): it starts again from the newest checkpoint. */
static int resync(ps_replica *r, const manifest *m, uint64_t at, ps_diag *d)
{
    const man_ckpt *c = m->nckpt ? &m->ckpt[m->nckpt - 1] : NULL;
    if (!c || c->log_pos < at)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0,
                            "this space is at seq %" PRIu64 " and the bucket's log starts at %"
                            PRIu64 " with no checkpoint to start again from", at,
                            m->npiece ? m->piece[0].first : 0);
    ps_space *sp;
    int rc = ckpt_space(r, c, &sp, d);
    if (!rc && (rc = ps__served_reset(r->sv, sp, c->log_pos, d)))
        ps_space_free(sp);
    if (!rc)
        fprintf(stderr, "pathspace: replication: this space was at seq %" PRIu64 ", behind the "
                        "log the bucket keeps: started again from its checkpoint at seq %" PRIu64
                        "\n", at, c->log_pos);
    return rc;
}

int ps__bucket_apply(ps_replica *r, const manifest *m, ps_diag *d)
{
    uint64_t at = ps__served_seq(r->sv);
    /* the log the bucket keeps starts after the space's seq (or it keeps
     * none, and its checkpoint is ahead) */
    if (m->npiece ? m->piece[0].first > at + 1 : m->shipped > at) {
        int rc = resync(r, m, at, d);
        if (rc)
            return rc;
        at = ps__served_seq(r->sv);
    }
    for (uint32_t i = 0; i < m->npiece; i++) {
        const man_piece *p = &m->piece[i];
        if (p->last <= at)
            continue;
        if (p->first > at + 1)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "a gap in the bucket's log at %" PRIu64,
                                at + 1);
        int rc = get_piece(r, p, d);
        if (!rc)
            rc = ps__served_follow(r->sv, ps_buf_bytes(&r->piece), &at, d);
        if (!rc && at != p->last)
            rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "a piece said it ends at seq %" PRIu64
                              " and held changes up to %" PRIu64, p->last, at);
        if (rc)
            return rc;
        if (ps__served_stopping(r->sv))
            break;
    }
    return PS_OK;
}

int ps__replica_nap(ps_replica *r, uint64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L)
        t.tv_sec++, t.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&r->mu);
    while (!r->stop && !r->kick && pthread_cond_timedwait(&r->cv, &r->mu, &t) != ETIMEDOUT)
        ;
    r->kick = 0;
    int s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

int ps__replica_new(ps_served *sv, const char *url, const ps_replica_opts *o, ps_replica **out,
                    ps_diag *d)
{
    *out = NULL;
    ps_replica *r = ps_calloc(1, sizeof *r);
    if (!r)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    ps_replica_opts_init(&r->o);
    if (o)
        memcpy(&r->o, o, o->size && o->size < sizeof r->o ? o->size : sizeof r->o);
    r->o.size = sizeof r->o;
    r->o.interval_ms = r->o.interval_ms ? r->o.interval_ms : 1;
    r->o.piece_max = r->o.piece_max ? r->o.piece_max : 1;
    r->o.part_max = r->o.part_max ? r->o.part_max : 64u << 20;
    snprintf(r->primary, sizeof r->primary, "%s", r->o.primary ? r->o.primary : "");
    r->o.primary = NULL;
    r->sv = sv;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pthread_cond_init(&r->shipped, NULL);
    int rc = ps__s3_open(url, &r->b, d);
    if (rc) {
        ps__replica_free(r);
        return rc;
    }
    ps__s3_retries(r->b, r->o.attempts, 100);
    *out = r;
    return PS_OK;
}

void ps__replica_free(ps_replica *r)
{
    if (!r)
        return;
    ps__s3_close(r->b);
    ps__man_free(&r->m);
    ps__man_free(&r->swept);
    ps_buf_free(&r->piece);
    pthread_cond_destroy(&r->cv);
    pthread_cond_destroy(&r->shipped);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int ps__replica_run(ps_replica *r, void *(*fn)(void *), ps_diag *d)
{
    ps__replica_report(r, NULL);
    if (pthread_create(&r->th, NULL, fn, r)) {
        ps__replica_free(r);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot start the replication thread");
    }
    r->running = 1;
    return PS_OK;
}

void ps__replica_report(ps_replica *r, const ps_diag *d)
{
    if (d && d->code) {
        r->st.failures++;
        if (strcmp(r->st.why, d->msg)) /* the operator hears of each new failure once */
            fprintf(stderr, "pathspace: replication: %s\n", d->msg);
        snprintf(r->st.why, sizeof r->st.why, "%s", d->msg);
    }
    ps__served_repl_set(r->sv, &r->st);
}

void ps_replica_stop(ps_replica *r)
{
    if (!r)
        return;
    ps__served_set_sync(r->sv, NULL, NULL); /* its front ends have stopped */
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_cond_broadcast(&r->shipped);
    pthread_mutex_unlock(&r->mu);
    if (r->running)
        pthread_join(r->th, NULL);
    ps__replica_free(r);
}
