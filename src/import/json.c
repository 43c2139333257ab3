/*
 * json.c - JSON and JSON Lines as atoms, with MORK's mapping
 * (docs/json-csv.md): every leaf becomes one atom of nested pairs from the
 * root to it, {"a": {"b": [x]}} -> (a (b (0 x))).
 *
 * yajl parses (a streaming, event-driven parser: memory is bounded by the
 * nesting depth, never by the document); the events build the path of the
 * current leaf in one buffer, each level a 2-list tag and a key symbol,
 * and a leaf appends its symbol and hands the atom over.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/limits.h"
#include "import.h"

#define JSON_DEPTH_MAX 512 /* MORK's limit */
#define MAX_PRECISION 576460752303423500ull /* MORK's: digits past it are dropped */

typedef struct level {
    size_t base;   /* the path's length where this level's pair starts */
    long index;    /* arrays: the last element's index (-1: none yet) */
    int array, any;
} level;

typedef struct jctx {
    ps_buf path;              /* the current leaf's path, encoded            */
    level lv[JSON_DEPTH_MAX];
    int depth;
    size_t lead;              /* bytes of the JSONL wrapper in front          */
    uint64_t max_atom;
    uint64_t used, budget;    /* the decoding budget (docs/limits.md): each
                               * leaf repeats its whole path, so a small deep
                               * document stands for gigabytes             */
    ps_atom_fn fn;
    void *ctx;
    ps_import_stats *st;
    int err;                  /* why a callback stopped the parse             */
    const char *why;
} jctx;

static int fail(jctx *j, int err, const char *why)
{
    j->err = err;
    j->why = why;
    return 0; /* yajl: cancel */
}

/* An array's next element: its index replaces the last one as the key. */
static int step(jctx *j)
{
    if (!j->depth)
        return 1;
    level *l = &j->lv[j->depth - 1];
    l->any = 1;
    if (!l->array)
        return 1;
    char num[24];
    int n = snprintf(num, sizeof num, "%ld", ++l->index);
    j->path.len = l->base;
    int rc = ps_buf_append(&j->path, "\x02", 1);
    if (!rc)
        rc = ps__sym_append(&j->path, num, (size_t)n);
    return rc ? fail(j, rc, "out of memory") : 1;
}

/* The path so far and the symbol: one atom to the receiver (the path
 * holds every pair's tag in front already), then the path as it was. */
static int emit(jctx *j, const void *s, size_t n)
{
    size_t keep = j->path.len;
    int rc = ps__sym_append(&j->path, s, n);
    int over = 0;
    if (!rc && j->path.len > j->max_atom)
        rc = PS_E_LIMIT;
    else if (!rc && !ps__budget_charge(&j->used, j->budget, j->path.len))
        rc = PS_E_LIMIT, over = 1;
    if (!rc)
        rc = j->fn(j->ctx, ps_buf_bytes(&j->path));
    j->path.len = keep;
    if (rc)
        return fail(j, rc, over                ? "the atoms pass the decoding budget (raise it "
                                                 "with --max-expansion)"
                           : rc == PS_E_LIMIT ? "an atom longer than the --max-atom limit"
                           : rc == PS_E_NOMEM ? "out of memory" : "the receiver refused an atom");
    j->st->atoms++;
    return 1;
}

static int leaf(jctx *j, const void *s, size_t n)
{
    return step(j) && emit(j, s, n);
}

static int on_null(void *c) { return leaf(c, "null", 4); }
static int on_bool(void *c, int b) { return b ? leaf(c, "true", 4) : leaf(c, "false", 5); }
static int on_string(void *c, const unsigned char *s, size_t n) { return leaf(c, s, n); }

/* MORK's number form: every digit read into one mantissa (while it fits),
 * a power of ten for the point and the exponent: 3.1415926 -> 31415926e-7,
 * 1.50 -> 150e-2, 2E3 -> 2e3. */
static int on_number(void *c, const char *s, size_t n)
{
    jctx *j = c;
    size_t i = 0;
    int neg = s[0] == '-';
    uint64_t m = 0;
    long e = 0;
    i += (size_t)neg;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (m >= MAX_PRECISION)
            e++; /* an integer digit that does not fit: a power of ten */
        else
            m = m * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            uint64_t t;
            if (!__builtin_mul_overflow(m, 10, &t) && !__builtin_add_overflow(t, s[i] - '0', &t))
                m = t, e--; /* a fraction digit that does not fit is dropped */
        }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = s[++i] == '-';
        long x = 0;
        for (i += s[i] == '-' || s[i] == '+'; i < n; i++)
            if ((x = x * 10 + (s[i] - '0')) > 100000)
                return fail(j, PS_E_LIMIT, "a number's exponent past 10^100000");
        e += eneg ? -x : x;
    }
    if (e < -32768 || e > 32767)
        return fail(j, PS_E_LIMIT, "a number's exponent past MORK's 16 bits");
    char out[48];
    int k = e ? snprintf(out, sizeof out, "%s%llu" "e%ld", neg ? "-" : "", (unsigned long long)m, e)
              : snprintf(out, sizeof out, "%s%llu", neg ? "-" : "", (unsigned long long)m);
    return leaf(j, out, (size_t)k);
}

