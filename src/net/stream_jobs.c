/* stream_jobs.c - exports written by forked children. A big space's export takes
 * as long as a snapshot write (about a second at 10M atoms); in the loop
 * that would stall every client, in a child it costs the loop a fork().
 * The child writes into the unlinked file the stream then sends, and
 * reports its result through a pipe the loop watches. A client that
 * leaves meanwhile loses nothing but its file; the child is reaped. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server.h"

job *ps__job_of(ps_server *s, void *tag)
{
    job *j = tag;
    return j >= s->jobs && j < s->jobs + MAX_JOBS ? j : NULL;
}

/* What a child says through its pipe (one write, under PIPE_BUF). */
typedef struct job_out {
    uint32_t rc, flags;
    uint64_t value;
    char msg[sizeof(((ps_diag *)0)->msg)]; /* why, when rc says it failed */
} job_out;

static job *free_slot(ps_server *s)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (!s->jobs[i].pid)
            return &s->jobs[i];
    return NULL;
}

/* Forks r's child into slot j: 0, or -1 (r untouched). */
static int start(ps_server *s, conn *c, stream *st, job_req *r, job *j)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC))
        return -1;
    pid_t pid = ps__served_fork(s->sv); /* the loop holds the lock */
    if (pid == 0) {
        close(fds[0]);
        job_out out = { 0 };
        ps_diag d = { 0 };
        out.rc = (uint32_t)r->work(s, st, r, &out.flags, &out.value, &d);
        memcpy(out.msg, d.msg, sizeof out.msg);
        ssize_t k = write(fds[1], &out, sizeof out);
        _exit(k == (ssize_t)sizeof out ? 0 : 1);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    *j = (job){ pid, fds[0], c->cid, st->id };
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = j };
    epoll_ctl(s->ep, EPOLL_CTL_ADD, j->fd, &ev);
    s->st.query_forks += st->kind != STREAM_EXPORT;
    r->free(r);
    return 0;
}

int ps__job_fork(ps_server *s, conn *c, stream *st, job_req *r)
{
    assert(!st->pend);
    if (s->no_fork_jobs)
        return -1;
    job *j = free_slot(s);
    st->waiting = 1;
    if (!j) { /* its turn comes when a child ends */
        st->pend = r;
        return 0;
    }
    if (!start(s, c, st, r, j))
        return 0;
    st->waiting = 0;
    return -1;
}

/* The child's result (PS_E_IO if it died without one); its stream flags
 * and value into *o. */
static int reap(ps_server *s, job *j, job_out *o)
{
    int rc = PS_E_IO, status = 0;
    job_out out;
    ssize_t k;
    while ((k = read(j->fd, &out, sizeof out)) < 0 && errno == EINTR)
        ;
    if (k == (ssize_t)sizeof out) {
        rc = (int)out.rc;
        *o = out;
    }
    while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        rc = rc ? rc : PS_E_IO;
    epoll_ctl(s->ep, EPOLL_CTL_DEL, j->fd, NULL);
    close(j->fd);
    j->pid = 0;
    return rc;
}

/* A job's end, from its child or done here: st streams, or the client
 * gets the error. */
static void finish(ps_server *s, conn *c, int rc, const job_out *o)
{
    stream *st = c->st;
    static const char *const what[] = { "", "QUERY", "EXPORT", "COUNT" };
    off_t size = rc ? -1 : st->kind == STREAM_COUNT ? (off_t)0 : lseek(st->fd, 0, SEEK_END);
    if (size < 0) {
        int kind = st->kind;
        uint64_t id = st->id;
        ps__stream_free(st);
        c->st = NULL;
        ps__conn_error(s, c, id, rc ? rc : PS_E_IO, 0, "%s: %s", what[kind],
                       rc && o->msg[0] ? o->msg : ps_strerror(rc ? rc : PS_E_IO));
    } else {
        st->size = st->kind == STREAM_COUNT ? o->value : (uint64_t)size;
        st->flags |= o->flags;
        st->waiting = 0;
    }
    ps__conn_pending(s, c);
}

/* Jobs that wait for a slot, started while slots are free (a fork that
 * fails: the work is done here, rather than never). */
static void start_waiting(ps_server *s)
{
    job *j;
    for (uint32_t i = 0; i < s->nconns && (j = free_slot(s)); i++) {
        conn *c = s->conns[i];
        job_req *r = c->st ? c->st->pend : NULL;
        if (!r)
            continue;
        c->st->pend = NULL;
        if (!start(s, c, c->st, r, j))
            continue;
        job_out o = { 0 };
        ps_diag d = { 0 };
        int rc = r->work(s, c->st, r, &o.flags, &o.value, &d);
        memcpy(o.msg, d.msg, sizeof o.msg);
        r->free(r);
        finish(s, c, rc, &o);
    }
}

void ps__job_done(ps_server *s, job *j)
{
    uint64_t cid = j->cid, id = j->id;
    job_out o = { 0 };
    int rc = reap(s, j, &o);
    conn *c = NULL;
    for (uint32_t i = 0; i < s->nconns && !c; i++)
        if (s->conns[i]->cid == cid)
            c = s->conns[i];
    if (c && c->st && c->st->id == id && c->st->waiting && !c->st->pend)
        finish(s, c, rc, &o);
    /* else the client left: its file went with it */
    start_waiting(s);
}

void ps__jobs_kill(ps_server *s)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (s->jobs[i].pid) {
            job_out o;
            kill(s->jobs[i].pid, SIGKILL);
            reap(s, &s->jobs[i], &o);
        }
}
