/*
 * test_golden.c - the committed golden files of pathspace's own formats
 * (tests/golden/{snap,ckpt,wal}, written once by tools/golden.c).
 *
 * Files that must decode are decoded and compared with what they hold, and
 * re-encoded by today's writers and compared byte for byte: their bytes are
 * pinned, so a change made to a writer and its reader together fails here.
 * Files that must be rejected (one per check the format docs list) must give
 * exactly the error code their MANIFEST line names, with those words in the
 * message.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "cases.h"
#include "store/wal.h"
#include <xxhash.h>

#define G "tests/golden"

/* One expected path: the "x<hex> [value]" lines tools/golden.c writes. */
typedef struct want {
    ps_buf path;
    int hv;
    uint64_t v;
} want;

static size_t read_want(const char *file, want **out)
{
    ps_buf text = { 0 };
    REQUIRE(t_read_file(file, &text) == 0);
    size_t n = 0, cap = 0;
    want *w = NULL;
    char *s = (char *)ps_buf_data(&text), *end = s ? s + text.len : s; /* empty: NULL */
    while (s && s < end) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        REQUIRE(nl && s[0] == 'x');
        if (n == cap)
            w = realloc(w, (cap = cap ? 2 * cap : 64) * sizeof *w);
        memset(&w[n], 0, sizeof w[n]);
        char *p = s + 1;
        while (p + 1 < nl && p[0] != ' ') {
            uint8_t b = (uint8_t)strtoul((char[3]){ p[0], p[1], 0 }, NULL, 16);
            ps_buf_append(&w[n].path, &b, 1);
            p += 2;
        }
        if (*p == ' ') {
            w[n].hv = 1;
            w[n].v = strtoull(p + 1, NULL, 10);
        }
        n++;
        s = nl + 1;
    }
    ps_buf_free(&text);
    *out = w;
    return n;
}

static void free_want(want *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ps_buf_free(&w[i].path);
    free(w);
}

/* The snapshot holds exactly w[0..n): iteration, a space, lookups. */
static void check_holds(ps_snap *sn, const want *w, size_t n)
{
    ps_snap_iter *it;
    ps_bytes p;
    int hv;
    uint64_t v;
    REQUIRE_OK(ps_snap_iter_new(sn, ps_bytes_of(NULL, 0), &it));
    for (size_t i = 0; i < n; i++) {
        REQUIRE_OK(ps_snap_iter_next(it, &p, &hv, &v, NULL));
        CHECK(!ps_bytes_cmp(p, ps_buf_bytes(&w[i].path)));
        CHECK(hv == w[i].hv && (!hv || v == w[i].v));
        int ghv = -1;
        uint64_t gv = 0;
        CHECK_OK(ps_snap_get(sn, ps_buf_bytes(&w[i].path), &ghv, &gv, NULL));
        CHECK(ghv == w[i].hv && (!ghv || gv == w[i].v));
    }
    CHECK_RC(ps_snap_iter_next(it, &p, NULL, NULL, NULL), PS_E_EMPTY);
    ps_snap_iter_free(it);
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    CHECK_OK(ps_space_read_snap(s, sn, 2, NULL));
    CHECK_EQ(ps_space_count(s), n);
    for (size_t i = 0; i < n; i++)
        CHECK(ps_space_contains(s, ps_buf_bytes(&w[i].path)));
    ps_space_free(s);
}

static int plain_write(void *ctx, const void *data, size_t len)
{
    return ps_buf_append(ctx, data, len);
}

/* Today's writer, with the options the file records, gives the same bytes. */
static void check_reencode(const ps_buf *file, const ps_snap *sn, const want *w, size_t n)
{
    ps_snap_info in;
    ps_snap_info_get(sn, &in);
    ps_snap_opts o;
    ps_snap_opts_init(&o);
    o.codec = in.codec;
    o.level = in.level;
    o.checksum = in.checksum;
    o.chunk_size = in.chunk_size;
    o.threads = 2;
    ps_buf out = { 0 };
    int patched = ps_read_le64(ps_buf_data(file) + 16) != UINT64_MAX;
    ps_sink sink = patched ? ps_sink_buf(&out) : (ps_sink){ plain_write, NULL, &out };
    ps_snap_writer *wr;
    REQUIRE_OK(ps_snap_writer_new(sink, &o, &wr));
    for (size_t i = 0; i < n; i++)
        CHECK_OK(w[i].hv ? ps_snap_writer_add_value(wr, ps_buf_bytes(&w[i].path), w[i].v)
                         : ps_snap_writer_add(wr, ps_buf_bytes(&w[i].path)));
    CHECK_OK(ps_snap_writer_finish(wr, NULL));
    ps_snap_writer_free(wr);
    CHECK_EQ(out.len, file->len);
    CHECK(out.len == file->len && !memcmp(ps_buf_data(&out), ps_buf_data(file), out.len));
    ps_buf_free(&out);
}

