/* test_act.c - ACT: the spec's worked examples byte for byte, varints,
 * random sets against a sorted reference (get, iteration, prefixes, count),
 * values, merge trailers, and hostile files. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mork/act.h"
#include "test.h"
#include "cases.h"
#include "fixtures.h"

/* Writes keys (sorted, NUL-terminated strings) with value 0. */
static void act_of(const char **keys, int n, ps_buf *out)
{
    ps_act_writer *w;
    ps_buf_clear(out, 0);
    REQUIRE_OK(ps_act_writer_new(ps_sink_buf(out), &w));
    for (int i = 0; i < n; i++)
        CHECK_OK(ps_act_writer_add(w, ps_bytes_of(keys[i], strlen(keys[i])), 0));
    CHECK_OK(ps_act_writer_finish(w, NULL));
    ps_act_writer_free(w);
}

static int hex_eq(const ps_buf *b, const char *hex)
{
    uint8_t want[256];
    size_t n = 0;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ')
            continue;
        unsigned v;
        sscanf(p, "%2x", &v);
        want[n++] = (uint8_t)v;
        p++;
    }
    if (n != b->len || memcmp(want, ps_buf_data(b), n)) {
        printf("    got  ");
        for (size_t i = 0; i < b->len; i++)
            printf("%02X ", ps_buf_data(b)[i]);
        printf("\n");
        return 0;
    }
    return 1;
}

#define MAGIC "41 43 54 72 65 65 30 33 "
#define PAD " 00 00 00 00 00 00 00 00"

void t_act_worked_examples(void)
{
    ps_buf b = { 0 };
    const char *k1[] = { "ab", "abc", "b" };
    act_of(k1, 3, &b);
    CHECK(hex_eq(&b, MAGIC "1D 00 00 00 00 00 00 00 40 00 01 62 41 00 04 63 81 04 06 40 00 02 05 61 62" PAD));
    const char *k2[] = { "abc" };
    act_of(k2, 1, &b);
    CHECK(hex_eq(&b, MAGIC "14 00 00 00 00 00 00 00 03 61 62 63 C0 00 04" PAD));
    const char *k3[] = { "ab", "abc" };
    act_of(k3, 2, &b);
    CHECK(hex_eq(&b, MAGIC "19 00 00 00 00 00 00 00 40 00 02 61 62 41 00 05 63 81 04 07" PAD));
    const char *k4[] = { "ace", "acf", "adg", "adh", "bjk" };
    act_of(k4, 5, &b);
    CHECK(hex_eq(&b, MAGIC "2A 00 00 00 00 00 00 00 40 00 40 00 40 00 40 00 02 08 65 66 02 08 67 68 "
                       "02 6A 6B 02 0B 63 64 C0 00 07 02 07 61 62" PAD));
    act_of(NULL, 0, &b);
    CHECK(hex_eq(&b, MAGIC "10 00 00 00 00 00 00 00 00" PAD));
    /* MORK space holding only (parent (Tom) $x $x) */
    ps_buf atom = { 0 };
    ps_act_writer *w;
    CHECK_OK(ps_atom_parse("(parent (Tom) $x $x)", 20, &atom, NULL));
    ps_buf_clear(&b, 0);
    REQUIRE_OK(ps_act_writer_new(ps_sink_buf(&b), &w));
    CHECK_OK(ps_act_writer_add(w, ps_buf_bytes(&atom), 0));
    CHECK_OK(ps_act_writer_finish(w, NULL));
    ps_act_writer_free(w);
    CHECK(hex_eq(&b, MAGIC "20 00 00 00 00 00 00 00 0F 04 C6 70 61 72 65 6E 74 01 C3 54 6F 6D C0 80 "
                       "C0 00 10" PAD));
    /* and it reads back */
    ps_act *a;
    uint64_t v = 9, n;
    REQUIRE_OK(ps_act_open_mem(ps_buf_data(&b), b.len, &a, NULL));
    CHECK_OK(ps_act_get(a, ps_buf_bytes(&atom), &v, NULL));
    CHECK_EQ(v, 0);
    CHECK_OK(ps_act_count(a, ps_bytes_of(NULL, 0), &n, NULL));
    CHECK_EQ(n, 1);
    ps_act_close(a);
    ps_buf_free(&atom);
    ps_buf_free(&b);
}

