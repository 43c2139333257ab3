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

typedef struct feed {
    ps_http *h;
    const pt *x;
    long at;      /* where an atom goes in the template; -1: as it is */
    ps_buf atoms; /* the batch: u32 length, then the atom            */
    unsigned n;
    uint64_t changed;
    ps_diag *d;
} feed;

/* The batch's records (u32 length, atom), one by one. */
typedef struct records {
    const uint8_t *at, *end;
} records;

static int next_record(void *ctx, ps_bytes *a)
{
    records *r = ctx;
    if (r->at >= r->end)
        return 0;
    uint32_t n;
    memcpy(&n, r->at, 4);
    *a = ps_bytes_of(r->at + 4, n);
    r->at += 4 + (size_t)n;
    return 1;
}

static int flush(feed *f)
{
    records r = { ps_buf_data(&f->atoms), ps_buf_data(&f->atoms) + f->atoms.len };
    uint64_t ch = 0;
    int rc = ps__served_apply(f->h->sv, SERVED_ADD, next_record, &r, &ch, f->d);
    f->changed += ch;
    ps_buf_clear(&f->atoms, 0);
    f->n = 0;
    return rc;
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
    if (!rc && ++f->n == SERVED_BATCH)
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
        rc = ps__space_apply(h, SERVED_ADD, x->q ? out : in, changed, d);
    ps_space_free(in);
    ps_space_free(out);
    return rc;
}
