/* manifest.c - the bucket's manifest: encode, check, decode (manifest.h). */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "manifest.h"

static const uint8_t magic[8] = { 'P', 'S', 'M', 'A', 'N', 'I', 'F', '\n' };

void ps__man_free(manifest *m)
{
    free(m->ckpt);
    free(m->piece);
    memset(m, 0, sizeof *m);
}

/* Room for one more of n items of size sz in *v (cap doubling). */
static int grow(void **v, uint32_t n, uint32_t *cap, size_t sz, uint32_t max)
{
    if (n < *cap)
        return PS_OK;
    if (n >= max)
        return PS_E_LIMIT;
    uint32_t c = *cap ? *cap * 2 : 16;
    c = c > max ? max : c;
    void *p = realloc(*v, (size_t)c * sz);
    if (!p)
        return PS_E_NOMEM;
    *v = p;
    *cap = c;
    return PS_OK;
}

int ps__man_add_ckpt(manifest *m, const man_ckpt *c)
{
    int rc = grow((void **)&m->ckpt, m->nckpt, &m->ckpt_cap, sizeof *c, MANIFEST_MAX_CKPT);
    if (!rc)
        m->ckpt[m->nckpt++] = *c;
    return rc;
}

int ps__man_add_piece(manifest *m, const man_piece *p)
{
    assert(!m->npiece || p->first == m->piece[m->npiece - 1].last + 1);
    int rc = grow((void **)&m->piece, m->npiece, &m->piece_cap, sizeof *p, MANIFEST_MAX_PIECE);
    if (!rc)
        m->piece[m->npiece++] = *p;
    return rc;
}

void ps__man_trim(manifest *m, uint32_t keep)
{
    keep = keep ? keep : 1;
    if (m->nckpt > keep) {
        uint32_t drop = m->nckpt - keep;
        memmove(m->ckpt, m->ckpt + drop, (size_t)keep * sizeof *m->ckpt);
        m->nckpt = keep;
    }
    if (!m->nckpt)
        return; /* without a checkpoint, the log from its start is the space */
    uint64_t from = m->ckpt[0].log_pos;
    uint32_t i = 0;
    while (i < m->npiece && m->piece[i].last <= from)
        i++;
    memmove(m->piece, m->piece + i, (size_t)(m->npiece - i) * sizeof *m->piece);
    m->npiece -= i;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
    ps_write_le64(p, v);
    return p + 8;
}

int ps__man_encode(const manifest *m, ps_buf *out)
{
    size_t plen = strlen(m->primary);
    assert(plen <= 255);
    size_t n = MANIFEST_HEAD + plen + (size_t)m->nckpt * MANIFEST_CKPT +
               (size_t)m->npiece * MANIFEST_PIECE + 8;
    int rc;
    uint8_t *start = ps_buf_append_uninit(out, n, &rc), *p = start;
    if (!p)
        return rc;
    memset(p, 0, n);
    memcpy(p, magic, 8);
    ps_write_le32(p + 8, MANIFEST_VERSION);
    put64(p + 16, m->number);
    put64(p + 24, m->epoch);
    put64(p + 32, m->shipped);
    put64(p + 40, m->time_ms);
    ps_write_le32(p + 48, m->nckpt);
    ps_write_le32(p + 52, m->npiece);
    p[56] = (uint8_t)plen;
    memcpy(p + MANIFEST_HEAD, m->primary, plen);
    p += MANIFEST_HEAD + plen;
    for (uint32_t i = 0; i < m->nckpt; i++, p += MANIFEST_CKPT) {
        const man_ckpt *c = &m->ckpt[i];
        put64(put64(put64(put64(p, c->seq), c->log_pos), c->atoms), c->size);
        p[32] = c->oid.hash;
        p[33] = c->oid.len;
        memcpy(p + 48, c->oid.id, c->oid.len);
    }
    for (uint32_t i = 0; i < m->npiece; i++, p += MANIFEST_PIECE) {
        const man_piece *q = &m->piece[i];
        put64(put64(put64(put64(put64(p, q->epoch), q->first), q->last), q->size), q->time_ms);
    }
    put64(p, XXH3_64bits(start, (size_t)(p - start)));
    return PS_OK;
}

static int zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int bad(ps_diag *d, const char *why)
{
    return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "manifest: %s", why);
}

static int hash_len_ok(uint8_t hash, uint8_t len)
{
    return (hash == PS_HASH_SHA256 || hash == PS_HASH_BLAKE2BP) ? len == 32
           : hash == PS_HASH_XXH128                             ? len == 16
                                                                : 0;
}

