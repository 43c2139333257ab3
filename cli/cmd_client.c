/* cmd_client.c - pathspace client COMMAND: one request to a server, its
 * answer on stdout (docs/protocol.md). */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

static const char usage[] =
    "usage: pathspace client [--host H] [--port P] [--token-file FILE] COMMAND ...\n"
    "       pathspace client --shards MAP COMMAND ...\n"
    "  ping                          round trip; prints the server's node and uptime\n"
    "  add ATOM... | add -f FILE     MeTTa atoms (FILE: text, '-' for stdin)\n"
    "  remove ATOM... | remove -f FILE\n"
    "  contains ATOM...              'yes'/'no' per atom; exit 0 if all are present\n"
    "  count [--prefix PATTERN]      atoms in the space, or those that begin with\n"
    "                                PATTERN's constant part: its encoding up to\n"
    "                                the first variable ('(parent $x $y)': every\n"
    "                                (parent ...) atom)\n"
    "  query PATTERN [TEMPLATE] [--limit N]   results as MeTTa, one per line; exit\n"
    "                                1 with none, 3 when --limit or the server's cap\n"
    "                                cut them (as pathspace query)\n"
    "  transform PATTERN TEMPLATE    adds the results: 'results N added N'\n"
    "  export [--format text|snap|paths] [--skip-extended] [--prefix PATTERN] [-o FILE]\n"
    "                                the space, or the atoms under PATTERN's constant\n"
    "                                part (default text, to stdout)\n"
    "  checkpoint                    a checkpoint now; prints it when written\n"
    "  run [--steps N] [--exact-steps] [--timing] [--thread T] [--stop-on-error]\n"
    "                                the server runs its exec rules (docs/exec.md), a\n"
    "                                step at a time, serving its other clients between\n"
    "                                steps; progress on a terminal, then 'execs N steps\n"
    "                                N failed N atoms N'; exit 1 if a step failed;\n"
    "                                SIGINT stops the run (CANCEL)\n"
    "  stats [--json]                the server's counters\n"
    "  --shards MAP (a shard map, pathspace shard split): add, remove and\n"
    "  contains go to the shard of each atom's key, query and count to the\n"
    "  shards the pattern reaches (results merged, distinct, in trie order);\n"
    "  a shard that says the key is not its own makes the map be read again.\n"
    "  Host 127.0.0.1 and port 7420 by default; the token is also read from\n"
    "  $PATHSPACE_TOKEN. Changes print 'changed N seq S atoms A': S is the log\n"
    "  position they are durable at.\n";

int read_token(const char *file, char *out, size_t cap)
{
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f)
        return die("--token-file %s: cannot read it", file ? file : "");
    size_t n = fgets(out, (int)cap, f) ? strcspn(out, "\r\n") : 0;
    fclose(f);
    out[n] = 0;
    if (!n || n > 256)
        return die("--token-file %s: the first line must be a 1..256 byte token", file);
    return 0;
}

/* The constant prefix of a pattern: its encoding up to the first variable,
 * so '(parent $x $y)' selects every (parent ...) atom. A pattern without
 * variables selects atoms that begin with all of it. Into out; 0, or 1
 * after reporting. */
static int pattern_prefix(const char *text, ps_buf *out)
{
    ps_diag d = { 0 };
    int rc = ps_atom_parse(text, strlen(text), out, &d);
    if (rc)
        return die("--prefix %u:%u: %s", d.line, d.col, d.msg);
    out->len = ps_atom_prefix(ps_buf_bytes(out));
    return 0;
}

static int fail(const char *what, int rc, const ps_diag *d)
{
    die("client %s: %s: %s", what, ps_strerror(rc), d->msg);
    return 1;
}

static int print_atom(void *ctx, ps_bytes r)
{
    (void)ctx;
    fwrite(r.ptr, 1, r.len, stdout);
    putchar('\n');
    return 0;
}

/* The text of ATOM... or of -f FILE, as one batch item. */
static int text_items(int argc, char **argv, ps_buf *text)
{
    if (argc >= 2 && !strcmp(argv[0], "-f")) {
        input in;
        if (input_open(&in, argv[1]))
            return 1;
        int rc = ps_buf_append(text, in.data, in.len) ? die("out of memory") : 0;
        input_close(&in);
        return rc;
    }
    for (int i = 0; i < argc; i++)
        if (ps_buf_append(text, argv[i], strlen(argv[i])) || ps_buf_append(text, "\n", 1))
            return die("out of memory");
    return 0;
}

/* add -f FILE, remove -f FILE: the file parsed here, its atoms sent a
 * batch at a time (one request of a large file would pass the frame limit
 * the server holds to). */
