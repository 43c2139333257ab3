/*
 * term.c - internal terms, bindings with a trail, unification with the
 * occurs check, and instantiation back into atoms (term.h).
 *
 * Every walk here is iterative (explicit stacks): a term may be as deep as
 * the atom limit lets an atom be, and the C stack must not depend on it.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "expr/tags.h"
#include "term.h"

int ps__terms_init(terms *t, uint32_t ids)
{
    memset(t, 0, sizeof *t);
    return ps__terms_ids(t, ids);
}

void ps__terms_free(terms *t)
{
    ps_buf_free(&t->arena);
    u64_list_free(&t->bind);
    u32_list_free(&t->trail);
    u64_list_free(&t->scratch);
    u64_list_free(&t->ostack);
    u32_list_free(&t->stamp);
    u32_list_free(&t->name);
}

void ps__terms_reset(terms *t)
{
    ps_buf_clear(&t->arena, 0);
    if (t->bind.len)
        memset(t->bind.data, 0, t->bind.len * sizeof *t->bind.data);
    t->trail.len = t->scratch.len = t->ostack.len = 0;
    /* stamp and name stay: they count for the current generation only */
}

int ps__terms_ids(terms *t, uint32_t n)
{
    if (t->bind.len >= n)
        return PS_OK;
    uint32_t more = n - t->bind.len;
    int rc = u64_list_push_n(&t->bind, 0, more);
    if (!rc)
        rc = u32_list_push_n(&t->stamp, 0, more);
    if (!rc)
        rc = u32_list_push_n(&t->name, 0, more);
    return rc;
}

/* Internal terms are whole (this layer wrote them): no length bounds
 * the walk. T_VAR is the one tag the encoding does not know. */
size_t ps__thead(const uint8_t *p, uint64_t *kids)
{
    item it;
    *kids = 0;
    if (p[0] == T_VAR)
        return T_VAR_LEN;
    ps__item(p, SIZE_MAX, &it);
    if (it.kind == ITEM_LIST)
        *kids = it.n;
    return item_size(&it);
}

size_t ps__tlen(const uint8_t *p)
{
    const uint8_t *q = p;
    uint64_t need = 1;
    while (need) {
        uint64_t kids;
        q += ps__thead(q, &kids);
        need += kids - 1;
    }
    return (size_t)(q - p);
}


uint64_t ps__deref(const terms *t, uint64_t off)
{
    const uint8_t *a = ps_buf_data(&t->arena);
    while (a[off] == T_VAR) {
        uint64_t b = t->bind.data[t_var_id(a + off)];
        if (!b)
            break;
        off = b - 1;
    }
    return off;
}

void ps__undo(terms *t, tmark m)
{
    while (t->trail.len > m.trail)
        t->bind.data[t->trail.data[--t->trail.len]] = 0;
    t->arena.len = m.arena;
}

int ps__bind(terms *t, uint32_t id, uint64_t off)
{
    int rc = u32_list_push(&t->trail, id);
    if (!rc)
        t->bind.data[id] = off + 1;
    return rc;
}

int ps__occurs(terms *t, uint32_t id, uint64_t off)
{
    /* the terms still to look at (bound variables' values); each is read
     * straight through, header by header, so the check is linear in the
     * bytes it reads; a cycle cannot form (bindings pass this check) */
    u64_list *st = &t->ostack;
    st->len = 0;
    if (u64_list_push(st, off))
        return 1; /* out of memory: refuse the binding rather than risk a cycle */
    while (st->len) {
        const uint8_t *p = t_at(t, st->data[--st->len]);
        for (uint64_t need = 1; need; need--) {
            if (p[0] != T_VAR) {
                uint64_t kids;
                p += ps__thead(p, &kids);
                need += kids;
                continue;
            }
            uint32_t v = t_var_id(p);
            if (v == id)
                return 1;
            if (t->bind.data[v] && u64_list_push(st, t->bind.data[v] - 1))
                return 1;
            p += T_VAR_LEN;
        }
    }
    return 0;
}

