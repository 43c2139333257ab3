/* store_put.c - writing objects: temp file, hash in the same pass, fsync,
 * atomic rename, fsync of the directory; a failure at any step removes the
 * temp file and names the step.
 *
 * Hashing is the slow part (SHA-256 ~0.4 GB/s here, against ~1.1 GB/s for
 * write+fsync), so a large in-memory put hashes on a second thread while
 * this one writes, and durable writes start writeback per chunk
 * (sync_file_range) so the final fdatasync waits only for the tail. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "store.h"

#define PUT_THREAD_MIN (1u << 20) /* below this a thread costs more than it saves */

struct ps_store_writer {
    ps_store *st;
    int fd;
    int err;             /* first write error (errno), sticky */
    uint64_t off;        /* bytes written to fd              */
    uint64_t kicked;     /* writeback started up to here     */
    ps_hasher h;
    uint8_t *stage;      /* STORE_CHUNK bytes                */
    size_t staged;
    char name[32];
};

/* Starts writeback of what is written so far without waiting for it. */
static void kick(ps_store *st, int fd, uint64_t *kicked, uint64_t off)
{
    if (st->opts.nosync || off - *kicked < STORE_CHUNK)
        return;
    sync_file_range(fd, (off64_t)*kicked, (off64_t)(off - *kicked), SYNC_FILE_RANGE_WRITE);
    *kicked = off;
}

/* Writes n bytes in chunks, kicking writeback; hashes them too if h. */
static int write_chunks(ps_store *st, int fd, const uint8_t *p, size_t n, ps_hasher *h,
                        uint64_t *off, uint64_t *kicked)
{
    while (n) {
        size_t k = n < STORE_CHUNK ? n : STORE_CHUNK;
        if (h)
            ps__hasher_update(h, p, k); /* then write it while it is in cache */
        if (ps__write_all(fd, p, k))
            return -1;
        *off += k;
        kick(st, fd, kicked, *off);
        p += k;
        n -= k;
    }
    return 0;
}

/* ------------------------------------------------------- streaming writer */

int ps_store_writer_new(ps_store *st, ps_store_writer **out, ps_diag *d)
{
    *out = NULL;
    ps_store_writer *w = ps_calloc(1, sizeof *w);
    if (!w)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    w->st = st;
    w->fd = -1;
    w->stage = ps_malloc(STORE_CHUNK);
    int rc = w->stage ? ps__hasher_init(&w->h, st->opts.hash) : PS_E_NOMEM;
    if (rc) {
        free(w->stage);
        free(w);
        return ps__diag_set(d, rc, NULL, 0, "out of memory");
    }
    w->fd = ps__temp_create(st, w->name);
    if (w->fd < 0) {
        rc = ps__io_err(d, PS_E_IO, "cannot create a temp file");
        w->name[0] = 0;
        ps_store_writer_free(w);
        return rc;
    }
    *out = w;
    return PS_OK;
}

static int flush_stage(ps_store_writer *w)
{
    if (w->staged && !w->err &&
        write_chunks(w->st, w->fd, w->stage, w->staged, &w->h, &w->off, &w->kicked))
        w->err = errno;
    w->staged = 0;
    return w->err ? PS_E_IO : PS_OK;
}

int ps_store_writer_write(ps_store_writer *w, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (w->err)
        return PS_E_IO;
    if (!w->staged && len >= STORE_CHUNK) { /* large and aligned: no copy */
        size_t whole = len - len % STORE_CHUNK;
        if (write_chunks(w->st, w->fd, p, whole, &w->h, &w->off, &w->kicked)) {
            w->err = errno;
            return PS_E_IO;
        }
        p += whole;
        len -= whole;
    }
    while (len) {
        size_t k = STORE_CHUNK - w->staged < len ? STORE_CHUNK - w->staged : len;
        memcpy(w->stage + w->staged, p, k);
        w->staged += k;
        p += k;
        len -= k;
        if (w->staged == STORE_CHUNK && flush_stage(w))
            return PS_E_IO;
    }
    return PS_OK;
}

static int sink_write(void *ctx, const void *data, size_t len)
{
    return ps_store_writer_write(ctx, data, len);
}

ps_sink ps_store_writer_sink(ps_store_writer *w)
{
    return (ps_sink){ sink_write, NULL, w };
}

