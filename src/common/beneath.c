/* beneath.c - opening files and directories under a root directory
 * without ever leaving it: no symlink is followed and no ".." climbs out.
 * The store opens its objects this way, and the HTTP server the files
 * of its --http-files directory (docs/security.md). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "beneath.h"

static int sync_dir(int dirfd, int sync)
{
    return sync ? fsync(dirfd) : 0;
}

/* One component: open it as a directory, making it first if asked. */
static int step(int dirfd, const char *name, int create, int sync)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 || !create || errno != ENOENT)
        return fd;
    if (mkdirat(dirfd, name, 0755) && errno != EEXIST)
        return -1;
    /* the new entry lives in dirfd: make it durable before it is used */
    if (sync_dir(dirfd, sync))
        return -1;
    return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int ps__open_dir(int dirfd, const char *rel, int create, int sync)
{
    char part[256];
    int cur = dup(dirfd);
    while (cur >= 0 && *rel) {
        const char *slash = strchr(rel, '/');
        size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
        /* "." and ".." would name no new directory, or climb out */
        if (n == 0 || n >= sizeof part || (rel[0] == '.' && (n == 1 || (n == 2 && rel[1] == '.')))) {
            close(cur);
            errno = EINVAL;
            return -1;
        }
        memcpy(part, rel, n);
        part[n] = 0;
        int next = step(cur, part, create, sync);
        int e = errno;
        close(cur);
        errno = e;
        cur = next;
        rel += n + (slash != NULL);
    }
    return cur;
}

/* openat2 resolves the whole path in one call and refuses symlinks and
 * anything that would leave dirfd (Linux 5.6+). Where it is missing or
 * filtered, the walk below gives the same guarantee in a few more calls. */
static int open_beneath(int dirfd, const char *rel, int flags)
{
#ifdef SYS_openat2
    static int missing;
    if (!missing) {
        struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
                                .mode = (flags & O_CREAT) ? 0644 : 0,
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                           RESOLVE_NO_MAGICLINKS };
        long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != E2BIG))
            return (int)fd;
        missing = 1;
    }
#endif
    errno = ENOSYS;
    return -1;
}

int ps__open_parent(int dirfd, const char *rel, const char **base)
{
    const char *slash = strrchr(rel, '/');
    *base = slash ? slash + 1 : rel;
    if (!slash)
        return dup(dirfd);
    char dir[PATH_MAX];
    size_t n = (size_t)(slash - rel);
    if (n >= sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, rel, n);
    dir[n] = 0;
    return ps__open_dir(dirfd, dir, 0, 0);
}

int ps__open_file(int dirfd, const char *rel, int flags)
{
    int fd = open_beneath(dirfd, rel, flags);
    if (fd >= 0 || errno != ENOSYS)
        return fd;
    const char *base;
    int dfd = ps__open_parent(dirfd, rel, &base);
    if (dfd < 0)
        return -1;
    fd = openat(dfd, base, flags | O_NOFOLLOW | O_CLOEXEC, 0644);
    int e = errno;
    close(dfd);
    errno = e;
    return fd;
}
