/* shardmap.c - a space's shard map: the key ranges, in order, and where each
 * is served; parsed with yajl's tree API, checked whole (docs/replication.md,
 * "Shards"). The one reader of the map; pathspace.shards reads the same JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "pathspace.h"

#define SHARDMAP_MAX_BYTES (64u << 20)
#define SHARDS_MAX 65536u
#define ADDR_MAX 255u

typedef struct shard {
    uint8_t *lo, *hi;        /* NULL: unbounded */
    size_t lo_len, hi_len;
    uint8_t *flo, *fhi;      /* a frozen part [flo, fhi) being moved away  */
    size_t flo_len, fhi_len;
    int frozen;
    char binary[ADDR_MAX + 1], http[ADDR_MAX + 1];
    char bucket[ADDR_MAX + 1]; /* s3://... holding exactly this range, or "" */
    uint64_t atoms;
} shard;

struct ps_shardmap {
    uint64_t version;
    uint32_t n;
    shard *s;
    char *json;            /* the text it was parsed from, as given */
    size_t json_len;
};

void ps_shardmap_free(ps_shardmap *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->n; i++) {
        free(m->s[i].lo);
        free(m->s[i].hi);
        free(m->s[i].flo);
        free(m->s[i].fhi);
    }
    free(m->s);
    free(m->json);
    free(m);
}

static int bad(ps_diag *d, const char *why, uint32_t i)
{
    return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "shard map: shard %u: %s", i, why);
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A key: JSON null (unbounded) or lower-case hex. */
static int key_of(yajl_val v, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (YAJL_IS_NULL(v) || !v)
        return 0;
    const char *h = YAJL_GET_STRING(v);
    size_t n = h ? strlen(h) : 1;
    if (!h || n % 2)
        return -1;
    if (!(*out = malloc(n / 2 + 1)))
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int a = hexval(h[i]), b = hexval(h[i + 1]);
        if (a < 0 || b < 0)
            return -1;
        (*out)[i / 2] = (uint8_t)(a << 4 | b);
    }
    *len = n / 2;
    return 0;
}

static int addr_of(yajl_val v, char *out)
{
    if (!v)
        return 0;
    const char *a = YAJL_GET_STRING(v);
    if (!a || strlen(a) > ADDR_MAX || !strchr(a, ':'))
        return -1;
    strcpy(out, a);
    return 0;
}

/* "bucket": s3://BUCKET/PREFIX, printable and free of what JSON escapes
 * (the map is written back as it is read). */
