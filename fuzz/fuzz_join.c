/*
 * fuzz_join.c - the join planner on random conjunctions: whichever
 * algorithm runs, the answer is the same.
 *
 * The input's bytes drive a generator: a space of relations e, f (two
 * arguments) and w (three) over a small alphabet, some arguments nested
 * (h x) and, where the bytes say so, stored variables; then a conjunction
 * of 1 to 6 patterns over five variables, with constants, nested terms and
 * repeated variables, so that cycles, leading variables, out-of-order
 * patterns (copies) and the fallback to the nested join all come up. The
 * nested join, the leapfrog join and the planner's choice, on 1 and 3
 * threads, must give the same distinct results and the same number of
 * unifiers, counted (PS_QUERY_COUNT, factorized where the plan allows) as
 * well as enumerated; the leapfrog join's results must come in the same
 * order on 1 and 3 threads.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "pathspace.h"

typedef struct gen {
    const uint8_t *p, *end;
    char buf[4096];
    size_t len;
} gen;

static unsigned pick(gen *g, unsigned n)
{
    return g->p < g->end ? (unsigned)(*g->p++ % n) : 0;
}

static void put(gen *g, const char *s)
{
    size_t n = strlen(s);
    if (g->len + n < sizeof g->buf)
        memcpy(g->buf + g->len, s, n), g->len += n;
}

static void arg(gen *g, int query)
{
    static const char *const sym[] = { "a", "b", "c", "d" };
    static const char *const var[] = { " $x0", " $x1", " $x2", " $x3", " $x4" };
    unsigned k = pick(g, 16);
    if (k < 8 && query) {
        put(g, var[k % 5]);
    } else if (k == 8) {
        put(g, " (h");
        arg(g, query);
        put(g, ")");
    } else if (k == 9 && !query && pick(g, 4) == 0) {
        put(g, " $v"); /* a stored variable, rarely */
    } else {
        put(g, " ");
        put(g, sym[k % 4]);
    }
}

static void atom(gen *g, int query)
{
    static const char *const rel[] = { "(e", "(f", "(w" };
    unsigned r = pick(g, 3);
    put(g, rel[r]);
    for (unsigned i = 0; i < 2 + (r == 2); i++)
        arg(g, query);
    put(g, ")");
}

typedef struct run {
    ps_space *set;
    ps_buf seq;
} run;

static int take(void *ctx, ps_bytes r)
{
    run *x = ctx;
    uint8_t le[4];
    ps_write_le32(le, (uint32_t)r.len);
    REQUIRE(ps_space_insert(x->set, r, NULL) == PS_OK);
    REQUIRE(ps_buf_append(&x->seq, le, 4) == PS_OK && ps_buf_append(&x->seq, r.ptr, r.len) == PS_OK);
    return 0;
}

static int same_set(const ps_space *a, const ps_space *b)
{
    if (ps_space_count(a) != ps_space_count(b))
        return 0;
    ps_iter *it;
    ps_bytes p;
    int same = 1;
    REQUIRE(ps_iter_new(a, ps_bytes_of(NULL, 0), &it) == PS_OK);
    while (same && ps_iter_next(it, &p, NULL, NULL) == PS_OK)
        same = ps_space_contains(b, p);
    ps_iter_free(it);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gen g = { data, data + size, { 0 }, 0 };
    ps_space *s;
    ps_diag d = { 0 };
    REQUIRE(ps_space_new(&s) == PS_OK);
    for (unsigned i = 0, n = 1 + pick(&g, 40); i < n; i++) {
        g.len = 0;
        atom(&g, 0);
        REQUIRE(ps_space_load(s, g.buf, g.len, PS_FORMAT_METTA, &d) == PS_OK);
        if (getenv("FUZZ_JOIN_SHOW")) /* what a failing input means */
            fprintf(stderr, "%.*s\n", (int)g.len, g.buf);
    }
    g.len = 0;
    put(&g, "(,");
    for (unsigned i = 0, n = 1 + pick(&g, 6); i < n; i++) {
        put(&g, " ");
        atom(&g, 1);
    }
    put(&g, ")");
    if (getenv("FUZZ_JOIN_SHOW"))
        fprintf(stderr, "query %.*s\n", (int)g.len, g.buf);
    static const char tpl[] = "(t $x0 $x1 $x2 $x3 $x4)";
    ps_query *q;
    REQUIRE(ps_query_parse(g.buf, g.len, tpl, sizeof tpl - 1, &q, &d) == PS_OK);
    static const int joins[] = { PS_JOIN_NESTED, PS_JOIN_LEAPFROG, PS_JOIN_AUTO };
    run first = { NULL, { 0 } }, one = { NULL, { 0 } };
    uint64_t sols = 0;
    for (int j = 0; j < 3; j++) {
        for (unsigned th = 1; th <= 3; th += 2) {
            run x = { NULL, { 0 } };
            REQUIRE(ps_space_new(&x.set) == PS_OK);
            ps_query_opts o;
            ps_query_opts_init(&o);
            o.join = joins[j];
            o.threads = th;
            ps_query_stats st;
            REQUIRE(ps_query_run(q, ps_source_space(s), &o, take, &x, &st, &d) == PS_OK);
            if (!first.set) {
                first = x, sols = st.solutions;
                continue;
            }
            REQUIRE(same_set(first.set, x.set) && st.solutions == sols);
            if (joins[j] == PS_JOIN_LEAPFROG && st.join == PS_JOIN_LEAPFROG) {
                if (th == 1)
                    one = x, x.set = NULL, x.seq = (ps_buf){ 0 };
                else /* the same order on 3 threads */
                    REQUIRE(one.seq.len == x.seq.len &&
                            (!x.seq.len ||
                             !memcmp(ps_buf_data(&one.seq), ps_buf_data(&x.seq), x.seq.len)));
            }
            ps_space_free(x.set);
            ps_buf_free(&x.seq);
            o.mode = PS_QUERY_COUNT; /* counted, not built: the same number */
            REQUIRE(ps_query_run(q, ps_source_space(s), &o, NULL, NULL, &st, &d) == PS_OK);
            REQUIRE(st.solutions == sols && !st.results);
        }
    }
    ps_space_free(first.set);
    ps_buf_free(&first.seq);
    ps_space_free(one.set);
    ps_buf_free(&one.seq);
    ps_query_free(q);
    ps_space_free(s);
    return 0;
}
