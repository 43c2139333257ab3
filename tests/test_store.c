/* test_store.c - the blob store and checkpoints: every read path against
 * every hash; deduplication; hash mismatch on damaged and cut objects;
 * hostile ids, ref names and planted symlinks; refs, gc and temp cleanup;
 * a full disk (RLIMIT_FSIZE in a child) leaving nothing behind; checkpoint
 * headers, corruption, version checks, fallback and prune. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "test.h"
#include "cases.h"

static ps_store *open_store(const char *dir, int hash)
{
    ps_store *st = NULL;
    ps_store_opts o;
    ps_store_opts_init(&o);
    o.hash = hash;
    o.nosync = 1;
    o.gc_grace_s = 0; /* these tests collect at once (t_store_gc_race: the grace) */
    REQUIRE_OK(ps_store_open(dir, &o, 1, &st, NULL));
    return st;
}

static uint8_t *random_bytes(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)t_rand();
    return p;
}

/* Path of an object file, for damaging it from outside. */
static void object_file(const char *root, const ps_oid *oid, char *out)
{
    char id[PS_OID_STR_MAX];
    ps_oid_format(oid, id);
    char *hex = strchr(id, ':') + 1;
    snprintf(out, 512, "%s/%s/%.2s/%s", root, ps_hash_name(oid->hash), hex, hex);
}

static size_t count_files(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "find '%s' -type f | wc -l", dir);
    FILE *f = popen(cmd, "r");
    size_t n = 0;
    if (f && fscanf(f, "%zu", &n) != 1)
        n = (size_t)-1;
    if (f)
        pclose(f);
    return n;
}

/* Every way of reading gives back exactly data. */
static void check_reads(ps_store *st, const ps_oid *oid, const uint8_t *data, size_t n)
{
    ps_buf b = { 0 };
    CHECK_OK(ps_store_get(st, oid, 0, &b, NULL));
    CHECK_EQ(b.len, n);
    CHECK(n == 0 || memcmp(ps_buf_data(&b), data, n) == 0);
    ps_blob *m;
    CHECK_OK(ps_store_map(st, oid, 0, &m, NULL));
    CHECK_EQ(ps_blob_bytes(m).len, n);
    CHECK(n == 0 || memcmp(ps_blob_bytes(m).ptr, data, n) == 0);
    ps_blob_free(m);
    ps_store_reader *r;
    REQUIRE_OK(ps_store_reader_new(st, oid, &r, NULL));
    CHECK_EQ(ps_store_reader_size(r), n);
    size_t at = 0, k;
    uint8_t tmp[70001];
    do {
        CHECK_OK(ps_store_reader_read(r, tmp, 1 + t_below(sizeof tmp - 1), &k, NULL));
        CHECK(at + k <= n && (k == 0 || memcmp(tmp, data + at, k) == 0));
        at += k;
    } while (k);
    CHECK_EQ(at, n);
    ps_store_reader_free(r);
    uint64_t size;
    CHECK_OK(ps_store_size(st, oid, &size));
    CHECK_EQ(size, n);
    ps_buf_free(&b);
}

