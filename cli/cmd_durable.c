/* cmd_durable.c - pathspace open DIR (a persistent space driven by lines
 * on stdin) and pathspace checkpoint save|ls|restore|prune
 * (docs/store.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static const char open_usage[] =
    "usage: pathspace open DIR [--fsync always|everysec|never] [--every N]\n"
    "                          [--every-seconds T] [--keep N] [--import FILE]...\n"
    "                          [--truncate-corrupt] [--no-final-checkpoint]\n"
    "                          [--past-newer]\n"
    "  DIR is a persistent space: DIR/store (a blob store holding checkpoints),\n"
    "  DIR/wal (the write-ahead log) and DIR/LOCK; it is made if missing. Opening\n"
    "  loads the newest valid checkpoint (falling back past corrupt ones, but not\n"
    "  past one a newer pathspace wrote, unless --past-newer) and\n"
    "  replays the log after it, then reports what it did on stderr. Every change\n"
    "  is logged (and, with --fsync always, the default, on disk) before it is\n"
    "  applied and acknowledged. --import adds the atoms of FILE (any format) as\n"
    "  one logged batch. Then commands are read from stdin, one per line:\n"
    "    add ATOM | remove ATOM | contains ATOM | count | dump | checkpoint | sync\n"
    "    query PATTERN [TEMPLATE]     the distinct results, then 'N results'\n"
    "    transform PATTERN TEMPLATE   adds the results as one logged batch: 'added N'\n"
    "  each answered on stdout. A line of over 1 MiB is refused whole; the first\n"
    "  line that fails is answered 'error', and the session ends there (exit 1).\n"
    "  A checkpoint is taken every N changes (--every), on a change T seconds\n"
    "  after the last (--every-seconds), and at the end;\n"
    "  --keep checkpoints are kept (default 2), and the log since the oldest.\n";

static const char ckpt_usage[] =
    "usage: pathspace checkpoint save DIR\n"
    "       pathspace checkpoint ls DIR [--json]\n"
    "       pathspace checkpoint restore DIR OUT [--id SEQ] [--past-newer]\n"
    "       pathspace checkpoint prune DIR --keep N\n"
    "  DIR is a persistent space (see 'pathspace open --help') or a bare store.\n"
    "  save recovers the space and checkpoints it now. ls lists the checkpoints,\n"
    "  newest first, with their metadata and whether each header reads well.\n"
    "  restore writes the newest valid checkpoint (or SEQ) to OUT, in the format of\n"
    "  its extension (.metta, .paths, .act, .snap); a corrupt newer one is skipped\n"
    "  and reported. One written by a newer pathspace stops it, unless\n"
    "  --past-newer. prune keeps the newest N valid checkpoints, and never removes\n"
    "  one a newer pathspace wrote; it refuses while the space is open elsewhere.\n";

void report_faults(const char *dir, const ps_recovery *r)
{
    for (uint32_t i = 0; i < r->skipped.skipped && i < PS_CKPT_MAX_SKIPS; i++)
        fprintf(stderr, "%s: skipped checkpoint %" PRIu64 ": %s\n", dir, r->skipped.skip[i].seq,
                r->skipped.skip[i].msg);
    if (r->torn && !r->torn_offset) /* records start past the header: 0 is a headless file */
        fprintf(stderr, "%s: removed wal/%s, a last log segment shorter than its header "
                "(a crash as it was made; it held no record)\n", dir, r->torn_file);
    else if (r->torn)
        fprintf(stderr, "%s: dropped a torn last record in wal/%s at offset %" PRIu64 "\n", dir,
                r->torn_file, r->torn_offset);
    if (r->truncated_bytes)
        fprintf(stderr, "%s: --truncate-corrupt cut %" PRIu64 " bytes of damaged log\n", dir,
                r->truncated_bytes);
    if (r->temp_removed)
        fprintf(stderr, "%s: removed %" PRIu64 " temp file(s) left by a writer that died\n", dir,
                r->temp_removed);
}

