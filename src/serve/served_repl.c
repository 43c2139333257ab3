/* served_repl.c - what replication needs of the served space: the log read
 * out for shipping, a primary's pieces applied, the status for STATS, and
 * a replica's refusal of writes (docs/replication.md). */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "served_priv.h"
#include "store/pspace.h"

void ps__served_repl_set(ps_served *sv, const served_repl *r)
{
    pthread_mutex_lock(&sv->mu);
    sv->repl = *r;
    pthread_mutex_unlock(&sv->mu);
}

void ps__served_repl_get(ps_served *sv, served_repl *r)
{
    pthread_mutex_lock(&sv->mu);
    *r = sv->repl;
    pthread_mutex_unlock(&sv->mu);
    if (r->role != SERVED_PRIMARY || r->fenced)
        return;
    uint64_t seq = ps__served_seq(sv), now = (uint64_t)ps__served_now_ms();
    r->lag_seq = seq > r->shipped ? seq - r->shipped : 0;
    r->lag_ms = r->lag_seq && now > r->since_ms ? now - r->since_ms : 0;
}

void ps__served_set_readonly(ps_served *sv, const char *why)
{
    snprintf(sv->readonly, sizeof sv->readonly, "%s", why ? why : "");
}

const char *ps__served_readonly(const ps_served *sv)
{
    return sv->readonly[0] ? sv->readonly : NULL;
}

int ps__served_ship_read(ps_served *sv, uint64_t after, size_t max, ps_buf *out,
                         uint64_t *last, ps_diag *d)
{
    return ps__pspace_ship_read(sv->p, after, max, out, last, d);
}

void ps__served_ship_hold(ps_served *sv, uint64_t seq)
{
    ps__pspace_ship_hold(sv->p, seq);
}

uint64_t ps__served_seq(ps_served *sv)
{
    return atomic_load(&sv->seq); /* no lock: STATS asks from under the write lock */
}

int ps__served_follow(ps_served *sv, ps_bytes piece, uint64_t *upto, ps_diag *d)
{
    ps__served_lock(sv, 1);
    int rc = ps__pspace_follow(sv->p, piece, upto, d);
    /* the whole changes before a fault are the primary's: they go in (a
     * record logged and not applied broke the log: commit says so) */
    ps_diag cd = { 0 };
    int crc = ps__served_commit(sv, &cd);
    *upto = ps_pspace_seq(sv->p);
    ps__served_unlock(sv);
    if (crc && d)
        *d = cd;
    return crc ? crc : rc;
}

void ps__served_set_sync(ps_served *sv, served_sync_fn wait, void *ctx)
{
    sv->sync = wait;
    sv->sync_ctx = ctx;
}

int ps_served_set_shard(ps_served *sv, const ps_shardmap *map, uint32_t id, ps_diag *d)
{
    if (map && id != UINT32_MAX && id >= ps_shardmap_count(map))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "the shard map has %u shards, not %u",
                            ps_shardmap_count(map), id + 1);
    ps__served_lock(sv, 1); /* every check of a change runs under it */
    sv->map = map;
    sv->shard = id;
    ps__served_unlock(sv);
    return PS_OK;
}

uint64_t ps__served_shard_version_locked(const ps_served *sv)
{
    return sv->map ? ps_shardmap_version(sv->map) : 0;
}

uint64_t ps_served_shard_version(ps_served *sv)
{
    ps__served_lock(sv, 0);
    uint64_t v = sv->map ? ps_shardmap_version(sv->map) : 0;
    ps__served_unlock(sv);
    return v;
}

int ps__served_owns(const ps_served *sv, ps_bytes key, ps_diag *d)
{
    if (!sv->map || sv->shard == UINT32_MAX) /* no map, or a standby */
        return PS_OK;
    if (!ps_shardmap_holds(sv->map, sv->shard, key))
        return ps__diag_set(d, PS_E_MOVED, NULL, 0, "an atom of shard %u, not of this shard %u "
                            "(shard map version %" PRIu64 "): route by the newer map",
                            ps_shardmap_route(sv->map, key), sv->shard,
                            ps_shardmap_version(sv->map));
    if (ps_shardmap_frozen(sv->map, sv->shard, key))
        return ps__diag_set(d, PS_E_LOCKED, NULL, 0, "this part of shard %u is being moved to "
                            "another shard (shard map version %" PRIu64 "): try again soon",
                            sv->shard, ps_shardmap_version(sv->map));
    return PS_OK;
}

/* A batch of keys outside the shard's range: up to cap of them, each as
 * u32 length and bytes, into keys. */
typedef struct batch {
    ps_buf *keys;
    size_t cap, n;
} batch;

