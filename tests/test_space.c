/* test_space.c - the trie against a sorted array of byte strings. */
#include <stdlib.h>

#include "test.h"
#include "cases.h"
#include "common/alloc.h"
#include "trie/trie.h"

static ps_bytes B(const char *s) { return ps_bytes_of(s, strlen(s)); }

/* Collects every path (under prefix) as "p1|p2|..." for easy comparison. */
static void collect(const ps_space *s, const char *prefix, ps_buf *out)
{
    ps_iter *it;
    ps_bytes p;
    ps_buf_clear(out, 0);
    if (ps_iter_new(s, B(prefix), &it))
        return;
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        ps_buf_append(out, p.ptr, p.len);
        ps_buf_append(out, "|", 1);
    }
    ps_iter_free(it);
    ps_buf_append(out, "", 1); /* NUL for strcmp */
}

static int listed(const ps_space *s, const char *prefix, const char *want)
{
    ps_buf o = { 0 };
    collect(s, prefix, &o);
    int ok = strcmp((char *)ps_buf_data(&o), want) == 0;
    if (!ok)
        fprintf(stderr, "    under '%s': %s (want %s)\n", prefix, (char *)ps_buf_data(&o), want);
    ps_buf_free(&o);
    return ok;
}

void t_space_basic(void)
{
    ps_space *s;
    int added, removed;
    REQUIRE_OK(ps_space_new(&s));
    CHECK(listed(s, "", ""));
    static const char *keys[] = { "abc", "ab", "b", "abd", "a", "ba", "abcde" };
    for (int i = 0; i < 7; i++) {
        CHECK_OK(ps_space_insert(s, B(keys[i]), &added));
        CHECK_EQ(added, 1);
    }
    CHECK_OK(ps_space_insert(s, B("ab"), &added));
    CHECK_EQ(added, 0);
    CHECK_EQ(ps_space_count(s), 7);
    CHECK(listed(s, "", "a|ab|abc|abcde|abd|b|ba|"));
    CHECK(listed(s, "ab", "ab|abc|abcde|abd|"));
    CHECK(listed(s, "abcd", "abcde|"));
    CHECK(listed(s, "abx", ""));
    CHECK(listed(s, "abcdef", ""));
    CHECK(ps_space_contains(s, B("abc")) && !ps_space_contains(s, B("abcd")));
    CHECK(!ps_space_contains(s, B("")) && !ps_space_contains(s, B("c")));
    CHECK_OK(ps_space_remove(s, B("abc"), &removed));
    CHECK_EQ(removed, 1);
    CHECK_OK(ps_space_remove(s, B("abc"), &removed));
    CHECK_EQ(removed, 0);
    CHECK_OK(ps_space_remove(s, B("zz"), &removed));
    CHECK_EQ(removed, 0);
    CHECK(listed(s, "", "a|ab|abcde|abd|b|ba|"));
    CHECK_OK(ps_space_insert(s, B(""), &added));
    CHECK(added && ps_space_contains(s, B("")));
    CHECK(listed(s, "", "|a|ab|abcde|abd|b|ba|"));
    ps_space_stats st;
    ps_space_stats_get(s, &st);
    /* "abc" went and its node merged with "de": root, a, b, cde, d, b, a */
    CHECK(st.paths == 7 && st.path_bytes == 1 + 2 + 5 + 3 + 1 + 2 && st.nodes == 7);
    ps_space_clear(s);
    CHECK_EQ(ps_space_count(s), 0);
    CHECK(listed(s, "", ""));
    ps_space_free(s);
    ps_space_free(NULL);
}

