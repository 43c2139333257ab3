/*
 * brute.h - a plain brute-force matcher, the query engine's C oracle and
 * the benchmarks' scan baseline.
 *
 * It shares nothing with src/query: atoms are parsed into trees, and a
 * conjunction is matched by nested loops over every atom, in the order the
 * patterns are written, with a recursive textbook unifier (occurs check
 * included). Slow by design, and simple enough to trust.
 */
#ifndef PS_TESTS_BRUTE_H
#define PS_TESTS_BRUTE_H

#include "pathspace.h"

typedef struct bf_db bf_db;

/* Every path of s that is an atom (MORK's encoding or pathspace's). */
int bf_db_new(const ps_space *s, bf_db **out);
void bf_db_free(bf_db *db);
uint64_t bf_db_atoms(const bf_db *db);

/* Runs spec, the atom (PATTERN TEMPLATE) (as ps_query_new takes it), and
 * adds each instantiated template to out (may be NULL). *solutions gets the
 * unifiers found, *tried the (pattern, atom) pairs unified. */
int bf_query(const bf_db *db, ps_bytes spec, ps_space *out, uint64_t *solutions,
             uint64_t *tried);

#endif
