/* test_snap.c - MTTS snapshots: round trips for every codec x checksum,
 * with and without values; empty, one path, a path longer than a chunk;
 * the same bytes whatever the thread count or sink; every single-byte
 * corruption and every truncation refused (chunk damage named by chunk);
 * version, flag and reserved-bit checks; hostile sizes refused before
 * anything is allocated for them. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "cases.h"
#include "snap/snap.h"

typedef struct variant {
    int codec, level;
} variant;

static const variant VARIANTS[] = {
    { PS_CODEC_NONE, 0 }, { PS_CODEC_LZ4, 0 }, { PS_CODEC_LZ4, 9 }, { PS_CODEC_ZSTD, 0 },
    { PS_CODEC_ZSTD, 19 }, { PS_CODEC_ZSTD, -3 }, { PS_CODEC_ZLIB, 0 }, { PS_CODEC_ZLIB, 9 },
};
#define NVARIANTS (sizeof VARIANTS / sizeof *VARIANTS)

/* A random space: n paths over a small alphabet (long shared prefixes),
 * values on about half of them when `values`. */
static ps_space *random_space(size_t n, int values)
{
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    uint8_t p[64];
    for (size_t i = 0; i < n; i++) {
        size_t len = t_below(40);
        for (size_t j = 0; j < len; j++)
            p[j] = (uint8_t)("abc\x00\xff"[t_below(5)]);
        if (values && t_below(2))
            CHECK_OK(ps_space_set_value(s, ps_bytes_of(p, len), t_rand() >> t_below(64)));
        else
            CHECK_OK(ps_space_insert(s, ps_bytes_of(p, len), NULL));
    }
    return s;
}

static void write_snap(const ps_space *s, ps_buf *out, int codec, int level, int ck,
                       unsigned threads, uint32_t chunk)
{
    ps_snap_opts o = { .size = sizeof(ps_snap_opts), .codec = codec, .level = level, .checksum = ck, .threads = threads,
                       .chunk_size = chunk };
    ps_buf_clear(out, 0);
    CHECK_OK(ps_space_write_snap(s, ps_sink_buf(out), &o, NULL));
}

/* Everything a reader can say about snapshot `f` agrees with space ref. */
static void check_same(const ps_space *ref, const ps_buf *f)
{
    ps_snap *sn;
    ps_diag d = { 0 };
    int rc = ps_snap_open_mem(ps_buf_data(f), f->len, &sn, &d);
    CHECK_OK(rc);
    if (rc) {
        printf("  open: %s\n", d.msg);
        return;
    }
    ps_snap_info in;
    ps_snap_info_get(sn, &in);
    ps_space_stats st;
    ps_space_stats_get(ref, &st);
    CHECK_EQ(in.paths, st.paths);
    CHECK_EQ(in.path_bytes, st.path_bytes);
    CHECK_EQ(in.file_bytes, f->len);
    CHECK_OK(ps_snap_verify(sn, 2, &d));
    ps_space *back;
    REQUIRE_OK(ps_space_new(&back));
    CHECK_OK(ps_space_read_snap(back, sn, 3, &d));
    ps_iter *a, *b;
    ps_snap_iter *si;
    ps_bytes x, y, z;
    int hx, hy, hz, ra;
    uint64_t vx, vy, vz, vg;
    REQUIRE_OK(ps_iter_new(ref, ps_bytes_of(NULL, 0), &a));
    REQUIRE_OK(ps_iter_new(back, ps_bytes_of(NULL, 0), &b));
    REQUIRE_OK(ps_snap_iter_new(sn, ps_bytes_of(NULL, 0), &si));
    while ((ra = ps_iter_next(a, &x, &hx, &vx)) == PS_OK) {
        CHECK_OK(ps_iter_next(b, &y, &hy, &vy));
        CHECK_OK(ps_snap_iter_next(si, &z, &hz, &vz, NULL));
        CHECK(!ps_bytes_cmp(x, y) && !ps_bytes_cmp(x, z));
        CHECK(hx == hy && hx == hz && (!hx || (vx == vy && vx == vz)));
        int hg = -1;
        CHECK_OK(ps_snap_get(sn, x, &hg, &vg, NULL));
        CHECK(hg == hx && (!hx || vg == vx));
        uint8_t miss[64];
        if (x.len < sizeof miss) { /* x + one byte: usually absent */
            if (x.len)
                memcpy(miss, x.ptr, x.len);
            miss[x.len] = 'z';
            CHECK_RC(ps_snap_get(sn, ps_bytes_of(miss, x.len + 1), NULL, NULL, NULL),
                     PS_E_NOTFOUND);
        }
    }
    CHECK_RC(ra, PS_E_EMPTY);
    CHECK_RC(ps_iter_next(b, &y, NULL, NULL), PS_E_EMPTY);
    CHECK_RC(ps_snap_iter_next(si, &z, NULL, NULL, NULL), PS_E_EMPTY);
    ps_iter_free(a);
    ps_iter_free(b);
    ps_snap_iter_free(si);
    ps_space_free(back);
    ps_snap_close(sn);
}

