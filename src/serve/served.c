/*
 * served.c - the served space's life, its lock, and its changes: staged
 * under the write lock, committed before anything acknowledges them, and
 * the log's failure turned into a stop (served.h).
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "served_priv.h"
#include "store/pspace.h"
#include "store/wal.h"

_Static_assert((int)SERVED_ADD == (int)WAL_ADD && (int)SERVED_REMOVE == (int)WAL_REMOVE, "the log's ops");
_Static_assert(SERVED_ATOM_MAX == WAL_MAX_PAYLOAD, "one change, one record");

void ps__served_lock(ps_served *sv, int write)
{
    if (write)
        pthread_rwlock_wrlock(&sv->lock);
    else
        pthread_rwlock_rdlock(&sv->lock);
}

void ps__served_unlock(ps_served *sv)
{
    pthread_rwlock_unlock(&sv->lock);
}

ps_pspace *ps_served_pspace(ps_served *sv)
{
    return sv->p;
}

int ps__served_dirfd(const ps_served *sv)
{
    return ps__pspace_dirfd(sv->p);
}

int ps__served_fsync_always(const ps_served *sv)
{
    return sv->fsync_always;
}

static int new_lock(pthread_rwlock_t *l)
{
    pthread_rwlockattr_t la;
    pthread_rwlockattr_init(&la);
    pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(l, &la);
    pthread_rwlockattr_destroy(&la);
    return rc;
}

int ps_served_new(ps_pspace *p, ps_served **out, ps_diag *d)
{
    *out = NULL;
    if (!p)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "no space to serve");
    ps_served *sv = ps_calloc(1, sizeof *sv);
    if (!sv)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    sv->p = p;
    atomic_store(&sv->seq, ps_pspace_seq(p));
    sv->child_fd = -1;
    sv->fsync_always = ps__pspace_fsync_mode(p) == PS_FSYNC_ALWAYS;
    if (new_lock(&sv->lock)) {
        free(sv);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot make the space's lock");
    }
    pthread_mutex_init(&sv->mu, NULL);
    pthread_cond_init(&sv->cv, NULL);
    sv->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sv->ckpt_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int rc = sv->stop_fd < 0 || sv->wake_fd < 0 || sv->ckpt_fd < 0
                 ? ps__diag_set(d, PS_E_IO, NULL, 0, "eventfd: %s", strerror(errno))
                 : PS_OK;
    if (!rc && pthread_create(&sv->keeper, NULL, ps__served_keeper, sv))
        rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot start the checkpoint thread");
    sv->keeper_on = !rc;
    if (rc) {
        ps_served_free(sv);
        return rc;
    }
    *out = sv;
    return PS_OK;
}

/* Lock-free and write() only: a signal handler may call it. */
void ps_served_stop(ps_served *sv)
{
    uint64_t one = 1;
    atomic_store_explicit(&sv->stopping, 1, memory_order_release);
    ssize_t k = write(sv->stop_fd, &one, sizeof one);
    (void)k;
    k = write(sv->wake_fd, &one, sizeof one); /* ps_served_wait's keeper */
    (void)k;
}

int ps__served_stopping(const ps_served *sv)
{
    return atomic_load_explicit(&sv->stopping, memory_order_acquire);
}

int ps__served_failed(const ps_served *sv)
{
    return ps__pspace_broken(sv->p);
}

int ps__served_stop_fd(const ps_served *sv)
{
    return sv->stop_fd;
}

int ps__served_why(const ps_served *sv, ps_diag *d)
{
    int e = ps__pspace_log_errno(sv->p);
    return ps__diag_set(d, PS_E_IO, NULL, 0,
                        "the log cannot be written (%s): the server stops, acknowledging "
                        "nothing more", e ? strerror(e) : "a change could not be logged");
}

