/* pool.h - private view of the buffer pool, for tests. */
#ifndef PS_MEM_POOL_H
#define PS_MEM_POOL_H
#include <stdint.h>

/* Idle buffers held by the pools of all threads, live. */
uint64_t ps_pool_idle_total(void);

#endif