static int change_file(ps_client *c, const char *cmd, int argc, char **argv)
{
    ps_space *sp;
    if (ps_space_new(&sp))
        return die("out of memory");
    int rc = items_load(argc, argv, sp);
    ps_change ch;
    ps_diag d = { 0 };
    uint64_t sent;
    if (!rc && (rc = batch_all(c, sp, ps_bytes_of(NULL, 0), !strcmp(cmd, "add"), &sent, &ch, &d)))
        rc = fail(cmd, rc, &d);
    else if (!rc)
        print_change(&ch);
    ps_space_free(sp);
    return rc;
}

static int do_change(ps_client *c, const char *cmd, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[0], "-f"))
        return change_file(c, cmd, argc, argv);
    ps_buf text = { 0 };
    int rc = text_items(argc, argv, &text);
    if (rc)
        return rc;
    ps_bytes item = ps_buf_bytes(&text);
    ps_change ch;
    ps_diag d = { 0 };
    rc = !strcmp(cmd, "add") ? ps_client_add(c, PS_FORM_TEXT, &item, 1, &ch, &d)
                             : ps_client_remove(c, PS_FORM_TEXT, &item, 1, &ch, &d);
    ps_buf_free(&text);
    if (rc)
        return fail(cmd, rc, &d);
    print_change(&ch);
    return 0;
}

static int do_contains(ps_client *c, int argc, char **argv)
{
    ps_buf text = { 0 }, bits = { 0 };
    int rc = text_items(argc, argv, &text);
    if (rc)
        return rc;
    ps_bytes item = ps_buf_bytes(&text);
    uint64_t n = 0, yes = 0;
    ps_diag d = { 0 };
    rc = ps_client_contains(c, PS_FORM_TEXT, &item, 1, &bits, &n, &d);
    ps_buf_free(&text);
    if (rc)
        return fail("contains", rc, &d);
    for (uint64_t i = 0; i < n; i++) {
        int has = ps_buf_data(&bits)[i / 8] >> (i % 8) & 1;
        yes += (uint64_t)has;
        puts(has ? "yes" : "no");
    }
    ps_buf_free(&bits);
    return yes == n ? 0 : 1;
}

static int do_query(ps_client *c, int argc, char **argv)
{
    ps_client_qopts q;
    ps_client_qopts_init(&q);
    q.form = PS_FORM_TEXT;
    const char *pos[2] = { NULL, NULL };
    int np = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
            if (parse_u64(argv[++i], &q.limit))
                return die("query --limit: '%s' is not a count", argv[i]);
        } else if (np < 2)
            pos[np++] = argv[i];
        else
            return die("query: PATTERN [TEMPLATE] [--limit N]");
    }
    if (!np)
        return die("query: no PATTERN");
    ps_bytes pat = ps_bytes_of(pos[0], strlen(pos[0]));
    ps_bytes tpl = ps_bytes_of(pos[1], pos[1] ? strlen(pos[1]) : 0);
    uint64_t n;
    unsigned flags = 0;
    ps_diag d = { 0 };
    int rc = ps_client_query(c, pat, tpl, &q, print_atom, NULL, &n, &flags, &d);
    if (rc)
        return fail("query", rc, &d);
    if (flags & PS_FLAG_LIMITED) {
        fprintf(stderr, "pathspace: %" PRIu64 " results: the server's cap (--max-results) cut "
                        "the rest\n", n);
        return EXIT_CUT;
    }
    if (q.limit && n == q.limit) {
        fprintf(stderr, "pathspace: stopped at --limit %" PRIu64 ": there may be more\n", q.limit);
        return EXIT_CUT;
    }
    return n ? EXIT_RESULTS : EXIT_NONE;
}

static int do_transform(ps_client *c, int argc, char **argv)
{
    if (argc != 2)
        return die("transform: PATTERN TEMPLATE");
    ps_change ch;
    uint64_t results;
    ps_diag d = { 0 };
    int rc = ps_client_transform(c, ps_bytes_of(argv[0], strlen(argv[0])),
                                 ps_bytes_of(argv[1], strlen(argv[1])), &ch, &results, &d);
    if (rc)
        return fail("transform", rc, &d);
    print_transform(results, &ch);
    return 0;
}

static int do_count(ps_client *c, int argc, char **argv)
{
    ps_buf pre = { 0 };
    if (argc == 2 && !strcmp(argv[0], "--prefix")) {
        if (pattern_prefix(argv[1], &pre))
            return 1;
    } else if (argc)
        return die("count [--prefix PATTERN]");
    uint64_t n;
    ps_diag d = { 0 };
    int rc = ps_client_count(c, ps_buf_bytes(&pre), &n, &d);
    ps_buf_free(&pre);
    if (rc)
        return fail("count", rc, &d);
    printf("%" PRIu64 "\n", n);
    return 0;
}

/* The export's bytes into the output, with a progress line. */
typedef struct counted {
    ps_sink to;
    uint64_t bytes;
    progress pr;
} counted;

