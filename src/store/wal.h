/*
 * wal.h - the write-ahead log of a persistent space (docs/store.md).
 *
 * A log is a directory of segments named <first seq, 16 hex>.log. Each is
 *
 *   header (32 bytes): magic "PSWALOG\n", u32 version 2, u32 header size 32,
 *                      u64 first seq, u32 flags 0, u32 low 32 bits of
 *                      XXH3-64 of bytes [0,28)
 *   records:  0 u32 checksum  low 32 bits of XXH3-64 of bytes [4, 24+len)
 *             4 u32 len       payload bytes
 *             8 u64 seq       one more than the record before, across segments
 *            16 u8  op        WAL_ADD, WAL_REMOVE, WAL_SET
 *            17 u8  flags     WAL_F_MORE: the next record belongs to the
 *                             same change (version 2; 0 in version 1)
 *            18 u8[6]         reserved, zero
 *            24 payload       the path (WAL_SET: u64 value, then the path)
 *
 * Invariants: records are appended whole with one write(); sequence numbers
 * have no gaps; only the last segment is ever written to, so damage
 * anywhere but its tail is corruption, not a crash.
 */
#ifndef PS_STORE_WAL_H
#define PS_STORE_WAL_H

#include "pathspace.h"

#define WAL_HDR 32
#define WAL_REC 24
#define WAL_MAX_PAYLOAD (256u << 20)
/* Version 2 added record flags: a change of several records (a step of an
 * exec rule) is a run of records with WAL_F_MORE set on all but the last,
 * and recovery applies such a run whole or not at all. Version 1 segments
 * (no flags) are still read. */
#define WAL_VERSION 2
#define WAL_F_MORE 1

enum { WAL_ADD = 1, WAL_REMOVE = 2, WAL_SET = 3 };

typedef struct wal_op {
    int op;
    ps_bytes path;
    uint64_t value;
    uint8_t flags; /* WAL_F_MORE */
} wal_op;

/* A segment header for first, into h[WAL_HDR]. */
void ps__wal_header(uint8_t *h, uint64_t first);
/* Appends the records of ops (sequences seq, seq + 1, ...) to out. */
int ps__wal_encode(ps_buf *out, uint64_t seq, const wal_op *ops, size_t n);

typedef int (*wal_apply_fn)(void *ctx, const wal_op *op);

/* The state of one recovery, carried from segment to segment. */
typedef struct wal_scan {
    uint64_t after;   /* records up to here are in the checkpoint     */
    uint64_t expect;  /* seq of the next record (0: take the first)   */
    int truncate;
    wal_apply_fn apply;
    void *ctx;
    ps_recovery *rec;
} wal_scan;

/* Checks one segment held in memory and replays its records with seq >
 * s->after. *end is where its whole records end: size, or the start of a
 * torn tail (last segment only; rec->torn set), or of damage when
 * s->truncate. Writes nothing: the caller cuts. (The fuzz target's entry.) */
int ps__wal_scan_mem(const uint8_t *m, uint64_t size, const char *name, uint64_t first, int last,
                 wal_scan *s, uint64_t *end, ps_diag *d);

/* Replays every record with seq > after (in order) through apply. Fills
 * rec (segments, replayed, last_seq, torn*, truncated_bytes). A torn tail
 * is cut off the file; damage before it is PS_E_CORRUPT with d naming the
 * segment and offset, unless truncate (then cut there, later segments
 * removed). */
int ps__wal_recover(int dirfd, uint64_t after, int truncate, wal_apply_fn apply, void *ctx,
                ps_recovery *rec, ps_diag *d);

typedef struct wal wal;
/* Appends to the last segment, or starts one at next_seq if there is none
 * (or it is empty of header). */
int ps__wal_open(int dirfd, uint64_t next_seq, int fsync_mode, wal **out, ps_diag *d);
void ps__wal_close(wal *w);
/* Closes without a final sync (what a crash leaves). */
void ps__wal_abandon(wal *w);
/* Appends n records (sequence numbers next_seq..), durable per the fsync
 * mode when it returns PS_OK. On failure the log is as before the call
 * (with nothing staged before it). */
int ps__wal_append(wal *w, const wal_op *ops, size_t n);
/* Group commit (the server's): stage encodes records the caller then
 * applies at once; commit writes everything staged with one write() and
 * one fsync (per the mode) before any of it is acknowledged. A commit that
 * fails leaves the log broken (every later call PS_E_IO): memory holds
 * changes the log does not, so nothing more may be acknowledged. */
int ps__wal_stage(wal *w, const wal_op *ops, size_t n);
/* Ends a run of records staged with WAL_F_MORE: the last one staged loses
 * the flag, so the run is one change. */
void ps__wal_stage_end(wal *w);
int ps__wal_commit(wal *w);
uint64_t ps__wal_staged(const wal *w);
/* The errno of the last write or sync that failed (0: none): what the
 * server tells its clients and its operator. */
int ps__wal_errno(const wal *w);
/* 1 once the log no longer speaks for memory: every later call fails with
 * PS_E_IO. Any thread may ask. */
int ps__wal_broken(const wal *w);
/* Breaks the log (err, when not 0 and none is known yet, says why): its
 * caller applied what it cannot log, or logged what it cannot apply. */
void ps__wal_break(wal *w, int err);
int ps__wal_sync(wal *w);
uint64_t ps__wal_last_seq(const wal *w);
/* Closes the current segment (synced) and starts one at last_seq + 1. */
int ps__wal_rotate(wal *w, ps_diag *d);
/* Starts the log again at next: every segment goes (the caller saved a
 * checkpoint that holds all of them) and a new one starts at next. */
int ps__wal_restart(wal *w, uint64_t next, ps_diag *d);
/* Removes segments whose records are all <= seq. */
int ps__wal_drop_through(wal *w, uint64_t seq);

/* Removes nothing past seq from now on, whatever ps__wal_drop_through is
 * asked (UINT64_MAX: no hold): a shipper's records not yet in its bucket. */
void ps__wal_hold(wal *w, uint64_t seq);

/* ---- reading the log out, for shipping it (wal_ship.c) */
void ps__wal_seg_name(uint64_t first, char *out);
/* Every segment's first seq, ascending. *v is malloc'd. */
int ps__wal_segments(int dirfd, uint64_t **v, size_t *n);
uint32_t ps__wal_rec_sum(const uint8_t *r, size_t len);

/* Where the last read stopped: segment, byte offset, the seq there. */
typedef struct wal_cursor {
    uint64_t seg, off, next;
} wal_cursor;
/* The whole changes after seq `after` that the log holds now, synced to
 * disk first, as one segment (header, then the records as they are in the
 * log) in out, about max bytes of them (more when one change is larger);
 * *last is the last seq read (0: none yet). PS_E_NOTFOUND when the log no
 * longer holds seq after + 1 (removed after a checkpoint). c carries the
 * position from one call to the next (zeroed: none). */
int ps__wal_ship_read(int dirfd, wal_cursor *c, uint64_t after, size_t max, ps_buf *out,
                      uint64_t *last, ps_diag *d);
/* How many bytes of segment seg hold its whole changes up to seq upto
 * (a restore to a point inside a piece). */
size_t ps__wal_cut(ps_bytes seg, uint64_t upto);

#endif
