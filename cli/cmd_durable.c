/* cmd_durable.c - pathspace open DIR and pathspace shell (the shell on a
 * persistent space, or on a served one) and pathspace checkpoint
 * save|ls|restore|prune (docs/store.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "shell.h"

static const char open_usage[] =
    "usage: pathspace shell DIR [--fsync always|everysec|never] [--every N]\n"
    "                           [--every-seconds T] [--keep N] [--import FILE]...\n"
    "                           [--truncate-corrupt] [--no-final-checkpoint]\n"
    "                           [--past-newer] [--strict]\n"
    "       pathspace shell --port P [--host H] [--token-file FILE] [--strict]\n"
    "       pathspace open DIR ...   (the same as shell DIR)\n"
    "  A shell on a space: commands, one a line, answered on stdout as pathspace\n"
    "  client answers them ('help' lists them): add, remove, contains, count,\n"
    "  query, transform, export, checkpoint, stats. On a terminal it has a prompt,\n"
    "  line editing, history (~/.pathspace_history) and completion; an error is\n"
    "  said on stderr and the session goes on. Read from a pipe it runs a script;\n"
    "  --strict ends it at the first error. Exit status 1 if a command failed.\n"
    "  A line of over 1 MiB is refused whole. With --port the space is a served\n"
    "  one (pathspace serve; the options are client's).\n"
    "  DIR is a persistent space: DIR/store (a blob store holding checkpoints),\n"
    "  DIR/wal (the write-ahead log) and DIR/LOCK; it is made if missing. Opening\n"
    "  loads the newest valid checkpoint (falling back past corrupt ones, but not\n"
    "  past one a newer pathspace wrote, unless --past-newer) and\n"
    "  replays the log after it, then reports what it did on stderr. Every change\n"
    "  is logged (and, with --fsync always, the default, on disk) before it is\n"
    "  applied and acknowledged. --import adds the atoms of FILE (any format) as\n"
    "  one logged batch. A checkpoint is taken every N changes (--every), on a change T seconds\n"
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

int open_space(const char *dir, const ps_pspace_opts *o, ps_pspace **p, int quiet)
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
    int strict = 0;
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
        } else if (!strcmp(a, "--strict")) {
            strict = 1;
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
    shell_backend b;
    shell_local(&b, p, dir);
    if (!rc)
        rc = shell_run(&b, strict);
    ps_diag d = { 0 };
    if (ps_pspace_close(p, &d) && !rc)
        rc = die("%s: closing: %s", dir, d.msg);
    return rc;
}

int cmd_shell(int argc, char **argv)
{
    if (has_help(argc, argv, open_usage))
        return 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--port") || !strcmp(argv[i], "--host") ||
            !strcmp(argv[i], "--token-file")) {
            int strict = take_flag(&argc, argv, "--strict");
            return shell_served(argc, argv, strict);
        }
    return cmd_open(argc, argv);
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
