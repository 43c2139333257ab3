/*
 * act_write.c - the ACT writer, streaming from sorted paths.
 *
 * PathMap's writer is a post-order recursion over "stops" (the root, every
 * key, every position with two or more children): each stop writes its
 * children's subtrees, then their records as one sibling run, then its line
 * data, and hands its own record to its parent unwritten. With sorted input
 * the same order falls out of a stack: a new key closes every stop of the
 * previous key deeper than their common prefix, in post-order, exactly when
 * the recursion would have returned from them. A closed stop's record waits
 * in `recs`, grouped by parent (children of deeper stops sit on top), until
 * its parent closes. So memory is the current spine plus pending records
 * plus the line dedup table, never the trie.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "act.h"
#include "common/alloc.h"
#include "pathspace.h"

/* A record not yet written: its parent writes it in its sibling run. */
typedef struct rec {
    uint64_t value, child, line; /* child: first child (branch) or child branch (line) */
    uint64_t mask[4];            /* branch: child edge bytes                          */
    uint16_t nchild;
    uint8_t is_line, has_value, has_child, edge;
} rec;

typedef struct stop {
    uint64_t depth, value;
    uint32_t first; /* its children's records: recs[first..] */
    uint8_t has_value;
} stop;

typedef struct dedup_ent {
    uint64_t hash, file_off, arena_off; /* file_off 0 = empty slot */
    uint32_t len;
} dedup_ent;

PS_VEC_DEFINE(rec_vec, rec)
PS_VEC_DEFINE(stop_vec, stop)

#define OUT_FLUSH (1u << 20)

struct ps_act_writer {
    ps_sink sink;
    int err, finished;
    uint64_t off; /* file offset of the next byte */
    ps_buf out, prev, arena;
    rec_vec recs;
    stop_vec stops;
    dedup_ent *tab;
    size_t tab_cap, tab_used;
    ps_act_stats st;
};

static int emit(ps_act_writer *w, const void *p, size_t n)
{
    if (ps_buf_append(&w->out, p, n))
        return PS_E_NOMEM;
    w->off += n;
    if (w->out.len >= OUT_FLUSH) {
        int rc = w->sink.write(w->sink.ctx, ps_buf_data(&w->out), w->out.len);
        ps_buf_clear(&w->out, 0);
        return rc;
    }
    return PS_OK;
}

static int tab_grow(ps_act_writer *w)
{
    size_t cap = w->tab_cap ? w->tab_cap * 2 : 1024;
    dedup_ent *t = ps_calloc(cap, sizeof *t);
    if (!t)
        return PS_E_NOMEM;
    for (size_t i = 0; i < w->tab_cap; i++) {
        if (!w->tab[i].file_off)
            continue;
        size_t j = w->tab[i].hash & (cap - 1);
        while (t[j].file_off)
            j = (j + 1) & (cap - 1);
        t[j] = w->tab[i];
    }
    free(w->tab);
    w->tab = t;
    w->tab_cap = cap;
    return PS_OK;
}

/* The offset of the line data for bytes p[0..n): the first record written
 * with these bytes, or a new one. */
static int line_data(ps_act_writer *w, const uint8_t *p, size_t n, uint64_t *off)
{
    if (w->tab_used * 4 >= w->tab_cap * 3 && tab_grow(w))
        return PS_E_NOMEM;
    uint64_t h = XXH3_64bits(p, n);
    size_t j = h & (w->tab_cap - 1);
    for (; w->tab[j].file_off; j = (j + 1) & (w->tab_cap - 1)) {
        dedup_ent *e = &w->tab[j];
        if (e->hash == h && e->len == n && !memcmp(ps_buf_data(&w->arena) + e->arena_off, p, n)) {
            *off = e->file_off;
            return PS_OK;
        }
    }
    dedup_ent e = { h, w->off, w->arena.len, (uint32_t)n };
    uint8_t v[9];
    int rc = ps_buf_append(&w->arena, p, n);
    if (!rc)
        rc = emit(w, v, act_varint_put(v, n));
    if (!rc)
        rc = emit(w, p, n);
    if (rc)
        return rc;
    w->tab[j] = e;
    w->tab_used++;
    w->st.line_data++;
    w->st.line_bytes += n;
    *off = e.file_off;
    return PS_OK;
}

