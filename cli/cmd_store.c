/* cmd_store.c - pathspace store put|get|ls|ref|rm|gc|verify: the blob
 * store from the shell (docs/store.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char store_usage[] =
    "usage: pathspace store put ROOT FILE... [--hash H] [--nosync] [--ref NAME]\n"
    "       pathspace store get ROOT ID|REF [OUT]\n"
    "       pathspace store ls ROOT [--objects]\n"
    "       pathspace store ref ROOT NAME ID|REF\n"
    "       pathspace store rm ROOT ID|REF...\n"
    "       pathspace store gc ROOT [--grace SECONDS]\n"
    "       pathspace store verify ROOT\n"
    "  A content-addressed store: objects under ROOT/<hash>/<2 hex>/<hex>, refs\n"
    "  (names such as checkpoints/...) under ROOT/refs. put writes each FILE (- for\n"
    "  stdin) through ROOT/temp with fsync and an atomic rename, prints its id, and\n"
    "  stores nothing twice. get checks the bytes against the id: a mismatch is an\n"
    "  error and OUT is not left behind. rm takes a ref name or an object id. gc\n"
    "  removes objects no ref names once they are older than the grace period\n"
    "  (--grace, default 3600 s: a put and its ref may be that far apart) and temp\n"
    "  files whose writer is gone; it refuses while a persistent space is open on\n"
    "  the store, or while a ref is unreadable. verify re-hashes every object,\n"
    "  reads every ref and checks its object is there, and reports anything in\n"
    "  refs/ that is no ref; it exits 1 on any problem.\n"
    "  --hash sha256 (default) | blake2bp (cryptographic, ~2x faster here) |\n"
    "         xxh128 (~25x faster, not collision-resistant: trusted data only)\n"
    "  --nosync  skip fsync (faster; a crash may lose what was written)\n";

/* grace < 0: the default */
static int open_root_grace(const char *root, int hash, int nosync, int create, long grace,
                           ps_store **st)
{
    ps_store_opts o;
    ps_store_opts_init(&o);
    o.hash = hash;
    o.nosync = nosync;
    if (grace >= 0)
        o.gc_grace_s = (uint32_t)grace;
    ps_diag d = { 0 };
    int rc = ps_store_open(root, &o, create, st, &d);
    return rc ? die("%s: %s", root, d.msg) : 0;
}

static int open_root(const char *root, int hash, int nosync, int create, ps_store **st)
{
    return open_root_grace(root, hash, nosync, create, -1, st);
}

/* An object id, or a ref naming one. */
static int resolve(ps_store *st, const char *s, ps_oid *oid)
{
    if (ps_oid_parse(s, oid) == PS_OK)
        return 0;
    ps_diag d = { 0 };
    if (ps_ref_get(st, s, oid, &d))
        return die("%s: not an object id, and %s", s, d.msg);
    return 0;
}

static int read_err(ps_diag *d, const char *what)
{
    snprintf(d->msg, sizeof d->msg, "%s: %s", what, strerror(errno));
    return PS_E_IO;
}

static int put_fd(ps_store *st, int fd, ps_oid *oid, ps_diag *d)
{
    ps_store_writer *w;
    int rc = ps_store_writer_new(st, &w, d);
    static uint8_t buf[1 << 20];
    if (rc)
        return rc;
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = read_err(d, "cannot read the input");
            ps_store_writer_free(w);
            return rc;
        }
        if (ps_store_writer_write(w, buf, (size_t)n))
            break; /* finish reports why (ENOSPC, EFBIG...) and cleans up */
    }
    return ps_store_writer_finish(w, oid, NULL, d);
}

static int hash_parse(const char *s)
{
    for (int h = 0; h < PS_HASH_COUNT; h++)
        if (!strcmp(s, ps_hash_name(h)))
            return h;
    return -1;
}

