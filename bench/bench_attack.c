/*
 * bench_attack.c - what honest clients see while the server is attacked
 * (docs/security.md). One served space (both front ends, in this process)
 * and two probes: a binary client that PINGs every 2 ms and an HTTP client
 * that asks GET /status/- every 10 ms, each from 127.0.0.1. Each attack
 * runs for a few seconds from its own loopback address, as a hostile
 * client would, and the table gives the probes' p50, p99 and worst, how
 * many probes went unanswered, and the process's peak memory, beside the
 * idle figures:
 *
 *   slowloris     256 HTTP connections sending their headers a byte a second
 *   big HELLO     100 unauthenticated binary connections each announcing a
 *                 16 MiB HELLO and sending 1 MiB of it
 *   partial ADD   200 connections (after HELLO) each announcing a 16 MiB
 *                 ADD and sending 4 MiB of it
 *   idle conns    1,024 binary connections that never say HELLO
 *   cross query   2 clients asking (, $a $b) -> (p) over and over (a cross
 *                 product of the space: the work is in the search)
 *   fat export    4 HTTP clients exporting 50,000 atoms through a template
 *                 that repeats its variable 40 times
 *   cross count   an HTTP client counting (, $a $b), a cross product, on
 *                 one of the asynchronous workers, again and again
 *   slow readers  16 clients asking for every atom as text, reading none
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "pathspace.h"

static ps_server *srv;
static ps_served *sv;
static ps_http *web;
static uint16_t bport, hport;
static atomic_int attacking, probing;

/* ----------------------------------------------------------- sockets */

