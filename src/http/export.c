/*
 * export.c - MORK's export: the instantiated template of every match, in
 * the body or into a file://.
 *
 * A small export (up to fork_results results) is found and printed right
 * here under the read lock. A bigger one would hold the lock, and so stall
 * the binary protocol's loop, for as long as it takes to print: it is
 * written by a forked child instead, as the binary EXPORT is, from its
 * copy-on-write image of the space, and the lock is held for fork() only.
 * The child writes into an unlinked file (or the target's temporary name)
 * and says how it ended in its exit status; the body is then sent from
 * the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "import/import.h"

/* How an export ends (a forked child's exit status). */
enum { XP_OK, XP_NOMEM, XP_TOO_MANY, XP_WORK, XP_IO, XP_FORK, XP_EXTENDED };

typedef struct xport {
    ps_http *h;
    const pt *x;
    uint64_t limit; /* max_write (0: none)                         */
    int raw, paths; /* the format: raw, paths, else MeTTa           */
    int lossless;   /* MeTTa in pathspace's lossless form, not MORK's */
    int skip_ext;   /* paths: leave out atoms MORK cannot hold        */
} xport;

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


/* MORK's clients parse MORK's text: symbols raw, by default. */
static int mork_line(ps_buf *b, ps_bytes a)
{
    int rc = ps_atom_print_mork(a, b);
    return rc ? rc : ps_buf_append(b, "\n", 1);
}

/* XP_EXTENDED: d names the atom .paths cannot hold (ps_refuse_extended). */
static int render(const xport *e, const ps_space *res, ps_sink out, ps_diag *d)
{
    if (e->raw || !(e->paths || e->lossless))
        return ps__save_lines(res, out, e->raw ? raw_line : mork_line) ? XP_IO : XP_OK;
    int rc = ps_space_save_with(res, out, e->paths ? PS_FORMAT_PATHS : PS_FORMAT_METTA,
                                e->skip_ext ? PS_SAVE_SKIP_EXTENDED : 0, NULL, d);
    return rc == PS_E_UNSUPPORTED ? XP_EXTENDED : rc ? XP_IO : XP_OK;
}

/* The export's results on src into *res, or src itself for $x to $x
 * (*got). cut (0: none): more than this many results, or a search past
 * what the lock may hold (HELD_CUT_BYTES: rendering 562 MB under it
 * stalled the binary loop for 2 s), is XP_FORK. */
static int results(const xport *e, const ps_space *src, uint64_t cut, ps_space **res,
                   const ps_space **got)
{
    uint64_t cap = e->h->o.max_results, n;
    *res = NULL;
    if (!e->x->q) {
        n = ps_space_count(src);
        *got = src;
        return n > cap ? XP_TOO_MANY : cut && n > cut ? XP_FORK : XP_OK;
    }
    uint64_t lim = e->limit && e->limit < cap ? e->limit : cap + 1;
    int forkable = cut && cut < lim, was_cut = 0;
    ps_diag d = { 0 };
    if (ps_space_new(res))
        return XP_NOMEM;
    int rc = ps__space_run_cut(e->h, e->x->q, src, forkable ? cut + 1 : lim, 1,
                               cut ? HELD_CUT_BYTES : 0, &was_cut, *res, &d);
    if (rc)
        return rc == PS_E_LIMIT ? XP_WORK : XP_NOMEM;
    n = ps_space_count(*res);
    *got = *res;
    if (was_cut || (forkable && n > cut))
        return XP_FORK;
    return (!e->limit || e->limit > cap) && n > cap ? XP_TOO_MANY : XP_OK;
}

/* In this thread into b; XP_FORK past cut results (0: no cut). The search
 * runs under the read lock; its results, a space of their own, are
 * printed after it is let go. $x to $x prints the served space itself,
 * under the lock, and cut bounds that. */
static int here(const xport *e, uint64_t cut, ps_buf *b, ps_diag *d)
{
    ps_space *res;
    const ps_space *got;
    ps__served_lock(e->h->sv, 0);
    int rc = results(e, ps_pspace_space(ps_served_pspace(e->h->sv)), cut, &res, &got);
    if (rc == XP_OK && !res)
        rc = render(e, got, ps_sink_buf(b), d);
    ps__served_unlock(e->h->sv);
    if (rc == XP_OK && res)
        rc = render(e, res, ps_sink_buf(b), d);
    ps_space_free(res);
    return rc;
}

/* The child: every descriptor but fd closed (a client's socket must close
 * when the server closes it), the export written into fd; when an atom
 * is refused, fd holds the message instead (forked() reads it). */
static void child(const xport *e, int fd)
{
    if (fd > 3)
        close_range(3, (unsigned)fd - 1, 0);
    close_range((unsigned)fd + 1, ~0u, 0);
    ps_space *res;
    const ps_space *got;
    int rc = results(e, ps_pspace_space(ps_served_pspace(e->h->sv)), 0, &res, &got);
    ps_diag d = { 0 };
    if (rc == XP_OK)
        rc = render(e, got, ps_sink_fd(fd), &d);
    if (rc == XP_EXTENDED && (ftruncate(fd, 0) ||
                              pwrite(fd, d.msg, strlen(d.msg), 0) != (ssize_t)strlen(d.msg)))
        rc = XP_IO;
    _exit(rc);
}

