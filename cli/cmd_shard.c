/* cmd_shard.c - pathspace shard split SNAP N OUTDIR: a space in N key
 * ranges of about equal size, cut where the snapshot's chunk index says,
 * and the shard map that routes keys and patterns to them
 * (docs/replication.md, "Shards"). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace shard split SNAP N OUTDIR [--http HOST:PORT] [--binary HOST:PORT]\n"
    "                             [--bucket s3://BUCKET/PREFIX]\n"
    "       pathspace shard move MAP K --to HOST:PORT [--to-http HOST:PORT]\n"
    "       pathspace shard publish FILE s3://BUCKET/PREFIX\n"
    "  Splits the snapshot SNAP into N key ranges holding about as many atoms\n"
    "  each, at chunk boundaries its index names (no chunk is decoded to choose\n"
    "  them), and writes OUTDIR/shard-K.snap for each and OUTDIR/shardmap.json:\n"
    "  each shard's range (lo inclusive, hi exclusive, as hex of the atoms'\n"
    "  encoding; null is unbounded) and, with --http and --binary, the addresses\n"
    "  its server will listen on (shard K at PORT + K), and with --bucket the\n"
    "  prefix each replicates to (shard K at PREFIX/shard-K), which Dask workers\n"
    "  may read in place. Serve each with 'pathspace serve DIR-K --import\n"
    "  OUTDIR/shard-K.snap --http ... [--replicate PREFIX/shard-K]'; the\n"
    "  Python package routes and fans out by the map (pathspace.shards,\n"
    "  pathspace.dask).\n"
    "  move: splits shard K of the map file MAP online. The upper half of its\n"
    "  keys moves to the server at --to (started with --shard-map MAP, which\n"
    "  does not name it yet: a standby). The map's next version freezes that\n"
    "  half (writes to it wait; reads go on), the half is copied, and the\n"
    "  version after names the new shard. Every server and router follows\n"
    "  the file; the old shard removes the moved atoms a little later.\n"
    "  publish: puts the map FILE in the bucket as its version (created once:\n"
    "  another map of the same version is refused). MAP, wherever it is taken\n"
    "  (serve --shard-map, client --shards, shard move), may be that bucket:\n"
    "  its newest version is read.\n";

#define SHARD_MAX 4096

typedef struct split {
    ps_snap_writer *w[SHARD_MAX];
    int fd[SHARD_MAX];
    uint64_t atoms[SHARD_MAX];
    ps_bytes keys[SHARD_MAX];
    uint32_t nkeys;
} split;

/* host:port into host[cap] and *port; 0, or -1 having said why. */
static int addr_arg(const char *what, const char *v, char *host, size_t cap, unsigned *port)
{
    const char *colon = v ? strrchr(v, ':') : NULL;
    uint64_t p;
    if (!colon || (size_t)(colon - v) >= cap || parse_u64(colon + 1, &p) || !p || p > 65535)
        return die("shard split: %s takes HOST:PORT", what), -1;
    memcpy(host, v, (size_t)(colon - v));
    host[colon - v] = 0;
    *port = (unsigned)p;
    return 0;
}

/* Where the shards will be: addresses (shard K at port + K) and bucket. */
typedef struct split_to {
    char hh[256], bh[256];
    unsigned hp, bp;
    const char *bucket;
} split_to;

static int write_map(const char *out, uint32_t n, const split *s, const split_to *t)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/shardmap.json", out);
    FILE *f = fopen(path, "w");
    if (!f)
        return die("shard split: cannot write %s: %s", path, strerror(errno));
    map_begin(f, 1);
    for (uint32_t k = 0; k < n; k++) {
        char file[64], http[300] = "", bin[300] = "", bk[300] = "";
        snprintf(file, sizeof file, "shard-%u.snap", k);
        if (t->hh[0])
            snprintf(http, sizeof http, "%s:%u", t->hh, t->hp + k);
        if (t->bh[0])
            snprintf(bin, sizeof bin, "%s:%u", t->bh, t->bp + k);
        if (t->bucket)
            snprintf(bk, sizeof bk, "%s/shard-%u", t->bucket, k);
        map_shard e = { .id = k, .has_lo = k > 0, .has_hi = k + 1 < n, .file = file,
                        .binary = bin, .http = http, .bucket = bk, .atoms = s->atoms[k] };
        if (k)
            e.lo = s->keys[k - 1];
        if (k + 1 < n)
            e.hi = s->keys[k];
        map_entry(f, &e, k + 1 == n);
    }
    map_end(f);
    return fclose(f) ? die("shard split: cannot write %s", path) : 0;
}

