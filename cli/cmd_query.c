/* cmd_query.c - pathspace query and transform (docs/query.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char query_usage[] =
    "usage: pathspace query SRC PATTERN [TEMPLATE] [--count] [--limit N] [--threads N]\n"
    "                       [--stats] [--join auto|nested|leapfrog] [--unifiers]\n"
    "  Matches PATTERN against every atom of SRC (any format; an ACT or a snapshot\n"
    "  is queried in place, a directory is a persistent space) by unification, and\n"
    "  prints each distinct instantiated TEMPLATE as MeTTa text, one per line, in\n"
    "  trie order. PATTERN is an atom or a conjunction (, P1 P2 ...) whose patterns\n"
    "  share their variables; TEMPLATE is an atom or (, T1 T2 ...), by default the\n"
    "  pattern itself. Variables may stand on both sides (docs/query.md).\n"
    "  SRC s3://BUCKET/PREFIX is a replicated space, read where it lies: its\n"
    "  checkpoint by byte range, only the chunks the query reaches (the log\n"
    "  after it, if any, makes it read whole; docs/replication.md)\n"
    "  --count     print the number of distinct results instead\n"
    "  --unifiers  print the number of solutions (unifiers) instead, counted\n"
    "              without building the results (factorized where the plan allows)\n"
    "  --limit N   stop after N distinct results (the first found)\n"
    "  --threads N search threads (default: one per CPU)\n"
    "  --stats     report the search's work on stderr\n"
    "  --join J    the join algorithm: auto (the planner's choice), nested (one\n"
    "              pattern at a time) or leapfrog (one variable at a time, worst-\n"
    "              case optimal); the results are the same (docs/query.md)\n"
    "  Exit status: 0 with results, 1 with none, 2 on an error, 3 when --limit\n"
    "  stopped the search before it finished (said on stderr too).\n";

static const char transform_usage[] =
    "usage: pathspace transform SRC PATTERN TEMPLATE -o OUT [--stats] [convert's\n"
    "                           output options]\n"
    "  Writes SRC plus every instantiated TEMPLATE of the query (MORK's transform)\n"
    "  to OUT, in the format of its extension (or --to FMT). SRC is read in place\n"
    "  when it is an ACT or a snapshot; OUT appears only when complete.\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

ps_source src_source(const src *x)
{
    return x->a ? ps_source_act(x->a) : x->n ? ps_source_snap(x->n) : ps_source_space(x->s);
}

int query_compile(const char *pat, const char *tpl, ps_query **q)
{
    ps_diag d = { 0 };
    int rc = ps_query_parse(pat, strlen(pat), tpl, tpl ? strlen(tpl) : 0, q, &d);
    if (!rc)
        return 0;
    /* the library says which part: "pattern: ..." or "template: ..." */
    int t = !strncmp(d.msg, "template: ", 10), p = !strncmp(d.msg, "pattern: ", 9);
    return die("%s:%u:%u: %s", t ? "TEMPLATE" : "PATTERN", d.line, d.col,
               d.msg + (t ? 10 : p ? 9 : 0));
}

/* ps_query_into's work, with a progress line: distinct results go into
 * out, up to limit (0: all). */
typedef struct into {
    ps_space *out;
    uint64_t limit, seen;
    int rc;
    progress pr;
} into;

static int add_result(void *ctx, ps_bytes r)
{
    into *t = ctx;
    int added = 0;
    if ((t->rc = ps_space_insert(t->out, r, &added)))
        return 1;
    if ((++t->seen & 0xFFF) == 0)
        progress_at(&t->pr, ps_space_count(t->out));
    return t->limit && added && ps_space_count(t->out) == t->limit;
}