static void say_recovery(const char *dir, const ps_recovery *r)
{
    if (r->have_ckpt)
        fprintf(stderr, "%s: checkpoint %" PRIu64 " (%" PRIu64 " atoms, log position %" PRIu64
                ")", dir, r->ckpt.seq, r->ckpt.atoms, r->ckpt.log_pos);
    else
        fprintf(stderr, "%s: no checkpoint", dir);
    fprintf(stderr, " + %" PRIu64 " log records from %" PRIu64 " segment(s), last seq %" PRIu64
            "\n", r->replayed, r->segments, r->last_seq);
    report_faults(dir, r);
}

static int open_space(const char *dir, const ps_pspace_opts *o, ps_pspace **p, int quiet)
{
    ps_recovery r;
    ps_diag d = { 0 };
    int rc = ps_pspace_open(dir, o, p, &r, &d);
    if (rc)
        return die("%s: %s: %s", dir, ps_strerror(rc), d.msg);
    if (!quiet)
        say_recovery(dir, &r);
    return 0;
}

/* The atoms of a file, added as logged batches of BATCH (the iterator's
 * path is valid only until its next call, so each batch is copied). */
int pspace_import(ps_pspace *p, const char *file)
{
    enum { BATCH = 4096 };
    ps_space *s;
    if (ps_space_new(&s))
        return die("out of memory");
    int rc = load_source(s, file, FMT_NONE, 1);
    ps_iter *it = NULL;
    ps_bytes *paths = malloc(BATCH * sizeof *paths);
    size_t *lens = malloc(BATCH * sizeof *lens);
    ps_buf bytes = { 0 };
    uint64_t total = 0;
    if (!rc && (!paths || !lens || ps_iter_new(s, ps_bytes_of(NULL, 0), &it)))
        rc = die("out of memory");
    for (int more = !rc; more;) {
        size_t n = 0;
        ps_bytes path;
        ps_buf_clear(&bytes, 0);
        while (n < BATCH && (more = ps_iter_next(it, &path, NULL, NULL) == PS_OK)) {
            if (ps_buf_append(&bytes, path.ptr, path.len)) {
                rc = die("out of memory");
                break;
            }
            lens[n++] = path.len;
        }
        const uint8_t *at = ps_buf_data(&bytes);
        for (size_t i = 0; i < n; at += lens[i], i++)
            paths[i] = ps_bytes_of(at, lens[i]);
        uint64_t added = 0;
        int r = rc ? PS_OK : ps_pspace_add_many(p, paths, n, &added);
        total += added;
        if (rc || r) {
            rc = rc ? rc : die("%s: cannot log the import: %s", file, ps_strerror(r));
            break;
        }
    }
    if (it)
        ps_iter_free(it);
    free(paths);
    free(lens);
    ps_buf_free(&bytes);
    ps_space_free(s);
    if (!rc)
        fprintf(stderr, "%s: added %" PRIu64 " atoms\n", file, total);
    return rc;
}

/* Adds every path of s to p with one log write (group commit). */
static int add_all(ps_pspace *p, const ps_space *s, uint64_t *added)
{
    uint64_t n = ps_space_count(s);
    ps_bytes *v = calloc(n ? n : 1, sizeof *v);
    ps_iter *it;
    ps_bytes path;
    if (!v || ps_iter_new(s, ps_bytes_of(NULL, 0), &it)) {
        free(v);
        return PS_E_NOMEM;
    }
    size_t k = 0;
    while (ps_iter_next(it, &path, NULL, NULL) == PS_OK) {
        uint8_t *c = malloc(path.len ? path.len : 1);
        if (!c)
            break;
        memcpy(c, path.ptr, path.len);
        v[k++] = ps_bytes_of(c, path.len);
    }
    ps_iter_free(it);
    int rc = k == n ? ps_pspace_add_many(p, v, k, added) : PS_E_NOMEM;
    for (size_t i = 0; i < k; i++)
        free((void *)v[i].ptr);
    free(v);
    return rc;
}

