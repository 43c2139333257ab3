/* cmd_gen.c - the synthetic knowledge base generator. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace gen --atoms N [--seed S] [-o OUT]\n"
    "  Writes N distinct atoms of a deterministic synthetic knowledge base as MeTTa\n"
    "  text (to OUT or stdout). Same N and S, same bytes. Shape: docs/gen.md.\n";

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return 1;
    *out = strtoull(s, &end, 10);
    return *end != 0;
}

int cmd_gen(int argc, char **argv)
{
    uint64_t n = 0, seed = 1;
    const char *out = "-";
    int have_n = 0;
    if (has_help(argc, argv, usage))
        return 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--atoms") && !parse_u64(v, &n))
            have_n = 1, i++;
        else if (!strcmp(argv[i], "--seed") && !parse_u64(v, &seed))
            i++;
        else if (!strcmp(argv[i], "-o") && v)
            out = v, i++;
        else
            return die("gen: bad argument '%s' (see --help)", argv[i]);
    }
    if (!have_n)
        return die("gen: --atoms N is required");
    FILE *f = output_open(out);
    if (!f)
        return 1;
    ps_buf b = { 0 };
    int rc = 0;
    for (uint64_t i = 0; i < n && !rc; i += 65536) {
        uint64_t k = n - i < 65536 ? n - i : 65536;
        ps_buf_clear(&b, 0);
        if (ps_gen_text(seed, i, k, &b))
            rc = die("gen: out of memory");
        else if (fwrite(ps_buf_data(&b), 1, b.len, f) != b.len)
            rc = die("gen: write failed");
    }
    ps_buf_free(&b);
    return output_close(f, out) | rc;
}
