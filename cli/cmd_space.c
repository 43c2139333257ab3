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

/* The common start of the SRC commands: --help, the argument count, and the
 * load. Returns -1 with *s set to go on, otherwise the exit code. */
static int start(int argc, char **argv, const char *usage, int nargs, ps_space **s)
{
    if (has_help(argc, argv, usage))
        return 0;
    if (argc != 1 + nargs) {
        fputs(usage, stderr);
        return 2;
    }
    *s = open_src(argv[1]);
    return *s ? -1 : 1;
}

int cmd_dump(int argc, char **argv)
{
    static const char u[] = "usage: pathspace dump SRC\n"
                            "  Prints every atom of SRC (a file, or - for stdin) as MeTTa text,\n"
                            "  one per line, in MORK's order and conventions.\n";
    ps_space *s;
    int r = start(argc, argv, u, 1, &s);
    if (r >= 0)
        return r;
    int rc = dump_space(s, stdout) | output_close(stdout, "-");
    ps_space_free(s);
    return rc;
}

int cmd_count(int argc, char **argv)
{
    static const char u[] = "usage: pathspace count SRC\n  Prints the number of distinct atoms.\n";
    ps_space *s;
    int r = start(argc, argv, u, 1, &s);
    if (r >= 0)
        return r;
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
    ps_buf atom = { 0 };
    ps_diag d;
    if (argc == 3 && ps_atom_parse(argv[2], strlen(argv[2]), &atom, &d)) {
        ps_buf_free(&atom);
        return die("ATOM:%u:%u: %s", d.line, d.col, d.msg) + 1; /* 2: not "no" */
    }
    ps_space *s;
    int r = start(argc, argv, u, 2, &s);
    if (r >= 0) {
        ps_buf_free(&atom);
        return r == 1 ? 2 : r; /* 1 means "no" here */
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
    ps_space *s;
    int r = start(argc, argv, u, 1, &s);
    if (r >= 0)
        return r;
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