static int dump(const ps_space *s)
{
    ps_iter *it;
    ps_bytes path;
    ps_buf b = { 0 };
    if (ps_iter_new(s, ps_bytes_of(NULL, 0), &it))
        return die("out of memory");
    while (ps_iter_next(it, &path, NULL, NULL) == PS_OK) {
        ps_buf_clear(&b, 0);
        if (ps_atom_print(path, &b) == PS_OK) {
            fwrite(ps_buf_data(&b), 1, b.len, stdout);
            putchar('\n');
        }
    }
    ps_iter_free(it);
    ps_buf_free(&b);
    return 0;
}

#define LINE_MAX_BYTES (1u << 20)
enum { LINE_OK = 0, LINE_TOO_LONG = 1, LINE_NOMEM = 2 };

/* The next line of f into b (NUL-terminated, without its newline), or EOF.
 * A line over LINE_MAX_BYTES is read to its end and dropped whole
 * (LINE_TOO_LONG), never split into two commands; memory stays bounded. */
static int read_line(FILE *f, ps_buf *b)
{
    ps_buf_clear(b, 0);
    int c, too_long = 0, any = 0;
    while ((c = getc(f)) != EOF) {
        any = 1;
        if (c == '\n')
            break;
        if (too_long || b->len >= LINE_MAX_BYTES) {
            too_long = 1;
            continue;
        }
        uint8_t ch = (uint8_t)c;
        if (ps_buf_append(b, &ch, 1))
            return LINE_NOMEM;
    }
    if (!any)
        return EOF;
    if (ps_buf_append(b, "", 1))
        return LINE_NOMEM;
    b->len--;
    return too_long ? LINE_TOO_LONG : LINE_OK;
}

/* "query PATTERN [TEMPLATE]" (the results, then "N results") or
 * "transform PATTERN TEMPLATE" (the new atoms logged as one batch, then
 * "added N"). The two parts are the first and the rest of the atoms in arg;
 * col is where arg starts on the line, for messages. */
static int query_command(ps_pspace *p, int transform, const char *arg, unsigned long lineno,
                         size_t col)
{
    ps_parser *pr;
    ps_bytes a;
    ps_diag d = { 0 };
    if (!arg)
        return die("stdin:%lu: %s needs a pattern", lineno, transform ? "transform" : "query");
    if (ps_parser_new(&pr))
        return die("out of memory");
    ps_parser_reset(pr, arg, strlen(arg));
    int rc = ps_parser_next(pr, &a, &d);
    size_t split = ps_parser_offset(pr);
    ps_parser_free(pr);
    const char *tpl = arg + split;
    while (*tpl == ' ' || *tpl == '\t')
        tpl++;
    if (rc == PS_OK && transform && !*tpl)
        return die("stdin:%lu: transform needs a pattern and a template", lineno);
    ps_query *q = NULL;
    if (rc == PS_OK)
        rc = ps_query_parse(arg, split, *tpl ? tpl : NULL, strlen(tpl), &q, &d);
    if (rc)
        return die("stdin:%lu:%u: %s", lineno, d.col + (unsigned)col +
                   (unsigned)(d.msg[0] == 't' ? tpl - arg : 0), d.msg);
    ps_space *out;
    uint64_t added = 0;
    if (ps_space_new(&out)) {
        ps_query_free(q);
        return die("out of memory");
    }
    ps_query_opts o;
    ps_query_opts_init(&o);
    o.threads = 0; /* one per CPU: the shell waits for the answer */
    rc = ps_query_into(q, ps_source_space(ps_pspace_space(p)), &o, out, NULL, NULL, &d);
    if (rc)
        rc = die("stdin:%lu: query: %s", lineno, d.msg);
    else if (transform)
        rc = add_all(p, out, &added) ? die("stdin:%lu: transform: not applied", lineno) : 0;
    if (!rc && transform)
        printf("added %" PRIu64 "\n", added);
    if (!rc && !transform) {
        dump(out);
        printf("%" PRIu64 " results\n", ps_space_count(out));
    }
    ps_space_free(out);
    ps_query_free(q);
    return rc;
}

