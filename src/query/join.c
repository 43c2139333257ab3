/*
 * join.c - leapfrog triejoin (Veldhuizen, ICDT 2014) over the view's
 * trie, for ground atoms.
 *
 * The plan (join_plan.c) orders the query's variables. Each pattern keeps
 * a position in the trie: past its constant bytes and the variables bound
 * so far, at the start of its next variable's term. Level d binds variable
 * order[d]: every pattern that holds it is at the start of that term, and
 * the terms common to all of them are read in one walk that steps each
 * pattern's trie in lockstep, byte by byte: the least byte >= lo that each
 * trie has next (a seek) until all agree (leapfrog), the term's end told by
 * its tags (tscan). For each common term, each of those patterns moves
 * past it and past what follows it up to its next unbound variable
 * (constants, variables bound already), or to its end, where its atom must
 * end; then level d + 1. A solution binds every variable.
 *
 * So a triangle's third edge is never looked for outside the nodes both
 * other edges reach: the work is bounded by the largest result the data
 * allows (the AGM bound) times the key length, not by a pairwise join's
 * intermediate results.
 *
 * Ground atoms only: unification with a stored variable is match.c's. The
 * join reads every term start it passes for a stored variable until it
 * has proven its regions ground (join_probe.c), and holds its solutions
 * meanwhile; meeting one, it drops them and returns JOIN_IMPURE, having
 * handed out nothing. The proof runs once the held solutions reach
 * JOIN_PROVE_AFTER (a run with fewer never needs it), so its cost, one
 * read of the patterns' regions, comes only with a large result.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "join.h"

typedef struct jframe {
    tscan f;
    uint16_t lo;   /* the next byte to seek                        */
    uint8_t last;  /* the byte that led here (at blen - 1 in tb)    */
    uint32_t blen; /* the term's bytes so far end here in tb        */
} jframe;
PS_VEC_DEFINE(jframe_list, jframe)

/* Every pattern's position and next segment, at the start of a level. */
typedef struct jlev {
    qnode pos[MATCH_MAX_PATTERNS];
    uint32_t seg[MATCH_MAX_PATTERNS];
} jlev;

typedef struct join {
    engine *e;
    const jplan *p;
    int proven;        /* the regions are ground: no watching, no holding */
    jlev *lev;         /* nvar + 1 of them                                */
    jframe_list fr;    /* the levels' walks, one stack                     */
    qnode_list fq;     /* ... each frame's positions, one per pattern      */
    ps_buf tb;         /* ... and the terms' bytes                          */
    uint32_t len[Q_VARS]; /* a bound variable's term length               */
    ps_buf held;       /* solutions held until the proof: per variable in */
    uint64_t nheld;    /* order, u32 length + bytes                        */
    /* a parallel run: the terms at level split are its units, numbered in
     * the order every thread meets them; this one does [lo, hi) */
    unsigned split, chunk;
    uint64_t seen, lo, hi;
    uint64_t counting;  /* > 0: level 0 counts its units up to this, only */
    qview *pv[MATCH_MAX_PATTERNS]; /* the trie each pattern is read in */
    struct copy *copy;             /* the copies (p->mat), by pattern  */
} join;

/* 1 if the unit met now is this thread's; past its chunk, it hands that
 * one over and claims the next (claims only grow, so the walk goes on). */
static int mine(join *j, int *rc)
{
    uint64_t u = j->seen++;
    while (u >= j->hi) {
        uint64_t c;
        if ((*rc = j->e->take_chunk(j->e->ctx, &c)))
            return 0;
        j->lo = c * j->chunk, j->hi = j->lo + j->chunk;
    }
    return u >= j->lo;
}

/* ----------------------------------------------------------- one pattern */

/* Walks n bytes of whole headers (constants, or a bound term) from *pos,
 * looking for a stored variable at each term start until proven. *ok = 0
 * when no path goes on. */
static int walk(join *j, qview *v, qnode *pos, const uint8_t *b, size_t n, int *ok)
{
    qnode nx;
    int w;
    if (j->proven || v != j->e->v) { /* proven, or a copy: ground by making */
        w = v->ops->walk(v, pos, b, n, &nx);
        *ok = w > 0;
        *pos = nx;
        return w < 0 ? ps__view_err(j->e, w) : PS_OK;
    }
    for (size_t at = 0; at < n;) {
        uint64_t kids;
        size_t h = ps__thead(b + at, &kids);
        if ((w = join_var_at(v, pos)) != 0)
            return w < 0 ? ps__view_err(j->e, w) : JOIN_IMPURE;
        if ((w = v->ops->walk(v, pos, b + at, h, &nx)) <= 0) {
            *ok = 0;
            return w < 0 ? ps__view_err(j->e, w) : PS_OK;
        }
        *pos = nx;
        at += h;
    }
    *ok = 1;
    return PS_OK;
}

