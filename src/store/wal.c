/* wal.c - the write-ahead log: appending, syncing, rotating segments, and
 * recovery (the layout is drawn in wal.h and docs/store.md). */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "wal.h"

static const uint8_t MAGIC[8] = { 'P', 'S', 'W', 'A', 'L', 'O', 'G', '\n' };

void ps__wal_seg_name(uint64_t first, char *out)
{
    snprintf(out, 32, "%016" PRIx64 ".log", first);
}

static int seg_parse(const char *name, uint64_t *first)
{
    if (strlen(name) != 20 || strcmp(name + 16, ".log"))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (x < 0)
            return 0;
        v = v << 4 | (uint64_t)x;
    }
    *first = v;
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

PS_VEC_DEFINE(seq_vec, uint64_t)

/* Every segment's first seq, ascending. *v is malloc'd. */
int ps__wal_segments(int dirfd, uint64_t **v, size_t *n)
{
    *v = NULL;
    *n = 0;
    /* a new open file description: a dup() would share (and leave at
     * the end) the directory offset of dirfd */
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return PS_E_IO;
    }
    seq_vec segs = { 0 };
    int rc = PS_OK;
    struct dirent *e;
    uint64_t first;
    while (!rc && (e = readdir(dir)))
        if (seg_parse(e->d_name, &first))
            rc = seq_vec_push(&segs, first);
    closedir(dir);
    if (rc) {
        seq_vec_free(&segs);
        return rc;
    }
    if (segs.len)
        qsort(segs.data, segs.len, sizeof *segs.data, cmp_u64);
    *v = segs.data;
    *n = segs.len;
    return PS_OK;
}

void ps__wal_header(uint8_t *h, uint64_t first)
{
    memset(h, 0, WAL_HDR);
    memcpy(h, MAGIC, 8);
    ps_write_le32(h + 8, WAL_VERSION);
    ps_write_le32(h + 12, WAL_HDR);
    ps_write_le64(h + 16, first);
    ps_write_le32(h + 28, (uint32_t)XXH3_64bits(h, 28));
}

uint32_t ps__wal_rec_sum(const uint8_t *r, size_t len)
{
    return (uint32_t)XXH3_64bits(r + 4, WAL_REC - 4 + len);
}

/* ------------------------------------------------------------- recovery */

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Why a record is refused: the code branches on these, never on text. */
typedef enum rec_fault {
    RF_NONE = 0,
    RF_CUT,      /* header or payload runs past the end of the segment  */
    RF_TOO_LONG, /* a length over WAL_MAX_PAYLOAD that the file holds   */
    RF_CHECKSUM, /* the bytes are not what the checksum says            */
    RF_SEQ,      /* a checked record out of sequence                    */
    RF_OP,       /* a checked record with an op this build does not know */
    RF_RESERVED, /* a checked record with reserved bytes set            */
    RF_SHORT_SET,/* a checked set-value record without its value        */
    RF_BATCH     /* a run of WAL_F_MORE records that a segment ends in   */
} rec_fault;

static const char *const fault_text[] = {
    [RF_NONE] = "",
    [RF_CUT] = "record runs past the end of the segment",
    [RF_TOO_LONG] = "record length over the format's 256 MiB limit",
    [RF_CHECKSUM] = "record checksum mismatch",
    [RF_SEQ] = "record sequence out of order",
    [RF_OP] = "unknown record op (a checked record this build cannot apply)",
    [RF_RESERVED] = "reserved record bytes are not zero",
    [RF_SHORT_SET] = "set-value record without its value",
    [RF_BATCH] = "the segment ends inside a change of several records",
};

/* Checks the record at p (r bytes left in the segment); *len gets its
 * payload length once that much is known. */
static rec_fault check_record(const uint8_t *p, size_t r, uint64_t expect, unsigned version,
                              size_t *len)
{
    if (r < WAL_REC)
        return RF_CUT;
    *len = ps_read_le32(p + 4);
    if (WAL_REC + (uint64_t)*len > r)
        return RF_CUT;
    if (*len > WAL_MAX_PAYLOAD)
        return RF_TOO_LONG;
    if (ps_read_le32(p) != ps__wal_rec_sum(p, *len))
        return RF_CHECKSUM;
    if (ps_read_le64(p + 8) != expect)
        return RF_SEQ;
    if (p[16] < WAL_ADD || p[16] > WAL_SET)
        return RF_OP;
    if (!all_zero(p + 18, 6) || (p[17] & ~(version >= 2 ? WAL_F_MORE : 0)))
        return RF_RESERVED;
    if (p[16] == WAL_SET && *len < 8)
        return RF_SHORT_SET;
    return RF_NONE;
}

