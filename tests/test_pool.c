/* test_pool.c - thread-local buffer pools. */
#include <pthread.h>

#include "test.h"
#include "cases.h"
#include "common/alloc.h"
#include "mem/pool.h"

void t_pool_classes(void)
{
    static const size_t in[] = { 0, 1, 255, 256, 257, 511, 512, 513, 1499,
                                 1500, 1501, 16384, 16385, 65536, 65537 };
    static const size_t want[] = { 256, 256, 256, 256, 512, 512, 512, 1500, 1500,
                                   1500, 16384, 16384, 65536, 65536, 0 };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        CHECK_EQ(ps_pool_class_size(in[i]), want[i]);
    ps_pool_thread_release();
    for (size_t i = 0; i + 1 < sizeof in / sizeof in[0]; i++) {
        ps_buf b;
        CHECK_OK(ps_pool_get(&b, in[i]));
        CHECK(b.cap == want[i] && b.len == 0 && b.head == 0 && b.base);
        ps_pool_put(&b);
        CHECK(b.base == NULL);
    }
    ps_pool_thread_release();
}

/* After one warm-up round, a get/put loop never calls malloc. */
void t_pool_warm_loop(void)
{
    static const size_t sizes[] = { 100, 256, 400, 1500, 9000, 60000 };
    ps_pool_stats st;
    ps_pool_thread_release();
    ps_buf held[8];
    for (int round = 0; round < 1000; round++) {
        if (round == 1) {
            ps_pool_stats_get(&st);
            CHECK(st.allocs > 0);
        }
        for (int k = 0; k < 8; k++)
            CHECK_OK(ps_pool_get(&held[k], sizes[(k + round) % 6]));
        for (int k = 0; k < 8; k++) {
            CHECK_OK(ps_buf_append(&held[k], "data", 4));
            ps_pool_put(&held[k]);
        }
    }
    ps_pool_stats after;
    ps_pool_stats_get(&after);
    /* Round 0 could not know which classes later rounds mix, so allow its
     * misses plus a first-touch miss per class; nothing grows after that. */
    CHECK(after.allocs <= st.allocs + PS_POOL_NCLASS * 8);
    uint64_t a = after.allocs;
    for (int round = 0; round < 1000; round++)
        for (int k = 0; k < 8; k++) {
            ps_buf b;
            CHECK_OK(ps_pool_get(&b, sizes[k % 6]));
            ps_pool_put(&b);
        }
    ps_pool_stats_get(&after);
    CHECK_EQ(after.allocs, a);
    CHECK_EQ(after.gets, after.hits + after.misses);
    CHECK_EQ(after.puts, after.pooled + after.frees);
    ps_pool_thread_release();
}

void t_pool_cap32(void)
{
    ps_buf b[40];
    ps_pool_stats st;
    ps_pool_thread_release();
    for (int i = 0; i < 40; i++)
        CHECK_OK(ps_pool_get(&b[i], 256));
    for (int i = 0; i < 40; i++)
        ps_pool_put(&b[i]);
    ps_pool_stats_get(&st);
    CHECK_EQ(st.idle[0], PS_POOL_MAX_PER_CLASS);
    CHECK_EQ(st.pooled, 32);
    CHECK_EQ(st.frees, 8);
    CHECK_EQ(st.idle[1], 0);
    ps_pool_thread_release();
    ps_pool_stats_get(&st);
    CHECK_EQ(st.idle[0], 0);
}

void t_pool_foreign(void)
{
    ps_pool_stats st;
    ps_pool_thread_release();
    ps_buf b;
    CHECK_OK(ps_pool_get(&b, 200));
    uint8_t junk[300] = { 0 };
    CHECK_OK(ps_buf_append(&b, junk, sizeof junk)); /* grows past 256 */
    ps_pool_put(&b);
    /* a plain buffer of a foreign size */
    ps_buf f = { 0 };
    CHECK_OK(ps_buf_reserve_exact(&f, 1000));
    ps_pool_put(&f);
    /* a plain buffer that happens to be class-sized is welcome */
    ps_buf g = { 0 };
    CHECK_OK(ps_buf_reserve_exact(&g, 512));
    ps_pool_put(&g);
    ps_pool_stats_get(&st);
    CHECK_EQ(st.frees, 2);
    CHECK_EQ(st.pooled, 1);
    CHECK_EQ(st.idle[1], 1);
    ps_buf empty = { 0 };
    ps_pool_put(&empty);
    ps_pool_thread_release();
}

void t_pool_oversize(void)
{
    ps_pool_stats st;
    ps_pool_thread_release();
    ps_buf b;
    CHECK_OK(ps_pool_get(&b, 100000));
    CHECK_EQ(b.cap, 100000);
    ps_pool_put(&b);
    ps_pool_stats_get(&st);
    CHECK(st.misses == 1 && st.frees == 1 && st.pooled == 0);
    ps_pool_thread_release();
}

void t_pool_cleared(void)
{
    ps_pool_thread_release();
    ps_buf b;
    CHECK_OK(ps_pool_get(&b, 500));
    CHECK_OK(ps_buf_append(&b, "secret", 6));
    b.head = 3; /* as if a header had been reserved */
    uint8_t *p = b.base;
    ps_pool_put(&b);
    CHECK_OK(ps_pool_get(&b, 500));
    CHECK(b.base == p && b.len == 0 && b.head == 0 && b.cap == 512);
    ps_pool_put(&b);
    ps_pool_thread_release();
}

static void *thread_body(void *arg)
{
    (void)arg;
    ps_buf b[10];
    for (int i = 0; i < 10; i++)
        if (ps_pool_get(&b[i], (size_t)(i * 1000)))
            return (void *)1;
    for (int i = 0; i < 10; i++)
        ps_pool_put(&b[i]);
    ps_pool_stats st;
    ps_pool_stats_get(&st);
    return st.idle[0] + st.idle[1] + st.idle[2] + st.idle[3] + st.idle[4] == 10 ? NULL
                                                                                : (void *)1;
}

void t_pool_thread_exit(void)
{
    for (int k = 0; k < 4; k++) {
        uint64_t before = ps__pool_exit_freed();
        pthread_t th;
        void *ret = (void *)2;
        CHECK_EQ(pthread_create(&th, NULL, thread_body, NULL), 0);
        CHECK_EQ(pthread_join(th, &ret), 0);
        CHECK(ret == NULL);
        CHECK_EQ(ps__pool_exit_freed(), before + 10); /* its 10 idle buffers */
    }
}

static void *first_alloc_fails(void *arg)
{
    (void)arg;
    ps_buf b = { 0 };
    ps__test_fail_alloc(1);
    if (ps_pool_get(&b, 10) != PS_E_NOMEM || b.base)
        return (void *)1;
    ps_buf c = { 0 };
    if (ps_buf_reserve_exact(&c, 256))
        return (void *)1;
    ps_pool_put(&c); /* pooled: the pool now exists */
    return NULL;
}

void t_pool_nomem(void)
{
    ps_pool_thread_release();
    ps_buf b = { 0 };
    ps__test_fail_alloc(1);
    CHECK_RC(ps_pool_get(&b, 300), PS_E_NOMEM);
    CHECK(b.base == NULL);
    /* a new thread whose very first allocation (its pool) fails */
    pthread_t th;
    void *ret = NULL;
    CHECK_EQ(pthread_create(&th, NULL, first_alloc_fails, NULL), 0);
    CHECK_EQ(pthread_join(th, &ret), 0);
    CHECK(ret == NULL);
    CHECK(b.base == NULL);
    ps__test_fail_alloc(0);
    ps_pool_thread_release();
}
