/*
 * pure_num.c - the numeric families of MORK's pure operations (pure.h):
 * unsigned bit operations, signed integers and floats, every width. A
 * value is a symbol of exactly its width in bytes, big-endian; integers
 * are worked on as 128-bit words and cut to width (so overflow wraps, as
 * MORK's release build does), floats as IEEE bits.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expr/tags.h"
#include "num.h"
#include "pure.h"

enum { I8, I16, I32, I64, I128, U8, U16, U32, U64, U128, F32, F64, NTYPES };
static const char *const tname[NTYPES] = { "i8", "i16", "i32", "i64", "i128", "u8",
                                           "u16", "u32", "u64", "u128", "f32", "f64" };
static const unsigned width[NTYPES] = { 1, 2, 4, 8, 16, 1, 2, 4, 8, 16, 4, 8 };

static int is_float(int t)
{
    return t >= F32;
}
static int is_signed(int t)
{
    return t <= I128;
}

/* ---------------------------------------------------------- registration */

static const char *const uops[] = { "zeros", "ones", "not", "swap_bytes", "reverse_bits",
                                    "leading_zeros", "leading_ones", "count_zeros",
                                    "count_ones", "nand", "andn", "nor", "xor", "xnor", "shl",
                                    "shr", "ternarylogic", "and", "or", "parity" };
/* signed and float operations named op_T, in the order of their codes */
static const char *const nops[] = { "neg", "abs", "signum", "sub", "div", "mod", "pow",
                                    "clamp", "sum", "product", "max", "min" };
static const char *const cmps[] = { "lt", "gt", "lte", "gte", "eq", "ne" };
static const char *const fconsts[] = { "inf", "neginf", "e", "pi", "tau", "phi" };
static const char *const funary[] = { "to_radians", "to_degrees", "sin", "cos", "tan", "asin",
                                      "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
                                      "atanh", "neg", "abs", "floor", "ceil", "round", "sqrt",
                                      "cbrt", "exp", "exp2", "ln", "log2", "log10", "trunc",
                                      "recip", "fract", "signum" };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Registers a_b: T_name (u8_not, i32_one) or name_T (neg_i32). */
static unsigned reg(pure_op *tab, unsigned k, const char *a, const char *b, uint8_t code, int t,
                    int u)
{
    pure_op *o = &tab[k];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s_%s", a, b);
    o->code = code;
    o->t = (uint8_t)t;
    o->u = (uint8_t)u;
    return k + 1;
}

unsigned ps__pure_num_register(pure_op *tab)
{
    unsigned k = 0;
    for (int t = U8; t <= U128; t++)
        for (unsigned i = 0; i < COUNT(uops); i++)
            k = reg(tab, k, tname[t], uops[i], (uint8_t)(U_ZEROS + i), t, 0);
    k = reg(tab, k, "u32", "eq", U_EQ32, U32, 0);
    for (int t = I8; t <= F64; t++) {
        if (t >= U8 && t <= U128)
            continue;
        for (int u = I8; u <= F64; u++) /* T_as_U: the other signed and float types */
            if (u != t && !(u >= U8 && u <= U128))
                k = reg(tab, k, tname[t], "as", N_AS, t, u), strcat(tab[k - 1].name, "_"),
                strcat(tab[k - 1].name, tname[u]);
        if (!is_float(t)) {
            k = reg(tab, k, tname[t], "one", N_ONE, t, 0);
            for (unsigned i = 0; i < COUNT(nops); i++)
                k = reg(tab, k, nops[i], tname[t], (uint8_t)(N_NEG + i), t, 0);
        } else {
            for (unsigned i = 0; i < COUNT(fconsts); i++)
                k = reg(tab, k, fconsts[i], tname[t], F_CONST, t, (int)i);
            for (unsigned i = 0; i < COUNT(funary); i++)
                k = reg(tab, k, funary[i], tname[t], F_UNARY, t, (int)i);
            k = reg(tab, k, "copysign", tname[t], F_COPYSIGN, t, 0);
            k = reg(tab, k, "powf", tname[t], F_POWF, t, 0);
            k = reg(tab, k, "powi", tname[t], F_POWI, t, 0);
            k = reg(tab, k, "sub", tname[t], N_SUB, t, 0);
            k = reg(tab, k, "div", tname[t], N_DIV, t, 0);
            k = reg(tab, k, "atan2", tname[t], F_ATAN2, t, 0);
            k = reg(tab, k, "hypot", tname[t], F_HYPOT, t, 0);
            for (unsigned i = 7; i < COUNT(nops); i++) /* clamp sum product max min */
                k = reg(tab, k, nops[i], tname[t], (uint8_t)(N_NEG + i), t, 0);
        }
        for (unsigned i = 0; i < COUNT(cmps); i++)
            k = reg(tab, k, cmps[i], tname[t], N_CMP, t, (int)i);
        k = reg(tab, k, tname[t], "from_string", N_FROM, t, 0);
        k = reg(tab, k, tname[t], "to_string", N_TO, t, 0);
    }
    return k;
}