/* Prefix iteration from the snapshot equals the space's. */
static void check_prefixes(const ps_space *ref, const ps_buf *f)
{
    ps_snap *sn;
    REQUIRE_OK(ps_snap_open_mem(ps_buf_data(f), f->len, &sn, NULL));
    static const char *pre[] = { "", "a", "ab", "abc", "b", "c\x00", "cccccccc", "\xff", "zz" };
    for (size_t i = 0; i < sizeof pre / sizeof *pre; i++) {
        ps_bytes p = ps_bytes_of(pre[i], i == 5 ? 2 : strlen(pre[i]));
        ps_iter *a;
        ps_snap_iter *b;
        ps_bytes x, y;
        int ra;
        REQUIRE_OK(ps_iter_new(ref, p, &a));
        REQUIRE_OK(ps_snap_iter_new(sn, p, &b));
        while ((ra = ps_iter_next(a, &x, NULL, NULL)) == PS_OK) {
            CHECK_OK(ps_snap_iter_next(b, &y, NULL, NULL, NULL));
            CHECK(!ps_bytes_cmp(x, y));
        }
        CHECK_RC(ps_snap_iter_next(b, &y, NULL, NULL, NULL), PS_E_EMPTY);
        ps_iter_free(a);
        ps_snap_iter_free(b);
    }
    ps_snap_close(sn);
}

void t_snap_roundtrip(void)
{
    ps_buf f = { 0 };
    for (int values = 0; values < 2; values++) {
        ps_space *s = random_space(3000, values);
        for (size_t v = 0; v < NVARIANTS; v++)
            for (int ck = 0; ck < 2; ck++) {
                write_snap(s, &f, VARIANTS[v].codec, VARIANTS[v].level, ck, 2, 4096);
                check_same(s, &f);
            }
        check_prefixes(s, &f);
        ps_space_free(s);
    }
    ps_buf_free(&f);
}

