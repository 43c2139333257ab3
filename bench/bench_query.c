/*
 * bench_query.c - queries, joins and the space algebra, each beside a
 * baseline measured in the same run:
 *
 *   1. MORK's logic self-joins on PathMap's big_logic (when ../shared/data
 *      is here), beside MORK's published times and SWI-Prolog's count of
 *      the same answers (PS_BENCH_PROLOG=0 leaves Prolog out: it takes
 *      minutes);
 *   2. selective, medium and unselective patterns with a constant head on
 *      1M and 10M generated atoms, in memory, on an ACT in place and on a
 *      snapshot, beside a brute-force scan (tests/brute.c) at 1M;
 *   3. two- and three-pattern joins on generated family data, beside a
 *      nested-loop scan;
 *   4. union, intersection and difference of two 1M-atom spaces, in memory
 *      and streamed from snapshots, beside comm(1) on sorted dumps.
 *
 * Figures are medians of PS_BENCH_REPS runs (default 5; the self-joins take
 * 3). PS_BENCH_QUICK=1 shrinks every size for a smoke run.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/brute.h"
#include "../tests/prolog.h"
#include "common.h"
#include "pathspace.h"

static const char *data_dir(void)
{
    const char *d = getenv("PS_DATA");
    return d ? d : "../shared/data";
}

/* ------------------------------------------------------------ running */

typedef struct qrun {
    ps_query *q;
    ps_source src;
    unsigned threads;
    ps_query_stats st;
    uint64_t bytes;  /* results' bytes, so the callback does some work */
    int join;        /* ps_join (0: the planner's choice) */
} qrun;

static int count_cb(void *ctx, ps_bytes r)
{
    *(uint64_t *)ctx += r.len;
    return 0;
}

static void run_query(void *arg)
{
    qrun *r = arg;
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = r->threads;
    o.join = r->join;
    ps_diag d = { 0 };
    bench_must(ps_query_run(r->q, r->src, &o, count_cb, &r->bytes, &r->st, &d), d.msg);
}

/* The unifiers counted, nothing built (PS_QUERY_COUNT). */
static void count_query(void *arg)
{
    qrun *r = arg;
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.mode = PS_QUERY_COUNT;
    o.threads = r->threads;
    o.join = r->join;
    ps_diag d = { 0 };
    bench_must(ps_query_run(r->q, r->src, &o, NULL, NULL, &r->st, &d), d.msg);
}

static ps_query *compile(const char *pat, const char *tpl)
{
    ps_query *q;
    ps_diag d = { 0 };
    bench_must(ps_query_parse(pat, strlen(pat), tpl, tpl ? strlen(tpl) : 0, &q, &d), d.msg);
    return q;
}

/* Distinct results, by a run into a space. */
static uint64_t distinct(ps_query *q, ps_source src, unsigned threads)
{
    ps_space *out;
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = threads;
    bench_must(ps_space_new(&out), "space");
    bench_must(ps_query_into(q, src, &o, out, NULL, NULL, NULL), "query into");
    uint64_t n = ps_space_count(out);
    ps_space_free(out);
    return n;
}

static ps_bytes spec_of(const char *pat, const char *tpl, ps_buf *b)
{
    char t[1024];
    snprintf(t, sizeof t, "(%s %s)", pat, tpl);
    ps_buf_clear(b, 0);
    bench_must(ps_atom_parse(t, strlen(t), b, NULL), "spec");
    return ps_buf_bytes(b);
}

/* ---------------------------------------------------- 1. MORK's logic */

