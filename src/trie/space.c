/*
 * space.c - the trie's point operations: insert, remove, contains, values,
 * plus node allocation, edge chains and splits (shared with the builder).
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "trie.h"

int ps_space_new(ps_space **out)
{
    ps_space *s = ps_calloc(1, sizeof *s);
    if (!s)
        return PS_E_NOMEM;
    node root = { 0, 0, 0, 0 };
    if (node_vec_push(&s->nodes, root)) {
        free(s);
        return PS_E_NOMEM;
    }
    s->live_nodes = 1;
    *out = s;
    return PS_OK;
}

void ps_space_free(ps_space *s)
{
    if (!s)
        return;
    node_vec_free(&s->nodes);
    byte_vec_free(&s->labels);
    u64_vec_free(&s->vals);
    free(s);
}

void ps_space_clear(ps_space *s)
{
    node root = { 0, 0, 0, 0 };
    s->nodes.len = 1;
    s->nodes.data[0] = root;
    s->labels.len = 0;
    s->vals.len = 0;
    s->free_head = 0;
    s->count = s->path_bytes = 0;
    s->live_nodes = 1;
}

uint64_t ps_space_count(const ps_space *s)
{
    return s->count;
}

void ps_space_stats_get(const ps_space *s, ps_space_stats *st)
{
    memset(st, 0, sizeof *st);
    st->paths = s->count;
    st->path_bytes = s->path_bytes;
    st->nodes = s->live_nodes;
    st->label_bytes = s->labels.len + (s->live_nodes - 1); /* + first bytes */
    st->mem_bytes = sizeof *s + (uint64_t)s->nodes.cap * sizeof(node) + s->labels.cap +
                    (uint64_t)s->vals.cap * sizeof(uint64_t);
}

int ps__node_alloc(ps_space *s, uint32_t *out)
{
    if (s->free_head) {
        *out = s->free_head;
        s->free_head = s->nodes.data[*out].next;
    } else {
        node z = { 0, 0, 0, 0 };
        if (s->nodes.len == UINT32_MAX)
            return PS_E_OVERFLOW;
        int rc = node_vec_push(&s->nodes, z);
        if (rc)
            return rc;
        *out = s->nodes.len - 1;
    }
    s->live_nodes++;
    return PS_OK;
}

void ps__node_free(ps_space *s, uint32_t k)
{
    node *n = &s->nodes.data[k];
    n->meta = FREE_META;
    n->child = 0;
    n->next = s->free_head;
    s->free_head = k;
    s->live_nodes--;
}

/* Frees a chain of unlinked nodes from k down through child links. */
static void free_chain(ps_space *s, uint32_t k)
{
    while (k) {
        uint32_t next = s->nodes.data[k].child;
        ps__node_free(s, k);
        k = next;
    }
}

int ps__add_edge(ps_space *s, const uint8_t *p, size_t len, uint32_t flags,
                 uint32_t *first, uint32_t *last)
{
    uint32_t prev = 0, head = 0;
    int rc = PS_OK;
    while (len) {
        uint32_t k, take = len > MAX_EDGE ? MAX_EDGE : (uint32_t)len;
        if ((uint64_t)s->labels.len + take > PS_VEC_MAX_LEN)
            rc = PS_E_OVERFLOW;
        else
            rc = ps__node_alloc(s, &k);
        if (rc)
            break;
        node *n = &s->nodes.data[k];
        n->lab = s->labels.len;
        n->meta = p[0] | take << LEN_SHIFT | (len == take ? flags : 0);
        n->child = n->next = 0;
        if (prev)
            s->nodes.data[prev].child = k;
        else
            head = k;
        prev = k;
        if (take > 1 && (rc = byte_vec_extend(&s->labels, p + 1, take - 1)))
            break;
        p += take;
        len -= take;
    }
    if (rc) { /* nothing half-built stays allocated */
        free_chain(s, head);
        return rc;
    }
    *first = head;
    *last = prev;
    return PS_OK;
}

int ps__set_val(ps_space *s, uint32_t k, uint64_t v)
{
    if (s->vals.len <= k) {
        int rc = u64_vec_push_n(&s->vals, 0, (uint64_t)s->nodes.len - s->vals.len);
        if (rc)
            return rc;
    }
    s->vals.data[k] = v;
    s->nodes.data[k].meta |= M_VAL;
    return PS_OK;
}

int ps__split(ps_space *s, uint32_t k, uint32_t i)
{
    uint32_t t;
    int rc = ps__node_alloc(s, &t);
    if (rc)
        return rc;
    node *n = &s->nodes.data[k], *m = &s->nodes.data[t];
    uint32_t len = n_len(n);
    m->lab = n->lab + i;
    m->meta = s->labels.data[n->lab + i - 1] | (len - i) << LEN_SHIFT |
              (n->meta & (M_TERM | M_VAL));
    m->child = n->child;
    m->next = 0;
    if ((n->meta & M_VAL) && (rc = ps__set_val(s, t, s->vals.data[k]))) {
        ps__node_free(s, t);
        return rc;
    }
    n->meta = n_first(n) | i << LEN_SHIFT;
    n->child = t;
    return PS_OK;
}

/* Walks p from the root. Returns the node where p ends exactly (0 if it
 * ends inside an edge or falls off), with parent/prev-sibling if asked. */
