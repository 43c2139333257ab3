/*
 * match.c - unification of a conjunction of patterns against a view.
 *
 * The search is a depth-first walk of the view's trie, one pattern at a
 * time, with the pattern's subterms still to match on a stack (items). At
 * each position the next stored term starts, and the next item meets it:
 *
 *   item is a constant (a symbol, or a list's arity)
 *       - its bytes are walked directly in the trie (no scan);
 *       - and a stored variable there takes it: NewVar binds a fresh id of
 *         this atom to the item, VarRef unifies the id it names with it;
 *         a list's children become items in turn;
 *   item is an unbound variable
 *       - it takes each complete stored term that starts here: a walk that
 *         reads exactly one term in every branch below (tags and arities
 *         say how far), binding the variable to it (occurs check first);
 *   item is a bound variable: its binding is the item.
 *
 * When a pattern has no items left and a path ends, one atom matched; the
 * next pattern is the one with the fewest paths under its constant prefix
 * (bindings applied; an estimate only: a stored variable along the prefix
 * may match where no path goes on), and it starts at the
 * root with a fresh set of ids for its atom. When every pattern has
 * matched, the bindings are a solution. All state is undone on the way
 * back (term.h's trail), so nothing is copied per branch.
 *
 * One capture is put off: the last item of a pattern, an unbound variable
 * that a later pattern uses (lock.c says why and how).
 */
#include <string.h>

#include "common/diag.h"
#include "match.h"

int ps__view_err(engine *e, int r)
{
    if (r < 0)
        e->d = e->v->d;
    return r;
}

int ps__too_deep(engine *e)
{
    ps__diag_set(&e->d, PS_E_LIMIT, NULL, 0, "a path of the query's search passes %u steps "
                 "(a step per item matched)", MATCH_MAX_DEPTH);
    return -PS_E_LIMIT;
}

static int match(engine *e, const qnode *cur);

int ps__budget_spent(engine *e)
{
    ps__diag_set(&e->d, PS_E_LIMIT, NULL, 0, "the search passes its budget of %llu steps",
                 (unsigned long long)e->max_steps);
    return 1;
}

/* ------------------------------------------------------ the next pattern */

/* The constant bytes pattern root p starts with, bindings applied, up to
 * its first unbound variable, appended to out (at most cap bytes). */
static int const_prefix(engine *e, uint64_t p, ps_buf *out, size_t cap)
{
    u64_list *st = &e->t->scratch;
    st->len = 0;
    int rc = u64_list_push(st, p);
    while (!rc && st->len && out->len < cap) {
        uint64_t at = ps__deref(e->t, st->data[--st->len]);
        const uint8_t *q = t_at(e->t, at);
        if (q[0] == T_VAR)
            break;
        uint64_t kids;
        size_t h = ps__thead(q, &kids);
        if ((rc = ps_buf_append(out, q, h)))
            break;
        if ((rc = u64_list_reserve(st, kids)))
            break;
        uint64_t c = at + h; /* the first child on top */
        for (uint64_t i = 0; i < kids; i++) {
            st->data[st->len + kids - 1 - i] = c;
            if (i + 1 < kids) /* not past the last: deep terms nest there */
                c += ps__tlen(t_at(e->t, c));
        }
        st->len += (uint32_t)kids;
    }
    return rc;
}

#define COUNT_AT_LEAST (1ull << 63) /* a memo's count: there are at least so many */

/* Where pattern i's constant prefix (bindings applied) leads: 1 and *at,
 * 0 when no path has it, or < 0. */
static int locate(engine *e, unsigned i, qnode *at)
{
    qnode r;
    ps_buf_clear(&e->pre, 0);
    int rc = const_prefix(e, e->pat[i], &e->pre, 1u << 16);
    if (rc)
        return -rc;
    int w = e->v->ops->root(e->v, &r);
    if (w < 0)
        return ps__view_err(e, w); /* a damaged root record */
    w = e->pre.len ? e->v->ops->walk(e->v, &r, ps_buf_data(&e->pre), e->pre.len, at)
                   : (*at = r, 1);
    return w < 0 ? ps__view_err(e, w) : w;
}

