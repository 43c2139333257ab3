/* bucket_map.c - the shard map kept in a bucket: versions created once, a
 * hint to the newest, readers probing forward (docs/format-bucket.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "replica.h"

#define MAP_LATEST "shardmap/latest"
#define MAP_MAX_BYTES (64u << 20)

static void map_key(uint64_t v, char out[64])
{
    snprintf(out, 64, "shardmap/%016" PRIx64, v);
}

int ps_shardmap_publish(const char *url, const ps_shardmap *m, ps_diag *d)
{
    s3 *b;
    int rc = ps__s3_open(url, &b, d);
    if (rc)
        return rc;
    char key[64], hex[17];
    uint64_t v = ps_shardmap_version(m);
    map_key(v, key);
    ps_bytes json = ps_shardmap_json(m);
    ps_buf got = { 0 };
    /* asked first: a store that ignores If-None-Match still keeps one
     * version's text, unless two writers race within a request */
    rc = ps__s3_get(b, key, MAP_MAX_BYTES, &got, d);
    if (!rc)
        rc = ps_buf_len(&got) == json.len && !memcmp(ps_buf_data(&got), json.ptr, json.len)
                 ? PS_OK
                 : ps__diag_set(d, PS_E_EXISTS, NULL, 0, "%s/%s holds another map of version %"
                                PRIu64, url, key, v);
    else if (rc == PS_E_NOTFOUND)
        rc = ps__s3_put(b, key, json, 1, d);
    ps_buf_free(&got);
    if (!rc) {
        ps_diag ignored = { 0 };
        snprintf(hex, sizeof hex, "%016" PRIx64, v);
        ps__s3_put(b, MAP_LATEST, ps_bytes_of((const uint8_t *)hex, 16), 0, &ignored);
    }
    ps__s3_close(b);
    return rc;
}

/* Version v's map (PS_E_NOTFOUND: none). */
static int get_version(s3 *b, uint64_t v, ps_shardmap **out, ps_diag *d)
{
    char key[64];
    map_key(v, key);
    ps_buf got = { 0 };
    int rc = ps__s3_get(b, key, MAP_MAX_BYTES, &got, d);
    if (!rc)
        rc = ps_shardmap_parse(ps_buf_data(&got), ps_buf_len(&got), out, d);
    if (!rc && ps_shardmap_version(*out) != v) {
        ps_shardmap_free(*out);
        *out = NULL;
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "%s says it is another version", key);
    }
    ps_buf_free(&got);
    return rc;
}

int ps_shardmap_fetch(const char *url, ps_shardmap **out, ps_diag *d)
{
    *out = NULL;
    if (strncmp(url, "s3://", 5))
        return ps_shardmap_load(url, out, d);
    s3 *b;
    int rc = ps__s3_open(url, &b, d);
    if (rc)
        return rc;
    int absent;
    uint64_t v = ps__bucket_hint(b, MAP_LATEST, &absent);
    v = v ? v : 1;
    rc = get_version(b, v, out, d);
    while (!rc) { /* newer than the hint knew of */
        ps_shardmap *next;
        ps_diag nd = { 0 };
        if (get_version(b, v + 1, &next, &nd))
            break;
        ps_shardmap_free(*out);
        *out = next;
        v++;
    }
    if (rc == PS_E_NOTFOUND)
        ps__diag_set(d, rc, NULL, 0, "%s holds no shard map", url);
    ps__s3_close(b);
    return rc;
}
