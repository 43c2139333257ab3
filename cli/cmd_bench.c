/* cmd_bench.c - pathspace bench-server: many clients on one epoll loop,
 * as redis-benchmark drives Redis. Each client sends a batch of P
 * requests, waits for their P replies and sends the next batch; a reply's
 * latency runs from its batch's send, as redis-benchmark measures. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace bench-server [--host H] [--port P] [--token-file FILE]\n"
    "                 [-c CLIENTS] [-n REQUESTS] [-P PIPELINE] [-t TYPE]\n"
    "                 [-r KEYSPACE] [--csv]\n"
    "  TYPE: ping (default), add, contains, count or query. add and contains\n"
    "  take one atom (bench Q<n>) with n random below KEYSPACE (default 1000000);\n"
    "  query asks (age (Entity Q<n>) $a) for the ages of random entities below\n"
    "  KEYSPACE (the entities of 'pathspace gen': atoms / 8). Defaults: 50\n"
    "  clients, 100000 requests, pipeline 1. Prints requests per second and the\n"
    "  p50 and p99 latency (--csv: type,clients,pipeline,requests,rps,p50_ms,p99_ms,\n"
    "  max_ms).\n";

typedef struct bconn {
    ps_client *c;
    int out;          /* replies owed of the current batch */
    uint64_t t0;      /* the batch's send, ns             */
} bconn;

typedef struct bench {
    int type;
    uint64_t keyspace, n, sent, done, errors;
    uint32_t pipeline;
    uint64_t *lat;    /* ns per reply                      */
    uint64_t rng;
    ps_buf req;
} bench;

static int diag_oom(ps_diag *d)
{
    snprintf(d->msg, sizeof d->msg, "out of memory");
    return d->code = PS_E_NOMEM;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t next_rand(bench *b)
{
    uint64_t z = (b->rng += 0x9E3779B97F4A7C15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* n as 8 lower-case hex digits (the keyspace is below 2^32). */
static void hex8(char *out, uint32_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 7; i >= 0; i--, n >>= 4)
        out[i] = digits[n & 15];
}

/* One request's payload into b->req, built once and patched with the
 * next random key, as redis-benchmark patches __rand_int__. */
static int make_req(bench *b)
{
    char sym[9] = { 'Q' };
    if (b->type == PS_MSG_PING || b->type == PS_MSG_COUNT) {
        if (b->req.len || b->type == PS_MSG_COUNT)
            return 0;
        uint8_t hb[PS_HEARTBEAT_SIZE] = { 0 };
        return ps_buf_append(&b->req, hb, sizeof hb);
    }
    hex8(sym + 1, (uint32_t)(next_rand(b) % b->keyspace));
    ps_buf_clear(&b->req, 0);
    if (b->type == PS_MSG_QUERY) {
        char pat[64];
        int pl = snprintf(pat, sizeof pat, "(age (Entity %.9s) $a)", sym);
        uint8_t h[24] = { 0 };
        ps_write_le32(h, (uint32_t)pl);
        ps_write_le32(h + 4, 2);
        return ps_buf_append(&b->req, h, sizeof h) || ps_buf_append(&b->req, pat, (size_t)pl) ||
               ps_buf_append(&b->req, "$a", 2);
    }
    /* (bench Q...) in MORK's encoding: a 2-list, two symbols */
    uint8_t atom[2 + 5 + 1 + 9] = { 0x02, 0xC5, 'b', 'e', 'n', 'c', 'h', 0xC9 };
    memcpy(atom + 8, sym, 9);
    ps_bytes item = ps_bytes_of(atom, sizeof atom);
    return ps_batch_encode(&b->req, PS_FORM_PATHS, &item, 1);
}

static int fail_diag(const char *what, const ps_diag *d)
{
    return die("bench-server %s: %s", what, d->msg);
}

static int send_batch(bench *b, bconn *k, ps_diag *d)
{
    uint32_t m = 0;
    while (m < b->pipeline && b->sent < b->n) {
        if (make_req(b) || ps_client_send(k->c, b->type, ps_buf_bytes(&b->req), NULL))
            return diag_oom(d);
        m++;
        b->sent++;
    }
    k->out = (int)m;
    k->t0 = now_ns();
    return m ? ps_client_flush(k->c, d) : 0;
}

/* The replies that have come; the next batch once all P are in. */
static int on_readable(bench *b, bconn *k, ps_diag *d)
{
    do {
        ps_reply r;
        int rc = ps_client_recv(k->c, &r, d);
        if (rc)
            return rc;
        if (r.f.type == PS_MSG_ERROR)
            b->errors++;
        b->lat[b->done++] = now_ns() - k->t0;
        if (--k->out == 0)
            return send_batch(b, k, d);
    } while (ps_client_ready(k->c));
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int drive(bench *b, bconn *cs, uint32_t nc, ps_diag *d)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return die("epoll: %s", strerror(errno));
    int rc = 0;
    for (uint32_t i = 0; i < nc && !rc; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, ps_client_fd(cs[i].c), &ev))
            rc = die("epoll: %s", strerror(errno));
        else
            rc = send_batch(b, &cs[i], d) ? fail_diag("send", d) : 0;
    }
    while (!rc && b->done < b->sent) {
        struct epoll_event ev[256];
        int n = epoll_wait(ep, ev, 256, 10000);
        if (n == 0)
            rc = die("bench-server: no reply for 10 s");
        for (int i = 0; i < n && !rc; i++)
            if (on_readable(b, ev[i].data.ptr, d))
                rc = fail_diag("recv", d);
    }
    close(ep);
    return rc;
}