/* ------------------------------------------------------------ values */

static u128 mask(unsigned w)
{
    return w >= 16 ? ~(u128)0 : ((u128)1 << (8 * w)) - 1;
}

static i128 sx(u128 v, unsigned w)
{
    if (w >= 16)
        return (i128)v;
    unsigned s = 128 - 8 * w;
    return (i128)(v << s) >> s;
}

/* The raw bits of a value of type t. */
static int bits_of(const pval *v, int t, u128 *out)
{
    item it;
    if (ps__item(v->p, v->n, &it) || it.kind != ITEM_SYMBOL || it.n != width[t])
        return PURE_E_TYPE;
    u128 x = 0;
    for (unsigned i = 0; i < width[t]; i++)
        x = x << 8 | v->p[it.head + i];
    *out = x;
    return 0;
}

static int put_bits(ps_buf *out, u128 x, int t)
{
    uint8_t b[16];
    unsigned w = width[t];
    for (unsigned i = 0; i < w; i++)
        b[w - 1 - i] = (uint8_t)(x >> (8 * i));
    return ps__sym_append(out, b, w) ? PURE_E_NOMEM : 0;
}

static int int_of(const pval *v, int t, i128 *out)
{
    u128 x;
    int rc = bits_of(v, t, &x);
    *out = is_signed(t) ? sx(x, width[t]) : (i128)x;
    return rc;
}

static int float_of(const pval *v, int t, double *out)
{
    u128 x;
    int rc = bits_of(v, t, &x);
    if (t == F32) {
        uint32_t b = (uint32_t)x;
        float f;
        memcpy(&f, &b, 4);
        *out = f;
    } else {
        uint64_t b = (uint64_t)x;
        memcpy(out, &b, 8);
    }
    return rc;
}

static int put_float(ps_buf *out, double x, int t)
{
    if (t == F32) {
        float f = (float)x;
        uint32_t b;
        memcpy(&b, &f, 4);
        return put_bits(out, b, t);
    }
    uint64_t b;
    memcpy(&b, &x, 8);
    return put_bits(out, b, t);
}

static int put_text(ps_buf *out, const char *s, size_t n)
{
    return ps__sym_append(out, s, n) ? PURE_E_NOMEM : 0;
}

static int text_of(const pval *v, const uint8_t **s, size_t *n)
{
    item it;
    if (ps__item(v->p, v->n, &it) || it.kind != ITEM_SYMBOL)
        return PURE_E_TYPE;
    *s = v->p + it.head;
    *n = (size_t)it.n;
    return 0;
}

/* Every argument of type t, into x (n of them, at most 4 when fixed). */
static int ints(const pval *a, unsigned n, int t, i128 *x)
{
    for (unsigned i = 0; i < n; i++)
        if (int_of(&a[i], t, &x[i]))
            return PURE_E_TYPE;
    return 0;
}

/* ------------------------------------------------------------ unsigned */

