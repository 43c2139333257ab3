/* store_refs.c - refs (named pointers to objects), walking the objects,
 * stats, garbage collection and a full re-hash (docs/store.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "store.h"

#define REF_MAX 200

static int ref_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

int ps_ref_name_valid(const char *name)
{
    if (!name || !*name)
        return 0;
    size_t n = strnlen(name, REF_MAX + 1);
    if (n > REF_MAX)
        return 0;
    const char *part = name;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && name[i] != '/') {
            if (!ref_char(name[i]))
                return 0;
            continue;
        }
        size_t len = (size_t)(name + i - part); /* a component ends here */
        if (len == 0 || (len == 1 && part[0] == '.') ||
            (len == 2 && part[0] == '.' && part[1] == '.'))
            return 0;
        part = name + i + 1;
    }
    return 1;
}

/* Splits refs/<name> into its directory (opened, made if create) and base. */
static int ref_dir(ps_store *st, const char *name, int create, const char **base)
{
    char dir[REF_MAX + 8] = "refs";
    const char *slash = strrchr(name, '/');
    if (slash) {
        dir[4] = '/';
        memcpy(dir + 5, name, (size_t)(slash - name));
        dir[5 + (slash - name)] = 0;
    }
    *base = slash ? slash + 1 : name;
    return ps__open_dir(st->root, dir, create, !st->opts.nosync);
}

int ps_ref_set(ps_store *st, const char *name, const ps_oid *oid, ps_diag *d)
{
    if (!ps_ref_name_valid(name))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "bad ref name");
    char text[PS_OID_STR_MAX + 1];
    size_t n = ps_oid_format(oid, text);
    text[n++] = '\n';
    char tmp[32];
    int fd = ps__temp_create(st, tmp);
    if (fd < 0)
        return ps__io_err(d, PS_E_IO, "cannot create a temp file");
    int rc = PS_OK;
    if (ps__write_all(fd, text, n))
        rc = ps__io_err(d, PS_E_IO, "cannot write the ref");
    else if (ps__sync_fd(st, fd))
        rc = ps__io_err(d, PS_E_IO, "cannot fsync the ref");
    close(fd);
    const char *base;
    int dfd = rc ? -1 : ref_dir(st, name, 1, &base);
    if (!rc && dfd < 0)
        rc = ps__io_err(d, PS_E_IO, "cannot make the ref directory");
    /* rename replaces atomically: a reader sees the old id or the new one */
    if (!rc && renameat(st->temp, tmp, dfd, base))
        rc = ps__io_err(d, PS_E_IO, "cannot rename the ref into place");
    if (rc)
        unlinkat(st->temp, tmp, 0);
    else if (!st->opts.nosync && fsync(dfd))
        rc = ps__io_err(d, PS_E_IO, "cannot fsync the ref directory");
    if (dfd >= 0)
        close(dfd);
    return rc;
}

static int read_ref(int dfd, const char *base, ps_oid *oid)
{
    int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? PS_E_NOTFOUND : PS_E_IO;
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) { /* a folder of refs is no ref */
        close(fd);
        return PS_E_NOTFOUND;
    }
    char text[PS_OID_STR_MAX + 2];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 2 || text[n - 1] != '\n')
        return PS_E_CORRUPT;
    text[n - 1] = 0;
    return ps_oid_parse(text, oid) ? PS_E_CORRUPT : PS_OK;
}

int ps_ref_get(ps_store *st, const char *name, ps_oid *oid, ps_diag *d)
{
    if (!ps_ref_name_valid(name))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "bad ref name");
    const char *base;
    int dfd = ref_dir(st, name, 0, &base);
    if (dfd < 0)
        return ps__diag_set(d, errno == ENOENT ? PS_E_NOTFOUND : PS_E_IO, NULL, 0,
                           "ref %s: %s", name, strerror(errno));
    int rc = read_ref(dfd, base, oid);
    close(dfd);
    if (rc)
        ps__diag_set(d, rc, NULL, 0, rc == PS_E_CORRUPT ? "ref %s does not hold an object id"
                                                       : "ref %s not found", name);
    return rc;
}

int ps_ref_delete(ps_store *st, const char *name)
{
    if (!ps_ref_name_valid(name))
        return PS_E_INVAL;
    const char *base;
    int dfd = ref_dir(st, name, 0, &base);
    if (dfd < 0)
        return errno == ENOENT ? PS_E_NOTFOUND : PS_E_IO;
    int rc = PS_OK;
    if (unlinkat(dfd, base, 0))
        rc = errno == ENOENT || errno == EISDIR ? PS_E_NOTFOUND : PS_E_IO;
    else if (!st->opts.nosync && fsync(dfd))
        rc = PS_E_IO;
    close(dfd);
    return rc;
}

