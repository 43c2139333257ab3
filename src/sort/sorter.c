/*
 * sorter.c - external sort of paths (pathspace.h, docs/sort.md).
 *
 * Adding appends the path to the run's byte buffer and an entry (offset,
 * length) to its index. When the two pass mem_bytes the index is sorted
 * (qsort_r over the bytes) and written as a snapshot into a file that is
 * unlinked at once and read back through /proc/self/fd, so no run outlives
 * the process. The end merges the runs on disk and the last run, still in
 * memory, with a binary heap; equal paths from several runs come out once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/opts.h"
#include "pathspace.h"

typedef struct ent {
    uint64_t off;
    uint32_t len;
} ent;

PS_VEC_DEFINE(ent_vec, ent)

/* A sorted source: a run on disk (snap, it) or the run in memory (at). */
typedef struct run {
    ps_snap *snap;
    ps_snap_iter *it;
    uint64_t at;
    ps_bytes cur;
} run;

PS_VEC_DEFINE(run_vec, run)

struct ps_sorter {
    ps_sorter_opts o;
    char dir[4096];
    ps_buf bytes;        /* the run being filled */
    ent_vec ents;
    run_vec runs;        /* on disk, then (merging) the one in memory last */
    uint32_t *heap, nheap;
    int merging, pending; /* pending: the run whose head went out last */
    ps_buf last;         /* the path that went out last */
    int any, err;        /* err: a failure of the merge, returned from then on */
    uint64_t paths;
};

void ps_sorter_opts_init(ps_sorter_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->mem_bytes = 1ull << 30;
}

int ps_sorter_new(const ps_sorter_opts *opts, ps_sorter **out)
{
    ps_sorter_opts o;
    ps_sorter_opts_init(&o);
    int rc = ps__opts_copy(&o, sizeof o, opts);
    if (rc)
        return rc;
    const char *dir = o.tmp_dir ? o.tmp_dir : getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if (strlen(dir) + 32 > sizeof((ps_sorter *)0)->dir || o.mem_bytes < 4096)
        return PS_E_INVAL;
    ps_sorter *s = ps_calloc(1, sizeof *s);
    if (!s)
        return PS_E_NOMEM;
    s->o = o;
    s->o.tmp_dir = NULL; /* the caller's string is not kept */
    strcpy(s->dir, dir);
    s->pending = -1;
    *out = s;
    return PS_OK;
}

static ps_bytes ent_bytes(const ps_sorter *s, const ent *e)
{
    /* empty paths only: the buffer may have no memory yet */
    return e->len ? ps_bytes_of(ps_buf_data(&s->bytes) + e->off, e->len) : ps_bytes_of(NULL, 0);
}

static int ent_cmp(const void *a, const void *b, void *ctx)
{
    const ps_sorter *s = ctx;
    return ps_bytes_cmp(ent_bytes(s, a), ent_bytes(s, b));
}

/* Writes the sorted run, distinct, to an unlinked file, and opens it. */
static int spill(ps_sorter *s)
{
    char name[4200];
    snprintf(name, sizeof name, "%s/ps-sort-XXXXXX", s->dir);
    int fd = mkstemp(name), rc;
    if (fd < 0)
        return PS_E_IO;
    unlink(name);
    ps_snap_opts so;
    ps_snap_opts_init(&so);
    so.codec = PS_CODEC_LZ4; /* a run is read once, soon: speed over size */
    so.threads = s->o.threads;
    ps_snap_writer *w;
    if ((rc = run_vec_reserve(&s->runs, 1)) || (rc = ps_snap_writer_new(ps_sink_fd(fd), &so, &w))) {
        close(fd);
        return rc;
    }
    for (uint32_t i = 0; i < s->ents.len && !rc; i++) {
        ps_bytes p = ent_bytes(s, &s->ents.data[i]);
        if (i == 0 || ps_bytes_cmp(p, ent_bytes(s, &s->ents.data[i - 1])))
            rc = ps_snap_writer_add(w, p);
    }
    if (!rc)
        rc = ps_snap_writer_finish(w, NULL);
    ps_snap_writer_free(w);
    run r = { 0 };
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    if (!rc && !(rc = ps_snap_open(name, &r.snap, NULL)))
        s->runs.data[s->runs.len++] = r;
    close(fd); /* the mapping keeps the file */
    if (rc)
        return rc;
    s->bytes.len = 0;
    s->ents.len = 0;
    return PS_OK;
}

static void sort_run(ps_sorter *s)
{
    if (s->ents.len > 1)
        qsort_r(s->ents.data, s->ents.len, sizeof(ent), ent_cmp, s);
}

