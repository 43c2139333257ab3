/*
 * fuzz_query.c - the query compilers and the engine on arbitrary bytes.
 *
 * Input: data atoms (MeTTa text) up to the first NUL byte, then a query:
 * as text (pattern up to a newline, then the template) and the same bytes
 * as a binary spec (what a server client sends, ps_query_new). Whatever
 * compiles runs on the data as a space, an ACT and a snapshot, with a cap
 * on the results; every result must be a canonical atom, and when no run
 * was cut short the three sources must give the same distinct results.
 */
#include <string.h>

#include "fuzz.h"
#include "pathspace.h"

#define MAX_RESULTS 20000

typedef struct sink {
    ps_space *s;
    unsigned n;
} sink;

static int take(void *ctx, ps_bytes r)
{
    sink *k = ctx;
    size_t len;
    REQUIRE(ps_atom_check(r, &len, NULL) == PS_OK && len == r.len);
    REQUIRE(ps_space_insert(k->s, r, NULL) == PS_OK);
    return ++k->n == MAX_RESULTS;
}

static void dump(const ps_space *s, ps_buf *out)
{
    ps_iter *it;
    ps_bytes p;
    ps_buf_clear(out, 0);
    REQUIRE(ps_iter_new(s, ps_bytes_of(NULL, 0), &it) == PS_OK);
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        uint8_t len[4];
        ps_write_le32(len, (uint32_t)p.len);
        REQUIRE(ps_buf_append(out, len, 4) == PS_OK && ps_buf_append(out, p.ptr, p.len) == PS_OK);
    }
    ps_iter_free(it);
}

static void run_all(const ps_query *q, ps_source *src, int threads)
{
    ps_buf first = { 0 }, other = { 0 };
    int cut = 0;
    for (int i = 0; i < 3; i++) {
        sink k = { NULL, 0 };
        ps_query_opts o;
        ps_query_opts_init(&o);
        o.threads = (unsigned)threads;
        ps_diag d = { 0 };
        REQUIRE(ps_space_new(&k.s) == PS_OK);
        int rc = ps_query_run(q, src[i], &o, take, &k, NULL, &d);
        REQUIRE(rc == PS_OK || rc == PS_E_LIMIT); /* > 64 variables, or too deep */
        if (rc == PS_E_LIMIT)
            REQUIRE(d.msg[0]);
        cut |= rc != PS_OK || k.n == MAX_RESULTS;
        dump(k.s, i ? &other : &first);
        if (i && !cut)
            REQUIRE(other.len == first.len &&
                    (!first.len || !memcmp(ps_buf_data(&other), ps_buf_data(&first), first.len)));
        ps_space_free(k.s);
    }
    ps_buf_free(&first);
    ps_buf_free(&other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t dlen = nul ? (size_t)(nul - data) : size;
    const uint8_t *qt = nul ? nul + 1 : data + size;
    size_t qlen = (size_t)(data + size - qt);
    ps_space *s;
    ps_parser *p;
    ps_bytes a;
    REQUIRE(ps_space_new(&s) == PS_OK && ps_parser_new(&p) == PS_OK);
    ps_parser_reset(p, data, dlen);
    for (int n = 0; n < 64 && ps_parser_next(p, &a, NULL) == PS_OK; n++)
        REQUIRE(ps_space_insert(s, a, NULL) == PS_OK);
    ps_parser_free(p);
    ps_buf act = { 0 }, snap = { 0 };
    ps_act *ac;
    ps_snap *sn;
    ps_snap_opts so;
    ps_snap_opts_init(&so);
    so.threads = 1;
    so.chunk_size = PS_SNAP_CHUNK_MIN;
    REQUIRE(ps_space_write_act(s, ps_sink_buf(&act), NULL) == PS_OK);
    REQUIRE(ps_act_open_mem(ps_buf_data(&act), act.len, &ac, NULL) == PS_OK);
    REQUIRE(ps_space_write_snap(s, ps_sink_buf(&snap), &so, NULL) == PS_OK);
    REQUIRE(ps_snap_open_mem(ps_buf_data(&snap), snap.len, &sn, NULL) == PS_OK);
    ps_source src[3] = { ps_source_space(s), ps_source_act(ac), ps_source_snap(sn) };
    /* text: the pattern to the first newline, then the template */
    const uint8_t *nl = memchr(qt, '\n', qlen);
    size_t plen = nl ? (size_t)(nl - qt) : qlen;
    ps_query *q = NULL;
    ps_diag d = { 0 };
    int rc = ps_query_parse((const char *)qt, plen, nl ? (const char *)nl + 1 : NULL,
                            nl ? qlen - plen - 1 : 0, &q, &d);
    if (rc == PS_OK) {
        run_all(q, src, 1 + (int)(qlen & 1));
        ps_query_free(q);
    } else {
        REQUIRE(d.msg[0]);
    }
    /* the same bytes as a binary spec */
    if (ps_query_new(ps_bytes_of(qt, qlen), &q, &d) == PS_OK) {
        run_all(q, src, 1);
        ps_query_free(q);
    }
    ps_act_close(ac);
    ps_snap_close(sn);
    ps_buf_free(&act);
    ps_buf_free(&snap);
    ps_space_free(s);
    return 0;
}
