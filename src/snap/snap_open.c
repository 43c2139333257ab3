/*
 * snap_open.c - opening a snapshot: the frame (header, trailer, index)
 * checked against the file checksum before anything in it is believed.
 *
 * Order matters for the messages: the magic and version come first (a
 * newer file may lay out everything else differently), then the trailer
 * that locates the index, then the file checksum, and only then the
 * fields it vouches for. So a damaged byte anywhere in the frame reads as
 * a checksum error, and a file from a newer writer as a version error.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/limits.h"
#include "common/mapfile.h"
#include "snap.h"

static int bad(ps_diag *d, int code, uint64_t off, const char *why)
{
    return ps__diag_set(d, code, NULL, off, "%s", why);
}

static int nonzero(const uint8_t *p, size_t n)
{
    while (n--)
        if (*p++)
            return 1;
    return 0;
}

/* Magic, version, trailer position and the file checksum. */
static int check_frame(ps_snap *s, ps_diag *d)
{
    const uint8_t *h = s->data, *t = s->data + s->len - SNAP_TRAILER;
    if (s->len >= 4 && memcmp(h, SNAP_MAGIC, 4))
        return bad(d, PS_E_CORRUPT, 0, "bad magic: not an MTTS snapshot");
    if (s->len < SNAP_HDR + SNAP_TRAILER)
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, s->len,
                           "file too short for a snapshot (%zu bytes)", s->len);
    s->version = ps_read_le16(h + 4);
    if (s->version > PS_SNAP_VERSION)
        return ps__diag_set(d, PS_E_VERSION, NULL, 4,
                           "snapshot format version %u is newer than this reader's (%u)",
                           s->version, PS_SNAP_VERSION);
    if (s->version == 0)
        return bad(d, PS_E_CORRUPT, 4, "snapshot format version 0");
    if (memcmp(t + 92, SNAP_END_MAGIC, 4))
        return bad(d, PS_E_TRUNCATED, s->len,
                   "no trailer at the end: the file is cut short or was never finished");
    s->hflags = ps_read_le16(h + 6);
    s->ck = (s->hflags & HF_CSUM_MASK) >> HF_CSUM_SHIFT;
    if (s->ck > 1)
        return ps__diag_set(d, PS_E_VERSION, NULL, 6, "unknown checksum kind %d", s->ck);
    s->index_off = ps_read_le64(t);
    s->index_len = ps_read_le64(t + 8);
    uint64_t frame_end = s->len - SNAP_TRAILER;
    if (s->index_off < SNAP_HDR || s->index_off > frame_end ||
        s->index_len != frame_end - s->index_off)
        return bad(d, PS_E_CORRUPT, s->len - SNAP_TRAILER,
                   "trailer: the index does not end where the trailer starts");
    uint8_t sum[SNAP_CSUM];
    snap_hash hs;
    ps__snap_hash_init(&hs, s->ck);
    ps__snap_hash_update(&hs, h, SNAP_HDR);
    ps__snap_hash_update(&hs, s->data + s->index_off, s->index_len);
    ps__snap_hash_update(&hs, t, 60);
    ps__snap_hash_final(&hs, sum);
    if (!SNAP_CSUM_EQ(sum, t + 60))
        return bad(d, PS_E_CHECKSUM, s->len - 36,
                   "header/index checksum mismatch (the file checksum in the trailer)");
    return PS_OK;
}

