/*
 * test_query_join.c - the join algorithms against each other and against
 * two independent oracles (the brute-force matcher, brute.c, and
 * SWI-Prolog, prolog.c), on seeded random graphs: relations of two and
 * three arguments over a small alphabet, now and then nested, and cyclic
 * conjunctions over them (triangles, cliques, cycles with constants and
 * repeated variables). A few rounds store atoms with variables too, where
 * the leapfrog join must hand the query to the nested one untouched.
 *
 * Every query runs with each algorithm on each source (space, ACT,
 * snapshot), with 1 and 3 threads; all must give the brute-force
 * results and count of unifiers. The leapfrog join's results must come
 * in the same order whatever the threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "cases.h"
#include "prolog.h"
#include "qhelp.h"
#include "test.h"

static void cat(char **b, size_t *len, const char *fmt, const char *s)
{
    size_t n = strlen(fmt) + (s ? strlen(s) : 0) + 1;
    *b = realloc(*b, *len + n);
    REQUIRE(*b);
    *len += (size_t)snprintf(*b + *len, n, fmt, s ? s : "");
}

static const char *const names[] = { "a", "b", "c", "d", "e1", "e2", "\xff", "\x01" };

/* A node: a symbol, or (h symbol) now and then. */
static void node(char **b, size_t *len, int edge_bytes)
{
    const char *n = names[t_below(5) ? t_below(4) : t_below(edge_bytes ? 8 : 6)];
    cat(b, len, t_below(8) ? " %s" : " (h %s)", n);
}

/* Ground atoms of e, f (two nodes) and w (three); with vars, one in
 * fifteen holds a variable. */
static ps_space *graph(unsigned n, int vars, int edge_bytes)
{
    static const char *const rel[] = { "(e", "(f", "(w" };
    ps_space *s;
    ps_buf a = { 0 };
    REQUIRE_OK(ps_space_new(&s));
    for (unsigned i = 0; i < n; i++) {
        char *b = NULL;
        size_t len = 0;
        unsigned r = t_below(7) == 0 ? 2 : (unsigned)t_below(2);
        cat(&b, &len, "%s", rel[r]);
        for (unsigned k = 0; k < 2 + (r == 2); k++) {
            if (vars && t_below(15) == 0)
                cat(&b, &len, t_below(2) ? " $v" : " (h $v)", NULL);
            else
                node(&b, &len, edge_bytes);
        }
        cat(&b, &len, ")", NULL);
        ps_buf_clear(&a, 0);
        REQUIRE_OK(ps_atom_parse(b, len, &a, NULL));
        REQUIRE_OK(ps_space_insert(s, ps_buf_bytes(&a), NULL));
        free(b);
    }
    ps_buf_free(&a);
    return s;
}

/* A conjunction of 2 to 5 patterns over variables $x0..$x3, mostly
 * cyclic: a cycle through the variables, then chords and extras. */
static void query(char **pat, char **tpl)
{
    size_t pl = 0, tl = 0;
    unsigned nv = 2 + (unsigned)t_below(3), np = 0;
    char v[3][16];
    cat(pat, &pl, "(,", NULL);
    for (unsigned i = 0; i < nv + 2 && np < 5; i++) {
        unsigned a = i < nv ? i : (unsigned)t_below(nv), b = i < nv ? (i + 1) % nv : (unsigned)t_below(nv);
        if (i >= nv && t_below(2))
            continue;
        const char *r = t_below(7) == 0 ? "w" : t_below(2) ? "e" : "f";
        snprintf(v[0], sizeof v[0], "$x%u", a);
        snprintf(v[1], sizeof v[1], "$x%u", b);
        snprintf(v[2], sizeof v[2], "$x%u", (unsigned)t_below(nv));
        cat(pat, &pl, " (%s", r);
        for (unsigned k = 0; k < 2 + (r[0] == 'w'); k++) {
            unsigned c = (unsigned)t_below(12);
            if (c == 0)
                cat(pat, &pl, " %s", names[t_below(4)]); /* a constant */
            else if (c == 1)
                cat(pat, &pl, " (h %s)", v[k]);
            else
                cat(pat, &pl, " %s", v[k]);
        }
        cat(pat, &pl, ")", NULL);
        np++;
    }
    cat(pat, &pl, ")", NULL);
    cat(tpl, &tl, "(t", NULL);
    for (unsigned i = 0; i < nv; i++) {
        char x[16];
        snprintf(x, sizeof x, "$x%u", i);
        cat(tpl, &tl, " %s", x);
    }
    cat(tpl, &tl, ")", NULL);
}

