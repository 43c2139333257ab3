/* cmd_gen.c - the synthetic knowledge base generator. */
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace gen --atoms N [--seed S] [-o OUT]\n"
    "  Writes N distinct atoms of a deterministic synthetic knowledge base as MeTTa\n"
    "  text (to OUT or stdout). Same N and S, same bytes. Shape: docs/gen.md.\n";

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
    /* OUT appears only when complete: a temporary file, renamed */
    char tmp[4200];
    int to_file = strcmp(out, "-") != 0;
    if (to_file && (size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid()) >= sizeof tmp)
        return die("%s: name too long", out);
    FILE *f = output_open(to_file ? tmp : "-");
    if (!f)
        return 1;
    if (to_file)
        sig_temp_set(tmp);
    ps_buf b = { 0 };
    int rc = 0;
    for (uint64_t i = 0; i < n && !rc; i += 65536) {
        uint64_t k = n - i < 65536 ? n - i : 65536;
        ps_buf_clear(&b, 0);
        if (ps_gen_text(seed, i, k, &b))
            rc = die("gen: out of memory");
        else if (fwrite(ps_buf_data(&b), 1, b.len, f) != b.len)
            rc = 1; /* output_close says why */
    }
    ps_buf_free(&b);
    rc |= output_close(f, out);
    if (to_file) {
        if (!rc && rename(tmp, out))
            rc = die("%s: %s", out, strerror(errno));
        if (rc)
            unlink(tmp);
        sig_temp_clear();
    }
    return rc;
}
