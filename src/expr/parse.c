/*
 * parse.c - MeTTa text to atoms (MORK's byte encoding plus pathspace's two
 * extension tags; docs/encoding.md).
 *
 * The parser is iterative: open lists live on an explicit stack, so hostile
 * nesting ("((((((...") costs heap, never C stack. A list's arity byte is
 * written as a placeholder at '(' and patched at ')'. A list that ends up
 * with more than 63 children needs the 5-byte extension form: its 4 count
 * bytes are noted at ')' and inserted when the atom is complete, in one
 * pass from the back, so each byte moves at most once however deeply wide
 * lists nest (widening each one in place would move its whole content
 * once per enclosing wide list: quadratic). Atoms without wide lists pay
 * nothing for it.
 *
 * An atom may grow to the reader limit's max_atom bytes (ps_limits_set);
 * past that it is refused with its line and column, before the bytes are
 * kept.
 *
 * Divergences from MORK, all documented: CR is whitespace; a comment may stand
 * anywhere whitespace may (MORK rejects one just before ')'); symbols over 63
 * bytes and lists over 63 children are kept whole instead of truncated/broken.
 */
#include <stdlib.h>
#include <string.h>

#include "pathspace.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "common/limits.h"

typedef struct frame {
    size_t out_off; /* where the arity placeholder is in out */
    size_t src_off; /* where the '(' is in the text          */
    uint64_t count; /* children so far                       */
} frame;

PS_VEC_DEFINE(frame_vec, frame)

/* A wide list whose 4 count bytes go in after its tag byte at out_off. */
typedef struct widen {
    size_t out_off;
    uint32_t count;
} widen;

PS_VEC_DEFINE(widen_vec, widen)

typedef struct var_name {
    size_t off, len;
} var_name;

struct ps_parser {
    const uint8_t *s;
    size_t n, pos;
    ps_buf out;
    ps_buf scratch; /* for strings whose CRLFs are folded */
    frame_vec stack;
    widen_vec wide;    /* pending widenings of this atom, by out_off */
    size_t atom_start; /* text offset where this atom begins */
    uint64_t max_atom; /* the reader limit, taken at creation */
    var_name vars[PS_MAX_VARS];
    unsigned nvars;
};

/* Byte classes: 1 = whitespace, 2 = ends a token (whitespace or paren). */
static const uint8_t cls[256] = {
    [' '] = 3, ['\t'] = 3, ['\n'] = 3, ['\r'] = 3, ['('] = 2, [')'] = 2,
};

int ps_parser_new(ps_parser **out)
{
    ps_parser *p = ps_calloc(1, sizeof *p);
    if (!p)
        return PS_E_NOMEM;
    frame_vec_init(&p->stack);
    p->max_atom = ps__max_atom();
    *out = p;
    return PS_OK;
}

void ps_parser_free(ps_parser *p)
{
    if (!p)
        return;
    ps_buf_free(&p->out);
    ps_buf_free(&p->scratch);
    frame_vec_free(&p->stack);
    widen_vec_free(&p->wide);
    free(p);
}

void ps_parser_reset(ps_parser *p, const void *text, size_t len)
{
    p->s = text;
    p->n = len;
    p->pos = 0;
}

size_t ps_parser_offset(const ps_parser *p)
{
    return p->pos;
}

/* Skips whitespace and ';' comments (to and including the newline). */
static void skip_space(ps_parser *p)
{
    const uint8_t *s = p->s;
    size_t i = p->pos, n = p->n;
    for (;;) {
        while (i < n && (cls[s[i]] & 1))
            i++;
        if (i < n && s[i] == ';') {
            const uint8_t *nl = memchr(s + i, '\n', n - i);
            i = nl ? (size_t)(nl - s) + 1 : n;
            continue;
        }
        break;
    }
    p->pos = i;
}

static void put_be32(uint8_t *o, uint32_t v)
{
    o[0] = (uint8_t)(v >> 24);
    o[1] = (uint8_t)(v >> 16);
    o[2] = (uint8_t)(v >> 8);
    o[3] = (uint8_t)v;
}

/* The atom so far plus n more bytes (and the pending count bytes) passes
 * the limit: refused at the atom's start. */
static int too_long(const ps_parser *p, uint64_t n, ps_diag *d)
{
    uint64_t have = p->out.len + 4 * (uint64_t)p->wide.len;
    if (PS_LIKELY(have + n <= p->max_atom))
        return PS_OK;
    return ps__diag_set(d, PS_E_LIMIT, p->s, p->atom_start,
                        "atom longer than the limit of %llu bytes (raise it with --max-atom)",
                        (unsigned long long)p->max_atom);
}