static const char *type_name(int t)
{
    return t == PS_MSG_PING ? "ping" : t == PS_MSG_ADD ? "add" : t == PS_MSG_CONTAINS ? "contains"
           : t == PS_MSG_COUNT ? "count" : "query";
}

static int type_parse(const char *v)
{
    return !strcmp(v, "ping") ? PS_MSG_PING : !strcmp(v, "add") ? PS_MSG_ADD
           : !strcmp(v, "contains") ? PS_MSG_CONTAINS : !strcmp(v, "count") ? PS_MSG_COUNT
           : !strcmp(v, "query") ? PS_MSG_QUERY : -1;
}

static void print_run(const bench *b, uint32_t nc, uint64_t ns, int csv)
{
    qsort(b->lat, b->done, sizeof *b->lat, cmp_u64);
    double rps = (double)b->done / ((double)ns / 1e9);
    double p50 = (double)b->lat[b->done / 2] / 1e6;
    double p99 = (double)b->lat[b->done * 99 / 100] / 1e6;
    double max = (double)b->lat[b->done - 1] / 1e6;
    if (csv)
        printf("%s,%u,%u,%" PRIu64 ",%.0f,%.3f,%.3f,%.3f\n", type_name(b->type), nc,
               b->pipeline, b->done, rps, p50, p99, max);
    else
        printf("%s: %" PRIu64 " requests, %u clients, pipeline %u: %.0f requests/s, "
               "p50 %.3f ms, p99 %.3f ms%s\n", type_name(b->type), b->done, nc, b->pipeline,
               rps, p50, p99, b->errors ? " (with errors)" : "");
}

int cmd_bench_server(int argc, char **argv)
{
    if (has_help(argc, argv, usage))
        return 0;
    const char *host = "127.0.0.1";
    uint64_t port = PS_CLI_PORT, nc = 50, v;
    char token[258] = "";
    int csv = 0;
    bench b = { .type = PS_MSG_PING, .keyspace = 1000000, .n = 100000, .pipeline = 1,
                .rng = 42 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *x = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--csv")) {
            csv = 1;
            continue;
        }
        if (!x)
            return die("bench-server: %s needs a value", a), 2;
        i++;
        if (!strcmp(a, "--host"))
            host = x;
        else if (!strcmp(a, "--token-file")) {
            if (read_token(x, token, sizeof token))
                return 2;
        } else if (!strcmp(a, "-t")) {
            if ((b.type = type_parse(x)) < 0)
                return die("bench-server -t ping|add|contains|count|query"), 2;
        } else if (parse_u64(x, &v) || v == 0)
            return die("bench-server %s: '%s' is not a positive number", a, x), 2;
        else if (!strcmp(a, "--port") && v < 65536)
            port = v;
        else if (!strcmp(a, "-c") && v <= 10000)
            nc = v;
        else if (!strcmp(a, "-n"))
            b.n = v;
        else if (!strcmp(a, "-P") && v <= 4096)
            b.pipeline = (uint32_t)v;
        else if (!strcmp(a, "-r") && v <= UINT32_MAX)
            b.keyspace = v;
        else
            return die("bench-server: bad option %s %s", a, x), 2;
    }
    const char *env = getenv("PATHSPACE_TOKEN");
    if (!token[0] && env)
        snprintf(token, sizeof token, "%s", env);
    bconn *cs = calloc(nc, sizeof *cs);
    b.lat = malloc(b.n * sizeof *b.lat);
    if (!cs || !b.lat)
        return die("out of memory");
    ps_client_opts o;
    ps_client_opts_init(&o);
    o.token = token[0] ? token : NULL;
    ps_diag d = { 0 };
    int rc = 0;
    uint32_t made = 0;
    for (; made < nc && !rc; made++)
        if (ps_client_connect(host, (uint16_t)port, &o, &cs[made].c, &d))
            rc = fail_diag("connect", &d);
    uint64_t t0 = now_ns();
    if (!rc)
        rc = drive(&b, cs, (uint32_t)nc, &d);
    uint64_t ns = now_ns() - t0;
    if (!rc && b.done)
        print_run(&b, (uint32_t)nc, ns, csv);
    for (uint32_t i = 0; i < made; i++)
        ps_client_close(cs[i].c);
    free(cs);
    free(b.lat);
    ps_buf_free(&b.req);
    if (!rc && b.errors)
        rc = die("bench-server: %" PRIu64 " requests answered with an error", b.errors);
    return rc;
}
