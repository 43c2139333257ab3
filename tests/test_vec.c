/* test_vec.c - the compact vector: every operation and edge. */
#include <malloc.h>
#include <stdlib.h>

#include "test.h"
#include "cases.h"
#include "common/alloc.h"

PS_VEC_DEFINE(u32v, uint32_t)
PS_VEC_DEFINE(u8v, uint8_t)

typedef struct big64 {
    uint64_t w[8];
} big64;
PS_VEC_DEFINE(b64v, big64)

typedef struct aligned64 {
    _Alignas(64) uint32_t x;
} aligned64;
PS_VEC_DEFINE(a64v, aligned64)

_Static_assert(sizeof(u32v) == 16 || sizeof(void *) != 8, "16-byte header");

void t_vec_empty(void)
{
    u32v v;
    uint32_t x = 99;
    u32v_init(&v);
    CHECK(v.len == 0 && v.cap == 0 && v.data == NULL);
    CHECK_RC(u32v_pop(&v, &x), PS_E_EMPTY);
    CHECK_EQ(x, 99);
    CHECK_RC(u32v_get(&v, 0, &x), PS_E_INVAL);
    CHECK_RC(u32v_set(&v, 0, 1), PS_E_INVAL);
    CHECK_OK(u32v_shrink(&v));
    CHECK_OK(u32v_reserve_exact(&v, 0));
    CHECK(v.data == NULL);
    u32v_clear(&v);
    u32v_free(&v);
    u32v_free(NULL);
    CHECK_OK(u32v_extend(&v, NULL, 0));
    CHECK_EQ(v.len, 0);
    u32v_free(&v);
}

void t_vec_one(void)
{
    u32v v;
    uint32_t x = 0;
    u32v_init(&v);
    CHECK_OK(u32v_push(&v, 42));
    CHECK_EQ(v.len, 1);
    CHECK(v.cap >= 16); /* first block holds at least 64 bytes */
    CHECK_OK(u32v_get(&v, 0, &x));
    CHECK_EQ(x, 42);
    CHECK_OK(u32v_set(&v, 0, 7));
    CHECK_EQ(u32v_at(&v, 0), 7);
    CHECK_RC(u32v_get(&v, 1, &x), PS_E_INVAL);
    CHECK_OK(u32v_pop(&v, &x));
    CHECK_EQ(x, 7);
    CHECK_RC(u32v_pop(&v, NULL), PS_E_EMPTY);
    u32v_free(&v);
}

/* Across many growth steps: contents survive, cap is exactly what the
 * allocator gave, and growth is geometric (few reallocs). */
void t_vec_growth_usable(void)
{
    u32v v;
    u32v_init(&v);
    unsigned grows = 0;
    uint32_t last_cap = 0;
    for (uint32_t i = 0; i < 300000; i++) {
        if (v.len == v.cap)
            grows++;
        CHECK_OK(u32v_push(&v, i * 2654435761u));
        if (v.cap != last_cap) {
            CHECK_EQ(v.cap, malloc_usable_size(v.data) / 4);
            CHECK(v.cap > v.len - 1);
            last_cap = v.cap;
        }
    }
    CHECK(grows < 40);
    for (uint32_t i = 0; i < v.len; i++)
        if (v.data[i] != i * 2654435761u) {
            CHECK(!"element changed by growth");
            break;
        }
    u32v_free(&v);
}

/* The checked arithmetic at the 2^32 boundary, with no allocation. */
void t_vec_next_cap_limits(void)
{
    CHECK(ps_vec_next_cap(0, 1, 4) == 16);
    CHECK(ps_vec_next_cap(0, 1, 64) == 1);
    CHECK(ps_vec_next_cap(0, 1, 1000) == 1);
    CHECK(ps_vec_next_cap(16, 17, 4) == 32);
    CHECK(ps_vec_next_cap(10, 100, 4) == 100);
    /* near the top: clamps to the max instead of wrapping */
    CHECK(ps_vec_next_cap(3500000000u, 3500000001u, 1) == PS_VEC_MAX_LEN);
    CHECK(ps_vec_next_cap(PS_VEC_MAX_LEN - 1, PS_VEC_MAX_LEN, 1) == PS_VEC_MAX_LEN);
    /* past the top: impossible */
    CHECK(ps_vec_next_cap(PS_VEC_MAX_LEN, (uint64_t)PS_VEC_MAX_LEN + 1, 1) == 0);
    CHECK(ps_vec_next_cap(0, UINT64_MAX, 1) == 0);
    CHECK(ps_vec_next_cap(0, 4, SIZE_MAX / 2) == 0);
    CHECK(ps_vec_next_cap(0, 1, 0) == 0);
    /* growth that would overflow size_t falls back to exactly `need` */
    CHECK(ps_vec_next_cap(2, 3, SIZE_MAX / 8) == 3 || sizeof(size_t) < 8);
}

