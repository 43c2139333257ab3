/*
 * act_walk.h - whole-subtrie walks over an ACT: the check every record
 * reachable from a start record gets (verify), and the measure of what it
 * holds (keys and their bytes), both linear in records however many keys
 * shared subtries stand for.
 */
#ifndef PS_MORK_ACT_WALK_H
#define PS_MORK_ACT_WALK_H

#include "act_read.h"

/* A record to visit and the offset it must end by (its parent's). */
typedef struct act_ref {
    uint64_t off, limit;
} act_ref;

PS_VEC_DEFINE(act_ref_vec, act_ref)

typedef struct act_walk {
    const ps_act *a;
    uint8_t *recs, *lines; /* visited bitmaps over arena offsets (freed by the walk) */
    uint8_t *shared;       /* records reached more than once (if asked for)      */
    uint64_t nshared;
    act_ref_vec stack;
    ps_act_stats st;       /* records and line data (no keys)                    */
} act_walk;

/* Parses every record reachable from off (which must end by limit) once,
 * checking each against every parent it has. With want_shared, w->shared
 * marks the records reached twice (free with ps__act_walk_free). */
int ps__act_walk(act_walk *w, const ps_act *a, uint64_t off, uint64_t limit, int want_shared,
                 ps_diag *d);
void ps__act_walk_free(act_walk *w);

/* Children of a branch record (a mask counts its bits). */
unsigned ps__act_nkids(const act_rec *r);

/* The keys under the record at off, and the bytes of those keys counted
 * from that record on (saturating at UINT64_MAX). */
int ps__act_measure_at(const ps_act *a, uint64_t off, uint64_t limit, uint64_t *keys,
                       uint64_t *bytes, ps_diag *d);
/* The same for the whole file, computed once per handle. */
int ps__act_measure(const ps_act *a, uint64_t *keys, uint64_t *bytes, ps_diag *d);

#endif