/* Binds the unbound variable at va to the term at b, unless it occurs
 * there: 1, 0, or a negative error. */
static int bind_checked(terms *t, uint64_t va, uint64_t b)
{
    uint32_t id = t_var_id(t_at(t, va));
    const uint8_t *pb = t_at(t, b);
    if (pb[0] == T_VAR && t_var_id(pb) == id)
        return 1;
    if (pb[0] != T_VAR && ps__occurs(t, id, b))
        return 0;
    return ps__bind(t, id, b) ? -PS_E_NOMEM : 1;
}

int ps__unify(terms *t, uint64_t a, uint64_t b)
{
    u64_list *st = &t->scratch;
    st->len = 0;
    if (u64_list_push(st, a) || u64_list_push(st, b))
        return -PS_E_NOMEM;
    while (st->len) {
        uint64_t y = ps__deref(t, st->data[--st->len]);
        uint64_t x = ps__deref(t, st->data[--st->len]);
        if (x == y)
            continue;
        const uint8_t *px = t_at(t, x), *py = t_at(t, y);
        int r = 1;
        if (px[0] == T_VAR)
            r = bind_checked(t, x, y);
        else if (py[0] == T_VAR)
            r = bind_checked(t, y, x);
        if (r != 1)
            return r;
        if (px[0] == T_VAR || py[0] == T_VAR)
            continue;
        uint64_t kx, ky;
        size_t hx = ps__thead(px, &kx), hy = ps__thead(py, &ky);
        /* symbols: the same bytes; lists: the same arity, then pairwise */
        if (hx != hy || kx != ky || memcmp(px, py, hx) != 0)
            return 0;
        uint64_t cx = x + hx, cy = y + hy;
        for (uint64_t i = 0; i < kx; i++) {
            if (u64_list_push(st, cx) || u64_list_push(st, cy))
                return -PS_E_NOMEM;
            /* t_at again: a push does not move the arena, but keep the
             * pointers fresh all the same */
            if (i + 1 < kx) { /* not past the last child (deep terms) */
                cx += ps__tlen(t_at(t, cx));
                cy += ps__tlen(t_at(t, cy));
            }
        }
    }
    return 1;
}

int ps__var_term(terms *t, uint32_t id, uint64_t *off)
{
    int rc;
    uint8_t *o = ps_buf_append_uninit(&t->arena, T_VAR_LEN, &rc);
    if (!o)
        return rc;
    o[0] = T_VAR;
    ps_write_le32(o + 1, id);
    *off = t->arena.len - T_VAR_LEN;
    return PS_OK;
}

int ps__internalize(terms *t, const uint8_t *atom, size_t len, uint32_t base, uint32_t *nv,
                    uint64_t *off, int *refs)
{
    return ps__internalize_watch(t, atom, len, base, nv, off, refs, UINT32_MAX);
}

int ps__internalize_watch(terms *t, const uint8_t *atom, size_t len, uint32_t base,
                          uint32_t *nv, uint64_t *off, int *refs, uint32_t watch)
{
    /* room for the worst case (every byte a variable, 5 bytes each) at
     * once, then plain stores: this runs for every term a search captures */
    size_t start = t->arena.len;
    int rc = ps_buf_reserve(&t->arena, len * T_VAR_LEN);
    if (rc)
        return rc;
    uint8_t *o = ps_buf_data(&t->arena) + start, *o0 = o;
    uint32_t n_v = *nv;
    int any_ref = 0;
    for (size_t i = 0; i < len;) {
        uint8_t h = atom[i];
        if (tag_is_var(h)) { /* a variable: renamed to its id */
            uint32_t k = h == TAG_NEWVAR ? n_v++ : tag_low(h);
            if (k >= n_v || n_v > PS_MAX_VARS)
                return PS_E_CORRUPT;
            /* a VarRef that can lead to the watched variable: to it, or to
             * a bound one (whose value may hold it) */
            any_ref |= h != TAG_NEWVAR && (base + k == watch || watch == UINT32_MAX ||
                                     t->bind.data[base + k]);
            o[0] = T_VAR;
            ps_write_le32(o + 1, base + k);
            o += T_VAR_LEN;
            i++;
            continue;
        }
        item it;
        size_t n = ps__item(atom + i, len - i, &it) ? len + 1 : item_size(&it);
        if (n > len - i)
            return PS_E_CORRUPT;
        memcpy(o, atom + i, n);
        o += n;
        i += n;
    }
    t->arena.len = start + (size_t)(o - o0);
    *nv = n_v;
    *off = start;
    if (refs)
        *refs = any_ref;
    return PS_OK;
}