void t_store_roundtrip(void)
{
    static const size_t sizes[] = { 0, 1, 1000, (256u << 10) - 1, 256u << 10, (256u << 10) + 1,
                                    (3u << 20) + 17 };
    char dir[256];
    CHECK(t_tmpdir(dir));
    for (int hash = 0; hash < PS_HASH_COUNT; hash++) {
        ps_store *st = open_store(dir, hash);
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            size_t n = sizes[i];
            uint8_t *data = random_bytes(n);
            ps_oid oid, again, streamed, want;
            int added;
            CHECK_OK(ps_store_put(st, data, n, &oid, &added, NULL));
            CHECK_EQ(added, 1);
            CHECK_OK(ps_oid_of(hash, data, n, &want));
            CHECK(ps_oid_equal(&oid, &want));
            CHECK_EQ(oid.hash, hash);
            CHECK(ps_store_exists(st, &oid));
            check_reads(st, &oid, data, n);
            CHECK_OK(ps_store_put(st, data, n, &again, &added, NULL)); /* dedup */
            CHECK_EQ(added, 0);
            CHECK(ps_oid_equal(&oid, &again));
            /* the streaming writer, fed in odd pieces, names it the same */
            ps_store_writer *w;
            REQUIRE_OK(ps_store_writer_new(st, &w, NULL));
            for (size_t at = 0; at < n;) {
                size_t k = 1 + t_below(t_below(2) ? 300000 : 5000);
                k = k > n - at ? n - at : k;
                CHECK_OK(ps_store_writer_write(w, data + at, k));
                at += k;
            }
            CHECK_OK(ps_store_writer_finish(w, &streamed, &added, NULL));
            CHECK_EQ(added, 0);
            CHECK(ps_oid_equal(&oid, &streamed));
            /* ids print and parse back */
            char text[PS_OID_STR_MAX];
            ps_oid_format(&oid, text);
            ps_oid back;
            CHECK_OK(ps_oid_parse(text, &back));
            CHECK(ps_oid_equal(&oid, &back));
            free(data);
        }
        ps_store_stats s;
        CHECK_OK(ps_store_stats_get(st, &s));
        CHECK_EQ(s.temp_files, 0);
        ps_store_close(st);
    }
    /* SHA-256 known answer (FIPS 180-2) */
    ps_oid k;
    char text[PS_OID_STR_MAX];
    CHECK_OK(ps_oid_of(PS_HASH_SHA256, "abc", 3, &k));
    ps_oid_format(&k, text);
    CHECK(strcmp(text, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    /* a durable store (fsync on) behaves the same */
    ps_store *st;
    ps_store_opts o;
    ps_store_opts_init(&o);
    REQUIRE_OK(ps_store_open(dir, &o, 0, &st, NULL));
    ps_oid oid;
    CHECK_OK(ps_store_put(st, "durable", 7, &oid, NULL, NULL));
    check_reads(st, &oid, (const uint8_t *)"durable", 7);
    ps_store_close(st);
    t_rmtree(dir);
}

void t_store_hash_mismatch(void)
{
    char dir[256], file[512];
    CHECK(t_tmpdir(dir));
    for (int hash = 0; hash < PS_HASH_COUNT; hash++) {
        ps_store *st = open_store(dir, hash);
        size_t n = 600000;
        uint8_t *data = random_bytes(n);
        ps_oid oid;
        CHECK_OK(ps_store_put(st, data, n, &oid, NULL, NULL));
        object_file(dir, &oid, file);
        /* flip one byte */
        int fd = open(file, O_RDWR);
        CHECK(fd >= 0);
        uint8_t c = data[n / 3] ^ 0x20;
        CHECK(pwrite(fd, &c, 1, (off_t)(n / 3)) == 1);
        close(fd);
        ps_buf b = { 0 };
        ps_diag d = { 0 };
        CHECK_RC(ps_store_get(st, &oid, 0, &b, &d), PS_E_HASH);
        CHECK(strstr(d.msg, "hash to") != NULL);
        CHECK_EQ(b.len, 0);
        CHECK_OK(ps_store_get(st, &oid, PS_READ_NOVERIFY, &b, NULL)); /* asked not to check */
        ps_blob *m;
        CHECK_RC(ps_store_map(st, &oid, 0, &m, NULL), PS_E_HASH);
        ps_store_reader *r;
        REQUIRE_OK(ps_store_reader_new(st, &oid, &r, NULL));
        size_t k;
        int rc;
        uint8_t tmp[65536];
        while ((rc = ps_store_reader_read(r, tmp, sizeof tmp, &k, NULL)) == PS_OK && k)
            ;
        CHECK_RC(rc, PS_E_HASH);
        ps_store_reader_free(r);
        ps_verify_stats vs;
        CHECK_RC(ps_store_verify(st, NULL, NULL, &vs, &d), PS_E_HASH);
        CHECK_EQ(vs.bad_objects, 1);
        /* cut short: still a mismatch, not a crash */
        CHECK(truncate(file, (off_t)(n / 2)) == 0);
        CHECK_RC(ps_store_get(st, &oid, 0, &b, NULL), PS_E_HASH);
        CHECK_OK(ps_store_delete(st, &oid));
        CHECK_RC(ps_store_delete(st, &oid), PS_E_NOTFOUND);
        CHECK_RC(ps_store_get(st, &oid, 0, &b, NULL), PS_E_NOTFOUND);
        CHECK(!ps_store_exists(st, &oid));
        ps_buf_free(&b);
        free(data);
        ps_store_close(st);
    }
    t_rmtree(dir);
}

void t_store_hostile_names(void)
{
    static const char *bad_refs[] = { "", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b",
                                      ".", "..", "a/", "/a", "a b", "a\\b", "a\nb", "x/..",
                                      "\xff" };
    for (size_t i = 0; i < sizeof bad_refs / sizeof *bad_refs; i++)
        CHECK(!ps_ref_name_valid(bad_refs[i]));
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK(!ps_ref_name_valid(longname));
    CHECK(ps_ref_name_valid("checkpoints/0000000000000001"));
    CHECK(ps_ref_name_valid("a.b/c-d/E_9"));
    static const char *bad_ids[] = {
        "sha256:../../../../etc/passwd", "../x", "sha256:", "md5:00",
        "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
        "xxh128:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2001/ad" };
    ps_oid oid;
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++)
        CHECK_RC(ps_oid_parse(bad_ids[i], &oid), PS_E_INVAL);

    char dir[256], out[256], path[600];
    CHECK(t_tmpdir(dir));
    CHECK(t_tmpdir(out));
    ps_store *st = open_store(dir, PS_HASH_SHA256);
    ps_oid o;
    CHECK_OK(ps_store_put(st, "x", 1, &o, NULL, NULL));
    for (size_t i = 0; i < sizeof bad_refs / sizeof *bad_refs; i++) {
        CHECK_RC(ps_ref_set(st, bad_refs[i], &o, NULL), PS_E_INVAL);
        CHECK_RC(ps_ref_get(st, bad_refs[i], &oid, NULL), PS_E_INVAL);
        CHECK_RC(ps_ref_delete(st, bad_refs[i]), PS_E_INVAL);
    }
    /* symlinks planted inside the store lead nowhere */
    snprintf(path, sizeof path, "%s/refs/evil", dir);
    CHECK(symlink(out, path) == 0);
    /* refs/evil is no folder of ours: the walk there refuses the symlink */
    CHECK_RC(ps_ref_set(st, "evil/x", &o, NULL), PS_E_IO);
    CHECK_RC(ps_ref_get(st, "evil/x", &oid, NULL), PS_E_IO);
    CHECK_EQ(count_files(out), 0);
    char file[512];
    snprintf(file, sizeof file, "%s/secret", out);
    FILE *f = fopen(file, "w");
    fputs("secret", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/refs/link", dir);
    CHECK(symlink(file, path) == 0);
    CHECK_RC(ps_ref_get(st, "link", &oid, NULL), PS_E_IO); /* O_NOFOLLOW: ELOOP */
    ps_oid so;
    CHECK_OK(ps_oid_of(PS_HASH_SHA256, "secret", 6, &so));
    object_file(dir, &so, path);
    *strrchr(path, '/') = 0;
    CHECK(symlink(out, path) == 0); /* sha256/<2 hex> -> outside */
    ps_buf b = { 0 };
    CHECK_RC(ps_store_get(st, &so, 0, &b, NULL), PS_E_IO);
    CHECK(!ps_store_exists(st, &so));
    CHECK_RC(ps_store_put(st, "secret", 6, &so, NULL, NULL), PS_E_IO);
    CHECK_EQ(count_files(out), 1);
    ps_buf_free(&b);
    ps_store_close(st);
    t_rmtree(dir);
    t_rmtree(out);
}

static int collect_ref(void *ctx, const char *name, const ps_oid *oid)
{
    char *acc = ctx;
    strcat(acc, name);
    strcat(acc, oid ? ";" : "!;");
    return 0;
}

void t_store_refs_gc(void)
{
    char dir[256], path[600];
    CHECK(t_tmpdir(dir));
    ps_store *st = open_store(dir, PS_HASH_SHA256);
    ps_oid a, b, c, got;
    CHECK_OK(ps_store_put(st, "a", 1, &a, NULL, NULL));
    CHECK_OK(ps_store_put(st, "b", 1, &b, NULL, NULL));
    CHECK_OK(ps_store_put(st, "c", 1, &c, NULL, NULL));
    CHECK_OK(ps_ref_set(st, "z", &a, NULL));
    CHECK_OK(ps_ref_set(st, "dir/sub/y", &b, NULL));
    CHECK_OK(ps_ref_set(st, "dir/x", &a, NULL));
    CHECK_OK(ps_ref_set(st, "dir/x", &b, NULL)); /* replaced */
    CHECK_OK(ps_ref_get(st, "dir/x", &got, NULL));
    CHECK(ps_oid_equal(&got, &b));
    CHECK_RC(ps_ref_get(st, "nope", &got, NULL), PS_E_NOTFOUND);
    CHECK_RC(ps_ref_get(st, "dir", &got, NULL), PS_E_NOTFOUND);
    char acc[1000] = "";
    CHECK_OK(ps_ref_each(st, "", collect_ref, acc));
    CHECK(strcmp(acc, "dir/sub/y;dir/x;z;") == 0);
    acc[0] = 0;
    CHECK_OK(ps_ref_each(st, "dir/", collect_ref, acc));
    CHECK(strcmp(acc, "dir/sub/y;dir/x;") == 0);
    /* a ref holding garbage is listed as such, and reads as corrupt */
    snprintf(path, sizeof path, "%s/refs/junk", dir);
    FILE *f = fopen(path, "w");
    fputs("not an id\n", f);
    fclose(f);
    CHECK_RC(ps_ref_get(st, "junk", &got, NULL), PS_E_CORRUPT);
    acc[0] = 0;
    CHECK_OK(ps_ref_each(st, "", collect_ref, acc));
    CHECK(strcmp(acc, "dir/sub/y;dir/x;junk!;z;") == 0);
    /* gc stops at a ref that is not an id: it cannot know what it keeps */
    ps_gc_stats gs;
    ps_diag gd = { 0 };
    CHECK_RC(ps_store_gc(st, &gs, &gd), PS_E_CORRUPT);
    CHECK(strstr(gd.msg, "ref junk does not hold an object id") != NULL);
    CHECK(ps_store_exists(st, &c)); /* nothing collected */
    unlink(path);
    /* temp files: one nobody holds (its writer died) is swept, one a live
     * writer holds is kept, however old */
    snprintf(path, sizeof path, "%s/temp/dead", dir);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path, "%s/temp/live", dir);
    int live = open(path, O_WRONLY | O_CREAT, 0644);
    REQUIRE(live >= 0 && flock(live, LOCK_EX) == 0);
    struct timespec ts[2] = { { time(NULL) - 7200, 0 }, { time(NULL) - 7200, 0 } };
    CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
    ps_store_stats s;
    CHECK_OK(ps_store_stats_get(st, &s));
    CHECK_EQ(s.objects, 3);
    CHECK_EQ(s.bytes, 3);
    CHECK_EQ(s.refs, 3);
    CHECK_EQ(s.temp_files, 2);
    CHECK_OK(ps_store_gc(st, &gs, NULL)); /* c: no ref names it */
    CHECK_EQ(gs.removed, 1);
    CHECK_EQ(gs.kept, 2);
    CHECK_EQ(gs.temp_removed, 1);
    CHECK(access(path, F_OK) == 0); /* the live one */
    close(live);
    CHECK(!ps_store_exists(st, &c));
    CHECK(ps_store_exists(st, &a) && ps_store_exists(st, &b));
    CHECK_OK(ps_ref_delete(st, "z"));
    CHECK_RC(ps_ref_delete(st, "z"), PS_E_NOTFOUND);
    CHECK_OK(ps_store_gc(st, &gs, NULL));
    CHECK(!ps_store_exists(st, &a));
    ps_verify_stats vs;
    CHECK_OK(ps_store_verify(st, NULL, NULL, &vs, NULL));
    CHECK_EQ(vs.objects, 1);
    CHECK_EQ(vs.bad_objects, 0);
    ps_store_close(st);
    /* not a store */
    ps_diag d = { 0 };
    CHECK_RC(ps_store_open("/nonexistent/ps", NULL, 0, &st, &d), PS_E_NOTFOUND);
    t_rmtree(dir);
}

