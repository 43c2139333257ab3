/* cmd_convert.c - convert between MeTTa text, .paths, .act and .snap; verify. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char convert_usage[] =
    "usage: pathspace convert IN OUT [--from FMT] [--to FMT] [--level L] [--threads N]\n"
    "                         [--codec C] [--priority P] [--checksum K] [--chunk BYTES]\n"
    "                         [--skip-extended] [--quiet] [--pattern P --template T]\n"
    "  Converts between MeTTa text (.metta), MORK's .paths, MORK's ACT (.act) and\n"
    "  pathspace snapshots (.snap). Formats come from the extensions (.paths.gz and\n"
    "  .upaths are .paths), else from the content; --from/--to FMT (metta, paths,\n"
    "  act, snap) override. ACT and snapshot inputs are streamed in place; OUT\n"
    "  appears only when complete (- = stdout).\n"
    "  --pattern P --template T   as mork convert's: each atom of IN that unifies\n"
    "                 with P is written as T instantiated (MeTTa text, e.g.\n"
    "                 --pattern '(parent $x $y)' --template '(child $y $x)'); the\n"
    "                 others are left out.\n"
    "  Snapshot options (docs/format-snapshot.md):\n"
    "  --codec C      none, lz4, zstd, zlib, or auto (default: by --priority)\n"
    "  --priority P   speed (lz4), balanced (zstd 1, default) or size (zstd 19 up to\n"
    "                 16 MB of paths, 15 up to 256 MB, 9 beyond)\n"
    "  --level L      the codec's level: lz4 1 (LZ4) or 2..12 (LZ4HC), zstd -7..22,\n"
    "                 zlib 1..9\n"
    "  --checksum K   xxh3 (default, ~10 GB/s) or blake2b (BLAKE2b-256, ~0.9 GB/s)\n"
    "  --chunk BYTES  raw bytes per chunk, 4096..67108864 (default 262144; k/m suffix)\n"
    "  --threads N    compressing threads (default: one per CPU); the bytes written\n"
    "                 are the same for any N (.paths too).\n"
    "  .paths options:\n"
    "  --level L      .paths compression; MORK writes 7. Measured converting an ACT of\n"
    "                 1M generated atoms (50.3 MB of records) on 2 cores, 2 threads\n"
    "                 (median of 3; docs/mork-formats.md):\n"
    "                   fast  isa-l igzip   0.07 s   15.7% of the records\n"
    "                   1     zlib 1        0.13 s   16.5%\n"
    "                   6     zlib 6        0.31 s   13.8%\n"
    "                   7     zlib 7        0.41 s   13.5%   (default, MORK's)\n"
    "                   9     zlib 9        1.05 s   13.3%\n"
    "                 zlib levels scale with the thread count.\n"
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

/* The index of v in names[], or -1. */
static int pick(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i]))
            return i;
    return -1;
}

/* One snapshot option; 1 if taken, -1 after reporting a bad value. */
static int snap_arg(wopts *o, const char *a, const char *v)
{
    static const char *const codecs[] = { "auto", "none", "lz4", "zstd", "zlib" };
    static const char *const pris[] = { "balanced", "speed", "size" };
    static const char *const sums[] = { "xxh3", "blake2b" };
    uint64_t n;
    int k;
    if (!strcmp(a, "--codec")) {
        if ((k = pick(v, codecs, 5)) < 0)
            return die("--codec: '%s' is not auto, none, lz4, zstd or zlib", v), -1;
        o->snap.codec = k;
    } else if (!strcmp(a, "--priority")) {
        if ((k = pick(v, pris, 3)) < 0)
            return die("--priority: '%s' is not speed, balanced or size", v), -1;
        o->snap.priority = k;
    } else if (!strcmp(a, "--checksum")) {
        if ((k = pick(v, sums, 2)) < 0)
            return die("--checksum: '%s' is not xxh3 or blake2b", v), -1;
        o->snap.checksum = k;
    } else if (parse_bytes(v, PS_SNAP_CHUNK_MAX, &n) || n < PS_SNAP_CHUNK_MIN) {
        return die("--chunk: '%s' is not 4096..67108864 bytes", v), -1;
    } else {
        o->snap.chunk_size = (uint32_t)n;
    }
    return 1;
}

static int level_arg(wopts *o, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!strcmp(v, "fast"))
        n = PS_PATHS_LEVEL_FAST;
    else if (!*v || *end || n < -7 || n > 22)
        return die("--level: '%s' is not a level (-7..22, or fast for .paths)", v), -1;
    o->level = (int)n;
    o->level_set = 1;
    return 1;
}