/* Every path of sn to the writer of its range (they come in order). */
static int distribute(ps_snap *sn, split *s, uint32_t n)
{
    ps_snap_iter *it;
    ps_diag d = { 0 };
    if (ps_snap_iter_new(sn, ps_bytes_of(NULL, 0), &it))
        return die("shard split: out of memory");
    uint32_t k = 0;
    ps_bytes p;
    int hv, rc;
    uint64_t v;
    while (!(rc = ps_snap_iter_next(it, &p, &hv, &v, &d)) && p.ptr) {
        while (k + 1 < n && ps_bytes_cmp(p, s->keys[k]) >= 0)
            k++;
        rc = hv ? ps_snap_writer_add_value(s->w[k], p, v) : ps_snap_writer_add(s->w[k], p);
        if (rc)
            break;
        s->atoms[k]++;
    }
    ps_snap_iter_free(it);
    return rc && rc != PS_E_EMPTY ? die("shard split: %s: %s", ps_strerror(rc), d.msg) : 0;
}

static int split_run(const char *file, uint32_t parts, const char *out, const split_to *t)
{
    ps_snap *sn;
    ps_diag d = { 0 };
    int rc = ps_snap_open(file, &sn, &d);
    if (rc)
        return die("shard split: %s: %s: %s", file, ps_strerror(rc), d.msg);
    static split s;
    memset(&s, 0, sizeof s);
    ps_snap_split_keys(sn, parts, s.keys, &s.nkeys);
    uint32_t n = s.nkeys + 1;
    if (n < parts)
        fprintf(stderr, "pathspace: %s has too few chunks for %u shards: %u made\n", file, parts,
                n);
    if (mkdir(out, 0755) && errno != EEXIST) {
        ps_snap_close(sn);
        return die("shard split: cannot make %s: %s", out, strerror(errno));
    }
    int bad = 0;
    for (uint32_t k = 0; k < n && !bad; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/shard-%u.snap", out, k);
        s.fd[k] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        bad = s.fd[k] < 0 || ps_snap_writer_new(ps_sink_fd(s.fd[k]), NULL, &s.w[k]);
        if (bad)
            die("shard split: cannot write %s", path);
    }
    bad = bad || distribute(sn, &s, n);
    for (uint32_t k = 0; k < n; k++) {
        if (s.w[k] && !bad && ps_snap_writer_finish(s.w[k], NULL))
            bad = die("shard split: cannot finish shard %u", k) || 1;
        ps_snap_writer_free(s.w[k]);
        if (s.fd[k] > 0 && close(s.fd[k]))
            bad = 1;
    }
    bad = bad || write_map(out, n, &s, t);
    if (!bad)
        for (uint32_t k = 0; k < n; k++)
            printf("shard %u: %" PRIu64 " atoms\n", k, s.atoms[k]);
    ps_snap_close(sn);
    return bad ? 1 : 0;
}

int cmd_shard(int argc, char **argv)
{
    if (has_help(argc, argv, usage))
        return 0;
    split_to t = { "", "", 0, 0, NULL };
    const char *pos[4] = { 0 }, *to = NULL, *to_http = NULL;
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--to") || !strcmp(argv[i], "--to-http")) {
            if (!v || !strchr(v, ':'))
                return die("shard move: %s takes HOST:PORT", argv[i]), 2;
            *(argv[i][4] ? &to_http : &to) = v;
            i++;
        } else if (!strcmp(argv[i], "--http")) {
            if (addr_arg("--http", v, t.hh, sizeof t.hh, &t.hp))
                return 2;
            i++;
        } else if (!strcmp(argv[i], "--binary")) {
            if (addr_arg("--binary", v, t.bh, sizeof t.bh, &t.bp))
                return 2;
            i++;
        } else if (!strcmp(argv[i], "--bucket")) {
            if (!v || strncmp(v, "s3://", 5) || strlen(v) > 200 || strpbrk(v, "\"\\ "))
                return die("shard split: --bucket takes s3://BUCKET/PREFIX"), 2;
            t.bucket = v;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return die("shard: unknown option %s", argv[i]), 2;
        } else if (np < 4) {
            pos[np++] = argv[i];
        } else {
            return die("shard: too many arguments (see --help)"), 2;
        }
    }
    uint64_t n;
    if (np == 3 && !strcmp(pos[0], "publish")) {
        ps_shardmap *m = NULL;
        ps_diag d = { 0 };
        int rc = ps_shardmap_load(pos[1], &m, &d);
        if (!rc && !(rc = ps_shardmap_publish(pos[2], m, &d)))
            printf("published shard map version %" PRIu64 " to %s\n", ps_shardmap_version(m),
                   pos[2]);
        ps_shardmap_free(m);
        return rc ? die("shard publish: %s", d.msg), 1 : 0;
    }
    if (np == 3 && !strcmp(pos[0], "move")) {
        if (!to || parse_u64(pos[2], &n) || n > 65535)
            return die("shard move: MAP K --to HOST:PORT (see --help)"), 2;
        return shard_move(pos[1], (uint32_t)n, to, to_http);
    }
    if (np != 4 || strcmp(pos[0], "split"))
        return die("shard: 'shard split SNAP N OUTDIR' or 'shard move MAP K --to ...' "
                   "(see --help)"), 2;
    if (parse_u64(pos[2], &n) || n < 1 || n > SHARD_MAX)
        return die("shard split: N is 1 to %d", SHARD_MAX), 2;
    return split_run(pos[1], (uint32_t)n, pos[3], &t);
}
