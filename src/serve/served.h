/*
 * served.h - the served space: what both front ends (the binary protocol,
 * src/net, and MORK's HTTP API, src/http) stand on, and what neither owns
 * (docs/architecture.md).
 *
 * One object owns the persistent space and everything about serving it:
 *
 *   - the lock: readers share it; a writer (the binary loop through each
 *     turn, an HTTP command for a batch) has it alone. Writers are
 *     preferred, so readers cannot starve the loop;
 *   - stage and commit: a change is staged (logged in memory and applied)
 *     under the write lock and committed (written, synced per the fsync
 *     mode) before anything acknowledges it;
 *   - the one "the log failed" state: it lives in the log (store/wal.c);
 *     a change that cannot be both logged and applied breaks it, and the
 *     served space then stops, acknowledging nothing more;
 *   - background checkpoints (bgsave.c): a keeper thread forks, as Redis's
 *     BGSAVE, when the space's policy says one is due or a client asks;
 *   - forked work (forks.c): exports, long searches and counts run in
 *     children that see the space as it was at fork() and hold nothing of
 *     the parent's (no socket, not the directory's lock).
 *
 * Each group below says what its caller must hold: stage and commit need
 * the write lock, a fork the lock either way; ps__served_apply takes the
 * lock itself; stopping, the checkpoint results and the files need none.
 */
#ifndef PS_SERVE_SERVED_H
#define PS_SERVE_SERVED_H

#include <sys/types.h>

#include "pathspace.h"

/* A change's op: the log's own values (served.c checks they agree). */
enum { SERVED_ADD = 1, SERVED_REMOVE = 2 };
/* The longest atom one change may carry: one log record's payload. */
#define SERVED_ATOM_MAX (256u << 20)

/* Changes staged in one hold of the write lock by ps__served_apply: the
 * binary loop waits at most this long for a batch. */
#define SERVED_BATCH 65536

/* ---- the lock */
void ps__served_lock(ps_served *sv, int write);
void ps__served_unlock(ps_served *sv);

/* ---- changes (the write lock held) */
/* Stages one change (op WAL_ADD or WAL_REMOVE; *changed 0 for a no-op).
 * A failure breaks the log and stops the served space. */
int ps__served_stage(ps_served *sv, int op, ps_bytes path, int *changed);
/* One record of a change of several (more: not its last); stage_end
 * closes the change, so that recovery applies it whole or not at all. */
int ps__served_stage_more(ps_served *sv, int op, ps_bytes path, int more, int *changed);
void ps__served_stage_end(ps_served *sv);
/* Records staged, not yet committed. */
uint64_t ps__served_staged(const ps_served *sv);
/* Writes what is staged (one write, one fsync per the mode). PS_E_IO,
 * with d saying why, once the log has failed: the served space stops. */
int ps__served_commit(ps_served *sv, ps_diag *d);

/* The next atom for ps__served_apply: 1 with *a set, 0 at the end. */
typedef int (*served_next)(void *ctx, ps_bytes *a);
/* Stages (op) every atom next gives and commits, SERVED_BATCH at a time,
 * each batch under one hold of the write lock (taken here); *changed gets
 * how many changed. */
int ps__served_apply(ps_served *sv, int op, served_next next, void *ctx, uint64_t *changed,
                     ps_diag *d);

/* ---- stopping (any thread, no lock) */
int ps__served_stopping(const ps_served *sv);
/* 1 once the log failed (the served space stopped for it). */
int ps__served_failed(const ps_served *sv);
/* Readable once the served space stops, and from then on (an event loop
 * watches it). */
int ps__served_stop_fd(const ps_served *sv);
/* Why the log failed, into d (PS_E_IO). */
int ps__served_why(const ps_served *sv, ps_diag *d);

/* ---- checkpoints (bgsave.c) */
typedef struct served_ckpt {
    int rc;           /* PS_OK, or why it failed (msg says more)       */
    uint64_t nth;     /* checkpoints started before it, plus one       */
    ps_ckpt_info ci;
    char msg[200];
} served_ckpt;
/* Asks for a checkpoint that holds every change committed so far (the
 * write lock held). The number to wait past: a result whose nth is
 * greater answers the request. */
uint64_t ps__served_ckpt_ask(ps_served *sv);
/* The last checkpoint's result (no lock). */
void ps__served_ckpt_last(ps_served *sv, served_ckpt *out);
/* An eventfd that counts the checkpoints that ended (read it to reset). */
int ps__served_ckpt_fd(const ps_served *sv);
/* What the served space counts, for a front end's STATS. */
typedef struct served_counts {
    uint64_t commits, checkpoints, ckpt_failed, fork_us_last, fork_us_max, ckpt_ms_last;
} served_counts;
void ps__served_counts(ps_served *sv, served_counts *c);