/* The paths under at, counted up to cap: the planner only ranks the
 * patterns, so a count stops at the best one found so far (a big prefix
 * beside a small one then costs what the small one holds). Each position
 * is counted once, or again only past what it was counted to: the memo
 * keeps an exact count, or a bound the count reached. */
static uint64_t count_at(engine *e, const qnode *at, uint64_t cap)
{
    uint64_t m;
    if (ps__cmemo_find(&e->counts, at, &m) &&
        (!(m & COUNT_AT_LEAST) || (m & ~COUNT_AT_LEAST) >= cap)) {
        m &= ~COUNT_AT_LEAST;
        return m < cap ? m : cap;
    }
    uint64_t n = e->v->ops->count(e->v, at, cap);
    ps__cmemo_keep(&e->counts, at, n < cap ? n : n | COUNT_AT_LEAST);
    return n;
}

int ps__split_enter(engine *e)
{
    if (atomic_load_explicit(&e->par->stop, memory_order_relaxed))
        return 0;
    return e->inside = e->seen++ == e->claim;
}

void ps__split_leave(engine *e)
{
    e->inside = 0;
    e->claim = atomic_fetch_add_explicit(&e->par->next, 1, memory_order_relaxed);
}

static int solved(engine *e)
{
    if (e->par && atomic_load_explicit(&e->par->stop, memory_order_relaxed))
        return 1; /* another thread stopped the run */
    if (e->def.active) /* the capture put off is made good first */
        return ps__defer_settle(e);
    if (e->par && !e->inside && e->tid)
        return PS_OK; /* found above the split: thread 0 reports it */
    e->solutions += e->weight;
    int rc = PS_OK;
    for (uint64_t i = 0; i < e->weight && !rc; i++) /* a mirror image: the same answer */
        rc = e->fn(e->ctx, e);
    return rc;
}

/* A pattern matched a whole atom: the next pattern, or a solution. */
static int next_pattern(engine *e)
{
    if (e->level == e->npat)
        return solved(e);
    /* where each pattern leads (once), then counts in rounds of growing
     * caps: a small pattern listed after a big one is found without
     * counting the big one whole */
    qnode at[MATCH_MAX_PATTERNS];
    uint64_t live = 0; /* patterns whose prefix some path has */
    unsigned best = 0;
    uint64_t best_n = UINT64_MAX;
    for (unsigned i = 0; i < e->npat && best_n; i++) {
        if (e->done >> i & 1)
            continue;
        if (e->npat - e->level == 1 && e->level) { /* the last one: no choice */
            best = i, best_n = 1;
            break;
        }
        int w = locate(e, i, &at[i]);
        if (w < 0)
            return w;
        if (!w) /* no path has its constant prefix: it fails fastest (only
                 * stored variables along that prefix can still match) */
            best = i, best_n = 0;
        live |= (uint64_t)w << i;
    }
    for (uint64_t round = 64; best_n && live; round *= 32) {
        uint64_t cap = round < MATCH_COUNT_CAP ? round : MATCH_COUNT_CAP;
        best_n = UINT64_MAX;
        for (unsigned i = 0; i < e->npat; i++) {
            if (!(live >> i & 1))
                continue;
            uint64_t n = count_at(e, &at[i], best_n < cap ? best_n : cap);
            if (n < best_n)
                best = i, best_n = n;
        }
        if (best_n < cap || cap == MATCH_COUNT_CAP)
            break;
    }
    uint32_t base = e->base, nv = e->nv;
    unsigned cur = e->cur;
    e->base = Q_VARS + (uint32_t)e->level * PS_MAX_VARS; /* this atom's own ids */
    e->nv = 0;
    e->cur = best;
    e->done |= 1ull << best;
    e->level++;
    int rc = u64_list_push(&e->items, e->pat[best]) ? -PS_E_NOMEM : PS_OK;
    qnode r;
    if (!rc) {
        int w = e->v->ops->root(e->v, &r);
        rc = w < 0 ? ps__view_err(e, w) : match(e, &r);
        e->items.len--;
    }
    e->level--;
    e->done &= ~(1ull << best);
    e->cur = cur;
    e->base = base;
    e->nv = nv;
    return rc;
}

