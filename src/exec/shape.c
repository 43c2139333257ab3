/*
 * shape.c - taking an exec atom apart (shape.h).
 *
 * The query handed to the engine keeps every variable occurrence of the
 * exec in its order, dropping only symbols (a source's or a sink's name,
 * a head count), so the exec's own variable numbering holds in it: a
 * template's first-occurring variables come after the patterns' and the
 * earlier templates', in all four (, / I) x (, / O) forms.
 */
#include <string.h>

#include "expr/tags.h"
#include "shape.h"

int ps__list_items(const uint8_t *p, size_t n, size_t *off, unsigned max, uint64_t *arity)
{
    item it;
    if (!n || ps__item(p, n, &it) || it.kind != ITEM_LIST)
        return -1;
    *arity = it.n;
    size_t at = it.head;
    for (uint64_t i = 0; i < it.n; i++) {
        if (at >= n)
            return -1;
        if (i < max)
            off[i] = at;
        at += ps__term_len(p + at, n - at);
    }
    return 0;
}

int ps__ground(const uint8_t *p, size_t n)
{
    size_t at = 0;
    while (at < n) {
        item it;
        if (ps__item(p + at, n - at, &it))
            return 0;
        if (it.kind == ITEM_NEWVAR || it.kind == ITEM_VARREF)
            return 0;
        at += item_size(&it);
    }
    return 1;
}

int ps__symbol(const uint8_t *p, size_t n, ps_bytes *s)
{
    item it;
    if (!n || ps__item(p, n, &it) || it.kind != ITEM_SYMBOL)
        return 0;
    *s = ps_bytes_of(p + it.head, (size_t)it.n);
    return 1;
}

static int is(ps_bytes s, const char *w)
{
    return s.len == strlen(w) && !memcmp(s.ptr, w, s.len);
}

/* A list's head symbol and arity: 1, or 0 if it is not a list headed by
 * a symbol. */
static int headed(const uint8_t *p, size_t n, ps_bytes *head, uint64_t *arity, size_t *off)
{
    if (ps__list_items(p, n, off, 4, arity) || !*arity)
        return 0;
    return ps__symbol(p + off[0], n - off[0], head);
}

/* A decimal count >= 1 (head, tail). */
static int count_of(const uint8_t *p, size_t n, uint64_t *k)
{
    ps_bytes s;
    if (!ps__symbol(p, n, &s) || !s.len || s.len > 18)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return 0;
        v = v * 10 + (s.ptr[i] - '0');
    }
    *k = v;
    return v >= 1;
}

static int term_out(shape *sh, const uint8_t *p, size_t n)
{
    return ps_buf_append(&sh->query, p, n);
}

/* One (I ...) factor: its kind, and the parts that go to the query. */
static int source(shape *sh, unsigned i, const uint8_t *p, size_t n)
{
    ps_bytes h;
    uint64_t ar;
    size_t off[4];
    if (!headed(p, n, &h, &ar, off))
        return PS_EXEC_E_SOURCE;
    if (is(h, "BTM") && ar == 2) {
        sh->fac[i] = FAC_PLAIN;
        return term_out(sh, p + off[1], n - off[1]) ? PS_EXEC_E_NOMEM : PS_OK;
    }
    if (is(h, "z3") && ar == 3)
        return PS_EXEC_E_UNSUPPORTED;
    if (ar != 3 || !(is(h, "ACT") || is(h, "==") || is(h, "!=")))
        return PS_EXEC_E_SOURCE;
    if (is(h, "ACT")) {
        if (!ps__symbol(p + off[1], n - off[1], &sh->act[i]))
            return PS_EXEC_E_ARG;
        sh->fac[i] = FAC_ACT;
        return term_out(sh, p + off[2], n - off[2]) ? PS_EXEC_E_NOMEM : PS_OK;
    }
    sh->fac[i] = is(h, "==") ? FAC_EQ : FAC_NE;
    sh->sources = 1;
    return term_out(sh, p, n) ? PS_EXEC_E_NOMEM : PS_OK; /* the solver reads (== p q) */
}

static const struct {
    const char *name;
    unsigned arity;
    uint8_t kind;
} sinks[] = { { "+", 2, SNK_ADD },       { "-", 2, SNK_REMOVE },    { "U", 2, SNK_U },
              { "AU", 2, SNK_AU },       { "head", 3, SNK_HEAD },   { "tail", 3, SNK_TAIL },
              { "count", 4, SNK_COUNT }, { "sum", 4, SNK_SUM },     { "hash", 4, SNK_HASH },
              { "and", 4, SNK_AND },     { "fsum", 4, SNK_FSUM },   { "fmin", 4, SNK_FMIN },
              { "fmax", 4, SNK_FMAX },   { "fprod", 4, SNK_FPROD }, { "pure", 4, SNK_PURE },
              { "ACT", 3, SNK_ACT } };

/* One (O ...) template: the whole sink goes to the query (a sink reads
 * its own instance), its kind and fixed arguments here. */