static void logic(void)
{
    static const struct {
        const char *pat, *tpl;
        double mork36; /* MORK's own figure, 36-core Xeon (mork-query.md) */
    } js[] = {
        { "(, (axiom $x) (axiom $x))", "(combined $x)", 236 },
        { "(, (axiom (= $l $r)) (axiom (= $r $l)))", "(sym $l $r)", 436 },
    };
    char path[4096];
    snprintf(path, sizeof path, "%s/big_logic.metta.paths", data_dir());
    ps_space *s = bench_load(path, 1);
    printf("1. MORK's logic self-joins on big_logic.metta.paths\n");
    if (!s) {
        printf("   skipped: %s is not here (real data sits beside a checkout in ../shared)\n\n", path);
        return;
    }
    const char *pe = getenv("PS_BENCH_PROLOG");
    int prolog = !(pe && *pe == '0') && pl_have();
    printf("   %llu axioms; MORK's times are its own, on 36 cores (mork-query.md); a MORK of\n"
           "   July 2025 took 686 s for the first join on this kind of machine\n",
           (unsigned long long)ps_space_count(s));
    printf("   %-44s %9s %9s %8s %8s %9s %7s %9s %8s\n", "join -> template", "results", "unifiers",
           "1 thread", "2 thr", "MORK 36c", "vs MORK", "Prolog", "Prolog s");
    for (size_t i = 0; i < sizeof js / sizeof js[0]; i++) {
        ps_query *q = compile(js[i].pat, js[i].tpl);
        qrun r = { q, ps_source_space(s), 1, { 0 }, 0, PS_JOIN_AUTO };
        int reps = i == 0 ? 3 : 1;
        double t1 = bench_time_n(run_query, &r, reps);
        r.threads = 2;
        double t2 = bench_time_n(run_query, &r, reps);
        uint64_t n = distinct(q, ps_source_space(s), 2);
        char pc[32] = "-", pt[32] = "-";
        if (prolog) {
            pl_prog pl;
            ps_buf b = { 0 };
            uint64_t c = 0;
            char msg[200];
            pl_init(&pl);
            bench_must(pl_facts(&pl, s), "prolog facts");
            bench_must(pl_query(&pl, spec_of(js[i].pat, js[i].tpl, &b)), "prolog query");
            double t0 = bench_now();
            if (pl_run(&pl, NULL, &c, msg, sizeof msg))
                snprintf(pc, sizeof pc, "failed");
            else
                snprintf(pc, sizeof pc, "%llu%s", (unsigned long long)c, c == n ? "" : " (!)");
            snprintf(pt, sizeof pt, "%.0f", bench_now() - t0);
            pl_free(&pl);
            ps_buf_free(&b);
        }
        char label[128];
        snprintf(label, sizeof label, "%s -> %s", js[i].pat, js[i].tpl);
        printf("   %-44s %9llu %9llu %7.2fs %7.2fs %8.0fs %6.0fx %9s %8s\n", label,
               (unsigned long long)n, (unsigned long long)r.st.solutions, t1, t2, js[i].mork36,
               js[i].mork36 / t2, pc, pt);
        ps_query_free(q);
    }
    printf("   results: distinct atoms; unifiers: pairs of axioms that unify (ordered). Prolog:\n"
           "   SWI-Prolog with occurs_check, counting distinct answers up to renaming.\n\n");
    ps_space_free(s);
}

/* ------------------------------------------ 2. generated, one pattern */

typedef struct many {
    ps_query **qs;
    unsigned n;
    ps_source src;
    uint64_t results, atoms, nodes;
} many;

static void run_many(void *arg)
{
    many *m = arg;
    m->results = m->atoms = m->nodes = 0;
    for (unsigned i = 0; i < m->n; i++) {
        qrun r = { m->qs[i], m->src, 1, { 0 }, 0, PS_JOIN_AUTO };
        run_query(&r);
        m->results += r.st.results;
        m->atoms += r.st.atoms;
        m->nodes += r.st.nodes;
    }
}

typedef struct scan {
    bf_db *db;
    ps_buf spec;
    uint64_t solutions;
} scan;

static void run_scan(void *arg)
{
    scan *c = arg;
    bench_must(bf_query(c->db, ps_buf_bytes(&c->spec), NULL, &c->solutions, NULL), "scan");
}

static void sources(ps_space *s, const char *tag, ps_act **act, ps_snap **snap)
{
    char a[256], n[256];
    snprintf(a, sizeof a, "/tmp/bench_query_%s_%d.act", tag, (int)getpid());
    snprintf(n, sizeof n, "/tmp/bench_query_%s_%d.snap", tag, (int)getpid());
    FILE *f = fopen(a, "wb");
    bench_must(!f || ps_space_write_act(s, ps_sink_fd(fileno(f)), NULL), "write act");
    fclose(f);
    f = fopen(n, "wb");
    bench_must(!f || ps_space_write_snap(s, ps_sink_fd(fileno(f)), NULL, NULL), "write snap");
    fclose(f);
    bench_must(ps_act_open(a, act, NULL), "open act");
    bench_must(ps_snap_open(n, snap, NULL), "open snap");
    unlink(a); /* the mappings stay */
    unlink(n);
}