/* No items left for this pattern: the stored atom must end here too. */
static int atom_done(engine *e, const qnode *cur)
{
    int end = e->v->ops->end(e->v, cur);
    if (end <= 0)
        return ps__view_err(e, end);
    e->atoms++;
    return next_pattern(e);
}

/* ------------------------------------------------ a constant item */

/* The stored variables at cur take the term at p: a NewVar (a fresh id of
 * this atom) is bound to it, a VarRef is unified with it. */
static int stored_vars(engine *e, const qnode *cur, uint64_t p)
{
    qnode nx;
    uint8_t b;
    unsigned lo = TAG_VARREF;
    int r;
    while ((r = e->v->ops->next(e->v, cur, lo, TAG_NEWVAR, &b, &nx)) == 1) {
        lo = (unsigned)b + 1;
        tmark m = t_mark(e->t);
        int rc = PS_OK;
        if (b == TAG_NEWVAR) {
            if (e->nv == PS_MAX_VARS)
                continue; /* a 65th variable: not an atom */
            if (ps__bind(e->t, e->base + e->nv, p))
                return -PS_E_NOMEM;
            e->nv++;
            rc = match(e, &nx);
            e->nv--;
        } else if ((b & 0x3Fu) < e->nv) {
            uint64_t v;
            if (ps__var_term(e->t, e->base + (b & 0x3Fu), &v))
                return -PS_E_NOMEM;
            int u = ps__unify(e->t, v, p);
            if (u < 0)
                return u;
            if (u)
                rc = match(e, &nx);
        }
        ps__undo(e->t, m);
        if (rc)
            return rc;
    }
    return ps__view_err(e, r);
}

/* The item at p is a symbol or a list: the stored variables here take it
 * (unless skip: a lockstep has them), and its own bytes are walked. */
static int constant(engine *e, const qnode *cur, uint64_t p, int skip)
{
    int rc = skip ? PS_OK : stored_vars(e, cur, p);
    if (rc)
        return rc;
    const uint8_t *pt = t_at(e->t, p);
    uint64_t kids;
    size_t h = ps__thead(pt, &kids);
    qnode nx;
    int w = e->v->ops->walk(e->v, cur, pt, h, &nx);
    if (w <= 0)
        return ps__view_err(e, w);
    if (!kids)
        return match(e, &nx);
    /* the children become items, the first one on top */
    size_t at = e->items.len;
    int r;
    uint64_t *slot = u64_list_extend_uninit(&e->items, kids, &r);
    if (!slot)
        return -(r ? r : PS_E_NOMEM);
    uint64_t c = p + h;
    for (uint64_t i = 0; i < kids; i++) {
        e->items.data[at + kids - 1 - i] = c;
        if (i + 1 < kids) /* the last child is not walked: (S (S ...)) nests
                           * there, and walking it at every level is n^2 */
            c += ps__tlen(t_at(e->t, c));
    }
    rc = match(e, &nx);
    e->items.len = at;
    return rc;
}

/* ------------------------------------------------ an unbound variable */

