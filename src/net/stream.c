/* stream.c - the requests that stream or search: QUERY (results held,
 * then sent in batches as the client reads them), TRANSFORM, and EXPORT
 * (written to an unlinked file, then sent in chunks). The stream's source
 * is taken whole when the request is read, so it is one consistent view
 * whatever changes come after it; memory is bounded by max_results and
 * QUERY_BYTES_MAX, and what a slow reader has not taken waits in the file
 * or the result buffer, never in socket buffers without bound. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "query/query.h"
#include "server.h"
#include "wire.h"

typedef struct qreq {
    uint32_t batch;
    uint8_t form, mode;
    uint64_t limit;
    ps_bytes pat, tpl;
} qreq;

static int parse_qreq(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload, qreq *q)
{
    rd r = rd_of(payload);
    uint32_t plen = rd_u32(&r), tlen = rd_u32(&r);
    q->batch = rd_u32(&r);
    q->form = rd_u8(&r);
    q->mode = rd_u8(&r);
    uint16_t z = rd_u16(&r);
    q->limit = rd_u64(&r);
    const uint8_t *pp = rd_take(&r, plen), *tp = rd_take(&r, tlen);
    if (r.bad || rd_left(&r) || z || q->form > PS_FORM_TEXT || q->mode > PS_QUERY_BINDINGS) {
        ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "query: malformed payload");
        return -1;
    }
    q->pat = ps_bytes_of(pp, plen);
    q->tpl = ps_bytes_of(tp, tlen);
    return 0;
}

/* The request read and compiled, or NULL with an ERROR queued. */
static ps_query *take_query(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload, qreq *q)
{
    if (parse_qreq(s, c, f, payload, q))
        return NULL;
    ps_query *pq;
    ps_diag d;
    int rc = ps_query_parse((const char *)q->pat.ptr, q->pat.len,
                            q->tpl.len ? (const char *)q->tpl.ptr : NULL, q->tpl.len, &pq, &d);
    if (rc) {
        ps__conn_error(s, c, f->id, rc, 0, "query %u:%u: %s", d.line, d.col, d.msg);
        return NULL;
    }
    return pq;
}

/* A query first runs on the loop, as most are over in microseconds; one
 * that passes any of these goes to a forked child (the loop pauses for
 * fork() alone) and streams from its file: a cross product stalled every
 * client for half a second. Counts of work, not the clock, so the same
 * query is always cut at the same place, however busy the machine. */
#define QUERY_LOOP_SOLUTIONS 8192u
#define QUERY_LOOP_BYTES (1u << 20)
#define QUERY_LOOP_STEPS 20000u  /* positions read (about 1.5 ms): a search that finds
                                  * little for long (a cross product first
                                  * captures the whole space) */

typedef struct collect {
    ps_server *s;
    stream *st;
    int text;
    uint64_t n, cap;
    uint64_t room;  /* bytes this query may hold: its own cap, and what
                     * max_memory leaves beside every other client   */
    int err;
    int on_loop;    /* its share of the loop is cut short           */
    uint64_t calls;
    int cut;        /* past the loop's share: it goes to a child   */
    uint64_t flushed; /* in a child: bytes written to st->fd        */
    int child;
} collect;

/* In a child the records go to the file in blocks; 0 or a ps_err. */
static int spill(collect *k, size_t keep_under)
{
    ps_buf *b = &k->st->data;
    if (!k->child || b->len < keep_under)
        return PS_OK;
    ps_sink o = ps_sink_fd(k->st->fd);
    int rc = o.write(o.ctx, ps_buf_data(b), b->len);
    k->flushed += b->len;
    ps_buf_clear(b, 0);
    return rc;
}