void t_golden_snap_accept(void)
{
    static const char *names[] = { "accept-zstd", "accept-lz4-blake2b-values", "accept-zlib",
                                   "accept-none-stream", "accept-empty" };
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char path[256];
        want *w;
        snprintf(path, sizeof path, G "/snap/%s.txt", names[k]);
        size_t n = read_want(path, &w);
        snprintf(path, sizeof path, G "/snap/%s.snap", names[k]);
        ps_buf file = { 0 };
        REQUIRE(t_read_file(path, &file) == 0);
        ps_snap *sn;
        ps_diag d = { 0 };
        REQUIRE_OK(ps_snap_open(path, &sn, &d));
        CHECK_OK(ps_snap_verify(sn, 2, &d));
        ps_snap_info in;
        ps_snap_info_get(sn, &in);
        CHECK_EQ(in.paths, n);
        check_holds(sn, w, n);
        check_reencode(&file, sn, w, n);
        ps_snap_close(sn);
        ps_buf_free(&file);
        free_want(w, n);
    }
}

/* Each MANIFEST line of dir: file, code, words. fn checks one file. */
static void each_manifest(const char *dir, void (*fn)(const char *path, int code, const char *words))
{
    char path[512];
    snprintf(path, sizeof path, G "/%s/MANIFEST", dir);
    FILE *m = fopen(path, "r");
    REQUIRE(m != NULL);
    char line[512];
    int cases = 0;
    while (fgets(line, sizeof line, m)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = 0;
        char name[200];
        int code, at = 0;
        REQUIRE(sscanf(line, "%199s %d %n", name, &code, &at) == 2 && at > 0);
        snprintf(path, sizeof path, G "/%s/%s", dir, name);
        size_t before = (size_t)t_case_failures;
        fn(path, code, line + at);
        if ((size_t)t_case_failures != before)
            printf("    (golden file %s)\n", path);
        cases++;
    }
    fclose(m);
    CHECK(cases > 10);
}

static void expect_msg(int rc, int code, const ps_diag *d, const char *words)
{
    CHECK_RC(rc, code);
    if (!strstr(d->msg, words))
        t_failf(__FILE__, __LINE__, "message '%s' lacks '%s'", d->msg, words);
}

/* Open, verify, load, iterate: the first error. */
static void snap_reject_one(const char *path, int code, const char *words)
{
    ps_snap *sn;
    ps_diag d = { 0 };
    int rc = ps_snap_open(path, &sn, &d);
    if (!rc) {
        ps_diag d2 = { 0 };
        rc = ps_snap_verify(sn, 1, &d);
        /* every other reader refuses it the same way */
        ps_space *s;
        REQUIRE_OK(ps_space_new(&s));
        int rc2 = ps_space_read_snap(s, sn, 1, &d2);
        ps_snap_iter *it;
        REQUIRE_OK(ps_snap_iter_new(sn, ps_bytes_of(NULL, 0), &it));
        ps_bytes p;
        int rc3;
        ps_diag d3 = { 0 };
        while ((rc3 = ps_snap_iter_next(it, &p, NULL, NULL, &d3)) == PS_OK)
            ;
        CHECK(rc2 != PS_OK && rc3 != PS_E_EMPTY);
        ps_snap_iter_free(it);
        ps_space_free(s);
        ps_snap_close(sn);
    }
    expect_msg(rc, code, &d, words);
}

void t_golden_snap_reject(void)
{
    each_manifest("snap", snap_reject_one);
}

/* ----------------------------------------------------------- checkpoints */

static const char *tmp_store(char dir[256], ps_store **st)
{
    REQUIRE(t_tmpdir(dir) != NULL);
    char root[300];
    snprintf(root, sizeof root, "%s/store", dir);
    ps_store_opts o;
    ps_store_opts_init(&o);
    o.nosync = 1;
    REQUIRE_OK(ps_store_open(root, &o, 1, st, NULL));
    return dir;
}