int ps__tscan(tscan *f, uint8_t b)
{
    if (f->sym) {
        if (--f->sym == 0)
            f->need--;
    } else if (f->hdr) {
        f->acc = f->acc << 8 | b;
        if (--f->hdr)
            return 1;
        if (f->acc < 64)
            return 0; /* the long forms hold 64 and more only */
        if (f->kind == PS_TAG_WIDE_LIST)
            f->need += (uint64_t)f->acc - 1;
        else
            f->sym = f->acc;
    } else if (tag_is_list(b)) {
        f->need += (uint64_t)b - 1;
    } else if (b == PS_TAG_WIDE_LIST || b == PS_TAG_LONG_SYMBOL) {
        f->kind = b;
        f->hdr = 4;
        f->acc = 0;
    } else if (b < TAG_VARREF) {
        return 0; /* a reserved tag */
    } else if (tag_is_var(b)) {
        f->need--; /* a variable */
    } else {
        f->sym = tag_low(b);
    }
    return 1;
}

int ps__bind_captured(engine *e, uint32_t id, const uint8_t *bytes, size_t n, uint32_t base,
                      uint32_t *nv)
{
    uint64_t off;
    int refs;
    uint32_t k = *nv;
    int rc = ps__internalize_watch(e->t, bytes, n, base, &k, &off, &refs, id);
    if (rc == PS_E_CORRUPT)
        return 0; /* a VarRef to nothing, or a 65th variable: not an atom */
    if (rc)
        return -rc;
    const uint8_t *q = t_at(e->t, ps__deref(e->t, off));
    if (!(q[0] == T_VAR && t_var_id(q) == id)) { /* else: the variable itself */
        if (refs && ps__occurs(e->t, id, off))
            return 0; /* (unbound variables other than id cannot hold it) */
        if (ps__bind(e->t, id, off))
            return -PS_E_NOMEM;
    }
    *nv = k;
    return 1;
}

/* A capture's answer: the variable takes the term, the search goes on. */
static int take(engine *e, void *ctx, const uint8_t *bytes, size_t n, const qnode *end)
{
    uint32_t id = *(const uint32_t *)ctx;
    tmark m = t_mark(e->t);
    uint32_t nv = e->nv;
    int r = ps__bind_captured(e, id, bytes, n, e->base, &e->nv);
    int rc = r > 0 ? match(e, end) : r;
    ps__undo(e->t, m);
    e->nv = nv;
    return rc;
}

/* A depth-first walk of the trie that reads exactly one term in each
 * branch (its own stack of frames; walks nest through fn). */
/* Inside an edge there is one way on: its bytes are read at once, up to
 * where the term ends (then the frame ends there: need 0) or to the end of
 * the edge (then the frame goes on from there). 1 when it did that, 0 when
 * there is no edge here, -1 when the bytes cannot be a term (*rc may hold
 * an error). */
static int run_edge(engine *e, capframe *f, size_t fbase, int novar, int *rc)
{
    const uint8_t *p;
    size_t k, i;
    int r = e->v->ops->run(e->v, &f->n, &p, &k);
    if (r < 0 || !k) {
        if (r < 0)
            *rc = ps__view_err(e, r);
        return r < 0 ? -1 : 0;
    }
    if (novar && e->cap.len - 1 == fbase && f->f.need == 1 && tag_is_var(p[0]))
        return -1; /* a term that starts with a variable: not wanted */
    tscan sc = f->f;
    for (i = 0; i < k && sc.need; i++)
        if (!ps__tscan(&sc, p[i]))
            return -1;
    e->capbytes.len = f->plen;
    if (ps_buf_append(&e->capbytes, p, i)) {
        *rc = -PS_E_NOMEM;
        return -1;
    }
    qnode nx;
    int w = e->v->ops->skip(e->v, &f->n, i, &nx);
    if (w <= 0) {
        if (w < 0)
            *rc = ps__view_err(e, w);
        return -1;
    }
    f->n = nx;
    f->f = sc;
    f->plen += i;
    f->lo = 0;
    return 1;
}

