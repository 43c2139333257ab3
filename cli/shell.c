/*
 * shell.c - pathspace shell: commands on a space, one a line, as redis-cli
 * and sqlite3 take them. On a terminal: a prompt, line editing, history
 * (~/.pathspace_history) and completion of commands (Debian's libedit);
 * an error is said and the session goes on. Read from a pipe it is a
 * script: --strict ends it at the first error. The replies are the
 * client's, whichever backend holds the space.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "shell.h"

/* --------------------------------------------------------------- replies */

void print_change(const ps_change *c)
{
    printf("changed %" PRIu64 " seq %" PRIu64 " atoms %" PRIu64 "\n", c->changed, c->seq,
           c->atoms);
}

void print_transform(uint64_t results, const ps_change *c)
{
    printf("results %" PRIu64 " added %" PRIu64 " seq %" PRIu64 " atoms %" PRIu64 "\n", results,
           c->changed, c->seq, c->atoms);
}

void print_checkpoint(const ps_ckpt_info *ci)
{
    printf("checkpoint %" PRIu64 " atoms %" PRIu64 " log_pos %" PRIu64 "\n", ci->seq, ci->atoms,
           ci->log_pos);
}

void report_server_stats(report *r, const ps_server_stats *s)
{
    static const char *const names[PS_SERVER_STATS_N] = {
        "uptime_ms", "atoms", "seq", "clients", "connections", "rejected", "dropped",
        "requests", "errors", "bytes_in", "bytes_out", "writevs", "commits", "allocs",
        "pool_gets", "pool_misses", "checkpoints", "ckpt_failed", "fork_us_last",
        "fork_us_max", "ckpt_ms_last", "query_forks", "repl_role", "repl_fenced",
        "repl_lag_seq", "repl_lag_ms", "repl_shipped", "shard_version"
    };
    const uint64_t *v = &s->uptime_ms;
    for (int i = 0; i < PS_SERVER_STATS_N; i++) {
        report_u64(r, names[i], v[i]);
        report_text(r, "%s %" PRIu64 "\n", names[i], v[i]);
    }
}

int shell_nomem(ps_diag *d)
{
    snprintf(d->msg, sizeof d->msg, "out of memory");
    return PS_E_NOMEM;
}

/* -------------------------------------------------------------- commands */

static const struct {
    const char *name, *args, *what;
} cmds[] = {
    { "add", "ATOM...", "add atoms (one logged batch): 'changed N seq S atoms A'" },
    { "remove", "ATOM...", "remove atoms: 'changed N seq S atoms A'" },
    { "contains", "ATOM...", "'yes' or 'no' for each atom" },
    { "count", "[PATTERN]", "atoms in the space, or under PATTERN's constant part" },
    { "query", "PATTERN [TEMPLATE]", "each distinct result, one a line (limit N first: at most N)" },
    { "transform", "PATTERN TEMPLATE", "add the results: 'results N added N seq S atoms A'" },
    { "export", "", "every atom, one a line (also: dump)" },
    { "checkpoint", "", "a checkpoint now: 'checkpoint S atoms A log_pos P'" },
    { "stats", "", "the space's counters" },
    { "limit", "N", "at most N results a query (0: no limit)" },
    { "help", "[COMMAND]", "this list, or one command's line" },
    { "quit", "", "leave (also: exit, Ctrl-D)" },
};
#define NCMDS (sizeof cmds / sizeof *cmds)

typedef struct session {
    const shell_backend *b;
    uint64_t limit;
    unsigned long line; /* of a script, for messages */
} session;

/* "error: CMD: why", with the line:column in CMD's text of a syntax error. */
static int failed(const char *cmd, int rc, const ps_diag *d)
{
    if ((rc == PS_E_PARSE || rc == PS_E_LIMIT) && d->line)
        fprintf(stderr, "error: %s %u:%u: %s\n", cmd, d->line, d->col, d->msg);
    else
        fprintf(stderr, "error: %s: %s%s%s\n", cmd, ps_strerror(rc), d->msg[0] ? ": " : "",
                d->msg);
    return 1;
}

static int help(const char *arg)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (!*arg || !strcmp(arg, cmds[i].name))
            printf("  %-10s %-20s %s\n", cmds[i].name, cmds[i].args, cmds[i].what);
    if (!*arg)
        printf("  Atoms and patterns are MeTTa text; a pattern's variables are $names.\n");
    return 0;
}

