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

#include "pathspace.h"

#define STORE_CHUNK (256u << 10)  /* write and hash granule (the write-up's) */
#define STORE_TEMP_AGE 3600       /* gc leaves younger temp files alone     */

struct ps_store {
    int root;          /* O_DIRECTORY descriptor of the root */
    int temp;          /* of <root>/temp                     */
    ps_store_opts opts;
};

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

/* Opens the directory at rel ("a/b/c") under dirfd, one component at a
 * time, never following a symlink; create makes missing ones (and fsyncs
 * each parent it changed unless nosync). *made says whether any was made.
 * -1 with errno on failure. */
int ps__open_dir(int dirfd, const char *rel, int create, int sync);
/* Opens the last component of rel for reading (O_NOFOLLOW) under the
 * directories it names. -1 with errno. */
int ps__open_file(int dirfd, const char *rel, int flags);

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

/* diag with ": strerror(errno)" appended */
int ps__io_err(ps_diag *d, int code, const char *what);

#endif
