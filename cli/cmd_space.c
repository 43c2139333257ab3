/* cmd_space.c - import, dump, count, contains, stats: on any SRC format
 * (an ACT or a snapshot is answered in place, without loading it). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char import_usage[] =
    "usage: pathspace import FILE... [-o OUT] [--to FMT] [--level L] [--threads N]\n"
    "                        [--codec C] [--priority P] [--checksum K] [--chunk BYTES]\n"
    "                        [--skip-extended] [--quiet]\n"
    "  Reads every FILE (MeTTa text, .paths, .act or .snap, or JSON (.json), JSON\n"
    "  Lines (.jsonl, .ndjson) and CSV (.csv) by MORK's mappings, docs/json-csv.md;\n"
    "  - for stdin, with --from FMT) into one space,\n"
    "  and with -o writes it to OUT in the format of its extension (or --to; MeTTa\n"
    "  text by default). Output options: see 'pathspace convert --help'. Prints a\n"
    "  summary on stderr, and a progress bar while reading a large text on a terminal.\n";

int cmd_import(int argc, char **argv)
{
    wopts o = { 0 };
    int nin = 0, rc = 0;
    if (has_help(argc, argv, import_usage))
        return 0;
    src x = { .name = "space" };
    if (ps_space_new(&x.s))
        return die("out of memory");
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
            o.quiet = 1;
    for (int i = 1; i < argc && !rc; i++) {
        int w = wopts_arg(&o, argc, argv, &i);
        if (w < 0)
            rc = 1;
        else if (w == 0 && argv[i][0] == '-' && argv[i][1])
            rc = die("import: unknown option %s (see --help)", argv[i]);
        else if (w == 0 && ++nin)
            rc = load_source(x.s, argv[i], o.from, o.quiet);
    }
    if (!rc && !nin)
        rc = die("import: no input files (see --help)");
    if (!rc && o.out) {
        rc = (o.to = fmt_out("import", o.out, o.to)) == FMT_NONE ? 1 : write_dest(&x, &o);
    }
    if (!rc && !o.quiet) {
        ps_space_stats st;
        ps_space_stats_get(x.s, &st);
        fprintf(stderr, "imported %llu atoms (%llu path bytes) from %d file(s)\n",
                (unsigned long long)st.paths, (unsigned long long)st.path_bytes, nin);
    }
    src_close(&x);
    return rc;
}

/* The common start of the SRC commands: --help, the argument count, the
 * open. Returns -1 with x open to go on, otherwise the exit code. */
static int start(int argc, char **argv, const char *usage, int nargs, src *x)
{
    if (has_help(argc, argv, usage))
        return 0;
    if (argc != 1 + nargs) {
        fputs(usage, stderr);
        return 2;
    }
    return src_open(x, argv[1], FMT_NONE) ? 1 : -1;
}

int cmd_dump(int argc, char **argv)
{
    static const char u[] = "usage: pathspace dump SRC\n"
                            "  Prints every atom of SRC (MeTTa text, .paths, .act or .snap; - for\n"
                            "  stdin)\n"
                            "  as MeTTa text, one per line, in MORK's order and conventions.\n";
    src x;
    int r = start(argc, argv, u, 1, &x);
    if (r >= 0)
        return r;
    wopts o = { .out = "-", .to = PS_FORMAT_METTA, .quiet = 1 };
    int rc = write_dest(&x, &o);
    src_close(&x);
    return rc;
}

int cmd_count(int argc, char **argv)
{
    static const char u[] =
        "usage: pathspace count SRC [--fast]\n"
        "  Prints the number of distinct atoms. A snapshot is checked whole first\n"
        "  (every chunk decoded against its checksum, on every CPU: 0.1 s for 3M\n"
        "  atoms), so a damaged one is an error, not a number; --fast reads the\n"
        "  count its trailer states and checks no chunk.\n";
    int fast = take_flag(&argc, argv, "--fast");
    src x;
    int r = start(argc, argv, u, 1, &x);
    if (r >= 0)
        return r;
    uint64_t n = 0;
    ps_diag d = { 0 };
    int rc = x.a ? ps_act_count(x.a, ps_bytes_of(NULL, 0), &n, &d) : PS_OK;
    if (x.n) {
        ps_snap_info in;
        ps_snap_info_get(x.n, &in); /* the trailer's count, checked at open */
        n = in.paths;
        if (!fast)
            rc = ps_snap_verify(x.n, 0, &d);
    } else if (!x.a) {
        n = ps_space_count(x.s);
    }
    if (rc)
        rc = die("%s: %s (byte offset %llu)", x.name, d.msg, (unsigned long long)d.offset);
    else
        printf("%llu\n", (unsigned long long)n);
    src_close(&x);
    return rc;
}

