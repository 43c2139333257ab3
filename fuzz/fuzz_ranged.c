/*
 * fuzz_ranged.c - a snapshot read by byte range (ps_snap_open_reader), on
 * arbitrary bytes: whatever opens in memory opens by range and reads back
 * the same paths, no byte is read twice, and reads that fail (the first
 * byte picks which) end in an error, never a crash or a wrong path.
 */
#include <stdio.h>
#include <string.h>

#include "pathspace.h"
#include "fuzz.h"

typedef struct src {
    const uint8_t *data;
    size_t size;
    unsigned fail_at; /* the read that fails (0: none) */
    unsigned reads;
} src;

static int read_at(void *arg, uint64_t off, void *buf, size_t len, ps_diag *d)
{
    src *s = arg;
    REQUIRE(off <= s->size && len <= s->size - off); /* only bytes of the file */
    if (++s->reads == s->fail_at) {
        if (d) {
            d->code = PS_E_IO;
            snprintf(d->msg, sizeof d->msg, "read %u fails", s->reads);
        }
        return PS_E_IO;
    }
    memcpy(buf, s->data + off, len);
    return PS_OK;
}

/* Every path of a, then of b: the same, in the same order (b may stop
 * early with an error when reads fail). */
static void same_paths(const ps_snap *a, const ps_snap *b, int may_fail, ps_bytes prefix)
{
    ps_snap_iter *ia, *ib;
    ps_bytes ka, kb;
    ps_diag d;
    int ra, rb;
    REQUIRE(ps_snap_iter_new(a, prefix, &ia) == PS_OK);
    REQUIRE(ps_snap_iter_new(b, prefix, &ib) == PS_OK);
    for (;;) {
        ra = ps_snap_iter_next(ia, &ka, NULL, NULL, &d);
        rb = ps_snap_iter_next(ib, &kb, NULL, NULL, &d);
        if (rb != ra) {
            REQUIRE(may_fail && rb != PS_OK);
            break;
        }
        if (ra != PS_OK)
            break;
        REQUIRE(ps_bytes_cmp(ka, kb) == 0);
    }
    ps_snap_iter_free(ia);
    ps_snap_iter_free(ib);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned fail_at = data[0] & 0x0F, plen = data[1] & 0x07;
    data += 2, size -= 2;
    src s = { data, size, fail_at, 0 };
    ps_snap_reader r = { size, read_at, NULL, &s };
    ps_snap *m = NULL, *g = NULL;
    ps_diag d;
    int rm = ps_snap_open_mem(data, size, &m, &d);
    int rg = ps_snap_open_reader(&r, &g, &d);
    if (rg) {
        REQUIRE(d.msg[0]);
        REQUIRE(rm || fail_at); /* a file that opens in memory opens by range */
    } else {
        REQUIRE(rm == PS_OK);
        ps_bytes prefix = ps_bytes_of(data, plen < size ? plen : 0);
        if (ps_snap_fetch(g, prefix, &d) == PS_OK)
            same_paths(m, g, fail_at != 0, prefix);
        same_paths(m, g, fail_at != 0, ps_bytes_of(NULL, 0));
        uint64_t reads, bytes;
        ps_snap_fetched(g, &reads, &bytes);
        REQUIRE(bytes <= size && reads <= s.reads); /* no byte read twice */
        ps_snap_close(g);
    }
    ps_snap_close(m);
    return 0;
}
