/*
 * view.h - what the query engine walks: any sorted set of paths seen as a
 * trie of bytes (private). One engine serves every source through it:
 *
 *   the space       a node and how far into its edge (view_space.c)
 *   an ACT file     a record and how far into its line, in place (view_act.c)
 *   a snapshot      a range of its sorted paths and a depth, decoding only
 *                   the chunks a walk touches (view_snap.c)
 *
 * A position (qnode) stands for a prefix of at least one path. The engine
 * asks for the next byte to be a given one (step, walk), for the next bytes
 * in a range in order (next), for where the position is inside an edge so it
 * can take several bytes at once (run), and whether a path ends here (end).
 * A view that meets damage (a corrupt ACT record, a chunk that fails its
 * checksum) returns a negative ps_err, and the query stops with its
 * message.
 */
#ifndef PS_QUERY_VIEW_H
#define PS_QUERY_VIEW_H

#include "mork/act_read.h"
#include "pathspace.h"

/* A position, as each view names it (the engine copies and compares them
 * whole, never reading their parts). */
typedef union qnode {
    struct {
        uint64_t node; /* the trie node whose edge the position is on */
        uint64_t at;   /* bytes of that edge taken (its whole length: at
                        * the node itself)                               */
        uint64_t unused;
    } sp;              /* view_space.c */
    struct {
        uint64_t rec;   /* the ACT record's offset                       */
        uint64_t pos;   /* bytes of its line taken                        */
        uint64_t limit; /* where its parent's records end                 */
    } act;             /* view_act.c */
    struct {
        uint64_t lo, hi; /* the sorted paths [lo, hi) that share ...      */
        uint64_t depth;  /* ... their first depth bytes                   */
    } snap;            /* view_snap.c */
    uint64_t w[3];     /* the same words, for the engine's comparisons   */
} qnode;

/* 1 when x and y are the same position (of the same view). */
static inline int qnode_eq(const qnode *x, const qnode *y)
{
    return x->w[0] == y->w[0] && x->w[1] == y->w[1] && x->w[2] == y->w[2];
}

typedef struct qview qview;

typedef struct qview_ops {
    /* 1 and *out; or a negative ps_err (a damaged root record) */
    int (*root)(qview *v, qnode *out);
    /* 1 and *out: the position after byte b; 0: no path goes on with b */
    int (*step)(qview *v, const qnode *n, uint8_t b, qnode *out);
    /* the same for k bytes at once */
    int (*walk)(qview *v, const qnode *n, const uint8_t *p, size_t k, qnode *out);
    /* 1, *b and *out: the least next byte in [lo, hi]; 0: none (also when
     * lo > hi, or lo is 0x100: the caller's "after byte 0xFF") */
    int (*next)(qview *v, const qnode *n, unsigned lo, unsigned hi, uint8_t *b, qnode *out);
    /* the bytes every path through n goes on with, if there is just one
     * way on (inside an edge): *k >= 1 of them at *p (valid until the next
     * call); *k = 0 at a branch point */
    int (*run)(qview *v, const qnode *n, const uint8_t **p, size_t *k);
    /* 1 if a path ends at n */
    int (*end)(qview *v, const qnode *n);
    /* the paths under n, counted up to cap (an estimate for the joins) */
    uint64_t (*count)(qview *v, const qnode *n, uint64_t cap);
    /* every way on from n at once, in byte order: the count (0..256), with
     * b[i] and out[i]; or a negative ps_err */
    int (*kids)(qview *v, const qnode *n, uint8_t *b, qnode *out);
    /* the position k bytes on, k at most what run() gave at n (so there is
     * nothing to compare): 1, or a negative ps_err */
    int (*skip)(qview *v, const qnode *n, size_t k, qnode *out);
} qview_ops;

struct qview {
    const qview_ops *ops;
    ps_diag d;           /* where a damaged source went wrong */
    uint64_t steps;      /* positions visited (statistics) */
};

/* The views (each a struct that starts with a qview). */
typedef struct qview_space {
    qview v;
    const ps_space *s;
} qview_space;
void ps__qview_space(qview_space *v, const ps_space *s);

/* A position: a = the record, b = bytes of its line read (0 at a branch),
 * c = the offset the record must end by (its parent's). */
#define QVIEW_ACT_SIBS 64
typedef struct qview_act {
    qview v;
    const ps_act *a;
    /* the record parsed last: the engine asks several questions in a row
     * about one position */
    uint64_t rec_off, rec_limit;
    int rec_ok;
    act_rec rec;
    /* where a branch's child idx starts, so that stepping through a
     * branch's children in order does not skip over each one's elder
     * siblings again (direct-mapped by branch offset) */
    struct { uint64_t off, at; uint32_t idx; } sib[QVIEW_ACT_SIBS];
} qview_act;
void ps__qview_act(qview_act *v, const ps_act *a);

typedef struct qview_snap qview_snap;
/* cache: decoded chunks kept (at least 2; 0 = what 64 MiB of raw chunks
 * hold, at least 16). */
int ps__qview_snap_new(const ps_snap *s, unsigned cache, qview_snap **out);
qview *ps__qview_snap_base(qview_snap *v);
void ps__qview_snap_free(qview_snap *v);
/* Chunks decoded by a snapshot walk so far. */
uint64_t ps__qview_snap_decoded(const qview_snap *v);

#endif
