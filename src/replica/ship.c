/* ship.c - the primary's thread: the log and the checkpoints to a bucket,
 * then a new manifest, every interval (docs/replication.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "replica.h"

#define STATE_FILE "REPLICA"      /* DIR/REPLICA: "epoch N\n", this primary's */
#define PIECES_PER_ROUND 64

/* ---- the epoch this directory last wrote the bucket under */

static uint64_t state_read(ps_served *sv)
{
    char buf[64] = { 0 };
    int fd = openat(ps__served_dirfd(sv), STATE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    uint64_t e = 0;
    return n > 0 && sscanf(buf, "epoch %" SCNu64, &e) == 1 ? e : 0;
}

static int state_write(ps_served *sv, uint64_t epoch, ps_diag *d)
{
    int dir = ps__served_dirfd(sv);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "epoch %" PRIu64 "\n", epoch);
    int fd = openat(dir, STATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0644);
    int bad = fd < 0 || write(fd, buf, (size_t)n) != n || fdatasync(fd);
    if (fd >= 0)
        close(fd);
    if (bad || renameat(dir, STATE_FILE ".tmp", dir, STATE_FILE) || fsync(dir))
        return ps__io_err(d, PS_E_IO, "cannot write DIR/" STATE_FILE);
    return PS_OK;
}

/* ---- checkpoints */

static int put_ckpt(ps_replica *r, const ps_ckpt_info *ci, ps_diag *d)
{
    ps_store *st = ps_pspace_store(ps_served_pspace(r->sv));
    ps_blob *blob;
    int rc = ps_store_map(st, &ci->oid, 0, &blob, d);
    if (rc)
        return rc;
    char key[128];
    ps__ckpt_key(&ci->oid, key);
    ps_bytes b = ps_blob_bytes(blob);
    rc = ps__s3_put_big(r->b, key, b, r->o.part_max, d);
    if (!rc) {
        man_ckpt c = { ci->seq, ci->log_pos, ci->atoms, b.len, ci->oid };
        r->st.bytes += b.len;
        rc = ps__man_add_ckpt(&r->m, &c);
    }
    ps_blob_free(blob);
    return rc;
}

/* The newest good checkpoint of the space (PS_E_NOTFOUND: none). */
static int newest_ckpt(ps_replica *r, ps_ckpt_info *out, ps_diag *d)
{
    ps_ckpt_info *v = NULL;
    size_t n = 0;
    int rc = ps_ckpt_list(ps_pspace_store(ps_served_pspace(r->sv)), &v, &n, d);
    if (rc)
        return rc;
    rc = PS_E_NOTFOUND;
    for (size_t i = 0; i < n && rc; i++) /* newest first */
        if (v[i].status == PS_OK) {
            *out = v[i];
            rc = PS_OK;
        }
    free(v);
    return rc;
}

/* Ships the newest checkpoint when it is newer than the manifest's and
 * the bucket holds the log up to it. *changed set when it did. */
static int ship_ckpt(ps_replica *r, int *changed, ps_diag *d)
{
    ps_ckpt_info ci;
    int rc = newest_ckpt(r, &ci, d);
    if (rc)
        return rc == PS_E_NOTFOUND ? PS_OK : rc;
    uint64_t have = r->m.nckpt ? r->m.ckpt[r->m.nckpt - 1].seq : 0;
    if (ci.seq <= have || ci.log_pos > r->m.shipped)
        return PS_OK;
    rc = put_ckpt(r, &ci, d);
    *changed |= !rc;
    return rc;
}

/* The log the bucket needs next is gone from the space (removed after a
 * checkpoint, while nothing shipped it): the bucket starts again from the
 * newest checkpoint, which holds everything before it. */
static int rebase(ps_replica *r, ps_diag *d)
{
    ps_ckpt_info ci;
    int rc = newest_ckpt(r, &ci, d);
    if (rc)
        return rc == PS_E_NOTFOUND ? ps__diag_set(d, PS_E_CORRUPT, NULL, 0,
                                                  "the log before seq %" PRIu64 " is gone and "
                                                  "no checkpoint holds it", r->m.shipped + 1)
                                   : rc;
    if (ci.log_pos < r->m.shipped)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "the bucket holds seq %" PRIu64
                            ", past what this space can ship", r->m.shipped);
    r->m.nckpt = 0;
    r->m.npiece = 0;
    r->m.shipped = ci.log_pos;
    return put_ckpt(r, &ci, d);
}

