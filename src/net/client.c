/* client.c - the blocking client (pathspace.h, "the client"). Requests are
 * encoded into one reused buffer and sent with one write; a reply's
 * payload is read into a buffer that grows only as its bytes arrive. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/opts.h"
#include "wire.h"

struct ps_client {
    int fd;
    ps_client_opts o;
    char token[257];
    uint64_t next_id;
    ps_buf out;       /* queued request frames                      */
    ps_buf in;        /* received bytes; payload at base + head + 24 */
    size_t used;      /* bytes of the last frame handed out          */
    ps_buf req;       /* a request's payload, built                  */
    uint32_t server_max_frame;
};

void ps_client_opts_init(ps_client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->max_frame = PS_FRAME_MAX_DEFAULT;
    o->timeout_ms = 30000;
}

void ps_client_qopts_init(ps_client_qopts *q)
{
    memset(q, 0, sizeof *q);
    q->size = sizeof *q;
}

static int wait_fd(ps_client *c, short ev, ps_diag *d)
{
    struct pollfd p = { c->fd, ev, 0 };
    int t = c->o.timeout_ms ? (int)c->o.timeout_ms : -1, k;
    while ((k = poll(&p, 1, t)) < 0 && errno == EINTR)
        ;
    if (k == 0)
        return ps__diag_set(d, PS_E_IO, NULL, 0, "timed out after %u ms", c->o.timeout_ms);
    return k < 0 ? ps__diag_set(d, PS_E_IO, NULL, 0, "poll: %s", strerror(errno)) : PS_OK;
}

/* Sends first and waits only when the socket is full: a round trip is
 * then one send and one recv, no poll. */