/* The first self-join on each source: loaded, an ACT in place, a snapshot
 * in place (its handle's chunk cache warm, and with no cache: every chunk
 * decoded afresh as the query reaches it). */
static void logic_sources(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/big_logic.metta.paths", data_dir());
    ps_space *s = bench_load(path, 1);
    if (!s)
        return;
    ps_act *act;
    ps_snap *snap;
    sources(s, "logic", &act, &snap);
    ps_query *q = compile("(, (axiom $x) (axiom $x))", "(combined $x)");
    printf("1b. the first self-join on each source, one thread (snapshot: the handle's\n"
           "    decoded chunks kept across runs, or none kept)\n");
    printf("   %-22s %9s %9s %9s\n", "source", "time", "vs memory", "vs ACT");
    static const char *const names[] = { "memory", "ACT in place", "snapshot in place",
                                         "snapshot, no cache" };
    ps_source srcs[4] = { ps_source_space(s), ps_source_act(act), ps_source_snap(snap),
                          ps_source_snap(snap) };
    double t[4];
    for (int k = 0; k < 4; k++) {
        ps_snap_set_cache(snap, k == 3 ? 0 : PS_SNAP_CACHE_DEFAULT);
        qrun r = { q, srcs[k], 1, { 0 }, 0, PS_JOIN_AUTO };
        t[k] = bench_time_n(run_query, &r, 1);
    }
    for (int k = 0; k < 4; k++)
        printf("   %-22s %8.2fs %8.2fx %8.2fx\n", names[k], t[k], t[k] / t[0], t[k] / t[1]);
    printf("\n");
    ps_query_free(q);
    ps_act_close(act);
    ps_snap_close(snap);
    ps_space_free(s);
}

static void generated(uint64_t n, int with_scan)
{
    enum { SEL = 1000 };
    ps_space *s = bench_gen_space(n);
    ps_act *act;
    ps_snap *snap;
    sources(s, "gen", &act, &snap);
    ps_query *sel[SEL], *med, *uns;
    uint64_t ents = n / 8, seed = 7;
    for (unsigned i = 0; i < SEL; i++) {
        char p[64];
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        snprintf(p, sizeof p, "(age (Entity Q%08llx) $a)", (unsigned long long)(seed >> 33) % ents);
        sel[i] = compile(p, "$a");
    }
    med = compile("(isa $e kakakalo)", "$e");
    uns = compile("(age $e $a)", "(age-of $e $a)");
    printf("   %llu atoms\n", (unsigned long long)n);
    printf("   %-34s %-9s %10s %12s %12s %9s %9s %9s\n", "pattern", "source", "time", "queries/s",
           "results/s", "atoms/res", "steps/res", "vs scan");
    static const char *const names[] = { "memory", "ACT", "snapshot", "snap,cold" };
    ps_source srcs[4] = { ps_source_space(s), ps_source_act(act), ps_source_snap(snap),
                          ps_source_snap(snap) };
    bf_db *db = NULL;
    if (with_scan)
        bench_must(bf_db_new(s, &db), "brute db");
    for (int k = 0; k < 3; k++) {
        const char *label = k == 0 ? "(age (Entity Q..) $a) x1000" : k == 1 ? "(isa $e kakakalo)"
                                                                            : "(age $e $a)";
        double scan_t = 0;
        if (db) { /* the brute force on the same atoms, one query */
            scan c = { db, { 0 }, 0 };
            spec_of(k == 0 ? "(age (Entity Q00000001) $a)" : k == 1 ? "(isa $e kakakalo)" : "(age $e $a)",
                    k == 0 ? "$a" : k == 1 ? "$e" : "(age-of $e $a)", &c.spec);
            scan_t = bench_time_n(run_scan, &c, 3) * (k == 0 ? SEL : 1);
            ps_buf_free(&c.spec);
        }
        for (int si = 0; si < 4; si++) {
            /* snap,cold: no chunk kept past a query (every query decodes) */
            ps_snap_set_cache(snap, si == 3 ? 0 : PS_SNAP_CACHE_DEFAULT);
            many m = { k == 0 ? sel : k == 1 ? &med : &uns, k == 0 ? SEL : 1, srcs[si], 0, 0, 0 };
            double t = bench_time(run_many, &m);
            char vs[32] = "-";
            if (db && si == 0)
                snprintf(vs, sizeof vs, "%.0fx", scan_t / t);
            printf("   %-34s %-9s %8.2fms %12.0f %12.0f %9.2f %9.1f %9s\n", label, names[si],
                   t * 1e3, m.n / t, m.results / t, m.results ? (double)m.atoms / m.results : 0,
                   m.results ? (double)m.nodes / m.results : 0, vs);
        }
    }
    bf_db_free(db);
    for (unsigned i = 0; i < SEL; i++)
        ps_query_free(sel[i]);
    ps_query_free(med);
    ps_query_free(uns);
    ps_act_close(act);
    ps_snap_close(snap);
    ps_space_free(s);
}

