/* serve_shard.c - serve --shard-map FILE|s3://...: the shard's map, followed
 * as it changes (docs/replication.md, "Online splits"). A thread looks at
 * the file every 100 ms (a bucket's, every second); a new version is loaded, checked whole, and put in
 * force under the space's write lock; atoms the new range leaves out are
 * removed (logged) once --shard-purge-after seconds have passed, so that
 * routers still reading by the old map find them meanwhile. */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

struct shard_watch {
    ps_served *sv;
    char file[4096], self[300];
    uint32_t fixed_id;     /* --shard-id, or UINT32_MAX: found by address */
    unsigned purge_after_s;
    ps_shardmap *map;      /* in force */
    struct stat seen;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, running;
    time_t purge_at;       /* 0: nothing to purge */
    time_t asked;          /* a bucket's map: when it was last asked */
    char said[200];        /* the last failure said, said once */
};

static uint32_t id_in(const shard_watch *w, const ps_shardmap *m)
{
    return w->fixed_id != UINT32_MAX ? w->fixed_id : ps_shardmap_find(m, w->self);
}

/* 1 when the map may have changed: a file's stamp moved, or a bucket's
 * turn to be asked came (once a second: each asking is a request or two). */
static int may_have_changed(shard_watch *w)
{
    if (!strncmp(w->file, "s3://", 5)) {
        time_t now = time(NULL);
        if (w->map && now == w->asked)
            return 0;
        w->asked = now;
        return 1;
    }
    struct stat sb;
    if (stat(w->file, &sb) || (w->map && sb.st_mtim.tv_sec == w->seen.st_mtim.tv_sec &&
                               sb.st_mtim.tv_nsec == w->seen.st_mtim.tv_nsec &&
                               sb.st_ino == w->seen.st_ino && sb.st_size == w->seen.st_size))
        return 0;
    w->seen = sb;
    return 1;
}

/* Loads the map when it changed and puts a newer version in force: 1 when
 * it did. */
static int reload(shard_watch *w, int quiet)
{
    if (!may_have_changed(w))
        return 0;
    ps_shardmap *m;
    ps_diag d = { 0 };
    if (ps_shardmap_fetch(w->file, &m, &d)) { /* half written, or wrong: the old one stays */
        memset(&w->seen, 0, sizeof w->seen); /* and is read again */
        if (!quiet && strcmp(d.msg, w->said))
            fprintf(stderr, "pathspace: --shard-map %s: %s (the map in force stays)\n", w->file,
                    d.msg);
        snprintf(w->said, sizeof w->said, "%s", d.msg);
        return 0;
    }
    if (w->map && ps_shardmap_version(m) <= ps_shardmap_version(w->map)) {
        ps_shardmap_free(m);
        return 0;
    }
    uint32_t id = id_in(w, m);
    if (ps_served_set_shard(w->sv, m, id, &d)) {
        fprintf(stderr, "pathspace: --shard-map %s: %s\n", w->file, d.msg);
        ps_shardmap_free(m);
        return 0;
    }
    ps_shardmap_free(w->map); /* no check uses it past the lock set_shard took */
    w->map = m;
    if (!quiet)
        fprintf(stderr, "pathspace: shard map version %" PRIu64 " in force (%s)\n",
                ps_shardmap_version(m), id == UINT32_MAX ? "not named: standby" : "a shard");
    return 1;
}

static void *watch_main(void *arg)
{
    shard_watch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 100000000L;
        if (t.tv_nsec >= 1000000000L)
            t.tv_sec++, t.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&w->cv, &w->mu, &t);
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->mu);
        if (reload(w, 0))
            w->purge_at = time(NULL) + (time_t)w->purge_after_s;
        if (w->purge_at && time(NULL) >= w->purge_at) {
            uint64_t n = 0;
            ps_diag d = { 0 };
            w->purge_at = 0;
            if (ps_served_shard_purge(w->sv, &n, &d))
                fprintf(stderr, "pathspace: shard purge: %s\n", d.msg);
            else if (n)
                fprintf(stderr, "pathspace: removed %" PRIu64 " atoms now another shard's\n", n);
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int shard_watch_start(ps_served *sv, const char *file, uint64_t id, const char *self,
                      unsigned purge_after_s, shard_watch **out)
{
    shard_watch *w = calloc(1, sizeof *w);
    if (!w)
        return die("out of memory");
    w->sv = sv;
    snprintf(w->file, sizeof w->file, "%s", file);
    snprintf(w->self, sizeof w->self, "%s", self ? self : "");
    w->fixed_id = id == UINT64_MAX ? UINT32_MAX : (uint32_t)id;
    w->purge_after_s = purge_after_s;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (!reload(w, 1)) {
        ps_shardmap *m;
        ps_diag d = { 0 };
        int rc = ps_shardmap_load(file, &m, &d); /* say why */
        if (!rc)
            ps_shardmap_free(m);
        shard_watch_stop(w);
        return die("serve --shard-map %s: %s", file, rc ? d.msg : "cannot use it");
    }
    if (pthread_create(&w->th, NULL, watch_main, w)) {
        shard_watch_stop(w);
        return die("serve: cannot start the shard map's thread");
    }
    w->running = 1;
    *out = w;
    return 0;
}

void shard_watch_stop(shard_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->running)
        pthread_join(w->th, NULL);
    ps_served_set_shard(w->sv, NULL, 0, NULL);
    ps_shardmap_free(w->map);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
