/*
 * fuzz_verify.c - "verify passes => every reader passes", for each format
 * that has a verify: the first byte picks ACT, snapshot, .paths or MeTTa
 * text, the rest is the file. When the format's full check accepts the
 * bytes, iteration, lookups, counting and loading into a space must all
 * accept them too and agree on what they hold. (A verify that passes what
 * a reader then rejects is what an auditor found in ps_act_verify.)
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pathspace.h"
#include "fuzz.h"

#define MAX_KEYS 20000 /* beyond this, only the cheap agreements are checked */

static void act(const uint8_t *data, size_t size)
{
    ps_act *a;
    ps_act_stats st;
    if (ps_act_open_mem(data, size, &a, NULL) != PS_OK)
        return;
    if (ps_act_verify(a, &st, NULL) != PS_OK) {
        ps_act_close(a);
        return;
    }
    uint64_t c;
    REQUIRE(ps_act_count(a, ps_bytes_of(NULL, 0), &c, NULL) == PS_OK && c == st.paths);
    ps_act_iter *it;
    REQUIRE(ps_act_iter_new(a, ps_bytes_of(NULL, 0), &it) == PS_OK);
    ps_bytes k;
    uint64_t v, w, n = 0;
    ps_buf prev = { 0 };
    int rc;
    ps_diag d;
    while (n <= MAX_KEYS && (rc = ps_act_iter_next(it, &k, &v, &d)) == PS_OK) {
        REQUIRE(n++ == 0 || ps_bytes_cmp(ps_buf_bytes(&prev), k) < 0);
        REQUIRE(ps_act_get(a, k, &w, NULL) == PS_OK && w == v);
        ps_buf_clear(&prev, 0);
        ps_buf_append(&prev, k.ptr, k.len);
    }
    /* verified: the walk ends cleanly, or the budget refuses it up front */
    REQUIRE(n > MAX_KEYS || rc == PS_E_EMPTY || (rc == PS_E_LIMIT && n == 0));
    if (rc == PS_E_EMPTY)
        REQUIRE(n == st.paths);
    ps_act_iter_free(it);
    if (st.paths <= MAX_KEYS) {
        ps_space *s;
        REQUIRE(ps_space_new(&s) == PS_OK);
        REQUIRE(ps_space_read_act(s, a, NULL) == PS_OK && ps_space_count(s) == st.paths);
        ps_space_free(s);
    }
    ps_buf_free(&prev);
    ps_act_close(a);
}

static void snap(const uint8_t *data, size_t size)
{
    ps_snap *sn;
    if (ps_snap_open_mem(data, size, &sn, NULL) != PS_OK)
        return;
    if (ps_snap_verify(sn, 1, NULL) != PS_OK) {
        ps_snap_close(sn);
        return;
    }
    ps_snap_info in;
    ps_snap_info_get(sn, &in);
    ps_snap_iter *it;
    REQUIRE(ps_snap_iter_new(sn, ps_bytes_of(NULL, 0), &it) == PS_OK);
    ps_bytes p;
    int hv, ghv, rc;
    uint64_t v, gv, n = 0;
    while ((rc = ps_snap_iter_next(it, &p, &hv, &v, NULL)) == PS_OK) {
        n++;
        REQUIRE(ps_snap_get(sn, p, &ghv, &gv, NULL) == PS_OK && ghv == hv && (!hv || gv == v));
    }
    REQUIRE(rc == PS_E_EMPTY && n == in.paths);
    ps_snap_iter_free(it);
    ps_space *s;
    REQUIRE(ps_space_new(&s) == PS_OK);
    REQUIRE(ps_space_read_snap(s, sn, 1, NULL) == PS_OK && ps_space_count(s) == in.paths);
    ps_space_free(s);
    ps_snap_close(sn);
}

/* A .paths file's full decode is its verify: the same records must come
 * from a file descriptor, and load into a space. */
