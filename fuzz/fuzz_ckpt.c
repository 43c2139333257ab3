/*
 * fuzz_ckpt.c - checkpoint checking on arbitrary bytes. Decode half: the
 * check must end without a crash, and a checkpoint that passes must hold a
 * payload inside the input whose snapshot opens or is refused cleanly; half
 * the inputs get their header and payload checksums made right, so the
 * fuzzer reaches the length, version, flag and snapshot logic. Round-trip
 * half: a header encoded from input fields decodes to the same fields.
 */
#include <string.h>
#include <xxhash.h>

#include "pathspace.h"
#include "fuzz.h"

static void decode(const uint8_t *m, size_t size)
{
    ps_ckpt_info ci;
    ps_bytes payload;
    ps_diag d = { 0 };
    if (ps_ckpt_check(m, size, &ci, &payload, &d) != PS_OK) {
        REQUIRE(d.msg[0]);
        return;
    }
    REQUIRE(payload.ptr == m + PS_CKPT_HEADER && payload.len == size - PS_CKPT_HEADER);
    ps_snap *sn;
    if (ps_snap_open_mem(payload.ptr, payload.len, &sn, &d) != PS_OK)
        return;
    ps_space *s;
    REQUIRE(ps_space_new(&s) == PS_OK);
    ps_space_read_snap(s, sn, 1, &d);
    ps_space_free(s);
    ps_snap_close(sn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    if (mode & 0x80 && size >= 48) { /* round trip of the header fields */
        ps_ckpt_info ci = { 0 }, back;
        memcpy(&ci.seq, data, 8);
        memcpy(&ci.atoms, data + 8, 8);
        memcpy(&ci.log_pos, data + 16, 8);
        memcpy(&ci.created_ns, data + 24, 8);
        ci.payload_len = size - 48;
        ci.payload_sum = XXH3_64bits(data + 48, size - 48);
        uint8_t *m = malloc(PS_CKPT_HEADER + size - 48);
        REQUIRE(m);
        ps_ckpt_header_encode(&ci, m);
        memcpy(m + PS_CKPT_HEADER, data + 48, size - 48);
        REQUIRE(ps_ckpt_check(m, PS_CKPT_HEADER + size - 48, &back, NULL, NULL) == PS_OK);
        REQUIRE(back.seq == ci.seq && back.atoms == ci.atoms && back.log_pos == ci.log_pos &&
                back.created_ns == ci.created_ns && back.payload_len == ci.payload_len);
        free(m);
        return 0;
    }
    uint8_t *m = malloc(size ? size : 1);
    REQUIRE(m);
    memcpy(m, data, size);
    if (mode & 1 && size >= PS_CKPT_HEADER) {
        ps_write_le64(m + 16, size - PS_CKPT_HEADER);
        ps_write_le64(m + 24, XXH3_64bits(m + PS_CKPT_HEADER, size - PS_CKPT_HEADER));
        ps_write_le32(m + 68, (uint32_t)XXH3_64bits(m, 68));
    }
    decode(m, size);
    free(m);
    return 0;
}
