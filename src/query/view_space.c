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
    *out = (qnode){ .sp = { ROOT, 0, 0 } };
    return 1;
}

static int s_step(qview *v, const qnode *n, uint8_t b, qnode *out)
{
    const ps_space *s = SPACE(v);
    const node *nd = N(s, n->sp.node);
    v->steps++;
    if (n->sp.node != ROOT && n->sp.at < n_len(nd)) {
        if (edge_byte(s, nd, n->sp.at) != b)
            return 0;
        *out = (qnode){ .sp = { n->sp.node, n->sp.at + 1, 0 } };
        return 1;
    }
    nid c = ps__kid(s, n->sp.node, b, NULL);
    if (!c)
        return 0;
    *out = (qnode){ .sp = { c, 1, 0 } };
    return 1;
}

static int s_walk(qview *v, const qnode *n, const uint8_t *p, size_t k, qnode *out)
{
    const ps_space *s = SPACE(v);
    qnode cur = *n;
    while (k) {
        const node *nd = N(s, cur.sp.node);
        uint64_t len = cur.sp.node == ROOT ? 0 : n_len(nd);
        if (cur.sp.at < len) { /* compare what is left of this edge */
            uint64_t m = len - cur.sp.at < k ? len - cur.sp.at : k;
            const uint8_t *t = n_tail(s, nd) + cur.sp.at - 1; /* cur.sp.at >= 1 here */
            if (memcmp(t, p, (size_t)m))
                return 0;
            cur.sp.at += m;
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
    const node *nd = N(s, n->sp.node);
    v->steps++;
    if (n->sp.node != ROOT && n->sp.at < n_len(nd)) {
        uint8_t e = edge_byte(s, nd, n->sp.at);
        if (e < lo || e > hi)
            return 0;
        *b = e;
        *out = (qnode){ .sp = { n->sp.node, n->sp.at + 1, 0 } };
        return 1;
    }
    /* the children sit side by side, in byte order: the first >= lo */
    uint32_t pos;
    if (lo > hi || lo > 0xFF)
        return 0;
    ps__kid(s, n->sp.node, (uint8_t)lo, &pos);
    nid c = n_kids(nd) + pos;
    if (pos == n_nkids(nd) || n_first(N(s, c)) > hi)
        return 0;
    *b = n_first(N(s, c));
    *out = (qnode){ .sp = { c, 1, 0 } };
    return 1;
}

static int s_run(qview *v, const qnode *n, const uint8_t **p, size_t *k)
{
    const ps_space *s = SPACE(v);
    const node *nd = N(s, n->sp.node);
    uint64_t len = n->sp.node == ROOT ? 0 : n_len(nd);
    *k = (size_t)(len - n->sp.at);
    if (*k)
        *p = n_tail(s, nd) + n->sp.at - 1;
    return 0;
}

static int s_end(qview *v, const qnode *n)
{
    const ps_space *s = SPACE(v);
    const node *nd = N(s, n->sp.node);
    return (n->sp.node == ROOT || n->sp.at == n_len(nd)) && (nd->meta & M_TERM);
}

/* The paths in node k's subtree, up to cap (a stack of nodes to visit). */
static uint64_t s_count(qview *v, const qnode *n, uint64_t cap)
{
    const ps_space *s = SPACE(v);
    struct { nid at, end; } stack[256];
    unsigned sp = 0;
    const node *top = N(s, n->sp.node);
    uint64_t c = (top->meta & M_TERM) != 0;
    /* depth-first over runs of children: when the stack is full the count
     * stops early (it is an estimate, and a lower bound) */
    if (n_nkids(top)) {
        stack[sp].at = n_kids(top);
        stack[sp++].end = n_kids(top) + n_nkids(top);
    }
    while (sp && c < cap) {
        nid k = stack[sp - 1].at++;
        if (stack[sp - 1].at == stack[sp - 1].end)
            sp--;
        const node *nd = N(s, k);
        c += (nd->meta & M_TERM) != 0;
        if (n_nkids(nd) && sp < 256) {
            stack[sp].at = n_kids(nd);
            stack[sp++].end = n_kids(nd) + n_nkids(nd);
        }
    }
    return c < cap ? c : cap;
}

static int s_kids(qview *v, const qnode *n, uint8_t *b, qnode *out)
{
    const ps_space *s = SPACE(v);
    const node *p = N(s, n->sp.node);
    v->steps++;
    if (n->sp.node != ROOT && n->sp.at < n_len(p)) { /* inside an edge: one */
        b[0] = edge_byte(s, p, n->sp.at);
        out[0] = (qnode){ .sp = { n->sp.node, n->sp.at + 1, 0 } };
        return 1;
    }
    int k = 0;
    for (nid c = n_kids(p); c < n_kids(p) + n_nkids(p); c++, k++) {
        b[k] = n_first(N(s, c));
        out[k] = (qnode){ .sp = { c, 1, 0 } };
    }
    return k;
}

static int s_skip(qview *v, const qnode *n, size_t k, qnode *out)
{
    v->steps++;
    *out = (qnode){ .sp = { n->sp.node, n->sp.at + k, 0 } }; /* inside one edge: run() said so */
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