static int collect_one(void *ctx, ps_bytes atom)
{
    collect *k = ctx;
    uint64_t held = k->flushed + k->st->data.len;
    if (k->on_loop && (held > QUERY_LOOP_BYTES || ++k->calls > QUERY_LOOP_SOLUTIONS)) {
        k->cut = 1;
        return 1;
    }
    if (k->st->data.len > k->room && k->room < QUERY_BYTES_MAX) {
        k->err = PS_E_LIMIT; /* the server's memory, not the query's cap */
        return 1;
    }
    if (k->n == k->cap || held > QUERY_BYTES_MAX) {
        k->st->flags |= PS_FLAG_LIMITED; /* there was one more */
        return 1;
    }
    ps_buf *b = &k->st->data;
    size_t at = b->len;
    uint8_t l[4] = { 0 };
    int rc = ps_buf_append(b, l, 4);
    if (!rc)
        rc = k->text ? ps_atom_print(atom, b) : ps_buf_append(b, atom.ptr, atom.len);
    if (!rc)
        ps_write_le32(ps_buf_data(b) + at, (uint32_t)(b->len - at - 4));
    if (!rc)
        rc = spill(k, 1u << 16);
    if (rc) {
        k->err = rc;
        return 1;
    }
    k->n++;
    return 0;
}

typedef struct qjob {
    job_req r;
    ps_query *pq;
    qreq q; /* its pattern and template bytes are gone: pq has them */
} qjob;

enum { Q_LOOP_CUT, Q_CHILD, Q_LOOP_WHOLE }; /* where a query runs */

/* Runs the query into st's records; in a child, into st->fd. */
static int run_query(ps_server *s, stream *st, const qjob *j, int where, collect *k, ps_diag *d)
{
    int child = where == Q_CHILD;
    *k = (collect){ s, st, j->q.form == PS_FORM_TEXT, 0, s->o.max_results, QUERY_BYTES_MAX, 0,
                    where == Q_LOOP_CUT, 0, 0, 0, child };
    if (!child) {
        uint64_t held = ps__server_held(s);
        k->room = held < s->o.max_memory ? s->o.max_memory - held : 0;
    }
    if (j->q.limit && j->q.limit < k->cap)
        k->cap = j->q.limit;
    ps_query_opts qo;
    ps_query_opts_init(&qo);
    qo.mode = j->q.mode;
    qo.threads = child ? 1 : s->o.query_threads; /* a forked child starts no threads */
    qo.max_steps = where == Q_LOOP_CUT ? QUERY_LOOP_STEPS : 0;
    ps_source src = ps_source_space(ps_pspace_space(s->p));
    ps_query_stats qs;
    int rc = qo.threads == 1 ? ps__query_run_here(j->pq, src, &qo, collect_one, k, &qs, d)
                             : ps_query_run(j->pq, src, &qo, collect_one, k, &qs, d);
    if (rc == PS_E_LIMIT && qo.max_steps && qs.nodes > qo.max_steps)
        k->cut = 1, rc = PS_OK; /* past the loop's share of steps */
    if (!rc)
        rc = k->err;
    if (!rc && child)
        rc = spill(k, 0);
    if (j->q.limit && k->n == j->q.limit)
        st->flags &= ~PS_FLAG_LIMITED; /* the client's own limit, not the server's cap */
    return rc;
}

static int query_work(ps_server *s, stream *st, const job_req *r, uint32_t *flags,
                      uint64_t *value, ps_diag *d)
{
    (void)value;
    collect k;
    int rc = run_query(s, st, (const qjob *)r, Q_CHILD, &k, d);
    *flags = st->flags;
    if (rc && rc == k.err)
        ps__diag_set(d, rc, NULL, 0, "%s", ps_strerror(rc));
    return rc;
}

static void qjob_free(job_req *r)
{
    qjob *j = (qjob *)r;
    ps_query_free(j->pq);
    free(j);
}

static void query_failed(ps_server *s, conn *c, uint64_t id, int rc, const collect *k,
                         const ps_diag *d)
{
    ps__conn_error(s, c, id, rc, 0, "query: %s",
                   rc != k->err        ? d->msg
                   : rc == PS_E_LIMIT ? "the server's memory for clients (max_memory) "
                                        "is in use: try again later"
                                      : "out of memory");
}

