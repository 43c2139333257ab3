/* cmd_serve.c - pathspace serve DIR: a persistent space over TCP
 * (docs/protocol.md). SIGTERM and SIGINT stop the loop; the space then
 * closes with a final checkpoint, and a restart recovers it. */
#include <inttypes.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace serve DIR [--addr ADDR] [--port P] [--port-file FILE]\n"
    "                 [--token-file FILE] [--fsync always|everysec|never]\n"
    "                 [--ckpt-changes N] [--ckpt-seconds T] [--keep N]\n"
    "                 [--max-clients N] [--max-frame BYTES] [--max-batch N]\n"
    "                 [--idle SECONDS] [--write-timeout SECONDS]\n"
    "                 [--out-limit BYTES] [--max-results N] [--threads N] [--quiet]\n"
    "                 [--max-memory BYTES] [--hello-timeout SECONDS] [--per-ip N]\n"
    "                 [--http [ADDR:]PORT] [--http-only] [--http-port-file FILE]\n"
    "                 [--http-max-body BYTES]\n"
    "                 [--http-workers N] [--http-max-results N] [--http-perm-wait MS]\n"
    "                 [--http-fork-results N] [--http-max-result-bytes BYTES]\n"
    "                 [--http-files DIR] [--http-host NAME[,NAME...]] [--unprotected]\n"
    "                 [--http-no-files (the default)]\n"
    "                 [--http-max-clients N] [--http-per-ip N] [--http-header-timeout S]\n"
    "                 [--http-body-rate BYTES] [--act-dir DIR] [--import FILE]...\n"
    "                 [--http-fetch HOST[,HOST...]] [--http-fetch-max BYTES]\n"
    "                 [--http-fetch-timeout S] [--http-fetch-private] [--http-queue N]\n"
    "                 [--replicate s3://BUCKET/PREFIX [--takeover] [--replicate-sync]\n"
    "                  | --follow s3://...]\n"
    "                 [--replicate-interval MS] [--replicate-keep N] [--replicate-piece BYTES]\n"
    "                 [--replicate-part BYTES]\n"
    "                 [--shard-map FILE [--shard-id K] [--shard-purge-after S]]\n"
    "  Serves the persistent space in DIR (made if missing; see 'pathspace open\n"
    "  --help'), after adding the atoms of each --import FILE (any format) as\n"
    "  logged batches, to clients of the binary protocol (docs/protocol.md) on ADDR\n"
    "  (default 127.0.0.1) and port P (default 7420; 0 picks a free one, written\n"
    "  to --port-file once listening). Every add and remove is in the log (synced\n"
    "  per --fsync, default always, one fsync per turn of the loop for every\n"
    "  client) before it is acknowledged. Checkpoints run in a forked process\n"
    "  after N changes or T seconds with changes (both off by default), when a\n"
    "  client asks, and at the end: SIGTERM or SIGINT stops serving, writes a\n"
    "  final checkpoint and exits 0. With --token-file (or $PATHSPACE_TOKEN),\n"
    "  HELLO must carry that token (compared in constant time). Limits: clients\n"
    "  (1024), frame payload (16m, at most 256m), atoms per request (1048576),\n"
    "  idle time (300 s, 0 = none), time a client may leave its replies unread\n"
    "  (10 s), reply bytes queued per client before its requests wait (1m),\n"
    "  results a query holds (1048576); what all clients together hold in read\n"
    "  buffers, replies and query results (--max-memory, 1g: past it a request\n"
    "  gets an error); HELLO within --hello-timeout (10 s), and before it a\n"
    "  frame of at most 4k; connections from one address (--per-ip, 256).\n"
    "  --http also serves MORK's HTTP API (docs/http.md) on the same space\n"
    "  (--http-only: instead of the binary protocol), on\n"
    "  ADDR (default 127.0.0.1) and PORT (0 picks one, written to\n"
    "  --http-port-file), with the same token as a bearer token: bodies up to\n"
    "  --http-max-body (256m), --http-workers asynchronous commands at once (4),\n"
    "  results an export or a transform may hold (--http-max-results, 16777216;\n"
    "  --http-max-result-bytes, 1g, counting every solution's),\n"
    "  how long a command waits for a conflicting one before its 401\n"
    "  (--http-perm-wait, 200 ms); exports of more than --http-fork-results\n"
    "  results (65536; 0 = never) are written by a forked child.\n"
    "  Exec rules (docs/exec.md): /metta_thread/?location=T runs the atoms\n"
    "  (exec (T PRIORITY) PATTERNS TEMPLATES) a step at a time, each step one\n"
    "  logged change, other clients served between steps; --act-dir DIR is where\n"
    "  their (ACT name ...) files are (default: none, and ACT fails).\n"
    "  Security (docs/security.md): file:// imports and exports are off unless\n"
    "  --http-files DIR names the one directory they may read and write (no\n"
    "  symlink, no '..'; not the store's). Requests whose Host is not an IP\n"
    "  address, localhost or a --http-host name, and cross-site requests from\n"
    "  browsers, are refused. An address that is not loopback needs a token,\n"
    "  or --unprotected. HTTP connections: at most --http-max-clients (256),\n"
    "  --http-per-ip from one address (32); a request's headers must arrive\n"
    "  within --http-header-timeout seconds (10) of the connection or of its\n"
    "  last reply, and its body at --http-body-rate bytes a second (16k) after.\n"
    "  http(s):// imports are off unless --http-fetch HOST[,HOST...] names the\n"
    "  hosts they may reach (no redirect to another; no private or loopback\n"
    "  address unless --http-fetch-private), at most --http-fetch-max bytes (1g)\n"
    "  within --http-fetch-timeout seconds (60). Asynchronous commands beyond\n"
    "  --http-workers (the CPUs less one, at least 4) wait, --http-queue of\n"
    "  them (64), before a 503.\n"
    "  Replication (docs/replication.md): --replicate ships every committed\n"
    "  change and every checkpoint to the bucket within --replicate-interval ms\n"
    "  (1000), in pieces of about --replicate-piece bytes (16m), or before it is\n"
    "  acknowledged with --replicate-sync (clients then wait for the bucket);\n"
    "  the bucket keeps --replicate-keep checkpoints (2) and the log from the\n"
    "  oldest on; a checkpoint over --replicate-part bytes (64m) goes up in\n"
    "  parts of that size (S3's multipart upload: one PUT holds at most 5 GiB).\n"
    "  A bucket another primary wrote is refused unless --takeover\n"
    "  (a promoted replica: it catches up, then fences the old primary).\n"
    "  --follow serves a read replica of the bucket: DIR is restored from it\n"
    "  when new or empty, then follows it; writes get an error naming the\n"
    "  primary. The endpoint and keys come from the environment\n"
    "  (PATHSPACE_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
    "  AWS_REGION) or ~/.aws/credentials, never from the command line.\n"
    "  --shard-map FILE: this space is the shard of the map (pathspace shard\n"
    "  split) at its own --addr:--port, or shard --shard-id K: adds and removes\n"
    "  of atoms outside its range are refused (PS_E_MOVED, HTTP 421), naming the\n"
    "  map's version, so a client routing by an older map reads it again; of a\n"
    "  frozen part (a split under way), PS_E_LOCKED (HTTP 423). The file is\n"
    "  followed: a newer version is in force within 0.1 s, and atoms it moved\n"
    "  to another shard are removed --shard-purge-after seconds later (5). A\n"
    "  server the map does not name is a standby: it refuses nothing.\n";

