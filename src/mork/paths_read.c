/*
 * paths_read.c - the .paths reader: streaming inflate (isa-l, which checks
 * the zlib or gzip wrapper and its checksum, at ~2x zlib's speed) and record
 * framing over a fixed output window.
 *
 * Records that fit the window are returned in place (zero-copy); the
 * unfinished tail is moved to the front before the next inflate. A record
 * larger than the window is assembled in a side buffer that grows only as
 * its bytes arrive, so a hostile length field costs nothing. Unlike MORK,
 * every way the stream can end badly is an error: cut or corrupt deflate
 * data, a wrong checksum, a record longer than what follows, or bytes after
 * the stream.
 *
 * The reader limits (ps_limits_set) bound what a small file can make it
 * do: a record longer than max_atom is refused before a byte of it is kept,
 * and the records may add up to the decoding budget of the file's size (of
 * what has been read so far, from a pipe), so a compression bomb stops
 * early instead of filling memory.
 */
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/limits.h"
#include "pathspace.h"

#define WIN (256u << 10) /* output window */
#define INBLK (256u << 10)

struct ps_paths_reader {
    struct inflate_state z;
    const uint8_t *in; /* memory mode: the whole file */
    size_t in_len;
    int fd; /* fd mode: read INBLK blocks into inbuf */
    uint8_t *inbuf;
    uint64_t in_base; /* compressed offset of the block in z */
    int in_eof, finished, gzip, err, read_err;
    ps_diag errd;
    uint8_t *win;
    size_t pos, end;   /* unread window bytes [pos, end) */
    uint64_t out_base; /* decompressed offset of win[0] */
    ps_buf big;
    ps_paths_stats st;
    uint64_t max_atom;    /* the reader limits, taken at creation       */
    uint64_t file_size;   /* 0: unknown (a pipe); the budget follows in_off */
    uint64_t used;        /* charged to the decoding budget so far       */
};

static int fail(ps_paths_reader *r, ps_diag *d, int code, uint64_t off, const char *why,
                uint64_t rec_off)
{
    r->err = ps__diag_set(&r->errd, code, NULL, off, "%s (record %llu, decompressed offset %llu)",
                         why, (unsigned long long)r->st.paths,
                         (unsigned long long)rec_off);
    if (d)
        *d = r->errd;
    return code;
}

static uint64_t in_off(const ps_paths_reader *r)
{
    const uint8_t *base = r->inbuf ? r->inbuf : r->in;
    return r->in_base + (uint64_t)(r->z.next_in - base);
}

static void start_member(ps_paths_reader *r)
{
    isal_inflate_reset(&r->z);
    r->z.crc_flag = r->gzip ? ISAL_GZIP : ISAL_ZLIB;
}

static int alloc_reader(ps_paths_reader **rp)
{
    ps_paths_reader *r = ps_calloc(1, sizeof *r);
    if (!r || !(r->win = ps_malloc(WIN))) {
        free(r);
        return PS_E_NOMEM;
    }
    isal_inflate_init(&r->z);
    r->fd = -1;
    r->max_atom = ps__max_atom();
    *rp = r;
    return PS_OK;
}

int ps_paths_reader_new(const void *data, size_t len, ps_paths_reader **rp)
{
    ps_paths_reader *r;
    int rc = alloc_reader(&r);
    if (rc)
        return rc;
    r->in = data;
    r->in_len = len;
    r->file_size = len;
    r->in_eof = 1;
    r->gzip = len >= 2 && r->in[0] == 0x1F && r->in[1] == 0x8B;
    start_member(r);
    r->z.next_in = (uint8_t *)r->in;
    r->z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    *rp = r;
    return PS_OK;
}

/* Refills the input block (fd mode). 0 bytes = end of file. */
static int read_block(ps_paths_reader *r)
{
    r->in_base += (uint64_t)(r->z.next_in - r->inbuf);
    size_t keep = r->z.avail_in;
    memmove(r->inbuf, r->z.next_in, keep);
    ssize_t n;
    do
        n = read(r->fd, r->inbuf + keep, INBLK - keep);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return PS_E_IO;
    r->in_eof = n == 0;
    r->z.next_in = r->inbuf;
    r->z.avail_in = (uint32_t)(keep + (size_t)n);
    return PS_OK;
}