/* Syncs and publishes the temp file, then closes it; removes it on any
 * failure. It is renamed while still open, so its lock is held until it
 * is an object (a sweep never takes a temp file that is about to be
 * published), and the rename happens under the store's shared lock. */
static int seal(ps_store *st, int *fd, const char *name, const ps_oid *oid, int synced,
                int *added, ps_diag *d)
{
    int rc = PS_OK;
    if (!synced && ps__sync_fd(st, *fd))
        rc = ps__io_err(d, PS_E_IO, "cannot fsync the temp file");
    if (!rc) {
        char dir[STORE_PATH_MAX], rel[STORE_PATH_MAX];
        ps__oid_dir(oid, dir);
        ps__oid_path(oid, rel);
        int dummy, lk = ps__store_shared(st);
        rc = ps__publish(st, name, dir, rel, added ? added : &dummy, d);
        ps__store_unlock(lk);
    } else {
        unlinkat(st->temp, name, 0);
    }
    if (close(*fd) && !rc)
        rc = ps__io_err(d, PS_E_IO, "cannot close the published object");
    *fd = -1;
    return rc;
}

int ps_store_writer_finish(ps_store_writer *w, ps_oid *oid, int *added, ps_diag *d)
{
    if (flush_stage(w)) {
        errno = w->err;
        int rc = ps__io_err(d, PS_E_IO, "cannot write the temp file");
        ps_store_writer_free(w);
        return rc;
    }
    ps__hasher_final(&w->h, oid);
    int rc = seal(w->st, &w->fd, w->name, oid, 0, added, d);
    w->name[0] = 0; /* published or removed by seal */
    ps_store_writer_free(w);
    return rc;
}

void ps_store_writer_free(ps_store_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->name[0])
        unlinkat(w->st->temp, w->name, 0);
    ps__hasher_free(&w->h);
    free(w->stage);
    free(w);
}

/* ------------------------------------------------------- in-memory put */

typedef struct hash_job {
    const void *data;
    size_t len;
    int hash;
    ps_oid oid;
    int rc;
} hash_job;

static void *hash_main(void *arg)
{
    hash_job *j = arg;
    j->rc = ps_oid_of(j->hash, j->data, j->len, &j->oid);
    return NULL;
}

int ps_store_put(ps_store *st, const void *data, size_t len, ps_oid *oid, int *added,
                 ps_diag *d)
{
    int dummy;
    added = added ? added : &dummy;
    *added = 0;
    hash_job job = { data, len, st->opts.hash, { 0 }, PS_OK };
    pthread_t th;
    int threaded = len >= PUT_THREAD_MIN && st->opts.hash != PS_HASH_XXH128 &&
                   pthread_create(&th, NULL, hash_main, &job) == 0;
    if (!threaded) {
        /* the hash first: an object already present costs no write at all */
        hash_main(&job);
        if (job.rc)
            return ps__diag_set(d, job.rc, NULL, 0, "out of memory");
        *oid = job.oid;
        /* present already: touched under the lock, so gc (which holds it
         * alone) either ran before and removed it, or spares it now */
        int lk = ps__store_shared(st);
        int present = ps__store_touch(st, oid) == 0;
        ps__store_unlock(lk);
        if (present)
            return PS_OK;
    }
    char name[32];
    int fd = ps__temp_create(st, name);
    int rc = PS_OK;
    uint64_t off = 0, kicked = 0;
    if (fd < 0)
        rc = ps__io_err(d, PS_E_IO, "cannot create a temp file");
    else if (write_chunks(st, fd, data, len, NULL, &off, &kicked))
        rc = ps__io_err(d, PS_E_IO, "cannot write the temp file");
    else if (threaded && ps__sync_fd(st, fd)) /* overlaps the hash */
        rc = ps__io_err(d, PS_E_IO, "cannot fsync the temp file");
    if (threaded) {
        pthread_join(th, NULL);
        if (!rc && job.rc)
            rc = ps__diag_set(d, job.rc, NULL, 0, "out of memory");
        *oid = job.oid;
    }
    if (rc) {
        if (fd >= 0) {
            close(fd);
            unlinkat(st->temp, name, 0);
        }
        return rc;
    }
    return seal(st, &fd, name, oid, threaded, added, d);
}
