/*
 * snap_ranged.c - a snapshot read by byte range from somewhere else (an
 * object in a bucket), a chunk at a time as readers reach it.
 *
 * The whole file's length is reserved as address space, never committed
 * (MAP_NORESERVE): header, index and trailer are read into place, and
 * every other byte reads as zero until the chunk holding it is read. So
 * the reader is the ordinary one, unchanged: open checks the frame
 * against the file checksum, and a chunk is checked by its own checksum
 * when it is decoded, after ps__snap_page_in has read it. Memory is what
 * was read.
 *
 * Reads are serialized on one lock (the reader's transport is one
 * connection); a chunk already read is found without it, through its
 * flag, stored with release after its bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "snap.h"

/* The most one read takes when readers walk chunks in order: the window
 * doubles from one chunk while each chunk wanted follows the last one
 * read, so a scan makes few reads and a lookup reads one chunk. */
#define RANGED_WINDOW_MAX (8u << 20)
/* The most one read takes at all: a span larger than this is read in
 * parts, so no single request runs for minutes. */
#define RANGED_READ_MAX (64u << 20)

struct snap_remote {
    ps_snap_reader r;
    uint8_t *img;       /* the file's image: the mapping s->data points at */
    uint8_t *present;   /* per chunk: 1 once its bytes are in img       */
    pthread_mutex_t mu; /* one read at a time; next, window, counts     */
    uint64_t next;      /* the chunk after the last run read            */
    uint64_t window;    /* bytes the next in-order read may take        */
    uint64_t reads, bytes;
};

static int read_at(snap_remote *m, uint64_t off, uint64_t len, ps_diag *d)
{
    int rc = m->r.read(m->r.arg, off, m->img + off, (size_t)len, d);
    if (!rc) {
        m->reads++;
        m->bytes += len;
    }
    return rc;
}

/* The frame: header, trailer and, between them, the index. */
static int read_frame(snap_remote *m, ps_diag *d)
{
    uint64_t size = m->r.size, tail = size - SNAP_TRAILER;
    int rc = read_at(m, 0, SNAP_HDR, d);
    if (!rc)
        rc = read_at(m, tail, SNAP_TRAILER, d);
    if (rc)
        return rc;
    /* the opener checks what the trailer says; here it only has to name
     * bytes of the file */
    uint64_t at = ps_read_le64(m->img + tail);
    if (at < SNAP_HDR || at > tail)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, tail,
                            "trailer: the index does not end where the trailer starts");
    return at < tail ? read_at(m, at, tail - at, d) : PS_OK;
}

static void remote_free(snap_remote *m, uint64_t size)
{
    if (!m)
        return;
    if (m->img)
        munmap(m->img, (size_t)size);
    if (m->r.done)
        m->r.done(m->r.arg);
    pthread_mutex_destroy(&m->mu);
    free(m->present);
    free(m);
}

int ps_snap_open_reader(const ps_snap_reader *r, ps_snap **out, ps_diag *d)
{
    if (r->size < SNAP_HDR + SNAP_TRAILER) {
        if (r->done)
            r->done(r->arg);
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, r->size,
                            "file too short for a snapshot (%llu bytes)",
                            (unsigned long long)r->size);
    }
    snap_remote *m = ps_calloc(1, sizeof *m);
    if (!m) {
        if (r->done)
            r->done(r->arg);
        return PS_E_NOMEM;
    }
    m->r = *r;
    pthread_mutex_init(&m->mu, NULL);
    void *img = r->size > SIZE_MAX ? MAP_FAILED
                                   : mmap(NULL, (size_t)r->size, PROT_READ | PROT_WRITE,
                                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    int rc = img == MAP_FAILED
                 ? ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot reserve %llu bytes of address "
                                "space for the snapshot", (unsigned long long)r->size)
                 : PS_OK;
    if (!rc) {
        m->img = img;
        rc = read_frame(m, d);
    }
    ps_snap *s = NULL;
    if (!rc)
        rc = ps_snap_open_mem(m->img, (size_t)r->size, &s, d);
    if (!rc && !(m->present = ps_calloc((size_t)s->nchunks + 1, 1)))
        rc = PS_E_NOMEM;
    if (rc) {
        ps_snap_close(s);
        remote_free(m, r->size);
        return rc;
    }
    s->remote = m;
    *out = s;
    return PS_OK;
}

