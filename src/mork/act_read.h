/* act_read.h - the ACT reader's handle and record parser, shared by the
 * query, iteration and verify code. */
#ifndef PS_MORK_ACT_READ_H
#define PS_MORK_ACT_READ_H

#include "pathspace.h"

struct ps_act {
    const uint8_t *base;
    size_t len;
    uint64_t root;
    uint64_t arena_end; /* records lie in [ACT_HDR, arena_end) */
    int mapped, merged;
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
int act_parse(const ps_act *a, uint64_t off, uint64_t limit, act_rec *r, ps_diag *d);
int act_kid_index(const act_rec *r, uint8_t x);
int act_kid(const ps_act *a, const act_rec *r, int idx, act_rec *c, ps_diag *d);

#endif
