/*
 * bench_space.c - parsing MeTTa text, building the trie (random-order
 * inserts vs. sort + bulk build), contains lookups, and resident memory per
 * atom. Inputs: ../shared/data/royal92.metta and the generator's 1M (and,
 * outside quick mode, 10M) atoms. Medians of bench_reps() runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathspace.h"
#include "common.h"

typedef struct atoms {
    ps_buf bytes;      /* all atoms, concatenated */
    size_t *off;       /* atom i = bytes[off[i] .. off[i+1]) */
    size_t n;
} atoms;

static ps_bytes atom_at(const atoms *a, size_t i)
{
    return ps_bytes_of(ps_buf_data(&a->bytes) + a->off[i], a->off[i + 1] - a->off[i]);
}

static void parse_all(const ps_buf *text, atoms *a)
{
    ps_parser *p;
    ps_bytes x;
    size_t cap = 1 << 16;
    a->n = 0;
    a->off = malloc(cap * sizeof *a->off);
    a->off[0] = 0;
    if (ps_parser_new(&p))
        abort();
    ps_parser_reset(p, ps_buf_data(text), text->len);
    while (ps_parser_next(p, &x, NULL) == PS_OK) {
        if (a->n + 2 > cap)
            a->off = realloc(a->off, (cap *= 2) * sizeof *a->off);
        ps_buf_append(&a->bytes, x.ptr, x.len);
        a->off[++a->n] = a->bytes.len;
    }
    ps_parser_free(p);
}

typedef struct job {
    const ps_buf *text;
    const atoms *a;
    const size_t *order; /* a permutation of atom indices, or NULL */
    ps_space *s;
    uint64_t sink;
} job;

static void run_parse(void *arg)
{
    job *j = arg;
    ps_parser *p;
    ps_bytes x;
    uint64_t n = 0;
    if (ps_parser_new(&p))
        abort();
    ps_parser_reset(p, ps_buf_data(j->text), j->text->len);
    while (ps_parser_next(p, &x, NULL) == PS_OK)
        n += x.len;
    ps_parser_free(p);
    j->sink += n;
}

static void run_scan(void *arg)
{
    job *j = arg;
    const uint8_t *s = ps_buf_data(j->text), *e = s + j->text->len;
    uint64_t n = 0;
    while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL)
        s++, n++;
    j->sink += n;
}

static void run_insert(void *arg)
{
    job *j = arg;
    ps_space_clear(j->s);
    for (size_t i = 0; i < j->a->n; i++)
        if (ps_space_insert(j->s, atom_at(j->a, j->order ? j->order[i] : i), NULL))
            abort();
}

static const atoms *cmp_ctx;
static int cmp_idx(const void *x, const void *y)
{
    return ps_bytes_cmp(atom_at(cmp_ctx, *(const size_t *)x), atom_at(cmp_ctx, *(const size_t *)y));
}

static size_t *sorted_order(const atoms *a)
{
    size_t *o = malloc(a->n * sizeof *o);
    for (size_t i = 0; i < a->n; i++)
        o[i] = i;
    cmp_ctx = a;
    qsort(o, a->n, sizeof *o, cmp_idx);
    return o;
}

static void run_build(void *arg)
{
    job *j = arg;
    ps_builder *b;
    ps_space_clear(j->s);
    if (ps_builder_new(j->s, &b))
        abort();
    for (size_t i = 0; i < j->a->n; i++)
        if (ps_builder_add(b, atom_at(j->a, j->order[i])))
            abort();
    ps_builder_free(b);
}

static void run_sort_build(void *arg)
{
    job *j = arg;
    size_t *o = sorted_order(j->a);
    const size_t *keep = j->order;
    j->order = o;
    run_build(j);
    j->order = keep;
    free(o);
}

static void run_contains(void *arg)
{
    job *j = arg;
    uint64_t hits = 0;
    for (size_t i = 0; i < j->a->n; i++)
        hits += (uint64_t)ps_space_contains(j->s, atom_at(j->a, j->order[i]));
    if (hits != j->a->n)
        abort();
    j->sink += hits;
}

static size_t *shuffled(size_t n, uint64_t seed)
{
    size_t *o = malloc(n * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = i;
    for (size_t i = n; i > 1; i--) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t k = (size_t)((seed >> 33) % i), t = o[i - 1];
        o[i - 1] = o[k];
        o[k] = t;
    }
    return o;
}

static int load_file(const char *path, ps_buf *out)
{
    FILE *f = fopen(path, "rb");
    char buf[1 << 16];
    size_t n;
    if (!f)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        ps_buf_append(out, buf, n);
    fclose(f);
    return 0;
}

