/* act_read.h - the ACT reader's handle and record parser, shared by the
 * query, iteration and verify code. */
#ifndef PS_MORK_ACT_READ_H
#define PS_MORK_ACT_READ_H

#include <pthread.h>

#include "act.h"
#include "pathspace.h"

struct ps_act {
    const uint8_t *base;
    size_t len;
    uint64_t root;
    uint64_t arena_end; /* records lie in [ACT_HDR, arena_end) */
    int mapped, merged;
    uint64_t max_atom, budget; /* the reader limits, taken at open */
    /* what the whole file holds, measured on first need (act_measure.c) */
    pthread_mutex_t mu;
    int measured, mrc;
    uint64_t keys, bytes;
    ps_diag md;
};

/* One parsed record; pointers are into the file. */
typedef struct act_rec {
    uint64_t off, end; /* the record's bytes: [off, end)                  */
    uint64_t value;
    uint64_t child;    /* branch: first child; line: child record        */
    const uint8_t *line, *kids; /* line bytes; branch child list or mask */
    uint64_t line_len;
    unsigned nkids;    /* branch: 0..31 listed, 32 = mask                 */
    uint8_t is_line, has_value, has_child;
} act_rec;

/* Parses the record at off, which must end by `limit` (its parent's
 * offset, or the arena's end for the root). PS_E_CORRUPT with d. */
int ps__act_parse(const ps_act *a, uint64_t off, uint64_t limit, act_rec *r, ps_diag *d);
/* Bytes of a varint from its first byte. */
static inline unsigned vlen(uint8_t f)
{
    return f < 248 ? 1 : f - 246u;
}

/* The end of the record at off, read no further than limit: only its own
 * bytes (never its line data, a cache miss elsewhere in the file), for
 * stepping over siblings. 0 if it does not fit. Far from the limit, no
 * per-field bounds checks are needed: a record is at most 1 + 3 * 9 or
 * 1 + 2 * 9 + 32 bytes. */
static inline uint64_t act_skip(const ps_act *a, uint64_t off, uint64_t limit)
{
    const uint8_t *p = a->base + off;
    uint64_t avail = limit - off, k = 1;
    uint8_t h = p[0];
    unsigned fields = h & ACT_LINE ? (h >> 6 & 1) + (h & ACT_CHILD) + 1 /* value, child, line */
                                   : (h >> 6 & 1) + ((h & 63) != 0);  /* value, first child */
    if (avail >= 64) {
        while (fields--)
            k += vlen(p[k]);
    } else {
        while (fields--) {
            if (k >= avail)
                return 0;
            k += vlen(p[k]);
        }
    }
    if (!(h & ACT_LINE))
        k += (h & 63) == ACT_MASKED ? 32 : (h & 63);
    return k <= avail ? off + k : 0;
}

int ps__act_kid_index(const act_rec *r, uint8_t x);
int ps__act_kid(const ps_act *a, const act_rec *r, int idx, act_rec *c, ps_diag *d);

#endif