static int store_put(int argc, char **argv)
{
    int hash = PS_HASH_SHA256, nosync = 0, nfiles = 0, rc = 0;
    const char *ref = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--hash") && i + 1 < argc) {
            if ((hash = hash_parse(argv[++i])) < 0)
                return die("store: unknown hash %s", argv[i]);
        } else if (!strcmp(argv[i], "--ref") && i + 1 < argc) {
            ref = argv[++i];
        } else if (!strcmp(argv[i], "--nosync")) {
            nosync = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return die("store: unknown option %s (see --help)", argv[i]);
        } else {
            nfiles++;
        }
    }
    if (!nfiles)
        return die("store put: no files (see --help)");
    if (ref && nfiles != 1)
        return die("store put: --ref takes exactly one file");
    ps_store *st;
    if (open_root(argv[1], hash, nosync, 1, &st))
        return 1;
    for (int i = 2; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--hash") || !strcmp(argv[i], "--ref")) {
            i++;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            continue;
        int fd = strcmp(argv[i], "-") ? open(argv[i], O_RDONLY | O_CLOEXEC) : 0;
        if (fd < 0) {
            rc = die("%s: %s", argv[i], strerror(errno));
            break;
        }
        ps_oid oid;
        ps_diag d = { 0 };
        int r = put_fd(st, fd, &oid, &d);
        if (fd)
            close(fd);
        if (!r && ref)
            r = ps_ref_set(st, ref, &oid, &d);
        if (r) {
            rc = die("%s: %s: %s", argv[i], ps_strerror(r), d.msg);
            break;
        }
        char id[PS_OID_STR_MAX];
        ps_oid_format(&oid, id);
        printf("%s  %s\n", id, argv[i]);
    }
    ps_store_close(st);
    return rc;
}

static int store_get(ps_store *st, int argc, char **argv)
{
    if (argc < 3 || argc > 4)
        return die("store get: ROOT ID|REF [OUT] (see --help)");
    ps_oid oid;
    if (resolve(st, argv[2], &oid))
        return 1;
    outfile o; /* OUT appears only once its bytes are checked */
    if (out_begin(&o, argc == 4 ? argv[3] : "-"))
        return 1;
    int fd = o.fd;
    ps_store_reader *r = NULL;
    ps_diag d = { 0 };
    int rc = ps_store_reader_new(st, &oid, &r, &d);
    static uint8_t buf[1 << 20];
    size_t n = 1;
    while (!rc && n) {
        rc = ps_store_reader_read(r, buf, sizeof buf, &n, &d);
        ssize_t w = 0;
        for (size_t at = 0; !rc && at < n; at += (size_t)w)
            if ((w = write(fd, buf + at, n - at)) <= 0)
                rc = PS_E_IO, snprintf(d.msg, sizeof d.msg, "write: %s", strerror(errno));
    }
    ps_store_reader_free(r);
    if (out_end(&o, !rc))
        return rc ? die("%s: %s: %s", argv[2], ps_strerror(rc), d.msg) : 1;
    return 0;
}

static int print_ref(void *ctx, const char *name, const ps_oid *oid)
{
    ps_store *st = ctx;
    char id[PS_OID_STR_MAX] = "(not an object id)";
    uint64_t size = 0;
    if (oid)
        ps_oid_format(oid, id);
    if (oid && ps_store_size(st, oid, &size))
        printf("%-40s %s  (missing)\n", name, id);
    else
        printf("%-40s %s  %llu\n", name, id, (unsigned long long)size);
    return 0;
}

static int print_object(void *ctx, const ps_oid *oid, uint64_t size)
{
    char id[PS_OID_STR_MAX];
    (void)ctx;
    ps_oid_format(oid, id);
    printf("%s  %llu\n", id, (unsigned long long)size);
    return 0;
}

static int store_ls(ps_store *st, int argc, char **argv)
{
    int objects = argc > 2 && !strcmp(argv[2], "--objects");
    if (argc > 2 + objects)
        return die("store ls: ROOT [--objects] (see --help)");
    int rc = objects ? ps_store_each(st, print_object, NULL) : ps_ref_each(st, "", print_ref, st);
    ps_store_stats s;
    if (!rc)
        rc = ps_store_stats_get(st, &s);
    if (rc)
        return die("%s: cannot list: %s", argv[1], ps_strerror(rc));
    fprintf(stderr, "%llu refs, %llu objects, %llu bytes, %llu temp files\n",
            (unsigned long long)s.refs, (unsigned long long)s.objects,
            (unsigned long long)s.bytes, (unsigned long long)s.temp_files);
    return 0;
}

