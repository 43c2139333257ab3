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
        if (n > 16 && n % 64) /* lookups are the slow part: a sample past the first 16 */
            continue;
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

typedef struct key {
    ps_bytes k;
    int hv;
    uint64_t v;
} key;

static int key_cmp(const void *a, const void *b)
{
    return ps_bytes_cmp(((const key *)a)->k, ((const key *)b)->k);
}

/* The keys the input spells, sorted and distinct (the last of equal keys
 * wins, as inserts would have it), without a space: the trie is not what
 * this target tests, and inserting random keys is most of its cost. */
static size_t keys_of(const uint8_t *data, size_t size, key *ks)
{
    size_t nk = 0;
    for (size_t i = 1; i < size;) { /* a length byte (mod 64; odd: with a value), then the key */
        size_t n = data[i] >> 1 & 63, hv = data[i++] & 1;
        n = n < size - i ? n : size - i;
        ks[nk++] = (key){ ps_bytes_of(data + i, n), (int)hv, i * 977 };
        i += n;
    }
    qsort(ks, nk, sizeof *ks, key_cmp);
    size_t m = 0;
    for (size_t i = 0; i < nk; i++) {
        if (m && !key_cmp(&ks[m - 1], &ks[i]))
            m--;
        ks[m++] = ks[i];
    }
    return m;
}

static void roundtrip(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    /* threads: the caller's own mostly (starting threads per input would
     * cost more than the rest), two in one input of 32 */
    ps_snap_opts o;
    ps_snap_opts_init(&o);
    o.codec = 1 + data[0] % 4;
    o.checksum = data[0] >> 2 & 1;
    o.chunk_size = PS_SNAP_CHUNK_MIN << (data[0] >> 3 & 3);
    o.threads = (data[0] >> 5) == 7 && (data[size - 1] & 3) == 0 ? 2 : 1;
    key *ks = malloc(size * sizeof *ks);
    REQUIRE(ks);
    size_t n = keys_of(data, size, ks);
    ps_buf out = { 0 };
    ps_snap_writer *w;
    REQUIRE(ps_snap_writer_new(ps_sink_buf(&out), &o, &w) == PS_OK);
    for (size_t i = 0; i < n; i++)
        REQUIRE((ks[i].hv ? ps_snap_writer_add_value(w, ks[i].k, ks[i].v)
                          : ps_snap_writer_add(w, ks[i].k)) == PS_OK);
    REQUIRE(ps_snap_writer_finish(w, NULL) == PS_OK);
    ps_snap_writer_free(w);
    ps_snap *sn;
    REQUIRE(ps_snap_open_mem(ps_buf_data(&out), out.len, &sn, NULL) == PS_OK);
    REQUIRE(ps_snap_verify(sn, o.threads, NULL) == PS_OK);
    ps_snap_iter *it;
    ps_bytes k;
    int hv, hw;
    uint64_t v, vw;
    REQUIRE(ps_snap_iter_new(sn, ps_bytes_of(NULL, 0), &it) == PS_OK);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(ps_snap_iter_next(it, &k, &hv, &v, NULL) == PS_OK);
        REQUIRE(!ps_bytes_cmp(k, ks[i].k) && hv == ks[i].hv && (!hv || v == ks[i].v));
        if (i < 16 || i % 64 == 0) /* lookups: the first 16, then a sample */
            REQUIRE(ps_snap_get(sn, ks[i].k, &hw, &vw, NULL) == PS_OK && hw == hv &&
                    (!hv || vw == v));
    }
    REQUIRE(ps_snap_iter_next(it, &k, NULL, NULL, NULL) == PS_E_EMPTY);
    ps_snap_iter_free(it);
    ps_space *back; /* an empty space bulk-builds: no search per path */
    REQUIRE(ps_space_new(&back) == PS_OK);
    REQUIRE(ps_space_read_snap(back, sn, o.threads, NULL) == PS_OK);
    REQUIRE(ps_space_count(back) == n);
    ps_space_free(back);
    ps_snap_close(sn);
    ps_buf_free(&out);
    free(ks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    roundtrip(data, size);
    return 0;
}