/* In a child with a 200 KB file-size limit: big writes fail cleanly. */
static int disk_full_child(const char *dir)
{
    ps_store *st;
    ps_store_opts o;
    ps_store_opts_init(&o);
    if (ps_store_open(dir, &o, 1, &st, NULL))
        return 11;
    size_t n = 1u << 20;
    uint8_t *data = calloc(1, n);
    ps_oid oid;
    ps_diag d = { 0 };
    int fails = 0;
    fails += ps_store_put(st, data, n, &oid, NULL, &d) == PS_E_IO;
    fails += strstr(d.msg, "write") != NULL;
    ps_store_writer *w;
    if (ps_store_writer_new(st, &w, NULL))
        return 12;
    int rc = PS_OK;
    for (int i = 0; i < 8 && !rc; i++)
        rc = ps_store_writer_write(w, data, n / 8 + 1);
    if (!rc)
        rc = ps_store_writer_finish(w, &oid, NULL, NULL);
    else
        ps_store_writer_free(w);
    fails += rc == PS_E_IO;
    fails += ps_store_put(st, data, 1000, &oid, NULL, NULL) == PS_OK; /* small still fits */
    ps_store_stats s;
    ps_store_stats_get(st, &s);
    fails += s.temp_files == 0 && s.objects == 1;
    ps_store_close(st);
    free(data);
    return fails == 5 ? 0 : 20 + fails;
}