/* The object stored under checkpoints/<seq>, as a persistent space keeps it. */
static void store_ckpt(ps_store *st, const ps_buf *b, uint64_t seq)
{
    ps_oid oid;
    char ref[64];
    REQUIRE_OK(ps_store_put(st, ps_buf_data(b), b->len, &oid, NULL, NULL));
    snprintf(ref, sizeof ref, "checkpoints/%016llx", (unsigned long long)seq);
    REQUIRE_OK(ps_ref_set(st, ref, &oid, NULL));
}

void t_golden_ckpt_accept(void)
{
    ps_buf file = { 0 }, again = { 0 };
    want *w;
    size_t n = read_want(G "/ckpt/accept-3.txt", &w);
    REQUIRE(t_read_file(G "/ckpt/accept-3.ckpt", &file) == 0);
    ps_ckpt_info ci;
    ps_bytes payload;
    REQUIRE_OK(ps_ckpt_check(ps_buf_data(&file), file.len, &ci, &payload, NULL));
    CHECK(ci.seq == 3 && ci.log_pos == 10 && ci.atoms == n && ci.version == 1);
    CHECK(ci.created_ns == 1764547200ull * 1000000000ull);
    uint8_t h[PS_CKPT_HEADER];
    ps_ckpt_header_encode(&ci, h);
    CHECK(!memcmp(h, ps_buf_data(&file), PS_CKPT_HEADER));
    ps_snap *sn;
    REQUIRE_OK(ps_snap_open_mem(payload.ptr, payload.len, &sn, NULL));
    check_holds(sn, w, n);
    /* what ps_ckpt_save writes: the default snapshot of that space */
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    CHECK_OK(ps_space_read_snap(s, sn, 1, NULL));
    CHECK_OK(ps_space_write_snap(s, ps_sink_buf(&again), NULL, NULL));
    CHECK(again.len == payload.len && !memcmp(ps_buf_data(&again), payload.ptr, payload.len));
    ps_snap_close(sn);
    ps_space_free(s);
    /* a persistent space around it: the checkpoint, then the log after it */
    char dir[256], wdir[300];
    ps_store *st;
    tmp_store(dir, &st);
    store_ckpt(st, &file, 3);
    ps_store_close(st);
    snprintf(wdir, sizeof wdir, "%s/wal", dir);
    REQUIRE(mkdir(wdir, 0755) == 0);
    uint8_t hdr[WAL_HDR];
    ps_buf seg = { 0 }, a = { 0 };
    ps__wal_header(hdr, 11);
    ps_buf_append(&seg, hdr, sizeof hdr);
    REQUIRE_OK(ps_atom_parse("(golden extra)", 14, &a, NULL));
    wal_op ops[2] = { { WAL_ADD, ps_buf_bytes(&a), 0, 0 }, { WAL_REMOVE, ps_buf_bytes(&w[0].path), 0, 0 } };
    REQUIRE_OK(ps__wal_encode(&seg, 11, ops, 2));
    char segp[400];
    snprintf(segp, sizeof segp, "%s/000000000000000b.log", wdir);
    int fd = open(segp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0 && write(fd, ps_buf_data(&seg), seg.len) == (ssize_t)seg.len);
    close(fd);
    ps_pspace *ps;
    ps_recovery rec;
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    po.no_final_ckpt = 1;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_pspace_open(dir, &po, &ps, &rec, &d));
    CHECK(rec.have_ckpt && rec.ckpt.seq == 3 && rec.replayed == 2 && rec.last_seq == 12);
    const ps_space *sp = ps_pspace_space(ps);
    CHECK_EQ(ps_space_count(sp), n);
    CHECK(ps_space_contains(sp, ps_buf_bytes(&a)));
    CHECK(!ps_space_contains(sp, ps_buf_bytes(&w[0].path)));
    for (size_t i = 1; i < n; i++)
        CHECK(ps_space_contains(sp, ps_buf_bytes(&w[i].path)));
    ps_pspace_abandon(ps);
    t_rmtree(dir);
    ps_buf_free(&seg);
    ps_buf_free(&a);
    ps_buf_free(&file);
    ps_buf_free(&again);
    free_want(w, n);
}

