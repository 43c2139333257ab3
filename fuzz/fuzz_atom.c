/*
 * fuzz_atom.c - ps_atom_check on arbitrary bytes (the decoder every binary
 * loader will use), and the printer on whatever it accepts.
 */
#include <stdlib.h>

#include "pathspace.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0, len;
    ps_buf out = { 0 };
    while (off < size && ps_atom_check(ps_bytes_of(data + off, size - off), &len, NULL) == PS_OK) {
        if (len == 0 || len > size - off)
            abort();
        if (ps_atom_print(ps_bytes_of(data + off, len), &out) != PS_OK)
            abort();
        ps_buf_clear(&out, 0);
        off += len;
    }
    ps_buf_free(&out);
    return 0;
}
