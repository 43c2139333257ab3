/* bgsave.c - checkpoints in a forked child, as Redis's BGSAVE: the loop
 * pauses only for fork() (copying page tables), and the child writes the
 * snapshot of its copy-on-write image of the space. The log rotates at the
 * fork, so the child's checkpoint and the new segment meet exactly; the
 * child reports through a pipe the loop watches. A checkpoint that fails
 * (or a child that dies) costs nothing: the log still holds every change. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "store/pspace.h"
#include "wire.h"

typedef struct child_msg {
    int rc;
    ps_ckpt_info ci;
    char msg[200];
} child_msg;

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int ps__commit(ps_server *s)
{
    if (s->broken)
        return -1;
    if (!ps__pspace_staged(s->p))
        return 0;
    if (ps__pspace_commit(s->p)) {
        s->broken = 1; /* memory is ahead of the log: acknowledge nothing more */
        return -1;
    }
    s->st.commits++;
    return 0;
}

static void child(ps_server *s, int wfd, uint64_t pos)
{
    child_msg m;
    memset(&m, 0, sizeof m);
    ps_diag d = { 0 };
    m.rc = ps__pspace_save(s->p, pos, 1, &m.ci, &d); /* no threads after a fork */
    memcpy(m.msg, d.msg, sizeof m.msg);
    ssize_t k = write(wfd, &m, sizeof m);
    _exit(k == (ssize_t)sizeof m ? 0 : 1);
}

int ps__ckpt_start(ps_server *s)
{
    if (s->child > 0 || ps__commit(s))
        return -1;
    int fds[2];
    ps_diag d;
    if (pipe2(fds, O_CLOEXEC))
        return -1;
    if (ps__pspace_bg_begin(s->p, &s->child_pos, &s->child_changes, &d)) {
        close(fds[0]);
        close(fds[1]);
        s->st.ckpt_failed++;
        return -1;
    }
    int64_t t0 = now_us();
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        /* the child holds no client: a connection the server drops must
         * end now, not when the checkpoint does */
        close(fds[0]);
        ps__child_detach(s, parent);
        child(s, fds[1], s->child_pos);
    }
    uint64_t pause = (uint64_t)(now_us() - t0);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        s->st.ckpt_failed++;
        return -1;
    }
    s->st.fork_us_last = pause;
    if (pause > s->st.fork_us_max)
        s->st.fork_us_max = pause;
    s->child = pid;
    s->ckfd = fds[0];
    s->child_start = ps__now_ms();
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->ckfd };
    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->ckfd, &ev);
    return 0;
}

static void reply(ps_server *s, conn *c, const child_msg *m)
{
    c->ckpt_wait = 0;
    if (m->rc) {
        ps__conn_error(s, c, c->ckpt_id, m->rc, 0, "checkpoint: %s", m->msg);
        return;
    }
    ps_buf b = { 0 };
    int rc;
    uint8_t *p = ps__frame_begin(&b, PS_MSG_CHECKPOINT | PS_MSG_REPLY, 0, c->ckpt_id,
                                 CKPT_REPLY, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    const ps_ckpt_info *ci = &m->ci;
    p = wr_u64(p, ci->seq);
    p = wr_u64(p, ci->atoms);
    p = wr_u64(p, ci->log_pos);
    p = wr_u64(p, ci->created_ns);
    p = wr_u64(p, ci->payload_len);
    *p++ = ci->oid.hash;
    *p++ = ci->oid.len;
    p = wr_u16(p, 0);
    p = wr_u32(p, ci->version);
    memset(p, 0, 32);
    memcpy(p, ci->oid.id, ci->oid.len <= 32 ? ci->oid.len : 32);
    ps__conn_queue(s, c, &b);
}

/* The child's answer, then its exit status. */
static void reap(ps_server *s, child_msg *m)
{
    memset(m, 0, sizeof *m);
    size_t got = 0;
    while (got < sizeof *m) {
        ssize_t k = read(s->ckfd, (char *)m + got, sizeof *m - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    int status = 0;
    while (waitpid(s->child, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != sizeof *m || !WIFEXITED(status) || WEXITSTATUS(status)) {
        m->rc = m->rc ? m->rc : PS_E_IO;
        if (!m->msg[0])
            strcpy(m->msg, "the checkpoint's process died");
    }
    epoll_ctl(s->ep, EPOLL_CTL_DEL, s->ckfd, NULL);
    close(s->ckfd);
    s->ckfd = -1;
    s->child = 0;
    s->st.ckpt_ms_last = (uint64_t)(ps__now_ms() - s->child_start);
}

void ps__ckpt_done(ps_server *s)
{
    child_msg m;
    uint64_t pos = s->child_pos;
    reap(s, &m);
    ps_diag d;
    if (!m.rc && ps__pspace_bg_end(s->p, pos, s->child_changes, &d)) {
        m.rc = d.code ? d.code : PS_E_IO;
        memcpy(m.msg, d.msg, sizeof m.msg);
    }
    if (m.rc)
        s->st.ckpt_failed++;
    else {
        s->st.checkpoints++;
        s->last_ckpt = ps__now_ms();
    }
    int again = 0;
    for (uint32_t i = 0; i < s->nconns; i++) {
        conn *c = s->conns[i];
        if (!c->ckpt_wait)
            continue;
        if (m.rc || c->ckpt_need <= pos) {
            reply(s, c, &m);
            ps__conn_pending(s, c);
        } else
            again = 1; /* asked after the fork: its changes need the next one */
    }
    if (again && ps__ckpt_start(s))
        for (uint32_t i = 0; i < s->nconns; i++)
            if (s->conns[i]->ckpt_wait) {
                child_msg f = { PS_E_IO, { 0 }, "cannot start a checkpoint" };
                reply(s, s->conns[i], &f);
                ps__conn_pending(s, s->conns[i]);
            }
}

void ps__ckpt_request(ps_server *s, conn *c, uint64_t id)
{
    if (ps__commit(s))
        return;
    c->ckpt_wait = 1;
    c->ckpt_id = id;
    c->ckpt_need = ps_pspace_seq(s->p);
    if (!s->child && ps__ckpt_start(s)) {
        child_msg f = { PS_E_IO, { 0 }, "cannot start a checkpoint" };
        reply(s, c, &f);
    }
}

void ps__ckpt_policy(ps_server *s)
{
    uint64_t ch = ps__pspace_changes(s->p) + ps__pspace_staged(s->p);
    if (s->child || !ch)
        return;
    int64_t age = ps__now_ms() - s->last_ckpt;
    if ((s->o.ckpt_changes && ch >= s->o.ckpt_changes) ||
        (s->o.ckpt_seconds && age >= (int64_t)s->o.ckpt_seconds * 1000))
        ps__ckpt_start(s);
}

void ps__ckpt_wait(ps_server *s)
{
    if (s->child > 0)
        ps__ckpt_done(s);
}
