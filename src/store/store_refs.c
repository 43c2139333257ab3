/* store_refs.c - refs (named pointers to objects), walking the objects,
 * stats, garbage collection and a full re-hash (docs/store.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
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

static int set_locked(ps_store *st, const char *name, const ps_oid *oid, ps_diag *d);

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
    /* under the shared lock: a gc (which holds it alone) has either removed
     * the object already, and this ref is refused, or will see the ref */
    int lk = ps__store_shared(st);
    int rc = set_locked(st, name, oid, d);
    ps__store_unlock(lk);
    return rc;
}

static int set_locked(ps_store *st, const char *name, const ps_oid *oid, ps_diag *d)
{
    if (!ps_store_exists(st, oid)) {
        char id[PS_OID_STR_MAX];
        ps_oid_format(oid, id);
        return ps__diag_set(d, PS_E_NOTFOUND, NULL, 0,
                            "ref %s: the store holds no object %s (put it first)", name, id);
    }
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
    close(fd); /* held (flock) until it is in place: a sweep never takes it */
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

/* What a walk of refs/ finds that is no ref; verify reports them. */
typedef void (*stray_fn)(void *ctx, const char *path, const char *why);

typedef struct ref_walk {
    names ns;
    char path[REF_MAX + 2]; /* the folder being listed, "a/b/" */
    stray_fn stray;
    void *ctx;
} ref_walk;

static void stray(ref_walk *w, size_t plen, const char *name, const char *why)
{
    if (!w->stray)
        return;
    char p[REF_MAX + 300];
    snprintf(p, sizeof p, "%.*s%s", (int)plen, w->path, name);
    w->stray(w->ctx, p, why);
}

/* Collects the refs under dirfd, whose path is w->path[0..plen): regular
 * files whose whole name is a valid ref name, at any depth such a name
 * allows (at most REF_MAX bytes, so at most 100 folders deep), never
 * through a symlink. Every copy is bounded by the name rules themselves. */
static int collect(int dirfd, ref_walk *w, size_t plen)
{
    DIR *dir = fdopendir(dirfd);
    if (!dir) {
        close(dirfd);
        return PS_E_IO;
    }
    int rc = PS_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dir))) {
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        size_t len = strlen(n);
        if (!ps_ref_name_valid(n) || plen + len > REF_MAX) {
            stray(w, plen, n, plen + len > REF_MAX ? "a name longer than a ref's 200 bytes"
                                                   : "a name no ref can have");
            continue;
        }
        struct stat sb;
        if (fstatat(dirfd, n, &sb, AT_SYMLINK_NOFOLLOW)) {
            stray(w, plen, n, "cannot stat it");
            continue;
        }
        memcpy(w->path + plen, n, len + 1); /* plen + len <= REF_MAX: fits */
        if (S_ISREG(sb.st_mode)) {
            rc = names_push_dup(&w->ns, w->path);
        } else if (S_ISDIR(sb.st_mode) && plen + len + 1 < REF_MAX) {
            int sub = openat(dirfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            w->path[plen + len] = '/';
            w->path[plen + len + 1] = 0;
            rc = sub >= 0 ? collect(sub, w, plen + len + 1) : PS_OK;
            if (sub < 0)
                stray(w, plen, n, "a folder that cannot be opened");
        } else {
            stray(w, plen, n, S_ISLNK(sb.st_mode) ? "a symlink (never followed)"
                              : S_ISDIR(sb.st_mode) ? "a folder too deep for any ref name"
                                                     : "not a regular file");
        }
        w->path[plen] = 0;
    }
    closedir(dir);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every ref name, sorted. */
static int ref_names(ps_store *st, ref_walk *w)
{
    int refs = ps__open_dir(st->root, "refs", 0, 0);
    w->path[0] = 0;
    int rc = refs < 0 ? PS_E_IO : collect(refs, w, 0);
    if (!rc && w->ns.len)
        qsort(w->ns.data, w->ns.len, sizeof *w->ns.data, cmp_str);
    return rc;
}

static int each_ref(ps_store *st, const char *prefix, stray_fn sf, void *sctx,
                    int (*cb)(void *ctx, const char *name, const ps_oid *oid), void *ctx)
{
    ref_walk w = { .stray = sf, .ctx = sctx };
    int rc = ref_names(st, &w);
    size_t plen = prefix ? strlen(prefix) : 0;
    for (uint32_t i = 0; !rc && i < w.ns.len; i++) {
        if (plen && strncmp(w.ns.data[i], prefix, plen))
            continue;
        ps_oid oid;
        int got = ps_ref_get(st, w.ns.data[i], &oid, NULL);
        if (got == PS_E_NOTFOUND)
            continue; /* deleted while we walked */
        rc = cb(ctx, w.ns.data[i], got ? NULL : &oid);
    }
    names_free_all(&w.ns);
    return rc;
}

int ps_ref_each(ps_store *st, const char *prefix,
                int (*cb)(void *ctx, const char *name, const ps_oid *oid), void *ctx)
{
    return each_ref(st, prefix, NULL, NULL, cb, ctx);
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

/* Visits the temp files: counts them, or removes those whose writer is
 * gone (a live writer holds its temp file's flock; a dead one's is free). */
static uint64_t temp_files(ps_store *st, int remove)
{
    int fd = openat(st->temp, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    uint64_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        if (!remove) {
            n++;
            continue;
        }
        int t = openat(st->temp, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (t < 0) { /* not a file we could write (a symlink, say): not ours */
            n += unlinkat(st->temp, e->d_name, 0) == 0;
            continue;
        }
        if (!flock(t, LOCK_EX | LOCK_NB) && !unlinkat(st->temp, e->d_name, 0))
            n++;
        close(t);
    }
    closedir(dir);
    return n;
}

uint64_t ps__temp_sweep(ps_store *st)
{
    return temp_files(st, 1);
}

int ps_store_stats_get(ps_store *st, ps_store_stats *s)
{
    memset(s, 0, sizeof *s);
    int rc = ps_store_each(st, count_object, s);
    if (!rc)
        rc = ps_ref_each(st, "", count_ref, s);
    s->temp_files = temp_files(st, 0);
    return rc;
}

PS_VEC_DEFINE(oid_set, ps_oid)

typedef struct mark_ctx {
    oid_set live;
    char bad[REF_MAX + 1]; /* the first ref that is not an id */
} mark_ctx;

static int add_live(void *ctx, const char *name, const ps_oid *oid)
{
    mark_ctx *m = ctx;
    if (oid)
        return oid_set_push(&m->live, *oid);
    snprintf(m->bad, sizeof m->bad, "%s", name);
    return PS_E_CORRUPT;
}

static int cmp_oid(const void *a, const void *b)
{
    const ps_oid *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash - y->hash;
    return memcmp(x->id, y->id, PS_OID_MAX);
}

/* Every object some ref names, sorted (for bsearch). A ref that is not an
 * id stops it: nobody can say what that ref would keep. */
static int mark(ps_store *st, mark_ctx *m, ps_diag *d)
{
    memset(m, 0, sizeof *m);
    int rc = ps_ref_each(st, "", add_live, m);
    if (rc == PS_E_CORRUPT)
        return ps__diag_set(d, rc, NULL, 0, "ref %s does not hold an object id: fix or remove "
                            "it first (nothing is collected while it is unreadable)", m->bad);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot read the refs");
    if (m->live.len)
        qsort(m->live.data, m->live.len, sizeof *m->live.data, cmp_oid);
    return PS_OK;
}

static int is_live(const mark_ctx *m, const ps_oid *oid)
{
    return m->live.len && bsearch(oid, m->live.data, m->live.len, sizeof *oid, cmp_oid);
}

/* The object's mtime in ns since 1970, or -1. */
static int64_t object_mtime(ps_store *st, const ps_oid *oid)
{
    char rel[STORE_PATH_MAX];
    struct stat sb;
    ps__oid_path(oid, rel);
    int fd = ps__open_file(st->root, rel, O_RDONLY);
    if (fd < 0)
        return -1;
    int r = fstat(fd, &sb);
    close(fd);
    return r ? -1 : (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct gc_ctx {
    ps_store *st;
    mark_ctx m;
    ps_gc_stats *gs;
    int64_t before; /* objects touched since are young */
} gc_ctx;

static int sweep(void *ctx, const ps_oid *oid, uint64_t size)
{
    gc_ctx *g = ctx;
    if (is_live(&g->m, oid)) {
        g->gs->kept++;
    } else if (object_mtime(g->st, oid) >= g->before) {
        g->gs->young++;
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
    int lk, rc = ps__store_exclusive(st, &lk, d);
    if (rc)
        return rc;
    gc_ctx g = { st, { { 0 }, "" }, gs, now_ns() - (int64_t)st->opts.gc_grace_s * 1000000000 };
    rc = mark(st, &g.m, d);
    if (!rc && (rc = ps_store_each(st, sweep, &g)))
        ps__diag_set(d, rc, NULL, 0, "cannot walk the objects");
    if (!rc)
        gs->temp_removed = temp_files(st, 1);
    oid_set_free(&g.m.live);
    ps__store_exclusive_end(st, lk);
    return rc;
}

int ps__store_drop(ps_store *st, const ps_oid *oids, size_t n, int64_t before, uint64_t *removed,
                   ps_diag *d)
{
    mark_ctx m;
    int rc = mark(st, &m, d);
    for (size_t i = 0; !rc && i < n; i++) {
        if (is_live(&m, &oids[i]))
            continue; /* another ref names the same bytes */
        int64_t t = object_mtime(st, &oids[i]);
        if (t >= 0 && t < before && ps_store_delete(st, &oids[i]) == PS_OK && removed)
            ++*removed;
    }
    oid_set_free(&m.live);
    return rc;
}

/* ------------------------------------------------------------- verify */

typedef struct verify_ctx {
    ps_store *st;
    void (*report)(void *, int, const char *);
    void *rctx;
    ps_verify_stats *vs;
    ps_diag *d;
    int first;
} verify_ctx;

static void problem(verify_ctx *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(verify_ctx *v, int code, const char *fmt, ...)
{
    char msg[sizeof v->d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!v->first) {
        v->first = code;
        ps__diag_set(v->d, code, NULL, 0, "%s", msg);
    }
    if (v->report)
        v->report(v->rctx, code, msg);
}

static int verify_one(void *ctx, const ps_oid *oid, uint64_t size)
{
    verify_ctx *v = ctx;
    ps_blob *b;
    ps_diag d = { 0 };
    (void)size;
    v->vs->objects++;
    int rc = ps_store_map(v->st, oid, 0, &b, &d);
    if (rc == PS_E_NOMEM)
        return rc;
    if (rc) {
        v->vs->bad_objects++;
        problem(v, rc, "%s", d.msg);
    } else {
        ps_blob_free(b);
    }
    return 0;
}

static int verify_ref(void *ctx, const char *name, const ps_oid *oid)
{
    verify_ctx *v = ctx;
    v->vs->refs++;
    if (!oid) {
        v->vs->bad_refs++;
        problem(v, PS_E_CORRUPT, "ref %s does not hold an object id", name);
    } else if (!ps_store_exists(v->st, oid)) {
        char id[PS_OID_STR_MAX];
        ps_oid_format(oid, id);
        v->vs->bad_refs++;
        problem(v, PS_E_NOTFOUND, "ref %s names %s, which the store does not hold", name, id);
    }
    return 0;
}

static void verify_stray(void *ctx, const char *path, const char *why)
{
    verify_ctx *v = ctx;
    v->vs->strays++;
    problem(v, PS_E_CORRUPT, "not a ref (%s): refs/%s", why, path);
}

int ps_store_verify(ps_store *st, void (*report)(void *ctx, int code, const char *what),
                    void *ctx, ps_verify_stats *vs, ps_diag *d)
{
    ps_verify_stats local;
    vs = vs ? vs : &local;
    memset(vs, 0, sizeof *vs);
    verify_ctx v = { st, report, ctx, vs, d, 0 };
    int rc = ps_store_each(st, verify_one, &v);
    if (!rc)
        rc = each_ref(st, "", verify_stray, &v, verify_ref, &v);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot walk the store");
    return v.first;
}