void t_snap_edges(void)
{
    ps_buf f = { 0 };
    ps_space *s;
    REQUIRE_OK(ps_space_new(&s));
    write_snap(s, &f, PS_CODEC_ZSTD, 0, 0, 1, 0); /* empty: no chunks */
    check_same(s, &f);
    CHECK_OK(ps_space_insert(s, ps_bytes_of("", 0), NULL)); /* the empty path alone */
    write_snap(s, &f, PS_CODEC_LZ4, 0, 1, 1, 0);
    check_same(s, &f);
    ps_space_clear(s);
    CHECK_OK(ps_space_set_value(s, ps_bytes_of("one", 3), UINT64_MAX));
    write_snap(s, &f, PS_CODEC_ZLIB, 0, 0, 1, 0);
    check_same(s, &f);
    /* paths longer than a chunk, between short ones */
    size_t big = 3 * PS_SNAP_CHUNK_MIN + 17;
    uint8_t *p = malloc(big);
    for (size_t i = 0; i < big; i++)
        p[i] = (uint8_t)(i * 7);
    CHECK_OK(ps_space_insert(s, ps_bytes_of(p, big), NULL));
    p[big - 1] ^= 1;
    CHECK_OK(ps_space_insert(s, ps_bytes_of(p, big), NULL));
    CHECK_OK(ps_space_insert(s, ps_bytes_of(p, 100), NULL));
    CHECK_OK(ps_space_insert(s, ps_bytes_of("\x01zz", 3), NULL));
    for (size_t v = 0; v < NVARIANTS; v++) {
        write_snap(s, &f, VARIANTS[v].codec, VARIANTS[v].level, 0, 2, PS_SNAP_CHUNK_MIN);
        check_same(s, &f);
    }
    free(p);
    /* into a space that already holds paths: inserts, values kept */
    ps_space *t;
    ps_snap *sn;
    uint64_t v = 0;
    REQUIRE_OK(ps_space_new(&t));
    CHECK_OK(ps_space_insert(t, ps_bytes_of("\x01zz", 3), NULL));
    CHECK_OK(ps_space_insert(t, ps_bytes_of("other", 5), NULL));
    REQUIRE_OK(ps_snap_open_mem(ps_buf_data(&f), f.len, &sn, NULL));
    CHECK_OK(ps_space_read_snap(t, sn, 2, NULL));
    CHECK_EQ(ps_space_count(t), ps_space_count(s) + 1);
    CHECK_OK(ps_space_get_value(t, ps_bytes_of("one", 3), &v));
    CHECK(v == UINT64_MAX);
    ps_snap_close(sn);
    ps_space_free(t);
    ps_space_free(s);
    ps_buf_free(&f);
}

void t_snap_writer_rejects(void)
{
    ps_buf f = { 0 };
    ps_snap_writer *w;
    ps_snap_opts bad[] = { { .chunk_size = 100 }, { .codec = PS_CODEC_ZLIB, .level = 10 },
                           { .codec = 9 }, { .checksum = 5 }, { .codec = PS_CODEC_NONE, .level = 3 },
                           { .priority = 7 }, { .threads = 1000 } };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_RC(ps_snap_writer_new(ps_sink_buf(&f), &bad[i], &w), PS_E_INVAL);
    REQUIRE_OK(ps_snap_writer_new(ps_sink_buf(&f), NULL, &w));
    CHECK_OK(ps_snap_writer_add(w, ps_bytes_of("b", 1)));
    CHECK_RC(ps_snap_writer_add(w, ps_bytes_of("a", 1)), PS_E_INVAL);
    CHECK_RC(ps_snap_writer_add(w, ps_bytes_of("b", 1)), PS_E_INVAL); /* not strictly after */
    CHECK_RC(ps_snap_writer_add(w, ps_bytes_of(NULL, (size_t)PS_SNAP_CHUNK_MAX)), PS_E_LIMIT);
    CHECK_OK(ps_snap_writer_add_value(w, ps_bytes_of("ba", 2), 7));
    CHECK_OK(ps_snap_writer_finish(w, NULL));
    CHECK_RC(ps_snap_writer_add(w, ps_bytes_of("c", 1)), PS_E_INVAL); /* finished */
    ps_snap_writer_free(w);
    ps_buf_free(&f);
    /* every codec/priority choice resolves to a valid codec and level */
    for (int pri = 0; pri < 3; pri++)
        for (uint64_t sz = 1; sz < (1ull << 40); sz *= 16) {
            ps_snap_opts o = { .size = sizeof(ps_snap_opts), .priority = pri };
            int c, l;
            CHECK_OK(ps_snap_resolve(&o, sz, &c, &l));
            CHECK(c >= PS_CODEC_NONE && c <= PS_CODEC_ZLIB);
        }
}