/* ---- pieces */

static int ship_pieces(ps_replica *r, int *changed, ps_diag *d)
{
    for (int i = 0; i < PIECES_PER_ROUND; i++) {
        uint64_t last = 0;
        int rc = ps__served_ship_read(r->sv, r->m.shipped, r->o.piece_max, &r->piece, &last, d);
        if (rc == PS_E_NOTFOUND) {
            rc = rebase(r, d);
            *changed |= !rc;
            if (rc)
                return rc;
            continue;
        }
        if (rc || !last)
            return rc;
        ps_bytes b = ps_buf_bytes(&r->piece);
        man_piece p = { r->epoch, ps_read_le64(b.ptr + 16), last, b.len, (uint64_t)ps__wall_ms() };
        char key[64];
        ps__piece_key(p.epoch, p.first, key);
        if ((rc = ps__s3_put(r->b, key, b, 0, d)) || (rc = ps__man_add_piece(&r->m, &p)))
            return rc;
        r->m.shipped = last;
        r->st.bytes += b.len;
        *changed = 1;
    }
    return PS_OK;
}

/* ---- the manifest */

/* Who made manifest n: WHO_NOBODY, WHO_US (a PUT whose answer was
 * lost), WHO_OTHER (this primary is fenced). */
enum { WHO_NOBODY, WHO_US, WHO_OTHER };

static int who_made(ps_replica *r, uint64_t n, ps_bytes ours, int *who, ps_diag *d)
{
    char key[64];
    ps__man_key(n, key);
    ps_buf got = { 0 };
    int rc = ps__s3_get(r->b, key, MANIFEST_MAX_BYTES, &got, d);
    *who = WHO_NOBODY;
    if (rc == PS_E_NOTFOUND)
        rc = PS_OK;
    else if (!rc)
        *who = ps_buf_len(&got) == ours.len && !memcmp(ps_buf_data(&got), ours.ptr, ours.len)
                   ? WHO_US
                   : WHO_OTHER;
    ps_buf_free(&got);
    return rc;
}

/* A manifest's pieces run in order of first (they meet end to end), and
 * there can be a million: found by bisection. */
static int names_piece(const manifest *m, const man_piece *p)
{
    uint32_t lo = 0, hi = m->npiece;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->piece[mid].first < p->first)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->npiece && m->piece[lo].first == p->first && m->piece[lo].epoch == p->epoch;
}

static int names_ckpt(const manifest *m, const man_ckpt *c)
{
    for (uint32_t i = 0; i < m->nckpt; i++)
        if (!memcmp(&m->ckpt[i].oid, &c->oid, sizeof c->oid))
            return 1;
    return 0;
}

/* What old names and neither next nor the newest manifest does. */
static void delete_dropped(ps_replica *r, const manifest *old, const manifest *next)
{
    ps_diag d = { 0 };
    char key[128];
    for (uint32_t i = 0; i < old->npiece; i++)
        if (!names_piece(next, &old->piece[i]) && !names_piece(&r->m, &old->piece[i])) {
            ps__piece_key(old->piece[i].epoch, old->piece[i].first, key);
            ps__s3_delete(r->b, key, &d); /* a failure leaves an object behind */
        }
    for (uint32_t i = 0; i < old->nckpt; i++)
        if (!names_ckpt(next, &old->ckpt[i]) && !names_ckpt(&r->m, &old->ckpt[i])) {
            ps__ckpt_key(&old->ckpt[i].oid, key);
            ps__s3_delete(r->b, key, &d);
        }
}

/* Manifest n - MANIFEST_KEEP goes, now that n is published, and with it
 * what the manifest after it dropped. An object goes only once no kept
 * manifest names it, so a reader that read any kept manifest (a restore,
 * a replica, a query in place) finds everything it names while it reads. */
