/* shell_local.c - the shell's backend for a persistent space in a
 * directory (ps_pspace): every change is logged (and synced, per --fsync)
 * before it is answered, as the server does. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

/* The atoms of text, parsed and kept (their bytes in one buffer). */
typedef struct atoms {
    ps_buf bytes;
    size_t *len;
    size_t n, cap;
} atoms;

static void atoms_free(atoms *a)
{
    ps_buf_free(&a->bytes);
    free(a->len);
}

static int atoms_parse(atoms *a, const char *text, size_t n, ps_diag *d)
{
    ps_parser *p;
    ps_bytes x;
    int rc = ps_parser_new(&p);
    if (rc)
        return shell_nomem(d);
    ps_parser_reset(p, text, n);
    while ((rc = ps_parser_next(p, &x, d)) == PS_OK) {
        if (a->n == a->cap) {
            size_t cap = a->cap ? 2 * a->cap : 16, *v = realloc(a->len, cap * sizeof *v);
            if (!v)
                break;
            a->len = v;
            a->cap = cap;
        }
        if (ps_buf_append(&a->bytes, x.ptr, x.len))
            break;
        a->len[a->n++] = x.len;
    }
    ps_parser_free(p);
    if (rc == PS_E_EMPTY)
        return PS_OK;
    return rc == PS_OK ? shell_nomem(d) : rc;
}

static void changed(ps_pspace *p, uint64_t n, ps_change *out)
{
    out->changed = n;
    out->seq = ps_pspace_seq(p);
    out->atoms = ps_space_count(ps_pspace_space(p));
}

static int l_change(void *ctx, int remove, const char *text, size_t len, ps_change *out,
                    ps_diag *d)
{
    atoms a = { { 0 }, NULL, 0, 0 };
    int rc = atoms_parse(&a, text, len, d);
    uint64_t n = 0;
    ps_bytes *v = rc || !a.n ? NULL : calloc(a.n, sizeof *v);
    if (!rc && a.n && !v)
        rc = shell_nomem(d);
    for (size_t i = 0, off = 0; v && i < a.n; off += a.len[i++])
        v[i] = ps_bytes_of(ps_buf_data(&a.bytes) + off, a.len[i]);
    if (!rc && !remove && a.n) /* one logged batch */
        rc = ps_pspace_add_many(ctx, v, a.n, &n);
    for (size_t i = 0; !rc && remove && i < a.n; i++) {
        int gone = 0;
        rc = ps_pspace_remove(ctx, v[i], &gone);
        n += (uint64_t)gone;
    }
    if (rc && !d->msg[0])
        snprintf(d->msg, sizeof d->msg, "not applied: %s", ps_strerror(rc));
    free(v);
    atoms_free(&a);
    changed(ctx, n, out);
    return rc;
}

static int l_contains(void *ctx, const char *text, size_t len, ps_buf *bits, uint64_t *n,
                      ps_diag *d)
{
    atoms a = { { 0 }, NULL, 0, 0 };
    int rc = atoms_parse(&a, text, len, d);
    ps_buf_clear(bits, 0);
    uint8_t *z = rc ? NULL : ps_buf_append_uninit(bits, (a.n + 7) / 8, &rc);
    if (z)
        memset(z, 0, (a.n + 7) / 8);
    else if (!rc && a.n)
        rc = shell_nomem(d);
    for (size_t i = 0, off = 0; !rc && i < a.n; off += a.len[i++])
        if (ps_space_contains(ps_pspace_space(ctx),
                              ps_bytes_of(ps_buf_data(&a.bytes) + off, a.len[i])))
            ps_buf_data(bits)[i / 8] |= (uint8_t)(1u << (i % 8));
    *n = a.n;
    atoms_free(&a);
    return rc;
}

static int l_count(void *ctx, ps_bytes prefix, uint64_t *n, ps_diag *d)
{
    int rc = ps_space_count_prefix(ps_pspace_space(ctx), prefix, 0, n, NULL);
    return rc ? shell_nomem(d) : PS_OK;
}

