/*
 * act_iter.c - ordered walks over an ACT in place: iteration under a prefix,
 * counting, and loading into a space.
 *
 * The walk keeps one frame per branch being listed (next sibling record,
 * next child byte) and the path so far. A branch's value comes before its
 * children and children come in byte order, and ps__act_parse() rejects
 * unordered child bytes and the never-written line-with-value-and-child
 * header, so keys come out strictly increasing from any file it accepts.
 */
#include <stdlib.h>

#include "act.h"
#include "act_read.h"
#include "act_walk.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "common/limits.h"

typedef struct frame {
    uint64_t parent, next, depth; /* branch offset; next child record; path length */
    const uint8_t *kids;
    uint16_t nkids, i; /* list: next index; mask: next byte to test */
} frame;

PS_VEC_DEFINE(frame_vec, frame)

struct ps_act_iter {
    const ps_act *a;
    frame_vec st;
    ps_buf path;
    int want_path, has_pending, err;
    uint64_t pending, depth; /* depth: path length when the path is not kept */
    ps_diag errd;
};

static int path_put(ps_act_iter *it, uint64_t depth, const uint8_t *p, uint64_t n)
{
    if (depth + n > it->a->max_atom)
        return ps__diag_set(&it->errd, PS_E_LIMIT, NULL, 0,
                            "a key longer than the atom limit of %llu bytes (raise it with "
                            "--max-atom)", (unsigned long long)it->a->max_atom);
    it->depth = depth + n;
    if (!it->want_path)
        return PS_OK;
    if (it->depth > UINT32_MAX)
        return PS_E_LIMIT;
    it->path.len = (size_t)depth;
    return ps_buf_append(&it->path, p, (size_t)n);
}

/* Takes record r, starting at path depth `depth`: follows lines, notes a
 * value to hand out, and pushes a frame for a branch with children. */
static int enter(ps_act_iter *it, act_rec r, uint64_t depth, ps_diag *d)
{
    int rc;
    while (r.is_line) {
        if ((rc = path_put(it, depth, r.line, r.line_len)))
            return rc;
        depth += r.line_len;
        if (r.has_value) {
            it->pending = r.value;
            it->has_pending = 1;
        }
        if (!r.has_child)
            return PS_OK;
        if ((rc = ps__act_parse(it->a, r.child, r.off, &r, d)))
            return rc;
    }
    if ((rc = path_put(it, depth, NULL, 0)))
        return rc;
    if (r.has_value) {
        it->pending = r.value;
        it->has_pending = 1;
    }
    if (!r.nkids)
        return PS_OK;
    frame f = { r.off, r.child, depth, r.kids, (uint16_t)r.nkids, 0 };
    return frame_vec_push(&it->st, f);
}

/* The next child byte of frame f, or -1 when it has none left. */
static int next_kid(frame *f)
{
    if (f->nkids < ACT_MASKED)
        return f->i < f->nkids ? f->kids[f->i++] : -1;
    for (; f->i < 256; f->i++)
        if (f->kids[f->i >> 3] >> (f->i & 7) & 1)
            return f->i++;
    return -1;
}

static int step(ps_act_iter *it, ps_diag *d)
{
    frame *f = frame_vec_ptr(&it->st, it->st.len - 1);
    int x = next_kid(f);
    if (x < 0) {
        it->st.len--;
        return PS_OK;
    }
    act_rec r;
    uint8_t b = (uint8_t)x;
    uint64_t depth = f->depth;
    int rc = ps__act_parse(it->a, f->next, f->parent, &r, d);
    if (rc)
        return rc;
    f->next = r.end;
    if ((rc = path_put(it, depth, &b, 1)))
        return rc;
    return enter(it, r, depth + 1, d);
}

/* Finds the record whose keys are exactly those under prefix (it may start
 * before the prefix ends, inside a line). *r unset (off 0) if none. */
static int descend(const ps_act *a, ps_bytes pre, act_rec *r, uint64_t *depth,
                   uint64_t *limit, ps_diag *d)
{
    act_rec parent;
    uint64_t k = 0;
    *limit = a->arena_end;
    int rc = ps__act_parse(a, a->root, a->arena_end, r, d);
    while (!rc) {
        if (r->is_line) {
            uint64_t n = pre.len - k < r->line_len ? pre.len - k : r->line_len;
            if (n && memcmp(pre.ptr + k, r->line, n))
                break;
            if (k + r->line_len >= pre.len) {
                *depth = k;
                return PS_OK;
            }
            if (!r->has_child)
                break;
            k += r->line_len;
            *limit = r->off;
            rc = ps__act_parse(a, r->child, r->off, r, d);
        } else {
            if (k == pre.len) {
                *depth = k;
                return PS_OK;
            }
            int idx = ps__act_kid_index(r, pre.ptr[k++]);
            if (idx < 0)
                break;
            parent = *r;
            *limit = parent.off;
            rc = ps__act_kid(a, &parent, idx, r, d);
        }
    }
    r->off = 0;
    return rc;
}

