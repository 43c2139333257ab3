/* ckpt.c - checkpoints: a 72-byte header in front of a snapshot, kept in
 * the blob store under refs/checkpoints/<seq> (docs/format-checkpoint.md).
 *
 * The snapshot is written into a buffer that keeps 72 bytes of headroom,
 * through a sink that checksums each piece as it passes (still in cache);
 * the header then goes into the headroom, so the payload is never copied. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "snap/snap.h"
#include "store.h"

static const uint8_t MAGIC[8] = { 'P', 'S', 'C', 'H', 'K', 'P', 'T', '\n' };
#define HDR_SUM_AT 68
#define REF_PREFIX "checkpoints/"

void ps_ckpt_header_encode(const ps_ckpt_info *ci, uint8_t *h)
{
    memcpy(h, MAGIC, 8);
    ps_write_le32(h + 8, PS_CKPT_VERSION);
    ps_write_le32(h + 12, PS_CKPT_HEADER);
    ps_write_le64(h + 16, ci->payload_len);
    ps_write_le64(h + 24, ci->payload_sum);
    ps_write_le64(h + 32, ci->seq);
    ps_write_le64(h + 40, ci->atoms);
    ps_write_le64(h + 48, ci->log_pos);
    ps_write_le64(h + 56, ci->created_ns);
    ps_write_le32(h + 64, 0);
    ps_write_le32(h + HDR_SUM_AT, (uint32_t)XXH3_64bits(h, HDR_SUM_AT));
}

int ps_ckpt_header_decode(const void *data, size_t len, ps_ckpt_info *ci, ps_diag *d)
{
    const uint8_t *h = data;
    if (len < 16)
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, len, "checkpoint header needs 16 bytes, have %zu", len);
    if (memcmp(h, MAGIC, 8))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "not a checkpoint (bad magic)");
    uint32_t version = ps_read_le32(h + 8), size = ps_read_le32(h + 12);
    if (version > PS_CKPT_VERSION) {
        memset(ci, 0, sizeof *ci);
        ci->version = version; /* what ls shows */
        return ps__diag_set(d, PS_E_VERSION, NULL, 8,
                           "checkpoint format version %" PRIu32 " is newer than this build's %d",
                           version, PS_CKPT_VERSION);
    }
    if (version == 0 || size != PS_CKPT_HEADER)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 8, "bad checkpoint version %" PRIu32
                           " or header size %" PRIu32, version, size);
    if (len < PS_CKPT_HEADER)
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, len, "checkpoint header needs %d bytes, have %zu",
                           PS_CKPT_HEADER, len);
    if (ps_read_le32(h + HDR_SUM_AT) != (uint32_t)XXH3_64bits(h, HDR_SUM_AT))
        return ps__diag_set(d, PS_E_CHECKSUM, NULL, HDR_SUM_AT, "checkpoint header checksum mismatch");
    if (ps_read_le32(h + 64))
        return ps__diag_set(d, PS_E_VERSION, NULL, 64, "unknown checkpoint flags 0x%08" PRIx32,
                           ps_read_le32(h + 64));
    memset(ci, 0, sizeof *ci);
    ci->version = version;
    ci->payload_len = ps_read_le64(h + 16);
    ci->payload_sum = ps_read_le64(h + 24);
    ci->seq = ps_read_le64(h + 32);
    ci->atoms = ps_read_le64(h + 40);
    ci->log_pos = ps_read_le64(h + 48);
    ci->created_ns = ps_read_le64(h + 56);
    return PS_OK;
}

int ps_ckpt_check(const void *data, size_t len, ps_ckpt_info *ci, ps_bytes *payload, ps_diag *d)
{
    int rc = ps_ckpt_header_decode(data, len, ci, d);
    if (rc)
        return rc;
    uint64_t have = len - PS_CKPT_HEADER;
    if (ci->payload_len != have)
        return ps__diag_set(d, ci->payload_len > have ? PS_E_TRUNCATED : PS_E_CORRUPT, NULL, len,
                           "checkpoint payload is %" PRIu64 " bytes, header says %" PRIu64, have,
                           ci->payload_len);
    const uint8_t *p = (const uint8_t *)data + PS_CKPT_HEADER;
    if (XXH3_64bits(p, (size_t)have) != ci->payload_sum)
        return ps__diag_set(d, PS_E_CHECKSUM, NULL, PS_CKPT_HEADER, "checkpoint payload checksum mismatch");
    if (payload)
        *payload = ps_bytes_of(p, (size_t)have);
    return PS_OK;
}

