/*
 * test.h - the unit-test harness: cases, checks, and a seeded PRNG.
 *
 * A case is a function `void t_NAME(void)` listed in tests/cases.h. It
 * passes if no CHECK in it failed; REQUIRE stops it at a failure, SKIP and
 * t_need_file skip it with a reason. Each case runs in a child process with
 * a time limit (PS_TEST_TIMEOUT seconds, default 300), so a crash or a hang
 * fails that case alone. Randomised cases draw from t_rand(), seeded from
 * --seed N (or a fixed default), and the seed is printed so a failure can be
 * replayed exactly.
 */
#ifndef PS_TEST_H
#define PS_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "pathspace.h"

extern int t_case_failures;
extern uint64_t t_seed;

void t_fail(const char *file, int line, const char *expr);
void t_failf(const char *file, int line, const char *fmt, ...);

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            t_fail(__FILE__, __LINE__, #c);                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            t_failf(__FILE__, __LINE__, "%s == %s (%lld vs %lld)", #a, #b, a_, \
                    b_);                                                       \
    } while (0)

#define CHECK_RC(call, want) CHECK_EQ((call), (want))
#define CHECK_OK(call) CHECK_RC(call, PS_OK)

/* Leaves the current case (it has failed, or is skipped). */
_Noreturn void t_abort_case(void);
/* The case is skipped with this reason (shown in the summary). */
_Noreturn void t_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Skips the case, saying why, unless path can be read (real data files). */
void t_need_file(const char *path);
/* The path of a real data file: $PS_DATA/name, by default ../shared/data/name
 * (a static buffer, valid until the next call). */
const char *t_data(const char *name);

/* A check whose failure leaves nothing to go on with (a NULL handle, say):
 * the case stops there. */
#define REQUIRE(c)                                                             \
    do {                                                                       \
        if (!(c)) {                                                            \
            t_fail(__FILE__, __LINE__, #c);                                    \
            t_abort_case();                                                    \
        }                                                                      \
    } while (0)

#define REQUIRE_OK(call)                                                       \
    do {                                                                       \
        long long r_ = (long long)(call);                                      \
        if (r_ != PS_OK) {                                                     \
            t_failf(__FILE__, __LINE__, "%s == PS_OK (got %lld, %s)", #call,   \
                    r_, ps_strerror((int)r_));                                 \
            t_abort_case();                                                    \
        }                                                                      \
    } while (0)

/* splitmix64: tiny, good enough, identical everywhere. */
static inline uint64_t t_rand_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
extern uint64_t t_rng;
static inline uint64_t t_rand(void) { return t_rand_next(&t_rng); }
static inline uint64_t t_below(uint64_t n) { return n ? t_rand() % n : 0; }

/* The whole file into out (replacing its payload); -1 if it cannot be read. */
int t_read_file(const char *path, ps_buf *out);
/* A space of the generator's atoms [0, n) for seed (docs/gen.md). */
ps_space *t_gen_space(uint64_t seed, uint64_t n);

/* A fresh directory under $TMPDIR (or /tmp), and removing a tree. */
const char *t_tmpdir(char buf[256]);
void t_rmtree(const char *path);
/* Runs fn(arg) in a forked child with a file-size limit of fsize bytes
 * (SIGXFSZ ignored, so writes fail with EFBIG: a full disk); returns its
 * exit status, or -1 if it did not exit normally. */
int t_child_limited(int (*fn)(const char *), const char *arg, long fsize);

#endif
