/*
 * bench_json.c - the JSON parser chosen for MORK's JSON mapping, by
 * measurement: yajl (events; what ps_json_parse uses) against jansson
 * (which builds a tree first; json-c, a tree as well, cannot share a file
 * with it: both define json_object), each taken from the text to the count
 * of leaves (the atoms MORK's mapping makes), on the same generated
 * document. Then ps_json_parse itself, to a counter and into a space, in
 * MB/s and atoms/s beside MORK's figure (808 MB into 16.0M paths in 17.4 s
 * on 36 cores), and the resident memory each one needs beyond the input.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "pathspace.h"
#include "common.h"

static ps_buf doc;
static uint64_t leaves;
static long rss_peak;

static void gen(size_t records)
{
    ps_buf_append(&doc, "[", 1);
    for (size_t i = 0; i < records; i++) {
        char r[256];
        int n = snprintf(r, sizeof r,
                         "%s{\"id\": %zu, \"name\": \"person %zu\", \"tags\": [\"t%zu\", \"u%zu\"], "
                         "\"pos\": {\"x\": %zu.25, \"y\": -%zu}, \"ok\": %s, \"note\": null}",
                         i ? ", " : "", i, i * 7, i % 13, i % 29, i % 1000, i % 77,
                         i % 2 ? "true" : "false");
        ps_buf_append(&doc, r, (size_t)n);
    }
    ps_buf_append(&doc, "]", 1);
}

static void note_rss(void)
{
    long r = bench_rss_bytes();
    if (r > rss_peak)
        rss_peak = r;
}

/* ---- yajl: events, nothing kept */
static int y_leaf(void *c) { (void)c; leaves++; return 1; }
static int y_bool(void *c, int b) { (void)b; return y_leaf(c); }
static int y_num(void *c, const char *s, size_t n) { (void)s, (void)n; return y_leaf(c); }
static int y_str(void *c, const unsigned char *s, size_t n) { (void)s, (void)n; return y_leaf(c); }
static int y_any(void *c) { (void)c; return 1; }
static int y_key(void *c, const unsigned char *s, size_t n) { (void)c, (void)s, (void)n; return 1; }
static const yajl_callbacks ycb = { y_leaf, y_bool, NULL, NULL, y_num, y_str,
                                    y_any, y_key, y_any, y_any, y_any };

static void run_yajl(void *a)
{
    (void)a;
    yajl_handle h = yajl_alloc(&ycb, NULL, NULL);
    if (yajl_parse(h, ps_buf_data(&doc), doc.len) != yajl_status_ok ||
        yajl_complete_parse(h) != yajl_status_ok)
        abort();
    note_rss();
    yajl_free(h);
}

/* ---- jansson: a tree, then its leaves */
static void j_walk(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) j_walk(x);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) j_walk(x);
    } else
        leaves++;
}

static void run_jansson(void *a)
{
    (void)a;
    json_error_t e;
    json_t *root = json_loadb((const char *)ps_buf_data(&doc), doc.len, 0, &e);
    if (!root)
        abort();
    note_rss();
    j_walk(root);
    json_decref(root);
}

/* ---- ours: the whole mapping, to a counter and into a space */
static int count_atom(void *c, ps_bytes a)
{
    (void)c, (void)a;
    leaves++;
    return 0;
}

static void run_ours(void *a)
{
    (void)a;
    if (ps_json_parse(ps_buf_data(&doc), doc.len, 0, count_atom, NULL, NULL, NULL))
        abort();
    note_rss();
}

static int insert_atom(void *c, ps_bytes a)
{
    leaves++;
    return ps_space_insert(c, a, NULL);
}

static void run_space(void *a)
{
    (void)a;
    ps_space *s;
    if (ps_space_new(&s) || ps_json_parse(ps_buf_data(&doc), doc.len, 0, insert_atom, s, NULL, NULL))
        abort();
    note_rss();
    ps_space_free(s);
}

/* RSS growth is that of the first run in this process: a tree's size, or
 * (into a space) the space's; memory freed later stays with malloc. */
static void row(const char *name, void (*fn)(void *))
{
    long base = bench_rss_bytes();
    rss_peak = base;
    leaves = 0;
    fn(NULL); /* the first run: the leaf count, and the memory it needs */
    uint64_t n = leaves;
    long grew = rss_peak - base;
    double t = bench_time(fn, NULL);
    printf("%-34s %9.1f %12.2f %12.1f %14.1f\n", name, (double)doc.len / t / 1e6,
           (double)n / t / 1e6, t * 1e3, (double)grew / 1e6);
}

int main(void)
{
    size_t records = bench_quick() ? 20000 : 600000;
    gen(records);
    printf("JSON: one %.1f MB document of %zu records (8 leaves each); median of %d\n",
           (double)doc.len / 1e6, records, bench_reps());
    printf("%-34s %9s %12s %12s %14s\n", "parser, text to leaves", "MB/s", "M leaves/s", "ms",
           "RSS growth MB");
    row("yajl 2.1 (events)", run_yajl);
    row("ps_json_parse: MORK's atoms", run_ours);
    row("ps_json_parse into a space", run_space);
    row("jansson 2.14 (tree, then walk)", run_jansson); /* last: its freed tree stays resident */
    printf("(MORK's write-up: 808 MB of JSON into 16.0M paths in 17.4 s on 36 cores: 46.4 MB/s, "
           "0.92 M paths/s)\n");
    ps_buf_free(&doc);
    return 0;
}
