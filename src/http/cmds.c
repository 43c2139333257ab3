/*
 * cmds.c - MORK's synchronous commands: upload, export, clear, copy,
 * explore, status and status_stream. Each answers when its work is done
 * (and, for a change, logged); reply bodies are MORK's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "http.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "net/server.h"
#include "store/wal.h"

void ps__pt_free(pt *x)
{
    ps_buf_free(&x->pat);
    ps_buf_free(&x->tmpl);
    ps_query_free(x->q);
    memset(x, 0, sizeof *x);
}

/* The error's 400 in r, x left empty; 1. */
static int pt_fail(pt *x, reply *r, const char *what, const ps_diag *d)
{
    ps__pt_free(x);
    return ps__reply_text(r, 400, "%s %u:%u: %s", what, d->line, d->col, d->msg);
}

int ps__pt_parse(pt *x, ps_bytes pat, ps_bytes tmpl, int identity_ok, reply *r)
{
    ps_diag d = { 0 };
    memset(x, 0, sizeof *x);
    if (ps__space_parse(pat, &x->pat, &x->ppfx, &d))
        return pt_fail(x, r, "pattern", &d);
    if (ps__space_parse(tmpl, &x->tmpl, &x->tpfx, &d))
        return pt_fail(x, r, "template", &d);
    if (identity_ok && x->pat.len == 1 && x->tmpl.len == 1 && ps_buf_data(&x->pat)[0] == 0xC0 &&
        ps_buf_data(&x->tmpl)[0] == 0xC0)
        return 0; /* $x to $x: the atoms as they are */
    if (ps_query_parse((const char *)pat.ptr, pat.len, (const char *)tmpl.ptr, tmpl.len, &x->q, &d))
        return pt_fail(x, r, "query", &d);
    return 0;
}

int ps__expr_arg(req *q, reply *r, const char *cmd, ps_buf *e, size_t *pfx)
{
    ps_diag d = { 0 };
    if (!ps__space_parse(q->seg[0], e, pfx, &d))
        return 0;
    ps_buf_free(e);
    return ps__reply_text(r, 400, "%s %u:%u: %s", cmd, d.line, d.col, d.msg);
}

int ps__http_busy(reply *r, const char *cmd, int rc)
{
    if (rc == PS_E_NOMEM)
        return ps__reply_text(r, 500, "%s: out of memory", cmd);
    return ps__reply_text(r, 401,
                          "%s: a command holds an overlapping path; its status says which "
                          "(pathForbiddenTemporary, pathReadOnlyTemporary)",
                          cmd);
}

const char *ps__file_path(const char *uri)
{
    if (strncmp(uri, "file://", 7))
        return NULL;
    uri += 7;
    if (!strncmp(uri, "localhost/", 10))
        uri += 9;
    return *uri == '/' ? uri : NULL;
}

void ps__cmd_upload(req *q, reply *r)
{
    ps_buf fb = { 0 };
    const char *fname = ps__reply_arg(q, "format", &fb, NULL);
    int format = fname ? ps_format_of(fname) : PS_FORMAT_METTA;
    pt x;
    if (!format)
        ps__reply_text(r, 400, "upload: unknown format '%s' (metta, paths, json, jsonl, csv)",
                       fname);
    else if (!ps__pt_parse(&x, q->seg[0], q->seg[1], 1, r)) {
        grant g = { ps_buf_data(&x.tmpl), x.tpfx, 1 };
        int rc = ps__perm_acquire(q->h, &g, 1), held = !rc, bad;
        ps_diag d = { 0 };
        uint64_t changed;
        if (rc)
            ps__http_busy(r, "upload", rc);
        else if ((rc = ps__space_add_input(q->h, &x, ps_buf_data(&q->body), q->body.len, format,
                                           &changed, &bad, &d)) &&
                 bad == 1)
            ps__reply_text(r, 400, "upload: %s at %u:%u (byte %llu): %s", ps_strerror(rc), d.line,
                           d.col, (unsigned long long)d.offset, d.msg);
        else if (rc)
            ps__reply_text(r, bad ? 413 : 500, "upload: %s", d.msg);
        else
            ps__reply_text(r, 200, "ACK. Upload Successful");
        if (held)
            ps__perm_release(q->h, &g, 1);
        ps__pt_free(&x);
    }
    ps_buf_free(&fb);
}

/* "[1, 2, 3]": a path as MORK's raw export prints it (Rust's {:?}). */
static int raw_line(ps_buf *b, ps_bytes a)
{
    char num[8];
    int rc = ps_buf_append(b, "[", 1);
    for (size_t i = 0; i < a.len && !rc; i++) {
        int n = snprintf(num, sizeof num, i ? ", %u" : "%u", a.ptr[i]);
        rc = ps_buf_append(b, num, (size_t)n);
    }
    return rc ? rc : ps_buf_append(b, "]\n", 2);
}

