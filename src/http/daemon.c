/*
 * daemon.c - the HTTP server's life and its requests.
 *
 * libmicrohttpd (Debian's libmicrohttpd-dev) parses HTTP/1.1 and runs one
 * thread per connection, so a command may block on the space's lock, a
 * permission or a status change without stalling anyone else, and the
 * commands stay plain sequential code. It was chosen over llhttp under our
 * own loop for that reason: MORK's commands are long (an export of
 * millions of atoms, a transform) and the binary protocol already has the
 * event loop where every microsecond counts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/opts.h"
#include "http.h"
#include "query/match.h"

/* A request's line and headers, at most (414 or 431 past it): room for
 * long expressions in the URL. */
#define URL_MAX (128u << 10)

typedef struct conn_req {
    req q;
    reply r;
    int too_big;
} conn_req;

int ps__reply_text(reply *r, unsigned code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->code = code;
    r->type = "text/plain; charset=utf-8";
    ps_buf_clear(&r->body, 0);
    ps_buf_append(&r->body, msg, n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    return 1;
}

typedef struct arg_find {
    const char *key;
    const char *val;
    int found;
} arg_find;

static enum MHD_Result find_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    arg_find *f = cls;
    if (strcmp(key, f->key))
        return MHD_YES;
    f->found = 1;
    f->val = value;
    return MHD_NO;
}

const char *ps__reply_arg(req *q, const char *key, ps_buf *buf, int *present)
{
    arg_find f = { key, NULL, 0 };
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, find_arg, &f);
    if (present)
        *present = f.found;
    if (!f.val)
        return NULL;
    ps_buf_clear(buf, 0);
    if (ps__url_decode(f.val, buf))
        return NULL;
    return (const char *)ps_buf_data(buf);
}

int ps__arg_true(const char *v)
{
    return v && strcmp(v, "0") && strcmp(v, "false") && strcmp(v, "no");
}

static int authorized(ps_http *h, struct MHD_Connection *c)
{
    if (!h->id.token_len)
        return 1;
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!a || strncmp(a, "Bearer ", 7))
        return 0;
    a += 7;
    return strlen(a) == h->id.token_len && !sodium_memcmp(a, h->id.token, h->id.token_len);
}

/* Segments [from, to) joined by '/', appended to q->segbuf. */
static int join(req *q, const ps_bytes *seg, int from, int to, ps_bytes *out)
{
    size_t off = q->segbuf.len;
    for (int i = from; i < to; i++)
        if ((i > from && ps_buf_append(&q->segbuf, "/", 1)) ||
            ps_buf_append(&q->segbuf, seg[i].ptr, seg[i].len))
            return -1;
    out->ptr = (const uint8_t *)(uintptr_t)off; /* an offset until segbuf stops growing */
    out->len = q->segbuf.len - off;
    return 0;
}

/* Where the first argument ends: after the fewest segments that make one
 * atom, since Python's quote() leaves '/' in an expression unencoded. */
static int first_cut(const ps_bytes *seg, int n)
{
    ps_buf t = { 0 }, b = { 0 };
    int cut = 1;
    for (int j = 1; j < n; j++) {
        ps_buf_clear(&t, 0);
        ps_buf_clear(&b, 0);
        for (int i = 0; i < j; i++)
            if ((i && ps_buf_append(&t, "/", 1)) || ps_buf_append(&t, seg[i].ptr, seg[i].len))
                break;
        if (!ps_atom_parse(ps_buf_data(&t), t.len, &b, NULL)) {
            cut = j;
            break;
        }
    }
    ps_buf_free(&t);
    ps_buf_free(&b);
    return cut;
}

/* The arguments after the command's name: one takes every segment, two
 * split after the first atom. The number taken, or -1. */
static int take_args(req *q, const char *rest, int want)
{
    ps_bytes seg[16];
    ps_buf raw = { 0 };
    int n = ps__url_split(rest, &raw, seg, 16), rc = want;
    if (n < want)
        rc = n < 0 ? -1 : n;
    else {
        int cut = want == 1 ? n : first_cut(seg, n);
        if (join(q, seg, 0, cut, &q->seg[0]) || (want == 2 && join(q, seg, cut, n, &q->seg[1])))
            rc = -1;
        for (int i = 0; i < want; i++) /* an empty segbuf has no block to point into */
            q->seg[i].ptr = q->seg[i].len ? ps_buf_data(&q->segbuf) + (uintptr_t)q->seg[i].ptr
                                          : (const uint8_t *)"";
        q->nseg = want;
    }
    ps_buf_free(&raw);
    return rc;
}

typedef struct route {
    const char *name;
    const char *method;
    int args;
    void (*run)(req *q, reply *r);
    int writes; /* a read replica refuses it */
} route;