static int counted_write(void *ctx, const void *p, size_t n)
{
    counted *k = ctx;
    k->bytes += n;
    progress_at(&k->pr, k->bytes);
    return k->to.write(k->to.ctx, p, n);
}

static int do_export(ps_client *c, int argc, char **argv)
{
    int format = PS_EXPORT_TEXT, skip = 0;
    const char *out = "-";
    ps_buf pre = { 0 };
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--prefix") && i + 1 < argc) {
            ps_buf_clear(&pre, 0);
            if (pattern_prefix(argv[++i], &pre))
                return 1;
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            const char *v = argv[++i];
            format = !strcmp(v, "text") ? PS_EXPORT_TEXT : !strcmp(v, "snap") ? PS_EXPORT_SNAP
                  : !strcmp(v, "paths") ? PS_EXPORT_PATHS : -1;
            if (format < 0)
                return die("export --format text|snap|paths");
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--skip-extended"))
            skip = PS_EXPORT_SKIP_EXTENDED;
        else
            return die("export: [--format text|snap|paths] [--skip-extended] [--prefix PATTERN] "
                       "[-o FILE]");
    }
    outfile o;
    if (out_begin(&o, out))
        return 1;
    fflush(o.f);
    ps_diag d = { 0 };
    uint64_t bytes;
    counted k = { ps_sink_fd(o.fd), 0, { 0 } };
    progress_begin(&k.pr, "export", "bytes", 0, o.fd == 1 && isatty(1));
    ps_sink sk = { counted_write, NULL, &k };
    int rc = ps_client_export(c, format | skip, ps_buf_bytes(&pre), sk, &bytes, &d);
    progress_end(&k.pr);
    ps_buf_free(&pre);
    if (out_end(&o, rc == 0) && !rc)
        return 1;
    return rc ? fail("export", rc, &d) : 0;
}

typedef struct runview {
    progress p;
    char what[64];
} runview;

static volatile sig_atomic_t run_stop;
static void on_int(int sig)
{
    (void)sig;
    run_stop = 1;
}

static int run_progress(void *ctx, const ps_run_report *r)
{
    runview *v = ctx;
    snprintf(v->what, sizeof v->what, "run (%" PRIu64 " atoms)", r->atoms);
    v->p.what = v->what;
    progress_at(&v->p, r->execs);
    return run_stop;
}

static int do_run(ps_client *c, int argc, char **argv)
{
    uint64_t steps = 0;
    unsigned flags = 0;
    const char *thread = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--exact-steps"))
            flags |= PS_RUN_EXACT;
        else if (!strcmp(a, "--timing"))
            flags |= PS_RUN_TIMING;
        else if (!strcmp(a, "--stop-on-error"))
            flags |= PS_RUN_STOP_ON_ERROR;
        else if (!strcmp(a, "--steps") && v && !parse_u64(v, &steps))
            i++;
        else if (!strcmp(a, "--thread") && v)
            thread = argv[++i];
        else
            return die("client run: unexpected argument '%s' (see --help)", a), 2;
    }
    runview v;
    memset(&v, 0, sizeof v);
    progress_begin(&v.p, "run", "steps", 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_int;
    sigaction(SIGINT, &sa, NULL);
    ps_run_report r;
    ps_diag d = { 0 };
    int rc = ps_client_run(c, steps, flags, thread, run_progress, &v, &r, &d);
    progress_end(&v.p);
    if (rc)
        return fail("run", rc, &d);
    printf("execs %" PRIu64 " steps %" PRIu64 " failed %" PRIu64 " added %" PRIu64
           " removed %" PRIu64 " atoms %" PRIu64 "%s\n", r.execs, r.steps, r.failed, r.added,
           r.removed, r.atoms, r.cancelled ? " (stopped)" : "");
    if (r.failed)
        fprintf(stderr, "client run: %" PRIu64 " step(s) failed; the first (%s): %s\n", r.failed,
                ps_exec_error_name(r.fail_code), r.fail_exec);
    return r.failed ? 1 : 0;
}

static int do_simple(ps_client *c, const char *cmd, int json)
{
    ps_diag d = { 0 };
    int rc;
    if (!strcmp(cmd, "ping")) {
        ps_heartbeat hb = { 0, 0, 1, 0, 0 }, r;
        if ((rc = ps_client_ping(c, &hb, &r, &d)))
            return fail(cmd, rc, &d);
        printf("pong node %016" PRIx64 " uptime_ms %" PRIu64 " seq %" PRIu64 " hops %u\n",
               r.node, r.uptime_ms, r.seq, r.hops);
    } else if (!strcmp(cmd, "checkpoint")) {
        ps_ckpt_info ci;
        if ((rc = ps_client_checkpoint(c, &ci, &d)))
            return fail(cmd, rc, &d);
        print_checkpoint(&ci);
    } else {
        ps_server_stats s;
        if ((rc = ps_client_stats(c, &s, &d)))
            return fail(cmd, rc, &d);
        report r;
        if (report_begin(&r, json))
            return 1;
        report_server_stats(&r, &s);
        report_end(&r, 1);
    }
    return 0;
}

