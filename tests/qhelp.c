/* qhelp.c - see qhelp.h. */
#include <stdlib.h>
#include <string.h>

#include "qhelp.h"
#include "test.h"

const char *const q_source_name[3] = { "space", "ACT", "snapshot" };

ps_space *q_space(const char *text)
{
    ps_space *s;
    ps_parser *p;
    ps_bytes a;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_space_new(&s));
    REQUIRE_OK(ps_parser_new(&p));
    ps_parser_reset(p, text, strlen(text));
    int rc;
    while ((rc = ps_parser_next(p, &a, &d)) == PS_OK)
        REQUIRE_OK(ps_space_insert(s, a, NULL));
    if (rc != PS_E_EMPTY)
        t_failf(__FILE__, __LINE__, "data text: %u:%u: %s", d.line, d.col, d.msg);
    ps_parser_free(p);
    return s;
}

void q_sources_open(q_sources *x, ps_space *s, uint32_t chunk_size)
{
    memset(x, 0, sizeof *x);
    x->s = s;
    REQUIRE_OK(ps_space_write_act(s, ps_sink_buf(&x->act_bytes), NULL));
    ps_snap_opts o;
    ps_snap_opts_init(&o);
    o.threads = 1;
    o.chunk_size = chunk_size;
    REQUIRE_OK(ps_space_write_snap(s, ps_sink_buf(&x->snap_bytes), &o, NULL));
    REQUIRE_OK(ps_act_open_mem(ps_buf_data(&x->act_bytes), x->act_bytes.len, &x->act, NULL));
    REQUIRE_OK(ps_snap_open_mem(ps_buf_data(&x->snap_bytes), x->snap_bytes.len, &x->snap, NULL));
}

void q_sources_close(q_sources *x)
{
    ps_act_close(x->act);
    ps_snap_close(x->snap);
    ps_buf_free(&x->act_bytes);
    ps_buf_free(&x->snap_bytes);
    ps_space_free(x->s);
    memset(x, 0, sizeof *x);
}

ps_source q_source(const q_sources *x, int i)
{
    return i == 0 ? ps_source_space(x->s) : i == 1 ? ps_source_act(x->act)
                                                   : ps_source_snap(x->snap);
}

char *q_dump(const ps_space *s)
{
    ps_buf out = { 0 };
    ps_iter *it;
    ps_bytes p;
    REQUIRE_OK(ps_iter_new(s, ps_bytes_of(NULL, 0), &it));
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        REQUIRE_OK(ps_atom_print(p, &out));
        REQUIRE_OK(ps_buf_append(&out, "\n", 1));
    }
    ps_iter_free(it);
    REQUIRE_OK(ps_buf_append(&out, "", 1));
    char *r = strdup((const char *)ps_buf_data(&out));
    ps_buf_free(&out);
    return r;
}

char *q_results(const ps_query *q, ps_source src, int *rc, ps_query_stats *st)
{
    return q_results_threads(q, src, 1, rc, st);
}

char *q_results_threads(const ps_query *q, ps_source src, unsigned threads, int *rc,
                        ps_query_stats *st)
{
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = threads;
    return q_results_opts(q, src, &o, rc, st);
}

char *q_results_opts(const ps_query *q, ps_source src, const ps_query_opts *o, int *rc,
                     ps_query_stats *st)
{
    ps_space *out;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_space_new(&out));
    *rc = ps_query_into(q, src, o, out, NULL, st, &d);
    char *r = *rc ? NULL : q_dump(out);
    ps_space_free(out);
    return r;
}

void q_check(const char *file, int line, const char *data, const char *pat, const char *tpl,
             const char *want)
{
    ps_query *q;
    ps_diag d = { 0 };
    int rc = ps_query_parse(pat, strlen(pat), tpl, tpl ? strlen(tpl) : 0, &q, &d);
    if (rc) {
        t_failf(file, line, "query %s: %u:%u: %s", pat, d.line, d.col, d.msg);
        return;
    }
    q_sources x;
    q_sources_open(&x, q_space(data), PS_SNAP_CHUNK_MIN);
    for (int i = 0; i < 3; i++) {
        char *got = q_results(q, q_source(&x, i), &rc, NULL);
        if (rc)
            t_failf(file, line, "%s on the %s: %s", pat, q_source_name[i], ps_strerror(rc));
        else if (strcmp(got, want))
            t_failf(file, line, "%s on the %s:\n--- got\n%s--- want\n%s", pat, q_source_name[i],
                    got, want);
        free(got);
    }
    q_sources_close(&x);
    ps_query_free(q);
}

void q_check_prolog(const char *file, int line, const pl_prog *pl, ps_space *const *want,
                    unsigned n, unsigned round, const char *const *what)
{
    ps_space **pw = calloc(n, sizeof *pw);
    char msg[200];
    REQUIRE(pw);
    if (pl_run(pl, pw, NULL, msg, sizeof msg)) {
        t_failf(file, line, "round %u: %s", round, msg);
        free(pw);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        char *a = q_dump(want[i]), *b = q_dump(pw[i]);
        if (strcmp(a, b))
            t_failf(file, line, "round %u query %u: %s\n--- ours\n%s--- Prolog\n%s", round, i,
                    what && what[i] ? what[i] : "", a, b);
        free(a);
        free(b);
        ps_space_free(pw[i]);
    }
    free(pw);
}