/* The header checks, then a restore of it as checkpoint 3 of a store. */
static void ckpt_reject_one(const char *path, int code, const char *words)
{
    ps_buf b = { 0 };
    REQUIRE(t_read_file(path, &b) == 0);
    ps_ckpt_info ci;
    ps_diag d = { 0 };
    int rc = ps_ckpt_check(ps_buf_data(&b), b.len, &ci, NULL, &d);
    if (!rc) {
        char dir[256];
        ps_store *st;
        ps_space *s;
        tmp_store(dir, &st);
        store_ckpt(st, &b, 3);
        REQUIRE_OK(ps_space_new(&s));
        rc = ps_ckpt_restore(st, 3, 0, s, 1, NULL, NULL, &d);
        CHECK_EQ(ps_space_count(s), 0); /* nothing half-loaded */
        ps_space_free(s);
        ps_store_close(st);
        t_rmtree(dir);
    }
    expect_msg(rc, code, &d, words);
    ps_buf_free(&b);
}

void t_golden_ckpt_reject(void)
{
    each_manifest("ckpt", ckpt_reject_one);
}

/* ------------------------------------------------------------------ log */

typedef struct oplog {
    ps_buf text;
} oplog;

/* Each replayed op as the "add ATOM" lines of an expect file. */
static int log_op(void *ctx, const wal_op *op)
{
    oplog *l = ctx;
    char v[32];
    const char *name = op->op == WAL_ADD ? "add " : op->op == WAL_REMOVE ? "remove " : "set ";
    ps_buf_append(&l->text, name, strlen(name));
    if (op->op == WAL_SET) {
        snprintf(v, sizeof v, "%llu ", (unsigned long long)op->value);
        ps_buf_append(&l->text, v, strlen(v));
    }
    int rc = ps_atom_print(op->path, &l->text);
    ps_buf_append(&l->text, "\n", 1);
    return rc;
}

/* Copies the segments of case dir into a fresh wal directory. */
static int copy_case(const char *src, char tmp[256])
{
    REQUIRE(t_tmpdir(tmp) != NULL);
    DIR *d = opendir(src);
    REQUIRE(d != NULL);
    struct dirent *e;
    ps_buf b = { 0 };
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".log"))
            continue;
        char from[600], to[600];
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        snprintf(to, sizeof to, "%s/%s", tmp, e->d_name);
        REQUIRE(t_read_file(from, &b) == 0);
        int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        REQUIRE(fd >= 0 && write(fd, ps_buf_data(&b), b.len) == (ssize_t)b.len);
        close(fd);
    }
    closedir(d);
    ps_buf_free(&b);
    int fd = open(tmp, O_RDONLY | O_DIRECTORY);
    REQUIRE(fd >= 0);
    return fd;
}

/* Recovers case dir (after: the checkpoint's log position). */
static int recover_case(const char *dir, uint64_t after, ps_recovery *rec, oplog *l, ps_diag *d,
                        char tmp[256], int *fd)
{
    *fd = copy_case(dir, tmp);
    memset(rec, 0, sizeof *rec);
    return ps__wal_recover(*fd, after, 0, log_op, l, rec, d);
}

static uint64_t expect_after(const char *dir)
{
    char path[512];
    ps_buf e = { 0 };
    snprintf(path, sizeof path, "%s/expect", dir);
    uint64_t after = 0;
    if (t_read_file(path, &e) == 0 && e.len > 6 && !memcmp(ps_buf_data(&e), "after ", 6))
        after = strtoull((char *)ps_buf_data(&e) + 6, NULL, 10);
    ps_buf_free(&e);
    return after;
}