static int run(ps_client *c, const char *cmd, int argc, char **argv)
{
    if (!strcmp(cmd, "add") || !strcmp(cmd, "remove"))
        return do_change(c, cmd, argc, argv);
    if (!strcmp(cmd, "contains"))
        return do_contains(c, argc, argv);
    if (!strcmp(cmd, "query"))
        return do_query(c, argc, argv);
    if (!strcmp(cmd, "transform"))
        return do_transform(c, argc, argv);
    if (!strcmp(cmd, "export"))
        return do_export(c, argc, argv);
    if (!strcmp(cmd, "count"))
        return do_count(c, argc, argv);
    if (!strcmp(cmd, "run"))
        return do_run(c, argc, argv);
    int n = argc + 1; /* argv[-1] is the command itself */
    int json = take_flag(&n, argv - 1, "--json");
    if (n > 1 || (json && strcmp(cmd, "stats")))
        return die("client %s takes no arguments%s", cmd,
                   strcmp(cmd, "stats") ? "" : " but --json");
    return do_simple(c, cmd, json);
}

/* Takes --host, --port and --token-file out of argv (wherever they stand:
 * client count --port P works) and connects: 0, or 1 having said why. */
int client_connect(int *argc, char **argv, ps_client **c, char *where, size_t wcap)
{
    const char *host = "127.0.0.1";
    uint64_t port = PS_CLI_PORT;
    char token[258] = "";
    const char *env = getenv("PATHSPACE_TOKEN");
    if (env)
        snprintf(token, sizeof token, "%s", env);
    int n = 1;
    for (int k = 1; k < *argc; k++) {
        int conn_opt = !strcmp(argv[k], "--host") || !strcmp(argv[k], "--port") ||
                       !strcmp(argv[k], "--token-file");
        if (!conn_opt) {
            argv[n++] = argv[k];
            continue;
        }
        if (k + 1 == *argc)
            return die("%s: needs a value", argv[k]);
        const char *v = argv[++k];
        if (!strcmp(argv[k - 1], "--host"))
            host = v;
        else if (!strcmp(argv[k - 1], "--port")) {
            if (parse_u64(v, &port) || port > 65535)
                return die("--port: '%s' is not a port", v);
        } else if (read_token(v, token, sizeof token))
            return 1;
    }
    *argc = n;
    argv[n] = NULL;
    snprintf(where, wcap, "%s:%u", host, (unsigned)port);
    ps_client_opts o;
    ps_client_opts_init(&o);
    o.token = token[0] ? token : NULL;
    ps_diag d = { 0 };
    int rc = ps_client_connect(host, (uint16_t)port, &o, c, &d);
    return rc ? fail("connect", rc, &d) : 0;
}

int cmd_client(int argc, char **argv)
{
    if (has_help(argc, argv, usage))
        return 0;
    int i = 1;
    static const char *const known[] = { "ping", "add", "remove", "contains", "count", "query",
                                         "transform", "export", "checkpoint", "stats", "run" };
    int ok = 0;
    for (int k = 1; k < argc && !ok; k++) /* the command, before connecting */
        for (size_t j = 0; j < sizeof known / sizeof known[0]; j++)
            ok |= !strcmp(argv[k], known[j]);
    if (!ok)
        return die("client: no COMMAND (see --help)"), 2;
    for (int k = 1; k + 1 < argc; k++)
        if (!strcmp(argv[k], "--shards")) {
            const char *env = getenv("PATHSPACE_TOKEN");
            return client_routed(argv[k + 1], env && *env ? env : NULL, argc - k - 2, argv + k + 2);
        }
    ps_client *c;
    char where[300];
    if (client_connect(&argc, argv, &c, where, sizeof where))
        return 2;
    if (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
        ps_client_close(c);
        return die("client: unknown option %s", argv[i]), 2;
    }
    int rc = run(c, argv[i], argc - i - 1, argv + i + 1);
    ps_client_close(c);
    return rc;
}

/* pathspace shell --port P: the shell on a served space. */
int shell_served(int argc, char **argv, int strict)
{
    ps_client *c;
    char where[300];
    if (client_connect(&argc, argv, &c, where, sizeof where))
        return 2;
    if (argc > 1) {
        ps_client_close(c);
        return die("shell: unexpected argument '%s' (see --help)", argv[1]), 2;
    }
    shell_backend b;
    shell_remote(&b, c, where);
    int rc = shell_run(&b, strict);
    ps_client_close(c);
    return rc;
}