static int sink(shape *sh, unsigned i, const uint8_t *p, size_t n)
{
    ps_bytes h;
    uint64_t ar;
    size_t off[4];
    if (!headed(p, n, &h, &ar, off))
        return PS_EXEC_E_SINK;
    if ((is(h, "wasm") || is(h, "z3")) && ar == 3)
        return PS_EXEC_E_UNSUPPORTED;
    unsigned k = 0;
    while (k < sizeof sinks / sizeof sinks[0] && !(is(h, sinks[k].name) && ar == sinks[k].arity))
        k++;
    if (k == sizeof sinks / sizeof sinks[0])
        return PS_EXEC_E_SINK;
    sh->snk[i] = sinks[k].kind;
    if ((sh->snk[i] == SNK_HEAD || sh->snk[i] == SNK_TAIL) &&
        !count_of(p + off[1], n - off[1], &sh->keep[i]))
        return PS_EXEC_E_ARG;
    if (sh->snk[i] == SNK_ACT && !ps__symbol(p + off[1], n - off[1], &sh->sname[i]))
        return PS_EXEC_E_ARG;
    return term_out(sh, p, n) ? PS_EXEC_E_NOMEM : PS_OK;
}

/* The head of a pattern or template list: ',' or the other letter. */
static int list_head(const uint8_t *p, size_t n, char other, size_t *off, uint64_t *ar)
{
    ps_bytes h;
    if (ps__list_items(p, n, off, SHAPE_MAX + 1, ar) || !*ar || *ar > SHAPE_MAX + 1 ||
        !ps__symbol(p + off[0], n - off[0], &h) || h.len != 1)
        return -1;
    return h.ptr[0] == ',' ? 0 : h.ptr[0] == other ? 1 : -1;
}

static int engine_can(shape *sh)
{
    if (sh->sources)
        return 0;
    unsigned acts = 0;
    for (unsigned i = 0; i < sh->nfac; i++) {
        acts += sh->fac[i] == FAC_ACT;
        if (sh->fac[i] == FAC_ACT &&
            (sh->act[i].len != sh->act[0].len || memcmp(sh->act[i].ptr, sh->act[0].ptr, sh->act[0].len)))
            return 0;
    }
    return acts == 0 || acts == sh->nfac;
}

int ps__shape(ps_bytes x, shape *sh, size_t *at)
{
    size_t top[5], off[SHAPE_MAX + 1];
    uint64_t ar;
    const uint8_t *p = x.ptr;
    sh->nfac = sh->ntpl = 0;
    sh->sources = 0;
    ps_buf_clear(&sh->query, 0);
    *at = 0;
    if (ps__list_items(p, x.len, top, 5, &ar) || ar != 4)
        return PS_EXEC_E_SHAPE;
    size_t lo = top[1], pa = top[2], te = top[3];
    sh->loc = ps_bytes_of(p + lo, pa - lo);
    if (!ps__ground(sh->loc.ptr, sh->loc.len))
        return *at = lo, PS_EXEC_E_LOC;
    int src = list_head(p + pa, te - pa, 'I', off, &ar);
    if (src < 0)
        return *at = pa, PS_EXEC_E_SHAPE;
    /* ((, f1 ... fn) (, t1 ... tm)): the query's two lists */
    if (ps_buf_append(&sh->query, "\x02", 1) || ps__arity_append(&sh->query, ar) ||
        ps_buf_append(&sh->query, "\xC1,", 2))
        return PS_EXEC_E_NOMEM;
    sh->nfac = (unsigned)ar - 1;
    for (unsigned i = 0; i < sh->nfac; i++) {
        const uint8_t *f = p + pa + off[i + 1];
        size_t fn = ps__term_len(f, te - pa - off[i + 1]);
        int rc = src ? source(sh, i, f, fn) : (sh->fac[i] = FAC_PLAIN, term_out(sh, f, fn));
        if (rc)
            return *at = (size_t)(f - p), rc;
    }
    int snk = list_head(p + te, x.len - te, 'O', off, &ar);
    if (snk < 0)
        return *at = te, PS_EXEC_E_SHAPE;
    if (ps__arity_append(&sh->query, ar) || ps_buf_append(&sh->query, "\xC1,", 2))
        return PS_EXEC_E_NOMEM;
    sh->ntpl = (unsigned)ar - 1;
    for (unsigned i = 0; i < sh->ntpl; i++) {
        const uint8_t *t = p + te + off[i + 1];
        size_t tn = ps__term_len(t, x.len - te - off[i + 1]);
        sh->wrap[i] = (uint8_t)snk;
        int rc = snk ? sink(sh, i, t, tn) : (sh->snk[i] = SNK_ADD, term_out(sh, t, tn));
        if (rc)
            return *at = (size_t)(t - p), rc;
    }
    sh->engine = engine_can(sh);
    return PS_OK;
}

void ps__shape_free(shape *sh)
{
    ps_buf_free(&sh->query);
}
