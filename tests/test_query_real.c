/*
 * test_query_real.c - queries on the real files of ../shared/data (skipped
 * with the reason when they are absent): family questions on three
 * genealogies, joins on PathMap's big_logic. The space, an ACT and a
 * snapshot must give the same answers, and the family answers must be
 * SWI-Prolog's (when it is installed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "prolog.h"
#include "qhelp.h"
#include "test.h"

static ps_space *load_text(const char *name)
{
    const char *path = t_data(name);
    t_need_file(path);
    ps_buf text = { 0 };
    REQUIRE(t_read_file(path, &text) == 0);
    REQUIRE_OK(ps_buf_append(&text, "", 1));
    ps_space *s = q_space((const char *)ps_buf_data(&text));
    ps_buf_free(&text);
    return s;
}

static ps_space *load_paths(const char *name)
{
    const char *path = t_data(name);
    t_need_file(path);
    ps_buf b = { 0 };
    REQUIRE(t_read_file(path, &b) == 0);
    ps_paths_reader *r;
    ps_space *s;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_space_new(&s));
    REQUIRE_OK(ps_paths_reader_new(ps_buf_data(&b), b.len, &r));
    REQUIRE_OK(ps_space_read_paths(s, r, &d));
    ps_paths_reader_free(r);
    ps_buf_free(&b);
    return s;
}

typedef struct rq {
    const char *pat, *tpl;
} rq;

/* Each query on each source: the same answers; and Prolog's, if asked. */
static void agree(const char *file, ps_space *s, const rq *qs, size_t n, int prolog,
                  uint64_t *counts)
{
    q_sources x;
    q_sources_open(&x, s, 64u << 10);
    pl_prog pl;
    pl_init(&pl);
    if (prolog)
        REQUIRE_OK(pl_facts(&pl, x.s));
    char **ours = calloc(n, sizeof *ours);
    for (size_t i = 0; i < n; i++) {
        ps_query *q;
        ps_diag d = { 0 };
        REQUIRE_OK(ps_query_parse(qs[i].pat, strlen(qs[i].pat), qs[i].tpl, strlen(qs[i].tpl), &q, &d));
        for (int src = 0; src < 3; src++) {
            int rc;
            char *got = q_results(q, q_source(&x, src), &rc, NULL);
            REQUIRE_OK(rc);
            if (src == 0) {
                ours[i] = got;
                continue;
            }
            if (strcmp(got, ours[i]))
                t_failf(__FILE__, __LINE__, "%s: %s differs on the %s", file, qs[i].pat,
                        q_source_name[src]);
            free(got);
        }
        if (counts) {
            ps_space *r = q_space(ours[i]);
            counts[i] = ps_space_count(r);
            ps_space_free(r);
        }
        ps_buf spec = { 0 };
        char t[512];
        snprintf(t, sizeof t, "(%s %s)", qs[i].pat, qs[i].tpl);
        REQUIRE_OK(ps_atom_parse(t, strlen(t), &spec, NULL));
        REQUIRE_OK(pl_query(&pl, ps_buf_bytes(&spec)));
        ps_buf_free(&spec);
        ps_query_free(q);
    }
    if (prolog) {
        ps_space **pw = calloc(n, sizeof *pw);
        char msg[200];
        if (pl_run(&pl, pw, NULL, msg, sizeof msg))
            t_failf(__FILE__, __LINE__, "%s: %s", file, msg);
        for (size_t i = 0; i < n && pw[0]; i++) {
            char *b = q_dump(pw[i]);
            if (strcmp(ours[i], b))
                t_failf(__FILE__, __LINE__, "%s: %s -> %s differs from Prolog's (%zu vs %zu "
                        "bytes)", file, qs[i].pat, qs[i].tpl, strlen(ours[i]), strlen(b));
            free(b);
            ps_space_free(pw[i]);
        }
        free(pw);
    }
    for (size_t i = 0; i < n; i++)
        free(ours[i]);
    free(ours);
    pl_free(&pl);
    q_sources_close(&x);
}