static uint32_t find(const ps_space *s, const uint8_t *p, size_t len, uint32_t *parent,
                     uint32_t *prev_sib)
{
    const node *nd = s->nodes.data;
    uint32_t cur = ROOT, par = 0, prev = 0;
    size_t pos = 0;
    while (pos < len) {
        uint8_t c = p[pos];
        uint32_t k = nd[cur].child;
        prev = 0;
        while (k && n_first(&nd[k]) < c) {
            prev = k;
            k = nd[k].next;
        }
        if (!k || n_first(&nd[k]) != c)
            return 0;
        uint32_t el = n_len(&nd[k]);
        if (el > len - pos || (el > 1 && memcmp(n_tail(s, &nd[k]), p + pos + 1, el - 1)))
            return 0;
        par = cur;
        cur = k;
        pos += el;
    }
    if (parent)
        *parent = par;
    if (prev_sib)
        *prev_sib = prev;
    return cur == ROOT ? (len == 0 ? ROOT : 0) : cur;
}

int ps_space_contains(const ps_space *s, ps_bytes path)
{
    if (path.len == 0)
        return (s->nodes.data[ROOT].meta & M_TERM) != 0;
    uint32_t k = find(s, path.ptr, path.len, NULL, NULL);
    return k && (s->nodes.data[k].meta & M_TERM);
}

int ps_space_get_value(const ps_space *s, ps_bytes path, uint64_t *value)
{
    uint32_t k = path.len ? find(s, path.ptr, path.len, NULL, NULL) : ROOT;
    if ((k || !path.len) && (s->nodes.data[k].meta & (M_TERM | M_VAL)) == (M_TERM | M_VAL)) {
        *value = s->vals.data[k];
        return PS_OK;
    }
    return PS_E_NOTFOUND;
}

/* Finds or creates the node where p ends; *added = 1 if it was not TERM. */
static int locate(ps_space *s, const uint8_t *p, size_t len, uint32_t *out, int *added)
{
    uint32_t cur = ROOT;
    size_t pos = 0;
    int rc;
    while (pos < len) {
        node *nd = s->nodes.data;
        uint8_t c = p[pos];
        uint32_t k = nd[cur].child, prev = 0;
        while (k && n_first(&nd[k]) < c) {
            prev = k;
            k = nd[k].next;
        }
        if (!k || n_first(&nd[k]) != c) {
            uint32_t first, last;
            if ((rc = ps__add_edge(s, p + pos, len - pos, M_TERM, &first, &last)))
                return rc;
            nd = s->nodes.data;
            nd[first].next = k;
            if (prev)
                nd[prev].next = first;
            else
                nd[cur].child = first;
            *out = last;
            *added = 1;
            return PS_OK;
        }
        uint32_t el = n_len(&nd[k]), i = 1;
        const uint8_t *t = n_tail(s, &nd[k]);
        while (i < el && pos + i < len && t[i - 1] == p[pos + i])
            i++;
        if (i < el && (rc = ps__split(s, k, i)))
            return rc;
        cur = k;
        pos += i;
    }
    node *n = &s->nodes.data[cur];
    *added = !(n->meta & M_TERM);
    n->meta |= M_TERM;
    *out = cur;
    return PS_OK;
}

/* locate() plus the bookkeeping of a newly added path. */
static int add_path(ps_space *s, ps_bytes path, uint32_t *k, int *added)
{
    int rc = locate(s, path.ptr, path.len, k, added);
    if (rc == PS_OK && *added) {
        s->count++;
        s->path_bytes += path.len;
    }
    return rc;
}

int ps_space_insert(ps_space *s, ps_bytes path, int *added)
{
    uint32_t k;
    int a = 0, rc = add_path(s, path, &k, &a);
    if (added)
        *added = a;
    return rc;
}

int ps_space_set_value(ps_space *s, ps_bytes path, uint64_t value)
{
    uint32_t k;
    int a = 0, rc = add_path(s, path, &k, &a);
    if (rc == PS_OK && (rc = ps__set_val(s, k, value)) && a)
        ps_space_remove(s, path, NULL); /* all or nothing; remove never allocates */
    return rc;
}

/* Unlinks and frees childless, non-TERM nodes from k upward. Needs the
 * ancestors, so it re-walks the path (remove is not the hot path). */
static void prune(ps_space *s, const uint8_t *p, size_t len)
{
    while (len) {
        uint32_t parent, prev;
        uint32_t k = find(s, p, len, &parent, &prev);
        node *nd = s->nodes.data;
        if (!k || nd[k].child || (nd[k].meta & M_TERM))
            return;
        if (prev)
            nd[prev].next = nd[k].next;
        else
            nd[parent].child = nd[k].next;
        len -= n_len(&nd[k]);
        ps__node_free(s, k);
    }
}

int ps_space_remove(ps_space *s, ps_bytes path, int *removed)
{
    uint32_t k = path.len ? find(s, path.ptr, path.len, NULL, NULL) : ROOT;
    node *n = &s->nodes.data[k];
    int r = (k || !path.len) && (n->meta & M_TERM);
    if (r) {
        n->meta &= ~(M_TERM | M_VAL);
        s->count--;
        s->path_bytes -= path.len;
        if (path.len)
            prune(s, path.ptr, path.len);
    }
    if (removed)
        *removed = r;
    return PS_OK;
}
