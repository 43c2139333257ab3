/*
 * snap.h - the MTTS snapshot format, private to src/snap (layout and its
 * rules: docs/format-snapshot.md, which carries the format's version).
 *
 *   [header 64][chunk 0][chunk 1] ... [chunk n-1][index][trailer 96]
 *
 *   index = n entries of 64 bytes, then the n first paths back to back
 *   entry = offset u64 | stored u32 | raw u32 | count u32 | first_len u32 |
 *           flags u8 | reserved 7 | checksum 32
 *
 * Every byte is covered by a checksum: a chunk's stored bytes by the
 * checksum in its index entry, and header, index and trailer fields by the
 * file checksum in the trailer. So opening checks the file's frame in
 * O(index), and each chunk is checked when it is first touched.
 */
#ifndef PS_SNAP_SNAP_H
#define PS_SNAP_SNAP_H

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <pthread.h>
#include <sodium.h>
#include <xxhash.h>

#include "pathspace.h"

#define SNAP_MAGIC "MTTS"
#define SNAP_END_MAGIC "STTM"
#define SNAP_HDR 64
#define SNAP_ENTRY 64
#define SNAP_TRAILER 96
#define SNAP_CSUM 32              /* checksum field width everywhere */
#define SNAP_UNKNOWN UINT64_MAX   /* header counts a writer could not patch */
#define SNAP_RESTART 32           /* entries per restart point (header byte 33) */

/* Header flags (u16 at offset 6). */
#define HF_CODEC_MASK 0x0007u     /* bits 0-2: file codec id            */
#define HF_CSUM_SHIFT 3           /* bits 3-4: checksum kind            */
#define HF_CSUM_MASK 0x0018u
#define HF_VALUES 0x0020u         /* bit 5: chunks may carry values     */
#define HF_KNOWN 0x003Fu

/* Chunk flags (index entry byte 24). */
#define CF_VALUES 0x01u           /* entries carry a value tag          */
#define CF_STORED 0x02u           /* bytes kept uncompressed            */
#define CF_KNOWN 0x03u

/* Trailer flags. */
#define TF_VALUES 0x01u           /* some chunk has CF_VALUES           */
#define TF_KNOWN 0x01u

/* File codec ids (public PS_CODEC_* minus one) and checksum kinds. */
enum { FC_NONE, FC_LZ4, FC_ZSTD, FC_ZLIB, FC_COUNT };

/* Checksums compared. A fuzzing build (make fuzz) accepts any, so the
 * fuzzer reaches the parsers behind them instead of stopping at a hash it
 * cannot forge. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define SNAP_CSUM_EQ(a, b) ((void)(a), (void)(b), 1)
#else
#define SNAP_CSUM_EQ(a, b) (memcmp((a), (b), SNAP_CSUM) == 0)
#endif

/* ---------------------------------------------------------------- varint */