static int emit_symbol(ps_parser *p, const uint8_t *sym, size_t len, ps_diag *d)
{
    int rc;
    uint8_t *o;
    if ((rc = too_long(p, (uint64_t)len + 5, d)))
        return rc;
    if (PS_LIKELY(len < 64)) {
        o = ps_buf_append_uninit(&p->out, len + 1, &rc);
        if (!o)
            return rc;
        o[0] = (uint8_t)(0xC0 | len);
        memcpy(o + 1, sym, len);
        return PS_OK;
    }
    if (len > UINT32_MAX)
        return ps__diag_set(d, PS_E_LIMIT, p->s, p->pos, "symbol longer than 4 GiB");
    o = ps_buf_append_uninit(&p->out, len + 5, &rc);
    if (!o)
        return rc;
    o[0] = PS_TAG_LONG_SYMBOL;
    put_be32(o + 1, (uint32_t)len);
    memcpy(o + 5, sym, len);
    return PS_OK;
}

/* One step of a rewrite: writes what sym[i..] stands for into *out and
 * returns how many bytes of sym it took (at least 1). */
typedef size_t (*rewrite_fn)(const uint8_t *sym, size_t i, size_t len, uint8_t *out, int *has);

/* A symbol whose text is not its bytes, rewritten into scratch (it can
 * only shrink) and emitted. Rare; costs one copy. */
static int emit_rewritten(ps_parser *p, const uint8_t *sym, size_t len, rewrite_fn step,
                          ps_diag *d)
{
    int rc = ps_buf_reserve(&p->scratch, len);
    if (rc)
        return rc;
    uint8_t *o = ps_buf_data(&p->scratch);
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        int has = 1;
        i += step(sym, i, len, &o[k], &has);
        k += (size_t)has;
    }
    return emit_symbol(p, o, k, d);
}

/* A string that spans CRLF line ends: the CRs before each LF go, so a CRLF
 * file imports exactly as its LF twin (and folding twice changes nothing):
 * a run of CRs that ends at LF goes whole. */
static size_t fold_crlf(const uint8_t *sym, size_t i, size_t len, uint8_t *out, int *has)
{
    size_t j = i;
    while (j < len && sym[j] == '\r')
        j++;
    if (j > i && j < len && sym[j] == '\n') {
        *has = 0;
        return j - i;
    }
    *out = sym[i];
    return 1;
}