/* A crash in the middle of an append can leave only this at the end of the
 * last segment: a record cut short, or one whose bytes did not all arrive
 * (its checksum fails) with nothing but zeros after it (a tail the file
 * system extended but never filled), or zeros alone. Anything else that
 * fails is damage, and a record whose checksum holds was written whole:
 * it is never a torn tail, whatever else is wrong with it. One pass over
 * the bytes after the fault, so recovery stays linear (as SQLite's WAL
 * recovery, which stops at the first bad frame). */
static int torn_tail(const uint8_t *m, uint64_t off, uint64_t size, rec_fault f, size_t len)
{
    if (f == RF_CUT || f == RF_BATCH)
        return 1;
    if (f != RF_CHECKSUM) /* zeros alone can pass a 32-bit checksum only by chance */
        return all_zero(m + off, (size_t)(size - off));
    uint64_t end = off + WAL_REC + len;
    return all_zero(m + end, (size_t)(size - end));
}

static const char *bad_header(const uint8_t *m, uint64_t size, uint64_t first, int *code)
{
    *code = PS_E_CORRUPT;
    if (size < WAL_HDR || memcmp(m, MAGIC, 8))
        return "bad segment header";
    if (ps_read_le32(m + 8) > WAL_VERSION) {
        *code = PS_E_VERSION;
        return "log version is newer than this build's 2";
    }
    if (ps_read_le32(m + 8) < 1 || ps_read_le32(m + 12) != WAL_HDR || ps_read_le32(m + 24) ||
        ps_read_le32(m + 28) != (uint32_t)XXH3_64bits(m, 28))
        return "bad segment header";
    if (ps_read_le64(m + 16) != first)
        return "segment header and name disagree on the first seq";
    return NULL;
}

/* The scan met fault f at off: a torn tail (noted, cut), damage cut under
 * truncate, or the error. */
static int on_fault(const uint8_t *m, uint64_t size, const char *name, int last, wal_scan *s,
                    uint64_t off, rec_fault f, size_t len, uint64_t cut, uint64_t *end,
                    ps_diag *d)
{
    /* cut: where the change holding the fault starts (a change goes whole) */
    *end = cut;
    if (last && torn_tail(m, off, size, f, len)) {
        s->rec->torn = 1;
        s->rec->torn_offset = cut;
        snprintf(s->rec->torn_file, sizeof s->rec->torn_file, "%s", name);
        return PS_OK;
    }
    if (!s->truncate)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, off, "wal/%s at offset %" PRIu64 ": %s", name,
                            off, fault_text[f]);
    s->rec->truncated_bytes += size - cut;
    return PS_OK;
}

/* Applies the checked records in [from, to): one change. */
static int replay(const uint8_t *m, uint64_t from, uint64_t to, const char *name, wal_scan *s,
                  ps_diag *d)
{
    for (uint64_t off = from; off < to;) {
        const uint8_t *p = m + off;
        size_t len = ps_read_le32(p + 4);
        uint64_t seq = ps_read_le64(p + 8);
        if (seq > s->after) {
            wal_op op = { p[16], ps_bytes_of(p + WAL_REC, len), 0, p[17] & WAL_F_MORE };
            if (op.op == WAL_SET) {
                op.value = ps_read_le64(p + WAL_REC);
                op.path = ps_bytes_of(p + WAL_REC + 8, len - 8);
            }
            int rc = s->apply(s->ctx, &op);
            if (rc)
                return ps__diag_set(d, rc, NULL, off, "wal/%s at offset %" PRIu64
                                   ": cannot apply the record", name, off);
            s->rec->replayed++;
        }
        s->rec->last_seq = seq;
        off += WAL_REC + len;
    }
    return PS_OK;
}

