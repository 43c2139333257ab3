/* pspace.c - a persistent space: the newest valid checkpoint plus a replay
 * of the log, then every change logged before it is applied and
 * acknowledged (docs/store.md). */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "common/opts.h"
#include "pspace.h"
#include "store.h"
#include "wal.h"

struct ps_pspace {
    int dirfd, lockfd, waldir;
    ps_store *st;
    ps_space *sp;
    wal *w;
    ps_pspace_opts o;      /* o.store and o.snap are NULL: copied below */
    ps_store_opts store;
    ps_snap_opts snap;
    uint64_t changes;      /* since the last checkpoint */
    time_t ckpt_time;      /* of the last checkpoint    */
    wal_op *ops;           /* add_many's batch, kept: a warm call allocates nothing */
    size_t ops_cap;
    wal_cursor ship;       /* where the shipper's last read of the log stopped */
};

static int apply(void *ctx, const wal_op *op)
{
    ps_space *sp = ctx;
    switch (op->op) {
    case WAL_ADD: return ps_space_insert(sp, op->path, NULL);
    case WAL_REMOVE: return ps_space_remove(sp, op->path, NULL);
    default: return ps_space_set_value(sp, op->path, op->value);
    }
}

static void release(ps_pspace *p)
{
    free(p->ops);
    ps__wal_close(p->w);
    ps_space_free(p->sp);
    ps_store_close(p->st);
    if (p->waldir >= 0)
        close(p->waldir);
    if (p->lockfd >= 0)
        close(p->lockfd); /* drops the flock */
    if (p->dirfd >= 0)
        close(p->dirfd);
    free(p);
}

/* A server's forked children (checkpoints, exports) share its lock's open
 * file until they close their copy, or die with it (PR_SET_PDEATHSIG): a
 * supervisor restarting a server just killed can find the lock held for
 * the moment that takes. So a held lock is tried again, up to this long,
 * before the space is called open elsewhere. */
#define LOCK_WAIT_MS 1000

static int lock_dir(int fd)
{
    struct timespec nap = { 0, 10 * 1000000L };
    for (int waited = 0;; waited += 10) {
        if (!flock(fd, LOCK_EX | LOCK_NB))
            return 0;
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= LOCK_WAIT_MS)
            return -1;
        nanosleep(&nap, NULL);
    }
}

/* The directory, its lock, its store and its log directory. */
static int open_parts(ps_pspace *p, const char *dir, ps_diag *d)
{
    if (mkdir(dir, 0755) && errno != EEXIST)
        return ps__io_err(d, PS_E_IO, "cannot make the space directory");
    p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->dirfd < 0)
        return ps__io_err(d, PS_E_IO, "cannot open the space directory");
    p->lockfd = openat(p->dirfd, "LOCK", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (p->lockfd < 0)
        return ps__io_err(d, PS_E_IO, "cannot open DIR/LOCK");
    if (lock_dir(p->lockfd))
        return errno == EWOULDBLOCK
                   ? ps__diag_set(d, PS_E_LOCKED, NULL, 0, "%s is open in another process", dir)
                   : ps__io_err(d, PS_E_IO, "cannot lock DIR/LOCK");
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/store", dir) >= sizeof path)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "directory name too long");
    int rc = ps_store_open(path, &p->store, 1, &p->st, d);
    if (rc)
        return rc;
    p->waldir = ps__open_dir(p->dirfd, "wal", 1, !p->store.nosync);
    if (p->waldir < 0)
        return ps__io_err(d, PS_E_IO, "cannot open DIR/wal");
    return ps_space_new(&p->sp) ? ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory") : PS_OK;
}

void ps_pspace_opts_init(ps_pspace_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->fsync = PS_FSYNC_ALWAYS;
    o->keep = 2;
}

/* The caller's options (and the store and snapshot options they point to)
 * over the defaults; nothing is kept pointing at the caller's memory. */