/* One command line; answers on stdout. */
static int command(ps_pspace *p, char *line, unsigned long lineno)
{
    size_t n = strcspn(line, "\r\n");
    line[n] = 0;
    char *arg = strchr(line, ' ');
    if (arg)
        *arg++ = 0;
    if (!*line || *line == '#')
        return 0;
    if (!strcmp(line, "count")) {
        ps_space_stats st;
        ps_space_stats_get(ps_pspace_space(p), &st);
        printf("%" PRIu64 "\n", (uint64_t)st.paths);
        return 0;
    }
    if (!strcmp(line, "dump"))
        return dump(ps_pspace_space(p));
    if (!strcmp(line, "sync"))
        return ps_pspace_sync(p) ? die("sync failed") : (puts("ok"), 0);
    if (!strcmp(line, "checkpoint")) {
        ps_ckpt_info ci;
        ps_diag d = { 0 };
        if (ps_pspace_checkpoint(p, &ci, &d))
            return die("checkpoint: %s", d.msg);
        printf("checkpoint %" PRIu64 " (%" PRIu64 " atoms, %" PRIu64 " bytes)\n", ci.seq,
               ci.atoms, ci.payload_len + PS_CKPT_HEADER);
        return 0;
    }
    if (!strcmp(line, "query") || !strcmp(line, "transform"))
        return query_command(p, line[0] == 't', arg, lineno, (size_t)(arg ? arg - line : 0));
    int op = !strcmp(line, "add") ? 1 : !strcmp(line, "remove") ? 2 : !strcmp(line, "contains") ? 3 : 0;
    if (!op)
        return die("stdin:%lu: unknown command '%s'", lineno, line);
    ps_buf atom = { 0 };
    ps_diag d = { 0 };
    int rc = arg ? ps_atom_parse(arg, strlen(arg), &atom, &d) : PS_E_PARSE;
    if (rc) {
        ps_buf_free(&atom);
        return die("stdin:%lu:%u: %s", lineno, d.col + (unsigned)(arg - line),
                   arg ? d.msg : "no atom");
    }
    int changed = 0;
    if (op == 1)
        rc = ps_pspace_add(p, ps_buf_bytes(&atom), &changed);
    else if (op == 2)
        rc = ps_pspace_remove(p, ps_buf_bytes(&atom), &changed);
    else
        changed = ps_space_contains(ps_pspace_space(p), ps_buf_bytes(&atom));
    ps_buf_free(&atom);
    if (rc)
        return die("stdin:%lu: %s: not applied", lineno, ps_strerror(rc));
    static const char *const said[3][2] = { { "present", "added" }, { "absent", "removed" },
                                            { "no", "yes" } };
    puts(said[op - 1][changed]);
    return 0;
}

int fsync_parse(const char *s)
{
    if (!s)
        return -1;
    return !strcmp(s, "always") ? PS_FSYNC_ALWAYS : !strcmp(s, "everysec") ? PS_FSYNC_EVERYSEC
           : !strcmp(s, "never") ? PS_FSYNC_NEVER : -1;
}