/* Moves pattern i from segment *seg past everything known, up to its next
 * unbound variable or its end (where its atom must end). *ok = 0 if no
 * atom goes on so. */
static int advance(join *j, unsigned i, qnode *pos, uint32_t *seg, int *ok)
{
    const jplan *p = j->p;
    terms *t = j->e->t;
    int rc;
    *ok = 1;
    for (uint32_t s = *seg; s < p->seg_end[i]; s++) {
        const jseg *g = &p->segs.data[s];
        const uint8_t *b;
        size_t n;
        if (g->var >= 0) {
            uint64_t at = t->bind.data[g->var];
            if (!at) { /* unbound: the next level that binds it starts here */
                *seg = s;
                return PS_OK;
            }
            b = t_at(t, at - 1), n = j->len[g->var];
        } else {
            b = ps_buf_data(&p->bytes) + g->off, n = g->len;
        }
        if ((rc = walk(j, j->pv[i], pos, b, n, ok)) || !*ok)
            return rc;
    }
    *seg = p->seg_end[i];
    int end = j->pv[i]->ops->end(j->pv[i], pos);
    if (end < 0)
        return ps__view_err(j->e, end);
    *ok = end;
    j->e->atoms += (uint64_t)end;
    return PS_OK;
}

/* ------------------------------------------------------------ solutions */

/* Hands out the held solutions: each one's terms put in place of the
 * variables' bindings for the call, which are then as they were. */
static int flush(join *j)
{
    engine *e = j->e;
    terms *t = e->t;
    const jplan *p = j->p;
    uint64_t saved[Q_VARS];
    size_t a0 = t->arena.len;
    for (unsigned d = 0; d < p->nvar; d++)
        saved[d] = t->bind.data[p->order[d]];
    size_t at = 0;
    int rc = PS_OK;
    for (uint64_t k = 0; k < j->nheld && !rc; k++) { /* (no variables: no bytes) */
        t->arena.len = a0;
        for (unsigned d = 0; d < p->nvar && !rc; d++) {
            const uint8_t *h = ps_buf_data(&j->held) + at;
            uint32_t n = ps_read_le32(h);
            uint64_t off = t->arena.len;
            rc = ps_buf_append(&t->arena, h + 4, n) ? -PS_E_NOMEM : PS_OK;
            t->bind.data[p->order[d]] = off + 1;
            at += 4 + n;
        }
        if (!rc) {
            e->solutions++;
            rc = e->fn(e->ctx, e);
        }
    }
    for (unsigned d = 0; d < p->nvar; d++)
        t->bind.data[p->order[d]] = saved[d];
    t->arena.len = a0;
    ps_buf_clear(&j->held, 0);
    j->nheld = 0;
    return rc;
}

/* Holds the solution (its variables' terms, in order) until the proof. */
static int hold(join *j)
{
    terms *t = j->e->t;
    for (unsigned d = 0; d < j->p->nvar; d++) {
        uint32_t v = j->p->order[d], n = j->len[v];
        uint8_t le[4];
        ps_write_le32(le, n);
        if (ps_buf_append(&j->held, le, 4) ||
            ps_buf_append(&j->held, t_at(t, t->bind.data[v] - 1), n))
            return -PS_E_NOMEM;
    }
    if (++j->nheld < JOIN_PROVE_AFTER && j->held.len < JOIN_PROVE_BYTES)
        return PS_OK;
    int g = ps__join_ground(j->e, j->p, ~0ull);
    if (g <= 0)
        return g < 0 ? g : JOIN_IMPURE;
    j->proven = 1;
    return flush(j);
}

static int solution(join *j)
{
    engine *e = j->e;
    if (e->count_only) { /* nothing goes out: nothing to hold */
        e->solutions++;
        return PS_OK;
    }
    if (!j->proven)
        return hold(j);
    e->solutions++;
    return e->fn(e->ctx, e);
}

/* ---------------------------------------------------------------- levels */

static int level(join *j, unsigned d);

/* The patterns of a level: which (idx), and the distinct positions they
 * are at (patterns at one position, as a self-join's are at the start,
 * agree on everything: one walk serves them). */
typedef struct jwho {
    unsigned k, ku;                     /* patterns; distinct positions */
    unsigned idx[MATCH_MAX_PATTERNS];
    unsigned rep[MATCH_MAX_PATTERNS];   /* pattern i's position: Q[rep[i]] */
    qview *view[MATCH_MAX_PATTERNS];    /* each distinct position's trie  */
} jwho;

