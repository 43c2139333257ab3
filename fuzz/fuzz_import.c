/*
 * fuzz_import.c - the JSON, JSON Lines and CSV readers on arbitrary bytes.
 * The first byte picks the reader. Every atom handed out must be one
 * whole canonical atom; an error must carry a code and a position inside
 * the input; nothing may crash or hang.
 */
#include <string.h>

#include "pathspace.h"
#include "fuzz.h"

static int check(void *ctx, ps_bytes atom)
{
    size_t len;
    REQUIRE(ps_atom_check(atom, &len, NULL) == PS_OK && len == atom.len);
    (*(uint64_t *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint64_t n = 0;
    ps_import_stats st;
    ps_diag d = { 0 };
    const uint8_t *p = data + 1;
    size_t len = size - 1;
    int rc = data[0] % 3 == 0   ? ps_csv_parse(p, len, check, &n, &st, &d)
             : data[0] % 3 == 1 ? ps_json_parse(p, len, 0, check, &n, &st, &d)
                                : ps_json_parse(p, len, PS_JSON_LINES, check, &n, &st, &d);
    if (rc) {
        REQUIRE(rc > 0 && rc < PS_ERR_COUNT && d.offset <= len);
        REQUIRE(d.line >= 1 && d.msg[0]);
    } else {
        REQUIRE(st.atoms == n);
    }
    return 0;
}
