/*
 * bench_snap.c - MTTS snapshots: write and read (into a space, and
 * streaming only) for each codec, on big_logic, royal92 and generated
 * spaces of 1K..10M atoms.
 *
 * Each codec row sits beside that codec alone on the very same bytes (the
 * front-coded chunks, compressed and decompressed one by one on one
 * thread), so the ratio says what our format, threads and trie cost or
 * save; and beside the MORK write-up's 1M-atom figures. Snappy has no
 * place in the format; its row shows why (codec alone only). Writes go to
 * a reused memory buffer: disk speed is in bench_peers, not here. Peak RSS
 * is the process's high-water mark during the operation (reset through
 * /proc/self/clear_refs) above its resident size before it.
 */
#include <lz4.h>
#include <lz4hc.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common.h"
#include "pathspace.h"

typedef struct variant {
    const char *name;
    int codec, level, priority;
} variant;

static const variant VARIANTS[] = {
    { "none", PS_CODEC_NONE, 0, 0 },       { "lz4 (speed)", PS_CODEC_LZ4, 0, 0 },
    { "zstd 1 (balanced)", PS_CODEC_ZSTD, 1, 0 }, { "zstd 3", PS_CODEC_ZSTD, 3, 0 },
    { "zlib 6", PS_CODEC_ZLIB, 6, 0 },     { "size priority", PS_CODEC_AUTO, 0, PS_PRIORITY_SIZE },
};
#define NV (sizeof VARIANTS / sizeof *VARIANTS)

typedef struct ds {
    ps_space *s;
    ps_snap_opts o;
    ps_buf out;
    ps_snap *sn;
    ps_buf chunks; /* the front-coded chunks, back to back */
    uint32_t *clen;
    size_t nchunks;
    ps_buf comp;   /* the codec-alone output */
    size_t *cpos, *csz;
    int codec, level;
} ds;

/* ------------------------------------------------------------ peak RSS */

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, k))
            v = atol(line + k + 1);
    if (f)
        fclose(f);
    return v;
}

/* Peak resident MB above the start, while fn runs once. */
static double peak_mb(void (*fn)(void *), void *arg)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f); /* resets VmHWM to the current RSS */
        fclose(f);
    }
    long before = status_kb("VmRSS:");
    fn(arg);
    return (double)(status_kb("VmHWM:") - before) / 1024.0;
}

/* -------------------------------------------------------------- our ops */

static void run_write(void *arg)
{
    ds *d = arg;
    ps_buf_clear(&d->out, 0);
    bench_must(ps_space_write_snap(d->s, ps_sink_buf(&d->out), &d->o, NULL), "write");
}

static void run_read(void *arg)
{
    ds *d = arg;
    ps_space *s;
    bench_must(ps_space_new(&s), "new");
    bench_must(ps_space_read_snap(s, d->sn, 0, NULL), "read");
    ps_space_free(s);
}

static void run_stream(void *arg)
{
    ds *d = arg;
    ps_snap_iter *it;
    ps_bytes p;
    uint64_t n = 0;
    bench_must(ps_snap_iter_new(d->sn, ps_bytes_of(NULL, 0), &it), "iter");
    while (ps_snap_iter_next(it, &p, NULL, NULL, NULL) == PS_OK)
        n += p.len;
    CLOBBER(&n);
    ps_snap_iter_free(it);
}

/* ---------------------------------------------------- the codec alone */

static size_t c_compress(int codec, int level, const uint8_t *src, size_t n, uint8_t *dst,
                         size_t cap)
{
    switch (codec) {
    case PS_CODEC_LZ4:
        return (size_t)(level > 1 ? LZ4_compress_HC((const char *)src, (char *)dst, (int)n,
                                                    (int)cap, level)
                                  : LZ4_compress_default((const char *)src, (char *)dst, (int)n,
                                                         (int)cap));
    case PS_CODEC_ZSTD:
        return ZSTD_compress(dst, cap, src, n, level);
    case PS_CODEC_ZLIB: {
        uLongf z = cap;
        return compress2(dst, &z, src, n, level) == Z_OK ? z : 0;
    }
    case -1: { /* snappy */
        size_t z = cap;
        return snappy_compress((const char *)src, n, (char *)dst, &z) == SNAPPY_OK ? z : 0;
    }
    default:
        return 0;
    }
}

static void c_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t raw)
{
    switch (codec) {
    case PS_CODEC_LZ4:
        LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)raw);
        break;
    case PS_CODEC_ZSTD:
        ZSTD_decompress(dst, raw, src, n);
        break;
    case PS_CODEC_ZLIB: {
        uLongf z = raw;
        uncompress(dst, &z, src, n);
        break;
    }
    case -1: {
        size_t z = raw;
        snappy_uncompress((const char *)src, n, (char *)dst, &z);
        break;
    }
    }
}

