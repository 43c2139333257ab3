/*
 * solve.c - matching an exec whose factors the query engine cannot run
 * alone: (== p q), (!= p q), and ACT files beside the space or each other
 * (exec_priv.h). Nested loops over the factors in their order, as MORK
 * runs them: each factor walks the atoms under the constant prefix of its
 * pattern as the earlier factors left it, and unifies each (renamed apart).
 *
 *   (== p q)  p with the atom, q with another copy of the same atom
 *   (!= p q)  p with one atom, q with a different one (both renamed apart:
 *             MORK renames only the first, a defect)
 */
#include <string.h>

#include "exec_priv.h"
#include "expr/tags.h"
#include "query/term.h"

typedef struct solver {
    exec_run *r;
    terms t;
    uint64_t fac[SHAPE_MAX], tpl[SHAPE_MAX];
    uint32_t next;    /* the next free variable id */
    ps_buf out;
    uint64_t work;
} solver;

/* The children of the internal list term at off. */
static unsigned kids(const terms *t, uint64_t off, uint64_t *out, unsigned max)
{
    uint64_t n;
    uint64_t at = off + ps__thead(t_at(t, off), &n);
    for (uint64_t i = 0; i < n && i < max; i++) {
        out[i] = at;
        at += ps__tlen(t_at(t, at));
    }
    return (unsigned)(n < max ? n : max);
}

/* A cursor over the atoms of the space or an ACT file under a prefix. */
typedef struct cursor {
    ps_iter *sp;
    ps_act_iter *act;
} cursor;

static int open_cursor(solver *v, unsigned k, uint64_t pat, cursor *c)
{
    memset(c, 0, sizeof *c);
    ps_buf_clear(&v->out, 0);
    int rc = ps__instantiate(&v->t, pat, &v->out);
    if (rc)
        return rc == PS_E_LIMIT ? PS_EXEC_E_VARS : PS_EXEC_E_NOMEM;
    /* the constant prefix: the items before the first variable */
    const uint8_t *p = ps_buf_data(&v->out);
    size_t at = 0;
    while (at < v->out.len) {
        item it;
        if (ps__item(p + at, v->out.len - at, &it) ||
            it.kind == ITEM_NEWVAR || it.kind == ITEM_VARREF)
            break;
        at += item_size(&it);
    }
    ps_bytes pre = ps_bytes_of(p, at);
    if (v->r->sh.fac[k] != FAC_ACT)
        return ps_iter_new(v->r->s, pre, &c->sp) ? PS_EXEC_E_NOMEM : PS_OK;
    ps_act *a;
    rc = ps__act_get(&v->r->acts, v->r->sh.act[k], &a, &v->r->detail);
    if (rc)
        return rc;
    return ps_act_iter_new(a, pre, &c->act) ? PS_EXEC_E_NOMEM : PS_OK;
}

/* 1 and *a, 0 at the end, or < 0 (a damaged ACT file). */
static int next_atom(solver *v, cursor *c, ps_bytes *a)
{
    if (c->sp)
        return ps_iter_next(c->sp, a, NULL, NULL) == PS_OK;
    uint64_t val;
    ps_diag d;
    int rc = ps_act_iter_next(c->act, a, &val, &d);
    if (rc == PS_E_EMPTY)
        return 0;
    if (rc) {
        v->r->detail = rc;
        return -PS_EXEC_E_ACT;
    }
    return 1;
}

static void close_cursor(cursor *c)
{
    ps_iter_free(c->sp);
    ps_act_iter_free(c->act);
}

static int level(solver *v, unsigned k);

static int emit(solver *v)
{
    const shape *sh = &v->r->sh;
    for (unsigned j = 0; j < sh->ntpl; j++) {
        ps_buf_clear(&v->out, 0);
        int rc = ps__instantiate(&v->t, v->tpl[j], &v->out);
        if (rc)
            return rc == PS_E_LIMIT ? PS_EXEC_E_VARS : PS_EXEC_E_NOMEM;
        if ((rc = ps__sink_feed(v->r, j, ps_buf_bytes(&v->out))))
            return rc;
    }
    v->r->st.solutions++;
    return PS_OK;
}