/* Runs q on x into out; reports an error (exit 2). */
int query_into(const ps_query *q, const src *x, uint64_t limit, unsigned threads,
               ps_space *out, int stats, int join)
{
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = threads;
    o.join = join;
    ps_query_stats st;
    ps_diag d = { 0 };
    double t0 = now();
    into t = { out, limit, 0, PS_OK, { 0 } };
    progress_begin(&t.pr, "query", "distinct results", 0, 0);
    int rc = ps_query_run(q, src_source(x), &o, add_result, &t, &st, &d);
    progress_end(&t.pr);
    if (!rc && t.rc) {
        rc = t.rc;
        snprintf(d.msg, sizeof d.msg, "adding a result: %s", ps_strerror(rc));
    }
    if (rc)
        return diag_die(x->name, &d, rc) + 1;
    if (stats)
        fprintf(stderr, "query: %" PRIu64 " distinct results of %" PRIu64 " (%" PRIu64
                " unifiers), %" PRIu64 " atoms matched, %" PRIu64 " trie steps, %" PRIu64
                " chunks decoded, %s join, %.3f s\n", ps_space_count(out), st.results,
                st.solutions, st.atoms, st.nodes, st.chunks,
                st.join == PS_JOIN_LEAPFROG ? "leapfrog" : "nested", now() - t0);
    return 0;
}

/* A pattern on a bucket read in place: the chunks its constant prefix
 * reaches are read at once, not one round trip at a time as the search
 * reaches them. A conjunction's patterns are read as reached. */
static int bucket_prefetch(const src *x, const char *pat)
{
    ps_buf b = { 0 };
    ps_diag d = { 0 };
    int rc = PS_OK;
    if (!ps_atom_parse(pat, strlen(pat), &b, &d) && ps_buf_len(&b) > 0 &&
        strncmp(pat + strspn(pat, " \t\n("), ",", 1)) {
        size_t n = ps_atom_prefix(ps_buf_bytes(&b));
        rc = ps_bucket_fetch(x->bk, ps_bytes_of(ps_buf_data(&b), n), &d);
    }
    ps_buf_free(&b);
    return rc ? diag_die(x->name, &d, rc) + 1 : 0;
}

static void bucket_report(const src *x)
{
    ps_bucket_info bi;
    ps_bucket_info_get(x->bk, &bi);
    fprintf(stderr, "bucket: through seq %" PRIu64 ", %s; %" PRIu64 " reads, %" PRIu64
            " bytes of a %" PRIu64 "-byte snapshot\n", bi.seq,
            bi.in_place ? "read in place" : "read whole, with the changes after its checkpoint",
            bi.reads, bi.bytes, bi.snap_bytes);
}

/* --unifiers: the solutions counted (PS_QUERY_COUNT), nothing built. */
static int count_unifiers(const ps_query *q, const src *x, unsigned threads, int join, int stats)
{
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.mode = PS_QUERY_COUNT;
    o.threads = threads;
    o.join = join;
    ps_query_stats st;
    ps_diag d = { 0 };
    double t0 = now();
    int rc = ps_query_run(q, src_source(x), &o, NULL, NULL, &st, &d);
    if (rc)
        return diag_die(x->name, &d, rc) + 1;
    printf("%" PRIu64 "\n", st.solutions);
    if (stats)
        fprintf(stderr, "query: %" PRIu64 " unifiers counted, %" PRIu64 " atoms matched, %" PRIu64
                " trie steps, %s join, %.3f s\n", st.solutions, st.atoms, st.nodes,
                st.join == PS_JOIN_LEAPFROG ? "leapfrog" : "nested", now() - t0);
    return st.solutions ? EXIT_RESULTS : EXIT_NONE;
}