/* Every result of a ps_query_run, in the order handed out. */
static int seq_cb(void *ctx, ps_bytes r)
{
    ps_buf *b = ctx;
    uint8_t le[4];
    ps_write_le32(le, (uint32_t)r.len);
    return ps_buf_append(b, le, 4) || ps_buf_append(b, r.ptr, r.len);
}

static void sequence(const ps_query *q, ps_source src, unsigned threads, int join, ps_buf *out,
                     ps_query_stats *st)
{
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = threads;
    o.join = join;
    ps_diag d = { 0 };
    ps_buf_clear(out, 0);
    REQUIRE_OK(ps_query_run(q, src, &o, seq_cb, out, st, &d));
}

typedef struct tally {
    unsigned queries, nonempty, leapfrog, fallback, auto_leapfrog;
    uint64_t results;
} tally;

#define ROUNDS 30
#define QUERIES 12

static void one_query(unsigned r, const q_sources *x, bf_db *db, pl_prog *pl, ps_space **want,
                      tally *tl)
{
    char *pat = NULL, *tpl = NULL;
    query(&pat, &tpl);
    ps_buf spec = { 0 };
    size_t n = strlen(pat) + strlen(tpl) + 4;
    char *t = malloc(n);
    snprintf(t, n, "(%s %s)", pat, tpl);
    REQUIRE_OK(ps_atom_parse(t, strlen(t), &spec, NULL));
    free(t);
    REQUIRE_OK(ps_space_new(want));
    uint64_t sols = 0;
    REQUIRE_OK(bf_query(db, ps_buf_bytes(&spec), *want, &sols, NULL));
    if (pl)
        REQUIRE_OK(pl_query(pl, ps_buf_bytes(&spec)));
    ps_query *q;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_query_parse(pat, strlen(pat), tpl, strlen(tpl), &q, &d));
    char *w = q_dump(*want);
    tl->queries++;
    tl->nonempty += ps_space_count(*want) != 0;
    tl->results += ps_space_count(*want);
    static const int joins[] = { PS_JOIN_NESTED, PS_JOIN_LEAPFROG, PS_JOIN_AUTO };
    static const char *const jname[] = { "nested", "leapfrog", "auto" };
    for (int ji = 0; ji < 3; ji++) {
        for (int src = 0; src < 3; src++) {
            for (unsigned threads = 1; threads <= 3; threads += 2) {
                ps_query_opts o;
                ps_query_opts_init(&o);
                o.threads = threads;
                o.join = joins[ji];
                ps_query_stats st;
                int rc;
                char *got = q_results_opts(q, q_source(x, src), &o, &rc, &st);
                if (rc || strcmp(got, w) || st.solutions != sols) {
                    char *data = q_dump(x->s);
                    t_failf(__FILE__, __LINE__, "round %u, %s join on the %s, %u threads: %s -> "
                            "%s\n--- space\n%s--- got (%llu unifiers, rc %d)\n%s--- brute force "
                            "(%llu unifiers)\n%s", r, jname[ji], q_source_name[src], threads,
                            pat, tpl, data, (unsigned long long)st.solutions, rc, got ? got : "",
                            (unsigned long long)sols, w);
                    free(data);
                    t_abort_case();
                }
                if (joins[ji] == PS_JOIN_LEAPFROG && src == 0 && threads == 1) {
                    tl->leapfrog += st.join == PS_JOIN_LEAPFROG;
                    tl->fallback += st.join != PS_JOIN_LEAPFROG;
                }
                if (joins[ji] == PS_JOIN_AUTO && src == 0 && threads == 1)
                    tl->auto_leapfrog += st.join == PS_JOIN_LEAPFROG;
                free(got);
            }
        }
    }
    /* counted, not built: the same number of unifiers */
    for (int ji = 0; ji < 3; ji++)
        for (int src = 0; src < 3; src++)
            for (unsigned threads = 1; threads <= 3; threads += 2) {
                ps_query_opts o;
                ps_query_opts_init(&o);
                o.mode = PS_QUERY_COUNT;
                o.threads = threads;
                o.join = joins[ji];
                ps_query_stats st;
                REQUIRE_OK(ps_query_run(q, q_source(x, src), &o, NULL, NULL, &st, &d));
                if (st.solutions != sols || st.results)
                    t_failf(__FILE__, __LINE__, "round %u, %s join counting on the %s, %u threads: "
                            "%s: %llu unifiers, brute force %llu", r, jname[ji], q_source_name[src],
                            threads, pat, (unsigned long long)st.solutions, (unsigned long long)sols);
            }
    /* the same order for any number of threads */
    ps_buf one = { 0 }, many = { 0 };
    ps_query_stats s1, s3;
    for (int src = 0; src < 3; src++) {
        sequence(q, q_source(x, src), 1, PS_JOIN_LEAPFROG, &one, &s1);
        sequence(q, q_source(x, src), 3, PS_JOIN_LEAPFROG, &many, &s3);
        if (s1.join == PS_JOIN_LEAPFROG && s3.join == PS_JOIN_LEAPFROG &&
            (one.len != many.len ||
             (one.len && memcmp(ps_buf_data(&one), ps_buf_data(&many), one.len))))
            t_failf(__FILE__, __LINE__, "round %u, %s: leapfrog's order differs with 3 threads "
                    "on the %s", r, pat, q_source_name[src]);
    }
    ps_buf_free(&one);
    ps_buf_free(&many);
    free(w);
    ps_query_free(q);
    ps_buf_free(&spec);
    free(pat);
    free(tpl);
}

