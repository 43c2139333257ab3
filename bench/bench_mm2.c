/*
 * bench_mm2.c - MORK's MM2 workloads (kernel/src/main.rs at 45bdb9a),
 * run as exec rules, beside MORK's published figures. MORK's source does
 * not state the hardware of those figures (most runs are labelled
 * "(badbad)"): compare the ratios with that in mind.
 *
 *   1. the process calculus, Peano 200+200 under a controller allowing
 *      1,000 activations (process_calculus_bench(1000,200,200)): 42.7 s;
 *   2. the counter machine bench_cm0(50): no figure; 1,813 steps, and
 *      register 3 ends as peano(50); plus trivial rules, as steps a second;
 *   3. one join exec over 50,000 nodes and 1,000,000 random edges,
 *      (, (edge $x $y) (edge $y $z)) -> (trans $x $z): 17.39 s, 19,917,429
 *      results;
 *   4. k-cliques on 200 nodes and 3,600 edges, k = 3, 4, 5: 39.9 ms,
 *      1.10 s, 24.7 s.
 *
 * MORK's graphs come from Rust's StdRng, which is not reproduced here: the
 * graphs have the same sizes, from pathspace's own seeded generator
 * (splitmix64, seed 0), so the counts differ from MORK's and each count is
 * checked against an oracle that is not pathspace: SQLite for the join,
 * python3-networkx for the cliques, arithmetic for the Peano programs.
 * Time per result is shown beside the totals. Joins run on 1 and 2
 * threads. PS_BENCH_QUICK=1 shrinks the sizes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pathspace.h"

static char *peano(unsigned n)
{
    char *s = malloc(4 * (size_t)n + 2), *p = s;
    for (unsigned i = 0; i < n; i++)
        p += sprintf(p, "(S ");
    p += sprintf(p, "Z");
    for (unsigned i = 0; i < n; i++)
        *p++ = ')';
    *p = 0;
    return s;
}

static ps_space *load_text(const char *text)
{
    ps_space *s;
    ps_diag d;
    bench_must(ps_space_new(&s), "space");
    bench_must(ps_space_load(s, text, strlen(text), PS_FORMAT_METTA, &d), "load");
    return s;
}

static double run_exec(ps_space *s, unsigned threads, ps_exec_stats *st)
{
    ps_exec_opts o;
    ps_exec_opts_init(&o);
    o.threads = threads;
    o.max_results = 1ull << 30;
    o.max_bytes = 16ull << 30;
    double t0 = bench_now();
    bench_must(ps_space_exec(s, &o, st, NULL), "exec");
    double t = bench_now() - t0;
    if (st->failed) {
        fprintf(stderr, "bench_mm2: %llu steps failed\n", (unsigned long long)st->failed);
        exit(1);
    }
    return t;
}

static int has_atom(const ps_space *s, const char *text)
{
    ps_buf b = { 0 };
    ps_diag d;
    bench_must(ps_atom_parse(text, strlen(text), &b, &d), "atom");
    int r = ps_space_contains(s, ps_buf_bytes(&b));
    ps_buf_free(&b);
    return r;
}

/* ------------------------------------------------------- process calculus */

static const char PC[] =
    "(exec (IC 0 1 %s) (, (exec (IC $x $y (S $c)) $sp $st) ((exec $x) $p $t))\n"
    "                  (, (exec (IC $y $x $c) $sp $st) (exec (R $x) $p $t)))\n"
    "((exec 0) (, (petri (? $channel $payload $body)) (petri (! $channel $payload)))\n"
    "          (, (petri $body)))\n"
    "((exec 1) (, (petri (| $lprocess $rprocess))) (, (petri $lprocess) (petri $rprocess)))\n"
    "(petri (? (add $ret) ((S $x) $y) (| (! (add (PN $x $y)) ($x $y))\n"
    "                                    (? (PN $x $y) $z (! $ret (S $z))))))\n"
    "(petri (? (add $ret) (Z $y) (! $ret $y)))\n"
    "(petri (! (add result) (%s %s)))\n";

