/* test_paths.c - .paths: the spec's example byte for byte, big_logic
 * exactly, determinism across threads and levels, records straddling the
 * reader's window, gzip, fd input, and every kind of damage refused with
 * an offset. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"
#include "cases.h"


/* Inflates a whole zlib stream with stock zlib (an independent decoder). */
static int zinflate(const ps_buf *in, ps_buf *out)
{
    z_stream z = { 0 };
    uint8_t tmp[65536];
    int zr = inflateInit(&z);
    z.next_in = ps_buf_data(in);
    z.avail_in = (uInt)in->len;
    while (zr == Z_OK) {
        z.next_out = tmp;
        z.avail_out = sizeof tmp;
        zr = inflate(&z, Z_NO_FLUSH);
        ps_buf_append(out, tmp, sizeof tmp - z.avail_out);
    }
    inflateEnd(&z);
    return zr == Z_STREAM_END && z.avail_in == 0 ? 0 : -1;
}

static void write_records(ps_buf *out, const ps_bytes *recs, size_t n, int level, unsigned threads)
{
    ps_paths_writer *w;
    ps_paths_opts o = { sizeof(ps_paths_opts), level, threads };
    REQUIRE_OK(ps_paths_writer_new(ps_sink_buf(out), &o, &w));
    for (size_t i = 0; i < n; i++)
        CHECK_OK(ps_paths_writer_add(w, recs[i]));
    CHECK_OK(ps_paths_writer_finish(w, NULL));
    ps_paths_writer_free(w);
}

void t_paths_spec_example(void)
{
    static const uint8_t raw[18] = { 2, 0, 0, 0, 'a', 'b', 3, 0, 0, 0, 'a', 'b', 'c', 1, 0, 0, 0, 'b' };
    static const uint8_t zl7[] = { 0x78, 0xDA, 0x63, 0x62, 0x60, 0x60, 0x48, 0x4C, 0x62,
                                   0x06, 0x93, 0xC9, 0x8C, 0x40, 0x2A, 0x09, 0x00, 0x13,
                                   0x11, 0x02, 0x52 };
    ps_bytes recs[3] = { ps_bytes_of("ab", 2), ps_bytes_of("abc", 3), ps_bytes_of("b", 1) };
    ps_buf out = { 0 }, back = { 0 };
    write_records(&out, recs, 3, 7, 1);
    /* one chunk: exactly what stock zlib 1.2.13 gives at level 7 (spec 3.5) */
    CHECK(out.len == sizeof zl7 && !memcmp(ps_buf_data(&out), zl7, sizeof zl7));
    CHECK(zinflate(&out, &back) == 0);
    CHECK(back.len == 18 && !memcmp(ps_buf_data(&back), raw, 18));
    ps_paths_reader *r;
    ps_bytes p;
    REQUIRE_OK(ps_paths_reader_new(zl7, sizeof zl7, &r));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(ps_paths_reader_next(r, &p, NULL));
        CHECK(!ps_bytes_cmp(p, recs[i]));
    }
    CHECK_RC(ps_paths_reader_next(r, &p, NULL), PS_E_EMPTY);
    ps_paths_stats st;
    ps_paths_reader_stats(r, &st);
    CHECK_EQ(st.paths, 3);
    CHECK_EQ(st.raw_bytes, 18);
    CHECK_EQ(st.file_bytes, sizeof zl7);
    ps_paths_reader_free(r);
    /* an empty stream is a valid, empty file */
    ps_buf_clear(&out, 0);
    write_records(&out, NULL, 0, 7, 2);
    REQUIRE_OK(ps_paths_reader_new(ps_buf_data(&out), out.len, &r));
    CHECK_RC(ps_paths_reader_next(r, &p, NULL), PS_E_EMPTY);
    ps_paths_reader_free(r);
    ps_buf_free(&out);
    ps_buf_free(&back);
}

/* A .paths file from another writer (file holds it whole): read exactly,
 * then re-serialized by ours to a stream decoding to the identical record
 * sequence, the same bytes for any thread count, at every level. */