static int bucket_of(yajl_val v, char *out)
{
    if (!v)
        return 0;
    const char *a = YAJL_GET_STRING(v);
    if (!a || strlen(a) > ADDR_MAX || strncmp(a, "s3://", 5) || !a[5])
        return -1;
    for (const char *p = a; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\')
            return -1;
    strcpy(out, a);
    return 0;
}

static int cmp_keys(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    return ps_bytes_cmp(ps_bytes_of(a, an), ps_bytes_of(b, bn));
}

/* "frozen": [lo, hi]: a part of the shard's range whose writes wait while
 * it is copied to another shard (an online split). */
static int read_frozen(yajl_val v, shard *s)
{
    if (!v)
        return 0;
    if (!YAJL_IS_ARRAY(v) || YAJL_GET_ARRAY(v)->len != 2)
        return -1;
    s->frozen = 1;
    return key_of(YAJL_GET_ARRAY(v)->values[0], &s->flo, &s->flo_len) ||
                   key_of(YAJL_GET_ARRAY(v)->values[1], &s->fhi, &s->fhi_len)
               ? -1
               : 0;
}

static int read_shard(yajl_val v, shard *s, uint32_t i, ps_diag *d)
{
    const char *lo[] = { "lo", NULL }, *hi[] = { "hi", NULL }, *bin[] = { "binary", NULL },
               *http[] = { "http", NULL }, *atoms[] = { "atoms", NULL },
               *fr[] = { "frozen", NULL }, *bk[] = { "bucket", NULL };
    if (!YAJL_IS_OBJECT(v))
        return bad(d, "not an object", i);
    if (key_of(yajl_tree_get(v, lo, yajl_t_any), &s->lo, &s->lo_len) ||
        key_of(yajl_tree_get(v, hi, yajl_t_any), &s->hi, &s->hi_len))
        return bad(d, "lo and hi are hex keys or null", i);
    if (addr_of(yajl_tree_get(v, bin, yajl_t_string), s->binary) ||
        addr_of(yajl_tree_get(v, http, yajl_t_string), s->http))
        return bad(d, "an address is HOST:PORT", i);
    if (bucket_of(yajl_tree_get(v, bk, yajl_t_any), s->bucket))
        return bad(d, "a bucket is s3://BUCKET/PREFIX", i);
    if (read_frozen(yajl_tree_get(v, fr, yajl_t_any), s))
        return bad(d, "frozen is [lo, hi], hex keys or null", i);
    yajl_val a = yajl_tree_get(v, atoms, yajl_t_number);
    s->atoms = a && YAJL_IS_INTEGER(a) && YAJL_GET_INTEGER(a) > 0 ? (uint64_t)YAJL_GET_INTEGER(a) : 0;
    return PS_OK;
}

/* The ranges cover every key once: the first starts unbounded, each
 * starts where the one before ends, the last ends unbounded. */
static int check_cover(const ps_shardmap *m, ps_diag *d)
{
    if (m->s[0].lo || m->s[m->n - 1].hi)
        return bad(d, "the first range must start, and the last end, unbounded", 0);
    for (uint32_t i = 0; i + 1 < m->n; i++) {
        const shard *a = &m->s[i], *b = &m->s[i + 1];
        if (!a->hi || !b->lo || cmp_keys(a->hi, a->hi_len, b->lo, b->lo_len))
            return bad(d, "does not end where the next begins", i);
        if (a->lo && cmp_keys(a->lo, a->lo_len, a->hi, a->hi_len) >= 0)
            return bad(d, "an empty or reversed range", i);
    }
    return PS_OK;
}

static int from_tree(yajl_val root, ps_shardmap *m, ps_diag *d)
{
    const char *fmt[] = { "format", NULL }, *ver[] = { "version", NULL },
               *mv[] = { "map_version", NULL }, *sh[] = { "shards", NULL };
    const char *f = YAJL_GET_STRING(yajl_tree_get(root, fmt, yajl_t_string));
    yajl_val v = yajl_tree_get(root, ver, yajl_t_number);
    if (!f || strcmp(f, "pathspace-shardmap") || !v || !YAJL_IS_INTEGER(v))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "not a pathspace shard map");
    if (YAJL_GET_INTEGER(v) != 1)
        return ps__diag_set(d, PS_E_VERSION, NULL, 0, "shard map version %lld is not 1",
                            YAJL_GET_INTEGER(v));
    yajl_val n = yajl_tree_get(root, mv, yajl_t_number);
    m->version = n && YAJL_IS_INTEGER(n) && YAJL_GET_INTEGER(n) > 0 ? (uint64_t)YAJL_GET_INTEGER(n)
                                                                     : 1;
    yajl_val arr = yajl_tree_get(root, sh, yajl_t_array);
    if (!arr || !YAJL_GET_ARRAY(arr)->len || YAJL_GET_ARRAY(arr)->len > SHARDS_MAX)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "shard map: 1 to %u shards", SHARDS_MAX);
    m->n = (uint32_t)YAJL_GET_ARRAY(arr)->len;
    if (!(m->s = ps_calloc(m->n, sizeof *m->s)))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    for (uint32_t i = 0; i < m->n; i++) {
        int rc = read_shard(YAJL_GET_ARRAY(arr)->values[i], &m->s[i], i, d);
        if (rc)
            return rc;
    }
    return check_cover(m, d);
}

int ps_shardmap_parse(const void *json, size_t len, ps_shardmap **out, ps_diag *d)
{
    *out = NULL;
    if (len > SHARDMAP_MAX_BYTES)
        return ps__diag_set(d, PS_E_LIMIT, NULL, 0, "a shard map over 64 MiB");
    char *text = malloc(len + 1), err[200] = "";
    ps_shardmap *m = ps_calloc(1, sizeof *m);
    if (!text || !m) {
        free(text);
        free(m);
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    }
    memcpy(text, json, len);
    text[len] = 0;
    yajl_val root = yajl_tree_parse(text, err, sizeof err);
    m->json = text; /* kept: what a server hands a router that asks */
    m->json_len = len;
    int rc = root ? from_tree(root, m, d)
                  : ps__diag_set(d, PS_E_PARSE, NULL, 0, "shard map: %s", err[0] ? err : "not JSON");
    yajl_tree_free(root);
    if (rc) {
        ps_shardmap_free(m);
        return rc;
    }
    *out = m;
    return PS_OK;
}

