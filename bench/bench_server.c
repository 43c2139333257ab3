/*
 * bench_server.c - the fifth system on its real send path.
 *
 * 1. The write-up's table: a heartbeat encoded flat (one pooled buffer of
 *    exactly its size, one iovec) against nested (9 separate allocations,
 *    one iovec each), in ns and in allocations per message (every malloc of
 *    the process is counted), encoding alone and encoding plus a writev.
 * 2. The checkpoint's pause: a server holding 1M and 10M atoms forks for
 *    a checkpoint; the loop's pause (fork) and the worst PING round trip a
 *    client sees meanwhile.
 * 3. pathspace serve against redis-server in the same run, durability set
 *    alike (log synced every second against appendfsync everysec):
 *    pathspace bench-server against redis-benchmark, same clients and
 *    pipeline, for ADD/SADD, CONTAINS/SISMEMBER, PING/PING and (ours only)
 *    a selective QUERY. Medians of PS_BENCH_REPS runs (default 3 here).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pathspace.h"
#include "common.h"
#include "../tests/malloc_count.h"

/* ------------------------------------------------------ 1. heartbeats */

enum { MSGS = 1000000 };
static int devnull = -1;

typedef struct hb_fields {
    uint64_t sender, dest;
    uint8_t type;
    uint64_t uptime, seq;
    uint32_t hops;
    uint64_t origin, node, stamp;
} hb_fields;

static void fill(hb_fields *h, uint64_t i)
{
    h->sender = 1, h->dest = 2, h->type = 3, h->uptime = i * 10, h->seq = i, h->hops = 4;
    h->origin = 5, h->node = 6, h->stamp = i ^ 77;
}

/* Flat: the frame header and the heartbeat in one pooled buffer. */
static void flat(void *arg)
{
    int send = *(int *)arg;
    hb_fields h;
    for (uint64_t i = 0; i < MSGS; i++) {
        fill(&h, i);
        ps_heartbeat hb = { h.node, h.uptime, h.seq, h.hops, 0 };
        ps_buf b;
        if (ps_heartbeat_frame(&b, PS_MSG_PING, i, &hb))
            abort();
        struct iovec v = { ps_buf_data(&b), b.len };
        CLOBBER(b.base);
        if (send && writev(devnull, &v, 1) < 0)
            abort();
        ps_pool_put(&b);
    }
}

/* Nested: each of the 9 fields in a buffer of its own, as the write-up's
 * "before" did, and an iovec per buffer. */
static void nested(void *arg)
{
    int send = *(int *)arg;
    hb_fields h;
    for (uint64_t i = 0; i < MSGS; i++) {
        fill(&h, i);
        const uint64_t vals[9] = { h.sender, h.dest, h.type, h.uptime, h.seq, h.hops,
                                   h.origin, h.node, h.stamp };
        static const uint8_t sizes[9] = { 8, 8, 1, 8, 8, 4, 8, 8, 8 };
        struct iovec v[9];
        for (int k = 0; k < 9; k++) {
            uint8_t *p = malloc(sizes[k]);
            if (!p)
                abort();
            memcpy(p, &vals[k], sizes[k]);
            v[k].iov_base = p;
            v[k].iov_len = sizes[k];
        }
        CLOBBER(v);
        if (send && writev(devnull, v, 9) < 0)
            abort();
        for (int k = 0; k < 9; k++)
            free(v[k].iov_base);
    }
}

static void heartbeat_table(void)
{
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    printf("heartbeats: flat (one pooled buffer, one iovec) vs nested (9 allocations, 9 "
           "iovecs); %d messages, median of %d\n", MSGS, bench_reps());
    printf("%-22s %10s %10s %8s %14s %14s\n", "", "flat ns", "nested ns", "speedup",
           "flat allocs", "nested allocs");
    for (int send = 0; send < 2; send++) {
        flat(&send); /* warm the pool */
        unsigned long long m0 = t_malloc_calls();
        double tf = bench_time(flat, &send);
        unsigned long long m1 = t_malloc_calls();
        double tn = bench_time(nested, &send);
        unsigned long long m2 = t_malloc_calls();
        double runs = (double)bench_reps() * MSGS;
        printf("%-22s %10.1f %10.1f %7.2fx %14.2f %14.2f\n",
               send ? "encode + writev" : "encode", tf / MSGS * 1e9, tn / MSGS * 1e9, tn / tf,
               (double)(m1 - m0) / runs, (double)(m2 - m1) / runs);
    }
    printf("(allocations: every malloc/calloc/realloc of the process, counted)\n");
    close(devnull);
}

