/*
 * bench_scale.c - the space at scale: generated atoms streamed into a
 * snapshot in key order (the external sort), loaded into a space, resident
 * bytes per atom, random contains and inserts at that size, queries,
 * a checkpoint saved and restored. One forked process per size (so every
 * resident figure starts from an empty process), sizes in PS_BENCH_SCALE
 * (atoms, comma-separated; default 1M,10M; PS_BENCH_BIG=1: also 100M and
 * 300M; PS_BENCH_QUICK=1: 1M). Files go to PS_BENCH_DIR (default /tmp);
 * PS_BENCH_MEM_LIMIT caps the measured process's memory (a 1B attempt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pathspace.h"
#include "common.h"

static const char *dir(void)
{
    const char *d = getenv("PS_BENCH_DIR");
    return d && *d ? d : "/tmp";
}

static long status_kb(const char *key)
{
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, k))
            v = atol(line + k);
    if (f)
        fclose(f);
    return v;
}

/* n atoms of the generator, encoded, one after another: atoms first,
 * first + 1, ... or (mod > 0) scattered over [0, mod). */
typedef struct batch {
    ps_buf bytes;
    size_t *off, n;
} batch;

static void batch_of(batch *b, uint64_t first, size_t n, uint64_t mod)
{
    ps_buf t = { 0 };
    ps_parser *p;
    ps_bytes x;
    b->off = malloc((n + 1) * sizeof *b->off);
    b->off[0] = 0;
    b->n = 0;
    bench_must(ps_parser_new(&p), "parser");
    for (size_t i = 0; i < n; i++) {
        uint64_t at = mod ? (first + i * 2654435761ull) % mod : first + i;
        ps_buf_clear(&t, 0);
        bench_must(ps_gen_text(1, at, 1, &t), "gen");
        ps_parser_reset(p, ps_buf_data(&t), t.len);
        if (ps_parser_next(p, &x, NULL) == PS_OK) {
            ps_buf_append(&b->bytes, x.ptr, x.len);
            b->off[++b->n] = b->bytes.len;
        }
    }
    ps_parser_free(p);
    ps_buf_free(&t);
}

static ps_bytes batch_at(const batch *b, size_t i)
{
    return ps_bytes_of(ps_buf_data(&b->bytes) + b->off[i], b->off[i + 1] - b->off[i]);
}

/* The generator's atoms straight into a snapshot, in key order. */
static double gen_snap(uint64_t n, const char *file)
{
    double t0 = bench_now();
    ps_sorter_opts so;
    ps_sorter *s;
    ps_sorter_opts_init(&so);
    so.tmp_dir = dir();
    bench_must(ps_sorter_new(&so, &s), "sorter");
    ps_buf t = { 0 };
    ps_parser *p;
    ps_bytes x;
    bench_must(ps_parser_new(&p), "parser");
    for (uint64_t i = 0; i < n; i += 65536) {
        ps_buf_clear(&t, 0);
        bench_must(ps_gen_text(1, i, n - i < 65536 ? n - i : 65536, &t), "gen");
        ps_parser_reset(p, ps_buf_data(&t), t.len);
        while (ps_parser_next(p, &x, NULL) == PS_OK)
            bench_must(ps_sorter_add(s, x), "sort");
    }
    ps_parser_free(p);
    ps_buf_free(&t);
    FILE *f = fopen(file, "wb");
    if (!f)
        bench_must(PS_E_IO, file);
    ps_snap_writer *w;
    bench_must(ps_snap_writer_new(ps_sink_fd(fileno(f)), NULL, &w), "snap writer");
    while (ps_sorter_next(s, &x, NULL) == PS_OK)
        bench_must(ps_snap_writer_add(w, x), "snap add");
    bench_must(ps_snap_writer_finish(w, NULL), "snap finish");
    ps_snap_writer_free(w);
    fclose(f);
    ps_sorter_free(s);
    return bench_now() - t0;
}

