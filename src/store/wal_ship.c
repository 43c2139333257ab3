/* wal_ship.c - reading whole changes out of the log for a shipper
 * (docs/replication.md): what a bucket's log pieces are made of. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "wal.h"

/* The segment that holds seq (the newest one starting at or before it).
 * PS_E_NOTFOUND when the log starts after it; *seg 0 when the log is
 * empty or has not reached seq yet. */
static int locate(int dirfd, uint64_t seq, uint64_t *seg, ps_diag *d)
{
    uint64_t *v;
    size_t n;
    *seg = 0;
    if (ps__wal_segments(dirfd, &v, &n))
        return ps__io_err(d, PS_E_IO, "cannot list the log");
    int rc = PS_OK;
    if (n && v[0] > seq)
        rc = ps__diag_set(d, PS_E_NOTFOUND, NULL, 0,
                          "the log starts at seq %" PRIu64 ", past %" PRIu64, v[0], seq);
    for (size_t i = 0; !rc && i < n && v[i] <= seq; i++)
        *seg = v[i];
    free(v);
    return rc;
}

/* 1 when a segment after seg exists: seg is sealed, every byte of it
 * written (a segment is made only after the one before is complete). */
static int newer_exists(int dirfd, uint64_t seg)
{
    uint64_t *v;
    size_t n;
    if (ps__wal_segments(dirfd, &v, &n))
        return 0;
    int r = n && v[n - 1] > seg;
    free(v);
    return r;
}

/* One whole record at m[off, size) with sequence c->next: its length, or 0
 * (not whole yet, or not one: the tail being written). */
static uint64_t record_at(const uint8_t *m, uint64_t off, uint64_t size, uint64_t next)
{
    if (size - off < WAL_REC)
        return 0;
    uint64_t len = ps_read_le32(m + off + 4);
    if (len > WAL_MAX_PAYLOAD || size - off < WAL_REC + len ||
        ps_read_le32(m + off) != ps__wal_rec_sum(m + off, (size_t)len) ||
        ps_read_le64(m + off + 8) != next)
        return 0;
    return WAL_REC + len;
}

/* Appends the whole changes of one mapped segment after `after`, from
 * c->off, until out holds max bytes. 1 when the segment's end was reached. */
static int take(const uint8_t *m, uint64_t size, wal_cursor *c, uint64_t after, size_t max,
                ps_buf *out, uint64_t *last)
{
    uint64_t off = c->off, next = c->next, run = off;
    while (off < size && ps_buf_len(out) < max) {
        uint64_t n = record_at(m, off, size, next);
        if (!n)
            return 0;
        int more = m[off + 17] & WAL_F_MORE;
        off += n;
        next++;
        if (more)
            continue;
        /* a whole change: [run, off) */
        if (next - 1 > after) {
            if (!ps_buf_len(out)) {
                uint8_t h[WAL_HDR];
                ps__wal_header(h, ps_read_le64(m + run + 8));
                if (ps_buf_append(out, h, WAL_HDR))
                    return -1;
            }
            if (ps_buf_append(out, m + run, (size_t)(off - run)))
                return -1;
            *last = next - 1;
        }
        c->off = run = off;
        c->next = next;
    }
    return off >= size;
}

/* Reads what segment c->seg holds past c->off. 1: it is sealed and read
 * to its end (the next one follows), 0: stop here, -code: failed. */
static int read_segment(int dirfd, wal_cursor *c, uint64_t after, size_t max, ps_buf *out,
                        uint64_t *last, ps_diag *d)
{
    /* asked before the size is taken: a segment is sealed, all its bytes
     * written, before the next one is made */
    int sealed = newer_exists(dirfd, c->seg);
    char name[32];
    ps__wal_seg_name(c->seg, name);
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        c->seg = 0;
        return e == ENOENT ? 0 : -ps__io_err(d, PS_E_IO, "cannot read the log");
    }
    uint64_t size = (uint64_t)sb.st_size;
    int r = 0;
    if (size > c->off) {
        /* what is shipped is on this disk first: a crash of the machine
         * cannot leave the bucket ahead of the log it restarts from */
        void *m = fdatasync(fd) ? MAP_FAILED : mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return -ps__io_err(d, PS_E_IO, "cannot read the log");
        }
        r = take(m, size, c, after, max, out, last);
        munmap(m, size);
    }
    close(fd);
    if (r < 0)
        return -ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    return sealed && c->off >= size;
}

int ps__wal_ship_read(int dirfd, wal_cursor *c, uint64_t after, size_t max, ps_buf *out,
                      uint64_t *last, ps_diag *d)
{
    ps_buf_clear(out, 0);
    *last = 0;
    if (c->next != after + 1)
        c->seg = 0; /* somewhere else: found again */
    for (int hops = 0; hops < 1000 && ps_buf_len(out) < max; hops++) {
        if (!c->seg) {
            int rc = locate(dirfd, after + 1, &c->seg, d);
            if (rc || !c->seg)
                return rc;
            c->off = WAL_HDR;
            c->next = c->seg;
        }
        int r = read_segment(dirfd, c, after, max, out, last, d);
        if (r < 0)
            return -r;
        if (!r)
            break;
        c->seg = c->next; /* on to the next segment */
        c->off = WAL_HDR;
    }
    return PS_OK;
}

size_t ps__wal_cut(ps_bytes seg, uint64_t upto)
{
    if (seg.len < WAL_HDR)
        return 0;
    uint64_t off = WAL_HDR, keep = WAL_HDR, next = ps_read_le64(seg.ptr + 16);
    while (off < seg.len && next <= upto) {
        uint64_t n = record_at(seg.ptr, off, seg.len, next);
        if (!n)
            break;
        int more = seg.ptr[off + 17] & WAL_F_MORE;
        off += n;
        next++;
        if (!more)
            keep = off; /* a change ends here */
    }
    return (size_t)keep;
}
