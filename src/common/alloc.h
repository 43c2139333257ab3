/*
 * alloc.h - the library's allocation calls, with a fault-injection hook.
 *
 * Every allocation in pathspace goes through these wrappers so that tests can
 * make the n-th next allocation fail (ps__test_fail_alloc) and prove that each
 * error path returns PS_E_NOMEM and leaks nothing. The hook is one
 * thread-local counter test, predicted not-taken: free in practice.
 */
#ifndef PS_COMMON_ALLOC_H
#define PS_COMMON_ALLOC_H

#include <stddef.h>
#include <stdlib.h>

extern _Thread_local long ps__alloc_fail_in;
/* Allocations made on this thread (the server reports its loop's, to show
 * a steady state that allocates nothing). */
extern _Thread_local unsigned long long ps__alloc_calls;

/* Make the n-th next allocation on this thread fail (n >= 1); 0 disarms. */
void ps__test_fail_alloc(long n);

static inline int ps__alloc_should_fail(void)
{
    ps__alloc_calls++;
    if (__builtin_expect(ps__alloc_fail_in > 0, 0))
        return --ps__alloc_fail_in == 0;
    return 0;
}

static inline void *ps_malloc(size_t n)
{
    return ps__alloc_should_fail() ? NULL : malloc(n);
}

static inline void *ps_realloc(void *p, size_t n)
{
    return ps__alloc_should_fail() ? NULL : realloc(p, n);
}

static inline void *ps_calloc(size_t n, size_t each)
{
    return ps__alloc_should_fail() ? NULL : calloc(n, each);
}

/* align must be a power of two >= sizeof(void *). */
static inline void *ps_aligned_alloc(size_t align, size_t n)
{
    void *p = NULL;
    if (ps__alloc_should_fail() || posix_memalign(&p, align, n ? n : align))
        return NULL;
    return p;
}

#endif