int ps_client_flush(ps_client *c, ps_diag *d)
{
    const uint8_t *p = ps_buf_data(&c->out);
    size_t n = c->out.len, done = 0;
    while (done < n) {
        ssize_t k = send(c->fd, p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EAGAIN) {
            int rc = wait_fd(c, POLLOUT, d);
            if (rc)
                return rc;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return ps__diag_set(d, errno == EPIPE ? PS_E_CLOSED : PS_E_IO, NULL, 0, "send: %s",
                                strerror(errno));
        done += (size_t)k;
    }
    ps_buf_clear(&c->out, 0);
    return PS_OK;
}

int ps_client_send(ps_client *c, int type, ps_bytes payload, uint64_t *id)
{
    if (payload.len > UINT32_MAX)
        return PS_E_LIMIT;
    int rc = ps_buf_reserve(&c->out, PS_FRAME_HEADER + payload.len);
    if (rc)
        return rc;
    ps_frame f = { PS_PROTO_VERSION, (uint8_t)type, 0, (uint32_t)payload.len, ++c->next_id };
    uint8_t h[PS_FRAME_HEADER];
    ps_frame_encode(&f, h);
    ps_buf_append(&c->out, h, sizeof h);
    if (payload.len)
        ps_buf_append(&c->out, payload.ptr, payload.len);
    if (id)
        *id = f.id;
    return PS_OK;
}

/* At least `want` bytes buffered from head on. */
static int fill(ps_client *c, size_t want, ps_diag *d)
{
    ps_buf *b = &c->in;
    while (b->len < want) {
        if (b->head && b->cap - b->head < want) {
            memmove(b->base, b->base + b->head, b->len);
            b->head = 0;
        }
        if (ps_buf_tailroom(b) == 0) { /* full of real bytes: at most double */
            size_t cap = b->cap ? b->cap * 2 : 65536;
            if (cap > want)
                cap = want > 65536 ? want : 65536;
            if (ps_buf_reserve_exact(b, cap - b->len))
                return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
        }
        ssize_t k = recv(c->fd, b->base + b->head + b->len, ps_buf_tailroom(b), MSG_DONTWAIT);
        if (k < 0 && errno == EAGAIN) { /* nothing yet: now wait */
            int rc = wait_fd(c, POLLIN, d);
            if (rc)
                return rc;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return ps__diag_set(d, k ? PS_E_IO : PS_E_CLOSED, NULL, 0, "%s",
                                k ? strerror(errno) : "the server closed the connection");
        b->len += (size_t)k;
    }
    return PS_OK;
}

int ps_client_recv(ps_client *c, ps_reply *r, ps_diag *d)
{
    c->in.head += c->used; /* the last reply's bytes go now */
    c->in.len -= c->used;
    c->used = 0;
    int rc = fill(c, PS_FRAME_HEADER, d);
    if (!rc)
        rc = ps_frame_decode(ps_buf_data(&c->in), c->in.len, c->o.max_frame, &r->f, d);
    if (!rc)
        rc = fill(c, PS_FRAME_HEADER + (size_t)r->f.len, d);
    if (rc)
        return rc;
    r->payload = ps_bytes_of(ps_buf_data(&c->in) + PS_FRAME_HEADER, r->f.len);
    c->used = PS_FRAME_HEADER + r->f.len;
    return PS_OK;
}

int ps_client_ready(const ps_client *c)
{
    size_t n = c->in.len - c->used;
    const uint8_t *p = ps_buf_data(&c->in) + c->used;
    return n >= PS_FRAME_HEADER && n - PS_FRAME_HEADER >= ps_read_le32(p + 8);
}

int ps_client_fd(const ps_client *c)
{
    return c->fd;
}

/* An ERROR reply as the call's result. */
static int server_error(const ps_reply *r, ps_diag *d)
{
    rd x = rd_of(r->payload);
    uint32_t code = rd_u32(&x), len = rd_u32(&x);
    const uint8_t *m = rd_take(&x, len);
    if (x.bad || code == 0 || code >= PS_ERR_COUNT)
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a malformed ERROR reply");
    return ps__diag_set(d, (int)code, NULL, 0, "server: %.*s", (int)(len > 190 ? 190 : len),
                        (const char *)m);
}

/* The reply of request id, which must be of type want (or an ERROR). */
static int expect(ps_client *c, uint64_t id, int want, ps_reply *r, ps_diag *d)
{
    int rc = ps_client_recv(c, r, d);
    if (rc)
        return rc;
    if (r->f.type == PS_MSG_ERROR && (r->f.id == id || r->f.id == 0))
        return server_error(r, d); /* id 0: about the connection, not one request */
    if (r->f.id != id)
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "reply %llu where %llu was due",
                            (unsigned long long)r->f.id, (unsigned long long)id);
    if (r->f.type != want)
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "reply of type %u to a request of %u",
                            r->f.type, want & 0x7F);
    return PS_OK;
}

/* CANCEL for the stream of request id, sent now. */
static int cancel(ps_client *c, uint64_t id, ps_diag *d)
{
    uint8_t k[8];
    wr_u64(k, id);
    int rc = ps_client_send(c, PS_MSG_CANCEL, ps_bytes_of(k, 8), NULL);
    return rc ? rc : ps_client_flush(c, d);
}

static int call(ps_client *c, int type, ps_bytes payload, ps_reply *r, size_t min_len,
                ps_diag *d)
{
    uint64_t id;
    int rc = ps_client_send(c, type, payload, &id);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot queue the request");
    rc = ps_client_flush(c, d);
    if (!rc)
        rc = expect(c, id, type | PS_MSG_REPLY, r, d);
    if (!rc && r->payload.len < min_len)
        rc = ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a reply of %zu bytes (%zu expected)",
                          r->payload.len, min_len);
    return rc;
}