static int take(batch *b, ps_bytes a)
{
    uint32_t len = (uint32_t)a.len;
    int rc = ps_buf_append(b->keys, &len, 4);
    if (!rc)
        rc = ps_buf_append(b->keys, a.ptr, a.len);
    b->n += !rc;
    return rc;
}

/* Every key under prefix p, while the batch has room. */
static int take_prefix(const ps_space *sp, ps_bytes p, batch *b)
{
    ps_iter *it;
    ps_bytes a;
    int rc = ps_iter_new(sp, p, &it);
    while (!rc && b->n < b->cap && !(rc = ps_iter_next(it, &a, NULL, NULL)))
        rc = take(b, a);
    if (it)
        ps_iter_free(it);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}

/* The keys below lo (below = 1) or from hi on (below = 0), walked as the
 * prefixes that branch off the bound, so that no key inside the range is
 * ever visited: a purge costs what it removes, not the shard's size.
 * Below lo: each proper prefix of lo that is a key, and every key under
 * lo[0, i) + c for c < lo[i]. From hi: every key under hi itself, and
 * under hi[0, i) + c for c > hi[i]. */
static int take_side(const ps_space *sp, ps_bytes k, int below, batch *b)
{
    uint8_t *p = ps_malloc(k.len + 1);
    if (!p)
        return PS_E_NOMEM;
    memcpy(p, k.ptr, k.len);
    int rc = below ? PS_OK : take_prefix(sp, k, b);
    for (size_t i = 0; !rc && i < k.len && b->n < b->cap; i++) {
        if (below && ps_space_contains(sp, ps_bytes_of(p, i)))
            rc = take(b, ps_bytes_of(p, i));
        unsigned from = below ? 0 : k.ptr[i] + 1u, to = below ? k.ptr[i] : 256u;
        for (unsigned c = from; !rc && c < to && b->n < b->cap; c++) {
            p[i] = (uint8_t)c;
            rc = take_prefix(sp, ps_bytes_of(p, i + 1), b);
        }
        p[i] = k.ptr[i];
    }
    free(p);
    return rc;
}

/* Up to `cap` keys outside the shard's range into keys. */
static int foreign(ps_served *sv, ps_buf *keys, size_t cap, size_t *n)
{
    ps_shard_info si;
    ps_shardmap_shard(sv->map, sv->shard, &si);
    const ps_space *sp = ps_pspace_space(sv->p);
    batch b = { keys, cap, 0 };
    int rc = si.bounded_lo ? take_side(sp, si.lo, 1, &b) : PS_OK;
    if (!rc && si.bounded_hi)
        rc = take_side(sp, si.hi, 0, &b);
    *n = b.n;
    return rc;
}

int ps_served_shard_purge(ps_served *sv, uint64_t *removed, ps_diag *d)
{
    *removed = 0;
    ps_buf keys = { 0 };
    int rc = PS_OK;
    for (size_t n = 1; !rc && n;) {
        ps_buf_clear(&keys, 0);
        ps__served_lock(sv, 1); /* a batch at a time: clients go on between */
        if (!sv->map || sv->shard == UINT32_MAX) {
            ps__served_unlock(sv);
            break;
        }
        rc = foreign(sv, &keys, SERVED_BATCH, &n);
        const uint8_t *p = ps_buf_data(&keys);
        for (size_t k = 0; !rc && k < n; k++) {
            uint32_t len;
            memcpy(&len, p, 4);
            int ch;
            rc = ps__served_stage(sv, SERVED_REMOVE, ps_bytes_of(p + 4, len), &ch);
            *removed += (uint64_t)ch;
            p += 4 + len;
        }
        int crc = ps__served_commit(sv, d);
        rc = crc ? crc : rc;
        ps__served_unlock(sv);
    }
    ps_buf_free(&keys);
    return rc ? (d && !d->code ? ps__diag_set(d, rc, NULL, 0, "cannot purge") : rc) : PS_OK;
}

int ps__served_shard_json(ps_served *sv, ps_buf *out)
{
    ps__served_lock(sv, 0);
    int rc = PS_E_NOTFOUND;
    if (sv->map) {
        ps_bytes j = ps_shardmap_json(sv->map);
        rc = ps_buf_append(out, j.ptr, j.len);
    }
    ps__served_unlock(sv);
    return rc;
}

int ps__served_reset(ps_served *sv, ps_space *sp, uint64_t log_pos, ps_diag *d)
{
    ps__served_lock(sv, 1);
    int rc = ps__pspace_reset(sv->p, sp, log_pos, d);
    if (!rc)
        atomic_store(&sv->seq, ps_pspace_seq(sv->p));
    ps__served_unlock(sv);
    return rc;
}