static int render(const ps_space *res, int raw, int paths, ps_buf *out)
{
    if (paths)
        return ps_space_save(res, ps_sink_buf(out), PS_FORMAT_PATHS, NULL);
    if (!raw)
        return ps_space_save(res, ps_sink_buf(out), PS_FORMAT_METTA, NULL);
    ps_iter *it;
    if (ps_iter_new(res, ps_bytes_of(NULL, 0), &it))
        return PS_E_NOMEM;
    ps_bytes a;
    int rc = PS_OK;
    while (!rc && ps_iter_next(it, &a, NULL, NULL) == PS_OK)
        rc = raw_line(out, a);
    ps_iter_free(it);
    return rc;
}

/* The export's bytes into file, by a temporary name and a rename. */
static int write_file(const char *file, const ps_buf *b)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%d", file, (int)getpid()) >= sizeof tmp)
        return ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    ps_sink sk = ps_sink_fd(fd);
    int rc = b->len ? sk.write(sk.ctx, ps_buf_data(b), b->len) : 0;
    int e = rc ? EIO : (fsync(fd) ? errno : 0);
    close(fd);
    if (!e && rename(tmp, file))
        e = errno;
    if (e)
        unlink(tmp);
    return e;
}

static int too_many(reply *r, uint64_t cap)
{
    return ps__reply_text(r, 413,
                          "export: more than %llu results (pass max_write, or raise "
                          "--http-max-results)",
                          (unsigned long long)cap);
}

/* The export's bytes into out: 0, or 1 with r saying why. $x to $x with
 * no limit prints the served space itself, under the read lock. */
static int gather(ps_http *h, const pt *x, uint64_t limit, int raw, int paths, ps_buf *out,
                  reply *r)
{
    uint64_t cap = h->o.max_results;
    ps_diag d = { 0 };
    if (!x->q) {
        ps__server_lock(h->srv, 0);
        const ps_space *all = ps_pspace_space(ps__server_pspace(h->srv));
        int rc = ps_space_count(all) > cap ? too_many(r, cap) : render(all, raw, paths, out);
        ps__server_unlock(h->srv);
        return rc == 1 ? 1 : rc ? ps__reply_text(r, 500, "export: out of memory") : 0;
    }
    ps_space *res = NULL;
    int rc, bad = 1;
    if (ps_space_new(&res))
        ps__reply_text(r, 500, "export: out of memory");
    else if ((rc = ps__space_query(h, x->q, limit && limit < cap ? limit : cap + 1, 1, res, &d)))
        ps__reply_text(r, rc == PS_E_LIMIT ? 413 : 500, "export: %s", d.msg);
    else if ((!limit || limit > cap) && ps_space_count(res) > cap)
        too_many(r, cap);
    else if (render(res, raw, paths, out))
        ps__reply_text(r, 500, "export: out of memory");
    else
        bad = 0;
    ps_space_free(res);
    return bad;
}

static void export_to(req *q, reply *r, const pt *x)
{
    ps_buf fb = { 0 }, ub = { 0 }, mb = { 0 }, out = { 0 };
    const char *f = ps__reply_arg(q, "format", &fb, NULL),
               *uri = ps__reply_arg(q, "uri", &ub, NULL);
    const char *mw = ps__reply_arg(q, "max_write", &mb, NULL);
    int raw = f && !strcmp(f, "raw"), paths = f && !strcmp(f, "paths");
    uint64_t limit = mw ? strtoull(mw, NULL, 10) : 0;
    const char *file = uri ? ps__file_path(uri) : NULL;
    if (f && !raw && !paths && strcmp(f, "metta"))
        ps__reply_text(r, 400,
                       "export: format '%s' is not one this server writes (metta, raw, paths)", f);
    else if (uri && (!file || q->h->o.no_files))
        ps__reply_text(r, 400, "export: uri must be file:///path%s",
                       q->h->o.no_files ? " (and this server writes no files)" : "");
    else if (gather(q->h, x, limit, raw, paths, &out, r))
        ; /* r says why */
    else if (file) {
        int e = write_file(file, &out);
        if (e)
            ps__reply_text(r, 500, "export: cannot write %s: %s", file, strerror(e));
        else
            ps__reply_text(r, 200, "Output written to file: \"%s\"", file);
    } else {
        r->code = 200;
        r->type = paths ? "application/octet-stream" : "text/plain; charset=utf-8";
        ps_buf_free(&r->body);
        r->body = out;
        memset(&out, 0, sizeof out);
    }
    ps_buf_free(&fb);
    ps_buf_free(&ub);
    ps_buf_free(&mb);
    ps_buf_free(&out);
}

