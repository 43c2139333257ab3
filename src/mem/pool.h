/* pool.h - private view of the buffer pool, for tests. */
#ifndef PS_MEM_POOL_H
#define PS_MEM_POOL_H
#include <stdint.h>

/* Idle buffers freed so far by thread-exit destructors, all threads. */
uint64_t ps__pool_exit_freed(void);

#endif
