/*
 * fuzz_shardmap.c - a shard map (src/shard/shardmap.c) from arbitrary
 * bytes. A map that parses must cover every key once: routing any key
 * (taken from the input) gives a shard that holds it, and no other does;
 * every shard a pattern reaches is listed once, ascending. One that does
 * not parse says why with a code.
 */
#include <string.h>

#include "fuzz.h"
#include "pathspace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_shardmap *m;
    ps_diag d = { 0 };
    int rc = ps_shardmap_parse(data, size, &m, &d);
    if (rc) {
        REQUIRE(d.code == rc && d.msg[0]);
        return 0;
    }
    uint32_t n = ps_shardmap_count(m);
    REQUIRE(n >= 1);
    for (size_t cut = 0; cut <= size && cut < 64; cut += 7) {
        ps_bytes key = ps_bytes_of(data, cut);
        uint32_t s = ps_shardmap_route(m, key), holders = 0;
        REQUIRE(s < n && ps_shardmap_holds(m, s, key));
        for (uint32_t i = 0; i < n; i++)
            holders += (uint32_t)ps_shardmap_holds(m, i, key);
        REQUIRE(holders == 1);
    }
    ps_buf atom = { 0 };
    if (!ps_atom_parse("(parent $x $y)", 14, &atom, &d)) {
        uint32_t ids[64], k = ps_shardmap_reach(m, ps_buf_bytes(&atom), ids, 64);
        for (uint32_t i = 1; i < k && i < 64; i++)
            REQUIRE(ids[i] > ids[i - 1]);
    }
    ps_buf_free(&atom);
    ps_shard_info si;
    for (uint32_t i = 0; i < n; i++)
        REQUIRE(!ps_shardmap_shard(m, i, &si) && si.id == i);
    ps_shardmap_free(m);
    return 0;
}
