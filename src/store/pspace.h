/*
 * pspace.h - the persistent space's parts the served space drives itself
 * (src/serve).
 *
 * Group commit: ps__pspace_stage logs (staged, not yet written) and applies
 * one change; ps__pspace_commit writes every staged record with one write()
 * and one fsync per the mode. The server commits once per turn of its
 * event loop, before it sends any reply that acknowledges a change.
 *
 * Background checkpoints (the server forks, as Redis does): bg_begin
 * commits and starts a new log segment at the checkpoint's position; the
 * child calls ps__pspace_save on its copy-on-write image of the space and
 * exits; when it succeeded, the parent calls bg_end to prune checkpoints
 * and the log segments none of them needs. A checkpoint that fails costs
 * nothing: the log still holds every change.
 */
#ifndef PS_STORE_PSPACE_H
#define PS_STORE_PSPACE_H

#include "pathspace.h"

/* op: WAL_ADD or WAL_REMOVE. *changed: 0 for a no-op (not logged). */
int ps__pspace_stage(ps_pspace *p, int op, ps_bytes path, int *changed);
/* The same as one record of a change of several (more: not its last):
 * ps__pspace_stage_end closes the change (its last staged record), so that
 * recovery applies the change whole or not at all. */
int ps__pspace_stage_more(ps_pspace *p, int op, ps_bytes path, int more, int *changed);
void ps__pspace_stage_end(ps_pspace *p);
int ps__pspace_commit(ps_pspace *p);
/* ps_fsync: the server groups its fsyncs under PS_FSYNC_ALWAYS. */
int ps__pspace_fsync_mode(const ps_pspace *p);
/* Why the log last failed, as an errno (0: it has not). */
int ps__pspace_log_errno(const ps_pspace *p);
/* 1 once the log failed (any thread may ask): the one place this is
 * known (store/wal.c). */
int ps__pspace_broken(const ps_pspace *p);
/* Breaks the log (err: errno-style, why, when none is known yet). */
void ps__pspace_break(ps_pspace *p, int err);
/* 1 when the options' policy (ckpt_changes, ckpt_seconds) wants a
 * checkpoint now. */
int ps__pspace_due(const ps_pspace *p);
/* Records staged, not yet committed. */
uint64_t ps__pspace_staged(const ps_pspace *p);
/* The space's directory (for where-is-it checks; stays the space's). */
int ps__pspace_dirfd(const ps_pspace *p);
/* In a forked child: lets go of the directory's lock (the parent keeps
 * it), so a restart after the parent dies need not wait for the child. */
void ps__pspace_forked(ps_pspace *p);

int ps__pspace_bg_begin(ps_pspace *p, uint64_t *log_pos, uint64_t *changes, ps_diag *d);
/* threads: the snapshot's (0: the space's setting; a forked child passes
 * 1, since a child of a threaded process should start no threads). */
int ps__pspace_save(ps_pspace *p, uint64_t log_pos, unsigned threads, ps_ckpt_info *ci,
                    ps_diag *d);
int ps__pspace_bg_end(ps_pspace *p, uint64_t log_pos, uint64_t changes, ps_diag *d);

/* ---- replication (src/replica, through the served space) */
/* The log's whole changes after seq `after`, as one segment of about max
 * bytes (ps__wal_ship_read): a shipper's next piece. */
int ps__pspace_ship_read(ps_pspace *p, uint64_t after, size_t max, ps_buf *out, uint64_t *last,
                         ps_diag *d);
/* Keeps the log past seq (not yet shipped) through every checkpoint. */
void ps__pspace_ship_hold(ps_pspace *p, uint64_t seq);
/* A replica's step: stages every record of a primary's log piece (a
 * segment in memory, checked whole) past this space's last seq, with the
 * primary's sequence numbers; the caller commits. *upto: the last seq
 * staged. A piece that starts past the next seq is PS_E_CORRUPT (a gap). */
int ps__pspace_follow(ps_pspace *p, ps_bytes piece, uint64_t *upto, ps_diag *d);
/* Checks a whole log piece (a segment in memory): every record, no torn
 * tail allowed, and that it holds exactly seqs first..last. */
int ps__pspace_piece_check(ps_bytes piece, uint64_t first, uint64_t last, ps_diag *d);
/* Checks a log piece as ps__pspace_piece_check does, then applies its
 * records past seq `after` to sp (a space read from a bucket: no log). */
int ps__pspace_piece_apply(ps_bytes piece, uint64_t first, uint64_t last, uint64_t after,
                    ps_space *sp, ps_diag *d);
/* A replica that fell behind what its bucket keeps: sp (taken on success)
 * becomes the space, as of the primary's log position log_pos. A checkpoint
 * of it is saved, and the log starts again at log_pos + 1, so a restart
 * finds exactly this state. On failure nothing changed. */
int ps__pspace_reset(ps_pspace *p, ps_space *sp, uint64_t log_pos, ps_diag *d);
/* The bytes of a log piece that hold its whole changes up to seq upto. */
size_t ps__pspace_piece_cut(ps_bytes piece, uint64_t upto);

#endif
