/*
 * server.h - the server's private parts (docs/protocol.md, "Server").
 *
 * One thread runs an epoll loop. A connection owns a read buffer (pooled,
 * grown only as a large frame's bytes really arrive) and a ring of reply
 * buffers, each one pooled frame of exactly its size, sent together with
 * one writev. A connection's requests are taken in order and stop while
 * its queued replies reach out_limit, while a stream (QUERY, EXPORT) is
 * being sent, or while a CHECKPOINT waits: replies stay in request order
 * and memory stays bounded however a client behaves.
 *
 * Changes are staged in the log and applied as requests are read; no reply
 * leaves while anything is staged (flush commits first), so nothing is
 * acknowledged before the log holds it.
 */
#ifndef PS_NET_SERVER_H
#define PS_NET_SERVER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "pathspace.h"
#include "listen/ident.h"
#include "serve/served.h"

#define OUTQ 64               /* replies queued per connection: one writev */
#define READ_BUF 16384        /* a connection's read buffer (a pool class) */
#define STREAM_FRAME 65000    /* stream payloads fit the 64 KiB class      */
#define QUERY_BYTES_MAX (256u << 20) /* a query's results held, at most    */

#define MAX_JOBS 8             /* exports written by forked children at once */
#define MAX_RUNS 4             /* RUNs (exec rules) at once, every client's   */

/* STREAM_COUNT: a COUNT a child made, one reply frame once it is known. */
/* STREAM_RUN: a RUN's progress, sent as its thread reports it (runs.c). */
enum { STREAM_QUERY = 1, STREAM_EXPORT = 2, STREAM_COUNT = 3, STREAM_RUN = 4 };
struct netrun;

typedef struct stream {
    int kind;
    uint64_t id;
    uint32_t batch;        /* QUERY: results per frame                    */
    unsigned flags;        /* the last frame's: PS_FLAG_LIMITED           */
    int cancelled;
    int waiting;           /* EXPORT: a child is still writing the file   */
    ps_buf data;           /* QUERY: records, u32 length + bytes          */
    size_t off;
    int fd;                /* EXPORT, or a QUERY a child ran: its file   */
    struct job_req *pend;  /* a job waiting for a free slot             */
    struct netrun *run;    /* RUN: its thread                            */
    uint64_t size, foff;
} stream;

typedef struct conn {
    int fd;
    uint64_t cid;          /* unique for the server's life: jobs find it  */
    uint32_t slot;         /* index in the server's table                 */
    uint8_t hello, closing, events, ckpt_wait, pending;
    uint64_t ckpt_id;      /* the CHECKPOINT request that waits           */
    uint64_t ckpt_after;   /* a checkpoint numbered past this answers it  */
    ps_buf in;             /* unconsumed bytes at base + head             */
    ps_buf out[OUTQ];
    uint32_t oh, on;       /* ring head and count                         */
    size_t ooff;           /* bytes of out[oh] already sent               */
    uint64_t queued;       /* bytes queued, unsent                        */
    int64_t last_in, last_out; /* ms: a request read, reply bytes taken    */
    int64_t born;          /* ms: accepted (HELLO is due by hello_ms)     */
    struct sockaddr_storage peer; /* per_ip counts these                  */
    stream *st;
    struct conn *next;     /* the turn's list of connections to flush     */
} conn;

/* An export written by a forked child: it reports through fd. */
typedef struct job {
    pid_t pid;             /* 0: a free slot                              */
    int fd;
    uint64_t cid, id;      /* the connection and the EXPORT request       */
} job;

struct ps_server {
    ps_served *sv;            /* the space, its lock, log and checkpoints  */
    ps_pspace *p;             /* sv's (reads under its lock)               */
    ps_server_opts o;
    net_ident id;
    int lfd, ep, evfd;        /* listener, stop eventfd                   */
    int spare_fd;             /* given up to shed a client when out of fds */
    uint16_t port;
    atomic_int stopping;      /* set by ps_server_stop: any thread, a signal */
    int fsync_always;
    conn **conns;
    uint32_t nconns, cap;
    conn *pending;            /* to flush at the end of the turn           */
    ps_parser *parser;
    ps_buf atoms;             /* a batch's atoms: u32 length + bytes       */
    ps_buf text;              /* printing atoms                            */
    int64_t start_ms, last_tick;
    int64_t now;              /* ms, read once per turn of the loop        */
    uint64_t node;
    job jobs[MAX_JOBS];
    struct netrun *runs[MAX_RUNS];
    int no_fork_jobs;         /* exports written in the loop (the fuzz target:
                               * a child's coverage does not reach it)     */
    uint64_t next_cid;
    unsigned long long alloc_base;
    ps_server_stats st;
    ps_server_stats final;    /* at the loop's end (its thread's counters) */
    int done;
};