static void dataset(const char *name, const ps_buf *text)
{
    atoms a = { { 0 }, NULL, 0 };
    parse_all(text, &a);
    job j = { text, &a, NULL, NULL, 0 };
    double mb = (double)text->len / 1e6;
    double tscan = bench_time(run_scan, &j), tparse = bench_time(run_parse, &j);
    size_t *sorted = sorted_order(&a), *rnd = shuffled(a.n, 42);
    if (ps_space_new(&j.s))
        abort();
    j.order = rnd;
    double tins = bench_time(run_insert, &j);
    j.order = NULL;
    double tins_file = bench_time(run_insert, &j);
    j.order = sorted;
    double tbuild = bench_time(run_build, &j);
    double tsort = bench_time(run_sort_build, &j);
    j.order = rnd;
    double tcont = bench_time(run_contains, &j);
    ps_space_stats st;
    ps_space_stats_get(j.s, &st);
    double n = (double)a.n;
    printf("%s: %zu atoms, %.1f MB of text, %.1f path bytes/atom\n", name, a.n, mb,
           (double)st.path_bytes / n);
    printf("  %-38s %9.1f MB/s %9.2f M atoms/s\n", "scan for newlines (memchr limit)", mb / tscan,
           n / tscan / 1e6);
    printf("  %-38s %9.1f MB/s %9.2f M atoms/s  (%.2fx of the scan)\n", "parse text -> atoms",
           mb / tparse, n / tparse / 1e6, tscan / tparse);
    printf("  %-38s %9.2f M atoms/s\n", "insert, file order", n / tins_file / 1e6);
    printf("  %-38s %9.2f M atoms/s\n", "insert, random order", n / tins / 1e6);
    printf("  %-38s %9.2f M atoms/s  (%.1fx random inserts)\n", "bulk build, pre-sorted",
           n / tbuild / 1e6, tins / tbuild);
    printf("  %-38s %9.2f M atoms/s  (%.1fx random inserts)\n", "qsort + bulk build", n / tsort / 1e6,
           tins / tsort);
    printf("  %-38s %9.2f M lookups/s\n", "contains, random order, all present", n / tcont / 1e6);
    printf("  %-38s %9.1f bytes/atom (%llu nodes, %.2f per atom)\n", "arena memory", (double)st.mem_bytes / n,
           (unsigned long long)st.nodes, (double)st.nodes / n);
    ps_space_free(j.s);
    free(sorted);
    free(rnd);
    free(a.off);
    ps_buf_free(&a.bytes);
}

/* Nested wide lists: "(a a ... (a a ... ( ... ) b b ...) b b ...)", 64
 * symbols a level each side, nested until the text is `bytes` long. */
static void nested_wide(ps_buf *t, size_t bytes)
{
    int depth = 0;
    ps_buf_clear(t, 0);
    while (t->len < bytes / 2) {
        ps_buf_append(t, "(", 1);
        for (int i = 0; i < 64; i++)
            ps_buf_append(t, "a ", 2);
        depth++;
    }
    while (depth--) {
        for (int i = 0; i < 64; i++)
            ps_buf_append(t, " b", 2);
        ps_buf_append(t, ")", 1);
    }
    ps_buf_append(t, "\n", 1);
}

/* What widening each list in place cost: its content moved once per
 * enclosing wide list (the parser before the hardening issue). The same
 * arithmetic, without parsing, so the quadratic term is shown beside the
 * parser in one run: bytes moved for that text. */
static double inplace_moved(const ps_buf *t)
{
    double moved = 0, inner = 0;
    /* innermost first: each level's content is everything inside it */
    size_t depth = 0;
    for (size_t i = 0; i < t->len; i++)
        depth += ps_buf_data(t)[i] == '(';
    for (size_t k = 0; k < depth; k++) {
        inner += 64 * 2 * 2; /* 128 one-byte symbols of 2 encoded bytes each */
        moved += inner;
        inner += 5;
    }
    return moved;
}

static void parse_nested(void)
{
    printf("\nnested wide lists (each level 128 symbols and the next list):\n");
    for (size_t mb = 1; mb <= 16; mb *= 4) {
        ps_buf t = { 0 };
        atoms a = { { 0 }, NULL, 0 };
        nested_wide(&t, mb << 20);
        job j = { &t, &a, NULL, NULL, 0 };
        double tparse = bench_time(run_parse, &j);
        printf("  %2zu MB: parse %.1f MB/s (%.3f s); in-place widening would move %.0f GB\n",
               mb, (double)t.len / 1e6 / tparse, tparse, inplace_moved(&t) / 1e9);
        ps_buf_free(&t);
    }
}

/* Resident memory of a space of n generated atoms, built the fast way. */
static void memory_row(uint64_t n)
{
    ps_buf text = { 0 };
    atoms a = { { 0 }, NULL, 0 };
    ps_gen_text(1, 0, n, &text);
    parse_all(&text, &a);
    size_t *sorted = sorted_order(&a);
    /* the text stays allocated until after the measure: freed, its pages
     * (still resident) would be reused by the space and hide its size */
    long before = bench_rss_bytes();
    ps_space *s;
    ps_builder *b;
    if (ps_space_new(&s) || ps_builder_new(s, &b))
        abort();
    for (size_t i = 0; i < a.n; i++)
        ps_builder_add(b, atom_at(&a, sorted[i]));
    ps_builder_free(b);
    long after = bench_rss_bytes();
    ps_buf_free(&text);
    ps_space_stats st;
    ps_space_stats_get(s, &st);
    printf("  %10llu atoms: resident +%.1f MB = %.1f bytes/atom (%.2f per path byte); arenas %.1f MB\n",
           (unsigned long long)n, (after - before) / 1e6, (double)(after - before) / (double)n,
           (double)(after - before) / (double)st.path_bytes, st.mem_bytes / 1e6);
    ps_space_free(s);
    free(sorted);
    free(a.off);
    ps_buf_free(&a.bytes);
}

int main(void)
{
    printf("== bench_space: parse, build, lookup, memory (median of %d) ==\n\n", bench_reps());
    ps_buf royal = { 0 };
    if (load_file("../shared/data/royal92.metta", &royal) == 0)
        dataset("royal92.metta", &royal);
    else
        printf("royal92.metta: not found (run from the project root)\n");
    ps_buf_free(&royal);
    ps_buf gen = { 0 };
    ps_gen_text(1, 0, 1000000, &gen);
    printf("\n");
    dataset("generated, 1M atoms (pathspace gen --atoms 1000000 --seed 1)", &gen);
    ps_buf_free(&gen);
    parse_nested();
    printf("\nresident memory of a space (bulk-built from generated atoms):\n");
    memory_row(1000000);
    if (!bench_quick())
        memory_row(10000000);
    return 0;
}