int wopts_arg(wopts *o, int argc, char **argv, int *i)
{
    static const char *const takes[] = { "-o", "--from", "--to", "--level", "--threads",
                                         "--codec", "--priority", "--checksum", "--chunk" };
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    long n;
    int k = pick(a, takes, 9);
    if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
        return o->quiet = 1;
    if (!strcmp(a, "--skip-extended"))
        return o->skip_ext = 1;
    if (k < 0)
        return 0;
    if (!v)
        return die("%s needs a value (see --help)", a), -1;
    ++*i;
    if (k >= 5)
        return snap_arg(o, a, v);
    if (k == 3)
        return level_arg(o, v);
    if (k == 0) {
        o->out = v;
    } else if (k <= 2) {
        fmt f = fmt_parse(v);
        if (f == FMT_NONE)
            return die("%s: unknown format '%s' (metta, paths, act, snap)", a, v), -1;
        *(a[2] == 'f' ? &o->from : &o->to) = f;
    } else if (parse_uint(v, 256, &n) || n == 0) {
        return die("--threads: '%s' is not 1..256", v), -1;
    } else {
        o->threads = (unsigned)n;
    }
    return 1;
}

/* mork convert's pattern and template: the instances, written to OUT. */
static int convert_through(const src *x, const char *pat, const char *tpl, const wopts *o)
{
    ps_query *q;
    if (query_compile(pat, tpl, &q))
        return 2;
    src y;
    memset(&y, 0, sizeof y);
    y.name = x->name;
    y.f = PS_FORMAT_METTA;
    int rc = ps_space_new(&y.s) ? die("out of memory") + 1 : 0;
    if (!rc)
        rc = query_into(q, x, 0, o->threads, y.s, 0, PS_JOIN_AUTO);
    if (!rc)
        rc = write_dest(&y, o);
    ps_space_free(y.s);
    ps_query_free(q);
    return rc;
}

int cmd_convert(int argc, char **argv)
{
    wopts o = { 0 };
    const char *pos[2], *pat = NULL, *tpl = NULL;
    int npos = 0;
    if (has_help(argc, argv, convert_usage))
        return 0;
    for (int i = 1; i < argc; i++) {
        int w = wopts_arg(&o, argc, argv, &i);
        if (w < 0)
            return 2;
        if (w)
            continue;
        if ((!strcmp(argv[i], "--pattern") || !strcmp(argv[i], "--template")) && i + 1 < argc) {
            *(argv[i][2] == 'p' ? &pat : &tpl) = argv[i + 1];
            i++;
            continue;
        }
        if ((argv[i][0] == '-' && argv[i][1]) || npos == 2)
            return die("convert: unexpected argument '%s' (see --help)", argv[i]) + 1;
        pos[npos++] = argv[i];
    }
    if (npos != 2 || o.out)
        return die("convert: needs IN and OUT (see --help)") + 1;
    o.out = pos[1];
    if ((o.to = fmt_out("convert", o.out, o.to)) == FMT_NONE)
        return 2;
    if (!pat != !tpl)
        return die("convert: --pattern and --template go together") + 1;
    src x;
    if (src_open(&x, pos[0], o.from))
        return 1;
    int rc = pat ? convert_through(&x, pat, tpl, &o) : write_dest(&x, &o);
    src_close(&x);
    return rc;
}

static const char verify_usage[] =
    "usage: pathspace verify FILE [--from FMT]\n"
    "  Checks a whole file and prints what it holds; exit 0 if sound, 1 with the\n"
    "  first problem and its byte offset (or line:column) if not. An ACT is walked\n"
    "  record by record (every offset backwards and in the file, counts, lines);\n"
    "  a .paths stream is fully decoded (deflate, checksum, record framing); a\n"
    "  snapshot has every chunk checksummed and decoded on all CPUs (entries,\n"
    "  order across chunks, counts); text is fully parsed.\n";

static int verify_snap(const char *path)
{
    ps_snap *n;
    ps_snap_info in;
    ps_diag d = { 0 };
    int rc = ps_snap_open(path, &n, &d);
    if (rc)
        return diag_die(path, &d, rc);
    sig_input_push(path);
    ps_snap_info_get(n, &in);
    rc = ps_snap_verify(n, 0, &d);
    ps_snap_close(n);
    sig_input_pop();
    if (rc)
        return diag_die(path, &d, rc);
    printf("%s: ok: MTTS v%u snapshot, %llu paths (%llu bytes), %llu chunks, %s level %d, "
           "%s checksums%s\n",
           path, in.version, (unsigned long long)in.paths, (unsigned long long)in.path_bytes,
           (unsigned long long)in.chunks, snap_codec_str(in.codec), in.level,
           in.checksum ? "blake2b" : "xxh3", in.values ? ", with values" : "");
    return 0;
}

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
        sig_input_push(path);
        if (!(rc = ps_act_verify(a, &st, &d)))
            n = st.paths;
        ps_act_close(a);
        sig_input_pop();
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
    if (f == PS_FORMAT_PATHS)
        return verify_paths(argv[1]);
    if (f == PS_FORMAT_ACT)
        return verify_act(argv[1]);
    if (f == PS_FORMAT_SNAP && strcmp(argv[1], "-"))
        return verify_snap(argv[1]);
    src x;
    if (src_open(&x, argv[1], f))
        return 1;
    /* stdin: src_open told the format by content and loaded it */
    printf("%s: ok: %s, %llu distinct atoms\n", argv[1], x.f == PS_FORMAT_METTA ? "MeTTa text" : fmt_name(x.f),
           (unsigned long long)ps_space_count(x.s));
    src_close(&x);
    return 0;
}
