/*
 * test_query.c - queries: hand-checked cases (MORK's own examples and
 * others derived by hand), every source answering alike, malformed queries,
 * and the space algebra.
 */
#include <stdlib.h>
#include <string.h>

#include "qhelp.h"
#include "cases.h"
#include "test.h"

/* ------------------------------------------------------- hand-checked */

/* Results of (pattern, template) on data, on all three sources, each
 * compared with want (distinct results, one per line, in trie order). */
#define Q(data, pat, tpl, want) q_check(__FILE__, __LINE__, data, pat, tpl, want)

void t_query_mork_examples(void)
{
    /* mork-query.md: variables on both sides, each bound by the other */
    Q("(Something (X $y X $y))", "(Something ($x Y $x Y))", "(r $x)", "(r X)\n");
    Q("(A $x B $x)", "(A C $y $y)", "(r $y)", "");
    Q("(f $a $a y)", "(f $w (g $x) $x)", "(RESULT $w $x)", "(RESULT (g y) y)\n");
    Q("(Something (foo $x) (foo $x))\n(Else ($x bar) ($x bar))",
      "(, (Something $x $y) (Else $x $y))", "(r $x $y)", "(r (foo bar) (foo bar))\n");
    /* the template defaults to the pattern */
    Q("(Something (X $y X $y))", "(Something ($x Y $x Y))", NULL, "(Something (X Y X Y))\n");
}

void t_query_variables(void)
{
    const char *fam = "(parent Tom Bob)\n(parent Tom Liz)\n(parent Bob Ann)\n"
                      "(parent Bob Pat)\n(parent Pat Jim)\n(female Liz)\n(female Ann)\n"
                      "(female Pat)\n(male Tom)\n(male Bob)\n(male Jim)\n";
    /* no variable: a lookup */
    Q(fam, "(parent Tom Bob)", "yes", "yes\n");
    Q(fam, "(parent Tom Ann)", "yes", "");
    /* one, many, repeated */
    Q(fam, "(parent Tom $c)", "$c", "Bob\nLiz\n");
    Q(fam, "(parent $p $c)", "(edge $p $c)",
      "(edge Bob Ann)\n(edge Bob Pat)\n(edge Pat Jim)\n(edge Tom Bob)\n(edge Tom Liz)\n");
    Q(fam, "(parent $x $x)", "$x", "");
    Q("(same a a)\n(same a b)\n(same (f $x) (f $x))\n(same $x $y)", "(same $x $x)", "(r $x)",
      "(r (f $a))\n(r $a)\n(r a)\n");
    /* a whole atom as a variable */
    Q("a\n(b c)\n$x", "$any", "(got $any)", "(got (b c))\n(got $a)\n(got a)\n");
    /* joins: grandparent, and a three-pattern one */
    Q(fam, "(, (parent $g $p) (parent $p $c))", "(grandparent $g $c)",
      "(grandparent Bob Jim)\n(grandparent Tom Ann)\n(grandparent Tom Pat)\n");
    Q(fam, "(, (parent $g $p) (parent $p $c) (female $c))", "(granddaughter $g $c)",
      "(granddaughter Tom Ann)\n(granddaughter Tom Pat)\n");
    /* several templates */
    Q(fam, "(parent Pat $c)", "(, (child $c) (of Pat $c))", "(child Jim)\n(of Pat Jim)\n");
    /* an unbound variable comes out fresh, numbered per result */
    Q(fam, "(male $m)", "(person $m $anything)",
      "(person Bob $a)\n(person Jim $a)\n(person Tom $a)\n");
    /* nested variables, at several depths */
    Q("(t (a (b (c d))))\n(t (a (b e)))\n(t (x))", "(t (a (b $z)))", "$z", "(c d)\ne\n");
    Q("(t (a (b (c d))))", "(t ($p ($q ($r $s))))", "($s $r $q $p)", "(d c b a)\n");
}