void t_space_values(void)
{
    ps_space *s;
    uint64_t v = 0;
    REQUIRE_OK(ps_space_new(&s));
    CHECK_OK(ps_space_insert(s, B("abc"), NULL));
    CHECK_RC(ps_space_get_value(s, B("abc"), &v), PS_E_NOTFOUND);
    CHECK_OK(ps_space_set_value(s, B("abc"), 7));
    CHECK_OK(ps_space_set_value(s, B("abd"), 8)); /* inserts, splits "abc" */
    CHECK_OK(ps_space_insert(s, B("ab"), NULL));  /* no value */
    CHECK_OK(ps_space_insert(s, B("a"), NULL));   /* splits again */
    CHECK_OK(ps_space_get_value(s, B("abc"), &v));
    CHECK_EQ(v, 7);
    CHECK_OK(ps_space_get_value(s, B("abd"), &v));
    CHECK_EQ(v, 8);
    CHECK_RC(ps_space_get_value(s, B("ab"), &v), PS_E_NOTFOUND);
    CHECK_RC(ps_space_get_value(s, B("x"), &v), PS_E_NOTFOUND);
    CHECK_EQ(ps_space_count(s), 4);
    ps_iter *it;
    ps_bytes p;
    int hv;
    REQUIRE_OK(ps_iter_new(s, B("ab"), &it));
    CHECK(ps_iter_next(it, &p, &hv, &v) == PS_OK && p.len == 2 && !hv);
    CHECK(ps_iter_next(it, &p, &hv, &v) == PS_OK && p.len == 3 && hv && v == 7);
    CHECK(ps_iter_next(it, &p, &hv, &v) == PS_OK && hv && v == 8);
    CHECK_RC(ps_iter_next(it, &p, &hv, &v), PS_E_EMPTY);
    ps_iter_free(it);
    CHECK_OK(ps_space_remove(s, B("abc"), NULL));
    CHECK_OK(ps_space_insert(s, B("abc"), NULL));
    CHECK_RC(ps_space_get_value(s, B("abc"), &v), PS_E_NOTFOUND);
    ps_space_free(s);
}

/* The builder under allocation failure: each add is all or nothing, and the
 * space holds exactly what was added. */
void t_space_builder_nomem(void)
{
    for (long nth = 1; nth <= 12; nth++) {
        ps_space *s;
        ps_builder *b;
        char k[64];
        REQUIRE_OK(ps_space_new(&s));
        REQUIRE_OK(ps_builder_new(s, &b));
        int added = 0, rc = PS_OK;
        for (int i = 0; i < 2000 && rc == PS_OK; i++) {
            int n = snprintf(k, sizeof k, "atom-%05d-%s", i, i % 2 ? "tail" : "other-tail");
            if (i == 1500)
                ps__test_fail_alloc(nth);
            rc = ps_builder_add_value(b, ps_bytes_of(k, (size_t)n), (uint64_t)i);
            added += rc == PS_OK;
        }
        ps__test_fail_alloc(0);
        CHECK(rc == PS_OK || rc == PS_E_NOMEM);
        if (rc) { /* refused only if the failure came after the trie changed */
            int rc2 = ps_builder_add(b, ps_bytes_of("zzz", 3));
            CHECK(rc2 == PS_OK || rc2 == PS_E_NOMEM);
            CHECK_EQ(ps_space_count(s), added + (rc2 == PS_OK));
        } else {
            CHECK_EQ(ps_space_count(s), added);
        }
        ps_builder_free(b); /* the space is the builder's until then */
        for (int i = 0; i < added; i++) {
            int n = snprintf(k, sizeof k, "atom-%05d-%s", i, i % 2 ? "tail" : "other-tail");
            uint64_t v = 0;
            if (ps_space_get_value(s, ps_bytes_of(k, (size_t)n), &v) != PS_OK || v != (uint64_t)i) {
                t_failf(__FILE__, __LINE__, "nth %ld: atom %d lost", nth, i);
                break;
            }
        }
        ps_space_free(s);
    }
}

/* A reference: a sorted array of distinct byte strings. */
typedef struct ref {
    char **k;
    size_t *n;
    size_t len;
} ref;

static int kcmp(const char *a, size_t an, const char *b, size_t bn)
{
    return ps_bytes_cmp(ps_bytes_of(a, an), ps_bytes_of(b, bn));
}