int cmd_open(int argc, char **argv)
{
    if (has_help(argc, argv, open_usage))
        return 0;
    ps_pspace_opts o;
    ps_pspace_opts_init(&o);
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--fsync") && v) {
            if ((o.fsync = fsync_parse(argv[++i])) < 0)
                return die("open: --fsync always|everysec|never");
        } else if (!strcmp(a, "--every") && v) {
            if (parse_u64(argv[++i], &o.ckpt_changes))
                return die("open: --every N: '%s' is not a count", v);
        } else if (!strcmp(a, "--every-seconds") && v) {
            uint64_t t;
            if (parse_u64(argv[++i], &t) || t > UINT32_MAX)
                return die("open: --every-seconds T: '%s' is not a number of seconds", v);
            o.ckpt_seconds = (uint32_t)t;
        } else if (!strcmp(a, "--keep") && v) {
            uint64_t k;
            if (parse_u64(argv[++i], &k) || !k || k > UINT32_MAX)
                return die("open: --keep N: '%s' is not a count from 1", v);
            o.keep = (uint32_t)k;
        } else if (!strcmp(a, "--import") && v) {
            i++;
        } else if (!strcmp(a, "--truncate-corrupt")) {
            o.truncate_corrupt = 1;
        } else if (!strcmp(a, "--no-final-checkpoint")) {
            o.no_final_ckpt = 1;
        } else if (!strcmp(a, "--past-newer")) {
            o.past_newer = 1;
        } else if (a[0] == '-' || dir) {
            return die("open: unexpected argument %s (see --help)", a);
        } else {
            dir = a;
        }
    }
    if (!dir)
        return die("open: no DIR (see --help)");
    ps_pspace *p;
    if (open_space(dir, &o, &p, 0))
        return 1;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++)
        if (!strcmp(argv[i], "--import"))
            rc = pspace_import(p, argv[++i]);
    unsigned long lineno = 0;
    int failed = 0;
    ps_buf line = { 0 };
    for (int r; !rc && (r = read_line(stdin, &line)) != EOF;) {
        ++lineno;
        if (r == LINE_TOO_LONG)
            failed |= die("stdin:%lu: line longer than %u bytes: refused whole (use --import "
                          "FILE for bigger atoms)", lineno, LINE_MAX_BYTES);
        else if (r == LINE_NOMEM)
            rc = die("out of memory");
        else
            failed |= command(p, (char *)ps_buf_data(&line), lineno);
        if (r == LINE_TOO_LONG || failed)
            puts("error"), failed = 1; /* an answer for every line, in order */
        fflush(stdout);
        if (failed)
            break;
    }
    ps_buf_free(&line);
    rc |= failed;
    ps_diag d = { 0 };
    if (ps_pspace_close(p, &d) && !rc)
        rc = die("%s: closing: %s", dir, d.msg);
    return rc;
}

/* ------------------------------------------------------------ checkpoint */

/* DIR/store if DIR is a persistent space, else DIR itself. */
static int open_store_of(const char *dir, ps_store **st)
{
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/store", dir);
    const char *root = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? path : dir;
    ps_diag d = { 0 };
    int rc = ps_store_open(root, NULL, 0, st, &d);
    return rc ? die("%s: %s", dir, d.msg) : 0;
}

