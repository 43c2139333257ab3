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
#include <stdint.h>

/* Forces the memory behind p to be considered read and written. */
#define CLOBBER(p) __asm__ volatile("" : : "r"(p) : "memory")

double bench_now(void);
long bench_rss_bytes(void); /* resident memory of this process, from /proc */
int bench_reps(void);
int bench_quick(void); /* PS_BENCH_QUICK=1: smaller sizes, for CI smoke runs */
double bench_median(double *v, int n);

/* Times fn(arg) bench_reps() times; returns the median seconds. */
double bench_time(void (*fn)(void *), void *arg);
/* The same with n runs (1..99). */
double bench_time_n(void (*fn)(void *), void *arg, int n);

struct ps_space;
/* Exits with a message when rc is an error. */
void bench_must(int rc, const char *what);
/* n atoms of the generated knowledge base (seed 1), inserted in order. */
struct ps_space *bench_gen_space(uint64_t n);
/* A .paths file (paths = 1) or MeTTa text as a space; NULL if unreadable. */
struct ps_space *bench_load(const char *path, int paths);

#endif
