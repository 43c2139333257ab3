/* netkit.h - a server on an ephemeral port in a thread of the test, and
 * raw sockets for sending it what no client would. */
#ifndef PS_TEST_NETKIT_H
#define PS_TEST_NETKIT_H

#include <pthread.h>

#include "pathspace.h"

typedef struct tsrv {
    char dir[256];
    ps_pspace *p;
    ps_served *sv;
    ps_server *s;
    pthread_t th;
    int rc;
    uint16_t port;
} tsrv;

/* Starts a server (o may be NULL; fsync everysec unless fsync >= 0). */
void t_srv_start(tsrv *t, const ps_server_opts *o, int fsync);
/* The same with the space's options (its checkpoint policy, say). */
void t_srv_start_with(tsrv *t, const ps_server_opts *o, const ps_pspace_opts *po);
/* Stops it; the space is closed (final checkpoint), the directory kept
 * when keep (t->dir) and removed otherwise. Returns ps_server_run's rc. */
int t_srv_stop(tsrv *t, int keep);
ps_client *t_connect(const tsrv *t, const char *token);
/* Adds the generator's atoms [0, n) for seed through c (one ADD). */
void t_add_gen(ps_client *c, uint64_t seed, uint64_t n);

/* A raw connection (blocking, 5 s timeouts), or -1. */
int t_raw(uint16_t port);
int t_send_all(int fd, const void *p, size_t n);
/* A HELLO frame with no token. */
size_t t_hello(uint8_t *out, uint64_t id);
/* Reads one frame (header into f, payload into buf[cap]); 0, or -1 at EOF
 * or on a timeout. */
int t_read_frame(int fd, ps_frame *f, uint8_t *buf, size_t cap);
/* 1 if the peer closes within 5 s (what it sends first is discarded). */
int t_closed(int fd);

#endif