/* ------------------------------------------------- 3. family joins */

/* A synthetic genealogy: `people` persons, the first 64 founders; every
 * other person gets a mother and a father among the 2000 before it. */
static ps_space *family(unsigned people)
{
    ps_space *s;
    ps_buf a = { 0 };
    bench_must(ps_space_new(&s), "space");
    uint64_t r = 12345;
    char t[96];
    for (unsigned i = 0; i < people; i++) {
        snprintf(t, sizeof t, "(%s p%u)", i % 2 ? "male" : "female", i);
        ps_buf_clear(&a, 0);
        bench_must(ps_atom_parse(t, strlen(t), &a, NULL) || ps_space_insert(s, ps_buf_bytes(&a), NULL), "fact");
        for (int k = 0; i >= 64 && k < 2; k++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            unsigned lo = i > 2000 ? i - 2000 : 0, par = lo + (unsigned)((r >> 33) % (i - lo));
            par = (par & ~1u) | (unsigned)!k; /* a female, then a male parent */
            if (par >= i)
                par -= 2;
            snprintf(t, sizeof t, "(parent p%u p%u)", par, i);
            ps_buf_clear(&a, 0);
            bench_must(ps_atom_parse(t, strlen(t), &a, NULL) || ps_space_insert(s, ps_buf_bytes(&a), NULL), "fact");
        }
    }
    ps_buf_free(&a);
    return s;
}

/* One join with each algorithm: the nested join on 1 and 2 threads, the
 * leapfrog join on 1 and 2, and which one the planner picks. */
typedef struct jrow {
    double nested[2], leap[2], count; /* count: PS_QUERY_COUNT, the planner's */
    uint64_t solutions, steps[2]; /* nested's, leapfrog's (1 thread) */
    int planner;
} jrow;

static jrow join_row(ps_query *q, ps_source src)
{
    jrow j;
    memset(&j, 0, sizeof j);
    for (unsigned th = 1; th <= 2; th++) {
        qrun r = { q, src, th, { 0 }, 0, PS_JOIN_NESTED };
        j.nested[th - 1] = bench_time(run_query, &r);
        if (th == 1)
            j.solutions = r.st.solutions, j.steps[0] = r.st.nodes;
        r.join = PS_JOIN_LEAPFROG;
        j.leap[th - 1] = bench_time(run_query, &r);
        if (r.st.solutions != j.solutions) {
            printf("   (!) leapfrog: %llu unifiers, nested %llu\n",
                   (unsigned long long)r.st.solutions, (unsigned long long)j.solutions);
            exit(1);
        }
        if (th == 1)
            j.steps[1] = r.st.nodes;
        r.join = PS_JOIN_AUTO;
        run_query(&r);
        j.planner = (int)r.st.join;
    }
    qrun c = { q, src, 1, { 0 }, 0, PS_JOIN_AUTO };
    j.count = bench_time(count_query, &c);
    if (c.st.solutions != j.solutions) {
        printf("   (!) counted: %llu unifiers, enumerated %llu\n",
               (unsigned long long)c.st.solutions, (unsigned long long)j.solutions);
        exit(1);
    }
    return j;
}

static void join_head(void)
{
    printf("   %-12s %10s | %9s %9s | %9s %9s %8s %7s | %9s | %7s %s\n", "join", "unifiers",
           "nested", "2 thr", "leapfrog", "2 thr", "vs nest", "2t/1t", "counted", "steps/u",
           "planner");
}