static size_t ref_find(const ref *r, const char *k, size_t n, int *found)
{
    size_t lo = 0, hi = r->len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = kcmp(r->k[mid], r->n[mid], k, n);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static void rand_key(char *k, size_t *n)
{
    /* small alphabet and lengths: many shared prefixes, splits and merges */
    *n = t_below(4) == 0 ? t_below(3) : 1 + t_below(12);
    for (size_t i = 0; i < *n; i++)
        k[i] = (char)("abc\0\xff"[t_below(5)]);
}

/* ps__space_check, its failure said where. */
static int sound(const ps_space *s, int line)
{
    ps_diag d = { 0 };
    if (ps__space_check(s, &d) == PS_OK)
        return 1;
    t_failf(__FILE__, line, "an invariant is broken: %s (at %llu)", d.msg,
            (unsigned long long)d.offset);
    return 0;
}

static int same_as_ref(const ps_space *s, const ref *r)
{
    ps_iter *it;
    ps_bytes p;
    size_t i = 0;
    int ok = sound(s, __LINE__);
    if (ps_iter_new(s, ps_bytes_of(NULL, 0), &it))
        return 0;
    while (ok && ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        ok = i < r->len && kcmp((const char *)p.ptr, p.len, r->k[i], r->n[i]) == 0;
        i++;
    }
    ps_iter_free(it);
    return ok && i == r->len && ps_space_count(s) == r->len;
}

void t_space_random_vs_ref(void)
{
    enum { MAXK = 4000 };
    ref r = { calloc(MAXK, sizeof(char *)), calloc(MAXK, sizeof(size_t)), 0 };
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    char k[16];
    size_t n;
    for (int step = 0; step < 20000; step++) {
        rand_key(k, &n);
        int found, flag = -1;
        size_t at = ref_find(&r, k, n, &found);
        if (t_below(3)) {
            CHECK_OK(ps_space_insert(s, ps_bytes_of(k, n), &flag));
            CHECK_EQ(flag, !found);
            if (!found && r.len < MAXK) {
                memmove(r.k + at + 1, r.k + at, (r.len - at) * sizeof(char *));
                memmove(r.n + at + 1, r.n + at, (r.len - at) * sizeof(size_t));
                r.k[at] = malloc(n + 1);
                memcpy(r.k[at], k, n);
                r.n[at] = n;
                r.len++;
            } else if (!found) {
                CHECK_OK(ps_space_remove(s, ps_bytes_of(k, n), NULL));
            }
        } else {
            CHECK_OK(ps_space_remove(s, ps_bytes_of(k, n), &flag));
            CHECK_EQ(flag, found);
            if (found) {
                free(r.k[at]);
                memmove(r.k + at, r.k + at + 1, (r.len - at - 1) * sizeof(char *));
                memmove(r.n + at, r.n + at + 1, (r.len - at - 1) * sizeof(size_t));
                r.len--;
            }
        }
        rand_key(k, &n);
        CHECK_EQ(ps_space_contains(s, ps_bytes_of(k, n)), (ref_find(&r, k, n, &found), found));
        if (step % 997 == 0 && !same_as_ref(s, &r)) {
            t_failf(__FILE__, __LINE__, "space differs from the reference at step %d", step);
            break;
        }
    }
    CHECK(same_as_ref(s, &r));
    /* the builder, fed the reference in order, gives the same space */
    ps_space *b;
    ps_builder *bd;
    REQUIRE_OK(ps_space_new(&b));
    REQUIRE_OK(ps_builder_new(b, &bd));
    for (size_t i = 0; i < r.len; i++) {
        CHECK_OK(ps_builder_add(bd, ps_bytes_of(r.k[i], r.n[i])));
        CHECK_OK(ps_builder_add(bd, ps_bytes_of(r.k[i], r.n[i]))); /* duplicate: skipped */
    }
    ps_builder_free(bd);
    CHECK(same_as_ref(b, &r));
    for (size_t i = 0; i < r.len; i++)
        CHECK(ps_space_contains(b, ps_bytes_of(r.k[i], r.n[i])));
    ps_space_free(b);
    for (size_t i = 0; i < r.len; i++)
        free(r.k[i]);
    free(r.k);
    free(r.n);
    ps_space_free(s);
}

void t_space_builder(void)
{
    ps_space *s;
    ps_builder *b;
    REQUIRE_OK(ps_space_new(&s));
    REQUIRE_OK(ps_builder_new(s, &b));
    CHECK_OK(ps_builder_add(b, B("")));
    CHECK_OK(ps_builder_add_value(b, B("ab"), 5));
    CHECK_OK(ps_builder_add(b, B("abc")));
    CHECK_OK(ps_builder_add(b, B("abd")));
    CHECK_OK(ps_builder_add_value(b, B("b"), 6));
    CHECK_RC(ps_builder_add(b, B("abz")), PS_E_INVAL);
    CHECK_OK(ps_builder_add(b, B("bcd")));
    ps_builder_free(b);
    CHECK(listed(s, "", "|ab|abc|abd|b|bcd|"));
    uint64_t v;
    CHECK(ps_space_get_value(s, B("ab"), &v) == PS_OK && v == 5);
    CHECK(ps_space_get_value(s, B("b"), &v) == PS_OK && v == 6);
    CHECK_RC(ps_builder_new(s, &b), PS_E_INVAL); /* not empty */
    /* afterwards the space takes ordinary inserts */
    CHECK_OK(ps_space_insert(s, B("aa"), NULL));
    CHECK(listed(s, "a", "aa|ab|abc|abd|"));
    ps_space_free(s);
}

/* An edge longer than a node can hold becomes a chain. */
void t_space_long_edge(void)
{
    size_t n = (1u << 22) + 100;
    uint8_t *k = malloc(n);
    for (size_t i = 0; i < n; i++)
        k[i] = (uint8_t)(i * 7);
    ps_space *s, *b;
    ps_builder *bd;
    REQUIRE_OK(ps_space_new(&s));
    CHECK_OK(ps_space_insert(s, ps_bytes_of(k, n), NULL));
    CHECK_OK(ps_space_insert(s, ps_bytes_of(k, n - 50), NULL));
    CHECK(ps_space_contains(s, ps_bytes_of(k, n)) && ps_space_contains(s, ps_bytes_of(k, n - 50)));
    CHECK(!ps_space_contains(s, ps_bytes_of(k, n - 1)));
    REQUIRE_OK(ps_space_new(&b));
    REQUIRE_OK(ps_builder_new(b, &bd));
    CHECK_OK(ps_builder_add(bd, ps_bytes_of(k, n - 50)));
    CHECK_OK(ps_builder_add(bd, ps_bytes_of(k, n)));
    ps_builder_free(bd);
    ps_iter *it;
    ps_bytes p;
    REQUIRE_OK(ps_iter_new(b, ps_bytes_of(k, 10), &it));
    CHECK(ps_iter_next(it, &p, NULL, NULL) == PS_OK && p.len == n - 50);
    CHECK(ps_iter_next(it, &p, NULL, NULL) == PS_OK && p.len == n && !memcmp(p.ptr, k, n));
    CHECK_RC(ps_iter_next(it, &p, NULL, NULL), PS_E_EMPTY);
    ps_iter_free(it);
    CHECK_OK(ps_space_remove(s, ps_bytes_of(k, n), NULL));
    CHECK_EQ(ps_space_count(s), 1);
    ps_space_free(s);
    ps_space_free(b);
    free(k);
}

/* Allocation failure inside insert (a new edge, a split, a value): an
 * error, no node left allocated, the space unchanged and still usable. */
void t_space_nomem(void)
{
    ps_space *s;
    ps_space_stats before, after;
    REQUIRE_OK(ps_space_new(&s));
    char k[64];
    for (int i = 0; i < 300; i++) {
        int n = snprintf(k, sizeof k, "key-%03d-%s", i, i % 3 ? "long-suffix" : "x");
        CHECK_OK(ps_space_set_value(s, ps_bytes_of(k, (size_t)n), (uint64_t)i));
    }
    int failures = 0;
    for (long nth = 1; nth <= 3; nth++)
        for (int i = 0; i < 400; i++) {
            int n = snprintf(k, sizeof k, "key-%03d-%s-new-and-longer-%d", i % 350, "x", i);
            ps_space_stats_get(s, &before);
            ps__test_fail_alloc(nth);
            int rc = ps_space_set_value(s, ps_bytes_of(k, (size_t)n), 1);
            ps__test_fail_alloc(0);
            if (rc == PS_OK)
                continue;
            failures++;
            CHECK_EQ(rc, PS_E_NOMEM);
            ps_space_stats_get(s, &after);
            CHECK_EQ(after.paths, before.paths);
            CHECK(!ps_space_contains(s, ps_bytes_of(k, (size_t)n)));
            CHECK(sound(s, __LINE__)); /* a failed change leaves no half-made node */
        }
    CHECK(failures > 0);
    /* every original key is still there, with its value */
    for (int i = 0; i < 300; i++) {
        int n = snprintf(k, sizeof k, "key-%03d-%s", i, i % 3 ? "long-suffix" : "x");
        uint64_t v = 0;
        CHECK(ps_space_get_value(s, ps_bytes_of(k, (size_t)n), &v) == PS_OK && v == (uint64_t)i);
    }
    ps_space_free(s);
}

/* Wide nodes (all 256 first bytes, binary-searched) in random order with
 * values, removed and put back in cycles: the answers stay right and the
 * arena stops growing after the first cycle (freed blocks are reused), and
 * a space emptied by removes is back to its root alone. */
void t_space_wide_cycles(void)
{
    enum { N = 3 * 256 };
    uint8_t keys[N][3];
    unsigned order[N];
    for (unsigned i = 0; i < N; i++) {
        keys[i][0] = 'w';
        keys[i][1] = (uint8_t)(i / 256 * 7);
        keys[i][2] = (uint8_t)(i % 256);
        order[i] = i;
    }
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    uint64_t mem_after_first = 0;
    for (int cycle = 0; cycle < 4; cycle++) {
        for (unsigned i = N; i > 1; i--) { /* a fresh order each time */
            unsigned j = (unsigned)t_below(i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (unsigned i = 0; i < N; i++)
            CHECK_OK(ps_space_set_value(s, ps_bytes_of(keys[order[i]], 3), order[i] + 1u));
        CHECK_EQ(ps_space_count(s), N);
        ps_iter *it;
        ps_bytes p;
        uint64_t v;
        unsigned at = 0;
        REQUIRE_OK(ps_iter_new(s, ps_bytes_of(NULL, 0), &it));
        while (ps_iter_next(it, &p, NULL, &v) == PS_OK && at < N) {
            CHECK(p.len == 3 && !memcmp(p.ptr, keys[at], 3) && v == at + 1u);
            at++;
        }
        ps_iter_free(it);
        CHECK_EQ(at, N);
        for (unsigned i = 0; i < N; i++) {
            CHECK(ps_space_get_value(s, ps_bytes_of(keys[i], 3), &v) == PS_OK && v == i + 1u);
            uint8_t miss[3] = { 'w', keys[i][1] + 1, keys[i][2] };
            CHECK(!ps_space_contains(s, ps_bytes_of(miss, 3)));
        }
        ps_space_stats st;
        ps_space_stats_get(s, &st);
        if (cycle == 0)
            mem_after_first = st.mem_bytes;
        else /* never more (a compaction of the edge bytes may make it less) */
            CHECK(st.mem_bytes <= mem_after_first);
        for (unsigned i = 0; i < N; i += 2) /* half, then the rest */
            CHECK_OK(ps_space_remove(s, ps_bytes_of(keys[order[i]], 3), NULL));
        for (unsigned i = 1; i < N; i += 2)
            CHECK(ps_space_contains(s, ps_bytes_of(keys[order[i]], 3)));
        for (unsigned i = 1; i < N; i += 2)
            CHECK_OK(ps_space_remove(s, ps_bytes_of(keys[order[i]], 3), NULL));
        ps_space_stats_get(s, &st);
        CHECK_EQ(st.paths, 0);
        CHECK_EQ(st.nodes, 1);
    }
    ps_space_free(s);
}

/* A remove that leaves a node with one child merges the split back. */
void t_space_merge(void)
{
    ps_space *s;
    ps_space_stats st;
    REQUIRE_OK(ps_space_new(&s));
    CHECK_OK(ps_space_insert(s, B("abcdef"), NULL));
    ps_space_stats_get(s, &st);
    uint64_t one = st.nodes; /* the root and one edge */
    CHECK_OK(ps_space_insert(s, B("abcxyz"), NULL)); /* splits abcdef */
    CHECK_OK(ps_space_insert(s, B("abc"), NULL));
    ps_space_stats_get(s, &st);
    CHECK_EQ(st.nodes, one + 2);
    CHECK_OK(ps_space_remove(s, B("abcxyz"), NULL)); /* abc still ends there */
    ps_space_stats_get(s, &st);
    CHECK_EQ(st.nodes, one + 1);
    CHECK_OK(ps_space_remove(s, B("abc"), NULL)); /* now abc + def merge */
    ps_space_stats_get(s, &st);
    CHECK_EQ(st.nodes, one);
    CHECK(listed(s, "", "abcdef|"));
    CHECK(ps_space_contains(s, B("abcdef")) && !ps_space_contains(s, B("abc")));
    CHECK_OK(ps_space_insert(s, B("abcxyz"), NULL)); /* and splits again */
    CHECK(listed(s, "", "abcdef|abcxyz|"));
    ps_space_free(s);
}

/* The invariant check is not vacuous: a space it passes, then the same
 * space with each kind of damage it must catch (children out of order, a
 * leaf that ends no path, a count that lies, a free list that lies). */
void t_space_invariants(void)
{
    ps_space *s;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_space_new(&s));
    const char *keys[] = { "apple", "apricot", "banana", "band", "b", "cherry" };
    for (size_t i = 0; i < 6; i++)
        CHECK_OK(ps_space_insert(s, ps_bytes_of(keys[i], strlen(keys[i])), NULL));
    CHECK_OK(ps_space_remove(s, ps_bytes_of("band", 4), NULL)); /* a free block, a merge */
    CHECK_OK(ps__space_check(s, &d));
    node *root = N(s, ROOT), *kids = N(s, n_kids(root));
    REQUIRE(n_nkids(root) == 3); /* a, b, c */
    node save = kids[0];
    kids[0] = kids[1], kids[1] = save; /* b before a */
    CHECK_RC(ps__space_check(s, &d), PS_E_CORRUPT);
    CHECK(strstr(d.msg, "order") != NULL);
    kids[1] = kids[0], kids[0] = save;
    CHECK_OK(ps__space_check(s, &d));
    s->count++;
    CHECK_RC(ps__space_check(s, &d), PS_E_CORRUPT);
    CHECK(strstr(d.msg, "counts") != NULL);
    s->count--;
    node *c = &kids[2]; /* "cherry": a leaf */
    c->meta &= ~M_TERM;
    CHECK_RC(ps__space_check(s, &d), PS_E_CORRUPT);
    CHECK(strstr(d.msg, "leaf") != NULL);
    c->meta |= M_TERM;
    CHECK_OK(ps__space_check(s, &d));
    uint64_t m = s->free_map[0];
    s->free_map[0] ^= 1ull << 5; /* a list the map does not match */
    CHECK_RC(ps__space_check(s, &d), PS_E_CORRUPT);
    s->free_map[0] = m;
    CHECK_OK(ps__space_check(s, &d));
    ps_space_free(s);
}
