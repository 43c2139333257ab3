/*
 * test_query_oracle.c - queries on seeded random spaces, against two
 * independent oracles: the brute-force matcher (brute.c) and SWI-Prolog
 * with the occurs check (prolog.c). Results are compared as sets of atoms,
 * which are equal up to renaming exactly when their bytes are.
 *
 * The spaces use a small alphabet so that unifications are frequent, and
 * hold variables (repeated too) at every depth; the queries are
 * conjunctions of 1 to 4 patterns sharing variables, with 1 or 2
 * templates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "cases.h"
#include "prolog.h"
#include "qhelp.h"
#include "test.h"

typedef struct gen {
    char *buf;
    size_t len, cap;
    const char *vpfx; /* variable names: $<vpfx><n> */
    unsigned nvars;   /* variables named so far in this atom or query */
    unsigned maxvars;
} gen;

static void emit(gen *g, const char *s)
{
    size_t n = strlen(s);
    if (g->len + n + 1 > g->cap) {
        g->cap = (g->len + n + 1) * 2;
        g->buf = realloc(g->buf, g->cap);
        REQUIRE(g->buf);
    }
    memcpy(g->buf + g->len, s, n + 1);
    g->len += n;
}

static void gen_var(gen *g)
{
    char v[16];
    unsigned k = g->nvars && (g->nvars == g->maxvars || t_below(2)) ? (unsigned)t_below(g->nvars)
                                                                  : g->nvars++;
    snprintf(v, sizeof v, "$%s%u", g->vpfx, k);
    emit(g, v);
}

/* The brute-force rounds add symbols at the ends of the byte range (0xFF
 * last among siblings, 0x01 first), where a view's "next byte after"
 * arithmetic has its edge cases; Prolog's rounds keep to plain names. */
static int edge_bytes;

static void gen_term(gen *g, unsigned depth)
{
    static const char *const syms[] = { "a", "b", "c", "f", "g", "\xff", "a\xff", "a\xfe",
                                        "\x01" };
    uint64_t r = t_below(10);
    if (r < 3) {
        gen_var(g);
    } else if (r < 6 || depth == 0) {
        emit(g, syms[t_below(edge_bytes ? 9 : 5)]);
    } else {
        unsigned k = (unsigned)t_below(4); /* 0..3 children */
        emit(g, "(");
        for (unsigned i = 0; i < k; i++) {
            if (i)
                emit(g, " ");
            gen_term(g, depth - 1);
        }
        emit(g, ")");
    }
}

/* A stored atom, or a pattern: mostly (head args...) with a constant head,
 * sometimes any term. */
static void gen_atom(gen *g)
{
    static const char *const heads[] = { "p", "q", "r" };
    if (t_below(5) == 0) {
        gen_term(g, 3);
        return;
    }
    emit(g, "(");
    emit(g, heads[t_below(3)]);
    for (unsigned i = 0, k = 1 + (unsigned)t_below(3); i < k; i++) {
        emit(g, " ");
        gen_term(g, 2);
    }
    emit(g, ")");
}

static ps_space *gen_space(unsigned n)
{
    ps_space *s;
    ps_buf a = { 0 };
    REQUIRE_OK(ps_space_new(&s));
    for (unsigned i = 0; i < n; i++) {
        gen g = { NULL, 0, 0, "v", 0, 4 };
        gen_atom(&g);
        ps_buf_clear(&a, 0);
        REQUIRE_OK(ps_atom_parse(g.buf, g.len, &a, NULL));
        REQUIRE_OK(ps_space_insert(s, ps_buf_bytes(&a), NULL));
        free(g.buf);
    }
    ps_buf_free(&a);
    return s;
}

/* A query: its pattern and template texts, which share variables. */
typedef struct gq {
    char *pat, *tpl;
    unsigned npat;
} gq;

static gq gen_query(unsigned npat)
{
    gen g = { NULL, 0, 0, "x", 0, 5 };
    if (npat > 1)
        emit(&g, "(,");
    for (unsigned i = 0; i < npat; i++) {
        if (npat > 1)
            emit(&g, " ");
        gen_atom(&g);
    }
    if (npat > 1)
        emit(&g, ")");
    gq q = { g.buf, NULL, npat };
    /* templates over the same variables, plus now and then a fresh one */
    g.buf = NULL;
    g.len = g.cap = 0;
    unsigned nt = 1 + (unsigned)t_below(2);
    g.maxvars = g.nvars + 1;
    if (nt > 1)
        emit(&g, "(,");
    for (unsigned i = 0; i < nt; i++) {
        emit(&g, nt > 1 ? " (t" : "(t");
        for (unsigned k = 0, m = 1 + (unsigned)t_below(3); k < m; k++) {
            emit(&g, " ");
            gen_term(&g, 1);
        }
        emit(&g, ")");
    }
    if (nt > 1)
        emit(&g, ")");
    q.tpl = g.buf;
    return q;
}

/* The spec atom (PATTERN TEMPLATE) for the oracles. */
static void spec_of(const gq *q, ps_buf *out)
{
    size_t n = strlen(q->pat) + strlen(q->tpl) + 8;
    char *t = malloc(n);
    snprintf(t, n, "(%s %s)", q->pat, q->tpl);
    ps_buf_clear(out, 0);
    REQUIRE_OK(ps_atom_parse(t, strlen(t), out, NULL));
    free(t);
}