/* PATTERN [TEMPLATE]: the first atom of arg and the rest (NULL if none),
 * into *pat (allocated) and *tpl (inside arg). */
static int split(const char *arg, char **pat, const char **tpl, ps_diag *d)
{
    ps_parser *p;
    ps_bytes a;
    *pat = NULL;
    if (ps_parser_new(&p))
        return shell_nomem(d);
    ps_parser_reset(p, arg, strlen(arg));
    int rc = ps_parser_next(p, &a, d);
    size_t end = ps_parser_offset(p);
    ps_parser_free(p);
    if (rc == PS_E_EMPTY)
        return snprintf(d->msg, sizeof d->msg, "needs a pattern"), PS_E_PARSE;
    if (rc)
        return rc;
    if (!(*pat = strndup(arg, end)))
        return shell_nomem(d);
    *tpl = arg + end + strspn(arg + end, " \t");
    if (!**tpl)
        *tpl = NULL;
    return PS_OK;
}

static int print_line(void *ctx, ps_bytes line)
{
    (void)ctx;
    fwrite(line.ptr, 1, line.len, stdout);
    putchar('\n');
    return 0;
}

static int do_query(session *s, const char *arg, int transform)
{
    char *pat;
    const char *tpl = NULL;
    ps_diag d = { 0 };
    const char *cmd = transform ? "transform" : "query";
    int rc = split(arg, &pat, &tpl, &d), cut = 0;
    if (!rc && transform && !tpl)
        rc = PS_E_PARSE, snprintf(d.msg, sizeof d.msg, "needs a pattern and a template");
    uint64_t n = 0;
    ps_change ch;
    if (!rc && transform && !(rc = s->b->transform(s->b->ctx, pat, tpl, &n, &ch, &d)))
        print_transform(n, &ch);
    else if (!rc && !transform)
        rc = s->b->query(s->b->ctx, pat, tpl, s->limit, print_line, NULL, &cut, &d);
    free(pat);
    if (cut)
        fprintf(stderr, "(stopped at the limit: there may be more)\n");
    return rc ? failed(cmd, rc, &d) : 0;
}

static int do_contains(session *s, const char *arg)
{
    ps_buf bits = { 0 };
    uint64_t n = 0;
    ps_diag d = { 0 };
    int rc = s->b->contains(s->b->ctx, arg, strlen(arg), &bits, &n, &d);
    for (uint64_t i = 0; !rc && i < n; i++)
        puts(ps_buf_data(&bits)[i / 8] >> (i % 8) & 1 ? "yes" : "no");
    ps_buf_free(&bits);
    if (!rc && !n)
        rc = PS_E_PARSE, snprintf(d.msg, sizeof d.msg, "no atom");
    return rc ? failed("contains", rc, &d) : 0;
}

static int do_count(session *s, const char *arg)
{
    ps_buf pre = { 0 };
    ps_diag d = { 0 };
    uint64_t n = 0;
    int rc = *arg ? ps_atom_parse(arg, strlen(arg), &pre, &d) : PS_OK;
    pre.len = rc || !*arg ? 0 : ps_atom_prefix(ps_buf_bytes(&pre));
    if (!rc && !(rc = s->b->count(s->b->ctx, ps_buf_bytes(&pre), &n, &d)))
        printf("%" PRIu64 "\n", n);
    ps_buf_free(&pre);
    return rc ? failed("count", rc, &d) : 0;
}

static int do_simple(session *s, const char *cmd)
{
    ps_diag d = { 0 };
    int rc;
    if (!strcmp(cmd, "checkpoint")) {
        ps_ckpt_info ci;
        if (!(rc = s->b->checkpoint(s->b->ctx, &ci, &d)))
            print_checkpoint(&ci);
    } else if (!strcmp(cmd, "stats")) {
        report r;
        report_begin(&r, 0);
        rc = s->b->stats(s->b->ctx, &r, &d);
        report_end(&r, !rc);
    } else {
        fflush(stdout);
        rc = s->b->export_text(s->b->ctx, 1, &d);
    }
    return rc ? failed(cmd, rc, &d) : 0;
}

