/* lcp.h - the length of the common prefix of two byte strings, 8 bytes at a
 * step (the bulk builder and the snapshot writer run it once per path). */
#ifndef PS_COMMON_LCP_H
#define PS_COMMON_LCP_H

#include "pathspace.h"

static inline size_t ps__lcp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn, i = 0;
    while (i + 8 <= n) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y) /* in memory order, the first differing byte is the lowest */
            return i + (size_t)(__builtin_ctzll(PS_BSWAP64(x) ^ PS_BSWAP64(y)) >> 3);
        i += 8;
    }
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

#endif