/* A connection from 127.0.0.<from> to port (blocking, 2 s timeouts). */
static int dial(int from, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)from);
    struct timeval tv = { 2, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct linger lg = { 1, 0 }; /* reset: thousands of reconnects leave no TIME_WAIT */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (bind(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A frame header (docs/protocol.md): magic, version, type, flags, length, id. */
static void frame(uint8_t *h, uint8_t type, uint32_t len, uint64_t id)
{
    ps_frame f = { PS_PROTO_VERSION, type, 0, len, id };
    ps_frame_encode(&f, h);
}

/* ------------------------------------------------------------ probes */

typedef struct series {
    double v[20000];
    int n, fails;
} series;

static series pings, gets;

static void note(series *s, double t, int ok)
{
    if (!ok)
        s->fails++;
    else if (s->n < 20000)
        s->v[s->n++] = t;
}

static void *ping_probe(void *a)
{
    (void)a;
    ps_client *c = NULL;
    ps_client_opts co;
    ps_client_opts_init(&co);
    co.timeout_ms = 5000;
    while (atomic_load(&probing)) {
        if (!c && ps_client_connect("127.0.0.1", bport, &co, &c, NULL)) {
            note(&pings, 0, 0);
            usleep(100000);
            continue;
        }
        ps_heartbeat hb = { 0 }, r;
        double t0 = bench_now();
        int ok = !ps_client_ping(c, &hb, &r, NULL);
        note(&pings, bench_now() - t0, ok);
        if (!ok) {
            ps_client_close(c);
            c = NULL;
        }
        usleep(2000);
    }
    ps_client_close(c);
    return NULL;
}

static int http_status(void)
{
    int fd = dial(1, hport);
    if (fd < 0)
        return 0;
    static const char rq[] = "GET /status/- HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char buf[512];
    int ok = !send_all(fd, rq, sizeof rq - 1) && recv(fd, buf, sizeof buf, 0) >= 12 &&
             !memcmp(buf, "HTTP/1.1 200", 12);
    close(fd);
    return ok;
}

static void *get_probe(void *a)
{
    (void)a;
    while (atomic_load(&probing)) {
        double t0 = bench_now();
        int ok = http_status();
        note(&gets, bench_now() - t0, ok);
        usleep(10000);
    }
    return NULL;
}

/* ----------------------------------------------------------- attacks */

/* An attacker's thread runs at the lowest priority: its clients stand for
 * other machines, whose work is not the server's processor time. */
static void as_attacker(void)
{
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
}

typedef struct attack {
    const char *name;
    int conns;               /* sockets held at once (0: client threads) */
    int (*open)(int from);   /* one hostile connection, or -1             */
    void (*poke)(int fd);    /* every second while it lasts               */
    void *(*run)(void *);    /* or: a thread that attacks until told     */
    int threads;
} attack;

static int slow_open(int from)
{
    int fd = dial(from, hport);
    if (fd >= 0 && send_all(fd, "GET /status/- HTTP/1.1\r\n", 24)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void slow_poke(int fd)
{
    send(fd, "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int hello_open(int from)
{
    int fd = dial(from, bport);
    uint8_t h[PS_FRAME_HEADER];
    frame(h, PS_MSG_HELLO, 16u << 20, 1);
    static uint8_t junk[1u << 20];
    if (fd >= 0 && (send_all(fd, h, sizeof h) || send_all(fd, junk, sizeof junk))) {
        close(fd);
        return -1;
    }
    return fd;
}

static int partial_open(int from)
{
    int fd = dial(from, bport);
    if (fd < 0)
        return -1;
    uint8_t h[PS_FRAME_HEADER + 8], r[256];
    frame(h, PS_MSG_HELLO, 8, 1);
    memset(h + PS_FRAME_HEADER, 0, 8);
    h[PS_FRAME_HEADER] = h[PS_FRAME_HEADER + 2] = PS_PROTO_VERSION; /* versions lo..hi */
    static uint8_t junk[4u << 20];
    uint8_t a[PS_FRAME_HEADER];
    frame(a, PS_MSG_ADD, 16u << 20, 2);
    if (send_all(fd, h, sizeof h) || recv(fd, r, sizeof r, 0) <= 0 || send_all(fd, a, sizeof a) ||
        send_all(fd, junk, sizeof junk)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int idle_open(int from)
{
    return dial(from, bport);
}

static int drop(void *ctx, ps_bytes r)
{
    (void)ctx, (void)r;
    return 0;
}

static void *cross_query(void *a)
{
    (void)a;
    as_attacker();
    ps_client *c = NULL;
    if (ps_client_connect("127.0.0.1", bport, NULL, &c, NULL))
        return NULL;
    ps_client_qopts qo;
    ps_client_qopts_init(&qo);
    const char *p = "(, $a $b)", *t = "(p)";
    while (atomic_load(&attacking))
        ps_client_query(c, ps_bytes_of(p, strlen(p)), ps_bytes_of(t, strlen(t)), &qo, drop, NULL,
                        NULL, NULL, NULL);
    ps_client_close(c);
    return NULL;
}

static void *fat_export(void *a)
{
    (void)a;
    as_attacker();
    char rq[1024];
    int k = snprintf(rq, sizeof rq, "GET /export/(age%%20%%24x%%20%%24y)/(f");
    for (int i = 0; i < 40; i++)
        k += snprintf(rq + k, sizeof rq - (size_t)k, "%%20%%24x");
    snprintf(rq + k, sizeof rq - (size_t)k,
             ")/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    static char sink[1 << 16];
    while (atomic_load(&attacking)) {
        int fd = dial(6, hport);
        if (fd < 0 || send_all(fd, rq, strlen(rq))) {
            if (fd >= 0)
                close(fd);
            usleep(10000);
            continue;
        }
        while (atomic_load(&attacking) && recv(fd, sink, sizeof sink, 0) > 0)
            ;
        close(fd);
    }
    return NULL;
}

static void *cross_count(void *a)
{
    (void)a;
    as_attacker();
    static const char rq[] = "GET /count/(%2C%20%24a%20%24b)/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Connection: close\r\n\r\n";
    char sink[512];
    while (atomic_load(&attacking)) {
        int fd = dial(7, hport);
        if (fd >= 0 && !send_all(fd, rq, sizeof rq - 1))
            while (recv(fd, sink, sizeof sink, 0) > 0)
                ;
        if (fd >= 0)
            close(fd);
        usleep(20000);
    }
    return NULL;
}

/* 16 clients that ask for every atom as text and read none of it. */
static void *slow_readers(void *a)
{
    (void)a;
    as_attacker();
    int fd[16];
    uint8_t buf[256];
    for (int i = 0; i < 16; i++) {
        fd[i] = dial(8, bport);
        if (fd[i] < 0)
            continue;
        frame(buf, PS_MSG_HELLO, 8, 1);
        memset(buf + PS_FRAME_HEADER, 0, 8);
        buf[PS_FRAME_HEADER] = buf[PS_FRAME_HEADER + 2] = PS_PROTO_VERSION;
        send_all(fd[i], buf, PS_FRAME_HEADER + 8);
        recv(fd[i], buf, sizeof buf, 0);
        /* QUERY: u32 plen, u32 tlen, u32 batch, u8 form, u8 mode, u16 0, u64 limit, pattern */
        uint8_t q[PS_FRAME_HEADER + 24 + 2];
        memset(q, 0, sizeof q);
        frame(q, PS_MSG_QUERY, 24 + 2, 2);
        q[PS_FRAME_HEADER] = 2;                /* "$x" */
        q[PS_FRAME_HEADER + 12] = PS_FORM_TEXT;
        memcpy(q + PS_FRAME_HEADER + 24, "$x", 2);
        send_all(fd[i], q, sizeof q);
    }
    while (atomic_load(&attacking))
        usleep(10000);
    for (int i = 0; i < 16; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    return NULL;
}

/* Holds a.conns hostile connections from 127.0.0.from for secs, opening
 * again what the server closes; pokes each once a second. */
static void hold(const attack *a, int from, double secs)
{
    int *fd = calloc((size_t)a->conns, sizeof *fd);
    bench_must(!fd, "calloc");
    for (int i = 0; i < a->conns; i++)
        fd[i] = -1;
    double end = bench_now() + secs;
    while (bench_now() < end) {
        for (int i = 0; i < a->conns && bench_now() < end; i++) {
            char b;
            if (fd[i] >= 0 && recv(fd[i], &b, 1, MSG_DONTWAIT) == 0) { /* closed on us */
                close(fd[i]);
                fd[i] = -1;
            }
            if (fd[i] < 0)
                fd[i] = a->open(from);
            else if (a->poke)
                a->poke(fd[i]);
        }
        usleep(200000);
    }
    for (int i = 0; i < a->conns; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    free(fd);
}

typedef struct hold_arg {
    const attack *a;
    int from;
    double secs;
} hold_arg;

static void *hold_main(void *p)
{
    const hold_arg *h = p;
    as_attacker();
    hold(h->a, h->from, h->secs);
    return NULL;
}

/* ------------------------------------------------------------- table */

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(series *s, double p)
{
    if (!s->n)
        return 0;
    qsort(s->v, (size_t)s->n, sizeof *s->v, cmp);
    return s->v[(int)(p * (s->n - 1) + 0.5)];
}

static double idle_p99_ping, idle_p99_get;

static void row(const char *name, int asked_secs)
{
    (void)asked_secs;
    double pp50 = pct(&pings, 0.5) * 1e3, pp99 = pct(&pings, 0.99) * 1e3,
           pmax = pct(&pings, 1.0) * 1e3, g50 = pct(&gets, 0.5) * 1e3,
           g99 = pct(&gets, 0.99) * 1e3;
    if (!strcmp(name, "idle"))
        idle_p99_ping = pp99, idle_p99_get = g99;
    printf("%-13s %8.2f %8.2f %9.1f %6d %9.2f %9.2f %6d %7.0f %7.1fx %7.1fx\n", name, pp50, pp99,
           pmax, pings.fails, g50, g99, gets.fails, bench_rss_bytes() / 1048576.0,
           idle_p99_ping > 0 ? pp99 / idle_p99_ping : 1, idle_p99_get > 0 ? g99 / idle_p99_get : 1);
    fflush(stdout);
}

static void *loop(void *a)
{
    (void)a;
    ps_server_run(srv, NULL);
    return NULL;
}

int main(void)
{
    /* the attackers' sockets and the server's share this process */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl)) {
        rl.rlim_cur = rl.rlim_max < 16384 ? rl.rlim_max : 16384;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    double secs = bench_quick() ? 0.5 : 5;
    uint64_t atoms = bench_quick() ? 20000 : 400000;
    char dir[] = "/tmp/ps_bench_attack_XXXXXX";
    bench_must(!mkdtemp(dir), "mkdtemp");
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    po.fsync = PS_FSYNC_NEVER;
    ps_pspace *sp;
    bench_must(ps_pspace_open(dir, &po, &sp, NULL, NULL), "open");
    ps_space *g = bench_gen_space(atoms);
    ps_iter *it;
    bench_must(ps_iter_new(g, ps_bytes_of(NULL, 0), &it), "iter");
    ps_bytes p;
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK)
        bench_must(ps_pspace_add(sp, p, NULL), "add");
    ps_iter_free(it);
    ps_space_free(g);
    ps_server_opts so;
    ps_server_opts_init(&so);
    bench_must(ps_served_new(sp, &sv, NULL), "served");
    bench_must(ps_server_new(sv, &so, &srv, NULL), "server");
    ps_http_opts ho;
    ps_http_opts_init(&ho);
    bench_must(ps_http_start(sv, &ho, &web, NULL), "http");
    bport = ps_server_port(srv);
    hport = ps_http_port(web);
    pthread_t lt;
    bench_must(pthread_create(&lt, NULL, loop, NULL), "thread");

    static const attack attacks[] = {
        { "idle", 0, NULL, NULL, NULL, 0 },
        { "slowloris", 256, slow_open, slow_poke, NULL, 0 },
        { "big HELLO", 100, hello_open, NULL, NULL, 0 },
        { "partial ADD", 200, partial_open, NULL, NULL, 0 },
        { "idle conns", 1024, idle_open, NULL, NULL, 0 },
        { "cross query", 0, NULL, NULL, cross_query, 2 },
        { "fat export", 0, NULL, NULL, fat_export, 4 },
        { "cross count", 0, NULL, NULL, cross_count, 1 },
        { "slow readers", 0, NULL, NULL, slow_readers, 1 },
    };
    printf("== probes while attacked (%llu atoms served; %.1f s each; ms; from 127.0.0.1)\n",
           (unsigned long long)atoms, secs);
    printf("%-13s %8s %8s %9s %6s %9s %9s %6s %7s %8s %8s\n", "attack", "PING p50", "p99", "worst",
           "lost", "HTTP p50", "p99", "lost", "RSS MB", "PING p99", "HTTP p99");
    printf("%-13s %8s %8s %9s %6s %9s %9s %6s %7s %8s %8s\n", "", "", "", "", "", "", "", "", "",
           "vs idle", "vs idle");
    for (size_t i = 0; i < sizeof attacks / sizeof *attacks; i++) {
        const attack *a = &attacks[i];
        memset(&pings, 0, sizeof pings);
        memset(&gets, 0, sizeof gets);
        atomic_store(&probing, 1);
        atomic_store(&attacking, 1);
        pthread_t pt[2], at[8];
        bench_must(pthread_create(&pt[0], NULL, ping_probe, NULL), "thread");
        bench_must(pthread_create(&pt[1], NULL, get_probe, NULL), "thread");
        for (int k = 0; k < a->threads; k++)
            bench_must(pthread_create(&at[k], NULL, a->run, NULL), "thread");
        if (a->conns) {
            pthread_t h;
            hold_arg ha = { a, 2 + (int)i, secs };
            bench_must(pthread_create(&h, NULL, hold_main, &ha), "thread");
            pthread_join(h, NULL);
        } else
            usleep((useconds_t)(secs * 1e6));
        atomic_store(&probing, 0);
        pthread_join(pt[0], NULL);
        pthread_join(pt[1], NULL);
        atomic_store(&attacking, 0);
        for (int k = 0; k < a->threads; k++)
            pthread_join(at[k], NULL);
        row(a->name, (int)secs);
        usleep(300000); /* what the attack left goes before the next */
    }
    ps_server_stop(srv);
    pthread_join(lt, NULL);
    ps_http_stop(web);
    ps_server_free(srv);
    ps_served_free(sv);
    ps_pspace_close(sp, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) != 0;
}