/* Writes one pending record at the current offset. */
static int write_rec(ps_act_writer *w, const rec *r)
{
    uint8_t b[1 + 9 + 9 + 9 + 32], *p = b;
    uint64_t at = w->off;
    if (r->is_line) {
        *p++ = (uint8_t)(ACT_LINE | (r->has_value ? ACT_VALUE : 0) | (r->has_child ? ACT_CHILD : 0));
        if (r->has_value)
            p += act_varint_put(p, r->value);
        if (r->has_child)
            p += act_varint_put(p, at - r->child);
        p += act_varint_put(p, at - r->line);
        w->st.lines++;
    } else {
        unsigned c = r->nchild < ACT_MASKED ? r->nchild : ACT_MASKED;
        *p++ = (uint8_t)(c | (r->has_value ? ACT_VALUE : 0));
        if (r->has_value)
            p += act_varint_put(p, r->value);
        if (c)
            p += act_varint_put(p, at - r->child);
        if (c == ACT_MASKED) {
            for (int i = 0; i < 4; i++, p += 8)
                ps_write_le64(p, r->mask[i]);
        } else {
            for (unsigned x = 0; x < 256; x++)
                if (r->mask[x >> 6] >> (x & 63) & 1)
                    *p++ = (uint8_t)x;
        }
        w->st.branches++;
    }
    return emit(w, b, (size_t)(p - b));
}

/* Closes stop `s` whose line is prev[jstart, s->depth): writes its
 * children's run and what its record needs, and returns the record. */
static int close_stop(ps_act_writer *w, const stop *s, uint64_t jstart, rec *out)
{
    rec b = { .value = s->value, .has_value = s->has_value };
    uint32_t n = w->recs.len - s->first;
    int rc;
    b.child = w->off;
    for (uint32_t i = 0; i < n; i++) {
        const rec *c = rec_vec_ptr(&w->recs, s->first + i);
        b.mask[c->edge >> 6] |= 1ull << (c->edge & 63);
        if ((rc = write_rec(w, c)))
            return rc;
    }
    b.nchild = (uint16_t)n;
    rec_vec_truncate(&w->recs, s->first);
    if (jstart == s->depth) {
        *out = b;
        return PS_OK;
    }
    uint64_t line;
    if ((rc = line_data(w, ps_buf_data(&w->prev) + jstart, s->depth - jstart, &line)))
        return rc;
    rec l = { .is_line = 1, .line = line };
    if (n) {
        l.child = w->off;
        l.has_child = 1;
        if ((rc = write_rec(w, &b)))
            return rc;
    } else {
        l.value = s->value;
        l.has_value = s->has_value;
    }
    *out = l;
    return PS_OK;
}

int ps_act_writer_new(ps_sink out, ps_act_writer **wp)
{
    if (!out.patch)
        return PS_E_INVAL;
    ps_act_writer *w = ps_calloc(1, sizeof *w);
    if (!w)
        return PS_E_NOMEM;
    w->sink = out;
    stop root = { 0 };
    uint8_t hdr[ACT_HDR] = ACT_MAGIC;
    int rc = stop_vec_push(&w->stops, root);
    if (!rc)
        rc = tab_grow(w);
    if (!rc)
        rc = emit(w, hdr, sizeof hdr);
    if (rc) {
        ps_act_writer_free(w);
        return rc;
    }
    *wp = w;
    return PS_OK;
}

/* Closes every stop deeper than `depth`, inserting the branch stop at
 * `depth` when the closed ones hang off a position that was not a stop. */
static int close_to(ps_act_writer *w, uint64_t depth)
{
    while (stop_vec_ptr(&w->stops, w->stops.len - 1)->depth > depth) {
        stop s = *stop_vec_ptr(&w->stops, w->stops.len - 1);
        w->stops.len--;
        stop *t = stop_vec_ptr(&w->stops, w->stops.len - 1);
        uint64_t pdepth = t->depth > depth ? t->depth : depth;
        rec r;
        int rc = close_stop(w, &s, pdepth + 1, &r);
        if (rc)
            return rc;
        r.edge = ps_buf_data(&w->prev)[pdepth];
        if (t->depth < depth) {
            stop fork = { .depth = depth, .first = w->recs.len };
            if ((rc = stop_vec_push(&w->stops, fork)))
                return rc;
        }
        if ((rc = rec_vec_push(&w->recs, r)))
            return rc;
    }
    return PS_OK;
}

