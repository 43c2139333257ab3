/*
 * term.h - the query engine's terms, bindings and unifier (private).
 *
 * Atoms number their variables per atom (the first occurrence is NewVar,
 * later ones are VarRef(i)), so the same bytes mean different variables in
 * different atoms. The engine renames them apart into explicit ids: an
 * internal term is MORK's encoding with every variable written as
 *
 *   T_VAR (0x50, a tag MORK reserves and pathspace never stores) + u32 LE id
 *
 * Ids 0..63 are the query's variables (numbered as in the pattern); every
 * atom a match reaches gets ids of its own, from a base that the matcher
 * hands out per pattern. Terms live in one arena, named by their offset;
 * the arena and the bindings are both undone, in order, on backtracking
 * (the trail), so a search never copies its state.
 *
 *   arena  [compiled pattern | templates | terms captured from atoms ...]
 *   bind   id -> offset + 1 of the term it is bound to (0: unbound)
 *   trail  the ids bound, newest last
 *
 * Unification is syntactic, most general, with the occurs check.
 */
#ifndef PS_QUERY_TERM_H
#define PS_QUERY_TERM_H

#include "expr/tags.h"
#include "pathspace.h"

#define T_VAR 0x50
#define T_VAR_LEN 5
#define Q_VARS PS_MAX_VARS /* the query's own variables: ids 0..63 */

PS_VEC_DEFINE(u64_list, uint64_t)
PS_VEC_DEFINE(u32_list, uint32_t)

typedef struct terms {
    ps_buf arena;
    u64_list bind;   /* per id: offset + 1, or 0 */
    u32_list trail;  /* ids, in the order bound */
    u64_list scratch; /* unify's work stack (pairs), and instantiate's */
    u64_list ostack;  /* the occurs check's */
    u32_list stamp;  /* instantiate: per id, the generation it was named in */
    u32_list name;   /* ... and its output number */
    uint32_t gen;
} terms;

int ps__terms_init(terms *t, uint32_t ids);
void ps__terms_free(terms *t);
/* Empties t for another run, keeping its memory (every binding undone). */
void ps__terms_reset(terms *t);
/* Room for ids 0..n-1 in the binding tables. */
int ps__terms_ids(terms *t, uint32_t n);

static inline const uint8_t *t_at(const terms *t, uint64_t off)
{
    return ps_buf_data(&t->arena) + off;
}

/* The length of the internal term at p (a term this layer wrote). */
size_t ps__tlen(const uint8_t *p);
/* The bytes of term p's own header (a whole symbol, a list's arity), and
 * in *kids how many subterms follow it. */
size_t ps__thead(const uint8_t *p, uint64_t *kids);
static inline uint32_t t_var_id(const uint8_t *p)
{
    return ps_read_le32(p + 1);
}

/* The term a chain of bound variables ends in. */
uint64_t ps__deref(const terms *t, uint64_t off);

/* A mark to undo to: the trail's and the arena's lengths. */
typedef struct tmark {
    uint32_t trail;
    size_t arena;
} tmark;

static inline tmark t_mark(const terms *t)
{
    tmark m = { t->trail.len, t->arena.len };
    return m;
}
void ps__undo(terms *t, tmark m);

int ps__bind(terms *t, uint32_t id, uint64_t off);
/* 1 if the terms at a and b unify (bindings made, on the trail), 0 if not
 * (bindings made on the way are left for the caller to undo), or a
 * negative ps_err. */
int ps__unify(terms *t, uint64_t a, uint64_t b);
/* 1 if variable id occurs in the term at off (through bindings). */
int ps__occurs(terms *t, uint32_t id, uint64_t off);

/* Appends the atom (MORK's encoding) as an internal term: NewVar k of the
 * atom (counting from *nv) becomes id base + k, VarRef(i) becomes base + i.
 * *nv is advanced by the NewVars read (only on success). PS_E_CORRUPT for
 * a VarRef to a variable the atom has not introduced, or a 65th variable.
 * *refs (may be NULL): 1 if it holds a VarRef (else its variables are all
 * fresh, so no variable bound before can occur in it). */
int ps__internalize(terms *t, const uint8_t *atom, size_t len, uint32_t base, uint32_t *nv,
                    uint64_t *off, int *refs);
/* The same, with *refs = 1 only for a VarRef to watch itself or to a bound
 * variable: without one, watch cannot occur in the term (its other
 * variables are unbound and not watch). */
int ps__internalize_watch(terms *t, const uint8_t *atom, size_t len, uint32_t base,
                          uint32_t *nv, uint64_t *off, int *refs, uint32_t watch);
/* Appends a variable term for id. */
int ps__var_term(terms *t, uint32_t id, uint64_t *off);

/* Writes the term at off, with every binding applied, as an atom in MORK's
 * encoding: unbound variables become the atom's own, numbered in order of
 * first occurrence. Appends to out. PS_E_LIMIT past 64 variables. */
int ps__instantiate(terms *t, uint64_t off, ps_buf *out);
/* The same for several terms written as one list atom, their variables
 * numbered together: (t0 t1 ...). */
int ps__instantiate_list(terms *t, const uint64_t *offs, size_t n, ps_buf *out);

#endif
