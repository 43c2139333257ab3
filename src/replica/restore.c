/* restore.c - a space out of a bucket: a kept checkpoint and the log
 * pieces after it, as a new directory that opens as any other
 * (docs/replication.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "replica.h"
#include "store/pspace.h"

/* dir made, or found empty. */
static int fresh_dir(const char *dir, ps_diag *d)
{
    if (!mkdir(dir, 0755))
        return PS_OK;
    if (errno != EEXIST)
        return ps__io_err(d, PS_E_IO, "cannot make the directory");
    DIR *dp = opendir(dir);
    if (!dp)
        return ps__io_err(d, PS_E_IO, "cannot read the directory");
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dp)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(dp);
    return n ? ps__diag_set(d, PS_E_EXISTS, NULL, 0, "%s is not empty: restore makes a new space",
                            dir)
             : PS_OK;
}

/* The last seq to restore, from the options and what m keeps. */
static int target(const manifest *m, uint64_t at_seq, uint64_t at_ms, uint64_t *t, ps_diag *d)
{
    *t = m->shipped;
    if (at_ms) {
        *t = m->nckpt ? m->ckpt[0].log_pos : 0;
        for (uint32_t i = 0; i < m->npiece && m->piece[i].time_ms <= at_ms; i++)
            *t = m->piece[i].last;
    } else if (at_seq) {
        if (at_seq > m->shipped)
            return ps__diag_set(d, PS_E_NOTFOUND, NULL, 0, "the bucket holds the log up to seq %"
                                PRIu64 ", not %" PRIu64, m->shipped, at_seq);
        *t = at_seq;
    }
    return PS_OK;
}

int ps__bucket_base(const manifest *m, uint64_t t, const man_ckpt **c, ps_diag *d)
{
    *c = NULL;
    for (uint32_t i = 0; i < m->nckpt; i++)
        if (m->ckpt[i].log_pos <= t)
            *c = &m->ckpt[i];
    uint64_t from = *c ? (*c)->log_pos : 0;
    if (from < t && (!m->npiece || m->piece[0].first > from + 1))
        return ps__diag_set(d, PS_E_NOTFOUND, NULL, 0, "seq %" PRIu64 " is no longer kept: the "
                            "oldest point the bucket can restore is seq %" PRIu64, t,
                            m->nckpt ? m->ckpt[0].log_pos : m->npiece ? m->piece[0].first - 1 : 0);
    return PS_OK;
}

static int put_ckpt(s3 *b, ps_store *st, const man_ckpt *c, ps_diag *d)
{
    char key[128], ref[64];
    ps__ckpt_key(&c->oid, key);
    ps_buf buf = { 0 };
    ps_oid got;
    ps_ckpt_info ci;
    int rc = ps__s3_get(b, key, c->size, &buf, d);
    if (!rc)
        rc = ps_ckpt_check(ps_buf_data(&buf), ps_buf_len(&buf), &ci, NULL, d);
    if (!rc)
        rc = ps_store_put(st, ps_buf_data(&buf), ps_buf_len(&buf), &got, NULL, d);
    if (!rc && (got.hash != c->oid.hash || memcmp(got.id, c->oid.id, c->oid.len)))
        rc = ps__diag_set(d, PS_E_HASH, NULL, 0, "%s/%s holds bytes of another hash",
                          ps__s3_url(b), key);
    snprintf(ref, sizeof ref, "checkpoints/%016" PRIx64, ci.seq);
    if (!rc)
        rc = ps_ref_set(st, ref, &got, d);
    ps_buf_free(&buf);
    return rc;
}

