/* conn.c - one client: reading frames, queueing replies, writev, and
 * back-pressure (server.h explains the rules). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/alloc.h"
#include "server.h"
#include "wire.h"

static int write_out(ps_server *s, conn *c);

/* What one readable event takes from one client: a turn of the loop with
 * 200 clients each sending megabytes stays a few milliseconds long, and
 * every client gets its share of it. */
#define READ_MAX (64u << 10)

/* Before HELLO a client is nobody: it may send a HELLO's worth (a token
 * is at most 256 bytes), not a 16 MiB frame that waits for its token to be
 * checked (100 such clients took 1.65 GB). */
#define PRE_HELLO_FRAME 4096u

/* The largest frame c may send now: 4 KiB until its HELLO. */
static uint32_t frame_max(const ps_server *s, const conn *c)
{
    return c->hello ? s->o.max_frame : PRE_HELLO_FRAME;
}

uint64_t ps__server_held(const ps_server *s)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nconns; i++) {
        const conn *c = s->conns[i];
        n += c->in.cap + c->queued + (c->st ? c->st->data.cap : 0);
    }
    return n;
}

int ps__conn_new(ps_server *s, int fd, const struct sockaddr_storage *peer)
{
    if (s->nconns == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 64;
        conn **v = ps_realloc(s->conns, cap * sizeof *v);
        if (!v)
            return -1;
        s->conns = v;
        s->cap = cap;
    }
    conn *c = ps_calloc(1, sizeof *c);
    if (!c)
        return -1;
    if (ps_pool_get(&c->in, READ_BUF)) {
        free(c);
        return -1;
    }
    c->fd = fd;
    c->cid = ++s->next_cid;
    c->events = EPOLLIN;
    c->last_in = c->last_out = c->born = s->now;
    c->peer = *peer;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev)) {
        ps_pool_put(&c->in);
        free(c);
        return -1;
    }
    c->slot = s->nconns;
    s->conns[s->nconns++] = c;
    s->st.connections++;
    return 0;
}

