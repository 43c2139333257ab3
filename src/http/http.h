/*
 * http.h - MORK's HTTP API over a served space (docs/http.md).
 *
 * libmicrohttpd parses HTTP and runs a thread per connection; the
 * commands of MORK's server run on those threads (upload, export, clear,
 * copy, explore, status) or on worker threads of ours (import, transform,
 * count: MORK's asynchronous ones, whose end the status reports). Every
 * command first takes permissions on the constant prefixes of its
 * expressions (perm.c), then reads or changes the space under the
 * served space's lock (src/serve), so another front end on the same space
 * (the binary protocol's loop) and HTTP never see each other's changes
 * half made.
 */
#ifndef PS_HTTP_HTTP_H
#define PS_HTTP_HTTP_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "listen/ident.h"
#include "serve/served.h"
#include "pathspace.h"

/* What a status says (MORK's StatusRecord). */
enum {
    ST_CLEAR,
    ST_READONLY_TMP,  /* a command reads an overlapping prefix           */
    ST_FORBIDDEN_TMP, /* a command writes one                             */
    ST_COUNT,
    ST_FETCH_ERROR,
    ST_PARSE_ERROR,
    ST_EXEC_ERROR,
    ST_SHUTDOWN
};

typedef struct hstatus {
    int kind;
    uint64_t count; /* ST_COUNT                                        */
    unsigned code;  /* ST_FETCH_ERROR: an HTTP status                  */
    char msg[240];
} hstatus;

/* A permission: a read or a write on every path that starts with p. */
typedef struct grant {
    const uint8_t *p;
    size_t n;
    int write;
} grant;

#define MAX_GRANTS 130 /* a transform's 64 patterns and 64 templates */

typedef struct entry { /* a status set on a prefix */
    uint8_t *p;
    size_t n;
    hstatus st;
} entry;

typedef struct worker {
    pthread_t t;
    int state; /* 0 free, 1 running, 2 finished (join it) */
} worker;

typedef struct hconn hconn; /* a connection's deadline (deadline.c) */

struct ps_http {
    ps_served *sv;
    ps_http_opts o;
    net_ident id;
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t mu; /* everything below                             */
    pthread_cond_t cv;  /* a permission released, a status changed      */
    const grant **held; /* the grants of running commands               */
    size_t nheld, capheld;
    entry *st; /* statuses set on prefixes                     */
    size_t nst, capst;
    uint64_t st_bytes; /* what st holds: prefixes and entries         */
    uint64_t version; /* bumped by every change of a status           */
    worker *workers;
    uint32_t queued;     /* requests waiting for a worker (slot_take)  */
    atomic_int stopping; /* read without mu by requests and streams    */
    int files_fd;        /* --http-files, or -1 (files.c)             */
    char *files_given, *files_real; /* its name as given and resolved */
    char *hosts;         /* o.hosts, our copy                          */
    pthread_mutex_t cmu; /* the connections' deadlines (deadline.c)    */
    pthread_cond_t ccv;
    hconn *conns;
    pthread_t reaper;
    int reaper_on, reaper_stop;
    uint64_t reaped;     /* connections closed past their deadline     */
    int children;        /* forked children running (under mu)         */
};

/* perm.c */
/* *ts = now on clock + ms, for pthread_cond_timedwait. */
void ps__deadline_ms(struct timespec *ts, clockid_t clock, unsigned ms);
/* Takes every grant of g at once, waiting up to perm_wait_ms for
 * conflicting ones to go: PS_OK, or PS_E_LOCKED. A write clears the
 * statuses set at or below its prefix, as MORK's does. */
int ps__perm_acquire(ps_http *h, const grant *g, size_t n);
void ps__perm_release(ps_http *h, const grant *g, size_t n);
/* Sets the status on prefix p (replacing one set there). */
void ps__perm_set(ps_http *h, const uint8_t *p, size_t n, const hstatus *st);
/* The status of prefix p: held permissions first, then what was set. */
void ps__perm_get(ps_http *h, const uint8_t *p, size_t n, hstatus *st);
uint64_t ps__perm_version(ps_http *h);
/* Waits until the version passes v, at most ms; the new version. */
uint64_t ps__perm_wait(ps_http *h, uint64_t v, unsigned ms);
void ps__perm_free(ps_http *h);
/* The status as MORK's JSON, appended to out. */
int ps__perm_json(const hstatus *st, ps_buf *out);
/* Appends what the yajl generator gen wrote to out, and frees gen. */
int ps__json_take(void *gen, ps_buf *out);
/* 1 if the status is one a client keeps polling through. */
int ps__perm_temporary(const hstatus *st);

/* url.c */
/* Splits a raw (still percent-encoded) path into at most max segments,
 * decoding each into out; one trailing '/' is dropped. The number of
 * segments, or -1 (a bad escape, too many). seg[i] points into out,
 * which must not change afterwards. */
int ps__url_split(const char *raw, ps_buf *out, ps_bytes *seg, int max);
/* Percent-decodes s (NUL-terminated) into out, NUL-terminated. */
int ps__url_decode(const char *s, ps_buf *out);