static ps_served *running;

static void on_stop(int sig)
{
    (void)sig;
    if (running)
        ps_served_stop(running);
}

static int stop_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* past a file-size limit a write fails (EFBIG), said as such */
    return sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL);
}

static int write_port_file(const char *path, uint16_t port)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return die("--port-file: name too long");
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) || rename(tmp, path))
        return die("--port-file %s: cannot write it", path);
    return 0;
}

typedef struct serve_args {
    const char *dir, *port_file, *http_port_file;
    int http, http_only;
    char http_addr[64];
    ps_http_opts ho;
    int quiet;
    char token[257];
    ps_pspace_opts po;
    ps_server_opts so;
    const char *imports[16]; /* --import FILE, in order */
    int nimports;
    const char *replicate, *follow, *shard_map;
    uint64_t shard_id;
    uint32_t purge_after;
    int takeover;
    ps_replica_opts ro;
} serve_args;

static int u32_arg(const char *name, const char *v, uint64_t max, uint64_t *n)
{
    if (parse_u64(v, n) || *n > max)
        return die("%s: '%s' is not a whole number up to %" PRIu64, name, v ? v : "", max);
    return 0;
}

/* --http [ADDR:]PORT, ADDR an IPv4 address or a bracketed IPv6 one */
static int http_arg(serve_args *a, const char *v)
{
    uint64_t n;
    const char *colon = v ? strrchr(v, ':') : NULL;
    const char *port = colon ? colon + 1 : v;
    if (u32_arg("--http", port, 65535, &n))
        return -1;
    if (colon) {
        const char *at = v;
        size_t len = (size_t)(colon - v);
        if (len >= 2 && v[0] == '[' && v[len - 1] == ']')
            at++, len -= 2;
        if (len >= sizeof a->http_addr)
            return die("--http: address too long");
        memcpy(a->http_addr, at, len);
        a->http_addr[len] = 0;
        a->ho.addr = a->http_addr;
    }
    a->ho.port = (uint16_t)n;
    a->http = 1;
    return 0;
}