/* A sink that cannot patch (a pipe): the header says "unknown", the file
 * is still complete. */
static int plain_write(void *ctx, const void *data, size_t len)
{
    return ps_buf_append(ctx, data, len);
}

void t_snap_determinism(void)
{
    ps_space *s = random_space(5000, 1);
    ps_buf a = { 0 }, b = { 0 }, c = { 0 };
    write_snap(s, &a, PS_CODEC_ZSTD, 3, 0, 1, 4096);
    for (unsigned th = 2; th <= 8; th *= 2) {
        write_snap(s, &b, PS_CODEC_ZSTD, 3, 0, th, 4096);
        CHECK(a.len == b.len && !memcmp(ps_buf_data(&a), ps_buf_data(&b), a.len));
    }
    /* through a file descriptor: the header patch lands the same */
    char tmp[] = "/tmp/ps_snap_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    ps_snap_opts o = { .size = sizeof(ps_snap_opts), .codec = PS_CODEC_ZSTD, .level = 3, .chunk_size = 4096 };
    CHECK_OK(ps_space_write_snap(s, ps_sink_fd(fd), &o, NULL));
    CHECK_EQ(lseek(fd, 0, SEEK_END), (off_t)a.len);
    CHECK_EQ(pread(fd, ps_buf_data(&b), a.len, 0), (ssize_t)a.len);
    CHECK(!memcmp(ps_buf_data(&a), ps_buf_data(&b), a.len));
    close(fd);
    ps_snap *sn;
    REQUIRE_OK(ps_snap_open(tmp, &sn, NULL));
    CHECK_OK(ps_snap_verify(sn, 0, NULL));
    ps_snap_close(sn);
    unlink(tmp);
    /* unpatchable sink */
    ps_sink nopatch = { plain_write, NULL, &c };
    CHECK_OK(ps_space_write_snap(s, nopatch, &o, NULL));
    CHECK_EQ(c.len, a.len);
    CHECK_EQ(ps_read_le64(ps_buf_data(&c) + 16), (long long)SNAP_UNKNOWN);
    check_same(s, &c);
    ps_space_free(s);
    ps_buf_free(&a);
    ps_buf_free(&b);
    ps_buf_free(&c);
}

/* ---------------------------------------------------------------- damage */

/* Opens and fully checks f; the first error, or PS_OK. */
static int try_all(const uint8_t *p, size_t n, ps_diag *d)
{
    ps_snap *sn;
    int rc = ps_snap_open_mem(p, n, &sn, d);
    if (rc)
        return rc;
    rc = ps_snap_verify(sn, 1, d);
    ps_space *s;
    if (!rc && !ps_space_new(&s)) {
        rc = ps_space_read_snap(s, sn, 1, d);
        ps_space_free(s);
    }
    ps_snap_close(sn);
    return rc;
}

static ps_buf small_snapshot(int codec, int ck)
{
    ps_space *s = random_space(600, 1);
    ps_buf f = { 0 };
    write_snap(s, &f, codec, 0, ck, 1, PS_SNAP_CHUNK_MIN);
    ps_space_free(s);
    return f;
}

/* Which chunk holds file offset `at`, or -1 for the frame. */
static long chunk_at(const ps_snap *sn, uint64_t at)
{
    for (uint64_t i = 0; i < sn->nchunks; i++)
        if (at >= sn->chunks[i].off && at < sn->chunks[i].off + sn->chunks[i].stored)
            return (long)i;
    return -1;
}