/* Unifies the term at pat with a fresh copy of atom a: 1, 0, or < 0. */
static int meet(solver *v, uint64_t pat, ps_bytes a)
{
    uint32_t nv = 0;
    uint64_t off;
    if (ps__terms_ids(&v->t, v->next + PS_MAX_VARS))
        return -PS_EXEC_E_NOMEM;
    if (ps__internalize(&v->t, a.ptr, a.len, v->next, &nv, &off, NULL))
        return 0; /* not an atom this engine reads: no match */
    v->next += nv;
    int u = ps__unify(&v->t, pat, off);
    return u < 0 ? -PS_EXEC_E_NOMEM : u;
}

#define NONE UINT64_MAX

/* Each atom under pat's constant prefix (skip excepted) unified with pat;
 * with again, also a second copy of the same atom with again (==); then
 * the next factor, or with ne, the atoms but this one against ne (!=). */
static int candidates(solver *v, unsigned k, uint64_t pat, uint64_t again, uint64_t ne,
                      const ps_bytes *skip)
{
    cursor c;
    ps_bytes a;
    int rc = open_cursor(v, k, pat, &c), n;
    while (!rc && (n = next_atom(v, &c, &a)) != 0) {
        if (n < 0 || (v->r->o.max_work && ++v->work > v->r->o.max_work)) {
            rc = n < 0 ? -n : PS_EXEC_E_WORK;
            break;
        }
        if (skip && ps_bytes_cmp(a, *skip) == 0)
            continue;
        tmark m = t_mark(&v->t);
        uint32_t save = v->next;
        int u = meet(v, pat, a);
        if (u == 1 && again != NONE)
            u = meet(v, again, a);
        if (u < 0)
            rc = -u;
        else if (u == 1)
            rc = ne != NONE ? candidates(v, k, ne, NONE, NONE, &a) : level(v, k + 1);
        ps__undo(&v->t, m);
        v->next = save;
    }
    close_cursor(&c);
    return rc;
}

static int level(solver *v, unsigned k)
{
    const shape *sh = &v->r->sh;
    if (k == sh->nfac)
        return emit(v);
    uint64_t pq[3] = { 0, 0, 0 };
    int kind = sh->fac[k];
    if (kind != FAC_EQ && kind != FAC_NE)
        return candidates(v, k, v->fac[k], NONE, NONE, NULL);
    kids(&v->t, v->fac[k], pq, 3); /* (== p q) or (!= p q) */
    return candidates(v, k, pq[1], kind == FAC_EQ ? pq[2] : NONE, kind == FAC_NE ? pq[2] : NONE,
                      NULL);
}

int ps__exec_solve(exec_run *r)
{
    solver v;
    memset(&v, 0, sizeof v);
    v.r = r;
    uint32_t nv = 0;
    uint64_t root, lists[2];
    const shape *sh = &r->sh;
    int rc = ps__terms_init(&v.t, PS_MAX_VARS) ? PS_EXEC_E_NOMEM : PS_OK;
    if (!rc && ps__internalize(&v.t, r->sh.query.base + r->sh.query.head, r->sh.query.len, 0, &nv,
                               &root, NULL))
        rc = PS_EXEC_E_VARS;
    if (!rc) {
        v.next = nv;
        kids(&v.t, root, lists, 2);
        uint64_t f[SHAPE_MAX + 1], t[SHAPE_MAX + 1];
        kids(&v.t, lists[0], f, SHAPE_MAX + 1);
        kids(&v.t, lists[1], t, SHAPE_MAX + 1);
        memcpy(v.fac, f + 1, sh->nfac * sizeof *f); /* after the commas */
        memcpy(v.tpl, t + 1, sh->ntpl * sizeof *t);
        rc = level(&v, 0);
    }
    ps__terms_free(&v.t);
    ps_buf_free(&v.out);
    return rc;
}
