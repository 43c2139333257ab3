/*
 * fuzz_act.c - the ACT reader on arbitrary bytes (decode-only half), with
 * and without verify: every call must end, iteration must be strictly
 * increasing, every key it yields must be found by get, and count must
 * agree. Round-trip half: the input is cut into keys, sorted and deduped,
 * written as an ACT, and everything must read back exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "pathspace.h"
#include "fuzz.h"


static void decode(const uint8_t *data, size_t size)
{
    ps_act *a;
    ps_act_iter *it;
    ps_diag d;
    ps_bytes k;
    ps_buf prev = { 0 };
    uint64_t v, w, n = 0, c;
    int rc;
    if (ps_act_open_mem(data, size, &a, &d) != PS_OK) {
        REQUIRE(d.msg[0]);
        return;
    }
    ps_act_verify(a, NULL, &d);
    if (ps_act_iter_new(a, ps_bytes_of(NULL, 0), &it) != PS_OK) {
        /* only a damaged root stops iteration before it starts */
        REQUIRE(ps_act_count(a, ps_bytes_of(NULL, 0), &c, &d) != PS_OK);
    } else {
        while (n < 100000 && (rc = ps_act_iter_next(it, &k, &v, &d)) == PS_OK) {
            REQUIRE(n++ == 0 || ps_bytes_cmp(ps_buf_bytes(&prev), k) < 0);
            REQUIRE(ps_act_get(a, k, &w, NULL) == PS_OK && w == v);
            ps_buf_clear(&prev, 0);
            ps_buf_append(&prev, k.ptr, k.len);
        }
        if (n < 100000 && rc == PS_E_EMPTY)
            REQUIRE(ps_act_count(a, ps_bytes_of(NULL, 0), &c, NULL) == PS_OK && c == n);
        ps_act_iter_free(it);
    }
    ps_act_get(a, ps_bytes_of(data, size < 16 ? size : 16), &v, &d);
    ps_buf_free(&prev);
    ps_act_close(a);
}

static int cmp(const void *x, const void *y)
{
    return ps_bytes_cmp(*(const ps_bytes *)x, *(const ps_bytes *)y);
}

static void roundtrip(const uint8_t *data, size_t size)
{
    ps_bytes keys[512];
    size_t nk = 0, i = 0;
    while (i < size && nk < 512) { /* a length byte (mod 24), then the key */
        size_t n = data[i++] % 24;
        n = n < size - i ? n : size - i;
        keys[nk++] = ps_bytes_of(data + i, n);
        i += n;
    }
    qsort(keys, nk, sizeof *keys, cmp);
    size_t m = 0;
    for (i = 0; i < nk; i++)
        if (!m || cmp(&keys[m - 1], &keys[i]))
            keys[m++] = keys[i];
    ps_buf out = { 0 };
    ps_act_writer *w;
    REQUIRE(ps_act_writer_new(ps_sink_buf(&out), &w) == PS_OK);
    for (i = 0; i < m; i++)
        REQUIRE(ps_act_writer_add(w, keys[i], i * 977) == PS_OK);
    REQUIRE(ps_act_writer_finish(w, NULL) == PS_OK);
    ps_act_writer_free(w);
    ps_act *a;
    ps_act_iter *it;
    ps_bytes k;
    uint64_t v;
    REQUIRE(ps_act_open_mem(ps_buf_data(&out), out.len, &a, NULL) == PS_OK);
    REQUIRE(ps_act_verify(a, NULL, NULL) == PS_OK);
    REQUIRE(ps_act_iter_new(a, ps_bytes_of(NULL, 0), &it) == PS_OK);
    for (i = 0; i < m; i++) {
        REQUIRE(ps_act_iter_next(it, &k, &v, NULL) == PS_OK);
        REQUIRE(!ps_bytes_cmp(k, keys[i]) && v == i * 977);
        REQUIRE(ps_act_get(a, keys[i], &v, NULL) == PS_OK && v == i * 977);
    }
    REQUIRE(ps_act_iter_next(it, &k, &v, NULL) == PS_E_EMPTY);
    ps_act_iter_free(it);
    ps_act_close(a);
    ps_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    roundtrip(data, size);
    return 0;
}