/* A vector at its length limit refuses to grow before touching memory: the
 * data pointer here is a 4-element array, so any write would be caught. */
void t_vec_overflow_no_alloc(void)
{
    uint32_t small[4] = { 1, 2, 3, 4 };
    u32v v = { small, PS_VEC_MAX_LEN, PS_VEC_MAX_LEN };
    CHECK_RC(u32v_push(&v, 5), PS_E_OVERFLOW);
    CHECK_RC(u32v_reserve(&v, 1), PS_E_OVERFLOW);
    CHECK_RC(u32v_reserve_exact(&v, 1), PS_E_OVERFLOW);
    CHECK_RC(u32v_push_n(&v, 0, 1), PS_E_OVERFLOW);
    CHECK_RC(u32v_extend(&v, small, 1), PS_E_OVERFLOW);
    CHECK(v.data == small && v.len == PS_VEC_MAX_LEN && v.cap == PS_VEC_MAX_LEN);
    /* an extend whose count would wrap a u32 */
    u32v w = { small, PS_VEC_MAX_LEN - 1, PS_VEC_MAX_LEN - 1 };
    CHECK_RC(u32v_extend(&w, small, 2), PS_E_OVERFLOW);
    CHECK_RC(u32v_reserve(&w, (uint64_t)1 << 32), PS_E_OVERFLOW);
    int rc = 0;
    CHECK(u32v_extend_uninit(&w, UINT64_MAX, &rc) == NULL);
    CHECK_EQ(rc, PS_E_OVERFLOW);
    CHECK(w.data == small && w.len == PS_VEC_MAX_LEN - 1);
    /* an empty vector asked for more than 2^32-1 */
    u32v e;
    u32v_init(&e);
    CHECK_RC(u32v_reserve(&e, (uint64_t)PS_VEC_MAX_LEN + 1), PS_E_OVERFLOW);
    CHECK_RC(u32v_with_capacity(&e, UINT64_MAX), PS_E_OVERFLOW);
    CHECK(e.data == NULL);
}

void t_vec_overaligned(void)
{
    a64v v;
    a64v_init(&v);
    for (uint32_t i = 0; i < 5000; i++) {
        aligned64 a = { .x = i };
        CHECK_OK(a64v_push(&v, a));
        if (((uintptr_t)v.data & 63) != 0) {
            CHECK(!"over-aligned element misaligned");
            break;
        }
    }
    CHECK_OK(a64v_shrink(&v));
    CHECK(((uintptr_t)v.data & 63) == 0);
    CHECK_EQ(v.cap, v.len);
    for (uint32_t i = 0; i < v.len; i++)
        if (v.data[i].x != i) {
            CHECK(!"over-aligned contents");
            break;
        }
    a64v_free(&v);
}

void t_vec_clear_shrink(void)
{
    u32v v;
    CHECK_OK(u32v_with_capacity(&v, 1000));
    CHECK(v.cap >= 1000 && v.cap < 1100);
    for (int i = 0; i < 500; i++)
        u32v_push_unchecked(&v, (uint32_t)i);
    uint32_t cap = v.cap;
    u32v_clear(&v);
    CHECK(v.len == 0 && v.cap == cap && v.data != NULL);
    CHECK_OK(u32v_push_n(&v, 9, 10));
    CHECK_OK(u32v_shrink(&v));
    CHECK(v.cap >= 10 && v.cap < 40);
    CHECK_EQ(v.data[9], 9);
    u32v_truncate(&v, 3);
    CHECK_EQ(v.len, 3);
    u32v_truncate(&v, 30);
    CHECK_EQ(v.len, 3);
    u32v_clear(&v);
    CHECK_OK(u32v_shrink(&v));
    CHECK(v.data == NULL && v.cap == 0);
    u32v_free(&v);
}

