/*
 * bench_http.c - MORK's HTTP API (pathspace serve --http) beside the
 * binary protocol, on one served space in this process, with libcurl as
 * the HTTP client (one keep-alive connection) and ps_client as the binary
 * one:
 *   1. upload: N generated atoms as MeTTa text, one POST, against ADD
 *      batches of 65536 atoms; and into a namespace (the matching path);
 *   2. export: every atom as text, against the binary EXPORT;
 *   3. count of a prefix (HTTP: count, then status polls until the
 *      countResult), against COUNT;
 *   4. a selective query's round trip (one atom of N): p50 and p99 over
 *      1000 requests of each protocol, interleaved, and HTTP's own cost (a
 *      /status/- that does no work); on both cores as the scheduler places
 *      the threads, then with every thread on one core (the software's
 *      cost alone: on two, an idle core's wake-up decides);
 *   5. JSON import over HTTP (a file:// import, polled to its end), in MB/s
 *      and atoms/s, beside MORK's published figure (808 MB of JSON into
 *      16.0M paths in 17.4 s on 36 cores);
 *   6. the binary protocol's worst PING while HTTP exports the whole
 *      space: written by a forked child, and (a server with
 *      fork_results 0) under the lock in the connection's thread.
 * Medians of PS_BENCH_REPS runs (default 3 here); log synced per commit.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathspace.h"
#include "common.h"

static ps_server *srv;
static ps_served *sv;
static ps_http *web;
static ps_pspace *sp;
static CURL *cu;
static ps_client *cl;
static char base[64], dir[] = "/tmp/ps_bench_http_XXXXXX";
static ps_buf text, reply;
static uint64_t natoms;

static size_t take(char *p, size_t sz, size_t n, void *ctx)
{
    (void)ctx;
    ps_buf_append(&reply, p, sz * n);
    return sz * n;
}

/* One request; the body in reply, the HTTP status returned. */
static long http(const char *path, const void *body, size_t len)
{
    char url[4096];
    snprintf(url, sizeof url, "%s%s", base, path);
    ps_buf_clear(&reply, 0);
    curl_easy_setopt(cu, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else
        curl_easy_setopt(cu, CURLOPT_HTTPGET, 1L);
    bench_must(curl_easy_perform(cu) != CURLE_OK, "curl");
    long code;
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

static void must_ok(long code, const char *what)
{
    if (code != 200) {
        fprintf(stderr, "bench_http: %s: HTTP %ld: %.*s\n", what, code, (int)reply.len,
                (const char *)ps_buf_data(&reply));
        exit(1);
    }
}

/* Polls /status/EXPR until it is not temporary. */
static void settle(const char *expr)
{
    char p[512];
    snprintf(p, sizeof p, "/status/%s", expr);
    for (;;) {
        must_ok(http(p, NULL, 0), "status");
        if (!memmem(ps_buf_data(&reply), reply.len, "Temporary", 9))
            return;
        usleep(200);
    }
}

static void *loop(void *a)
{
    (void)a;
    bench_must(ps_server_run(srv, NULL), "server");
    return NULL;
}

static uint64_t fork_results = 65536; /* the next start()'s */
static char files[600];               /* its --http-files */

static void start(pthread_t *t)
{
    bench_must(!mkdtemp(dir), "mkdtemp");
    bench_must(ps_pspace_open(dir, NULL, &sp, NULL, NULL), "open");
    ps_server_opts so;
    ps_server_opts_init(&so);
    so.max_frame = 64u << 20;
    bench_must(ps_served_new(sp, &sv, NULL), "served");
    bench_must(ps_server_new(sv, &so, &srv, NULL), "server");
    ps_http_opts ho;
    ps_http_opts_init(&ho);
    ho.max_body = 1ull << 30;
    ho.fork_results = fork_results;
    snprintf(files, sizeof files, "%s.files", dir); /* file:// beside, not inside, the store */
    bench_must(mkdir(files, 0755) && errno != EEXIST, "mkdir");
    ho.files_dir = files;
    bench_must(ps_http_start(sv, &ho, &web, NULL), "http");
    bench_must(pthread_create(t, NULL, loop, NULL), "thread");
    snprintf(base, sizeof base, "http://127.0.0.1:%u", ps_http_port(web));
    cu = curl_easy_init();
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(cu, CURLOPT_TCP_NODELAY, 1L);
    bench_must(ps_client_connect("127.0.0.1", ps_server_port(srv), NULL, &cl, NULL), "connect");
}

static void stop(pthread_t t)
{
    ps_client_close(cl);
    curl_easy_cleanup(cu);
    ps_server_stop(srv);
    pthread_join(t, NULL);
    ps_http_stop(web);
    ps_server_free(srv);
    ps_served_free(sv);
    ps_pspace_close(sp, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, files);
    bench_must(system(cmd) != 0, "rm");
}

static void clear_all(void)
{
    must_ok(http("/clear/%24x/", NULL, 0), "clear");
}

/* ------------------------------------------------------------ 1. upload */

/* The median of bench_reps() runs of fn, each after an untimed clear. */
static double timed_fresh(void (*fn)(void *), void *arg)
{
    double t[99];
    int n = bench_reps() < 99 ? bench_reps() : 99;
    for (int i = 0; i < n; i++) {
        clear_all();
        double t0 = bench_now();
        fn(arg);
        t[i] = bench_now() - t0;
    }
    return bench_median(t, n);
}

static void up_http(void *a)
{
    must_ok(
        http(a ? "/upload/%24x/(ns%20%24x)/" : "/upload/%24x/%24x/", ps_buf_data(&text), text.len),
        "upload");
}

static void up_binary(void *a)
{
    (void)a;
    ps_parser *p;
    bench_must(ps_parser_new(&p), "parser");
    ps_parser_reset(p, ps_buf_data(&text), text.len);
    enum { BATCH = 65536 };
    static ps_bytes items[BATCH];
    ps_buf hold = { 0 };
    size_t n = 0;
    size_t off[BATCH];
    ps_bytes at;
    for (int more = 1; more;) {
        more = ps_parser_next(p, &at, NULL) == PS_OK;
        if (more) {
            off[n] = hold.len;
            items[n].len = at.len;
            ps_buf_append(&hold, at.ptr, at.len);
            n++;
        }
        if (n == BATCH || (!more && n)) {
            for (size_t i = 0; i < n; i++)
                items[i].ptr = ps_buf_data(&hold) + off[i];
            ps_change ch;
            bench_must(ps_client_add(cl, PS_FORM_PATHS, items, n, &ch, NULL), "add");
            n = 0;
            ps_buf_clear(&hold, 0);
        }
    }
    ps_buf_free(&hold);
    ps_parser_free(p);
}

/* ------------------------------------------------------------ 2. export */

static void ex_http(void *a)
{
    (void)a;
    must_ok(http("/export/%24x/%24x/", NULL, 0), "export");
}

static ps_buf exported;
static void ex_binary(void *a)
{
    (void)a;
    ps_buf_clear(&exported, 0);
    bench_must(ps_client_export(cl, PS_EXPORT_TEXT, ps_bytes_of(NULL, 0), ps_sink_buf(&exported),
                                NULL, NULL),
               "export");
}

/* ------------------------------------------------------------- 3. count */

static ps_buf age_prefix;
static void co_http(void *a)
{
    (void)a;
    must_ok(http("/count/(age%20%24x%20%24y)/", NULL, 0), "count");
    settle("(age%20%24x%20%24y)");
}

static void co_binary(void *a)
{
    (void)a;
    uint64_t n;
    bench_must(ps_client_count(cl, ps_buf_bytes(&age_prefix), &n, NULL), "count");
}

/* ------------------------------------------------------------- 4. query */

static int one(void *ctx, ps_bytes r)
{
    (void)r;
    ++*(uint64_t *)ctx;
    return 0;
}

/* Round trips, in microseconds, of three requests interleaved, so that
 * each sees the machine in the same state (an idle core's wake-up shows in
 * every column alike): a selective query over HTTP, the same query over
 * the binary protocol, and HTTP's /status/- (no work: HTTP's own cost). */
enum { LAT_N = 1000 };
static double lat[3][LAT_N];

static void latencies(void)
{
    char path[256], pat[128];
    for (int i = 0; i < LAT_N; i++) {
        uint64_t e = (uint64_t)(i * 7919) % (natoms / 12 + 1), got = 0, n;
        unsigned fl;
        snprintf(pat, sizeof pat, "(age (Entity Q%08llu) $x)", (unsigned long long)e);
        snprintf(path, sizeof path, "/export/(age%%20(Entity%%20Q%08llu)%%20%%24x)/%%24x/",
                 (unsigned long long)e);
        double t0 = bench_now();
        must_ok(http(path, NULL, 0), "query");
        double t1 = bench_now();
        bench_must(ps_client_query(cl, ps_bytes_of(pat, strlen(pat)), ps_bytes_of("$x", 2), NULL,
                                   one, &got, &n, &fl, NULL),
                   "query");
        double t2 = bench_now();
        must_ok(http("/status/-", NULL, 0), "status");
        lat[0][i] = (t1 - t0) * 1e6;
        lat[1][i] = (t2 - t1) * 1e6;
        lat[2][i] = (bench_now() - t2) * 1e6;
    }
    for (int k = 0; k < 3; k++)
        bench_median(lat[k], LAT_N); /* sorts */
}

/* On two cores, each round trip's cost depends on where the scheduler
 * put the threads (an idle core's wake-up takes tens of microseconds);
 * with every thread on one core it is the software's alone. */
static void print_latencies(const char *where)
{
    latencies();
    double *h = lat[0], *b = lat[1], *st = lat[2];
    int m = LAT_N / 2, p99 = LAT_N * 99 / 100;
    char name[80];
    snprintf(name, sizeof name, "query p50, %s", where);
    printf("%-42s %10.1f us %10.1f us %8.2f\n", name, h[m], b[m], b[m] / h[m]);
    snprintf(name, sizeof name, "query p99, %s", where);
    printf("%-42s %10.1f us %10.1f us %8.2f\n", name, h[p99], b[p99], b[p99] / h[p99]);
    snprintf(name, sizeof name, "GET /status/- p50, %s", where);
    printf("%-42s %10.1f us %12s %8s\n", name, st[m], "-", "-");
}

/* ------------------------------------------- 6. the loop during an export */

static volatile int exporting;
static double worst_ping;

/* Pings the binary protocol on a connection of its own while the main
 * thread exports over HTTP: the longest round trip is the loop's stall. */
static void *pinger(void *a)
{
    ps_client *c;
    bench_must(ps_client_connect("127.0.0.1", ps_server_port(srv), NULL, &c, NULL), "connect");
    (void)a;
    worst_ping = 0;
    while (exporting) {
        ps_heartbeat hb, back;
        memset(&hb, 0, sizeof hb);
        double t0 = bench_now();
        bench_must(ps_client_ping(c, &hb, &back, NULL), "ping");
        double dt = bench_now() - t0;
        worst_ping = dt > worst_ping ? dt : worst_ping;
    }
    ps_client_close(c);
    return NULL;
}

/* The whole space exported over HTTP, a pinger beside it: (export s, worst ping s). */
static void export_with_pings(double *ex, double *ping)
{
    pthread_t p;
    exporting = 1;
    bench_must(pthread_create(&p, NULL, pinger, NULL), "thread");
    usleep(20000);
    double t0 = bench_now();
    must_ok(http("/export/%24x/%24x/", NULL, 0), "export");
    *ex = bench_now() - t0;
    exporting = 0;
    pthread_join(p, NULL);
    *ping = worst_ping;
}

/* -------------------------------------------------------------- 5. JSON */

static char jfile[600];
static uint64_t jatoms;
static void json_import(void *a)
{
    char p[800];
    snprintf(p, sizeof p, "/import/%%24x/%s/?uri=file://%s", a ? "(j%20%24x)" : "%24x", jfile);
    must_ok(http(p, NULL, 0), "import");
    settle(a ? "(j%20%24x)" : "%24x");
}

static void make_json(size_t records)
{
    snprintf(jfile, sizeof jfile, "%s/in.json", files);
    FILE *f = fopen(jfile, "w");
    bench_must(!f, "json file");
    fputc('[', f);
    for (size_t i = 0; i < records; i++)
        fprintf(f,
                "%s{\"id\": %zu, \"name\": \"person %zu\", \"tags\": [\"t%zu\", \"u%zu\"], "
                "\"pos\": {\"x\": %zu.25, \"y\": -%zu}, \"ok\": %s, \"note\": null}",
                i ? ", " : "", i, i * 7, i % 13, i % 29, i % 1000, i % 77,
                i % 2 ? "true" : "false");
    fputc(']', f);
    bench_must(fclose(f) != 0, "json file");
    jatoms = records * 8;
}

int main(void)
{
    if (!getenv("PS_BENCH_REPS"))
        setenv("PS_BENCH_REPS", "3", 1);
    natoms = bench_quick() ? 100000 : 1000000;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t t;
    start(&t);
    bench_must(ps_gen_text(1, 0, natoms, &text), "gen");
    ps_diag d;
    bench_must(ps_atom_parse("(age $x $y)", 11, &age_prefix, &d), "parse");
    age_prefix.len = ps_atom_prefix(ps_buf_bytes(&age_prefix));
    double mb = (double)text.len / 1e6;

    printf("== bench_http: MORK's HTTP API beside the binary protocol, one space, %llu atoms "
           "(%.1f MB of text), log fsync always; medians of %d runs\n",
           (unsigned long long)natoms, mb, bench_reps());
    printf("%-42s %12s %12s %8s\n", "operation", "HTTP", "binary", "HTTP/bin");
    double hu = timed_fresh(up_http, NULL), bu = timed_fresh(up_binary, NULL);
    printf("%-42s %9.2f M/s %9.2f M/s %8.2f\n", "upload, atoms/s", natoms / hu / 1e6,
           natoms / bu / 1e6, bu / hu);
    double hn = timed_fresh(up_http, "ns");
    printf("%-42s %9.2f M/s %12s %8s\n", "upload into (ns $x), atoms/s", natoms / hn / 1e6, "-",
           "-");
    clear_all();
    up_http(NULL);
    double he = bench_time(ex_http, NULL), be = bench_time(ex_binary, NULL);
    printf("%-42s %8.1f MB/s %8.1f MB/s %8.2f\n", "export all as text", reply.len / he / 1e6,
           exported.len / be / 1e6, be / he);
    double hc = bench_time(co_http, NULL), bc = bench_time(co_binary, NULL);
    printf("%-42s %10.2f ms %10.2f ms %8.2f\n", "count of (age $x $y)", hc * 1e3, bc * 1e3,
           bc / hc);
    print_latencies("2 cores, as scheduled");

    double ef, pf, ei, pi;
    clear_all();
    up_http(NULL);
    export_with_pings(&ef, &pf);

    make_json(bench_quick() ? 20000 : 400000);
    FILE *f = fopen(jfile, "r");
    fseek(f, 0, SEEK_END);
    double jmb = (double)ftell(f) / 1e6;
    fclose(f);
    double ji = timed_fresh(json_import, NULL), jn = timed_fresh(json_import, "ns");
    printf("\n== JSON import over HTTP (%.1f MB, %llu atoms), beside MORK's figure\n", jmb,
           (unsigned long long)jatoms);
    printf("%-44s %10s %12s %10s\n", "", "MB/s", "atoms/s", "cores");
    printf("%-44s %10.1f %10.2f M %10d\n", "pathspace, import $x -> $x", jmb / ji,
           jatoms / ji / 1e6, 2);
    printf("%-44s %10.1f %10.2f M %10d\n", "pathspace, import $x -> (j $x)", jmb / jn,
           jatoms / jn / 1e6, 2);
    printf("%-44s %10.1f %10.2f M %10d\n", "MORK (published: 808 MB, 16.0M paths, 17.4 s)",
           808.0 / 17.4, 16.0 / 17.4, 36);
    unlink(jfile);
    stop(t);

    fork_results = 0; /* a server whose exports never fork */
    strcpy(dir, "/tmp/ps_bench_http_XXXXXX");
    start(&t);
    up_http(NULL);
    export_with_pings(&ei, &pi);
    stop(t);
    printf("\n== the binary protocol's worst PING while HTTP exports all %llu atoms\n",
           (unsigned long long)natoms);
    printf("%-42s %12s %14s\n", "", "export", "worst PING");
    printf("%-42s %9.1f ms %11.2f ms\n", "written by a forked child (the default)", ef * 1e3,
           pf * 1e3);
    printf("%-42s %9.1f ms %11.2f ms\n", "in the connection's thread, under the lock", ei * 1e3,
           pi * 1e3);
    fork_results = 65536;

    /* the round trips again, every thread of a new server on CPU 0 */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    bench_must(sched_setaffinity(0, sizeof one, &one) != 0, "affinity");
    strcpy(dir, "/tmp/ps_bench_http_XXXXXX");
    start(&t);
    up_http(NULL);
    printf("\n== a selective query's round trip, one space of %llu atoms (HTTP / binary)\n",
           (unsigned long long)natoms);
    print_latencies("one core");
    stop(t);
    ps_buf_free(&text);
    ps_buf_free(&reply);
    ps_buf_free(&exported);
    ps_buf_free(&age_prefix);
    curl_global_cleanup();
    return 0;
}