void t_store_disk_full(void)
{
    char dir[256];
    CHECK(t_tmpdir(dir));
    CHECK_EQ(t_child_limited(disk_full_child, dir, 200000), 0);
    t_rmtree(dir);
}

/* ------------------------------------------------------------ checkpoints */

static ps_space *numbered_space(size_t n, size_t salt)
{
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    char p[64];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(p, sizeof p, "atom/%zu/%zu", salt, i * 7919 % 100003);
        CHECK_OK(ps_space_insert(s, ps_bytes_of(p, (size_t)len), NULL));
    }
    return s;
}

static int same_space(const ps_space *a, const ps_space *b)
{
    ps_iter *x, *y;
    ps_bytes p, q;
    int same = 1;
    ps_iter_new(a, ps_bytes_of(NULL, 0), &x);
    ps_iter_new(b, ps_bytes_of(NULL, 0), &y);
    for (;;) {
        int r1 = ps_iter_next(x, &p, NULL, NULL), r2 = ps_iter_next(y, &q, NULL, NULL);
        if (r1 != r2 || (r1 == PS_OK && (p.len != q.len || memcmp(p.ptr, q.ptr, p.len)))) {
            same = 0;
            break;
        }
        if (r1)
            break;
    }
    ps_iter_free(x);
    ps_iter_free(y);
    return same;
}

