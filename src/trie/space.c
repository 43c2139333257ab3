/*
 * space.c - the trie's point operations: insert, remove, contains, values
 * (blocks, edges and splits are in blocks.c).
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
    if (ps__arena_init(s)) {
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
    ps__arena_free(s);
    free(s);
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
    st->label_bytes = ps__label_bytes(s) + (s->live_nodes - 1); /* + first bytes */
    st->mem_bytes = sizeof *s + ps__arena_bytes(s);
}

/* A step of a walk: where it is, and the way it came (for remove). */
typedef struct hop {
    nid parent;
    uint32_t pos;
} hop;

/* Walks p from the root. Returns the node where p ends exactly (0 if it
 * ends inside an edge or falls off); the last hop in *h if asked. */
static nid find(const ps_space *s, const uint8_t *p, size_t len, hop *h)
{
    nid cur = ROOT, par = 0;
    uint32_t pos = 0;
    size_t at = 0;
    while (at < len) {
        nid k = ps__kid(s, cur, p[at], &pos);
        if (!k)
            return 0;
        const node *n = N(s, k);
        uint32_t el = n_len(n);
        if (el > len - at || (el > 1 && memcmp(n_tail(s, n), p + at + 1, el - 1)))
            return 0;
        par = cur;
        cur = k;
        at += el;
    }
    if (h)
        *h = (hop){ par, pos };
    return cur == ROOT ? (len == 0 ? ROOT : 0) : cur;
}

int ps_space_contains(const ps_space *s, ps_bytes path)
{
    if (path.len == 0)
        return (N(s, ROOT)->meta & M_TERM) != 0;
    nid k = find(s, path.ptr, path.len, NULL);
    return k && (N(s, k)->meta & M_TERM);
}

int ps_space_get_value(const ps_space *s, ps_bytes path, uint64_t *value)
{
    nid k = path.len ? find(s, path.ptr, path.len, NULL) : ROOT;
    if ((k || !path.len) && (N(s, k)->meta & (M_TERM | M_VAL)) == (M_TERM | M_VAL)) {
        *value = *V(s, k);
        return PS_OK;
    }
    return PS_E_NOTFOUND;
}

/* Finds or creates the node where p ends; *added = 1 if it was not TERM. */
static int locate(ps_space *s, const uint8_t *p, size_t len, nid *out, int *added)
{
    nid cur = ROOT;
    size_t at = 0;
    int rc;
    while (at < len) {
        uint32_t pos;
        nid k = ps__kid(s, cur, p[at], &pos);
        if (!k) {
            if ((rc = ps__add_edge(s, cur, pos, p + at, len - at, M_TERM, out)))
                return rc;
            *added = 1;
            return PS_OK;
        }
        const node *n = N(s, k);
        uint32_t el = n_len(n), i = 1;
        const uint8_t *t = n_tail(s, n);
        while (i < el && at + i < len && t[i - 1] == p[at + i])
            i++;
        if (i < el && (rc = ps__split(s, k, i)))
            return rc;
        cur = k;
        at += i;
    }
    node *n = N(s, cur);
    *added = !(n->meta & M_TERM);
    n->meta |= M_TERM;
    *out = cur;
    return PS_OK;
}

/* locate() plus the bookkeeping of a newly added path. */
static int add_path(ps_space *s, ps_bytes path, nid *k, int *added)
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
    nid k;
    int a = 0, rc = add_path(s, path, &k, &a);
    if (added)
        *added = a;
    return rc;
}

int ps_space_set_value(ps_space *s, ps_bytes path, uint64_t value)
{
    nid k;
    int a = 0, rc = add_path(s, path, &k, &a);
    if (rc == PS_OK && (rc = ps__set_val(s, k, value)) && a)
        ps_space_remove(s, path, NULL); /* all or nothing; remove never allocates */
    return rc;
}

/* Takes out childless, non-TERM nodes from the end of p upward, then
 * merges the lowest node left back with its only child if it can. Needs
 * the ancestors, so it re-walks the path (remove is not the hot path). */
static void prune(ps_space *s, const uint8_t *p, size_t len)
{
    for (;;) {
        hop h;
        nid k = len ? find(s, p, len, &h) : ROOT;
        const node *n = N(s, k);
        if (!len || !k || n_nkids(n) || (n->meta & M_TERM)) {
            if (k)
                ps__merge(s, k);
            return;
        }
        len -= n_len(n);
        s->dead_labels += n_len(n) - 1;
        ps__kid_close(s, h.parent, h.pos);
    }
}

int ps_space_remove(ps_space *s, ps_bytes path, int *removed)
{
    nid k = path.len ? find(s, path.ptr, path.len, NULL) : ROOT;
    node *n = N(s, k);
    int r = (k || !path.len) && (n->meta & M_TERM);
    if (r) {
        n->meta &= ~(M_TERM | M_VAL);
        s->count--;
        s->path_bytes -= path.len;
        if (path.len)
            prune(s, path.ptr, path.len);
        if (!s->count && !n_nkids(N(s, ROOT)))
            ps_space_clear(s); /* empty: the arenas start over, every block free */
        else if (s->dead_labels >= 4096 && s->dead_labels >= ps__label_bytes(s) / 2)
            ps__labels_compact(s); /* half the edge bytes are dead; no memory: later */
    }
    if (removed)
        *removed = r;
    return PS_OK;
}