/* Reads every term at cur from the trie, calling fn for each. */
static int capture_walk(engine *e, const qnode *cur, int novar, capture_fn fn, void *ctx)
{
    size_t fbase = e->cap.len, bbase = e->capbytes.len;
    int rc = PS_OK, r;
    capframe f0 = { *cur, { 1, 0, 0, 0, 0 }, 0, bbase };
    if (capframe_list_push(&e->cap, f0))
        return -PS_E_NOMEM;
    while (!rc && e->cap.len > fbase) {
        if (ps__over_budget(e)) {
            rc = -PS_E_LIMIT;
            break;
        }
        capframe *f = &e->cap.data[e->cap.len - 1];
        if (f->f.need == 0) { /* one whole term: hand it on */
            capframe done = *f;
            e->cap.len--;
            rc = fn(e, ctx, ps_buf_data(&e->capbytes) + bbase, done.plen - bbase, &done.n);
            continue;
        }
        if (f->lo == 0 && (r = run_edge(e, f, fbase, novar, &rc)) != 0) {
            if (r < 0)
                e->cap.len--; /* the term cannot go on: drop the frame */
            continue;
        }
        qnode nx;
        uint8_t b;
        if ((r = e->v->ops->next(e->v, &f->n, f->lo, 0xFF, &b, &nx)) <= 0) {
            if (r < 0)
                rc = ps__view_err(e, r);
            e->cap.len--;
            continue;
        }
        f->lo = (uint16_t)(b + 1u);
        if (novar && e->cap.len - 1 == fbase && tag_is_var(b)) {
            f->lo = 0xC1; /* a term that starts with a variable: not wanted */
            continue;
        }
        capframe c = *f;
        c.n = nx;
        c.lo = 0;
        if (!ps__tscan(&c.f, b))
            continue;
        e->capbytes.len = f->plen;
        if (ps_buf_append(&e->capbytes, &b, 1) || capframe_list_push(&e->cap, c)) {
            rc = -PS_E_NOMEM;
            break;
        }
        e->cap.data[e->cap.len - 1].plen = c.plen + 1; /* f may have moved */
    }
    e->cap.len = fbase;
    e->capbytes.len = bbase;
    return rc;
}

/* capture_walk's answers written into the memo, with what follows each. */
static int memo_term(engine *e, void *ctx, const uint8_t *bytes, size_t n, const qnode *end)
{
    (void)ctx;
    memo *m = &e->memo;
    mterm t = { *end, { 0 }, (uint32_t)m->bytes.len, (uint32_t)n, 0, bytes[0] };
    int ends, rc = ps__view_kids(e->v, end, t.next, &ends);
    if (rc)
        return ps__view_err(e, rc);
    t.ends = (uint8_t)ends;
    if (m->bytes.len + n + (uint64_t)(m->terms.len + 1) * sizeof t > MEMO_MAX_BYTES) {
        m->full = 1; /* bounded while it is written, not only once it is kept */
        return 1;
    }
    if (ps_buf_append(&m->bytes, bytes, n) ||
        mterm_list_push(&m->terms, t))
        return -PS_E_NOMEM;
    return PS_OK;
}

/* The terms at cur, from the memo (written down on the first visit). */
static int memo_at(engine *e, const qnode *cur, uint32_t *first, uint32_t *n)
{
    memo *m = &e->memo;
    if (ps__memo_find(m, cur, first, n))
        return 1;
    if (m->full || e->npat < 2)
        return 0; /* one pattern visits each position once: nothing to reuse */
    uint32_t t0 = m->terms.len;
    size_t b0 = m->bytes.len;
    int rc = capture_walk(e, cur, 0, memo_term, NULL);
    if (rc > 0 && m->full)
        rc = 0; /* memo_term stopped the walk at the bound */
    if (!rc)
        rc = -ps__memo_keep(m, cur, t0);
    if (rc || m->full) { /* not kept: the walk answers instead */
        m->terms.len = t0;
        m->bytes.len = b0;
        return rc ? rc : 0;
    }
    *first = t0;
    *n = m->terms.len - t0;
    return 1;
}