void t_vec_bulk(void)
{
    u8v v;
    u8v_init(&v);
    uint8_t src[1000];
    for (int i = 0; i < 1000; i++)
        src[i] = (uint8_t)(i * 7);
    CHECK_OK(u8v_extend(&v, src, 1000));
    CHECK_OK(u8v_extend(&v, src, 3));
    CHECK_EQ(v.len, 1003);
    CHECK(memcmp(v.data, src, 1000) == 0 && v.data[1002] == src[2]);
    CHECK_OK(u8v_push_n(&v, 0xAB, 4097));
    CHECK_EQ(v.len, 5100);
    CHECK(v.data[1003] == 0xAB && v.data[5099] == 0xAB);
    int rc;
    uint8_t *p = u8v_extend_uninit(&v, 100, &rc);
    CHECK(p && rc == PS_OK && v.len == 5200 && p == v.data + 5100);
    u8v_free(&v);
}

/* Allocation failure: an error, the vector unchanged, nothing leaked (the
 * ASan build checks the last part). */
void t_vec_nomem(void)
{
    u32v v;
    u32v_init(&v);
    ps__test_fail_alloc(1);
    CHECK_RC(u32v_push(&v, 1), PS_E_NOMEM);
    CHECK(v.data == NULL && v.len == 0 && v.cap == 0);
    for (uint32_t i = 0; i < 16; i++)
        CHECK_OK(u32v_push(&v, i));
    uint32_t cap = v.cap;
    uint32_t *old = v.data;
    while (v.len < v.cap)
        u32v_push_unchecked(&v, 5);
    ps__test_fail_alloc(1);
    CHECK_RC(u32v_push(&v, 6), PS_E_NOMEM);
    CHECK(v.data == old && v.cap == cap && v.len == cap && v.data[15] == 15);
    ps__test_fail_alloc(1);
    CHECK_RC(u32v_extend(&v, old, 3), PS_E_NOMEM);
    ps__test_fail_alloc(1);
    a64v a;
    a64v_init(&a);
    aligned64 z = { 0 };
    CHECK_RC(a64v_push(&a, z), PS_E_NOMEM);
    ps__test_fail_alloc(0);
    CHECK_OK(u32v_push(&v, 6));
    u32v_free(&v);
    a64v_free(&a);
}

/* Random operations against a plain array, seeded. */
void t_vec_random(void)
{
    enum { N = 20000 };
    uint32_t *ref = malloc(N * 4 * sizeof *ref);
    size_t rlen = 0;
    u32v v;
    u32v_init(&v);
    for (int step = 0; step < N; step++) {
        uint32_t x = (uint32_t)t_rand();
        switch (t_below(8)) {
        case 0: case 1: case 2:
            CHECK_OK(u32v_push(&v, x));
            ref[rlen++] = x;
            break;
        case 3: {
            uint32_t got;
            int rc = u32v_pop(&v, &got);
            if (rlen) {
                CHECK(rc == PS_OK && got == ref[--rlen]);
            } else {
                CHECK_EQ(rc, PS_E_EMPTY);
            }
            break;
        }
        case 4:
            if (rlen) {
                uint32_t i = (uint32_t)t_below(rlen);
                CHECK_OK(u32v_set(&v, i, x));
                ref[i] = x;
            }
            break;
        case 5: {
            uint32_t n = (uint32_t)t_below(9);
            CHECK_OK(u32v_push_n(&v, x, n));
            for (uint32_t i = 0; i < n; i++)
                ref[rlen++] = x;
            break;
        }
        case 6:
            if (t_below(50) == 0) {
                u32v_clear(&v);
                rlen = 0;
            } else {
                CHECK_OK(u32v_reserve(&v, t_below(64)));
            }
            break;
        default:
            if (t_below(20) == 0)
                CHECK_OK(u32v_shrink(&v));
            break;
        }
        CHECK_EQ(v.len, rlen);
        if (rlen > N * 3)
            rlen = v.len = 0;
    }
    CHECK(rlen == 0 || memcmp(v.data, ref, rlen * 4) == 0);
    u32v_free(&v);
    free(ref);
}

void t_vec_struct64(void)
{
    b64v v;
    b64v_init(&v);
    for (uint64_t i = 0; i < 3000; i++) {
        big64 b;
        for (int k = 0; k < 8; k++)
            b.w[k] = i * 8 + (uint64_t)k;
        CHECK_OK(b64v_push(&v, b));
    }
    CHECK_EQ(v.cap, malloc_usable_size(v.data) / sizeof(big64));
    big64 last = { { 0 } };
    CHECK_OK(b64v_pop(&v, &last));
    CHECK(last.w[7] == 2999 * 8 + 7);
    CHECK(b64v_ptr(&v, 100)->w[3] == 803);
    b64v_free(&v);
}