void t_query_occurs_check(void)
{
    /* $x = (f $x) has no finite solution */
    Q("(eq $y (f $y))", "(eq $x $x)", "(r $x)", "");
    Q("(p (f $z) $z)", "(p $x $x)", "(r $x)", "");
    /* through a chain of bindings: $x = $y, $y = (g $x) */
    Q("(q $a $a (g $a))", "(q $x $y $y)", "(r $x)", "");
    /* the same shapes without a cycle do unify */
    Q("(eq $y (f $z))", "(eq $x $x)", "(r $x)", "(r (f $a))\n");
    Q("(q $a $b (g $c))", "(q $x $y $y)", "(r $x $y)", "(r $a (g $b))\n");
    /* across patterns of a conjunction: $x = $y from the first, then
     * $x = (f $w), $y = $w from the second: $w = (f $w) */
    Q("(a $u $u)\n(b (f $w) $w)", "(, (a $x $y) (b $x $y))", "(r $x)", "");
    Q("(a $u $u)\n(b (f $w) $v)", "(, (a $x $y) (b $x $y))", "(r $x)", "(r (f $a))\n");
    /* no cycle: the stored atoms' own variables take the terms */
    Q("(l $u)\n(m (h $v))", "(, (l $x) (m $x) (l (h $x)))", "(r $x)", "(r (h $a))\n");
}

void t_query_shapes(void)
{
    const char *d = "(a b)\n(a b c)\n(a (b) c)\nb\n(a)\n()\n";
    /* a pattern longer than any atom */
    Q(d, "(a b c d e f g h i j k l m n o p q r s t u v w x y z)", "yes", "");
    Q(d, "(a b c (d (e (f (g (h $x))))))", "$x", "");
    /* arity decides */
    Q(d, "(a $x)", "$x", "b\n");
    Q(d, "(a $x $y)", "($y $x)", "(c (b))\n(c b)\n");
    Q(d, "()", "empty", "empty\n");
    Q(d, "$x", "$x", "()\n(a)\n(a b)\n(a (b) c)\n(a b c)\nb\n");
    /* an empty space */
    Q("", "(a $x)", "$x", "");
    Q("", "(, (a $x) (b $x))", "$x", "");
    /* long symbols (the extension tag) and wide lists */
    char big[400], pat[400];
    char sym[101];
    memset(sym, 'k', 100);
    sym[100] = 0;
    snprintf(big, sizeof big, "(key %s v1)\n(key short v2)", sym);
    snprintf(pat, sizeof pat, "(key %s $v)", sym);
    Q(big, pat, "$v", "v1\n");
    char want[200];
    snprintf(want, sizeof want, "(got %s)\n", sym);
    Q(big, "(key $k v1)", "(got $k)", want);
    char wide[600] = "(w", wpat[600] = "(w";
    for (int i = 0; i < 70; i++) {
        snprintf(wide + strlen(wide), sizeof wide - strlen(wide), " e%d", i);
        snprintf(wpat + strlen(wpat), sizeof wpat - strlen(wpat), i == 69 ? " $last" : " e%d", i);
    }
    strcat(wide, ")");
    strcat(wpat, ")");
    Q(wide, wpat, "$last", "e69\n");
    Q(wide, "(w $a)", "$a", "");
    /* symbol bytes up to 0xFF: after 0xFF a capture asks for the bytes from
     * 0x100 on, which a snapshot once read as 0 and walked forever (fuzz) */
    Q("(p a\xff b)\n(p a\xfe c)\n(p \xff d)", "(p $x $y)", "(r $y $x)",
      "(r b a\\xFF)\n(r c a\\xFE)\n(r d \\xFF)\n"); /* printed losslessly */
    Q("(parent \x10\xc3m Bob)\n(parent Bob\xff Ann)\n(parent Bob, $\xf8)",
      "(, (parent $g $p) (parent $p $c))", "(gp $g $c)",
      "(gp Bob, $a)\n(gp Bob, Ann)\n(gp Bob, Bob)\n");
}

/* ------------------------------------------------------ malformed, API */

static int parse_err(const char *pat, const char *tpl, ps_diag *d)
{
    ps_query *q = NULL;
    memset(d, 0, sizeof *d);
    int rc = ps_query_parse(pat, strlen(pat), tpl, tpl ? strlen(tpl) : 0, &q, d);
    ps_query_free(q);
    return rc;
}