/* A term common to every pattern of level d (at Q past it): bound, the
 * patterns moved on, the next level. */
static int found(join *j, unsigned d, const jwho *w, const qnode *Q, const uint8_t *term,
                 size_t n)
{
    engine *e = j->e;
    uint32_t var = j->p->order[d];
    tmark m = t_mark(e->t);
    uint64_t off = e->t->arena.len;
    if (ps_buf_append(&e->t->arena, term, n) || ps__bind(e->t, var, off))
        return -PS_E_NOMEM;
    j->len[var] = (uint32_t)n;
    jlev *L = &j->lev[d], *N = &j->lev[d + 1];
    memcpy(N->pos, L->pos, e->npat * sizeof *N->pos);
    memcpy(N->seg, L->seg, e->npat * sizeof *N->seg);
    int ok = 1, rc = PS_OK;
    for (unsigned i = 0; i < w->k && ok && !rc; i++) {
        unsigned pi = w->idx[i];
        N->pos[pi] = Q[w->rep[i]];
        N->seg[pi] = L->seg[pi] + 1;
        rc = advance(j, pi, &N->pos[pi], &N->seg[pi], &ok);
    }
    if (!rc && ok)
        rc = level(j, d + 1);
    ps__undo(e->t, m);
    return rc;
}

/* The least byte >= lo that all k positions go on with (a seek each until
 * they agree): 1, *b and nx[i]; 0 when none; or < 0. */
static int leap(qview *const *V, const qnode *Q, unsigned k, unsigned lo, uint8_t *b, qnode *nx)
{
    unsigned want = lo, agree = 0, i = 0;
    while (agree < k) {
        uint8_t got;
        int r = V[i]->ops->next(V[i], &Q[i], want, 0xFF, &got, &nx[i]);
        if (r <= 0)
            return r;
        if (got == want)
            agree++;
        else
            want = got, agree = 1;
        i = i + 1 == k ? 0 : i + 1;
    }
    *b = (uint8_t)want;
    return 1;
}

static int push(join *j, jframe f, const qnode *Q, unsigned k);

/* When one pattern's position is inside an edge, the term can go on only
 * with that edge's bytes: the others walk them at once, up to the term's
 * end (or, while the regions are unproven, up to the next term start,
 * which the next frame watches). 1: moved (F is the frame after, nx its
 * positions); 2: no common way on; 0: every position is at a branch. */
static int along(join *j, qview *const *V, const qnode *Q, unsigned k, jframe *F, qnode *nx)
{
    const uint8_t *p = NULL;
    size_t n = 0, m = 0;
    unsigned i;
    for (i = 0; i < k; i++) {
        int r = V[i]->ops->run(V[i], &Q[i], &p, &n);
        if (r < 0)
            return ps__view_err(j->e, r);
        if (n)
            break;
    }
    if (i == k)
        return 0;
    tscan f = F->f;
    while (m < n && f.need) {
        if (!ps__tscan(&f, p[m++]))
            return 2;
        if (!j->proven && !f.sym && !f.hdr)
            break;
    }
    j->tb.len = F->blen;
    if (ps_buf_append(&j->tb, p, m)) /* p lasts only until the next call */
        return -PS_E_NOMEM;
    const uint8_t *b = ps_buf_data(&j->tb) + F->blen;
    for (unsigned x = 0; x < k; x++) {
        int w = x == i ? V[x]->ops->skip(V[x], &Q[x], m, &nx[x])
                       : V[x]->ops->walk(V[x], &Q[x], b, m, &nx[x]);
        if (w <= 0)
            return w < 0 ? ps__view_err(j->e, w) : 2;
    }
    F->f = f;
    F->lo = 0;
    F->last = b[m - 1];
    F->blen += (uint32_t)m;
    return 1;
}

/* One pattern at a branch: every way on at once (one call, not a seek per
 * byte), pushed in reverse so that they are taken in byte order. */
static int fan(join *j, qview *v, const qnode *Q, const jframe *F)
{
    uint8_t b[256];
    qnode out[256];
    int n = v->ops->kids(v, Q, b, out);
    if (n < 0)
        return ps__view_err(j->e, n);
    for (int c = n - 1; c >= 0; c--) {
        tscan f = F->f;
        if (!ps__tscan(&f, b[c]))
            continue;
        int rc = push(j, (jframe){ f, 0, b[c], F->blen + 1 }, &out[c], 1);
        if (rc)
            return rc;
    }
    return PS_OK;
}