void t_act_varint(void)
{
    static const struct {
        uint64_t v;
        const char *hex;
    } cases[] = { { 0, "00" }, { 247, "F7" }, { 248, "F8 F8" }, { 255, "F8 FF" },
                  { 256, "F9 00 01" }, { 1000, "F9 E8 03" },
                  { 1ull << 32, "FC 00 00 00 00 01" },
                  { ~0ull, "FF FF FF FF FF FF FF FF FF" } };
    ps_buf b = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t p[9];
        unsigned n = act_varint_put(p, cases[i].v);
        ps_buf_clear(&b, 0);
        ps_buf_append(&b, p, n);
        CHECK(hex_eq(&b, cases[i].hex));
        uint64_t back = 0;
        CHECK_EQ(act_varint_get(p, n, &back), n);
        CHECK(back == cases[i].v);
        if (n > 1)
            CHECK_EQ(act_varint_get(p, n - 1, &back), 0); /* cut short */
    }
    ps_buf_free(&b);
}

/* ---- random sets against a sorted reference */

typedef struct key {
    uint8_t b[40];
    uint8_t n;
    uint64_t v;
} key;

static int key_cmp(const void *x, const void *y)
{
    const key *a = x, *b = y;
    return ps_bytes_cmp(ps_bytes_of(a->b, a->n), ps_bytes_of(b->b, b->n));
}

/* Keys over a small alphabet (shared prefixes, lines) or all 256 bytes
 * (wide branches: the 32-byte mask form). */
static size_t random_keys(key *k, size_t n, int wide)
{
    for (size_t i = 0; i < n; i++) {
        k[i].n = (uint8_t)t_below(wide ? 4 : 12);
        for (int j = 0; j < k[i].n; j++)
            k[i].b[j] = wide ? (uint8_t)t_rand() : (uint8_t)('a' + t_below(3));
        uint64_t r = t_rand();
        k[i].v = r % 3 == 0 ? 0 : r % 3 == 1 ? t_below(300) : r;
    }
    qsort(k, n, sizeof *k, key_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || key_cmp(&k[m - 1], &k[i]))
            k[m++] = k[i];
    return m;
}

static void check_prefix(const ps_act *a, const key *k, size_t n, ps_bytes pre)
{
    ps_act_iter *it;
    ps_bytes p;
    uint64_t v, cnt;
    size_t i = 0;
    REQUIRE_OK(ps_act_iter_new(a, pre, &it));
    for (size_t j = 0; j < n; j++) {
        if (k[j].n < pre.len || (pre.len && memcmp(k[j].b, pre.ptr, pre.len)))
            continue;
        CHECK_OK(ps_act_iter_next(it, &p, &v, NULL));
        CHECK(p.len == k[j].n && (!p.len || !memcmp(p.ptr, k[j].b, p.len)) && v == k[j].v);
        i++;
    }
    CHECK_RC(ps_act_iter_next(it, &p, &v, NULL), PS_E_EMPTY);
    ps_act_iter_free(it);
    CHECK_OK(ps_act_count(a, pre, &cnt, NULL));
    CHECK_EQ(cnt, i);
}