void t_query_malformed(void)
{
    ps_diag d;
    /* the pattern, then the template: line:column inside the part */
    CHECK_RC(parse_err("(parent $x", NULL, &d), PS_E_PARSE);
    CHECK_EQ(d.line, 1);
    CHECK_EQ(d.col, 1);
    CHECK(!strncmp(d.msg, "pattern: ", 9));
    CHECK_RC(parse_err("(a b)\n  (c))", NULL, &d), PS_E_PARSE); /* two atoms */
    CHECK_EQ(d.line, 2);
    CHECK_RC(parse_err("(p $x)", "(t $x))", &d), PS_E_PARSE);
    CHECK(!strncmp(d.msg, "template: ", 10));
    CHECK_EQ(d.col, 7);
    CHECK_RC(parse_err("", NULL, &d), PS_E_PARSE);
    CHECK_RC(parse_err("(p $x)", "", &d), PS_E_PARSE);
    /* 65 variables in one query; 65 patterns in one conjunction */
    char big[2048] = "(p";
    for (int i = 0; i < 65; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), " $v%d", i);
    strcat(big, ")");
    CHECK_RC(parse_err(big, NULL, &d), PS_E_LIMIT);
    char conj[2048] = "(,";
    for (int i = 0; i < 65; i++)
        strcat(conj, " (p)");
    strcat(conj, ")");
    CHECK_RC(parse_err(conj, "x", &d), PS_E_LIMIT);
    /* the binary form: one atom (PATTERN TEMPLATE) and nothing else */
    ps_query *q = NULL;
    uint8_t junk[] = { 0x02, 0xC1, 'a' }; /* a list of 2 with one child */
    CHECK_RC(ps_query_new(ps_bytes_of(junk, sizeof junk), &q, &d), PS_E_INVAL);
    uint8_t three[] = { 0x03, 0xC1, 'a', 0xC1, 'b', 0xC1, 'c' };
    CHECK_RC(ps_query_new(ps_bytes_of(three, sizeof three), &q, &d), PS_E_INVAL);
    uint8_t ok[] = { 0x02, 0x02, 0xC1, 'p', 0xC0, 0x80 }; /* ((p $x) $x) */
    REQUIRE_OK(ps_query_new(ps_bytes_of(ok, sizeof ok), &q, &d));
    CHECK_EQ(ps_query_patterns(q), 1);
    CHECK_EQ(ps_query_vars(q), 1);
    CHECK(ps_query_var_name(q, 0) == NULL);
    ps_query_free(q);
    /* a bad source and bad options */
    REQUIRE_OK(ps_query_parse("$x", 2, NULL, 0, &q, &d));
    ps_source none = { 0, { NULL } };
    CHECK_RC(ps_query_run(q, none, NULL, NULL, NULL, NULL, &d), PS_E_INVAL);
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.size = 0;
    ps_space *s = q_space("a");
    CHECK_RC(ps_query_run(q, ps_source_space(s), &o, NULL, NULL, NULL, &d), PS_E_INVAL);
    ps_space_free(s);
    ps_query_free(q);
}

/* An empty conjunction has one solution (MORK's (,) fires once). */
void t_query_empty_conjunction(void)
{
    Q("(a)", "(,)", "(fired)", "(fired)\n");
    Q("", "(,)", "(, (one) (two $x))", "(one)\n(two $a)\n");
}

typedef struct collect {
    ps_buf all;
    unsigned n, stop_at;
} collect;

static int collect_fn(void *ctx, ps_bytes r)
{
    collect *c = ctx;
    ps_atom_print(r, &c->all);
    ps_buf_append(&c->all, "\n", 1);
    return ++c->n == c->stop_at;
}