int cmd_contains(int argc, char **argv)
{
    static const char u[] =
        "usage: pathspace contains SRC ATOM\n"
        "  Exit 0 and print 'yes' if SRC holds ATOM (MeTTa text; variable names do not\n"
        "  matter, only their positions), exit 1 and print 'no' if not, 2 on error.\n";
    ps_buf atom = { 0 };
    ps_diag d = { 0 };
    if (argc == 3 && ps_atom_parse(argv[2], strlen(argv[2]), &atom, &d)) {
        ps_buf_free(&atom);
        return die("ATOM:%u:%u: %s", d.line, d.col, d.msg) + 1; /* 2: not "no" */
    }
    src x;
    int r = start(argc, argv, u, 2, &x);
    if (r >= 0) {
        ps_buf_free(&atom);
        return r == 1 ? 2 : r; /* 1 means "no" here */
    }
    int yes, rc = 0;
    if (x.a || x.n) { /* in place: an ACT walk, or the one chunk that can hold it */
        int g = x.a ? ps_act_get(x.a, ps_buf_bytes(&atom), NULL, &d)
                    : ps_snap_get(x.n, ps_buf_bytes(&atom), NULL, NULL, &d);
        yes = g == PS_OK;
        if (g && g != PS_E_NOTFOUND)
            rc = die("%s: %s (byte offset %llu)", x.name, d.msg, (unsigned long long)d.offset) + 1;
    } else {
        yes = ps_space_contains(x.s, ps_buf_bytes(&atom));
    }
    if (!rc)
        puts(yes ? "yes" : "no");
    src_close(&x);
    ps_buf_free(&atom);
    return rc ? rc : yes ? 0 : 1;
}

/* Atoms that MORK's encoding cannot hold, and the path bytes. */
static int scan(const src *x, uint64_t *paths, uint64_t *bytes, uint64_t *ext)
{
    cursor c;
    ps_bytes a;
    uint64_t v;
    int r, has;
    *paths = *bytes = *ext = 0;
    if (cursor_open(&c, x, ps_bytes_of(NULL, 0)))
        return 1;
    while ((r = cursor_next(&c, x, &a, &has, &v)) == 0) {
        *paths += 1;
        *bytes += a.len;
        *ext += !ps_path_fits_mork(a);
    }
    cursor_close(&c);
    return r > 0;
}

static void space_stats(report *r, const ps_space *s)
{
    ps_space_stats st;
    ps_space_stats_get(s, &st);
    double n = st.paths ? (double)st.paths : 1;
    report_u64(r, "trie_nodes", st.nodes);
    report_u64(r, "edge_bytes", st.label_bytes);
    report_u64(r, "memory_bytes", st.mem_bytes);
    report_text(r, "trie nodes   %llu (%.2f per atom)\n", (unsigned long long)st.nodes,
                (double)st.nodes / n);
    report_text(r, "edge bytes   %llu (%.1f%% of path bytes)\n", (unsigned long long)st.label_bytes,
                st.path_bytes ? 100.0 * (double)st.label_bytes / (double)st.path_bytes : 0.0);
    report_text(r, "memory       %llu bytes (%.1f per atom)\n", (unsigned long long)st.mem_bytes,
                (double)st.mem_bytes / n);
}

static void act_stats(report *r, const ps_act_stats *st)
{
    report_u64(r, "file_bytes", st->file_bytes);
    report_u64(r, "branch_records", st->branches);
    report_u64(r, "line_records", st->lines);
    report_u64(r, "line_data", st->line_data);
    report_u64(r, "line_bytes", st->line_bytes);
    report_u64(r, "merges", st->merges);
    report_text(r, "file bytes   %llu\n", (unsigned long long)st->file_bytes);
    report_text(r, "records      %llu branch, %llu line\n", (unsigned long long)st->branches,
                (unsigned long long)st->lines);
    report_text(r, "line data    %llu distinct, %llu bytes\n", (unsigned long long)st->line_data,
                (unsigned long long)st->line_bytes);
    report_text(r, "merges       %u\n", st->merges);
}

/* The scan before it already decoded and checked every chunk (checksums,
 * entries, order across chunks); what is left is the trailer's totals. */
