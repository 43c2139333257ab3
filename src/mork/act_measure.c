/*
 * act_measure.c - how many keys a subtrie of an ACT holds, and how many
 * bytes they add up to, in time linear in its records.
 *
 * A file may share subtries (PathMap's from_zipper_cached writes a shared
 * subtrie once; a hostile file can nest sharing so that 658 bytes hold 2^63
 * keys), so walking keys is no way to count them. Instead: one walk marks
 * the records reached more than once (ps__act_walk, which also checks every
 * record), then a post-order walk sums each record's children, remembering
 * the sums of the shared records only, so each record is summed once.
 *
 *   line  L bytes, value?, child c:  keys = value + keys(c)
 *                                    bytes = value * L + bytes(c) + keys(c) * L
 *   branch  value?, children c_i:    keys = value + sum keys(c_i)
 *                                    bytes = sum (bytes(c_i) + keys(c_i))
 *
 * Sums saturate at UINT64_MAX: a count that large is reported as such, and
 * refused by every reader's budget.
 */
#include <pthread.h>
#include <stdlib.h>

#include "act.h"
#include "act_read.h"
#include "act_walk.h"
#include "common/alloc.h"
#include "common/diag.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t c;
    return __builtin_add_overflow(a, b, &c) ? UINT64_MAX : c;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t c;
    return __builtin_mul_overflow(a, b, &c) ? UINT64_MAX : c;
}

unsigned ps__act_nkids(const act_rec *r)
{
    if (r->is_line || r->nkids < ACT_MASKED)
        return r->is_line ? 0 : r->nkids;
    unsigned n = 0;
    for (int i = 0; i < 4; i++)
        n += (unsigned)__builtin_popcountll(ps_read_le64(r->kids + 8 * i));
    return n;
}

/* ----------------------------------------- sums of the shared records */

typedef struct memo_slot {
    uint64_t off, keys, bytes; /* off 0: empty (records start at 16 or later) */
} memo_slot;

typedef struct memo {
    memo_slot *t;
    uint64_t mask;
} memo;

static int memo_init(memo *m, uint64_t n)
{
    uint64_t cap = 16;
    while (cap < 2 * n && cap < (1ull << 40))
        cap <<= 1;
    m->mask = cap - 1;
    m->t = ps_calloc((size_t)cap, sizeof *m->t);
    return m->t ? PS_OK : PS_E_NOMEM;
}

static memo_slot *memo_find(const memo *m, uint64_t off)
{
    uint64_t i = (off * 0x9E3779B97F4A7C15ull) >> 20 & m->mask;
    while (m->t[i].off && m->t[i].off != off)
        i = (i + 1) & m->mask;
    return &m->t[i];
}

/* --------------------------------------------------------- the walk */

typedef struct mframe {
    act_rec r;
    uint64_t next;        /* the next child record to sum              */
    unsigned left;        /* children left                             */
    uint64_t keys, bytes; /* the children summed so far, edges included */
} mframe;

PS_VEC_DEFINE(mframe_vec, mframe)

static int is_shared(const act_walk *w, uint64_t off)
{
    return w->shared[off >> 3] >> (off & 7) & 1;
}

static void frame_of(mframe *f, const act_rec *r)
{
    f->r = *r;
    f->next = r->child;
    f->left = r->is_line ? r->has_child : ps__act_nkids(r);
    f->keys = f->bytes = 0;
}

/* Adds a child's sums to its parent's, with the edge bytes. */
static void fold(mframe *f, uint64_t keys, uint64_t bytes)
{
    uint64_t edge = f->r.is_line ? f->r.line_len : 1;
    f->keys = sat_add(f->keys, keys);
    f->bytes = sat_add(f->bytes, sat_add(bytes, sat_mul(keys, edge)));
}

static int sum_walk(const act_walk *w, memo *m, uint64_t off, uint64_t limit, uint64_t *keys,
                    uint64_t *bytes, ps_diag *d)
{
    mframe_vec st = { 0 };
    act_rec r;
    int rc = ps__act_parse(w->a, off, limit, &r, d);
    if (!rc && !mframe_vec_extend_uninit(&st, 1, &rc))
        rc = rc ? rc : PS_E_NOMEM;
    if (!rc)
        frame_of(&st.data[0], &r);
    while (!rc && st.len) {
        mframe *f = &st.data[st.len - 1];
        if (!f->left) { /* done: its own value, then up */
            uint64_t k = f->keys, b = f->bytes;
            if (f->r.has_value) {
                k = sat_add(k, 1);
                b = sat_add(b, f->r.is_line ? f->r.line_len : 0);
            }
            if (is_shared(w, f->r.off)) {
                memo_slot *s = memo_find(m, f->r.off);
                *s = (memo_slot){ f->r.off, k, b };
            }
            if (--st.len == 0) {
                *keys = k;
                *bytes = b;
            } else {
                fold(&st.data[st.len - 1], k, b);
            }
            continue;
        }
        uint64_t c = f->next, parent = f->r.off;
        f->left--;
        if (!f->r.is_line) /* the next sibling, stepped over (the walk checked it) */
            f->next = f->left ? act_skip(w->a, c, parent) : 0;
        if (is_shared(w, c)) {
            memo_slot *s = memo_find(m, c);
            if (s->off) {
                fold(f, s->keys, s->bytes);
                continue;
            }
        }
        if ((rc = ps__act_parse(w->a, c, parent, &r, d)))
            break;
        mframe *n = mframe_vec_extend_uninit(&st, 1, &rc);
        if (!n)
            rc = rc ? rc : PS_E_NOMEM;
        else
            frame_of(n, &r);
    }
    mframe_vec_free(&st);
    return rc;
}

int ps__act_measure_at(const ps_act *a, uint64_t off, uint64_t limit, uint64_t *keys,
                       uint64_t *bytes, ps_diag *d)
{
    act_walk w;
    memo m = { 0 };
    int rc = ps__act_walk(&w, a, off, limit, 1, d);
    if (!rc && (rc = memo_init(&m, w.nshared)))
        ps__diag_set(d, rc, NULL, 0, "out of memory counting keys");
    if (!rc)
        rc = sum_walk(&w, &m, off, limit, keys, bytes, d);
    free(m.t);
    ps__act_walk_free(&w);
    return rc;
}

int ps__act_measure(const ps_act *a, uint64_t *keys, uint64_t *bytes, ps_diag *d)
{
    ps_act *m = (ps_act *)a; /* the cache is the handle's only mutable part */
    pthread_mutex_lock(&m->mu);
    if (!m->measured) {
        m->mrc = ps__act_measure_at(a, a->root, a->arena_end, &m->keys, &m->bytes, &m->md);
        m->measured = 1;
    }
    int rc = m->mrc;
    *keys = m->keys;
    *bytes = m->bytes;
    if (rc && d)
        *d = m->md;
    pthread_mutex_unlock(&m->mu);
    return rc;
}
