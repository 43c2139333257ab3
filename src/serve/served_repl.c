/* served_repl.c - what replication needs of the served space: the log read
 * out for shipping, a primary's pieces applied, the status for STATS, and
 * a replica's refusal of writes (docs/replication.md). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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
    if (map && id >= ps_shardmap_count(map))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "the shard map has %u shards, not %u",
                            ps_shardmap_count(map), id + 1);
    sv->map = map;
    sv->shard = id;
    return PS_OK;
}

int ps__served_owns(const ps_served *sv, ps_bytes key, ps_diag *d)
{
    if (!sv->map || ps_shardmap_holds(sv->map, sv->shard, key))
        return PS_OK;
    return ps__diag_set(d, PS_E_MOVED, NULL, 0, "an atom of shard %u, not of this shard %u "
                        "(shard map version %" PRIu64 "): route by the newer map",
                        ps_shardmap_route(sv->map, key), sv->shard, ps_shardmap_version(sv->map));
}
