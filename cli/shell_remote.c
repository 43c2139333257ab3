/* shell_remote.c - the shell's backend for a served space: each command is
 * one request of the binary protocol (ps_client). */
#include <string.h>

#include "shell.h"

static ps_bytes text_of(const char *t, size_t n)
{
    return ps_bytes_of(t, n);
}

static int r_change(void *ctx, int remove, const char *text, size_t len, ps_change *out,
                    ps_diag *d)
{
    ps_bytes item = text_of(text, len);
    return remove ? ps_client_remove(ctx, PS_FORM_TEXT, &item, 1, out, d)
                  : ps_client_add(ctx, PS_FORM_TEXT, &item, 1, out, d);
}

static int r_contains(void *ctx, const char *text, size_t len, ps_buf *bits, uint64_t *n,
                      ps_diag *d)
{
    ps_bytes item = text_of(text, len);
    return ps_client_contains(ctx, PS_FORM_TEXT, &item, 1, bits, n, d);
}

static int r_count(void *ctx, ps_bytes prefix, uint64_t *n, ps_diag *d)
{
    return ps_client_count(ctx, prefix, n, d);
}

static int r_query(void *ctx, const char *pat, const char *tpl, uint64_t limit,
                   int (*fn)(void *, ps_bytes), void *fctx, int *cut, ps_diag *d)
{
    ps_client_qopts q;
    ps_client_qopts_init(&q);
    q.form = PS_FORM_TEXT;
    q.limit = limit;
    uint64_t n = 0;
    unsigned flags = 0;
    int rc = ps_client_query(ctx, ps_bytes_of(pat, strlen(pat)),
                             ps_bytes_of(tpl, tpl ? strlen(tpl) : 0), &q, fn, fctx, &n, &flags,
                             d);
    *cut = (flags & PS_FLAG_LIMITED) || (limit && n == limit);
    return rc;
}

static int r_transform(void *ctx, const char *pat, const char *tpl, uint64_t *results,
                       ps_change *out, ps_diag *d)
{
    return ps_client_transform(ctx, ps_bytes_of(pat, strlen(pat)), ps_bytes_of(tpl, strlen(tpl)),
                               out, results, d);
}

static int r_export(void *ctx, int fd, ps_diag *d)
{
    uint64_t bytes;
    return ps_client_export(ctx, PS_EXPORT_TEXT, ps_bytes_of(NULL, 0), ps_sink_fd(fd), &bytes, d);
}

static int r_checkpoint(void *ctx, ps_ckpt_info *out, ps_diag *d)
{
    return ps_client_checkpoint(ctx, out, d);
}

static int r_stats(void *ctx, report *r, ps_diag *d)
{
    ps_server_stats s;
    int rc = ps_client_stats(ctx, &s, d);
    if (!rc)
        report_server_stats(r, &s);
    return rc;
}

int shell_remote(shell_backend *b, ps_client *c, const char *where)
{
    *b = (shell_backend){ c,        where,     r_change, r_contains,   r_count,
                          r_query,  r_transform, r_export, r_checkpoint, r_stats };
    return 0;
}