static void run_alone_c(void *arg)
{
    ds *d = arg;
    size_t in = 0, out = 0;
    uint8_t *dst = ps_buf_data(&d->comp);
    for (size_t i = 0; i < d->nchunks; i++) {
        size_t z = c_compress(d->codec, d->level, ps_buf_data(&d->chunks) + in, d->clen[i],
                              dst + out, d->comp.cap - d->comp.head - out);
        d->cpos[i] = out;
        d->csz[i] = z;
        in += d->clen[i];
        out += z;
    }
    d->comp.len = out;
}

static void run_alone_d(void *arg)
{
    ds *d = arg;
    static uint8_t *tmp;
    static size_t cap;
    for (size_t i = 0; i < d->nchunks; i++) {
        if (d->clen[i] > cap) {
            free(tmp);
            tmp = malloc(cap = d->clen[i]);
        }
        c_decompress(d->codec, ps_buf_data(&d->comp) + d->cpos[i], d->csz[i], tmp, d->clen[i]);
    }
}

/* The raw front-coded chunks: the stored bytes of a codec-none snapshot. */
static void collect_chunks(ds *d)
{
    ps_snap_opts o = { .size = sizeof(ps_snap_opts), .codec = PS_CODEC_NONE };
    ps_buf f = { 0 };
    bench_must(ps_space_write_snap(d->s, ps_sink_buf(&f), &o, NULL), "write none");
    const uint8_t *p = ps_buf_data(&f), *t = p + f.len - 96;
    uint64_t io = ps_read_le64(t), n = ps_read_le64(t + 16);
    d->nchunks = (size_t)n;
    d->clen = malloc((n + 1) * sizeof *d->clen);
    d->cpos = malloc((n + 1) * sizeof *d->cpos);
    d->csz = malloc((n + 1) * sizeof *d->csz);
    for (uint64_t i = 0; i < n; i++) { /* index entry: offset u64, stored u32 (docs) */
        const uint8_t *e = p + io + 64 * i;
        d->clen[i] = ps_read_le32(e + 8);
        ps_buf_append(&d->chunks, p + ps_read_le64(e), d->clen[i]);
    }
    bench_must(ps_buf_reserve(&d->comp, d->chunks.len + d->chunks.len / 4 + 65536 * (n + 1)), "reserve");
    ps_buf_free(&f);
}

/* Codec alone on our chunks: compress and decompress seconds, bytes. */
static void alone(ds *d, int codec, int level, int reps, double *c, double *u, size_t *bytes)
{
    d->codec = codec;
    d->level = level;
    *c = bench_time_n(run_alone_c, d, reps);
    *u = bench_time_n(run_alone_d, d, reps);
    *bytes = d->comp.len;
}

/* ------------------------------------------------------------------ rows */