void t_ckpt_header(void)
{
    ps_ckpt_info ci = { .seq = 7, .atoms = 42, .log_pos = 99, .created_ns = 123456789,
                        .payload_len = 5, .payload_sum = 0 }, back = { 0 };
    uint8_t blob[PS_CKPT_HEADER + 5];
    memcpy(blob + PS_CKPT_HEADER, "hello", 5);
    ci.payload_sum = XXH3_64bits(blob + PS_CKPT_HEADER, 5);
    ps_ckpt_header_encode(&ci, blob);
    CHECK(memcmp(blob, "PSCHKPT\n", 8) == 0);
    ps_bytes pl;
    CHECK_OK(ps_ckpt_check(blob, sizeof blob, &back, &pl, NULL));
    CHECK(back.seq == 7 && back.atoms == 42 && back.log_pos == 99 && back.created_ns == 123456789);
    CHECK(pl.len == 5 && memcmp(pl.ptr, "hello", 5) == 0);
    /* every single-byte change and every cut is refused */
    for (size_t i = 0; i < sizeof blob; i++) {
        /* the magic; the version (made newer); the header size; then the
         * header checksum covers the rest of the header, and the payload
         * checksum the payload */
        int want = i < 8 ? PS_E_CORRUPT : i < 12 ? PS_E_VERSION : i < 16 ? PS_E_CORRUPT
                                                                           : PS_E_CHECKSUM;
        blob[i] ^= 0x10;
        CHECK_RC(ps_ckpt_check(blob, sizeof blob, &back, NULL, NULL), want);
        blob[i] ^= 0x10;
    }
    for (size_t n = 0; n < sizeof blob; n++)
        CHECK_RC(ps_ckpt_check(blob, n, &back, NULL, NULL), PS_E_TRUNCATED);
    uint8_t longer[sizeof blob + 1];
    memcpy(longer, blob, sizeof blob);
    CHECK_RC(ps_ckpt_check(longer, sizeof longer, &back, NULL, NULL), PS_E_CORRUPT);
    /* a newer version is a clear error (checked before the checksum) */
    ps_diag d = { 0 };
    ps_write_le32(blob + 8, 2);
    CHECK_RC(ps_ckpt_check(blob, sizeof blob, &back, NULL, &d), PS_E_VERSION);
    CHECK(strstr(d.msg, "newer") != NULL);
    ps_write_le32(blob + 8, 1);
    /* unknown flags, with the header checksum made right */
    ps_write_le32(blob + 64, 1);
    ps_write_le32(blob + 68, (uint32_t)XXH3_64bits(blob, 68));
    CHECK_RC(ps_ckpt_check(blob, sizeof blob, &back, NULL, NULL), PS_E_VERSION);
}

