/* store_get.c - reading objects: into a buffer sized once, mapped, or
 * streamed; every way checks the bytes against the name (PS_E_HASH). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "store.h"

/* Opens the object for reading and gives its size. */
static int open_object(ps_store *st, const ps_oid *oid, int *fd, uint64_t *size, ps_diag *d)
{
    if (!oid || oid->hash >= PS_HASH_COUNT || oid->len != ps__hash_len(oid->hash))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "not an object id");
    char rel[STORE_PATH_MAX];
    ps__oid_path(oid, rel);
    *fd = ps__open_file(st->root, rel, O_RDONLY);
    struct stat sb;
    if (*fd < 0 || fstat(*fd, &sb)) {
        char id[PS_OID_STR_MAX];
        ps_oid_format(oid, id);
        int code = errno == ENOENT ? PS_E_NOTFOUND : PS_E_IO;
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return ps__diag_set(d, code, NULL, 0, "object %s: %s", id, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "object is not a regular file");
    }
    *size = (uint64_t)sb.st_size;
    return PS_OK;
}

static int mismatch(const ps_oid *want, const ps_oid *got, ps_diag *d)
{
    char a[PS_OID_STR_MAX], b[PS_OID_STR_MAX];
    ps_oid_format(want, a);
    ps_oid_format(got, b);
    return ps__diag_set(d, PS_E_HASH, NULL, 0, "object %s holds bytes that hash to %s", a, b);
}

/* Reads exactly n bytes at the current offset. PS_E_TRUNCATED if the file
 * shrank under us, PS_E_IO on error. */
static int read_exact(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0 ? PS_E_TRUNCATED : PS_E_IO;
        p += k;
        n -= (size_t)k;
    }
    return PS_OK;
}

int ps_store_get(ps_store *st, const ps_oid *oid, int flags, ps_buf *out, ps_diag *d)
{
    int fd;
    uint64_t size;
    int rc = open_object(st, oid, &fd, &size, d);
    if (rc)
        return rc;
    ps_buf_clear(out, 0);
    if (size > SIZE_MAX || (rc = ps_buf_reserve_exact(out, (size_t)size))) {
        close(fd);
        return ps__diag_set(d, size > SIZE_MAX ? PS_E_OVERFLOW : rc, NULL, 0,
                           "cannot hold a %llu-byte object", (unsigned long long)size);
    }
    ps_hasher h;
    int verify = !(flags & PS_READ_NOVERIFY);
    if (verify && (rc = ps__hasher_init(&h, oid->hash))) {
        close(fd);
        return ps__diag_set(d, rc, NULL, 0, "out of memory");
    }
    /* read a chunk, hash it while it is still in cache, go on */
    uint8_t *p = ps_buf_data(out);
    for (uint64_t at = 0; at < size && !rc;) {
        size_t k = size - at < STORE_CHUNK ? (size_t)(size - at) : STORE_CHUNK;
        if (!verify)
            k = (size_t)(size - at); /* one read() for the lot */
        rc = read_exact(fd, p + at, k);
        if (!rc && verify)
            ps__hasher_update(&h, p + at, k);
        at += k;
    }
    close(fd);
    if (rc) {
        if (verify)
            ps__hasher_free(&h);
        return ps__diag_set(d, rc, NULL, 0, "cannot read the object");
    }
    out->len = (size_t)size;
    if (verify) {
        ps_oid got;
        ps__hasher_final(&h, &got);
        if (!ps_oid_equal(&got, oid)) {
            out->len = 0;
            return mismatch(oid, &got, d);
        }
    }
    return PS_OK;
}

/* ------------------------------------------------------------------ map */

struct ps_blob {
    void *data;
    size_t len;
};

int ps_store_map(ps_store *st, const ps_oid *oid, int flags, ps_blob **out, ps_diag *d)
{
    *out = NULL;
    int fd;
    uint64_t size;
    int rc = open_object(st, oid, &fd, &size, d);
    if (rc)
        return rc;
    ps_blob *b = ps_calloc(1, sizeof *b);
    if (!b || size > SIZE_MAX) {
        close(fd);
        free(b);
        return ps__diag_set(d, b ? PS_E_OVERFLOW : PS_E_NOMEM, NULL, 0, "cannot map the object");
    }
    b->len = (size_t)size;
    if (b->len) {
        b->data = mmap(NULL, b->len, PROT_READ, MAP_SHARED, fd, 0);
        if (b->data == MAP_FAILED) {
            rc = ps__io_err(d, PS_E_IO, "cannot map the object");
            close(fd);
            free(b);
            return rc;
        }
    }
    close(fd);
    if (!(flags & PS_READ_NOVERIFY)) {
        ps_oid got;
        if ((rc = ps_oid_of(oid->hash, b->data, b->len, &got)) ||
            (!ps_oid_equal(&got, oid) && (rc = mismatch(oid, &got, d)))) {
            ps_blob_free(b);
            return rc;
        }
    }
    *out = b;
    return PS_OK;
}

ps_bytes ps_blob_bytes(const ps_blob *b)
{
    return ps_bytes_of(b->data, b->len);
}

void ps_blob_free(ps_blob *b)
{
    if (!b)
        return;
    if (b->data)
        munmap(b->data, b->len);
    free(b);
}

/* ------------------------------------------------------------- streaming */

struct ps_store_reader {
    int fd;
    uint64_t size, at;
    ps_oid want;
    ps_hasher h;
    int done;
};

int ps_store_reader_new(ps_store *st, const ps_oid *oid, ps_store_reader **out, ps_diag *d)
{
    *out = NULL;
    ps_store_reader *r = ps_calloc(1, sizeof *r);
    if (!r)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    int rc = open_object(st, oid, &r->fd, &r->size, d);
    if (!rc && (rc = ps__hasher_init(&r->h, oid->hash))) {
        close(r->fd);
        ps__diag_set(d, rc, NULL, 0, "out of memory");
    }
    if (rc) {
        free(r);
        return rc;
    }
    r->want = *oid;
    *out = r;
    return PS_OK;
}

int ps_store_reader_read(ps_store_reader *r, void *buf, size_t cap, size_t *n, ps_diag *d)
{
    *n = 0;
    if (r->done)
        return PS_OK;
    if (r->at < r->size && cap) {
        size_t want = r->size - r->at < cap ? (size_t)(r->size - r->at) : cap;
        ssize_t k;
        do
            k = read(r->fd, buf, want);
        while (k < 0 && errno == EINTR);
        if (k <= 0)
            return ps__diag_set(d, k ? PS_E_IO : PS_E_TRUNCATED, NULL, r->at, "cannot read the object");
        ps__hasher_update(&r->h, buf, (size_t)k);
        r->at += (uint64_t)k;
        *n = (size_t)k;
        return PS_OK;
    }
    r->done = 1; /* the end: the name must match what went by */
    ps_oid got;
    ps__hasher_final(&r->h, &got);
    return ps_oid_equal(&got, &r->want) ? PS_OK : mismatch(&r->want, &got, d);
}

uint64_t ps_store_reader_size(const ps_store_reader *r)
{
    return r->size;
}

void ps_store_reader_free(ps_store_reader *r)
{
    if (!r)
        return;
    close(r->fd);
    if (!r->done)
        ps__hasher_free(&r->h);
    free(r);
}
