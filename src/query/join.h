/*
 * join.h - the worst-case-optimal join (private; docs/query.md, "join
 * algorithms", says what it computes and when the planner runs it).
 *
 *   join.c       leapfrog triejoin over the view's trie: one query variable
 *                at a time, every pattern that holds it walked in lockstep
 *   join_plan.c  the variable order, and whether the join applies at all
 *   join_probe.c whether a region of the trie holds a stored variable
 *   join_copy.c  a pattern read out of its own order, copied in the join's
 *
 * The join matches ground atoms only. A stored atom with a variable needs
 * the unifier (match.c): the join watches every position it reads, and a
 * run that meets a stored variable before it has proven its regions
 * ground hands the query back untouched (JOIN_IMPURE), so that match.c
 * answers it whole.
 */
#ifndef PS_QUERY_JOIN_H
#define PS_QUERY_JOIN_H

#include "match.h"

#define JOIN_IMPURE 2               /* ps__join: a stored variable, nothing delivered */
#define JOIN_PROVE_AFTER 4096       /* solutions held before the regions are proven */
#define JOIN_PROVE_BYTES (1u << 20) /* ... or their bindings' bytes               */
#define JOIN_COPY_MAX (256u << 20)  /* a copy's key bytes, at most (join_copy.c)   */
#define JOIN_SPLIT_MIN 1024         /* first-level units a parallel run splits at  */
#define JOIN_CHUNK0 8               /* first-level units a thread claims at once   */
#define JOIN_CHUNK1 16              /* second-level units a thread claims at once  */

/* A pattern, cut into its constant runs and its variables, in order. */
typedef struct jseg {
    uint32_t off, len; /* constant bytes (in the plan's bytes), or ...      */
    int32_t var;       /* ... the query variable (-1: constant)             */
} jseg;
PS_VEC_DEFINE(jseg_list, jseg)

typedef struct jplan {
    unsigned nvar;                      /* the variables, in join order     */
    uint32_t order[Q_VARS];
    uint64_t who[Q_VARS];               /* per level: the patterns holding it */
    uint32_t seg0[MATCH_MAX_PATTERNS];  /* pattern p: segs [seg0[p], seg0[p+1]) */
    uint32_t seg_end[MATCH_MAX_PATTERNS];
    jseg_list segs;
    ps_buf bytes;
    uint64_t mat; /* patterns read through a copy in the join's order     */
    unsigned tail; /* from this level on, each variable is held by one
                    * pattern, whose atom ends in it and the ones after it
                    * (all distinct): their matches can be counted, not
                    * enumerated (PS_QUERY_COUNT)                        */
    int product;  /* some variable shares no pattern with those before it */
} jplan;

/* Fills p for e's patterns: 1 when the join can run them (a variable
 * order that agrees with every pattern's order exists), 0 when not, or a
 * negative ps_err. */
int ps__join_plan(const engine *e, jplan *p);
void ps__join_plan_free(jplan *p);

/* Runs the plan (e as for ps__match). proven: the regions are known ground
 * (ps__join_ground said so), so results go out as they are found. Returns
 * as ps__match does, or JOIN_IMPURE. */
int ps__join(engine *e, const jplan *p, int proven);

/* Copies pattern i's matches into out, keyed by its variables' terms in
 * the plan's order (join_copy.c): PS_OK, JOIN_IMPURE (an atom matched
 * holds a variable: two atoms could give one key, and the copy would
 * count them once; or the copy passed JOIN_COPY_MAX), or a negative
 * ps_err. */
int ps__join_copy(engine *e, const jplan *p, unsigned i, ps_space *out);

/* The stored atoms' completions under at in v, nterms whole terms each,
 * into *n (join_probe.c): 1, 0 if one holds a variable, or a negative
 * ps_err. */
int ps__join_count(engine *e, qview *v, const qnode *at, uint64_t nterms, uint64_t *n);

/* 1 when no stored atom under the constant prefix of any pattern in which
 * (bits), nor on the way to it, holds a variable; 0 if one does; or a
 * negative ps_err. Reads each region whole, once (stopping at the first
 * variable); copied patterns need no proof (a copy checks every atom). */
int ps__join_ground(engine *e, const jplan *p, uint64_t which);

/* 1 if a stored variable starts at n (a term starts there). */
static inline int join_var_at(qview *v, const qnode *n)
{
    uint8_t b;
    qnode nx;
    return v->ops->next(v, n, TAG_VARREF, TAG_NEWVAR, &b, &nx);
}

#endif
