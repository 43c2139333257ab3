/*
 * atom.c - walking encoded atoms: the structural check and the printer.
 *
 * Both walk the tags with an explicit count of items still owed, never with
 * recursion, and every step checks that the bytes it reads are there: an
 * atom from a file is untrusted until ps_atom_check says otherwise.
 */
#include "pathspace.h"
#include "common/diag.h"
#include "tags.h"

#define be32 tag_be32

int ps_atom_check(ps_bytes a, size_t *len, ps_diag *d)
{
    const uint8_t *s = a.ptr;
    size_t i = 0, n = a.len;
    uint64_t owed = 1;
    unsigned nvars = 0;
    while (owed) {
        if (i >= n)
            return ps__diag_set(d, PS_E_TRUNCATED, NULL, i, "atom ends early: %llu item(s) missing",
                               (unsigned long long)owed);
        uint8_t t = s[i];
        owed--;
        if (t < 0x40) {
            owed += t;
            i++;
        } else if (t == PS_TAG_WIDE_LIST || t == PS_TAG_LONG_SYMBOL) {
            if (n - i < 5)
                return ps__diag_set(d, PS_E_TRUNCATED, NULL, i, "extension tag cut short");
            uint32_t v = be32(s + i + 1);
            if (v < 64)
                return ps__diag_set(d, PS_E_CORRUPT, NULL, i,
                                   "extension tag 0x%02X with %u < 64 (not canonical)", t, v);
            i += 5;
            if (t == PS_TAG_WIDE_LIST) {
                owed += v;
            } else {
                if (n - i < v)
                    return ps__diag_set(d, PS_E_TRUNCATED, NULL, i, "symbol of %u bytes cut short", v);
                i += v;
            }
        } else if (t < 0x80) {
            return ps__diag_set(d, PS_E_CORRUPT, NULL, i, "reserved tag 0x%02X", t);
        } else if (t < 0xC0) {
            if ((unsigned)(t & 63) >= nvars)
                return ps__diag_set(d, PS_E_CORRUPT, NULL, i,
                                   "reference to variable %u before it is introduced", t & 63);
            i++;
        } else if (t == 0xC0) {
            if (nvars == PS_MAX_VARS)
                return ps__diag_set(d, PS_E_CORRUPT, NULL, i, "more than 64 variables");
            nvars++;
            i++;
        } else {
            size_t sl = t & 63u;
            if (n - i - 1 < sl)
                return ps__diag_set(d, PS_E_TRUNCATED, NULL, i, "symbol of %zu bytes cut short", sl);
            i += 1 + sl;
        }
    }
    if (len)
        *len = i;
    return PS_OK;
}

int ps_path_fits_mork(ps_bytes p)
{
    size_t n;
    return ps_atom_is_mork(p) || ps_atom_check(p, &n, NULL) != PS_OK || n != p.len;
}

/* MORK's own encoding has no wide list and no long symbol. */
int ps_atom_is_mork(ps_bytes a)
{
    size_t i = 0;
    uint64_t owed = 1;
    while (owed && i < a.len) {
        uint8_t t = a.ptr[i];
        owed--;
        if (t >= 0x40 && t < TAG_VARREF)
            return 0;
        if (tag_is_list(t))
            owed += t;
        i += tag_is_short_symbol(t) ? 1 + tag_low(t) : 1;
    }
    return 1;
}

