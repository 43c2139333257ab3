/*
 * paths_write.c - the .paths writer: one zlib stream, compressed in parallel.
 *
 * Records are packed into 1 MiB chunks. Each chunk is deflated on its own
 * (raw deflate, primed with the previous chunk's last 32 KiB as dictionary,
 * as pigz does, so the ratio barely moves) and ends with a sync flush, which
 * byte-aligns it; the chunks then simply concatenate into one deflate stream
 * behind a zlib header, closed by the combined Adler-32. Chunk boundaries
 * depend only on the data, so the bytes are the same for any thread count.
 * The producer never waits on a compressor unless every slot is busy.
 * With one thread, chunks are compressed on the caller's thread. Buffers
 * grow with the data (up to a chunk), so a small file costs little.
 */
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/alloc.h"
#include "common/opts.h"
#include "common/ring.h"
#include "pathspace.h"

#define CHUNK (1u << 20)
#define WINDOW 32768u

typedef struct slot {
    ps_task task; /* first: the task pointer is the slot pointer */
    int level, last, rc;
    uint8_t *raw; /* [dict: dict_len][payload: len] */
    size_t dict_len, len, raw_cap;
    uint8_t *out;
    size_t out_cap, out_len;
    uint32_t adler;
    z_stream z;
    int z_live;
    uint8_t *isal_buf; /* igzip's level buffer */
} slot;

struct ps_paths_writer {
    ps_sink sink;
    int level, err, started;
    ps_ring ring; /* of slots */
    uint32_t adler;
    ps_paths_stats st;
};

