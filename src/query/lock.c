/*
 * lock.c - two stored atoms unified in lockstep.
 *
 * A join such as (, (axiom $x) (axiom $x)) asks which pairs of stored
 * atoms unify. Matched one atom at a time, each first atom would walk the
 * trie for the second alone: wherever it holds a variable, every stored
 * term at that place is read again, for each first atom. So the capture of
 * $x is put off (match.c's deferrable): the first pattern stops at the
 * trie position p where $x's term starts, and when the second pattern
 * meets $x at position q, the terms under p and the terms under q are read
 * together, byte by byte, as one walk of pairs:
 *
 *   both hold the same constant byte     both walks go on with it
 *   A holds a variable (NewVar, VarRef)  it takes B's next whole term
 *                                        (a capture on B), or, if it is
 *                                        bound, its value is matched on B
 *   B holds one, A a constant            the same, the other way round
 *
 * Every first atom below p that shares a prefix shares the work for it.
 * Where a bound variable's value has to be matched, the ordinary engine
 * does it on one walk, with a resume item (T_RES) under the value to come
 * back here. The first atom's term is written down as it is read (its
 * constant bytes, and for each variable met, that variable), and $x takes
 * it at the end, when the first atom must end too.
 */
#include <string.h>

#include "common/diag.h"
#include "match.h"

static int lock(engine *e, lockst L);

static int built_put(engine *e, const lockst *L, const void *p, size_t n)
{
    e->built.len = L->built; /* what a sibling branch wrote is dropped */
    return ps_buf_append(&e->built, p, n) ? -PS_E_NOMEM : PS_OK;
}

/* The deferred term is read: the first atom must end here, the variable
 * takes the term, and the second pattern goes on at b. */
static int lock_done(engine *e, const lockst *L, uint32_t var)
{
    int end = e->v->ops->end(e->v, &L->a);
    if (end <= 0)
        return ps__view_err(e, end);
    tmark m = t_mark(e->t);
    uint64_t term = e->t->arena.len, x;
    int rc = ps_buf_append(&e->t->arena, ps_buf_data(&e->built) + L->start, L->built - L->start);
    if (rc || ps__var_term(e->t, var, &x)) {
        ps__undo(e->t, m);
        return -PS_E_NOMEM;
    }
    int u = ps__unify(e->t, x, term); /* bound meanwhile, or not: either way */
    rc = u < 0 ? u : PS_OK;
    if (u > 0) {
        uint32_t base = e->base, nv = e->nv;
        uint64_t w = e->weight;
        e->weight = L->mirror && L->order ? 2 * w : w;
        e->atoms++;
        e->base = L->b_base;
        e->nv = L->b_nv;
        e->locking--;
        rc = ps__match_at(e, &L->b);
        e->locking++;
        e->weight = w;
        e->base = base;
        e->nv = nv;
    }
    ps__undo(e->t, m);
    return rc;
}

/* Matches term p, a variable's value, on one walk (side 0: b, 1: a) with
 * the ordinary engine, and comes back to the lockstep after it. */
static int segment(engine *e, const lockst *M, uint64_t p, int side)
{
    lockst F = *M;
    F.side = side;
    uint32_t idx = e->lk.len;
    if (lock_list_push(&e->lk, F))
        return -PS_E_NOMEM;
    tmark m = t_mark(e->t);
    int rc;
    uint8_t *o = ps_buf_append_uninit(&e->t->arena, T_RES_LEN, &rc);
    size_t at = e->items.len;
    if (!o || u64_list_push(&e->items, e->t->arena.len - T_RES_LEN) ||
        u64_list_push(&e->items, p)) {
        e->items.len = at;
        e->lk.len = idx;
        ps__undo(e->t, m);
        return -PS_E_NOMEM;
    }
    o[0] = T_RES;
    ps_write_le32(o + 1, idx);
    uint32_t base = e->base, nv = e->nv;
    e->base = side ? M->a_base : M->b_base;
    e->nv = side ? M->a_nv : M->b_nv;
    e->skip_vars = side; /* A's own variables there are a_var's */
    rc = ps__match_at(e, side ? &M->a : &M->b);
    e->skip_vars = 0;
    e->base = base;
    e->nv = nv;
    e->items.len = at;
    e->lk.len = idx;
    ps__undo(e->t, m);
    return rc;
}

int ps__lock_resume(engine *e, const qnode *cur, uint32_t frame)
{
    lockst L = e->lk.data[frame];
    if (L.side) {
        L.a = *cur;
        L.a_nv = e->nv;
    } else {
        L.b = *cur;
        L.b_nv = e->nv;
    }
    return lock(e, L);
}

