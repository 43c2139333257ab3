/*
 * num.c - Rust's number text, for MORK's pure operations and float sinks.
 *
 * Floats print with the shortest digits that read back as the same value,
 * found by asking printf for 1, 2, ... 17 significant digits (printf rounds
 * correctly, so the first precision that reads back gives the digits Rust's
 * shortest printer gives), then laid out as Rust lays them out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

static int lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int word(const uint8_t *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (lower(s[i]) != w[i])
            return 0;
    return 1;
}

/* Digits, an optional point, digits (one at least in all), then an
 * optional exponent: what Rust takes, and nothing strtod would add (hex,
 * spaces, "nan(...)"). */
static int float_syntax(const uint8_t *s, size_t n)
{
    size_t i = 0, digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (!digits)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e)
            return 0;
    }
    return i == n;
}

static int parse_float(const uint8_t *s, size_t n, int f32, double *out)
{
    int neg = 0;
    if (n && (s[0] == '+' || s[0] == '-'))
        neg = s[0] == '-', s++, n--;
    if (word(s, n, "inf") || word(s, n, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (word(s, n, "nan")) {
        *out = NAN;
        return 0;
    }
    if (n > 1024 || !float_syntax(s, n))
        return -1;
    char b[1026];
    memcpy(b, s, n);
    b[n] = 0;
    double v = f32 ? (double)strtof(b, NULL) : strtod(b, NULL);
    *out = neg ? -v : v;
    return 0;
}

int ps__num_parse_f64(const uint8_t *s, size_t n, double *out)
{
    return parse_float(s, n, 0, out);
}

int ps__num_parse_f32(const uint8_t *s, size_t n, float *out)
{
    double v;
    if (parse_float(s, n, 1, &v))
        return -1;
    *out = (float)v;
    return 0;
}

int ps__num_parse_int(const uint8_t *s, size_t n, int is_signed, unsigned bits, i128 *out)
{
    int neg = 0;
    if (n && (s[0] == '+' || (s[0] == '-' && is_signed)))
        neg = s[0] == '-', s++, n--;
    if (!n)
        return -1;
    /* the magnitude's limit: 2^(bits-1) for a negative, else the max */
    u128 lim = is_signed ? ((u128)1 << (bits - 1)) - (neg ? 0 : 1)
                         : (bits == 128 ? ~(u128)0 : ((u128)1 << bits) - 1);
    u128 v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = s[i] - '0';
        if (v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (i128)(0 - v) : (i128)v;
    return 0;
}

size_t ps__num_int_text(i128 v, int is_signed, char *buf)
{
    char t[48];
    size_t k = 0, n = 0;
    u128 m = (u128)v;
    if (is_signed && v < 0) {
        buf[n++] = '-';
        m = 0 - m;
    }
    do
        t[k++] = (char)('0' + (int)(m % 10));
    while ((m /= 10));
    while (k)
        buf[n++] = t[--k];
    buf[n] = 0;
    return n;
}

/* x (finite, > 0): its shortest significant digits into dig (no trailing
 * zeros), and the power of ten of the first one. Returns how many. */
static int shortest(double x, int f32, char *dig, int *e10)
{
    char b[64];
    for (int p = 0; p < 17; p++) {
        snprintf(b, sizeof b, "%.*e", p, x);
        if (f32 ? strtof(b, NULL) == (float)x : strtod(b, NULL) == x)
            break;
    }
    int k = 0;
    const char *c = b;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            dig[k++] = *c;
    *e10 = atoi(c + 1);
    while (k > 1 && dig[k - 1] == '0')
        k--;
    dig[k] = 0;
    return k;
}

/* The digits as a plain decimal: pos digits before the point. */
static size_t plain(const char *dig, int k, int pos, int frac, char *o)
{
    size_t n = 0;
    if (pos <= 0) {
        o[n++] = '0', o[n++] = '.';
        for (int i = 0; i < -pos; i++)
            o[n++] = '0';
        memcpy(o + n, dig, (size_t)k), n += (size_t)k;
    } else if (pos >= k) {
        memcpy(o + n, dig, (size_t)k), n += (size_t)k;
        for (int i = 0; i < pos - k; i++)
            o[n++] = '0';
        if (frac)
            o[n++] = '.', o[n++] = '0';
    } else {
        memcpy(o + n, dig, (size_t)pos), n += (size_t)pos;
        o[n++] = '.';
        memcpy(o + n, dig + pos, (size_t)(k - pos)), n += (size_t)(k - pos);
    }
    o[n] = 0;
    return n;
}

/* NaN, the infinities and zero, which every format spells alike; 0 if x
 * is none of them. */
static size_t special(double x, int frac, char *buf)
{
    const char *s = NULL;
    if (isnan(x))
        s = "NaN";
    else if (isinf(x))
        s = x < 0 ? "-inf" : "inf";
    else if (x == 0)
        s = signbit(x) ? (frac ? "-0.0" : "-0") : (frac ? "0.0" : "0");
    if (!s)
        return 0;
    strcpy(buf, s);
    return strlen(s);
}

size_t ps__num_display(double x, char *buf)
{
    size_t n = special(x, 0, buf);
    if (n)
        return n;
    char dig[32];
    int e, neg = x < 0;
    int k = shortest(fabs(x), 0, dig, &e);
    if (neg)
        buf[0] = '-';
    return (size_t)neg + plain(dig, k, e + 1, 0, buf + neg);
}

size_t ps__num_debug(double x, int f32, char *buf)
{
    size_t n = special(x, 1, buf);
    if (n)
        return n;
    char dig[32];
    int e, neg = x < 0;
    double a = fabs(x);
    int k = shortest(a, f32, dig, &e);
    char *o = buf + neg;
    if (neg)
        buf[0] = '-';
    if (a >= 1e-4 && a < 1e16)
        return (size_t)neg + plain(dig, k, e + 1, 1, o);
    n = 0;
    o[n++] = dig[0];
    if (k > 1) {
        o[n++] = '.';
        memcpy(o + n, dig + 1, (size_t)(k - 1)), n += (size_t)(k - 1);
    }
    n += (size_t)sprintf(o + n, "e%d", e);
    return (size_t)neg + n;
}
