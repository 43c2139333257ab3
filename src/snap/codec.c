/*
 * codec.c - the snapshot's chunk codecs (LZ4, Zstd, zlib) and checksums
 * (XXH3-64, BLAKE2b-256), behind one small interface so the writer and the
 * readers never switch on a library.
 *
 * zlib chunks are written by zlib (any level) and read by isa-l's inflate,
 * which decodes the same streams about twice as fast and checks the
 * Adler-32 itself.
 */
#include <isa-l/igzip_lib.h>
#include <lz4.h>
#include <lz4hc.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "common/alloc.h"
#include "snap.h"

struct snap_cctx {
    int fc, level;
    void *lz4; /* LZ4 or LZ4HC state */
    ZSTD_CCtx *zstd;
    z_stream z;
    int z_live;
};

/* Each decoder's state is made on its first chunk: a reader of LZ4 files
 * never pays for isa-l's 60 KB inflate state, nor for a Zstd context. */
struct snap_dctx {
    ZSTD_DCtx *zstd;
    struct inflate_state *inf;
};

int ps__snap_codec_level(int fc, int level, int *out)
{
    static const int deflt[FC_COUNT] = { 0, 1, 1, 6 };
    int lo = 0, hi = 0;
    switch (fc) {
    case FC_LZ4:  lo = 1, hi = LZ4HC_CLEVEL_MAX; break;
    case FC_ZSTD: lo = -7, hi = ZSTD_maxCLevel(); break; /* -7..-1: fast levels */
    case FC_ZLIB: lo = 1, hi = 9; break;
    case FC_NONE: break;
    default: return PS_E_INVAL;
    }
    if (level == 0)
        level = deflt[fc];
    else if (fc == FC_NONE || level < lo || level > hi)
        return PS_E_INVAL;
    *out = level;
    return PS_OK;
}

size_t ps__snap_codec_bound(int fc, size_t raw)
{
    switch (fc) {
    case FC_LZ4:  return (size_t)LZ4_compressBound((int)raw);
    case FC_ZSTD: return ZSTD_compressBound(raw);
    case FC_ZLIB: return compressBound((uLong)raw);
    default:      return raw;
    }
}

uint64_t ps__snap_codec_max_raw(int fc, uint64_t stored)
{
    switch (fc) {
    case FC_LZ4:  return stored * 255;  /* a token + 255-byte length runs  */
    case FC_ZSTD: return stored * 32768; /* an RLE block: 4 bytes -> 128 KiB */
    case FC_ZLIB: return stored * 1032; /* deflate's maximum ratio          */
    default:      return stored;
    }
}

void ps__snap_cctx_free(snap_cctx *c)
{
    if (!c)
        return;
    free(c->lz4);
    ZSTD_freeCCtx(c->zstd);
    if (c->z_live)
        deflateEnd(&c->z);
    free(c);
}

int ps__snap_cctx_new(int fc, int level, snap_cctx **out)
{
    snap_cctx *c = ps_calloc(1, sizeof *c);
    if (!c)
        return PS_E_NOMEM;
    c->fc = fc;
    c->level = level;
    int ok = 1;
    if (fc == FC_LZ4)
        ok = (c->lz4 = ps_malloc(level > 1 ? (size_t)LZ4_sizeofStateHC()
                                           : (size_t)LZ4_sizeofState())) != NULL;
    else if (fc == FC_ZSTD)
        ok = (c->zstd = ZSTD_createCCtx()) != NULL &&
             !ZSTD_isError(ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel, level));
    else if (fc == FC_ZLIB)
        ok = (c->z_live = deflateInit(&c->z, level) == Z_OK);
    if (!ok) {
        ps__snap_cctx_free(c);
        return PS_E_NOMEM;
    }
    *out = c;
    return PS_OK;
}

static int zlib_compress(snap_cctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                         size_t cap, size_t *out)
{
    z_stream *z = &c->z;
    if (deflateReset(z) != Z_OK)
        return PS_E_INVAL;
    z->next_in = (Bytef *)src;
    z->avail_in = (uInt)n;
    z->next_out = dst;
    z->avail_out = (uInt)cap;
    if (deflate(z, Z_FINISH) != Z_STREAM_END)
        return PS_E_INVAL;
    *out = cap - z->avail_out;
    return PS_OK;
}