static int dial(const char *host, uint16_t port, ps_diag *d)
{
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
    int e = getaddrinfo(host, ps, &hints, &ai);
    if (e)
        return -ps__diag_set(d, PS_E_IO, NULL, 0, "%s: %s", host, gai_strerror(e));
    int fd = -1, err = 0;
    for (a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen)) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return -ps__diag_set(d, PS_E_IO, NULL, 0, "cannot connect to %s:%u: %s", host, port,
                             strerror(err));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* 1 if host:port answers an HTTP request as an HTTP server does. Asked
 * only of a port that left a HELLO unanswered for a second: an HTTP
 * server (pathspace's own --http port, say) waits for a line end that a
 * frame never sends, and the client would wait its whole timeout. A
 * binary server answers this probe with an ERROR frame, not "HTTP/". */
static int speaks_http(const char *host, uint16_t port)
{
    ps_diag ignore;
    int fd = dial(host, port, &ignore);
    if (fd < 0)
        return 0;
    static const char req[] = "HEAD / HTTP/1.0\r\n\r\n";
    char got[5] = { 0 };
    struct pollfd p = { fd, POLLIN, 0 };
    size_t n = 0;
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)sizeof req - 1)
        while (n < 5 && poll(&p, 1, 2000) == 1) {
            ssize_t k = recv(fd, got + n, 5 - n, 0);
            if (k <= 0)
                break;
            n += (size_t)k;
        }
    close(fd);
    return n == 5 && !memcmp(got, "HTTP/", 5);
}

static int hello(ps_client *c, const char *host, uint16_t port, ps_diag *d)
{
    size_t tl = c->o.token ? strlen(c->o.token) : 0;
    uint8_t p[HELLO_REQ_MIN + 256];
    if (tl > 256)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "a token is at most 256 bytes");
    wr_u16(p, PS_PROTO_VERSION);
    wr_u16(p + 2, PS_PROTO_VERSION);
    wr_u32(p + 4, (uint32_t)tl);
    if (tl)
        memcpy(p + HELLO_REQ_MIN, c->o.token, tl);
    ps_reply r;
    uint64_t id;
    int rc = ps_client_send(c, PS_MSG_HELLO, ps_bytes_of(p, HELLO_REQ_MIN + tl), &id);
    if (!rc)
        rc = ps_client_flush(c, d);
    struct pollfd pf = { c->fd, POLLIN, 0 };
    if (!rc && poll(&pf, 1, 1000) == 0 && speaks_http(host, port))
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0,
                            "%s:%u speaks HTTP (MORK's API: curl or pathspace.MORK), not "
                            "pathspace's binary protocol, which serve's --port gives (7420 by "
                            "default)", host, port);
    if (!rc)
        rc = expect(c, id, PS_MSG_HELLO | PS_MSG_REPLY, &r, d);
    if (!rc && r.payload.len < HELLO_REPLY)
        rc = ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a reply of %zu bytes (%zu expected)",
                          r.payload.len, (size_t)HELLO_REPLY);
    if (!rc)
        c->server_max_frame = ps_read_le32(r.payload.ptr + 4);
    return rc;
}

int ps_client_connect(const char *host, uint16_t port, const ps_client_opts *o,
                      ps_client **out, ps_diag *d)
{
    *out = NULL;
    ps_client *c = ps_calloc(1, sizeof *c);
    if (!c)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    ps_client_opts_init(&c->o);
    int rc = ps__opts_copy(&c->o, sizeof c->o, o);
    if (rc) {
        free(c);
        return ps__diag_set(d, rc, NULL, 0, "client options");
    }
    if (c->o.token) {
        snprintf(c->token, sizeof c->token, "%s", c->o.token);
        c->o.token = c->token;
    }
    host = host ? host : "127.0.0.1";
    c->fd = dial(host, port, d);
    if (c->fd < 0) {
        rc = -c->fd;
        free(c);
        return rc;
    }
    rc = hello(c, host, port, d);
    if (rc) {
        ps_client_close(c);
        return rc;
    }
    *out = c;
    return PS_OK;
}

void ps_client_close(ps_client *c)
{
    if (!c)
        return;
    close(c->fd);
    ps_buf_free(&c->out);
    ps_buf_free(&c->in);
    ps_buf_free(&c->req);
    free(c);
}

int ps_client_ping(ps_client *c, const ps_heartbeat *hb, ps_heartbeat *reply, ps_diag *d)
{
    uint8_t p[PS_HEARTBEAT_SIZE];
    ps_heartbeat z = { 0 };
    hb = hb ? hb : &z;
    wr_u64(p, hb->node);
    wr_u64(p + 8, hb->uptime_ms);
    wr_u64(p + 16, hb->seq);
    wr_u32(p + 24, hb->hops);
    wr_u32(p + 28, 0);
    ps_reply r;
    int rc = call(c, PS_MSG_PING, ps_bytes_of(p, sizeof p), &r, PS_HEARTBEAT_SIZE, d);
    if (!rc && reply)
        rc = ps_heartbeat_decode(r.payload, reply, d);
    return rc;
}