static int store_ref(ps_store *st, int argc, char **argv)
{
    ps_oid oid;
    ps_diag d = { 0 };
    if (argc != 4)
        return die("store ref: ROOT NAME ID|REF (see --help)");
    if (resolve(st, argv[3], &oid))
        return 1;
    if (!ps_store_exists(st, &oid))
        return die("%s: no such object", argv[3]);
    int rc = ps_ref_set(st, argv[2], &oid, &d);
    return rc ? die("%s: %s", argv[2], d.msg) : 0;
}

static int store_rm(ps_store *st, int argc, char **argv)
{
    int rc = 0;
    if (argc < 3)
        return die("store rm: ROOT ID|REF... (see --help)");
    for (int i = 2; i < argc; i++) {
        ps_oid oid;
        int r = ps_oid_parse(argv[i], &oid) == PS_OK ? ps_store_delete(st, &oid)
                                                     : ps_ref_delete(st, argv[i]);
        if (r)
            rc = die("%s: %s", argv[i], r == PS_E_INVAL ? "not an id or a valid ref name"
                                                        : ps_strerror(r));
    }
    return rc;
}

static int store_gc(int argc, char **argv)
{
    long grace = -1;
    if (argc == 4 && !strcmp(argv[2], "--grace")) {
        uint64_t g;
        if (parse_u64(argv[3], &g) || g > UINT32_MAX)
            return die("store gc: --grace SECONDS (see --help)");
        grace = (long)g;
    } else if (argc != 2) {
        return die("store gc: ROOT [--grace SECONDS] (see --help)");
    }
    ps_store *st;
    if (open_root_grace(argv[1], PS_HASH_SHA256, 0, 0, grace, &st))
        return 1;
    ps_gc_stats g;
    ps_diag d = { 0 };
    int rc = ps_store_gc(st, &g, &d);
    ps_store_close(st);
    if (rc)
        return die("%s: %s", argv[1], d.msg);
    printf("kept %llu objects, removed %llu (%llu bytes), spared %llu younger than the grace "
           "period, removed %llu abandoned temp files\n",
           (unsigned long long)g.kept, (unsigned long long)g.removed,
           (unsigned long long)g.removed_bytes, (unsigned long long)g.young,
           (unsigned long long)g.temp_removed);
    return 0;
}

static void print_problem(void *ctx, int code, const char *what)
{
    (void)ctx;
    printf("%s: %s\n", ps_strerror(code), what);
}

static int store_verify(ps_store *st, char **argv)
{
    ps_verify_stats v;
    ps_diag d = { 0 };
    int rc = ps_store_verify(st, print_problem, NULL, &v, &d);
    printf("%llu objects, %llu bad; %llu refs, %llu bad; %llu strays in refs/\n",
           (unsigned long long)v.objects, (unsigned long long)v.bad_objects,
           (unsigned long long)v.refs, (unsigned long long)v.bad_refs,
           (unsigned long long)v.strays);
    return rc ? die("%s: %s", argv[1], d.msg) : 0;
}

int cmd_store(int argc, char **argv)
{
    if (has_help(argc, argv, store_usage))
        return 0;
    if (argc < 3) {
        fputs(store_usage, stderr);
        return 2;
    }
    const char *sub = argv[1];
    argc--, argv++; /* argv[1] is ROOT from here on */
    if (!strcmp(sub, "put"))
        return store_put(argc, argv);
    if (!strcmp(sub, "gc"))
        return store_gc(argc, argv);
    static const char *const subs[] = { "get", "ls", "ref", "rm", "verify" };
    size_t k = 0;
    while (k < sizeof subs / sizeof *subs && strcmp(sub, subs[k]))
        k++;
    if (k == sizeof subs / sizeof *subs)
        return die("store: unknown subcommand '%s' (see --help)", sub);
    ps_store *st;
    if (open_root(argv[1], PS_HASH_SHA256, 0, 0, &st))
        return 1;
    int rc = k == 0   ? store_get(st, argc, argv)
             : k == 1 ? store_ls(st, argc, argv)
             : k == 2 ? store_ref(st, argc, argv)
             : k == 3 ? store_rm(st, argc, argv)
                      : store_verify(st, argv);
    ps_store_close(st);
    return rc;
}