static int load_opts(ps_pspace *p, const ps_pspace_opts *opts)
{
    ps_pspace_opts_init(&p->o);
    ps_store_opts_init(&p->store);
    ps_snap_opts_init(&p->snap);
    int rc = ps__opts_copy(&p->o, sizeof p->o, opts);
    if (!rc)
        rc = ps__opts_copy(&p->store, sizeof p->store, p->o.store);
    if (!rc)
        rc = ps__opts_copy(&p->snap, sizeof p->snap, p->o.snap);
    p->o.store = NULL;
    p->o.snap = NULL;
    return rc;
}

int ps_pspace_open(const char *dir, const ps_pspace_opts *opts, ps_pspace **out,
                   ps_recovery *rec, ps_diag *d)
{
    *out = NULL;
    ps_recovery local;
    rec = rec ? rec : &local;
    memset(rec, 0, sizeof *rec);
    ps_pspace *p = ps_calloc(1, sizeof *p);
    if (!p)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    p->dirfd = p->lockfd = p->waldir = -1;
    int rc = load_opts(p, opts);
    if (rc) {
        free(p);
        return ps__diag_set(d, rc, NULL, 0, "persistent-space options from %s",
                            rc == PS_E_INVAL ? "a struct without its size set"
                                             : "a newer pathspace, with fields this build lacks");
    }
    if (!p->o.keep)
        p->o.keep = 2; /* the newest, and one to fall back to */
    if (p->o.fsync < PS_FSYNC_ALWAYS || p->o.fsync > PS_FSYNC_NEVER) {
        free(p);
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "bad fsync mode");
    }
    rc = open_parts(p, dir, d);
    if (!rc && !(rc = ps__store_hold(p->st, d))) /* no other process's gc beside us */
        rec->temp_removed = ps__temp_sweep(p->st); /* a crash mid-checkpoint leaves these */
    if (!rc) {
        rc = ps_ckpt_restore(p->st, 0, p->o.past_newer ? PS_RESTORE_PAST_NEWER : 0, p->sp,
                             p->o.threads, &rec->ckpt, &rec->skipped, d);
        rec->have_ckpt = rc == PS_OK;
        if (rc == PS_E_NOTFOUND)
            rc = PS_OK; /* a new space, or one that never checkpointed */
    }
    if (!rc)
        rc = ps__wal_recover(p->waldir, rec->have_ckpt ? rec->ckpt.log_pos : 0,
                         p->o.truncate_corrupt, apply, p->sp, rec, d);
    if (!rc)
        rc = ps__wal_open(p->waldir, rec->last_seq + 1, p->o.fsync, &p->w, d);
    if (rc) {
        release(p);
        return rc;
    }
    p->ckpt_time = time(NULL);
    p->changes = rec->replayed; /* not in a checkpoint yet: the next one takes them */
    *out = p;
    return PS_OK;
}

/* The policy: every N changes, or T seconds after the last checkpoint
 * once there is a change. Staged changes count: they are in memory. */
int ps__pspace_due(const ps_pspace *p)
{
    uint64_t ch = p->changes + ps__wal_staged(p->w);
    return ch && ((p->o.ckpt_changes && ch >= p->o.ckpt_changes) ||
                  (p->o.ckpt_seconds && time(NULL) - p->ckpt_time >= (time_t)p->o.ckpt_seconds));
}

/* A failed automatic checkpoint does not fail the change (it is in the
 * log); the next change tries again. */
static void maybe_checkpoint(ps_pspace *p)
{
    if (ps__pspace_due(p))
        ps_pspace_checkpoint(p, NULL, NULL);
}

static int log_then_apply(ps_pspace *p, const wal_op *op)
{
    int rc = ps__wal_append(p->w, op, 1);
    if (!rc)
        rc = apply(p->sp, op);
    if (!rc) {
        p->changes++;
        maybe_checkpoint(p);
    }
    return rc;
}

int ps_pspace_add(ps_pspace *p, ps_bytes path, int *added)
{
    int dummy;
    added = added ? added : &dummy;
    *added = 0;
    if (ps_space_contains(p->sp, path))
        return PS_OK;
    wal_op op = { WAL_ADD, path, 0, 0 };
    int rc = log_then_apply(p, &op);
    *added = rc == PS_OK;
    return rc;
}