void ps__handle_query(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    qjob *j = ps_calloc(1, sizeof *j);
    stream *st = j ? ps_calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(j);
        return ps__conn_error(s, c, f->id, PS_E_NOMEM, 0, "out of memory");
    }
    j->r = (job_req){ query_work, qjob_free };
    if (!(j->pq = take_query(s, c, f, payload, &j->q))) {
        free(st);
        free(j);
        return;
    }
    j->q.pat = j->q.tpl = ps_bytes_of(NULL, 0);
    st->kind = STREAM_QUERY;
    st->id = f->id;
    st->fd = -1;
    st->batch = j->q.batch ? j->q.batch : 1024;
    collect k;
    ps_diag d;
    int rc = run_query(s, st, j, Q_LOOP_CUT, &k, &d);
    if (k.cut) { /* long: a child runs it whole, into a file */
        ps_buf_clear(&st->data, 0);
        st->flags = 0;
        if ((st->fd = ps__served_tmp_file()) >= 0 && !ps__job_fork(s, c, st, &j->r)) {
            c->st = st;
            return;
        }
        if (st->fd >= 0) /* no child: here after all, whole */
            close(st->fd);
        st->fd = -1;
        rc = run_query(s, st, j, Q_LOOP_WHOLE, &k, &d);
    }
    qjob_free(&j->r);
    if (rc) {
        ps__stream_free(st);
        return query_failed(s, c, f->id, rc, &k, &d);
    }
    c->st = st;
}

