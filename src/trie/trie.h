/*
 * trie.h - the space's path-compressed trie (private).
 *
 * Nodes live in one arena (a u32 vector of 16-byte records) and refer to
 * each other by u32 index; edge bytes live in a second arena. A node is
 * reached by an edge of len >= 1 bytes (the root has none):
 *
 *   node  [ lab:u32 | meta:u32 | child:u32 | next:u32 ]
 *   meta  bits 0-7 first edge byte, 8 TERM (a path ends here), 9 VAL (it has
 *         a value), 10-31 edge length (1 .. 2^22-1; longer edges are chains)
 *   edge  = first byte, then labels[lab .. lab + len - 2]
 *
 *   root(0) --child--> n1 --next--> n2 --next--> n3      siblings sorted by
 *                       |                                first edge byte
 *                       +--child--> ...
 *
 * Invariants: siblings are in strictly increasing first-byte order; index 0
 * is the root and never a child or sibling, so 0 also means "none"; a freed
 * node is on the free list (chained through next) with meta == FREE_META.
 * Leaves are always TERM (remove prunes childless non-TERM nodes); an inner
 * non-TERM node may have a single child after a remove (not merged back: the
 * edge bytes of the two are not adjacent in the arena).
 *
 * Values: vals[node] when VAL is set; the array exists only once a value has
 * been set, so a space without values pays nothing for them.
 */
#ifndef PS_TRIE_H
#define PS_TRIE_H

#include "pathspace.h"

typedef struct node {
    uint32_t lab, meta, child, next;
} node;

PS_VEC_DEFINE(node_vec, node)
PS_VEC_DEFINE(byte_vec, uint8_t)
PS_VEC_DEFINE(u64_vec, uint64_t)

#define ROOT 0u
#define M_TERM (1u << 8)
#define M_VAL (1u << 9)
#define LEN_SHIFT 10
#define MAX_EDGE ((1u << 22) - 1)
#define FREE_META 0xFFFFFFFFu

struct ps_space {
    node_vec nodes;
    byte_vec labels;
    u64_vec vals;
    uint32_t free_head; /* 0 = empty free list */
    uint64_t count, path_bytes, live_nodes;
};

static inline uint32_t n_len(const node *n) { return n->meta >> LEN_SHIFT; }
static inline uint8_t n_first(const node *n) { return (uint8_t)n->meta; }
static inline const uint8_t *n_tail(const ps_space *s, const node *n)
{
    /* edge bytes 1..; no arena yet while every edge is one byte long */
    return s->labels.data ? s->labels.data + n->lab : NULL;
}

/* Allocates a node (free list first); its index in *out. */
int ps__node_alloc(ps_space *s, uint32_t *out);
/* Puts node k on the free list. */
void ps__node_free(ps_space *s, uint32_t k);
/* A chain of nodes spelling p[0..len) (len >= 1) under no parent yet; the
 * first node's index in *first, the last (which gets `meta_flags`) in *last. */
int ps__add_edge(ps_space *s, const uint8_t *p, size_t len, uint32_t flags,
                 uint32_t *first, uint32_t *last);
/* Splits node k after its first i edge bytes (0 < i < len): k keeps them, a
 * new child takes the rest with k's children, flags and value. */
int ps__split(ps_space *s, uint32_t k, uint32_t i);
int ps__set_val(ps_space *s, uint32_t k, uint64_t v);

#endif