int ps_sorter_add(ps_sorter *s, ps_bytes path)
{
    if (s->merging || s->err)
        return s->err ? s->err : PS_E_INVAL;
    if (path.len > PS_SNAP_CHUNK_MAX - 16)
        return PS_E_LIMIT;
    uint64_t used = s->bytes.len + (uint64_t)s->ents.len * sizeof(ent);
    int rc;
    if (s->ents.len && (used + path.len + sizeof(ent) > s->o.mem_bytes ||
                        s->ents.len == PS_VEC_MAX_LEN)) {
        sort_run(s);
        if ((rc = spill(s)))
            return s->err = rc; /* a run may be half written: no more adding */
    }
    ent e = { s->bytes.len, (uint32_t)path.len };
    if ((rc = ent_vec_reserve(&s->ents, 1)) || (rc = ps_buf_append(&s->bytes, path.ptr, path.len)))
        return rc;
    s->ents.data[s->ents.len++] = e;
    s->paths++;
    return PS_OK;
}

/* Moves run r to its next path; 0 when it has none (or on an error). */
static int advance(ps_sorter *s, run *r, int *rc, ps_diag *d)
{
    if (!r->snap) {
        if (r->at >= s->ents.len)
            return 0;
        r->cur = ent_bytes(s, &s->ents.data[r->at++]);
        return 1;
    }
    *rc = ps_snap_iter_next(r->it, &r->cur, NULL, NULL, d);
    if (*rc == PS_E_EMPTY)
        *rc = PS_OK;
    else if (*rc == PS_OK)
        return 1;
    return 0;
}

static int less(const ps_sorter *s, uint32_t a, uint32_t b)
{
    return ps_bytes_cmp(s->runs.data[a].cur, s->runs.data[b].cur) < 0;
}

static void sift_down(ps_sorter *s, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < s->nheap && less(s, s->heap[l], s->heap[m]))
            m = l;
        if (l + 1 < s->nheap && less(s, s->heap[l + 1], s->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

/* Ends the input: the last run joins the merge in memory (sorted, and
 * read in place), every run gets its first path, and the heap is built. */
static int start_merge(ps_sorter *s, ps_diag *d)
{
    int rc = PS_OK;
    sort_run(s);
    if ((rc = run_vec_reserve(&s->runs, 1)))
        return rc;
    run mem = { 0 };
    s->runs.data[s->runs.len++] = mem;
    s->heap = ps_malloc((size_t)s->runs.len * sizeof *s->heap);
    if (!s->heap)
        return PS_E_NOMEM;
    for (uint32_t i = 0; i < s->runs.len; i++) {
        run *r = &s->runs.data[i];
        if (r->snap && (rc = ps_snap_iter_new(r->snap, ps_bytes_of(NULL, 0), &r->it)))
            return rc;
        if (advance(s, r, &rc, d))
            s->heap[s->nheap++] = i;
        else if (rc)
            return rc;
    }
    for (uint32_t i = s->nheap / 2; i-- > 0;)
        sift_down(s, i);
    s->merging = 1;
    return PS_OK;
}

/* Moves the heap's top run on: its next path, or out of the heap. */
static int pop_top(ps_sorter *s, ps_diag *d)
{
    int rc = PS_OK;
    if (!advance(s, &s->runs.data[s->heap[0]], &rc, d)) {
        if (rc)
            return rc;
        s->heap[0] = s->heap[--s->nheap];
    }
    if (s->nheap)
        sift_down(s, 0);
    return PS_OK;
}

static int next(ps_sorter *s, ps_bytes *path, ps_diag *d)
{
    int rc;
    if (!s->merging) {
        s->merging = 1;
        if ((rc = start_merge(s, d)))
            return rc;
    }
    if (s->pending >= 0) { /* the last path went out: its run moves on */
        s->pending = -1;
        if ((rc = pop_top(s, d)))
            return rc;
    }
    while (s->nheap) {
        ps_bytes p = s->runs.data[s->heap[0]].cur;
        if (!s->any || ps_bytes_cmp(p, ps_buf_bytes(&s->last))) {
            ps_buf_clear(&s->last, 0);
            if ((rc = ps_buf_append(&s->last, p.ptr, p.len)))
                return rc;
            s->any = 1;
            s->pending = (int)s->heap[0];
            *path = p;
            return PS_OK;
        }
        if ((rc = pop_top(s, d))) /* the same path from another run */
            return rc;
    }
    return PS_E_EMPTY;
}

int ps_sorter_next(ps_sorter *s, ps_bytes *path, ps_diag *d)
{
    if (s->err)
        return s->err;
    int rc = next(s, path, d);
    if (rc != PS_OK && rc != PS_E_EMPTY)
        s->err = rc;
    return rc;
}

void ps_sorter_counts(const ps_sorter *s, uint64_t *paths, uint32_t *runs)
{
    if (paths)
        *paths = s->paths;
    if (runs)
        /* the runs on disk: every run but the one in memory, last once merging */
        *runs = s->runs.len - (s->runs.len && !s->runs.data[s->runs.len - 1].snap);
}

void ps_sorter_free(ps_sorter *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->runs.len; i++) {
        ps_snap_iter_free(s->runs.data[i].it);
        ps_snap_close(s->runs.data[i].snap);
    }
    run_vec_free(&s->runs);
    ent_vec_free(&s->ents);
    ps_buf_free(&s->bytes);
    ps_buf_free(&s->last);
    free(s->heap);
    free(s);
}
