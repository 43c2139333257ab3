/*
 * fixtures.h - the encoders that tests and tools build files with byte by
 * byte (tests/test_act.c, tests/hostile/gen.c, tools/golden.c), written
 * from the format documents rather than taken from the library's writers,
 * so that what they build checks the library, not itself.
 */
#ifndef PS_TESTS_FIXTURES_H
#define PS_TESTS_FIXTURES_H

#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#include "pathspace.h"

/* ACT's varint (docs/mork-formats.md): 0..247 in one byte, else 247 + n,
 * then n little-endian bytes. Returns its length. */
static inline size_t fx_act_varint(uint8_t *o, uint64_t v)
{
    if (v < 248) {
        o[0] = (uint8_t)v;
        return 1;
    }
    size_t n = 0;
    for (uint64_t x = v; x; x >>= 8)
        n++;
    o[0] = (uint8_t)(247 + n);
    for (size_t i = 0; i < n; i++)
        o[1 + i] = (uint8_t)(v >> (8 * i));
    return 1 + n;
}

/* LEB128, the snapshot's varint (docs/format-snapshot.md). */
static inline unsigned fx_leb128(uint8_t *p, uint64_t v)
{
    unsigned n = 0;
    while (v >= 0x80)
        p[n++] = (uint8_t)(v | 0x80), v >>= 7;
    p[n++] = (uint8_t)v;
    return n;
}

/* A snapshot checksum field of kind XXH3: 8 little-endian bytes, 24 zeros. */
static inline void fx_xxh3_field(const void *p, size_t n, uint8_t out[32])
{
    memset(out, 0, 32);
    ps_write_le64(out, XXH3_64bits(p, n));
}

#endif