/* The fields the checksum vouches for: known flags, zero reserved bits. */
static int check_fields(ps_snap *s, ps_diag *d)
{
    const uint8_t *h = s->data, *t = s->data + s->len - SNAP_TRAILER;
    if (s->hflags & ~HF_KNOWN)
        return ps__diag_set(d, PS_E_VERSION, NULL, 6,
                           "unknown header flags 0x%04x (a newer writer?)", s->hflags & ~HF_KNOWN);
    s->fc = s->hflags & HF_CODEC_MASK;
    if (s->fc >= FC_COUNT)
        return ps__diag_set(d, PS_E_VERSION, NULL, 6, "unknown codec id %d", s->fc);
    if (ps_read_le32(h + 8) != SNAP_HDR)
        return ps__diag_set(d, PS_E_VERSION, NULL, 8, "header size %u (this reader knows %u)",
                           ps_read_le32(h + 8), SNAP_HDR);
    if (nonzero(h + 34, SNAP_HDR - 34))
        return bad(d, PS_E_VERSION, 34, "reserved header bytes are not zero (a newer writer?)");
    if (!(s->restart = h[33]))
        return bad(d, PS_E_CORRUPT, 33, "restart interval 0");
    s->tflags = ps_read_le32(t + 40);
    if ((s->tflags & ~TF_KNOWN) || nonzero(t + 44, 16))
        return bad(d, PS_E_VERSION, s->len - SNAP_TRAILER + 40,
                   "unknown trailer flags or reserved bytes set (a newer writer?)");
    s->chunk_size = ps_read_le32(h + 12);
    s->level = (int8_t)h[32];
    if (s->chunk_size < PS_SNAP_CHUNK_MIN || s->chunk_size > PS_SNAP_CHUNK_MAX)
        return bad(d, PS_E_CORRUPT, 12, "chunk size out of range");
    s->nchunks = ps_read_le64(t + 16);
    s->paths = ps_read_le64(t + 24);
    s->path_bytes = ps_read_le64(t + 32);
    uint64_t hp = ps_read_le64(h + 16), hb = ps_read_le64(h + 24);
    if ((hp != SNAP_UNKNOWN && hp != s->paths) || (hb != SNAP_UNKNOWN && hb != s->path_bytes))
        return bad(d, PS_E_CORRUPT, 16, "header counts differ from the trailer's");
    if ((s->tflags & TF_VALUES) && !(s->hflags & HF_VALUES))
        return bad(d, PS_E_CORRUPT, 6, "values in the trailer but not in the header flags");
    /* front coding lets a small file stand for paths that share megabyte
     * prefixes: what the trailer says the paths add up to must fit the
     * decoding budget before anything is decoded (the readers hold the
     * trailer to it as they go) */
    uint64_t cost, budget = s->own ? UINT64_MAX : ps__budget(s->len);
    if (__builtin_mul_overflow(s->paths, (uint64_t)PS_PATH_COST, &cost) ||
        __builtin_add_overflow(cost, s->path_bytes, &cost) || cost > budget)
        return ps__diag_set(d, PS_E_LIMIT, NULL, s->len - SNAP_TRAILER + 24,
                            "%llu paths of %llu bytes in all, over the decoding budget of %llu "
                            "bytes for a %zu-byte file; raise it with --max-expansion",
                            (unsigned long long)s->paths, (unsigned long long)s->path_bytes,
                            (unsigned long long)budget, s->len);
    return PS_OK;
}

/* One index entry: sizes that a chunk of this codec can have. */
static int check_entry(ps_snap *s, uint64_t i, const uint8_t *e, snap_chunk *k, ps_diag *d)
{
    uint64_t at = s->index_off + i * SNAP_ENTRY;
    k->off = ps_read_le64(e);
    k->stored = ps_read_le32(e + 8);
    k->raw = ps_read_le32(e + 12);
    k->count = ps_read_le32(e + 16);
    k->first_len = ps_read_le32(e + 20);
    k->flags = e[24];
    memcpy(k->csum, e + 32, SNAP_CSUM);
    int plain = s->fc == FC_NONE || (k->flags & CF_STORED);
    const char *why = NULL;
    if ((k->flags & ~CF_KNOWN) || nonzero(e + 25, 7) || (s->ck == 0 && nonzero(e + 40, 24)))
        return ps__diag_set(d, PS_E_VERSION, NULL, at + 24,
                           "chunk %llu: unknown flags or reserved bytes set",
                           (unsigned long long)i);
    if (!k->count || k->raw / 2 < k->count)
        why = "path count impossible for its size";
    else if (k->raw > PS_SNAP_CHUNK_MAX)
        why = "raw size over the format's chunk limit";
    else if (plain ? k->stored != k->raw
                   : k->stored > ps__snap_codec_bound(s->fc, k->raw) ||
                         k->raw > ps__snap_codec_max_raw(s->fc, k->stored))
        why = "stored size impossible for its raw size";
    else if (s->fc == FC_NONE && (k->flags & CF_STORED))
        why = "stored flag in an uncompressed file";
    else if ((k->flags & CF_VALUES) && !(s->tflags & TF_VALUES))
        why = "values in a file whose trailer says none";
    else if (k->first_len > k->raw)
        why = "first path longer than the chunk";
    else if (k->first_len > s->max_atom)
        return ps__diag_set(d, PS_E_LIMIT, NULL, at, "chunk %llu: a path longer than the atom "
                            "limit (raise it with --max-atom)", (unsigned long long)i);
    if (why)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, at, "chunk %llu: %s", (unsigned long long)i,
                           why);
    return PS_OK;
}

/* Walks the index: chunks back to back from the header to the index,
 * first paths strictly increasing, counts adding up. */