/* ------------------------------------------------------------------ save */

typedef struct sum_sink {
    ps_buf *buf;
    XXH3_state_t *xx;
} sum_sink;

static int sum_write(void *ctx, const void *data, size_t len)
{
    sum_sink *s = ctx;
    XXH3_64bits_update(s->xx, data, len);
    return ps_buf_append(s->buf, data, len);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ref_name(uint64_t seq, char *out)
{
    snprintf(out, 64, REF_PREFIX "%016" PRIx64, seq);
}

/* The sequence a ref name under checkpoints/ holds, or 0. */
static uint64_t ref_seq(const char *name)
{
    const char *s = name + strlen(REF_PREFIX);
    if (strncmp(name, REF_PREFIX, strlen(REF_PREFIX)) || strlen(s) != 16)
        return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        int c = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
        if (c < 0)
            return 0;
        v = v << 4 | (uint64_t)c;
    }
    return v;
}

static int max_seq(void *ctx, const char *name, const ps_oid *oid)
{
    (void)oid;
    uint64_t s = ref_seq(name), *m = ctx;
    if (s > *m)
        *m = s;
    return 0;
}

int ps_ckpt_save(ps_store *st, const ps_space *s, const ps_snap_opts *so, uint64_t seq,
                 uint64_t log_pos, ps_ckpt_info *out, ps_diag *d)
{
    ps_ckpt_info ci = { 0 };
    if (!seq) {
        int rc = ps_ref_each(st, REF_PREFIX, max_seq, &seq);
        if (rc)
            return ps__diag_set(d, rc, NULL, 0, "cannot list checkpoints");
        seq++;
    }
    ps_buf b = { 0 };
    sum_sink ss = { &b, XXH3_createState() };
    int rc = ss.xx ? ps_buf_init_exact(&b, PS_CKPT_HEADER, 1u << 16) : PS_E_NOMEM;
    if (!rc) {
        XXH3_64bits_reset(ss.xx);
        ps_snap_info info;
        rc = ps_space_write_snap(s, (ps_sink){ sum_write, NULL, &ss }, so, &info);
        ci.atoms = info.paths;
    }
    if (rc) {
        XXH3_freeState(ss.xx);
        ps_buf_free(&b);
        return ps__diag_set(d, rc, NULL, 0, "cannot write the snapshot");
    }
    ci.seq = seq;
    ci.log_pos = log_pos;
    ci.created_ns = now_ns();
    ci.payload_len = b.len;
    ci.payload_sum = XXH3_64bits_digest(ss.xx);
    ci.version = PS_CKPT_VERSION;
    XXH3_freeState(ss.xx);
    uint8_t hdr[PS_CKPT_HEADER];
    ps_ckpt_header_encode(&ci, hdr);
    ps_buf_prepend(&b, hdr, sizeof hdr); /* into the headroom: no copy */
    rc = ps_store_put(st, ps_buf_data(&b), b.len, &ci.oid, NULL, d);
    ps_buf_free(&b);
    char name[64];
    ref_name(seq, name);
    if (!rc)
        rc = ps_ref_set(st, name, &ci.oid, d);
    if (!rc && out)
        *out = ci;
    return rc;
}

/* ------------------------------------------------------------------ list */

PS_VEC_DEFINE(ckpt_vec, ps_ckpt_info)

typedef struct list_ctx {
    ps_store *st;
    ckpt_vec v;
} list_ctx;

/* The header of one checkpoint, read without the rest of the object. */
static int read_header(ps_store *st, const ps_oid *oid, uint64_t seq, ps_ckpt_info *ci, ps_diag *d)
{
    ps_store_reader *r;
    uint8_t h[PS_CKPT_HEADER];
    size_t have = 0, n = 1;
    int rc = ps_store_reader_new(st, oid, &r, d);
    while (!rc && have < sizeof h && n)
        rc = ps_store_reader_read(r, h + have, sizeof h - have, &n, d), have += n;
    if (!rc)
        rc = ps_ckpt_header_decode(h, have, ci, d);
    if (!rc && ci->seq != seq)
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 32, "checkpoint header says seq %" PRIu64, ci->seq);
    if (!rc && ps_store_reader_size(r) != PS_CKPT_HEADER + ci->payload_len)
        rc = ps__diag_set(d, PS_E_TRUNCATED, NULL, 16, "checkpoint object is %" PRIu64
                         " bytes, header says %" PRIu64, ps_store_reader_size(r),
                         PS_CKPT_HEADER + ci->payload_len);
    ps_store_reader_free(r);
    return rc;
}

