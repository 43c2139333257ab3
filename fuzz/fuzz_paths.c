/*
 * fuzz_paths.c - the .paths reader on arbitrary bytes (decode-only half):
 * it must end with PS_E_EMPTY or an error carrying a message and an offset
 * inside the input. Round-trip half: the first byte picks level and thread
 * count, the rest is cut into records; written, they must read back equal.
 */
#include <stdlib.h>
#include <string.h>

#include "pathspace.h"
#include "fuzz.h"


static void decode(const uint8_t *data, size_t size)
{
    ps_paths_reader *r;
    ps_bytes p;
    ps_diag d;
    int rc;
    uint64_t n = 0;
    REQUIRE(ps_paths_reader_new(data, size, &r) == PS_OK);
    while ((rc = ps_paths_reader_next(r, &p, &d)) == PS_OK)
        n++;
    REQUIRE(rc != PS_E_NOMEM);
    if (rc != PS_E_EMPTY)
        REQUIRE(d.msg[0] && d.offset <= size);
    REQUIRE(ps_paths_reader_next(r, &p, NULL) == rc); /* sticky */
    ps_paths_reader_free(r);
}

static void roundtrip(const uint8_t *data, size_t size)
{
    if (!size)
        return;
    /* the level from the first byte; threads: the caller's own, but two in
     * one input of 16 (starting threads per input costs more than the rest) */
    ps_paths_opts o;
    ps_paths_opts_init(&o);
    o.level = (data[0] % 11) - 1;
    o.threads = data[0] >= 240 ? 2 : 1;
    ps_buf out = { 0 };
    ps_paths_writer *w;
    REQUIRE(ps_paths_writer_new(ps_sink_buf(&out), &o, &w) == PS_OK);
    size_t i = 1;
    while (i < size) { /* records: a length byte, then up to that many bytes */
        size_t n = data[i++];
        n = n < size - i ? n : size - i;
        REQUIRE(ps_paths_writer_add(w, ps_bytes_of(data + i, n)) == PS_OK);
        i += n;
    }
    REQUIRE(ps_paths_writer_finish(w, NULL) == PS_OK);
    ps_paths_writer_free(w);
    ps_paths_reader *r;
    ps_bytes p;
    REQUIRE(ps_paths_reader_new(ps_buf_data(&out), out.len, &r) == PS_OK);
    i = 1;
    while (i < size) {
        size_t n = data[i++];
        n = n < size - i ? n : size - i;
        REQUIRE(ps_paths_reader_next(r, &p, NULL) == PS_OK);
        REQUIRE(p.len == n && (n == 0 || memcmp(p.ptr, data + i, n) == 0));
        i += n;
    }
    REQUIRE(ps_paths_reader_next(r, &p, NULL) == PS_E_EMPTY);
    ps_paths_reader_free(r);
    ps_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    roundtrip(data, size);
    return 0;
}