static int push(join *j, jframe f, const qnode *Q, unsigned k)
{
    int rc = jframe_list_push(&j->fr, f);
    for (unsigned i = 0; i < k && !rc; i++)
        rc = qnode_list_push(&j->fq, Q[i]);
    return rc ? -PS_E_NOMEM : PS_OK;
}

/* Level d: the terms every pattern holding order[d] has at its position,
 * in byte order, one walk of all their tries at once. */
/* Counting (PS_QUERY_COUNT) from the plan's tail on: each pattern left
 * ends in variables no other pattern holds, so the solutions below are
 * the product of the atoms that complete each one, counted where they
 * are, not enumerated (a factorized count). */
static int count_tail(join *j, unsigned d)
{
    engine *e = j->e;
    const jplan *p = j->p;
    uint64_t prod = 1, left = 0;
    if (e->take_chunk && d <= j->split && e->tid)
        return PS_OK; /* above the split every thread is here: thread 0 counts */
    for (unsigned x = d; x < p->nvar; x++)
        left |= p->who[x];
    for (unsigned i = 0; i < e->npat && prod; i++) {
        if (!(left >> i & 1))
            continue;
        uint64_t n;
        int r = ps__join_count(e, j->pv[i], &j->lev[d].pos[i],
                               p->seg_end[i] - j->lev[d].seg[i], &n);
        if (r <= 0)
            return r < 0 ? r : JOIN_IMPURE;
        prod *= n;
    }
    e->solutions += prod;
    return PS_OK;
}

static int level(join *j, unsigned d)
{
    const jplan *p = j->p;
    engine *e = j->e;
    if (d == p->nvar)
        return solution(j);
    if (e->count_only && d == p->tail && !j->counting) /* (counting units: not) */
        return count_tail(j, d);
    jwho w;
    qnode Q0[MATCH_MAX_PATTERNS], nx[MATCH_MAX_PATTERNS];
    w.k = w.ku = 0;
    for (unsigned i = 0; i < e->npat; i++) {
        if (!(p->who[d] >> i & 1))
            continue;
        const qnode *at = &j->lev[d].pos[i];
        unsigned u = 0;
        while (u < w.ku && !(w.view[u] == j->pv[i] && qnode_eq(&Q0[u], at)))
            u++;
        if (u == w.ku)
            w.view[w.ku] = j->pv[i], Q0[w.ku++] = *at;
        w.idx[w.k] = i;
        w.rep[w.k++] = u;
    }
    unsigned k = w.ku;
    size_t fb = j->fr.len, qb = j->fq.len, bb = j->tb.len;
    int rc = push(j, (jframe){ { 1, 0, 0, 0, 0 }, 0, 0, (uint32_t)bb }, Q0, k);
    while (!rc && j->fr.len > fb) {
        if (ps__over_budget(e)) {
            rc = -PS_E_LIMIT;
            break;
        }
        jframe F = j->fr.data[j->fr.len - 1];
        const qnode *Q = &j->fq.data[j->fq.len - k];
        if (F.blen > bb) { /* its bytes: its ancestors' are in place below */
            j->tb.len = F.blen - 1;
            if (ps_buf_append(&j->tb, &F.last, 1)) {
                rc = -PS_E_NOMEM;
                break;
            }
        }
        if (F.f.need == 0) { /* a whole term, common to all */
            memcpy(nx, Q, k * sizeof *Q);
            if (j->counting)
                rc = ++j->seen >= j->counting;
            else if (!e->take_chunk || d != j->split || mine(j, &rc))
                rc = found(j, d, &w, nx, ps_buf_data(&j->tb) + bb, F.blen - bb);
            j->fr.len--, j->fq.len -= k;
            continue;
        }
        if (F.lo == 0 && !j->proven && !F.f.sym && !F.f.hdr) { /* a term starts */
            for (unsigned i = 0; i < k && !rc; i++) {
                int r = w.view[i] == e->v ? join_var_at(e->v, &Q[i]) : 0;
                rc = r < 0 ? ps__view_err(e, r) : r ? JOIN_IMPURE : PS_OK;
            }
            if (rc)
                break;
        }
        if (F.lo == 0) { /* one pattern inside an edge: its bytes, at once */
            int r = along(j, w.view, Q, k, &F, nx);
            if (r) {
                j->fr.len--, j->fq.len -= k; /* the frame had that one way on */
                rc = r < 0 ? r : r == 1 ? push(j, F, nx, k) : PS_OK;
                continue;
            }
            if (k == 1) { /* nothing to intersect: every child at once */
                qnode at = Q[0];
                j->fr.len--, j->fq.len--;
                rc = fan(j, w.view[0], &at, &F);
                continue;
            }
        }
        uint8_t b;
        int r = leap(w.view, Q, k, F.lo, &b, nx);
        if (r <= 0) {
            rc = r < 0 ? ps__view_err(e, r) : PS_OK;
            j->fr.len--, j->fq.len -= k;
            continue;
        }
        j->fr.data[j->fr.len - 1].lo = (uint16_t)(b + 1u);
        tscan f = F.f;
        if (ps__tscan(&f, b))
            rc = push(j, (jframe){ f, 0, b, F.blen + 1 }, nx, k);
    }
    j->fr.len = (uint32_t)fb;
    j->fq.len = (uint32_t)qb;
    j->tb.len = bb;
    return rc;
}

