/* test_limits.c - the reader limits (pathspace.h, "limits"): the atom limit
 * and the decoding budget, in every reader, refused with an offset before
 * the work is done; raised, the same inputs read. Each case runs in its
 * own process, so the limits it sets go with it. */
#include <string.h>

#include "test.h"
#include "cases.h"

static void set_limits(uint64_t max_atom, uint32_t expansion, uint64_t min_budget)
{
    ps_limits l;
    ps_limits_init(&l);
    l.max_atom = max_atom;
    l.max_expansion = expansion;
    l.min_budget = min_budget;
    REQUIRE_OK(ps_limits_set(&l));
    ps_limits_get(&l);
    CHECK(l.max_atom == max_atom && l.max_expansion == expansion && l.min_budget == min_budget);
}

/* 20,000 generated atoms (about 1 MB of paths) as .paths, ACT and a
 * snapshot, each of which compresses well. */
static void files(ps_buf *paths, ps_buf *act, ps_buf *snap, uint64_t *bytes)
{
    ps_space *s = t_gen_space(3, 20000);
    ps_space_stats st;
    ps_space_stats_get(s, &st);
    *bytes = st.path_bytes;
    CHECK_OK(ps_space_write_paths(s, ps_sink_buf(paths), NULL, NULL));
    CHECK_OK(ps_space_write_act(s, ps_sink_buf(act), NULL));
    CHECK_OK(ps_space_write_snap(s, ps_sink_buf(snap), NULL, NULL));
    ps_space_free(s);
}

static int read_paths(const ps_buf *f, ps_diag *d)
{
    ps_paths_reader *r;
    ps_bytes p;
    int rc;
    REQUIRE_OK(ps_paths_reader_new(ps_buf_data(f), f->len, &r));
    while ((rc = ps_paths_reader_next(r, &p, d)) == PS_OK)
        ;
    ps_paths_reader_free(r);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}

static int read_act(const ps_buf *f, ps_diag *d)
{
    ps_act *a;
    ps_space *s;
    REQUIRE_OK(ps_act_open_mem(ps_buf_data(f), f->len, &a, d));
    REQUIRE_OK(ps_space_new(&s));
    int rc = ps_space_read_act(s, a, d);
    ps_space_free(s);
    ps_act_close(a);
    return rc;
}

static int read_snap(const ps_buf *f, ps_diag *d)
{
    ps_snap *n;
    int rc = ps_snap_open_mem(ps_buf_data(f), f->len, &n, d);
    if (rc)
        return rc;
    rc = ps_snap_verify(n, 1, d);
    ps_snap_close(n);
    return rc;
}

/* A budget of 4x the file (and no floor): every format's paths add up to
 * more than that (they compress 5-8x), so each reader refuses, saying why;
 * with 64x they all read. */
void t_limits_budget(void)
{
    ps_buf paths = { 0 }, act = { 0 }, snap = { 0 };
    uint64_t bytes;
    files(&paths, &act, &snap, &bytes);
    CHECK(paths.len * 4 < bytes && snap.len * 4 < bytes);
    set_limits(PS_ATOM_MAX_DEFAULT, 4, 0);
    ps_diag d = { 0 };
    CHECK_RC(read_paths(&paths, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "decoding budget") && strstr(d.msg, "--max-expansion"));
    CHECK_RC(read_snap(&snap, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "20000 paths") && strstr(d.msg, "decoding budget"));
    /* an ACT is about 40% of its paths: 1x fails it */
    set_limits(PS_ATOM_MAX_DEFAULT, 1, 0);
    CHECK_RC(read_act(&act, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "20000 keys") && strstr(d.msg, "decoding budget"));
    set_limits(PS_ATOM_MAX_DEFAULT, 64, 0);
    CHECK_OK(read_paths(&paths, &d));
    CHECK_OK(read_act(&act, &d));
    CHECK_OK(read_snap(&snap, &d));
    /* the floor: any input may decode to min_budget */
    set_limits(PS_ATOM_MAX_DEFAULT, 1, 64ull << 20);
    CHECK_OK(read_paths(&paths, &d));
    CHECK_OK(read_snap(&snap, &d));
    ps_buf_free(&paths);
    ps_buf_free(&act);
    ps_buf_free(&snap);
}

/* An atom limit below the longest generated atom: every reader refuses
 * that atom (with where it is), none keeps its bytes. */
void t_limits_atom(void)
{
    ps_buf paths = { 0 }, act = { 0 }, snap = { 0 };
    uint64_t bytes;
    files(&paths, &act, &snap, &bytes);
    set_limits(40, PS_EXPANSION_DEFAULT, PS_BUDGET_MIN_DEFAULT);
    ps_diag d = { 0 };
    CHECK_RC(read_paths(&paths, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "atom limit") && strstr(d.msg, "decompressed offset"));
    CHECK_RC(read_act(&act, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "longer than the atom limit of 40 bytes"));
    CHECK_RC(read_snap(&snap, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "atom limit") && strstr(d.msg, "chunk"));
    set_limits(4096, PS_EXPANSION_DEFAULT, PS_BUDGET_MIN_DEFAULT);
    CHECK_OK(read_paths(&paths, &d));
    CHECK_OK(read_act(&act, &d));
    CHECK_OK(read_snap(&snap, &d));
    ps_buf_free(&paths);
    ps_buf_free(&act);
    ps_buf_free(&snap);
}
