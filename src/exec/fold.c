/*
 * fold.c - the U and AU sinks (exec_priv.h): the step's distinct
 * instances folded, in byte order, by unification (U: the most general
 * common instance, or nothing if any pair fails) or anti-unification (AU:
 * the least general generalisation, where the same pair of differing
 * subterms always becomes the same variable).
 */
#include <string.h>

#include "exec_priv.h"
#include "expr/tags.h"
#include "query/term.h"

/* AU's variables: a pair of differing subterms and the id it got. */
typedef struct pairvar {
    uint64_t a, alen, b, blen;
    uint32_t id;
} pairvar;
PS_VEC_DEFINE(pairvar_list, pairvar)

typedef struct lgg {
    terms t;
    pairvar_list pv;
    uint32_t next; /* the next variable id */
} lgg;

static int same(const terms *t, uint64_t a, size_t al, uint64_t b, size_t bl)
{
    return al == bl && !memcmp(t_at(t, a), t_at(t, b), al);
}

static int var_for(lgg *g, uint64_t a, size_t al, uint64_t b, size_t bl)
{
    for (uint32_t i = 0; i < g->pv.len; i++) {
        pairvar *p = &g->pv.data[i];
        if (same(&g->t, p->a, p->alen, a, al) && same(&g->t, p->b, p->blen, b, bl))
            return ps__var_term(&g->t, p->id, &(uint64_t){ 0 });
    }
    if (ps__terms_ids(&g->t, g->next + 1))
        return PS_E_NOMEM;
    pairvar p = { a, al, b, bl, g->next++ };
    if (pairvar_list_push(&g->pv, p))
        return PS_E_NOMEM;
    return ps__var_term(&g->t, p.id, &(uint64_t){ 0 });
}

/* Appends lgg(a, b) to the arena. */
static int gen(lgg *g, uint64_t a, uint64_t b)
{
    size_t al = ps__tlen(t_at(&g->t, a)), bl = ps__tlen(t_at(&g->t, b));
    if (same(&g->t, a, al, b, bl))
        return ps_buf_append(&g->t.arena, t_at(&g->t, a), al); /* the arena may move */
    uint64_t ka, kb;
    size_t ha = ps__thead(t_at(&g->t, a), &ka), hb = ps__thead(t_at(&g->t, b), &kb);
    const uint8_t *pa = t_at(&g->t, a);
    int lists = ka && ka == kb && ha == hb && pa[0] != T_VAR && !memcmp(pa, t_at(&g->t, b), ha);
    if (!lists)
        return var_for(g, a, al, b, bl);
    uint8_t h[8];
    memcpy(h, pa, ha);
    if (ps_buf_append(&g->t.arena, h, ha))
        return PS_E_NOMEM;
    a += ha, b += hb;
    for (uint64_t i = 0; i < ka; i++) {
        int rc = gen(g, a, b);
        if (rc)
            return rc;
        a += ps__tlen(t_at(&g->t, a));
        b += ps__tlen(t_at(&g->t, b));
    }
    return PS_OK;
}

static int next_atom(terms *t, ps_bytes in, uint32_t *base, uint64_t *off)
{
    uint32_t nv = 0;
    int rc = ps__terms_ids(t, *base + PS_MAX_VARS);
    if (!rc)
        rc = ps__internalize(t, in.ptr, in.len, *base, &nv, off, NULL);
    *base += nv;
    return rc;
}

int ps__fold_finish(exec_run *r, unsigned j)
{
    int au = r->sh.snk[j] == SNK_AU;
    lgg g;
    memset(&g, 0, sizeof g);
    ps_iter *it;
    ps_bytes in;
    if (ps__terms_init(&g.t, PS_MAX_VARS))
        return PS_EXEC_E_NOMEM;
    if (ps_iter_new(r->set[j], ps_bytes_of(NULL, 0), &it)) {
        ps__terms_free(&g.t);
        return PS_EXEC_E_NOMEM;
    }
    uint64_t acc = 0, off;
    uint32_t base = 0;
    int rc = PS_OK, first = 1, ok = 1;
    while (!rc && ok && ps_iter_next(it, &in, NULL, NULL) == PS_OK) {
        if ((rc = next_atom(&g.t, in, &base, &off)))
            break;
        if (first) {
            acc = off, first = 0;
            continue;
        }
        if (au) {
            g.next = base; /* generalisation variables after every atom's */
            uint64_t out = g.t.arena.len;
            if (!(rc = gen(&g, acc, off)))
                acc = out;
            base = g.next;
            continue;
        }
        int u = ps__unify(&g.t, acc, off);
        if (u < 0)
            rc = -u;
        ok = u == 1;
    }
    ps_iter_free(it);
    ps_buf_clear(&r->tmp, 0);
    if (!rc && ok && !first)
        rc = ps__instantiate(&g.t, acc, &r->tmp);
    ps__terms_free(&g.t);
    pairvar_list_free(&g.pv);
    if (rc)
        return rc == PS_E_LIMIT ? PS_EXEC_E_VARS : PS_EXEC_E_NOMEM;
    return ok && !first ? ps__op(r, EXEC_OP_ADD, ps_buf_bytes(&r->tmp)) : PS_OK;
}
