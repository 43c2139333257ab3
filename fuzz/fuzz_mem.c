/*
 * fuzz_mem.c - the memory primitives driven by arbitrary operation streams,
 * checked against trivial references: a u16 vector against an array, a
 * ps_buf against a flat byte array, and pool get/put sequences. Any
 * difference aborts (a finding), as does any sanitizer report.
 */
#include <stdlib.h>

#include "pathspace.h"
#include "fuzz.h"

PS_VEC_DEFINE(fz_u16v, uint16_t)


enum { REF_MAX = 1 << 14 };

static void run_vec(const uint8_t *d, size_t n)
{
    static uint16_t ref[REF_MAX];
    size_t rlen = 0;
    fz_u16v v;
    fz_u16v_init(&v);
    for (size_t i = 0; i + 2 < n; i += 3) {
        uint16_t x = (uint16_t)(d[i + 1] | d[i + 2] << 8);
        switch (d[i] % 6) {
        case 0:
            if (rlen < REF_MAX) {
                REQUIRE(fz_u16v_push(&v, x) == PS_OK);
                ref[rlen++] = x;
            }
            break;
        case 1: {
            uint16_t got = 0;
            int rc = fz_u16v_pop(&v, &got);
            REQUIRE(rlen ? rc == PS_OK && got == ref[--rlen] : rc == PS_E_EMPTY);
            break;
        }
        case 2:
            if (rlen + (x & 63) <= REF_MAX) {
                REQUIRE(fz_u16v_push_n(&v, x, x & 63) == PS_OK);
                for (unsigned k = 0; k < (x & 63u); k++)
                    ref[rlen++] = x;
            }
            break;
        case 3:
            REQUIRE(fz_u16v_shrink(&v) == PS_OK);
            break;
        case 4:
            if (rlen) {
                REQUIRE(fz_u16v_set(&v, x % rlen, x) == PS_OK);
                ref[x % rlen] = x;
            }
            break;
        default:
            fz_u16v_truncate(&v, x);
            if (x < rlen)
                rlen = x;
            break;
        }
        REQUIRE(v.len == rlen && v.len <= v.cap);
    }
    REQUIRE(rlen == 0 || memcmp(v.data, ref, rlen * 2) == 0);
    fz_u16v_free(&v);
}

static void run_buf(const uint8_t *d, size_t n)
{
    static uint8_t ref[1 << 16];
    size_t rlen = 0;
    ps_buf b = { 0 };
    for (size_t i = 0; i + 1 < n; i += 2) {
        size_t k = d[i + 1];
        if (k > n - i - 2)
            k = n - i - 2;
        const uint8_t *src = d + i + 2;
        if (rlen + k > sizeof ref)
            break;
        switch (d[i] % 4) {
        case 0:
            REQUIRE(ps_buf_append(&b, src, k) == PS_OK);
            memcpy(ref + rlen, src, k);
            rlen += k;
            break;
        case 1:
            REQUIRE(ps_buf_prepend(&b, src, k) == PS_OK);
            memmove(ref + k, ref, rlen);
            memcpy(ref, src, k);
            rlen += k;
            break;
        case 2:
            ps_buf_clear(&b, k);
            rlen = 0;
            break;
        default:
            REQUIRE(ps_buf_reserve_exact(&b, k) == PS_OK);
            break;
        }
        REQUIRE(b.len == rlen && b.head + b.len <= b.cap);
    }
    REQUIRE(rlen == 0 || memcmp(ps_buf_data(&b), ref, rlen) == 0);
    ps_pool_put(&b); /* whatever its size: pooled or freed, never leaked */
}

static void run_pool(const uint8_t *d, size_t n)
{
    ps_buf held[8] = { { 0 } };
    for (size_t i = 0; i + 1 < n; i += 2) {
        ps_buf *b = &held[d[i] & 7];
        if (b->base) {
            ps_pool_put(b);
        } else {
            REQUIRE(ps_pool_get(b, (size_t)d[i + 1] << (d[i] >> 4)) == PS_OK);
            REQUIRE(b->cap >= ((size_t)d[i + 1] << (d[i] >> 4)));
        }
    }
    for (int k = 0; k < 8; k++)
        ps_pool_put(&held[k]);
    ps_pool_stats st;
    ps_pool_stats_get(&st);
    for (int c = 0; c < PS_POOL_NCLASS; c++)
        REQUIRE(st.idle[c] <= PS_POOL_MAX_PER_CLASS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        run_vec(data + 1, size - 1);
        break;
    case 1:
        run_buf(data + 1, size - 1);
        break;
    default:
        run_pool(data + 1, size - 1);
        break;
    }
    return 0;
}