static int batch_call(ps_client *c, int type, int form, const ps_bytes *items, size_t n,
                      ps_reply *r, size_t min_len, ps_diag *d)
{
    ps_buf_clear(&c->req, 0);
    int rc = ps_batch_encode(&c->req, form, items, n);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot encode the batch");
    return call(c, type, ps_buf_bytes(&c->req), r, min_len, d);
}

static void read_change(ps_bytes p, ps_change *out)
{
    if (out) {
        out->changed = ps_read_le64(p.ptr);
        out->seq = ps_read_le64(p.ptr + 8);
        out->atoms = ps_read_le64(p.ptr + 16);
    }
}

static int change_call(ps_client *c, int type, int form, const ps_bytes *items, size_t n,
                       ps_change *out, ps_diag *d)
{
    ps_reply r;
    int rc = batch_call(c, type, form, items, n, &r, CHANGE_REPLY, d);
    if (!rc)
        read_change(r.payload, out);
    return rc;
}

int ps_client_add(ps_client *c, int form, const ps_bytes *items, size_t n, ps_change *out,
                  ps_diag *d)
{
    return change_call(c, PS_MSG_ADD, form, items, n, out, d);
}

int ps_client_remove(ps_client *c, int form, const ps_bytes *items, size_t n, ps_change *out,
                     ps_diag *d)
{
    return change_call(c, PS_MSG_REMOVE, form, items, n, out, d);
}

int ps_client_contains(ps_client *c, int form, const ps_bytes *items, size_t n, ps_buf *bits,
                       uint64_t *count, ps_diag *d)
{
    ps_reply r;
    int rc = batch_call(c, PS_MSG_CONTAINS, form, items, n, &r, 8, d);
    if (rc)
        return rc;
    uint32_t k = ps_read_le32(r.payload.ptr);
    if (r.payload.len != 8 + ((size_t)k + 7) / 8)
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a CONTAINS reply of the wrong size");
    ps_buf_clear(bits, 0);
    if (ps_buf_append(bits, r.payload.ptr + 8, r.payload.len - 8))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    if (count)
        *count = k;
    return PS_OK;
}

int ps_client_count(ps_client *c, ps_bytes prefix, uint64_t *n, ps_diag *d)
{
    ps_reply r;
    int rc = call(c, PS_MSG_COUNT, prefix, &r, 8, d);
    if (!rc)
        *n = ps_read_le64(r.payload.ptr);
    return rc;
}

static int query_payload(ps_client *c, ps_bytes pat, ps_bytes tpl, const ps_client_qopts *q)
{
    ps_buf_clear(&c->req, 0);
    if (pat.len > UINT32_MAX || tpl.len > UINT32_MAX)
        return PS_E_LIMIT;
    uint8_t h[QUERY_HEAD];
    wr_u32(h, (uint32_t)pat.len);
    wr_u32(h + 4, (uint32_t)tpl.len);
    wr_u32(h + 8, q->batch);
    h[12] = (uint8_t)q->form;
    h[13] = (uint8_t)q->mode;
    wr_u16(h + 14, 0);
    wr_u64(h + 16, q->limit);
    int rc = ps_buf_append(&c->req, h, sizeof h);
    if (!rc && pat.len)
        rc = ps_buf_append(&c->req, pat.ptr, pat.len);
    if (!rc && tpl.len)
        rc = ps_buf_append(&c->req, tpl.ptr, tpl.len);
    return rc;
}