void t_act_random_vs_ref(void)
{
    key *k = malloc(3000 * sizeof *k);
    ps_buf b = { 0 };
    for (int round = 0; round < 60; round++) {
        size_t n = random_keys(k, 1 + t_below(round < 30 ? 40 : 3000), round & 1);
        ps_act_writer *w;
        ps_act *a;
        ps_buf_clear(&b, 0);
        REQUIRE_OK(ps_act_writer_new(ps_sink_buf(&b), &w));
        for (size_t i = 0; i < n; i++)
            CHECK_OK(ps_act_writer_add(w, ps_bytes_of(k[i].b, k[i].n), k[i].v));
        CHECK_OK(ps_act_writer_finish(w, NULL));
        ps_act_writer_free(w);
        REQUIRE_OK(ps_act_open_mem(ps_buf_data(&b), b.len, &a, NULL));
        CHECK_OK(ps_act_verify(a, NULL, NULL));
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            CHECK_OK(ps_act_get(a, ps_bytes_of(k[i].b, k[i].n), &v, NULL));
            CHECK(v == k[i].v);
            /* a key one byte longer is absent unless it is the next key */
            uint8_t x[41];
            memcpy(x, k[i].b, k[i].n);
            x[k[i].n] = 0xFF;
            key probe = k[i];
            probe.b[probe.n++] = 0xFF;
            int there = bsearch(&probe, k, n, sizeof *k, key_cmp) != NULL;
            CHECK_RC(ps_act_get(a, ps_bytes_of(x, k[i].n + 1u), NULL, NULL),
                     there ? PS_OK : PS_E_NOTFOUND);
        }
        check_prefix(a, k, n, ps_bytes_of(NULL, 0));
        for (int j = 0; j < 5; j++) {
            const key *q = &k[t_below(n)];
            check_prefix(a, k, n, ps_bytes_of(q->b, t_below(q->n + 1u)));
        }
        check_prefix(a, k, n, ps_bytes_of("ab", 2));
        ps_act_close(a);
    }
    free(k);
    ps_buf_free(&b);
}

void t_act_writer_rejects(void)
{
    ps_buf b = { 0 };
    ps_act_writer *w;
    REQUIRE_OK(ps_act_writer_new(ps_sink_buf(&b), &w));
    CHECK_OK(ps_act_writer_add(w, ps_bytes_of("b", 1), 0));
    CHECK_RC(ps_act_writer_add(w, ps_bytes_of("a", 1), 0), PS_E_INVAL);
    ps_act_writer_free(w);
    ps_buf_clear(&b, 0);
    REQUIRE_OK(ps_act_writer_new(ps_sink_buf(&b), &w));
    CHECK_OK(ps_act_writer_add(w, ps_bytes_of("ab", 2), 0));
    CHECK_RC(ps_act_writer_add(w, ps_bytes_of("ab", 2), 0), PS_E_INVAL); /* duplicate */
    CHECK_RC(ps_act_writer_add(w, ps_bytes_of("a", 1), 0), PS_E_INVAL);  /* prefix after */
    ps_act_writer_free(w);
    ps_sink nopatch = { ps_sink_buf(&b).write, NULL, &b };
    CHECK_RC(ps_act_writer_new(nopatch, &w), PS_E_INVAL);
    ps_buf_free(&b);
}

/* Space -> ACT -> space keeps paths and non-zero values; no value = 0. */
void t_act_space_roundtrip(void)
{
    ps_space *s, *t;
    ps_buf b = { 0 };
    ps_act *a;
    REQUIRE_OK(ps_space_new(&s));
    REQUIRE_OK(ps_space_new(&t));
    for (int i = 0; i < 2000; i++) {
        uint8_t p[8];
        size_t n = 1 + t_below(8);
        for (size_t j = 0; j < n; j++)
            p[j] = (uint8_t)t_below(5);
        if (t_below(2))
            CHECK_OK(ps_space_set_value(s, ps_bytes_of(p, n), 1 + t_below(1000)));
        else
            CHECK_OK(ps_space_insert(s, ps_bytes_of(p, n), NULL));
    }
    CHECK_OK(ps_space_write_act(s, ps_sink_buf(&b), NULL));
    REQUIRE_OK(ps_act_open_mem(ps_buf_data(&b), b.len, &a, NULL));
    CHECK_OK(ps_space_read_act(t, a, NULL));
    CHECK_EQ(ps_space_count(t), ps_space_count(s));
    ps_iter *it;
    ps_bytes p;
    int has;
    uint64_t v, w;
    REQUIRE_OK(ps_iter_new(s, ps_bytes_of(NULL, 0), &it));
    while (ps_iter_next(it, &p, &has, &v) == PS_OK) {
        CHECK_RC(ps_space_get_value(t, p, &w), has ? PS_OK : PS_E_NOTFOUND);
        if (has)
            CHECK(w == v);
    }
    ps_iter_free(it);
    ps_act_close(a);
    ps_space_free(s);
    ps_space_free(t);
    ps_buf_free(&b);
}