static void check_foreign_paths(const ps_buf *file, uint64_t paths, uint64_t raw_bytes)
{
    ps_buf raw = { 0 }, again = { 0 }, raw2 = { 0 }, other = { 0 };
    CHECK(zinflate(file, &raw) == 0);
    ps_space *s;
    ps_paths_reader *r;
    ps_diag d;
    REQUIRE_OK(ps_space_new(&s));
    REQUIRE_OK(ps_paths_reader_new(ps_buf_data(file), file->len, &r));
    CHECK_OK(ps_space_read_paths(s, r, &d));
    ps_paths_stats st;
    ps_paths_reader_stats(r, &st);
    ps_paths_reader_free(r);
    CHECK_EQ(ps_space_count(s), paths);
    CHECK_EQ(st.paths, paths);
    CHECK_EQ(st.raw_bytes, raw_bytes);
    CHECK_EQ(st.file_bytes, file->len);
    CHECK_OK(ps_space_write_paths(s, ps_sink_buf(&again), NULL, NULL));
    CHECK(zinflate(&again, &raw2) == 0);
    CHECK(raw2.len == raw.len && !memcmp(ps_buf_data(&raw2), ps_buf_data(&raw), raw.len));
    for (unsigned th = 1; th <= 3; th++) {
        ps_paths_opts o = { sizeof(ps_paths_opts), 7, th };
        ps_buf_clear(&other, 0);
        CHECK_OK(ps_space_write_paths(s, ps_sink_buf(&other), &o, NULL));
        CHECK(other.len == again.len && !memcmp(ps_buf_data(&other), ps_buf_data(&again), again.len));
    }
    int levels[] = { PS_PATHS_LEVEL_FAST, 0, 1, 9 };
    for (size_t i = 0; i < 4; i++) {
        ps_paths_opts o = { sizeof(ps_paths_opts), levels[i], 2 };
        ps_buf_clear(&other, 0);
        ps_buf_clear(&raw2, 0);
        CHECK_OK(ps_space_write_paths(s, ps_sink_buf(&other), &o, NULL));
        CHECK(zinflate(&other, &raw2) == 0);
        CHECK(raw2.len == raw.len && !memcmp(ps_buf_data(&raw2), ps_buf_data(&raw), raw.len));
    }
    ps_space_free(s);
    ps_buf_free(&raw);
    ps_buf_free(&raw2);
    ps_buf_free(&again);
    ps_buf_free(&other);
}

/* PathMap's own file (zlib-ng, level 7). */
void t_paths_big_logic(void)
{
    ps_buf file = { 0 };
    const char *path = t_data("big_logic.metta.paths");
    t_need_file(path);
    REQUIRE(t_read_file(path, &file) == 0);
    CHECK_EQ(file.len, 803836);
    check_foreign_paths(&file, 91692, 5332645);
    ps_buf_free(&file);
}

/* The same checks without the real file: 100,000 generated atoms, sorted,
 * written as one zlib stream by stock zlib (deflate level 7 in one call, not
 * our chunked parallel writer), so long matches cross every boundary our
 * reader has. */
void t_paths_foreign_writer(void)
{
    enum { N = 100000 };
    ps_buf raw = { 0 }, file = { 0 };
    ps_space *s = t_gen_space(5, N);
    ps_bytes a;
    ps_iter *it;
    REQUIRE_OK(ps_iter_new(s, ps_bytes_of(NULL, 0), &it));
    while (ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
        uint8_t len[4];
        ps_write_le32(len, (uint32_t)a.len);
        ps_buf_append(&raw, len, 4);
        ps_buf_append(&raw, a.ptr, a.len);
    }
    ps_iter_free(it);
    uLongf cap = compressBound((uLong)raw.len);
    REQUIRE_OK(ps_buf_reserve_exact(&file, cap));
    REQUIRE(compress2(ps_buf_data(&file), &cap, ps_buf_data(&raw), (uLong)raw.len, 7) == Z_OK);
    ps_buf_append_uninit(&file, cap, &(int){ 0 });
    check_foreign_paths(&file, N, raw.len);
    ps_space_free(s);
    ps_buf_free(&raw);
    ps_buf_free(&file);
}