void ps__conn_close(ps_server *s, conn *c)
{
    /* off the pending list first: it is walked after this turn's closes */
    for (conn **pp = &s->pending; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    /* out of the epoll set by hand: a checkpoint's child may hold a copy of
     * the socket, and then close() alone would leave it registered */
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    ps_pool_put(&c->in);
    for (uint32_t i = 0; i < c->on; i++)
        ps_pool_put(&c->out[(c->oh + i) % OUTQ]);
    ps__stream_free(c->st);
    uint32_t slot = c->slot;
    s->conns[slot] = s->conns[--s->nconns];
    s->conns[slot]->slot = slot;
    free(c);
}

int ps__conn_queue(ps_server *s, conn *c, ps_buf *b)
{
    if (c->on == OUTQ) { /* callers check for room first; never drop a reply */
        ps_pool_put(b);
        c->closing = 1;
        return PS_E_LIMIT;
    }
    if (!c->on)
        c->last_out = s->now; /* the write timeout counts from here */
    c->out[(c->oh + c->on) % OUTQ] = *b;
    c->on++;
    c->queued += b->len;
    ps_buf_init(b);
    return PS_OK;
}

void ps__conn_error(ps_server *s, conn *c, uint64_t id, int code, int close, const char *fmt,
                    ...)
{
    char msg[ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    s->st.errors++;
    if (close) {
        c->closing = 1;
        s->st.dropped++;
    }
    ps_buf b = { 0 };
    int rc;
    uint8_t *p = ps__frame_begin(&b, PS_MSG_ERROR, 0, id, ERROR_HEAD_SIZE + len, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    p = wr_u32(p, (uint32_t)code);
    p = wr_u32(p, (uint32_t)len);
    memcpy(p, msg, len);
    ps__conn_queue(s, c, &b);
}

void ps__conn_fail(ps_server *s, conn *c, int code, const char *msg)
{
    /* a frame half sent was flushed after a commit: it may finish. Every
     * other queued reply may acknowledge what the log never took: gone */
    uint32_t keep = c->ooff ? 1 : 0;
    for (uint32_t i = keep; i < c->on; i++) {
        ps_buf *b = &c->out[(c->oh + i) % OUTQ];
        c->queued -= b->len;
        ps_pool_put(b);
    }
    c->on = keep;
    if (c->st) {
        ps__stream_free(c->st);
        c->st = NULL;
    }
    ps__conn_error(s, c, 0, code, 1, "%s", msg);
    /* what the socket takes now: a client that reads is waiting for its
     * reply and has room; one that does not read may not hold up the stop
     * (every client is told, so no wait may be per client) */
    write_out(s, c);
}

void ps__conn_pending(ps_server *s, conn *c)
{
    if (!c->pending) {
        c->pending = 1;
        c->next = s->pending;
        s->pending = c;
    }
}

static int may_take(const ps_server *s, const conn *c)
{
    return !c->closing && !c->st && !c->ckpt_wait && c->on < OUTQ - 1 &&
           c->queued < s->o.out_limit;
}

static void consume(conn *c, size_t k)
{
    c->in.head += k;
    c->in.len -= k;
    if (!c->in.len)
        c->in.head = 0;
}

/* While a stream is sent, later requests wait, but a CANCEL for it must
 * be seen: buffered whole frames are searched. The CANCEL stays where it
 * is; taken in its turn later, it finds no stream and does nothing. */
static void find_cancel(ps_server *s, conn *c)
{
    const uint8_t *p = ps_buf_data(&c->in);
    size_t n = c->in.len, off = 0;
    ps_frame f;
    while (c->st && n - off >= PS_FRAME_HEADER &&
           ps_frame_decode(p + off, n - off, frame_max(s, c), &f, NULL) == PS_OK &&
           n - off - PS_FRAME_HEADER >= f.len) {
        if (f.type == PS_MSG_CANCEL && f.flags == 0 && f.len == 8 &&
            ps_read_le64(p + off + PS_FRAME_HEADER) == c->st->id)
            c->st->cancelled = 1;
        off += PS_FRAME_HEADER + f.len;
    }
}

/* Takes the connection's buffered requests while it may. */
static void take_requests(ps_server *s, conn *c)
{
    while (may_take(s, c) && c->in.len >= PS_FRAME_HEADER) {
        uint8_t *p = ps_buf_data(&c->in);
        ps_frame f;
        ps_diag d;
        int rc = ps_frame_decode(p, c->in.len, frame_max(s, c), &f, &d);
        if (rc) { /* past the magic and reserved bytes, the header says whose */
            int known = rc == PS_E_LIMIT || rc == PS_E_VERSION;
            ps__conn_error(s, c, known ? f.id : 0, rc, 1, "%s", d.msg);
            return;
        }
        if (c->in.len - PS_FRAME_HEADER < f.len)
            return; /* the rest of the frame has not come */
        s->st.requests++;
        ps__dispatch(s, c, &f, ps_bytes_of(p + PS_FRAME_HEADER, f.len));
        consume(c, PS_FRAME_HEADER + f.len);
    }
    if (c->st)
        find_cancel(s, c);
}

/* Room for more bytes: buffered bytes move to the front, and a frame that
 * is larger than the buffer gets a bigger one, at most twice the bytes
 * already here (never what a header announces). */
static int make_room(ps_server *s, conn *c)
{
    ps_buf *b = &c->in;
    if (ps_buf_tailroom(b) >= 1024 || (b->head == 0 && ps_buf_tailroom(b)))
        return PS_OK;
    if (b->head) {
        memmove(b->base, b->base + b->head, b->len);
        b->head = 0;
        if (ps_buf_tailroom(b))
            return PS_OK;
    }
    ps_frame f;
    if (ps_frame_decode(b->base, b->len, frame_max(s, c), &f, NULL))
        return PS_OK; /* process() reports it */
    size_t need = PS_FRAME_HEADER + (size_t)f.len;
    if (b->len >= need)
        return PS_OK; /* whole frames are waiting: no more room needed */
    size_t cap = b->cap * 2 < need ? b->cap * 2 : need;
    if (ps__server_held(s) + (cap - b->cap) > s->o.max_memory)
        return PS_E_LIMIT; /* every client's bytes together: the caller says so */
    ps_buf nb = { 0 };
    if (ps_buf_init_exact(&nb, 0, cap) || ps_buf_append(&nb, b->base, b->len))
        return PS_E_NOMEM;
    ps_pool_put(b);
    *b = nb;
    return PS_OK;
}

/* A big buffer goes back to the pooled size once its frame is done. */
static void shrink(conn *c)
{
    if (c->in.cap > READ_BUF && c->in.len <= READ_BUF / 2) {
        ps_buf nb;
        if (ps_pool_get(&nb, READ_BUF))
            return;
        memcpy(nb.base, ps_buf_data(&c->in), c->in.len);
        nb.len = c->in.len;
        ps_buf_free(&c->in);
        c->in = nb;
    }
}

static void set_events(ps_server *s, conn *c)
{
    uint8_t want = 0;
    if (!c->closing && (may_take(s, c) || (c->st && ps_buf_tailroom(&c->in))))
        want |= EPOLLIN;
    /* a stream with more to send wants the next turn even when its queue
     * is empty: flush stops after 64 rounds however fast the client reads,
     * and nothing else would come back to it (exports stalled so) */
    if (c->on || (c->st && !c->st->waiting))
        want |= EPOLLOUT;
    if (want != c->events) {
        struct epoll_event ev = { .events = want, .data.ptr = c };
        epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->events = want;
    }
}

void ps__conn_readable(ps_server *s, conn *c)
{
    int rc = make_room(s, c);
    if (rc == PS_E_LIMIT) { /* its frame cannot be read: it must go, told why */
        ps__conn_error(s, c, 0, PS_E_LIMIT, 1,
                       "the server's memory for clients (max_memory, %llu bytes) is in use: "
                       "send smaller frames or try again later",
                       (unsigned long long)s->o.max_memory);
        c->in.len = 0;
        ps__conn_flush(s, c);
        return;
    }
    if (rc) {
        ps__conn_close(s, c);
        return;
    }
    ps_buf *b = &c->in;
    /* a buffer full of whole frames that wait: nothing to read into (a
     * read of 0 bytes would look like the client leaving) */
    size_t room = ps_buf_tailroom(b) < READ_MAX ? ps_buf_tailroom(b) : READ_MAX;
    ssize_t k = room ? read(c->fd, b->base + b->head + b->len, room) : -1;
    if (k < 0 && !ps_buf_tailroom(b))
        errno = EAGAIN;
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
        ps__conn_close(s, c); /* replies to a client that left have nowhere to go */
        return;
    }
    if (k > 0) {
        b->len += (size_t)k;
        s->st.bytes_in += (uint64_t)k;
        c->last_in = s->now;
    }
    take_requests(s, c);
    shrink(c);
    if (s->fsync_always)
        ps__conn_pending(s, c); /* one fsync for the turn, then replies */
    else
        ps__conn_flush(s, c);
}

/* One writev of everything queued (the first buffer from where the last
 * one stopped). 1 if all went, 0 if the socket is full, -1 on error. */
static int write_out(ps_server *s, conn *c)
{
    struct iovec iov[OUTQ];
    for (uint32_t i = 0; i < c->on; i++) {
        ps_buf *b = &c->out[(c->oh + i) % OUTQ];
        size_t skip = i ? 0 : c->ooff;
        iov[i].iov_base = ps_buf_data(b) + skip;
        iov[i].iov_len = b->len - skip;
    }
    ssize_t k = writev(c->fd, iov, (int)c->on);
    if (k < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    s->st.writevs++;
    s->st.bytes_out += (uint64_t)k;
    c->queued -= (uint64_t)k;
    c->last_out = s->now;
    size_t left = (size_t)k;
    while (c->on) {
        ps_buf *b = &c->out[c->oh];
        size_t rest = b->len - c->ooff;
        if (left < rest) {
            c->ooff += left;
            return 0;
        }
        left -= rest;
        ps_pool_put(b);
        c->ooff = 0;
        c->oh = (c->oh + 1) % OUTQ;
        c->on--;
    }
    return 1;
}

void ps__conn_flush(ps_server *s, conn *c)
{
    if (ps__commit(s))
        return; /* nothing staged may be acknowledged */
    for (int rounds = 0; rounds < 64; rounds++) {
        if (c->st && ps__stream_fill(s, c)) {
            c->closing = 1;
            break;
        }
        if (!c->on)
            break;
        int w = write_out(s, c);
        if (w < 0) {
            ps__conn_close(s, c);
            return;
        }
        if (!w)
            break;
        if (!c->st && may_take(s, c) && c->in.len >= PS_FRAME_HEADER) {
            size_t before = c->in.len;
            take_requests(s, c); /* requests that waited for room */
            if (ps__commit(s))
                return;
            if (c->in.len == before && !c->st)
                break;
        }
    }
    if (c->closing && !c->on) {
        ps__conn_close(s, c);
        return;
    }
    set_events(s, c);
}
