/* test_buf.c - the exact-size buffer with headroom. */
#include <stdlib.h>

#include "test.h"
#include "cases.h"
#include "common/alloc.h"

void t_buf_basic(void)
{
    ps_buf b = { 0 };
    CHECK_OK(ps_buf_append(&b, "hello", 5));
    CHECK_OK(ps_buf_append(&b, " world", 6));
    CHECK_EQ(ps_buf_len(&b), 11);
    CHECK(memcmp(ps_buf_data(&b), "hello world", 11) == 0);
    CHECK_OK(ps_buf_append(&b, NULL, 0));
    ps_bytes v = ps_buf_bytes(&b);
    CHECK(v.len == 11 && v.ptr == ps_buf_data(&b));
    ps_buf_clear(&b, 0);
    CHECK(b.len == 0 && b.cap >= 11);
    ps_buf_free(&b);
    ps_buf_free(&b);
    ps_buf_free(NULL);
}

/* The checkpoint case: payload first, header after, the payload never
 * moves. */
void t_buf_headroom_no_move(void)
{
    ps_buf b;
    ps_buf_init(&b);
    CHECK_OK(ps_buf_init_exact(&b, 16, 1000));
    CHECK_EQ(b.cap, 1016);
    uint8_t *payload = ps_buf_data(&b);
    for (int i = 0; i < 1000; i++) {
        uint8_t c = (uint8_t)i;
        CHECK_OK(ps_buf_append(&b, &c, 1));
    }
    CHECK(ps_buf_data(&b) == payload && b.cap == 1016);
    uint8_t hdr[16];
    memset(hdr, 0xEE, sizeof hdr);
    CHECK_OK(ps_buf_prepend(&b, hdr, 16));
    CHECK(ps_buf_data(&b) == payload - 16 && ps_buf_data(&b) == b.base);
    CHECK_EQ(b.len, 1016);
    CHECK(b.base[15] == 0xEE && b.base[16] == 0 && b.base[1015] == (uint8_t)999);
    ps_buf_free(&b);
}

void t_buf_prepend_grows(void)
{
    ps_buf b = { 0 };
    CHECK_OK(ps_buf_prepend(&b, "xyz", 3));
    CHECK_OK(ps_buf_append(&b, "123", 3));
    CHECK_OK(ps_buf_prepend(&b, "ab", 2));
    CHECK_EQ(b.len, 8);
    CHECK(memcmp(ps_buf_data(&b), "abxyz123", 8) == 0);
    CHECK_OK(ps_buf_prepend(&b, "", 0));
    CHECK_EQ(b.len, 8);
    ps_buf_free(&b);
}

void t_buf_reserve_exact(void)
{
    ps_buf b = { 0 };
    CHECK_OK(ps_buf_reserve_exact(&b, 100));
    CHECK_EQ(b.cap, 100);
    CHECK_OK(ps_buf_append(&b, "x", 1));
    CHECK_OK(ps_buf_reserve_exact(&b, 99));
    CHECK_EQ(b.cap, 100);
    CHECK_OK(ps_buf_reserve_exact(&b, 200));
    CHECK_EQ(b.cap, 201);
    CHECK_OK(ps_buf_reserve(&b, 500));
    CHECK(ps_buf_tailroom(&b) >= 500);
    ps_buf_clear(&b, 1 << 30);
    CHECK_EQ(b.head, b.cap);
    ps_buf_free(&b);
}

void t_buf_detach(void)
{
    ps_buf b = { 0 };
    size_t n = 99;
    CHECK(ps_buf_detach(&b, &n) == NULL && n == 0);
    CHECK_OK(ps_buf_init_exact(&b, 8, 8));
    CHECK_OK(ps_buf_append(&b, "payload!", 8));
    uint8_t *p = ps_buf_detach(&b, &n);
    CHECK(p && n == 8 && memcmp(p, "payload!", 8) == 0);
    CHECK(b.base == NULL && b.cap == 0 && b.len == 0);
    free(p);
}

void t_buf_overflow_nomem(void)
{
    ps_buf b = { 0 };
    CHECK_OK(ps_buf_append(&b, "abc", 3));
    CHECK_RC(ps_buf_reserve(&b, SIZE_MAX), PS_E_OVERFLOW);
    CHECK_RC(ps_buf_reserve_exact(&b, SIZE_MAX - 1), PS_E_OVERFLOW);
    CHECK_RC(ps_buf_init_exact(&b, SIZE_MAX, 2), PS_E_OVERFLOW);
    CHECK(b.len == 3 && memcmp(ps_buf_data(&b), "abc", 3) == 0);
    uint8_t big[200] = { 0 };
    ps__test_fail_alloc(1);
    CHECK_RC(ps_buf_append(&b, big, sizeof big), PS_E_NOMEM);
    CHECK(b.len == 3 && memcmp(ps_buf_data(&b), "abc", 3) == 0);
    ps__test_fail_alloc(1);
    CHECK_RC(ps_buf_prepend(&b, big, sizeof big), PS_E_NOMEM);
    CHECK(b.len == 3 && memcmp(ps_buf_data(&b), "abc", 3) == 0);
    ps__test_fail_alloc(1);
    CHECK_RC(ps_buf_init_exact(&b, 1, 1), PS_E_NOMEM);
    CHECK(b.len == 3 && memcmp(ps_buf_data(&b), "abc", 3) == 0);
    ps_buf_free(&b);
}

void t_buf_random(void)
{
    enum { MAXL = 1 << 16 };
    uint8_t *ref = malloc(MAXL * 2);
    size_t rlen = 0;
    ps_buf b = { 0 };
    uint8_t chunk[300];
    for (int step = 0; step < 5000; step++) {
        size_t n = t_below(sizeof chunk);
        for (size_t i = 0; i < n; i++)
            chunk[i] = (uint8_t)t_rand();
        switch (t_below(4)) {
        case 0:
        case 1:
            CHECK_OK(ps_buf_append(&b, chunk, n));
            memcpy(ref + rlen, chunk, n);
            rlen += n;
            break;
        case 2:
            CHECK_OK(ps_buf_prepend(&b, chunk, n));
            memmove(ref + n, ref, rlen);
            memcpy(ref, chunk, n);
            rlen += n;
            break;
        default:
            if (t_below(10) == 0) {
                ps_buf_clear(&b, t_below(64));
                rlen = 0;
            }
            break;
        }
        if (rlen > MAXL) {
            ps_buf_clear(&b, 0);
            rlen = 0;
        }
        CHECK_EQ(b.len, rlen);
    }
    CHECK(rlen == 0 || memcmp(ps_buf_data(&b), ref, rlen) == 0);
    ps_buf_free(&b);
    free(ref);
}