static void round_(unsigned r, int with_prolog, tally *tl)
{
    int vars = r % 3 == 2, edge_bytes = !with_prolog;
    q_sources x;
    q_sources_open(&x, graph(20 + (unsigned)t_below(60), vars, edge_bytes), PS_SNAP_CHUNK_MIN);
    bf_db *db;
    REQUIRE_OK(bf_db_new(x.s, &db));
    pl_prog pl;
    pl_init(&pl);
    if (with_prolog)
        REQUIRE_OK(pl_facts(&pl, x.s));
    ps_space *want[QUERIES];
    for (unsigned i = 0; i < QUERIES; i++)
        one_query(r, &x, db, with_prolog ? &pl : NULL, &want[i], tl);
    if (with_prolog)
        q_check_prolog(__FILE__, __LINE__, &pl, want, QUERIES, r, NULL);
    for (unsigned i = 0; i < QUERIES; i++)
        ps_space_free(want[i]);
    pl_free(&pl);
    bf_db_free(db);
    q_sources_close(&x);
}

/* Every algorithm, every source, 1 and 3 threads: the brute-force results. */
void t_query_join_brute(void)
{
    tally tl = { 0 };
    for (unsigned r = 0; r < ROUNDS; r++)
        round_(r, 0, &tl);
    printf("    %u cyclic queries (%u with results, %llu results): leapfrog ran %u, handed %u "
           "to the nested join; the planner chose leapfrog for %u\n", tl.queries, tl.nonempty,
           (unsigned long long)tl.results, tl.leapfrog, tl.fallback, tl.auto_leapfrog);
    CHECK(tl.nonempty > tl.queries / 3);
    CHECK(tl.leapfrog > tl.queries / 2);
    CHECK(tl.fallback > 0); /* the rounds with stored variables */
    CHECK(tl.auto_leapfrog > 0);
}

