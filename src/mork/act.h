/*
 * act.h - ACTree03 constants and the varint, shared by the ACT writer and
 * reader (layout: docs/mork-formats.md).
 */
#ifndef PS_MORK_ACT_H
#define PS_MORK_ACT_H

#include <stdint.h>
#include <string.h>

#define ACT_MAGIC "ACTree03"
#define ACT_HDR 16     /* magic + root offset                       */
#define ACT_PAD 8      /* zero bytes a base file ends with          */
#define ACT_TRAILER 16 /* merge trailer: previous suffix, previous root */

#define ACT_LINE 0x80  /* header bit 7: line node (else branch)     */
#define ACT_VALUE 0x40 /* header bit 6: a value follows             */
#define ACT_CHILD 0x01 /* line header bit 0: a child distance follows */
#define ACT_MASKED 32  /* branch child count meaning "32-byte mask" */

/* Branchless varint: 0..247 in one byte, else 0xF7 + n, then n LE bytes
 * (n = significant bytes). Returns the length written (1..9). */
static inline unsigned act_varint_put(uint8_t *p, uint64_t v)
{
    if (v < 248) {
        p[0] = (uint8_t)v;
        return 1;
    }
    unsigned n = (unsigned)(8 - __builtin_clzll(v) / 8);
    p[0] = (uint8_t)(247 + n);
    for (unsigned i = 0; i < n; i++)
        p[1 + i] = (uint8_t)(v >> (8 * i));
    return 1 + n;
}

/* Decodes from p[0..avail); 0 if the varint does not fit. */
static inline unsigned act_varint_get(const uint8_t *p, uint64_t avail, uint64_t *v)
{
    if (!avail)
        return 0;
    if (p[0] < 248) {
        *v = p[0];
        return 1;
    }
    unsigned n = p[0] - 247u;
    if (avail < 1 + (uint64_t)n)
        return 0;
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++)
        x |= (uint64_t)p[1 + i] << (8 * i);
    *v = x;
    return 1 + n;
}

#endif
