/*
 * gen.c - a deterministic synthetic knowledge base (shape in docs/gen.md).
 *
 * Atom i is built from a PRNG seeded by (seed, i) alone. Its subject entity
 * is i / 8 and its template is i % 8, and every template starts with its own
 * head and mentions the subject, so atoms are distinct by construction: no
 * set is needed to deduplicate, and N atoms cost O(N) time and O(1) memory.
 * Relations, types and objects are drawn with a power-law skew (index =
 * N * u^3), as real vocabularies are.
 */
#include <stdio.h>

#include "pathspace.h"

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    return mix(r->s += 0x9E3779B97F4A7C15ull);
}

/* Skewed pick in [0, n): small indices are much more frequent. */
static uint64_t skew(rng *r, uint64_t n)
{
    double u = (double)(next(r) >> 11) * 0x1.0p-53;
    uint64_t k = (uint64_t)((double)n * u * u * u);
    return k < n ? k : n - 1;
}

static const char *const syl[16] = { "ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi",
                                     "be", "do", "fa", "gu", "ha", "jo", "pe", "si" };

/* A pronounceable word for index k (distinct k, distinct words). */
static int word(char *o, uint64_t k, int cap)
{
    int n = 0;
    k += 4096; /* at least four syllables, like real vocabulary */
    do {
        n += snprintf(o + n, (size_t)(cap - n), "%s", syl[k & 15]);
        k >>= 4;
    } while (k && n < cap - 3);
    return n;
}

/* Entities are typed nodes with knowledge-graph style ids: (Entity Q0000002a). */
static int entity(char *o, uint64_t id)
{
    return sprintf(o, "(Entity Q%08llx)", (unsigned long long)id);
}

static int atom(char *o, uint64_t seed, uint64_t i)
{
    rng r = { mix(seed ^ mix(i + 1)) };
    uint64_t subj = i / 8, ents = subj + 1;
    char s[40], a[48], b[48], c[48];
    entity(s, subj);
    switch (i % 8) {
    case 0:
        word(a, skew(&r, 200), 40);
        return sprintf(o, "(isa %s %s)", s, a);
    case 1:
        word(a, skew(&r, 300) + 16, 40);
        entity(b, skew(&r, ents));
        return sprintf(o, "(%s %s %s)", a, s, b);
    case 2:
        return sprintf(o, "(age %s %llu)", s, (unsigned long long)(next(&r) % 120));
    case 3:
        word(a, skew(&r, 4000), 40);
        word(b, skew(&r, 20000), 40);
        a[0] = (char)(a[0] - 32);
        b[0] = (char)(b[0] - 32);
        return sprintf(o, "(name %s \"%s %s\")", s, a, b);
    case 4:
        word(a, skew(&r, 200), 40);
        word(b, skew(&r, 200), 40);
        return sprintf(o, "(: %s (Type (List %s %s)))", s, a, b);
    case 5:
        word(a, skew(&r, 300) + 16, 40);
        word(b, skew(&r, 300) + 16, 40);
        entity(c, skew(&r, ents));
        return sprintf(o, "(= (%s %s $x) (%s $x %s))", a, s, b, c);
    case 6:
        entity(b, skew(&r, ents));
        return sprintf(o, "(weight %s %s 0.%03llu)", s, b, (unsigned long long)(next(&r) % 1000));
    default:
        word(a, skew(&r, 5000), 40);
        word(b, skew(&r, 50), 40);
        return sprintf(o, "(located %s (place %s (region %s)))", s, a, b);
    }
}

int ps_gen_text(uint64_t seed, uint64_t first, uint64_t count, ps_buf *out)
{
    for (uint64_t i = first; i < first + count; i++) {
        int rc;
        uint8_t *o = ps_buf_append_uninit(out, 256, &rc);
        if (!o)
            return rc;
        int n = atom((char *)o, seed, i);
        o[n] = '\n';
        out->len -= 256 - (size_t)n - 1;
    }
    return PS_OK;
}
