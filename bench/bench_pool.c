/*
 * bench_pool.c - the thread-local buffer pool against malloc/free of the
 * same sizes: ns per get/put pair and allocations per 1M pairs after
 * warm-up. Both sides write the first and last byte of every buffer, as a
 * message encoder would.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pathspace.h"
#include "common.h"

enum { PAIRS = 1000000 };

static const size_t mix[] = { 200, 256, 480, 512, 1400, 1500 };
static size_t one_size;

static void pool_loop(void *a)
{
    size_t s = *(size_t *)a;
    for (int i = 0; i < PAIRS; i++) {
        ps_buf b;
        size_t n = s ? s : mix[i % 6];
        if (ps_pool_get(&b, n))
            abort();
        b.base[0] = (uint8_t)i;
        b.base[n - 1] = (uint8_t)i;
        CLOBBER(b.base);
        ps_pool_put(&b);
    }
}

static void malloc_loop(void *a)
{
    size_t s = *(size_t *)a;
    for (int i = 0; i < PAIRS; i++) {
        size_t n = s ? s : mix[i % 6];
        uint8_t *p = malloc(n);
        if (!p)
            abort();
        p[0] = (uint8_t)i;
        p[n - 1] = (uint8_t)i;
        CLOBBER(p);
        free(p);
    }
}

static void row(const char *label, size_t size)
{
    ps_pool_stats st0, st1;
    one_size = size;
    pool_loop(&one_size); /* warm-up */
    ps_pool_stats_get(&st0);
    double tp = bench_time(pool_loop, &one_size);
    ps_pool_stats_get(&st1);
    double tm = bench_time(malloc_loop, &one_size);
    uint64_t allocs = (st1.allocs - st0.allocs) / (uint64_t)bench_reps();
    printf("%-22s %12.1f %12.1f %8.2fx %16llu\n", label, tp / PAIRS * 1e9, tm / PAIRS * 1e9,
           tm / tp, (unsigned long long)allocs);
}

int main(void)
{
    printf("== bench_pool: thread-local buffer pool vs malloc/free (glibc), median of %d ==\n\n",
           bench_reps());
    printf("%-22s %12s %12s %9s %16s\n", "sizes", "pool ns/pair", "malloc ns", "speedup",
           "pool allocs/1M");
    row("256", 256);
    row("1500", 1500);
    row("16 KiB", 16384);
    row("64 KiB", 65536);
    row("mix 200..1500", 0);
    return 0;
}