/* In a forked child, into fd: XP_OK, or why not (-1: no child). */
static int forked(const xport *e, int fd, ps_diag *d)
{
    ps__child_slot_take(e->h);
    ps__served_lock(e->h->sv, 0);
    pid_t pid = ps__served_fork(e->h->sv);
    if (pid == 0)
        child(e, fd);
    ps__served_unlock(e->h->sv);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ps__child_slot_give(e->h);
    if (pid < 0)
        return -1;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : XP_IO;
    ssize_t n;
    if (rc == XP_EXTENDED && (n = pread(fd, d->msg, sizeof d->msg - 1, 0)) >= 0)
        d->msg[n] = 0;
    return rc;
}

static void failed(const xport *e, int rc, const ps_diag *d, reply *r)
{
    unsigned long long cap = e->h->o.max_results;
    if (rc == XP_EXTENDED)
        ps__reply_text(r, 422, "export: %s (pass skip_extended=1 to leave such atoms out)",
                       d->msg);
    else if (rc == XP_TOO_MANY)
        ps__reply_text(r, 413,
                       "export: more than %llu results (pass max_write, or raise "
                       "--http-max-results)",
                       cap);
    else if (rc == XP_WORK)
        ps__reply_text(r, 413, "export: more than %llu solutions (%u per --http-max-results)",
                       cap * SOLUTIONS_PER_RESULT, SOLUTIONS_PER_RESULT);
    else
        ps__reply_text(r, 500, "export: %s", rc == XP_NOMEM ? "out of memory" : "cannot write");
}

/* Into a file beneath --http-files: by a temporary name, fsynced, renamed
 * (files.c). */
static void to_file(const xport *e, const char *uri, const char *rel, reply *r)
{
    hfile f;
    if (ps__files_create(e->h, rel, &f, r))
        return;
    ps_buf b = { 0 };
    ps_diag d = { 0 };
    int rc = here(e, e->h->o.fork_results, &b, &d);
    if (rc == XP_FORK && (rc = forked(e, f.fd, &d)) == -1) /* no child: here after all */
        rc = here(e, 0, &b, &d);
    ps_sink sk = ps_sink_fd(f.fd);
    if (rc == XP_OK && b.len && sk.write(sk.ctx, ps_buf_data(&b), b.len))
        rc = XP_IO;
    ps_buf_free(&b);
    if (rc != XP_OK) {
        ps__files_discard(&f);
        return failed(e, rc, &d, r);
    }
    if (ps__files_publish(&f)) /* a directory there is the client's mistake */
        return (void)ps__reply_text(r, errno == EISDIR || errno == ENOTEMPTY ? 400 : 500,
                                    "export: cannot write %s: %s", rel, strerror(errno));
    ps__reply_text(r, 200, "Output written to file: \"%s\"", strchr(uri + 7, '/'));
}

/* In the body: from memory, or from the child's file. */
static void to_body(const xport *e, reply *r)
{
    ps_buf b = { 0 };
    ps_diag d = { 0 };
    int rc = here(e, e->h->o.fork_results, &b, &d), fd = -1;
    if (rc == XP_FORK && (fd = ps__served_tmp_file()) >= 0 && (rc = forked(e, fd, &d)) == -1)
        rc = XP_FORK;
    if (rc == XP_FORK) { /* no file or no child: here after all */
        if (fd >= 0)
            close(fd);
        fd = -1;
        rc = here(e, 0, &b, &d);
    }
    struct stat st;
    if (rc == XP_OK && fd >= 0 && !fstat(fd, &st) &&
        (r->stream = MHD_create_response_from_fd((uint64_t)st.st_size, fd)))
        fd = -1; /* the response has it now */
    else if (rc == XP_OK && fd >= 0)
        rc = XP_NOMEM;
    if (fd >= 0)
        close(fd);
    if (rc != XP_OK) {
        ps_buf_free(&b);
        return failed(e, rc, &d, r);
    }
    r->code = 200;
    r->type = e->paths ? "application/octet-stream" : "text/plain; charset=utf-8";
    if (!r->stream) {
        ps_buf_free(&r->body);
        r->body = b;
    }
}

static void export_args(req *q, reply *r, const pt *x)
{
    ps_buf fb = { 0 }, ub = { 0 }, mb = { 0 }, lb = { 0 }, sb = { 0 };
    const char *f = ps__reply_arg(q, "format", &fb, NULL),
               *uri = ps__reply_arg(q, "uri", &ub, NULL),
               *mw = ps__reply_arg(q, "max_write", &mb, NULL),
               *ll = ps__reply_arg(q, "lossless", &lb, NULL),
               *sk = ps__reply_arg(q, "skip_extended", &sb, NULL);
    xport e = { q->h, x, mw ? strtoull(mw, NULL, 10) : 0, f && !strcmp(f, "raw"),
                f && !strcmp(f, "paths"), ps__arg_true(ll), ps__arg_true(sk) };
    const char *rel = NULL;
    if (f && !e.raw && !e.paths && strcmp(f, "metta"))
        ps__reply_text(r, 400,
                       "export: format '%s' is not one this server writes (metta, raw, paths)", f);
    else if (uri && !ps__files_rel(q->h, uri, &rel, r, "export"))
        to_file(&e, uri, rel, r);
    else if (!uri)
        to_body(&e, r);
    ps_buf_free(&fb);
    ps_buf_free(&ub);
    ps_buf_free(&mb);
    ps_buf_free(&lb);
    ps_buf_free(&sb);
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
        export_args(q, r, &x);
        ps__perm_release(q->h, &g, 1);
    }
    ps__pt_free(&x);
}