static int snap_stats(report *r, const src *x, uint64_t paths, uint64_t bytes)
{
    ps_snap_info in;
    ps_snap_info_get(x->n, &in);
    if (in.paths != paths || in.path_bytes != bytes)
        return die("%s: corrupt input: the trailer says %llu paths of %llu bytes, the chunks hold "
                   "%llu of %llu", x->name, (unsigned long long)in.paths,
                   (unsigned long long)in.path_bytes, (unsigned long long)paths,
                   (unsigned long long)bytes);
    report_u64(r, "file_bytes", in.file_bytes);
    report_u64(r, "snapshot_version", in.version);
    report_str(r, "codec", snap_codec_str(in.codec));
    report_u64(r, "level", (uint64_t)in.level);
    report_str(r, "checksum", in.checksum ? "blake2b" : "xxh3");
    report_u64(r, "values", (uint64_t)(in.values != 0));
    report_u64(r, "chunks", in.chunks);
    report_u64(r, "chunk_size", in.chunk_size);
    report_u64(r, "front_coded_bytes", in.raw_bytes);
    report_text(r, "file bytes   %llu (%.1f%% of path bytes, %.2f:1)\n",
                (unsigned long long)in.file_bytes,
                in.path_bytes ? 100.0 * (double)in.file_bytes / (double)in.path_bytes : 0.0,
                in.file_bytes ? (double)in.path_bytes / (double)in.file_bytes : 0.0);
    report_text(r, "snapshot     MTTS v%u, %s level %d, %s checksums%s\n", in.version,
                snap_codec_str(in.codec), in.level, in.checksum ? "blake2b" : "xxh3",
                in.values ? ", with values" : "");
    report_text(r, "chunks       %llu of up to %u raw bytes; %llu front-coded bytes\n",
                (unsigned long long)in.chunks, in.chunk_size, (unsigned long long)in.raw_bytes);
    return 0;
}

/* Whether walking every key of an ACT fits the decoding budget (else the
 * walk is refused, and stats says what it can without it). */
static int act_walkable(const src *x, const ps_act_stats *st)
{
    ps_limits l;
    ps_limits_get(&l);
    struct stat fs;
    uint64_t size = stat(x->name, &fs) ? 0 : (uint64_t)fs.st_size, budget, cost;
    if (__builtin_mul_overflow(size, (uint64_t)l.max_expansion, &budget))
        budget = UINT64_MAX;
    if (budget < l.min_budget)
        budget = l.min_budget;
    return !__builtin_mul_overflow(st->paths, (uint64_t)PS_PATH_COST, &cost) &&
           !__builtin_add_overflow(cost, st->path_bytes, &cost) && cost <= budget;
}

int cmd_stats(int argc, char **argv)
{
    static const char u[] = "usage: pathspace stats SRC [--json]\n"
                            "  Prints atoms and path bytes; for a loaded space its trie nodes,\n"
                            "  edge bytes and memory; for an ACT its records and line data; for\n"
                            "  a snapshot its codec, chunks and ratio. --json: one JSON object.\n";
    int json = take_flag(&argc, argv, "--json");
    src x;
    int r = start(argc, argv, u, 1, &x);
    if (r >= 0)
        return r;
    uint64_t paths = 0, bytes = 0, ext = 0;
    ps_act_stats ast;
    ps_diag d = { 0 };
    int rc = 0, counted = 1;
    if (x.a) { /* verified first: it counts the keys even where no walk could */
        if ((rc = ps_act_verify(x.a, &ast, &d)))
            rc = die("%s: %s (byte offset %llu)", x.name, d.msg, (unsigned long long)d.offset);
        paths = ast.paths;
        bytes = ast.path_bytes;
        counted = !rc && act_walkable(&x, &ast);
    }
    if (!rc && counted)
        rc = scan(&x, &paths, &bytes, &ext);
    report rp;
    if (!rc)
        rc = report_begin(&rp, json);
    if (!rc) {
        report_str(&rp, "format", fmt_name(x.f));
        report_u64(&rp, "atoms", paths);
        report_u64(&rp, "path_bytes", bytes);
        report_text(&rp, "format       %s\n", fmt_name(x.f));
        report_text(&rp, "atoms        %llu\n", (unsigned long long)paths);
        if (bytes == UINT64_MAX)
            report_text(&rp, "path bytes   over 18446744073709551615 (uncountable in 64 bits)\n");
        else
            report_text(&rp, "path bytes   %llu (%.1f per atom)\n", (unsigned long long)bytes,
                        paths ? (double)bytes / (double)paths : 0.0);
        if (x.a)
            act_stats(&rp, &ast);
        else if (x.n)
            rc = snap_stats(&rp, &x, paths, bytes);
        else
            space_stats(&rp, x.s);
        if (counted) {
            report_u64(&rp, "beyond_mork", ext);
            report_text(&rp, "beyond MORK  %llu atoms need the long-symbol/wide-list extension\n",
                        (unsigned long long)ext);
        } else {
            report_text(&rp, "beyond MORK  not counted: walking the keys would pass the decoding "
                        "budget (--max-expansion)\n");
        }
        report_end(&rp, !rc);
    }
    src_close(&x);
    return rc;
}