/* ... and the brute-force matcher against SWI-Prolog on the same kind. */
void t_query_join_prolog(void)
{
    if (!pl_have())
        t_skip("swipl not found (Debian swi-prolog-nox; make deps installs it)");
    tally tl = { 0 };
    for (unsigned r = 0; r < ROUNDS / 3; r++)
        round_(r, 1, &tl);
    printf("    %u cyclic queries (%u with results, %llu results) agree with SWI-Prolog\n",
           tl.queries, tl.nonempty, (unsigned long long)tl.results);
    CHECK(tl.nonempty > tl.queries / 3);
}

/* A graph big enough that the leapfrog join holds JOIN_PROVE_AFTER
 * solutions and proves its regions before going on: with every edge of
 * 40 nodes (i < j), the 2-hop query has 9,880 answers. A stored variable
 * under the last node the walk reaches is found by the proof, after
 * thousands of held solutions, and the nested join answers instead. */
void t_query_join_proof(void)
{
    char *text = NULL;
    size_t len = 0;
    char line[64];
    for (unsigned a = 0; a < 40; a++)
        for (unsigned b = a + 1; b < 40; b++) {
            snprintf(line, sizeof line, "(e n%02u n%02u)\n", a, b);
            cat(&text, &len, "%s", line);
        }
    static const char *const extra[] = { "", "(e n39 $v)\n", "(e (h $v) n00)\n", "($r n38 n39)\n" };
    static const char *const pat = "(, (e $x $y) (e $y $z))", *tpl = "(t $x $y $z)";
    ps_query *q;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_query_parse(pat, strlen(pat), tpl, strlen(tpl), &q, &d));
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
        char *all = NULL;
        size_t alen = 0;
        cat(&all, &alen, "%s", text);
        cat(&all, &alen, "%s", extra[k]);
        q_sources x;
        q_sources_open(&x, q_space(all), PS_SNAP_CHUNK_MIN);
        for (int src = 0; src < 3; src++) {
            ps_query_opts o;
            ps_query_opts_init(&o);
            o.join = PS_JOIN_NESTED;
            ps_query_stats sn, sl, s3;
            int rc;
            char *want = q_results_opts(q, q_source(&x, src), &o, &rc, &sn);
            REQUIRE(want);
            o.join = PS_JOIN_LEAPFROG;
            char *got = q_results_opts(q, q_source(&x, src), &o, &rc, &sl);
            o.threads = 3;
            char *got3 = q_results_opts(q, q_source(&x, src), &o, &rc, &s3);
            CHECK(got && !strcmp(got, want) && sl.solutions == sn.solutions);
            CHECK(got3 && !strcmp(got3, want) && s3.solutions == sn.solutions);
            /* ground: leapfrog ran; a variable: the nested join did, whole */
            CHECK_EQ(sl.join, k == 0 ? PS_JOIN_LEAPFROG : PS_JOIN_NESTED);
            CHECK_EQ(s3.join, k == 0 ? PS_JOIN_LEAPFROG : PS_JOIN_NESTED);
            if (k == 0)
                CHECK_EQ(sn.solutions, 9880);
            free(want), free(got), free(got3);
        }
        if (k == 0) { /* the order, whatever the threads */
            ps_buf one = { 0 }, many = { 0 };
            ps_query_stats s1, s2;
            for (unsigned th = 2; th <= 4; th++) {
                sequence(q, ps_source_space(x.s), 1, PS_JOIN_LEAPFROG, &one, &s1);
                sequence(q, ps_source_space(x.s), th, PS_JOIN_LEAPFROG, &many, &s2);
                CHECK(one.len && one.len == many.len &&
                      !memcmp(ps_buf_data(&one), ps_buf_data(&many), one.len));
            }
            ps_buf_free(&one);
            ps_buf_free(&many);
        }
        q_sources_close(&x);
        free(all);
    }
    ps_query_free(q);
    free(text);
}

