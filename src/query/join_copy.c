/*
 * join_copy.c - a pattern the join reads out of its own order, copied.
 *
 * The join walks each pattern's atoms down the trie, so it can take a
 * pattern's variables only in the order they appear in it. A plan that
 * takes them in another order (the cheaper one, or the only one: (e $x $y)
 * beside (e $y $x)) reads such a pattern through a copy: the nested engine
 * (match.c) matches the pattern alone, once, and each match's terms for
 * its variables, in the join's order, go into a trie of their own, which
 * the join then walks like any other. Building it costs one pass over the
 * pattern's matches. Every atom matched must be ground: one with a
 * variable could give a key that is not, or give the key of another atom,
 * which the copy would hold once (JOIN_IMPURE then). The copies of one
 * run hold at most JOIN_COPY_MAX bytes of keys each; past that the query
 * goes to the nested join too, so a query's memory stays bounded.
 */
#include <string.h>

#include "join.h"

typedef struct copying {
    const jplan *p;
    unsigned pat;
    ps_space *out;
    ps_buf key;
    uint64_t bytes; /* the keys' bytes so far */
} copying;

static int one(void *ctx, engine *sub)
{
    copying *c = ctx;
    terms *t = sub->t;
    if (sub->nv) /* the atom matched holds variables (nv: its own ids) */
        return JOIN_IMPURE;
    tmark m = t_mark(t);
    int rc = PS_OK;
    ps_buf_clear(&c->key, 0);
    for (unsigned d = 0; d < c->p->nvar && !rc; d++) {
        if (!(c->p->who[d] >> c->pat & 1))
            continue;
        uint64_t off; /* ground: the atom is */
        if ((rc = ps__var_term(t, c->p->order[d], &off)) ||
            (rc = ps__instantiate(t, off, &c->key)))
            break;
    }
    ps__undo(t, m);
    if (rc)
        return -rc;
    if ((c->bytes += c->key.len) > JOIN_COPY_MAX)
        return JOIN_IMPURE; /* bounded as match.c's memo is: the nested join answers */
    rc = ps_space_insert(c->out, ps_buf_bytes(&c->key), NULL);
    return rc ? -rc : PS_OK;
}

int ps__join_copy(engine *e, const jplan *p, unsigned i, ps_space *out)
{
    engine sub;
    memset(&sub, 0, sizeof sub);
    sub.v = e->v;
    sub.max_steps = e->max_steps;
    sub.t = e->t;
    sub.pat = &e->pat[i];
    sub.npat = 1;
    copying c = { p, i, out, { 0 }, 0 };
    sub.fn = one;
    sub.ctx = &c;
    int rc = ps__match(&sub);
    if (rc < 0)
        e->d = sub.d;
    ps__engine_free(&sub);
    ps_buf_free(&c.key);
    return rc;
}