int ps_shardmap_load(const char *file, ps_shardmap **out, ps_diag *d)
{
    *out = NULL;
    FILE *f = fopen(file, "rb");
    if (!f)
        return ps__io_err(d, PS_E_IO, file);
    ps_buf b = { 0 };
    char chunk[65536];
    size_t k;
    int rc = PS_OK;
    while (!rc && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = b.len + k > SHARDMAP_MAX_BYTES ? PS_E_LIMIT : ps_buf_append(&b, chunk, k);
    fclose(f);
    if (!rc)
        rc = ps_shardmap_parse(ps_buf_data(&b), ps_buf_len(&b), out, d);
    else
        ps__diag_set(d, rc, NULL, 0, "%s: too large or out of memory", file);
    ps_buf_free(&b);
    return rc;
}

ps_bytes ps_shardmap_json(const ps_shardmap *m)
{
    return ps_bytes_of((const uint8_t *)m->json, m->json_len);
}

uint64_t ps_shardmap_version(const ps_shardmap *m)
{
    return m->version;
}

uint32_t ps_shardmap_count(const ps_shardmap *m)
{
    return m->n;
}

int ps_shardmap_shard(const ps_shardmap *m, uint32_t i, ps_shard_info *out)
{
    if (i >= m->n)
        return PS_E_NOTFOUND;
    const shard *s = &m->s[i];
    memset(out, 0, sizeof *out);
    out->id = i;
    out->lo = ps_bytes_of(s->lo, s->lo_len);
    out->hi = ps_bytes_of(s->hi, s->hi_len);
    out->bounded_lo = s->lo != NULL;
    out->bounded_hi = s->hi != NULL;
    out->binary = s->binary;
    out->http = s->http;
    out->bucket = s->bucket;
    out->atoms = s->atoms;
    return PS_OK;
}

/* 1 when key is in [lo, hi) of s. */
static int holds(const shard *s, ps_bytes key)
{
    return (!s->lo || cmp_keys(s->lo, s->lo_len, key.ptr, key.len) <= 0) &&
           (!s->hi || cmp_keys(key.ptr, key.len, s->hi, s->hi_len) < 0);
}

int ps_shardmap_holds(const ps_shardmap *m, uint32_t i, ps_bytes key)
{
    return i < m->n && holds(&m->s[i], key);
}

int ps_shardmap_frozen(const ps_shardmap *m, uint32_t i, ps_bytes key)
{
    if (i >= m->n || !m->s[i].frozen)
        return 0;
    const shard *s = &m->s[i];
    return (!s->flo || cmp_keys(s->flo, s->flo_len, key.ptr, key.len) <= 0) &&
           (!s->fhi || cmp_keys(key.ptr, key.len, s->fhi, s->fhi_len) < 0);
}

uint32_t ps_shardmap_find(const ps_shardmap *m, const char *binary)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (binary && !strcmp(m->s[i].binary, binary))
            return i;
    return UINT32_MAX;
}

uint32_t ps_shardmap_route(const ps_shardmap *m, ps_bytes key)
{
    uint32_t lo = 0, hi = m->n - 1; /* the last shard whose lo <= key */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (cmp_keys(m->s[mid].lo, m->s[mid].lo_len, key.ptr, key.len) <= 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

uint32_t ps_shardmap_reach(const ps_shardmap *m, ps_bytes pattern, uint32_t *ids, uint32_t cap)
{
    ps_bytes pre = ps_bytes_of(pattern.ptr, ps_atom_prefix(pattern));
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        const shard *s = &m->s[i];
        /* some key that starts with pre lies in [lo, hi) */
        size_t k = s->lo && s->lo_len > pre.len ? pre.len : s->lo_len;
        int from = !s->lo || cmp_keys(s->lo, k, pre.ptr, pre.len) <= 0;
        int to = !s->hi || cmp_keys(pre.ptr, pre.len, s->hi, s->hi_len) < 0;
        if (from && to) {
            if (n < cap)
                ids[n] = i;
            n++;
        }
    }
    return n;
}
