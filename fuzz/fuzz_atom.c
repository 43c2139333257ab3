/*
 * fuzz_atom.c - ps_atom_check on arbitrary bytes (the decoder every binary
 * loader will use), and the printer on whatever it accepts: the text must
 * parse back to the same bytes (the lossless form, docs/encoding.md),
 * whatever bytes the symbols hold.
 */
#include <stdlib.h>
#include <string.h>

#include "pathspace.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0, len;
    ps_buf out = { 0 }, back = { 0 };
    while (off < size && ps_atom_check(ps_bytes_of(data + off, size - off), &len, NULL) == PS_OK) {
        if (len == 0 || len > size - off)
            abort();
        if (ps_atom_print(ps_bytes_of(data + off, len), &out) != PS_OK)
            abort();
        ps_diag d;
        REQUIRE(ps_atom_parse(ps_buf_data(&out), out.len, &back, &d) == PS_OK);
        REQUIRE(back.len == len && memcmp(ps_buf_data(&back), data + off, len) == 0);
        ps_buf_clear(&out, 0);
        ps_buf_clear(&back, 0);
        off += len;
    }
    ps_buf_free(&out);
    ps_buf_free(&back);
    return 0;
}
