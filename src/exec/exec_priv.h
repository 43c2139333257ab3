/*
 * exec_priv.h - a run of exec rules (private to src/exec; docs/exec.md).
 *
 *   calc.c    the loop: the next exec atom, one step, the budget
 *   target.c  where a run reads and writes: memory, a persistent space
 *   step.c    one step: match (engine or solver), feed the sinks,
 *             finish them, apply the writes all at once
 *   shape.c   an exec atom taken apart
 *   solve.c   matching with sources (==, !=, ACT beside other factors)
 *   sink.c    the sinks' per-solution state, and their finish
 *   group.c   the sinks that group (count sum hash and f* pure)
 *   fold.c    U and AU
 *   actdir.c  ACT files by name under one directory
 *   pure*.c, num.c   MORK's pure operations
 */
#ifndef PS_EXEC_PRIV_H
#define PS_EXEC_PRIV_H

#include "exec.h"
#include "pathspace.h"
#include "shape.h"


#define ACT_CACHE 16

typedef struct actdir {
    const char *dir;
    struct {
        char *name;
        ps_act *act;
    } open[ACT_CACHE];
    unsigned next; /* the slot to reuse when all are taken */
} actdir;

/* The ACT file name names, opened once and kept (PS_OK), or
 * PS_EXEC_E_ACT with *detail. */
int ps__act_get(actdir *a, ps_bytes name, ps_act **out, int *detail);
/* Replaces DIR/name.act with the paths of s (a new file, renamed into
 * place), and forgets any mapping of the old one. */
int ps__act_put(actdir *a, ps_bytes name, const ps_space *s, int *detail);
void ps__act_close(actdir *a);

#define QCACHE 64

typedef struct exec_run {
    exec_target t;
    const ps_space *s;        /* what the step reads (the target's)        */
    ps_exec_opts o;
    ps_exec_stats st;
    shape sh;
    ps_bytes x;               /* the exec atom being run                  */
    ps_space *adds;           /* the step's per-solution writes            */
    ps_space *set[SHAPE_MAX]; /* each template's collected instances       */
    ps_buf ops;               /* finish writes: op, u32 LE length, bytes   */
    ps_buf tmp, val;
    unsigned cur;             /* the template the next result is for       */
    uint64_t results, bytes;  /* the step's instances so far               */
    int err, detail;          /* the step's failure (ps_exec_error)        */
    size_t err_at;
    actdir acts;
    struct {                  /* compiled queries, by their bytes          */
        ps_buf key;
        ps_query *q;
    } qc[QCACHE];
} exec_run;

/* step.c */
int ps__exec_step(exec_run *r, ps_bytes x);

/* solve.c: the step's matching with sources; PS_OK or r->err set. */
int ps__exec_solve(exec_run *r);

/* sink.c */
int ps__sink_feed(exec_run *r, unsigned j, ps_bytes inst);
int ps__sink_finish(exec_run *r, unsigned j);
int ps__op(exec_run *r, int op, ps_bytes atom);

/* group.c, fold.c: a sink's finish from its collected set. */
int ps__group_finish(exec_run *r, unsigned j);
int ps__fold_finish(exec_run *r, unsigned j);

#endif
