/* server.c - the server's life: listening, the epoll loop, its timers and
 * its stop (docs/protocol.md, "Server"). epoll is used directly: the loop
 * is small, and it keeps every allocation and every writev in our hands
 * (libuv would allocate a write request per send). */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include <sodium.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/opts.h"
#include "query/match.h"
#include "server.h"
#include "store/pspace.h"
#include "store/wal.h"
#include "wire.h"

#define TICK_MS 100

int64_t ps__now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void ps_server_opts_init(ps_server_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->max_clients = 1024;
    o->max_frame = PS_FRAME_MAX_DEFAULT;
    o->max_batch = 1u << 20;
    o->idle_ms = 300000;
    o->write_timeout_ms = 10000;
    o->out_limit = 1u << 20;
    o->max_results = 1u << 20;
    o->query_threads = 1;
    o->max_memory = 1ull << 30;
    o->hello_ms = 10000;
    o->per_ip = 256;
}

/* Parses addr:port into a socket address (numeric only: a server binds to
 * an address it is told, never to what a name resolves to today). */
static int bind_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                     socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof *a4;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof *a6;
        return 0;
    }
    return -1;
}

static int listen_on(ps_server *s, ps_diag *d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (bind_addr(s->id.addr, s->o.port, &ss, &len))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "not a numeric address: %s", s->id.addr);
    s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(s->lfd, (struct sockaddr *)&ss, len) || listen(s->lfd, 1024))
        return ps__diag_set(d, PS_E_IO, NULL, 0, "cannot listen on %s:%u: %s", s->id.addr,
                            s->o.port, strerror(errno));
    len = sizeof ss;
    getsockname(s->lfd, (struct sockaddr *)&ss, &len);
    s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return PS_OK;
}

static int watch(ps_server *s, int fd, void *tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };
    return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

int ps__ident_load(void *dst, size_t size, const void *src, const char *what, const char **addrp,
                   const char **tokenp, net_ident *id, ps_diag *d)
{
    int rc = ps__opts_copy(dst, size, src);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "%s options: %s", what,
                            rc == PS_E_INVAL ? "size not set" : "fields this build lacks");
    const char *addr = *addrp ? *addrp : "127.0.0.1", *token = *tokenp;
    *addrp = *tokenp = NULL; /* nothing points at the caller's memory */
    if (strlen(addr) >= sizeof id->addr)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "address too long");
    strcpy(id->addr, addr);
    if (token) {
        id->token_len = strlen(token);
        if (!id->token_len || id->token_len > sizeof id->token)
            return ps__diag_set(d, PS_E_INVAL, NULL, 0, "a token is 1 to 256 bytes");
        memcpy(id->token, token, id->token_len);
    }
    return PS_OK;
}

/* 1 loopback, 0 not, -1 not an address (binding it fails, saying so) */
static int loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) != 1)
        return -1;
    return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

int ps__ident_exposed(const net_ident *id, int unprotected, const char *what, ps_diag *d)
{
    if (id->token_len || unprotected || loopback(id->addr))
        return PS_OK; /* -1: not an address; the bind says so */
    return ps__diag_set(d, PS_E_INVAL, NULL, 0,
                        "%s: %s is not a loopback address and no token is set: anyone who "
                        "reaches it could read and change the space. Give --token-file FILE "
                        "(or $PATHSPACE_TOKEN), or --unprotected to serve it to anyone",
                        what, id->addr);
}

static int load_opts(ps_server *s, const ps_server_opts *o, ps_diag *d)
{
    ps_server_opts_init(&s->o);
    int rc = ps__ident_load(&s->o, sizeof s->o, o, "server", &s->o.addr, &s->o.token, &s->id, d);
    if (rc)
        return rc;
    if (!s->o.max_clients || s->o.max_frame < 64 || !s->o.max_batch || !s->o.out_limit ||
        !s->o.max_results || !s->o.max_memory || !s->o.hello_ms || !s->o.per_ip)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "a server limit of zero");
    if (s->o.max_frame > WAL_MAX_PAYLOAD) /* every atom a frame holds fits one log record */
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "max_frame is at most %u bytes",
                            WAL_MAX_PAYLOAD);
    return ps__ident_exposed(&s->id, (int)s->o.unprotected, "--addr", d);
}

