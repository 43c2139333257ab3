/*
 * common.h - benchmark helpers: a monotonic clock, medians, and a barrier
 * that keeps the compiler from deleting the work being timed.
 *
 * The machine is shared and noisy: every figure is the median of
 * bench_reps() runs (PS_BENCH_REPS, default 5), and tables compare variants
 * measured side by side in the same process, as ratios.
 */
#ifndef PS_BENCH_COMMON_H
#define PS_BENCH_COMMON_H

#include <stddef.h>

/* Forces the memory behind p to be considered read and written. */
#define CLOBBER(p) __asm__ volatile("" : : "r"(p) : "memory")

double bench_now(void);
int bench_reps(void);
int bench_quick(void); /* PS_BENCH_QUICK=1: smaller sizes, for CI smoke runs */
double bench_median(double *v, int n);

/* Times fn(arg) bench_reps() times; returns the median seconds. */
double bench_time(void (*fn)(void *), void *arg);

#endif
