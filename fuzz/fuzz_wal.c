/*
 * fuzz_wal.c - log recovery on arbitrary segment bytes. Decode half: the
 * first byte picks last-segment and truncate; half the inputs get their
 * header and record checksums made right first, so the fuzzer reaches the
 * sequence, op and torn-tail logic. Recovery must end without a crash,
 * stop inside the segment, and replay only records it checked. Round-trip
 * half: ops cut from the input are encoded, must replay exactly, and every
 * cut of the segment must read as a clean prefix plus a torn tail.
 */
#include <string.h>
#include <xxhash.h>

#include "store/wal.h"
#include "fuzz.h"

typedef struct sink {
    ps_space *s;
    uint64_t n;
} sink;

static int apply(void *ctx, const wal_op *op)
{
    sink *k = ctx;
    k->n++;
    REQUIRE(op->op >= WAL_ADD && op->op <= WAL_SET);
    return op->op == WAL_REMOVE ? ps_space_remove(k->s, op->path, NULL)
           : op->op == WAL_ADD  ? ps_space_insert(k->s, op->path, NULL)
                                : ps_space_set_value(k->s, op->path, op->value);
}

/* Makes every checksum the bytes can hold right. */
static void fixup(uint8_t *m, size_t size)
{
    if (size < WAL_HDR)
        return;
    ps_write_le32(m + 28, (uint32_t)XXH3_64bits(m, 28));
    for (size_t off = WAL_HDR; off + WAL_REC <= size;) {
        size_t len = ps_read_le32(m + off + 4);
        if (len > size - off - WAL_REC)
            break;
        ps_write_le32(m + off, (uint32_t)XXH3_64bits(m + off + 4, WAL_REC - 4 + len));
        off += WAL_REC + len;
    }
}

static int scan(const uint8_t *m, size_t size, uint64_t first, int last, int truncate,
                ps_recovery *rec, uint64_t *end, uint64_t *applied)
{
    sink k = { NULL, 0 };
    REQUIRE(ps_space_new(&k.s) == PS_OK);
    memset(rec, 0, sizeof *rec);
    wal_scan s = { 0, 0, truncate, apply, &k, rec };
    ps_diag d = { 0 };
    int rc = ps__wal_scan_mem(m, size, "x.log", first, last, &s, end, &d);
    REQUIRE(rc == PS_OK ? *end <= size : d.msg[0] != 0);
    REQUIRE(rec->replayed == k.n);
    *applied = k.n;
    ps_space_free(k.s);
    return rc;
}

static void roundtrip(const uint8_t *data, size_t size)
{
    wal_op ops[64];
    size_t n = 0;
    for (size_t at = 0; at < size && n < 64;) {
        size_t len = data[at] % 24;
        len = len > size - at - 1 ? size - at - 1 : len;
        ops[n] = (wal_op){ 1 + data[at] % 3, ps_bytes_of(data + at + 1, len), at };
        n++;
        at += 1 + len;
    }
    uint8_t h[WAL_HDR];
    ps_buf seg = { 0 };
    ps__wal_header(h, 7);
    REQUIRE(ps_buf_append(&seg, h, sizeof h) == PS_OK);
    REQUIRE(ps__wal_encode(&seg, 7, ops, n) == PS_OK);
    ps_recovery rec;
    uint64_t end, applied;
    REQUIRE(scan(ps_buf_data(&seg), seg.len, 7, 1, 0, &rec, &end, &applied) == PS_OK);
    REQUIRE(applied == n && end == seg.len && !rec.torn && (n == 0 || rec.last_seq == 6 + n));
    size_t cut = size ? data[0] * seg.len / 256 : 0; /* a crash anywhere */
    REQUIRE(scan(ps_buf_data(&seg), cut, 7, 1, 0, &rec, &end, &applied) == PS_OK);
    REQUIRE(applied <= n && (end == cut || rec.torn));
    ps_buf_free(&seg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    uint8_t mode = data[0];
    if (mode & 0x80) {
        roundtrip(data + 1, size - 1);
        return 0;
    }
    uint8_t *m = malloc(size);
    REQUIRE(m);
    memcpy(m, data + 1, size - 1);
    if (mode & 4)
        fixup(m, size - 1);
    uint64_t first = size - 1 >= WAL_HDR ? ps_read_le64(m + 16) : 1, end, applied;
    ps_recovery rec;
    scan(m, size - 1, first, mode & 1, (mode >> 1) & 1, &rec, &end, &applied);
    free(m);
    return 0;
}