int ps__wal_scan_mem(const uint8_t *m, uint64_t size, const char *name, uint64_t first, int last,
                 wal_scan *s, uint64_t *end, ps_diag *d)
{
    int code;
    const char *why;
    *end = size;
    if (size < WAL_HDR && last) { /* made, but the crash came before its header was whole */
        s->rec->torn = 1;
        snprintf(s->rec->torn_file, sizeof s->rec->torn_file, "%s", name);
        *end = 0;
        return PS_OK;
    }
    if ((why = bad_header(m, size, first, &code)))
        return ps__diag_set(d, code, NULL, 0, "wal/%s: %s", name, why);
    if (s->expect && first != s->expect)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 16, "wal/%s: starts at seq %" PRIu64
                           ", expected %" PRIu64 " (a segment is missing)", name, first, s->expect);
    s->expect = first;
    unsigned version = ps_read_le32(m + 8);
    uint64_t run = 0; /* where the change being read started (0: none) */
    for (uint64_t off = WAL_HDR; off < size;) {
        size_t len = 0;
        rec_fault f = check_record(m + off, (size_t)(size - off), s->expect, version, &len);
        if (f) /* a change cut short is cut whole */
            return on_fault(m, size, name, last, s, off, f, len, run ? run : off, end, d);
        const uint8_t *p = m + off;
        uint64_t seq = ps_read_le64(p + 8);
        s->expect = seq + 1;
        off += WAL_REC + len;
        if (p[17] & WAL_F_MORE) {
            run = run ? run : (uint64_t)(p - m);
            continue; /* applied once its last record is read */
        }
        int rc = replay(m, run ? run : (uint64_t)(p - m), off, name, s, d);
        if (rc)
            return rc;
        run = 0;
    }
    if (run) /* the segment ends inside a change: a torn tail, or damage */
        return on_fault(m, size, name, last, s, size, RF_BATCH, 0, run, end, d);
    return PS_OK;
}

/* Maps one segment, scans it, and cuts it where the scan stopped (a torn
 * tail, or damage under truncate); a segment without a whole header goes. */
static int scan_segment(int dirfd, wal_scan *s, uint64_t first, int last, int *stop, ps_diag *d)
{
    char name[32];
    ps__wal_seg_name(first, name);
    int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb)) {
        if (fd >= 0)
            close(fd);
        return ps__diag_set(d, PS_E_IO, NULL, 0, "wal/%s: %s", name, strerror(errno));
    }
    uint64_t size = (uint64_t)sb.st_size, end = size;
    const uint8_t *m = size ? mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
    int rc;
    s->rec->segments++;
    if (m == MAP_FAILED) {
        rc = ps__diag_set(d, PS_E_IO, NULL, 0, "wal/%s: cannot map: %s", name, strerror(errno));
        m = NULL;
    } else {
        rc = ps__wal_scan_mem(m, size, name, first, last, s, &end, d);
    }
    if (m)
        munmap((void *)m, size);
    int headless = end == 0 && size < WAL_HDR; /* even an empty file: it goes */
    if (!rc && (end < size || headless)) {
        *stop = 1;
        if (headless ? unlinkat(dirfd, name, 0) : (ftruncate(fd, (off_t)end) || fdatasync(fd)))
            rc = ps__diag_set(d, PS_E_IO, NULL, end, "wal/%s: cannot cut the log: %s", name,
                             strerror(errno));
    }
    close(fd);
    return rc;
}

/* Removes every segment: what is left of the log after a cut lies wholly
 * inside the checkpoint, and the next append starts a segment of its own. */
static int drop_all(int dirfd, const uint64_t *segs, size_t n, ps_recovery *rec, ps_diag *d)
{
    for (size_t i = 0; i < n; i++) {
        char name[32];
        struct stat sb;
        ps__wal_seg_name(segs[i], name);
        if (!fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW))
            rec->truncated_bytes += (uint64_t)sb.st_size;
        if (unlinkat(dirfd, name, 0) && errno != ENOENT)
            return ps__diag_set(d, PS_E_IO, NULL, 0, "wal/%s: cannot remove: %s", name,
                                strerror(errno));
    }
    return PS_OK;
}