void t_query_modes_limits(void)
{
    ps_space *s = q_space("(p a 1)\n(p b 2)\n(p c $z)\n(q a)\n");
    ps_query *q;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_query_parse("(p $k $v)", 9, "$k", 2, &q, &d));
    CHECK_EQ(ps_query_vars(q), 2);
    CHECK(!strcmp(ps_query_var_name(q, 0), "$k"));
    CHECK(!strcmp(ps_query_var_name(q, 1), "$v"));
    /* bindings: ($k $v) per solution, in the search's order (trie order) */
    collect c = { { 0 }, 0, 0 };
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.mode = PS_QUERY_BINDINGS;
    ps_query_stats st;
    REQUIRE_OK(ps_query_run(q, ps_source_space(s), &o, collect_fn, &c, &st, &d));
    REQUIRE_OK(ps_buf_append(&c.all, "", 1));
    CHECK(!strcmp((const char *)ps_buf_data(&c.all), "(a 1)\n(b 2)\n(c $a)\n"));
    CHECK_EQ(st.solutions, 3);
    CHECK_EQ(st.results, 3);
    /* a limit, and a callback that stops the run */
    ps_buf_clear(&c.all, 0);
    c.n = 0;
    o.mode = PS_QUERY_TEMPLATES;
    o.limit = 2;
    REQUIRE_OK(ps_query_run(q, ps_source_space(s), &o, collect_fn, &c, &st, &d));
    CHECK_EQ(c.n, 2);
    CHECK_EQ(st.results, 2);
    c.n = 0;
    c.stop_at = 1;
    o.limit = 0;
    REQUIRE_OK(ps_query_run(q, ps_source_space(s), &o, collect_fn, &c, &st, &d));
    CHECK_EQ(c.n, 1);
    /* ps_query_into: the limit counts distinct results */
    ps_query *dup;
    REQUIRE_OK(ps_query_parse("(p $k $v)", 9, "same", 4, &dup, &d));
    ps_space *out;
    uint64_t added = 0;
    REQUIRE_OK(ps_space_new(&out));
    o.limit = 1;
    REQUIRE_OK(ps_query_into(dup, ps_source_space(s), &o, out, &added, &st, &d));
    CHECK_EQ(added, 1);
    CHECK_EQ(ps_space_count(out), 1);
    /* the same query on several threads gives the same answers */
    o.limit = 0;
    o.threads = 4;
    ps_space_clear(out);
    REQUIRE_OK(ps_query_into(q, ps_source_space(s), &o, out, &added, &st, &d));
    CHECK_EQ(added, 3);
    CHECK_EQ(st.solutions, 3);
    ps_space_free(out);
    ps_query_free(dup);
    ps_buf_free(&c.all);
    ps_query_free(q);
    ps_space_free(s);
}

/* A damaged ACT: the query stops with the reader's error and offset. */
void t_query_damaged_source(void)
{
    q_sources x;
    q_sources_open(&x, t_gen_space(3, 2000), PS_SNAP_CHUNK_MIN);
    ps_query *q;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_query_parse("(age $e $a)", 11, NULL, 0, &q, &d));
    /* flip bytes across the ACT's arena, keeping its header: every read of
     * a damaged record must fail cleanly, never crash */
    uint8_t *b = ps_buf_data(&x.act_bytes);
    unsigned errors = 0;
    for (size_t at = 16; at + 8 < x.act_bytes.len; at += x.act_bytes.len / 97) {
        uint8_t keep = b[at];
        b[at] ^= 0xFF;
        ps_act *a;
        if (ps_act_open_mem(b, x.act_bytes.len, &a, &d) == PS_OK) {
            int rc = ps_query_run(q, ps_source_act(a), NULL, NULL, NULL, NULL, &d);
            CHECK(rc == PS_OK || rc == PS_E_CORRUPT);
            errors += rc == PS_E_CORRUPT;
            if (rc == PS_E_CORRUPT)
                CHECK(strstr(d.msg, "offset") != NULL);
            ps_act_close(a);
        }
        b[at] = keep;
    }
    CHECK(errors > 0);
    /* the root record itself (every walk starts there) */
    uint64_t root = ps_read_le64(b + 8);
    for (unsigned bad = 0; bad < 3; bad++) {
        uint8_t keep = b[root];
        b[root] = (uint8_t[]){ 0xFF, 0xBF, 0x3F }[bad]; /* bad headers, a branch of 63 */
        ps_act *a;
        if (ps_act_open_mem(b, x.act_bytes.len, &a, &d) == PS_OK) {
            CHECK_RC(ps_query_run(q, ps_source_act(a), NULL, NULL, NULL, NULL, &d), PS_E_CORRUPT);
            ps_act_close(a);
        }
        b[root] = keep;
    }
    /* a snapshot chunk that fails its checksum */
    uint8_t *n = ps_buf_data(&x.snap_bytes);
    n[100] ^= 0x55;
    ps_snap *sn;
    REQUIRE_OK(ps_snap_open_mem(n, x.snap_bytes.len, &sn, &d));
    CHECK_RC(ps_query_run(q, ps_source_snap(sn), NULL, NULL, NULL, NULL, &d), PS_E_CHECKSUM);
    CHECK(strstr(d.msg, "chunk") != NULL);
    ps_snap_close(sn);
    ps_query_free(q);
    q_sources_close(&x);
}