static unsigned popcount(u128 x)
{
    return (unsigned)__builtin_popcountll((uint64_t)x) +
           (unsigned)__builtin_popcountll((uint64_t)(x >> 64));
}

static unsigned lead_zeros(u128 x, unsigned bits)
{
    unsigned k = 0;
    while (k < bits && !((x >> (bits - 1 - k)) & 1))
        k++;
    return k;
}

/* vpternlog: bit i of the result is bit (x_i y_i z_i) of s. */
static u128 ternary(u128 x, u128 y, u128 z, unsigned s)
{
    u128 r = 0;
    for (unsigned idx = 0; idx < 8; idx++)
        if (s >> idx & 1)
            r |= (idx & 4 ? x : ~x) & (idx & 2 ? y : ~y) & (idx & 1 ? z : ~z);
    return r;
}

static int fold_bits(int code, const pval *a, unsigned n, int t, u128 *r)
{
    *r = code == U_AND ? ~(u128)0 : 0;
    for (unsigned i = 0; i < n; i++) {
        u128 x;
        if (bits_of(&a[i], t, &x))
            return PURE_E_TYPE;
        *r = code == U_AND ? *r & x : code == U_OR ? *r | x : *r ^ x;
    }
    return 0;
}

static int unsigned_op(const pure_op *op, const pval *a, unsigned n, ps_buf *out)
{
    int t = op->t, c = op->code;
    unsigned w = width[t], bits = 8 * w;
    u128 m = mask(w), x = 0, y = 0, z = 0, r;
    if (c == U_AND || c == U_OR || c == U_PARITY) {
        int rc = fold_bits(c, a, n, t, &r);
        return rc ? rc : put_bits(out, r & m, t);
    }
    unsigned want = c <= U_ONES ? 0 : c <= U_CO ? 1 : c == U_TERN ? 4 : 2;
    if (n != want)
        return PURE_E_ARGS;
    if (want >= 1 && bits_of(&a[0], t, &x))
        return PURE_E_TYPE;
    int yt = c == U_SHL || c == U_SHR ? U32 : t;
    if (want >= 2 && bits_of(&a[1], yt, &y))
        return PURE_E_TYPE;
    if (want == 4 && (bits_of(&a[2], t, &z) || bits_of(&a[3], U8, &r)))
        return PURE_E_TYPE;
    switch (c) {
    case U_ZEROS: return put_bits(out, 0, t);
    case U_ONES: return put_bits(out, m, t);
    case U_NOT: return put_bits(out, ~x & m, t);
    case U_SWAP: {
        u128 s = 0;
        for (unsigned i = 0; i < w; i++)
            s = s << 8 | ((x >> (8 * i)) & 0xFF);
        return put_bits(out, s, t);
    }
    case U_REVBITS: {
        u128 s = 0;
        for (unsigned i = 0; i < bits; i++)
            s = s << 1 | ((x >> i) & 1);
        return put_bits(out, s, t);
    }
    case U_LZ: return put_bits(out, lead_zeros(x, bits), U32);
    case U_LO: return put_bits(out, lead_zeros(~x & m, bits), U32);
    case U_CZ: return put_bits(out, bits - popcount(x), U32);
    case U_CO: return put_bits(out, popcount(x), U32);
    case U_NAND: return put_bits(out, ~(x & y) & m, t);
    case U_ANDN: return put_bits(out, x & ~y & m, t);
    case U_NOR: return put_bits(out, ~(x | y) & m, t);
    case U_XOR: return put_bits(out, x ^ y, t);
    case U_XNOR: return put_bits(out, ~(x ^ y) & m, t);
    case U_SHL:
    case U_SHR:
        if (y >= bits)
            return PURE_E_DOMAIN;
        return put_bits(out, (c == U_SHL ? x << y : x >> y) & m, t);
    case U_TERN: return put_bits(out, ternary(x, y, z, (unsigned)r) & m, t);
    default: /* U_EQ32 */
        return put_bits(out, x == y, U8);
    }
}

