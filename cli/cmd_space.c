/* cmd_space.c - import, dump, count, contains, stats. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Loads one SRC into a fresh space; NULL (after a message) on failure. */
static ps_space *open_src(const char *path)
{
    ps_space *s;
    if (ps_space_new(&s)) {
        die("out of memory");
        return NULL;
    }
    if (load_source(s, path, 1)) {
        ps_space_free(s);
        return NULL;
    }
    return s;
}

static const char import_usage[] =
    "usage: pathspace import FILE... [-o OUT] [--quiet]\n"
    "  Reads MeTTa text (FILE or - for stdin) into one space; with -o writes it to\n"
    "  OUT (- for stdout) as MeTTa text, one atom per line in trie order. Prints a\n"
    "  summary on stderr, and a progress bar while reading a large input on a terminal.\n";

int cmd_import(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, nin = 0;
    if (has_help(argc, argv, import_usage))
        return 0;
    ps_space *s;
    if (ps_space_new(&s))
        return die("out of memory");
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
            quiet = 1;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "-o")) {
            if (++i == argc)
                rc = die("import: -o needs a file name");
            out = argv[i];
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = die("import: unknown option %s (see --help)", argv[i]);
        } else {
            nin++;
            rc = load_source(s, argv[i], quiet);
        }
    }
    if (!rc && !nin)
        rc = die("import: no input files (see --help)");
    if (!rc && out) {
        FILE *f = output_open(out);
        rc = !f || dump_space(s, f);
        if (f)
            rc |= output_close(f, out);
    }
    if (!rc && !quiet) {
        ps_space_stats st;
        ps_space_stats_get(s, &st);
        fprintf(stderr, "imported %llu atoms (%llu path bytes) from %d file(s)%s%s\n",
                (unsigned long long)st.paths, (unsigned long long)st.path_bytes, nin,
                out ? ", wrote " : "", out ? out : "");
    }
    ps_space_free(s);
    return rc;
}

static int one_src(int argc, char **argv, const char *usage, int nargs)
{
    if (has_help(argc, argv, usage))
        return -1;
    if (argc != 1 + nargs) {
        fputs(usage, stderr);
        return 2;
    }
    return 0;
}

int cmd_dump(int argc, char **argv)
{
    static const char u[] = "usage: pathspace dump SRC\n"
                            "  Prints every atom of SRC (a file, or - for stdin) as MeTTa text,\n"
                            "  one per line, in MORK's order and conventions.\n";
    int r = one_src(argc, argv, u, 1);
    if (r)
        return r < 0 ? 0 : r;
    ps_space *s = open_src(argv[1]);
    if (!s)
        return 1;
    int rc = dump_space(s, stdout) | output_close(stdout, "-");
    ps_space_free(s);
    return rc;
}

int cmd_count(int argc, char **argv)
{
    static const char u[] = "usage: pathspace count SRC\n  Prints the number of distinct atoms.\n";
    int r = one_src(argc, argv, u, 1);
    if (r)
        return r < 0 ? 0 : r;
    ps_space *s = open_src(argv[1]);
    if (!s)
        return 1;
    printf("%llu\n", (unsigned long long)ps_space_count(s));
    ps_space_free(s);
    return 0;
}

int cmd_contains(int argc, char **argv)
{
    static const char u[] =
        "usage: pathspace contains SRC ATOM\n"
        "  Exit 0 and print 'yes' if SRC holds ATOM (MeTTa text; variable names do not\n"
        "  matter, only their positions), exit 1 and print 'no' if not.\n";
    int r = one_src(argc, argv, u, 2);
    if (r)
        return r < 0 ? 0 : r;
    ps_buf atom = { 0 };
    ps_diag d;
    if (ps_atom_parse(argv[2], strlen(argv[2]), &atom, &d))
        return die("ATOM:%u:%u: %s", d.line, d.col, d.msg);
    ps_space *s = open_src(argv[1]);
    if (!s) {
        ps_buf_free(&atom);
        return 2;
    }
    int yes = ps_space_contains(s, ps_buf_bytes(&atom));
    puts(yes ? "yes" : "no");
    ps_space_free(s);
    ps_buf_free(&atom);
    return yes ? 0 : 1;
}

/* Atoms that MORK's encoding cannot hold (symbols > 63 bytes, lists > 63). */
static uint64_t count_extended(const ps_space *s)
{
    ps_iter *it;
    ps_bytes a;
    uint64_t n = 0;
    if (ps_iter_new(s, ps_bytes_of(NULL, 0), &it))
        return 0;
    while (ps_iter_next(it, &a, NULL, NULL) == PS_OK)
        n += !ps_atom_is_mork(a);
    ps_iter_free(it);
    return n;
}

int cmd_stats(int argc, char **argv)
{
    static const char u[] = "usage: pathspace stats SRC\n"
                            "  Prints atoms, path bytes, trie nodes, stored edge bytes and the\n"
                            "  memory of the space's arenas.\n";
    int r = one_src(argc, argv, u, 1);
    if (r)
        return r < 0 ? 0 : r;
    ps_space *s = open_src(argv[1]);
    if (!s)
        return 1;
    ps_space_stats st;
    ps_space_stats_get(s, &st);
    double n = st.paths ? (double)st.paths : 1;
    printf("atoms        %llu\n", (unsigned long long)st.paths);
    printf("path bytes   %llu (%.1f per atom)\n", (unsigned long long)st.path_bytes,
           (double)st.path_bytes / n);
    printf("trie nodes   %llu (%.2f per atom)\n", (unsigned long long)st.nodes,
           (double)st.nodes / n);
    printf("edge bytes   %llu (%.1f%% of path bytes)\n", (unsigned long long)st.label_bytes,
           st.path_bytes ? 100.0 * (double)st.label_bytes / (double)st.path_bytes : 0.0);
    printf("memory       %llu bytes (%.1f per atom)\n", (unsigned long long)st.mem_bytes,
           (double)st.mem_bytes / n);
    printf("beyond MORK  %llu atoms need the long-symbol/wide-list extension\n",
           (unsigned long long)count_extended(s));
    ps_space_free(s);
    return 0;
}