/* A reply: an HTTP status and a body (taken). */
typedef struct reply {
    unsigned code;
    const char *type;
    ps_buf body;
    struct MHD_Response *stream; /* status_stream: a response of its own */
    int challenge;               /* 401 for want of the token           */
} reply;

/* A request as the commands see it. */
typedef struct req {
    ps_http *h;
    struct MHD_Connection *c;
    const char *method;
    ps_bytes seg[8];
    int nseg;
    ps_buf segbuf;
    ps_buf body;
} req;

int ps__reply_text(reply *r, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A query argument, percent-decoded into buf; NULL if absent. present
 * (may be NULL) is set for a key given without a value too. */
const char *ps__reply_arg(req *q, const char *key, ps_buf *buf, int *present);
/* A flag argument's value: given, and not "0", "false" or "no". */
int ps__arg_true(const char *v);

/* A pattern and a template (or two expressions), parsed. */
typedef struct pt {
    ps_buf pat, tmpl;  /* their encodings                               */
    size_t ppfx, tpfx; /* their constant prefixes' lengths              */
    ps_query *q;       /* NULL: $x to $x, the atoms as they are          */
} pt;
/* 0, or 1 with the 400 in r. identity_ok: $x to $x gives q NULL. */
int ps__pt_parse(pt *x, ps_bytes pat, ps_bytes tmpl, int identity_ok, reply *r);
void ps__pt_free(pt *x);
/* The command's one expression (seg[0]) into e, its constant prefix's
 * length in *pfx: 0, or 1 with the 400 (line:column) in r and e freed. */
int ps__expr_arg(req *q, reply *r, const char *cmd, ps_buf *e, size_t *pfx);
/* The 401 (or 500) of ps__perm_acquire's rc; 1. */
int ps__http_busy(reply *r, const char *cmd, int rc);

/* guard.c: 0, or 1 with the 403 in r for a request a browser was made to
 * send: a Host that names no address of ours, or a cross-site request. */
int ps__guard(ps_http *h, struct MHD_Connection *c, reply *r);

/* forked.c: transforms' searches and counts past what the lock may hold */
#define HTTP_CHILDREN 8 /* forked children at once, for every connection */
/* Waits for one of the HTTP_CHILDREN places (a request's thread may wait;
 * 256 connections must not make 256 children), and gives it back. */
void ps__child_slot_take(ps_http *h);
void ps__child_slot_give(ps_http *h);
#define HELD_CUT_BYTES (256u << 10) /* results (or / 128 solutions) under it */
#define HELD_CUT_STEPS 20000u       /* positions a search reads under it  */
#define COUNT_HELD 131072u          /* paths a count walks under it (~4 ms) */
/* ps__space_query that leaves the lock past HELD_CUT_BYTES: a forked child
 * runs q whole (limit, budgets as ever) and out gets its results. */
int ps__space_query_long(ps_http *h, const ps_query *q, uint64_t limit, ps_space *out,
                         ps_diag *d);
/* The paths under prefix, counted by a forked child past COUNT_HELD. */
int ps__space_count_long(ps_http *h, ps_bytes prefix, uint64_t *n);

/* deadline.c: slow clients closed (header and body deadlines) */
enum { DL_HEADERS, DL_BODY, DL_RUN, DL_DONE }; /* what a request reached */
void ps__dl_notify(void *cls, struct MHD_Connection *c, void **sctx,
                   enum MHD_ConnectionNotificationCode toe);
/* The request on c reached what (DL_BODY: bytes more of its body). */
void ps__dl_phase(ps_http *h, struct MHD_Connection *c, int what, uint64_t bytes);
/* Starts the reaper (and its lock, which ps__dl_free destroys). */
int ps__dl_start(ps_http *h);
void ps__dl_free(ps_http *h);

/* files.c: file:// beneath the operator's --http-files directory only */
typedef struct hfile { /* an export's file while it is written */
    int fd, dfd;       /* the temporary file and its directory   */
    char tmp[288], base[256];
} hfile;
/* Opens --http-files (if set); refuses a store inside it or around it. */
int ps__files_open(ps_http *h, ps_diag *d);
void ps__files_close(ps_http *h);
/* uri's path relative to the files directory in *rel (pointing into uri):
 * 0, or 1 with the refusal in r (403 when files are off or the path lies
 * outside). cmd names the command in messages. */
int ps__files_rel(ps_http *h, const char *uri, const char **rel, reply *r, const char *cmd);
/* Opens rel for reading beneath the directory: a descriptor, or -1 with
 * errno, which ps__files_why puts in words. */
int ps__files_read(ps_http *h, const char *rel);
const char *ps__files_why(int e);
/* A new temporary file beside rel (O_EXCL): 0, or 1 with r set. */
int ps__files_create(ps_http *h, const char *rel, hfile *f, reply *r);
/* fsync, rename over rel, fsync the directory: 0, or -1 with errno (the
 * temporary file is gone either way). */
int ps__files_publish(hfile *f);
void ps__files_discard(hfile *f);

/* fetch.c: http(s):// imports through libcurl, when the operator allows */
int ps__fetch_is_url(const char *uri);
/* 1 if --http-fetch names url's host. */
int ps__fetch_allowed(const ps_http *h, const char *url);
/* Fetches url into an unlinked temporary file: 0 with *fd (at its end),
 * or -1 with why and the HTTP status to report (403, 413, 502, or the
 * server's). */
int ps__fetch(ps_http *h, const char *url, int *fd, unsigned *status, char *why, size_t cap);

/* cmds.c: the synchronous commands; async.c: the asynchronous ones. */
void ps__cmd_upload(req *q, reply *r);
void ps__cmd_export(req *q, reply *r);
void ps__cmd_clear(req *q, reply *r);
void ps__cmd_copy(req *q, reply *r);
void ps__cmd_explore(req *q, reply *r);
void ps__cmd_status(req *q, reply *r);
/* GET /shardmap/: the shard map this server enforces, as JSON (404: none). */
void ps__cmd_shardmap(req *q, reply *r);
void ps__cmd_status_stream(req *q, reply *r);
void ps__hjob_import(req *q, reply *r);
void ps__hjob_transform(req *q, reply *r);
void ps__hjob_count(req *q, reply *r);
void ps__hjob_stop(req *q, reply *r);
/* Waits for every worker (ps_http_stop). */
void ps__hjob_join_all(ps_http *h);
/* A job another file defines (thread.c): its grants point into its keys,
 * so every key is appended before the first grant; status: the grant
 * whose prefix holds the job's outcome. busy: the HTTP status when a
 * grant is held elsewhere (0: MORK's 401). start answers ack and takes
 * the job in every case. */
typedef struct hjob hjob;
hjob *ps__hjob_new(void);
void ps__hjob_free(hjob *j);
ps_buf *ps__hjob_keys(hjob *j);
int ps__hjob_grant(hjob *j, size_t off, size_t n, int write, int status);
void ps__hjob_set(hjob *j, void (*run)(hjob *), void *ext, void (*ext_free)(void *), unsigned busy);
void *ps__hjob_ext(const hjob *j);
ps_http *ps__hjob_http(const hjob *j);
void ps__hjob_status(hjob *j, const hstatus *st);
void ps__hjob_start(req *q, reply *r, hjob *j, const char *cmd, const char *ack);
/* thread.c: MORK's metta_thread and metta_thread_suspend */
void ps__cmd_metta_thread(req *q, reply *r);
void ps__cmd_metta_suspend(req *q, reply *r);

/* search.c: searches of the served space, under its lock */
/* Adds (op SERVED_ADD) or removes every path of atoms, logged and committed
 * in batches (ps__served_apply); *changed gets how many changed. */
int ps__space_apply(ps_http *h, int op, const ps_space *atoms, uint64_t *changed, ps_diag *d);
/* Runs q on src (no lock taken: the caller holds what src needs) into
 * out, as ps__space_query does. */
int ps__space_run(ps_http *h, const ps_query *q, const ps_space *src, uint64_t limit, int here,
                  ps_space *out, ps_diag *d);
/* ps__space_run that stops, *was_cut set, once its results pass cut
 * bytes or cut / 128 solutions, or it reads HELD_CUT_STEPS positions (cut
 * 0: never): the work a caller does
 * under the lock before it sends it to a forked child instead. */
int ps__space_run_cut(ps_http *h, const ps_query *q, const ps_space *src, uint64_t limit,
                      int here, uint64_t cut, int *was_cut, ps_space *out, ps_diag *d);
/* Runs q on the served space into out (distinct results, at most limit
 * if not 0); here: on the calling thread (which has MATCH_STACK), else
 * on search threads of its own. */
int ps__space_query(ps_http *h, const ps_query *q, uint64_t limit, int here, ps_space *out,
                    ps_diag *d);
/* Runs x's query on src into out; with x->q NULL ($x to $x) does nothing:
 * the caller takes src itself. $x to a template holding $x once (a
 * namespace) puts each atom in its place without a search. */
int ps__space_match(ps_http *h, const pt *x, const ps_space *src, ps_space *out, ps_diag *d);
/* A query stops with PS_E_LIMIT after this many solutions per result its
 * command may hold (max_results): the work a command may do is bounded. */
#define SOLUTIONS_PER_RESULT 16u
/* Adds the atoms of data (in format) matched through x to the space,
 * logged: *bad 1 when the input is at fault (d says where: nothing was
 * added), 2 past the work limit, 0 for the server's own failure. Text,
 * JSON and CSV into $x or a namespace stream straight into the log. */
int ps__space_add_input(ps_http *h, const pt *x, const void *data, size_t len, int format,
                        uint64_t *changed, int *bad, ps_diag *d);
/* Where $x sits in x's template when the pattern is $x and the template
 * holds it once and no other variable (a namespace), or -1. */
long ps__wrap_at(const pt *x);
/* Parses MeTTa text holding one atom into out; its constant prefix's
 * length in *pfx. */
int ps__space_parse(ps_bytes text, ps_buf *out, size_t *pfx, ps_diag *d);

#endif
