/*
 * bucket_view.c - a space in a bucket, queried where it lies
 * (docs/replication.md, "Reading a bucket in place").
 *
 * The newest checkpoint object is a 72-byte header and a snapshot. The
 * snapshot is opened by byte range (ps_snap_open_reader): its frame in
 * three GETs, then a chunk whenever a query reaches one. That is the
 * whole space when the bucket holds no log after the checkpoint. When it
 * does, the changes must count too, and a snapshot cannot take them: the
 * snapshot is read whole into memory and the pieces are applied to it,
 * each checked as a replica checks it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "replica.h"
#include "store/pspace.h"

struct ps_bucket {
    s3 *b;
    char key[128];      /* the checkpoint object          */
    ps_snap *snap;      /* in place (no tail), else NULL  */
    ps_space *sp;       /* the space with its tail        */
    ps_bucket_info info;
};

/* The snapshot's bytes are the object's from byte 72. */
static int range_read(void *arg, uint64_t off, void *buf, size_t len, ps_diag *d)
{
    ps_bucket *v = arg;
    ps_buf got = { 0 };
    int rc = ps__s3_get_range(v->b, v->key, PS_CKPT_HEADER + off, len, &got, d);
    if (!rc)
        memcpy(buf, ps_buf_data(&got), len);
    ps_buf_free(&got);
    return rc;
}

/* The checkpoint c names: its header read and held to the manifest's
 * entry, then its snapshot opened in place. */
static int open_ckpt(ps_bucket *v, const man_ckpt *c, ps_diag *d)
{
    ps__ckpt_key(&c->oid, v->key);
    ps_buf h = { 0 };
    ps_ckpt_info ci;
    int rc = c->size < PS_CKPT_HEADER
                 ? ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "a checkpoint of %" PRIu64 " bytes",
                                c->size)
                 : ps__s3_get_range(v->b, v->key, 0, PS_CKPT_HEADER, &h, d);
    if (!rc)
        rc = ps_ckpt_header_decode(ps_buf_data(&h), ps_buf_len(&h), &ci, d);
    ps_buf_free(&h);
    if (!rc && (ci.log_pos != c->log_pos || ci.payload_len != c->size - PS_CKPT_HEADER))
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "%s/%s is not the checkpoint its manifest "
                          "names (log position or size differ)", ps__s3_url(v->b), v->key);
    if (rc)
        return rc;
    ps_snap_reader r = { ci.payload_len, range_read, NULL, v };
    if ((rc = ps_snap_open_reader(&r, &v->snap, d)))
        return rc;
    ps_snap_info si;
    ps_snap_info_get(v->snap, &si);
    if (si.paths != ci.atoms)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "%s/%s holds %" PRIu64 " atoms, its header "
                            "says %" PRIu64, ps__s3_url(v->b), v->key, si.paths, ci.atoms);
    v->info.atoms = ci.atoms;
    v->info.snap_bytes = ci.payload_len;
    return PS_OK;
}

/* The tail: the snapshot read whole (in 64 MiB reads), then every piece
 * past the checkpoint applied. */
static int with_tail(ps_bucket *v, const manifest *m, uint64_t from, ps_diag *d)
{
    int rc = ps_space_new(&v->sp);
    if (!rc && v->snap && !(rc = ps_snap_fetch(v->snap, ps_bytes_of(NULL, 0), d)))
        rc = ps_space_read_snap(v->sp, v->snap, 1, d);
    ps_buf buf = { 0 };
    char key[64];
    for (uint32_t i = 0; !rc && i < m->npiece; i++) {
        const man_piece *p = &m->piece[i];
        if (p->last <= from)
            continue;
        ps__piece_key(p->epoch, p->first, key);
        ps_buf_clear(&buf, 0);
        if (!(rc = ps__s3_get(v->b, key, p->size, &buf, d)))
            rc = ps__pspace_piece_apply(ps_buf_bytes(&buf), p->first, p->last, from, v->sp, d);
    }
    ps_buf_free(&buf);
    return rc;
}

static int view_open(ps_bucket *v, int stat_only, ps_diag *d)
{
    manifest m = { 0 };
    const man_ckpt *c = NULL;
    int rc = ps__bucket_latest(v->b, 0, &m, d);
    if (rc == PS_E_NOTFOUND)
        ps__diag_set(d, rc, NULL, 0, "%s holds no space (no manifest)", ps__s3_url(v->b));
    if (!rc)
        rc = ps__bucket_base(&m, m.shipped, &c, d);
    if (!rc) {
        v->info.seq = m.shipped;
        v->info.ckpt_pos = c ? c->log_pos : 0;
        v->info.tail = m.shipped - v->info.ckpt_pos;
        v->info.atoms = c ? c->atoms : 0;
        v->info.snap_bytes = c ? c->size - PS_CKPT_HEADER : 0;
        v->info.in_place = c && !v->info.tail;
    }
    if (!rc && !stat_only && c)
        rc = open_ckpt(v, c, d);
    if (!rc && !stat_only && !v->info.in_place) {
        rc = with_tail(v, &m, v->info.ckpt_pos, d);
        if (!rc && v->snap) {
            ps_snap_fetched(v->snap, &v->info.reads, &v->info.bytes);
            ps_snap_close(v->snap);
            v->snap = NULL;
        }
    }
    ps__man_free(&m);
    return rc;
}

static int bucket_new(const char *url, ps_bucket **out, ps_diag *d)
{
    ps_bucket *v = ps_calloc(1, sizeof *v);
    if (!v)
        return PS_E_NOMEM;
    int rc = ps__s3_open(url, &v->b, d);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    return PS_OK;
}

int ps_bucket_stat(const char *url, ps_bucket_info *info, ps_diag *d)
{
    ps_bucket *v;
    int rc = bucket_new(url, &v, d);
    if (rc)
        return rc;
    rc = view_open(v, 1, d);
    *info = v->info;
    ps_bucket_close(v);
    return rc;
}

int ps_bucket_open(const char *url, ps_bucket **out, ps_diag *d)
{
    ps_bucket *v;
    int rc = bucket_new(url, &v, d);
    if (rc)
        return rc;
    if ((rc = view_open(v, 0, d))) {
        ps_bucket_close(v);
        return rc;
    }
    *out = v;
    return PS_OK;
}

ps_source ps_bucket_source(const ps_bucket *v)
{
    if (v->snap)
        return ps_source_snap(v->snap);
    return ps_source_space(v->sp);
}

int ps_bucket_fetch(ps_bucket *v, ps_bytes prefix, ps_diag *d)
{
    return v->snap ? ps_snap_fetch(v->snap, prefix, d) : PS_OK;
}

void ps_bucket_info_get(const ps_bucket *v, ps_bucket_info *info)
{
    *info = v->info;
    if (v->snap)
        ps_snap_fetched(v->snap, &info->reads, &info->bytes);
}

void ps_bucket_close(ps_bucket *v)
{
    if (!v)
        return;
    ps_snap_close(v->snap);
    ps_space_free(v->sp);
    ps__s3_close(v->b);
    free(v);
}
