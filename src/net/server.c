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
#include "wire.h"

#define TICK_MS 100

/* epoll tags of the served space's descriptors (their own addresses) */
static const char stop_tag, ckpt_tag;

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

static int load_opts(ps_server *s, const ps_server_opts *o, ps_diag *d)
{
    ps_server_opts_init(&s->o);
    int rc = ps__ident_load(&s->o, sizeof s->o, o, "server", &s->o.addr, &s->o.token, &s->id, d);
    if (rc)
        return rc;
    if (!s->o.max_clients || s->o.max_frame < 64 || !s->o.max_batch || !s->o.out_limit ||
        !s->o.max_results || !s->o.max_memory || !s->o.hello_ms || !s->o.per_ip)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "a server limit of zero");
    if (s->o.max_frame > SERVED_ATOM_MAX) /* every atom a frame holds fits one log record */
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "max_frame is at most %u bytes",
                            SERVED_ATOM_MAX);
    return ps__ident_exposed(&s->id, (int)s->o.unprotected, "--addr", d);
}

int ps_server_new(ps_served *sv, const ps_server_opts *o, ps_server **out, ps_diag *d)
{
    *out = NULL;
    if (!sv)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "no space to serve");
    ps_server *s = ps_calloc(1, sizeof *s);
    if (!s)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    s->sv = sv;
    s->p = ps_served_pspace(sv);
    s->lfd = s->ep = s->evfd = -1;
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int rc = load_opts(s, o, d);
    if (!rc)
        rc = listen_on(s, d);
    if (!rc) {
        s->ep = epoll_create1(EPOLL_CLOEXEC);
        s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (s->ep < 0 || s->evfd < 0 || watch(s, s->lfd, &s->lfd) || watch(s, s->evfd, &s->evfd) ||
            watch(s, ps__served_stop_fd(sv), (void *)&stop_tag) ||
            watch(s, ps__served_ckpt_fd(sv), (void *)&ckpt_tag))
            rc = ps__diag_set(d, PS_E_IO, NULL, 0, "epoll: %s", strerror(errno));
    }
    if (!rc && ps_parser_new(&s->parser))
        rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    if (rc) {
        ps_server_free(s);
        return rc;
    }
    s->fsync_always = ps__served_fsync_always(sv);
    s->node = s->o.node_id;
    while (!s->node)
        randombytes_buf(&s->node, sizeof s->node);
    s->start_ms = s->last_tick = s->now = ps__served_now_ms();
    *out = s;
    return PS_OK;
}

uint16_t ps_server_port(const ps_server *s)
{
    return s->port;
}

/* 1 when the loop must end: ps_server_stop, the served space stopped,
 * or its log failed. */
static int ending(ps_server *s)
{
    return atomic_load_explicit(&s->stopping, memory_order_relaxed) ||
           ps__served_stopping(s->sv);
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

/* Idle clients and clients that stopped reading. */
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
    } else if (tag == &ckpt_tag) {
        ps__ckpt_ended(s);
    } else if (tag == &stop_tag) {
        /* the loop's condition ends it */
    } else if (ps__job_of(s, tag)) {
        ps__job_done(s, tag);
    } else if (ps__run_of(s, tag)) {
        ps__run_event(s, tag);
    } else {
        conn *c = tag;
        if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            ps__conn_readable(s, c); /* closes c on EOF or error */
        else if (ev->events & EPOLLOUT)
            ps__conn_flush(s, c);
    }
}

int ps__commit(ps_server *s)
{
    return ps__served_commit(s->sv, NULL) ? -1 : 0;
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
    int64_t until = ps__served_now_ms() + 1000;
    while (s->nconns && !ps__served_failed(s->sv) && (s->now = ps__served_now_ms()) < until) {
        int busy = 0;
        for (uint32_t i = 0; i < s->nconns; i++)
            busy |= s->conns[i]->on != 0;
        if (!busy)
            break;
        struct epoll_event ev[64];
        int n = epoll_wait(s->ep, ev, 64, 50);
        for (int i = 0; i < n; i++)
            if (ev[i].data.ptr != &s->lfd && ev[i].data.ptr != &s->evfd &&
                ev[i].data.ptr != &stop_tag && ev[i].data.ptr != &ckpt_tag &&
                !ps__job_of(s, ev[i].data.ptr) && !ps__run_of(s, ev[i].data.ptr) &&
                (ev[i].events & EPOLLOUT))
                ps__conn_flush(s, ev[i].data.ptr);
    }
}

static int loop(ps_server *s, ps_diag *d)
{
    struct epoll_event ev[256];
    s->alloc_base = ps__alloc_calls;
    while (!ending(s)) {
        int n = epoll_wait(s->ep, ev, 256, TICK_MS);
        if (n < 0 && errno != EINTR)
            return ps__diag_set(d, PS_E_IO, NULL, 0, "epoll_wait: %s", strerror(errno));
        s->now = ps__served_now_ms(); /* one clock read a turn serves its timeouts */
        ps__served_lock(s->sv, 1);
        for (int i = 0; i < n && !ps__served_failed(s->sv); i++)
            on_event(s, &ev[i]);
        end_turn(s);
        if (s->now - s->last_tick >= TICK_MS && !ps__served_failed(s->sv))
            tick(s, s->now);
        ps__served_unlock(s->sv);
    }
    ps__runs_stop(s); /* without the lock: a run's step needs it to end */
    ps__served_lock(s->sv, 1);
    int failed = ps__served_failed(s->sv);
    ps_diag why = { 0 };
    if (failed) { /* the clients hear it first, then the operator */
        ps__served_why(s->sv, &why);
        for (uint32_t i = 0; i < s->nconns; i++)
            ps__conn_fail(s, s->conns[i], PS_E_IO, why.msg);
    } else
        drain(s);
    ps__jobs_kill(s);
    while (s->nconns)
        ps__conn_close(s, s->conns[s->nconns - 1]);
    ps__served_unlock(s->sv);
    ps_server_stats_get(s, &s->final); /* the loop thread's counters, kept */
    s->done = 1;
    return failed ? ps__served_why(s->sv, d) : PS_OK;
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
    served_counts n;
    ps__served_counts(s->sv, &n);
    st->commits = n.commits;
    st->checkpoints = n.checkpoints;
    st->ckpt_failed = n.ckpt_failed;
    st->fork_us_last = n.fork_us_last;
    st->fork_us_max = n.fork_us_max;
    st->ckpt_ms_last = n.ckpt_ms_last;
    const ps_space *sp = ps_pspace_space(s->p);
    st->uptime_ms = (uint64_t)(ps__served_now_ms() - s->start_ms);
    st->atoms = ps_space_count(sp);
    st->seq = ps_pspace_seq(s->p);
    st->clients = s->nconns;
    st->allocs = ps__alloc_calls - s->alloc_base;
    ps_pool_stats ps;
    ps_pool_stats_get(&ps);
    st->pool_gets = ps.gets;
    st->pool_misses = ps.misses;
    served_repl r;
    ps__served_repl_get(s->sv, &r);
    st->repl_role = (uint64_t)r.role;
    st->repl_fenced = (uint64_t)r.fenced;
    st->repl_lag_seq = r.lag_seq;
    st->repl_lag_ms = r.lag_ms;
    st->repl_shipped = r.shipped;
    st->shard_version = ps__served_shard_version_locked(s->sv);
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
    ps__jobs_kill(s);
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->ep >= 0)
        close(s->ep);
    if (s->evfd >= 0)
        close(s->evfd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    free(s);
}
