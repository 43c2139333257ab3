/*
 * target.c - the two targets this layer has itself (exec.h): a space in
 * memory, and a persistent space, where each step is one logged change
 * (recovery replays a step whole or not at all).
 */
#include <stdlib.h>

#include "exec.h"

int ps__exec_each_change(const exec_writes *w, exec_change_fn fn, void *ctx)
{
    int rc = PS_OK;
    if (w->x.len)
        rc = fn(ctx, EXEC_OP_REMOVE, w->x);
    if (!rc && w->adds && ps_space_count(w->adds)) {
        ps_iter *it;
        ps_bytes p;
        if (ps_iter_new(w->adds, ps_bytes_of(NULL, 0), &it))
            return PS_E_NOMEM;
        while (!rc && ps_iter_next(it, &p, NULL, NULL) == PS_OK)
            rc = fn(ctx, EXEC_OP_ADD, p);
        ps_iter_free(it);
    }
    for (size_t at = 0; !rc && at < w->ops_len;) {
        uint32_t n = ps_read_le32(w->ops + at + 1);
        rc = fn(ctx, w->ops[at], ps_bytes_of(w->ops + at + 5, n));
        at += 5 + (size_t)n;
    }
    return rc;
}

/* ------------------------------------------------------------- in memory */

typedef struct mem {
    ps_space *s;
    ps_exec_stats *st;
} mem;

static const ps_space *mem_begin(void *ctx)
{
    return ((mem *)ctx)->s;
}

static void mem_end(void *ctx)
{
    (void)ctx;
}

static int mem_put(void *ctx, int op, ps_bytes a)
{
    mem *m = ctx;
    int changed = 0;
    int rc = op == EXEC_OP_ADD ? ps_space_insert(m->s, a, &changed)
                               : ps_space_remove(m->s, a, &changed);
    if (op == EXEC_OP_ADD)
        m->st->added += (uint64_t)changed;
    else
        m->st->removed += (uint64_t)changed;
    return rc;
}

/* Many adds beside the space go in as one merge (linear in both, cheaper
 * than as many searches once they are many); else one by one. */
static int mem_apply(void *ctx, const exec_writes *w, ps_exec_stats *st)
{
    mem *m = ctx;
    m->st = st;
    uint64_t n = w->adds ? ps_space_count(w->adds) : 0, before = ps_space_count(m->s);
    if (n <= 4096 || n * 4 <= before)
        return ps__exec_each_change(w, mem_put, m);
    exec_writes head = { w->x, NULL, NULL, 0 }, tail = { { NULL, 0 }, NULL, w->ops, w->ops_len };
    int rc = ps__exec_each_change(&head, mem_put, m);
    if (!rc) {
        before = ps_space_count(m->s);
        rc = ps_space_union(m->s, w->adds);
        st->added += ps_space_count(m->s) - before;
    }
    return rc ? rc : ps__exec_each_change(&tail, mem_put, m);
}

int ps_space_exec(ps_space *s, const ps_exec_opts *o, ps_exec_stats *st, ps_diag *d)
{
    mem m = { s, NULL };
    exec_target t = { mem_begin, mem_apply, mem_end, &m, { NULL, 0 } };
    return ps__exec_run(&t, o, st, d);
}

/* ------------------------------------------------------ a persistent space */

typedef struct disk {
    ps_pspace *p;
    ps_pspace_change *c;
    size_t n, cap;
} disk;

static const ps_space *disk_begin(void *ctx)
{
    return ps_pspace_space(((disk *)ctx)->p);
}

static int disk_take(void *ctx, int op, ps_bytes a)
{
    disk *k = ctx;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 64;
        ps_pspace_change *c = realloc(k->c, cap * sizeof *c);
        if (!c)
            return PS_E_NOMEM;
        k->c = c, k->cap = cap;
    }
    k->c[k->n++] = (ps_pspace_change){ op == EXEC_OP_ADD ? PS_PSPACE_ADD : PS_PSPACE_REMOVE, a };
    return PS_OK;
}

static int put_op(void *ctx, int op, ps_bytes a)
{
    ps_buf *b = ctx;
    uint8_t h[5];
    h[0] = (uint8_t)op;
    ps_write_le32(h + 1, (uint32_t)a.len);
    return ps_buf_append(b, h, 5) || ps_buf_append(b, a.ptr, a.len) ? PS_E_NOMEM : PS_OK;
}

/* The step as one logged change. The adds' iterator lends its paths only
 * until its next call, so every change is copied into one buffer first. */
static int disk_apply(void *ctx, const exec_writes *w, ps_exec_stats *st)
{
    disk *k = ctx;
    ps_buf all = { 0 };
    int rc = ps__exec_each_change(w, put_op, &all);
    k->n = 0;
    const uint8_t *p = ps_buf_data(&all);
    for (size_t at = 0; !rc && at < all.len;) {
        uint32_t n = ps_read_le32(p + at + 1);
        rc = disk_take(k, p[at], ps_bytes_of(p + at + 5, n));
        at += 5 + (size_t)n;
    }
    uint64_t changed = 0, before = ps_space_count(ps_pspace_space(k->p));
    if (!rc && k->n)
        rc = ps_pspace_apply(k->p, k->c, k->n, &changed);
    /* added - removed is the growth, added + removed the changes */
    int64_t grew = (int64_t)(ps_space_count(ps_pspace_space(k->p)) - before);
    st->added += (uint64_t)(((int64_t)changed + grew) / 2);
    st->removed += (uint64_t)(((int64_t)changed - grew) / 2);
    ps_buf_free(&all);
    return rc;
}

int ps_pspace_exec(ps_pspace *p, const ps_exec_opts *o, ps_exec_stats *st, ps_diag *d)
{
    disk k = { p, NULL, 0, 0 };
    exec_target t = { disk_begin, disk_apply, mem_end, &k, { NULL, 0 } };
    int rc = ps__exec_run(&t, o, st, d);
    free(k.c);
    return rc;
}