/* ------------------------------------------------------ processes */

static char cli[256];
static char tmp[256];

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "bench_server: %s: %s\n", what, strerror(errno));
        exit(1);
    }
}

/* Runs argv (output to log, or discarded); returns the pid. */
static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    must(pid >= 0, "fork");
    if (pid == 0) {
        int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The command's standard output (the caller frees it); NULL if it failed. */
static char *capture(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    must(f != NULL, cmd);
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t k;
    while (s && (k = fread(s + n, 1, cap - 1 - n, f)) > 0)
        n += k;
    int rc = pclose(f);
    if (!s || rc) {
        free(s);
        return NULL;
    }
    s[n] = 0;
    return s;
}

static int have(const char *prog)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

typedef struct server {
    pid_t pid;
    int port;
    char dir[512];
} server;

static void start_ps(server *s, const char *dir, const char *fsync)
{
    char pf[600], port[16];
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(pf, sizeof pf, "%s.port", dir);
    unlink(pf);
    char *argv[] = { cli, "serve", s->dir, "--port", "0", "--port-file", pf, "--fsync",
                     (char *)fsync, "--quiet", NULL };
    s->pid = spawn(argv, NULL);
    for (int i = 0; i < 600; i++) {
        FILE *f = fopen(pf, "r");
        if (f && fgets(port, sizeof port, f)) {
            fclose(f);
            s->port = atoi(port);
            return;
        }
        if (f)
            fclose(f);
        usleep(50000);
    }
    fprintf(stderr, "bench_server: pathspace serve did not start\n");
    exit(1);
}

static int free_port(void);

static void start_redis(server *s, const char *dir)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    mkdir(dir, 0755);
    s->port = free_port();
    char port[16], ping[256];
    snprintf(port, sizeof port, "%d", s->port);
    char *argv[] = { "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", s->dir,
                     "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                     "--daemonize", "no", NULL };
    s->pid = spawn(argv, NULL);
    snprintf(ping, sizeof ping, "redis-cli -p %d ping >/dev/null 2>&1", s->port);
    for (int i = 0; i < 200; i++) {
        if (system(ping) == 0)
            return;
        usleep(50000);
    }
    fprintf(stderr, "bench_server: redis-server did not start\n");
    exit(1);
}

static void stop(server *s)
{
    kill(s->pid, SIGTERM);
    wait_exit(s->pid);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t len = sizeof a;
    must(fd >= 0 && !bind(fd, (struct sockaddr *)&a, len) &&
         !getsockname(fd, (struct sockaddr *)&a, &len), "a free port");
    close(fd);
    return ntohs(a.sin_port);
}

/* A persistent space of n generated atoms, written by `pathspace open
 * --import` (logged, then checkpointed) before any server starts. */
static void preload(const char *dir, uint64_t n)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s gen --atoms %llu --seed 1 -o %s.snap --tmp %s >/dev/null 2>&1 && "
             "%s open %s --fsync never --import %s.snap </dev/null >/dev/null 2>&1 && "
             "rm -f %s.snap", cli, (unsigned long long)n, dir, tmp, cli, dir, dir, dir);
    must(system(cmd) == 0, "preloading a space");
}

typedef struct result {
    double rps, p50, p99, max;
} result;

/* Median of each figure over the runs. */
static result median(result *r, int n)
{
    double a[16], b[16], c[16], d[16];
    for (int i = 0; i < n; i++)
        a[i] = r[i].rps, b[i] = r[i].p50, c[i] = r[i].p99, d[i] = r[i].max;
    result m = { bench_median(a, n), bench_median(b, n), bench_median(c, n), bench_median(d, n) };
    return m;
}

/* bench-server's csv: type,clients,pipeline,requests,rps,p50_ms,p99_ms,max_ms */
static int run_ours(int port, const char *type, int c, int n, int p, int r, result *out)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s bench-server --port %d -c %d -n %d -P %d -t %s -r %d --csv",
             cli, port, c, n, p, type, r);
    char *s = capture(cmd);
    if (!s)
        return -1;
    char t[32];
    int k = sscanf(s, "%31[^,],%*d,%*d,%*d,%lf,%lf,%lf,%lf", t, &out->rps, &out->p50, &out->p99,
                   &out->max);
    free(s);
    return k == 5 ? 0 : -1;
}

