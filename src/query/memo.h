/*
 * memo.h - the whole stored terms found at trie positions, kept for the
 * rest of a search (private).
 *
 * A search captures at the same position again and again (every first
 * atom of a join that holds a variable there, every pair of a lockstep),
 * and reading a position's terms byte by byte costs their bytes each time.
 * So the first capture at a position writes its terms down: their bytes,
 * where each ends, and which bytes may follow there. Later captures read
 * the list, and skip the terms the next step cannot go on from. The memo
 * is bounded (MEMO_MAX_BYTES); past that, captures read the trie again.
 */
#ifndef PS_QUERY_MEMO_H
#define PS_QUERY_MEMO_H

#include "view.h"

#define MEMO_MAX_BYTES (512ull << 20)

/* One term found at a position. */
typedef struct mterm {
    qnode end;         /* where it ends                              */
    uint64_t next[4];  /* the bytes that follow it there (a bitmap)  */
    uint32_t off, len; /* its bytes in the memo's store              */
    uint8_t ends;      /* a path ends right after it                 */
    uint8_t first;     /* its first byte                             */
} mterm;

PS_VEC_DEFINE(mterm_list, mterm)

typedef struct mslot {
    qnode key;
    uint32_t first, count; /* its terms: terms[first .. first + count) */
    uint8_t used;
} mslot;

typedef struct memo {
    mslot *slots;
    uint32_t cap, len;
    mterm_list terms;
    ps_buf bytes;
    int full; /* the bound was reached: no more positions are kept */
} memo;

/* Paths counted under positions (join estimates), kept for the search. */
typedef struct cslot {
    qnode key;
    uint64_t count; /* + 1; 0: a free slot */
} cslot;

typedef struct cmemo {
    cslot *slots;
    uint32_t cap, len;
} cmemo;

/* 1 and *n if position k was counted; 0 if not. */
int ps__cmemo_find(const cmemo *m, const qnode *k, uint64_t *n);
/* Remembers it, or a count it holds more than (a full table just forgets:
 * it is a cache). */
void ps__cmemo_keep(cmemo *m, const qnode *k, uint64_t n);
void ps__cmemo_free(cmemo *m);
/* Forgets every entry, keeping the table. */
void ps__cmemo_reset(cmemo *m);

/* The terms kept for position k: 1 and *first, *n, or 0. */
int ps__memo_find(const memo *m, const qnode *k, uint32_t *first, uint32_t *n);
/* Keeps terms[first ..] (appended by the caller) for position k: 0, or
 * PS_E_NOMEM (the memo is then left as it was before the terms). */
int ps__memo_keep(memo *m, const qnode *k, uint32_t first);
void ps__memo_free(memo *m);
void ps__memo_reset(memo *m);

/* Which bytes may follow position n (view ops), for the next-byte test. */
int ps__view_kids(qview *v, const qnode *n, uint64_t kids[4], int *ends);

static inline int bit_test(const uint64_t m[4], unsigned b)
{
    return (int)(m[b >> 6] >> (b & 63) & 1);
}

/* Some byte of a is in b. */
static inline int bits_meet(const uint64_t a[4], const uint64_t b[4])
{
    return ((a[0] & b[0]) | (a[1] & b[1]) | (a[2] & b[2]) | (a[3] & b[3])) != 0;
}

#endif