static int hex_val(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A plain token holding a backslash: "\xNN" (two hex digits) is the byte
 * NN, so every symbol has a text form (docs/encoding.md); any other
 * backslash is itself, as in MORK ("\" is a symbol in real data). */
static size_t unescape(const uint8_t *sym, size_t i, size_t len, uint8_t *out, int *has)
{
    int hi, lo;
    (void)has;
    if (sym[i] == '\\' && len - i >= 4 && sym[i + 1] == 'x' && (hi = hex_val(sym[i + 2])) >= 0 &&
        (lo = hex_val(sym[i + 3])) >= 0) {
        *out = (uint8_t)(hi << 4 | lo);
        return 4;
    }
    *out = sym[i];
    return 1;
}

static int emit_var(ps_parser *p, size_t start, ps_diag *d)
{
    size_t len = p->pos - start;
    const uint8_t *name = p->s + start;
    for (unsigned k = 0; k < p->nvars; k++)
        if (p->vars[k].len == len && memcmp(p->s + p->vars[k].off, name, len) == 0) {
            uint8_t ref = (uint8_t)(0x80 | k);
            return ps_buf_append(&p->out, &ref, 1);
        }
    if (p->nvars == PS_MAX_VARS)
        return ps__diag_set(d, PS_E_LIMIT, p->s, start,
                           "too many variables: '%.*s' would be the 65th in one atom (limit 64)",
                           (int)(len > 40 ? 40 : len), (const char *)name);
    p->vars[p->nvars].off = start;
    p->vars[p->nvars++].len = len;
    uint8_t nv = 0xC0;
    return ps_buf_append(&p->out, &nv, 1);
}

/* A token at p->pos: variable, quoted string or plain symbol. */
static int token(ps_parser *p, ps_diag *d)
{
    const uint8_t *s = p->s;
    size_t start = p->pos, i = start, n = p->n;
    if (s[i] == '"') {
        int crlf = 0;
        for (i++; i < n; i++) {
            if (s[i] == '\\') {
                if (i + 1 == n)
                    return ps__diag_set(d, PS_E_PARSE, s, i,
                                       "unfinished escape: '\\' is the last byte of the input");
                i++;
            } else if (s[i] == '"') {
                i++;
                break;
            }
            crlf |= s[i] == '\r' && i + 1 < n && s[i + 1] == '\n';
        }
        p->pos = i; /* an unterminated string runs to the end, as in MORK */
        if (PS_UNLIKELY(crlf))
            return emit_rewritten(p, s + start, i - start, fold_crlf, d);
        return emit_symbol(p, s + start, i - start, d);
    }
    int esc = 0;
    while (i < n && !(cls[s[i]] & 2))
        esc |= s[i++] == '\\';
    p->pos = i;
    if (s[start] == '$')
        return emit_var(p, start, d);
    if (PS_UNLIKELY(esc))
        return emit_rewritten(p, s + start, i - start, unescape, d);
    return emit_symbol(p, s + start, i - start, d);
}

/* Writes the arity of the list that starts at f->out_off; a wide one gets
 * its tag now and its count bytes at the end of the atom (widen_all). */
static int close_list(ps_parser *p, const frame *f)
{
    if (PS_LIKELY(f->count < 64)) {
        p->out.base[p->out.head + f->out_off] = (uint8_t)f->count;
        return PS_OK;
    }
    if (f->count > UINT32_MAX)
        return PS_E_LIMIT;
    p->out.base[p->out.head + f->out_off] = PS_TAG_WIDE_LIST;
    return widen_vec_push(&p->wide, (widen){ f->out_off, (uint32_t)f->count });
}

static int by_offset(const void *a, const void *b)
{
    size_t x = ((const widen *)a)->out_off, y = ((const widen *)b)->out_off;
    return (x > y) - (x < y);
}

/* Inserts every pending count after its tag: from the back, so each byte
 * of the atom moves once, to its final place. */
static int widen_all(ps_parser *p)
{
    size_t k = p->wide.len;
    if (PS_LIKELY(k == 0))
        return PS_OK;
    int rc = ps_buf_reserve(&p->out, 4 * k);
    if (rc)
        return rc;
    widen *w = p->wide.data;
    qsort(w, k, sizeof *w, by_offset); /* closes come inner lists first */
    uint8_t *o = ps_buf_data(&p->out);
    size_t end = p->out.len; /* the unmoved bytes are [0, end) */
    for (size_t i = k; i-- > 0;) {
        size_t from = w[i].out_off + 1, shift = 4 * (i + 1);
        memmove(o + from + shift, o + from, end - from);
        put_be32(o + from + shift - 4, w[i].count);
        end = from;
    }
    p->out.len += 4 * k;
    return PS_OK;
}

int ps_parser_next(ps_parser *p, ps_bytes *atom, ps_diag *d)
{
    int rc;
    ps_buf_clear(&p->out, 0);
    frame_vec_clear(&p->stack);
    widen_vec_clear(&p->wide);
    p->nvars = 0;
    skip_space(p);
    if (p->pos == p->n)
        return PS_E_EMPTY;
    p->atom_start = p->pos;
    for (;;) {
        skip_space(p);
        if (p->pos == p->n) {
            const frame *f = frame_vec_ptr(&p->stack, p->stack.len - 1);
            return ps__diag_set(d, PS_E_PARSE, p->s, f->src_off,
                               "input ends inside a list: this '(' is never closed");
        }
        uint8_t c = p->s[p->pos];
        if (p->stack.len)
            p->stack.data[p->stack.len - 1].count += c != ')';
        if (c == '(') {
            frame f = { p->out.len, p->pos, 0 };
            uint8_t ph = 0;
            if ((rc = too_long(p, 1, d)))
                return rc;
            if ((rc = frame_vec_push(&p->stack, f)) || (rc = ps_buf_append(&p->out, &ph, 1)))
                return ps__diag_set(d, rc, NULL, p->pos, "out of memory");
            p->pos++;
            continue;
        }
        if (c == ')') {
            if (p->stack.len == 0)
                return ps__diag_set(d, PS_E_PARSE, p->s, p->pos,
                                   "unexpected ')' with no open list");
            frame f;
            frame_vec_pop(&p->stack, &f);
            if (f.count >= 64 && (rc = too_long(p, 4, d)))
                return rc;
            if ((rc = close_list(p, &f)))
                return ps__diag_set(d, rc, p->s, f.src_off, "cannot close this list: %s",
                                   ps_strerror(rc));
            p->pos++;
        } else if ((rc = token(p, d))) {
            if (rc == PS_E_NOMEM)
                ps__diag_set(d, rc, NULL, p->pos, "out of memory");
            return rc;
        }
        if (p->stack.len == 0)
            break;
    }
    if ((rc = widen_all(p)))
        return ps__diag_set(d, rc, NULL, p->atom_start, "out of memory");
    *atom = ps_buf_bytes(&p->out);
    return PS_OK;
}

int ps_atom_parse(const void *text, size_t len, ps_buf *out, ps_diag *d)
{
    ps_parser *p;
    ps_bytes a;
    int rc = ps_parser_new(&p);
    if (rc)
        return rc;
    ps_parser_reset(p, text, len);
    rc = ps_parser_next(p, &a, d);
    if (rc == PS_E_EMPTY)
        rc = ps__diag_set(d, PS_E_PARSE, text, 0, "no atom in the text");
    else if (rc == PS_OK) {
        ps_bytes rest;
        size_t at = ps_parser_offset(p);
        rc = ps_buf_append(out, a.ptr, a.len);
        if (rc == PS_OK && ps_parser_next(p, &rest, NULL) != PS_E_EMPTY) {
            const char *t = text; /* point at what follows, past blanks and comments */
            while (at < len && (t[at] == ' ' || t[at] == '\t' || t[at] == '\r' || t[at] == '\n' ||
                                t[at] == ';'))
                if (t[at++] == ';')
                    while (at < len && t[at] != '\n')
                        at++;
            rc = ps__diag_set(d, PS_E_PARSE, text, at, "more than one atom in the text");
        }
    }
    ps_parser_free(p);
    return rc;
}