void ps__handle_transform(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    qreq q;
    ps_query *pq = take_query(s, c, f, payload, &q);
    if (!pq)
        return;
    ps_space *out;
    ps_query_opts qo;
    ps_query_opts_init(&qo);
    qo.threads = s->o.query_threads;
    qo.limit = q.limit;
    ps_diag d;
    int rc = ps_space_new(&out);
    if (!rc)
        rc = ps_query_into(pq, ps_source_space(ps_pspace_space(s->p)), &qo, out, NULL, NULL, &d);
    ps_query_free(pq);
    if (rc) {
        ps_space_free(out);
        return ps__conn_error(s, c, f->id, rc, 0, "transform: %s",
                              rc == PS_E_NOMEM ? "out of memory" : d.msg);
    }
    /* the results are taken whole before any is added: the space the query
     * read did not change under it */
    uint64_t added = 0, results = ps_space_count(out);
    ps_iter *it;
    rc = ps_iter_new(out, ps_bytes_of(NULL, 0), &it);
    ps_bytes path;
    while (!rc && ps_iter_next(it, &path, NULL, NULL) == PS_OK) {
        int ch;
        if (ps__served_stage(s->sv, SERVED_ADD, path, &ch))
            break; /* the log is broken: the loop ends */
        added += (uint64_t)ch;
    }
    if (!rc)
        ps_iter_free(it);
    ps_space_free(out);
    if (rc || ps__served_failed(s->sv))
        return rc ? ps__conn_error(s, c, f->id, rc, 0, "out of memory") : (void)0;
    ps_buf b = { 0 };
    uint8_t *p = ps__frame_begin(&b, f->type | PS_MSG_REPLY, 0, f->id, TRANSFORM_REPLY, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    p = wr_u64(p, results);
    p = wr_u64(p, added);
    p = wr_u64(p, ps_pspace_seq(s->p) + ps__served_staged(s->sv));
    wr_u64(p, ps_space_count(ps_pspace_space(s->p)));
    ps__conn_queue(s, c, &b);
}

/* -------------------------------------------------------------- count */

/* Paths the loop counts itself; a prefix that holds more is counted by a
 * forked child (10M atoms under one prefix took the loop half a second). */
#define COUNT_LOOP 131072u

/* A COUNT's or an EXPORT's job: its prefix, copied (it may wait for a
 * slot after the request's bytes are gone). */
typedef struct pjob {
    job_req r;
    int fmt;
    ps_buf prefix;
} pjob;

static void pjob_free(job_req *r)
{
    pjob *j = (pjob *)r;
    ps_buf_free(&j->prefix);
    free(j);
}

static pjob *pjob_new(int (*work)(ps_server *, stream *, const job_req *, uint32_t *, uint64_t *,
                                  ps_diag *),
                      int fmt, ps_bytes prefix)
{
    pjob *j = ps_calloc(1, sizeof *j);
    if (j && ps_buf_append(&j->prefix, prefix.ptr, prefix.len)) {
        free(j);
        j = NULL;
    }
    if (j) {
        j->r = (job_req){ work, pjob_free };
        j->fmt = fmt;
    }
    return j;
}

static int count_work(ps_server *s, stream *st, const job_req *r, uint32_t *flags,
                      uint64_t *value, ps_diag *d)
{
    (void)st;
    (void)d;
    const pjob *k = (const pjob *)r;
    int more;
    *flags = 0;
    return ps_space_count_prefix(ps_pspace_space(s->p), ps_buf_bytes(&k->prefix), 0, value,
                                 &more);
}

static int count_reply(ps_server *s, conn *c, uint64_t id, uint64_t n, ps_buf *b)
{
    (void)s, (void)c;
    int rc;
    uint8_t *p = ps__frame_begin(b, PS_MSG_COUNT | PS_MSG_REPLY, 0, id, 8, &rc);
    if (p)
        wr_u64(p, n);
    return p ? PS_OK : rc;
}

void ps__handle_count(ps_server *s, conn *c, const ps_frame *f, ps_bytes prefix)
{
    uint64_t n;
    int more, rc = ps_space_count_prefix(ps_pspace_space(s->p), prefix, COUNT_LOOP, &n, &more);
    stream *st = NULL;
    pjob *k = NULL;
    if (!rc && more && (st = ps_calloc(1, sizeof *st)) &&
        (k = pjob_new(count_work, 0, prefix))) {
        st->kind = STREAM_COUNT;
        st->id = f->id;
        st->fd = -1;
        if (!ps__job_fork(s, c, st, &k->r)) {
            c->st = st;
            return;
        }
    }
    if (k)
        pjob_free(&k->r);
    if (st) { /* no child: here after all */
        free(st);
        rc = ps_space_count_prefix(ps_pspace_space(s->p), prefix, 0, &n, &more);
    }
    if (rc)
        return ps__conn_error(s, c, f->id, rc, 0, "COUNT: %s", ps_strerror(rc));
    ps_buf b = { 0 };
    if (count_reply(s, c, f->id, n, &b)) {
        c->closing = 1;
        return;
    }
    ps__conn_queue(s, c, &b);
}

/* ------------------------------------------------------------- export */

typedef struct fd_out {
    int fd;
    ps_buf *b;
} fd_out;

static int flush_text(fd_out *o, size_t keep_under)
{
    if (o->b->len < keep_under)
        return PS_OK;
    ps_sink k = ps_sink_fd(o->fd);
    int rc = k.write(k.ctx, ps_buf_data(o->b), o->b->len);
    ps_buf_clear(o->b, 0);
    return rc;
}

static int export_text(ps_server *s, int fd, ps_iter *it)
{
    fd_out o = { fd, &s->text };
    ps_buf_clear(&s->text, 0);
    ps_bytes path;
    int rc = PS_OK;
    while (!rc && ps_iter_next(it, &path, NULL, NULL) == PS_OK) {
        rc = ps_atom_print(path, &s->text);
        if (!rc)
            rc = ps_buf_append(&s->text, "\n", 1);
        if (!rc)
            rc = flush_text(&o, 1u << 16);
    }
    return rc ? rc : flush_text(&o, 0);
}

static int export_snap(int fd, ps_iter *it)
{
    ps_snap_writer *w;
    ps_snap_opts o;
    ps_snap_opts_init(&o);
    o.threads = 1; /* the loop's thread, or a forked child: no threads */
    int rc = ps_snap_writer_new(ps_sink_fd(fd), &o, &w);
    if (rc)
        return rc;
    ps_bytes path;
    int has;
    uint64_t v;
    while (!rc && ps_iter_next(it, &path, &has, &v) == PS_OK)
        rc = has ? ps_snap_writer_add_value(w, path, v) : ps_snap_writer_add(w, path);
    if (!rc)
        rc = ps_snap_writer_finish(w, NULL);
    ps_snap_writer_free(w);
    return rc;
}

static int export_paths(int fd, ps_iter *it, int skip, ps_diag *d)
{
    ps_paths_writer *w;
    ps_paths_opts o;
    ps_paths_opts_init(&o);
    o.threads = 1;
    int rc = ps_paths_writer_new(ps_sink_fd(fd), &o, &w);
    if (rc)
        return rc;
    ps_bytes path;
    uint64_t n = 0;
    while (!rc && ps_iter_next(it, &path, NULL, NULL) == PS_OK)
        rc = ps_path_fits_mork(path) ? (n++, ps_paths_writer_add(w, path))
             : skip                  ? PS_OK
                                     : ps_refuse_extended(path, n + 1, PS_FORMAT_PATHS, d);
    if (!rc)
        rc = ps_paths_writer_finish(w, NULL);
    ps_paths_writer_free(w);
    return rc;
}

/* stream.c: writes the export of the space under prefix to fd; d says why
 * not (an atom a .paths export cannot hold is named). */
static int export_write(ps_server *s, int fd, int fmt, ps_bytes prefix, ps_diag *d)
{
    ps_iter *it;
    int rc = ps_iter_new(ps_pspace_space(s->p), prefix, &it);
    if (rc)
        return rc;
    int skip = (fmt & PS_EXPORT_SKIP_EXTENDED) != 0;
    fmt &= 0xFF;
    rc = fmt == PS_EXPORT_TEXT ? export_text(s, fd, it)
         : fmt == PS_EXPORT_SNAP ? export_snap(fd, it)
                                 : export_paths(fd, it, skip, d);
    if (rc && rc != PS_E_UNSUPPORTED)
        ps__diag_set(d, rc, NULL, 0, "%s", ps_strerror(rc));
    ps_iter_free(it);
    return rc;
}

static int export_work(ps_server *s, stream *st, const job_req *r, uint32_t *flags,
                       uint64_t *value, ps_diag *d)
{
    (void)value;
    const pjob *x = (const pjob *)r;
    *flags = 0;
    return export_write(s, st->fd, x->fmt, ps_buf_bytes(&x->prefix), d);
}

/* The export is written to an unlinked file by a forked child, from its
 * copy-on-write image of the space (the loop pauses for fork() alone),
 * or here when no child can start; then it streams from the file. */
void ps__handle_export(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    rd r = rd_of(payload);
    uint8_t fmt = rd_u8(&r), opt = rd_u8(&r);
    const uint8_t *z = rd_take(&r, 6);
    if (r.bad || fmt > PS_EXPORT_PATHS || opt > 1 || memcmp(z, "\0\0\0\0\0\0", 6))
        return ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "EXPORT: malformed payload");
    int fo = fmt | (opt ? PS_EXPORT_SKIP_EXTENDED : 0);
    ps_bytes prefix = ps_bytes_of(payload.ptr + EXPORT_HEAD, payload.len - EXPORT_HEAD);
    int fd = ps__served_tmp_file();
    stream *st = fd < 0 ? NULL : ps_calloc(1, sizeof *st);
    if (!st) {
        if (fd >= 0)
            close(fd);
        return ps__conn_error(s, c, f->id, fd < 0 ? PS_E_IO : PS_E_NOMEM, 0, "EXPORT: %s",
                              fd < 0 ? "no temporary file" : "out of memory");
    }
    st->kind = STREAM_EXPORT;
    st->id = f->id;
    st->fd = fd;
    pjob *x = pjob_new(export_work, fo, prefix);
    if (x && ps__job_fork(s, c, st, &x->r) == 0) {
        c->st = st;
        return;
    }
    if (x)
        pjob_free(&x->r);
    ps_diag d = { 0 };
    int rc = export_write(s, fd, fo, prefix, &d);
    off_t size = lseek(fd, 0, SEEK_END);
    if (rc || size < 0) {
        ps__stream_free(st);
        return ps__conn_error(s, c, f->id, rc ? rc : PS_E_IO, 0, "EXPORT: %s",
                              rc ? d.msg : ps_strerror(PS_E_IO));
    }
    st->size = (uint64_t)size;
    c->st = st;
}

