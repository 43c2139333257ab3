/* test_sort.c - the external sorter against qsort: many runs on disk,
 * duplicates within and across runs, empty input, nothing left behind. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cases.h"

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int bytes_cmp(const void *a, const void *b)
{
    return ps_bytes_cmp(*(const ps_bytes *)a, *(const ps_bytes *)b);
}

static ps_sorter *sorter_in(const char *dir, uint64_t mem)
{
    ps_sorter_opts o;
    ps_sorter *s = NULL;
    ps_sorter_opts_init(&o);
    o.mem_bytes = mem;
    o.tmp_dir = dir;
    o.threads = 1;
    CHECK_OK(ps_sorter_new(&o, &s));
    return s;
}

void t_sort_vs_qsort(void)
{
    enum { N = 20000 };
    char dir[256];
    REQUIRE(t_tmpdir(dir) != NULL);
    ps_bytes *ref = calloc(N, sizeof *ref);
    uint8_t *pool = malloc((size_t)N * 40);
    ps_sorter *s = sorter_in(dir, 8192); /* a run every ~200 paths */
    REQUIRE(s != NULL);
    for (int i = 0; i < N; i++) {
        /* a small alphabet and a few repeats: prefixes and duplicates */
        uint8_t *p = pool + (size_t)i * 40;
        size_t n = t_below(40);
        if (i > 0 && t_below(8) == 0) {
            ps_bytes r = ref[t_below((uint64_t)i)];
            memcpy(p, r.ptr, r.len);
            n = r.len;
        } else {
            for (size_t j = 0; j < n; j++)
                p[j] = (uint8_t)("a\0\xff"[t_below(3)]);
        }
        ref[i] = ps_bytes_of(p, n);
        CHECK_OK(ps_sorter_add(s, ref[i]));
    }
    uint64_t paths;
    uint32_t runs;
    ps_sorter_counts(s, &paths, &runs);
    CHECK(paths == N && runs > 50);
    CHECK_EQ(files_in(dir), 0); /* runs are unlinked while open */
    qsort(ref, N, sizeof *ref, bytes_cmp);
    ps_bytes p;
    size_t at = 0, out = 0;
    int rc;
    while ((rc = ps_sorter_next(s, &p, NULL)) == PS_OK) {
        while (at + 1 < N && !ps_bytes_cmp(ref[at], ref[at + 1]))
            at++; /* the reference's duplicates */
        if (at >= N || ps_bytes_cmp(p, ref[at])) {
            t_failf(__FILE__, __LINE__, "path %zu differs from the reference", out);
            break;
        }
        at++;
        out++;
    }
    CHECK_RC(rc, PS_E_EMPTY);
    CHECK_EQ(at, N);
    CHECK_RC(ps_sorter_next(s, &p, NULL), PS_E_EMPTY); /* and stays at the end */
    CHECK_RC(ps_sorter_add(s, ref[0]), PS_E_INVAL);    /* input ended */
    ps_sorter_free(s);
    CHECK_EQ(files_in(dir), 0);
    t_rmtree(dir);
    free(ref);
    free(pool);
}

void t_sort_edges(void)
{
    char dir[256];
    REQUIRE(t_tmpdir(dir) != NULL);
    ps_bytes p;
    ps_sorter *s = sorter_in(dir, 1 << 20); /* empty input */
    REQUIRE(s != NULL);
    CHECK_RC(ps_sorter_next(s, &p, NULL), PS_E_EMPTY);
    ps_sorter_free(s);
    s = sorter_in(dir, 1 << 20); /* in memory only, the empty path first */
    REQUIRE(s != NULL);
    CHECK_OK(ps_sorter_add(s, ps_bytes_of("b", 1)));
    CHECK_OK(ps_sorter_add(s, ps_bytes_of(NULL, 0)));
    CHECK_OK(ps_sorter_add(s, ps_bytes_of("b", 1)));
    CHECK(ps_sorter_next(s, &p, NULL) == PS_OK && p.len == 0);
    CHECK(ps_sorter_next(s, &p, NULL) == PS_OK && p.len == 1 && p.ptr[0] == 'b');
    CHECK_RC(ps_sorter_next(s, &p, NULL), PS_E_EMPTY);
    uint32_t runs;
    ps_sorter_counts(s, NULL, &runs);
    CHECK_EQ(runs, 0);
    ps_sorter_free(s);
    ps_sorter_opts o;
    ps_sorter_opts_init(&o);
    o.mem_bytes = 100; /* too small to be useful */
    CHECK_RC(ps_sorter_new(&o, &s), PS_E_INVAL);
    ps_sorter_opts_init(&o);
    o.tmp_dir = "/nonexistent/dir";
    o.mem_bytes = 4096;
    REQUIRE_OK(ps_sorter_new(&o, &s));
    int rc = PS_OK;
    for (int i = 0; i < 1000 && rc == PS_OK; i++)
        rc = ps_sorter_add(s, ps_bytes_of("some path bytes", 15));
    CHECK_RC(rc, PS_E_IO); /* the first run cannot be written */
    CHECK_RC(ps_sorter_next(s, &p, NULL), PS_E_IO);
    ps_sorter_free(s);
    t_rmtree(dir);
}