/* ------------------------------------------------------ signed integers */

static int compare(int which, int lt, int eq)
{
    switch (which) {
    case 0: return lt;
    case 1: return !lt && !eq;
    case 2: return lt || eq;
    case 3: return !lt;
    case 4: return eq;
    default: return !eq;
    }
}

static u128 upow(u128 b, uint32_t e)
{
    u128 r = 1;
    for (; e; e >>= 1, b *= b)
        if (e & 1)
            r *= b;
    return r;
}

static int int_fold(int c, const pval *a, unsigned n, int t, ps_buf *out)
{
    unsigned w = width[t];
    i128 lo = sx((u128)1 << (8 * w - 1), w), hi = (i128)(mask(w) >> 1);
    u128 r = c == N_SUM ? 0 : c == N_PRODUCT ? 1 : c == N_MAX ? (u128)lo : (u128)hi;
    for (unsigned i = 0; i < n; i++) {
        i128 x, cur = sx(r, w);
        if (int_of(&a[i], t, &x))
            return PURE_E_TYPE;
        if (c == N_SUM)
            r += (u128)x;
        else if (c == N_PRODUCT)
            r *= (u128)x;
        else if (c == N_MAX ? x > cur : x < cur)
            r = (u128)x;
        r &= mask(w);
    }
    return put_bits(out, r, t);
}

static int int_to(int u, i128 x, ps_buf *out)
{
    if (u == F32)
        return put_float(out, (float)x, F32);
    if (u == F64)
        return put_float(out, (double)x, F64);
    return put_bits(out, (u128)x, u);
}

static int signed_op(const pure_op *op, const pval *a, unsigned n, ps_buf *out)
{
    int t = op->t, c = op->code;
    unsigned w = width[t];
    i128 x[3] = { 0, 0, 0 }, min = sx((u128)1 << (8 * w - 1), w);
    if (c >= N_SUM && c <= N_MIN)
        return int_fold(c, a, n, t, out);
    if (c == N_FROM || c == N_TO) {
        const uint8_t *s;
        size_t k;
        if (n != 1)
            return PURE_E_ARGS;
        if (c == N_TO) {
            char b[48];
            if (int_of(&a[0], t, &x[0]))
                return PURE_E_TYPE;
            return put_text(out, b, ps__num_int_text(x[0], 1, b));
        }
        if (text_of(&a[0], &s, &k))
            return PURE_E_TYPE;
        if (ps__num_parse_int(s, k, 1, 8 * w, &x[0]))
            return PURE_E_PARSE;
        return put_bits(out, (u128)x[0], t);
    }
    unsigned want = c == N_ONE ? 0 : c <= N_SIGNUM || c == N_AS ? 1 : c == N_CLAMP ? 3 : 2;
    if (n != want)
        return PURE_E_ARGS;
    if (ints(a, n, t, x))
        return PURE_E_TYPE;
    switch (c) {
    case N_AS: return int_to(op->u, x[0], out);
    case N_ONE: return put_bits(out, 1, t);
    case N_NEG: return put_bits(out, 0 - (u128)x[0], t);
    case N_ABS: return put_bits(out, x[0] < 0 ? 0 - (u128)x[0] : (u128)x[0], t);
    case N_SIGNUM: return put_bits(out, (u128)(i128)((x[0] > 0) - (x[0] < 0)), t);
    case N_SUB: return put_bits(out, (u128)x[0] - (u128)x[1], t);
    case N_DIV:
    case N_MOD:
        if (x[1] == 0 || (x[0] == min && x[1] == -1))
            return PURE_E_DOMAIN;
        return put_bits(out, (u128)(c == N_DIV ? x[0] / x[1] : x[0] % x[1]), t);
    case N_POW: return put_bits(out, upow((u128)x[0], (uint32_t)x[1]), t);
    case N_CLAMP:
        if (x[1] > x[2])
            return PURE_E_DOMAIN;
        return put_bits(out, (u128)(x[0] < x[1] ? x[1] : x[0] > x[2] ? x[2] : x[0]), t);
    default: /* N_CMP */
        return put_bits(out, (u128)compare(op->u, x[0] < x[1], x[0] == x[1]), I8);
    }
}

