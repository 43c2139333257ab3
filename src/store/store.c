/* store.c - opening a store, walking its directories without leaving the
 * root, and the publish step every write ends with (docs/store.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/beneath.h"
#include "common/diag.h"
#include "common/opts.h"
#include "store.h"

int ps__write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

int ps__sync_fd(const ps_store *st, int fd)
{
    return st->opts.nosync ? 0 : fdatasync(fd);
}

int ps__temp_create(ps_store *st, char *name)
{
    for (int tries = 0; tries < 8; tries++) {
        uint8_t r[12];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            return -1;
        for (int i = 0; i < 12; i++)
            snprintf(name + 2 * i, 3, "%02x", r[i]);
        int fd = openat(st->temp, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0644);
        if (fd < 0) {
            if (errno != EEXIST)
                return -1;
            continue;
        }
        /* held while it is written: a temp file nobody holds is a dead
         * writer's, and a sweep takes it. A sweep may come between the
         * open and the lock: then it holds the lock, or has unlinked the
         * file (no links left), and we start again with another name. */
        struct stat sb;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 && sb.st_nlink > 0)
            return fd;
        close(fd);
    }
    return -1;
}

static void futimensat_object(int dfd, const char *base)
{
    utimensat(dfd, base, NULL, AT_SYMLINK_NOFOLLOW);
}

/* renameat2(RENAME_NOREPLACE) publishes only if nothing is there, so two
 * writers of the same object cannot race; filesystems without it get a
 * plain rename (same bytes either way: the name is their hash). */
static int rename_noreplace(int from_dir, const char *from, int to_dir, const char *to)
{
    int r = renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE);
    if (r && errno == EINVAL) {
        if (faccessat(to_dir, to, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
            errno = EEXIST;
            return -1;
        }
        r = renameat(from_dir, from, to_dir, to);
    }
    return r;
}

int ps__publish(ps_store *st, const char *name, const char *dir, const char *rel, int *added,
                ps_diag *d)
{
    int sync = !st->opts.nosync;
    int dfd = ps__open_dir(st->root, dir, 1, sync);
    if (dfd < 0) {
        int rc = ps__io_err(d, PS_E_IO, "cannot make the object directory");
        unlinkat(st->temp, name, 0);
        return rc;
    }
    const char *base = strrchr(rel, '/') + 1;
    int rc = PS_OK;
    *added = 1;
    if (rename_noreplace(st->temp, name, dfd, base)) {
        if (errno == EEXIST) {
            *added = 0; /* deduplicated: the same bytes are already there */
            futimensat_object(dfd, base); /* wanted again: the gc grace restarts */
        } else
            rc = ps__io_err(d, PS_E_IO, "cannot rename the temp file into place");
        unlinkat(st->temp, name, 0);
    } else if (sync && fsync(dfd)) {
        rc = ps__io_err(d, PS_E_IO, "cannot fsync the object directory");
    }
    close(dfd);
    return rc;
}

void ps_store_opts_init(ps_store_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->hash = PS_HASH_SHA256;
    o->gc_grace_s = 3600;
}

/* ------------------------------------------------------------ the lock */

static int lock_open(ps_store *st)
{
    return openat(st->root, STORE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
}

int ps__store_shared(ps_store *st)
{
    int fd = lock_open(st);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_SH) && errno == EINTR)
        ;
    return fd;
}

void ps__store_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* drops the flock */
}

int ps__store_exclusive(ps_store *st, int *fd, ps_diag *d)
{
    *fd = -1;
    if (st->hold >= 0) { /* our own space's lock: converted, waiting for our writers */
        while (flock(st->hold, LOCK_EX) && errno == EINTR)
            ;
        return PS_OK;
    }
    int f = lock_open(st);
    if (f < 0)
        return ps__io_err(d, PS_E_IO, "cannot open the store's LOCK");
    /* writers hold it only for a moment: wait up to 2 s for them; an open
     * persistent space holds it for good */
    for (int tries = 0; flock(f, LOCK_EX | LOCK_NB); tries++) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int rc = ps__io_err(d, PS_E_IO, "cannot lock the store");
            close(f);
            return rc;
        }
        if (tries == 100) {
            close(f);
            return ps__diag_set(d, PS_E_LOCKED, NULL, 0,
                                "the store is in use (a persistent space is open on it, or a "
                                "long write is under way): maintenance must wait");
        }
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    *fd = f;
    return PS_OK;
}

void ps__store_exclusive_end(ps_store *st, int fd)
{
    if (st->hold >= 0) {
        while (flock(st->hold, LOCK_SH) && errno == EINTR)
            ;
        return;
    }
    ps__store_unlock(fd);
}

