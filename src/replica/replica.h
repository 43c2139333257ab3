/*
 * replica.h - the replication layer's insides (docs/replication.md): one
 * thread per served space, shipping its log to a bucket (ship.c) or
 * applying a bucket's log to it (follow.c), and a restore (restore.c).
 * It reaches the space only through the served space (serve/served.h),
 * the bucket only through s3.h, and the bucket's layout through manifest.h.
 */
#ifndef PS_REPLICA_REPLICA_H
#define PS_REPLICA_REPLICA_H

#include <pthread.h>

#include "manifest.h"
#include "s3.h"
#include "serve/served.h"

struct ps_replica {
    ps_served *sv;
    s3 *b;
    ps_replica_opts o;
    char primary[256];
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, running;
    int kick;               /* a synchronous commit waits: ship now         */
    int waiting;            /* synchronous commits waiting (mu)             */
    uint64_t published;     /* the bucket holds the log through this (mu)   */
    int fenced;             /* (mu)                                          */
    pthread_cond_t shipped; /* published moved, or fenced, or stopping      */
    manifest m;             /* the newest one written (primary) or read   */
    manifest swept;         /* a primary's: the one its last collect read
                               as the next, the old one of the collect after */
    uint64_t epoch;         /* a primary's own                            */
    served_repl st;         /* reported through the served space          */
    ps_buf piece;           /* the piece being shipped or applied         */
};

/* A hint object's number (16 lower-case hex); 0 when absent (*absent
 * set) or unreadable. */
uint64_t ps__bucket_hint(s3 *b, const char *key, int *absent);
/* Manifest n, read again a few times while it reads as damaged:
 * PS_E_NOTFOUND when the bucket holds no manifest n. */
int ps__bucket_manifest(s3 *b, uint64_t n, manifest *m, ps_diag *d);
/* The newest manifest, probing forward from number `from` (0: from the
 * manifest/latest hint): PS_E_NOTFOUND when the bucket holds none. */
int ps__bucket_latest(s3 *b, uint64_t from, manifest *m, ps_diag *d);
/* Applies the pieces of m past the space's last seq (a replica, or a
 * replica being promoted). PS_E_NOTFOUND: a piece is gone (read the
 * manifest again); PS_E_CORRUPT: the space is behind what m keeps. */
int ps__bucket_apply(ps_replica *r, const manifest *m, ps_diag *d);
/* The newest checkpoint of m at or before seq t (NULL: none), and that
 * m's pieces reach from it to t (PS_E_NOTFOUND, saying what is kept). */
int ps__bucket_base(const manifest *m, uint64_t t, const man_ckpt **c, ps_diag *d);
int64_t ps__wall_ms(void);
/* Sleeps up to ms, or until ps_replica_stop: 1 when stopping. */
int ps__replica_nap(ps_replica *r, uint64_t ms);
/* Makes r (bucket, options, lock) for either role. */
int ps__replica_new(ps_served *sv, const char *url, const ps_replica_opts *o, ps_replica **out,
                    ps_diag *d);
void ps__replica_free(ps_replica *r);
/* Reports r's first status and starts its thread on fn; on failure frees r. */
int ps__replica_run(ps_replica *r, void *(*fn)(void *), ps_diag *d);
/* The thread's status into the served space (a failure's text, if d). */
void ps__replica_report(ps_replica *r, const ps_diag *d);

#endif