void ps__cmd_export(req *q, reply *r)
{
    pt x;
    ps_buf mb = { 0 };
    /* $x to $x prints the space as it is, unless max_write needs a query */
    int whole = !ps__reply_arg(q, "max_write", &mb, NULL);
    ps_buf_free(&mb);
    if (ps__pt_parse(&x, q->seg[0], q->seg[1], whole, r))
        return;
    grant g = { ps_buf_data(&x.pat), x.ppfx, 0 };
    int rc = ps__perm_acquire(q->h, &g, 1);
    if (rc)
        ps__http_busy(r, "export", rc);
    else {
        export_to(q, r, &x);
        ps__perm_release(q->h, &g, 1);
    }
    ps__pt_free(&x);
}

/* Every path under prefix p of the served space, into out (dst: with p
 * replaced by dst's bytes). */
static int collect(ps_http *h, ps_bytes p, ps_bytes dst, int swap, ps_space *out, ps_diag *d)
{
    ps_iter *it;
    ps_buf b = { 0 };
    ps__server_lock(h->srv, 0);
    int rc = ps_iter_new(ps_pspace_space(ps__server_pspace(h->srv)), p, &it);
    if (rc) {
        ps__server_unlock(h->srv);
        return ps__diag_set(d, rc, NULL, 0, "out of memory");
    }
    ps_bytes a;
    while (!rc && ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
        if (swap) {
            ps_buf_clear(&b, 0);
            if ((rc = ps_buf_append(&b, dst.ptr, dst.len)) ||
                (rc = ps_buf_append(&b, a.ptr + p.len, a.len - p.len)))
                break;
            if (ps_atom_check(ps_buf_bytes(&b), NULL, NULL) ||
                ps__space_term_len(ps_buf_data(&b), b.len) != b.len) {
                rc = ps__diag_set(d, PS_E_INVAL, NULL, 0, "the copy would not be an atom");
                break;
            }
            a = ps_buf_bytes(&b);
        }
        rc = ps_space_insert(out, a, NULL);
    }
    ps_iter_free(it);
    ps__server_unlock(h->srv);
    ps_buf_free(&b);
    return rc;
}

void ps__cmd_clear(req *q, reply *r)
{
    ps_buf e = { 0 };
    size_t pfx;
    ps_diag d = { 0 };
    ps_space *all = NULL;
    uint64_t n;
    if (ps__expr_arg(q, r, "clear", &e, &pfx))
        return;
    grant g = { ps_buf_data(&e), pfx, 1 };
    int rc = ps__perm_acquire(q->h, &g, 1);
    if (rc)
        ps__http_busy(r, "clear", rc);
    else if (ps_space_new(&all) ||
             collect(q->h, ps_bytes_of(g.p, g.n), ps_bytes_of(NULL, 0), 0, all, &d))
        ps__reply_text(r, 500, "clear: out of memory");
    else if (ps__space_apply(q->h, WAL_REMOVE, all, &n, &d))
        ps__reply_text(r, 500, "clear: %s", d.msg);
    else
        ps__reply_text(r, 200, "ACK. Cleared");
    if (!rc)
        ps__perm_release(q->h, &g, 1);
    ps_space_free(all);
    ps_buf_free(&e);
}

void ps__cmd_copy(req *q, reply *r)
{
    pt x; /* src and dst, parsed as a pattern and a template would be */
    if (ps__pt_parse(&x, q->seg[0], q->seg[1], 1, r))
        return;
    grant g[2] = { { ps_buf_data(&x.pat), x.ppfx, 0 }, { ps_buf_data(&x.tmpl), x.tpfx, 1 } };
    ps_space *got = NULL;
    ps_diag d = { 0 };
    uint64_t n;
    int rc = ps__perm_acquire(q->h, g, 2), held = !rc;
    if (rc)
        ps__http_busy(r, "copy", rc);
    else if (ps_space_new(&got))
        ps__reply_text(r, 500, "copy: out of memory");
    else if ((rc = collect(q->h, ps_bytes_of(g[0].p, g[0].n), ps_bytes_of(g[1].p, g[1].n), 1, got,
                           &d)))
        ps__reply_text(r, rc == PS_E_INVAL ? 400 : 500, "copy: %s", d.msg);
    else if (ps__space_apply(q->h, WAL_ADD, got, &n, &d))
        ps__reply_text(r, 500, "copy: %s", d.msg);
    else
        ps__reply_text(r, 200, "ACK. Copied");
    if (held)
        ps__perm_release(q->h, g, 2);
    ps_space_free(got);
    ps__pt_free(&x);
}

void ps__cmd_status(req *q, reply *r)
{
    ps_buf e = { 0 };
    size_t pfx;
    if (!ps__expr_arg(q, r, "status", &e, &pfx)) {
        hstatus st;
        ps__perm_get(q->h, ps_buf_data(&e), pfx, &st);
        r->code = 200;
        r->type = "application/json";
        ps_buf_clear(&r->body, 0);
        if (ps__perm_json(&st, &r->body))
            ps__reply_text(r, 500, "status: out of memory");
    }
    ps_buf_free(&e);
}