static void row(const char *name, ps_space *s)
{
    ds d = { .s = s };
    ps_space_stats st;
    ps_space_stats_get(s, &st);
    uint64_t n = st.paths;
    int reps = n >= 5000000 ? 1 : n >= 500000 ? 3 : bench_reps();
    collect_chunks(&d);
    printf("%s: %llu atoms, %.1f MB of path bytes, %.1f MB front-coded in %zu chunks\n", name,
           (unsigned long long)n, st.path_bytes / 1e6, d.chunks.len / 1e6, d.nchunks);
    printf("  %-24s %9s %9s %9s %8s %9s %8s | %-25s | %s\n", "codec", "write ms", "M atoms/s",
           "read ms", "M at/s", "stream ms", "ratio", "alone: comp / decomp ms", "ours / alone; peak RSS w / r");
    double best_w = 0, best_r = 0, size_ratio = 0, fast_over = 0;
    for (size_t v = 0; v < NV; v++) {
        d.o = (ps_snap_opts){ .size = sizeof(ps_snap_opts), .codec = VARIANTS[v].codec, .level = VARIANTS[v].level,
                              .priority = VARIANTS[v].priority };
        double w = bench_time_n(run_write, &d, reps);
        double wpeak = peak_mb(run_write, &d);
        bench_must(ps_snap_open_mem(ps_buf_data(&d.out), d.out.len, &d.sn, NULL), "open");
        ps_snap_info in;
        ps_snap_info_get(d.sn, &in);
        double r = bench_time_n(run_read, &d, reps), rpeak = peak_mb(run_read, &d);
        double it = bench_time_n(run_stream, &d, reps);
        double ratio = (double)st.path_bytes / (double)d.out.len;
        char al[64] = "-", ov[64] = "-";
        if (in.codec != PS_CODEC_NONE) {
            double c, u;
            size_t b;
            alone(&d, in.codec, in.level, reps, &c, &u, &b);
            snprintf(al, sizeof al, "%.2f / %.2f", c * 1e3, u * 1e3);
            snprintf(ov, sizeof ov, "write %.2fx, read %.2fx", w / c, r / u);
            if (in.codec == PS_CODEC_LZ4 || (in.codec == PS_CODEC_ZSTD && in.level == 1))
                fast_over = fast_over ? (w / c < fast_over ? w / c : fast_over) : w / c;
        }
        char label[48];
        snprintf(label, sizeof label, "%s%s", VARIANTS[v].name,
                 VARIANTS[v].codec == PS_CODEC_AUTO ? (in.level >= 19 ? ": zstd 19" :
                                                      in.level >= 15 ? ": zstd 15" : ": zstd 9") : "");
        printf("  %-24s %9.2f %9.2f %9.2f %8.2f %9.2f %6.2f:1 | %-25s | %s; %.0f / %.0f MB\n", label,
               w * 1e3, n / w / 1e6, r * 1e3, n / r / 1e6, it * 1e3, ratio, al, ov, wpeak, rpeak);
        if (in.codec == PS_CODEC_LZ4 || (in.codec == PS_CODEC_ZSTD && in.level == 1))
            best_w = n / w > best_w ? n / w : best_w;
        best_r = n / r > best_r ? n / r : best_r;
        if (VARIANTS[v].priority == PS_PRIORITY_SIZE)
            size_ratio = ratio;
        ps_snap_close(d.sn);
    }
    double c, u;
    size_t b;
    alone(&d, -1, 0, reps, &c, &u, &b);
    char al[64];
    snprintf(al, sizeof al, "%.2f / %.2f", c * 1e3, u * 1e3);
    printf("  %-24s %9s %9s %9s %8s %9s %6.2f:1 | %-25s | not in the format\n", "snappy (alone)", "-",
           "-", "-", "-", "-", (double)st.path_bytes / (double)b, al);
    if (n == 1000000) {
        printf("  targets at 1M: write %.1f M atoms/s with lz4/zstd-1 (>= 10), read into a space "
               "%.1f M atoms/s (>= 5),\n    ratio at the size priority %.1f:1 (>= 5), write %.2fx of "
               "the codec alone (<= 1.5)\n", best_w / 1e6, best_r / 1e6, size_ratio, fast_over);
        printf("  MORK write-up, 1M atoms on 36 cores: serialize 8 s (stretch < 2 s, 500K atoms/s), "
               "deserialize stretch < 4 s (400K atoms/s), ratio stretch 3.5:1\n");
    }
    printf("\n");
    ps_buf_free(&d.out);
    ps_buf_free(&d.chunks);
    ps_buf_free(&d.comp);
    free(d.clen);
    free(d.cpos);
    free(d.csz);
}

int main(void)
{
    printf("== bench_snap: MTTS snapshots (median of %d; 3 at 1M, 1 at 10M; %ld CPUs, "
           "all threads) ==\n", bench_reps(), sysconf(_SC_NPROCESSORS_ONLN));
    printf("   read = snapshot -> full space; stream = iterate every atom, no space; ratio = "
           "path bytes / file bytes\n\n");
    /* a smoke run (PS_BENCH_QUICK) skips the real files and stops at 100K */
    ps_space *s = bench_quick() ? NULL : bench_load("../shared/data/big_logic.metta.paths", 1);
    if (s) {
        row("big_logic.metta.paths", s);
        ps_space_free(s);
    }
    if (!bench_quick() && (s = bench_load("../shared/data/royal92.metta", 0))) {
        row("royal92.metta", s);
        ps_space_free(s);
    }
    uint64_t sizes[] = { 1000, 100000, 1000000, 10000000 };
    for (int i = 0; i < (bench_quick() ? 2 : 4); i++) {
        char name[64];
        snprintf(name, sizeof name, "generated, %llu atoms", (unsigned long long)sizes[i]);
        s = bench_gen_space(sizes[i]);
        row(name, s);
        if (sizes[i] == 1000000) { /* the same space as a snapshot load lays it out */
            ps_buf f = { 0 };
            ps_space *t;
            ps_snap *sn;
            bench_must(ps_space_write_snap(s, ps_sink_buf(&f), NULL, NULL), "write");
            bench_must(ps_snap_open_mem(ps_buf_data(&f), f.len, &sn, NULL) || ps_space_new(&t), "open");
            bench_must(ps_space_read_snap(t, sn, 0, NULL), "read");
            ds d = { .s = t, .o = { .size = sizeof(ps_snap_opts), .codec = PS_CODEC_ZSTD, .level = 1 } };
            double w = bench_time_n(run_write, &d, 3);
            printf("  the same 1M atoms reloaded from a snapshot (bulk-built, sorted layout): "
                   "zstd 1 write %.3f s, %.1f M atoms/s\n\n", w, 1e6 / w / 1e6);
            ps_buf_free(&d.out);
            ps_snap_close(sn);
            ps_space_free(t);
            ps_buf_free(&f);
        }
        ps_space_free(s);
    }
    return 0;
}