/* A variable of one atom took the other atom's next whole term. */
typedef struct took {
    lockst M;
    uint32_t var;
    int side;  /* whose term was captured: 0 = B's, 1 = A's */
    uint8_t x; /* the variable's own byte */
} took;

static int on_term(engine *e, void *ctx, const uint8_t *bytes, size_t n, const qnode *end)
{
    const took *k = ctx;
    lockst N = k->M;
    if (N.mirror && !N.order) { /* where the two paths part: A's must be less */
        uint8_t a = k->side ? bytes[0] : k->x, b = k->side ? k->x : bytes[0];
        if (a > b)
            return PS_OK; /* its mirror image is found instead */
        N.order = a < b;
    }
    uint32_t *nv = k->side ? &N.a_nv : &N.b_nv;
    tmark m = t_mark(e->t);
    int r = ps__bind_captured(e, k->var, bytes, n, k->side ? N.a_base : N.b_base, nv);
    if (r > 0) {
        *(k->side ? &N.a : &N.b) = *end;
        r = lock(e, N);
    }
    ps__undo(e->t, m);
    return r;
}

/* What may follow the term a capture on the other side reads, given
 * state M after this side's variable: the bytes the other side must go on
 * with. 1 if nothing can (a first atom that should end here does not). */
static int after(engine *e, const lockst *M, int side, capwant *w, const capwant **out)
{
    memset(w, 0, sizeof *w);
    *out = w;
    if (M->f.need == 0) {
        if (side) { /* A's term is captured: A's atom must end after it */
            w->ends = 1;
            return 0;
        }
        int end = e->v->ops->end(e->v, &M->a); /* B goes on with its items */
        if (end <= 0)
            return end < 0 ? ps__view_err(e, end) : 1;
        ps__want_item(e, w, out);
        return 0;
    }
    int ends, rc = ps__view_kids(e->v, side ? &M->b : &M->a, w->next, &ends);
    if (rc)
        return ps__view_err(e, rc);
    if (w->next[2] || (w->next[3] & 1)) { /* a variable there takes anything */
        *out = NULL;
        return 0;
    }
    ps__want_vars(w); /* the captured side's own variables take anything */
    return 0;
}

/* Side `side`'s variable (tag x, the walk going on at nx) against the
 * other side's next term: 0, A's against B's; 1, B's against A's (which
 * then does not start with a variable: those pairs are side 0's). */
static int var_case(engine *e, const lockst *L, int side, uint8_t x, const qnode *nx)
{
    uint32_t nv = side ? L->b_nv : L->a_nv, k;
    if (x == TAG_NEWVAR) {
        if (nv == PS_MAX_VARS)
            return PS_OK; /* a 65th variable: not an atom */
        k = nv++;
    } else if ((k = tag_low(x)) >= nv) {
        return PS_OK; /* a VarRef to nothing: not an atom */
    }
    took t = { *L, (side ? L->b_base : L->a_base) + k, side, x };
    t.M.f.need--;
    *(side ? &t.M.b : &t.M.a) = *nx;
    *(side ? &t.M.b_nv : &t.M.a_nv) = nv;
    uint8_t v[T_VAR_LEN] = { T_VAR };
    ps_write_le32(v + 1, t.var);
    tmark m = t_mark(e->t);
    uint64_t off;
    int rc = built_put(e, L, v, sizeof v);
    if (!rc && ps__var_term(e->t, t.var, &off))
        rc = -PS_E_NOMEM;
    t.M.built = L->built + sizeof v;
    uint64_t p = rc ? 0 : ps__deref(e->t, off);
    if (!rc && t_at(e->t, p)[0] != T_VAR) { /* bound: matched on the other walk */
        if (t.M.order == 0)
            t.M.mirror = 0; /* the order of the paths is not followed there */
        rc = segment(e, &t.M, p, side);
    } else if (!rc) { /* unbound: it takes the other side's next term */
        capwant w;
        const capwant *want;
        t.var = t_var_id(t_at(e->t, p));
        if ((rc = after(e, &t.M, side, &w, &want)) == 0)
            rc = ps__capture(e, side ? &L->a : &L->b, side, want, on_term, &t);
        else if (rc > 0)
            rc = PS_OK; /* nothing could follow */
    }
    ps__undo(e->t, m);
    return rc;
}

/* Both walks go on with byte x (A at na, B at nb). */
static int both(engine *e, const lockst *L, uint8_t x, const qnode *na, const qnode *nb)
{
    lockst M = *L;
    M.a = *na;
    M.b = *nb;
    if (!ps__tscan(&M.f, x))
        return PS_OK;
    int rc = built_put(e, L, &x, 1);
    M.built = L->built + 1;
    return rc ? rc : lock(e, M);
}