/* The options, as a table: where each goes and what it takes. */
enum { O_FLAG, O_STR, O_U16, O_U32, O_U64, O_SECS, O_BYTES32, O_BYTES64, O_CALL };

typedef struct serve_option {
    const char *name;
    int kind;
    size_t at;             /* offsetof(serve_args, ...) of its field     */
    uint64_t min, max;     /* numbers: the range                         */
    int (*call)(serve_args *a, const char *v); /* O_CALL, and O_FLAG's    */
} serve_option;

static int opt_import(serve_args *a, const char *v)
{
    if (a->nimports == (int)(sizeof a->imports / sizeof *a->imports))
        return die("serve: at most %d --import files", a->nimports), -1;
    a->imports[a->nimports++] = v;
    return 0;
}

static int opt_unprotected(serve_args *a, const char *v)
{
    (void)v;
    a->so.unprotected = 1;
    a->ho.unprotected = 1;
    return 0;
}

static int opt_fetch_private(serve_args *a, const char *v)
{
    (void)v;
    a->ho.fetch_private = 1;
    return 0;
}

static int opt_token(serve_args *a, const char *v)
{
    if (read_token(v, a->token, sizeof a->token))
        return -1; /* it said why */
    a->so.token = a->token;
    return 0;
}

static int opt_fsync(serve_args *a, const char *v)
{
    return (a->po.fsync = fsync_parse(v)) < 0 ? die("serve: --fsync always|everysec|never"), -1
                                               : 0;
}

static int opt_threads(serve_args *a, const char *v)
{
    uint64_t n;
    if (u32_arg("--threads", v, 1024, &n))
        return -1;
    a->so.query_threads = a->po.threads = (unsigned)n;
    return 0;
}