/* ---------------------------------------------------------- instantiate */

/* An append without a call: results are written a header at a time. */
static inline int put(ps_buf *b, const void *p, size_t n)
{
    if (ps_buf_tailroom(b) < n && ps_buf_reserve(b, n))
        return PS_E_NOMEM;
    memcpy(ps_buf_data(b) + b->len, p, n);
    b->len += n;
    return PS_OK;
}

static int put_var(terms *t, uint32_t id, uint32_t *next, ps_buf *out)
{
    uint8_t b;
    if (t->stamp.data[id] == t->gen) {
        b = (uint8_t)(TAG_VARREF | t->name.data[id]);
    } else {
        if (*next == PS_MAX_VARS)
            return PS_E_LIMIT;
        t->stamp.data[id] = t->gen;
        t->name.data[id] = (*next)++;
        b = TAG_NEWVAR;
    }
    return put(out, &b, 1);
}

/* Writes the term at off (bindings applied) to out; the variables go by
 * the current generation's names. The bytes are read straight through, a
 * count of terms still to write per frame; a bound variable opens a frame
 * on its value (the stack holds, in pairs, where each frame goes on and
 * how many terms it has left), so the work is linear in what is written. */
static int write_term(terms *t, uint64_t off, uint32_t *next, ps_buf *out)
{
    u64_list *st = &t->scratch; /* unify's, idle while a result is written */
    st->len = 0;
    uint64_t at = off, need = 1;
    int rc = PS_OK;
    for (;;) {
        if (!need) {
            if (!st->len)
                return PS_OK;
            need = st->data[--st->len];
            at = st->data[--st->len];
            continue;
        }
        const uint8_t *p = t_at(t, at);
        if (p[0] == T_VAR) {
            uint64_t v = ps__deref(t, at);
            if (v != at && t_at(t, v)[0] != T_VAR) { /* bound: its value, then go on */
                if ((rc = u64_list_push(st, at + T_VAR_LEN)) || (rc = u64_list_push(st, need - 1)))
                    return rc;
                at = v;
                need = 1;
                continue;
            }
            if ((rc = put_var(t, t_var_id(t_at(t, v)), next, out)))
                return rc;
            at += T_VAR_LEN;
            need--;
            continue;
        }
        uint64_t kids;
        size_t h = ps__thead(p, &kids);
        if ((rc = put(out, p, h)))
            return rc;
        at += h;
        need += kids - 1;
    }
}

static void next_generation(terms *t)
{
    if (++t->gen == 0) { /* wrapped: forget every old stamp */
        memset(t->stamp.data, 0, (size_t)t->stamp.len * sizeof *t->stamp.data);
        t->gen = 1;
    }
}

int ps__instantiate(terms *t, uint64_t off, ps_buf *out)
{
    uint32_t next = 0;
    next_generation(t);
    return write_term(t, off, &next, out);
}

int ps__instantiate_list(terms *t, const uint64_t *offs, size_t n, ps_buf *out)
{
    uint32_t next = 0;
    next_generation(t);
    int rc = ps__arity_append(out, n);
    for (size_t i = 0; i < n && !rc; i++)
        rc = write_term(t, offs[i], &next, out);
    return rc;
}