void t_snap_corruption(void)
{
    for (int ck = 0; ck < 2; ck++) {
        ps_buf f = small_snapshot(ck ? PS_CODEC_LZ4 : PS_CODEC_ZSTD, ck);
        uint8_t *p = ps_buf_data(&f);
        ps_snap *sn;
        REQUIRE_OK(ps_snap_open_mem(p, f.len, &sn, NULL));
        CHECK(sn->nchunks >= 3);
        size_t tr = f.len - SNAP_TRAILER;
        static const uint8_t flips[] = { 0x01, 0x80, 0xFF };
        for (size_t at = 0; at < f.len; at++)
            for (size_t k = 0; k < sizeof flips; k++) {
                ps_diag d = { 0 };
                p[at] ^= flips[k];
                int rc = try_all(p, f.len, &d);
                p[at] ^= flips[k];
                long c = chunk_at(sn, at);
                if (c >= 0) { /* chunk bytes: that chunk's checksum */
                    char want[32];
                    snprintf(want, sizeof want, "chunk %ld ", c);
                    CHECK_RC(rc, PS_E_CHECKSUM);
                    CHECK(strstr(d.msg, want) != NULL);
                } else if ((at >= 8 && at < SNAP_HDR) || (at >= sn->index_off && at < tr) ||
                           (at >= tr + 16 && at < tr + 92)) {
                    CHECK_RC(rc, PS_E_CHECKSUM); /* frame fields: the file checksum */
                } else {
                    /* magic, version, flags, index locators, end magic */
                    CHECK(rc == PS_E_CHECKSUM || rc == PS_E_CORRUPT || rc == PS_E_VERSION ||
                          rc == PS_E_TRUNCATED);
                }
                if (rc == PS_OK)
                    printf("  undetected: byte %zu ^ 0x%02x\n", at, flips[k]);
            }
        /* every truncation */
        for (size_t n = 0; n < f.len; n++) {
            int rc = try_all(p, n, NULL);
            CHECK(rc == PS_E_TRUNCATED || rc == PS_E_CORRUPT);
        }
        ps_snap_close(sn);
        ps_buf_free(&f);
    }
}

/* Rewrites the file checksum so a change to a frame field gets past it:
 * what a newer writer's file looks like to this reader. */
static void reseal(ps_buf *f)
{
    uint8_t *p = ps_buf_data(f), *t = p + f->len - SNAP_TRAILER;
    int ck = (ps_read_le16(p + 6) & HF_CSUM_MASK) >> HF_CSUM_SHIFT;
    uint64_t io = ps_read_le64(t), il = ps_read_le64(t + 8);
    snap_hash h;
    ps__snap_hash_init(&h, ck);
    ps__snap_hash_update(&h, p, SNAP_HDR);
    ps__snap_hash_update(&h, p + io, il);
    ps__snap_hash_update(&h, t, 60);
    ps__snap_hash_final(&h, t + 60);
}

static void expect(ps_buf *f, int want, const char *words)
{
    ps_diag d = { 0 };
    int rc = try_all(ps_buf_data(f), f->len, &d);
    CHECK_RC(rc, want);
    if (!strstr(d.msg, words))
        t_failf(__FILE__, __LINE__, "message '%s' lacks '%s'", d.msg, words);
}

void t_snap_version_flags(void)
{
    ps_buf f = small_snapshot(PS_CODEC_ZSTD, 0);
    uint8_t *p = ps_buf_data(&f), *t = p + f.len - SNAP_TRAILER;
    uint64_t io = ps_read_le64(t);
    CHECK_OK(try_all(p, f.len, NULL));

    ps_write_le16(p + 4, 2); /* newer version: said so, nothing else read */
    expect(&f, PS_E_VERSION, "newer");
    ps_write_le16(p + 4, 1);
    p[7] |= 0x40; /* unknown header flag */
    reseal(&f);
    expect(&f, PS_E_VERSION, "unknown header flags");
    p[7] &= (uint8_t)~0x40;
    p[6] = (uint8_t)((p[6] & ~HF_CODEC_MASK) | 6); /* unknown codec */
    reseal(&f);
    expect(&f, PS_E_VERSION, "unknown codec");
    p[6] = (uint8_t)((p[6] & ~HF_CODEC_MASK) | FC_ZSTD);
    p[40] = 1; /* reserved header byte */
    reseal(&f);
    expect(&f, PS_E_VERSION, "reserved header bytes");
    p[40] = 0;
    t[50] = 1; /* reserved trailer byte */
    reseal(&f);
    expect(&f, PS_E_VERSION, "reserved");
    t[50] = 0;
    p[io + 24] |= 0x80; /* unknown chunk flag */
    reseal(&f);
    expect(&f, PS_E_VERSION, "chunk 0: unknown flags");
    p[io + 24] &= 0x7F;
    reseal(&f);
    CHECK_OK(try_all(p, f.len, NULL));
    ps_buf_free(&f);
}

