/*
 * pure.c - evaluating pure expressions (pure.h): the function table, the
 * evaluator, and the operations on structure and symbols. The numeric
 * families are in pure_num.c.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "expr/tags.h"
#include "pure.h"

#define PURE_MAX_OPS 400

static pure_op table[PURE_MAX_OPS];
static unsigned ntable;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void add(const char *name, uint8_t code)
{
    pure_op *o = &table[ntable++];
    memset(o, 0, sizeof *o);
    strcpy(o->name, name);
    o->code = code;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const pure_op *)a)->name, ((const pure_op *)b)->name);
}

static void build(void)
{
    add("ifnz", P_IFNZ);
    add("tuple", P_TUPLE);
    add("reverse_symbol", P_REVSYM);
    add("explode_symbol", P_EXPLODE);
    add("collapse_symbol", P_COLLAPSE);
    add("hash_expr", P_HASH);
    add("encode_hex", P_ENC_HEX);
    add("decode_hex", P_DEC_HEX);
    add("encode_base64url", P_ENC_B64);
    add("decode_base64url", P_DEC_B64);
    ntable += ps__pure_num_register(table + ntable);
    qsort(table, ntable, sizeof *table, by_name);
}

unsigned ps__pure_count(void)
{
    pthread_once(&table_once, build);
    return ntable;
}

const char *ps__pure_name(unsigned i)
{
    pthread_once(&table_once, build);
    return i < ntable ? table[i].name : NULL;
}

static const pure_op *lookup(const uint8_t *s, size_t n)
{
    if (n >= sizeof table[0].name)
        return NULL;
    char k[sizeof table[0].name];
    memcpy(k, s, n);
    k[n] = 0;
    size_t lo = 0, hi = ntable;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(k, table[mid].name);
        if (!c)
            return &table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *ps__pure_strerror(int code)
{
    static const char *const s[] = { "ok", "unknown function", "wrong argument count",
                                     "wrong argument type or width", "unparsable text",
                                     "outside the function's domain", "a variable has no value",
                                     "a list whose head is not a function",
                                     "nested too deeply", "result too long", "out of memory" };
    return code >= 0 && code <= PURE_E_NOMEM ? s[code] : "?";
}

/* The symbol at v: 0 with its bytes, or PURE_E_TYPE. */
static int sym(const pval *v, const uint8_t **b, size_t *n)
{
    item it;
    if (ps__item(v->p, v->n, &it) || it.kind != ITEM_SYMBOL)
        return PURE_E_TYPE;
    *b = v->p + it.head;
    *n = (size_t)it.n;
    return 0;
}

static int put_sym(ps_buf *out, const void *s, size_t n)
{
    return ps__sym_append(out, s, n) ? PURE_E_NOMEM : 0;
}

static int ifnz(const pval *a, unsigned n, ps_buf *out)
{
    const uint8_t *c, *w;
    size_t cn, wn;
    if (n != 3 && n != 5)
        return PURE_E_ARGS;
    if (sym(&a[0], &c, &cn))
        return PURE_E_TYPE;
    if (sym(&a[1], &w, &wn) || wn != 4 || memcmp(w, "then", 4))
        return PURE_E_ARGS;
    if (n == 5 && (sym(&a[3], &w, &wn) || wn != 4 || memcmp(w, "else", 4)))
        return PURE_E_ARGS;
    int nz = 0;
    for (size_t i = 0; i < cn; i++)
        nz |= c[i] != 0;
    if (!nz && n == 3)
        return PURE_E_DOMAIN; /* zero, and no else */
    const pval *r = nz ? &a[2] : &a[4];
    return ps_buf_append(out, r->p, r->n) ? PURE_E_NOMEM : 0;
}

static int tuple(const pval *a, unsigned n, ps_buf *out)
{
    if (ps__arity_append(out, n))
        return PURE_E_NOMEM;
    for (unsigned i = 0; i < n; i++)
        if (ps_buf_append(out, a[i].p, a[i].n))
            return PURE_E_NOMEM;
    return 0;
}

static int explode(const uint8_t *s, size_t n, ps_buf *out)
{
    if (ps__arity_append(out, n))
        return PURE_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (put_sym(out, s + i, 1))
            return PURE_E_NOMEM;
    return 0;
}

static int collapse(const pval *v, ps_buf *out)
{
    item it;
    if (ps__item(v->p, v->n, &it) || it.kind != ITEM_LIST)
        return PURE_E_TYPE;
    uint8_t b[64];
    size_t k = 0, at = it.head;
    for (uint64_t i = 0; i < it.n; i++) {
        pval e = { v->p + at, ps__term_len(v->p + at, v->n - at) };
        const uint8_t *s;
        size_t sn;
        if (sym(&e, &s, &sn))
            return PURE_E_TYPE;
        if (k + sn >= 64)
            return PURE_E_SIZE;
        memcpy(b + k, s, sn);
        k += sn;
        at += e.n;
    }
    return put_sym(out, b, k);
}

static int hash_expr(const pval *v, ps_buf *out)
{
    XXH128_hash_t h = XXH3_128bits(v->p, v->n);
    uint8_t b[16];
    ps_write_le64(b, h.low64);
    ps_write_le64(b + 8, h.high64);
    return put_sym(out, b, 16);
}

static int hex(int enc, const uint8_t *s, size_t n, ps_buf *out)
{
    char b[128];
    if (enc) {
        if (n > 31)
            return PURE_E_SIZE;
        sodium_bin2hex(b, sizeof b, s, n);
        return put_sym(out, b, 2 * n);
    }
    size_t k;
    if (n % 2 || n > 2 * sizeof b ||
        sodium_hex2bin((unsigned char *)b, sizeof b, (const char *)s, n, NULL, &k, NULL) || k != n / 2)
        return PURE_E_PARSE;
    return put_sym(out, b, k);
}