static void paths(const uint8_t *data, size_t size)
{
    ps_paths_reader *r;
    ps_bytes p;
    uint64_t n = 0, m = 0;
    int rc;
    REQUIRE(ps_paths_reader_new(data, size, &r) == PS_OK);
    ps_buf all = { 0 };
    while ((rc = ps_paths_reader_next(r, &p, NULL)) == PS_OK) {
        uint8_t len[4];
        ps_write_le32(len, (uint32_t)p.len);
        ps_buf_append(&all, len, 4);
        ps_buf_append(&all, p.ptr, p.len);
        n++;
    }
    ps_paths_reader_free(r);
    if (rc != PS_E_EMPTY) {
        ps_buf_free(&all);
        return;
    }
    int fd = memfd_create("fuzz_verify", 0);
    REQUIRE(fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0);
    REQUIRE(ps_paths_reader_new_fd(fd, &r) == PS_OK);
    size_t at = 0;
    while ((rc = ps_paths_reader_next(r, &p, NULL)) == PS_OK) {
        REQUIRE(at + 4 + p.len <= all.len && ps_read_le32(ps_buf_data(&all) + at) == p.len &&
                (!p.len || !memcmp(ps_buf_data(&all) + at + 4, p.ptr, p.len)));
        at += 4 + p.len;
        m++;
    }
    REQUIRE(rc == PS_E_EMPTY && m == n);
    ps_paths_reader_free(r);
    close(fd);
    ps_space *s;
    REQUIRE(ps_space_new(&s) == PS_OK);
    REQUIRE(ps_paths_reader_new(data, size, &r) == PS_OK);
    REQUIRE(ps_space_read_paths(s, r, NULL) == PS_OK && ps_space_count(s) <= n);
    ps_paths_reader_free(r);
    ps_space_free(s);
    ps_buf_free(&all);
}

/* Text: a full parse is its verify; the atoms load, and each one printed
 * and parsed again is the same atom. */
static void text(const uint8_t *data, size_t size)
{
    ps_parser *pr;
    ps_bytes a;
    int rc;
    uint64_t n = 0;
    REQUIRE(ps_parser_new(&pr) == PS_OK);
    ps_parser_reset(pr, data, size);
    while ((rc = ps_parser_next(pr, &a, NULL)) == PS_OK)
        n++;
    if (rc != PS_E_EMPTY) {
        ps_parser_free(pr);
        return;
    }
    ps_space *s;
    REQUIRE(ps_space_new(&s) == PS_OK);
    ps_parser_reset(pr, data, size);
    ps_buf t = { 0 }, back = { 0 };
    while (ps_parser_next(pr, &a, NULL) == PS_OK) {
        size_t len;
        REQUIRE(ps_atom_check(a, &len, NULL) == PS_OK && len == a.len);
        REQUIRE(ps_space_insert(s, a, NULL) == PS_OK);
        ps_buf_clear(&t, 0);
        ps_buf_clear(&back, 0);
        REQUIRE(ps_atom_print(a, &t) == PS_OK);
        /* an unterminated string ("abc at the end of the input) and a CR
         * before LF inside one do not print back to themselves; everything
         * else must round-trip byte for byte */
        if (!memchr(ps_buf_data(&t), '\r', t.len) && !memchr(ps_buf_data(&t), '"', t.len)) {
            REQUIRE(ps_atom_parse(ps_buf_data(&t), t.len, &back, NULL) == PS_OK);
            REQUIRE(back.len == a.len && !memcmp(ps_buf_data(&back), a.ptr, a.len));
        }
    }
    REQUIRE(ps_space_count(s) <= n);
    ps_buf_free(&t);
    ps_buf_free(&back);
    ps_space_free(s);
    ps_parser_free(pr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    switch (data[0] & 3) {
    case 0: act(data + 1, size - 1); break;
    case 1: snap(data + 1, size - 1); break;
    case 2: paths(data + 1, size - 1); break;
    default: text(data + 1, size - 1); break;
    }
    return 0;
}
