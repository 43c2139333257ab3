/* shard_move.c - pathspace shard move MAP K --to ADDR: a shard split while
 * it serves (docs/replication.md, "Online splits"). The map file is the
 * one place every server and router reads, so each step is a new version
 * of it, written whole and renamed into place:
 *
 *   v+1  shard K's upper half is frozen: its writes wait (PS_E_LOCKED, and
 *        routers retry), its reads go on at K, which still holds it all;
 *        once K says it enforces v+1, nothing in the half changes;
 *   copy the half goes from K to the new server (a standby: no map names
 *        it, so it takes the atoms);
 *   v+2  the half is the new shard's: writes go there, K refuses them
 *        (PS_E_MOVED) and, a little later, removes its copy.
 *
 * Writes to the moving half wait from v+1 to v+2: for the copy, which is
 * bounded by the half's size. Nothing else waits. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define WAIT_MS 20000 /* for a server to put a new version in force */

/* A new version of the map: into a bucket (created once), or a file
 * (written whole and renamed into place, so no reader sees half). */
static int put_map(const char *where, const char *text, size_t len)
{
    ps_shardmap *m;
    ps_diag d = { 0 };
    if (ps_shardmap_parse(text, len, &m, &d)) /* it must read back whole */
        return die("shard move: the map written does not read: %s", d.msg);
    int rc = 0;
    if (!strncmp(where, "s3://", 5)) {
        if (ps_shardmap_publish(where, m, &d))
            rc = die("shard move: %s: %s", where, d.msg);
    } else {
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", where);
        FILE *f = fopen(tmp, "w");
        if (!f || fwrite(text, 1, len, f) != len || fclose(f) || rename(tmp, where))
            rc = die("shard move: cannot replace %s", where);
    }
    ps_shardmap_free(m);
    return rc;
}

/* Writes the map, as version `version`, with shard k split at mid: its
 * upper half frozen (v+1), or moved to `to` (v+2). */
static int write_version(const char *file, const ps_shardmap *m, uint64_t version, uint32_t k,
                         ps_bytes mid, int moved, const char *to, const char *to_http)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return die("out of memory");
    uint32_t n = ps_shardmap_count(m), id = 0;
    map_begin(f, version);
    for (uint32_t i = 0; i < n; i++) {
        ps_shard_info s;
        ps_shardmap_shard(m, i, &s);
        map_shard e = { .id = id++, .lo = s.lo, .hi = s.hi, .has_lo = s.bounded_lo,
                        .has_hi = s.bounded_hi, .binary = s.binary, .http = s.http,
                        .bucket = s.bucket };
        if (i == k && !moved) { /* the whole range still K's, [mid, hi) frozen */
            e.frozen = 1;
            e.flo = mid;
            e.fhi = s.hi;
            e.has_fhi = s.bounded_hi;
        } else if (i == k) { /* [lo, mid) stays, [mid, hi) is the new shard's */
            e.hi = mid;
            e.has_hi = 1;
            e.bucket = NULL; /* it holds the whole old range: no longer K's alone */
            map_entry(f, &e, 0);
            e = (map_shard){ .id = id++, .lo = mid, .hi = s.hi, .has_lo = 1,
                             .has_hi = s.bounded_hi, .binary = to, .http = to_http };
        }
        map_entry(f, &e, i + 1 == n);
    }
    map_end(f);
    int rc = fclose(f) ? die("out of memory") : put_map(file, text, len);
    free(text);
    return rc;
}

static int write_map(const char *file, const ps_shardmap *m, uint32_t k, ps_bytes mid,
                     int moved, const char *to, const char *to_http)
{
    return write_version(file, m, ps_shardmap_version(m) + 1 + (uint64_t)moved, k, mid, moved,
                         to, to_http);
}

static ps_client *connect_to(const char *addr)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return die("shard move: '%s' is not HOST:PORT", addr), NULL;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    ps_client_opts o;
    ps_client_opts_init(&o);
    const char *env = getenv("PATHSPACE_TOKEN");
    o.token = env && *env ? env : NULL;
    ps_client *c;
    ps_diag d = { 0 };
    if (ps_client_connect(host, (uint16_t)atoi(colon + 1), &o, &c, &d))
        return die("shard move: %s: %s", addr, d.msg), NULL;
    return c;
}