/* ---- forked work (forks.c) */
/* fork() with the lock held (read or write): in the child, which has the
 * space as it was, it dies with this thread, holds no socket and not the
 * directory's lock, and returns 0 (or _exits, its parent gone). The
 * child's pid in the parent, -1 if fork failed. */
pid_t ps__served_fork(ps_served *sv);
/* An unlinked file in $TMPDIR (else /tmp) for a child's output, or -1. */
int ps__served_tmp_file(void);
int64_t ps__served_now_ms(void);

/* The space's directory (for where-is-it checks; stays the space's). */
int ps__served_dirfd(const ps_served *sv);

/* ---- exec rules (served_exec.c; takes the write lock itself, a step at
 * a time, so other clients go on between steps) */
/* Runs the exec atoms that start with prefix (empty: every exec atom), as
 * ps_pspace_exec does, each step committed before the next. Ends when none
 * is left, the budget is spent, or the served space stops. */
int ps__served_exec(ps_served *sv, ps_bytes prefix, const ps_exec_opts *o, ps_exec_stats *st,
                    ps_diag *d);
/* Whether the log syncs before every acknowledgement. */
int ps__served_fsync_always(const ps_served *sv);

/* ---- replication (served_repl.c; src/replica drives it) */
/* What the replication thread reports, for STATS (a role of 0: none). */
enum { SERVED_PRIMARY = 1, SERVED_REPLICA = 2 };
typedef struct served_repl {
    int role;
    int fenced;            /* a primary that another took the bucket from  */
    uint64_t lag_seq;      /* changes not yet shipped / not yet applied    */
    uint64_t lag_ms;       /* how old the oldest of them is (0: none)      */
    uint64_t shipped;      /* the bucket holds the log through this seq    */
    uint64_t since_ms;     /* a primary: when it last had nothing to ship  */
    uint64_t failures;     /* bucket requests that failed, retried         */
    uint64_t bytes;        /* shipped or fetched                           */
    char why[200];         /* the last failure ("": none since)            */
} served_repl;
void ps__served_repl_set(ps_served *sv, const served_repl *r);
/* A primary's lag is taken now, against the space's last seq (a shipping
 * round that waits on a failing bucket does not hold it back). */
void ps__served_repl_get(ps_served *sv, served_repl *r);
/* A replica refuses writes: why (naming the primary), before any front
 * end starts. ps__served_readonly: the reason, or NULL for a primary. */
void ps__served_set_readonly(ps_served *sv, const char *why);
const char *ps__served_readonly(const ps_served *sv);
/* The log's whole changes after `after` as one segment (the shipper's next
 * piece; no lock needed: it reads the files). */
int ps__served_ship_read(ps_served *sv, uint64_t after, size_t max, ps_buf *out,
                         uint64_t *last, ps_diag *d);
/* Keeps the log past seq through checkpoints (UINT64_MAX: no hold). */
void ps__served_ship_hold(ps_served *sv, uint64_t seq);
/* A replica's step: applies and commits a primary's log piece under the
 * write lock (ps__pspace_follow); *upto: the space's last seq after. */
int ps__served_follow(ps_served *sv, ps_bytes piece, uint64_t *upto, ps_diag *d);
/* Synchronous shipping: once set, every commit waits, before it returns
 * (and so before anything acknowledges it), until wait(ctx, seq) returns:
 * 0 when the bucket holds seq, or an errno when it never will (the
 * shipper was fenced): the log is then broken, and the served space stops
 * rather than acknowledge what no bucket holds. Set before any front end
 * starts. */
typedef int (*served_sync_fn)(void *ctx, uint64_t seq);
void ps__served_set_sync(ps_served *sv, served_sync_fn wait, void *ctx);
/* A shard's range (ps_served_set_shard): PS_OK when the served space
 * holds key, else PS_E_MOVED naming the map's version and the shard that
 * does. */
int ps__served_owns(const ps_served *sv, ps_bytes key, ps_diag *d);
/* The JSON of the map in force, appended to out: PS_E_NOTFOUND when sv
 * is no shard (takes the read lock). */
int ps__served_shard_json(ps_served *sv, ps_buf *out);
/* The map's version, for STATS: the caller holds the lock either way. */
uint64_t ps__served_shard_version_locked(const ps_served *sv);
/* ps__pspace_reset under the write lock: a replica starts again from a
 * primary's checkpoint (sp, at log_pos). */
int ps__served_reset(ps_served *sv, ps_space *sp, uint64_t log_pos, ps_diag *d);
/* The space's last committed seq (any thread, any lock or none). */
uint64_t ps__served_seq(ps_served *sv);

#endif