/* Records of 7, 2049, 4097, 24000 and 300000 bytes (beyond the reader's
 * 256 KiB window) between small ones, read from memory and from an fd. */
void t_paths_straddle(void)
{
    static const size_t sizes[] = { 7, 2049, 4097, 24000, 300000, 0, 1, 262140, 262141 };
    enum { N = 2000 };
    ps_bytes recs[N];
    uint8_t *store[N];
    for (size_t i = 0; i < N; i++) {
        size_t n = i % 97 == 5 ? sizes[(i / 97) % 9] : t_below(60);
        store[i] = malloc(n + 1);
        for (size_t j = 0; j < n; j++)
            store[i][j] = (uint8_t)t_rand();
        recs[i] = ps_bytes_of(store[i], n);
    }
    ps_buf out = { 0 };
    write_records(&out, recs, N, 1, 2);
    char tmpl[] = "/tmp/ps_test_paths_XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0 && write(fd, ps_buf_data(&out), out.len) == (ssize_t)out.len);
    for (int mode = 0; mode < 2; mode++) {
        ps_paths_reader *r;
        ps_bytes p;
        if (mode == 0) {
            REQUIRE_OK(ps_paths_reader_new(ps_buf_data(&out), out.len, &r));
        } else {
            lseek(fd, 0, SEEK_SET);
            CHECK_OK(ps_paths_reader_new_fd(fd, &r));
        }
        for (size_t i = 0; i < N; i++) {
            CHECK_OK(ps_paths_reader_next(r, &p, NULL));
            CHECK(!ps_bytes_cmp(p, recs[i]));
        }
        CHECK_RC(ps_paths_reader_next(r, &p, NULL), PS_E_EMPTY);
        ps_paths_reader_free(r);
    }
    close(fd);
    unlink(tmpl);
    /* a descriptor that cannot be read is an I/O error, not an empty file */
    ps_paths_reader *bad;
    int dir = open("tests", O_RDONLY);
    CHECK(dir >= 0);
    CHECK_RC(ps_paths_reader_new_fd(dir, &bad), PS_E_IO);
    close(dir);
    for (size_t i = 0; i < N; i++)
        free(store[i]);
    ps_buf_free(&out);
}

