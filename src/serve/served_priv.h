/* served_priv.h - the served space's struct: served.c, bgsave.c,
 * forks.c and served_repl.c only. Everyone else goes through served.h. */
#ifndef PS_SERVE_SERVED_PRIV_H
#define PS_SERVE_SERVED_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "served.h"

struct ps_served {
    ps_pspace *p;
    pthread_rwlock_t lock;  /* the space: see served.h                    */
    atomic_int stopping;    /* ps_served_stop: any thread, a signal       */
    int stop_fd;            /* eventfd, written once at the stop           */
    int wake_fd;            /* eventfd: the keeper has something to do     */
    int ckpt_fd;            /* eventfd: counts checkpoints that ended      */
    int fsync_always;
    pthread_t keeper;
    int keeper_on;

    pthread_mutex_t mu;     /* everything below; never held across work    */
    pthread_cond_t cv;      /* stopping, for ps_served_wait                */
    uint64_t asked;         /* ckpt_asked: started count at the last ask   */
    int want;               /* a checkpoint was asked for, not yet started */
    uint64_t started;       /* checkpoints forked                          */
    served_ckpt last;       /* the last one's result                       */
    served_counts n;
    int keeper_stop;
    served_repl repl;       /* what a shipper or a follower last said      */
    _Atomic uint64_t seq;   /* the last committed seq, read without the lock */
    served_sync_fn sync;    /* synchronous shipping's wait, or NULL        */
    const ps_shardmap *map; /* a shard's: the keys it holds (NULL: all)    */
    uint32_t shard;
    void *sync_ctx;
    char readonly[300];     /* a replica's: why writes are refused ("": none);
                             * set before any front end starts             */

    /* the keeper thread's own: the running checkpoint's child */
    pid_t child;
    int child_fd;
    uint64_t child_pos, child_changes, child_nth;
    int64_t child_start;
};

/* bgsave.c: the keeper thread (started by ps_served_new). */
void *ps__served_keeper(void *arg);
/* Wakes the keeper (any thread). */
void ps__served_wake(ps_served *sv);

#endif