int ps_server_new(ps_pspace *p, const ps_server_opts *o, ps_server **out, ps_diag *d)
{
    *out = NULL;
    if (!p)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "no space to serve");
    ps_server *s = ps_calloc(1, sizeof *s);
    if (!s)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    s->p = p;
    s->lfd = s->ep = s->evfd = s->ckfd = -1;
    pthread_rwlockattr_t la;
    pthread_rwlockattr_init(&la);
    pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    s->have_lock = !pthread_rwlock_init(&s->lock, &la);
    pthread_rwlockattr_destroy(&la);
    if (!s->have_lock) {
        free(s);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot make the space's lock");
    }
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int rc = load_opts(s, o, d);
    if (!rc)
        rc = listen_on(s, d);
    if (!rc) {
        s->ep = epoll_create1(EPOLL_CLOEXEC);
        s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (s->ep < 0 || s->evfd < 0 || watch(s, s->lfd, &s->lfd) || watch(s, s->evfd, &s->evfd))
            rc = ps__diag_set(d, PS_E_IO, NULL, 0, "epoll: %s", strerror(errno));
    }
    if (!rc && ps_parser_new(&s->parser))
        rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    if (rc) {
        ps_server_free(s);
        return rc;
    }
    s->fsync_always = ps__pspace_fsync_mode(p) == PS_FSYNC_ALWAYS;
    s->node = s->o.node_id;
    while (!s->node)
        randombytes_buf(&s->node, sizeof s->node);
    s->start_ms = s->last_tick = s->last_ckpt = s->now = ps__now_ms();
    *out = s;
    return PS_OK;
}

uint16_t ps_server_port(const ps_server *s)
{
    return s->port;
}

void ps__server_lock(ps_server *s, int write)
{
    if (write)
        pthread_rwlock_wrlock(&s->lock);
    else
        pthread_rwlock_rdlock(&s->lock);
}

void ps__server_unlock(ps_server *s)
{
    pthread_rwlock_unlock(&s->lock);
}

ps_pspace *ps__server_pspace(ps_server *s)
{
    return s->p;
}

int ps__server_stopping(ps_server *s)
{
    return atomic_load_explicit(&s->stopping, memory_order_relaxed);
}

void ps_server_stop(ps_server *s)
{
    uint64_t one = 1;
    atomic_store_explicit(&s->stopping, 1, memory_order_relaxed); /* lock-free: signal-safe */
    ssize_t k = write(s->evfd, &one, sizeof one); /* async-signal-safe */
    (void)k;
}

/* Out of descriptors, a pending connection would wake the loop forever:
 * the spare descriptor is given up to accept it and close it at once. */
static void shed_one(ps_server *s)
{
    if (s->spare_fd < 0)
        return;
    close(s->spare_fd);
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        s->st.rejected++;
    }
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Refuses fd with an ERROR frame that says why, and closes it. */
static void refuse(ps_server *s, int fd, const char *why)
{
    uint8_t f[PS_FRAME_HEADER + ERROR_HEAD_SIZE + 64];
    uint32_t n = (uint32_t)strlen(why);
    assert(n <= 64);
    ps_frame h = { PS_PROTO_VERSION, PS_MSG_ERROR, 0, ERROR_HEAD_SIZE + n, 0 };
    ps_frame_encode(&h, f);
    ps_write_le32(f + PS_FRAME_HEADER, PS_E_LIMIT);
    ps_write_le32(f + PS_FRAME_HEADER + 4, n);
    memcpy(f + PS_FRAME_HEADER + ERROR_HEAD_SIZE, why, n);
    ssize_t k = send(fd, f, PS_FRAME_HEADER + ERROR_HEAD_SIZE + n, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)k;
    close(fd);
    s->st.rejected++;
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return a->ss_family == AF_INET6 && !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                                               &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

/* 1 when the address already holds per_ip connections. */
static int crowded(const ps_server *s, const struct sockaddr_storage *peer)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->nconns && n < s->o.per_ip; i++)
        n += same_host(&s->conns[i]->peer, peer);
    return n >= s->o.per_ip;
}