static void join_print(const char *name, const jrow *j)
{
    printf("   %-12s %10llu | %7.1fms %7.1fms | %7.1fms %7.1fms %7.1fx %6.2fx | %7.1fms | %7.1f %s\n",
           name, (unsigned long long)j->solutions, j->nested[0] * 1e3, j->nested[1] * 1e3,
           j->leap[0] * 1e3, j->leap[1] * 1e3, j->nested[0] / j->leap[0], j->leap[0] / j->leap[1],
           j->count * 1e3, j->solutions ? (double)j->steps[1] / (double)j->solutions : 0,
           j->planner == PS_JOIN_LEAPFROG ? "leapfrog" : "nested");
}

static void joins(unsigned people, unsigned small)
{
    static const char *const js[][3] = {
        { "grandparent", "(, (parent $g $p) (parent $p $c))", "(grandparent $g $c)" },
        { "aunt", "(, (parent $gp $p) (parent $gp $a) (parent $p $c) (female $a))",
          "(aunt $a $c)" },
        { "grandmother", "(, (parent $g $p) (parent $p $c) (female $g))", "(grandmother $g $c)" },
    };
    ps_space *s = family(people), *sm = family(small);
    bf_db *db;
    bench_must(bf_db_new(sm, &db), "brute db");
    printf("   family data: %u people (%llu atoms); the nested-loop scan checks the counts on %u "
           "people (%llu atoms)\n", people, (unsigned long long)ps_space_count(s), small,
           (unsigned long long)ps_space_count(sm));
    join_head();
    for (size_t i = 0; i < sizeof js / sizeof js[0]; i++) {
        ps_query *q = compile(js[i][1], js[i][2]);
        jrow j = join_row(q, ps_source_space(s));
        qrun rs = { q, ps_source_space(sm), 1, { 0 }, 0, PS_JOIN_LEAPFROG };
        run_query(&rs);
        scan c = { db, { 0 }, 0 };
        spec_of(js[i][1], js[i][2], &c.spec);
        bench_time_n(run_scan, &c, 1);
        if (c.solutions != rs.st.solutions) {
            printf("   (!) %s: %llu unifiers, the nested-loop scan %llu\n", js[i][0],
                   (unsigned long long)rs.st.solutions, (unsigned long long)c.solutions);
            exit(1);
        }
        ps_buf_free(&c.spec);
        join_print(js[i][0], &j);
        ps_query_free(q);
    }
    bf_db_free(db);
    ps_space_free(s);
    ps_space_free(sm);
}

/* A power-law graph (Chung-Lu: node i drawn with weight (i + 1)^-1/2),
 * edges (edge a b) with a < b, distinct: triangles and 4-cliques, counted
 * beside by a plain enumerator over sorted adjacency lists. */
