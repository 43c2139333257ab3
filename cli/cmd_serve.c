/* cmd_serve.c - pathspace serve DIR: a persistent space over TCP
 * (docs/protocol.md). SIGTERM and SIGINT stop the loop; the space then
 * closes with a final checkpoint, and a restart recovers it. */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace serve DIR [--addr ADDR] [--port P] [--port-file FILE]\n"
    "                 [--token-file FILE] [--fsync always|everysec|never]\n"
    "                 [--ckpt-changes N] [--ckpt-seconds T] [--keep N]\n"
    "                 [--max-clients N] [--max-frame BYTES] [--max-batch N]\n"
    "                 [--idle SECONDS] [--write-timeout SECONDS]\n"
    "                 [--out-limit BYTES] [--max-results N] [--threads N] [--quiet]\n"
    "                 [--max-memory BYTES] [--hello-timeout SECONDS] [--per-ip N]\n"
    "                 [--http [ADDR:]PORT] [--http-port-file FILE] [--http-max-body BYTES]\n"
    "                 [--http-workers N] [--http-max-results N] [--http-perm-wait MS]\n"
    "                 [--http-fork-results N] [--http-max-result-bytes BYTES]\n"
    "                 [--http-files DIR] [--http-host NAME[,NAME...]] [--unprotected]\n"
    "                 [--http-no-files (the default)]\n"
    "                 [--http-max-clients N] [--http-per-ip N] [--http-header-timeout S]\n"
    "                 [--http-body-rate BYTES]\n"
    "  Serves the persistent space in DIR (made if missing; see 'pathspace open\n"
    "  --help') to clients of the binary protocol (docs/protocol.md) on ADDR\n"
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
    "  --http also serves MORK's HTTP API (docs/http.md) on the same space, on\n"
    "  ADDR (default 127.0.0.1) and PORT (0 picks one, written to\n"
    "  --http-port-file), with the same token as a bearer token: bodies up to\n"
    "  --http-max-body (256m), --http-workers asynchronous commands at once (4),\n"
    "  results an export or a transform may hold (--http-max-results, 16777216;\n"
    "  --http-max-result-bytes, 1g, counting every solution's),\n"
    "  how long a command waits for a conflicting one before its 401\n"
    "  (--http-perm-wait, 200 ms); exports of more than --http-fork-results\n"
    "  results (65536; 0 = never) are written by a forked child.\n"
    "  Security (docs/security.md): file:// imports and exports are off unless\n"
    "  --http-files DIR names the one directory they may read and write (no\n"
    "  symlink, no '..'; not the store's). Requests whose Host is not an IP\n"
    "  address, localhost or a --http-host name, and cross-site requests from\n"
    "  browsers, are refused. An address that is not loopback needs a token,\n"
    "  or --unprotected. HTTP connections: at most --http-max-clients (256),\n"
    "  --http-per-ip from one address (32); a request's headers must arrive\n"
    "  within --http-header-timeout seconds (10) of the connection or of its\n"
    "  last reply, and its body at --http-body-rate bytes a second (16k) after.\n";

static ps_server *running;