/* One line: 0, 1 if its command failed (said on stderr), -1 to leave. */
static int run_line(session *s, char *line)
{
    line += strspn(line, " \t");
    size_t n = strlen(line);
    while (n && strchr(" \t\r\n", line[n - 1]))
        line[--n] = 0;
    if (!*line || *line == '#' || *line == ';')
        return 0;
    if (!strcmp(line, "quit") || !strcmp(line, "exit"))
        return -1;
    size_t k = strcspn(line, " \t");
    char *arg = line + k + strspn(line + k, " \t");
    line[k] = 0;
    ps_diag d = { 0 };
    if (!strcmp(line, "add") || !strcmp(line, "remove")) {
        ps_change ch;
        int rc = s->b->change(s->b->ctx, line[0] == 'r', arg, strlen(arg), &ch, &d);
        if (rc)
            return failed(line, rc, &d);
        print_change(&ch);
        return 0;
    }
    if (!strcmp(line, "contains"))
        return do_contains(s, arg);
    if (!strcmp(line, "count"))
        return do_count(s, arg);
    if (!strcmp(line, "query") || !strcmp(line, "transform"))
        return do_query(s, arg, line[0] == 't');
    if (!strcmp(line, "help"))
        return help(arg);
    if (!strcmp(line, "limit")) {
        if (parse_u64(arg, &s->limit))
            return fprintf(stderr, "error: limit N: '%s' is not a count\n", arg), 1;
        return 0;
    }
    if (*arg && strcmp(line, "help"))
        return fprintf(stderr, "error: %s takes no arguments\n", line), 1;
    if (!strcmp(line, "checkpoint") || !strcmp(line, "stats") || !strcmp(line, "export") ||
        !strcmp(line, "dump"))
        return do_simple(s, line);
    fprintf(stderr, "error: no command '%s' (help lists them)\n", line);
    return 1;
}

/* ---------------------------------------------------------- the terminal */

static char *complete_cmd(const char *text, int state)
{
    static size_t i, len;
    if (!state)
        i = 0, len = strlen(text);
    while (i < NCMDS)
        if (!strncmp(cmds[i++].name, text, len))
            return strdup(cmds[i - 1].name);
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* no file names */
    return start == 0 ? rl_completion_matches(text, complete_cmd) : NULL;
}

static char *history_file(void)
{
    const char *home = getenv("HOME");
    char *f = NULL;
    if (home && *home && asprintf(&f, "%s/.pathspace_history", home) < 0)
        f = NULL;
    return f;
}

static int interactive(session *s)
{
    char prompt[300], *hist = history_file(), *line;
    int any = 0;
    snprintf(prompt, sizeof prompt, "%.280s> ", s->b->name);
    rl_readline_name = "pathspace";
    rl_attempted_completion_function = complete;
    using_history();
    if (hist)
        read_history(hist);
    printf("pathspace %s shell on %s: help lists the commands, quit leaves\n",
           ps_version_string(), s->b->name);
    while ((line = readline(prompt)) != NULL) {
        if (line[strspn(line, " \t")])
            add_history(line);
        int r = run_line(s, line);
        fflush(stdout);
        free(line);
        if (r < 0)
            break;
        any |= r;
    }
    if (hist) {
        write_history(hist);
        history_truncate_file(hist, 1000);
        free(hist);
    }
    return any;
}

/* A script on stdin: each line a command; a line over 1 MiB is refused
 * whole, never split into two commands. */
static int script(session *s, int strict)
{
    enum { LINE_MAX_BYTES = 1 << 20 };
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int any = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        s->line++;
        int bad = 1;
        if (n > LINE_MAX_BYTES)
            fprintf(stderr, "error: longer than %u bytes: refused whole (add big atoms with "
                            "--import FILE)\n", (unsigned)LINE_MAX_BYTES);
        else if ((bad = run_line(s, line)) < 0)
            break;
        if (bad)
            fprintf(stderr, "  (stdin line %lu)\n", s->line);
        fflush(stdout);
        any |= bad;
        if (bad && strict)
            break;
    }
    free(line);
    return any;
}

int shell_run(const shell_backend *b, int strict)
{
    session s = { b, 0, 0 };
    return isatty(0) && !strict ? interactive(&s) : script(&s, strict);
}