static void collect(ps_replica *r, uint64_t n)
{
    if (n <= MANIFEST_KEEP)
        return;
    uint64_t o = n - MANIFEST_KEEP;
    manifest old = { 0 }, next = { 0 };
    ps_diag d = { 0 };
    int rc = PS_OK;
    if (r->swept.number == o) /* read as the next one last time: once is enough */
        old = r->swept, r->swept = (manifest){ 0 };
    else
        rc = ps__bucket_manifest(r->b, o, &old, &d);
    if (!rc && !(rc = ps__bucket_manifest(r->b, o + 1, &next, &d)))
        delete_dropped(r, &old, &next); /* unread: its objects stay behind */
    ps__man_free(&old);
    ps__man_free(&r->swept);
    if (rc)
        ps__man_free(&next);
    r->swept = next; /* whole, or empty */
    char key[64];
    ps__man_key(o, key);
    ps__s3_delete(r->b, key, &d);
}

/* Publishes manifest number + 1: created only if absent, so of two
 * primaries one wins. PS_E_EXISTS: another primary took the bucket. */
static int publish(ps_replica *r, ps_diag *d)
{
    manifest *m = &r->m;
    ps__man_trim(m, r->o.keep);
    manifest w = *m;
    w.number = m->number + 1;
    w.epoch = r->epoch;
    w.time_ms = (uint64_t)ps__wall_ms();
    snprintf(w.primary, sizeof w.primary, "%s", r->primary);
    ps_buf buf = { 0 };
    char key[64];
    ps__man_key(w.number, key);
    int who = WHO_NOBODY, rc = ps__man_encode(&w, &buf);
    /* asked first as well: a store that ignores If-None-Match still
     * fences a primary that is not racing the new one */
    if (!rc)
        rc = who_made(r, w.number, ps_buf_bytes(&buf), &who, d);
    if (!rc && who == WHO_NOBODY)
        rc = ps__s3_put(r->b, key, ps_buf_bytes(&buf), 1, d);
    if (rc == PS_E_EXISTS) /* the store refused: ours after all, or another's */
        rc = who_made(r, w.number, ps_buf_bytes(&buf), &who, d);
    if (!rc && who == WHO_OTHER)
        rc = PS_E_EXISTS;
    if (rc == PS_E_EXISTS)
        ps__diag_set(d, PS_E_EXISTS, NULL, 0, "%s: manifest %" PRIu64 " was written by another "
                     "primary: this one is fenced and ships no more", ps__s3_url(r->b), w.number);
    if (!rc) {
        m->number = w.number;
        m->epoch = w.epoch;
        m->time_ms = w.time_ms;
        char hex[17];
        snprintf(hex, sizeof hex, "%016" PRIx64, w.number);
        ps_diag ignored = { 0 };
        ps__s3_put(r->b, MAN_LATEST, ps_bytes_of((const uint8_t *)hex, 16), 0, &ignored);
        ps__served_ship_hold(r->sv, m->shipped);
        r->st.shipped = m->shipped; /* STATS says so before a waiting commit is acked */
        ps__served_repl_set(r->sv, &r->st);
        pthread_mutex_lock(&r->mu);
        r->published = m->shipped;
        pthread_cond_broadcast(&r->shipped);
        pthread_mutex_unlock(&r->mu);
        collect(r, w.number);
    }
    ps_buf_free(&buf);
    return rc;
}

/* ---- the thread */

static int round_(ps_replica *r, int *dirty, ps_diag *d)
{
    int rc = ship_pieces(r, dirty, d);
    if (!rc)
        rc = ship_ckpt(r, dirty, d);
    if (!rc && *dirty && !(rc = publish(r, d)))
        *dirty = 0;
    return rc;
}

/* What is shipped, and since when nothing was left to ship (STATS takes
 * the lag from these against the space's seq at the time it asks). */
static void lag(ps_replica *r, uint64_t seq_before)
{
    r->st.shipped = r->m.shipped;
    if (r->m.shipped >= seq_before)
        r->st.since_ms = (uint64_t)ps__served_now_ms();
}