/* An append-only merge as PathMap does it (spec 4.10): key "c" = 7 added to
 * {ab, abc, b} by re-emitting the root's sibling run as shallow copies that
 * point into the old arena, then the trailer, then the new root offset. */
void t_act_merge_trailer(void)
{
    ps_buf b = { 0 };
    const char *k1[] = { "ab", "abc", "b" };
    act_of(k1, 3, &b);
    /* old: line @24 (child 20, line 18), leaf @27, root @29; 41 bytes */
    uint8_t add[] = {
        0x81, 41 - 20, 41 - 18,      /* @41 copy of the line for "ab"   */
        0x40, 0x00,                  /* @44 copy of leaf "b"            */
        0x40, 0x07,                  /* @46 new leaf "c" = 7            */
        0x03, 48 - 41, 'a', 'b', 'c', /* @48 new root, first child @41   */
        0, 0, 0, 0, 0, 0, 0, 0,      /* previous suffix: base file      */
        29, 0, 0, 0, 0, 0, 0, 0,     /* previous root                   */
    };
    ps_buf_append(&b, add, sizeof add);
    ps_buf_data(&b)[8] = 48;
    ps_act *a;
    ps_act_stats st;
    uint64_t v, n;
    REQUIRE_OK(ps_act_open_mem(ps_buf_data(&b), b.len, &a, NULL));
    CHECK_OK(ps_act_verify(a, &st, NULL));
    CHECK_EQ(st.merges, 1);
    CHECK_OK(ps_act_count(a, ps_bytes_of(NULL, 0), &n, NULL));
    CHECK_EQ(n, 4);
    CHECK_OK(ps_act_get(a, ps_bytes_of("c", 1), &v, NULL));
    CHECK_EQ(v, 7);
    CHECK_OK(ps_act_get(a, ps_bytes_of("abc", 3), &v, NULL));
    ps_act_close(a);
    /* a trailer whose previous root lies after it is refused */
    ps_buf_data(&b)[b.len - 8] = 200;
    CHECK_RC(ps_act_open_mem(ps_buf_data(&b), b.len, &a, NULL), PS_E_CORRUPT);
    ps_buf_free(&b);
}

/* Every ACT-reading call on a file: must end (error or not), never crash. */
static int act_probe(const uint8_t *p, size_t n)
{
    ps_act *a;
    ps_diag d;
    ps_act_iter *it;
    ps_bytes k;
    uint64_t v;
    int rc = ps_act_open_mem(p, n, &a, &d);
    if (rc)
        return rc;
    int vr = ps_act_verify(a, NULL, &d);
    if (vr)
        CHECK(d.msg[0] != 0);
    if (ps_act_iter_new(a, ps_bytes_of(NULL, 0), &it) == PS_OK) {
        ps_buf prev = { 0 };
        uint64_t i = 0;
        while ((rc = ps_act_iter_next(it, &k, &v, &d)) == PS_OK && i < 100000) {
            CHECK(i++ == 0 || ps_bytes_cmp(ps_buf_bytes(&prev), k) < 0);
            ps_buf_clear(&prev, 0);
            ps_buf_append(&prev, k.ptr, k.len);
            CHECK(ps_act_get(a, k, &v, &d) == PS_OK);
        }
        ps_buf_free(&prev);
        ps_act_iter_free(it);
    }
    ps_act_close(a);
    return vr;
}

