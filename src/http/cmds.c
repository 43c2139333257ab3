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

#include "expr/tags.h"
#include "http.h"
#include "common/alloc.h"
#include "common/diag.h"

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
    if (identity_ok && x->pat.len == 1 && x->tmpl.len == 1 && ps_buf_data(&x->pat)[0] == TAG_NEWVAR &&
        ps_buf_data(&x->tmpl)[0] == TAG_NEWVAR)
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
        else if (rc) /* 421: a shard's router sends it elsewhere, by a newer map */
            ps__reply_text(r, rc == PS_E_MOVED ? 421 : rc == PS_E_LOCKED ? 423 : bad ? 413 : 500,
                           "upload: %s", d.msg);
        else
            ps__reply_text(r, 200, "ACK. Upload Successful");
        if (held)
            ps__perm_release(q->h, &g, 1);
        ps__pt_free(&x);
    }
    ps_buf_free(&fb);
}

/* Every path under prefix p of the served space, into out (dst: with p
 * replaced by dst's bytes). */
static int collect(ps_http *h, ps_bytes p, ps_bytes dst, int swap, ps_space *out, ps_diag *d)
{
    ps_iter *it;
    ps_buf b = { 0 };
    ps__served_lock(h->sv, 0);
    int rc = ps_iter_new(ps_pspace_space(ps_served_pspace(h->sv)), p, &it);
    if (rc) {
        ps__served_unlock(h->sv);
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
                ps__term_len(ps_buf_data(&b), b.len) != b.len) {
                rc = ps__diag_set(d, PS_E_INVAL, NULL, 0, "the copy would not be an atom");
                break;
            }
            a = ps_buf_bytes(&b);
        }
        rc = ps_space_insert(out, a, NULL);
    }
    ps_iter_free(it);
    ps__served_unlock(h->sv);
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
    else if (ps__space_apply(q->h, SERVED_REMOVE, all, &n, &d))
        ps__reply_text(r, d.code == PS_E_MOVED ? 421 : d.code == PS_E_LOCKED ? 423 : 500,
                       "clear: %s", d.msg);
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
    else if (ps__space_apply(q->h, SERVED_ADD, got, &n, &d))
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

void ps__cmd_shardmap(req *q, reply *r)
{
    ps_buf_clear(&r->body, 0);
    int rc = ps__served_shard_json(q->h->sv, &r->body);
    if (rc == PS_E_NOTFOUND)
        ps__reply_text(r, 404, "shardmap: this server is no shard");
    else if (rc)
        ps__reply_text(r, 500, "shardmap: out of memory");
    else
        r->code = 200, r->type = "application/json";
}