/* GEDCOM as MeTTa (metta-examples' aunt-kg): families are (Relations R
 * (Husband "@I@")), (Relations R (Wife ...)), (Relations R (Children [K]
 * "@C@")), people (Individuals P (Id "@I@")) and (Individuals P (Sex S)). */
static const rq family[] = {
    { "(, (Relations $r (Husband $f)) (Relations $r (Children $k $c)))", "(father $f $c)" },
    { "(, (Relations $r (Husband $f)) (Relations $r (Children $c)))", "(father $f $c)" },
    { "(, (Relations $r (Wife $m)) (Relations $r (Children $k $c)))", "(mother $m $c)" },
    { "(, (Relations $r (Children $k $c)) (Relations $r (Husband $f))"
      " (Relations $s (Children $j $f)) (Relations $s (Husband $g)))", "(grandfather $g $c)" },
    { "(, (Relations $r (Children $k $c)) (Relations $r (Wife $m))"
      " (Relations $s (Children $j $m)) (Relations $s (Children $i $a))"
      " (Individuals $p (Id $a)) (Individuals $p (Sex \"F\")))", "(aunt-or-mother $a $c)" },
    { "(Individuals $p (Sex $s))", "$s" },
    { "(, (Relations $r (Children $k $c)) (Relations $r (Husband $f))"
      " (Relations $s (Children $f)) (Relations $s (Husband $g)))", "(grandfather $g $c)" },
};

void t_query_real_family(void)
{
    static const char *const files[] = { "simpsons.metta", "lordOfTheRings.metta",
                                         "royal92.metta" };
    int prolog = pl_have();
    for (size_t f = 0; f < 3; f++) {
        ps_space *s = load_text(files[f]);
        uint64_t counts[sizeof family / sizeof family[0]];
        agree(files[f], s, family, sizeof family / sizeof family[0], prolog, counts);
        if (f == 0) { /* checked by hand against simpsons.metta */
            CHECK_EQ(counts[0], 6);  /* Homer: Bart, Lisa, Maggie; Clancy: 3 */
            CHECK_EQ(counts[1], 1);  /* Abraham -> Homer (no child index) */
            CHECK_EQ(counts[5], 2);  /* "M" and "F" */
            CHECK_EQ(counts[6], 3);  /* Abraham -> Homer -> Bart, Lisa, Maggie */
        } else {
            CHECK(counts[3] > 0);
        }
        CHECK(counts[0] > 0 && counts[2] > 0 && counts[4] > 0);
    }
    if (!prolog)
        printf("    (swipl not found: the answers were not checked against Prolog)\n");
}

/* Joins on PathMap's big_logic (91,692 axioms with variables). The
 * self-join itself is bench_query's (it takes seconds); these are smaller
 * joins of the same kinds. */
void t_query_real_logic(void)
{
    static const rq logic[] = {
        { "(axiom (= (* $x $y) (* $y $x)))", "(comm $x $y)" },
        { "(, (axiom (= (* $x 1) $x)) (axiom (= $x (* $y $z))))", "(r $y $z)" },
        { "(, (axiom (= (\\ $a $a) $b)) (axiom (= (\\ $a $a) $b)))", "(self $a $b)" },
        { "(, (axiom (= (/ 1 $a) $b)) (axiom (= (/ 1 $b) $a)))", "(inv $a $b)" },
    };
    ps_space *s = load_paths("big_logic.metta.paths");
    CHECK_EQ(ps_space_count(s), 91692);
    uint64_t counts[sizeof logic / sizeof logic[0]];
    agree("big_logic.metta.paths", s, logic, sizeof logic / sizeof logic[0], 0, counts);
    for (size_t i = 0; i < sizeof logic / sizeof logic[0]; i++)
        CHECK(counts[i] > 0);
}