static int count_fn(void *ctx, ps_bytes r)
{
    (void)r;
    ++*(uint64_t *)ctx;
    return 0;
}

/* Median milliseconds of a query over the space, and its result count. */
static double query_ms(const ps_space *s, const char *pat, uint64_t *results)
{
    ps_query *q;
    double t[5];
    bench_must(ps_query_parse(pat, strlen(pat), NULL, 0, &q, NULL), pat);
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        *results = 0;
        bench_must(ps_query_run(q, ps_source_space(s), NULL, count_fn, results, NULL, NULL), pat);
        t[r] = (bench_now() - t0) * 1e3;
    }
    ps_query_free(q);
    return bench_median(t, 5);
}

/* PS_BENCH_MEM_LIMIT=BYTES caps the address space of the measured process
 * (RLIMIT_AS), so a size that does not fit ends in PS_E_NOMEM, with what
 * was loaded, instead of the OOM killer. */
static void limit_memory(void)
{
    const char *e = getenv("PS_BENCH_MEM_LIMIT");
    struct rlimit r;
    if (!e || !*e)
        return;
    r.rlim_cur = r.rlim_max = strtoull(e, NULL, 10);
    if (setrlimit(RLIMIT_AS, &r))
        perror("setrlimit");
}

static void snap_name(char *out, size_t cap, uint64_t n)
{
    snprintf(out, cap, "%s/ps-scale-%llu.snap", dir(), (unsigned long long)n);
}

/* The snapshot of n atoms, made in a process of its own so the sort's
 * memory is not in the measured one's peak. */
static void make_snap(uint64_t n)
{
    char snap[4200];
    snap_name(snap, sizeof snap, n);
    double tg = gen_snap(n, snap);
    printf("%11llu atoms: gen + sort + write a snapshot %.1f s (%.2f M atoms/s), peak resident "
           "%.0f MB\n",
           (unsigned long long)n, tg, n / tg / 1e6, status_kb("VmHWM:") / 1024.0);
    fflush(stdout);
}

