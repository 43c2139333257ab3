/* cmd_convert.c - convert between MeTTa text, .paths and .act; verify. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char convert_usage[] =
    "usage: pathspace convert IN OUT [--from FMT] [--to FMT] [--level L] [--threads N]\n"
    "                         [--skip-extended] [--quiet]\n"
    "  Converts between MeTTa text (.metta), MORK's .paths and MORK's ACT (.act).\n"
    "  Formats come from the extensions (.paths.gz and .upaths are .paths), else from\n"
    "  the content; --from/--to FMT (metta, paths, act) override. An ACT input is\n"
    "  streamed in place; OUT appears only when complete (- = stdout).\n"
    "  --level L      .paths compression; MORK writes 7. Measured converting an ACT of\n"
    "                 1M generated atoms (50.3 MB of records) on 2 cores, 2 threads\n"
    "                 (median of 3; docs/mork-formats.md):\n"
    "                   fast  isa-l igzip   0.07 s   15.7% of the records\n"
    "                   1     zlib 1        0.13 s   16.5%\n"
    "                   6     zlib 6        0.31 s   13.8%\n"
    "                   7     zlib 7        0.41 s   13.5%   (default, MORK's)\n"
    "                   9     zlib 9        1.05 s   13.3%\n"
    "                 zlib levels scale with the thread count.\n"
    "  --threads N    .paths compressing threads (default: one per CPU); the bytes\n"
    "                 written are the same for any N.\n"
    "  --skip-extended  leave out atoms MORK's encoding cannot hold (symbols over 63\n"
    "                 bytes, lists over 63 items) instead of failing; the count is\n"
    "                 reported.\n";

static int parse_uint(const char *s, long max, long *out)
{
    char *end;
    if (!s || !*s)
        return 1;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > max)
        return 1;
    *out = v;
    return 0;
}

int wopts_arg(wopts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    long n;
    if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
        return o->quiet = 1;
    if (!strcmp(a, "--skip-extended"))
        return o->skip_ext = 1;
    if (strcmp(a, "-o") && strcmp(a, "--from") && strcmp(a, "--to") && strcmp(a, "--level") &&
        strcmp(a, "--threads"))
        return 0;
    if (!v)
        return die("%s needs a value (see --help)", a), -1;
    ++*i;
    if (!strcmp(a, "-o"))
        o->out = v;
    else if (!strcmp(a, "--from") || !strcmp(a, "--to")) {
        fmt f = fmt_parse(v);
        if (f == FMT_NONE)
            return die("%s: unknown format '%s' (metta, paths, act)", a, v), -1;
        *(a[2] == 'f' ? &o->from : &o->to) = f;
    } else if (!strcmp(a, "--level")) {
        if (!strcmp(v, "fast"))
            o->level = PS_PATHS_LEVEL_FAST;
        else if (parse_uint(v, 9, &n))
            return die("--level: '%s' is not 0..9 or fast", v), -1;
        else
            o->level = (int)n;
    } else if (parse_uint(v, 256, &n) || n == 0) {
        return die("--threads: '%s' is not 1..256", v), -1;
    } else {
        o->threads = (unsigned)n;
    }
    return 1;
}

int cmd_convert(int argc, char **argv)
{
    wopts o = { .level = PS_PATHS_LEVEL_DEFAULT };
    const char *pos[2];
    int npos = 0;
    if (has_help(argc, argv, convert_usage))
        return 0;
    for (int i = 1; i < argc; i++) {
        int w = wopts_arg(&o, argc, argv, &i);
        if (w < 0)
            return 2;
        if (w)
            continue;
        if ((argv[i][0] == '-' && argv[i][1]) || npos == 2)
            return die("convert: unexpected argument '%s' (see --help)", argv[i]) + 1;
        pos[npos++] = argv[i];
    }
    if (npos != 2 || o.out)
        return die("convert: needs IN and OUT (see --help)") + 1;
    o.out = pos[1];
    if (o.to == FMT_NONE)
        o.to = fmt_from_ext(o.out);
    if (o.to == FMT_NONE)
        return die("convert: cannot tell OUT's format from '%s'; use --to", o.out) + 1;
    src x;
    if (src_open(&x, pos[0], o.from))
        return 1;
    int rc = write_dest(&x, &o);
    src_close(&x);
    return rc;
}

static const char verify_usage[] =
    "usage: pathspace verify FILE [--from FMT]\n"
    "  Checks a whole file and prints what it holds; exit 0 if sound, 1 with the\n"
    "  first problem and its byte offset (or line:column) if not. An ACT is walked\n"
    "  record by record (every offset backwards and in the file, counts, lines);\n"
    "  a .paths stream is fully decoded (deflate, checksum, record framing); text\n"
    "  is fully parsed.\n";

static int verify_paths(const char *path)
{
    input in;
    if (input_open(&in, path))
        return 1;
    ps_paths_reader *r;
    ps_diag d = { 0 };
    ps_bytes p;
    ps_buf prev = { 0 };
    uint64_t unordered = 0, n = 0;
    int rc = ps_paths_reader_new(in.data, in.len, &r);
    while (!rc && (rc = ps_paths_reader_next(r, &p, &d)) == PS_OK) {
        unordered += n++ && ps_bytes_cmp(ps_buf_bytes(&prev), p) >= 0;
        ps_buf_clear(&prev, 0);
        rc = ps_buf_append(&prev, p.ptr, p.len);
    }
    ps_paths_stats st = { 0 };
    if (r)
        ps_paths_reader_stats(r, &st);
    ps_paths_reader_free(r);
    ps_buf_free(&prev);
    input_close(&in);
    if (rc != PS_E_EMPTY)
        return die("%s: %s: %s (compressed byte offset %llu)", path, ps_strerror(rc), d.msg,
                   (unsigned long long)d.offset);
    printf("%s: ok: .paths, %llu records, %llu bytes decompressed, %s\n", path,
           (unsigned long long)n, (unsigned long long)st.raw_bytes,
           unordered ? "unordered (as .upaths)" : "sorted and unique");
    return 0;
}

static int verify_act(const char *path)
{
    ps_act *a;
    ps_act_stats st;
    ps_diag d = { 0 };
    uint64_t n = 0;
    int rc = ps_act_open(path, &a, &d);
    if (!rc) {
        if (!(rc = ps_act_verify(a, &st, &d)))
            rc = ps_act_count(a, ps_bytes_of(NULL, 0), &n, &d);
        ps_act_close(a);
    }
    if (rc)
        return die("%s: %s: %s (byte offset %llu)", path, ps_strerror(rc), d.msg,
                   (unsigned long long)d.offset);
    printf("%s: ok: ACTree03, %llu keys, %llu branch + %llu line records, %llu line data "
           "(%llu bytes), %u merges\n",
           path, (unsigned long long)n, (unsigned long long)st.branches,
           (unsigned long long)st.lines, (unsigned long long)st.line_data,
           (unsigned long long)st.line_bytes, st.merges);
    return 0;
}

int cmd_verify(int argc, char **argv)
{
    fmt f = FMT_NONE;
    if (has_help(argc, argv, verify_usage))
        return 0;
    if (argc == 4 && !strcmp(argv[2], "--from"))
        f = fmt_parse(argv[3]);
    if ((argc != 2 && argc != 4) || (argc == 4 && f == FMT_NONE)) {
        fputs(verify_usage, stderr);
        return 2;
    }
    f = fmt_detect(argv[1], f);
    if (f == FMT_PATHS)
        return verify_paths(argv[1]);
    if (f == FMT_ACT)
        return verify_act(argv[1]);
    src x;
    if (src_open(&x, argv[1], f))
        return 1;
    /* stdin: src_open told the format by content and loaded it */
    printf("%s: ok: %s, %llu distinct atoms\n", argv[1], x.f == FMT_METTA ? "MeTTa text" : fmt_name(x.f),
           (unsigned long long)ps_space_count(x.s));
    src_close(&x);
    return 0;
}