void t_act_hostile(void)
{
    ps_buf b = { 0 };
    const char *k1[] = { "ab", "abc", "b" };
    act_of(k1, 3, &b);
    uint8_t f[64];
    size_t n = b.len;
    memcpy(f, ps_buf_data(&b), n);
    /* every truncation is refused */
    for (size_t cut = 0; cut < n; cut++) {
        int rc = act_probe(f, cut);
        CHECK(rc == PS_E_TRUNCATED || rc == PS_E_CORRUPT);
    }
    /* specific damage, each refused by open or verify */
    struct {
        size_t at;
        uint8_t byte;
    } harm[] = {
        { 0, 'X' },       /* magic                                   */
        { 8, 0x05 },      /* root offset before the arena            */
        { 8, 0xF0 },      /* root offset past the arena              */
        { 29, 0x21 },     /* root child count 33                      */
        { 30, 0x00 },     /* first child distance 0: a cycle          */
        { 30, 0xF0 },     /* first child before the arena             */
        { 18, 0x00 },     /* line data of length 0                    */
        { 26, 0x00 },     /* line distance 0                          */
        { 24, 0xC1 },     /* line with value and child                */
        { 24, 0x86 },     /* line header with unknown bits            */
        { 31, 0x62 },     /* child bytes not ascending                */
        { 21, 0xFF },     /* truncated varint in a branch             */
    };
    for (size_t i = 0; i < sizeof harm / sizeof harm[0]; i++) {
        uint8_t g[64];
        memcpy(g, f, n);
        g[harm[i].at] = harm[i].byte;
        if (act_probe(g, n) == PS_OK)
            t_failf(__FILE__, __LINE__, "damage %zu (byte %zu = %02X) accepted", i, harm[i].at,
                    harm[i].byte);
    }
    /* every single-byte change: no crash, and whatever open+verify accept
     * iterates strictly increasing */
    for (size_t at = 0; at < n; at++)
        for (int x = 0; x < 256; x++) {
            uint8_t g[64];
            memcpy(g, f, n);
            g[at] = (uint8_t)x;
            act_probe(g, n);
        }
    ps_buf_free(&b);
}

/* The must-reject corpus in tests/golden/act: each file refused. */
void t_act_golden_rejects(void)
{
    char path[256];
    int seen = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(path, sizeof path, "tests/golden/act/reject-%03d.act", i);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        seen++;
        if (act_probe(buf, n) == PS_OK)
            t_failf(__FILE__, __LINE__, "%s accepted", path);
    }
    CHECK(seen > 40);
}

/* ---------------------------------------------- hand-made hostile files */

/* A file assembled record by record (offsets known), padded and rooted. */
typedef struct actb {
    ps_buf b;
} actb;

static void actb_start(actb *a)
{
    memset(a, 0, sizeof *a);
    ps_buf_append(&a->b, "ACTree03\0\0\0\0\0\0\0\0", 16);
}

static uint64_t actb_put(actb *a, const uint8_t *p, size_t n)
{
    uint64_t at = a->b.len;
    ps_buf_append(&a->b, p, n);
    return at;
}

static void actb_finish(actb *a, uint64_t root)
{
    ps_write_le64(ps_buf_data(&a->b) + 8, root);
    ps_buf_append(&a->b, "\0\0\0\0\0\0\0\0", 8);
}

/* Sharing nested 63 deep: each level is a branch of two lines ("x" and
 * "y"), both pointing at the level below, so 2^63 keys live in a few
 * hundred bytes. count must say so at once; verify must pass and report
 * the count; every walk must be refused by the decoding budget, before it
 * starts (a walk would never end). */
