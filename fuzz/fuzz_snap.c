/*
 * fuzz_snap.c - the snapshot reader on arbitrary bytes (decode-only half):
 * open, verify, iterate, get and load must all end without a crash;
 * whatever iterates must be strictly increasing and found by get; a file
 * that verifies must load into a space with the same count. Round-trip
 * half: the input is cut into keys (some with values), written with a
 * codec, checksum and chunk size the input picks, and must read back
 * exactly, by iteration, lookup and load.
 */
#include <stdlib.h>
#include <string.h>

#include "pathspace.h"
#include "fuzz.h"

static void decode(const uint8_t *data, size_t size)
{
    ps_snap *sn;
    ps_snap_iter *it;
    ps_snap_info in;
    ps_diag d;
    ps_bytes k;
    ps_buf prev = { 0 };
    uint64_t v, w, n = 0;
    int hv, hw, rc;
    if (ps_snap_open_mem(data, size, &sn, &d) != PS_OK) {
        REQUIRE(d.msg[0]);
        return;
    }
    ps_snap_info_get(sn, &in);
    int sound = ps_snap_verify(sn, 1, &d) == PS_OK;
    REQUIRE(ps_snap_iter_new(sn, ps_bytes_of(NULL, 0), &it) == PS_OK);
    while ((rc = ps_snap_iter_next(it, &k, &hv, &v, &d)) == PS_OK) {
        REQUIRE(n++ == 0 || ps_bytes_cmp(ps_buf_bytes(&prev), k) < 0);
        ps_buf_clear(&prev, 0);
        ps_buf_append(&prev, k.ptr, k.len);
        REQUIRE(ps_snap_get(sn, ps_buf_bytes(&prev), &hw, &w, NULL) == PS_OK || !sound);
        if (sound)
            REQUIRE(hw == hv && (!hv || w == v));
    }
    ps_snap_iter_free(it);
    if (sound)
        REQUIRE(rc == PS_E_EMPTY && n == in.paths);
    ps_space *s;
    REQUIRE(ps_space_new(&s) == PS_OK);
    rc = ps_space_read_snap(s, sn, 1, &d);
    if (sound)
        REQUIRE(rc == PS_OK && ps_space_count(s) == in.paths);
    ps_snap_get(sn, ps_bytes_of(data, size < 16 ? size : 16), NULL, NULL, &d);
    ps_space_free(s);
    ps_buf_free(&prev);
    ps_snap_close(sn);
}

static void roundtrip(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    ps_snap_opts o = { .size = sizeof(ps_snap_opts), .codec = 1 + data[0] % 4, .checksum = data[0] >> 2 & 1,
                       .chunk_size = PS_SNAP_CHUNK_MIN << (data[0] >> 3 & 3), .threads = 2 };
    ps_space *s, *back;
    REQUIRE(ps_space_new(&s) == PS_OK && ps_space_new(&back) == PS_OK);
    size_t i = 1;
    while (i < size) { /* a length byte (mod 64; odd: with a value), then the key */
        size_t n = data[i] >> 1 & 63, hv = data[i++] & 1;
        n = n < size - i ? n : size - i;
        if (hv)
            REQUIRE(ps_space_set_value(s, ps_bytes_of(data + i, n), i * 977) == PS_OK);
        else
            REQUIRE(ps_space_insert(s, ps_bytes_of(data + i, n), NULL) == PS_OK);
        i += n;
    }
    ps_buf out = { 0 };
    ps_snap *sn;
    REQUIRE(ps_space_write_snap(s, ps_sink_buf(&out), &o, NULL) == PS_OK);
    REQUIRE(ps_snap_open_mem(ps_buf_data(&out), out.len, &sn, NULL) == PS_OK);
    REQUIRE(ps_snap_verify(sn, 1, NULL) == PS_OK);
    REQUIRE(ps_space_read_snap(back, sn, 2, NULL) == PS_OK);
    REQUIRE(ps_space_count(back) == ps_space_count(s));
    ps_iter *it;
    ps_bytes k;
    int hv, hw;
    uint64_t v, w;
    REQUIRE(ps_iter_new(s, ps_bytes_of(NULL, 0), &it) == PS_OK);
    while (ps_iter_next(it, &k, &hv, &v) == PS_OK) {
        REQUIRE(ps_snap_get(sn, k, &hw, &w, NULL) == PS_OK && hw == hv && (!hv || w == v));
        REQUIRE(ps_space_get_value(back, k, &w) == (hv ? PS_OK : PS_E_NOTFOUND));
        REQUIRE(!hv || w == v);
    }
    ps_iter_free(it);
    ps_snap_close(sn);
    ps_space_free(s);
    ps_space_free(back);
    ps_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    roundtrip(data, size);
    return 0;
}
