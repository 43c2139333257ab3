/*
 * store.h - the blob store's private parts: hashing, the root directory,
 * and walking to a directory without leaving the root.
 *
 * Everything is opened relative to the root's descriptor, one component at
 * a time with O_NOFOLLOW, so neither a hostile name (rejected anyway) nor a
 * symlink planted inside the store can reach outside it.
 */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include <openssl/evp.h>
#include <blake2.h>
#include <xxhash.h>

#include "common/beneath.h"
#include "pathspace.h"

#define STORE_CHUNK (256u << 10)  /* write and hash granule (the write-up's) */
#define STORE_LOCK "LOCK"         /* <root>/LOCK: writers share it, gc takes it alone */

struct ps_store {
    int root;          /* O_DIRECTORY descriptor of the root */
    int temp;          /* of <root>/temp                     */
    int hold;          /* a persistent space's lifelong shared lock, or -1 */
    ps_store_opts opts;
};

/*
 * Maintenance beside writers (docs/store.md, "Concurrency"):
 *   - every write that makes an object or a ref holds <root>/LOCK shared
 *     (flock) while it runs; gc and prune hold it exclusively;
 *   - a put that finds its object already there touches it (mtime), and
 *     gc spares objects younger than the grace period, which covers the
 *     gap between a put and the ref that names it;
 *   - a ref is set only to an object that exists, checked under the lock,
 *     so no ref ever dangles;
 *   - a temp file is flock()ed by its writer while it is written; a temp
 *     file nobody holds belongs to a writer that died, and goes.
 * The shared lock of one call: -1 when the store cannot be locked at all
 * (a read-only store: then nothing is written either).
 */
int ps__store_shared(ps_store *st);
void ps__store_unlock(int fd);
/* gc's and prune's exclusive hold: PS_E_LOCKED after a short wait if
 * another process holds the store (an open persistent space, say). */
int ps__store_exclusive(ps_store *st, int *fd, ps_diag *d);
void ps__store_exclusive_end(ps_store *st, int fd);
/* A persistent space holds its store shared for its whole life, so that
 * another process's gc or prune cannot run beside it. */
int ps__store_hold(ps_store *st, ps_diag *d);
/* Touches an object's mtime (a dedup put: the grace period starts again).
 * 0, or -1 with errno (ENOENT: not there). */
int ps__store_touch(ps_store *st, const ps_oid *oid);
/* Removes temp files whose writer is gone (nobody holds their flock). */
uint64_t ps__temp_sweep(ps_store *st);
/* Deletes the objects of oids[0..n) that no ref names and that were not
 * touched since `before` (ns since 1970), under the exclusive lock the
 * caller holds: what a prune made unreachable goes at once. */
int ps__store_drop(ps_store *st, const ps_oid *oids, size_t n, int64_t before, uint64_t *removed,
                   ps_diag *d);

/* One streaming hash of any kind. */
typedef struct ps_hasher {
    int hash;
    union {
        EVP_MD_CTX *sha;
        blake2bp_state *b2;
        XXH3_state_t *xx;
    } u;
} ps_hasher;

int ps__hasher_init(ps_hasher *h, int hash);
void ps__hasher_update(ps_hasher *h, const void *p, size_t n);
void ps__hasher_final(ps_hasher *h, ps_oid *oid); /* also frees */
void ps__hasher_free(ps_hasher *h);
uint8_t ps__hash_len(int hash);

/* "<hash>/<2 hex>" and "<hash>/<2 hex>/<hex>" for oid, into buffers of
 * STORE_PATH_MAX. */
#define STORE_PATH_MAX 128
void ps__oid_dir(const ps_oid *oid, char *out);
void ps__oid_path(const ps_oid *oid, char *out);

/* Write all n bytes (EINTR retried). 0 or -1 with errno. */
int ps__write_all(int fd, const void *p, size_t n);
/* A new temp file in <root>/temp; its name goes to name[32]. */
int ps__temp_create(ps_store *st, char *name);
/* fdatasync unless nosync; -1 with errno. */
int ps__sync_fd(const ps_store *st, int fd);
/* Publishes temp file `name` (already synced) as rel: rename without
 * replacing (an existing object means a duplicate: the temp goes and
 * *added = 0), then fsyncs the directory. dir is the rel's directory. */
int ps__publish(ps_store *st, const char *name, const char *dir, const char *rel,
                int *added, ps_diag *d);


#endif