static int list_one(void *ctx, const char *name, const ps_oid *oid)
{
    list_ctx *l = ctx;
    uint64_t seq = ref_seq(name);
    if (!seq)
        return 0; /* not ours */
    if (ckpt_vec_push(&l->v, (ps_ckpt_info){ 0 }))
        return PS_E_NOMEM;
    ps_ckpt_info *ci = &l->v.data[l->v.len - 1];
    memset(ci, 0, sizeof *ci);
    if (!oid) {
        ci->status = PS_E_CORRUPT;
    } else {
        ci->status = read_header(l->st, oid, seq, ci, NULL);
        ci->oid = *oid;
    }
    ci->seq = seq;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    uint64_t x = ((const ps_ckpt_info *)a)->seq, y = ((const ps_ckpt_info *)b)->seq;
    return x < y ? 1 : x > y ? -1 : 0;
}

int ps_ckpt_list(ps_store *st, ps_ckpt_info **out, size_t *n, ps_diag *d)
{
    list_ctx l = { st, { 0 } };
    int rc = ps_ref_each(st, REF_PREFIX, list_one, &l);
    if (rc) {
        ckpt_vec_free(&l.v);
        return ps__diag_set(d, rc, NULL, 0, "cannot list checkpoints");
    }
    if (l.v.len)
        qsort(l.v.data, l.v.len, sizeof *l.v.data, newest_first);
    *out = l.v.data; /* a plain malloc'd block: the caller free()s it */
    *n = l.v.len;
    return PS_OK;
}

/* --------------------------------------------------------------- restore */

/* Loads one checkpoint into the empty space s; everything is checked
 * (header, length, payload checksum, then the snapshot's own checks as it
 * loads) and s is left empty on failure. */
static int load_one(ps_store *st, const ps_ckpt_info *want, ps_space *s, unsigned threads,
                    ps_ckpt_info *ci, ps_diag *d)
{
    if (want->status) { /* listed as bad: read it again for the reason */
        ps_ckpt_info tmp;
        int rc = want->oid.len ? read_header(st, &want->oid, want->seq, &tmp, d) : PS_E_CORRUPT;
        if (!want->oid.len)
            ps__diag_set(d, rc, NULL, 0, "ref checkpoints/%016" PRIx64 " does not hold an object id",
                         want->seq);
        return rc ? rc : want->status;
    }
    ps_blob *b;
    /* the header and payload checksums cover every byte: no need to pay
     * for SHA-256 as well (`store verify` does that) */
    int rc = ps_store_map(st, &want->oid, PS_READ_NOVERIFY, &b, d);
    if (rc)
        return rc;
    ps_bytes all = ps_blob_bytes(b), payload;
    ps_snap *sn = NULL;
    rc = ps_ckpt_check(all.ptr, all.len, ci, &payload, d);
    if (!rc && ci->seq != want->seq)
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 32, "checkpoint header says seq %" PRIu64, ci->seq);
    if (!rc)
        rc = ps__snap_open_own(payload.ptr, payload.len, 1, &sn, d);
    if (!rc)
        rc = ps_space_read_snap(s, sn, threads, d);
    if (!rc) {
        ps_space_stats ss;
        ps_space_stats_get(s, &ss);
        if (ss.paths != ci->atoms)
            rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 40, "checkpoint holds %" PRIu64
                             " atoms, header says %" PRIu64, (uint64_t)ss.paths, ci->atoms);
    }
    ps_snap_close(sn);
    ps_blob_free(b);
    if (rc)
        ps_space_clear(s);
    else
        ci->oid = want->oid;
    return rc;
}

static void note_skip(ps_ckpt_report *rep, uint64_t seq, int code, const ps_diag *d)
{
    if (!rep)
        return;
    if (rep->skipped < PS_CKPT_MAX_SKIPS) {
        ps_ckpt_skip *k = &rep->skip[rep->skipped];
        k->seq = seq;
        k->code = code;
        snprintf(k->msg, sizeof k->msg, "%s", d->msg[0] ? d->msg : ps_strerror(code));
    }
    rep->skipped++;
}