/* Deep searches: a pattern of 50,000 items matches on the search's own
 * stack; past the documented 65,536 steps the run says so. */
void t_query_deep(void)
{
    for (int n = 50000; n <= 70000; n += 20000) {
        ps_buf t = { 0 }, p = { 0 }, a = { 0 };
        char w[24];
        REQUIRE_OK(ps_buf_append(&t, "(w", 2));
        REQUIRE_OK(ps_buf_append(&p, "(w", 2));
        for (int i = 0; i < n; i++) {
            int k = snprintf(w, sizeof w, " e%d", i);
            REQUIRE_OK(ps_buf_append(&t, w, (size_t)k));
            if (i + 1 < n)
                REQUIRE_OK(ps_buf_append(&p, w, (size_t)k));
        }
        REQUIRE_OK(ps_buf_append(&t, ")", 1));
        REQUIRE_OK(ps_buf_append(&p, " $x)", 4));
        REQUIRE_OK(ps_atom_parse(ps_buf_data(&t), t.len, &a, NULL));
        ps_space *s;
        REQUIRE_OK(ps_space_new(&s));
        REQUIRE_OK(ps_space_insert(s, ps_buf_bytes(&a), NULL));
        ps_query *q;
        ps_diag d = { 0 };
        REQUIRE_OK(ps_query_parse((const char *)ps_buf_data(&p), p.len, "$x", 2, &q, &d));
        ps_query_stats st;
        int rc = ps_query_run(q, ps_source_space(s), NULL, NULL, NULL, &st, &d);
        if (n < 65536) {
            CHECK_OK(rc);
            CHECK_EQ(st.results, 1);
        } else {
            CHECK_RC(rc, PS_E_LIMIT);
            CHECK(strstr(d.msg, "65536") != NULL);
        }
        ps_query_free(q);
        ps_space_free(s);
        ps_buf_free(&t);
        ps_buf_free(&p);
        ps_buf_free(&a);
    }
}

/* --------------------------------------------------------- many threads */

/* Larger generated spaces: one, two and three threads give the same
 * answers and the same number of unifiers, on every source; the joins
 * include a self-join, which walks the trie against itself. */
void t_query_threads_agree(void)
{
    static const char *const qs[][2] = {
        { "(age $e $a)", "(age $a)" },
        { "(isa $e $t)", "$t" },
        { "(, (isa $e $t) (age $e $a))", "(t $t $a)" },
        { "(, (= $l $r) (= $l $r))", "(pair $l $r)" },
        { "(, ($h $e $o) ($h $o $e))", "(sym $h $e $o)" },
        { "(, ($rel $a (Entity $b)) ($rel2 (Entity $b) $c))", "(via $rel $rel2)" },
    };
    q_sources x;
    q_sources_open(&x, t_gen_space(11, 8000), PS_SNAP_CHUNK_MIN);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        ps_query *q;
        ps_diag d = { 0 };
        REQUIRE_OK(ps_query_parse(qs[i][0], strlen(qs[i][0]), qs[i][1], strlen(qs[i][1]), &q, &d));
        char *want = NULL;
        uint64_t sols = 0;
        for (int src = 0; src < 3; src++) {
            for (unsigned th = 1; th <= 3; th++) {
                int rc;
                ps_query_stats st;
                char *got = q_results_threads(q, q_source(&x, src), th, &rc, &st);
                REQUIRE_OK(rc);
                if (!want) {
                    want = got;
                    sols = st.solutions;
                    CHECK(st.solutions > 0);
                    continue;
                }
                if (strcmp(got, want) || st.solutions != sols)
                    t_failf(__FILE__, __LINE__, "%s on the %s with %u threads: %llu unifiers, "
                            "%zu bytes of results; with one thread on the space: %llu, %zu",
                            qs[i][0], q_source_name[src], th, (unsigned long long)st.solutions,
                            strlen(got), (unsigned long long)sols, strlen(want));
                free(got);
            }
        }
        free(want);
        ps_query_free(q);
    }
    q_sources_close(&x);
}

