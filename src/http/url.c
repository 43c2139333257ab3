/*
 * url.c - MORK's arguments are percent-encoded path segments. libmicrohttpd
 * is told not to decode the path (an encoded '/' must stay inside its
 * segment), so the segments are split first and decoded here.
 */
#include <string.h>

#include "http.h"

static int hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes s[0..n) onto out. */
static int decode(const char *s, size_t n, ps_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '%') {
            int hi = n - i >= 3 ? hex(s[i + 1]) : -1, lo = n - i >= 3 ? hex(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return PS_E_PARSE;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        }
        if (ps_buf_append(out, &c, 1))
            return PS_E_NOMEM;
    }
    return PS_OK;
}

int ps__url_decode(const char *s, ps_buf *out)
{
    if (decode(s, strlen(s), out))
        return -1;
    return ps_buf_append(out, "", 1) ? -1 : 0;
}

int ps__url_split(const char *raw, ps_buf *out, ps_bytes *seg, int max)
{
    size_t n = strlen(raw), off[16], len[16];
    if (n && raw[n - 1] == '/')
        n--;
    int k = 0;
    size_t start = 0;
    if (max > 16)
        max = 16;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && raw[i] != '/')
            continue;
        if (k == max)
            return -1;
        off[k] = out->len;
        if (decode(raw + start, i - start, out))
            return -1;
        len[k] = out->len - off[k];
        k++;
        start = i + 1;
    }
    for (int i = 0; i < k; i++)
        seg[i] = ps_bytes_of(len[i] ? ps_buf_data(out) + off[i] : (const uint8_t *)"", len[i]);
    return k;
}