int cmd_query(int argc, char **argv)
{
    if (has_help(argc, argv, query_usage))
        return 0;
    const char *pos[3];
    int npos = 0, count = 0, stats = 0;
    uint64_t limit = 0, threads = 0;
    int join = PS_JOIN_AUTO, unifiers = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--unifiers")) {
            unifiers = 1;
        } else if (!strcmp(a, "--join")) {
            const char *j = i + 1 < argc ? argv[++i] : "";
            join = !strcmp(j, "auto") ? PS_JOIN_AUTO : !strcmp(j, "nested") ? PS_JOIN_NESTED
                   : !strcmp(j, "leapfrog") ? PS_JOIN_LEAPFROG : -1;
            if (join < 0)
                return die("query: --join needs auto, nested or leapfrog") + 1;
        } else if (!strcmp(a, "--count")) {
            count = 1;
        } else if (!strcmp(a, "--stats")) {
            stats = 1;
        } else if (!strcmp(a, "--limit")) {
            if (i + 1 == argc || parse_u64(argv[++i], &limit) || !limit)
                return die("query: --limit N needs a count from 1") + 1;
        } else if (!strcmp(a, "--threads")) {
            if (i + 1 == argc || parse_u64(argv[++i], &threads) || !threads || threads > 256)
                return die("query: --threads N needs a count from 1 to 256") + 1;
        } else if (!strncmp(a, "--", 2) || npos == 3) {
            return die("query: unexpected argument '%s' (see --help)", a) + 1;
        } else {
            pos[npos++] = a;
        }
    }
    if (npos < 2)
        return die("query: needs SRC and PATTERN (see --help)") + 1;
    ps_query *q;
    if (query_compile(pos[1], npos == 3 ? pos[2] : NULL, &q))
        return 2;
    src x;
    if (src_open(&x, pos[0], FMT_NONE) || (x.bk && bucket_prefetch(&x, pos[1]))) {
        src_close(&x);
        ps_query_free(q);
        return 2;
    }
    if (unifiers) {
        int rc = limit ? die("query: --unifiers counts them all: no --limit") + 1
                       : count_unifiers(q, &x, (unsigned)threads, join, stats);
        src_close(&x);
        ps_query_free(q);
        return rc;
    }
    ps_space *out;
    int rc = ps_space_new(&out) ? die("out of memory") + 1 : 0;
    if (!rc)
        rc = query_into(q, &x, limit, (unsigned)threads, out, stats, join);
    if (!rc && count) {
        printf("%" PRIu64 "\n", ps_space_count(out));
    } else if (!rc) {
        src r = { .name = "results", .f = PS_FORMAT_METTA, .s = out };
        wopts o = { .out = "-", .to = PS_FORMAT_METTA, .quiet = 1 };
        rc = write_dest(&r, &o) ? 2 : 0;
    }
    if (!rc && fflush(stdout))
        rc = die("stdout: write failed") + 1;
    if (stats && x.bk)
        bucket_report(&x);
    uint64_t n = out ? ps_space_count(out) : 0;
    ps_space_free(out);
    src_close(&x);
    ps_query_free(q);
    if (!rc && limit && n == limit) {
        fprintf(stderr, "query: stopped at --limit %" PRIu64 ": the search did not finish, so "
                        "there may be more\n", limit);
        return EXIT_CUT;
    }
    return rc ? rc : n ? EXIT_RESULTS : EXIT_NONE;
}

int cmd_transform(int argc, char **argv)
{
    if (has_help(argc, argv, transform_usage))
        return 0;
    wopts o = { 0 };
    const char *pos[3];
    int npos = 0, stats = 0;
    for (int i = 1; i < argc; i++) {
        int w = wopts_arg(&o, argc, argv, &i);
        if (w < 0)
            return 2;
        if (w)
            continue;
        if (!strcmp(argv[i], "--stats"))
            stats = 1;
        else if (!strncmp(argv[i], "--", 2) || npos == 3)
            return die("transform: unexpected argument '%s' (see --help)", argv[i]) + 1;
        else
            pos[npos++] = argv[i];
    }
    if (npos != 3 || !o.out)
        return die("transform: needs SRC PATTERN TEMPLATE -o OUT (see --help)") + 1;
    if ((o.to = fmt_out("transform", o.out, o.to)) == FMT_NONE)
        return 2;
    ps_query *q;
    if (query_compile(pos[1], pos[2], &q))
        return 2;
    src x[2];
    memset(x, 0, sizeof x);
    int rc = src_open(&x[0], pos[0], o.from) ? 2 : 0;
    if (!rc && ps_space_new(&x[1].s))
        rc = die("out of memory") + 1;
    x[1].name = "results";
    if (!rc)
        rc = query_into(q, &x[0], 0, o.threads, x[1].s, stats, PS_JOIN_AUTO);
    if (!rc) /* SRC and the results, merged as two sorted streams */
        rc = alg_write(x, 2, ALG_UNION, &o) ? 2 : 0;
    ps_space_free(x[1].s);
    src_close(&x[0]);
    ps_query_free(q);
    return rc;
}
