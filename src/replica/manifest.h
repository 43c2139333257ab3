/*
 * manifest.h - what a bucket holds, in one object (docs/format-bucket.md).
 *
 * A manifest names the checkpoints and log pieces a restore may use, and
 * how far the log was shipped. Manifests are numbered and never replaced:
 * manifest N+1 is created with If-None-Match: *, so of two writers that
 * both read N, one wins and the other learns it was fenced. Layout
 * (little-endian):
 *
 *    0  8 magic "PSMANIF\n"     40  8 written at (ms since 1970)
 *    8  4 version 1             48  4 checkpoints
 *   12  4 flags 0               52  4 pieces
 *   16  8 number                56  2 primary's address length (<= 255)
 *   24  8 epoch                 58  6 reserved, zero
 *   32  8 shipped through seq   64    the address, then the entries:
 *
 *   checkpoint (48 + 32):  u64 seq, u64 log_pos, u64 atoms, u64 size,
 *                          u8 hash, u8 id length, u8[30] reserved, u8[32] id
 *   piece (40):            u64 epoch, u64 first, u64 last, u64 size,
 *                          u64 shipped at (ms)
 *   trailer:               u64 XXH3-64 of every byte before it
 */
#ifndef PS_REPLICA_MANIFEST_H
#define PS_REPLICA_MANIFEST_H

#include <stdint.h>

#include "pathspace.h"

#define MANIFEST_VERSION 1
#define MANIFEST_HEAD 64
#define MANIFEST_CKPT 80
#define MANIFEST_PIECE 40
#define MANIFEST_MAX_CKPT 1024u
#define MANIFEST_MAX_PIECE (1u << 20)
/* The largest manifest a reader takes: the limits above, whole. */
#define MANIFEST_MAX_BYTES \
    (MANIFEST_HEAD + 255 + (uint64_t)MANIFEST_MAX_CKPT * MANIFEST_CKPT + \
     (uint64_t)MANIFEST_MAX_PIECE * MANIFEST_PIECE + 8)

typedef struct man_ckpt {
    uint64_t seq, log_pos, atoms, size;
    ps_oid oid;
} man_ckpt;

typedef struct man_piece {
    uint64_t epoch, first, last, size, time_ms;
} man_piece;

typedef struct manifest {
    uint64_t number, epoch, shipped, time_ms;
    char primary[256];
    man_ckpt *ckpt;          /* oldest first */
    man_piece *piece;        /* in seq order, each one after the last */
    uint32_t nckpt, npiece;
    uint32_t ckpt_cap, piece_cap;
} manifest;

void ps__man_free(manifest *m);
int ps__man_add_ckpt(manifest *m, const man_ckpt *c);
int ps__man_add_piece(manifest *m, const man_piece *p);
/* Drops what restoring from the oldest of the newest `keep` checkpoints
 * does not need: older checkpoints, and pieces wholly at or before its log
 * position. */
void ps__man_trim(manifest *m, uint32_t keep);
int ps__man_encode(const manifest *m, ps_buf *out);
/* Checks everything (magic, version, flags, sizes, limits, order, the
 * checksum) before it fills m (which it resets first). */
int ps__man_decode(ps_bytes in, manifest *m, ps_diag *d);

/* Keys, under the bucket's prefix. */
void ps__man_key(uint64_t number, char out[64]);
void ps__piece_key(uint64_t epoch, uint64_t first, char out[64]);
void ps__ckpt_key(const ps_oid *oid, char out[128]);
#define MAN_LATEST "manifest/latest"
/* A primary keeps the newest this many manifests, numbered one after
 * another, and deletes an object once none of them names it. */
#define MANIFEST_KEEP 8

#endif