/* q's distinct results into a new space *out, at most limit (0: all). */
static int results(ps_pspace *p, const char *pat, const char *tpl, uint64_t limit,
                   ps_space **out, ps_diag *d)
{
    ps_query *q;
    int rc = ps_query_parse(pat, strlen(pat), tpl, tpl ? strlen(tpl) : 0, &q, d);
    if (rc)
        return rc;
    if ((rc = ps_space_new(out))) {
        ps_query_free(q);
        return shell_nomem(d);
    }
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = 0; /* one per CPU: the shell waits for the answer */
    o.limit = limit;
    rc = ps_query_into(q, ps_source_space(ps_pspace_space(p)), &o, *out, NULL, NULL, d);
    ps_query_free(q);
    return rc;
}

static int l_query(void *ctx, const char *pat, const char *tpl, uint64_t limit,
                   int (*fn)(void *, ps_bytes), void *fctx, int *cut, ps_diag *d)
{
    ps_space *out = NULL;
    int rc = results(ctx, pat, tpl, limit, &out, d);
    ps_iter *it = NULL;
    ps_bytes r;
    ps_buf t = { 0 };
    if (!rc && ps_iter_new(out, ps_bytes_of(NULL, 0), &it))
        rc = shell_nomem(d);
    while (!rc && ps_iter_next(it, &r, NULL, NULL) == PS_OK) {
        ps_buf_clear(&t, 0);
        if (!(rc = ps_atom_print(r, &t)) && fn(fctx, ps_buf_bytes(&t)))
            break;
    }
    *cut = !rc && limit && ps_space_count(out) == limit;
    ps_buf_free(&t);
    ps_iter_free(it);
    ps_space_free(out);
    return rc;
}

static int l_transform(void *ctx, const char *pat, const char *tpl, uint64_t *nres,
                       ps_change *out, ps_diag *d)
{
    ps_space *res = NULL;
    uint64_t n = 0;
    int rc = results(ctx, pat, tpl, 0, &res, d);
    *nres = res ? ps_space_count(res) : 0;
    ps_bytes *v = !rc && *nres ? calloc(*nres, sizeof *v) : NULL;
    ps_buf bytes = { 0 };
    ps_iter *it = NULL;
    ps_bytes r;
    size_t k = 0;
    if (!rc && *nres && (!v || ps_iter_new(res, ps_bytes_of(NULL, 0), &it)))
        rc = shell_nomem(d);
    /* copied first: a path from the iterator lives until its next call */
    size_t *off = !rc && *nres ? calloc(*nres, sizeof *off) : NULL;
    while (!rc && it && ps_iter_next(it, &r, NULL, NULL) == PS_OK && off) {
        off[k] = bytes.len;
        v[k++].len = r.len;
        if (ps_buf_append(&bytes, r.ptr, r.len))
            rc = shell_nomem(d);
    }
    for (size_t i = 0; !rc && i < k; i++)
        v[i].ptr = ps_buf_data(&bytes) + off[i];
    if (!rc && k) /* one logged batch */
        rc = ps_pspace_add_many(ctx, v, k, &n);
    ps_iter_free(it);
    free(off);
    free(v);
    ps_buf_free(&bytes);
    ps_space_free(res);
    changed(ctx, n, out);
    return rc;
}

static int l_export(void *ctx, int fd, ps_diag *d)
{
    int rc = ps_space_save(ps_pspace_space(ctx), ps_sink_fd(fd), PS_FORMAT_METTA, d);
    return rc;
}

static int l_checkpoint(void *ctx, ps_ckpt_info *out, ps_diag *d)
{
    return ps_pspace_checkpoint(ctx, out, d);
}

static int l_stats(void *ctx, report *r, ps_diag *d)
{
    (void)d;
    ps_space_stats st;
    ps_space_stats_get(ps_pspace_space(ctx), &st);
    report_u64(r, "atoms", st.paths);
    report_u64(r, "seq", ps_pspace_seq(ctx));
    report_u64(r, "path_bytes", st.path_bytes);
    report_u64(r, "memory_bytes", st.mem_bytes);
    report_text(r, "atoms %llu\nseq %llu\npath_bytes %llu\nmemory_bytes %llu\n",
                (unsigned long long)st.paths, (unsigned long long)ps_pspace_seq(ctx),
                (unsigned long long)st.path_bytes, (unsigned long long)st.mem_bytes);
    return 0;
}

int shell_local(shell_backend *b, ps_pspace *p, const char *dir)
{
    *b = (shell_backend){ p,       dir,         l_change, l_contains,   l_count,
                          l_query, l_transform, l_export, l_checkpoint, l_stats };
    return 0;
}
