/* hash.c - the content hashes that name objects, and their ids as text.
 *
 * SHA-256 comes from OpenSSL's libcrypto (EVP), BLAKE2bp from libb2 (its
 * four lanes run on OpenMP threads), XXH3-128 from libxxhash. Ids print as
 * "<name>:<lower-case hex>", the hex in the hash's canonical byte order. */
#include <string.h>

#include "common/alloc.h"
#include "store.h"

static const char *const NAMES[PS_HASH_COUNT] = { "sha256", "blake2bp", "xxh128" };
static const uint8_t LENS[PS_HASH_COUNT] = { 32, 32, 16 };

const char *ps_hash_name(int hash)
{
    return hash >= 0 && hash < PS_HASH_COUNT ? NAMES[hash] : "?";
}

uint8_t ps__hash_len(int hash)
{
    return hash >= 0 && hash < PS_HASH_COUNT ? LENS[hash] : 0;
}

int ps__hasher_init(ps_hasher *h, int hash)
{
    memset(h, 0, sizeof *h);
    h->hash = hash;
    switch (hash) {
    case PS_HASH_SHA256:
        h->u.sha = EVP_MD_CTX_new();
        if (h->u.sha && EVP_DigestInit_ex(h->u.sha, EVP_sha256(), NULL) == 1)
            return PS_OK;
        break;
    case PS_HASH_BLAKE2BP:
        h->u.b2 = ps_malloc(sizeof *h->u.b2);
        if (h->u.b2 && blake2bp_init(h->u.b2, 32) == 0)
            return PS_OK;
        break;
    case PS_HASH_XXH128:
        h->u.xx = XXH3_createState();
        if (h->u.xx && XXH3_128bits_reset(h->u.xx) == XXH_OK)
            return PS_OK;
        break;
    default:
        return PS_E_INVAL;
    }
    ps__hasher_free(h);
    return PS_E_NOMEM;
}

void ps__hasher_update(ps_hasher *h, const void *p, size_t n)
{
    if (!n)
        return;
    switch (h->hash) {
    case PS_HASH_SHA256: EVP_DigestUpdate(h->u.sha, p, n); break;
    case PS_HASH_BLAKE2BP: blake2bp_update(h->u.b2, p, n); break;
    default: XXH3_128bits_update(h->u.xx, p, n); break;
    }
}

void ps__hasher_final(ps_hasher *h, ps_oid *oid)
{
    memset(oid, 0, sizeof *oid);
    oid->hash = (uint8_t)h->hash;
    oid->len = LENS[h->hash];
    switch (h->hash) {
    case PS_HASH_SHA256: EVP_DigestFinal_ex(h->u.sha, oid->id, NULL); break;
    case PS_HASH_BLAKE2BP: blake2bp_final(h->u.b2, oid->id, 32); break;
    default: {
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->u.xx));
        memcpy(oid->id, c.digest, 16);
    }
    }
    ps__hasher_free(h);
}

void ps__hasher_free(ps_hasher *h)
{
    switch (h->hash) {
    case PS_HASH_SHA256: EVP_MD_CTX_free(h->u.sha); break;
    case PS_HASH_BLAKE2BP: free(h->u.b2); break;
    case PS_HASH_XXH128: XXH3_freeState(h->u.xx); break;
    }
    memset(&h->u, 0, sizeof h->u);
}

int ps_oid_of(int hash, const void *data, size_t len, ps_oid *oid)
{
    ps_hasher h;
    int rc = ps__hasher_init(&h, hash);
    if (rc)
        return rc;
    ps__hasher_update(&h, data, len);
    ps__hasher_final(&h, oid);
    return PS_OK;
}

int ps_oid_equal(const ps_oid *a, const ps_oid *b)
{
    return a->hash == b->hash && a->len == b->len && !memcmp(a->id, b->id, a->len);
}

static const char HEX[] = "0123456789abcdef";

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[p[i] >> 4];
        out[2 * i + 1] = HEX[p[i] & 15];
    }
    out[2 * n] = 0;
}

size_t ps_oid_format(const ps_oid *oid, char out[PS_OID_STR_MAX])
{
    size_t k = strlen(ps_hash_name(oid->hash));
    memcpy(out, ps_hash_name(oid->hash), k);
    out[k] = ':';
    hex(oid->id, oid->len, out + k + 1);
    return k + 1 + 2u * oid->len;
}

void ps__oid_dir(const ps_oid *oid, char *out)
{
    size_t k = strlen(NAMES[oid->hash]);
    memcpy(out, NAMES[oid->hash], k);
    out[k] = '/';
    hex(oid->id, 1, out + k + 1);
}

void ps__oid_path(const ps_oid *oid, char *out)
{
    ps__oid_dir(oid, out);
    size_t k = strlen(out);
    out[k] = '/';
    hex(oid->id, oid->len, out + k + 1);
}

static int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int ps_oid_parse(const char *s, ps_oid *oid)
{
    if (!s)
        return PS_E_INVAL;
    int hash = PS_HASH_SHA256;
    const char *colon = strchr(s, ':');
    if (colon) {
        for (hash = 0; hash < PS_HASH_COUNT; hash++)
            if (strlen(NAMES[hash]) == (size_t)(colon - s) && !memcmp(s, NAMES[hash], (size_t)(colon - s)))
                break;
        if (hash == PS_HASH_COUNT)
            return PS_E_INVAL;
        s = colon + 1;
    }
    size_t n = LENS[hash];
    if (strlen(s) != 2 * n)
        return PS_E_INVAL;
    memset(oid, 0, sizeof *oid);
    for (size_t i = 0; i < n; i++) {
        int hi = unhex(s[2 * i]), lo = unhex(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return PS_E_INVAL;
        oid->id[i] = (uint8_t)(hi << 4 | lo);
    }
    oid->hash = (uint8_t)hash;
    oid->len = (uint8_t)n;
    return PS_OK;
}