/* ---------------------------------------------------------------- floats */

static double unary(int f, double x, int f32)
{
    float y = (float)x;
    switch (f) {
    case 0: return f32 ? y * ((float)M_PI / 180.0f) : x * (M_PI / 180.0);
    case 1: return f32 ? y * 57.2957795130823208767981548141051703f : x * (180.0 / M_PI);
    case 2: return f32 ? sinf(y) : sin(x);
    case 3: return f32 ? cosf(y) : cos(x);
    case 4: return f32 ? tanf(y) : tan(x);
    case 5: return f32 ? asinf(y) : asin(x);
    case 6: return f32 ? acosf(y) : acos(x);
    case 7: return f32 ? atanf(y) : atan(x);
    case 8: return f32 ? sinhf(y) : sinh(x);
    case 9: return f32 ? coshf(y) : cosh(x);
    case 10: return f32 ? tanhf(y) : tanh(x);
    case 11: return f32 ? asinhf(y) : asinh(x);
    case 12: return f32 ? acoshf(y) : acosh(x);
    case 13: return f32 ? atanhf(y) : atanh(x);
    case 14: return -x;
    case 15: return fabs(x);
    case 16: return floor(x);
    case 17: return ceil(x);
    case 18: return round(x);
    case 19: return f32 ? sqrtf(y) : sqrt(x);
    case 20: return f32 ? cbrtf(y) : cbrt(x);
    case 21: return f32 ? expf(y) : exp(x);
    case 22: return f32 ? exp2f(y) : exp2(x);
    case 23: return f32 ? logf(y) : log(x);
    case 24: return f32 ? log2f(y) : log2(x);
    case 25: return f32 ? log10f(y) : log10(x);
    case 26: return trunc(x);
    case 27: return f32 ? 1.0f / y : 1.0 / x;
    case 28: return f32 ? y - truncf(y) : x - trunc(x);
    default: return isnan(x) ? x : copysign(1.0, x);
    }
}

static int fcompare(int which, double a, double b)
{
    switch (which) {
    case 0: return a < b;
    case 1: return a > b;
    case 2: return a <= b;
    case 3: return a >= b;
    case 4: return a == b;
    default: return a != b;
    }
}

/* LLVM's powi (compiler-rt __powidf2), which Rust's powi is. */
static double powi(double a, int32_t b, int f32)
{
    int recip = b < 0;
    uint32_t e = recip ? 0u - (uint32_t)b : (uint32_t)b;
    if (f32) {
        float r = 1, x = (float)a;
        for (; e; e >>= 1, x *= x)
            if (e & 1)
                r *= x;
        return recip ? 1 / r : r;
    }
    double r = 1, x = a;
    for (; e; e >>= 1, x *= x)
        if (e & 1)
            r *= x;
    return recip ? 1 / r : r;
}

/* Rust's float-to-integer cast: saturating, NaN to 0. */
static int float_to_int(double x, int u, ps_buf *out)
{
    unsigned bits = 8 * width[u];
    double lim = ldexp(1.0, (int)bits - 1);
    i128 lo = sx((u128)1 << (bits - 1), width[u]), hi = (i128)(mask(width[u]) >> 1);
    i128 v = isnan(x) ? 0 : x >= lim ? hi : x <= -lim ? lo : (i128)x;
    return put_bits(out, (u128)v, u);
}

static int float_fold(int c, const pval *a, unsigned n, int t, ps_buf *out)
{
    int f32 = t == F32;
    double r = c == N_SUM ? 0 : c == N_PRODUCT ? 1 : c == N_MAX ? -INFINITY : INFINITY;
    for (unsigned i = 0; i < n; i++) {
        double x;
        if (float_of(&a[i], t, &x))
            return PURE_E_TYPE;
        r = c == N_SUM ? r + x : c == N_PRODUCT ? r * x : c == N_MAX ? fmax(r, x) : fmin(r, x);
        if (f32)
            r = (float)r; /* each step rounds to f32, as f32 arithmetic does */
    }
    return put_float(out, r, t);
}