int ps__wal_recover(int dirfd, uint64_t after, int truncate, wal_apply_fn apply, void *ctx,
                ps_recovery *rec, ps_diag *d)
{
    uint64_t *segs;
    size_t n;
    int rc = ps__wal_segments(dirfd, &segs, &n);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "cannot list the log");
    wal_scan s = { after, 0, truncate, apply, ctx, rec };
    rec->last_seq = after;
    if (n && segs[0] > after + 1)
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "the log starts at seq %" PRIu64
                         " but the checkpoint covers only up to %" PRIu64, segs[0], after);
    int stop = 0;
    size_t i = 0;
    for (; i < n && !rc && !stop; i++)
        rc = scan_segment(dirfd, &s, segs[i], i + 1 == n, &stop, d);
    /* truncate: whatever follows the cut is gone too */
    for (; i < n && !rc && stop; i++) {
        char name[32];
        struct stat sb;
        ps__wal_seg_name(segs[i], name);
        if (!fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW))
            rec->truncated_bytes += (uint64_t)sb.st_size;
        if (unlinkat(dirfd, name, 0))
            rc = ps__diag_set(d, PS_E_IO, NULL, 0, "wal/%s: cannot remove: %s", name,
                              strerror(errno));
    }
    /* the checkpoint's log position must lie inside the log: one past its
     * end would skip, unseen, records that were acknowledged */
    uint64_t log_end = s.expect ? s.expect - 1 : after;
    if (!rc && n && after > log_end && !(truncate && stop))
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "the checkpoint holds the log up to seq %"
                          PRIu64 ", but the log ends at seq %" PRIu64 ": its log position is "
                          "wrong (a damaged or forged checkpoint)", after, log_end);
    else if (!rc && n && after > log_end) /* cut inside what the checkpoint holds */
        rc = drop_all(dirfd, segs, n, rec, d);
    if (!rc && rec->last_seq < after)
        rec->last_seq = after;
    free(segs);
    return rc;
}

/* -------------------------------------------------------------- appending */

struct wal {
    int dirfd, fd;
    int mode;
    atomic_int broken;   /* the log no longer speaks for memory: the one
                          * "the log failed" state (read from any thread) */
    int err;             /* the errno of the last failed write or sync */
    uint64_t next;       /* seq of the next record                     */
    uint64_t size;       /* bytes in the current segment               */
    ps_buf rec;          /* records staged for the next write, encoded */
    uint64_t staged;     /* how many                                   */
    size_t last_rec;     /* where the last one staged starts in rec    */
    pthread_mutex_t mu;  /* fd vs the everysec thread                  */
    pthread_cond_t cv;
    pthread_t th;
    int running, dirty;
    _Atomic uint64_t hold; /* segments with records past it stay (a shipper's) */
};

static int seg_start(wal *w, uint64_t first)
{
    char name[32];
    uint8_t h[WAL_HDR];
    ps__wal_seg_name(first, name);
    ps__wal_header(h, first);
    int fd = openat(w->dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, h, WAL_HDR) != WAL_HDR || fdatasync(fd) || fsync(w->dirfd)) {
        int e = errno;
        close(fd);
        unlinkat(w->dirfd, name, 0);
        errno = e;
        return -1;
    }
    w->fd = fd;
    w->size = WAL_HDR;
    return 0;
}