void t_ckpt_save_restore(void)
{
    char dir[256];
    CHECK(t_tmpdir(dir));
    ps_store *st = open_store(dir, PS_HASH_SHA256);
    ps_space *src[3], *dst;
    ps_ckpt_info ci, used;
    for (size_t i = 0; i < 3; i++) {
        src[i] = numbered_space(2000 + 1000 * i, i);
        CHECK_OK(ps_ckpt_save(st, src[i], NULL, 0, 100 * (i + 1), &ci, NULL));
        CHECK_EQ(ci.seq, i + 1);
        CHECK_EQ(ci.atoms, 2000 + 1000 * i);
    }
    ps_ckpt_info *v;
    size_t n;
    CHECK_OK(ps_ckpt_list(st, &v, &n, NULL));
    CHECK_EQ(n, 3);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(v[i].seq, 3 - i); /* newest first */
        CHECK_EQ(v[i].status, PS_OK);
        CHECK_EQ(v[i].log_pos, 100 * (3 - i));
        CHECK(v[i].created_ns > 0 && v[i].payload_len > 0);
    }
    REQUIRE_OK(ps_space_new(&dst));
    ps_ckpt_report rep;
    CHECK_OK(ps_ckpt_restore(st, 0, 0, dst, 0, &used, &rep, NULL));
    CHECK_EQ(used.seq, 3);
    CHECK_EQ(rep.skipped, 0);
    CHECK(same_space(dst, src[2]));
    ps_space_clear(dst);
    CHECK_OK(ps_ckpt_restore(st, 1, 0, dst, 1, &used, &rep, NULL));
    CHECK(same_space(dst, src[0]));
    ps_space_clear(dst);
    CHECK_RC(ps_ckpt_restore(st, 9, 0, dst, 1, &used, &rep, NULL), PS_E_NOTFOUND);

    /* damage the newest: restore falls back to 2 and says why */
    char file[512];
    object_file(dir, &v[0].oid, file);
    int fd = open(file, O_RDWR);
    uint8_t c;
    CHECK(pread(fd, &c, 1, PS_CKPT_HEADER + 10) == 1);
    c ^= 1;
    CHECK(pwrite(fd, &c, 1, PS_CKPT_HEADER + 10) == 1);
    close(fd);
    ps_diag d = { 0 };
    CHECK_OK(ps_ckpt_restore(st, 0, 0, dst, 0, &used, &rep, &d));
    CHECK_EQ(used.seq, 2);
    CHECK_EQ(rep.skipped, 1);
    CHECK_EQ(rep.skip[0].seq, 3);
    CHECK_EQ(rep.skip[0].code, PS_E_CHECKSUM);
    CHECK(strstr(rep.skip[0].msg, "payload checksum") != NULL);
    CHECK(same_space(dst, src[1]));
    ps_space_clear(dst);
    CHECK_RC(ps_ckpt_restore(st, 3, 0, dst, 0, &used, &rep, &d), PS_E_CHECKSUM); /* no fallback */
    /* cut the second: falls back to the first */
    object_file(dir, &v[1].oid, file);
    CHECK(truncate(file, 100) == 0);
    CHECK_OK(ps_ckpt_restore(st, 0, 0, dst, 0, &used, &rep, NULL));
    CHECK_EQ(used.seq, 1);
    CHECK_EQ(rep.skipped, 2);
    CHECK(same_space(dst, src[0]));
    ps_space_clear(dst);
    /* a newer-version header in the first: none loads, and that is an error */
    object_file(dir, &v[2].oid, file);
    fd = open(file, O_RDWR);
    uint8_t h[PS_CKPT_HEADER];
    CHECK(pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h);
    ps_write_le32(h + 8, 9);
    CHECK(pwrite(fd, h, sizeof h, 0) == (ssize_t)sizeof h);
    close(fd);
    /* ... and a newer build's checkpoint is not passed over for an older
     * state: restore stops there, saying so, unless asked to go past it */
    CHECK_RC(ps_ckpt_restore(st, 0, 0, dst, 0, &used, &rep, &d), PS_E_VERSION);
    CHECK(strstr(d.msg, "checkpoint 1 was written by a newer pathspace") != NULL);
    CHECK(strstr(d.msg, "newer than this build") != NULL);
    CHECK_RC(ps_ckpt_restore(st, 0, PS_RESTORE_PAST_NEWER, dst, 0, &used, &rep, &d),
             PS_E_CHECKSUM);
    CHECK_EQ(rep.skipped, 3);
    CHECK_EQ(rep.skip[2].code, PS_E_VERSION);
    free(v);
    CHECK_OK(ps_ckpt_list(st, &v, &n, NULL));
    CHECK_EQ(v[0].status, PS_OK); /* header intact, payload damaged */
    CHECK_EQ(v[1].status, PS_E_TRUNCATED);
    CHECK_EQ(v[2].status, PS_E_VERSION);
    free(v);

    /* prune keeps the newest valid ones and collects the rest, but never a
     * newer build's checkpoint (an older build used to delete it) */
    CHECK_OK(ps_ckpt_save(st, src[0], NULL, 0, 400, &ci, NULL));
    CHECK_EQ(ci.seq, 4);
    CHECK_OK(ps_ckpt_save(st, src[1], NULL, 0, 500, &ci, NULL));
    uint64_t removed;
    CHECK_OK(ps_ckpt_prune(st, 1, &removed, NULL));
    CHECK_EQ(removed, 3);
    CHECK_OK(ps_ckpt_list(st, &v, &n, NULL));
    CHECK_EQ(n, 2);
    CHECK_EQ(v[0].seq, 5);
    CHECK_EQ(v[1].seq, 1);
    CHECK_EQ(v[1].status, PS_E_VERSION);
    free(v);
    ps_store_stats s;
    CHECK_OK(ps_store_stats_get(st, &s));
    CHECK_EQ(s.objects, 2);
    ps_gc_stats gs;
    CHECK_OK(ps_store_gc(st, &gs, NULL)); /* gc keeps it too: its ref is there */
    CHECK_OK(ps_store_stats_get(st, &s));
    CHECK_EQ(s.objects, 2);
    CHECK_OK(ps_ckpt_restore(st, 0, 0, dst, 0, &used, &rep, NULL));
    CHECK(same_space(dst, src[1]));
    /* a damaged newest payload is not what prune keeps */
    CHECK_OK(ps_ckpt_save(st, src[2], NULL, 0, 600, &ci, NULL));
    object_file(dir, &ci.oid, file);
    CHECK(truncate(file, PS_CKPT_HEADER + 3) == 0);
    CHECK_OK(ps_ckpt_prune(st, 1, &removed, NULL));
    CHECK_EQ(removed, 1);
    CHECK_OK(ps_ckpt_list(st, &v, &n, NULL));
    CHECK(n == 2 && v[0].seq == 5 && v[1].seq == 1); /* and the newer build's, kept */
    free(v);
    for (size_t i = 0; i < 3; i++)
        ps_space_free(src[i]);
    ps_space_free(dst);
    ps_store_close(st);
    t_rmtree(dir);
}

