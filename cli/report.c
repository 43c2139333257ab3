/*
 * report.c - what stats-like commands print, as text for people or, with
 * --json, as one JSON object for programs (yajl writes it, escapes and
 * all). A command states each fact once: its key and value for JSON, and
 * the line people read, which JSON leaves out.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cli.h"

int report_begin(report *r, int json)
{
    r->g = NULL;
    if (!json)
        return 0;
    if (!(r->g = yajl_gen_alloc(NULL)))
        return die("out of memory");
    yajl_gen_config(r->g, yajl_gen_beautify, 1);
    yajl_gen_map_open(r->g);
    return 0;
}

static void key(report *r, const char *k)
{
    yajl_gen_string(r->g, (const unsigned char *)k, strlen(k));
}

void report_u64(report *r, const char *k, uint64_t v)
{
    if (r->g) {
        char n[24];
        int len = snprintf(n, sizeof n, "%" PRIu64, v);
        key(r, k);
        yajl_gen_number(r->g, n, (size_t)len); /* exact past 2^53, as text */
    }
}

void report_str(report *r, const char *k, const char *v)
{
    if (r->g) {
        key(r, k);
        yajl_gen_string(r->g, (const unsigned char *)v, strlen(v));
    }
}

void report_open(report *r, const char *k, int list)
{
    if (r->g) {
        if (k)
            key(r, k);
        if (list)
            yajl_gen_array_open(r->g);
        else
            yajl_gen_map_open(r->g);
    }
}

void report_close(report *r, int list)
{
    if (r->g) {
        if (list)
            yajl_gen_array_close(r->g);
        else
            yajl_gen_map_close(r->g);
    }
}

void report_text(report *r, const char *format, ...)
{
    if (r->g)
        return;
    va_list ap;
    va_start(ap, format);
    vprintf(format, ap);
    va_end(ap);
}

int report_end(report *r, int ok)
{
    if (!r->g)
        return 0;
    const unsigned char *out;
    size_t len;
    yajl_gen_map_close(r->g);
    if (ok && yajl_gen_get_buf(r->g, &out, &len) == yajl_gen_status_ok)
        fwrite(out, 1, len, stdout);
    yajl_gen_free(r->g);
    r->g = NULL;
    return 0;
}