int ps_paths_reader_new_fd(int fd, ps_paths_reader **rp)
{
    ps_paths_reader *r;
    int rc = alloc_reader(&r);
    if (rc)
        return rc;
    if (!(r->inbuf = ps_malloc(INBLK))) {
        ps_paths_reader_free(r);
        return PS_E_NOMEM;
    }
    r->fd = fd;
    struct stat sb;
    if (!fstat(fd, &sb) && S_ISREG(sb.st_mode) && sb.st_size > 0)
        r->file_size = (uint64_t)sb.st_size;
    r->z.next_in = r->inbuf;
    if ((rc = read_block(r)) == PS_OK) {
        while (r->z.avail_in < 2 && !r->in_eof && !(rc = read_block(r)))
            ;
    }
    if (rc) {
        ps_paths_reader_free(r);
        return rc;
    }
    r->gzip = r->z.avail_in >= 2 && r->inbuf[0] == 0x1F && r->inbuf[1] == 0x8B;
    start_member(r);
    *rp = r;
    return PS_OK;
}

/* In memory mode, input beyond 4 GiB is fed in UINT32_MAX slices. */
static void feed_mem(ps_paths_reader *r)
{
    size_t used = (size_t)(r->z.next_in - r->in);
    size_t left = r->in_len - used;
    r->z.avail_in = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

static int have_more_input(ps_paths_reader *r)
{
    if (r->z.avail_in)
        return 1;
    if (r->inbuf && !r->in_eof) {
        if (read_block(r) != PS_OK) {
            r->read_err = 1;
            return 0;
        }
        return r->z.avail_in > 0;
    }
    if (!r->inbuf)
        feed_mem(r);
    return r->z.avail_in > 0;
}

/* The stream ended. isa-l reads ahead into its bit buffer, so first give
 * back the whole bytes it took past the end; then only another gzip member
 * may follow. */
static int stream_end(ps_paths_reader *r, ps_diag *d)
{
    uint32_t ahead = r->z.read_in_length > 0 ? (uint32_t)r->z.read_in_length / 8 : 0;
    const uint8_t *base = r->inbuf ? r->inbuf : r->in;
    uint64_t end = in_off(r) - ahead;
    if (ahead > (uint64_t)(r->z.next_in - base))
        return fail(r, d, PS_E_CORRUPT, end, "bytes after the end of the compressed stream",
                    r->out_base + r->end);
    r->z.next_in -= ahead;
    r->z.avail_in += ahead;
    r->z.read_in = 0;
    r->z.read_in_length = 0;
    if (!have_more_input(r)) {
        if (r->read_err)
            return fail(r, d, PS_E_IO, in_off(r), "read error", r->out_base + r->end);
        r->finished = 1;
        return PS_OK;
    }
    if (r->gzip && r->z.avail_in >= 2 && r->z.next_in[0] == 0x1F && r->z.next_in[1] == 0x8B) {
        uint8_t *next = r->z.next_in;
        uint32_t avail = r->z.avail_in;
        start_member(r);
        r->z.next_in = next;
        r->z.avail_in = avail;
        return PS_OK;
    }
    return fail(r, d, PS_E_CORRUPT, in_off(r), "bytes after the end of the compressed stream",
                r->out_base + r->end);
}

static const char *inflate_why(int rc)
{
    switch (rc) {
    case ISAL_INVALID_WRAPPER:
        return "not a zlib or gzip stream (bad header)";
    case ISAL_UNSUPPORTED_METHOD:
        return "compression method is not deflate";
    case ISAL_NEED_DICT:
        return "stream needs a preset dictionary";
    case ISAL_INCORRECT_CHECKSUM:
        return "checksum mismatch: the data is damaged";
    default:
        return "corrupt deflate data";
    }
}

/* Inflates into win[end, WIN) until at least one byte arrives or the stream
 * ends. */
static int inflate_more(ps_paths_reader *r, ps_diag *d)
{
    size_t before = r->end;
    int stalls = 0;
    while (r->end == before && !r->finished) {
        if (r->z.block_state == ISAL_BLOCK_FINISH) {
            if (stream_end(r, d))
                return r->err;
            continue;
        }
        have_more_input(r);
        r->z.next_out = r->win + r->end;
        r->z.avail_out = (uint32_t)(WIN - r->end);
        uint64_t in_before = in_off(r);
        int zr = isal_inflate(&r->z);
        if (zr < 0)
            return fail(r, d, zr == ISAL_INCORRECT_CHECKSUM ? PS_E_CHECKSUM : PS_E_CORRUPT,
                        in_off(r), inflate_why(zr), r->out_base + r->end);
        r->end = WIN - r->z.avail_out;
        /* no input taken, no output given, more than once: the input is
         * exhausted (isa-l may settle buffered bits in between) */
        int moved = r->end != before || in_off(r) != in_before ||
                    r->z.block_state == ISAL_BLOCK_FINISH;
        stalls = moved ? 0 : stalls + 1;
        if (stalls > 2 && !have_more_input(r))
            return fail(r, d, r->read_err ? PS_E_IO : PS_E_TRUNCATED, in_off(r),
                        r->read_err ? "read error" : "compressed stream ends early",
                        r->out_base + r->end);
    }
    return PS_OK;
}

/* A record longer than the window: gather it in r->big. */
static int next_big(ps_paths_reader *r, uint32_t len, ps_bytes *path, ps_diag *d)
{
    uint64_t rec_off = r->out_base + r->pos;
    ps_buf_clear(&r->big, 0);
    r->pos += 4;
    for (;;) {
        size_t want = len - r->big.len, avail = r->end - r->pos;
        size_t k = want < avail ? want : avail;
        if (ps_buf_append(&r->big, r->win + r->pos, k))
            return fail(r, d, PS_E_NOMEM, in_off(r), "out of memory", rec_off);
        r->pos += k;
        if (r->big.len == len)
            break;
        r->out_base += r->end;
        r->pos = r->end = 0;
        if (inflate_more(r, d))
            return r->err;
        if (r->finished && r->end == 0)
            return fail(r, d, PS_E_TRUNCATED, in_off(r), "record runs past the end of the data",
                        rec_off);
    }
    *path = ps_buf_bytes(&r->big);
    return PS_OK;
}

int ps_paths_reader_next(ps_paths_reader *r, ps_bytes *path, ps_diag *d)
{
    if (r->err) {
        if (d)
            *d = r->errd;
        return r->err;
    }
    for (;;) {
        size_t avail = r->end - r->pos;
        uint32_t len = avail >= 4 ? ps_read_le32(r->win + r->pos) : 0;
        if (avail >= 4 && len > r->max_atom)
            return fail(r, d, PS_E_LIMIT, in_off(r),
                        "record longer than the atom limit (raise it with --max-atom)",
                        r->out_base + r->pos);
        if (avail >= 4 && avail - 4 >= len) {
            *path = ps_bytes_of(r->win + r->pos + 4, len);
            r->pos += 4 + (size_t)len;
            break;
        }
        if (avail >= 4 && len > WIN - 4) {
            if (next_big(r, len, path, d))
                return r->err;
            break;
        }
        if (r->finished) {
            if (!avail)
                return PS_E_EMPTY;
            return fail(r, d, PS_E_TRUNCATED, in_off(r),
                        avail < 4 ? "data ends inside a record's length"
                                  : "record runs past the end of the data",
                        r->out_base + r->pos);
        }
        memmove(r->win, r->win + r->pos, avail);
        r->out_base += r->pos;
        r->pos = 0;
        r->end = avail;
        if (inflate_more(r, d))
            return r->err;
    }
    uint64_t input = r->file_size ? r->file_size : in_off(r);
    if (!ps__budget_charge(&r->used, ps__budget(input), path->len))
        return fail(r, d, PS_E_LIMIT, in_off(r),
                    "the records add up to more than the decoding budget for a file this size "
                    "(raise it with --max-expansion)",
                    r->st.raw_bytes);
    r->st.paths++;
    r->st.raw_bytes += 4 + path->len;
    return PS_OK;
}

void ps_paths_reader_stats(const ps_paths_reader *r, ps_paths_stats *st)
{
    *st = r->st;
    st->file_bytes = in_off(r);
}

void ps_paths_reader_free(ps_paths_reader *r)
{
    if (!r)
        return;
    free(r->inbuf);
    free(r->win);
    ps_buf_free(&r->big);
    free(r);
}

int ps_space_read_paths(ps_space *s, ps_paths_reader *r, ps_diag *d)
{
    ps_builder *b = NULL;
    ps_bytes p;
    int rc;
    if (ps_space_count(s) == 0 && (rc = ps_builder_new(s, &b)))
        return rc;
    while ((rc = ps_paths_reader_next(r, &p, d)) == PS_OK) {
        if (b && (rc = ps_builder_add(b, p)) == PS_E_INVAL) {
            ps_builder_free(b); /* not sorted (e.g. .upaths): insert the rest */
            b = NULL;
        }
        if (!b)
            rc = ps_space_insert(s, p, NULL);
        if (rc)
            break;
    }
    ps_builder_free(b);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}