static void process_calculus(int quick)
{
    unsigned steps = quick ? 500 : 1000, x = quick ? 50 : 200, y = x;
    char *ps = peano(steps), *px = peano(x), *py = peano(y), *pr = peano(x + y);
    size_t n = strlen(PC) + strlen(ps) + strlen(px) + strlen(py) + 16;
    char *text = malloc(n), *want = malloc(strlen(pr) + 32);
    snprintf(text, n, PC, ps, px, py);
    sprintf(want, "(petri (! result %s))", pr);
    int reps = quick ? 1 : 3;
    double t[9];
    ps_exec_stats st;
    int ok = 1;
    for (int i = 0; i < reps; i++) {
        ps_space *s = load_text(text);
        t[i] = run_exec(s, 1, &st);
        ok &= has_atom(s, want);
        ps_space_free(s);
    }
    double med = bench_median(t, reps);
    printf("process calculus %u+%u, %u activations (%llu execs, %llu solutions)\n", x, y, steps,
           (unsigned long long)st.execs, (unsigned long long)st.solutions);
    printf("  %-28s %10.3f s   %s\n", "pathspace, 1 thread", med, ok ? "result = peano(x+y): ok" : "WRONG RESULT");
    if (!quick)
        printf("  %-28s %10.3f s   MORK / pathspace = %.1fx; target 0.4 s: %s\n", "MORK (published)", 42.717,
               42.717 / med, med <= 0.4 ? "met" : "MISSED");
    free(ps), free(px), free(py), free(pr), free(text), free(want);
    if (!ok)
        exit(1);
}

/* ------------------------------------------------------- counter machine */

static const char CM[] =
    "(program Z (JZ 2 (S (S (S (S (S Z)))))))\n(program (S Z) (DEC 2))\n(program (S (S Z)) (INC 3))\n"
    "(program (S (S (S Z))) (INC 1))\n(program (S (S (S (S Z)))) (JZ 0 Z))\n"
    "(program (S (S (S (S (S Z))))) (JZ 1 (S (S (S (S (S (S (S (S (S Z)))))))))))\n"
    "(program (S (S (S (S (S (S Z)))))) (DEC 1))\n(program (S (S (S (S (S (S (S Z))))))) (INC 2))\n"
    "(program (S (S (S (S (S (S (S (S Z)))))))) (JZ 0 (S (S (S (S (S Z)))))))\n"
    "(program (S (S (S (S (S (S (S (S (S Z))))))))) H)\n"
    "(state Z (REG 0 Z))\n(state Z (REG 1 Z))\n(state Z (REG 2 %s))\n(state Z (REG 3 Z))\n"
    "(state Z (REG 4 Z))\n(state Z (IC Z))\n(if (S $n) $x $y $x)\n(if Z $x $y $y)\n"
    "(0 != 1) (0 != 2) (0 != 3) (0 != 4) (1 != 0) (1 != 2) (1 != 3) (1 != 4)\n"
    "(2 != 1) (2 != 0) (2 != 3) (2 != 4) (3 != 1) (3 != 2) (3 != 0) (3 != 4)\n"
    "(4 != 1) (4 != 2) (4 != 0) (4 != 3)\n"
    "((step JZ $ts) (, (state $ts (IC $i)) (program $i (JZ $r $j)) (state $ts (REG $r $v))\n"
    "                  (if $v (S $i) $j $ni) (state $ts (REG $k $kv)))\n"
    "  (, (state (S $ts) (IC $ni)) (state (S $ts) (REG $k $kv))))\n"
    "((step INC $ts) (, (state $ts (IC $i)) (program $i (INC $r)) (state $ts (REG $r $v))\n"
    "                   ($r != $o) (state $ts (REG $o $ov)))\n"
    "  (, (state (S $ts) (IC (S $i))) (state (S $ts) (REG $r (S $v))) (state (S $ts) (REG $o $ov))))\n"
    "((step DEC $ts) (, (state $ts (IC $i)) (program $i (DEC $r)) (state $ts (REG $r (S $v)))\n"
    "                   ($r != $o) (state $ts (REG $o $ov)))\n"
    "  (, (state (S $ts) (IC (S $i))) (state (S $ts) (REG $r $v)) (state (S $ts) (REG $o $ov))))\n"
    "(exec (clocked Z) (, (exec (clocked $ts) $p1 $t1) (state $ts (IC $_)) ((step $k $ts) $p0 $t0))\n"
    "                  (, (exec ($k $ts) $p0 $t0) (exec (clocked (S $ts)) $p1 $t1)))\n";