int ps__store_hold(ps_store *st, ps_diag *d)
{
    if (st->hold >= 0)
        return PS_OK;
    int fd = ps__store_shared(st);
    if (fd < 0)
        return ps__io_err(d, PS_E_IO, "cannot lock the store");
    st->hold = fd;
    return PS_OK;
}

int ps__store_touch(ps_store *st, const ps_oid *oid)
{
    char rel[STORE_PATH_MAX];
    ps__oid_path(oid, rel);
    int fd = ps__open_file(st->root, rel, O_RDONLY);
    if (fd < 0)
        return -1;
    int r = futimens(fd, NULL);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

int ps_store_open(const char *root, const ps_store_opts *opts, int create, ps_store **out,
                  ps_diag *d)
{
    *out = NULL;
    ps_store_opts o;
    ps_store_opts_init(&o);
    int orc = ps__opts_copy(&o, sizeof o, opts);
    if (orc)
        return ps__diag_set(d, orc, NULL, 0, "store options from %s",
                            orc == PS_E_INVAL ? "a struct without its size set"
                                              : "a newer pathspace, with fields this build lacks");
    if (!root || o.hash < 0 || o.hash >= PS_HASH_COUNT)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "bad store options");
    if (create && mkdir(root, 0755) && errno != EEXIST)
        return ps__io_err(d, PS_E_IO, "cannot make the store root");
    ps_store *st = ps_calloc(1, sizeof *st);
    if (!st)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    st->opts = o;
    st->temp = -1;
    st->hold = -1;
    st->root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->root < 0) {
        int rc = ps__io_err(d, errno == ENOENT ? PS_E_NOTFOUND : PS_E_IO, "cannot open the store");
        ps_store_close(st);
        return rc;
    }
    st->temp = ps__open_dir(st->root, "temp", create, !o.nosync);
    int refs = ps__open_dir(st->root, "refs", create, !o.nosync);
    if (st->temp < 0 || refs < 0) {
        int rc = ps__io_err(d, errno == ENOENT ? PS_E_NOTFOUND : PS_E_IO,
                            "not a store (no temp/ or refs/)");
        if (refs >= 0)
            close(refs);
        ps_store_close(st);
        return rc;
    }
    close(refs);
    *out = st;
    return PS_OK;
}

void ps_store_close(ps_store *st)
{
    if (!st)
        return;
    if (st->hold >= 0)
        close(st->hold);
    if (st->temp >= 0)
        close(st->temp);
    if (st->root >= 0)
        close(st->root);
    free(st);
}

static int stat_object(ps_store *st, const ps_oid *oid, struct stat *sb)
{
    if (!oid || oid->hash >= PS_HASH_COUNT || oid->len != ps__hash_len(oid->hash)) {
        errno = EINVAL;
        return -1;
    }
    char rel[STORE_PATH_MAX];
    ps__oid_path(oid, rel);
    int fd = ps__open_file(st->root, rel, O_RDONLY);
    if (fd < 0)
        return -1;
    int r = fstat(fd, sb);
    close(fd);
    if (!r && !S_ISREG(sb->st_mode)) {
        errno = EINVAL;
        return -1;
    }
    return r;
}

int ps_store_exists(ps_store *st, const ps_oid *oid)
{
    struct stat sb;
    return stat_object(st, oid, &sb) == 0;
}

int ps_store_size(ps_store *st, const ps_oid *oid, uint64_t *size)
{
    struct stat sb;
    if (stat_object(st, oid, &sb))
        return errno == ENOENT ? PS_E_NOTFOUND : errno == EINVAL ? PS_E_INVAL : PS_E_IO;
    *size = (uint64_t)sb.st_size;
    return PS_OK;
}

int ps_store_delete(ps_store *st, const ps_oid *oid)
{
    if (!oid || oid->hash >= PS_HASH_COUNT || oid->len != ps__hash_len(oid->hash))
        return PS_E_INVAL;
    char dir[STORE_PATH_MAX], rel[STORE_PATH_MAX];
    ps__oid_dir(oid, dir);
    ps__oid_path(oid, rel);
    int dfd = ps__open_dir(st->root, dir, 0, 0);
    if (dfd < 0)
        return errno == ENOENT ? PS_E_NOTFOUND : PS_E_IO;
    int rc = PS_OK;
    if (unlinkat(dfd, strrchr(rel, '/') + 1, 0))
        rc = errno == ENOENT ? PS_E_NOTFOUND : PS_E_IO;
    else if (!st->opts.nosync && fsync(dfd))
        rc = PS_E_IO;
    close(dfd);
    return rc;
}