/* The keys under r (found at depth, ending by limit) fit the decoding
 * budget: what the walk will hand out is known before it starts. */
static int check_budget(const ps_act *a, const act_rec *r, uint64_t depth, uint64_t limit,
                        uint64_t *keys, ps_diag *d)
{
    uint64_t bytes, cost;
    int rc = r->off == a->root ? ps__act_measure(a, keys, &bytes, d)
                               : ps__act_measure_at(a, r->off, limit, keys, &bytes, d);
    if (rc)
        return rc;
    if (__builtin_mul_overflow(*keys, (uint64_t)PS_PATH_COST + depth, &cost) ||
        __builtin_add_overflow(cost, bytes, &cost) || cost > a->budget)
        return ps__diag_set(d, PS_E_LIMIT, NULL, r->off,
                            "%llu keys of %llu bytes in all, over the decoding budget of %llu "
                            "bytes for a %zu-byte file (shared subtries?); raise it with "
                            "--max-expansion", (unsigned long long)*keys,
                            (unsigned long long)bytes, (unsigned long long)a->budget, a->len);
    return PS_OK;
}

static int iter_new(const ps_act *a, ps_bytes prefix, int want_path, ps_act_iter **out,
                    ps_diag *d)
{
    ps_act_iter *it = ps_calloc(1, sizeof *it);
    if (!it)
        return PS_E_NOMEM;
    it->a = a;
    it->want_path = want_path;
    act_rec r;
    uint64_t depth, limit, keys;
    int rc = descend(a, prefix, &r, &depth, &limit, d);
    if (!rc && r.off && !(rc = check_budget(a, &r, depth, limit, &keys, d))) {
        rc = path_put(it, 0, prefix.ptr, depth);
        if (!rc)
            rc = enter(it, r, depth, d);
        if (rc == PS_E_LIMIT && d)
            *d = it->errd;
    }
    if (rc) {
        ps_act_iter_free(it);
        return rc;
    }
    *out = it;
    return PS_OK;
}

int ps_act_iter_new(const ps_act *a, ps_bytes prefix, ps_act_iter **out)
{
    ps_diag d;
    ps_act_iter *it;
    int rc = iter_new(a, prefix, 1, &it, &d);
    if (rc == PS_OK || rc == PS_E_NOMEM) {
        *out = rc ? NULL : it;
        return rc;
    }
    /* the reason waits for the first next(), which is where the caller
     * has a ps_diag to take it */
    if (!(it = ps_calloc(1, sizeof *it)))
        return PS_E_NOMEM;
    it->a = a;
    it->err = rc;
    it->errd = d;
    *out = it;
    return PS_OK;
}

int ps_act_iter_next(ps_act_iter *it, ps_bytes *path, uint64_t *value, ps_diag *d)
{
    while (!it->err && !it->has_pending && it->st.len)
        it->err = step(it, &it->errd);
    if (it->err) {
        if (d)
            *d = it->errd;
        return it->err;
    }
    if (!it->has_pending)
        return PS_E_EMPTY;
    it->has_pending = 0;
    if (path)
        *path = ps_buf_bytes(&it->path);
    if (value)
        *value = it->pending;
    return PS_OK;
}

void ps_act_iter_free(ps_act_iter *it)
{
    if (!it)
        return;
    frame_vec_free(&it->st);
    ps_buf_free(&it->path);
    free(it);
}

int ps_act_count(const ps_act *a, ps_bytes prefix, uint64_t *n, ps_diag *d)
{
    act_rec r;
    uint64_t depth, limit, bytes;
    *n = 0;
    int rc = descend(a, prefix, &r, &depth, &limit, d);
    if (rc || !r.off)
        return rc;
    return r.off == a->root ? ps__act_measure(a, n, &bytes, d)
                            : ps__act_measure_at(a, r.off, limit, n, &bytes, d);
}

int ps_space_read_act(ps_space *s, const ps_act *a, ps_diag *d)
{
    ps_act_iter *it;
    ps_builder *b = NULL;
    ps_bytes p;
    uint64_t v;
    int rc = iter_new(a, ps_bytes_of(NULL, 0), 1, &it, d);
    if (rc)
        return rc;
    if (ps_space_count(s) == 0 && ps_builder_new(s, &b) == PS_E_NOMEM)
        rc = PS_E_NOMEM;
    while (!rc && (rc = ps_act_iter_next(it, &p, &v, d)) == PS_OK) {
        if (b)
            rc = v ? ps_builder_add_value(b, p, v) : ps_builder_add(b, p);
        else
            rc = v ? ps_space_set_value(s, p, v) : ps_space_insert(s, p, NULL);
    }
    ps_builder_free(b);
    ps_act_iter_free(it);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}