/* The one term at cur, if the bytes every path goes on with hold it
 * whole (inside a path-compressed edge, or a line): 1 and its length. */
static int single_term(engine *e, const qnode *cur, const uint8_t **p, size_t *len)
{
    size_t k;
    int r = e->v->ops->run(e->v, cur, p, &k);
    if (r < 0 || !k)
        return r;
    tscan f = { 1, 0, 0, 0, 0 };
    for (size_t i = 0; i < k; i++) {
        if (!ps__tscan(&f, (*p)[i]))
            return 0;
        if (f.need == 0) {
            *len = i + 1;
            return 1;
        }
    }
    return 0;
}

int ps__capture(engine *e, const qnode *cur, int novar, const capwant *want, capture_fn fn,
                void *ctx)
{
    const uint8_t *p = NULL;
    size_t len = 0;
    int one = single_term(e, cur, &p, &len);
    if (one < 0)
        return ps__view_err(e, one);
    if (one) { /* no choice to make, nothing to remember */
        qnode end;
        int rc = ps_buf_append(&e->capbytes, p, len); /* p lasts only until the walk */
        if (rc)
            return -rc;
        size_t at = e->capbytes.len - len;
        const uint8_t *t = ps_buf_data(&e->capbytes) + at;
        int w = e->v->ops->skip(e->v, cur, len, &end);
        if (w > 0 && !(novar && tag_is_var(t[0])))
            rc = fn(e, ctx, t, len, &end);
        e->capbytes.len = at;
        return w < 0 ? ps__view_err(e, w) : rc;
    }
    uint32_t first, n;
    int k = memo_at(e, cur, &first, &n);
    if (k <= 0)
        return k < 0 ? k : capture_walk(e, cur, novar, fn, ctx);
    for (uint32_t i = first; i < first + n; i++) {
        mterm t = e->memo.terms.data[i]; /* a copy: fn may grow the memo */
        if (novar && tag_is_var(t.first))
            continue;
        if (want && !bits_meet(t.next, want->next) && !(want->ends && t.ends))
            continue; /* the next step could not go on from it */
        int rc = fn(e, ctx, ps_buf_data(&e->memo.bytes) + t.off, t.len, &t.end);
        if (rc)
            return rc;
    }
    return PS_OK;
}

void ps__want_item(const engine *e, capwant *w, const capwant **out)
{
    memset(w, 0, sizeof *w);
    *out = w;
    if (!e->items.len) {
        w->ends = 1; /* the atom ends after the term */
        return;
    }
    const uint8_t *p = t_at(e->t, ps__deref(e->t, e->items.data[e->items.len - 1]));
    if (p[0] == T_VAR || p[0] == T_RES) {
        *out = NULL; /* anything may follow */
        return;
    }
    ps__want_vars(w);
    w->next[p[0] >> 6] |= 1ull << (p[0] & 63);
}

void ps__want_vars(capwant *w)
{
    /* 0x80..0xC0: a stored variable takes whatever comes next */
    w->next[2] |= ~0ull;
    w->next[3] |= 1ull;
}

/* The last item of the pattern is an unbound query variable that a later
 * pattern holds too (and this one only there): its capture is put off. */
static int deferrable(const engine *e, uint32_t id, int skip)
{
    return !skip && !e->def.active && !e->locking && id < Q_VARS && !e->items.len &&
           e->level < e->npat && (e->uses[id] & ~e->done) && (e->once[e->cur] >> id & 1);
}

static int defer_capture(engine *e, const qnode *cur, uint32_t id)
{
    e->def = (defer){ 1, id, *cur, e->base, e->nv, e->cur, e->level };
    int rc = next_pattern(e); /* the atom's end is checked when it is read */
    e->def.active = 0;
    return rc;
}