/* ------------------------------------------------------------ ref walk */

PS_VEC_DEFINE(names, char *)

static int names_push_dup(names *ns, const char *s)
{
    char *d = strdup(s);
    if (!d || names_push(ns, d)) {
        free(d);
        return PS_E_NOMEM;
    }
    return PS_OK;
}

static void names_free_all(names *ns)
{
    for (uint32_t i = 0; i < ns->len; i++)
        free(ns->data[i]);
    names_free(ns);
}

/* Collects the names of the regular files under dirfd (recursively, never
 * through a symlink), as "<prefix><path>". */
static int collect(int dirfd, const char *prefix, int depth, names *ns)
{
    if (depth > 16)
        return PS_OK; /* a ref name has at most a few components */
    DIR *dir = fdopendir(dirfd);
    if (!dir) {
        close(dirfd);
        return PS_E_IO;
    }
    int rc = PS_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dir))) {
        if (!ps_ref_name_valid(e->d_name))
            continue; /* ".", "..", and anything we would never write */
        char path[REF_MAX + 2];
        if ((size_t)snprintf(path, sizeof path, "%s%s", prefix, e->d_name) >= sizeof path)
            continue;
        struct stat sb;
        if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW))
            continue;
        if (S_ISREG(sb.st_mode)) {
            rc = names_push_dup(ns, path);
        } else if (S_ISDIR(sb.st_mode)) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            strcat(path, "/");
            if (sub >= 0)
                rc = collect(sub, path, depth + 1, ns);
        }
    }
    closedir(dir);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ps_ref_each(ps_store *st, const char *prefix,
                int (*cb)(void *ctx, const char *name, const ps_oid *oid), void *ctx)
{
    names ns = { 0 };
    int refs = ps__open_dir(st->root, "refs", 0, 0);
    int rc = refs < 0 ? PS_E_IO : collect(refs, "", 0, &ns);
    if (!rc && ns.len)
        qsort(ns.data, ns.len, sizeof *ns.data, cmp_str);
    size_t plen = prefix ? strlen(prefix) : 0;
    for (uint32_t i = 0; !rc && i < ns.len; i++) {
        if (plen && strncmp(ns.data[i], prefix, plen))
            continue;
        ps_oid oid;
        int got = ps_ref_get(st, ns.data[i], &oid, NULL);
        if (got == PS_E_NOTFOUND)
            continue; /* deleted while we walked */
        rc = cb(ctx, ns.data[i], got ? NULL : &oid);
    }
    names_free_all(&ns);
    return rc;
}

/* --------------------------------------------------------- object walk */

/* The object id named by dir/sub/file, if the name is exactly one. */
static int object_name(int hash, const char *sub, const char *file, ps_oid *oid)
{
    char text[PS_OID_STR_MAX];
    if (strlen(file) != 2u * ps__hash_len(hash) || strncmp(file, sub, 2) || strlen(sub) != 2)
        return 0;
    snprintf(text, sizeof text, "%s:%s", ps_hash_name(hash), file);
    return ps_oid_parse(text, oid) == PS_OK;
}

