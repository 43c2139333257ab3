/* bgsave.c - checkpoints in a forked child, as Redis's BGSAVE, run by the
 * served space's keeper thread: whichever front ends serve the space, one
 * policy (the space's ckpt_changes and ckpt_seconds) and one child at a
 * time. The front ends pause only for fork() (copying page tables): the
 * keeper takes the write lock for it, and the child writes the snapshot
 * of its copy-on-write image of the space. The log rotates at the fork,
 * so the child's checkpoint and the new segment meet exactly; the child
 * reports through a pipe. A checkpoint that fails (or a child that dies)
 * costs nothing: the log still holds every change. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "served_priv.h"
#include "store/pspace.h"

#define KEEPER_TICK_MS 100 /* how often the policy is looked at */

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int64_t ps__served_now_ms(void)
{
    return now_us() / 1000;
}

void ps__served_wake(ps_served *sv)
{
    uint64_t one = 1;
    ssize_t k = write(sv->wake_fd, &one, sizeof one);
    (void)k;
}

/* In the child: the snapshot, and how it went, through wfd. */
static void child(ps_served *sv, int wfd, uint64_t pos)
{
    served_ckpt m;
    memset(&m, 0, sizeof m);
    ps_diag d = { 0 };
    m.rc = ps__pspace_save(sv->p, pos, 1, &m.ci, &d); /* no threads after a fork */
    memcpy(m.msg, d.msg, sizeof m.msg);
    ssize_t k = write(wfd, &m, sizeof m);
    _exit(k == (ssize_t)sizeof m ? 0 : 1);
}

/* The result of checkpoint number nth, for the front ends. */
static void publish(ps_served *sv, served_ckpt *m, uint64_t nth)
{
    uint64_t one = 1;
    m->nth = nth;
    pthread_mutex_lock(&sv->mu);
    sv->last = *m;
    if (m->rc)
        sv->n.ckpt_failed++;
    else
        sv->n.checkpoints++;
    pthread_mutex_unlock(&sv->mu);
    ssize_t k = write(sv->ckpt_fd, &one, sizeof one);
    (void)k;
}

static void start_failed(ps_served *sv, uint64_t nth, const char *why)
{
    served_ckpt f;
    memset(&f, 0, sizeof f);
    f.rc = PS_E_IO;
    snprintf(f.msg, sizeof f.msg, "%s", why);
    publish(sv, &f, nth);
}

/* Forks the checkpoint's child under the write lock. */
static void start(ps_served *sv)
{
    pthread_mutex_lock(&sv->mu);
    uint64_t nth = ++sv->started;
    sv->want = 0;
    pthread_mutex_unlock(&sv->mu);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC))
        return start_failed(sv, nth, "cannot start a checkpoint (pipe)");
    ps_diag d = { 0 };
    ps__served_lock(sv, 1);
    int rc = ps__served_commit(sv, &d);
    if (!rc)
        rc = ps__pspace_bg_begin(sv->p, &sv->child_pos, &sv->child_changes, &d);
    int64_t t0 = now_us();
    pid_t pid = rc ? -1 : ps__served_fork(sv);
    if (pid == 0) {
        close(fds[0]);
        child(sv, fds[1], sv->child_pos);
    }
    uint64_t pause = (uint64_t)(now_us() - t0);
    ps__served_unlock(sv);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return start_failed(sv, nth, rc ? d.msg : "cannot start a checkpoint (fork)");
    }
    pthread_mutex_lock(&sv->mu);
    sv->n.fork_us_last = pause;
    if (pause > sv->n.fork_us_max)
        sv->n.fork_us_max = pause;
    pthread_mutex_unlock(&sv->mu);
    sv->child = pid;
    sv->child_fd = fds[0];
    sv->child_nth = nth;
    sv->child_start = ps__served_now_ms();
}