static int variable(engine *e, const qnode *cur, uint32_t id, int skip)
{
    if (e->def.active && id == e->def.id && !e->locking)
        return ps__lock_start(e, cur);
    if (deferrable(e, id, skip))
        return defer_capture(e, cur, id);
    capwant w;
    const capwant *want;
    ps__want_item(e, &w, &want);
    return ps__capture(e, cur, skip, want, take, &id);
}

/* ------------------------------------------------------------ one step */

static int match(engine *e, const qnode *cur)
{
    if (ps__over_budget(e))
        return -PS_E_LIMIT;
    if (++e->depth > MATCH_MAX_DEPTH) {
        e->depth--;
        return ps__too_deep(e);
    }
    int split = e->par && e->depth == MATCH_SPLIT_DEPTH;
    if (split && !ps__split_enter(e)) {
        e->depth--;
        return PS_OK; /* another thread's branch */
    }
    int skip = e->skip_vars, rc;
    e->skip_vars = 0;
    if (!e->items.len) {
        rc = atom_done(e, cur);
    } else {
        uint64_t next = e->items.data[--e->items.len];
        uint64_t p = ps__deref(e->t, next);
        const uint8_t *pt = t_at(e->t, p);
        if (pt[0] == T_RES)
            rc = ps__lock_resume(e, cur, ps_read_le32(pt + 1));
        else if (pt[0] == T_VAR)
            rc = variable(e, cur, t_var_id(pt), skip);
        else
            rc = constant(e, cur, p, skip);
        e->items.data[e->items.len++] = next; /* its slot is still there */
    }
    if (split)
        ps__split_leave(e);
    e->depth--;
    return rc;
}

int ps__match_at(engine *e, const qnode *cur)
{
    return match(e, cur);
}

/* Which patterns hold each query variable, and which variables a pattern
 * holds once. */
static void var_uses(engine *e)
{
    memset(e->uses, 0, sizeof e->uses);
    for (unsigned i = 0; i < e->npat; i++) {
        uint64_t seen = 0, twice = 0;
        const uint8_t *p = t_at(e->t, e->pat[i]), *end = p + ps__tlen(p);
        while (p < end) {
            uint64_t kids;
            size_t h = ps__thead(p, &kids);
            if (p[0] == T_VAR && t_var_id(p) < Q_VARS) {
                uint64_t bit = 1ull << t_var_id(p);
                twice |= seen & bit;
                seen |= bit;
                e->uses[t_var_id(p)] |= 1ull << i;
            }
            p += h;
        }
        e->once[i] = seen & ~twice;
    }
}

int ps__match(engine *e)
{
    e->done = 0;
    e->level = 0;
    e->items.len = 0;
    e->depth = 0;
    e->def.active = 0;
    e->locking = 0;
    e->weight = 1;
    var_uses(e);
    int rc = ps__terms_ids(e->t, Q_VARS + (e->npat + 1) * PS_MAX_VARS);
    if (rc)
        return -rc;
    return next_pattern(e);
}

void ps__engine_reset(engine *e)
{
    e->items.len = 0;
    e->cap.len = 0;
    ps_buf_clear(&e->capbytes, 0);
    e->lk.len = 0;
    ps_buf_clear(&e->built, 0);
    ps__memo_reset(&e->memo);
    ps__cmemo_reset(&e->counts);
    ps_buf_clear(&e->pre, 0);
    e->kn.len = 0;
    ps_buf_clear(&e->kb, 0);
}

void ps__engine_free(engine *e)
{
    u64_list_free(&e->items);
    capframe_list_free(&e->cap);
    ps_buf_free(&e->capbytes);
    lock_list_free(&e->lk);
    ps_buf_free(&e->built);
    ps__memo_free(&e->memo);
    ps__cmemo_free(&e->counts);
    ps_buf_free(&e->pre);
    qnode_list_free(&e->kn);
    ps_buf_free(&e->kb);
}