static void *everysec(void *arg)
{
    wal *w = arg;
    pthread_mutex_lock(&w->mu);
    while (w->running) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += 1;
        pthread_cond_timedwait(&w->cv, &w->mu, &t);
        if (w->dirty && w->fd >= 0) {
            w->dirty = 0;
            fdatasync(w->fd);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int ps__wal_open(int dirfd, uint64_t next_seq, int fsync_mode, wal **out, ps_diag *d)
{
    *out = NULL;
    wal *w = ps_calloc(1, sizeof *w);
    if (!w)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    w->dirfd = dirfd;
    w->fd = -1;
    w->mode = fsync_mode;
    w->next = next_seq;
    atomic_store(&w->hold, UINT64_MAX);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    uint64_t *segs;
    size_t n;
    int rc = ps__wal_segments(dirfd, &segs, &n);
    if (!rc && n) { /* recovery left the last one whole: append to it */
        char name[32];
        ps__wal_seg_name(segs[n - 1], name);
        w->fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        struct stat sb;
        if (w->fd >= 0 && !fstat(w->fd, &sb) && sb.st_size >= WAL_HDR)
            w->size = (uint64_t)sb.st_size;
        else
            rc = PS_E_IO;
        if (w->fd >= 0 && lseek(w->fd, 0, SEEK_END) < 0)
            rc = PS_E_IO;
    } else if (!rc && seg_start(w, next_seq)) {
        rc = PS_E_IO;
    }
    free(segs);
    if (!rc && fsync_mode == PS_FSYNC_EVERYSEC) {
        w->running = 1;
        if (pthread_create(&w->th, NULL, everysec, w))
            w->running = 0, rc = PS_E_NOMEM;
    }
    if (rc) {
        ps__diag_set(d, rc, NULL, 0, "cannot open the log for appending: %s", strerror(errno));
        ps__wal_close(w);
        return rc;
    }
    *out = w;
    return PS_OK;
}

void ps__wal_close(wal *w)
{
    if (!w)
        return;
    if (w->running) {
        pthread_mutex_lock(&w->mu);
        w->running = 0;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
    }
    if (w->fd >= 0) {
        if (w->mode != PS_FSYNC_NEVER)
            fdatasync(w->fd);
        close(w->fd);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    ps_buf_free(&w->rec);
    free(w);
}

void ps__wal_abandon(wal *w)
{
    if (w)
        w->mode = PS_FSYNC_NEVER;
    ps__wal_close(w);
}

int ps__wal_encode(ps_buf *out, uint64_t seq, const wal_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t extra = ops[i].op == WAL_SET ? 8 : 0, len = ops[i].path.len + extra;
        if (len > WAL_MAX_PAYLOAD)
            return PS_E_LIMIT;
        int rc;
        uint8_t *r = ps_buf_append_uninit(out, WAL_REC + len, &rc);
        if (!r)
            return rc;
        memset(r, 0, WAL_REC);
        ps_write_le32(r + 4, (uint32_t)len);
        ps_write_le64(r + 8, seq + i);
        r[16] = (uint8_t)ops[i].op;
        r[17] = ops[i].flags;
        if (extra)
            ps_write_le64(r + WAL_REC, ops[i].value);
        if (ops[i].path.len)
            memcpy(r + WAL_REC + extra, ops[i].path.ptr, ops[i].path.len);
        ps_write_le32(r, ps__wal_rec_sum(r, len));
    }
    return PS_OK;
}

int ps__wal_stage(wal *w, const wal_op *ops, size_t n)
{
    if (ps__wal_broken(w))
        return PS_E_IO;
    size_t before = w->rec.len;
    int rc = ps__wal_encode(&w->rec, w->next + w->staged, ops, n);
    if (rc) {
        w->rec.len = before; /* whole records only */
        return rc;
    }
    w->staged += n;
    size_t at = before; /* the last record's start, for stage_end */
    for (size_t i = 0; i + 1 < n; i++)
        at += WAL_REC + ps_read_le32(ps_buf_data(&w->rec) + at + 4);
    w->last_rec = at;
    return PS_OK;
}

void ps__wal_stage_end(wal *w)
{
    if (!w->staged)
        return;
    uint8_t *r = ps_buf_data(&w->rec) + w->last_rec;
    r[17] &= (uint8_t)~WAL_F_MORE;
    ps_write_le32(r, ps__wal_rec_sum(r, ps_read_le32(r + 4)));
}

/* Writes the staged records with one write() (and one fdatasync under
 * PS_FSYNC_ALWAYS). On failure the file is cut back to its last whole
 * record; `applied` says the caller already applied the records, so the
 * log can no longer speak for memory and takes no more. */
static int write_staged(wal *w, int applied)
{
    const uint8_t *p = ps_buf_data(&w->rec);
    size_t len = w->rec.len, done = 0;
    while (done < len) {
        ssize_t k = write(w->fd, p + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->err = k < 0 ? errno : ENOSPC; /* a write of 0 bytes: the device is full */
            break;
        }
        done += (size_t)k;
    }
    if (done == len && w->mode == PS_FSYNC_ALWAYS && fdatasync(w->fd)) {
        w->err = errno;
        done = 0; /* not durable: not acknowledged */
    }
    ps_buf_clear(&w->rec, 0);
    uint64_t n = w->staged;
    w->staged = 0;
    if (done != len) {
        /* undo: the log must end on a whole record, as before the call */
        int cut = ftruncate(w->fd, (off_t)w->size) == 0 &&
                  lseek(w->fd, (off_t)w->size, SEEK_SET) >= 0;
        if (applied || !cut)
            ps__wal_break(w, 0);
        return PS_E_IO;
    }
    w->size += len;
    w->next += n;
    if (w->mode == PS_FSYNC_EVERYSEC) {
        pthread_mutex_lock(&w->mu);
        w->dirty = 1;
        pthread_mutex_unlock(&w->mu);
    }
    return PS_OK;
}

int ps__wal_commit(wal *w)
{
    assert(!w->staged == !w->rec.len); /* staged records, and only they, are encoded */
    if (ps__wal_broken(w))
        return PS_E_IO;
    return w->staged ? write_staged(w, 1) : PS_OK;
}

int ps__wal_broken(const wal *w)
{
    return atomic_load_explicit(&w->broken, memory_order_acquire);
}

void ps__wal_break(wal *w, int err)
{
    if (err && !w->err)
        w->err = err;
    atomic_store_explicit(&w->broken, 1, memory_order_release);
}

int ps__wal_errno(const wal *w)
{
    return w->err;
}

uint64_t ps__wal_staged(const wal *w)
{
    return w->staged;
}

int ps__wal_append(wal *w, const wal_op *ops, size_t n)
{
    if (ps__wal_broken(w))
        return PS_E_IO;
    if (!n)
        return PS_OK;
    int applied = w->staged != 0; /* staged records were applied by their caller */
    int rc = ps__wal_stage(w, ops, n);
    return rc ? rc : write_staged(w, applied);
}

int ps__wal_sync(wal *w)
{
    return fdatasync(w->fd) ? PS_E_IO : PS_OK;
}

uint64_t ps__wal_last_seq(const wal *w)
{
    return w->next - 1;
}

int ps__wal_rotate(wal *w, ps_diag *d)
{
    if (ps__wal_commit(w)) /* staged records belong to the segment ending */
        return ps__diag_set(d, PS_E_IO, NULL, 0, "cannot write the log");
    pthread_mutex_lock(&w->mu);
    int rc = PS_OK;
    int old = w->fd;
    if (fdatasync(old) || seg_start(w, w->next)) {
        rc = ps__diag_set(d, PS_E_IO, NULL, 0, "cannot start a log segment: %s", strerror(errno));
        w->fd = old;
    } else {
        close(old);
        w->dirty = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int ps__wal_drop_through(wal *w, uint64_t seq)
{
    uint64_t *segs;
    size_t n;
    int rc = ps__wal_segments(w->dirfd, &segs, &n);
    uint64_t hold = atomic_load(&w->hold);
    seq = seq < hold ? seq : hold;
    /* segment i holds [segs[i], segs[i+1]); the last one is never dropped */
    for (size_t i = 0; !rc && i + 1 < n && segs[i + 1] <= seq + 1; i++) {
        char name[32];
        ps__wal_seg_name(segs[i], name);
        if (unlinkat(w->dirfd, name, 0))
            rc = PS_E_IO;
    }
    if (!rc && n > 1 && fsync(w->dirfd))
        rc = PS_E_IO;
    free(segs);
    return rc;
}

void ps__wal_hold(wal *w, uint64_t seq)
{
    atomic_store(&w->hold, seq);
}

int ps__wal_restart(wal *w, uint64_t next, ps_diag *d)
{
    if (ps__wal_commit(w))
        return ps__diag_set(d, PS_E_IO, NULL, 0, "cannot write the log");
    pthread_mutex_lock(&w->mu);
    uint64_t *segs;
    size_t n;
    int rc = ps__wal_segments(w->dirfd, &segs, &n) ? PS_E_IO : PS_OK;
    int old = w->fd;
    for (size_t i = 0; !rc && i < n; i++) { /* a checkpoint holds all of them now */
        char name[32];
        ps__wal_seg_name(segs[i], name);
        if (unlinkat(w->dirfd, name, 0) && errno != ENOENT)
            rc = PS_E_IO;
    }
    free(segs);
    if (!rc && seg_start(w, next))
        rc = PS_E_IO;
    if (rc) {
        w->fd = old == w->fd ? old : w->fd;
        pthread_mutex_unlock(&w->mu);
        return ps__diag_set(d, PS_E_IO, NULL, 0, "cannot start the log again: %s", strerror(errno));
    }
    if (old >= 0 && old != w->fd)
        close(old);
    w->next = next;
    w->dirty = 0;
    pthread_mutex_unlock(&w->mu);
    return PS_OK;
}
