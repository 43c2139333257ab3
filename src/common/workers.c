/* workers.c - a mutex/condvar task queue; tasks are coarse (a compressed
 * chunk of a megabyte or so), so one lock is never the bottleneck. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"
#include "pathspace.h"
#include "workers.h"

struct ps_workers {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    ps_task *head, *tail;
    int stop;
    unsigned n;
    pthread_t th[];
};

static void *worker_main(void *arg)
{
    ps_workers *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->work, &w->mu);
        ps_task *t = w->head;
        if (!t)
            break; /* stop, queue drained */
        w->head = t->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->mu);
        t->fn(t);
        pthread_mutex_lock(&w->mu);
        t->done = 1;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int ps__workers_new(unsigned nthreads, ps_workers **out)
{
    ps_workers *w = ps_calloc(1, sizeof *w + nthreads * sizeof(pthread_t));
    if (!w)
        return PS_E_NOMEM;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->done, NULL);
    for (; w->n < nthreads; w->n++)
        if (pthread_create(&w->th[w->n], NULL, worker_main, w)) {
            ps__workers_free(w);
            return PS_E_NOMEM;
        }
    *out = w;
    return PS_OK;
}

void ps__workers_free(ps_workers *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < w->n; i++)
        pthread_join(w->th[i], NULL);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void ps__workers_submit(ps_workers *w, ps_task *t)
{
    t->next = NULL;
    t->done = 0;
    if (!w->n) {
        t->fn(t);
        t->done = 1;
        return;
    }
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = t;
    else
        w->head = t;
    w->tail = t;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
}

void ps__workers_wait(ps_workers *w, ps_task *t)
{
    if (!w->n)
        return;
    pthread_mutex_lock(&w->mu);
    while (!t->done)
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

unsigned ps__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}