static int b64(int enc, const uint8_t *s, size_t n, ps_buf *out)
{
    const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    if (enc) {
        size_t cap = sodium_base64_ENCODED_LEN(n, v);
        char *b = malloc(cap);
        if (!b)
            return PURE_E_NOMEM;
        sodium_bin2base64(b, cap, s, n, v);
        int rc = put_sym(out, b, strlen(b));
        free(b);
        return rc;
    }
    unsigned char *b = malloc(n + 1);
    size_t k;
    if (!b)
        return PURE_E_NOMEM;
    int bad = sodium_base642bin(b, n + 1, (const char *)s, n, NULL, &k, NULL, v) || !k;
    int rc = bad ? PURE_E_PARSE : put_sym(out, b, k);
    free(b);
    return rc;
}

/* The operations on structure and symbols. */
static int call_sym(const pure_op *op, const pval *a, unsigned n, ps_buf *out)
{
    const uint8_t *s;
    size_t sn;
    switch (op->code) {
    case P_IFNZ:
        return ifnz(a, n, out);
    case P_TUPLE:
        return tuple(a, n, out);
    case P_COLLAPSE:
        return n != 1 ? PURE_E_ARGS : collapse(&a[0], out);
    case P_HASH:
        return n != 1 ? PURE_E_ARGS : hash_expr(&a[0], out);
    default:
        break;
    }
    if (n != 1)
        return PURE_E_ARGS;
    if (sym(&a[0], &s, &sn))
        return PURE_E_TYPE;
    switch (op->code) {
    case P_REVSYM: {
        uint8_t tmp[64];
        uint8_t *r = sn <= sizeof tmp ? tmp : malloc(sn);
        if (!r)
            return PURE_E_NOMEM;
        for (size_t i = 0; i < sn; i++)
            r[i] = s[sn - 1 - i];
        int rc = put_sym(out, r, sn);
        if (r != tmp)
            free(r);
        return rc;
    }
    case P_EXPLODE:
        return explode(s, sn, out);
    case P_ENC_HEX:
    case P_DEC_HEX:
        return hex(op->code == P_ENC_HEX, s, sn, out);
    default:
        return b64(op->code == P_ENC_B64, s, sn, out);
    }
}

static int eval(const uint8_t *e, size_t n, ps_buf *out, unsigned depth);

/* (f a ...): the arguments' values, then f on them. */
static int eval_call(const uint8_t *e, size_t n, const item *it, ps_buf *out, unsigned depth)
{
    size_t at = it->head;
    item h;
    if (!it->n || ps__item(e + at, n - at, &h) || h.kind != ITEM_SYMBOL)
        return PURE_E_NOHEAD;
    const uint8_t *name = e + at + h.head;
    size_t nlen = (size_t)h.n;
    at += item_size(&h);
    unsigned nargs = (unsigned)(it->n - 1);
    if (nlen == 1 && name[0] == '\'') { /* the quote: its argument as it is */
        if (nargs != 1)
            return PURE_E_ARGS;
        return ps_buf_append(out, e + at, ps__term_len(e + at, n - at)) ? PURE_E_NOMEM : 0;
    }
    const pure_op *op = lookup(name, nlen);
    if (!op)
        return PURE_E_UNKNOWN;
    ps_buf vals = { 0 };
    size_t offs_[17], *offs = offs_;
    pval a_[16], *a = a_;
    int rc = 0;
    if (nargs > 16) { /* the few calls with many arguments pay for it */
        offs = malloc((nargs + 1) * sizeof *offs);
        a = malloc(nargs * sizeof *a);
        if (!offs || !a)
            rc = PURE_E_NOMEM;
    }
    for (unsigned i = 0; i < nargs && !rc; i++) {
        size_t len = ps__term_len(e + at, n - at);
        offs[i] = vals.len;
        rc = eval(e + at, len, &vals, depth + 1);
        at += len;
    }
    if (!rc)
        offs[nargs] = vals.len;
    for (unsigned i = 0; i < nargs && !rc; i++)
        a[i] = (pval){ ps_buf_data(&vals) + offs[i], offs[i + 1] - offs[i] };
    if (!rc)
        rc = op->code < U_ZEROS ? call_sym(op, a, nargs, out) : ps__pure_num(op, a, nargs, out);
    ps_buf_free(&vals);
    if (offs != offs_) {
        free(offs);
        free(a);
    }
    return rc;
}

static int eval(const uint8_t *e, size_t n, ps_buf *out, unsigned depth)
{
    item it;
    if (depth > PURE_DEPTH)
        return PURE_E_DEPTH;
    if (!n || ps__item(e, n, &it) || it.kind == ITEM_RESERVED)
        return PURE_E_TYPE;
    if (it.kind == ITEM_NEWVAR || it.kind == ITEM_VARREF)
        return PURE_E_VAR;
    if (it.kind == ITEM_SYMBOL)
        return ps_buf_append(out, e, item_size(&it)) ? PURE_E_NOMEM : 0;
    return eval_call(e, n, &it, out, depth);
}

int ps__pure_eval(const uint8_t *e, size_t n, ps_buf *out)
{
    pthread_once(&table_once, build);
    size_t mark = out->len;
    int rc = eval(e, n, out, 0);
    if (rc)
        out->len = mark;
    return rc;
}
