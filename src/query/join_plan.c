/*
 * join_plan.c - the leapfrog join's plan: each pattern cut into constant
 * runs and variables, and the order the variables are joined in.
 *
 * The join reads each pattern's atoms down the trie, so a variable can be
 * joined only once every variable before it in each of its patterns has
 * been: the order must agree with every pattern's own (a pattern's
 * variables in the order they first appear). Among the variables free to
 * go next, the planner takes one that shares a pattern with a variable
 * already joined (else the join would enumerate a cross product), then the
 * one held by the most patterns (the most walks that narrow it), then the
 * first to appear. When no such order joins connected variables only (or
 * none exists: (e $x $y) beside (e $y $x)), the order is chosen freely
 * among the variables, and a pattern it reads out of its own order is
 * copied once into a trie keyed by its variables in the join's order
 * (join.c). When only an unconnected variable can go next even so, the
 * plan says so (product): the planner leaves such a query to match.c.
 */
#include <string.h>

#include "join.h"

/* Pattern i's bytes cut into segments: runs of constant bytes (whole
 * headers: symbols and arities) and variables. */
static int cut(const engine *e, jplan *p, unsigned i, uint64_t *vars)
{
    const uint8_t *s = t_at(e->t, e->pat[i]), *end = s + ps__tlen(s);
    int rc = PS_OK;
    p->seg0[i] = p->segs.len;
    while (s < end && !rc) {
        if (s[0] == T_VAR) {
            uint32_t id = t_var_id(s);
            if (id >= Q_VARS)
                return 0; /* not a query variable: not a plan this join runs */
            *vars |= 1ull << id;
            rc = jseg_list_push(&p->segs, (jseg){ 0, 0, (int32_t)id });
            s += T_VAR_LEN;
            continue;
        }
        uint64_t kids;
        size_t h = ps__thead(s, &kids);
        jseg *last = p->segs.len > p->seg0[i] ? &p->segs.data[p->segs.len - 1] : NULL;
        if (!last || last->var >= 0)
            rc = jseg_list_push(&p->segs, (jseg){ (uint32_t)p->bytes.len, 0, -1 });
        if (!rc)
            rc = ps_buf_append(&p->bytes, s, h);
        if (!rc)
            p->segs.data[p->segs.len - 1].len += (uint32_t)h;
        s += h;
    }
    p->seg_end[i] = p->segs.len;
    return rc ? -rc : 1;
}

/* before[v]: the variables that come before v in some pattern holding it. */
static void precedence(const jplan *p, unsigned npat, uint64_t *before)
{
    for (unsigned i = 0; i < npat; i++) {
        uint64_t seen = 0;
        for (uint32_t s = p->seg0[i]; s < p->seg_end[i]; s++) {
            int32_t v = p->segs.data[s].var;
            if (v < 0 || (seen >> v & 1))
                continue;
            before[v] |= seen;
            seen |= 1ull << v;
        }
    }
}

/* The greedy order. strict: only a variable whose patterns have joined
 * every variable before it may go next (0 when no such order exists);
 * else any may, and the patterns it reads out of order are copied (mat). */
static int choose_order(jplan *p, const uint64_t *pv, unsigned npat, uint64_t all, int strict)
{
    uint64_t before[Q_VARS] = { 0 }, placed = 0, near = 0; /* near: shares a pattern */
    precedence(p, npat, before);
    p->nvar = 0;
    p->product = 0;
    while (placed != all) {
        int best = -1;
        unsigned best_score = 0;
        for (unsigned v = 0; v < Q_VARS; v++) {
            if (!(all >> v & 1) || (placed >> v & 1))
                continue;
            int ready = !(before[v] & ~placed);
            if (strict && !ready)
                continue;
            unsigned pats = 0;
            for (unsigned i = 0; i < npat; i++)
                pats += (unsigned)(pv[i] >> v & 1);
            /* connected first, then held by more patterns, then in order */
            unsigned score = (unsigned)((near >> v & 1) != 0) << 16 | pats << 1 | (unsigned)ready;
            if (best < 0 || score > best_score)
                best = (int)v, best_score = score;
        }
        if (best < 0)
            return 0; /* the patterns' orders form a cycle */
        if (placed && !(near >> best & 1))
            p->product = 1;
        uint64_t who = 0;
        for (unsigned i = 0; i < npat; i++)
            if (pv[i] >> best & 1)
                who |= 1ull << i, near |= pv[i];
        p->order[p->nvar] = (uint32_t)best;
        p->who[p->nvar++] = who;
        placed |= 1ull << best;
    }
    return 1;
}