typedef struct adj {
    uint32_t *off, *to; /* node a's larger neighbours: to[off[a] .. off[a+1]) */
} adj;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t mix64(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t *power_law(unsigned nodes, size_t m)
{
    double *cum = malloc(nodes * sizeof *cum), tot = 0;
    uint64_t *e = malloc(m * 2 * sizeof *e), st = 7;
    for (unsigned i = 0; i < nodes; i++)
        cum[i] = tot += 1.0 / sqrt(i + 1.0);
    size_t n = 0;
    while (n < m) { /* draw 2m, keep the distinct ones, draw again */
        for (size_t k = n; k < m * 2; k++) {
            uint32_t ab[2];
            do {
                for (int h = 0; h < 2; h++) {
                    double x = (double)(mix64(&st) >> 11) * 0x1p-53 * tot;
                    size_t lo = 0, hi = nodes - 1;
                    while (lo < hi) {
                        size_t mid = (lo + hi) / 2;
                        if (cum[mid] < x)
                            lo = mid + 1;
                        else
                            hi = mid;
                    }
                    ab[h] = (uint32_t)lo;
                }
            } while (ab[0] == ab[1]);
            e[k] = ab[0] < ab[1] ? (uint64_t)ab[0] << 32 | ab[1] : (uint64_t)ab[1] << 32 | ab[0];
        }
        qsort(e, m * 2, sizeof *e, cmp_u64);
        n = 0;
        for (size_t k = 0; k < m * 2 && n < m; k++)
            if (!n || e[k] != e[n - 1])
                e[n++] = e[k];
    }
    free(cum);
    return e;
}

static uint64_t common(const adj *g, uint32_t a, uint32_t b, uint32_t *out)
{
    uint64_t n = 0;
    for (uint32_t i = g->off[a], j = g->off[b]; i < g->off[a + 1] && j < g->off[b + 1];) {
        if (g->to[i] < g->to[j])
            i++;
        else if (g->to[i] > g->to[j])
            j++;
        else
            out[n++] = g->to[i], i++, j++;
    }
    return n;
}

/* Triangles and 4-cliques (each once: a < b < c < d). */
static void cliques_plain(const uint64_t *e, size_t m, unsigned nodes, uint64_t *tri, uint64_t *four)
{
    adj g = { calloc(nodes + 1, sizeof *g.off), malloc(m * sizeof *g.to) };
    for (size_t k = 0; k < m; k++)
        g.off[(e[k] >> 32) + 1]++;
    for (unsigned i = 0; i < nodes; i++)
        g.off[i + 1] += g.off[i];
    for (size_t k = 0; k < m; k++) /* e is sorted: each list comes out sorted */
        g.to[k] = (uint32_t)e[k];
    uint32_t *c1 = malloc(nodes * sizeof *c1), *c2 = malloc(nodes * sizeof *c2);
    *tri = *four = 0;
    for (size_t k = 0; k < m; k++) {
        uint32_t a = (uint32_t)(e[k] >> 32), b = (uint32_t)e[k];
        uint64_t n = common(&g, a, b, c1);
        *tri += n;
        for (uint64_t x = 0; x < n; x++) /* d among c1's that follow c in c's list */
            for (uint64_t y = x + 1; y < n; y++)
                for (uint32_t i = g.off[c1[x]]; i < g.off[c1[x] + 1]; i++)
                    if (g.to[i] == c1[y]) {
                        ++*four;
                        break;
                    }
    }
    (void)c2;
    free(c1), free(c2), free(g.off), free(g.to);
}

static void graphs(int quick)
{
    unsigned nodes = quick ? 2000 : 20000;
    size_t m = quick ? 20000 : 200000;
    uint64_t *e = power_law(nodes, m);
    ps_space *s;
    ps_buf a = { 0 };
    bench_must(ps_space_new(&s), "space");
    char t[64];
    for (size_t k = 0; k < m; k++) {
        snprintf(t, sizeof t, "(edge %u %u)", (unsigned)(e[k] >> 32), (unsigned)e[k]);
        ps_buf_clear(&a, 0);
        bench_must(ps_atom_parse(t, strlen(t), &a, NULL) || ps_space_insert(s, ps_buf_bytes(&a), NULL), "edge");
    }
    ps_buf_free(&a);
    uint64_t want[3] = { 0 };
    cliques_plain(e, m, nodes, &want[1], &want[2]);
    for (size_t k = 0; k < m; k++) { /* 2-paths a-b-c: b's out-degree per edge a-b */
        size_t lo = 0, hi = m;
        uint64_t b = e[k] & 0xFFFFFFFFu;
        while (lo < hi) { /* the first edge from b */
            size_t mid = (lo + hi) / 2;
            if ((e[mid] >> 32) < b)
                lo = mid + 1;
            else
                hi = mid;
        }
        while (lo < m && (e[lo] >> 32) == b)
            want[0]++, lo++;
    }
    printf("   power-law graph: %u nodes, %zu edges (Chung-Lu, weights (i+1)^-1/2)\n", nodes, m);
    join_head();
    static const char *const qs[][3] = {
        { "2-paths", "(, (edge $a $b) (edge $b $c))", "(p $a $c)" },
        { "triangles", "(, (edge $a $b) (edge $b $c) (edge $a $c))", "(t $a $b $c)" },
        { "4-cliques", "(, (edge $a $b) (edge $a $c) (edge $a $d) (edge $b $c) (edge $b $d) "
          "(edge $c $d))", "(q $a $b $c $d)" },
    };
    for (int i = 0; i < 3; i++) {
        ps_query *q = compile(qs[i][1], qs[i][2]);
        jrow j = join_row(q, ps_source_space(s));
        join_print(qs[i][0], &j);
        if (j.solutions != want[i]) {
            printf("   (!) %s: %llu, the plain enumerator %llu\n", qs[i][0],
                   (unsigned long long)j.solutions, (unsigned long long)want[i]);
            exit(1);
        }
        ps_query_free(q);
    }
    printf("   (counts = a plain enumerator over sorted adjacency lists; counted = "
           "PS_QUERY_COUNT, 1 thread: 2-paths factorized, the last edge's ends counted in place)\n");
    ps_space_free(s);
    free(e);
}

/* royal92's families (GEDCOM as MeTTa): who is an aunt or the mother of
 * whom, a chain of six patterns that three variables lead. */
static void royal(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/royal92.metta", data_dir());
    ps_space *s = bench_load(path, 0);
    if (!s) {
        printf("   royal92: skipped (%s not found)\n", path);
        return;
    }
    ps_query *q = compile("(, (Relations $r (Children $k $c)) (Relations $r (Wife $m)) "
                          "(Relations $s (Children $j $m)) (Relations $s (Children $i $a)) "
                          "(Individuals $p (Id $a)) (Individuals $p (Sex \"F\")))",
                          "(aunt-or-mother $a $c)");
    jrow j = join_row(q, ps_source_space(s));
    join_print("royal92 aunt", &j);
    printf("   royal92 aunt: %llu trie steps nested, %llu leapfrog (copies included): %.1f per "
           "unifier (target <= 10)\n", (unsigned long long)j.steps[0],
           (unsigned long long)j.steps[1], (double)j.steps[1] / (double)j.solutions);
    ps_query_free(q);
    ps_space_free(s);
}

/* -------------------------------------------------------- 4. algebra */

typedef struct alg {
    ps_space *a, *b, *work;
    int op;
} alg;

static void run_alg(void *arg)
{
    alg *g = arg;
    ps_space_clear(g->work);
    bench_must(ps_space_union(g->work, g->a), "copy"); /* a fresh a, timed too */
    int rc = g->op == 0 ? ps_space_union(g->work, g->b) : g->op == 1 ? ps_space_intersect(g->work, g->b)
             : ps_space_subtract(g->work, g->b);
    bench_must(rc, "algebra");
}

static void run_copy(void *arg)
{
    alg *g = arg;
    ps_space_clear(g->work);
    bench_must(ps_space_union(g->work, g->a), "copy");
}

typedef struct cmd {
    const char *line;
} cmd;

static void run_cmd(void *arg)
{
    cmd *c = arg;
    if (system(c->line) != 0) {
        fprintf(stderr, "bench: failed: %s\n", c->line);
        exit(1);
    }
}

static void write_text(const ps_space *s, const char *path)
{
    FILE *f = fopen(path, "wb");
    ps_iter *it;
    ps_bytes p;
    ps_buf t = { 0 };
    bench_must(!f || ps_iter_new(s, ps_bytes_of(NULL, 0), &it), "dump");
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        ps_buf_clear(&t, 0);
        ps_atom_print(p, &t);
        ps_buf_append(&t, "\n", 1);
        fwrite(ps_buf_data(&t), 1, t.len, f);
    }
    ps_iter_free(it);
    ps_buf_free(&t);
    fclose(f);
}

