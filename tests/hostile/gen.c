/*
 * gen.c - writes small hostile inputs into a directory, for
 * tests/cli_hostile.sh to run every command on under a CPU-time and memory
 * limit. Each is under 10 MB, and each once made some command take hours,
 * or gigabytes (the hardening issue):
 *
 *   act-dag.act           658-ish bytes of shared subtries holding 2^63 keys
 *   act-long-key.act      ~230 KB holding one key of 1 GiB (a chain of lines
 *                         over the same line data)
 *   act-wide.act          shared subtries holding 2^22 keys of ~1 KB each
 *   paths-record.paths    a record announcing 4 GiB
 *   paths-bomb.paths      300 MB of records in a ~300 KB zlib stream
 *   snap-front.snap       16,065 paths sharing a 1 MiB prefix (16 GB), in ~1 MB
 *   snap-liar.snap        the same, with a trailer that says 1 MiB
 *   metta-nested.metta    9 MB of wide lists nested in wide lists (the old
 *                         parser moved each one's content once per enclosing
 *                         list: 5 MB took 10 s, and each doubling 3.6x more)
 *   metta-big-atom.metta  one atom of 9 MB
 *
 * Usage: hostile DIR   (built by make check as BUILD/hostile)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "pathspace.h"
#include "../fixtures.h"

static void put(const char *dir, const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "hostile: cannot write %s\n", path);
        exit(1);
    }
}

/* ---------------------------------------------------------------- ACT */

static uint64_t rec(ps_buf *b, const uint8_t *p, size_t n)
{
    uint64_t at = b->len;
    ps_buf_append(b, p, n);
    return at;
}

static void act_finish(ps_buf *b, uint64_t root)
{
    ps_write_le64(ps_buf_data(b) + 8, root);
    ps_buf_append(b, "\0\0\0\0\0\0\0\0", 8);
}

/* levels of a branch of two lines (over line data x and y), both pointing
 * at the level below: 2^levels keys, each levels * (1 + |x|) + |x| long */
static void act_dag(const char *dir, const char *name, int levels, size_t linelen)
{
    ps_buf b = { 0 };
    ps_buf_append(&b, "ACTree03\0\0\0\0\0\0\0\0", 16);
    uint8_t r[64], data[300];
    size_t k = fx_act_varint(data, linelen);
    memset(data + k, 'x', linelen);
    uint64_t x = rec(&b, data, k + linelen);
    memset(data + k, 'y', linelen);
    uint64_t y = rec(&b, data, k + linelen);
    k = 0;
    r[k++] = 0xC0;
    r[k++] = 1;
    k += fx_act_varint(r + k, b.len - x);
    uint64_t below = rec(&b, r, k);
    for (int level = 0; level < levels; level++) {
        uint64_t first = b.len;
        for (int side = 0; side < 2; side++) {
            uint64_t at = b.len;
            k = 0;
            r[k++] = 0x81;
            k += fx_act_varint(r + k, at - below);
            k += fx_act_varint(r + k, at - (side ? y : x));
            rec(&b, r, k);
        }
        uint64_t at = b.len;
        k = 0;
        r[k++] = 2;
        k += fx_act_varint(r + k, at - first);
        r[k++] = 'a';
        r[k++] = 'b';
        below = rec(&b, r, k);
    }
    act_finish(&b, below);
    put(dir, name, ps_buf_data(&b), b.len);
    ps_buf_free(&b);
}

/* One key of 1 GiB: 4,700 line records, each over the same 228 KiB of line
 * data, each the child of the next. */
