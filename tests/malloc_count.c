/* malloc_count.c - counts every malloc, calloc and realloc of the test
 * process (glibc's own entry points do the work), so a case can show that
 * a loop allocates nothing at all, in the library or in libc. Left out of
 * sanitizer builds, whose runtimes own malloc. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include "malloc_count.h"

#if PS_COUNT_MALLOC
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t each);
extern void *__libc_realloc(void *p, size_t n);

static _Atomic unsigned long long calls;

void *malloc(size_t n)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t each)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_calloc(n, each);
}

void *realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
}

unsigned long long t_malloc_calls(void)
{
    return atomic_load(&calls);
}
#else
unsigned long long t_malloc_calls(void)
{
    return 0;
}
#endif