/* Each piece after from, cut at t, as a log segment DIR/wal/<first>.log. */
static int put_pieces(s3 *b, const char *dir, const manifest *m, uint64_t from, uint64_t t,
                      ps_diag *d)
{
    char path[4200], key[64];
    ps_buf buf = { 0 };
    int rc = PS_OK;
    snprintf(path, sizeof path, "%s/wal", dir);
    if (mkdir(path, 0755) && errno != EEXIST)
        return ps__io_err(d, PS_E_IO, "cannot make DIR/wal");
    for (uint32_t i = 0; !rc && i < m->npiece && m->piece[i].first <= t; i++) {
        const man_piece *p = &m->piece[i];
        if (p->last <= from)
            continue;
        ps__piece_key(p->epoch, p->first, key);
        ps_buf_clear(&buf, 0);
        if ((rc = ps__s3_get(b, key, p->size, &buf, d)) ||
            (rc = ps__pspace_piece_check(ps_buf_bytes(&buf), p->first, p->last, d)))
            break;
        size_t n = ps__pspace_piece_cut(ps_buf_bytes(&buf), t);
        snprintf(path, sizeof path, "%s/wal/%016" PRIx64 ".log", dir, p->first);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, ps_buf_data(&buf), n) != (ssize_t)n || fdatasync(fd))
            rc = ps__io_err(d, PS_E_IO, "cannot write a log segment");
        if (fd >= 0)
            close(fd);
    }
    ps_buf_free(&buf);
    return rc;
}

static int restore_into(s3 *b, const char *dir, const manifest *m, uint64_t t, ps_diag *d)
{
    const man_ckpt *c;
    int rc = ps__bucket_base(m, t, &c, d);
    if (rc)
        return rc;
    char path[4200];
    snprintf(path, sizeof path, "%s/store", dir);
    ps_store *st;
    if ((rc = ps_store_open(path, NULL, 1, &st, d)))
        return rc;
    if (c)
        rc = put_ckpt(b, st, c, d);
    ps_store_close(st);
    return rc ? rc : put_pieces(b, dir, m, c ? c->log_pos : 0, t, d);
}

static int unlink_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag;
    return f->level ? remove(path) : 0; /* the directory itself stays */
}

/* dir as fresh_dir found it, so a restore can start over. */
static int empty_dir(const char *dir, ps_diag *d)
{
    if (nftw(dir, unlink_one, 16, FTW_DEPTH | FTW_PHYS))
        return ps__io_err(d, PS_E_IO, "cannot empty the directory to restore again");
    return PS_OK;
}

/* A primary deletes an object once no kept manifest names it (8
 * publications after one dropped it), so a restore slower than that can
 * find a piece or checkpoint of its manifest gone. It starts over from the
 * newest manifest; this many tries bound it against a primary that keeps
 * publishing faster than it reads. */
enum { RESTORE_TRIES = 8 };

/* The bucket's newest manifest into m, its target seq into t, restored. */
static int restore_once(s3 *b, const char *url, const char *dir, uint64_t at_seq, uint64_t at_ms,
                        manifest *m, ps_diag *d)
{
    uint64_t t = 0;
    int rc = ps__bucket_latest(b, 0, m, d);
    if (rc == PS_E_NOTFOUND)
        ps__diag_set(d, rc, NULL, 0, "%s holds no space (no manifest)", url);
    if (!rc)
        rc = target(m, at_seq, at_ms, &t, d);
    return rc ? rc : restore_into(b, dir, m, t, d);
}

/* A newer manifest than number was published. */
static int moved_on(s3 *b, uint64_t number)
{
    manifest n = { 0 };
    ps_diag ignored = { 0 };
    int newer = !ps__bucket_latest(b, 0, &n, &ignored) && n.number > number;
    ps__man_free(&n);
    return newer;
}

int ps_restore(const char *url, const char *dir, uint64_t at_seq, uint64_t at_ms,
               ps_recovery *rec, ps_diag *d)
{
    s3 *b;
    int rc = fresh_dir(dir, d);
    if (rc || (rc = ps__s3_open(url, &b, d)))
        return rc;
    for (int tries = 1;; tries++) {
        manifest m = { 0 };
        rc = restore_once(b, url, dir, at_seq, at_ms, &m, d);
        uint64_t number = m.number;
        ps__man_free(&m);
        if (rc != PS_E_NOTFOUND || !number || tries == RESTORE_TRIES || !moved_on(b, number))
            break;
        if ((rc = empty_dir(dir, d)))
            break;
        if (d)
            *d = (ps_diag){ 0 };
    }
    ps__s3_close(b);
    if (rc)
        return rc;
    ps_pspace *p; /* opened once: everything restored is checked as any open checks it */
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    po.no_final_ckpt = 1;
    if ((rc = ps_pspace_open(dir, &po, &p, rec, d)))
        return rc;
    return ps_pspace_close(p, d);
}