static void act_long_key(const char *dir)
{
    ps_buf b = { 0 };
    ps_buf_append(&b, "ACTree03\0\0\0\0\0\0\0\0", 16);
    enum { LINE = 228 << 10, LINKS = 4700 };
    uint8_t r[32];
    size_t k = fx_act_varint(r, LINE);
    uint64_t data = rec(&b, r, k);
    uint8_t *fill = calloc(1, LINE);
    memset(fill, 'q', LINE);
    ps_buf_append(&b, fill, LINE);
    free(fill);
    k = 0;
    r[k++] = 0xC0;
    r[k++] = 1;
    k += fx_act_varint(r + k, b.len - data);
    uint64_t below = rec(&b, r, k);
    for (int i = 0; i < LINKS; i++) {
        uint64_t at = b.len;
        k = 0;
        r[k++] = 0x81;
        k += fx_act_varint(r + k, at - below);
        k += fx_act_varint(r + k, at - data);
        below = rec(&b, r, k);
    }
    act_finish(&b, below);
    put(dir, "act-long-key.act", ps_buf_data(&b), b.len);
    ps_buf_free(&b);
}

/* -------------------------------------------------------------- .paths */

static void zlib_file(const char *dir, const char *name, const uint8_t *raw, size_t n)
{
    uLongf cap = compressBound((uLong)n);
    uint8_t *out = malloc(cap);
    if (!out || compress2(out, &cap, raw, (uLong)n, 1) != Z_OK) {
        fprintf(stderr, "hostile: zlib failed\n");
        exit(1);
    }
    put(dir, name, out, cap);
    free(out);
}

static void paths_files(const char *dir)
{
    uint8_t one[4 + 4096] = { 0xFF, 0xFF, 0xFF, 0xFF }; /* 4 GiB - 1, then 4 KiB of it */
    zlib_file(dir, "paths-record.paths", one, sizeof one);
    enum { REC = (16u << 20) - 1, N = 19 };
    size_t n = (size_t)N * (4 + REC);
    uint8_t *raw = calloc(1, n);
    for (size_t i = 0; i < N; i++) {
        ps_write_le32(raw + i * (4 + REC), REC);
        raw[i * (4 + REC) + 4 + REC - 1] = (uint8_t)i; /* distinct records */
    }
    zlib_file(dir, "paths-bomb.paths", raw, n);
    free(raw);
}

/* ------------------------------------------------------------ snapshots */

/* One Zstd chunk: 63 restarts, 255 entries each (the longest interval the
 * format allows); every path is 1 MiB of 'a' and 4 bytes of its index,
 * big-endian, so each entry after a restart costs a few raw bytes. */
