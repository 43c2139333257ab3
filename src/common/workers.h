/*
 * workers.h - a fixed pool of threads running tasks, for the parallel
 * compressors (.paths now, snapshots later).
 *
 * The producer submits tasks in order and later waits for each one, in the
 * same order, before it reuses the task: that keeps output deterministic
 * whatever the thread count. With 0 threads a task runs inside submit.
 */
#ifndef PS_COMMON_WORKERS_H
#define PS_COMMON_WORKERS_H

typedef struct ps_task {
    void (*fn)(struct ps_task *);
    struct ps_task *next; /* queue link, private */
    int done;             /* private; read through ps__workers_wait */
} ps_task;

typedef struct ps_workers ps_workers;

/* nthreads 0 = run tasks inline. PS_E_NOMEM if threads cannot start. */
int ps__workers_new(unsigned nthreads, ps_workers **out);
/* Waits for every submitted task, then stops the threads. */
void ps__workers_free(ps_workers *w);
void ps__workers_submit(ps_workers *w, ps_task *t);
void ps__workers_wait(ps_workers *w, ps_task *t);
/* Number of online CPUs (at least 1). */
unsigned ps__cpu_count(void);

#endif
