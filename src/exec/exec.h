/*
 * exec.h - running exec rules on any space: the exec layer's interface to
 * the layers above it (the served space, the command line). A run reads
 * and writes through a target, one step per hold: begin gives the space
 * the step reads (and takes whatever lock that needs), apply writes the
 * step's changes, all of them as one, end lets go. Between two steps the
 * target is free, so a served space's other clients go on.
 */
#ifndef PS_EXEC_EXEC_H
#define PS_EXEC_EXEC_H

#include "pathspace.h"

/* A step's writes, in the order they apply: x removed, the atoms of adds
 * added, then ops: records [u8 op: 1 add, 2 remove][u32 LE length][atom]. */
typedef struct exec_writes {
    ps_bytes x;           /* empty: none (a timing atom's write) */
    const ps_space *adds; /* may be NULL */
    const uint8_t *ops;
    size_t ops_len;
} exec_writes;
enum { EXEC_OP_ADD = 1, EXEC_OP_REMOVE = 2 };

typedef struct exec_target {
    /* the space the next step reads, or NULL when the target stops the run
     * (a served space that is stopping) */
    const ps_space *(*begin)(void *ctx);
    /* the step's writes, as one change; counts into st->added, removed.
     * An error stops the run (the space itself failed). */
    int (*apply)(void *ctx, const exec_writes *w, ps_exec_stats *st);
    void (*end)(void *ctx);
    void *ctx;
    ps_bytes prefix; /* the atoms the run takes as its exec atoms (empty:
                      * every (exec ...)); MORK's server threads take
                      * those of (exec (THREAD ...) ...) */
} exec_target;

/* ps_space_exec on any target (calc.c). */
int ps__exec_run(const exec_target *t, const ps_exec_opts *o, ps_exec_stats *st, ps_diag *d);

/* Walks w's changes in order: fn(ctx, op, atom) for each (target.c). */
typedef int (*exec_change_fn)(void *ctx, int op, ps_bytes atom);
int ps__exec_each_change(const exec_writes *w, exec_change_fn fn, void *ctx);

#endif