static void algebra(uint64_t n, const char *cli)
{
    ps_space *a, *b, *all = bench_gen_space(n + n / 2);
    ps_iter *it;
    ps_bytes p;
    bench_must(ps_space_new(&a) || ps_space_new(&b), "spaces");
    uint64_t i = 0; /* a = atoms [0, n), b = [n/2, 3n/2): half shared */
    bench_must(ps_iter_new(all, ps_bytes_of(NULL, 0), &it), "iter");
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        uint64_t h = i++ * 2654435761u % (n + n / 2); /* a spread of the order */
        if (h < n)
            bench_must(ps_space_insert(a, p, NULL), "a");
        if (h >= n / 2)
            bench_must(ps_space_insert(b, p, NULL), "b");
    }
    ps_iter_free(it);
    ps_space_free(all);
    char d[128], line[1024];
    snprintf(d, sizeof d, "/tmp/bench_query_alg_%d", (int)getpid());
    snprintf(line, sizeof line, "mkdir -p %s", d);
    run_cmd(&(cmd){ line });
    char fa[256], fb[256];
    snprintf(fa, sizeof fa, "%s/a.snap", d);
    snprintf(fb, sizeof fb, "%s/b.snap", d);
    FILE *f = fopen(fa, "wb");
    bench_must(!f || ps_space_write_snap(a, ps_sink_fd(fileno(f)), NULL, NULL), "a.snap");
    fclose(f);
    f = fopen(fb, "wb");
    bench_must(!f || ps_space_write_snap(b, ps_sink_fd(fileno(f)), NULL, NULL), "b.snap");
    fclose(f);
    snprintf(line, sizeof line, "%s/a.txt", d);
    write_text(a, line);
    snprintf(line, sizeof line, "%s/b.txt", d);
    write_text(b, line);
    snprintf(line, sizeof line, "cd %s && LC_ALL=C sort a.txt -o a.txt && LC_ALL=C sort b.txt -o b.txt", d);
    run_cmd(&(cmd){ line });
    printf("   a, b: %llu atoms each, %llu shared\n", (unsigned long long)ps_space_count(a),
           (unsigned long long)(ps_space_count(a) + ps_space_count(b) - n - n / 2));
    alg g = { a, b, NULL, 0 };
    bench_must(ps_space_new(&g.work), "work");
    double copy = bench_time(run_copy, &g);
    printf("   %-10s %14s %16s %18s %16s %9s\n", "op", "result atoms", "in memory (op)", "pathspace CLI .snap",
           "comm on text", "vs comm");
    static const char *const ops[] = { "union", "intersect", "subtract" };
    static const char *const flags[] = { "", "-12", "-23" };
    for (int op = 0; op < 3; op++) {
        g.op = op;
        double t = bench_time(run_alg, &g) - copy;
        uint64_t res = ps_space_count(g.work);
        snprintf(line, sizeof line, "cd %s && %s %s a.snap b.snap -o out.snap -q", d, cli, ops[op]);
        double tc = bench_time(run_cmd, &(cmd){ line });
        if (op == 0)
            snprintf(line, sizeof line, "cd %s && LC_ALL=C sort -m -u a.txt b.txt > out.txt", d);
        else
            snprintf(line, sizeof line, "cd %s && LC_ALL=C comm %s a.txt b.txt > out.txt", d, flags[op]);
        double tm = bench_time(run_cmd, &(cmd){ line });
        printf("   %-10s %14llu %14.1fms %16.1fms %14.1fms %8.1fx\n", ops[op], (unsigned long long)res,
               t * 1e3, tc * 1e3, tm * 1e3, tm / t);
    }
    printf("   in memory: the operation alone (copying a first, %.1f ms, is taken out); the\n"
           "   CLI streams both snapshots and writes one; union's text baseline is sort -m -u.\n", copy * 1e3);
    snprintf(line, sizeof line, "rm -rf %s", d);
    run_cmd(&(cmd){ line });
    ps_space_free(g.work);
    ps_space_free(a);
    ps_space_free(b);
}