/* Small shapes every algorithm must get right, on 1 and 3 threads: no
 * variable at all, one variable, a variable twice in a pattern, patterns
 * read out of their order, a leading variable, a pattern that cannot
 * match. */
void t_query_join_shapes(void)
{
    static const char data[] = "(e a b)\n(e b a)\n(e b c)\n(e c a)\n(e a c)\n(e d d)\n"
                               "(f a (h b))\n(f b (h c))\n(g c)\n";
    static const char *const cases[][3] = {
        { "(, (e d d) (e a b))", "(t x)", "(t x)\n" },
        { "(, (e d d) (e a a))", "(t x)", "" },
        { "(, (e d d) (e $x c))", "(t $x)", "(t a)\n(t b)\n" },
        { "(, (e $x $x) (e $x $x))", "(t $x)", "(t d)\n" },
        { "(, (e $x $y) (e $y $x))", "(t $x $y)", "(t a b)\n(t a c)\n(t b a)\n(t c a)\n(t d d)\n" },
        { "(, (e $x $y) (e $y $z) (e $z $x))", "(t $x $y $z)",
          "(t a b c)\n(t b c a)\n(t c a b)\n(t d d d)\n" },
        { "(, (f $x (h $y)) (g $y))", "(t $x)", "(t b)\n" },
        { "(, (e $y c) (f $x (h $y)))", "(t $x $y)", "(t a b)\n" },
        { "(, (e $x $y) (q $y))", "(t $x)", "" },
        { "(, (e $x $y) (e c $z))", "(t $x $y $z)", /* a product: counted once */
          "(t a b a)\n(t a c a)\n(t b a a)\n(t b c a)\n(t c a a)\n(t d d a)\n" },
    };
    q_sources x;
    q_sources_open(&x, q_space(data), PS_SNAP_CHUNK_MIN);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_query *q;
        ps_diag d = { 0 };
        REQUIRE_OK(ps_query_parse(cases[i][0], strlen(cases[i][0]), cases[i][1],
                                  strlen(cases[i][1]), &q, &d));
        ps_space *want = q_space(cases[i][2]);
        char *w = q_dump(want);
        for (int src = 0; src < 3; src++)
            for (int join = PS_JOIN_AUTO; join <= PS_JOIN_LEAPFROG; join++)
                for (unsigned th = 1; th <= 3; th += 2) {
                    ps_query_opts o;
                    ps_query_opts_init(&o);
                    o.join = join;
                    o.threads = th;
                    int rc;
                    ps_query_stats st;
                    char *got = q_results_opts(q, q_source(&x, src), &o, &rc, &st);
                    if (rc || strcmp(got, w))
                        t_failf(__FILE__, __LINE__, "%s -> %s, join %d, %u threads, on the %s:"
                                "\n--- got\n%s--- want\n%s", cases[i][0], cases[i][1], join, th,
                                q_source_name[src], got ? got : "", w);
                    if (join == PS_JOIN_LEAPFROG)
                        CHECK_EQ(st.join, PS_JOIN_LEAPFROG); /* ground: it ran */
                    free(got);
                    uint64_t sols = st.solutions; /* and counted, not built */
                    o.mode = PS_QUERY_COUNT;
                    REQUIRE_OK(ps_query_run(q, q_source(&x, src), &o, NULL, NULL, &st, &d));
                    if (st.solutions != sols)
                        t_failf(__FILE__, __LINE__, "%s counted: %llu, enumerated %llu (join %d, "
                                "%u threads, the %s)", cases[i][0], (unsigned long long)st.solutions,
                                (unsigned long long)sols, join, th, q_source_name[src]);
                }
        free(w);
        ps_space_free(want);
        ps_query_free(q);
    }
    q_sources_close(&x);
}