/* conn.c */
int ps__conn_new(ps_server *s, int fd, const struct sockaddr_storage *peer);
/* What every client together holds in the server now (max_memory). */
uint64_t ps__server_held(const ps_server *s);
void ps__conn_close(ps_server *s, conn *c);
void ps__conn_readable(ps_server *s, conn *c);
void ps__conn_flush(ps_server *s, conn *c);
/* Queues one reply frame (b is taken, left empty). */
int ps__conn_queue(ps_server *s, conn *c, ps_buf *b);
/* Queues an ERROR frame; close: the connection closes once it is sent. */
void ps__conn_error(ps_server *s, conn *c, uint64_t id, int code, int close, const char *fmt,
                    ...) __attribute__((format(printf, 6, 7)));
/* The log failed: drops the replies that may acknowledge what it never
 * took, tells the client why (an ERROR with code and msg, as much as the
 * socket takes at once, never waiting), and marks it closing. */
void ps__conn_fail(ps_server *s, conn *c, int code, const char *msg);
/* Marks the connection for the end-of-turn flush. */
void ps__conn_pending(ps_server *s, conn *c);

/* stream.c: COUNT under a prefix (the loop counts a few; a child the rest) */
void ps__handle_count(ps_server *s, conn *c, const ps_frame *f, ps_bytes prefix);

/* handlers.c: one request; its payload is valid during the call. */
void ps__dispatch(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload);

/* stream.c */
void ps__handle_query(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload);
void ps__handle_transform(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload);
void ps__handle_export(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload);
/* Queues the stream's next frames while the connection has room; frees
 * the stream after its last frame. */
int ps__stream_fill(ps_server *s, conn *c);
void ps__stream_free(stream *st);

/* stream_jobs.c: exports in forked children (ps__served_fork) */
/* A job's work and what it needs; the kinds of job (stream.c) put this
 * first in a struct of their own, and free() frees the whole. */
typedef struct job_req job_req;
struct job_req {
    /* Done by a forked child for st: a ps_err (d says why), the stream's
     * flags, and (a COUNT's) value. */
    int (*work)(ps_server *s, stream *st, const job_req *r, uint32_t *flags, uint64_t *value,
                ps_diag *d);
    void (*free)(job_req *r);
};
/* Runs r in a forked child (which writes into st->fd), taking r: the
 * stream waits until it ends. With every job slot taken, r waits in st
 * for one (the loop never does the work itself just because others run).
 * -1, r still the caller's, only if fork() itself fails. */
int ps__job_fork(ps_server *s, conn *c, stream *st, job_req *r);
/* A job's tag, from an epoll event, or NULL. */
job *ps__job_of(ps_server *s, void *tag);
void ps__job_done(ps_server *s, job *j);
/* At shutdown: what the jobs write is no longer wanted. */
void ps__jobs_kill(ps_server *s);

/* runs.c: RUN, exec rules on the served space on a thread of their own
 * (a step per hold of the lock: the loop goes on between steps) */
void ps__handle_run(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload);
/* A run's tag, from an epoll event, or NULL. */
struct netrun *ps__run_of(ps_server *s, void *tag);
/* Its thread reported: the progress (or the end) goes to its client. */
void ps__run_event(ps_server *s, struct netrun *r);
/* Its stream went (the client left or cancelled): the run stops after its
 * step. */
void ps__run_orphan(struct netrun *r);
/* At the loop's end, without the lock: every run stopped and joined. */
void ps__runs_stop(ps_server *s);

/* checkpoint.c: CHECKPOINT, which the served space's keeper runs */
void ps__ckpt_request(ps_server *s, conn *c, uint64_t id);
/* A checkpoint ended (the served space's ckpt fd): the connections it
 * answers get their replies. */
void ps__ckpt_ended(ps_server *s);
/* server.c: the staged changes committed (the served space's); -1 once
 * the log failed: the loop ends, acknowledging nothing more. */
int ps__commit(ps_server *s);

#endif