/* ------------------------------------------------------------- algebra */

static ps_space *rand_space(unsigned n, unsigned alphabet)
{
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    for (unsigned i = 0; i < n; i++) {
        uint8_t p[8];
        size_t len = t_below(7);
        for (size_t k = 0; k < len; k++)
            p[k] = (uint8_t)('a' + t_below(alphabet));
        REQUIRE_OK(ps_space_insert(s, ps_bytes_of(p, len), NULL));
        if (t_below(4) == 0)
            REQUIRE_OK(ps_space_set_value(s, ps_bytes_of(p, len), t_rand()));
    }
    return s;
}

/* Every path of a with what op keeps, checked one by one (contains, and
 * a walk over the prefixes), then the values. */
static void check_op(const ps_space *a, const ps_space *b, const ps_space *r, int op)
{
    ps_iter *it;
    ps_bytes p;
    uint64_t want = 0;
    const ps_space *srcs[2] = { a, b };
    for (int s = 0; s < (op == 0 ? 2 : 1); s++) {
        REQUIRE_OK(ps_iter_new(srcs[s], ps_bytes_of(NULL, 0), &it));
        while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
            if (s == 1 && ps_space_contains(a, p))
                continue; /* union: counted with a's */
            int in_b = ps_space_contains(b, p), keep;
            if (op == 3) {
                keep = 0;
                for (size_t k = 0; k <= p.len && !keep; k++)
                    keep = ps_space_contains(b, ps_bytes_of(p.ptr, k));
            } else {
                keep = op == 0 ? 1 : op == 1 ? in_b : !in_b;
            }
            want += (uint64_t)keep;
            CHECK_EQ(ps_space_contains(r, p), keep);
            uint64_t va, vr;
            int ha = ps_space_get_value(srcs[s], p, &va) == PS_OK;
            int hr = ps_space_get_value(r, p, &vr) == PS_OK;
            if (keep && s == 0) { /* a path of a keeps a's value */
                CHECK_EQ(hr, ha);
                if (ha && hr)
                    CHECK(va == vr);
            }
        }
        ps_iter_free(it);
    }
    CHECK_EQ(ps_space_count(r), want);
}

void t_query_algebra(void)
{
    for (int round = 0; round < 200; round++) {
        unsigned alpha = 2 + (unsigned)t_below(3);
        ps_space *a = rand_space((unsigned)t_below(60), alpha);
        ps_space *b = rand_space((unsigned)t_below(60), alpha);
        for (int op = 0; op < 4; op++) {
            ps_space *r = rand_space(0, 2);
            REQUIRE_OK(ps_space_union(r, a)); /* a copy of a */
            int rc = op == 0 ? ps_space_union(r, b) : op == 1 ? ps_space_intersect(r, b)
                     : op == 2 ? ps_space_subtract(r, b) : ps_space_restrict(r, b);
            REQUIRE_OK(rc);
            check_op(a, b, r, op);
            ps_space_free(r);
        }
        CHECK_RC(ps_space_union(a, a), PS_E_INVAL);
        ps_space_free(a);
        ps_space_free(b);
    }
}

static int count_result(void *ctx, ps_bytes r)
{
    (void)r;
    ++*(uint64_t *)ctx;
    return 0;
}

/* max_steps bounds a search's work however few results it hands out: a
 * cross product reads the whole space before its first solution. */
void t_query_max_steps(void)
{
    ps_space *s = t_gen_space(3, 20000);
    ps_query *q;
    ps_diag d = { 0 };
    const char *p = "(, $a $b)", *t = "(p)";
    CHECK_OK(ps_query_parse(p, strlen(p), t, strlen(t), &q, &d));
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.max_steps = 1000;
    o.limit = 10;
    uint64_t n = 0;
    ps_query_stats st;
    CHECK_RC(ps_query_run(q, ps_source_space(s), &o, count_result, &n, &st, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "budget of 1000 steps") != NULL);
    CHECK(st.nodes > 1000 && st.nodes < 1100);
    CHECK_EQ(n, 0);
    o.max_steps = 0; /* no budget: the first results come */
    CHECK_OK(ps_query_run(q, ps_source_space(s), &o, count_result, &n, &st, &d));
    CHECK_EQ(n, 10);
    ps_query_free(q);
    ps_space_free(s);
}