static void *ship_main(void *arg)
{
    ps_replica *r = arg;
    uint64_t wait = 0;
    int dirty = r->m.number == 0; /* a new bucket gets its first manifest */
    for (int stopping = 0; !stopping;) {
        stopping = ps__replica_nap(r, wait);
        ps_diag d = { 0 };
        uint64_t seq = ps__served_seq(r->sv);
        int rc = round_(r, &dirty, &d);
        lag(r, seq);
        if (!rc)
            r->st.why[0] = 0;
        if (rc == PS_E_EXISTS) {
            r->st.fenced = 1;
            pthread_mutex_lock(&r->mu);
            r->fenced = 1;
            pthread_cond_broadcast(&r->shipped);
            pthread_mutex_unlock(&r->mu);
            ps__served_ship_hold(r->sv, UINT64_MAX);
            fprintf(stderr, "pathspace: %s\n", d.msg);
        }
        ps__replica_report(r, rc ? &d : NULL);
        if (rc == PS_E_EXISTS)
            break;
        /* a failing bucket is tried again later and later, up to 30 s */
        wait = rc ? (wait < r->o.interval_ms ? r->o.interval_ms : wait * 2) : r->o.interval_ms;
        wait = wait > 30000 ? 30000 : wait;
        pthread_mutex_lock(&r->mu);
        if (r->waiting) /* a client waits on the bucket: try again soon */
            wait = rc ? (wait < 1000 ? wait : 1000) : 0;
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* A synchronous commit's wait: the round starts now, and the commit
 * returns once the bucket holds seq (or the shipper stops). */
static int sync_wait(void *ctx, uint64_t seq)
{
    ps_replica *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->kick = 1;
    r->waiting++;
    pthread_cond_broadcast(&r->cv);
    while (r->published < seq && !r->fenced && !r->stop)
        pthread_cond_wait(&r->shipped, &r->mu);
    r->waiting--;
    int e = r->fenced ? EROFS : 0;
    pthread_mutex_unlock(&r->mu);
    return e;
}

/* The bucket's newest manifest, and whether this directory may write on. */
static int claim(ps_replica *r, ps_diag *d)
{
    uint64_t mine = state_read(r->sv);
    int rc = ps__bucket_latest(r->b, 0, &r->m, d);
    if (rc == PS_E_NOTFOUND) { /* a new bucket */
        memset(d, 0, sizeof *d);
        ps__man_free(&r->m);
        r->epoch = mine + 1;
        return state_write(r->sv, r->epoch, d);
    }
    if (rc)
        return rc;
    uint64_t seq = ps__served_seq(r->sv);
    if (r->m.epoch != mine && !r->o.takeover)
        return ps__diag_set(d, PS_E_EXISTS, NULL, 0, "%s is written by another primary (epoch %"
                            PRIu64 "%s%s); --takeover claims it", ps__s3_url(r->b), r->m.epoch,
                            r->m.primary[0] ? ", at " : "", r->m.primary);
    if (r->m.epoch != mine) { /* a promotion: catch up, then a new epoch */
        if ((rc = ps__bucket_apply(r, &r->m, d)))
            return rc;
        seq = ps__served_seq(r->sv);
        r->epoch = r->m.epoch + 1;
    } else {
        r->epoch = mine;
    }
    /* behind the bucket: this directory lost log the bucket holds (a
     * promoted replica ahead of it: it has changes the bucket never had) */
    if (seq < r->m.shipped || (r->epoch != mine && seq != r->m.shipped))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "this space is at seq %" PRIu64 " and %s at %"
                            PRIu64 ": they have parted; restore from the bucket, or ship to "
                            "another", seq, ps__s3_url(r->b), r->m.shipped);
    return state_write(r->sv, r->epoch, d);
}

int ps_ship_start(ps_served *sv, const char *url, const ps_replica_opts *o, ps_replica **out,
                  ps_diag *d)
{
    ps_replica *r;
    int rc = ps__replica_new(sv, url, o, &r, d);
    if (rc)
        return rc;
    if ((rc = claim(r, d))) {
        ps__replica_free(r);
        return rc;
    }
    r->st.role = SERVED_PRIMARY;
    r->published = r->m.shipped;
    ps__served_ship_hold(sv, r->m.shipped);
    int dirty = r->m.epoch != r->epoch; /* a promotion publishes at once */
    if (dirty && (rc = publish(r, d))) {
        ps__replica_free(r);
        return rc;
    }
    lag(r, r->m.shipped);
    if ((rc = ps__replica_run(r, ship_main, d)))
        return rc;
    if (r->o.sync)
        ps__served_set_sync(sv, sync_wait, r);
    *out = r;
    return PS_OK;
}