static int ckpt_ls(const char *dir, int json)
{
    ps_store *st;
    report r;
    if (open_store_of(dir, &st))
        return 1;
    ps_ckpt_info *v;
    size_t n;
    ps_diag d = { 0 };
    int rc = ps_ckpt_list(st, &v, &n, &d);
    if (rc || report_begin(&r, json)) {
        ps_store_close(st);
        return rc ? die("%s: %s", dir, d.msg) : 1;
    }
    report_text(&r, "%-6s %-20s %12s %12s %12s  %s\n", "seq", "created (UTC)", "atoms",
                "log pos", "bytes", "status");
    report_open(&r, "checkpoints", 1);
    for (size_t i = 0; i < n; i++) {
        char when[32] = "-";
        time_t t = (time_t)(v[i].created_ns / 1000000000u);
        struct tm tm;
        if (!v[i].status && gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        char status[64];
        if (v[i].status == PS_E_VERSION)
            snprintf(status, sizeof status, "written by a newer pathspace (format %u)",
                     v[i].version);
        else
            snprintf(status, sizeof status, "%s", v[i].status ? ps_strerror(v[i].status) : "ok");
        uint64_t bytes = v[i].payload_len + PS_CKPT_HEADER;
        report_open(&r, NULL, 0);
        report_u64(&r, "seq", v[i].seq);
        report_u64(&r, "created_ns", v[i].status ? 0 : v[i].created_ns);
        report_u64(&r, "atoms", v[i].atoms);
        report_u64(&r, "log_pos", v[i].log_pos);
        report_u64(&r, "bytes", bytes);
        report_str(&r, "status", status);
        report_close(&r, 0);
        report_text(&r, "%-6" PRIu64 " %-20s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "  %s\n",
                    v[i].seq, when, v[i].atoms, v[i].log_pos, bytes, status);
    }
    report_close(&r, 1);
    report_end(&r, 1);
    free(v);
    ps_store_close(st);
    return 0;
}

static int ckpt_restore(const char *dir, const char *out, uint64_t seq, int flags)
{
    ps_store *st;
    if (open_store_of(dir, &st))
        return 1;
    src x = { .name = dir };
    if (ps_space_new(&x.s)) {
        ps_store_close(st);
        return die("out of memory");
    }
    ps_ckpt_info used;
    ps_ckpt_report rep;
    ps_diag d = { 0 };
    int rc = ps_ckpt_restore(st, seq, flags, x.s, 0, &used, &rep, &d);
    for (uint32_t i = 0; i < rep.skipped && i < PS_CKPT_MAX_SKIPS; i++)
        fprintf(stderr, "%s: skipped checkpoint %" PRIu64 ": %s\n", dir, rep.skip[i].seq,
                rep.skip[i].msg);
    if (rc) {
        rc = die("%s: %s: %s", dir, ps_strerror(rc), d.msg);
    } else {
        fprintf(stderr, "%s: checkpoint %" PRIu64 ": %" PRIu64 " atoms, log position %" PRIu64
                "\n", dir, used.seq, used.atoms, used.log_pos);
        wopts o = { .out = out, .to = fmt_out("checkpoint restore", out, FMT_NONE), .quiet = 1 };
        rc = o.to == FMT_NONE ? 1 : write_dest(&x, &o);
    }
    src_close(&x);
    ps_store_close(st);
    return rc;
}

int cmd_checkpoint(int argc, char **argv)
{
    if (has_help(argc, argv, ckpt_usage))
        return 0;
    if (argc < 3) {
        fputs(ckpt_usage, stderr);
        return 2;
    }
    const char *sub = argv[1], *dir = argv[2];
    if (!strcmp(sub, "ls") && (argc == 3 || (argc == 4 && !strcmp(argv[3], "--json"))))
        return ckpt_ls(dir, argc == 4);
    if (!strcmp(sub, "save") && argc == 3) {
        ps_pspace *p;
        ps_pspace_opts o;
        ps_pspace_opts_init(&o);
        o.no_final_ckpt = 1;
        if (open_space(dir, &o, &p, 0))
            return 1;
        ps_ckpt_info ci;
        ps_diag d = { 0 };
        int rc = ps_pspace_checkpoint(p, &ci, &d);
        if (!rc)
            printf("checkpoint %" PRIu64 ": %" PRIu64 " atoms, %" PRIu64 " bytes\n", ci.seq,
                   ci.atoms, ci.payload_len + PS_CKPT_HEADER);
        ps_pspace_close(p, NULL);
        return rc ? die("%s: %s", dir, d.msg) : 0;
    }
    if (!strcmp(sub, "restore") && argc >= 4) {
        uint64_t seq = 0;
        int flags = 0;
        for (int i = 4; i < argc; i++) {
            if (!strcmp(argv[i], "--id") && i + 1 < argc && !parse_u64(argv[i + 1], &seq) && seq)
                i++;
            else if (!strcmp(argv[i], "--past-newer"))
                flags |= PS_RESTORE_PAST_NEWER;
            else
                return die("checkpoint restore: bad argument '%s' (see --help)", argv[i]);
        }
        return ckpt_restore(dir, argv[3], seq, flags);
    }
    if (!strcmp(sub, "prune") && argc == 5 && !strcmp(argv[3], "--keep")) {
        ps_store *st;
        if (open_store_of(dir, &st))
            return 1;
        uint64_t removed, keep;
        ps_diag d = { 0 };
        if (parse_u64(argv[4], &keep) || !keep) {
            ps_store_close(st);
            return die("checkpoint prune: --keep N: '%s' is not a count from 1", argv[4]);
        }
        int rc = ps_ckpt_prune(st, keep, &removed, &d);
        ps_store_close(st);
        if (rc)
            return die("%s: %s", dir, d.msg);
        printf("removed %" PRIu64 " checkpoint(s)\n", removed);
        return 0;
    }
    fputs(ckpt_usage, stderr);
    return 2;
}