/* Level 0's positions: each pattern past its leading constants (a pattern
 * without variables walked whole). *ok = 0 if one cannot match at all. */
static int start(join *j, int *ok)
{
    engine *e = j->e;
    jlev *L = &j->lev[0];
    *ok = 1;
    for (unsigned i = 0; i < e->npat && *ok; i++) {
        int w = j->pv[i]->ops->root(j->pv[i], &L->pos[i]);
        if (w < 0)
            return ps__view_err(e, w);
        L->seg[i] = j->p->seg0[i];
        int rc = advance(j, i, &L->pos[i], &L->seg[i], ok);
        if (rc)
            return rc;
    }
    return PS_OK;
}

/* Where a parallel run splits: the first variable's terms, one at a
 * time, when there are enough of them to spread (so no thread repeats
 * another's joins below); else the second's, in chunks. Every thread
 * counts alike, so all agree. */
static int split_level(join *j)
{
    int rc = 1;
    if (j->p->nvar > 1) { /* else the first is the only one */
        j->counting = JOIN_SPLIT_MIN;
        rc = level(j, 0);
    }
    int many = rc == 1;
    j->counting = 0;
    j->seen = 0;
    if (rc < 0)
        return rc;
    j->split = many ? 0 : 1;
    j->chunk = many ? JOIN_CHUNK0 : JOIN_CHUNK1;
    return PS_OK;
}

struct copy {
    ps_space *s;
    qview_space v;
};

/* Each pattern's trie: the view's, or its copy's (built now). */
static int views(join *j)
{
    engine *e = j->e;
    for (unsigned i = 0; i < e->npat; i++)
        j->pv[i] = e->v;
    if (!j->p->mat)
        return PS_OK;
    if (!(j->copy = ps_calloc(e->npat, sizeof *j->copy)))
        return -PS_E_NOMEM;
    for (unsigned i = 0; i < e->npat; i++) {
        if (!(j->p->mat >> i & 1))
            continue;
        struct copy *c = &j->copy[i];
        if (ps_space_new(&c->s))
            return -PS_E_NOMEM;
        int rc = ps__join_copy(e, j->p, i, c->s);
        if (rc)
            return rc;
        ps__qview_space(&c->v, c->s);
        j->pv[i] = &c->v.v;
    }
    return PS_OK;
}

static void views_free(join *j)
{
    for (unsigned i = 0; j->copy && i < j->e->npat; i++)
        if (j->copy[i].s) {
            j->e->v->steps += j->copy[i].v.v.steps; /* work done, counted */
            ps_space_free(j->copy[i].s);
        }
    free(j->copy);
}

int ps__join(engine *e, const jplan *p, int proven)
{
    join j;
    memset(&j, 0, sizeof j);
    j.e = e;
    j.p = p;
    j.proven = proven;
    int rc = ps__terms_ids(e->t, Q_VARS) ? -PS_E_NOMEM : PS_OK;
    if (!rc && !(j.lev = ps_calloc(p->nvar + 1, sizeof *j.lev)))
        rc = -PS_E_NOMEM;
    if (!rc)
        rc = views(&j);
    int ok = 0;
    if (!rc)
        rc = start(&j, &ok);
    if (!rc && ok && e->take_chunk && p->nvar)
        rc = split_level(&j);
    uint64_t c;
    if (!rc && ok && e->take_chunk && !p->nvar && !e->tid) /* one unit: thread 0's */
        rc = e->take_chunk(e->ctx, &c);
    if (!rc && ok && (!e->take_chunk || p->nvar || !e->tid)) /* no variable: one thread */
        rc = level(&j, 0);
    if (!rc && j.nheld) /* read whole without a stored variable: exact */
        rc = flush(&j);
    views_free(&j);
    free(j.lev);
    jframe_list_free(&j.fr);
    qnode_list_free(&j.fq);
    ps_buf_free(&j.tb);
    ps_buf_free(&j.held);
    return rc;
}
