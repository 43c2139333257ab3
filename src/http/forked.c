/*
 * forked.c - long searches and counts of the asynchronous commands, out
 * of the space's lock.
 *
 * A transform's search or a count held the read lock for as long as it
 * ran, and the binary loop, which takes the lock for writing every turn,
 * waited that long. Here the work first runs under the lock with a cut
 * (ps__space_run_cut, or a count of COUNT_HELD paths); past it, a child
 * forked under the lock does it whole from its copy-on-write image of the
 * space, and the lock is held for fork() only. The child writes results as
 * records (u32 length, bytes) into an unlinked file and says how it ended
 * through a pipe; the worker waits for it with no lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/diag.h"
#include "http.h"

/* What the child says through the pipe. */
typedef struct outcome {
    int32_t rc;
    uint32_t pad;
    uint64_t value; /* a count */
    char msg[200];
} outcome;

typedef struct tofile {
    ps_buf b;
    int fd;
    int err;
} tofile;

static int spill(tofile *t, size_t keep_under)
{
    if (t->b.len < keep_under)
        return 0;
    ps_sink o = ps_sink_fd(t->fd);
    int rc = t->b.len ? o.write(o.ctx, ps_buf_data(&t->b), t->b.len) : 0;
    ps_buf_clear(&t->b, 0);
    return rc;
}

/* In the child: the results of q into fd; a count under prefix when q is
 * NULL. Never returns. */
static void child(ps_http *h, const ps_query *q, ps_bytes prefix, uint64_t limit, int fd,
                  int pipe)
{
    outcome o;
    memset(&o, 0, sizeof o);
    ps_diag d = { 0 };
    const ps_space *src = ps_pspace_space(ps_served_pspace(h->sv));
    if (!q)
        o.rc = ps_space_count_prefix(src, prefix, 0, &o.value, NULL);
    else {
        ps_space *out = NULL;
        tofile t = { { 0 }, fd, 0 };
        o.rc = ps_space_new(&out) ? PS_E_NOMEM
                                  : ps__space_run(h, q, src, limit, 1, out, &d);
        ps_iter *it = NULL;
        ps_bytes a;
        if (!o.rc && !(o.rc = ps_iter_new(out, ps_bytes_of(NULL, 0), &it)))
            while (!o.rc && ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
                uint8_t l[4];
                ps_write_le32(l, (uint32_t)a.len);
                if (ps_buf_append(&t.b, l, 4) || ps_buf_append(&t.b, a.ptr, a.len))
                    o.rc = PS_E_NOMEM;
                else
                    o.rc = spill(&t, 1u << 16);
            }
        if (!o.rc)
            o.rc = spill(&t, 0);
        o.value = out ? ps_space_count(out) : 0;
    }
    memcpy(o.msg, d.msg, sizeof o.msg - 1);
    ssize_t k = write(pipe, &o, sizeof o);
    _exit(k == (ssize_t)sizeof o ? 0 : 1);
}

void ps__child_slot_take(ps_http *h)
{
    pthread_mutex_lock(&h->mu);
    while (h->children >= HTTP_CHILDREN)
        pthread_cond_wait(&h->cv, &h->mu);
    h->children++;
    pthread_mutex_unlock(&h->mu);
}

void ps__child_slot_give(ps_http *h)
{
    pthread_mutex_lock(&h->mu);
    h->children--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* Forks under the read lock; waits with none. 0 with *o, or -1 (no child:
 * the caller does the work itself). */
static int run_child(ps_http *h, const ps_query *q, ps_bytes prefix, uint64_t limit, int fd,
                     outcome *o)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return -1;
    ps__child_slot_take(h);
    ps__served_lock(h->sv, 0);
    pid_t pid = ps__served_fork(h->sv);
    if (pid == 0) {
        close(p[0]);
        child(h, q, prefix, limit, fd, p[1]);
    }
    ps__served_unlock(h->sv);
    close(p[1]);
    if (pid < 0) {
        ps__child_slot_give(h);
        close(p[0]);
        return -1;
    }
    ssize_t k;
    while ((k = read(p[0], o, sizeof *o)) < 0 && errno == EINTR)
        ;
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ps__child_slot_give(h);
    if (k != (ssize_t)sizeof *o) {
        memset(o, 0, sizeof *o);
        o->rc = PS_E_IO;
        strcpy(o->msg, "the search's child process died");
    }
    return 0;
}

/* The records of fd into out. */
static int take_records(int fd, ps_space *out, ps_diag *d)
{
    struct stat st;
    if (fstat(fd, &st))
        return ps__diag_set(d, PS_E_IO, NULL, 0, "the search's results: %s", strerror(errno));
    size_t n = (size_t)st.st_size, at = 0;
    const uint8_t *m = n ? mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0) : NULL;
    if (m == MAP_FAILED)
        return ps__diag_set(d, PS_E_IO, NULL, 0, "the search's results: %s", strerror(errno));
    int rc = PS_OK;
    while (!rc && at + 4 <= n) {
        size_t len = ps_read_le32(m + at);
        if (len > n - at - 4) {
            rc = ps__diag_set(d, PS_E_CORRUPT, NULL, at, "the search's results are cut short");
            break;
        }
        rc = ps_space_insert(out, ps_bytes_of(m + at + 4, len), NULL);
        at += 4 + len;
    }
    if (m)
        munmap((void *)m, n);
    return rc;
}

int ps__space_query_long(ps_http *h, const ps_query *q, uint64_t limit, ps_space *out,
                         ps_diag *d)
{
    int cut = 0;
    ps__served_lock(h->sv, 0);
    int rc = ps__space_run_cut(h, q, ps_pspace_space(ps_served_pspace(h->sv)), limit, 1,
                               HELD_CUT_BYTES, &cut, out, d);
    ps__served_unlock(h->sv);
    if (rc || !cut)
        return rc;
    ps_space_clear(out);
    outcome o;
    int fd = ps__served_tmp_file();
    if (fd < 0 || run_child(h, q, ps_bytes_of(NULL, 0), limit, fd, &o)) {
        if (fd >= 0)
            close(fd);
        return ps__space_query(h, q, limit, 1, out, d); /* no child: under the lock */
    }
    if (o.rc)
        rc = ps__diag_set(d, o.rc, NULL, 0, "%s", o.msg[0] ? o.msg : ps_strerror(o.rc));
    else
        rc = take_records(fd, out, d);
    close(fd);
    return rc;
}

int ps__space_count_long(ps_http *h, ps_bytes prefix, uint64_t *n)
{
    int more = 0;
    ps__served_lock(h->sv, 0);
    int rc = ps_space_count_prefix(ps_pspace_space(ps_served_pspace(h->sv)), prefix,
                                   COUNT_HELD, n, &more);
    ps__served_unlock(h->sv);
    if (rc || !more)
        return rc;
    outcome o;
    if (run_child(h, NULL, prefix, 0, -1, &o)) { /* no child: under the lock */
        ps__served_lock(h->sv, 0);
        rc = ps_space_count_prefix(ps_pspace_space(ps_served_pspace(h->sv)), prefix, 0, n,
                                   NULL);
        ps__served_unlock(h->sv);
        return rc;
    }
    *n = o.value;
    return o.rc;
}