static int is_var(uint8_t b)
{
    return tag_is_var(b);
}

/* One step: the ways on from both positions, read at once (kept on the
 * engine's stack of positions, so deep terms cost no C stack for them). */
static int step(engine *e, const lockst *L)
{
    size_t base = e->kn.len;
    int rc = PS_OK, na, nb;
    if (qnode_list_reserve(&e->kn, 512) || ps_buf_reserve(&e->kb, 512))
        return -PS_E_NOMEM;
    e->kb.len = base; /* kb and kn run together */
    na = e->v->ops->kids(e->v, &L->a, ps_buf_data(&e->kb) + base, e->kn.data + base);
    nb = na < 0 ? 0 : e->v->ops->kids(e->v, &L->b, ps_buf_data(&e->kb) + base + na,
                                      e->kn.data + base + na);
    if (na < 0 || nb < 0)
        return ps__view_err(e, na < 0 ? na : nb);
    e->kn.len = e->kb.len = base + (size_t)(na + nb);
    int boundary = !L->f.sym && !L->f.hdr; /* a term starts here */
    for (int side = 0; boundary && side < 2 && !rc; side++) {
        size_t from = base + (side ? (size_t)na : 0), n = (size_t)(side ? nb : na);
        for (size_t i = 0; i < n && !rc; i++) {
            uint8_t x = ps_buf_data(&e->kb)[from + i];
            qnode nx = e->kn.data[from + i];
            if (is_var(x))
                rc = var_case(e, L, side, x, &nx);
        }
    }
    /* the bytes both go on with: a merge of the two sorted lists */
    for (size_t i = 0, j = 0; !rc && i < (size_t)na && j < (size_t)nb;) {
        const uint8_t *kb = ps_buf_data(&e->kb);
        uint8_t x = kb[base + i], y = kb[base + na + j];
        if (x != y) {
            i += x < y;
            j += y < x;
            continue;
        }
        if (!(boundary && is_var(x))) {
            qnode qa = e->kn.data[base + i], qb = e->kn.data[base + na + j];
            rc = both(e, L, x, &qa, &qb);
        }
        i++;
        j++;
    }
    e->kn.len = e->kb.len = base;
    return rc;
}

static int lock(engine *e, lockst L)
{
    if (L.f.need == 0)
        return lock_done(e, &L, e->lock_var);
    if (++e->depth > MATCH_MAX_DEPTH) {
        e->depth--;
        return ps__too_deep(e);
    }
    int split = e->par && e->depth == MATCH_SPLIT_DEPTH;
    if (split && !ps__split_enter(e)) {
        e->depth--;
        return PS_OK; /* another thread's branch */
    }
    int rc = step(e, &L);
    if (split)
        ps__split_leave(e);
    e->depth--;
    return rc;
}

/* The second pattern is the first again, straight after it, at the same
 * position with as many variables: the two atoms play the same part. */
static int mirrored(const engine *e, const defer *d, const qnode *cur)
{
    const uint8_t *p = t_at(e->t, e->pat[d->pat]), *q = t_at(e->t, e->pat[e->cur]);
    size_t n = ps__tlen(p);
    return d->level + 1 == e->level && qnode_eq(&d->a, cur) && d->nv == e->nv &&
           n == ps__tlen(q) && !memcmp(p, q, n);
}

int ps__lock_start(engine *e, const qnode *cur)
{
    defer d = e->def;
    uint32_t var = e->lock_var;
    e->def.active = 0;
    e->locking++;
    e->lock_var = d.id;
    lockst L = { d.a, *cur, { 1, 0, 0, 0, 0 }, d.base, d.nv, e->base, e->nv,
                 e->built.len, e->built.len, 0, mirrored(e, &d, cur), 0 };
    int rc = lock(e, L);
    e->lock_var = var;
    e->locking--;
    e->def = d;
    return rc;
}

int ps__defer_settle(engine *e)
{
    defer d = e->def;
    uint32_t base = e->base, nv = e->nv;
    size_t at = e->items.len;
    tmark m = t_mark(e->t);
    uint64_t v;
    if (ps__var_term(e->t, d.id, &v) || u64_list_push(&e->items, v)) {
        ps__undo(e->t, m);
        return -PS_E_NOMEM;
    }
    /* the put-off item, read now on its own walk: then every pattern has
     * matched, and the solution is reported from there */
    e->def.active = 0;
    e->base = d.base;
    e->nv = d.nv;
    int rc = ps__match_at(e, &d.a);
    e->base = base;
    e->nv = nv;
    e->items.len = at;
    ps__undo(e->t, m);
    e->def = d;
    return rc;
}
