/*
 * atom.c - walking encoded atoms: the structural check and the printer.
 *
 * Both walk the tags with an explicit count of items still owed, never with
 * recursion, and every step checks that the bytes it reads are there: an
 * atom from a file is untrusted until ps_atom_check says otherwise.
 */
#include "pathspace.h"
#include "common/diag.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

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

int ps_atom_is_mork(ps_bytes a)
{
    size_t i = 0;
    uint64_t owed = 1;
    while (owed && i < a.len) {
        uint8_t t = a.ptr[i];
        owed--;
        if (t < 0x40)
            owed += t, i++;
        else if (t < 0x80)
            return 0;
        else if (t <= 0xC0)
            i++;
        else
            i += 1 + (t & 63u);
    }
    return 1;
}

size_t ps_atom_prefix(ps_bytes a)
{
    size_t i = 0;
    while (i < a.len && !(a.ptr[i] >= 0x80 && a.ptr[i] <= 0xC0)) { /* 0x80..0xC0: variables */
        uint8_t t = a.ptr[i];
        if (t == PS_TAG_WIDE_LIST)
            i += 5;
        else if (t == PS_TAG_LONG_SYMBOL && a.len - i >= 5) /* then a u32 big-endian length */
            i += 5 + ((size_t)a.ptr[i + 1] << 24 | (size_t)a.ptr[i + 2] << 16 |
                      (size_t)a.ptr[i + 3] << 8 | a.ptr[i + 4]);
        else
            i += t > 0xC0 ? 1 + (size_t)(t - 0xC0) : 1; /* a symbol, or a list's arity */
    }
    return i < a.len ? i : a.len;
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

int ps_atom_print(ps_bytes a, ps_buf *o)
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
            rc = ps_buf_append(o, s + i + 5, n - 4);
        } else if (t >= 0x80 && t < 0xC0) {
            rc = put_var(o, t & 63u);
        } else if (t == 0xC0) {
            rc = put_var(o, nvars++ & 63u);
        } else if (t > 0xC0) {
            rc = ps_buf_append(o, s + i + 1, n);
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