/* LEB128, at most 10 bytes. */
static inline unsigned snap_varint_put(uint8_t *p, uint64_t v)
{
    unsigned n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Decodes a minimal LEB128 from p[0..avail): its length, or 0 when it is
 * cut, overlong (a redundant zero group) or passes 64 bits. */
static inline unsigned snap_varint_get(const uint8_t *p, size_t avail, uint64_t *v)
{
    if (avail && p[0] < 0x80) {
        *v = p[0];
        return 1;
    }
    uint64_t x = 0;
    for (unsigned i = 0; i < avail && i < 10; i++) {
        uint64_t g = p[i] & 0x7Fu;
        if (i == 9 && g > 1)
            return 0;
        x |= g << (7 * i);
        if (!(p[i] & 0x80)) {
            if (!g)
                return 0; /* overlong */
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------- codecs and checksums */

/* Largest stored size for raw bytes under codec (compressBound). */
size_t ps__snap_codec_bound(int fc, size_t raw);
/* The most raw bytes `stored` bytes of codec fc can truly decode to: lets a
 * reader refuse an announced size no stream of that length could produce,
 * before allocating for it. */
uint64_t ps__snap_codec_max_raw(int fc, uint64_t stored);
/* The level the codec uses for level 0, and the accepted range. */
int ps__snap_codec_level(int fc, int level, int *out);

/* Per-thread codec state, reused across chunks. */
typedef struct snap_cctx snap_cctx;
int ps__snap_cctx_new(int fc, int level, snap_cctx **out);
void ps__snap_cctx_free(snap_cctx *c);
/* Compresses src into dst (cap >= ps__snap_codec_bound); *out = stored size. */
int ps__snap_compress(snap_cctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                  size_t cap, size_t *out);
/* Decodes exactly raw bytes into dst; PS_E_CORRUPT if the stream is bad or
 * decodes to any other size. ctx: a snap_dctx or NULL (one is made). */
typedef struct snap_dctx snap_dctx;
int ps__snap_dctx_new(snap_dctx **out);
void ps__snap_dctx_free(snap_dctx *d);
int ps__snap_decompress(snap_dctx *d, int fc, const uint8_t *src, size_t n, uint8_t *dst,
                    size_t raw);

/* The checksum of kind ck over data, into out[SNAP_CSUM] (unused tail 0). */
void ps__snap_checksum(int ck, const void *data, size_t n, uint8_t out[SNAP_CSUM]);
/* Incremental form, for the file checksum over separate pieces. */
typedef struct snap_hash {
    int ck;
    union {
        XXH3_state_t x;
        crypto_generichash_state b;
    } u;
} snap_hash;
void ps__snap_hash_init(snap_hash *h, int ck);
void ps__snap_hash_update(snap_hash *h, const void *data, size_t n);
void ps__snap_hash_final(snap_hash *h, uint8_t out[SNAP_CSUM]);


/* ----------------------------------------------------------- the reader */

/* One decoded index entry. */
typedef struct snap_chunk {
    uint64_t off;
    uint32_t stored, raw, count, first_len;
    uint64_t first_at; /* file offset of its first path in the index */
    uint8_t flags;
    uint8_t csum[SNAP_CSUM];
} snap_chunk;

/* A chunk decoded whole (snap_cache.c): its paths back to back, and
 * count + 1 offsets into them. Immutable once made; pinned while read. */
typedef struct snap_dec {
    uint64_t chunk, used;
    uint32_t refs, count;
    uint32_t *off;
    uint8_t *data;
    size_t len;
} snap_dec;
typedef struct snap_cache snap_cache;
typedef struct snap_remote snap_remote;

struct ps_snap {
    const uint8_t *data;
    size_t len;
    int mapped;
    int fc, ck, level, restart;
    uint16_t version, hflags;
    uint32_t chunk_size, max_raw;
    uint64_t nchunks, paths, path_bytes, index_off, index_len;
    uint32_t tflags;
    uint64_t max_atom;  /* the reader limits, taken at open */
    int own;            /* a checkpoint of our own store: no budget    */
    snap_chunk *chunks;
    /* ps_snap_get's one-chunk cache and cursor */
    snap_dctx *dctx;
    uint8_t *cache;
    size_t cache_cap;
    const uint8_t *cache_raw;
    uint64_t cache_chunk; /* UINT64_MAX: empty */
    struct snap_cur *get;
    uint64_t *cum; /* cum[i]: paths before chunk i; cum[nchunks]: all */
    /* the decoded chunks every query on the handle shares (snap_cache.c) */
    pthread_mutex_t cache_mu;
    snap_cache *dec;
    uint64_t dec_budget;
    snap_remote *remote; /* read by range (snap_ranged.c); NULL: all in data */
};

static inline ps_bytes snap_first(const ps_snap *s, uint64_t i)
{
    return ps_bytes_of(s->data + s->chunks[i].first_at, s->chunks[i].first_len);
}

/* A chunk's decoded bytes (into buf, grown as needed, or zero-copy for a
 * stored chunk): checks the checksum, then decodes. d names the chunk. */
int ps__snap_chunk_load(const ps_snap *s, uint64_t i, snap_dctx *dc, uint8_t **buf,
                    size_t *cap, const uint8_t **raw, ps_diag *d);

/* Walks the front-coded entries of one decoded chunk:
 *   [entries][restart offsets: u32 LE x ceil(count / restart)]
 * Entry j (j a multiple of the restart interval) shares nothing with the
 * one before and starts at restart offset j / restart, so a lookup can
 * binary-search the restarts and then scan fewer than `restart` entries. */
typedef struct snap_cur {
    const ps_snap *s;
    uint64_t chunk;
    const uint8_t *base, *p, *end; /* end: where the restart table starts */
    const uint8_t *restarts;
    uint32_t nr, idx, count;
    int values;       /* CF_VALUES */
    int fresh;        /* no previous path to compare with */
    ps_buf path;      /* the current path */
    int has_value;
    uint64_t value;
} snap_cur;

/* PS_E_CORRUPT (d) if the restart table cannot fit the chunk. */
int ps__snap_cur_start(snap_cur *c, const ps_snap *s, uint64_t i, const uint8_t *raw, ps_diag *d);
/* PS_OK with c->path holding the next path, PS_E_EMPTY after the last one
 * (once every byte is consumed), or PS_E_CORRUPT / PS_E_NOMEM with d. */
int ps__snap_cur_next(snap_cur *c, ps_diag *d);
/* Positions c so that the next entries are those from the last restart
 * whose path is <= key (the start of the chunk if none). */
int ps__snap_cur_seek(snap_cur *c, ps_bytes key, ps_diag *d);
/* The index of the last chunk whose first path is <= key (0 if none). */
uint64_t ps__snap_find_chunk(const ps_snap *s, ps_bytes key);
/* Fills d for a problem in chunk i. */
int ps__snap_chunk_err(const ps_snap *s, uint64_t i, ps_diag *d, int code, const char *why);

/* A snapshot read by range: chunk i's bytes read into data, if they are
 * not yet (PS_OK at once when they are, or when s is not remote). */
int ps__snap_page_in(const ps_snap *s, uint64_t i, ps_diag *d);
void ps__snap_remote_free(ps_snap *s);

/* ps_snap_open_mem for a checkpoint the store itself wrote (own): its
 * trailer's totals are the space a server acknowledged, so the decoding
 * budget does not apply (docs/limits.md, "Checkpoints"); readers still
 * hold the trailer to them as they decode. */
int ps__snap_open_own(const void *data, size_t len, int own, ps_snap **out, ps_diag *d);

/* What one reader (a query view on one thread) brings to decode a chunk:
 * its codec context and buffers, made on its first decode. */
typedef struct snap_reader {
    snap_dctx *dc;
    uint8_t *buf;
    size_t cap;
    snap_cur cur;
    uint64_t decoded; /* chunks it decoded (the others came from the cache) */
} snap_reader;
void ps__snap_reader_free(snap_reader *r);

/* Chunk i decoded whole, from the handle's cache or decoded into it, and
 * pinned: it stays valid until ps__snap_dec_unpin. Errors as an iterator
 * meets them (d names the chunk). */
int ps__snap_dec_pin(const ps_snap *s, uint64_t i, snap_reader *r, const snap_dec **out,
                     ps_diag *d);
void ps__snap_dec_unpin(const ps_snap *s, const snap_dec *e);
void ps__snap_cache_free(ps_snap *s);

#endif