/* redis-benchmark --csv: a header line, then "name","rps","avg","min","p50","p95","p99","max" */
static int run_redis(int port, const char *command, int c, int n, int p, int r, result *out)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "redis-benchmark -p %d -c %d -n %d -P %d -r %d --csv %s 2>/dev/null",
             port, c, n, p, r, command);
    char *s = capture(cmd);
    if (!s)
        return -1;
    char *line = strrchr(s, '\n');
    while (line && line > s && line[1] == 0) { /* the last non-empty line */
        *line = 0;
        line = strrchr(s, '\n');
    }
    line = line ? line + 1 : s;
    char *q = strstr(line, "\",\"");
    int k = q ? sscanf(q, "\",\"%lf\",\"%*f\",\"%*f\",\"%lf\",\"%*f\",\"%lf\",\"%lf\"", &out->rps,
                       &out->p50, &out->p99, &out->max)
              : 0;
    free(s);
    return k == 4 ? 0 : -1;
}

/* ------------------------------------------------ 2. checkpoint pause */

static uint64_t stat_of(int port, const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s client --port %d stats", cli, port);
    char *s = capture(cmd);
    must(s != NULL, "client stats");
    char key[64];
    snprintf(key, sizeof key, "\n%s ", name);
    char *at = strstr(s, key);
    uint64_t v = at ? strtoull(at + strlen(key), NULL, 10) : 0;
    free(s);
    return v;
}

/* The loop's pause for fork() and the worst PING a client saw while the
 * checkpoints ran, at n atoms. */
static void pause_row(const char *dir, uint64_t n)
{
    server s;
    start_ps(&s, dir, "everysec");
    double fork_us[16], ckpt_ms[16];
    int reps = bench_reps();
    char pinger[1024], ck[1024];
    snprintf(pinger, sizeof pinger, "%s bench-server --port %d -c 1 -n 200000 -t ping --csv",
             cli, s.port);
    snprintf(ck, sizeof ck, "%s client --port %d checkpoint >/dev/null", cli, s.port);
    result idle, busy;
    must(run_ours(s.port, "ping", 1, 20000, 1, 1, &idle) == 0, "ping");
    FILE *pf = popen(pinger, "r"); /* PINGs all through the checkpoints */
    for (int i = 0; i < reps; i++) {
        must(system(ck) == 0, "client checkpoint");
        fork_us[i] = (double)stat_of(s.port, "fork_us_last");
        ckpt_ms[i] = (double)stat_of(s.port, "ckpt_ms_last");
    }
    char line[256] = "";
    must(pf && fgets(line, sizeof line, pf), "the pinger");
    pclose(pf);
    sscanf(line, "%*[^,],%*d,%*d,%*d,%lf,%lf,%lf,%lf", &busy.rps, &busy.p50, &busy.p99,
           &busy.max);
    long rss = 0;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)s.pid);
    FILE *st = fopen(path, "r");
    while (st && fgets(buf, sizeof buf, st))
        if (!strncmp(buf, "VmRSS:", 6))
            rss = atol(buf + 6) * 1024;
    if (st)
        fclose(st);
    printf("%10.1fM %9.0f MB %11.0f %12.0f %12.2f %12.2f %14.2f\n", (double)n / 1e6,
           (double)rss / 1e6, bench_median(fork_us, reps), bench_median(ckpt_ms, reps),
           idle.max, busy.p99, busy.max);
    stop(&s);
}

/* ------------------------------------------------ 3. against Redis */

typedef struct op {
    const char *ours, *redis, *label; /* redis NULL: ours only */
    int keyspace;
} op;

static void compare_row(const op *o, int ps_port, int redis_port, int c, int p, int n)
{
    int reps = bench_reps();
    result a[16], b[16];
    int have_redis = o->redis && redis_port;
    uint64_t al0 = stat_of(ps_port, "allocs"), rq0 = stat_of(ps_port, "requests");
    for (int i = 0; i < reps; i++) { /* interleaved, so both see the same machine */
        must(run_ours(ps_port, o->ours, c, n, p, o->keyspace, &a[i]) == 0, "bench-server");
        if (have_redis)
            must(run_redis(redis_port, o->redis, c, n, p, o->keyspace, &b[i]) == 0,
                 "redis-benchmark");
    }
    uint64_t al1 = stat_of(ps_port, "allocs"), rq1 = stat_of(ps_port, "requests");
    result x = median(a, reps);
    printf("%-22s %4d %3d %10.0f %7.3f %7.3f %9.4f", o->label, c, p, x.rps, x.p50, x.p99,
           (double)(al1 - al0) / (double)(rq1 - rq0));
    if (have_redis) {
        result y = median(b, reps);
        printf(" %10.0f %7.3f %7.3f %7.2fx\n", y.rps, y.p50, y.p99, x.rps / y.rps);
    } else
        printf(" %10s %7s %7s %8s\n", "-", "-", "-", "-");
}

