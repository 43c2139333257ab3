/*
 * match.h - the query engine: a conjunction of patterns matched against a
 * view by unification, walking the view's trie, never scanning it
 * (private; docs/query.md says what it computes).
 *
 *   match.c   one pattern at a time: constants walked, variables capturing
 *             whole stored terms, the next pattern chosen by its estimate
 *   lock.c    a deferred capture met again: two walks of the trie in
 *             lockstep, unifying a stored atom with another stored atom
 */
#ifndef PS_QUERY_MATCH_H
#define PS_QUERY_MATCH_H

#include "memo.h"
#include "term.h"
#include "view.h"

#include <stdatomic.h>

#define MATCH_MAX_PATTERNS 64
#define MATCH_MAX_DEPTH (1u << 16) /* nested steps a search goes through */
#define MATCH_STACK (64u << 20)    /* a search thread's stack: under 1 KiB a step */
#define MATCH_SPLIT_DEPTH 12       /* where a parallel run hands out branches */
#define MATCH_COUNT_CAP (1u << 16) /* paths a join estimate counts, at most */

/* What the threads of one parallel run share: the next branch to hand out
 * (at depth MATCH_SPLIT_DEPTH, in the order every thread meets them), and
 * whether the run stops. */
typedef struct par {
    atomic_uint_fast64_t next;
    atomic_int stop;
} par;

/* An item that resumes a lockstep (lock.c) when the engine pops it: the
 * tag, then the u32 index of its frame. Never bound, never a pattern's. */
#define T_RES 0x51
#define T_RES_LEN 5

typedef struct engine engine;

/* Called for each solution, with the bindings in e's terms: non-zero
 * stops the search (and is returned). */
typedef int (*solution_fn)(void *ctx, engine *e);

/* Reading whole stored terms, one byte at a time: how many terms are
 * still to read, and where in a symbol or a wide header the walk is. */
typedef struct tscan {
    uint64_t need;   /* complete terms still to read               */
    uint32_t sym;    /* symbol bytes still to read                  */
    uint32_t acc;    /* a wide header's count, as it is read         */
    uint8_t hdr;     /* wide or long header bytes still to read      */
    uint8_t kind;    /* which: PS_TAG_WIDE_LIST or PS_TAG_LONG_SYMBOL */
} tscan;

/* What byte b does to the terms being read; 0 if no atom can go on so. */
int ps__tscan(tscan *f, uint8_t b);

/* One step of a capture walk (match.c). */
typedef struct capframe {
    qnode n;
    tscan f;
    uint16_t lo;     /* the next child byte to try                   */
    size_t plen;     /* the captured bytes up to here                */
} capframe;
PS_VEC_DEFINE(capframe_list, capframe)

/* Each complete term a capture reads: its bytes (valid during the call
 * only) and where it ends. */
typedef int (*capture_fn)(engine *e, void *ctx, const uint8_t *bytes, size_t n,
                          const qnode *end);
/* What the step after a capture can go on with: a term is skipped unless
 * a byte in next may follow it, or ends and the path may end there. */
typedef struct capwant {
    uint64_t next[4];
    int ends;
} capwant;
/* Reads every complete stored term at cur (novar: only those that do not
 * start with a variable; want: only those it lets through, NULL = all)
 * and calls fn for each, in byte order. */
int ps__capture(engine *e, const qnode *cur, int novar, const capwant *want, capture_fn fn,
                void *ctx);
/* The want for the item on top of e's items (*out = NULL: anything). */
void ps__want_item(const engine *e, capwant *w, const capwant **out);
/* Lets through the terms a stored variable follows. */
void ps__want_vars(capwant *w);

/* A capture put off (lock.c): the last item of a pattern was an unbound
 * query variable that a later pattern uses, so its atom's last term is
 * left unread, at a, until that variable is met: then the two atoms are
 * read in lockstep, and every atom sharing a prefix shares the work. */
typedef struct defer {
    int active;
    uint32_t id;           /* the variable                              */
    qnode a;               /* where its atom's term starts              */
    uint32_t base, nv;     /* that atom's variable ids                  */
    unsigned pat, level;   /* its pattern, and how many had matched     */
} defer;

/* A lockstep's state: both walks, the terms still to read, both atoms'
 * variables, and the bytes of the deferred atom's term so far. */