static void snap_front(const char *dir, const char *name, uint64_t claimed_bytes)
{
    enum { PRE = 1u << 20, R = 255, N = 63 * 255 };
    ps_buf raw = { 0 }, restarts = { 0 };
    uint8_t e[32];
    ps_buf first = { 0 };
    for (uint32_t i = 0; i < N; i++) {
        if (i % R == 0) {
            uint8_t off[4];
            ps_write_le32(off, (uint32_t)raw.len);
            ps_buf_append(&restarts, off, 4);
        }
        uint8_t be[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
        if (i % R == 0) { /* a restart holds the whole path */
            unsigned k = fx_leb128(e, 0);
            k += fx_leb128(e + k, PRE + 4);
            ps_buf_append(&raw, e, k);
            uint8_t *a = ps_buf_append_uninit(&raw, PRE, &(int){ 0 });
            memset(a, 'a', PRE);
            ps_buf_append(&raw, be, 4);
            if (i == 0) {
                memset(ps_buf_append_uninit(&first, PRE, &(int){ 0 }), 'a', PRE);
                ps_buf_append(&first, be, 4);
            }
        } else { /* shares the prefix and whatever of i it can */
            uint32_t p = i - 1;
            unsigned same = 0;
            while (same < 4 && ((p >> (24 - 8 * same)) & 0xFF) == be[same])
                same++;
            unsigned k = fx_leb128(e, PRE + same);
            k += fx_leb128(e + k, 4 - same);
            ps_buf_append(&raw, e, k);
            ps_buf_append(&raw, be + same, 4 - same);
        }
    }
    ps_buf_append(&raw, ps_buf_data(&restarts), restarts.len);
    if (raw.len > (64u << 20)) {
        fprintf(stderr, "hostile: chunk too big\n");
        exit(1);
    }
    size_t cap = ZSTD_compressBound(raw.len);
    uint8_t *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, ps_buf_data(&raw), raw.len, 1);
    ps_buf f = { 0 };
    uint8_t h[64] = { 'M', 'T', 'T', 'S' };
    uint64_t bytes = claimed_bytes ? claimed_bytes : (uint64_t)N * (PRE + 4);
    ps_write_le16(h + 4, 1);
    ps_write_le16(h + 6, 2); /* zstd, xxh3, no values */
    ps_write_le32(h + 8, 64);
    ps_write_le32(h + 12, 64u << 20);
    ps_write_le64(h + 16, N);
    ps_write_le64(h + 24, bytes);
    h[32] = 1;
    h[33] = R;
    ps_buf_append(&f, h, 64);
    ps_buf_append(&f, z, zn);
    uint64_t io = f.len;
    uint8_t ent[64] = { 0 };
    ps_write_le64(ent, 64);
    ps_write_le32(ent + 8, (uint32_t)zn);
    ps_write_le32(ent + 12, (uint32_t)raw.len);
    ps_write_le32(ent + 16, N);
    ps_write_le32(ent + 20, (uint32_t)first.len);
    fx_xxh3_field(z, zn, ent + 32);
    ps_buf_append(&f, ent, 64);
    ps_buf_append(&f, ps_buf_data(&first), first.len);
    uint8_t t[96] = { 0 };
    ps_write_le64(t, io);
    ps_write_le64(t + 8, f.len - io);
    ps_write_le64(t + 16, 1);
    ps_write_le64(t + 24, N);
    ps_write_le64(t + 32, bytes);
    memcpy(t + 92, "STTM", 4);
    XXH3_state_t *x = XXH3_createState();
    XXH3_64bits_reset(x);
    XXH3_64bits_update(x, ps_buf_data(&f), 64);
    XXH3_64bits_update(x, ps_buf_data(&f) + io, f.len - io);
    XXH3_64bits_update(x, t, 60);
    ps_write_le64(t + 60, XXH3_64bits_digest(x));
    XXH3_freeState(x);
    ps_buf_append(&f, t, 96);
    put(dir, name, ps_buf_data(&f), f.len);
    free(z);
    ps_buf_free(&raw);
    ps_buf_free(&restarts);
    ps_buf_free(&first);
    ps_buf_free(&f);
}

/* ---------------------------------------------------------------- text */

static void metta_files(const char *dir)
{
    /* "(a a ... (a a ... (...) ...) ...)": 64 symbols, then the next list,
     * then 64 more, nested until 5 MB */
    ps_buf t = { 0 };
    int depth = 0;
    while (t.len < (9u << 20) / 2) {
        ps_buf_append(&t, "(", 1);
        for (int i = 0; i < 64; i++)
            ps_buf_append(&t, "a ", 2);
        depth++;
    }
    while (depth--) {
        for (int i = 0; i < 64; i++)
            ps_buf_append(&t, " b", 2);
        ps_buf_append(&t, ")", 1);
    }
    ps_buf_append(&t, "\n", 1);
    put(dir, "metta-nested.metta", ps_buf_data(&t), t.len);
    ps_buf_clear(&t, 0);
    ps_buf_append(&t, "(big ", 5);
    for (int i = 0; i < 9 * 1024 * 1024 / 8; i++)
        ps_buf_append(&t, "abcdefg ", 8);
    ps_buf_append(&t, ")\n", 2);
    put(dir, "metta-big-atom.metta", ps_buf_data(&t), t.len);
    ps_buf_free(&t);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hostile DIR\n");
        return 2;
    }
    act_dag(argv[1], "act-dag.act", 63, 1);
    act_dag(argv[1], "act-wide.act", 22, 48);
    act_long_key(argv[1]);
    paths_files(argv[1]);
    snap_front(argv[1], "snap-front.snap", 0);
    snap_front(argv[1], "snap-liar.snap", 1u << 20);
    metta_files(argv[1]);
    return 0;
}