#define AT(f) offsetof(serve_args, f)
static const serve_option options[] = {
    { "--quiet", O_FLAG, AT(quiet), 0, 0, NULL },
    { "--http-only", O_FLAG, AT(http_only), 0, 0, NULL },
    { "--unprotected", O_FLAG, 0, 0, 0, opt_unprotected },
    { "--http-no-files", O_FLAG, 0, 0, 0, NULL }, /* the default now; kept for old scripts */
    { "--addr", O_STR, AT(so.addr), 0, 0, NULL },
    { "--port", O_U16, AT(so.port), 0, 65535, NULL },
    { "--port-file", O_STR, AT(port_file), 0, 0, NULL },
    { "--token-file", O_CALL, 0, 0, 0, opt_token },
    { "--import", O_CALL, 0, 0, 0, opt_import },
    { "--fsync", O_CALL, 0, 0, 0, opt_fsync },
    { "--ckpt-changes", O_U64, AT(po.ckpt_changes), 0, UINT64_MAX, NULL },
    { "--ckpt-seconds", O_U32, AT(po.ckpt_seconds), 0, UINT32_MAX / 1000, NULL },
    { "--keep", O_U32, AT(po.keep), 0, UINT32_MAX / 1000, NULL },
    { "--max-clients", O_U32, AT(so.max_clients), 0, UINT32_MAX / 1000, NULL },
    { "--max-frame", O_BYTES32, AT(so.max_frame), 0, UINT32_MAX, NULL },
    { "--max-batch", O_U32, AT(so.max_batch), 0, UINT32_MAX / 1000, NULL },
    { "--idle", O_SECS, AT(so.idle_ms), 0, UINT32_MAX / 1000, NULL },
    { "--write-timeout", O_SECS, AT(so.write_timeout_ms), 0, UINT32_MAX / 1000, NULL },
    { "--out-limit", O_BYTES64, AT(so.out_limit), 0, UINT32_MAX, NULL },
    { "--max-results", O_U64, AT(so.max_results), 0, UINT32_MAX / 1000, NULL },
    { "--threads", O_CALL, 0, 0, 0, opt_threads },
    { "--max-memory", O_BYTES64, AT(so.max_memory), 1, UINT64_MAX, NULL },
    { "--hello-timeout", O_SECS, AT(so.hello_ms), 1, 1000000, NULL },
    { "--per-ip", O_U32, AT(so.per_ip), 1, 1000000, NULL },
    { "--http", O_CALL, 0, 0, 0, http_arg },
    { "--http-port-file", O_STR, AT(http_port_file), 0, 0, NULL },
    { "--http-files", O_STR, AT(ho.files_dir), 0, 0, NULL },
    { "--act-dir", O_STR, AT(ho.act_dir), 0, 0, NULL },
    { "--http-fetch", O_STR, AT(ho.fetch_hosts), 0, 0, NULL },
    { "--http-fetch-max", O_BYTES64, AT(ho.fetch_max), 1, UINT64_MAX, NULL },
    { "--http-fetch-timeout", O_U32, AT(ho.fetch_timeout_s), 1, 86400, NULL },
    { "--http-fetch-private", O_FLAG, 0, 0, 0, opt_fetch_private },
    { "--http-queue", O_U32, AT(ho.queue), 0, 1000000, NULL },
    { "--http-host", O_STR, AT(ho.hosts), 0, 0, NULL },
    { "--http-workers", O_U32, AT(ho.workers), 1, 1024, NULL },
    { "--http-max-clients", O_U32, AT(ho.max_clients), 1, 1000000, NULL },
    { "--http-per-ip", O_U32, AT(ho.per_ip), 1, 1000000, NULL },
    { "--http-header-timeout", O_U32, AT(ho.header_timeout_s), 1, 1000000, NULL },
    { "--http-body-rate", O_BYTES32, AT(ho.body_min_rate), 0, UINT32_MAX, NULL },
    { "--http-perm-wait", O_U32, AT(ho.perm_wait_ms), 0, 600000, NULL },
    { "--http-fork-results", O_U64, AT(ho.fork_results), 0, UINT64_MAX, NULL },
    { "--http-max-results", O_U64, AT(ho.max_results), 1, UINT64_MAX, NULL },
    { "--http-max-result-bytes", O_BYTES64, AT(ho.max_result_bytes), 1, UINT64_MAX, NULL },
    { "--http-max-body", O_BYTES64, AT(ho.max_body), 1, UINT64_MAX, NULL },
    { "--replicate", O_STR, AT(replicate), 0, 0, NULL },
    { "--follow", O_STR, AT(follow), 0, 0, NULL },
    { "--takeover", O_FLAG, AT(takeover), 0, 0, NULL },
    { "--replicate-sync", O_FLAG, AT(ro.sync), 0, 0, NULL },
    { "--shard-map", O_STR, AT(shard_map), 0, 0, NULL },
    { "--shard-id", O_U64, AT(shard_id), 0, 65535, NULL },
    { "--shard-purge-after", O_U32, AT(purge_after), 0, 86400, NULL },
    { "--replicate-interval", O_U32, AT(ro.interval_ms), 1, 3600000, NULL },
    { "--replicate-keep", O_U32, AT(ro.keep), 1, 1024, NULL },
    { "--replicate-piece", O_BYTES64, AT(ro.piece_max), 4096, 1ull << 30, NULL },
    { "--replicate-part", O_BYTES64, AT(ro.part_max), 5ull << 20, 5ull << 30, NULL },
};
#undef AT

/* Stores v, as o says, into a. 0, or -1 having said why. */
static int set_option(serve_args *a, const serve_option *o, const char *v)
{
    char *f = (char *)a + o->at;
    uint64_t n = 0;
    int bytes = o->kind == O_BYTES32 || o->kind == O_BYTES64;
    if (o->kind == O_CALL)
        return o->call(a, v);
    if (o->kind == O_STR) {
        memcpy(f, &v, sizeof v);
        return 0;
    }
    if (bytes ? parse_bytes(v, o->max, &n) : parse_u64(v, &n) || n > o->max)
        return die("%s: '%s' is not %s up to %" PRIu64, o->name, v,
                   bytes ? "a size (k, m, g suffixes)" : "a whole number", o->max), -1;
    if (n < o->min)
        return die("%s: at least %" PRIu64, o->name, o->min), -1;
    uint16_t n16 = (uint16_t)n;
    uint32_t n32 = (uint32_t)(o->kind == O_SECS ? n * 1000 : n);
    if (o->kind == O_U16)
        memcpy(f, &n16, sizeof n16);
    else if (o->kind == O_U64 || o->kind == O_BYTES64)
        memcpy(f, &n, sizeof n);
    else
        memcpy(f, &n32, sizeof n32);
    return 0;
}

