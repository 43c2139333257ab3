/*
 * snap_space.c - writing a whole space as a snapshot, with the trie walk
 * on a thread of its own.
 *
 * Walking a trie built by inserts is mostly cache misses (its nodes and
 * edge bytes lie in insertion order, not key order): for 1M generated
 * atoms the walk alone takes longer than compressing the result. So a
 * feeder thread walks the space and packs paths into a small ring of
 * blocks while the caller's thread front-codes them and the pool
 * compresses: the walk, the encoding and the codec overlap. The paths
 * reach the writer in the same order as before, so the bytes written do
 * not change; memory grows by FEED_BLOCKS x FEED_BLOCK.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/opts.h"
#include "common/workers.h"
#include "snap.h"

#define FEED_BLOCK (256u << 10)
#define FEED_BLOCKS 4

/* A block holds records  u32 len | u8 has_value | [u64 value] | bytes. */
typedef struct feed {
    const ps_space *s;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ps_buf blk[FEED_BLOCKS];
    unsigned head, count; /* ring: blocks ready for the consumer */
    int done, stop, rc;
} feed;

/* Producer side: hands the filled block over, waits for a free one. */
static int feed_push(feed *f, unsigned *tail)
{
    pthread_mutex_lock(&f->mu);
    f->count++;
    pthread_cond_broadcast(&f->cv);
    while (f->count == FEED_BLOCKS && !f->stop)
        pthread_cond_wait(&f->cv, &f->mu);
    int stop = f->stop;
    pthread_mutex_unlock(&f->mu);
    *tail = (*tail + 1) % FEED_BLOCKS;
    ps_buf_clear(&f->blk[*tail], 0);
    return stop;
}

static int feed_walk(feed *f)
{
    ps_iter *it;
    ps_bytes p;
    int hv, rc = ps_iter_new(f->s, ps_bytes_of(NULL, 0), &it);
    uint64_t v;
    unsigned tail = 0;
    if (rc)
        return rc;
    while ((rc = ps_iter_next(it, &p, &hv, &v)) == PS_OK) {
        ps_buf *b = &f->blk[tail];
        uint8_t *o = ps_buf_append_uninit(b, 13 + p.len, &rc);
        if (!o)
            break;
        ps_write_le32(o, (uint32_t)p.len);
        o[4] = (uint8_t)hv;
        ps_write_le64(o + 5, v);
        if (p.len)
            memcpy(o + 13, p.ptr, p.len);
        if (b->len >= FEED_BLOCK && feed_push(f, &tail))
            break;
    }
    ps_iter_free(it);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}

static void *feed_main(void *arg)
{
    feed *f = arg;
    int rc = feed_walk(f);
    pthread_mutex_lock(&f->mu);
    if (!f->stop && f->blk[(f->head + f->count) % FEED_BLOCKS].len)
        f->count++; /* the last, partly filled block */
    f->rc = rc;
    f->done = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Consumer side: the next block, or NULL at the end (f->rc says why). */
static ps_buf *feed_take(feed *f)
{
    pthread_mutex_lock(&f->mu);
    while (!f->count && !f->done)
        pthread_cond_wait(&f->cv, &f->mu);
    ps_buf *b = f->count ? &f->blk[f->head] : NULL;
    pthread_mutex_unlock(&f->mu);
    return b;
}

static void feed_release(feed *f)
{
    pthread_mutex_lock(&f->mu);
    f->head = (f->head + 1) % FEED_BLOCKS;
    f->count--;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void feed_stop(feed *f)
{
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->th, NULL);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    for (int i = 0; i < FEED_BLOCKS; i++)
        ps_buf_free(&f->blk[i]);
}

/* Every record of every block into the writer. */
static int feed_drain(feed *f, ps_snap_writer *w)
{
    ps_buf *b;
    int rc = PS_OK;
    while (!rc && (b = feed_take(f))) {
        const uint8_t *p = ps_buf_data(b), *end = p + b->len;
        while (!rc && p < end) {
            uint32_t n = ps_read_le32(p);
            ps_bytes path = ps_bytes_of(p + 13, n);
            rc = p[4] ? ps_snap_writer_add_value(w, path, ps_read_le64(p + 5))
                      : ps_snap_writer_add(w, path);
            p += 13 + (size_t)n;
        }
        feed_release(f);
    }
    return rc ? rc : f->rc;
}

/* 1 if the feeder thread runs; 0 (nothing left behind) if it cannot. */
static int feed_start(feed *f)
{
    if (pthread_mutex_init(&f->mu, NULL))
        return 0;
    if (!pthread_cond_init(&f->cv, NULL)) {
        if (!pthread_create(&f->th, NULL, feed_main, f))
            return 1;
        pthread_cond_destroy(&f->cv);
    }
    pthread_mutex_destroy(&f->mu);
    return 0; /* the caller walks the space itself */
}

/* One thread: the plain walk. */
static int walk_here(const ps_space *s, ps_snap_writer *w)
{
    ps_iter *it;
    ps_bytes p;
    int hv, rc = ps_iter_new(s, ps_bytes_of(NULL, 0), &it);
    uint64_t v;
    if (rc)
        return rc;
    while ((rc = ps_iter_next(it, &p, &hv, &v)) == PS_OK)
        if ((rc = hv ? ps_snap_writer_add_value(w, p, v) : ps_snap_writer_add(w, p)))
            break;
    ps_iter_free(it);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}

int ps_space_write_snap(const ps_space *s, ps_sink out, const ps_snap_opts *o,
                        ps_snap_info *info)
{
    ps_snap_opts opts;
    ps_snap_opts_init(&opts);
    int rc = ps__opts_copy(&opts, sizeof opts, o);
    if (rc)
        return rc;
    ps_space_stats st;
    ps_space_stats_get(s, &st);
    if (!opts.size_hint)
        opts.size_hint = st.path_bytes;
    ps_snap_writer *w;
    rc = ps_snap_writer_new(out, &opts, &w);
    if (rc)
        return rc;
    feed f = { .s = s };
    /* threads 1 means this thread alone (a forked child starts none) */
    int threaded = opts.threads != 1 && ps__cpu_count() > 1 && st.paths > 4096 && feed_start(&f);
    if (threaded) {
        rc = feed_drain(&f, w);
        feed_stop(&f);
    } else {
        rc = walk_here(s, w);
    }
    if (!rc)
        rc = ps_snap_writer_finish(w, info);
    ps_snap_writer_free(w);
    return rc;
}