int ps__snap_compress(snap_cctx *c, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                  size_t *out)
{
    int r;
    size_t z;
    switch (c->fc) {
    case FC_LZ4:
        r = c->level > 1
                ? LZ4_compress_HC_extStateHC(c->lz4, (const char *)src, (char *)dst, (int)n,
                                             (int)cap, c->level)
                : LZ4_compress_fast_extState(c->lz4, (const char *)src, (char *)dst, (int)n,
                                             (int)cap, 1);
        if (r <= 0)
            return PS_E_INVAL;
        *out = (size_t)r;
        return PS_OK;
    case FC_ZSTD:
        z = ZSTD_compress2(c->zstd, dst, cap, src, n);
        if (ZSTD_isError(z))
            return ZSTD_getErrorCode(z) == ZSTD_error_memory_allocation ? PS_E_NOMEM
                                                                         : PS_E_INVAL;
        *out = z;
        return PS_OK;
    case FC_ZLIB:
        return zlib_compress(c, src, n, dst, cap, out);
    default:
        return PS_E_INVAL;
    }
}

int ps__snap_dctx_new(snap_dctx **out)
{
    snap_dctx *d = ps_calloc(1, sizeof *d);
    if (!d)
        return PS_E_NOMEM;
    *out = d;
    return PS_OK;
}

void ps__snap_dctx_free(snap_dctx *d)
{
    if (!d)
        return;
    ZSTD_freeDCtx(d->zstd);
    free(d->inf);
    free(d);
}

static int inflate_chunk(snap_dctx *d, const uint8_t *src, size_t n, uint8_t *dst, size_t raw)
{
    if (!d->inf) {
        if (!(d->inf = ps_malloc(sizeof *d->inf)))
            return PS_E_NOMEM;
        isal_inflate_init(d->inf);
    }
    struct inflate_state *z = d->inf;
    isal_inflate_reset(z);
    z->crc_flag = ISAL_ZLIB;
    z->next_in = (uint8_t *)src;
    z->avail_in = (uint32_t)n;
    z->next_out = dst;
    z->avail_out = (uint32_t)raw;
    int r = isal_inflate(z);
    if (r == ISAL_INCORRECT_CHECKSUM)
        return PS_E_CHECKSUM;
    if (r != ISAL_DECOMP_OK || z->block_state != ISAL_BLOCK_FINISH || z->avail_in ||
        z->avail_out)
        return PS_E_CORRUPT;
    return PS_OK;
}

int ps__snap_decompress(snap_dctx *d, int fc, const uint8_t *src, size_t n, uint8_t *dst,
                    size_t raw)
{
    if (fc == FC_LZ4) {
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)raw);
        return r >= 0 && (size_t)r == raw ? PS_OK : PS_E_CORRUPT;
    }
    if (fc == FC_ZSTD) {
        if (!d->zstd && !(d->zstd = ZSTD_createDCtx()))
            return PS_E_NOMEM;
        size_t r = ZSTD_decompressDCtx(d->zstd, dst, raw, src, n);
        if (ZSTD_isError(r))
            return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? PS_E_NOMEM
                                                                         : PS_E_CORRUPT;
        return r == raw ? PS_OK : PS_E_CORRUPT;
    }
    if (fc == FC_ZLIB)
        return inflate_chunk(d, src, n, dst, raw);
    return PS_E_INVAL;
}

/* ---------------------------------------------------------------- hashes */

static void sodium_once(void)
{
    /* Picks BLAKE2b's fastest implementation; thread-safe and idempotent. */
    static int ready;
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        if (sodium_init() < 0) {
            /* still usable: BLAKE2b falls back to the portable code */
        }
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
}

void ps__snap_checksum(int ck, const void *data, size_t n, uint8_t out[SNAP_CSUM])
{
    memset(out, 0, SNAP_CSUM);
    if (ck == 0) {
        ps_write_le64(out, XXH3_64bits(data, n));
        return;
    }
    sodium_once();
    crypto_generichash(out, SNAP_CSUM, data, n, NULL, 0);
}

void ps__snap_hash_init(snap_hash *h, int ck)
{
    h->ck = ck;
    if (ck == 0) {
        XXH3_64bits_reset(&h->u.x);
        return;
    }
    sodium_once();
    crypto_generichash_init(&h->u.b, NULL, 0, SNAP_CSUM);
}

void ps__snap_hash_update(snap_hash *h, const void *data, size_t n)
{
    if (h->ck == 0)
        XXH3_64bits_update(&h->u.x, data, n);
    else
        crypto_generichash_update(&h->u.b, data, n);
}

void ps__snap_hash_final(snap_hash *h, uint8_t out[SNAP_CSUM])
{
    memset(out, 0, SNAP_CSUM);
    if (h->ck == 0)
        ps_write_le64(out, XXH3_64bits_digest(&h->u.x));
    else
        crypto_generichash_final(&h->u.b, out, SNAP_CSUM);
}