/* One option at argv[*i]: 0 taken, 1 not an option of serve, -1 bad. */
static int serve_opt(serve_args *a, int argc, char **argv, int *i)
{
    const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (o[0] != '-' || o[1] != '-')
        return 1;
    for (size_t k = 0; k < sizeof options / sizeof *options; k++) {
        const serve_option *s = &options[k];
        if (strcmp(o, s->name))
            continue;
        if (s->kind == O_FLAG) {
            if (s->at)
                *((int *)((char *)a + s->at)) = 1;
            return s->call ? s->call(a, NULL) : 0;
        }
        if (!v)
            return die("%s needs a value", o), -1;
        (*i)++;
        return set_option(a, s, v) ? -1 : 0; /* die() said why */
    }
    return die("serve: unknown option %s", o), -1;
}

static int serve_args_parse(serve_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    ps_pspace_opts_init(&a->po);
    ps_server_opts_init(&a->so);
    ps_http_opts_init(&a->ho);
    ps_replica_opts_init(&a->ro);
    a->so.port = PS_CLI_PORT;
    a->shard_id = UINT64_MAX;
    a->purge_after = 5;
    const char *env = getenv("PATHSPACE_TOKEN");
    if (env && *env) {
        snprintf(a->token, sizeof a->token, "%s", env);
        a->so.token = a->token;
    }
    for (int i = 1; i < argc; i++) {
        int r = serve_opt(a, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r == 1) {
            if (a->dir)
                return die("serve: one DIR only ('%s' too)", argv[i]), 2;
            a->dir = argv[i];
        }
    }
    if (a->http_only && !a->http)
        return die("serve: --http-only needs --http [ADDR:]PORT"), 2;
    if (a->replicate && a->follow)
        return die("serve: --replicate (a primary) or --follow (a replica), not both"), 2;
    if ((a->takeover || a->ro.sync) && !a->replicate)
        return die("serve: --takeover and --replicate-sync need --replicate s3://..."), 2;
    a->ro.takeover = a->takeover;
    return a->dir ? 0 : (die("serve: no DIR (see --help)"), 2);
}

/* --follow: a new or empty DIR is first restored from the bucket. */
static int follow_restore(const serve_args *a)
{
    struct stat sb;
    DIR *dp = opendir(a->dir);
    int empty = 1;
    for (struct dirent *e; dp && (e = readdir(dp));)
        empty &= !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    if (dp)
        closedir(dp);
    if (!empty || (!dp && !stat(a->dir, &sb)))
        return 0; /* a replica's own directory: it resumes from its own log */
    ps_diag d = { 0 };
    ps_recovery r;
    int rc = ps_restore(a->follow, a->dir, 0, 0, &r, &d);
    if (rc)
        return die("serve --follow: restore from %s: %s: %s", a->follow, ps_strerror(rc), d.msg);
    if (!a->quiet)
        fprintf(stderr, "pathspace: restored %s from %s (last seq %" PRIu64 ")\n", a->dir,
                a->follow, r.last_seq);
    return 0;
}

/* The shipping or following thread, before any front end answers. */
static int replica_start(serve_args *a, ps_served *sv, ps_server *s, ps_replica **rep,
                         ps_diag *d)
{
    static char addr[300];
    if (!a->replicate && !a->follow)
        return PS_OK;
    if (s && a->replicate)
        snprintf(addr, sizeof addr, "%s:%u", a->so.addr ? a->so.addr : "127.0.0.1",
                 ps_server_port(s));
    a->ro.primary = addr;
    return a->replicate ? ps_ship_start(sv, a->replicate, &a->ro, rep, d)
                        : ps_follow_start(sv, a->follow, &a->ro, rep, d);
}

/* --shard-map: the map in force before any front end answers; -1 when it
 * cannot be (said already). */