static int zlib_chunk(slot *s)
{
    z_stream *z = &s->z;
    int zr = s->z_live ? deflateReset(z)
                       : deflateInit2(z, s->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    if (zr != Z_OK)
        return PS_E_NOMEM;
    s->z_live = 1;
    if (s->dict_len && deflateSetDictionary(z, s->raw, (uInt)s->dict_len) != Z_OK)
        return PS_E_INVAL;
    z->next_in = s->raw + s->dict_len;
    z->avail_in = (uInt)s->len;
    z->next_out = s->out;
    z->avail_out = (uInt)s->out_cap;
    zr = deflate(z, s->last ? Z_FINISH : Z_SYNC_FLUSH);
    if (zr != (s->last ? Z_STREAM_END : Z_OK) || z->avail_in)
        return PS_E_INVAL;
    s->out_len = s->out_cap - z->avail_out;
    return PS_OK;
}

static int isal_chunk(slot *s)
{
    if (!s->isal_buf && !(s->isal_buf = ps_malloc(ISAL_DEF_LVL1_DEFAULT)))
        return PS_E_NOMEM;
    struct isal_zstream z;
    isal_deflate_init(&z);
    z.level = 1;
    z.level_buf = s->isal_buf;
    z.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    if (s->dict_len && isal_deflate_set_dict(&z, s->raw, (uint32_t)s->dict_len))
        return PS_E_INVAL;
    z.next_in = s->raw + s->dict_len;
    z.avail_in = (uint32_t)s->len;
    z.next_out = s->out;
    z.avail_out = (uint32_t)s->out_cap;
    z.end_of_stream = (uint16_t)s->last;
    z.flush = s->last ? NO_FLUSH : SYNC_FLUSH;
    if (isal_deflate(&z) != COMP_OK || z.avail_in ||
        (s->last && z.internal_state.state != ZSTATE_END))
        return PS_E_INVAL;
    s->out_len = s->out_cap - z.avail_out;
    return PS_OK;
}

/* Room for `need` bytes at *p (capacity *cap), grown geometrically. */
static int grow(uint8_t **p, size_t *cap, size_t need, size_t most)
{
    if (need <= *cap)
        return PS_OK;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    if (n > most && most >= need)
        n = most;
    uint8_t *q = ps_realloc(*p, n);
    if (!q)
        return PS_E_NOMEM;
    *p = q;
    *cap = n;
    return PS_OK;
}

static void compress_task(ps_task *t)
{
    slot *s = (slot *)t;
    /* (submit made room for the payload and one byte more: an empty last
     * chunk still has a buffer, no arithmetic on NULL) */
    s->adler = (uint32_t)adler32(1, s->raw + s->dict_len, (uInt)s->len);
    /* > deflate's worst case for len bytes, and isa-l's */
    if ((s->rc = grow(&s->out, &s->out_cap, s->len + s->len / 8 + 4096, SIZE_MAX)))
        return;
    s->rc = s->level < 0 ? isal_chunk(s) : zlib_chunk(s);
}

static void slot_free(void *p)
{
    slot *s = p;
    if (s->z_live)
        deflateEnd(&s->z);
    free(s->raw);
    free(s->out);
    free(s->isal_buf);
}

static int emit(void *owner, void *slot);

void ps_paths_opts_init(ps_paths_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->level = PS_PATHS_LEVEL_DEFAULT;
}

int ps_paths_writer_new(ps_sink out, const ps_paths_opts *opts, ps_paths_writer **wp)
{
    ps_paths_opts o;
    ps_paths_opts_init(&o);
    int rc = ps__opts_copy(&o, sizeof o, opts);
    if (rc)
        return rc;
    int level = o.level;
    unsigned threads = o.threads ? o.threads : ps__cpu_count();
    if (level < PS_PATHS_LEVEL_FAST || level > 9 || threads > 256)
        return PS_E_INVAL;
    ps_paths_writer *w = ps_calloc(1, sizeof *w);
    if (!w)
        return PS_E_NOMEM;
    w->sink = out;
    w->level = level;
    w->adler = 1;
    if ((rc = ps__ring_init(&w->ring, threads, sizeof(slot), emit, w))) {
        ps_paths_writer_free(w);
        return rc;
    }
    for (unsigned i = 0; i < w->ring.n; i++) {
        slot *s = ps__ring_slot(&w->ring, i);
        s->task.fn = compress_task;
        s->level = level;
    }
    *wp = w;
    return PS_OK;
}

/* zlib header: CM 8, 32K window, FLEVEL as zlib itself sets it. */
static int write_header(ps_paths_writer *w)
{
    static const uint8_t flg[4] = { 0x01, 0x5E, 0x9C, 0xDA };
    int l = w->level;
    uint8_t h[2] = { 0x78, flg[l < 2 ? 0 : l < 6 ? 1 : l == 6 ? 2 : 3] };
    w->started = 1;
    w->st.file_bytes += 2;
    return w->sink.write(w->sink.ctx, h, 2);
}

/* Writes out a compressed chunk, in order (the ring calls it). */
static int emit(void *owner, void *p)
{
    ps_paths_writer *w = owner;
    slot *s = p;
    if (w->err)
        return w->err;
    if (s->rc)
        return w->err = s->rc;
    w->adler = (uint32_t)adler32_combine(w->adler, s->adler, (z_off_t)s->len);
    w->st.file_bytes += s->out_len;
    if ((w->err = w->sink.write(w->sink.ctx, s->out, s->out_len)))
        return w->err;
    return PS_OK;
}

/* Hands the current chunk to the pool and starts the next one, primed with
 * the last WINDOW bytes seen. */
static int submit(ps_paths_writer *w, int last)
{
    slot *s = w->ring.cur;
    s->last = last;
    if (!w->started && (w->err = write_header(w)))
        return w->err;
    /* the worker must never move s->raw: the next chunk's window is copied
     * from it below while the worker compresses (so it grows here, first) */
    if ((w->err = grow(&s->raw, &s->raw_cap, s->dict_len + s->len + 1, WINDOW + CHUNK)))
        return w->err;
    if ((w->err = ps__ring_submit(&w->ring)))
        return w->err;
    if (last)
        return PS_OK;
    slot *n = w->ring.cur;
    size_t have = s->dict_len + s->len, dict = have < WINDOW ? have : WINDOW;
    if ((w->err = grow(&n->raw, &n->raw_cap, dict, WINDOW + CHUNK)))
        return w->err;
    memmove(n->raw, s->raw + have - dict, dict); /* n may be s: one slot */
    n->dict_len = dict;
    n->len = 0;
    return PS_OK;
}

static int put(ps_paths_writer *w, const uint8_t *p, size_t n)
{
    while (n) {
        slot *s = w->ring.cur;
        size_t k = CHUNK - s->len < n ? CHUNK - s->len : n;
        if ((w->err = grow(&s->raw, &s->raw_cap, s->dict_len + s->len + k, WINDOW + CHUNK)))
            return w->err;
        memcpy(s->raw + s->dict_len + s->len, p, k);
        s->len += k;
        p += k;
        n -= k;
        if (s->len == CHUNK && submit(w, 0))
            return w->err;
    }
    return PS_OK;
}

int ps_paths_writer_add(ps_paths_writer *w, ps_bytes path)
{
    if (w->err)
        return w->err;
    if (path.len > UINT32_MAX)
        return PS_E_OVERFLOW;
    uint8_t len[4];
    ps_write_le32(len, (uint32_t)path.len);
    if (put(w, len, 4) || put(w, path.ptr, path.len))
        return w->err;
    w->st.paths++;
    w->st.raw_bytes += 4 + path.len;
    return PS_OK;
}

int ps_paths_writer_finish(ps_paths_writer *w, ps_paths_stats *st)
{
    if (w->err || submit(w, 1) || (w->err = ps__ring_drain(&w->ring)))
        return w->err;
    uint8_t tail[4] = { (uint8_t)(w->adler >> 24), (uint8_t)(w->adler >> 16),
                        (uint8_t)(w->adler >> 8), (uint8_t)w->adler };
    w->st.file_bytes += 4;
    if ((w->err = w->sink.write(w->sink.ctx, tail, 4)))
        return w->err;
    w->err = PS_E_INVAL; /* finished: no more adds */
    if (st)
        *st = w->st;
    return PS_OK;
}

void ps_paths_writer_free(ps_paths_writer *w)
{
    if (!w)
        return;
    ps__ring_free(&w->ring, slot_free);
    free(w);
}

int ps_space_write_paths(const ps_space *s, ps_sink out, const ps_paths_opts *o,
                         ps_paths_stats *st)
{
    ps_paths_writer *w;
    ps_iter *it;
    ps_bytes p;
    int rc = ps_paths_writer_new(out, o, &w);
    if (rc)
        return rc;
    if (!(rc = ps_iter_new(s, ps_bytes_of(NULL, 0), &it))) {
        while ((rc = ps_iter_next(it, &p, NULL, NULL)) == PS_OK)
            if ((rc = ps_paths_writer_add(w, p)))
                break;
        ps_iter_free(it);
    }
    if (rc == PS_E_EMPTY)
        rc = ps_paths_writer_finish(w, st);
    ps_paths_writer_free(w);
    return rc;
}