static void accept_all(ps_server *s)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(s->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                shed_one(s);
            return; /* EAGAIN, or transient: the next turn retries */
        }
        if (s->nconns >= s->o.max_clients) {
            refuse(s, fd, "too many clients");
            continue;
        }
        if (crowded(s, &peer)) {
            refuse(s, fd, "too many connections from this address (per_ip)");
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (ps__conn_new(s, fd, &peer))
            close(fd);
    }
}

/* Idle clients, clients that stopped reading, and the checkpoint policy. */
static void tick(ps_server *s, int64_t now)
{
    s->last_tick = now;
    for (uint32_t i = 0; i < s->nconns; i++) {
        conn *c = s->conns[i];
        int idle = s->o.idle_ms && !c->on && !c->st && !c->ckpt_wait &&
                   now - c->last_in > (int64_t)s->o.idle_ms;
        int stuck = s->o.write_timeout_ms && c->on &&
                    now - c->last_out > (int64_t)s->o.write_timeout_ms;
        int mute = !c->hello && now - c->born > (int64_t)s->o.hello_ms;
        if (idle || stuck || mute) {
            s->st.dropped++;
            ps__conn_close(s, c);
            i--; /* the last connection moved into slot i */
        }
    }
    ps__ckpt_policy(s);
}

static void on_event(ps_server *s, struct epoll_event *ev)
{
    void *tag = ev->data.ptr;
    if (tag == &s->lfd) {
        if (!atomic_load_explicit(&s->stopping, memory_order_relaxed))
            accept_all(s);
    } else if (tag == &s->evfd) {
        uint64_t v;
        ssize_t k = read(s->evfd, &v, sizeof v);
        (void)k;
    } else if (tag == &s->ckfd) {
        ps__ckpt_done(s);
    } else if (ps__job_of(s, tag)) {
        ps__job_done(s, tag);
    } else {
        conn *c = tag;
        if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            ps__conn_readable(s, c); /* closes c on EOF or error */
        else if (ev->events & EPOLLOUT)
            ps__conn_flush(s, c);
    }
}

/* The turn's end: one commit (one fsync under PS_FSYNC_ALWAYS) for every
 * change the turn took, then the replies that acknowledge them. */
static void end_turn(ps_server *s)
{
    if (ps__commit(s))
        return;
    while (s->pending) {
        conn *c = s->pending;
        s->pending = c->next;
        c->pending = 0;
        c->next = NULL;
        ps__conn_flush(s, c);
    }
}

/* After stop: what is queued goes out for up to a second. */
static void drain(ps_server *s)
{
    int64_t until = ps__now_ms() + 1000;
    while (s->nconns && !s->broken && (s->now = ps__now_ms()) < until) {
        int busy = 0;
        for (uint32_t i = 0; i < s->nconns; i++)
            busy |= s->conns[i]->on != 0;
        if (!busy)
            break;
        struct epoll_event ev[64];
        int n = epoll_wait(s->ep, ev, 64, 50);
        for (int i = 0; i < n; i++)
            if (ev[i].data.ptr != &s->lfd && ev[i].data.ptr != &s->evfd &&
                ev[i].data.ptr != &s->ckfd && !ps__job_of(s, ev[i].data.ptr) &&
                (ev[i].events & EPOLLOUT))
                ps__conn_flush(s, ev[i].data.ptr);
    }
}