void t_act_dag_keys(void)
{
    actb a;
    actb_start(&a);
    uint8_t r[32];
    uint64_t x = actb_put(&a, (const uint8_t *)"\x01x", 2);
    uint64_t y = actb_put(&a, (const uint8_t *)"\x01y", 2);
    size_t k = 0;
    r[k++] = 0xC0; /* a line with a value: the key "x" */
    r[k++] = 7;
    uint64_t at = a.b.len;
    k += fx_act_varint(r + k, at - x);
    uint64_t below = actb_put(&a, r, k);
    for (int level = 1; level <= 63; level++) {
        uint64_t la = a.b.len, lb;
        for (int side = 0; side < 2; side++) {
            at = a.b.len;
            k = 0;
            r[k++] = 0x81; /* a line with a child */
            k += fx_act_varint(r + k, at - below);
            k += fx_act_varint(r + k, at - (side ? y : x));
            lb = actb_put(&a, r, k);
        }
        (void)lb;
        at = a.b.len;
        k = 0;
        r[k++] = 2; /* a branch of two: 'a' -> the x line, 'b' -> the y line */
        k += fx_act_varint(r + k, at - la);
        r[k++] = 'a';
        r[k++] = 'b';
        below = actb_put(&a, r, k);
    }
    actb_finish(&a, below);
    CHECK(a.b.len < 1024);
    ps_act *f;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_act_open_mem(ps_buf_data(&a.b), a.b.len, &f, &d));
    uint64_t n = 0;
    CHECK_OK(ps_act_count(f, ps_bytes_of(NULL, 0), &n, &d));
    CHECK(n == 1ull << 63);
    CHECK_OK(ps_act_count(f, ps_bytes_of("ax", 2), &n, &d)); /* under a prefix */
    CHECK(n == 1ull << 62);
    CHECK_OK(ps_act_count(f, ps_bytes_of("ab", 2), &n, &d)); /* no such keys */
    CHECK_EQ(n, 0);
    ps_act_stats st;
    CHECK_OK(ps_act_verify(f, &st, &d));
    CHECK(st.paths == 1ull << 63 && st.path_bytes == UINT64_MAX && st.branches == 63);
    ps_act_iter *it;
    ps_bytes kk;
    REQUIRE_OK(ps_act_iter_new(f, ps_bytes_of(NULL, 0), &it));
    CHECK_RC(ps_act_iter_next(it, &kk, NULL, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "9223372036854775808 keys") && strstr(d.msg, "--max-expansion"));
    ps_act_iter_free(it);
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    CHECK_RC(ps_space_read_act(s, f, &d), PS_E_LIMIT);
    CHECK_EQ(ps_space_count(s), 0);
    ps_space_free(s);
    /* deep enough under a prefix, the keys fit: 60 levels down, 2^2 are left */
    REQUIRE_OK(ps_act_iter_new(f, ps_bytes_of("axaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxa", 121), &it));
    int got = 0;
    while (ps_act_iter_next(it, &kk, NULL, &d) == PS_OK)
        got++;
    CHECK_EQ(got, 4);
    ps_act_iter_free(it);
    ps_act_close(f);
    ps_buf_free(&a.b);
}

/* A record shared by two parents must end before each of them. Here S (a
 * branch at offset 27, 5 bytes) is the root's first child, and also the
 * child of P2, a branch whose bytes lie inside S's (offset 29): S runs past
 * P2. ps_act_verify used to mark S as seen by its offset alone and pass the
 * file, which iteration then refused. */
void t_act_verify_shared_bound(void)
{
    static const uint8_t f[] = {
        'A', 'C', 'T', 'r', 'e', 'e', '0', '3', 35, 0, 0, 0, 0, 0, 0, 0,
        0x01, 'z',              /* 16: line data "z"                           */
        0xC0, 1, 2,             /* 18: leaf "z" = 1                             */
        0xC0, 2, 5,             /* 21: leaf "z" = 2                             */
        0xC0, 3, 8,             /* 24: leaf "z" = 3                             */
        0x03, 9, 0x01, 0x02, 'a', /* 27: S, 3 kids at 18; P2 = [01 02 'a'] at 29 */
        0x81, 3, 16,            /* 32: line "z" -> P2                           */
        0x02, 8, 'a', 'b',      /* 35: root: 'a' -> S, 'b' -> the line at 32    */
        0, 0, 0, 0, 0, 0, 0, 0,
    };
    ps_act *a;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_act_open_mem(f, sizeof f, &a, &d));
    CHECK_RC(ps_act_verify(a, NULL, &d), PS_E_CORRUPT);
    CHECK(strstr(d.msg, "runs past a parent at offset 29") != NULL);
    /* and what verify now refuses, iteration refuses too */
    ps_act_iter *it;
    REQUIRE_OK(ps_act_iter_new(a, ps_bytes_of(NULL, 0), &it));
    ps_bytes k;
    int rc;
    while ((rc = ps_act_iter_next(it, &k, NULL, &d)) == PS_OK)
        ;
    CHECK_RC(rc, PS_E_CORRUPT);
    ps_act_iter_free(it);
    ps_act_close(a);
}
