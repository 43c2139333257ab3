/*
 * algebra.c - union, intersection, difference and restriction of spaces
 * (PathMap's join, meet, subtract, restrict), in place.
 *
 * Each is one merge of the two spaces' sorted walks feeding the bulk
 * builder (build.c: no search per path), into a fresh space that then
 * takes a's place, so the work is linear in both spaces' path bytes and a
 * failure leaves a as it was.
 */
#include <stdlib.h>

#include "trie.h"

typedef enum op { OP_UNION, OP_INTERSECT, OP_SUBTRACT, OP_RESTRICT } op;

/* 1 if some path of s is a prefix of p (p itself included). */
static int has_prefix(const ps_space *s, const uint8_t *p, size_t len)
{
    nid k = ROOT;
    size_t at = 0;
    for (;;) {
        if (N(s, k)->meta & M_TERM)
            return 1;
        if (at == len)
            return 0;
        nid c = ps__kid(s, k, p[at], NULL);
        if (!c)
            return 0;
        const node *n = N(s, c);
        uint32_t elen = n_len(n);
        if (len - at < elen || (elen > 1 && memcmp(n_tail(s, n), p + at + 1, elen - 1)))
            return 0;
        at += elen;
        k = c;
    }
}

typedef struct side {
    ps_iter *it;
    ps_bytes p;
    int has, live;
    uint64_t v;
} side;

static int side_next(side *x)
{
    int rc = ps_iter_next(x->it, &x->p, &x->has, &x->v);
    x->live = rc == PS_OK;
    return rc == PS_E_EMPTY ? PS_OK : rc;
}

static int emit(ps_builder *b, const side *x)
{
    return x->has ? ps_builder_add_value(b, x->p, x->v) : ps_builder_add(b, x->p);
}

/* The merge: what of a and b goes into the builder, by op. */
static int merge(ps_builder *out, const ps_space *a, const ps_space *b, op o)
{
    side x = { 0 }, y = { 0 };
    int rc = ps_iter_new(a, ps_bytes_of(NULL, 0), &x.it);
    if (!rc && o != OP_RESTRICT)
        rc = ps_iter_new(b, ps_bytes_of(NULL, 0), &y.it);
    if (!rc)
        rc = side_next(&x);
    if (!rc && y.it)
        rc = side_next(&y);
    while (!rc && (x.live || y.live)) {
        if (o == OP_RESTRICT) {
            if (has_prefix(b, x.p.ptr, x.p.len))
                rc = emit(out, &x);
            if (!rc)
                rc = side_next(&x);
            continue;
        }
        int c = !x.live ? 1 : !y.live ? -1 : ps_bytes_cmp(x.p, y.p);
        int take_a = c < 0 ? o != OP_INTERSECT : c == 0 ? o != OP_SUBTRACT : 0;
        int take_b = c > 0 && o == OP_UNION;
        if (take_a)
            rc = emit(out, &x);
        else if (take_b)
            rc = emit(out, &y);
        if (!rc && c <= 0)
            rc = side_next(&x);
        if (!rc && c >= 0)
            rc = side_next(&y);
        if (!x.live && o != OP_UNION)
            break; /* nothing more of a to keep */
    }
    ps_iter_free(x.it);
    ps_iter_free(y.it);
    return rc;
}

static int apply(ps_space *a, const ps_space *b, op o)
{
    if (a == b)
        return PS_E_INVAL;
    ps_space *t;
    ps_builder *bl = NULL;
    int rc = ps_space_new(&t);
    if (rc)
        return rc;
    if (!(rc = ps_builder_new(t, &bl)))
        rc = merge(bl, a, b, o);
    ps_builder_free(bl);
    if (rc) {
        ps_space_free(t);
        return rc;
    }
    ps_space tmp = *a; /* a takes the result's arenas, t frees a's old ones */
    *a = *t;
    *t = tmp;
    ps_space_free(t);
    return PS_OK;
}

int ps_space_union(ps_space *a, const ps_space *b)
{
    return apply(a, b, OP_UNION);
}

int ps_space_intersect(ps_space *a, const ps_space *b)
{
    return apply(a, b, OP_INTERSECT);
}

int ps_space_subtract(ps_space *a, const ps_space *b)
{
    return apply(a, b, OP_SUBTRACT);
}

int ps_space_restrict(ps_space *a, const ps_space *prefixes)
{
    return apply(a, prefixes, OP_RESTRICT);
}
