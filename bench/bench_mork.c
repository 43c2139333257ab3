/*
 * bench_mork.c - MORK's file formats: .paths write/read and ACT write, open,
 * lookups and iteration, on generated spaces of 1K..10M atoms and on
 * big_logic (PathMap's own .paths file).
 *
 * Every row sits beside the bare codec on the same bytes (zlib level 7 on
 * one thread, isa-l igzip, isa-l inflate), so the table shows how much of
 * the time is ours, and beside the MORK write-up's 1M-atom figures. Writes
 * go to memory (a reused buffer), so disk speed is not in the numbers; ACT
 * opens and lookups use a real file under /tmp through mmap.
 */
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common.h"
#include "pathspace.h"

typedef struct ds {
    ps_space *s;
    ps_buf raw;   /* the decompressed .paths stream: what the codec sees */
    ps_buf out;   /* reused output buffer */
    ps_buf paths; /* the level-7 file, for the read rows */
    ps_paths_opts o;
    ps_bytes *keys; /* lookup sample, random order */
    size_t nkeys;
    ps_act *act;
    const char *act_path;
} ds;

static void run_paths_write(void *arg)
{
    ds *d = arg;
    ps_buf_clear(&d->out, 0);
    bench_must(ps_space_write_paths(d->s, ps_sink_buf(&d->out), &d->o, NULL), "write paths");
}

static void run_zlib7(void *arg)
{
    ds *d = arg;
    uLongf n = (uLongf)d->out.cap;
    bench_must(compress2(d->out.base, &n, ps_buf_data(&d->raw), (uLong)d->raw.len, 7) != Z_OK, "zlib");
}

static void run_isal(void *arg)
{
    ds *d = arg;
    static uint8_t lvl[ISAL_DEF_LVL1_DEFAULT];
    struct isal_zstream z;
    isal_deflate_init(&z);
    z.level = 1;
    z.level_buf = lvl;
    z.level_buf_size = sizeof lvl;
    z.gzip_flag = IGZIP_ZLIB;
    z.end_of_stream = 1;
    z.next_in = ps_buf_data(&d->raw);
    z.avail_in = (uint32_t)d->raw.len;
    z.next_out = d->out.base;
    z.avail_out = (uint32_t)d->out.cap;
    bench_must(isal_deflate(&z) != COMP_OK, "isal");
}

static void run_inflate(void *arg)
{
    ds *d = arg;
    struct inflate_state *z = malloc(sizeof *z);
    isal_inflate_init(z);
    z->crc_flag = ISAL_ZLIB;
    z->next_in = ps_buf_data(&d->paths);
    z->avail_in = (uint32_t)d->paths.len;
    z->next_out = d->out.base;
    z->avail_out = (uint32_t)d->out.cap;
    bench_must(isal_inflate(z) != ISAL_DECOMP_OK || z->block_state != ISAL_BLOCK_FINISH, "inflate");
    free(z);
}

static void run_paths_read(void *arg)
{
    ds *d = arg;
    ps_space *s;
    ps_paths_reader *r;
    bench_must(ps_space_new(&s), "space");
    bench_must(ps_paths_reader_new(ps_buf_data(&d->paths), d->paths.len, &r), "reader");
    bench_must(ps_space_read_paths(s, r, NULL), "read paths");
    if (ps_space_count(s) != ps_space_count(d->s))
        bench_must(PS_E_CORRUPT, "read paths count");
    ps_paths_reader_free(r);
    ps_space_free(s);
}

static void run_act_write(void *arg)
{
    ds *d = arg;
    ps_buf_clear(&d->out, 0);
    bench_must(ps_space_write_act(d->s, ps_sink_buf(&d->out), NULL), "write act");
}

static void run_act_open(void *arg)
{
    ds *d = arg;
    ps_act *a;
    for (int i = 0; i < 1000; i++) {
        bench_must(ps_act_open(d->act_path, &a, NULL), "open act");
        CLOBBER(a);
        ps_act_close(a);
    }
}

static void run_act_get(void *arg)
{
    ds *d = arg;
    for (size_t i = 0; i < d->nkeys; i++)
        bench_must(ps_act_get(d->act, d->keys[i], NULL, NULL), "act get");
}