size_t ps_atom_prefix(ps_bytes a)
{
    size_t i = 0;
    item it;
    while (i < a.len && !tag_is_var(a.ptr[i]) && !ps__item(a.ptr + i, a.len - i, &it))
        i += item_size(&it);
    return i < a.len ? i : a.len;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0: no
 * overlong forms, surrogates or code points past U+10FFFF. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (c < 0xC2 || c > 0xF4 || n < k)
        return 0;
    for (size_t j = 1; j < k; j++)
        if ((s[j] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return k;
}

static int is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Bytes a plain token cannot hold as they are: whitespace, parens, control
 * bytes, and the backslash (which may start an escape). Bytes from 0x80 are
 * checked as UTF-8 instead. */
static const uint8_t plain_bad[128] = {
    [0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [' '] = 1, ['('] = 1, [')'] = 1, ['\\'] = 1, [0x7F] = 1,
};

/* Bytes at s[i] that must be written "\xNN": 0 if they may go as they
 * are, else how many (1). A backslash goes as it is unless "x" and two hex
 * digits follow it (only that sequence is an escape). */
static size_t plain_escape(const uint8_t *s, size_t i, size_t n, size_t *ok)
{
    uint8_t c = s[i];
    *ok = 1;
    if (c >= 0x80) {
        *ok = utf8_len(s + i, n - i);
        return *ok == 0;
    }
    if (!plain_bad[c])
        return 0;
    if (c == '\\')
        return n - i >= 4 && s[i + 1] == 'x' && is_hex(s[i + 2]) && is_hex(s[i + 3]);
    return 1;
}

/* 1 if a quoted symbol ('"' first) re-parses to itself as it is: it closes
 * on its last byte, holds no CRLF (folded on reading) and no control byte
 * other than tab and LF, and is valid UTF-8. */
static int quoted_ok(const uint8_t *s, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint8_t c = s[i];
        if (c == '\\') {
            if (++i == n)
                return 0;
            c = s[i];
        } else if (c == '"') {
            return i + 1 == n;
        }
        if (c >= 0x80) {
            size_t k = utf8_len(s + i, n - i);
            if (!k)
                return 0;
            i += k - 1;
        } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
            return 0;
        }
    }
    return 0; /* never closed: it would run on into what follows */
}

/* A symbol in the lossless form (docs/encoding.md): as it is when it
 * re-parses to the same bytes, else a plain token with "\xNN" for each
 * byte that would not. */
static int put_symbol(ps_buf *o, const uint8_t *s, size_t n, int mork)
{
    size_t i = 0, ok;
    if (n == 0) /* only from a corrupt long-symbol length */
        return PS_OK;
    if (mork || (s[0] == '"' && quoted_ok(s, n)))
        return ps_buf_append(o, s, n);
    int lead = s[0] == '$' || s[0] == '"' || s[0] == ';';
    while (i < n && !(i == 0 && lead) && !plain_escape(s, i, n, &ok))
        i += ok;
    if (i == n)
        return ps_buf_append(o, s, n);
    int rc = ps_buf_append(o, s, i);
    while (!rc && i < n) {
        if ((i == 0 && lead) || plain_escape(s, i, n, &ok)) {
            static const char hex[] = "0123456789ABCDEF";
            char e[4] = { '\\', 'x', hex[s[i] >> 4], hex[s[i] & 15] };
            rc = ps_buf_append(o, e, 4);
            i++;
        } else {
            rc = ps_buf_append(o, s + i, ok);
            i += ok;
        }
    }
    return rc;
}

/* "$a".."$j" for levels 0-9, "$x10".."$x63" above: MORK's printer. */
static int put_var(ps_buf *o, unsigned level)
{
    char v[5] = { '$', 0, 0, 0, 0 };
    size_t n = 2;
    if (level < 10) {
        v[1] = (char)('a' + level);
    } else {
        v[1] = 'x';
        v[2] = (char)('0' + level / 10);
        v[3] = (char)('0' + level % 10);
        n = 4;
    }
    return ps_buf_append(o, v, n);
}

typedef struct pframe {
    uint64_t left; /* children still to print */
    int first;
} pframe;

PS_VEC_DEFINE(pframe_vec, pframe)

static int print_atom(ps_bytes a, ps_buf *o, int mork)
{
    const uint8_t *s = a.ptr;
    size_t i = 0;
    unsigned nvars = 0;
    pframe_vec st;
    int rc = PS_OK;
    pframe_vec_init(&st);
    do {
        if (i >= a.len) {
            rc = PS_E_TRUNCATED;
            break;
        }
        if (st.len) {
            pframe *top = &st.data[st.len - 1];
            if (!top->first && (rc = ps_buf_append(o, " ", 1)))
                break;
            top->first = 0;
        }
        uint8_t t = s[i];
        uint64_t open = 0;
        /* n: bytes after the tag; checked against what is left before use */
        size_t left = a.len - i - 1, n = t > 0xC0 ? t & 63u : 0;
        if (t == PS_TAG_WIDE_LIST || t == PS_TAG_LONG_SYMBOL)
            n = left < 4 ? 4 : t == PS_TAG_WIDE_LIST ? 4 : 4 + (size_t)be32(s + i + 1);
        if (n > left) {
            rc = PS_E_TRUNCATED;
            break;
        }
        if (t < 0x40 || t == PS_TAG_WIDE_LIST) {
            open = t < 0x40 ? t : be32(s + i + 1);
            rc = ps_buf_append(o, open ? "(" : "()", open ? 1 : 2);
        } else if (t == PS_TAG_LONG_SYMBOL) {
            rc = put_symbol(o, s + i + 5, n - 4, mork);
        } else if (t >= 0x80 && t < 0xC0) {
            rc = put_var(o, t & 63u);
        } else if (t == 0xC0) {
            rc = put_var(o, nvars++ & 63u);
        } else if (t > 0xC0) {
            rc = put_symbol(o, s + i + 1, n, mork);
        } else {
            rc = PS_E_CORRUPT; /* reserved 0x42..0x7F */
        }
        i += 1 + n;
        if (rc)
            break;
        if (open) {
            pframe f = { open, 1 };
            if ((rc = pframe_vec_push(&st, f)))
                break;
            continue;
        }
        /* an item finished: close every list it completes */
        while (st.len && --st.data[st.len - 1].left == 0) {
            st.len--;
            if ((rc = ps_buf_append(o, ")", 1)))
                break;
        }
    } while (st.len && rc == PS_OK);
    pframe_vec_free(&st);
    return rc;
}

int ps_atom_print(ps_bytes a, ps_buf *o)
{
    return print_atom(a, o, 0);
}

int ps_atom_print_mork(ps_bytes a, ps_buf *o)
{
    return print_atom(a, o, 1);
}