int ps_pspace_remove(ps_pspace *p, ps_bytes path, int *removed)
{
    int dummy;
    removed = removed ? removed : &dummy;
    *removed = 0;
    if (!ps_space_contains(p->sp, path))
        return PS_OK;
    wal_op op = { WAL_REMOVE, path, 0, 0 };
    int rc = log_then_apply(p, &op);
    *removed = rc == PS_OK;
    return rc;
}

int ps_pspace_set_value(ps_pspace *p, ps_bytes path, uint64_t value)
{
    uint64_t old;
    if (ps_space_get_value(p->sp, path, &old) == PS_OK && old == value)
        return PS_OK;
    wal_op op = { WAL_SET, path, value, 0 };
    return log_then_apply(p, &op);
}

/* Room for n ops in p->ops, grown (never shrunk) as batches need. */
static int ops_room(ps_pspace *p, size_t n)
{
    if (n <= p->ops_cap)
        return PS_OK;
    size_t bytes;
    if (ps_size_bound(n, sizeof(wal_op), 0, &bytes))
        return PS_E_OVERFLOW;
    wal_op *v = ps_realloc(p->ops, bytes);
    if (!v)
        return PS_E_NOMEM;
    p->ops = v;
    p->ops_cap = n;
    return PS_OK;
}

int ps_pspace_add_many(ps_pspace *p, const ps_bytes *paths, size_t n, uint64_t *added)
{
    int rc = ops_room(p, n);
    if (rc)
        return rc;
    wal_op *ops = p->ops;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!ps_space_contains(p->sp, paths[i]))
            ops[k++] = (wal_op){ WAL_ADD, paths[i], 0, 0 };
    rc = k ? ps__wal_append(p->w, ops, k) : PS_OK; /* one write, one fsync */
    uint64_t got = 0;
    for (size_t i = 0; !rc && i < k; i++) {
        int a = 0;
        rc = ps_space_insert(p->sp, ops[i].path, &a);
        got += (uint64_t)a;
    }
    if (added)
        *added = got;
    if (!rc) {
        p->changes += got;
        maybe_checkpoint(p);
    }
    return rc;
}

int ps_pspace_sync(ps_pspace *p)
{
    return ps__wal_sync(p->w);
}

/* Checkpoints are kept by count; the log is needed from the oldest kept
 * one on (a fallback target), and segments wholly before it go. */
static int prune(ps_pspace *p, uint64_t log_pos, ps_diag *d)
{
    int rc = ps_ckpt_prune(p->st, p->o.keep, NULL, d);
    ps_ckpt_info *v = NULL;
    size_t n = 0;
    if (!rc)
        rc = ps_ckpt_list(p->st, &v, &n, d);
    if (!rc) {
        uint64_t oldest = log_pos;
        for (size_t i = 0; i < n; i++)
            if (v[i].status == PS_OK && v[i].log_pos < oldest)
                oldest = v[i].log_pos;
        if (ps__wal_drop_through(p->w, oldest))
            rc = ps__io_err(d, PS_E_IO, "cannot remove old log segments");
    }
    free(v);
    return rc;
}

int ps__pspace_save(ps_pspace *p, uint64_t log_pos, unsigned threads, ps_ckpt_info *ci,
                    ps_diag *d)
{
    ps_snap_opts so = p->snap;
    if (threads)
        so.threads = threads;
    else if (!so.threads)
        so.threads = p->o.threads;
    return ps_ckpt_save(p->st, p->sp, &so, 0, log_pos, ci, d);
}

int ps_pspace_checkpoint(ps_pspace *p, ps_ckpt_info *out, ps_diag *d)
{
    ps_ckpt_info ci;
    int rc = ps__wal_commit(p->w) ? ps__diag_set(d, PS_E_IO, NULL, 0, "cannot write the log")
                                  : PS_OK;
    uint64_t log_pos = ps__wal_last_seq(p->w);
    if (!rc)
        rc = ps__pspace_save(p, log_pos, 0, &ci, d);
    if (!rc)
        rc = ps__wal_rotate(p->w, d);
    if (!rc)
        rc = prune(p, log_pos, d);
    if (!rc) {
        p->changes = 0;
        p->ckpt_time = time(NULL);
        if (out)
            *out = ci;
    }
    return rc;
}