static int check_index(ps_snap *s, ps_diag *d)
{
    if (s->nchunks > s->index_len / SNAP_ENTRY)
        return bad(d, PS_E_CORRUPT, s->len - SNAP_TRAILER + 16, "chunk count larger than the index");
    if (s->nchunks && !(s->chunks = ps_calloc(s->nchunks, sizeof *s->chunks)))
        return PS_E_NOMEM;
    if (!(s->cum = ps_calloc((size_t)s->nchunks + 1, sizeof *s->cum)))
        return PS_E_NOMEM;
    uint64_t pos = SNAP_HDR, key = s->index_off + s->nchunks * SNAP_ENTRY, paths = 0;
    uint64_t end = s->index_off + s->index_len;
    int any_values = 0, rc;
    for (uint64_t i = 0; i < s->nchunks; i++) {
        snap_chunk *k = &s->chunks[i];
        if ((rc = check_entry(s, i, s->data + s->index_off + i * SNAP_ENTRY, k, d)))
            return rc;
        if (k->off != pos || k->stored > s->index_off - pos)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, s->index_off + i * SNAP_ENTRY,
                               "chunk %llu: not where the previous chunk ends",
                               (unsigned long long)i);
        if (k->first_len > end - key)
            return bad(d, PS_E_CORRUPT, key, "first paths run past the index");
        k->first_at = key;
        key += k->first_len;
        if (i && ps_bytes_cmp(snap_first(s, i - 1), snap_first(s, i)) >= 0)
            return ps__diag_set(d, PS_E_CORRUPT, NULL, k->first_at,
                               "chunk %llu: first path not after the previous chunk's",
                               (unsigned long long)i);
        pos += k->stored;
        paths += k->count;
        s->cum[i + 1] = paths;
        any_values |= k->flags & CF_VALUES;
        if (k->raw > s->max_raw)
            s->max_raw = k->raw;
    }
    if (pos != s->index_off || key != end)
        return bad(d, PS_E_CORRUPT, s->index_off, "index does not account for every byte");
    if (paths != s->paths || !any_values != !(s->tflags & TF_VALUES))
        return bad(d, PS_E_CORRUPT, s->len - SNAP_TRAILER + 24,
                   "trailer counts differ from the index");
    return PS_OK;
}

int ps_snap_open_mem(const void *data, size_t len, ps_snap **out, ps_diag *d)
{
    return ps__snap_open_own(data, len, 0, out, d);
}

int ps__snap_open_own(const void *data, size_t len, int own, ps_snap **out, ps_diag *d)
{
    ps_snap *s = ps_calloc(1, sizeof *s);
    if (!s)
        return PS_E_NOMEM;
    s->own = own;
    s->data = data;
    s->len = len;
    s->cache_chunk = UINT64_MAX;
    s->max_atom = ps__max_atom();
    s->dec_budget = PS_SNAP_CACHE_DEFAULT;
    pthread_mutex_init(&s->cache_mu, NULL);
    int rc = check_frame(s, d);
    if (!rc)
        rc = check_fields(s, d);
    if (!rc)
        rc = check_index(s, d);
    if (rc) {
        ps_snap_close(s);
        return rc;
    }
    *out = s;
    return PS_OK;
}

int ps_snap_open(const char *file, ps_snap **out, ps_diag *d)
{
    const void *m;
    size_t len;
    int rc = ps__map_file(file, &m, &len, d);
    if (rc)
        return rc;
    if ((rc = ps_snap_open_mem(m, len, out, d)))
        ps__unmap_file(m, len);
    else
        (*out)->mapped = 1;
    return rc;
}

void ps_snap_close(ps_snap *s)
{
    if (!s)
        return;
    ps__snap_cache_free(s);
    pthread_mutex_destroy(&s->cache_mu);
    if (s->mapped)
        ps__unmap_file(s->data, s->len);
    if (s->remote)
        ps__snap_remote_free(s);
    free(s->cum);
    free(s->chunks);
    free(s->cache);
    ps__snap_dctx_free(s->dctx);
    if (s->get)
        ps_buf_free(&s->get->path);
    free(s->get);
    free(s);
}

void ps_snap_info_get(const ps_snap *s, ps_snap_info *in)
{
    memset(in, 0, sizeof *in);
    in->version = s->version;
    in->codec = s->fc + 1;
    in->level = s->level;
    in->checksum = s->ck;
    in->values = (s->tflags & TF_VALUES) != 0;
    in->chunk_size = s->chunk_size;
    in->paths = s->paths;
    in->path_bytes = s->path_bytes;
    in->chunks = s->nchunks;
    for (uint64_t i = 0; i < s->nchunks; i++)
        in->raw_bytes += s->chunks[i].raw;
    in->file_bytes = s->len;
}
