/* common.c - benchmark helpers (see common.h). */
#include <stdlib.h>
#include <time.h>

#include "common.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_reps(void)
{
    const char *e = getenv("PS_BENCH_REPS");
    int n = e ? atoi(e) : 5;
    return n < 1 ? 1 : n > 99 ? 99 : n;
}

int bench_quick(void)
{
    const char *e = getenv("PS_BENCH_QUICK");
    return e && *e == '1';
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_time(void (*fn)(void *), void *arg)
{
    double t[99];
    int n = bench_reps();
    for (int i = 0; i < n; i++) {
        double t0 = bench_now();
        fn(arg);
        t[i] = bench_now() - t0;
    }
    return bench_median(t, n);
}