/* ------------------------------------------------------------- sending */

void ps__stream_free(stream *st)
{
    if (!st)
        return;
    if (st->pend)
        st->pend->free(st->pend);
    if (st->run) /* the client left: the run stops after its step */
        ps__run_orphan(st->run);
    if (st->fd >= 0)
        close(st->fd);
    ps_buf_free(&st->data);
    free(st);
}

/* A query a child ran streams from its file: the records not yet sent
 * are moved to the front, and more are read until at least one whole
 * record is here (or the file ends). Memory: about a frame's worth. */
static int refill(stream *st)
{
    ps_buf *b = &st->data;
    if (st->fd < 0 || st->foff == st->size)
        return PS_OK;
    size_t left = b->len - st->off;
    const uint8_t *d = ps_buf_data(b);
    if (left >= 4 && left >= 4 + (size_t)ps_read_le32(d + st->off) && left >= 2 * STREAM_FRAME)
        return PS_OK;
    if (st->off) {
        memmove(ps_buf_data(b), ps_buf_data(b) + st->off, left);
        b->len = left;
        st->off = 0;
    }
    for (;;) {
        size_t need = b->len >= 4 ? 4 + (size_t)ps_read_le32(ps_buf_data(b)) : 4;
        size_t want = need > b->len ? need - b->len : 0;
        want = want > 4 * STREAM_FRAME ? want : 4 * STREAM_FRAME;
        uint64_t rest = st->size - st->foff;
        if (!rest || (b->len >= need && b->len >= 2 * STREAM_FRAME))
            return PS_OK;
        size_t n = rest < want ? (size_t)rest : want;
        if (ps_buf_reserve(b, n))
            return PS_E_NOMEM;
        ssize_t k = pread(st->fd, ps_buf_data(b) + b->len, n, (off_t)st->foff);
        if (k <= 0)
            return PS_E_IO;
        b->len += (size_t)k;
        st->foff += (uint64_t)k;
    }
}