static int loop(ps_server *s, ps_diag *d)
{
    struct epoll_event ev[256];
    s->alloc_base = ps__alloc_calls;
    while (!atomic_load_explicit(&s->stopping, memory_order_relaxed) && !s->broken) {
        int n = epoll_wait(s->ep, ev, 256, TICK_MS);
        if (n < 0 && errno != EINTR)
            return ps__diag_set(d, PS_E_IO, NULL, 0, "epoll_wait: %s", strerror(errno));
        s->now = ps__now_ms(); /* one clock read a turn serves its timeouts */
        pthread_rwlock_wrlock(&s->lock);
        for (int i = 0; i < n && !s->broken; i++)
            on_event(s, &ev[i]);
        end_turn(s);
        if (s->now - s->last_tick >= TICK_MS && !s->broken)
            tick(s, s->now);
        pthread_rwlock_unlock(&s->lock);
    }
    pthread_rwlock_wrlock(&s->lock);
    char why[200];
    int e = ps__pspace_log_errno(s->p);
    snprintf(why, sizeof why, "the log cannot be written (%s): the server stops, acknowledging "
             "nothing more", e ? strerror(e) : "a change could not be logged");
    if (!s->broken)
        drain(s);
    else /* the clients hear it first, then the operator */
        for (uint32_t i = 0; i < s->nconns; i++)
            ps__conn_fail(s, s->conns[i], PS_E_IO, why);
    ps__jobs_kill(s);
    ps__ckpt_wait(s);
    while (s->nconns)
        ps__conn_close(s, s->conns[s->nconns - 1]);
    pthread_rwlock_unlock(&s->lock);
    ps_server_stats_get(s, &s->final); /* the loop thread's counters, kept */
    s->done = 1;
    if (s->broken)
        return ps__diag_set(d, PS_E_IO, NULL, 0, "%s", why);
    return PS_OK;
}

typedef struct run_arg {
    ps_server *s;
    ps_diag *d;
    int rc;
} run_arg;

static void *loop_thread(void *arg)
{
    run_arg *a = arg;
    a->rc = loop(a->s, a->d);
    return NULL;
}

/* The loop runs on a thread of its own with a search thread's stack, so
 * a query runs right there, without a hand-off to another thread. */
int ps_server_run(ps_server *s, ps_diag *d)
{
    run_arg a = { s, d, PS_OK };
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot start the server's thread");
    pthread_attr_setstacksize(&attr, MATCH_STACK);
    int rc = pthread_create(&th, &attr, loop_thread, &a);
    pthread_attr_destroy(&attr);
    if (rc)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot start the server's thread "
                            "(it needs %u MiB of stack)", MATCH_STACK >> 20);
    pthread_join(th, NULL);
    return a.rc;
}

void ps_server_stats_get(const ps_server *s, ps_server_stats *st)
{
    if (s->done) { /* another thread asks after the loop ended */
        *st = s->final;
        return;
    }
    *st = s->st;
    const ps_space *sp = ps_pspace_space(s->p);
    st->uptime_ms = (uint64_t)(ps__now_ms() - s->start_ms);
    st->atoms = ps_space_count(sp);
    st->seq = ps_pspace_seq(s->p);
    st->clients = s->nconns;
    st->allocs = ps__alloc_calls - s->alloc_base;
    ps_pool_stats ps;
    ps_pool_stats_get(&ps);
    st->pool_gets = ps.gets;
    st->pool_misses = ps.misses;
}

void ps_server_free(ps_server *s)
{
    if (!s)
        return;
    while (s->nconns)
        ps__conn_close(s, s->conns[s->nconns - 1]);
    free(s->conns);
    ps_parser_free(s->parser);
    ps_buf_free(&s->atoms);
    ps_buf_free(&s->text);
    if (s->child > 0)
        ps__ckpt_wait(s);
    ps__jobs_kill(s);
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->ep >= 0)
        close(s->ep);
    if (s->evfd >= 0)
        close(s->evfd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}