static const route routes[] = {
    { "upload", "POST", 2, ps__cmd_upload, 1 },
    { "import", "GET", 2, ps__hjob_import, 1 },
    { "export", "GET", 2, ps__cmd_export, 0 },
    { "transform", "POST", 0, ps__hjob_transform, 1 },
    { "count", "GET", 1, ps__hjob_count, 0 },
    { "clear", "GET", 1, ps__cmd_clear, 1 },
    { "copy", "GET", 2, ps__cmd_copy, 1 },
    { "explore", "GET", 2, ps__cmd_explore, 0 },
    { "status", "GET", 1, ps__cmd_status, 0 },
    { "status_stream", "GET", 1, ps__cmd_status_stream, 0 },
    { "stop", "GET", 0, ps__hjob_stop, 0 },
    { "metta_thread", "GET", 0, ps__cmd_metta_thread, 1 },
    { "metta_thread_suspend", "GET", 2, ps__cmd_metta_suspend, 0 },
    { "shardmap", "GET", 0, ps__cmd_shardmap, 0 },
};

static void dispatch(req *q, const char *url, reply *r)
{
    const char *name = url + (*url == '/');
    size_t k = strcspn(name, "/");
    const route *rt = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !rt; i++)
        if (strlen(routes[i].name) == k && !memcmp(routes[i].name, name, k))
            rt = &routes[i];
    if (!rt)
        return (void)ps__reply_text(r, 404, "no command at %s", url);
    if (strcmp(q->method, rt->method))
        return (void)ps__reply_text(r, 405, "%s takes %s, not %s", rt->name, rt->method, q->method);
    if (q->h->stopping)
        return (void)ps__reply_text(r, 503, "the server is shutting down");
    const char *ro = ps__served_readonly(q->h->sv);
    if (rt->writes && ro)
        return (void)ps__reply_text(r, 403, "%s", ro);
    const char *rest = name[k] == '/' ? name + k + 1 : "";
    if (rt->args && take_args(q, rest, rt->args) != rt->args)
        return (void)ps__reply_text(r, 400,
                                    "%s takes %d argument(s), each a URL-encoded expression: "
                                    "/%s/%s",
                                    rt->name, rt->args, rt->name,
                                    rt->args == 1 ? "<expr>/" : "<a>/<b>/");
    rt->run(q, r);
}

static void free_body(void *p)
{
    free(p);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, reply *r)
{
    struct MHD_Response *resp = r->stream;
    if (!resp) {
        size_t len = 0;
        uint8_t *body = ps_buf_detach(&r->body, &len);
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free_body);
        if (!resp) {
            free(body);
            return MHD_NO;
        }
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->type ? r->type : "text/plain; charset=utf-8");
    if (r->challenge)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result rc = MHD_queue_response(c, r->code ? r->code : 500, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **ctx)
{
    (void)version;
    ps_http *h = cls;
    conn_req *cr = *ctx;
    if (!cr) { /* the headers: refuse early what no body can fix */
        if (!(cr = ps_calloc(1, sizeof *cr)))
            return MHD_NO;
        *ctx = cr;
        ps__dl_phase(h, c, DL_HEADERS, 0);
        cr->q.h = h;
        cr->q.c = c;
        cr->q.method = method;
        if (ps__guard(h, c, &cr->r))
            return send_reply(c, &cr->r);
        if (!authorized(h, c)) {
            ps__reply_text(&cr->r, 401, "a bearer token is required (Authorization: Bearer ...)");
            cr->r.challenge = 1;
            return send_reply(c, &cr->r);
        }
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > h->o.max_body) {
            ps__reply_text(&cr->r, 413, "a body is at most %llu bytes (--http-max-body)",
                           (unsigned long long)h->o.max_body);
            return send_reply(c, &cr->r);
        }
        return MHD_YES;
    }
    if (*size) {
        ps__dl_phase(h, c, DL_BODY, *size);
        if (!cr->too_big &&
            (cr->q.body.len + *size > h->o.max_body || ps_buf_append(&cr->q.body, data, *size)))
            cr->too_big = 1;
        *size = 0;
        return MHD_YES;
    }
    ps__dl_phase(h, c, DL_RUN, 0);
    if (cr->too_big)
        ps__reply_text(&cr->r, 413, "a body is at most %llu bytes (--http-max-body)",
                       (unsigned long long)h->o.max_body);
    else
        dispatch(&cr->q, url, &cr->r);
    return send_reply(c, &cr->r);
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx,
                    enum MHD_RequestTerminationCode why)
{
    (void)why;
    ps__dl_phase(cls, c, DL_DONE, 0); /* the next request's headers are due */
    conn_req *cr = *ctx;
    if (!cr)
        return;
    ps_buf_free(&cr->q.body);
    ps_buf_free(&cr->q.segbuf);
    ps_buf_free(&cr->r.body);
    free(cr);
    *ctx = NULL;
}

