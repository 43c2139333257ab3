/*
 * snap_write.c - the snapshot writer: front-codes sorted paths into chunks
 * and compresses them on a thread pool.
 *
 * The producer (the caller's thread) encodes each path as (shared prefix
 * length, suffix) into the current slot's raw buffer. A full chunk goes to
 * the pool, which compresses and checksums it; the producer writes finished
 * chunks strictly in order, so the bytes never depend on the thread count,
 * and waits for a compressor only when every slot is busy. Chunk boundaries
 * depend only on the data: a chunk ends before the entry that would take it
 * past chunk_size (a lone longer entry gets a chunk of its own), and once,
 * where the first value arrives, so entries from there on carry a value tag.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/lcp.h"
#include "common/opts.h"
#include "common/ring.h"
#include "snap.h"

#define ENTRY_OVERHEAD 29 /* two 5-byte varints, a 10-byte value, a restart, slack */

typedef struct slot {
    ps_task task; /* first: the task pointer is the slot pointer */
    snap_cctx *cc;
    int fc, ck, rc;
    uint8_t flags;
    uint32_t count, first_len;
    uint8_t *raw, *out;
    size_t raw_len, raw_cap, out_len, out_cap;
    ps_buf restarts; /* u32 LE offsets, appended to raw when sealed */
    uint8_t csum[SNAP_CSUM];
} slot;

struct ps_snap_writer {
    ps_sink sink;
    int fc, level, ck, err, tagged;
    uint32_t chunk_size;
    ps_ring ring; /* of slots */
    ps_buf prev;  /* the previous path */
    ps_buf index; /* entries, written as chunks drain */
    ps_buf keys;  /* first paths, in chunk order */
    uint64_t pos, paths, path_bytes, raw_bytes, chunks;
    int any, values;
};

static void compress_task(ps_task *t)
{
    slot *s = (slot *)t;
    const uint8_t *stored = s->raw;
    size_t n = s->raw_len;
    s->rc = PS_OK;
    if (s->fc != FC_NONE) {
        size_t need = ps__snap_codec_bound(s->fc, s->raw_len);
        if (need > s->out_cap) {
            free(s->out);
            s->out_cap = 0;
            if (!(s->out = ps_malloc(need))) {
                s->rc = PS_E_NOMEM;
                return;
            }
            s->out_cap = need;
        }
        if ((s->rc = ps__snap_compress(s->cc, s->raw, s->raw_len, s->out, s->out_cap, &n)))
            return;
        if (n < s->raw_len)
            stored = s->out;
        else
            s->flags |= CF_STORED, n = s->raw_len; /* compression did not pay */
    }
    s->out_len = n;
    ps__snap_checksum(s->ck, stored, n, s->csum);
}

static void slot_free(void *p)
{
    slot *s = p;
    ps_buf_free(&s->restarts);
    ps__snap_cctx_free(s->cc);
    free(s->raw);
    free(s->out);
}