int ps_act_writer_add(ps_act_writer *w, ps_bytes path, uint64_t value)
{
    if (w->err)
        return w->err;
    uint64_t l = 0, plen = w->prev.len;
    const uint8_t *prev = ps_buf_data(&w->prev);
    if (w->st.paths) {
        size_t m = plen < path.len ? plen : path.len;
        while (l < m && prev[l] == path.ptr[l])
            l++;
        if (l == path.len || (l < plen && prev[l] > path.ptr[l]))
            return PS_E_INVAL; /* not strictly increasing */
    }
    int rc = close_to(w, l);
    stop k = { .depth = path.len, .value = value, .first = w->recs.len, .has_value = 1 };
    if (!rc && path.len == 0) {
        stop_vec_ptr(&w->stops, 0)->has_value = 1; /* the empty key: the root's value */
        stop_vec_ptr(&w->stops, 0)->value = value;
    } else if (!rc) {
        rc = stop_vec_push(&w->stops, k);
    }
    if (!rc) {
        ps_buf_clear(&w->prev, 0);
        rc = ps_buf_append(&w->prev, path.ptr, path.len);
    }
    if (rc)
        return w->err = rc;
    w->st.paths++;
    return PS_OK;
}

int ps_act_writer_finish(ps_act_writer *w, ps_act_stats *st)
{
    if (w->err)
        return w->err;
    /* Close down to the stop just below the root first: PathMap's special
     * case is a root with no value and that stop as its only child. The
     * root is then not a stop, and the child's line starts at byte 0. */
    int rc = close_to(w, w->stops.len > 1 ? stop_vec_ptr(&w->stops, 1)->depth : 0);
    rec top;
    stop *root = stop_vec_ptr(&w->stops, 0);
    if (!rc && w->stops.len == 2 && !root->has_value && stop_vec_ptr(&w->stops, 1)->first == 0) {
        stop s = *stop_vec_ptr(&w->stops, 1);
        rc = close_stop(w, &s, 0, &top);
    } else if (!rc) {
        rc = close_to(w, 0);
        if (!rc)
            rc = close_stop(w, root, 0, &top);
    }
    uint8_t root_off[8], pad[ACT_PAD] = { 0 };
    ps_write_le64(root_off, w->off);
    if (!rc)
        rc = write_rec(w, &top);
    if (!rc)
        rc = emit(w, pad, sizeof pad);
    if (!rc && w->out.len)
        rc = w->sink.write(w->sink.ctx, ps_buf_data(&w->out), w->out.len);
    if (!rc)
        rc = w->sink.patch(w->sink.ctx, 8, root_off, 8);
    if (rc)
        return w->err = rc;
    w->st.file_bytes = w->off;
    w->err = PS_E_INVAL; /* finished */
    if (st)
        *st = w->st;
    return PS_OK;
}

void ps_act_writer_free(ps_act_writer *w)
{
    if (!w)
        return;
    ps_buf_free(&w->out);
    ps_buf_free(&w->prev);
    ps_buf_free(&w->arena);
    rec_vec_free(&w->recs);
    stop_vec_free(&w->stops);
    free(w->tab);
    free(w);
}

int ps_space_write_act(const ps_space *s, ps_sink out, ps_act_stats *st)
{
    ps_act_writer *w;
    ps_iter *it;
    ps_bytes p;
    int has;
    uint64_t v;
    int rc = ps_act_writer_new(out, &w);
    if (rc)
        return rc;
    if (!(rc = ps_iter_new(s, ps_bytes_of(NULL, 0), &it))) {
        while ((rc = ps_iter_next(it, &p, &has, &v)) == PS_OK)
            if ((rc = ps_act_writer_add(w, p, has ? v : 0)))
                break;
        ps_iter_free(it);
    }
    if (rc == PS_E_EMPTY)
        rc = ps_act_writer_finish(w, st);
    ps_act_writer_free(w);
    return rc;
}
