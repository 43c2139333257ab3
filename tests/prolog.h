/*
 * prolog.h - SWI-Prolog as an independent oracle for queries.
 *
 * Atoms become Prolog terms (a symbol a quoted atom, a list of n children
 * the compound l/n, a variable a Prolog variable, renamed apart per fact by
 * Prolog itself), each stored atom a fact f(T). A query (, p1 ... pn) with
 * templates (, t1 ... tm) becomes the clause q(I, [T1, ..., Tm]) :- f(P1),
 * ..., f(Pn), run with the occurs_check flag on. Prolog prints each
 * instantiated template back as MeTTa text ($vN for its unbound variables,
 * numbered by numbervars/3), or counts the distinct ones (equal up to
 * renaming: numbervars makes them identical).
 */
#ifndef PS_TESTS_PROLOG_H
#define PS_TESTS_PROLOG_H

#include "pathspace.h"

/* 1 if swipl can be run. */
int pl_have(void);

typedef struct pl_prog {
    ps_buf text;
    unsigned nq;
} pl_prog;

void pl_init(pl_prog *p);
void pl_free(pl_prog *p);
/* A stored atom (MORK's encoding). */
int pl_fact(pl_prog *p, ps_bytes atom);
/* Every atom of s. */
int pl_facts(pl_prog *p, const ps_space *s);
/* Query number p->nq (then incremented): spec is the atom (PATTERN
 * TEMPLATE), as ps_query_new takes it. */
int pl_query(pl_prog *p, ps_bytes spec);

/* Runs the program. Print mode (counts NULL): out[i] (fresh spaces, for
 * each query) get the distinct results. Count mode: counts[i] the number of
 * distinct results. Non-zero if swipl failed (msg says why). */
int pl_run(const pl_prog *p, ps_space **out, uint64_t *counts, char *msg, size_t msglen);

#endif