int ps_served_wait(ps_served *sv, ps_diag *d)
{
    pthread_mutex_lock(&sv->mu);
    while (!ps__served_stopping(sv))
        pthread_cond_wait(&sv->cv, &sv->mu);
    pthread_mutex_unlock(&sv->mu);
    return ps__served_failed(sv) ? ps__served_why(sv, d) : PS_OK;
}

void ps_served_free(ps_served *sv)
{
    if (!sv)
        return;
    if (sv->keeper_on) { /* it waits for a running checkpoint first */
        pthread_mutex_lock(&sv->mu);
        sv->keeper_stop = 1;
        pthread_mutex_unlock(&sv->mu);
        ps__served_wake(sv);
        pthread_join(sv->keeper, NULL);
    }
    int fds[] = { sv->stop_fd, sv->wake_fd, sv->ckpt_fd };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    pthread_cond_destroy(&sv->cv);
    pthread_mutex_destroy(&sv->mu);
    pthread_rwlock_destroy(&sv->lock);
    free(sv);
}

/* The log failed: the served space stops, and ps_served_wait says why. */
static void fail(ps_served *sv)
{
    assert(ps__pspace_broken(sv->p));
    ps_served_stop(sv);
    pthread_mutex_lock(&sv->mu);
    pthread_cond_broadcast(&sv->cv);
    pthread_mutex_unlock(&sv->mu);
}

int ps__served_stage(ps_served *sv, int op, ps_bytes path, int *changed)
{
    return ps__served_stage_more(sv, op, path, 0, changed);
}

void ps__served_stage_end(ps_served *sv)
{
    ps__pspace_stage_end(sv->p);
}

int ps__served_stage_more(ps_served *sv, int op, ps_bytes path, int more, int *changed)
{
    int rc = ps__pspace_stage_more(sv->p, op, path, more, changed);
    if (rc) {
        /* a batch half staged, or a change logged and not applied: the
         * log no longer speaks for memory */
        ps__pspace_break(sv->p, rc == PS_E_NOMEM ? ENOMEM : EIO);
        fail(sv);
    }
    return rc;
}

uint64_t ps__served_staged(const ps_served *sv)
{
    return ps__pspace_staged(sv->p);
}

int ps__served_commit(ps_served *sv, ps_diag *d)
{
    if (ps__pspace_broken(sv->p))
        return ps__served_why(sv, d);
    if (!ps__pspace_staged(sv->p))
        return PS_OK;
    if (ps__pspace_commit(sv->p)) { /* memory is ahead of the log */
        fail(sv);
        return ps__served_why(sv, d);
    }
    atomic_store(&sv->seq, ps_pspace_seq(sv->p));
    int e = sv->sync ? sv->sync(sv->sync_ctx, ps_pspace_seq(sv->p)) : 0;
    if (e) { /* it can never be shipped: nothing more is acknowledged */
        ps__pspace_break(sv->p, e);
        fail(sv);
        return ps__served_why(sv, d);
    }
    pthread_mutex_lock(&sv->mu);
    sv->n.commits++;
    pthread_mutex_unlock(&sv->mu);
    return PS_OK;
}

int ps__served_apply(ps_served *sv, int op, served_next next, void *ctx, uint64_t *changed,
                     ps_diag *d)
{
    ps_bytes a;
    int rc = PS_OK, more = next(ctx, &a);
    *changed = 0;
    while (more && !rc) {
        ps__served_lock(sv, 1);
        for (unsigned k = 0; more && !rc && k < SERVED_BATCH; k++) {
            int ch;
            if ((rc = ps__served_owns(sv, a, d)) || (rc = ps__served_stage(sv, op, a, &ch)))
                break;
            *changed += (uint64_t)ch;
            more = next(ctx, &a);
        }
        int crc = ps__served_commit(sv, d); /* says why the log failed */
        rc = crc ? crc : rc;
        ps__served_unlock(sv);
    }
    return rc;
}

void ps__served_counts(ps_served *sv, served_counts *c)
{
    pthread_mutex_lock(&sv->mu);
    *c = sv->n;
    pthread_mutex_unlock(&sv->mu);
}