/* Register 3 at the machine's last time step equals peano(n): the
 * program copies register 2 into it (the oracle is the program's
 * definition, checked on the space without the engine). */
static int cm_check(const ps_space *s, unsigned n)
{
    ps_iter *it;
    ps_bytes p;
    uint64_t best = 0;
    ps_buf last = { 0 }, t = { 0 };
    bench_must(ps_iter_new(s, ps_bytes_of("\x03\xC5state", 7), &it), "iter");
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) { /* the longest state atom */
        ps_buf_clear(&t, 0);
        ps_atom_print(p, &t);
        if (strstr((char *)ps_buf_data(&t), "(REG 3 ") && t.len >= best) {
            best = t.len;
            ps_buf_clear(&last, 0);
            ps_buf_append(&last, ps_buf_data(&t), t.len);
        }
    }
    ps_iter_free(it);
    char *want = peano(n), *tail = malloc(strlen(want) + 16);
    sprintf(tail, "(REG 3 %s))", want);
    size_t k = strlen(tail);
    int ok = last.len >= k && !memcmp(ps_buf_data(&last) + last.len - k, tail, k);
    free(want), free(tail), ps_buf_free(&last), ps_buf_free(&t);
    return ok;
}

static void counter_machine(int quick)
{
    unsigned n = 50;
    char *pn = peano(n);
    char *text = malloc(sizeof CM + strlen(pn));
    sprintf(text, CM, pn);
    int reps = quick ? 1 : 5, ok = 1;
    double t[9];
    ps_exec_stats st;
    for (int i = 0; i < reps; i++) {
        ps_space *s = load_text(text);
        t[i] = run_exec(s, 1, &st);
        ok &= cm_check(s, n) && st.execs == 1813;
        ps_space_free(s);
    }
    double med = bench_median(t, reps);
    printf("\ncounter machine bench_cm0(%u): %llu steps (MORK: 1,813)\n", n,
           (unsigned long long)st.execs);
    printf("  %-28s %10.3f ms  %8.0f steps/s  %s; target 50 ms: %s\n", "pathspace, 1 thread",
           med * 1e3, (double)st.execs / med, ok ? "register 3 = peano(50): ok" : "WRONG RESULT",
           med <= 0.05 ? "met" : "MISSED");
    free(pn), free(text);
    if (!ok)
        exit(1);

    /* trivial rules: a chain of execs, each matching one atom and writing
     * the next exec (the loop's own cost, per step) */
    unsigned steps = quick ? 20000 : 200000;
    ps_buf b = { 0 };
    char line[160];
    for (unsigned i = 0; i < steps; i++) {
        int k = snprintf(line, sizeof line, "(exec %u (, (tick %u)) (, (tock %u)))\n(tick %u)\n", i, i, i, i);
        ps_buf_append(&b, line, (size_t)k);
    }
    ps_buf_append(&b, "", 1);
    for (int i = 0; i < reps; i++) {
        ps_space *s = load_text((const char *)ps_buf_data(&b));
        t[i] = run_exec(s, 1, &st);
        ok &= st.execs == steps && ps_space_count(s) == 2ull * steps;
        ps_space_free(s);
    }
    med = bench_median(t, reps);
    printf("  %-28s %10.3f ms  %8.0f steps/s  %u one-atom rules; target 1M steps/s: %s\n",
           "trivial rules", med * 1e3, (double)steps / med, steps,
           (double)steps / med >= 1e6 ? "met" : "MISSED");
    ps_buf_free(&b);
    if (!ok)
        exit(1);
}

/* ------------------------------------------------------------- graphs */

