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
    { "convert", cmd_convert, "between MeTTa text, .paths and .act" },
    { "verify", cmd_verify, "check a whole file, print what it holds" },
    { "gen", cmd_gen, "write a synthetic knowledge base of N atoms" },
    { "open", cmd_open, "a persistent space in DIR: recover, then changes from stdin" },
    { "checkpoint", cmd_checkpoint, "save, ls, restore, prune a persistent space's checkpoints" },
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
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
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
