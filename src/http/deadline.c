/*
 * deadline.c - slow clients do not hold the HTTP threads (docs/security.md,
 * "Availability").
 *
 * libmicrohttpd's own timeout counts from a connection's last byte, so a
 * client that sends one byte every few seconds (Slowloris) keeps a thread
 * for as long as it likes, and 256 of them took every thread. Here every
 * connection is tracked from the moment it opens, and one thread reaps:
 *
 *   - a request's line and headers must be in within header_timeout_s of
 *     the connection opening, or of its previous reply (a keep-alive
 *     connection that sends nothing more is closed then too);
 *   - past that, a body must keep coming at body_min_rate bytes a second on
 *     average, counted from the end of the headers;
 *   - a command that runs has no deadline here: its reply is written under
 *     libmicrohttpd's idle timeout (timeout_s).
 *
 * Reaping is shutdown(2) on the socket: the connection's own thread sees
 * its read fail and closes it as it would any broken connection. One
 * address may hold at most per_ip connections (libmicrohttpd counts them),
 * so one slow client cannot take the threads others need.
 */
#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include "common/alloc.h"
#include "http.h"

enum { PH_WAIT, PH_BODY, PH_RUN, PH_REAPED };

struct hconn {
    hconn *prev, *next;
    int fd;
    int phase;
    int64_t since;  /* ms: the wait or the body began  */
    uint64_t bytes; /* body bytes received            */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ps__dl_notify(void *cls, struct MHD_Connection *c, void **sctx,
                   enum MHD_ConnectionNotificationCode toe)
{
    ps_http *h = cls;
    hconn *k = *sctx;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci || !(k = ps_calloc(1, sizeof *k)))
            return; /* untracked: libmicrohttpd's idle timeout still holds */
        k->fd = ci->connect_fd;
        k->since = mono_ms();
        pthread_mutex_lock(&h->cmu);
        k->next = h->conns;
        if (h->conns)
            h->conns->prev = k;
        h->conns = k;
        pthread_mutex_unlock(&h->cmu);
        *sctx = k;
        return;
    }
    if (!k)
        return;
    pthread_mutex_lock(&h->cmu); /* before its socket closes: never a reused fd */
    if (k->prev)
        k->prev->next = k->next;
    else
        h->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&h->cmu);
    free(k);
    *sctx = NULL;
}

static hconn *of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void ps__dl_phase(ps_http *h, struct MHD_Connection *c, int what, uint64_t bytes)
{
    hconn *k = of(c);
    if (!k)
        return;
    pthread_mutex_lock(&h->cmu);
    if (k->phase != PH_REAPED) {
        if (what == DL_HEADERS) {
            k->phase = PH_BODY;
            k->since = mono_ms();
            k->bytes = 0;
        } else if (what == DL_BODY)
            k->bytes += bytes;
        else if (what == DL_RUN)
            k->phase = PH_RUN;
        else {
            k->phase = PH_WAIT;
            k->since = mono_ms();
        }
    }
    pthread_mutex_unlock(&h->cmu);
}

/* 1 if k is past its deadline at now. */
static int late(const ps_http *h, const hconn *k, int64_t now)
{
    int64_t grace = (int64_t)h->o.header_timeout_s * 1000, t = now - k->since;
    if (k->phase == PH_WAIT)
        return t > grace;
    if (k->phase == PH_BODY)
        return t > grace && k->bytes * 1000 < (uint64_t)h->o.body_min_rate * (uint64_t)t;
    return 0;
}

static void *reaper(void *arg)
{
    ps_http *h = arg;
    pthread_mutex_lock(&h->cmu);
    while (!h->reaper_stop) {
        int64_t now = mono_ms();
        for (hconn *k = h->conns; k; k = k->next)
            if (late(h, k, now)) {
                shutdown(k->fd, SHUT_RDWR);
                k->phase = PH_REAPED;
                h->reaped++;
            }
        struct timespec ts;
        ps__deadline_ms(&ts, CLOCK_MONOTONIC, 200); /* a deadline is kept to 0.2 s */
        pthread_cond_timedwait(&h->ccv, &h->cmu, &ts);
    }
    pthread_mutex_unlock(&h->cmu);
    return NULL;
}

int ps__dl_start(ps_http *h)
{
    pthread_mutex_init(&h->cmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->ccv, &ca);
    pthread_condattr_destroy(&ca);
    h->reaper_on = !pthread_create(&h->reaper, NULL, reaper, h);
    return h->reaper_on ? 0 : -1;
}

static void dl_stop(ps_http *h)
{
    if (h->reaper_on) {
        pthread_mutex_lock(&h->cmu);
        h->reaper_stop = 1;
        pthread_cond_signal(&h->ccv);
        pthread_mutex_unlock(&h->cmu);
        pthread_join(h->reaper, NULL);
        h->reaper_on = 0;
    }
}

void ps__dl_free(ps_http *h)
{
    dl_stop(h);
    pthread_cond_destroy(&h->ccv);
    pthread_mutex_destroy(&h->cmu);
}