int ps__pspace_stage(ps_pspace *p, int op, ps_bytes path, int *changed)
{
    return ps__pspace_stage_more(p, op, path, 0, changed);
}

void ps__pspace_stage_end(ps_pspace *p)
{
    ps__wal_stage_end(p->w);
}

int ps_pspace_apply(ps_pspace *p, const ps_pspace_change *c, size_t n, uint64_t *changed)
{
    uint64_t k = 0;
    int rc = PS_OK;
    for (size_t i = 0; i < n; i++)
        if (c[i].op != PS_PSPACE_ADD && c[i].op != PS_PSPACE_REMOVE)
            return PS_E_INVAL;
    for (size_t i = 0; i < n && !rc; i++) {
        int ch = 0;
        rc = ps__pspace_stage_more(p, c[i].op == PS_PSPACE_ADD ? WAL_ADD : WAL_REMOVE, c[i].path,
                                   1, &ch);
        k += (uint64_t)ch;
    }
    if (rc && k) /* memory holds part of a change the log cannot: stop */
        ps__wal_break(p->w, ENOMEM);
    if (!rc && k) {
        ps__wal_stage_end(p->w);
        rc = ps__wal_commit(p->w);
        maybe_checkpoint(p);
    }
    if (changed)
        *changed = k;
    return rc;
}

int ps__pspace_stage_more(ps_pspace *p, int op, ps_bytes path, int more, int *changed)
{
    *changed = 0;
    if (ps_space_contains(p->sp, path) == (op == WAL_ADD))
        return PS_OK; /* a no-op is not logged */
    wal_op w = { op, path, 0, (uint8_t)(more ? WAL_F_MORE : 0) };
    int rc = ps__wal_stage(p->w, &w, 1);
    if (!rc)
        rc = apply(p->sp, &w);
    if (!rc) {
        p->changes++;
        *changed = 1;
    }
    return rc;
}

int ps__pspace_commit(ps_pspace *p)
{
    return ps__wal_commit(p->w);
}

int ps__pspace_broken(const ps_pspace *p)
{
    return ps__wal_broken(p->w);
}

void ps__pspace_break(ps_pspace *p, int err)
{
    ps__wal_break(p->w, err);
}

int ps__pspace_log_errno(const ps_pspace *p)
{
    return ps__wal_errno(p->w);
}

void ps__pspace_forked(ps_pspace *p)
{
    if (p->lockfd >= 0)
        close(p->lockfd); /* the flock is the parent's open file: it keeps it */
    p->lockfd = -1;
}

int ps__pspace_dirfd(const ps_pspace *p)
{
    return p->dirfd;
}

int ps__pspace_fsync_mode(const ps_pspace *p)
{
    return p->o.fsync;
}

uint64_t ps__pspace_staged(const ps_pspace *p)
{
    return ps__wal_staged(p->w);
}

int ps__pspace_bg_begin(ps_pspace *p, uint64_t *log_pos, uint64_t *changes, ps_diag *d)
{
    *log_pos = ps__wal_last_seq(p->w);
    *changes = p->changes;
    return ps__wal_rotate(p->w, d); /* commits what is staged first */
}

int ps__pspace_bg_end(ps_pspace *p, uint64_t log_pos, uint64_t changes, ps_diag *d)
{
    p->changes -= changes < p->changes ? changes : p->changes;
    p->ckpt_time = time(NULL);
    return prune(p, log_pos, d);
}

const ps_space *ps_pspace_space(const ps_pspace *p)
{
    return p->sp;
}

ps_store *ps_pspace_store(ps_pspace *p)
{
    return p->st;
}

uint64_t ps_pspace_seq(const ps_pspace *p)
{
    return ps__wal_last_seq(p->w);
}

int ps_pspace_close(ps_pspace *p, ps_diag *d)
{
    if (!p)
        return PS_OK;
    int rc = PS_OK;
    if (!p->o.no_final_ckpt && p->changes)
        rc = ps_pspace_checkpoint(p, NULL, d);
    if (!rc && ps__wal_sync(p->w))
        rc = ps__io_err(d, PS_E_IO, "cannot sync the log");
    release(p);
    return rc;
}