static int shard_start(serve_args *a, ps_served *sv, ps_server *s, shard_watch **w)
{
    char self[300] = "";
    if (!a->shard_map)
        return PS_OK;
    if (s)
        snprintf(self, sizeof self, "%s:%u", a->so.addr ? a->so.addr : "127.0.0.1",
                 ps_server_port(s));
    if (a->shard_id == UINT64_MAX && !s)
        return die("serve --shard-map: with --http-only, say which shard with --shard-id"), -1;
    return shard_watch_start(sv, a->shard_map, a->shard_id, self, a->purge_after, w) ? -1 : 0;
}

int cmd_serve(int argc, char **argv)
{
    if (has_help(argc, argv, usage))
        return 0;
    serve_args a;
    int rc = serve_args_parse(&a, argc, argv);
    if (rc)
        return rc;
    ps_pspace *p;
    ps_recovery r;
    ps_diag d = { 0 };
    if (a.follow && (rc = follow_restore(&a)))
        return rc;
    if ((rc = ps_pspace_open(a.dir, &a.po, &p, &r, &d)))
        return die("%s: %s: %s", a.dir, ps_strerror(rc), d.msg);
    report_faults(a.dir, &r); /* said even with --quiet: the operator must know */
    for (int i = 0; i < a.nimports; i++)
        if (pspace_import(p, a.imports[i])) {
            ps_pspace_close(p, NULL);
            return 1;
        }
    ps_served *sv = NULL;
    ps_server *s = NULL;
    ps_http *h = NULL;
    a.ho.token = a.so.token;
    ps_replica *rep = NULL;
    shard_watch *map = NULL;
    if ((rc = ps_served_new(p, &sv, &d)) ||
        (!a.http_only && (rc = ps_server_new(sv, &a.so, &s, &d))) ||
        (rc = shard_start(&a, sv, s, &map)) ||
        (rc = replica_start(&a, sv, s, &rep, &d)) ||
        (a.http && (rc = ps_http_start(sv, &a.ho, &h, &d)))) {
        int http_failed = sv && (s || a.http_only) && (rep || (!a.replicate && !a.follow));
        const char *what = http_failed ? "serve --http" : "serve";
        ps_replica_stop(rep);
        ps_server_free(s);
        shard_watch_stop(map);
        ps_served_free(sv);
        ps_pspace_close(p, NULL);
        return rc == -1 ? 2 : die("%s: %s: %s", what, ps_strerror(rc), d.msg);
    }
    running = sv;
    if (stop_on_signals() || (s && a.port_file && write_port_file(a.port_file, ps_server_port(s))) ||
        (h && a.http_port_file && write_port_file(a.http_port_file, ps_http_port(h)))) {
        ps_http_stop(h);
        ps_replica_stop(rep);
        ps_server_free(s);
        shard_watch_stop(map);
        ps_served_free(sv);
        ps_pspace_close(p, NULL);
        return 1;
    }
    if (h && !a.quiet)
        fprintf(stderr, "pathspace: MORK's HTTP API on http://%s:%u/\n",
                a.ho.addr ? a.ho.addr : "127.0.0.1", ps_http_port(h));
    if (s && !a.quiet)
        fprintf(stderr, "pathspace: serving %s (%" PRIu64 " atoms, last seq %" PRIu64
                ") on %s:%u\n", a.dir, ps_space_count(ps_pspace_space(p)), r.last_seq,
                a.so.addr ? a.so.addr : "127.0.0.1", ps_server_port(s));
    rc = s ? ps_server_run(s, &d) : ps_served_wait(sv, &d);
    ps_served_stop(sv); /* one front end ended: so does the other */
    ps_http_stop(h); /* its running commands finish, logged, before the checkpoint */
    ps_replica_stop(rep); /* a primary ships what is committed, one last round */
    ps_server_stats st = { 0 };
    if (s)
        ps_server_stats_get(s, &st);
    else
        st.atoms = ps_space_count(ps_pspace_space(p));
    ps_server_free(s);
    shard_watch_stop(map);
    ps_served_free(sv); /* waits for a running background checkpoint */
    running = NULL;
    if (rc) { /* the log failed: close as a crash would, the log is the truth */
        ps_pspace_abandon(p);
        return die("serve: %s", d.msg);
    }
    if ((rc = ps_pspace_close(p, &d)))
        return die("%s: final checkpoint: %s: %s", a.dir, ps_strerror(rc), d.msg);
    if (!a.quiet)
        fprintf(stderr, "pathspace: stopped; %" PRIu64 " requests from %" PRIu64
                " connections, %" PRIu64 " atoms, checkpointed\n", st.requests, st.connections,
                st.atoms);
    return 0;
}
