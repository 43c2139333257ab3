/*
 * view_space.c - the space's trie as a query view (view.h).
 *
 * A position is (node, bytes of its edge consumed): 1..len for a node
 * entered by its first byte, 0 for the root (which has no edge). Inside an
 * edge there is one way on; at its end, the children (siblings in byte
 * order).
 */
#include "trie/trie.h"
#include "view.h"

#define SPACE(v) (((qview_space *)(v))->s)

static uint8_t edge_byte(const ps_space *s, const node *n, uint64_t i)
{
    return i == 0 ? n_first(n) : n_tail(s, n)[i - 1];
}

static int s_root(qview *v, qnode *out)
{
    (void)v;
    *out = (qnode){ ROOT, 0, 0 };
    return 1;
}

/* The child of node k whose edge starts with b, or 0. */
static uint32_t child(const ps_space *s, uint32_t k, uint8_t b)
{
    return ps__kid(s, k, b, NULL);
}

static int s_step(qview *v, const qnode *n, uint8_t b, qnode *out)
{
    const ps_space *s = SPACE(v);
    const node *nd = &s->nodes.data[n->a];
    v->steps++;
    if (n->a != ROOT && n->b < n_len(nd)) {
        if (edge_byte(s, nd, n->b) != b)
            return 0;
        *out = (qnode){ n->a, n->b + 1, 0 };
        return 1;
    }
    uint32_t c = child(s, (uint32_t)n->a, b);
    if (!c)
        return 0;
    *out = (qnode){ c, 1, 0 };
    return 1;
}

static int s_walk(qview *v, const qnode *n, const uint8_t *p, size_t k, qnode *out)
{
    const ps_space *s = SPACE(v);
    qnode cur = *n;
    while (k) {
        const node *nd = &s->nodes.data[cur.a];
        uint64_t len = cur.a == ROOT ? 0 : n_len(nd);
        if (cur.b < len) { /* compare what is left of this edge */
            uint64_t m = len - cur.b < k ? len - cur.b : k;
            const uint8_t *t = n_tail(s, nd) + cur.b - 1; /* cur.b >= 1 here */
            if (memcmp(t, p, (size_t)m))
                return 0;
            cur.b += m;
            p += m;
            k -= (size_t)m;
            v->steps++;
            continue;
        }
        if (!s_step(v, &cur, p[0], &cur))
            return 0;
        p++;
        k--;
    }
    *out = cur;
    return 1;
}

static int s_next(qview *v, const qnode *n, unsigned lo, unsigned hi, uint8_t *b, qnode *out)
{
    const ps_space *s = SPACE(v);
    const node *nd = s->nodes.data;
    v->steps++;
    if (n->a != ROOT && n->b < n_len(&nd[n->a])) {
        uint8_t e = edge_byte(s, &nd[n->a], n->b);
        if (e < lo || e > hi)
            return 0;
        *b = e;
        *out = (qnode){ n->a, n->b + 1, 0 };
        return 1;
    }
    /* the children sit side by side, in byte order: the first >= lo */
    uint32_t pos, k = (uint32_t)n->a;
    if (lo > hi || lo > 0xFF)
        return 0;
    ps__kid(s, k, (uint8_t)lo, &pos);
    if (pos == n_nkids(&nd[k]) || n_first(&nd[nd[k].kids + pos]) > hi)
        return 0;
    uint32_t c = nd[k].kids + pos;
    *b = n_first(&nd[c]);
    *out = (qnode){ c, 1, 0 };
    return 1;
}

static int s_run(qview *v, const qnode *n, const uint8_t **p, size_t *k)
{
    const ps_space *s = SPACE(v);
    const node *nd = &s->nodes.data[n->a];
    uint64_t len = n->a == ROOT ? 0 : n_len(nd);
    *k = (size_t)(len - n->b);
    if (*k)
        *p = n_tail(s, nd) + n->b - 1;
    return 0;
}

static int s_end(qview *v, const qnode *n)
{
    const ps_space *s = SPACE(v);
    const node *nd = &s->nodes.data[n->a];
    return (n->a == ROOT || n->b == n_len(nd)) && (nd->meta & M_TERM);
}

/* The paths in node k's subtree, up to cap (a stack of nodes to visit). */
static uint64_t s_count(qview *v, const qnode *n, uint64_t cap)
{
    const ps_space *s = SPACE(v);
    const node *nd = s->nodes.data;
    struct { uint32_t at, end; } stack[256];
    unsigned sp = 0;
    uint64_t c = (nd[n->a].meta & M_TERM) != 0;
    /* depth-first over runs of children: when the stack is full the count
     * stops early (it is an estimate, and a lower bound) */
    if (n_nkids(&nd[n->a])) {
        stack[sp].at = nd[n->a].kids;
        stack[sp++].end = nd[n->a].kids + n_nkids(&nd[n->a]);
    }
    while (sp && c < cap) {
        uint32_t k = stack[sp - 1].at++;
        if (stack[sp - 1].at == stack[sp - 1].end)
            sp--;
        c += (nd[k].meta & M_TERM) != 0;
        if (n_nkids(&nd[k]) && sp < 256) {
            stack[sp].at = nd[k].kids;
            stack[sp++].end = nd[k].kids + n_nkids(&nd[k]);
        }
    }
    return c < cap ? c : cap;
}

static int s_kids(qview *v, const qnode *n, uint8_t *b, qnode *out)
{
    const ps_space *s = SPACE(v);
    const node *nd = s->nodes.data;
    v->steps++;
    if (n->a != ROOT && n->b < n_len(&nd[n->a])) { /* inside an edge: one */
        b[0] = edge_byte(s, &nd[n->a], n->b);
        out[0] = (qnode){ n->a, n->b + 1, 0 };
        return 1;
    }
    const node *p = &nd[n->a];
    int k = 0;
    for (uint32_t c = p->kids; c < p->kids + n_nkids(p); c++, k++) {
        b[k] = n_first(&nd[c]);
        out[k] = (qnode){ c, 1, 0 };
    }
    return k;
}

static int s_skip(qview *v, const qnode *n, size_t k, qnode *out)
{
    v->steps++;
    *out = (qnode){ n->a, n->b + k, 0 }; /* inside one edge: run() said so */
    return 1;
}

static const qview_ops space_ops = { s_root, s_step, s_walk, s_next, s_run, s_end, s_count,
                                     s_kids, s_skip };

void ps__qview_space(qview_space *v, const ps_space *s)
{
    memset(v, 0, sizeof *v);
    v->v.ops = &space_ops;
    v->s = s;
}