void t_golden_wal_accept(void)
{
    static const char *cases[] = { "accept-basic", "accept-segments", "accept-torn-cut",
                                   "accept-torn-checksum", "accept-torn-zeros",
                                   "accept-torn-header", "accept-torn-long-length",
                                   "accept-change", "accept-torn-change",
                                   "accept-torn-change-last" };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char dir[256], tmp[256], path[512];
        snprintf(dir, sizeof dir, G "/wal/%s", cases[k]);
        ps_buf want_text = { 0 };
        snprintf(path, sizeof path, "%s/expect", dir);
        REQUIRE(t_read_file(path, &want_text) == 0);
        ps_recovery rec;
        oplog l = { { 0 } };
        ps_diag d = { 0 };
        int fd;
        uint64_t after = expect_after(dir);
        int rc = recover_case(dir, after, &rec, &l, &d, tmp, &fd);
        CHECK_OK(rc);
        if (rc)
            printf("    %s: %s\n", cases[k], d.msg);
        /* what recovery did, in the expect file's words */
        ps_buf got = { 0 };
        char line[128];
        snprintf(line, sizeof line, "after %llu\n", (unsigned long long)after);
        ps_buf_append(&got, line, strlen(line));
        ps_buf_append(&got, ps_buf_data(&l.text), l.text.len);
        snprintf(line, sizeof line, "last %llu\n", (unsigned long long)rec.last_seq);
        ps_buf_append(&got, line, strlen(line));
        if (rec.torn)
            snprintf(line, sizeof line, "torn 1 %llu\n", (unsigned long long)rec.torn_offset);
        else
            snprintf(line, sizeof line, "torn 0\n");
        ps_buf_append(&got, line, strlen(line));
        if (got.len != want_text.len || memcmp(ps_buf_data(&got), ps_buf_data(&want_text), got.len))
            t_failf(__FILE__, __LINE__, "%s: recovered\n%.*s\nwant\n%.*s", cases[k], (int)got.len,
                    (char *)ps_buf_data(&got), (int)want_text.len, (char *)ps_buf_data(&want_text));
        if (rec.torn) { /* the tail is cut off the file */
            struct stat sb;
            snprintf(path, sizeof path, "%s/%s", tmp, rec.torn_file);
            CHECK(stat(path, &sb) == 0 && (uint64_t)sb.st_size == rec.torn_offset);
        }
        close(fd);
        t_rmtree(tmp);
        ps_buf_free(&got);
        ps_buf_free(&l.text);
        ps_buf_free(&want_text);
    }
    /* today's encoder writes accept-basic's bytes */
    ps_buf file = { 0 }, again = { 0 }, a[4] = { { 0 } };
    REQUIRE(t_read_file(G "/wal/accept-basic/0000000000000001.log", &file) == 0);
    const char *atoms[4] = { "(parent Aino Eero)", "(parent Eero Lars)", "(age Lars)",
                             "(parent Aino Eero)" };
    wal_op ops[4];
    static const int op[4] = { WAL_ADD, WAL_ADD, WAL_SET, WAL_REMOVE };
    for (int i = 0; i < 4; i++) {
        REQUIRE_OK(ps_atom_parse(atoms[i], strlen(atoms[i]), &a[i], NULL));
        ops[i] = (wal_op){ op[i], ps_buf_bytes(&a[i]), i == 2 ? 42 : 0, 0 };
    }
    uint8_t h[WAL_HDR];
    ps__wal_header(h, 1);
    CHECK_EQ(ps_read_le32(h + 8), WAL_VERSION);
    ps_write_le32(h + 8, 1); /* accept-basic is a version 1 file: same records */
    ps_write_le32(h + 28, (uint32_t)XXH3_64bits(h, 28));
    ps_buf_append(&again, h, sizeof h);
    CHECK_OK(ps__wal_encode(&again, 1, ops, 4));
    CHECK(again.len == file.len && !memcmp(ps_buf_data(&again), ps_buf_data(&file), file.len));
    for (int i = 0; i < 4; i++)
        ps_buf_free(&a[i]);
    ps_buf_free(&file);
    ps_buf_free(&again);
}

/* A refused log: the error, and not one byte of it changed on disk. */
static void wal_reject_one(const char *dir, int code, const char *words)
{
    char tmp[256];
    ps_recovery rec;
    oplog l = { { 0 } };
    ps_diag d = { 0 };
    int fd;
    int rc = recover_case(dir, expect_after(dir), &rec, &l, &d, tmp, &fd);
    expect_msg(rc, code, &d, words);
    DIR *dd = opendir(dir);
    REQUIRE(dd != NULL);
    struct dirent *e;
    ps_buf x = { 0 }, y = { 0 };
    while ((e = readdir(dd))) {
        if (!strstr(e->d_name, ".log"))
            continue;
        char p1[600], p2[600];
        snprintf(p1, sizeof p1, "%s/%s", dir, e->d_name);
        snprintf(p2, sizeof p2, "%s/%s", tmp, e->d_name);
        CHECK(t_read_file(p1, &x) == 0 && t_read_file(p2, &y) == 0);
        CHECK(x.len == y.len && !memcmp(ps_buf_data(&x), ps_buf_data(&y), x.len));
    }
    closedir(dd);
    close(fd);
    t_rmtree(tmp);
    ps_buf_free(&x);
    ps_buf_free(&y);
    ps_buf_free(&l.text);
}

void t_golden_wal_reject(void)
{
    each_manifest("wal", wal_reject_one);
}