static uint64_t sm_state;
static uint64_t splitmix(void)
{
    uint64_t z = (sm_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct edge {
    unsigned a, b;
} edge;

static char *edges_text(const edge *e, size_t n)
{
    char *t = malloc(n * 32 + 1), *p = t;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "(edge %u %u)\n", e[i].a, e[i].b);
    *p = 0;
    return t;
}

static uint64_t count_prefix(const ps_space *s, const char *head)
{
    ps_buf b = { 0 };
    ps_diag d;
    bench_must(ps_atom_parse(head, strlen(head), &b, &d), "atom");
    /* (trans $ $) -> its bytes up to the first variable */
    size_t k = 0;
    const uint8_t *p = ps_buf_data(&b);
    while (k < b.len && p[k] != 0xC0)
        k += (p[k] > 0xC0) ? 1 + (p[k] & 63) : 1;
    uint64_t n;
    bench_must(ps_space_count_prefix(s, ps_bytes_of(p, k), 0, &n, NULL), "count");
    ps_buf_free(&b);
    return n;
}

static uint64_t sqlite_two_hop(const edge *e, size_t n)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    uint64_t r = 0;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, "CREATE TABLE e(x INTEGER, y INTEGER); BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO e VALUES(?, ?)", -1, &st, NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int(st, 1, (int)e[i].a);
        sqlite3_bind_int(st, 2, (int)e[i].b);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT; CREATE TABLE d AS SELECT DISTINCT x, y FROM e;"
                     "CREATE INDEX dx ON d(x)", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM (SELECT DISTINCT a.x, b.y FROM d a JOIN d b ON a.y = b.x)",
                       -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW)
        r = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return r;
}

static void transitive(int quick)
{
    unsigned nodes = quick ? 5000 : 50000;
    size_t n = quick ? 100000 : 1000000;
    edge *e = malloc(n * sizeof *e);
    sm_state = 0;
    for (size_t i = 0; i < n; i++) {
        e[i].a = (unsigned)(splitmix() % nodes);
        e[i].b = (unsigned)(splitmix() % nodes);
    }
    char *text = edges_text(e, n);
    double t0 = bench_now();
    uint64_t want = sqlite_two_hop(e, n);
    double tsql = bench_now() - t0;
    printf("\ntransitive step: %u nodes, %zu random edges, one exec "
           "(, (edge $x $y) (edge $y $z)) -> (trans $x $z)\n", nodes, n);
    printf("  %-28s %10s %12s %12s\n", "", "seconds", "results", "ns/result");
    for (unsigned th = 1; th <= 2; th++) {
        ps_space *s = load_text(text);
        const char *rule = "(exec 0 (, (edge $x $y) (edge $y $z)) (, (trans $x $z)))";
        ps_diag d;
        bench_must(ps_space_load(s, rule, strlen(rule), PS_FORMAT_METTA, &d), "rule");
        ps_exec_stats st;
        double t = run_exec(s, th, &st);
        uint64_t got = count_prefix(s, "(trans $x $z)");
        char who[40];
        snprintf(who, sizeof who, "pathspace, %u thread%s", th, th > 1 ? "s" : "");
        printf("  %-28s %10.3f %12llu %12.1f  %s\n", who, t, (unsigned long long)got,
               t * 1e9 / (double)(got ? got : 1), got == want ? "= SQLite" : "WRONG COUNT");
        ps_space_free(s);
        if (got != want)
            exit(1);
    }
    printf("  %-28s %10.3f %12llu %12s\n", "SQLite (the oracle)", tsql, (unsigned long long)want, "");
    if (!quick)
        printf("  %-28s %10.3f %12d %12.1f  (its own graph: StdRng)\n", "MORK (published)", 17.392,
               19917429, 17.392e9 / 19917429.0);
    free(e), free(text);
}