void ps__snap_remote_free(ps_snap *s)
{
    remote_free(s->remote, s->len);
    s->remote = NULL;
}

static int present(const snap_remote *m, uint64_t i)
{
    return __atomic_load_n(&m->present[i], __ATOMIC_ACQUIRE);
}

/* Reads chunks [lo, hi) that are not yet in, a run of adjacent missing
 * ones per read. m->mu held. */
static int read_chunks(const ps_snap *s, uint64_t lo, uint64_t hi, ps_diag *d)
{
    snap_remote *m = s->remote;
    while (lo < hi) {
        while (lo < hi && present(m, lo))
            lo++;
        uint64_t end = lo;
        while (end < hi && !present(m, end) &&
               (end == lo || s->chunks[end].off + s->chunks[end].stored - s->chunks[lo].off <=
                                 RANGED_READ_MAX))
            end++;
        if (lo == end)
            break;
        uint64_t off = s->chunks[lo].off;
        uint64_t len = s->chunks[end - 1].off + s->chunks[end - 1].stored - off;
        int rc = read_at(m, off, len, d);
        if (rc)
            return rc;
        for (uint64_t i = lo; i < end; i++)
            __atomic_store_n(&m->present[i], 1, __ATOMIC_RELEASE);
        m->next = end;
        lo = end;
    }
    return PS_OK;
}

int ps__snap_page_in(const ps_snap *s, uint64_t i, ps_diag *d)
{
    snap_remote *m = s->remote;
    if (present(m, i))
        return PS_OK;
    pthread_mutex_lock(&m->mu);
    int rc = PS_OK;
    if (!present(m, i)) {
        /* in order: the window doubles; else it starts again at one chunk */
        m->window = i == m->next && m->window ? m->window * 2 : s->chunks[i].stored;
        if (m->window > RANGED_WINDOW_MAX)
            m->window = RANGED_WINDOW_MAX;
        uint64_t end = i + 1, start = s->chunks[i].off;
        while (end < s->nchunks && !present(m, end) &&
               s->chunks[end].off + s->chunks[end].stored - start <= m->window)
            end++;
        if ((rc = read_chunks(s, i, end, d)) && d) {
            char why[sizeof d->msg + 32];
            snprintf(why, sizeof why, "cannot read it: %s", d->msg);
            ps__snap_chunk_err(s, i, d, rc, why);
        }
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* The chunks a key starting with prefix can be in: [lo, hi). */
static void span(const ps_snap *s, ps_bytes prefix, uint64_t *lo, uint64_t *hi)
{
    if (!prefix.len) { /* every key */
        *lo = 0;
        *hi = s->nchunks;
        return;
    }
    *lo = ps__snap_find_chunk(s, prefix);
    uint64_t j = *lo + 1;
    while (j < s->nchunks) {
        ps_bytes f = snap_first(s, j);
        if (ps_bytes_cmp(f, prefix) > 0 &&
            (f.len < prefix.len || memcmp(f.ptr, prefix.ptr, prefix.len)))
            break; /* past every key that starts with prefix */
        j++;
    }
    *hi = j;
}

int ps_snap_fetch(ps_snap *s, ps_bytes prefix, ps_diag *d)
{
    if (!s->remote || !s->nchunks)
        return PS_OK;
    uint64_t lo, hi;
    span(s, prefix, &lo, &hi);
    pthread_mutex_lock(&s->remote->mu);
    int rc = read_chunks(s, lo, hi, d);
    pthread_mutex_unlock(&s->remote->mu);
    return rc;
}

void ps_snap_fetched(const ps_snap *s, uint64_t *reads, uint64_t *bytes)
{
    snap_remote *m = s->remote;
    *reads = *bytes = 0;
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    *reads = m->reads;
    *bytes = m->bytes;
    pthread_mutex_unlock(&m->mu);
}