static void on_stop(int sig)
{
    (void)sig;
    if (running)
        ps_server_stop(running);
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
    int http;
    char http_addr[64];
    ps_http_opts ho;
    int quiet;
    char token[257];
    ps_pspace_opts po;
    ps_server_opts so;
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

/* One option at argv[*i]: 0 taken, 1 not an option of serve, -1 bad. */
static int serve_opt(serve_args *a, int argc, char **argv, int *i)
{
    const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    uint64_t n;
    ps_server_opts *so = &a->so;
    if (!strcmp(o, "--quiet"))
        return a->quiet = 1, 0;
    if (!strcmp(o, "--http-no-files")) /* the default now; kept for old scripts */
        return 0;
    if (!strcmp(o, "--unprotected"))
        return a->so.unprotected = 1, a->ho.unprotected = 1, 0;
    if (o[0] != '-' || o[1] != '-')
        return 1;
    (*i)++;
    if (!strcmp(o, "--addr"))
        so->addr = v;
    else if (!strcmp(o, "--port")) {
        if (u32_arg(o, v, 65535, &n))
            return -1;
        so->port = (uint16_t)n;
    } else if (!strcmp(o, "--port-file"))
        a->port_file = v;
    else if (!strcmp(o, "--http-port-file"))
        a->http_port_file = v;
    else if (!strcmp(o, "--http-files"))
        a->ho.files_dir = v;
    else if (!strcmp(o, "--http-host"))
        a->ho.hosts = v;
    else if (!strcmp(o, "--http")) {
        if (http_arg(a, v))
            return -1;
    } else if (!strcmp(o, "--http-workers")) {
        if (u32_arg(o, v, 1024, &n) || !n)
            return die("--http-workers: 1 to 1024"), -1;
        a->ho.workers = (uint32_t)n;
    } else if (!strcmp(o, "--http-header-timeout") || !strcmp(o, "--http-per-ip") ||
               !strcmp(o, "--http-max-clients")) {
        if (u32_arg(o, v, 1000000, &n) || !n)
            return die("%s: a whole number from 1 to 1000000", o), -1;
        uint32_t *f = !strcmp(o, "--http-per-ip")          ? &a->ho.per_ip
                      : !strcmp(o, "--http-header-timeout") ? &a->ho.header_timeout_s
                                                            : &a->ho.max_clients;
        *f = (uint32_t)n;
    } else if (!strcmp(o, "--http-body-rate")) {
        if (parse_bytes(v, UINT32_MAX, &n))
            return die("%s: '%s' is not a size (k, m, g suffixes)", o, v ? v : ""), -1;
        a->ho.body_min_rate = (uint32_t)n;
    } else if (!strcmp(o, "--http-perm-wait")) {
        if (u32_arg(o, v, 600000, &n))
            return -1;
        a->ho.perm_wait_ms = (uint32_t)n;
    } else if (!strcmp(o, "--http-fork-results")) {
        if (u32_arg(o, v, UINT64_MAX, &n))
            return -1;
        a->ho.fork_results = n;
    } else if (!strcmp(o, "--http-max-results")) {
        if (u32_arg(o, v, UINT64_MAX, &n) || !n)
            return die("--http-max-results: a whole number from 1"), -1;
        a->ho.max_results = n;
    } else if (!strcmp(o, "--http-max-result-bytes")) {
        if (parse_bytes(v, UINT64_MAX, &n) || !n)
            return die("%s: '%s' is not a size (k, m, g suffixes)", o, v ? v : ""), -1;
        a->ho.max_result_bytes = n;
    } else if (!strcmp(o, "--http-max-body")) {
        if (parse_bytes(v, UINT64_MAX, &n) || !n)
            return die("%s: '%s' is not a size (k, m, g suffixes)", o, v ? v : ""), -1;
        a->ho.max_body = n;
    } else if (!strcmp(o, "--token-file")) {
        if (read_token(v, a->token, sizeof a->token))
            return -1;
        so->token = a->token;
    } else if (!strcmp(o, "--fsync")) {
        if ((a->po.fsync = fsync_parse(v)) < 0)
            return die("serve: --fsync always|everysec|never"), -1;
    } else if (!strcmp(o, "--ckpt-changes")) {
        if (u32_arg(o, v, UINT64_MAX, &so->ckpt_changes))
            return -1;
    } else if (!strcmp(o, "--ckpt-seconds") || !strcmp(o, "--keep") ||
               !strcmp(o, "--max-clients") || !strcmp(o, "--max-batch") ||
               !strcmp(o, "--idle") || !strcmp(o, "--write-timeout") ||
               !strcmp(o, "--threads") || !strcmp(o, "--max-results")) {
        if (u32_arg(o, v, UINT32_MAX / 1000, &n))
            return -1;
        uint32_t k = (uint32_t)n;
        if (!strcmp(o, "--ckpt-seconds"))
            so->ckpt_seconds = k;
        else if (!strcmp(o, "--keep"))
            a->po.keep = k;
        else if (!strcmp(o, "--max-clients"))
            so->max_clients = k;
        else if (!strcmp(o, "--max-batch"))
            so->max_batch = k;
        else if (!strcmp(o, "--idle"))
            so->idle_ms = k * 1000;
        else if (!strcmp(o, "--write-timeout"))
            so->write_timeout_ms = k * 1000;
        else if (!strcmp(o, "--threads"))
            so->query_threads = a->po.threads = k;
        else
            so->max_results = k;
    } else if (!strcmp(o, "--max-memory")) {
        if (parse_bytes(v, UINT64_MAX, &n) || !n)
            return die("%s: '%s' is not a size (k, m, g suffixes)", o, v ? v : ""), -1;
        so->max_memory = n;
    } else if (!strcmp(o, "--hello-timeout") || !strcmp(o, "--per-ip")) {
        if (u32_arg(o, v, 1000000, &n) || !n)
            return die("%s: a whole number from 1 to 1000000", o), -1;
        if (!strcmp(o, "--per-ip"))
            so->per_ip = (uint32_t)n;
        else
            so->hello_ms = (uint32_t)n * 1000;
    } else if (!strcmp(o, "--max-frame") || !strcmp(o, "--out-limit")) {
        if (parse_bytes(v, UINT32_MAX, &n))
            return die("%s: '%s' is not a size (k, m, g suffixes)", o, v ? v : ""), -1;
        if (!strcmp(o, "--max-frame"))
            so->max_frame = (uint32_t)n;
        else
            so->out_limit = n;
    } else
        return die("serve: unknown option %s", o), -1;
    return v ? 0 : (die("%s needs a value", o), -1);
}

static int serve_args_parse(serve_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    ps_pspace_opts_init(&a->po);
    ps_server_opts_init(&a->so);
    ps_http_opts_init(&a->ho);
    a->so.port = PS_CLI_PORT;
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
    return a->dir ? 0 : (die("serve: no DIR (see --help)"), 2);
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
    if ((rc = ps_pspace_open(a.dir, &a.po, &p, &r, &d)))
        return die("%s: %s: %s", a.dir, ps_strerror(rc), d.msg);
    report_faults(a.dir, &r); /* said even with --quiet: the operator must know */
    ps_server *s;
    if ((rc = ps_server_new(p, &a.so, &s, &d))) {
        ps_pspace_close(p, NULL);
        return die("serve: %s: %s", ps_strerror(rc), d.msg);
    }
    running = s;
    ps_http *h = NULL;
    a.ho.token = a.so.token;
    if (a.http && (rc = ps_http_start(s, &a.ho, &h, &d))) {
        ps_server_free(s);
        ps_pspace_close(p, NULL);
        return die("serve --http: %s: %s", ps_strerror(rc), d.msg);
    }
    if (stop_on_signals() || (a.port_file && write_port_file(a.port_file, ps_server_port(s))) ||
        (h && a.http_port_file && write_port_file(a.http_port_file, ps_http_port(h)))) {
        ps_http_stop(h);
        ps_server_free(s);
        ps_pspace_close(p, NULL);
        return 1;
    }
    if (h && !a.quiet)
        fprintf(stderr, "pathspace: MORK's HTTP API on http://%s:%u/\n",
                a.ho.addr ? a.ho.addr : "127.0.0.1", ps_http_port(h));
    if (!a.quiet)
        fprintf(stderr, "pathspace: serving %s (%" PRIu64 " atoms, last seq %" PRIu64
                ") on %s:%u\n", a.dir, ps_space_count(ps_pspace_space(p)), r.last_seq,
                a.so.addr ? a.so.addr : "127.0.0.1", ps_server_port(s));
    rc = ps_server_run(s, &d);
    running = NULL;
    ps_http_stop(h); /* its running commands finish, logged, before the checkpoint */
    ps_server_stats st;
    ps_server_stats_get(s, &st);
    ps_server_free(s);
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