static int open_level(jctx *j, int array)
{
    if (!step(j))
        return 0;
    if (j->depth == JSON_DEPTH_MAX)
        return fail(j, PS_E_LIMIT, "nested more than 512 deep");
    j->lv[j->depth++] = (level){ j->path.len, -1, array, 0 };
    return 1;
}

/* {} and [] are leaves of their own. */
static int close_level(jctx *j, const char *empty)
{
    level l = j->lv[--j->depth];
    j->path.len = l.base;
    return l.any ? 1 : emit(j, empty, 2);
}

static int on_start_map(void *c) { return open_level(c, 0); }
static int on_end_map(void *c) { return close_level(c, "{}"); }
static int on_start_array(void *c) { return open_level(c, 1); }
static int on_end_array(void *c) { return close_level(c, "[]"); }

static int on_key(void *c, const unsigned char *k, size_t n)
{
    jctx *j = c;
    level *l = &j->lv[j->depth - 1];
    l->any = 1;
    j->path.len = l->base;
    int rc = ps_buf_append(&j->path, "\x02", 1);
    if (!rc)
        rc = ps__sym_append(&j->path, k, n);
    return rc ? fail(j, rc, "out of memory") : 1;
}

static const yajl_callbacks events = {
    on_null, on_bool, NULL, NULL, on_number, on_string,
    on_start_map, on_key, on_end_map, on_start_array, on_end_array,
};

/* One JSON document in text[0..len): 0, or an error with d (line:column
 * counted in the whole input, whose document starts at base). */
static int parse_doc(jctx *j, const uint8_t *whole, size_t base, size_t len, ps_diag *d)
{
    yajl_handle h = yajl_alloc(&events, NULL, j);
    if (!h)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    j->depth = 0;
    j->path.len = j->lead;
    yajl_status s = yajl_parse(h, len ? whole + base : (const uint8_t *)"", len);
    int at_end = 0;
    if (s == yajl_status_ok) {
        s = yajl_complete_parse(h);
        at_end = 1; /* what is missing is missing at the end */
    }
    int rc = PS_OK;
    if (s != yajl_status_ok) {
        size_t at = base + (at_end ? len : yajl_get_bytes_consumed(h));
        if (s == yajl_status_client_canceled)
            rc = ps__diag_set(d, j->err, whole, at, "%s", j->why);
        else {
            unsigned char *m = yajl_get_error(h, 0, whole + base, len);
            size_t ml = m ? strlen((const char *)m) : 0;
            while (ml && (m[ml - 1] == '\n' || m[ml - 1] == ' '))
                m[--ml] = 0; /* yajl ends its message with a newline */
            rc = ps__diag_set(d, PS_E_PARSE, whole, at, "%s",
                              m ? (const char *)m : "not JSON");
            if (m)
                yajl_free_error(h, m);
        }
    }
    yajl_free(h);
    return rc;
}

int ps_json_parse(const void *data, size_t len, unsigned flags, ps_atom_fn fn, void *ctx,
                  ps_import_stats *st, ps_diag *d)
{
    ps_import_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    if (flags & ~PS_JSON_LINES)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "unknown JSON flags");
    jctx *j = ps_calloc(1, sizeof *j);
    if (!j)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    ps_limits lim;
    ps_limits_get(&lim);
    j->max_atom = lim.max_atom;
    j->budget = ps__budget(len);
    j->fn = fn;
    j->ctx = ctx;
    j->st = st;
    const uint8_t *p = data;
    int rc = PS_OK;
    if (!(flags & PS_JSON_LINES)) {
        rc = parse_doc(j, p, 0, len, d);
        st->records = rc ? 0 : 1;
    }
    /* JSON Lines: each non-empty line a document, its atoms wrapped as
     * (JSONL <record number from 0> ...) */
    for (size_t at = 0; (flags & PS_JSON_LINES) && !rc && at < len;) {
        const uint8_t *nl = memchr(p + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - p) : len, n = end - at;
        size_t blank = 0;
        while (blank < n && (p[at + blank] == ' ' || p[at + blank] == '\t' || p[at + blank] == '\r'))
            blank++;
        if (blank < n) {
            char num[24];
            int k = snprintf(num, sizeof num, "%llu", (unsigned long long)st->records);
            ps_buf_clear(&j->path, 0);
            rc = ps_buf_append(&j->path, "\x03", 1);
            if (!rc)
                rc = ps__sym_append(&j->path, "JSONL", 5);
            if (!rc)
                rc = ps__sym_append(&j->path, num, (size_t)k);
            j->lead = j->path.len;
            rc = rc ? ps__diag_set(d, rc, NULL, 0, "out of memory")
                    : parse_doc(j, p, at, n, d);
            st->records++;
        }
        at = end + 1;
    }
    st->bytes = len;
    ps_buf_free(&j->path);
    free(j);
    return rc;
}