/* Patterns whose variables the order takes out of their own order are
 * copied (join.c): their atoms' terms, in the join's order, into a trie of
 * their own; their segments become those variables alone. */
static int mark_copies(jplan *p, unsigned npat)
{
    unsigned rank[Q_VARS];
    for (unsigned d = 0; d < p->nvar; d++)
        rank[p->order[d]] = d;
    p->mat = 0;
    for (unsigned i = 0; i < npat; i++) {
        unsigned last = 0;
        int first = 1;
        uint64_t seen = 0;
        for (uint32_t s = p->seg0[i]; s < p->seg_end[i]; s++) {
            int32_t v = p->segs.data[s].var;
            if (v < 0 || (seen >> v & 1))
                continue;
            seen |= 1ull << v;
            if (!first && rank[v] < last)
                p->mat |= 1ull << i;
            last = rank[v], first = 0;
        }
    }
    for (unsigned i = 0; i < npat; i++) {
        if (!(p->mat >> i & 1))
            continue;
        p->seg0[i] = p->segs.len;
        for (unsigned d = 0; d < p->nvar; d++)
            if (p->who[d] >> i & 1 &&
                jseg_list_push(&p->segs, (jseg){ 0, 0, (int32_t)p->order[d] }))
                return -PS_E_NOMEM;
        p->seg_end[i] = p->segs.len;
    }
    return PS_OK;
}

/* The tail (jplan.tail): walked back from the last level while each
 * level's variable is held by one pattern in which it and every segment
 * after it are variables of that level or later, each once. */
static void find_tail(jplan *p)
{
    unsigned rank[Q_VARS];
    for (unsigned d = 0; d < p->nvar; d++)
        rank[p->order[d]] = d;
    p->tail = p->nvar;
    for (unsigned d = p->nvar; d-- > 0;) {
        if (p->who[d] & (p->who[d] - 1))
            return; /* two patterns: an intersection, not a count */
        unsigned i = (unsigned)__builtin_ctzll(p->who[d]);
        uint32_t s = p->seg0[i];
        while (p->segs.data[s].var != (int32_t)p->order[d])
            s++;
        uint64_t seen = 0;
        for (; s < p->seg_end[i]; s++) {
            int32_t v = p->segs.data[s].var;
            if (v < 0 || rank[v] < d || (seen >> v & 1))
                return;
            seen |= 1ull << v;
        }
        p->tail = d;
    }
}

int ps__join_plan(const engine *e, jplan *p)
{
    uint64_t pv[MATCH_MAX_PATTERNS], all = 0;
    p->segs.len = 0;
    ps_buf_clear(&p->bytes, 0);
    for (unsigned i = 0; i < e->npat; i++) {
        pv[i] = 0;
        int r = cut(e, p, i, &pv[i]);
        if (r <= 0)
            return r;
        all |= pv[i];
    }
    /* in the patterns' own orders if that joins connected variables only,
     * else in any order, copying the patterns it reads out of theirs */
    if (!choose_order(p, pv, e->npat, all, 1) || p->product)
        choose_order(p, pv, e->npat, all, 0);
    int rc = mark_copies(p, e->npat);
    if (rc)
        return rc;
    find_tail(p);
    return 1;
}

void ps__join_plan_free(jplan *p)
{
    jseg_list_free(&p->segs);
    ps_buf_free(&p->bytes);
}