int main(int argc, char **argv)
{
    (void)argc;
    setvbuf(stdout, NULL, _IOLBF, 0); /* a table row as soon as it is measured */
    int quick = bench_quick();
    char cli[4096], self[4096];
    /* the CLI beside this program: BUILD/bench/bench_query -> BUILD/pathspace */
    if (!realpath(argv[0], self)) {
        perror(argv[0]);
        return 1;
    }
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(cli, sizeof cli, "%s/../pathspace", self);
    printf("bench_query: queries, joins, algebra (medians of %d runs; one search thread unless "
           "said)\n\n", bench_reps());
    /* PS_BENCH_PART=N runs part N alone */
    const char *part = getenv("PS_BENCH_PART");
#define PART(c) (!part || strchr(part, c))
    if (!quick && PART('1'))
        logic();
    if (!quick && PART('b'))
        logic_sources();
    if (PART('2')) {
        printf("2. one pattern with a constant head, generated atoms\n");
        generated(quick ? 20000 : 1000000, 1);
        if (!quick)
            generated(10000000, 0);
        printf("   atoms/res: stored atoms matched whole per result; steps/res: trie positions\n"
               "   stepped through per result; vs scan: the brute-force matcher over every "
               "atom\n\n");
    }
    if (PART('3')) {
        printf("3. joins: the nested join beside the leapfrog join (unifiers checked: family "
               "data by a nested-loop scan, royal92 by test_query_real against SWI-Prolog)\n");
        joins(quick ? 20000 : 200000, quick ? 1000 : 5000);
        if (!quick)
            royal();
        graphs(quick);
    }
    if (PART('4')) {
        printf("\n4. the algebra\n");
        algebra(quick ? 20000 : 1000000, cli);
    }
#undef PART
    return 0;
}
