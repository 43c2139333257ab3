/*
 * reseal.c - makes the checksums of fuzz corpus files right again, in place:
 *   reseal snap FILE...    every chunk checksum and the file checksum of a
 *                          snapshot (XXH3 or BLAKE2b, as its header says)
 *   reseal paths FILE...   the Adler-32 of a zlib stream (or the CRC-32 and
 *                          size of a gzip one), where the deflate data decode
 * A fuzzing build accepts any checksum so that libFuzzer reaches the parsers
 * behind them; the inputs it finds then fail at the checksum in the normal
 * build that `make check` replays them with. Resealed, they reach as deep
 * there too. Files whose frame is too damaged to reseal are left alone.
 * (`make reseal` runs it over fuzz/corpus/fuzz_snap and fuzz_paths.)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>

#include "pathspace.h"

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *p = malloc(len > 0 ? (size_t)len : 1);
    *n = p && len > 0 ? fread(p, 1, (size_t)len, f) : 0;
    fclose(f);
    return p;
}

static int spill(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    return f && !fclose(f) && ok ? 0 : -1;
}

static void csum(int kind, const uint8_t *p, size_t n, uint8_t out[32])
{
    memset(out, 0, 32);
    if (kind == 1)
        crypto_generichash(out, 32, p, n, NULL, 0);
    else
        ps_write_le64(out, XXH3_64bits(p, n));
}

/* 1 if resealed, 0 if left alone. */
static int snap(uint8_t *p, size_t n)
{
    if (n < 64 + 96 || memcmp(p, "MTTS", 4) || memcmp(p + n - 4, "STTM", 4))
        return 0;
    int kind = (ps_read_le16(p + 6) >> 3) & 3;
    if (kind > 1)
        return 0;
    uint8_t *t = p + n - 96;
    uint64_t io = ps_read_le64(t), il = ps_read_le64(t + 8), nc = ps_read_le64(t + 16);
    if (io < 64 || io > n - 96 || il != n - 96 - io || nc > il / 64)
        return 0;
    for (uint64_t i = 0; i < nc; i++) {
        uint8_t *e = p + io + 64 * i;
        uint64_t off = ps_read_le64(e), st = ps_read_le32(e + 8);
        if (off <= io && st <= io - off)
            csum(kind, p + off, (size_t)st, e + 32);
    }
    uint8_t sum[32];
    if (kind == 1) {
        crypto_generichash_state s;
        crypto_generichash_init(&s, NULL, 0, 32);
        crypto_generichash_update(&s, p, 64);
        crypto_generichash_update(&s, p + io, il);
        crypto_generichash_update(&s, t, 60);
        crypto_generichash_final(&s, sum, 32);
    } else {
        XXH3_state_t *x = XXH3_createState();
        XXH3_64bits_reset(x);
        XXH3_64bits_update(x, p, 64);
        XXH3_64bits_update(x, p + io, il);
        XXH3_64bits_update(x, t, 60);
        memset(sum, 0, 32);
        ps_write_le64(sum, XXH3_64bits_digest(x));
        XXH3_freeState(x);
    }
    memcpy(t + 60, sum, 32);
    return 1;
}

/* Inflates raw deflate data from p[0..n) ignoring any wrapper checksum;
 * the decoded bytes and where the deflate data ended, or -1. */
static long inflate_raw(const uint8_t *p, size_t n, uint8_t **out, size_t *outn)
{
    z_stream z = { 0 };
    if (inflateInit2(&z, -15) != Z_OK)
        return -1;
    size_t cap = 1 << 16, len = 0;
    uint8_t *o = malloc(cap);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    int zr = Z_OK;
    while (zr == Z_OK && o) {
        if (len == cap && !(o = realloc(o, cap *= 2)))
            break;
        z.next_out = o + len;
        z.avail_out = (uInt)(cap - len);
        zr = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (len > (64u << 20))
            zr = Z_MEM_ERROR; /* a bomb: leave it as it is */
    }
    long used = zr == Z_STREAM_END ? (long)(n - z.avail_in) : -1;
    inflateEnd(&z);
    *out = o;
    *outn = len;
    return used;
}

static int paths(uint8_t *p, size_t n)
{
    uint8_t *raw = NULL;
    size_t rn = 0;
    int done = 0;
    if (n >= 2 + 4 && (p[0] & 0x0F) == 8 && ((p[0] << 8) | p[1]) % 31 == 0 && !(p[1] & 0x20)) {
        long used = inflate_raw(p + 2, n - 2, &raw, &rn);
        if (used >= 0 && (size_t)used + 2 + 4 <= n) {
            uint32_t a = (uint32_t)adler32(1, raw, (uInt)rn);
            uint8_t *q = p + 2 + used;
            q[0] = (uint8_t)(a >> 24), q[1] = (uint8_t)(a >> 16), q[2] = (uint8_t)(a >> 8),
            q[3] = (uint8_t)a;
            done = 1;
        }
    } else if (n >= 18 && p[0] == 0x1F && p[1] == 0x8B && p[2] == 8 && !(p[3] & 0x1E)) {
        long used = inflate_raw(p + 10, n - 10, &raw, &rn);
        if (used >= 0 && (size_t)used + 10 + 8 <= n) {
            uint8_t *q = p + 10 + used;
            ps_write_le32(q, (uint32_t)crc32(0, raw, (uInt)rn));
            ps_write_le32(q + 4, (uint32_t)rn);
            done = 1;
        }
    }
    free(raw);
    return done;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "snap") && strcmp(argv[1], "paths"))) {
        fprintf(stderr, "usage: reseal snap|paths FILE...\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    int is_snap = !strcmp(argv[1], "snap"), fixed = 0, files = 0;
    for (int i = 2; i < argc; i++) {
        size_t n;
        uint8_t *p = slurp(argv[i], &n);
        if (!p)
            continue;
        files++;
        if ((is_snap ? snap(p, n) : paths(p, n)) && !spill(argv[i], p, n))
            fixed++;
        free(p);
    }
    printf("reseal %s: %d of %d files resealed\n", argv[1], fixed, files);
    return 0;
}
