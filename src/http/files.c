/*
 * files.c - the file:// URIs of import and export, confined to the one
 * directory the operator names (--http-files DIR; docs/security.md).
 *
 * Off by default: a server that anyone reaching its port could make read
 * /etc/shadow or write a shell script is not one to leave running. When
 * on, a URI's path must lie beneath the directory as its name was given
 * or as it resolves; what follows is opened under the directory's own
 * descriptor with no symlink followed and no "..", ".", or empty part
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, common/beneath.c), so
 * a rename or a planted link cannot lead outside. Exports are written to
 * an O_EXCL temporary name beside the target, fsynced, then renamed over
 * it: a reader sees the old file or the whole new one, and a link planted
 * at the target is replaced, never followed. The store may not lie inside
 * the directory, nor the directory inside the store: an export could
 * otherwise overwrite the server's own log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/beneath.h"
#include "common/diag.h"
#include "http.h"

/* 1 if inner is outer or lies beneath it (both canonical). */
static int within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);
    if (n == 1 && outer[0] == '/')
        return 1;
    return !strncmp(inner, outer, n) && (inner[n] == 0 || inner[n] == '/');
}

static int store_apart(ps_http *h, ps_diag *d)
{
    char link[64], store[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", ps__served_dirfd(h->sv));
    if (!realpath(link, store))
        return ps__diag_set(d, PS_E_IO, NULL, 0, "--http-files: cannot resolve the store: %s",
                            strerror(errno));
    if (within(store, h->files_real) || within(h->files_real, store))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0,
                            "--http-files %s and the store %s overlap: an export could "
                            "overwrite the server's own files; name a directory apart",
                            h->files_real, store);
    return PS_OK;
}

int ps__files_open(ps_http *h, ps_diag *d)
{
    h->files_fd = -1;
    if (!h->o.files_dir)
        return PS_OK;
    if (!(h->files_given = strdup(h->o.files_dir)) || !(h->files_real = ps_malloc(PATH_MAX)))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    h->o.files_dir = h->files_given; /* nothing points at the caller's memory */
    h->files_fd = open(h->files_given, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h->files_fd < 0 || !realpath(h->files_given, h->files_real))
        return ps__diag_set(d, PS_E_IO, NULL, 0, "--http-files %s: %s", h->files_given,
                            strerror(errno));
    return store_apart(h, d);
}

void ps__files_close(ps_http *h)
{
    if (h->files_fd >= 0)
        close(h->files_fd);
    free(h->files_given);
    free(h->files_real);
}

/* The absolute path of a file:// URI (file:///p or file://localhost/p). */
static const char *uri_path(const char *uri)
{
    if (strncmp(uri, "file://", 7))
        return NULL;
    uri += 7;
    if (!strncmp(uri, "localhost/", 10))
        uri += 9;
    return *uri == '/' ? uri : NULL;
}

/* What follows dir in path, when path lies strictly beneath dir. */
static const char *beneath(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 1 && dir[0] == '/')
        return path + 1;
    return !strncmp(path, dir, n) && path[n] == '/' && path[n + 1] ? path + n + 1 : NULL;
}

int ps__files_rel(ps_http *h, const char *uri, const char **rel, reply *r, const char *cmd)
{
    const char *path = uri ? uri_path(uri) : NULL;
    if (!uri)
        return ps__reply_text(r, 400, "%s needs ?uri=file:///path", cmd);
    if (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8))
        return ps__reply_text(r, 400,
                              "%s: this server fetches nothing from the network: "
                              "use a file:// URI",
                              cmd);
    if (!path)
        return ps__reply_text(r, 400, "%s takes file:///path URIs", cmd);
    if (h->files_fd < 0)
        return ps__reply_text(r, 403,
                              "%s: file:// is off on this server; its operator may allow "
                              "one directory with --http-files DIR",
                              cmd);
    const char *k = beneath(path, h->files_given);
    if (!k)
        k = beneath(path, h->files_real);
    if (!k)
        return ps__reply_text(r, 403, "%s: %s is not beneath the --http-files directory %s", cmd,
                              path, h->files_given);
    for (const char *p = k; *p;) { /* the open refuses these too; say it now */
        size_t n = strcspn(p, "/");
        if (!n || (p[0] == '.' && (n == 1 || (n == 2 && p[1] == '.'))))
            return ps__reply_text(r, 403, "%s: %s: no '..', '.' or empty part may appear", cmd,
                                  path);
        p += n + (p[n] == '/');
    }
    *rel = k;
    return 0;
}

const char *ps__files_why(int e)
{
    if (e == ELOOP || e == EXDEV || e == EINVAL)
        return "a symlink, '..', '.' or empty part is not followed beneath --http-files";
    return strerror(e);
}

static int open_failed(reply *r, const char *cmd, const char *rel, int e)
{
    unsigned code = e == ENOENT ? 404 : (e == ELOOP || e == EXDEV || e == EINVAL) ? 403 : 400;
    return ps__reply_text(r, code, "%s: %s: %s", cmd, rel, ps__files_why(e));
}

int ps__files_read(ps_http *h, const char *rel)
{
    return ps__open_file(h->files_fd, rel, O_RDONLY);
}

int ps__files_create(ps_http *h, const char *rel, hfile *f, reply *r)
{
    const char *base;
    f->fd = -1;
    f->dfd = ps__open_parent(h->files_fd, rel, &base);
    if (f->dfd < 0)
        return open_failed(r, "export", rel, errno);
    size_t n = strlen(base);
    if (!n || (base[0] == '.' && (n == 1 || (n == 2 && base[1] == '.'))) ||
        n + 24 >= sizeof f->tmp) {
        close(f->dfd);
        return open_failed(r, "export", rel, EINVAL);
    }
    snprintf(f->base, sizeof f->base, "%s", base);
    for (int tries = 0; tries < 8 && f->fd < 0; tries++) {
        uint8_t rnd[8];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            break;
        int k = snprintf(f->tmp, sizeof f->tmp, ".%s.", base);
        for (int i = 0; i < 8; i++)
            k += snprintf(f->tmp + k, sizeof f->tmp - (size_t)k, "%02x", rnd[i]);
        f->fd = openat(f->dfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f->fd < 0 && errno != EEXIST)
            break;
    }
    if (f->fd >= 0)
        return 0;
    int e = errno;
    close(f->dfd);
    return open_failed(r, "export", rel, e);
}

int ps__files_publish(hfile *f)
{
    int rc = fsync(f->fd) || renameat(f->dfd, f->tmp, f->dfd, f->base) || fsync(f->dfd) ? -1 : 0;
    int e = errno;
    if (rc)
        unlinkat(f->dfd, f->tmp, 0);
    close(f->fd);
    close(f->dfd);
    errno = e;
    return rc;
}

void ps__files_discard(hfile *f)
{
    unlinkat(f->dfd, f->tmp, 0);
    close(f->fd);
    close(f->dfd);
}