static void one_size(uint64_t n)
{
    char snap[4200], store[4200];
    snap_name(snap, sizeof snap, n);
    snprintf(store, sizeof store, "%s/ps-scale-%llu.store", dir(), (unsigned long long)n);
    ps_snap *sn;
    ps_snap_info in;
    bench_must(ps_snap_open(snap, &sn, NULL), snap);
    ps_snap_info_get(sn, &in);
    long rss0 = bench_rss_bytes();
    ps_space *s;
    bench_must(ps_space_new(&s), "space");
    limit_memory();
    double t0 = bench_now();
    int rc = ps_space_read_snap(s, sn, 0, NULL);
    double tl = bench_now() - t0;
    ps_snap_close(sn);
    if (rc == PS_E_NOMEM) { /* the attempt's answer: how far it got */
        printf("%11s  load stopped after %.1f s: out of memory (PS_BENCH_MEM_LIMIT) with %llu "
               "atoms in the space, resident %.1f B/atom\n",
               "", tl, (unsigned long long)ps_space_count(s),
               (double)(bench_rss_bytes() - rss0) / (double)(ps_space_count(s) + 1));
        unlink(snap);
        return;
    }
    bench_must(rc, "load");
    double rss = (double)(bench_rss_bytes() - rss0) / (double)n;
    double peak = (double)status_kb("VmHWM:") * 1024.0 / (double)n;
    printf("%11s  snapshot %.0f MB; load %.2f s (%.1f M atoms/s); resident %.1f B/atom "
           "(process peak %.1f)\n",
           "", in.file_bytes / 1e6, tl, n / tl / 1e6, rss, peak);
    fflush(stdout);

    /* random lookups of present atoms, then inserts of new ones */
    enum { K = 1000000 };
    batch have = { { 0 }, NULL, 0 }, add = { { 0 }, NULL, 0 };
    batch_of(&have, 0, K < n ? K : n, n);
    batch_of(&add, n, K, 0);
    t0 = bench_now();
    size_t found = 0;
    for (size_t i = 0; i < have.n; i++)
        found += ps_space_contains(s, batch_at(&have, (i * 7919) % have.n));
    double tc = bench_now() - t0;
    t0 = bench_now();
    for (size_t i = 0; i < add.n; i++)
        bench_must(ps_space_insert(s, batch_at(&add, (i * 7919) % add.n), NULL), "insert");
    double ti = bench_now() - t0;
    if (found != have.n)
        bench_must(PS_E_CORRUPT, "contains missed an atom");
    uint64_t r1, r2;
    double q1 = query_ms(s, "(age (Entity Q00000abc) $x)", &r1);
    double q2 = query_ms(s, "(name (Entity Q0000012a) $n)", &r2);
    printf("%11s  contains %.2f M/s, insert %.2f M/s (1M random, at this size); "
           "point queries %.3f ms (%llu result), %.3f ms (%llu)\n",
           "", have.n / tc / 1e6, add.n / ti / 1e6, q1, (unsigned long long)r1, q2,
           (unsigned long long)r2);
    fflush(stdout);

    /* a checkpoint, and the space restored from it */
    ps_store *st;
    ps_ckpt_info ci;
    bench_must(ps_store_open(store, NULL, 1, &st, NULL), store);
    t0 = bench_now();
    bench_must(ps_ckpt_save(st, s, NULL, 0, 0, &ci, NULL), "checkpoint");
    double tk = bench_now() - t0;
    uint64_t count = ps_space_count(s);
    ps_space_free(s);
    rss0 = bench_rss_bytes();
    bench_must(ps_space_new(&s), "space");
    t0 = bench_now();
    bench_must(ps_ckpt_restore(st, 0, 0, s, 0, NULL, NULL, NULL), "restore");
    double tr = bench_now() - t0;
    if (ps_space_count(s) != count)
        bench_must(PS_E_CORRUPT, "restored count");
    printf("%11s  checkpoint %.2f s (%.0f MB), restore %.2f s (%.1f M atoms/s), resident "
           "%.1f B/atom after the restore\n",
           "", tk, ci.payload_len / 1e6, tr, count / tr / 1e6,
           (double)(bench_rss_bytes() - rss0) / (double)count);
    fflush(stdout);
    ps_space_free(s);
    ps_store_close(st);
    free(have.off);
    free(add.off);
    ps_buf_free(&have.bytes);
    ps_buf_free(&add.bytes);
    unlink(snap);
    char cmd[8500];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", store);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", store);
}

/* Runs fn(n) in a child; non-zero (and says so) if it did not finish. */
static int in_child(void (*fn)(uint64_t), uint64_t n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(n);
        fflush(stdout); /* _exit does not */
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    printf("%11llu atoms: did not complete (%s %d)\n", (unsigned long long)n,
           WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 1;
}

int main(void)
{
    const char *e = getenv("PS_BENCH_SCALE");
    char sizes[512];
    if (e && *e)
        snprintf(sizes, sizeof sizes, "%s", e);
    else if (bench_quick())
        snprintf(sizes, sizeof sizes, "1000000");
    else if (getenv("PS_BENCH_BIG"))
        snprintf(sizes, sizeof sizes, "1000000,10000000,100000000,300000000");
    else
        snprintf(sizes, sizeof sizes, "1000000,10000000");
    printf("== bench_scale: generated atoms at scale (snapshots and stores in %s) ==\n\n", dir());
    for (char *tok = strtok(sizes, ","); tok; tok = strtok(NULL, ",")) {
        uint64_t n = strtoull(tok, NULL, 10);
        if (in_child(make_snap, n) || in_child(one_size, n)) {
            char snap[4200];
            snap_name(snap, sizeof snap, n);
            unlink(snap);
        }
    }
    return 0;
}