static int each_in(int subfd, int hash, const char *sub,
                   int (*cb)(void *, const ps_oid *, uint64_t), void *ctx)
{
    DIR *dir = fdopendir(subfd);
    if (!dir) {
        close(subfd);
        return PS_E_IO;
    }
    int rc = PS_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dir))) {
        ps_oid oid;
        struct stat sb;
        if (!object_name(hash, sub, e->d_name, &oid) ||
            fstatat(subfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
            continue;
        rc = cb(ctx, &oid, (uint64_t)sb.st_size);
    }
    closedir(dir);
    return rc;
}

int ps_store_each(ps_store *st, int (*cb)(void *ctx, const ps_oid *oid, uint64_t size),
                  void *ctx)
{
    int rc = PS_OK;
    for (int hash = 0; !rc && hash < PS_HASH_COUNT; hash++) {
        int hfd = ps__open_dir(st->root, ps_hash_name(hash), 0, 0);
        if (hfd < 0)
            continue;
        DIR *dir = fdopendir(hfd);
        if (!dir) {
            close(hfd);
            return PS_E_IO;
        }
        struct dirent *e;
        while (!rc && (e = readdir(dir))) {
            if (strlen(e->d_name) != 2 || !strchr("0123456789abcdef", e->d_name[0]) ||
                !strchr("0123456789abcdef", e->d_name[1]))
                continue;
            int sub = openat(hfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                rc = each_in(sub, hash, e->d_name, cb, ctx);
        }
        closedir(dir);
    }
    return rc;
}

/* ------------------------------------------------------- stats, gc, verify */

static int count_object(void *ctx, const ps_oid *oid, uint64_t size)
{
    ps_store_stats *s = ctx;
    (void)oid;
    s->objects++;
    s->bytes += size;
    return 0;
}

static int count_ref(void *ctx, const char *name, const ps_oid *oid)
{
    (void)name;
    (void)oid;
    ((ps_store_stats *)ctx)->refs++;
    return 0;
}

/* Visits temp files: removes those older than max_age when remove. */
static uint64_t temp_files(ps_store *st, int remove, time_t max_age)
{
    int fd = openat(st->temp, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    uint64_t n = 0;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(dir))) {
        struct stat sb;
        if (e->d_name[0] == '.' || fstatat(st->temp, e->d_name, &sb, AT_SYMLINK_NOFOLLOW))
            continue;
        if (!remove)
            n++;
        else if (now - sb.st_mtime >= max_age && !unlinkat(st->temp, e->d_name, 0))
            n++;
    }
    closedir(dir);
    return n;
}

int ps_store_stats_get(ps_store *st, ps_store_stats *s)
{
    memset(s, 0, sizeof *s);
    int rc = ps_store_each(st, count_object, s);
    if (!rc)
        rc = ps_ref_each(st, "", count_ref, s);
    s->temp_files = temp_files(st, 0, 0);
    return rc;
}

PS_VEC_DEFINE(oid_set, ps_oid)

static int add_live(void *ctx, const char *name, const ps_oid *oid)
{
    (void)name;
    return oid ? oid_set_push(ctx, *oid) : PS_OK;
}

static int cmp_oid(const void *a, const void *b)
{
    const ps_oid *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash - y->hash;
    return memcmp(x->id, y->id, PS_OID_MAX);
}

typedef struct gc_ctx {
    ps_store *st;
    oid_set live;
    ps_gc_stats *gs;
} gc_ctx;

static int sweep(void *ctx, const ps_oid *oid, uint64_t size)
{
    gc_ctx *g = ctx;
    if (g->live.len && bsearch(oid, g->live.data, g->live.len, sizeof *oid, cmp_oid)) {
        g->gs->kept++;
    } else if (ps_store_delete(g->st, oid) == PS_OK) {
        g->gs->removed++;
        g->gs->removed_bytes += size;
    }
    return 0;
}

int ps_store_gc(ps_store *st, ps_gc_stats *gs, ps_diag *d)
{
    ps_gc_stats local;
    gs = gs ? gs : &local;
    memset(gs, 0, sizeof *gs);
    gc_ctx g = { st, { 0 }, gs };
    int rc = ps_ref_each(st, "", add_live, &g.live); /* mark */
    if (!rc) {
        if (g.live.len)
            qsort(g.live.data, g.live.len, sizeof *g.live.data, cmp_oid);
        rc = ps_store_each(st, sweep, &g);
    }
    oid_set_free(&g.live);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "garbage collection failed");
    gs->temp_removed = temp_files(st, 1, STORE_TEMP_AGE);
    return PS_OK;
}

typedef struct verify_ctx {
    ps_store *st;
    uint64_t objects, bad;
    ps_diag *d;
} verify_ctx;

static int verify_one(void *ctx, const ps_oid *oid, uint64_t size)
{
    verify_ctx *v = ctx;
    ps_blob *b;
    ps_diag d = { 0 };
    (void)size;
    v->objects++;
    int rc = ps_store_map(v->st, oid, 0, &b, &d);
    if (rc == PS_E_NOMEM)
        return rc;
    if (rc) {
        if (!v->bad++ && v->d)
            *v->d = d;
    } else {
        ps_blob_free(b);
    }
    return 0;
}

int ps_store_verify(ps_store *st, uint64_t *objects, uint64_t *bad, ps_diag *d)
{
    verify_ctx v = { st, 0, 0, d };
    int rc = ps_store_each(st, verify_one, &v);
    if (objects)
        *objects = v.objects;
    if (bad)
        *bad = v.bad;
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot walk the store");
    return v.bad ? PS_E_HASH : PS_OK;
}
