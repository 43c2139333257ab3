/*
 * pool.c - thread-local pools of ps_buf blocks in fixed size classes.
 *
 * Each thread owns one `tpool` in thread-local storage: no locks and no
 * sharing, so a get or put is a few loads and stores. A pthread key whose
 * destructor frees the idle blocks is attached on the thread's first use;
 * that is how "thread exit frees the thread's pools" is kept (C11
 * _Thread_local objects have no destructors of their own).
 *
 * A block is pooled only if its capacity is exactly a class size: a buffer
 * that grew past its class is foreign and is freed, so the pool never holds
 * more than 32 x (sum of classes) ~ 2.6 MiB per thread.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "pathspace.h"
#include "../common/alloc.h"
#include "pool.h"

static const size_t class_size[PS_POOL_NCLASS] = { 256, 512, 1500, 16384, 65536 };

typedef struct tpool {
    uint8_t *idle[PS_POOL_NCLASS][PS_POOL_MAX_PER_CLASS];
    ps_pool_stats st;
    int registered;
} tpool;

static _Thread_local tpool tp;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t idle_total;

uint64_t ps_pool_idle_total(void)
{
    return atomic_load_explicit(&idle_total, memory_order_relaxed);
}

static void release(tpool *t)
{
    for (int c = 0; c < PS_POOL_NCLASS; c++) {
        for (uint32_t i = 0; i < t->st.idle[c]; i++)
            free(t->idle[c][i]);
        atomic_fetch_sub_explicit(&idle_total, t->st.idle[c], memory_order_relaxed);
    }
    memset(&t->st, 0, sizeof t->st);
}

static void on_thread_exit(void *arg)
{
    release(arg);
}

static void make_key(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

/* First use on a thread: arrange for release at thread exit. */
static void attach(tpool *t)
{
    pthread_once(&key_once, make_key);
    pthread_setspecific(exit_key, t);
    t->registered = 1;
}

static int class_of(size_t size)
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
    tpool *t = &tp;
    int c = class_of(size);
    t->st.gets++;
    if (c >= 0 && t->st.idle[c]) {
        t->st.hits++;
        b->base = t->idle[c][--t->st.idle[c]];
        atomic_fetch_sub_explicit(&idle_total, 1, memory_order_relaxed);
        b->head = b->len = 0;
        b->cap = class_size[c];
        return PS_OK;
    }
    t->st.misses++;
    size_t cap = c >= 0 ? class_size[c] : size;
    uint8_t *p = ps_malloc(cap ? cap : 1);
    if (!p)
        return PS_E_NOMEM;
    t->st.allocs++;
    b->base = p;
    b->head = b->len = 0;
    b->cap = cap;
    return PS_OK;
}

static int exact_class(size_t cap)
{
    for (int c = 0; c < PS_POOL_NCLASS; c++)
        if (cap == class_size[c])
            return c;
    return -1;
}

void ps_pool_put(ps_buf *b)
{
    tpool *t = &tp;
    t->st.puts++;
    if (!b->base)
        return;
    int c = exact_class(b->cap);
    if (c >= 0 && t->st.idle[c] < PS_POOL_MAX_PER_CLASS) {
        if (PS_UNLIKELY(!t->registered))
            attach(t);
        t->idle[c][t->st.idle[c]++] = b->base;
        atomic_fetch_add_explicit(&idle_total, 1, memory_order_relaxed);
        t->st.pooled++;
    } else {
        free(b->base);
        t->st.frees++;
    }
    ps_buf_init(b);
}

void ps_pool_stats_get(ps_pool_stats *out)
{
    *out = tp.st;
}

void ps_pool_thread_release(void)
{
    release(&tp);
}