/* The next QUERY frame: up to batch results, and up to STREAM_FRAME bytes
 * unless one result alone is larger. */
static int query_frame(stream *st, ps_buf *b, int *last)
{
    int rc = refill(st);
    if (rc)
        return rc;
    const uint8_t *d = ps_buf_data(&st->data);
    size_t end = st->off, len = 8;
    uint32_t n = 0;
    while (!st->cancelled && end + 4 <= st->data.len && n < st->batch) {
        size_t each = 4 + ps_read_le32(d + end);
        if (end + each > st->data.len || (n && len + each > STREAM_FRAME))
            break;
        len += each;
        end += each;
        n++;
    }
    *last = st->cancelled || (end == st->data.len && (st->fd < 0 || st->foff == st->size));
    unsigned flags = *last ? st->flags | (st->cancelled ? PS_FLAG_CANCELLED : 0) : PS_FLAG_MORE;
    uint8_t *p = ps__frame_begin(b, PS_MSG_QUERY | PS_MSG_REPLY, (uint16_t)flags, st->id, len, &rc);
    if (!p)
        return rc;
    p = wr_u32(p, n);
    p = wr_u32(p, 0);
    if (len > 8) /* no results: d is NULL */
        memcpy(p, d + st->off, len - 8);
    st->off = end;
    return PS_OK;
}

static int export_frame(stream *st, ps_buf *b, int *last)
{
    uint64_t left = st->size - st->foff;
    size_t len = st->cancelled ? 0 : left < STREAM_FRAME ? (size_t)left : STREAM_FRAME;
    *last = st->cancelled || len == left;
    unsigned flags = *last ? (st->cancelled ? PS_FLAG_CANCELLED : 0) : PS_FLAG_MORE;
    int rc;
    uint8_t *p = ps__frame_begin(b, PS_MSG_EXPORT | PS_MSG_REPLY, (uint16_t)flags, st->id, len, &rc);
    if (!p)
        return rc;
    for (size_t done = 0; done < len;) {
        ssize_t k = pread(st->fd, p + done, len - done, (off_t)(st->foff + done));
        if (k <= 0) {
            ps_pool_put(b);
            return PS_E_IO;
        }
        done += (size_t)k;
    }
    st->foff += len;
    return PS_OK;
}

int ps__stream_fill(ps_server *s, conn *c)
{
    while (c->st && !c->st->waiting && c->on < OUTQ && c->queued < s->o.out_limit) {
        stream *st = c->st;
        ps_buf b = { 0 };
        int last = 0;
        int rc = st->kind == STREAM_QUERY   ? query_frame(st, &b, &last)
                 : st->kind == STREAM_COUNT ? (last = 1, count_reply(s, c, st->id, st->size, &b))
                                            : export_frame(st, &b, &last);
        if (rc)
            return rc;
        ps__conn_queue(s, c, &b);
        if (last) {
            ps__stream_free(st);
            c->st = NULL;
        }
    }
    return PS_OK;
}