/* Deflates raw with stock zlib: windowBits 15 = zlib, 31 = gzip. */
static void zdeflate(const void *raw, size_t n, int wbits, ps_buf *out)
{
    z_stream z = { 0 };
    uint8_t tmp[4096];
    CHECK(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = (Bytef *)raw;
    z.avail_in = (uInt)n;
    int zr;
    do {
        z.next_out = tmp;
        z.avail_out = sizeof tmp;
        zr = deflate(&z, Z_FINISH);
        ps_buf_append(out, tmp, sizeof tmp - z.avail_out);
    } while (zr == Z_OK);
    deflateEnd(&z);
}

static int read_all(const ps_buf *f, uint64_t *n, ps_diag *d)
{
    ps_paths_reader *r;
    ps_bytes p;
    int rc;
    *n = 0;
    if ((rc = ps_paths_reader_new(ps_buf_data(f), f->len, &r)))
        return rc;
    while ((rc = ps_paths_reader_next(r, &p, d)) == PS_OK)
        ++*n;
    ps_paths_reader_free(r);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}

void t_paths_gzip(void)
{
    static const uint8_t raw[18] = { 2, 0, 0, 0, 'a', 'b', 3, 0, 0, 0, 'a', 'b', 'c', 1, 0, 0, 0, 'b' };
    ps_buf gz = { 0 };
    uint64_t n;
    zdeflate(raw, sizeof raw, 31, &gz);
    CHECK_OK(read_all(&gz, &n, NULL));
    CHECK_EQ(n, 3);
    zdeflate(raw, sizeof raw, 31, &gz); /* two members, as cat a.gz b.gz */
    CHECK_OK(read_all(&gz, &n, NULL));
    CHECK_EQ(n, 6);
    ps_buf_free(&gz);
}

void t_paths_damage(void)
{
    static const uint8_t raw[18] = { 2, 0, 0, 0, 'a', 'b', 3, 0, 0, 0, 'a', 'b', 'c', 1, 0, 0, 0, 'b' };
    ps_buf f = { 0 }, g = { 0 };
    ps_diag d;
    uint64_t n;
    zdeflate(raw, sizeof raw, 15, &f);
    CHECK_OK(read_all(&f, &n, NULL));
    /* cut anywhere */
    for (size_t cut = 0; cut < f.len; cut++) {
        ps_buf_clear(&g, 0);
        ps_buf_append(&g, ps_buf_data(&f), cut);
        int rc = read_all(&g, &n, &d);
        CHECK(rc == PS_E_TRUNCATED || rc == PS_E_CORRUPT || rc == PS_E_CHECKSUM);
    }
    /* every single-bit flip is refused, except in the padding bits after
     * deflate's last code, which carry nothing: those must decode to the
     * very same records */
    for (size_t at = 0; at < f.len; at++)
        for (int bit = 0; bit < 8; bit++) {
            ps_buf_clear(&g, 0);
            ps_buf_append(&g, ps_buf_data(&f), f.len);
            ps_buf_data(&g)[at] ^= (uint8_t)(1 << bit);
            ps_buf same = { 0 };
            if (read_all(&g, &n, &d) == PS_OK) {
                CHECK(zinflate(&g, &same) == 0);
                if (same.len != sizeof raw || memcmp(ps_buf_data(&same), raw, sizeof raw))
                    t_failf(__FILE__, __LINE__, "flip of bit %d at %zu accepted", bit, at);
            } else {
                CHECK(d.msg[0] && d.offset <= g.len);
            }
            ps_buf_free(&same);
        }
    /* trailing garbage */
    ps_buf_clear(&g, 0);
    ps_buf_append(&g, ps_buf_data(&f), f.len);
    ps_buf_append(&g, "x", 1);
    CHECK_RC(read_all(&g, &n, &d), PS_E_CORRUPT);
    CHECK_EQ(d.offset, f.len);
    /* a record announcing 4 GiB: over the atom limit, refused before a byte
     * of it is kept; one announcing a little more than the data holds: cut
     * short; and a cut length */
    static const uint8_t longrec[] = { 2, 0, 0, 0, 'a', 'b', 0xFF, 0xFF, 0xFF, 0xFF, 'x' };
    ps_buf_clear(&g, 0);
    zdeflate(longrec, sizeof longrec, 15, &g);
    CHECK_RC(read_all(&g, &n, &d), PS_E_LIMIT);
    CHECK_EQ(n, 1);
    CHECK(strstr(d.msg, "record 1") && strstr(d.msg, "offset 6") && strstr(d.msg, "--max-atom"));
    static const uint8_t shortrec[] = { 2, 0, 0, 0, 'a', 'b', 5, 0, 0, 0, 'x' };
    ps_buf_clear(&g, 0);
    zdeflate(shortrec, sizeof shortrec, 15, &g);
    CHECK_RC(read_all(&g, &n, &d), PS_E_TRUNCATED);
    CHECK(strstr(d.msg, "record 1") && strstr(d.msg, "offset 6"));
    ps_buf_clear(&g, 0);
    zdeflate(longrec, 8, 15, &g);
    CHECK_RC(read_all(&g, &n, &d), PS_E_TRUNCATED);
    /* not compressed at all */
    ps_buf_clear(&g, 0);
    ps_buf_append(&g, raw, sizeof raw);
    CHECK_RC(read_all(&g, &n, &d), PS_E_CORRUPT); /* no zlib or gzip header */
    ps_buf_free(&f);
    ps_buf_free(&g);
}

/* The must-reject corpus in tests/golden/paths. */
void t_paths_golden_rejects(void)
{
    char path[256];
    int seen = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(path, sizeof path, "tests/golden/paths/reject-%03d.paths", i);
        ps_buf f = { 0 };
        uint64_t n;
        if (t_read_file(path, &f))
            continue;
        seen++;
        if (read_all(&f, &n, NULL) == PS_OK)
            t_failf(__FILE__, __LINE__, "%s accepted", path);
        ps_buf_free(&f);
    }
    CHECK(seen > 40);
}