/* The path stays encoded: url.c splits it into segments, then decodes. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    return strlen(s);
}

void ps_http_opts_init(ps_http_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->max_body = 256ull << 20;
    o->max_file = 16ull << 30;
    o->max_results = 16u << 20;
    o->max_clients = 256;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN); /* MORK's pool: cores - 1, at least 4 */
    o->workers = cpus > 5 ? (uint32_t)(cpus - 1) : 4;
    o->queue = 64;
    o->fetch_max = 1ull << 30;
    o->fetch_timeout_s = 60;
    o->perm_wait_ms = 200;
    o->timeout_s = 300;
    o->fork_results = 65536;
    o->max_result_bytes = 1ull << 30;
    o->header_timeout_s = 10;
    o->body_min_rate = 16384;
    o->per_ip = 32;
    o->status_bytes = 16u << 20;
}

static int load_opts(ps_http *h, const ps_http_opts *o, ps_diag *d)
{
    ps_http_opts_init(&h->o);
    int rc = ps__ident_load(&h->o, sizeof h->o, o, "http", &h->o.addr, &h->o.token, &h->id, d);
    if (rc)
        return rc;
    if (!h->o.max_body || !h->o.max_clients || !h->o.workers || !h->o.max_results ||
        !h->o.max_file || !h->o.max_result_bytes || !h->o.header_timeout_s || !h->o.per_ip ||
        !h->o.status_bytes)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "an http limit of zero");
    if (h->o.hosts && !(h->o.hosts = h->hosts = strdup(h->o.hosts)))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    return ps__ident_exposed(&h->id, h->o.unprotected, "--http", d);
}

static struct MHD_Daemon *start_daemon(ps_http *h, ps_diag *d)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    struct sockaddr *sa;
    /* poll(), not select(): with the binary server's clients in the same
     * process, sockets pass FD_SETSIZE, and select() reset every HTTP
     * connection that got a descriptor past 1024 */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ITC | MHD_USE_POLL;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, h->id.addr, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons(h->o.port);
        sa = (struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, h->id.addr, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons(h->o.port);
        sa = (struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        ps__diag_set(d, PS_E_INVAL, NULL, 0, "not a numeric address: %s", h->id.addr);
        return NULL;
    }
    errno = 0; /* MHD leaves bind()'s errno when that is what failed */
    struct MHD_Daemon *dm = MHD_start_daemon(
        flags, h->o.port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->o.max_clients, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)h->o.timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, h, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)MATCH_STACK, /* a query runs on the connection's thread */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)URL_MAX, MHD_OPTION_NOTIFY_CONNECTION,
        ps__dl_notify, h, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)h->o.per_ip,
        MHD_OPTION_END);
    if (!dm)
        ps__diag_set(d, PS_E_IO, NULL, 0, "cannot listen for HTTP on %s:%u: %s", h->id.addr,
                     h->o.port, errno ? strerror(errno) : "the HTTP library would not start");
    return dm;
}

int ps_http_start(ps_served *sv, const ps_http_opts *o, ps_http **out, ps_diag *d)
{
    *out = NULL;
    if (!sv)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "no space to serve");
    ps_http *h = ps_calloc(1, sizeof *h);
    if (!h)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    h->sv = sv;
    h->files_fd = -1;
    int rc = load_opts(h, o, d);
    if (!rc)
        rc = ps__files_open(h, d);
    if (rc) {
        ps__files_close(h);
        free(h->hosts);
        free(h);
        return rc;
    }
    h->workers = ps_calloc(h->o.workers, sizeof *h->workers);
    if (!h->workers) {
        free(h);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (ps__dl_start(h)) {
        ps_http_stop(h);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot start a thread");
    }
    if (!(h->d = start_daemon(h, d))) {
        ps_http_stop(h);
        return d && d->code ? d->code : PS_E_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : h->o.port;
    *out = h;
    return PS_OK;
}

uint16_t ps_http_port(const ps_http *h)
{
    return h->port;
}

void ps_http_stop(ps_http *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stopping = 1; /* status streams end, new commands are refused */
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    ps__hjob_join_all(h);
    if (h->d) {
        /* what is being answered (a /stop/'s ACK) goes out first */
        for (int i = 0; i < 100; i++) {
            const union MHD_DaemonInfo *di =
                MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
            if (!di || !di->num_connections)
                break;
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(h->d);
    }
    ps__dl_free(h); /* after the daemon: its connections' ends come to it */
    ps__perm_free(h);
    ps__files_close(h);
    free(h->hosts);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h->workers);
    free(h);
}
