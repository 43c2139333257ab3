/*
 * s3.h - an S3 bucket, spoken to through libcurl (docs/replication.md).
 *
 * libcurl signs each request itself (CURLOPT_AWS_SIGV4); this file only
 * says where to send it and with which keys:
 *
 *   - the URL is s3://BUCKET[/PREFIX]; every key this layer writes lives
 *     under PREFIX/ and is made of [a-z0-9._/-] only, so no key needs
 *     escaping and none can climb out of the prefix;
 *   - the endpoint is $PATHSPACE_S3_ENDPOINT, else $AWS_ENDPOINT_URL_S3,
 *     else $AWS_ENDPOINT_URL, else https://s3.REGION.amazonaws.com, and
 *     requests are path-style (endpoint/bucket/key);
 *   - the region is $AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1;
 *   - the keys are $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY (and
 *     $AWS_SESSION_TOKEN), else the [$AWS_PROFILE or default] section of
 *     $AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials). Never the
 *     command line, where `ps` would show them.
 *
 * Every call retries what may pass (no connection, a timeout, 500, 502,
 * 503, 504, 429) with doubling waits, s3->retries times, and then says
 * what the last attempt got. Threads: one thread at a time per handle.
 */
#ifndef PS_REPLICA_S3_H
#define PS_REPLICA_S3_H

#include <stdint.h>

#include "pathspace.h"

typedef struct s3 s3;

/* The longest PREFIX/key this layer makes, and query string it sends. */
#define S3_KEY_MAX 512
#define S3_QUERY_MAX 1200

int ps__s3_open(const char *url, s3 **out, ps_diag *d);
void ps__s3_close(s3 *b);
/* Attempts per call (at least 1) and the first wait between them. */
void ps__s3_retries(s3 *b, unsigned attempts, unsigned first_wait_ms);
/* "s3://bucket/prefix", for messages. */
const char *ps__s3_url(const s3 *b);

/* PUT key. create_only: If-None-Match: * (a store that honours it
 * answers 412 when the key exists: PS_E_EXISTS). */
int ps__s3_put(s3 *b, const char *key, ps_bytes body, int create_only, ps_diag *d);
/* GET key into out (appended), refusing more than max bytes (PS_E_LIMIT):
 * what a bucket holds is not trusted to be small. PS_E_NOTFOUND on 404. */
int ps__s3_get(s3 *b, const char *key, uint64_t max, ps_buf *out, ps_diag *d);
/* GET bytes [from, from + len) of key (len > 0) into out (appended):
 * exactly len bytes, or PS_E_TRUNCATED when the object ends first. */
int ps__s3_get_range(s3 *b, const char *key, uint64_t from, uint64_t len, ps_buf *out,
                     ps_diag *d);
/* One request, for what the calls above do not cover (a multipart
 * upload: s3_multi.c). */
enum { REQ_GET, REQ_PUT, REQ_PUT_NEW, REQ_DELETE, REQ_POST };
typedef struct s3_req {
    const char *query;  /* after '?', encoded as SigV4 wants (NULL: none) */
    ps_bytes body;      /* PUT, POST: what is sent                      */
    ps_buf *out;        /* where the answer's body goes (NULL: dropped) */
    uint64_t max;       /*   refusing more than this many bytes         */
    uint64_t from, len; /* GET of a byte range (len 0: whole object)    */
    char etag[128];     /* the answer's ETag header                     */
    size_t sent;        /* (the transfer's own)                          */
    int too_big;
} s3_req;
/* Attempts until one is not transient, or they run out: the last HTTP
 * status, 0 when no attempt got one (d says why), -1 when the answer
 * passed x->max (d says so). */
long ps__s3_request(s3 *b, int kind, const char *key, s3_req *x, ps_diag *d);
/* d for a status that is an error: PS_E_DENIED (401, 403) or PS_E_IO. */
int ps__s3_status_err(const s3 *b, int kind, const char *key, long code, ps_diag *d);

/* PUT of an object of any size: one PUT up to part bytes, else a
 * multipart upload of parts of at least part bytes (5 MiB or more; more
 * when 10,000 parts would not hold it), aborted when it fails. */
int ps__s3_put_big(s3 *b, const char *key, ps_bytes body, uint64_t part, ps_diag *d);

/* DELETE key (a key already gone is no error). */
int ps__s3_delete(s3 *b, const char *key, ps_diag *d);

#endif
