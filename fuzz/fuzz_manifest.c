/*
 * fuzz_manifest.c - a bucket's manifest (src/replica/manifest.c) from
 * arbitrary bytes, and a log piece's check. Half the inputs get their
 * trailing checksum made right first, so the fuzzer reaches the entry
 * checks. A manifest that decodes must satisfy what readers rely on (each
 * piece after the last, nothing past what was shipped) and encode back to
 * the same bytes; one that does not must say why with a code.
 */
#include <string.h>
#include <xxhash.h>

#include "replica/manifest.h"
#include "store/pspace.h"
#include "fuzz.h"

static void check(const uint8_t *data, size_t size)
{
    manifest m = { 0 };
    ps_diag d = { 0 };
    int rc = ps__man_decode(ps_bytes_of(data, size), &m, &d);
    if (rc) {
        REQUIRE(d.code == rc && d.msg[0]);
        return;
    }
    for (uint32_t i = 0; i < m.npiece; i++) {
        REQUIRE(m.piece[i].first && m.piece[i].first <= m.piece[i].last);
        REQUIRE(m.piece[i].last <= m.shipped);
        REQUIRE(!i || m.piece[i].first == m.piece[i - 1].last + 1);
    }
    for (uint32_t i = 0; i < m.nckpt; i++)
        REQUIRE(m.ckpt[i].log_pos <= m.shipped && (!i || m.ckpt[i].seq > m.ckpt[i - 1].seq));
    ps_buf out = { 0 };
    REQUIRE(!ps__man_encode(&m, &out));
    REQUIRE(ps_buf_len(&out) == size && !memcmp(ps_buf_data(&out), data, size));
    ps__man_trim(&m, 1 + data[0] % 3);
    REQUIRE(m.nckpt <= 3);
    ps_buf_free(&out);
    ps__man_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    uint8_t *m = malloc(size);
    REQUIRE(m);
    memcpy(m, data, size);
    if ((data[0] & 1) && size >= 8)
        ps_write_le64(m + size - 8, XXH3_64bits(m, size - 8));
    check(m, size);
    /* the same bytes as a log piece: checked whole, never trusted */
    ps_diag d = { 0 };
    uint64_t first = size >= 24 ? ps_read_le64(m + 16) : 1;
    if (ps__pspace_piece_check(ps_bytes_of(m, size), first, first + (data[0] >> 1), &d))
        REQUIRE(d.code && d.msg[0]);
    free(m);
    return 0;
}