/* The child's answer, then its exit status. */
static void reap(ps_served *sv, served_ckpt *m)
{
    memset(m, 0, sizeof *m);
    size_t got = 0;
    while (got < sizeof *m) {
        ssize_t k = read(sv->child_fd, (char *)m + got, sizeof *m - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    int status = 0;
    while (waitpid(sv->child, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != sizeof *m || !WIFEXITED(status) || WEXITSTATUS(status)) {
        m->rc = m->rc ? m->rc : PS_E_IO;
        if (!m->msg[0])
            strcpy(m->msg, "the checkpoint's process died");
    }
    close(sv->child_fd);
    sv->child_fd = -1;
    sv->child = 0;
}

/* The child ended: the log and the checkpoints it no longer needs go. */
static void done(ps_served *sv)
{
    served_ckpt m;
    reap(sv, &m);
    uint64_t ms = (uint64_t)(ps__served_now_ms() - sv->child_start);
    if (!m.rc) {
        ps_diag d = { 0 };
        ps__served_lock(sv, 1);
        if (ps__pspace_bg_end(sv->p, sv->child_pos, sv->child_changes, &d)) {
            m.rc = d.code ? d.code : PS_E_IO;
            memcpy(m.msg, d.msg, sizeof m.msg);
        }
        ps__served_unlock(sv);
    }
    pthread_mutex_lock(&sv->mu);
    sv->n.ckpt_ms_last = ms;
    /* asked for while this one ran: its changes need the next one */
    if (sv->asked >= sv->child_nth)
        sv->want = 1;
    pthread_mutex_unlock(&sv->mu);
    publish(sv, &m, sv->child_nth);
}

uint64_t ps__served_ckpt_ask(ps_served *sv)
{
    pthread_mutex_lock(&sv->mu);
    uint64_t after = sv->started;
    sv->asked = after;
    sv->want = 1;
    pthread_mutex_unlock(&sv->mu);
    ps__served_wake(sv);
    return after;
}

void ps__served_ckpt_last(ps_served *sv, served_ckpt *out)
{
    pthread_mutex_lock(&sv->mu);
    *out = sv->last;
    pthread_mutex_unlock(&sv->mu);
}

int ps__served_ckpt_fd(const ps_served *sv)
{
    return sv->ckpt_fd;
}

/* 1 when a checkpoint should start now. */
static int due(ps_served *sv)
{
    pthread_mutex_lock(&sv->mu);
    int want = sv->want;
    pthread_mutex_unlock(&sv->mu);
    if (want)
        return 1;
    ps__served_lock(sv, 0);
    int d = !ps__pspace_broken(sv->p) && ps__pspace_due(sv->p);
    ps__served_unlock(sv);
    return d;
}

/* Waits for the wake fd, the child's pipe, or the tick. */
static void nap(ps_served *sv)
{
    struct pollfd pf[2] = { { sv->wake_fd, POLLIN, 0 }, { sv->child_fd, POLLIN, 0 } };
    if (poll(pf, sv->child ? 2 : 1, KEEPER_TICK_MS) > 0 && (pf[0].revents & POLLIN)) {
        uint64_t v;
        ssize_t k = read(sv->wake_fd, &v, sizeof v);
        (void)k;
    }
}

void *ps__served_keeper(void *arg)
{
    ps_served *sv = arg;
    for (;;) {
        nap(sv);
        pthread_mutex_lock(&sv->mu);
        int quit = sv->keeper_stop;
        if (ps__served_stopping(sv)) /* ps_served_stop may come from a signal */
            pthread_cond_broadcast(&sv->cv);
        pthread_mutex_unlock(&sv->mu);
        if (sv->child) {
            struct pollfd pf = { sv->child_fd, POLLIN, 0 };
            if (quit || poll(&pf, 1, 0) > 0)
                done(sv); /* at the end: the running one is waited for */
        }
        if (quit)
            return NULL;
        if (!sv->child && !ps__served_stopping(sv) && due(sv))
            start(sv);
    }
}