void ps_pspace_abandon(ps_pspace *p)
{
    if (!p)
        return;
    wal *w = p->w;
    p->w = NULL;
    ps__wal_abandon(w);
    release(p);
}

/* ---- replication (docs/replication.md) */

int ps__pspace_ship_read(ps_pspace *p, uint64_t after, size_t max, ps_buf *out, uint64_t *last,
                         ps_diag *d)
{
    return ps__wal_ship_read(p->waldir, &p->ship, after, max, out, last, d);
}

void ps__pspace_ship_hold(ps_pspace *p, uint64_t seq)
{
    ps__wal_hold(p->w, seq);
}

/* A record of a primary's, logged as it is (a no-op too: the seqs must
 * stay the primary's) and applied. */
static int follow_one(void *ctx, const wal_op *op)
{
    ps_pspace *p = ctx;
    int rc = ps__wal_stage(p->w, op, 1);
    if (!rc && (rc = apply(p->sp, op)))
        ps__wal_break(p->w, ENOMEM); /* logged, not applied */
    p->changes += !rc;
    return rc;
}

int ps__pspace_follow(ps_pspace *p, ps_bytes piece, uint64_t *upto, ps_diag *d)
{
    uint64_t at = ps__wal_last_seq(p->w) + ps__wal_staged(p->w);
    *upto = at;
    if (piece.len < WAL_HDR)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "a log piece without its header");
    uint64_t first = ps_read_le64(piece.ptr + 16);
    if (first > at + 1)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "a log piece starts at seq %" PRIu64
                            ", past this space's %" PRIu64 " + 1", first, at);
    ps_recovery rec;
    memset(&rec, 0, sizeof rec);
    wal_scan s = { at, 0, 0, follow_one, p, &rec };
    uint64_t end;
    int rc = ps__wal_scan_mem(piece.ptr, piece.len, "piece", first, 0, &s, &end, d);
    *upto = ps__wal_last_seq(p->w) + ps__wal_staged(p->w);
    return rc;
}

size_t ps__pspace_piece_cut(ps_bytes piece, uint64_t upto)
{
    return ps__wal_cut(piece, upto);
}

static int count_only(void *ctx, const wal_op *op)
{
    (void)op;
    ++*(uint64_t *)ctx;
    return PS_OK;
}

int ps__pspace_piece_check(ps_bytes piece, uint64_t first, uint64_t last, ps_diag *d)
{
    uint64_t n = 0, end;
    ps_recovery rec;
    memset(&rec, 0, sizeof rec);
    wal_scan s = { 0, first, 0, count_only, &n, &rec };
    int rc = ps__wal_scan_mem(piece.ptr, piece.len, "piece", first, 0, &s, &end, d);
    if (!rc && (rec.last_seq != last || n != last - first + 1))
        rc = ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "a log piece holds seqs %" PRIu64 "..%" PRIu64
                          ", its manifest says %" PRIu64 "..%" PRIu64, first, rec.last_seq, first,
                          last);
    return rc;
}

int ps__pspace_piece_apply(ps_bytes piece, uint64_t first, uint64_t last, uint64_t after,
                    ps_space *sp, ps_diag *d)
{
    int rc = ps__pspace_piece_check(piece, first, last, d);
    if (rc || last <= after)
        return rc;
    uint64_t end;
    ps_recovery rec;
    memset(&rec, 0, sizeof rec);
    wal_scan s = { after, first, 0, apply, sp, &rec };
    return ps__wal_scan_mem(piece.ptr, piece.len, "piece", first, 0, &s, &end, d);
}

int ps__pspace_reset(ps_pspace *p, ps_space *sp, uint64_t log_pos, ps_diag *d)
{
    /* the checkpoint first: once it is there, the log before it may go */
    ps_snap_opts so = p->snap;
    so.threads = so.threads ? so.threads : p->o.threads;
    int rc = ps_ckpt_save(p->st, sp, &so, 0, log_pos, NULL, d);
    if (!rc)
        rc = ps__wal_restart(p->w, log_pos + 1, d);
    if (rc)
        return rc; /* the space and its log are as they were */
    ps_space_free(p->sp);
    p->sp = sp;
    p->changes = 0;
    p->ckpt_time = time(NULL);
    return prune(p, log_pos, d);
}