/* Until the server enforces version v (or WAIT_MS pass). */
static int await_version(ps_client *c, const char *addr, uint64_t v)
{
    for (int waited = 0; waited < WAIT_MS; waited += 20) {
        ps_server_stats st;
        ps_diag d = { 0 };
        if (ps_client_stats(c, &st, &d))
            return die("shard move: %s: %s", addr, d.msg);
        if (st.shard_version >= v)
            return 0;
        struct timespec ts = { 0, 20000000L };
        nanosleep(&ts, NULL);
    }
    return die("shard move: %s did not take map version %" PRIu64 " within %d s (is it "
               "serving --shard-map with this file?)", addr, v, WAIT_MS / 1000);
}

/* Shard k's atoms, into sp (a snapshot of the server's space). */
static int fetch_all(ps_client *c, ps_space *sp)
{
    ps_buf b = { 0 };
    ps_diag d = { 0 };
    int rc = ps_client_export(c, PS_EXPORT_SNAP, ps_bytes_of(NULL, 0), ps_sink_buf(&b), NULL, &d);
    if (!rc)
        rc = ps_space_load(sp, ps_buf_data(&b), ps_buf_len(&b), PS_FORMAT_SNAP, &d);
    ps_buf_free(&b);
    return rc ? die("shard move: export: %s", d.msg) : 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key halfway through sp (its atoms sorted), copied into mid. */
static int middle(const ps_space *sp, ps_buf *mid)
{
    uint64_t n = ps_space_count(sp), i = 0;
    ps_iter *it;
    ps_bytes a;
    if (n < 2 || ps_iter_new(sp, ps_bytes_of(NULL, 0), &it))
        return die("shard move: the shard holds %" PRIu64 " atoms: nothing to split", n);
    int rc = 1;
    while (!ps_iter_next(it, &a, NULL, NULL))
        if (i++ == n / 2) {
            rc = ps_buf_append(mid, a.ptr, a.len) ? die("out of memory") : 0;
            break;
        }
    ps_iter_free(it);
    return rc;
}

/* Every atom of sp from mid on (sp holds shard K alone), to the new server. */
static int copy_half(const ps_space *sp, ps_bytes mid, ps_client *to, uint64_t *moved)
{
    ps_change ch;
    ps_diag d = { 0 };
    int rc = batch_all(to, sp, mid, 1, moved, &ch, &d);
    return rc ? die("shard move: copy: %s", d.msg[0] ? d.msg : ps_strerror(rc)) : 0;
}

int shard_move(const char *file, uint32_t k, const char *to, const char *to_http)
{
    ps_shardmap *m = NULL;
    ps_diag d = { 0 };
    if (ps_shardmap_fetch(file, &m, &d))
        return die("shard move: %s: %s", file, d.msg), 2;
    ps_shard_info s;
    ps_space *sp = NULL;
    ps_client *from = NULL, *dst = NULL;
    ps_buf mid = { 0 };
    uint64_t v = ps_shardmap_version(m), moved = 0;
    int rc = ps_shardmap_shard(m, k, &s) ? die("shard move: the map has no shard %u", k) : 0;
    if (!rc && ps_shardmap_find(m, to) != UINT32_MAX)
        rc = die("shard move: the map already names %s", to);
    if (!rc)
        rc = !(from = connect_to(s.binary)) || !(dst = connect_to(to)) || ps_space_new(&sp);
    if (!rc)
        rc = fetch_all(from, sp) || middle(sp, &mid);
    int64_t t0 = now_ms(), t1 = 0;
    if (!rc) /* v+1: the half freezes; once K enforces it, it no longer changes */
        rc = write_map(file, m, k, ps_buf_bytes(&mid), 0, to, to_http) ||
             await_version(from, s.binary, v + 1);
    if (!rc) {
        ps_space_free(sp);
        sp = NULL;
        rc = ps_space_new(&sp) || fetch_all(from, sp) ||
             copy_half(sp, ps_buf_bytes(&mid), dst, &moved);
    }
    if (!rc) /* v+2: the half is the new shard's */
        rc = write_map(file, m, k, ps_buf_bytes(&mid), 1, to, to_http) ||
             await_version(from, s.binary, v + 2) || await_version(dst, to, v + 2);
    if (!rc) {
        t1 = now_ms();
        printf("moved %" PRIu64 " atoms of shard %u to %s as shard %u; writes to them waited "
               "%" PRId64 " ms; map version %" PRIu64 "\n", moved, k, to, k + 1, t1 - t0, v + 2);
    }
    ps_client_close(from);
    ps_client_close(dst);
    ps_space_free(sp);
    ps_buf_free(&mid);
    ps_shardmap_free(m);
    return rc ? 1 : 0;
}
