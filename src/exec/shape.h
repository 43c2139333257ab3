/*
 * shape.h - an exec atom taken apart: its location, its factors (plain
 * patterns or sources) and its templates (plain or sinks), checked, and
 * put back together as the query the engine runs (private to src/exec;
 * docs/exec.md says what each form means).
 */
#ifndef PS_EXEC_SHAPE_H
#define PS_EXEC_SHAPE_H

#include "pathspace.h"

#define SHAPE_MAX 64 /* factors, and templates, in one exec */

/* What a factor reads. */
enum { FAC_PLAIN, FAC_ACT, FAC_EQ, FAC_NE };
/* What a template feeds. */
enum {
    SNK_ADD,   /* a (, ...) template, or (+ t)            */
    SNK_REMOVE, SNK_U, SNK_AU, SNK_HEAD, SNK_TAIL, SNK_COUNT, SNK_SUM, SNK_HASH, SNK_AND,
    SNK_FSUM, SNK_FMIN, SNK_FMAX, SNK_FPROD, SNK_PURE, SNK_ACT
};

typedef struct shape {
    ps_bytes loc;
    unsigned nfac, ntpl;
    uint8_t fac[SHAPE_MAX];  /* FAC_ */
    ps_bytes act[SHAPE_MAX]; /* FAC_ACT: the file's name            */
    uint8_t snk[SHAPE_MAX];  /* SNK_ */
    uint8_t wrap[SHAPE_MAX]; /* 1: the instance is the whole sink (O ...),
                              * 0: the template itself (, ...)       */
    uint64_t keep[SHAPE_MAX];/* SNK_HEAD, SNK_TAIL: how many         */
    ps_bytes sname[SHAPE_MAX]; /* SNK_ACT: the file's name           */
    int sources;             /* (I ...): some factor is not plain    */
    int engine;              /* the query engine can run it: every
                              * factor plain, or every one ACT of one
                              * file (then act[0] names it)          */
    ps_buf query;            /* ((, factors) (, templates)) for the
                              * engine or the solver, in MORK's encoding */
} shape;

/* Takes x apart into sh (sh->query reused between calls). PS_OK, or a
 * PS_EXEC_E_ code with *at (the offending term's offset in x). */
int ps__shape(ps_bytes x, shape *sh, size_t *at);
void ps__shape_free(shape *sh);

/* The items of the list term at p (n bytes): its arity, and the offset of
 * each item (up to max) in off. -1 if p is not a list. */
int ps__list_items(const uint8_t *p, size_t n, size_t *off, unsigned max, uint64_t *arity);
/* 1 if the term has no variable. */
int ps__ground(const uint8_t *p, size_t n);
/* The bytes of the symbol at p, or 0 if it is not a symbol. */
int ps__symbol(const uint8_t *p, size_t n, ps_bytes *s);

#endif
