/*
 * trie.h - the space's path-compressed trie (private).
 *
 * Nodes are 16-byte records in a node arena; edge bytes live in a label
 * arena. A node is reached by an edge of len >= 1 bytes (the root has none).
 * The children of a node sit side by side in one block of the node arena,
 * sorted by first edge byte, so finding a child reads one or two cache
 * lines instead of walking a list of nodes scattered by insertion order:
 *
 *   node  [ lab:u32 | meta:u32 | kids:u32 | nk:u32 ]
 *   meta  bits 0-7 first edge byte, 8 TERM (a path ends here), 9 VAL (it has
 *         a value), 10-19 edge length (1 .. MAX_EDGE; longer edges are
 *         chains), 20-31 the segment of its edge bytes
 *   nk    bits 0-8 the number of children, 9-17 the capacity of their
 *         block, 18-29 the block's segment, 31 FREE
 *   edge  = first byte, then label bytes [lab .. lab + len - 2]
 *
 *   root(0) --kids--> [ n1 n2 n3 . ]   a block of class 3 (4 slots), 3 used
 *                        |
 *                        +--kids--> [ ... ]
 *
 * Segments. Both arenas are lists of segments, each a compact vector (u32
 * length, so 16 bytes of header and no 64-bit offsets in the nodes); an
 * address is segment << 32 | offset (nid, lid), the node stores the offset
 * in full and the segment in 12 spare bits, so a space holds 2^44 nodes and
 * 2^44 edge bytes in 16-byte records. A block or an edge never crosses a
 * segment: when the last segment has no room left (its limit, seg_nodes /
 * seg_labels, defaults below, smaller in tests), a new one starts and the
 * few slots left at the old one's end stay unused.
 *
 * A block that fills moves to the next size class (blk_size[]); the
 * builder writes blocks of exactly the children's number. A segment is cut
 * into blocks end to end. A free block is tagged at its first and last slot
 * (nk has FREE, meta the capacity), sits on a doubly linked list by
 * capacity (its head's lab = previous, kids = next, their segments in nk's
 * low 24 bits; list MAX_KIDS + 1 holds larger ones), and merges with free
 * neighbours in its segment when it is freed, so blocks left behind by
 * nodes that grew serve later ones of any size; a free block at the last
 * segment's end shortens it. Slot 0 of segment 0 is the root, never in a
 * block, so kids of 0 means none. A node's index changes when its block
 * moves, so nothing outside a single operation keeps one.
 *
 * Invariants: children in strictly increasing first-byte order; leaves are
 * TERM (remove prunes childless non-TERM nodes, and merges a non-TERM node
 * left with one child back into it when their edge bytes are adjacent in
 * the arena, as a split leaves them).
 *
 * Values: vals[node] when VAL is set. vals is empty until a value is set,
 * so a space without values pays nothing; from then on it has a segment
 * beside each node segment, as long, and values move with their nodes.
 */
#ifndef PS_TRIE_H
#define PS_TRIE_H

#include "pathspace.h"

typedef struct node {
    uint32_t lab, meta, kids, nk;
} node;

typedef uint64_t nid; /* a node:      segment << 32 | slot   */
typedef uint64_t lid; /* an edge byte: segment << 32 | offset */

PS_VEC_DEFINE(node_vec, node)
PS_VEC_DEFINE(byte_vec, uint8_t)
PS_VEC_DEFINE(u64_vec, uint64_t)
PS_VEC_DEFINE(nseg_vec, node_vec)
PS_VEC_DEFINE(lseg_vec, byte_vec)
PS_VEC_DEFINE(vseg_vec, u64_vec)