int ps_ckpt_restore(ps_store *st, uint64_t seq, int flags, ps_space *s, unsigned threads,
                    ps_ckpt_info *used, ps_ckpt_report *rep, ps_diag *d)
{
    if (rep)
        memset(rep, 0, sizeof *rep);
    ps_ckpt_info *v, ci;
    size_t n;
    int rc = ps_ckpt_list(st, &v, &n, d);
    if (rc)
        return rc;
    rc = ps__diag_set(d, PS_E_NOTFOUND, NULL, 0, seq ? "no checkpoint %" PRIu64 : "no checkpoint",
                     seq);
    int first_rc = PS_OK;
    for (size_t i = 0; i < n; i++) {
        if (seq && v[i].seq != seq)
            continue;
        ps_diag one = { 0 };
        rc = load_one(st, &v[i], s, threads, &ci, &one);
        first_rc = first_rc ? first_rc : rc;
        if (!rc) {
            if (used)
                *used = ci;
            break;
        }
        if (d)
            *d = one;
        if (seq)
            break; /* asked for that one: no fallback */
        if (rc == PS_E_VERSION && !(flags & PS_RESTORE_PAST_NEWER)) {
            /* a newer build wrote it: the state it holds may be newer than
             * any older checkpoint, so loading one of those instead would
             * quietly go back in time (SQLite refuses a newer file too) */
            ps__diag_set(d, rc, NULL, 0, "checkpoint %" PRIu64 " was written by a newer "
                         "pathspace (%s); refusing to load an older one in its place (ask "
                         "to fall back past it to do so)", v[i].seq, one.msg);
            free(v);
            return rc;
        }
        note_skip(rep, v[i].seq, rc, &one);
    }
    if (rc && !seq && n) /* there were some, but none loads: the newest's reason */
        rc = first_rc == PS_E_NOTFOUND ? PS_E_CORRUPT : first_rc;
    if (rc && !seq && n && d) /* every one failed: say so, with the newest's reason */
        ps__diag_set(d, rc, NULL, 0, "no valid checkpoint (%zu tried; newest: %s)", n,
                    rep ? rep->skip[0].msg : "corrupt");
    free(v);
    return rc;
}

/* ------------------------------------------------------------------ prune */

/* Header, length and payload checksum of one checkpoint. */
static int check_full(ps_store *st, const ps_ckpt_info *want)
{
    ps_blob *b;
    ps_ckpt_info ci;
    int rc = ps_store_map(st, &want->oid, PS_READ_NOVERIFY, &b, NULL);
    if (rc)
        return rc;
    ps_bytes all = ps_blob_bytes(b);
    rc = ps_ckpt_check(all.ptr, all.len, &ci, NULL, NULL);
    if (!rc && ci.seq != want->seq)
        rc = PS_E_CORRUPT;
    ps_blob_free(b);
    return rc;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

PS_VEC_DEFINE(oid_vec, ps_oid)

/* Under the store's exclusive lock: drops the refs of the checkpoints not
 * kept, then their objects, unless another ref names them or someone put
 * the same bytes again since (touched them) while we worked. */
static int prune_locked(ps_store *st, size_t keep, uint64_t *removed, ps_diag *d)
{
    ps_ckpt_info *v;
    size_t n, kept = 0;
    uint64_t gone = 0;
    int64_t t0 = wall_ns();
    int rc = ps_ckpt_list(st, &v, &n, d);
    if (rc)
        return rc;
    oid_vec dead = { 0 };
    for (size_t i = 0; i < n && !rc; i++) {
        if (v[i].status == PS_E_VERSION)
            continue; /* a newer build's: never ours to judge, never removed */
        /* keep only what would restore: a header that reads well is not
         * enough (a damaged payload would be kept, a good older one lost) */
        if (v[i].status == PS_OK && kept < keep && check_full(st, &v[i]) == PS_OK) {
            kept++;
            continue;
        }
        char name[64];
        ref_name(v[i].seq, name);
        int r = ps_ref_delete(st, name);
        if (r && r != PS_E_NOTFOUND)
            rc = ps__diag_set(d, r, NULL, 0, "cannot delete ref %s", name);
        if (r == PS_OK) {
            gone++;
            if (v[i].oid.len && oid_vec_push(&dead, v[i].oid))
                rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
        }
    }
    free(v);
    if (!rc && dead.len)
        rc = ps__store_drop(st, dead.data, dead.len, t0, NULL, d);
    oid_vec_free(&dead);
    if (removed)
        *removed = gone;
    return rc;
}

int ps_ckpt_prune(ps_store *st, size_t keep, uint64_t *removed, ps_diag *d)
{
    int lk, rc = ps__store_exclusive(st, &lk, d);
    if (rc)
        return rc;
    rc = prune_locked(st, keep ? keep : 1, removed, d);
    ps__store_exclusive_end(st, lk);
    return rc;
}
