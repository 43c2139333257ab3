/* malloc_count.h - the test process's allocation count (malloc_count.c). */
#ifndef PS_TEST_MALLOC_COUNT_H
#define PS_TEST_MALLOC_COUNT_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PS_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define PS_COUNT_MALLOC 0
#endif
#endif
#ifndef PS_COUNT_MALLOC
#define PS_COUNT_MALLOC 1
#endif

/* malloc + calloc + realloc calls so far, every thread (0 when not counted). */
unsigned long long t_malloc_calls(void);

#endif
