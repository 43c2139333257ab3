/*
 * faultfs.c - I/O faults and power loss for the durability tests
 * (tests/cli_faults.sh), as an LD_PRELOAD library, after SQLite's test VFS.
 *
 * Every write, pwrite, writev, fsync, fdatasync, ftruncate, renameat,
 * renameat2 and unlinkat on a path beneath $PS_FAULT_ROOT is one
 * injection point, counted in order. With $PS_FAULT_AT=K the K-th fails:
 *
 *   PS_FAULT_KIND=eio     the call returns -1 with EIO (ENOSPC for writes
 *                         when PS_FAULT_ERRNO=enospc) and the process goes on
 *   PS_FAULT_KIND=crash   power is lost before the call: every byte and every
 *                         directory entry not yet made durable is dropped,
 *                         and the process ends at once (exit 77)
 *
 * The power loss is the pessimistic one. A file keeps the size it had at
 * its last fsync or fdatasync (a file first seen empty keeps nothing); a
 * name made or moved in a directory since that directory's last fsync is
 * taken back (a rename is undone, a file made there removed, an unlinked
 * or replaced one restored from a hard link taken before the call). What
 * it does not model: an overwrite inside the synced size keeps its new
 * bytes. At exit the number of points seen goes to $PS_FAULT_COUNT.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FILES 4096
#define MAX_UNDO 4096

typedef struct file {
    char path[PATH_MAX];
    off_t synced; /* bytes that survive a power loss */
} file;

/* A directory change not yet made durable, undone in reverse order. */
typedef struct undo {
    enum { U_MADE, U_RENAME, U_REPLACE, U_UNLINK } kind;
    char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX], bak[PATH_MAX];
} undo;

static file files[MAX_FILES];
static int nfiles;
static undo undos[MAX_UNDO];
static int nundo;
static char root[PATH_MAX], bakdir[PATH_MAX];
static size_t rootlen;
static long at, count, baks;
static int kind; /* 0 eio, 1 crash */
static int err = EIO, inside;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_fsync)(int), (*real_fdatasync)(int);
static int (*real_ftruncate)(int, off_t);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_unlinkat)(int, const char *, int);

__attribute__((constructor)) static void init(void)
{
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
    real_renameat = dlsym(RTLD_NEXT, "renameat");
    real_renameat2 = dlsym(RTLD_NEXT, "renameat2");
    real_unlinkat = dlsym(RTLD_NEXT, "unlinkat");
    const char *r = getenv("PS_FAULT_ROOT"), *a = getenv("PS_FAULT_AT"),
               *k = getenv("PS_FAULT_KIND"), *e = getenv("PS_FAULT_ERRNO");
    if (r && (realpath(r, root) || snprintf(root, sizeof root, "%s", r) > 0)) {
        rootlen = strlen(root);
        snprintf(bakdir, sizeof bakdir, "%s.faultbak", root);
        mkdir(bakdir, 0755);
    }
    at = a ? atol(a) : 0;
    kind = k && !strcmp(k, "crash");
    if (e && !strcmp(e, "enospc"))
        err = ENOSPC;
}

__attribute__((destructor)) static void fini(void)
{
    const char *c = getenv("PS_FAULT_COUNT");
    FILE *f = c ? fopen(c, "w") : NULL;
    if (f) {
        fprintf(f, "%ld\n", count);
        fclose(f);
    }
}

static int fd_path(int fd, char *out)
{
    char l[64];
    snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(l, out, PATH_MAX - 1);
    if (n < 0)
        return -1;
    out[n] = 0;
    return 0;
}

static int at_path(int dirfd, const char *name, char *out)
{
    if (name[0] == '/')
        return snprintf(out, PATH_MAX, "%s", name) >= PATH_MAX ? -1 : 0;
    char d[PATH_MAX];
    if (dirfd == AT_FDCWD ? !getcwd(d, sizeof d) : fd_path(dirfd, d))
        return -1;
    return snprintf(out, PATH_MAX, "%s/%s", d, name) >= PATH_MAX ? -1 : 0;
}

static int beneath(const char *p)
{
    return rootlen && !strncmp(p, root, rootlen) && (p[rootlen] == '/' || !p[rootlen]);
}

static void dir_of(const char *p, char *out)
{
    snprintf(out, PATH_MAX, "%s", p);
    char *s = strrchr(out, '/');
    if (s)
        *s = 0;
}

/* A change to name p in its directory, to undo unless the directory syncs. */
static undo undo_of(int kind, const char *p)
{
    undo u;
    memset(&u, 0, sizeof u);
    u.kind = kind;
    dir_of(p, u.dir);
    snprintf(u.a, sizeof u.a, "%s", p);
    return u;
}

static file *track(const char *p, int fd)
{
    for (int i = 0; i < nfiles; i++)
        if (!strcmp(files[i].path, p))
            return &files[i];
    if (nfiles == MAX_FILES)
        return NULL;
    file *f = &files[nfiles++];
    snprintf(f->path, sizeof f->path, "%s", p);
    struct stat st;
    f->synced = fd >= 0 && !fstat(fd, &st) ? st.st_size : 0;
    if (!f->synced && nundo < MAX_UNDO) /* first seen empty: made now, maybe */
        undos[nundo++] = undo_of(U_MADE, p);
    return f;
}