typedef struct lockst {
    qnode a, b;
    tscan f;
    uint32_t a_base, a_nv, b_base, b_nv;
    size_t start, built;   /* e->built[start, built): the term so far   */
    int side;              /* a resume frame: 0 = b is walked, 1 = a     */
    /* two copies of one pattern at one position (a self-join): the pairs
     * come in mirror images, (A, B) and (B, A), with one unifier; only
     * those with A's path before B's are walked, and count twice */
    uint8_t mirror;
    uint8_t order;         /* 0: the paths are the same so far; 1: A's is less */
} lockst;
PS_VEC_DEFINE(qnode_list, qnode)
PS_VEC_DEFINE(lock_list, lockst)

struct engine {
    qview *v;
    uint64_t max_steps;    /* positions read, at most (0: no budget)    */
    terms *t;
    const uint64_t *pat;   /* the patterns' roots in t's arena */
    unsigned npat;
    uint64_t done;         /* patterns matched on the way here (bits)   */
    unsigned level;        /* how many                                  */
    unsigned cur;          /* the pattern being matched                 */
    u64_list items;        /* pattern subterms still to match; last first */
    uint32_t base, nv;     /* the atom being matched: its variables' ids */
    capframe_list cap;     /* capture walks (a stack shared by nested ones) */
    ps_buf capbytes;       /* the bytes they have read */
    unsigned depth;
    int skip_vars;         /* the next item may not meet a stored variable */
    /* deferred captures (lock.c) */
    uint64_t uses[Q_VARS]; /* per query variable: the patterns it is in  */
    uint64_t once[MATCH_MAX_PATTERNS]; /* per pattern: variables in it once */
    defer def;
    int locking;           /* inside a lockstep                         */
    uint32_t lock_var;     /* the variable the innermost lockstep binds  */
    lock_list lk;          /* resume frames                             */
    ps_buf built;          /* deferred terms being read                 */
    memo memo;             /* the terms found at positions captured at  */
    cmemo counts;          /* the paths under positions estimated at    */
    ps_buf pre;            /* a constant prefix being estimated         */
    qnode_list kn;         /* lockstep positions' ways on (and kb: bytes) */
    ps_buf kb;
    uint64_t weight;       /* solutions each solution found stands for  */
    par *par;              /* a parallel run's shared state, or NULL    */
    uint64_t seen, claim;  /* branches met at the split depth; the one this
                            * thread owns next                          */
    int inside;            /* in a branch this thread owns              */
    unsigned tid;          /* this thread's number: 0 reports what is found
                            * above the split depth (every thread finds it) */
    solution_fn fn;
    void *ctx;
    /* a parallel leapfrog run (join.c): hands the chunk of units this
     * thread did to the caller, who delivers them in chunk order, and
     * gives it the next (*chunk); non-zero: the run stops */
    int (*take_chunk)(void *ctx, uint64_t *chunk);
    int count_only;        /* PS_QUERY_COUNT: the join counts, fn unused */
    uint64_t atoms;        /* atoms a pattern was matched against, whole */
    uint64_t solutions;
    ps_diag d;             /* why a search stopped with an error */
};

/* Runs the search: PS_OK when it is done, the callback's non-zero value if
 * it stopped it, or a negative ps_err (d says why). */
int ps__match(engine *e);
void ps__engine_free(engine *e);
/* Empties the buffers of a zeroed engine (taken from an earlier run) for
 * another run, keeping their memory. */
void ps__engine_reset(engine *e);

/* A parallel run: at the split depth, 1 if this thread takes the branch
 * it enters (then ps__split_leave after it), 0 if another one does. */
int ps__split_enter(engine *e);
void ps__split_leave(engine *e);

/* match.c, for lock.c: the next step at cur (the items), a view error. */
int ps__match_at(engine *e, const qnode *cur);
int ps__view_err(engine *e, int r);
int ps__too_deep(engine *e);
/* The step budget (ps_query_opts.max_steps): checked where a search reads
 * on without handing out solutions (a capture walk, each match, a join's
 * walk), so a caller with a deadline gets its thread back. 1 (and e->d
 * says so) once it is spent. Inline: it runs at every step. */
int ps__budget_spent(engine *e);
static inline int ps__over_budget(engine *e)
{
    return e->max_steps && e->v->steps > e->max_steps && ps__budget_spent(e);
}
/* Binds variable id to the captured term (base, *nv: whose ids) unless
 * the occurs check fails: 1 bound (on the trail), 0 not, or < 0. */
int ps__bind_captured(engine *e, uint32_t id, const uint8_t *bytes, size_t n, uint32_t base,
                      uint32_t *nv);

/* lock.c: the deferred variable met at cur; a resume item popped at cur;
 * the deferred capture made good before a solution. */
int ps__lock_start(engine *e, const qnode *cur);
int ps__lock_resume(engine *e, const qnode *cur, uint32_t frame);
int ps__defer_settle(engine *e);

#endif
