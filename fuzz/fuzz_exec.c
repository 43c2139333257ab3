/*
 * fuzz_exec.c - the exec interpreter and the pure evaluator on arbitrary
 * programs.
 *
 * Input: MeTTa text (data and exec atoms; what does not parse is
 * skipped). It runs as a program with a small budget of steps, results,
 * bytes and work, twice: both runs must end, leave only canonical atoms,
 * and end in the same space (a run depends on nothing but its input).
 * Every atom of the input is also evaluated as a pure expression: a value
 * must be one canonical term.
 */
#include <string.h>

#include "exec/pure.h"
#include "fuzz.h"
#include "pathspace.h"

static ps_space *load(const uint8_t *data, size_t size)
{
    ps_space *s;
    ps_parser *p;
    ps_bytes a;
    REQUIRE(ps_space_new(&s) == PS_OK);
    REQUIRE(ps_parser_new(&p) == PS_OK);
    ps_parser_reset(p, data, size);
    for (unsigned n = 0; n < 256;) {
        int rc = ps_parser_next(p, &a, NULL);
        if (rc == PS_E_EMPTY)
            break;
        if (rc) { /* skip a bad atom: resume after it, if the parser can */
            size_t at = ps_parser_offset(p);
            if (at >= size)
                break;
            ps_parser_reset(p, data + at + 1, size - at - 1);
            data += at + 1, size -= at + 1;
            continue;
        }
        REQUIRE(ps_space_insert(s, a, NULL) == PS_OK);
        n++;
        ps_buf v = { 0 };
        if (ps__pure_eval(a.ptr, a.len, &v) == PURE_OK) {
            size_t len;
            REQUIRE(ps_atom_check(ps_buf_bytes(&v), &len, NULL) == PS_OK && len == v.len);
        }
        ps_buf_free(&v);
    }
    ps_parser_free(p);
    return s;
}

static void run(ps_space *s)
{
    ps_exec_opts o;
    ps_exec_opts_init(&o);
    o.steps = 40;
    o.max_results = 4000;
    o.max_bytes = 1u << 20;
    o.max_work = 200000;
    ps_exec_stats st;
    REQUIRE(ps_space_exec(s, &o, &st, NULL) == PS_OK);
    REQUIRE(st.execs <= 41);
}

static int same(const ps_space *a, const ps_space *b)
{
    ps_iter *x, *y;
    ps_bytes p, q;
    int eq = ps_space_count(a) == ps_space_count(b);
    REQUIRE(ps_iter_new(a, ps_bytes_of(NULL, 0), &x) == PS_OK);
    REQUIRE(ps_iter_new(b, ps_bytes_of(NULL, 0), &y) == PS_OK);
    while (eq && ps_iter_next(x, &p, NULL, NULL) == PS_OK) {
        size_t len;
        REQUIRE(ps_atom_check(p, &len, NULL) == PS_OK && len == p.len);
        eq = ps_iter_next(y, &q, NULL, NULL) == PS_OK && ps_bytes_cmp(p, q) == 0;
    }
    ps_iter_free(x);
    ps_iter_free(y);
    return eq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 14)
        return 0;
    ps_space *a = load(data, size), *b = load(data, size);
    run(a);
    run(b);
    REQUIRE(same(a, b));
    ps_space_free(a);
    ps_space_free(b);
    return 0;
}