static int read_ckpts(const uint8_t *p, manifest *m, uint32_t n, ps_diag *d)
{
    for (uint32_t i = 0; i < n; i++, p += MANIFEST_CKPT) {
        man_ckpt c = { ps_read_le64(p), ps_read_le64(p + 8), ps_read_le64(p + 16),
                       ps_read_le64(p + 24), { p[32], p[33], { 0 } } };
        if (!hash_len_ok(c.oid.hash, c.oid.len) || !zero(p + 34, 14) ||
            !zero(p + 48 + c.oid.len, 32 - c.oid.len))
            return bad(d, "a checkpoint's object id is not one");
        memcpy(c.oid.id, p + 48, c.oid.len);
        if (i && c.seq <= m->ckpt[i - 1].seq)
            return bad(d, "checkpoints out of order");
        if (c.log_pos > m->shipped)
            return bad(d, "a checkpoint past what was shipped");
        int rc = ps__man_add_ckpt(m, &c);
        if (rc)
            return ps__diag_set(d, rc, NULL, 0, "manifest: out of memory");
    }
    return PS_OK;
}

static int read_pieces(const uint8_t *p, manifest *m, uint32_t n, ps_diag *d)
{
    for (uint32_t i = 0; i < n; i++, p += MANIFEST_PIECE) {
        man_piece q = { ps_read_le64(p), ps_read_le64(p + 8), ps_read_le64(p + 16),
                        ps_read_le64(p + 24), ps_read_le64(p + 32) };
        if (!q.first || q.first > q.last || q.last > m->shipped)
            return bad(d, "a log piece's range is not one");
        if (i && q.first != m->piece[i - 1].last + 1)
            return bad(d, "the log pieces leave a gap or overlap");
        int rc = ps__man_add_piece(m, &q);
        if (rc)
            return ps__diag_set(d, rc, NULL, 0, "manifest: out of memory");
    }
    return PS_OK;
}

int ps__man_decode(ps_bytes in, manifest *m, ps_diag *d)
{
    ps__man_free(m);
    const uint8_t *p = in.ptr;
    if (in.len < MANIFEST_HEAD + 8 || memcmp(p, magic, 8))
        return bad(d, "not a manifest (magic)");
    if (ps_read_le32(p + 8) != MANIFEST_VERSION)
        return ps_read_le32(p + 8) > MANIFEST_VERSION
                   ? ps__diag_set(d, PS_E_VERSION, NULL, 0,
                                  "manifest: version %u is newer than this pathspace's (%d)",
                                  ps_read_le32(p + 8), MANIFEST_VERSION)
                   : bad(d, "version 0");
    if (ps_read_le32(p + 12) || !zero(p + 58, 6))
        return bad(d, "reserved bits set");
    uint32_t nc = ps_read_le32(p + 48), np = ps_read_le32(p + 52), plen = p[56];
    if (nc > MANIFEST_MAX_CKPT || np > MANIFEST_MAX_PIECE)
        return bad(d, "more entries than a manifest may hold");
    uint64_t want = MANIFEST_HEAD + (uint64_t)plen + (uint64_t)nc * MANIFEST_CKPT +
                    (uint64_t)np * MANIFEST_PIECE + 8;
    if (in.len != want)
        return bad(d, "its size is not what its counts say");
    if (ps_read_le64(p + want - 8) != XXH3_64bits(p, want - 8))
        return ps__diag_set(d, PS_E_CHECKSUM, NULL, 0, "manifest: checksum mismatch");
    m->number = ps_read_le64(p + 16);
    m->epoch = ps_read_le64(p + 24);
    m->shipped = ps_read_le64(p + 32);
    m->time_ms = ps_read_le64(p + 40);
    for (uint32_t i = 0; i < plen; i++)
        if (p[MANIFEST_HEAD + i] < 0x21 || p[MANIFEST_HEAD + i] > 0x7e)
            return bad(d, "the primary's address is not printable");
    memcpy(m->primary, p + MANIFEST_HEAD, plen);
    m->primary[plen] = 0;
    if (!m->number || !m->epoch)
        return bad(d, "number or epoch 0");
    const uint8_t *e = p + MANIFEST_HEAD + plen;
    int rc = read_ckpts(e, m, nc, d);
    if (!rc)
        rc = read_pieces(e + (size_t)nc * MANIFEST_CKPT, m, np, d);
    if (rc)
        ps__man_free(m);
    return rc;
}

void ps__man_key(uint64_t number, char out[64])
{
    snprintf(out, 64, "manifest/%016" PRIx64, number);
}

void ps__piece_key(uint64_t epoch, uint64_t first, char out[64])
{
    snprintf(out, 64, "log/%08" PRIx64 "/%016" PRIx64 ".log", epoch, first);
}

void ps__ckpt_key(const ps_oid *oid, char out[128])
{
    char s[PS_OID_STR_MAX];
    ps_oid_format(oid, s);
    char *colon = strchr(s, ':');
    assert(colon);
    *colon = '/';
    snprintf(out, 128, "objects/%s", s);
}
