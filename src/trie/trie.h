/*
 * trie.h - the space's path-compressed trie (private).
 *
 * Nodes live in one arena (a vector of 16-byte records) and refer to each
 * other by u32 index; edge bytes live in a second arena. A node is reached
 * by an edge of len >= 1 bytes (the root has none). The children of a node
 * sit side by side in one block of the node arena, sorted by first edge
 * byte, so finding a child reads one or two cache lines instead of walking
 * a list of nodes scattered by insertion order:
 *
 *   node  [ lab:u32 | meta:u32 | kids:u32 | nk:u32 ]
 *   meta  bits 0-7 first edge byte, 8 TERM (a path ends here), 9 VAL (it has
 *         a value), 10-31 edge length (1 .. 2^22-1; longer edges are chains)
 *   nk    bits 0-8 the number of children, 9-17 the capacity of their block
 *   edge  = first byte, then labels[lab .. lab + len - 2]
 *
 *   root(0) --kids--> [ n1 n2 n3 . ]   a block of class 3 (4 slots), 3 used
 *                        |
 *                        +--kids--> [ ... ]
 *
 * A block that fills moves to the next size class (blk_size[]); the
 * builder writes blocks of exactly the children's number. The arena is
 * cut into blocks end to end. A free block is tagged at its first and last
 * slot (nk = FREE_NK | capacity), sits on a doubly linked list by capacity
 * (lab = previous, kids = next; list MAX_KIDS + 1 holds larger ones), and
 * merges with free neighbours when it is freed, so blocks left behind by
 * nodes that grew serve later ones of any size; a free block at the
 * arena's end shortens the arena. Index 0 is the root, never in
 * a block, so a kids of 0 means none. A node's index changes when its block
 * moves, so nothing outside a single operation keeps one.
 *
 * Invariants: children in strictly increasing first-byte order; leaves are
 * TERM (remove prunes childless non-TERM nodes, and merges a non-TERM node
 * left with one child back into it when their edge bytes are adjacent in
 * the arena, as a split leaves them).
 *
 * Values: vals[node] when VAL is set. vals is empty until a value is set,
 * so a space without values pays nothing; from then on it is as long as
 * the node arena, and moves with the nodes.
 */
#ifndef PS_TRIE_H
#define PS_TRIE_H

#include "pathspace.h"

typedef struct node {
    uint32_t lab, meta, kids, nk;
} node;

PS_VEC_DEFINE(node_vec, node)
PS_VEC_DEFINE(byte_vec, uint8_t)
PS_VEC_DEFINE(u64_vec, uint64_t)

#define ROOT 0u
#define M_TERM (1u << 8)
#define M_VAL (1u << 9)
#define LEN_SHIFT 10
#define MAX_EDGE ((1u << 22) - 1)
#define FREE_NK 0x80000000u
#define NK_MASK 0x1FFu
#define CAP_SHIFT 9
#define NCLS 16
#define MAX_KIDS 256


struct ps_space {
    node_vec nodes;
    byte_vec labels;
    u64_vec vals;
    uint32_t free_blk[MAX_KIDS + 2]; /* by capacity; 0 = none */
    uint64_t free_map[5];            /* bit c: free_blk[c] is not empty */
    uint64_t count, path_bytes, live_nodes;
};

static inline uint32_t n_len(const node *n) { return n->meta >> LEN_SHIFT; }
static inline uint8_t n_first(const node *n) { return (uint8_t)n->meta; }
static inline uint32_t n_nkids(const node *n) { return n->nk & NK_MASK; }
static inline uint32_t n_cap(const node *n) { return n->nk >> CAP_SHIFT; }
static inline const uint8_t *n_tail(const ps_space *s, const node *n)
{
    /* edge bytes 1..; no arena yet while every edge is one byte long */
    return s->labels.data ? s->labels.data + n->lab : NULL;
}

/* The child of nd[k] whose edge starts with c: its index, or 0 with *pos
 * the slot where it would go (pos may be NULL). */
static inline uint32_t ps__kid(const ps_space *s, uint32_t k, uint8_t c, uint32_t *pos)
{
    const node *nd = s->nodes.data, *p = &nd[k];
    uint32_t n = n_nkids(p), lo = 0, hi = n;
    const node *b = nd + p->kids;
    if (n > 8) { /* wide nodes: a binary search for the first byte >= c */
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (n_first(&b[mid]) < c)
                lo = mid + 1;
            else
                hi = mid;
        }
    } else { /* narrow ones: a scan of one or two cache lines */
        while (lo < n && n_first(&b[lo]) < c)
            lo++;
    }
    if (pos)
        *pos = lo;
    return lo < n && n_first(&b[lo]) == c ? p->kids + lo : 0;
}

/* A zeroed block of cap slots (1..MAX_KIDS): its first slot's index in *out. */
int ps__blk_alloc(ps_space *s, uint32_t cap, uint32_t *out);
void ps__blk_free(ps_space *s, uint32_t at, uint32_t cap);
/* Makes room for a child of nd[parent] at slot pos (its block may move);
 * the new, zeroed child's index in *out. */
int ps__kid_open(ps_space *s, uint32_t parent, uint32_t pos, uint32_t *out);
/* Takes nd[parent]'s child at slot pos out (its subtree must be gone). */
void ps__kid_close(ps_space *s, uint32_t parent, uint32_t pos);
/* Merges non-TERM node k with its only child when their edge bytes are
 * adjacent in the arena; 1 if it did. */
int ps__merge(ps_space *s, uint32_t k);
/* A chain of nodes spelling p[0..len) (len >= 1), its head put in nd[parent]'s
 * block at slot pos (from ps__kid); the last node (which gets `flags`) in
 * *last. All or nothing. */
int ps__add_edge(ps_space *s, uint32_t parent, uint32_t pos, const uint8_t *p, size_t len,
                 uint32_t flags, uint32_t *last);
/* Splits node k after its first i edge bytes (0 < i < len): k keeps them, a
 * new only child takes the rest with k's children, flags and value. */
int ps__split(ps_space *s, uint32_t k, uint32_t i);
/* Values from now on: vals as long as the node arena (all 0). */
int ps__vals_on(ps_space *s);
int ps__set_val(ps_space *s, uint32_t k, uint64_t v);

#endif
