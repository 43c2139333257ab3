/*
 * pool.c - thread-local pools of ps_buf blocks in fixed size classes.
 *
 * Each thread owns one `tpool`, allocated on its first use and reached
 * through a single thread-local pointer (initial-exec TLS: one load from %fs,
 * no __tls_get_addr call). No locks, no atomics on the get/put path: a hit
 * is a class lookup, a pop and a few counter increments.
 *
 * A pthread key whose destructor frees the idle blocks and the tpool is
 * attached when the tpool is created; that is how "thread exit frees the
 * thread's pools" is kept (C11 _Thread_local objects have no destructors).
 *
 * A block is pooled only if its capacity is exactly a class size: a buffer
 * that grew past its class is foreign and is freed, so a thread never holds
 * more than 32 x (sum of classes) ~ 2.6 MiB of idle buffers.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>

#include "pathspace.h"
#include "common/alloc.h"
#include "pool.h"

static const size_t class_size[PS_POOL_NCLASS] = { 256, 512, 1500, 16384, 65536 };

typedef struct tpool {
    uint8_t *idle[PS_POOL_NCLASS][PS_POOL_MAX_PER_CLASS];
    ps_pool_stats st;
} tpool;

static __thread tpool *tp __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t exit_freed;

uint64_t ps__pool_exit_freed(void)
{
    return atomic_load(&exit_freed);
}

static uint64_t release_idle(tpool *t)
{
    uint64_t n = 0;
    for (int c = 0; c < PS_POOL_NCLASS; c++) {
        for (uint32_t i = 0; i < t->st.idle[c]; i++)
            free(t->idle[c][i]);
        n += t->st.idle[c];
    }
    memset(&t->st, 0, sizeof t->st);
    return n;
}

static void on_thread_exit(void *arg)
{
    atomic_fetch_add(&exit_freed, release_idle(arg));
    free(arg);
    tp = NULL;
}

static void make_key(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

/* Cold: the thread's first pool call. */
static __attribute__((noinline)) tpool *create(void)
{
    pthread_once(&key_once, make_key);
    tpool *t = ps_calloc(1, sizeof *t);
    if (t && pthread_setspecific(exit_key, t) != 0) {
        free(t);
        t = NULL;
    }
    return tp = t;
}

static inline tpool *mine(void)
{
    tpool *t = tp;
    return PS_LIKELY(t != NULL) ? t : create();
}

static inline int class_of(size_t size)
{
    for (int c = 0; c < PS_POOL_NCLASS; c++)
        if (size <= class_size[c])
            return c;
    return -1;
}

size_t ps_pool_class_size(size_t size)
{
    int c = class_of(size);
    return c < 0 ? 0 : class_size[c];
}

int ps_pool_get(ps_buf *b, size_t size)
{
    tpool *t = mine();
    if (!t)
        return PS_E_NOMEM;
    int c = class_of(size);
    t->st.gets++;
    if (PS_LIKELY(c >= 0 && t->st.idle[c])) {
        t->st.hits++;
        b->base = t->idle[c][--t->st.idle[c]];
        b->head = b->len = 0;
        b->cap = class_size[c];
        return PS_OK;
    }
    t->st.misses++;
    size_t cap = c >= 0 ? class_size[c] : size;
    uint8_t *p = ps_malloc(cap);
    if (!p)
        return PS_E_NOMEM;
    t->st.allocs++;
    b->base = p;
    b->head = b->len = 0;
    b->cap = cap;
    return PS_OK;
}

static inline int exact_class(size_t cap)
{
    for (int c = 0; c < PS_POOL_NCLASS; c++)
        if (cap == class_size[c])
            return c;
    return -1;
}

void ps_pool_put(ps_buf *b)
{
    tpool *t = mine();
    if (!b->base) {
        if (t)
            t->st.puts++;
        return;
    }
    assert(b->head + b->len <= b->cap); /* a buffer written past its block */
    int c = exact_class(b->cap);
    if (PS_LIKELY(t && c >= 0 && t->st.idle[c] < PS_POOL_MAX_PER_CLASS)) {
        t->idle[c][t->st.idle[c]++] = b->base;
        t->st.puts++;
        t->st.pooled++;
    } else {
        free(b->base);
        if (t) {
            t->st.puts++;
            t->st.frees++;
        }
    }
    ps_buf_init(b);
}

void ps_pool_stats_get(ps_pool_stats *out)
{
    if (tp)
        *out = tp->st;
    else
        memset(out, 0, sizeof *out);
}

void ps_pool_thread_release(void)
{
    if (tp)
        release_idle(tp);
}
