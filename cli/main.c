/*
 * main.c - the pathspace command: subcommand dispatch and top-level help.
 * Every subcommand takes --help, writes errors to stderr and exits non-zero
 * on failure; "-" means stdin/stdout.
 */
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} cmds[] = {
    { "import", cmd_import, "files of any format into one space, optionally written out" },
    { "dump", cmd_dump, "print every atom as MeTTa text" },
    { "count", cmd_count, "number of distinct atoms" },
    { "contains", cmd_contains, "is an atom in the space (exit 0/1)" },
    { "stats", cmd_stats, "atoms, path bytes, trie nodes, memory" },
    { "convert", cmd_convert, "between MeTTa text, .paths, .act and .snap" },
    { "verify", cmd_verify, "check a whole file, print what it holds" },
    { "gen", cmd_gen, "write a synthetic knowledge base of N atoms" },
    { "query", cmd_query, "atoms matching a pattern (or a join), as a template" },
    { "transform", cmd_transform, "SRC plus a query's results, written to OUT" },
    { "run", cmd_run, "run MORK's exec rules (MM2), as mork run does" },
    { "union", cmd_union, "atoms in any of the sources" },
    { "intersect", cmd_intersect, "atoms in all of the sources" },
    { "subtract", cmd_subtract, "atoms in the first source and none of the others" },
    { "restrict", cmd_restrict, "atoms of A under a set of prefixes" },
    { "shell", cmd_shell, "a shell on a persistent space (DIR) or a served one (--port)" },
    { "open", cmd_open, "the shell on DIR (as shell DIR)" },
    { "checkpoint", cmd_checkpoint, "save, ls, restore, prune a persistent space's checkpoints" },
    { "serve", cmd_serve, "serve a persistent space: binary protocol, MORK's HTTP API (--http)" },
    { "restore", cmd_restore, "a persistent space out of an S3 bucket a server ships to" },
    { "shard", cmd_shard, "split a snapshot into key ranges, with the map that routes to them" },
    { "client", cmd_client, "talk to a server: add, query, export, stats, ..." },
    { "bench-server", cmd_bench_server, "load a server with many clients, as redis-benchmark" },
    { "store", cmd_store, "put, get, ls, ref, rm, gc, verify a content-addressed store" },
};

static int usage(FILE *f)
{
    fprintf(f, "pathspace %s - sets of MeTTa atoms as byte paths in a trie\n\n"
               "usage: pathspace COMMAND [ARGS]   (pathspace COMMAND --help for details)\n\n",
            ps_version_string());
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].what);
    fprintf(f, "  %-10s %s\n", "version", "print the version");
    fprintf(f, "  %-10s %s\n", "help", "help COMMAND: that command's help");
    fprintf(f, "\nFormats, by extension or --from/--to: .metta (MeTTa text), .paths and .act\n"
               "(MORK's), .snap (pathspace's snapshot); .json .jsonl .csv are read only.\n"
               "A directory is a persistent space. OUT '-' is stdout, as MeTTa text.\n");
    fprintf(f, "\nReader limits, for any command (docs/limits.md):\n"
               "  --max-atom BYTES     the longest atom an input may hold (default 16m)\n"
               "  --max-expansion N    an input may decode to N times its size, counting 32\n"
               "                       bytes a path on top of its length (default 64; at\n"
               "                       least 256 MiB whatever the size)\n");
    return f == stdout ? 0 : 2;
}

/* The reader limits may stand anywhere on the line (they are for every
 * command that reads): taken out of argv here, before the dispatch. */
static int take_limits(int *argc, char **argv)
{
    ps_limits l;
    ps_limits_get(&l);
    int out = 1, any = 0;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = i + 1 < *argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--max-atom")) {
            if (parse_bytes(v, UINT32_MAX, &n))
                return die("--max-atom: '%s' is not 1..4294967295 bytes (k, m, g suffixes)",
                           v ? v : "");
            l.max_atom = n;
        } else if (!strcmp(a, "--max-expansion")) {
            if (parse_u64(v, &n) || n == 0 || n > UINT32_MAX)
                return die("--max-expansion: '%s' is not a whole number from 1", v ? v : "");
            l.max_expansion = (uint32_t)n;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        any = 1;
        i++;
    }
    argv[out] = NULL;
    *argc = out;
    return any && ps_limits_set(&l) ? die("bad limits") : 0;
}

int main(int argc, char **argv)
{
    sig_install();
    if (take_limits(&argc, argv))
        return 2;
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "help") && argc > 2 && argv[2][0] == '-') {
        puts("usage: pathspace help [COMMAND]\n  The list of commands, or COMMAND's own help "
             "(COMMAND --help).");
        return 0;
    }
    if (!strcmp(argv[1], "help") && argc > 2) { /* help CMD: CMD --help */
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            if (!strcmp(argv[2], cmds[i].name)) {
                char *av[] = { argv[2], "--help", NULL };
                return cmds[i].fn(2, av);
            }
        die("help: no command '%s'", argv[2]);
        return usage(stderr);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return usage(stdout);
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("pathspace %s\n", ps_version_string());
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    die("unknown command '%s'", argv[1]);
    return usage(stderr);
}