/* Announced sizes that no real chunk could have are refused at open,
 * before anything is allocated for them. */
void t_snap_hostile(void)
{
    ps_buf f = small_snapshot(PS_CODEC_LZ4, 0);
    uint8_t *p = ps_buf_data(&f), *t = p + f.len - SNAP_TRAILER;
    uint64_t io = ps_read_le64(t);
    uint32_t raw = ps_read_le32(p + io + 12);
    ps_write_le32(p + io + 12, PS_SNAP_CHUNK_MAX); /* 64 MiB from a few KiB of LZ4 */
    reseal(&f);
    expect(&f, PS_E_CORRUPT, "impossible");
    ps_write_le32(p + io + 12, raw);
    ps_write_le32(p + io + 16, UINT32_MAX); /* path count */
    reseal(&f);
    expect(&f, PS_E_CORRUPT, "count");
    ps_write_le32(p + io + 16, 1);
    reseal(&f);
    expect(&f, PS_E_CORRUPT, "trailer counts");
    ps_buf_free(&f);
    f = small_snapshot(PS_CODEC_LZ4, 0);
    p = ps_buf_data(&f);
    t = p + f.len - SNAP_TRAILER;
    ps_write_le64(t + 16, UINT64_MAX / 2); /* chunk count */
    reseal(&f);
    expect(&f, PS_E_CORRUPT, "chunk count");
    ps_buf_free(&f);
}

/* Every priority round-trips the space read from a .paths file. */
static void check_paths_file_snap(const ps_buf *in, uint64_t want)
{
    ps_space *s;
    ps_paths_reader *r;
    ps_buf f = { 0 };
    REQUIRE_OK(ps_space_new(&s));
    REQUIRE_OK(ps_paths_reader_new(ps_buf_data(in), in->len, &r));
    CHECK_OK(ps_space_read_paths(s, r, NULL));
    ps_paths_reader_free(r);
    CHECK_EQ(ps_space_count(s), want);
    for (int pri = 0; pri < 3; pri++) {
        ps_snap_opts o = { .size = sizeof(ps_snap_opts), .priority = pri };
        CHECK_OK(ps_space_write_snap(s, ps_sink_buf(&f), &o, NULL));
        check_same(s, &f);
        ps_buf_clear(&f, 0);
    }
    ps_space_free(s);
    ps_buf_free(&f);
}

void t_snap_big_logic(void)
{
    const char *path = t_data("big_logic.metta.paths");
    ps_buf in = { 0 };
    t_need_file(path);
    REQUIRE(t_read_file(path, &in) == 0);
    check_paths_file_snap(&in, 91692);
    ps_buf_free(&in);
}

/* The same without the real file: a .paths file of 90,000 generated atoms
 * (facts and rules with variables), written by our writer. */
void t_snap_generated_paths(void)
{
    enum { N = 90000 };
    ps_buf in = { 0 };
    ps_space *s = t_gen_space(9, N);
    CHECK_OK(ps_space_write_paths(s, ps_sink_buf(&in), NULL, NULL));
    ps_space_free(s);
    check_paths_file_snap(&in, N);
    ps_buf_free(&in);
}