#define ROUNDS 60
#define QUERIES 25

/* One round: a space, its three sources, QUERIES queries; each must give
 * the brute-force matcher's results (and count of unifiers) on every
 * source, and Prolog's when pl is given. */
typedef struct tally {
    unsigned queries, nonempty;
    uint64_t results;
} tally;

static void round_(unsigned r, int with_prolog, tally *tl)
{
    unsigned n = 4 + (unsigned)t_below(30);
    q_sources x;
    q_sources_open(&x, gen_space(n), PS_SNAP_CHUNK_MIN);
    bf_db *db;
    REQUIRE_OK(bf_db_new(x.s, &db));
    gq qs[QUERIES];
    ps_buf spec = { 0 };
    pl_prog pl;
    pl_init(&pl);
    REQUIRE_OK(pl_facts(&pl, x.s));
    ps_space *want[QUERIES];
    for (unsigned i = 0; i < QUERIES; i++) {
        unsigned k = 1 + (unsigned)t_below(n > 20 ? 3 : 4);
        qs[i] = gen_query(k);
        spec_of(&qs[i], &spec);
        REQUIRE_OK(ps_space_new(&want[i]));
        uint64_t sols = 0;
        REQUIRE_OK(bf_query(db, ps_buf_bytes(&spec), want[i], &sols, NULL));
        REQUIRE_OK(pl_query(&pl, ps_buf_bytes(&spec)));
        ps_query *q;
        ps_diag d = { 0 };
        REQUIRE_OK(ps_query_parse(qs[i].pat, strlen(qs[i].pat), qs[i].tpl, strlen(qs[i].tpl), &q, &d));
        char *w = q_dump(want[i]);
        tl->nonempty += ps_space_count(want[i]) != 0;
        tl->results += ps_space_count(want[i]);
        for (int run = 0; run < 4; run++) {
            int rc, src = run < 3 ? run : (int)t_below(3);
            unsigned threads = run < 3 ? 1 : 2 + (unsigned)t_below(3); /* a parallel run */
            ps_query_stats st;
            char *got = q_results_threads(q, q_source(&x, src), threads, &rc, &st);
            if (rc || strcmp(got, w) || st.solutions != sols) {
                char *data = q_dump(x.s);
                t_failf(__FILE__, __LINE__, "round %u query %u on the %s, %u threads: %s -> %s\n"
                        "--- space\n%s--- got (%llu unifiers, rc %d)\n%s--- brute force "
                        "(%llu unifiers)\n%s", r, i, q_source_name[src], threads, qs[i].pat, qs[i].tpl,
                        data, (unsigned long long)st.solutions, rc, got ? got : "",
                        (unsigned long long)sols, w);
                free(data);
                t_abort_case();
            }
            free(got);
        }
        ps_query_opts co; /* counted, not built */
        ps_query_opts_init(&co);
        co.mode = PS_QUERY_COUNT;
        ps_query_stats cs;
        REQUIRE_OK(ps_query_run(q, q_source(&x, (int)t_below(3)), &co, NULL, NULL, &cs, &d));
        CHECK_EQ(cs.solutions, sols);
        free(w);
        ps_query_free(q);
    }
    if (with_prolog) {
        const char *what[QUERIES];
        char *texts[QUERIES];
        for (unsigned i = 0; i < QUERIES; i++) {
            size_t len = strlen(qs[i].pat) + strlen(qs[i].tpl) + 8;
            texts[i] = malloc(len);
            REQUIRE(texts[i]);
            snprintf(texts[i], len, "%s -> %s", qs[i].pat, qs[i].tpl);
            what[i] = texts[i];
        }
        q_check_prolog(__FILE__, __LINE__, &pl, want, QUERIES, r, what);
        for (unsigned i = 0; i < QUERIES; i++)
            free(texts[i]);
    }
    for (unsigned i = 0; i < QUERIES; i++) {
        ps_space_free(want[i]);
        free(qs[i].pat);
        free(qs[i].tpl);
    }
    tl->queries += QUERIES;
    pl_free(&pl);
    ps_buf_free(&spec);
    bf_db_free(db);
    q_sources_close(&x);
}

/* Ours on all three sources against the brute-force matcher. */
void t_query_random_brute(void)
{
    tally tl = { 0 };
    edge_bytes = 1;
    for (unsigned r = 0; r < ROUNDS; r++)
        round_(r, 0, &tl);
    edge_bytes = 0;
    printf("    %u random queries (%u with results, %llu results) agree with the "
           "brute-force matcher\n", tl.queries, tl.nonempty, (unsigned long long)tl.results);
    /* an oracle that agrees on empty answers only proves little */
    CHECK(tl.nonempty > tl.queries / 4);
}

/* ... and the brute-force matcher (so ours) against SWI-Prolog. */
void t_query_random_prolog(void)
{
    if (!pl_have())
        t_skip("swipl not found (Debian swi-prolog-nox; make deps installs it)");
    tally tl = { 0 };
    for (unsigned r = 0; r < ROUNDS; r++)
        round_(r, 1, &tl);
    printf("    %u random queries (%u with results, %llu results) agree with SWI-Prolog "
           "(occurs_check true)\n", tl.queries, tl.nonempty, (unsigned long long)tl.results);
    CHECK(tl.nonempty > tl.queries / 4);
}