#define ROOT 0u
#define M_TERM (1u << 8)
#define M_VAL (1u << 9)
#define LEN_SHIFT 10
#define LEN_MASK 0x3FFu
#define MAX_EDGE LEN_MASK
#define LSEG_SHIFT 20
#define FREE_NK 0x80000000u
#define NK_MASK 0x1FFu
#define CAP_SHIFT 9
#define KSEG_SHIFT 18
#define SEG_MASK 0xFFFu
#define MAX_SEGS (SEG_MASK + 1)
#define NCLS 16
#define MAX_KIDS 256
/* Segment limits: node segments of 2^28 slots (4 GiB; a segment's growth
 * stops there, so none asks for more), label segments as long as a u32
 * offset allows. */
#define SEG_NODES (1u << 28)
#define SEG_LABELS UINT32_MAX

struct ps_space {
    nseg_vec ns;                 /* node segments                        */
    lseg_vec ls;                 /* label segments                       */
    vseg_vec vs;                 /* value segments, none until a value   */
    uint32_t seg_nodes, seg_labels; /* segment limits                    */
    nid free_blk[MAX_KIDS + 2];  /* by capacity; 0 = none                */
    uint64_t free_map[5];        /* bit c: free_blk[c] is not empty      */
    uint64_t count, path_bytes, live_nodes;
    uint64_t dead_labels;        /* edge bytes no node uses any more     */
};

/* Test-only: the segment limits of spaces made from now on (0, 0: the
 * defaults), so tests cross segment boundaries at small sizes. */
void ps__test_segments(uint32_t nodes, uint32_t labels);

static inline node *N(const ps_space *s, nid k)
{
    return s->ns.data[k >> 32].data + (uint32_t)k;
}
static inline uint64_t *V(const ps_space *s, nid k)
{
    return s->vs.data[k >> 32].data + (uint32_t)k;
}
static inline const uint8_t *L(const ps_space *s, lid a)
{
    return s->ls.data[a >> 32].data + (uint32_t)a;
}
static inline uint32_t n_len(const node *n) { return n->meta >> LEN_SHIFT & LEN_MASK; }
static inline uint8_t n_first(const node *n) { return (uint8_t)n->meta; }
static inline uint32_t n_nkids(const node *n) { return n->nk & NK_MASK; }
static inline uint32_t n_cap(const node *n) { return n->nk >> CAP_SHIFT & NK_MASK; }
static inline nid n_kids(const node *n)
{
    return (uint64_t)(n->nk >> KSEG_SHIFT & SEG_MASK) << 32 | n->kids;
}
static inline lid n_lab(const node *n)
{
    return (uint64_t)(n->meta >> LSEG_SHIFT) << 32 | n->lab;
}
/* meta for an edge of len bytes at lab, first byte c, with flags */
static inline uint32_t mk_meta(uint8_t c, uint32_t len, lid lab, uint32_t flags)
{
    return c | len << LEN_SHIFT | (uint32_t)(lab >> 32) << LSEG_SHIFT | flags;
}
/* Points n at a block of n kids of capacity cap at k (both 0: none). */
static inline void set_kids(node *n, nid k, uint32_t nkids, uint32_t cap)
{
    n->kids = (uint32_t)k;
    n->nk = nkids | cap << CAP_SHIFT | (uint32_t)(k >> 32) << KSEG_SHIFT;
}
/* Edge bytes 1..; only an edge longer than one byte has any. */
static inline const uint8_t *n_tail(const ps_space *s, const node *n)
{
    return n_len(n) > 1 ? L(s, n_lab(n)) : NULL;
}

/* Copies edge bytes. Edges are short and their length is bounded
 * (MAX_EDGE), which makes GCC inline memcpy as `rep movsq`, slow to start:
 * one call to the C library's copy is faster (bulk build: 20 vs 34 M/s). */
__attribute__((noinline)) void ps__copy(void *dst, const void *src, size_t n);

/* The child of node k whose edge starts with c: its index, or 0 with *pos
 * the slot where it would go (pos may be NULL). */
