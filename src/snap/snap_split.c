/* snap_split.c - key ranges of about equal size, from the chunk index
 * alone: where a space splits into shards (docs/replication.md, "Shards"). */
#include "snap.h"

int ps_snap_split_keys(const ps_snap *s, uint32_t parts, ps_bytes *keys, uint32_t *n)
{
    *n = 0;
    if (!parts)
        return PS_E_INVAL;
    uint64_t seen = 0, next = 1;
    for (uint64_t i = 0; i < s->nchunks && next < parts; i++) {
        /* chunk i starts a range once the chunks before it hold at least
         * next/parts of the paths */
        if (i && seen * parts >= next * s->paths) {
            keys[(*n)++] = snap_first(s, i);
            while (next < parts && seen * parts >= next * s->paths)
                next++;
        }
        seen += s->chunks[i].count;
    }
    return PS_OK;
}