/* k-cliques by networkx, one count per line for k = 3.. */
static int networkx_cliques(const edge *e, size_t n, unsigned kmax, uint64_t *out)
{
    char path[] = "/tmp/ps_bench_edgesXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%u %u\n", e[i].a, e[i].b);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys, networkx as nx\n"
             "g = nx.read_edgelist(\"%s\", nodetype=int)\n"
             "c = [0] * %u\n"
             "for q in nx.enumerate_all_cliques(g):\n"
             "    if len(q) > %u: break\n"
             "    c[len(q)] += 1\n"
             "print(*c[3:])' 2>/dev/null", path, kmax + 1, kmax);
    FILE *p = popen(cmd, "r");
    int got = 0;
    for (unsigned k = 3; p && k <= kmax; k++) {
        unsigned long long v;
        if (fscanf(p, "%llu", &v) == 1)
            out[k] = v, got++;
    }
    if (p)
        pclose(p);
    unlink(path);
    return got == (int)kmax - 2 ? 0 : -1;
}

static void cliques(int quick)
{
    unsigned nodes = 200, kmax = quick ? 4 : 5;
    size_t n = 3600, have = 0;
    edge *e = malloc(n * sizeof *e);
    ps_space *seen;
    bench_must(ps_space_new(&seen), "space");
    sm_state = 0;
    while (have < n) { /* distinct, irreflexive, i < j: MORK's shape */
        unsigned i = (unsigned)(splitmix() % nodes), j = (unsigned)(splitmix() % nodes);
        if (i == j)
            continue;
        edge x = { i < j ? i : j, i < j ? j : i };
        int added;
        uint64_t key = (uint64_t)x.a << 32 | x.b;
        ps_space_insert(seen, ps_bytes_of(&key, 8), &added);
        if (added)
            e[have++] = x;
    }
    ps_space_free(seen);
    uint64_t want[8] = { 0 };
    int oracle = networkx_cliques(e, n, kmax, want);
    static const double mork[] = { 0, 0, 0, 0.0399, 1.097, 24.705 };
    char *text = edges_text(e, n);
    printf("\ncliques: %u nodes, %zu edges, one exec per k\n", nodes, n);
    printf("  %-4s %-22s %10s %10s %12s %12s\n", "k", "", "seconds", "cliques", "us/clique", "MORK s");
    for (unsigned k = 3; k <= kmax; k++) {
        char rule[1024], *p = rule;
        p += sprintf(p, "(exec 0 (,");
        for (unsigned i = 0; i < k; i++)
            for (unsigned j = i + 1; j < k; j++)
                p += sprintf(p, " (edge $x%u $x%u)", i, j);
        p += sprintf(p, ") (, (%u-clique", k);
        for (unsigned i = 0; i < k; i++)
            p += sprintf(p, " $x%u", i);
        sprintf(p, ")))");
        for (unsigned th = 1; th <= 2; th++) {
            ps_space *s = load_text(text);
            ps_diag d;
            bench_must(ps_space_load(s, rule, strlen(rule), PS_FORMAT_METTA, &d), "rule");
            ps_exec_stats st;
            double t = run_exec(s, th, &st);
            char head[32];
            snprintf(head, sizeof head, "(%u-clique $x)", k);
            uint64_t got = ps_space_count(s) - n; /* every new atom is a clique */
            const char *check = oracle ? "(no networkx: unchecked)"
                              : got == want[k] ? "= networkx" : "WRONG COUNT";
            printf("  %-4u pathspace, %u thread%-6s %10.3f %10llu %12.2f %12.3f  %s\n", k, th,
                   th > 1 ? "s" : "", t, (unsigned long long)got,
                   t * 1e6 / (double)(got ? got : 1), mork[k], check);
            ps_space_free(s);
            if (!oracle && got != want[k])
                exit(1);
        }
    }
    printf("  MORK's counts on its own graph: 7,824 / 2,320 / 102 (StdRng, not reproducible)\n");
    free(e), free(text);
}

int main(void)
{
    int quick = bench_quick();
    printf("bench_mm2: MORK's MM2 workloads as exec rules, beside MORK's published figures\n"
           "(MORK's hardware is not stated in its source; figures are medians)\n\n");
    counter_machine(quick);
    process_calculus(quick);
    transitive(quick);
    cliques(quick);
    return 0;
}