static inline nid ps__kid(const ps_space *s, nid k, uint8_t c, uint32_t *pos)
{
    const node *p = N(s, k);
    uint32_t n = n_nkids(p), lo = 0, hi = n;
    if (!n) {
        if (pos)
            *pos = 0;
        return 0;
    }
    const node *b = N(s, n_kids(p));
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
    return lo < n && n_first(&b[lo]) == c ? n_kids(p) + lo : 0;
}

/* The first segments (the root alone), with the limits of this build. */
int ps__arena_init(ps_space *s);
void ps__arena_free(ps_space *s);
/* Room for need more nodes at the end of the last node segment (and their
 * values), a new segment if it has not; nothing is taken. */
int ps__nodes_room(ps_space *s, uint32_t need);
/* Room for need more edge bytes in the last label segment (likewise):
 * they will be at *at. */
int ps__labels_room(ps_space *s, uint32_t need, lid *at);
/* Appends p[0..n) to the label arena (in one segment): its address in *at. */
int ps__labels_put(ps_space *s, const uint8_t *p, uint32_t n, lid *at);
/* The last segments, where the arenas grow. */
static inline node_vec *last_nseg(const ps_space *s) { return &s->ns.data[s->ns.len - 1]; }
static inline byte_vec *last_lseg(const ps_space *s) { return &s->ls.data[s->ls.len - 1]; }
/* The address one past the last node / edge byte (where the next goes). */
static inline nid nodes_end(const ps_space *s)
{
    return (uint64_t)(s->ns.len - 1) << 32 | last_nseg(s)->len;
}
static inline lid labels_end(const ps_space *s)
{
    return (uint64_t)(s->ls.len - 1) << 32 | last_lseg(s)->len;
}
/* The same, inline when the room is there already (the common case). */
static inline int nodes_room(ps_space *s, uint32_t need)
{
    const node_vec *g = last_nseg(s);
    if (g->cap - g->len >= need && (uint64_t)g->len + need <= s->seg_nodes &&
        (!s->vs.len || s->vs.data[s->vs.len - 1].cap - g->len >= need))
        return PS_OK;
    return ps__nodes_room(s, need);
}
static inline int labels_room(ps_space *s, uint32_t need, lid *at)
{
    const byte_vec *g = last_lseg(s);
    if (g->cap - g->len >= need && (uint64_t)g->len + need <= s->seg_labels) {
        *at = labels_end(s);
        return PS_OK;
    }
    return ps__labels_room(s, need, at);
}
uint64_t ps__label_bytes(const ps_space *s);
/* Copies the live edge bytes to new label segments in depth-first order
 * and frees the old ones (PS_E_NOMEM: nothing changed). */
int ps__labels_compact(ps_space *s);
uint64_t ps__arena_bytes(const ps_space *s);

/* Takes parent's child at slot pos out (its subtree must be gone). */
void ps__kid_close(ps_space *s, nid parent, uint32_t pos);
/* Merges non-TERM node k with its only child when their edge bytes are
 * adjacent in the arena; 1 if it did. */
int ps__merge(ps_space *s, nid k);
/* A chain of nodes spelling p[0..len) (len >= 1), its head put in parent's
 * block at slot pos (from ps__kid); the last node (which gets `flags`) in
 * *last. All or nothing. */
int ps__add_edge(ps_space *s, nid parent, uint32_t pos, const uint8_t *p, size_t len,
                 uint32_t flags, nid *last);
/* Splits node k after its first i edge bytes (0 < i < len): k keeps them, a
 * new only child takes the rest with k's children, flags and value. */
int ps__split(ps_space *s, nid k, uint32_t i);
/* Every invariant above, checked by walking the whole space: PS_OK, or
 * PS_E_CORRUPT with d saying which and where (invariants.c; the tests run
 * it after every kind of change, and after every injected failure). */
int ps__space_check(const ps_space *s, ps_diag *d);
/* Values from now on: a value segment beside each node segment (all 0). */
int ps__vals_on(ps_space *s);
int ps__set_val(ps_space *s, nid k, uint64_t v);

#endif