static void compare_table(const char *dir, uint64_t atoms)
{
    int quick = bench_quick();
    server ps, rd = { 0, 0, "" };
    start_ps(&ps, dir, "everysec");
    int redis = have("redis-server") && have("redis-benchmark") && have("redis-cli");
    char rdir[300];
    snprintf(rdir, sizeof rdir, "%s/redis", tmp);
    if (redis)
        start_redis(&rd, rdir);
    else
        printf("(redis-server, redis-benchmark or redis-cli not found: `make bench-deps` "
               "installs redis-server; its columns are left out)\n");
    const op ops[] = {
        { "add", "sadd myset element:__rand_int__", "ADD / SADD", 1000000 },
        { "contains", "sismember myset element:__rand_int__", "CONTAINS / SISMEMBER", 1000000 },
        { "ping", "ping", "PING / PING", 1000000 },
        { "query", NULL, "QUERY (one entity)", (int)(atoms / 8) },
    };
    static const int clients[] = { 1, 50, 200 }, pipes[] = { 1, 16 };
    printf("pathspace serve (--fsync everysec, %.1fM atoms) vs redis-server (appendonly, "
           "appendfsync everysec); pathspace bench-server vs redis-benchmark, median of %d\n",
           (double)atoms / 1e6, bench_reps());
    printf("%-22s %4s %3s %10s %7s %7s %9s %10s %7s %7s %8s\n", "op", "c", "P", "ps req/s",
           "p50 ms", "p99 ms", "allocs/rq", "redis", "p50 ms", "p99 ms", "ps/redis");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (int ci = 0; ci < (quick ? 2 : 3); ci++)
            for (int pi = 0; pi < 2; pi++) {
                int c = clients[ci], p = pipes[pi];
                int n = quick ? 2000 : c == 1 && p == 1 ? 20000 : p == 1 ? 100000 : 400000;
                if (ops[i].redis == NULL)
                    n /= 4;
                compare_row(&ops[i], ps.port, redis ? rd.port : 0, c, p, n);
            }
    printf("(allocs/rq: the server loop's allocations per request over the row's runs, "
           "connection set-up and the trie's growth for new atoms included)\n");
    stop(&ps);
    if (redis)
        stop(&rd);
}

int main(int argc, char **argv)
{
    (void)argc;
    char *slash = strrchr(argv[0], '/');
    snprintf(cli, sizeof cli, "%.*s/../pathspace", slash ? (int)(slash - argv[0]) : 1,
             slash ? argv[0] : ".");
    must(access(cli, X_OK) == 0, cli);
    const char *base = getenv("PS_BENCH_DIR");
    if (!getenv("PS_BENCH_REPS"))
        setenv("PS_BENCH_REPS", "3", 1);
    snprintf(tmp, sizeof tmp, "%s/ps_bench_server_XXXXXX", base && *base ? base : "/tmp");
    must(mkdtemp(tmp) != NULL, "mkdtemp");
    signal(SIGPIPE, SIG_IGN);

    heartbeat_table();
    printf("\n");

    int quick = bench_quick();
    uint64_t sizes[2] = { quick ? 20000 : 1000000, 10000000 };
    printf("checkpoint in a forked child, PINGs from one client meanwhile (median of %d)\n",
           bench_reps());
    printf("%11s %12s %11s %12s %12s %12s %14s\n", "atoms", "server RSS", "fork us",
           "child ms", "idle max ms", "busy p99 ms", "busy max ms");
    char dir[2][320];
    for (int i = 0; i < (quick ? 1 : 2); i++) {
        snprintf(dir[i], sizeof dir[i], "%s/space%d", tmp, i);
        preload(dir[i], sizes[i]);
        pause_row(dir[i], sizes[i]);
    }
    printf("\n");
    compare_table(dir[0], sizes[0]);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : 1;
}
