/* cmd_gen.c - the synthetic knowledge base generator. */
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace gen --atoms N [--seed S] [-o OUT] [--to FMT] [--mem BYTES]\n"
    "                     [--tmp DIR] [write options of convert]\n"
    "  Writes N distinct atoms of a deterministic synthetic knowledge base\n"
    "  (same N and S, same atoms; shape: docs/gen.md). As MeTTa text (to OUT or\n"
    "  stdout) in generation order; or, when OUT is a .snap, .paths or .act (or\n"
    "  --to says so), as that file in key order: the atoms are encoded, sorted in\n"
    "  runs of --mem bytes (default 1g) written to --tmp (default $TMPDIR, else\n"
    "  /tmp), and merged (docs/sort.md). Memory stays near --mem whatever N; disk\n"
    "  needs about a snapshot's size of the atoms.\n";

typedef struct gen {
    uint64_t seed, n, mem;
    const char *tmp;
    wopts w;
} gen;

static int args(gen *g, int argc, char **argv)
{
    int have_n = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int w = wopts_arg(&g->w, argc, argv, &i);
        if (w < 0)
            return 1;
        if (w)
            continue;
        if (!strcmp(argv[i], "--atoms") && !parse_u64(v, &g->n))
            have_n = 1, i++;
        else if (!strcmp(argv[i], "--seed") && !parse_u64(v, &g->seed))
            i++;
        else if (!strcmp(argv[i], "--mem") && v && !parse_bytes(v, UINT64_MAX / 2, &g->mem) &&
                 g->mem >= 1 << 20)
            i++;
        else if (!strcmp(argv[i], "--tmp") && v)
            g->tmp = v, i++;
        else
            return die("gen: bad argument '%s' (see --help)", argv[i]);
    }
    if (!have_n)
        return die("gen: --atoms N is required");
    if (!g->w.out)
        g->w.out = "-";
    return (g->w.to = fmt_out("gen", g->w.out, g->w.to)) == FMT_NONE;
}

/* MeTTa text in generation order, straight from the generator. */
static int write_text(const gen *g)
{
    outfile o;
    if (out_begin(&o, g->w.out))
        return 1;
    FILE *f = o.f;
    ps_buf b = { 0 };
    int rc = 0;
    progress pr;
    progress_begin(&pr, "gen", "atoms", g->n, g->w.quiet || (o.fd == 1 && isatty(1)));
    for (uint64_t i = 0; i < g->n && !rc; i += 65536) {
        uint64_t k = g->n - i < 65536 ? g->n - i : 65536;
        ps_buf_clear(&b, 0);
        if (ps_gen_text(g->seed, i, k, &b))
            rc = die("gen: out of memory");
        else if (fwrite(ps_buf_data(&b), 1, b.len, f) != b.len)
            rc = 1; /* out_end says why */
        progress_at(&pr, i + k);
    }
    progress_end(&pr);
    ps_buf_free(&b);
    return out_end(&o, !rc);
}

/* Encodes every atom into the sorter, 64K atoms of text at a time. */
static int fill(const gen *g, ps_sorter *so)
{
    ps_buf b = { 0 };
    ps_parser *p;
    ps_bytes x;
    int rc = ps_parser_new(&p);
    progress pr;
    progress_begin(&pr, "gen: sorting", "atoms", g->n, g->w.quiet);
    for (uint64_t i = 0; i < g->n && !rc; progress_at(&pr, i += 65536)) {
        uint64_t k = g->n - i < 65536 ? g->n - i : 65536;
        ps_buf_clear(&b, 0);
        if ((rc = ps_gen_text(g->seed, i, k, &b)))
            break;
        ps_parser_reset(p, ps_buf_data(&b), b.len);
        while (!rc && (rc = ps_parser_next(p, &x, NULL)) == PS_OK)
            rc = ps_sorter_add(so, x);
        if (rc == PS_E_EMPTY)
            rc = PS_OK;
    }
    progress_end(&pr);
    ps_parser_free(p);
    ps_buf_free(&b);
    return rc;
}

typedef struct sorted {
    ps_sorter *so;
    const char *tmp;
} sorted;

static int sorted_next(void *ctx, ps_bytes *p, int *has, uint64_t *v)
{
    sorted *s = ctx;
    ps_diag d = { 0 };
    int rc = ps_sorter_next(s->so, p, &d);
    *has = 0;
    *v = 0;
    if (rc == PS_E_EMPTY)
        return -1;
    if (rc)
        return die("gen: reading back the sorted runs in %s: %s%s%s", s->tmp, ps_strerror(rc),
                   d.msg[0] ? ": " : "", d.msg), 1;
    return 0;
}

/* Any other format, in key order, through the external sort. */
static int write_sorted(const gen *g)
{
    ps_sorter_opts o;
    ps_sorter_opts_init(&o);
    if (g->mem)
        o.mem_bytes = g->mem;
    o.tmp_dir = g->tmp;
    o.threads = g->w.threads;
    sorted s = { NULL, g->tmp ? g->tmp : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp" };
    int rc = ps_sorter_new(&o, &s.so);
    if (rc)
        return die("gen: --tmp %s: %s", s.tmp, ps_strerror(rc));
    if ((rc = fill(g, s.so))) {
        ps_sorter_free(s.so);
        return die("gen: sorting the atoms (runs in %s): %s", s.tmp, ps_strerror(rc));
    }
    uint64_t paths;
    uint32_t runs;
    ps_sorter_counts(s.so, &paths, &runs);
    if (!g->w.quiet)
        fprintf(stderr, "gen: %llu atoms sorted in %u run(s) on disk and one in memory\n",
                (unsigned long long)paths, runs);
    /* about 46 path bytes per atom (docs/gen.md): the codec's size hint */
    rc = write_stream(&g->w, g->n * 46, "gen", sorted_next, &s);
    ps_sorter_free(s.so);
    return rc;
}

int cmd_gen(int argc, char **argv)
{
    gen g = { .seed = 1 };
    if (has_help(argc, argv, usage))
        return 0;
    if (args(&g, argc, argv))
        return 1;
    return g.w.to == PS_FORMAT_METTA ? write_text(&g) : write_sorted(&g);
}
