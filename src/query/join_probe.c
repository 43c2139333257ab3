/*
 * join_probe.c - whether the leapfrog join's regions are ground.
 *
 * A stored atom can meet a pattern only if it agrees with the pattern's
 * constant prefix, or has a variable where the prefix has a term: so the
 * atoms that matter are those under the prefix, and those that branch
 * off it with a variable at one of its term starts. The probe looks at
 * each such branch point, then reads the region under the prefix whole,
 * term by term (a variable can only start a term), and stops at the first
 * stored variable it sees.
 */
#include <string.h>

#include "join.h"

typedef struct pframe {
    qnode n;
    tscan f;
} pframe;
PS_VEC_DEFINE(pframe_list, pframe)

static int at_term_start(const tscan *f)
{
    return !f->sym && !f->hdr;
}

/* Reads the bytes of the edge at fr (if it is inside one), watching term
 * starts: 1 moved on (fr updated), 0 at a branch point, 2 a variable,
 * 3 the atom ended, 4 it cannot go on, or < 0. */
static int edge(engine *e, qview *v, pframe *fr)
{
    const uint8_t *p;
    size_t k, i;
    int r = v->ops->run(v, &fr->n, &p, &k);
    if (r < 0)
        return ps__view_err(e, r);
    if (!k)
        return 0;
    for (i = 0; i < k && fr->f.need; i++) {
        if (at_term_start(&fr->f) && tag_is_var(p[i]))
            return 2;
        if (!ps__tscan(&fr->f, p[i]))
            return 4;
    }
    if (!fr->f.need)
        return 3;
    qnode nx;
    if ((r = v->ops->skip(v, &fr->n, i, &nx)) <= 0)
        return r < 0 ? ps__view_err(e, r) : 4;
    fr->n = nx;
    return 1;
}

/* 1 if no stored variable starts a term under at (f: where the atom's
 * terms stand there), 0 if one does, or < 0; *ends: the atoms that end
 * under it (may be NULL). */
static int region(engine *e, qview *v, const qnode *at, tscan f, pframe_list *st,
                  uint64_t *ends)
{
    uint64_t n_end = 0;
    uint8_t b[256];
    qnode out[256];
    st->len = 0;
    if (pframe_list_push(st, (pframe){ *at, f }))
        return -PS_E_NOMEM;
    while (st->len) {
        if (ps__over_budget(e))
            return -PS_E_LIMIT;
        pframe fr = st->data[--st->len];
        int r;
        while ((r = edge(e, v, &fr)) == 1)
            ;
        if (r == 2 || r < 0)
            return r < 0 ? r : 0;
        if (r >= 3) {
            n_end += r == 3;
            continue;
        }
        int n = v->ops->kids(v, &fr.n, b, out);
        if (n < 0)
            return ps__view_err(e, n);
        for (int c = n - 1; c >= 0; c--) {
            pframe ch = { out[c], fr.f };
            if (at_term_start(&fr.f) && tag_is_var(b[c]))
                return 0;
            if (!ps__tscan(&ch.f, b[c]))
                continue;
            if (!ch.f.need) /* a whole atom: it ends here (none goes on) */
                n_end++;
            else if (pframe_list_push(st, ch))
                return -PS_E_NOMEM;
        }
    }
    if (ends)
        *ends = n_end;
    return 1;
}

int ps__join_count(engine *e, qview *v, const qnode *at, uint64_t nterms, uint64_t *n)
{
    pframe_list st = { 0 };
    int rc = region(e, v, at, (tscan){ nterms, 0, 0, 0, 0 }, &st, n);
    pframe_list_free(&st);
    return rc;
}

/* Pattern i: its constant prefix walked, a variable looked for at each of
 * its term starts, then the region under it. */
static int pattern(engine *e, const jplan *p, unsigned i, pframe_list *st)
{
    qview *v = e->v;
    qnode at, nx;
    tscan f = { 1, 0, 0, 0, 0 };
    int w = v->ops->root(v, &at);
    if (w < 0)
        return ps__view_err(e, w);
    uint32_t s = p->seg0[i];
    if (s < p->seg_end[i] && p->segs.data[s].var < 0) {
        const jseg *g = &p->segs.data[s];
        const uint8_t *b = ps_buf_data(&p->bytes) + g->off;
        for (size_t off = 0; off < g->len;) {
            uint64_t kids;
            size_t h = ps__thead(b + off, &kids);
            if ((w = join_var_at(v, &at)) != 0)
                return w < 0 ? ps__view_err(e, w) : 0;
            if ((w = v->ops->walk(v, &at, b + off, h, &nx)) <= 0)
                return w < 0 ? ps__view_err(e, w) : 1; /* nothing stored under it */
            for (size_t x = 0; x < h; x++)
                ps__tscan(&f, b[off + x]);
            at = nx;
            off += h;
        }
        s++;
    }
    if (s == p->seg_end[i] || !f.need)
        return 1; /* no variable: the pattern's atom is all there is */
    return region(e, v, &at, f, st, NULL);
}

/* 1 if patterns i and j start with the same constants (so the same
 * region: the probe reads it once). */
static int same_region(const jplan *p, unsigned i, unsigned j)
{
    const jseg *a = &p->segs.data[p->seg0[i]], *b = &p->segs.data[p->seg0[j]];
    if (p->seg0[i] == p->seg_end[i] || p->seg0[j] == p->seg_end[j])
        return 0; /* no segments: no variables, the walk is all */
    if (a->var >= 0 || b->var >= 0)
        return a->var >= 0 && b->var >= 0; /* both from the root */
    return a->len == b->len &&
           !memcmp(ps_buf_data(&p->bytes) + a->off, ps_buf_data(&p->bytes) + b->off, a->len);
}

int ps__join_ground(engine *e, const jplan *p, uint64_t which)
{
    pframe_list st = { 0 };
    int rc = 1;
    which &= ~p->mat; /* a copy checks each atom it takes itself */
    for (unsigned i = 0; i < e->npat && rc == 1; i++) {
        if (!(which >> i & 1))
            continue;
        unsigned j = 0;
        while (j < i && !((which >> j & 1) && same_region(p, i, j)))
            j++;
        if (j == i)
            rc = pattern(e, p, i, &st);
    }
    pframe_list_free(&st);
    return rc;
}