static int float_text(int c, const pval *a, unsigned n, int t, ps_buf *out)
{
    if (n != 1)
        return PURE_E_ARGS;
    if (c == N_TO) {
        double x;
        char b[NUM_TEXT_MAX];
        if (float_of(&a[0], t, &x))
            return PURE_E_TYPE;
        return put_text(out, b, ps__num_debug(x, t == F32, b));
    }
    const uint8_t *s;
    size_t k;
    double x;
    float f;
    if (text_of(&a[0], &s, &k))
        return PURE_E_TYPE;
    if (t == F32 ? ps__num_parse_f32(s, k, &f) : ps__num_parse_f64(s, k, &x))
        return PURE_E_PARSE;
    return put_float(out, t == F32 ? f : x, t);
}

static double constant(int u)
{
    static const double c[] = { INFINITY, -INFINITY, M_E, M_PI, 2 * M_PI,
                                1.618033988749894848204586834365638118 };
    return c[u];
}

static int float_op(const pure_op *op, const pval *a, unsigned n, ps_buf *out)
{
    int t = op->t, c = op->code, f32 = t == F32;
    double x[3] = { 0, 0, 0 };
    if (c >= N_SUM && c <= N_MIN)
        return float_fold(c, a, n, t, out);
    if (c == N_FROM || c == N_TO)
        return float_text(c, a, n, t, out);
    unsigned want = c == F_CONST ? 0 : c == F_UNARY || c == N_AS ? 1 : c == N_CLAMP ? 3 : 2;
    if (n != want)
        return PURE_E_ARGS;
    for (unsigned i = 0; i < n; i++) {
        if (c == F_POWI && i == 1) {
            i128 e;
            if (int_of(&a[1], I32, &e))
                return PURE_E_TYPE;
            return put_float(out, powi(x[0], (int32_t)e, f32), t);
        }
        if (float_of(&a[i], t, &x[i]))
            return PURE_E_TYPE;
    }
    switch (c) {
    case N_AS: return is_float(op->u) ? put_float(out, x[0], op->u) : float_to_int(x[0], op->u, out);
    case F_CONST: return put_float(out, constant(op->u), t);
    case F_UNARY: return put_float(out, unary(op->u, x[0], f32), t);
    case F_COPYSIGN: return put_float(out, copysign(x[0], x[1]), t);
    case F_POWF: return put_float(out, f32 ? powf((float)x[0], (float)x[1]) : pow(x[0], x[1]), t);
    case N_SUB: return put_float(out, x[0] - x[1], t);
    case N_DIV: return put_float(out, x[0] / x[1], t);
    case F_ATAN2: return put_float(out, f32 ? atan2f((float)x[0], (float)x[1]) : atan2(x[0], x[1]), t);
    case F_HYPOT: return put_float(out, f32 ? hypotf((float)x[0], (float)x[1]) : hypot(x[0], x[1]), t);
    case N_CLAMP:
        if (isnan(x[1]) || isnan(x[2]) || x[1] > x[2])
            return PURE_E_DOMAIN;
        return put_float(out, x[0] < x[1] ? x[1] : x[0] > x[2] ? x[2] : x[0], t);
    default: /* N_CMP: IEEE, so every comparison with NaN but ne is false */
        return put_bits(out, (u128)fcompare(op->u, x[0], x[1]), I8);
    }
}

int ps__pure_num(const pure_op *op, const pval *a, unsigned n, ps_buf *out)
{
    if (op->code <= U_EQ32)
        return unsigned_op(op, a, n, out);
    return is_float(op->t) ? float_op(op, a, n, out) : signed_op(op, a, n, out);
}