static void run_space_contains(void *arg)
{
    ds *d = arg;
    for (size_t i = 0; i < d->nkeys; i++)
        if (!ps_space_contains(d->s, d->keys[i]))
            bench_must(PS_E_NOTFOUND, "contains");
}

static void run_act_iter(void *arg)
{
    ds *d = arg;
    ps_act_iter *it;
    ps_bytes p;
    uint64_t v, n = 0;
    bench_must(ps_act_iter_new(d->act, ps_bytes_of(NULL, 0), &it), "act iter");
    while (ps_act_iter_next(it, &p, &v, NULL) == PS_OK)
        n++;
    ps_act_iter_free(it);
    if (n != ps_space_count(d->s))
        bench_must(PS_E_CORRUPT, "act iter count");
}

/* A random sample of up to 1M keys, copied out of the space. */
static void sample_keys(ds *d, ps_buf *store)
{
    uint64_t n = ps_space_count(d->s), want = n < 1000000 ? n : 1000000, seen = 0;
    size_t *off = malloc(want * sizeof *off), *len = malloc(want * sizeof *len);
    uint64_t rng = 42;
    ps_iter *it;
    ps_bytes p;
    bench_must(ps_iter_new(d->s, ps_bytes_of(NULL, 0), &it), "iter");
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t slot = seen < want ? seen : (rng >> 11) % (seen + 1); /* reservoir */
        seen++;
        if (slot < want) {
            off[slot] = store->len;
            len[slot] = p.len;
            ps_buf_append(store, p.ptr, p.len);
        }
    }
    ps_iter_free(it);
    d->nkeys = (size_t)want;
    d->keys = malloc(want * sizeof *d->keys);
    for (size_t i = 0; i < want; i++)
        d->keys[i] = ps_bytes_of(ps_buf_data(store) + off[i], len[i]);
    for (size_t i = want; i > 1; i--) { /* shuffle: the sample is in key order */
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (rng >> 11) % i;
        ps_bytes t = d->keys[i - 1];
        d->keys[i - 1] = d->keys[j];
        d->keys[j] = t;
    }
    free(off);
    free(len);
}