/* One QUERY frame's results to fn; 1 once fn asked to stop. */
static int deliver(ps_bytes p, ps_query_fn fn, void *ctx, uint64_t *n, int *stop, ps_diag *d)
{
    rd x = rd_of(p);
    uint32_t k = rd_u32(&x);
    rd_u32(&x);
    for (uint32_t i = 0; i < k && !x.bad; i++) {
        uint32_t len = rd_u32(&x);
        const uint8_t *a = rd_take(&x, len);
        if (x.bad)
            break;
        if (!*stop) {
            (*n)++;
            *stop = fn(ctx, ps_bytes_of(a, len)) != 0;
        }
    }
    return x.bad || rd_left(&x)
               ? ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a malformed QUERY reply")
               : PS_OK;
}

int ps_client_query(ps_client *c, ps_bytes pattern, ps_bytes tmpl, const ps_client_qopts *qo,
                    ps_query_fn fn, void *ctx, uint64_t *n, unsigned *flags, ps_diag *d)
{
    ps_client_qopts q;
    ps_client_qopts_init(&q);
    if (qo && ps__opts_copy(&q, sizeof q, qo))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "query options");
    uint64_t got = 0, id;
    int rc = query_payload(c, pattern, tmpl, &q);
    if (!rc)
        rc = ps_client_send(c, PS_MSG_QUERY, ps_buf_bytes(&c->req), &id);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot encode the query");
    rc = ps_client_flush(c, d);
    int stop = 0, cancelled = 0;
    ps_reply r;
    while (!rc && !(rc = expect(c, id, PS_MSG_QUERY | PS_MSG_REPLY, &r, d))) {
        rc = deliver(r.payload, fn, ctx, &got, &stop, d);
        if (!(r.f.flags & PS_FLAG_MORE))
            break;
        if (!rc && stop && !cancelled) {
            cancelled = 1;
            rc = cancel(c, id, d);
        }
    }
    if (n)
        *n = got;
    if (!rc && flags)
        *flags = r.f.flags & (PS_FLAG_CANCELLED | PS_FLAG_LIMITED);
    return rc;
}

int ps_client_transform(ps_client *c, ps_bytes pattern, ps_bytes tmpl, ps_change *out,
                        uint64_t *results, ps_diag *d)
{
    ps_client_qopts q;
    ps_client_qopts_init(&q);
    int rc = query_payload(c, pattern, tmpl, &q);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot encode the transform");
    ps_reply r;
    rc = call(c, PS_MSG_TRANSFORM, ps_buf_bytes(&c->req), &r, TRANSFORM_REPLY, d);
    if (rc)
        return rc;
    if (results)
        *results = ps_read_le64(r.payload.ptr);
    if (out) {
        out->changed = ps_read_le64(r.payload.ptr + 8);
        out->seq = ps_read_le64(r.payload.ptr + 16);
        out->atoms = ps_read_le64(r.payload.ptr + 24);
    }
    return PS_OK;
}

int ps_client_export(ps_client *c, int format, ps_bytes prefix, ps_sink out, uint64_t *bytes,
                     ps_diag *d)
{
    ps_buf_clear(&c->req, 0);
    uint8_t h[EXPORT_HEAD] = { (uint8_t)format, (format & PS_EXPORT_SKIP_EXTENDED) != 0 };
    uint64_t id, total = 0;
    int rc = ps_buf_append(&c->req, h, sizeof h);
    if (!rc && prefix.len)
        rc = ps_buf_append(&c->req, prefix.ptr, prefix.len);
    if (!rc)
        rc = ps_client_send(c, PS_MSG_EXPORT, ps_buf_bytes(&c->req), &id);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot encode the export");
    rc = ps_client_flush(c, d);
    ps_reply r;
    while (!rc && !(rc = expect(c, id, PS_MSG_EXPORT | PS_MSG_REPLY, &r, d))) {
        if (r.payload.len && (rc = out.write(out.ctx, r.payload.ptr, r.payload.len)))
            ps__diag_set(d, rc, NULL, 0, "cannot write the export");
        total += r.payload.len;
        if (!(r.f.flags & PS_FLAG_MORE))
            break;
    }
    if (bytes)
        *bytes = total;
    return rc;
}

