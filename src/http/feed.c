/*
 * feed.c - uploads and imports into the served space: text, JSON, JSON
 * Lines and CSV into $x or a namespace stream straight into the log and
 * the space, a batch at a time (no space in between: building one costs
 * more than parsing twice); the rest load into a space, are matched
 * there, and are applied from it.
 */
#include <string.h>

#include "common/diag.h"
#include "http.h"
#include "import/import.h"
#include "net/server.h"
#include "store/pspace.h"
#include "store/wal.h"

typedef struct feed {
    ps_http *h;
    const pt *x;
    long at;      /* where an atom goes in the template; -1: as it is */
    ps_buf atoms; /* the batch: u32 length, then the atom            */
    unsigned n;
    uint64_t changed;
    ps_diag *d;
} feed;

static int flush(feed *f)
{
    ps_pspace *p = ps__server_pspace(f->h->srv);
    const uint8_t *b = ps_buf_data(&f->atoms), *end = b + f->atoms.len;
    ps__server_lock(f->h->srv, 1);
    int rc =
        f->h->broken ? ps__diag_set(f->d, PS_E_IO, NULL, 0, "the log cannot be written") : PS_OK;
    while (!rc && b < end) {
        uint32_t n;
        int ch;
        memcpy(&n, b, 4);
        if ((rc = ps__pspace_stage(p, WAL_ADD, ps_bytes_of(b + 4, n), &ch)))
            ps__diag_set(f->d, rc, NULL, 0, "cannot log a change");
        f->changed += (uint64_t)ch;
        b += 4 + n;
    }
    int crc = ps__space_commit(f->h, p, f->d);
    ps__server_unlock(f->h->srv);
    ps_buf_clear(&f->atoms, 0);
    f->n = 0;
    return rc ? rc : crc;
}

static int take(void *ctx, ps_bytes a)
{
    feed *f = ctx;
    const uint8_t *t = ps_buf_data(&f->x->tmpl);
    size_t at = (size_t)f->at, tn = f->x->tmpl.len;
    uint32_t n = (uint32_t)(f->at < 0 ? a.len : tn - 1 + a.len);
    int rc = ps_buf_append(&f->atoms, &n, 4);
    if (!rc && f->at < 0)
        rc = ps_buf_append(&f->atoms, a.ptr, a.len);
    else if (!rc && !(rc = ps_buf_append(&f->atoms, t, at)) &&
             !(rc = ps_buf_append(&f->atoms, a.ptr, a.len)))
        rc = ps_buf_append(&f->atoms, t + at + 1, tn - at - 1);
    if (!rc && ++f->n == APPLY_BATCH)
        rc = flush(f);
    return rc;
}

static int nothing(void *ctx, ps_bytes a)
{
    (void)ctx, (void)a;
    return PS_OK;
}

/* Text, JSON, JSON Lines or CSV into $x or a namespace: parsed once to
 * check all of it (an input with an error adds nothing), then again
 * straight into the log and the space, a batch at a time, with no space
 * in between. PS_E_UNSUPPORTED: not this way (a binary format, a query). */
static int stream_in(ps_http *h, const pt *x, const void *data, size_t len, int format,
                     uint64_t *changed, int *bad, ps_diag *d)
{
    long at = x->q ? ps__wrap_at(x) : -1;
    if ((x->q && at < 0) || format == PS_FORMAT_PATHS || format == PS_FORMAT_ACT ||
        format == PS_FORMAT_SNAP)
        return PS_E_UNSUPPORTED;
    int rc = ps__each_atom(data, len, format, nothing, NULL, d);
    if (rc) {
        *bad = 1;
        return rc;
    }
    feed f = { h, x, at, { 0 }, 0, 0, d };
    rc = ps__each_atom(data, len, format, take, &f, d);
    if (!rc && f.n)
        rc = flush(&f);
    ps_buf_free(&f.atoms);
    *changed = f.changed;
    return rc;
}

int ps__space_add_input(ps_http *h, const pt *x, const void *data, size_t len, int format,
                        uint64_t *changed, int *bad, ps_diag *d)
{
    *bad = 0;
    *changed = 0;
    int rc = stream_in(h, x, data, len, format, changed, bad, d);
    if (rc != PS_E_UNSUPPORTED)
        return rc;
    ps_space *in = NULL, *out = NULL;
    if (ps_space_new(&in) || ps_space_new(&out))
        rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    else if ((rc = ps_space_load(in, data, len, format, d)))
        *bad = 1;
    else if ((rc = ps__space_match(h, x, in, out, d)))
        *bad = rc == PS_E_LIMIT ? 2 : 0;
    else
        rc = ps__space_apply(h, WAL_ADD, x->q ? out : in, changed, d);
    ps_space_free(in);
    ps_space_free(out);
    return rc;
}