static void row(const char *name, ps_space *s)
{
    ds d = { .s = s, .act_path = "/tmp/pathspace_bench.act" };
    uint64_t n = ps_space_count(s);
    int reps = n >= 5000000 ? 1 : n >= 500000 ? 3 : bench_reps();
    ps_iter *it;
    ps_bytes p;
    bench_must(ps_iter_new(s, ps_bytes_of(NULL, 0), &it), "iter");
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        uint8_t l[4];
        ps_write_le32(l, (uint32_t)p.len);
        ps_buf_append(&d.raw, l, 4);
        ps_buf_append(&d.raw, p.ptr, p.len);
    }
    ps_iter_free(it);
    bench_must(ps_buf_reserve(&d.out, d.raw.len + d.raw.len / 8 + 65536), "reserve");
    double raw_mb = (double)d.raw.len / 1e6;

    d.o = (ps_paths_opts){ sizeof(ps_paths_opts), 7, 0 };
    double w7 = bench_time_n(run_paths_write, &d, reps);
    ps_buf_append(&d.paths, ps_buf_data(&d.out), d.out.len);
    double z7 = bench_time_n(run_zlib7, &d, reps);
    d.o = (ps_paths_opts){ sizeof(ps_paths_opts), PS_PATHS_LEVEL_FAST, 0 };
    double wf = bench_time_n(run_paths_write, &d, reps);
    size_t fast_len = d.out.len;
    double zf = bench_time_n(run_isal, &d, reps);
    double rd = bench_time_n(run_paths_read, &d, reps);
    double inf = bench_time_n(run_inflate, &d, reps);
    double aw = bench_time_n(run_act_write, &d, reps);
    size_t act_len = d.out.len;
    FILE *f = fopen(d.act_path, "wb");
    if (!f || fwrite(ps_buf_data(&d.out), 1, d.out.len, f) != d.out.len || fclose(f))
        bench_must(PS_E_IO, d.act_path);
    double ao = bench_time_n(run_act_open, &d, reps) / 1000;
    bench_must(ps_act_open(d.act_path, &d.act, NULL), "open act");
    ps_buf store = { 0 };
    sample_keys(&d, &store);
    double ag = bench_time_n(run_act_get, &d, reps), sc = bench_time_n(run_space_contains, &d, reps);
    double ai = bench_time_n(run_act_iter, &d, reps);

    printf("%s: %llu atoms, %.1f MB of records\n", name, (unsigned long long)n, raw_mb);
    printf("  %-30s %9.3f s  %7.1f MB/s   zlib 7 alone, 1 thread: %.3f s  (ours %.2fx of it)\n",
           ".paths write, level 7", w7, raw_mb / w7, z7, w7 / z7);
    printf("  %-30s %9.3f s  %7.1f MB/s   isa-l alone, 1 thread:  %.3f s  (ours %.2fx of it)\n",
           ".paths write, --level fast", wf, raw_mb / wf, zf, wf / zf);
    printf("  %-30s %9.3f s  %7.2f M atoms/s  isa-l inflate alone: %.3f s  (inflate is %.0f%% of it)\n",
           ".paths read into a space", rd, n / rd / 1e6, inf, 100 * inf / rd);
    printf("  %-30s %9.3f s  %7.2f M atoms/s\n", "ACT write", aw, n / aw / 1e6);
    printf("  %-30s %9.2f us\n", "ACT open (mmap + checks)", ao * 1e6);
    printf("  %-30s %9.2f M/s    space contains: %.2f M/s  (%zu random present keys)\n",
           "ACT lookups", d.nkeys / ag / 1e6, d.nkeys / sc / 1e6, d.nkeys);
    printf("  %-30s %9.3f s  %7.2f M keys/s\n", "ACT full iteration", ai, n / ai / 1e6);
    printf("  %-30s level 7 %.1f MB (%.1f%%), fast %.1f MB (%.1f%%), ACT %.1f MB (%.1f%%) of records\n",
           "file sizes", d.paths.len / 1e6, 100.0 * d.paths.len / d.raw.len, fast_len / 1e6,
           100.0 * fast_len / d.raw.len, act_len / 1e6, 100.0 * act_len / d.raw.len);
    if (n == 1000000) {
        printf("  targets at 1M (this machine) vs MORK write-up:\n");
        printf("    .paths write L7 %.3f s (target <= 1 s; MORK 12 s)   read %.3f s (target <= 0.5 s; "
               "MORK 19 s)\n", w7, rd);
        printf("    ACT write %.3f s (target <= 0.5 s; MORK 1.7 s)   open %.1f us (target <= 50 us; "
               "MORK < 1 ms)   lookups %.2f M/s (target >= 2 M/s)\n", aw, ao * 1e6, d.nkeys / ag / 1e6);
    }
    printf("\n");
    ps_act_close(d.act);
    unlink(d.act_path);
    free(d.keys);
    ps_buf_free(&store);
    ps_buf_free(&d.raw);
    ps_buf_free(&d.out);
    ps_buf_free(&d.paths);
}

int main(void)
{
    printf("== bench_mork: .paths and ACT (median of %d; 3 at 1M, 1 at 10M; %ld CPUs) ==\n\n",
           bench_reps(), sysconf(_SC_NPROCESSORS_ONLN));
    ps_space *bl = bench_quick() ? NULL : bench_load("../shared/data/big_logic.metta.paths", 1);
    if (bl) {
        row("big_logic.metta.paths (PathMap's file: 803,836 bytes)", bl);
        ps_space_free(bl);
    }
    uint64_t sizes[] = { 1000, 100000, 1000000, 10000000 };
    for (int i = 0; i < (bench_quick() ? 2 : 4); i++) {
        char name[64];
        snprintf(name, sizeof name, "generated, %llu atoms", (unsigned long long)sizes[i]);
        ps_space *s = bench_gen_space(sizes[i]);
        row(name, s);
        ps_space_free(s);
    }
    return 0;
}