int ps_client_checkpoint(ps_client *c, ps_ckpt_info *out, ps_diag *d)
{
    ps_reply r;
    int rc = call(c, PS_MSG_CHECKPOINT, ps_bytes_of(NULL, 0), &r, CKPT_REPLY, d);
    if (rc || !out)
        return rc;
    memset(out, 0, sizeof *out);
    rd x = rd_of(r.payload);
    out->seq = rd_u64(&x);
    out->atoms = rd_u64(&x);
    out->log_pos = rd_u64(&x);
    out->created_ns = rd_u64(&x);
    out->payload_len = rd_u64(&x);
    out->oid.hash = rd_u8(&x);
    out->oid.len = rd_u8(&x);
    rd_u16(&x);
    out->version = rd_u32(&x);
    const uint8_t *id = rd_take(&x, 32);
    if (out->oid.len > 32 || out->oid.len > PS_OID_MAX)
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a malformed CHECKPOINT reply");
    memcpy(out->oid.id, id, out->oid.len);
    return PS_OK;
}

int ps_client_stats(ps_client *c, ps_server_stats *out, ps_diag *d)
{
    ps_reply r;
    int rc = call(c, PS_MSG_STATS, ps_bytes_of(NULL, 0), &r, 8, d);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    uint32_t n = ps_read_le32(r.payload.ptr);
    if (r.payload.len != 8 + (size_t)n * 8)
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a malformed STATS reply");
    uint64_t *v = &out->uptime_ms;
    for (uint32_t i = 0; i < n && i < PS_SERVER_STATS_N; i++)
        v[i] = ps_read_le64(r.payload.ptr + 8 + 8 * i);
    return PS_OK;
}

/* One RUN reply's figures into out (0, or -1 for a malformed one). */
static int run_report(ps_bytes p, ps_run_report *out)
{
    rd x = rd_of(p);
    uint64_t *v[8] = { &out->execs, &out->steps, &out->failed, &out->solutions, &out->added,
                       &out->removed, &out->atoms, &out->ns };
    for (int i = 0; i < 8; i++)
        *v[i] = rd_u64(&x);
    out->fail_code = (int)rd_u32(&x);
    uint32_t tl = rd_u32(&x);
    const uint8_t *t = rd_take(&x, tl);
    if (x.bad || rd_left(&x))
        return -1;
    size_t k = tl < sizeof out->fail_exec - 1 ? tl : sizeof out->fail_exec - 1;
    if (k)
        memcpy(out->fail_exec, t, k);
    out->fail_exec[k] = 0;
    return 0;
}

int ps_client_run(ps_client *c, uint64_t steps, unsigned flags, const char *thread,
                  int (*progress)(void *ctx, const ps_run_report *r), void *ctx,
                  ps_run_report *out, ps_diag *d)
{
    size_t tl = thread ? strlen(thread) : 0;
    uint8_t h[16];
    ps_write_le64(h, steps);
    ps_write_le32(h + 8, flags);
    ps_write_le32(h + 12, (uint32_t)tl);
    ps_buf_clear(&c->req, 0);
    uint64_t id;
    int rc = ps_buf_append(&c->req, h, sizeof h);
    if (!rc && tl)
        rc = ps_buf_append(&c->req, thread, tl);
    if (!rc)
        rc = ps_client_send(c, PS_MSG_RUN, ps_buf_bytes(&c->req), &id);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot encode the run");
    rc = ps_client_flush(c, d);
    ps_run_report rep;
    memset(&rep, 0, sizeof rep);
    ps_reply r;
    int cancelled = 0;
    while (!rc && !(rc = expect(c, id, PS_MSG_RUN | PS_MSG_REPLY, &r, d))) {
        if (run_report(r.payload, &rep)) {
            rc = ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "a malformed RUN reply");
            break;
        }
        if (!(r.f.flags & PS_FLAG_MORE)) {
            rep.cancelled = (r.f.flags & PS_FLAG_CANCELLED) != 0;
            break;
        }
        if (progress && !cancelled && progress(ctx, &rep)) { /* stop it */
            cancelled = 1;
            rc = cancel(c, id, d);
        }
    }
    if (out)
        *out = rep;
    return rc;
}