/* A hard link to p in the backup directory (its name into out), so a
 * replaced or unlinked file can come back. */
static int backup(const char *p, char *out)
{
    snprintf(out, PATH_MAX, "%s/%ld", bakdir, baks++);
    return link(p, out);
}

/* What a power loss leaves: sizes cut (each file where it is now), then
 * names taken back. */
static void power_loss(void)
{
    for (int i = 0; i < nfiles; i++)
        truncate(files[i].path, files[i].synced);
    for (int i = nundo - 1; i >= 0; i--) {
        undo *u = &undos[i];
        if (u->kind == U_MADE)
            unlink(u->a);
        else if (u->kind == U_UNLINK)
            link(u->bak, u->a);
        else { /* a rename a -> b, b maybe replacing a file kept in bak */
            rename(u->b, u->a);
            if (u->kind == U_REPLACE)
                link(u->bak, u->b);
        }
    }
    _exit(77);
}

/* The point's turn: 0 go on, -1 fail (errno set). */
static int point(int is_write)
{
    if (inside)
        return 0;
    if (++count != at)
        return 0;
    if (kind)
        power_loss();
    errno = is_write ? err : EIO;
    return -1;
}

static void synced_dir(const char *d)
{
    int k = 0;
    for (int i = 0; i < nundo; i++)
        if (strcmp(undos[i].dir, d))
            undos[k++] = undos[i];
    nundo = k;
}

ssize_t write(int fd, const void *b, size_t n)
{
    char p[PATH_MAX];
    if (fd <= 2 || fd_path(fd, p) || !beneath(p))
        return real_write(fd, b, n);
    track(p, fd);
    return point(1) ? -1 : real_write(fd, b, n);
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
    char p[PATH_MAX];
    if (fd <= 2 || fd_path(fd, p) || !beneath(p))
        return real_pwrite(fd, b, n, off);
    track(p, fd);
    return point(1) ? -1 : real_pwrite(fd, b, n, off);
}

ssize_t writev(int fd, const struct iovec *v, int n)
{
    char p[PATH_MAX];
    if (fd <= 2 || fd_path(fd, p) || !beneath(p))
        return real_writev(fd, v, n);
    track(p, fd);
    return point(1) ? -1 : real_writev(fd, v, n);
}

static int sync_common(int fd, int (*real)(int))
{
    char p[PATH_MAX];
    struct stat st;
    if (fd_path(fd, p) || !beneath(p) || fstat(fd, &st))
        return real(fd);
    if (point(0))
        return -1;
    int rc = real(fd);
    if (!rc && S_ISDIR(st.st_mode))
        synced_dir(p);
    else if (!rc) {
        file *f = track(p, fd);
        if (f)
            f->synced = st.st_size;
    }
    return rc;
}

int fsync(int fd)
{
    return sync_common(fd, real_fsync);
}

int fdatasync(int fd)
{
    return sync_common(fd, real_fdatasync);
}

int ftruncate(int fd, off_t len)
{
    char p[PATH_MAX];
    if (fd_path(fd, p) || !beneath(p))
        return real_ftruncate(fd, len);
    file *f = track(p, fd);
    if (point(0))
        return -1;
    int rc = real_ftruncate(fd, len);
    if (!rc && f && f->synced > len)
        f->synced = len; /* a cut is as durable as the data it removes */
    return rc;
}

static int moved(int od, const char *o, int nd, const char *n, unsigned flags, int two)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (at_path(od, o, a) || at_path(nd, n, b) || !beneath(b))
        return two ? real_renameat2(od, o, nd, n, flags) : real_renameat(od, o, nd, n);
    if (point(0))
        return -1;
    undo u = undo_of(U_RENAME, b);
    snprintf(u.a, sizeof u.a, "%s", a);
    snprintf(u.b, sizeof u.b, "%s", b);
    inside = 1;
    if (!access(b, F_OK) && !backup(b, u.bak))
        u.kind = U_REPLACE;
    inside = 0;
    int rc = two ? real_renameat2(od, o, nd, n, flags) : real_renameat(od, o, nd, n);
    if (!rc) {
        for (int i = 0; i < nfiles; i++) /* the data moves with the name */
            if (!strcmp(files[i].path, a))
                snprintf(files[i].path, sizeof files[i].path, "%s", b);
        if (nundo < MAX_UNDO)
            undos[nundo++] = u;
    }
    return rc;
}

int renameat(int od, const char *o, int nd, const char *n)
{
    return moved(od, o, nd, n, 0, 0);
}

int renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
    return moved(od, o, nd, n, flags, 1);
}

int unlinkat(int d, const char *name, int flags)
{
    char p[PATH_MAX];
    if (at_path(d, name, p) || !beneath(p))
        return real_unlinkat(d, name, flags);
    if (point(0))
        return -1;
    undo u = undo_of(U_UNLINK, p);
    int kept = !(flags & AT_REMOVEDIR) && !backup(p, u.bak);
    int rc = real_unlinkat(d, name, flags);
    if (!rc && kept && nundo < MAX_UNDO)
        undos[nundo++] = u;
    return rc;
}
