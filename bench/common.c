/* common.c - benchmark helpers (see common.h). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pathspace.h"

#include "common.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

long bench_rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    if (f)
        fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

int bench_reps(void)
{
    const char *e = getenv("PS_BENCH_REPS");
    int n = e ? atoi(e) : 5;
    return n < 1 ? 1 : n > 99 ? 99 : n;
}

int bench_quick(void)
{
    const char *e = getenv("PS_BENCH_QUICK");
    return e && *e == '1';
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_time(void (*fn)(void *), void *arg)
{
    return bench_time_n(fn, arg, bench_reps());
}

double bench_time_n(void (*fn)(void *), void *arg, int n)
{
    double t[99];
    n = n < 1 ? 1 : n > 99 ? 99 : n;
    for (int i = 0; i < n; i++) {
        double t0 = bench_now();
        fn(arg);
        t[i] = bench_now() - t0;
    }
    return bench_median(t, n);
}

void bench_must(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "bench: %s: %s\n", what, ps_strerror(rc));
        exit(1);
    }
}

/* The generated knowledge base (seed 1), parsed and inserted in order. */
ps_space *bench_gen_space(uint64_t n)
{
    ps_space *s;
    ps_parser *p;
    ps_bytes a;
    ps_buf text = { 0 };
    bench_must(ps_space_new(&s) || ps_parser_new(&p), "new");
    for (uint64_t i = 0; i < n; i += 1000000) {
        ps_buf_clear(&text, 0);
        bench_must(ps_gen_text(1, i, n - i < 1000000 ? n - i : 1000000, &text), "gen");
        ps_parser_reset(p, ps_buf_data(&text), text.len);
        while (ps_parser_next(p, &a, NULL) == PS_OK)
            bench_must(ps_space_insert(s, a, NULL), "insert");
    }
    ps_parser_free(p);
    ps_buf_free(&text);
    return s;
}

/* A .paths file (paths = 1) or MeTTa text; NULL if it cannot be read. */
ps_space *bench_load(const char *path, int paths)
{
    ps_buf file = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        ps_buf_append(&file, tmp, k);
    fclose(f);
    ps_space *s;
    bench_must(ps_space_new(&s), "new");
    if (paths) {
        ps_paths_reader *r;
        bench_must(ps_paths_reader_new(ps_buf_data(&file), file.len, &r), path);
        bench_must(ps_space_read_paths(s, r, NULL), path);
        ps_paths_reader_free(r);
    } else {
        ps_parser *p;
        ps_bytes a;
        bench_must(ps_parser_new(&p), "parser");
        ps_parser_reset(p, ps_buf_data(&file), file.len);
        while (ps_parser_next(p, &a, NULL) == PS_OK)
            bench_must(ps_space_insert(s, a, NULL), "insert");
        ps_parser_free(p);
    }
    ps_buf_free(&file);
    return s;
}