/* ------------------------------------------------------ hardening cases */

static int collect_names(void *ctx, const char *name, const ps_oid *oid)
{
    (void)oid;
    (*(int *)ctx)++;
    return name[0] ? 0 : 1;
}

typedef struct problems {
    int n, strays;
    char first[256];
} problems;

static void note_problem(void *ctx, int code, const char *what)
{
    problems *p = ctx;
    if (!p->n++)
        snprintf(p->first, sizeof p->first, "%s", what);
    p->strays += code == PS_E_CORRUPT && strstr(what, "not a ref") != NULL;
}

/* Every ref a name may be is reached by every walk: 18 components (the
 * walk used to stop at 16, so gc deleted that ref's object), the deepest
 * name (100 components) and the longest (one of 200 bytes). What no name
 * can be (a folder 199 bytes deep, a symlink) is walked past with every
 * copy bounded (a strcat into path[202] overflowed here) and reported by
 * verify. */
void t_store_deep_refs(void)
{
    char dir[256], path[1200];
    REQUIRE(t_tmpdir(dir));
    ps_store *st = open_store(dir, PS_HASH_SHA256);
    ps_oid a, b, c;
    REQUIRE_OK(ps_store_put(st, "deep", 4, &a, NULL, NULL));
    REQUIRE_OK(ps_store_put(st, "deepest", 7, &b, NULL, NULL));
    REQUIRE_OK(ps_store_put(st, "longest", 7, &c, NULL, NULL));
    char r18[64] = "", r100[256] = "", r200[256];
    for (int i = 0; i < 17; i++)
        strcat(r18, "a/");
    strcat(r18, "r");
    for (int i = 0; i < 99; i++)
        strcat(r100, "a/");
    strcat(r100, "z");
    memset(r200, 'l', 200);
    r200[200] = 0;
    CHECK_EQ(strlen(r100), 199);
    CHECK(ps_ref_name_valid(r18) && ps_ref_name_valid(r100) && ps_ref_name_valid(r200));
    CHECK_OK(ps_ref_set(st, r18, &a, NULL));
    CHECK_OK(ps_ref_set(st, r100, &b, NULL));
    CHECK_OK(ps_ref_set(st, r200, &c, NULL));
    /* hostile layouts a walk must pass without overflowing */
    char *q = path + snprintf(path, sizeof path, "%s/refs/a/", dir);
    memset(q, 'b', 199);
    q[199] = 0;
    REQUIRE(mkdir(path, 0755) == 0);
    q = path + snprintf(path, sizeof path, "%s/refs", dir);
    for (int i = 0; i < 150 && q < path + sizeof path - 4; i++) { /* folders 150 deep */
        strcpy(q, "/d");
        q += 2;
        mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/refs/link", dir);
    REQUIRE(symlink("/etc/passwd", path) == 0);
    int n = 0;
    CHECK_OK(ps_ref_each(st, "", collect_names, &n));
    CHECK_EQ(n, 3);
    ps_gc_stats gs;
    CHECK_OK(ps_store_gc(st, &gs, NULL));
    CHECK_EQ(gs.removed, 0);
    CHECK(ps_store_exists(st, &a) && ps_store_exists(st, &b) && ps_store_exists(st, &c));
    problems pr = { 0 };
    ps_verify_stats vs;
    CHECK_RC(ps_store_verify(st, note_problem, &pr, &vs, NULL), PS_E_CORRUPT);
    CHECK_EQ(vs.refs, 3);
    CHECK_EQ(vs.bad_refs, 0);
    CHECK_EQ(vs.strays, 3); /* the 199-byte folder, the too-deep folder, the symlink */
    CHECK_EQ(pr.strays, 3);
    ps_store_close(st);
    t_rmtree(dir);
}

/* verify fails (git fsck does too) on a ref that is not an id and on a ref
 * naming an object the store lacks; set never makes such a ref. */
void t_store_verify_refs(void)
{
    char dir[256], path[600];
    REQUIRE(t_tmpdir(dir));
    ps_store *st = open_store(dir, PS_HASH_SHA256);
    ps_oid a, ghost;
    REQUIRE_OK(ps_store_put(st, "a", 1, &a, NULL, NULL));
    REQUIRE_OK(ps_oid_of(PS_HASH_SHA256, "never stored", 12, &ghost));
    ps_diag d = { 0 };
    CHECK_RC(ps_ref_set(st, "ghost", &ghost, &d), PS_E_NOTFOUND);
    CHECK(strstr(d.msg, "holds no object") != NULL);
    CHECK_OK(ps_ref_set(st, "ok", &a, NULL));
    ps_verify_stats vs;
    CHECK_OK(ps_store_verify(st, NULL, NULL, &vs, NULL));
    CHECK(vs.refs == 1 && vs.bad_refs == 0 && vs.strays == 0);
    /* a ref written around the API: to a missing object, and garbage */
    char id[PS_OID_STR_MAX];
    ps_oid_format(&ghost, id);
    snprintf(path, sizeof path, "%s/refs/dangling", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", id);
    fclose(f);
    snprintf(path, sizeof path, "%s/refs/garbage", dir);
    f = fopen(path, "w");
    fputs("nonsense\n", f);
    fclose(f);
    problems pr = { 0 };
    int rc = ps_store_verify(st, note_problem, &pr, &vs, &d);
    CHECK(rc == PS_E_CORRUPT || rc == PS_E_NOTFOUND);
    CHECK_EQ(vs.refs, 3);
    CHECK_EQ(vs.bad_refs, 2);
    CHECK_EQ(pr.n, 2);
    ps_store_close(st);
    t_rmtree(dir);
}

/* put + ref in one process, gc in a loop in another: no ref may ever name a
 * missing object. With the grace period every put+ref succeeds; with none,
 * a ref whose object gc took in between is refused (and the writer can
 * put again), but still none dangles. */
static int race_writer(const char *dir)
{
    ps_store *st;
    ps_store_opts o;
    ps_store_opts_init(&o);
    o.nosync = 1;
    if (ps_store_open(dir, &o, 0, &st, NULL))
        return 90;
    int refused = 0;
    for (int i = 0; i < 150; i++) {
        char data[32], ref[32];
        int n = snprintf(data, sizeof data, "object %d", i);
        snprintf(ref, sizeof ref, "w/%d", i);
        ps_oid oid;
        if (ps_store_put(st, data, (size_t)n, &oid, NULL, NULL))
            return 91;
        int rc = ps_ref_set(st, ref, &oid, NULL);
        if (rc == PS_E_NOTFOUND)
            refused++;
        else if (rc)
            return 92;
    }
    ps_store_close(st);
    return refused ? 1 : 0;
}

static void gc_race(uint32_t grace, int *refused, int *dangling)
{
    char dir[256];
    REQUIRE(t_tmpdir(dir));
    ps_store *st = open_store(dir, PS_HASH_SHA256);
    ps_store_close(st);
    ps_store_opts o;
    ps_store_opts_init(&o);
    o.nosync = 1;
    o.gc_grace_s = grace;
    REQUIRE_OK(ps_store_open(dir, &o, 0, &st, NULL));
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        _exit(race_writer(dir));
    int status = 0;
    for (;;) {
        ps_gc_stats gs;
        int rc = ps_store_gc(st, &gs, NULL);
        CHECK(rc == PS_OK || rc == PS_E_LOCKED);
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) >= 2)
        t_failf(__FILE__, __LINE__, "writer ended with status 0x%x", status);
    REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) < 2);
    *refused = WEXITSTATUS(status);
    ps_verify_stats vs;
    CHECK_OK(ps_store_verify(st, NULL, NULL, &vs, NULL));
    *dangling = (int)vs.bad_refs;
    ps_store_close(st);
    t_rmtree(dir);
}

void t_store_gc_race(void)
{
    int refused, dangling;
    gc_race(3600, &refused, &dangling);
    CHECK_EQ(refused, 0);
    CHECK_EQ(dangling, 0);
    gc_race(0, &refused, &dangling);
    CHECK_EQ(dangling, 0);
}