void ps_snap_opts_init(ps_snap_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

/* The caller's options over the defaults (NULL: all defaults). */
static int load_opts(ps_snap_opts *o, const ps_snap_opts *user)
{
    ps_snap_opts_init(o);
    return ps__opts_copy(o, sizeof *o, user);
}

int ps_snap_resolve(const ps_snap_opts *opts, uint64_t size, int *codec, int *level)
{
    ps_snap_opts o;
    int rc = load_opts(&o, opts);
    if (rc)
        return rc;
    int c = o.codec, l = o.level, pri = o.priority;
    if (c == PS_CODEC_AUTO) {
        /* The choice table, backed by bench_snap (docs/format-snapshot.md). */
        if (pri == PS_PRIORITY_SPEED)
            c = size < 4096 ? PS_CODEC_NONE : PS_CODEC_LZ4, l = 0;
        else if (pri == PS_PRIORITY_SIZE)
            c = PS_CODEC_ZSTD, l = size <= (16u << 20) ? 19 : size <= (256u << 20) ? 15 : 9;
        else if (pri == PS_PRIORITY_BALANCED)
            c = PS_CODEC_ZSTD, l = 1;
        else
            return PS_E_INVAL;
        if (o.level)
            l = o.level;
    }
    if (c < PS_CODEC_NONE || c > PS_CODEC_ZLIB || ps__snap_codec_level(c - 1, l, &l))
        return PS_E_INVAL;
    *codec = c;
    *level = l;
    return PS_OK;
}

static int emit(void *owner, void *p);

/* The slot being filled. */
static slot *cur(const ps_snap_writer *w)
{
    return w->ring.cur;
}

static int slot_init(ps_snap_writer *w, slot *s)
{
    s->task.fn = compress_task;
    s->fc = w->fc;
    s->ck = w->ck;
    s->raw_cap = (size_t)w->chunk_size + ENTRY_OVERHEAD;
    if (!(s->raw = ps_malloc(s->raw_cap)))
        return PS_E_NOMEM;
    return w->fc == FC_NONE ? PS_OK : ps__snap_cctx_new(w->fc, w->level, &s->cc);
}

static void put_header(ps_snap_writer *w, uint8_t h[SNAP_HDR], int final)
{
    uint16_t flags = (uint16_t)(w->fc | w->ck << HF_CSUM_SHIFT);
    if (final ? w->values : !w->sink.patch)
        flags |= HF_VALUES; /* unpatchable: say values may come */
    memset(h, 0, SNAP_HDR);
    memcpy(h, SNAP_MAGIC, 4);
    ps_write_le16(h + 4, PS_SNAP_VERSION);
    ps_write_le16(h + 6, flags);
    ps_write_le32(h + 8, SNAP_HDR);
    ps_write_le32(h + 12, w->chunk_size);
    ps_write_le64(h + 16, final ? w->paths : SNAP_UNKNOWN);
    ps_write_le64(h + 24, final ? w->path_bytes : SNAP_UNKNOWN);
    h[32] = (uint8_t)(int8_t)w->level;
    h[33] = SNAP_RESTART;
}

static int writer_setup(ps_snap_writer *w, const ps_snap_opts *opts)
{
    ps_snap_opts o;
    int codec, rc = load_opts(&o, opts);
    if (rc || (rc = ps_snap_resolve(&o, o.size_hint, &codec, &w->level)))
        return rc;
    unsigned threads = o.threads ? o.threads : ps__cpu_count();
    w->chunk_size = o.chunk_size ? o.chunk_size : PS_SNAP_CHUNK_DEFAULT;
    w->ck = o.checksum;
    w->fc = codec - 1;
    if (threads > 256 || w->chunk_size < PS_SNAP_CHUNK_MIN ||
        w->chunk_size > PS_SNAP_CHUNK_MAX || w->ck < 0 || w->ck > 1 || !w->sink.write)
        return PS_E_INVAL;
    if ((rc = ps__ring_init(&w->ring, threads, sizeof(slot), emit, w)))
        return rc;
    for (unsigned i = 0; i < w->ring.n; i++)
        if ((rc = slot_init(w, ps__ring_slot(&w->ring, i))))
            return rc;
    uint8_t h[SNAP_HDR];
    put_header(w, h, 0);
    w->pos = SNAP_HDR;
    return w->sink.write(w->sink.ctx, h, SNAP_HDR);
}

int ps_snap_writer_new(ps_sink out, const ps_snap_opts *o, ps_snap_writer **wp)
{
    ps_snap_writer *w = ps_calloc(1, sizeof *w);
    if (!w)
        return PS_E_NOMEM;
    w->sink = out;
    int rc = writer_setup(w, o);
    if (rc) {
        ps_snap_writer_free(w);
        return rc;
    }
    *wp = w;
    return PS_OK;
}

void ps_snap_writer_free(ps_snap_writer *w)
{
    if (!w)
        return;
    ps__ring_free(&w->ring, slot_free);
    ps_buf_free(&w->prev);
    ps_buf_free(&w->index);
    ps_buf_free(&w->keys);
    free(w);
}

/* Writes a compressed chunk and its index entry, in order (the ring
 * calls it). */
static int emit(void *owner, void *p)
{
    ps_snap_writer *w = owner;
    slot *s = p;
    if (w->err)
        return w->err;
    if (s->rc)
        return w->err = s->rc;
    uint8_t e[SNAP_ENTRY] = { 0 };
    ps_write_le64(e, w->pos);
    ps_write_le32(e + 8, (uint32_t)s->out_len);
    ps_write_le32(e + 12, (uint32_t)s->raw_len);
    ps_write_le32(e + 16, s->count);
    ps_write_le32(e + 20, s->first_len);
    e[24] = s->flags;
    memcpy(e + 32, s->csum, SNAP_CSUM);
    const uint8_t *stored = s->flags & CF_STORED || s->fc == FC_NONE ? s->raw : s->out;
    if ((w->err = ps_buf_append(&w->index, e, sizeof e)) ||
        (w->err = w->sink.write(w->sink.ctx, stored, s->out_len)))
        return w->err;
    w->pos += s->out_len;
    w->raw_bytes += s->raw_len;
    w->chunks++;
    return PS_OK;
}

/* Ends the chunk's raw bytes with its restart table. */
static int seal(slot *s)
{
    size_t need = s->raw_len + s->restarts.len;
    if (need > s->raw_cap) { /* only after a lone entry longer than a chunk */
        uint8_t *p = ps_realloc(s->raw, need);
        if (!p)
            return PS_E_NOMEM;
        s->raw = p;
        s->raw_cap = need;
    }
    memcpy(s->raw + s->raw_len, ps_buf_data(&s->restarts), s->restarts.len);
    s->raw_len = need;
    ps_buf_clear(&s->restarts, 0);
    return PS_OK;
}

/* Hands the current chunk to the pool and makes the next slot current. */
static int submit(ps_snap_writer *w)
{
    if ((w->err = seal(cur(w))) || (w->err = ps__ring_submit(&w->ring)))
        return w->err;
    slot *n = cur(w);
    n->raw_len = 0;
    n->count = 0;
    n->flags = 0;
    return PS_OK;
}

/* Room for an entry of `need` bytes: seal a chunk it would overfill; grow
 * the buffer for a lone entry longer than a chunk. */
static int make_room(ps_snap_writer *w, size_t need)
{
    slot *s = cur(w);
    if (s->count && s->raw_len + s->restarts.len + need > w->chunk_size && submit(w))
        return w->err;
    s = cur(w);
    if (need > s->raw_cap - s->raw_len) {
        uint8_t *p = ps_realloc(s->raw, s->raw_len + need);
        if (!p)
            return w->err = PS_E_NOMEM;
        s->raw = p;
        s->raw_cap = s->raw_len + need;
    }
    return PS_OK;
}

static int add(ps_snap_writer *w, ps_bytes p, int hv, uint64_t v)
{
    if (w->err)
        return w->err;
    if (p.len > PS_SNAP_CHUNK_MAX - ENTRY_OVERHEAD)
        return PS_E_LIMIT;
    size_t shared = 0;
    if (w->any) {
        ps_bytes q = ps_buf_bytes(&w->prev);
        shared = ps__lcp(q.ptr, q.len, p.ptr, p.len);
        if (shared == p.len || (shared < q.len && p.ptr[shared] < q.ptr[shared]))
            return PS_E_INVAL; /* not after the previous path */
    }
    int rc;
    if (hv && !w->tagged) { /* from here on entries carry a value tag */
        if (cur(w)->count && submit(w))
            return w->err;
        w->tagged = 1;
    }
    if (make_room(w, p.len + ENTRY_OVERHEAD))
        return w->err;
    slot *s = cur(w);
    if (!s->count) { /* a chunk starts: its first path goes to the index */
        s->first_len = (uint32_t)p.len;
        s->flags = w->tagged ? CF_VALUES : 0;
        if ((rc = ps_buf_append(&w->keys, p.ptr, p.len)))
            return w->err = rc;
    }
    if (s->count % SNAP_RESTART == 0) { /* a restart: the whole path */
        uint8_t off[4];
        ps_write_le32(off, (uint32_t)s->raw_len);
        shared = 0;
        if ((rc = ps_buf_append(&s->restarts, off, 4)))
            return w->err = rc;
    }
    uint8_t *o = s->raw + s->raw_len;
    o += snap_varint_put(o, w->tagged ? (uint64_t)shared << 1 | (hv != 0) : shared);
    o += snap_varint_put(o, p.len - shared);
    if (p.len > shared) { /* p.ptr may be NULL for the empty path */
        memcpy(o, p.ptr + shared, p.len - shared);
        o += p.len - shared;
    }
    if (hv)
        o += snap_varint_put(o, v);
    s->raw_len = (size_t)(o - s->raw);
    s->count++;
    w->values |= hv;
    w->paths++;
    w->path_bytes += p.len;
    w->any = 1;
    ps_buf_clear(&w->prev, 0);
    if ((rc = ps_buf_append(&w->prev, p.ptr, p.len)))
        return w->err = rc;
    return PS_OK;
}

int ps_snap_writer_add(ps_snap_writer *w, ps_bytes path)
{
    return add(w, path, 0, 0);
}

int ps_snap_writer_add_value(ps_snap_writer *w, ps_bytes path, uint64_t value)
{
    return add(w, path, 1, value);
}

static void fill_info(const ps_snap_writer *w, ps_snap_info *in)
{
    memset(in, 0, sizeof *in);
    in->version = PS_SNAP_VERSION;
    in->codec = w->fc + 1;
    in->level = w->level;
    in->checksum = w->ck;
    in->values = w->values;
    in->chunk_size = w->chunk_size;
    in->paths = w->paths;
    in->path_bytes = w->path_bytes;
    in->chunks = w->chunks;
    in->raw_bytes = w->raw_bytes;
    in->file_bytes = w->pos;
}

/* Index, then the trailer; the file checksum covers header, index and the
 * trailer's fields. The header is patched with the final counts first. */
static int write_tail(ps_snap_writer *w)
{
    uint8_t h[SNAP_HDR], t[SNAP_TRAILER] = { 0 };
    put_header(w, h, w->sink.patch != NULL); /* what the header holds at the end */
    if (w->sink.patch && (w->err = w->sink.patch(w->sink.ctx, 0, h, SNAP_HDR)))
        return w->err;
    uint64_t index_len = w->index.len + w->keys.len;
    ps_write_le64(t, w->pos);
    ps_write_le64(t + 8, index_len);
    ps_write_le64(t + 16, w->chunks);
    ps_write_le64(t + 24, w->paths);
    ps_write_le64(t + 32, w->path_bytes);
    ps_write_le32(t + 40, w->values ? TF_VALUES : 0);
    snap_hash hs;
    ps__snap_hash_init(&hs, w->ck);
    ps__snap_hash_update(&hs, h, SNAP_HDR);
    ps__snap_hash_update(&hs, ps_buf_data(&w->index), w->index.len);
    ps__snap_hash_update(&hs, ps_buf_data(&w->keys), w->keys.len);
    ps__snap_hash_update(&hs, t, 60);
    ps__snap_hash_final(&hs, t + 60);
    memcpy(t + 92, SNAP_END_MAGIC, 4);
    if ((w->err = w->sink.write(w->sink.ctx, ps_buf_data(&w->index), w->index.len)) ||
        (w->err = w->sink.write(w->sink.ctx, ps_buf_data(&w->keys), w->keys.len)) ||
        (w->err = w->sink.write(w->sink.ctx, t, SNAP_TRAILER)))
        return w->err;
    w->pos += index_len + SNAP_TRAILER;
    return PS_OK;
}

int ps_snap_writer_finish(ps_snap_writer *w, ps_snap_info *info)
{
    if (w->err)
        return w->err;
    if (cur(w)->count && submit(w))
        return w->err;
    if ((w->err = ps__ring_drain(&w->ring)) || write_tail(w))
        return w->err;
    if (info)
        fill_info(w, info);
    w->err = PS_E_INVAL; /* finished: no more adds */
    return PS_OK;
}
