/* brute.c - see brute.h. */
#include <stdlib.h>
#include <string.h>

#include "brute.h"

/* A tree in preorder: node i's first child is i + 1, the next one starts
 * after the subtree before it (size). */
typedef struct bnode {
    uint8_t kind;          /* 0 symbol, 1 list, 2 variable */
    uint32_t n;            /* symbol bytes, list children, or variable number */
    uint32_t size;         /* nodes in the subtree, itself included */
    const uint8_t *sym;
} bnode;

typedef struct btree {
    bnode *nodes;
    uint32_t len;
} btree;

struct bf_db {
    btree *atoms;
    uint64_t n;
    ps_buf bytes; /* the atoms' bytes, which symbols point into */
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parses one atom at p[*at..len) into t (recursive: test data is shallow);
 * nvars counts NewVars so a VarRef can be checked. */
static int parse(btree *t, const uint8_t *p, size_t len, size_t *at, uint32_t *nvars)
{
    if (*at >= len)
        return -1;
    uint32_t me = t->len++;
    bnode *nd = &t->nodes[me];
    uint8_t h = p[(*at)++];
    nd->size = 1;
    if (h < 0x40 || h == PS_TAG_WIDE_LIST) {
        uint32_t k = h;
        if (h == PS_TAG_WIDE_LIST) {
            if (len - *at < 4)
                return -1;
            k = be32(p + *at);
            *at += 4;
        }
        nd->kind = 1;
        nd->n = k;
        for (uint32_t i = 0; i < k; i++) {
            uint32_t c = t->len;
            if (parse(t, p, len, at, nvars))
                return -1;
            t->nodes[me].size += t->nodes[c].size;
        }
        return 0;
    }
    if (h == 0xC0 || (h >= 0x80 && h < 0xC0)) {
        nd->kind = 2;
        nd->n = h == 0xC0 ? (*nvars)++ : h & 0x3Fu;
        return h != 0xC0 && nd->n >= *nvars ? -1 : 0;
    }
    uint32_t n = h > 0xC0 ? (uint32_t)(h - 0xC0) : 0;
    if (h == PS_TAG_LONG_SYMBOL) {
        if (len - *at < 4)
            return -1;
        n = be32(p + *at);
        *at += 4;
    } else if (h < 0xC1) {
        return -1;
    }
    if (len - *at < n)
        return -1;
    nd->kind = 0;
    nd->n = n;
    nd->sym = p + *at;
    *at += n;
    return 0;
}

static int tree_of(const uint8_t *p, size_t len, btree *t)
{
    t->nodes = malloc((len + 1) * sizeof *t->nodes); /* a node per byte at most */
    t->len = 0;
    size_t at = 0;
    uint32_t nv = 0;
    if (!t->nodes || parse(t, p, len, &at, &nv) || at != len) {
        free(t->nodes);
        t->nodes = NULL;
        return -1;
    }
    return 0;
}

int bf_db_new(const ps_space *s, bf_db **out)
{
    bf_db *db = calloc(1, sizeof *db);
    ps_iter *it;
    ps_bytes p;
    if (!db || ps_iter_new(s, ps_bytes_of(NULL, 0), &it))
        return PS_E_NOMEM;
    uint64_t n = ps_space_count(s);
    db->atoms = calloc(n ? n : 1, sizeof *db->atoms);
    size_t *offs = calloc(n ? n : 1, sizeof *offs), *lens = calloc(n ? n : 1, sizeof *lens);
    while (db->atoms && offs && lens && ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        offs[db->n] = db->bytes.len;
        lens[db->n++] = p.len;
        if (ps_buf_append(&db->bytes, p.ptr, p.len))
            break;
    }
    ps_iter_free(it);
    /* the trees point into the bytes: parse them once the buffer is final */
    uint64_t kept = 0;
    for (uint64_t i = 0; db->atoms && offs && lens && i < db->n; i++)
        if (!tree_of(ps_buf_data(&db->bytes) + offs[i], lens[i], &db->atoms[kept]))
            kept++;
    db->n = kept;
    free(offs);
    free(lens);
    *out = db;
    return db->atoms ? PS_OK : PS_E_NOMEM;
}

void bf_db_free(bf_db *db)
{
    if (!db)
        return;
    for (uint64_t i = 0; i < db->n; i++)
        free(db->atoms[i].nodes);
    free(db->atoms);
    ps_buf_free(&db->bytes);
    free(db);
}

uint64_t bf_db_atoms(const bf_db *db)
{
    return db->n;
}

/* ------------------------------------------------------------ unifying */

/* A term: a node of a tree. Tree 0 is the query, tree i + 1 the atom
 * chosen for pattern i; tree t's variable k is id 64 t + k. */
typedef struct ref {
    uint32_t tree, node;
} ref;

typedef struct bf_search {
    const bf_db *db;
    btree *trees;   /* [0] the query, then one per pattern */
    ref *bind;      /* per id; tree UINT32_MAX = unbound */
    uint32_t *trail;
    uint32_t ntrail;
    ref *pats, *tpls;
    uint32_t npat, ntpl;
    ps_space *out;
    ps_buf res;
    uint64_t solutions, tried;
    uint32_t num[64 * 65], stamp[64 * 65], gen;
    int err;
} bf_search;

static const bnode *nodeof(const bf_search *s, ref r)
{
    return &s->trees[r.tree].nodes[r.node];
}

static uint32_t var_id(const bf_search *s, ref r)
{
    return 64 * r.tree + nodeof(s, r)->n;
}

static ref deref(const bf_search *s, ref r)
{
    while (nodeof(s, r)->kind == 2 && s->bind[var_id(s, r)].tree != UINT32_MAX)
        r = s->bind[var_id(s, r)];
    return r;
}

static ref kid(const bf_search *s, ref r, uint32_t i)
{
    uint32_t c = r.node + 1;
    while (i--)
        c += s->trees[r.tree].nodes[c].size;
    return (ref){ r.tree, c };
}

static int occurs(const bf_search *s, uint32_t id, ref r)
{
    r = deref(s, r);
    const bnode *nd = nodeof(s, r);
    if (nd->kind == 2)
        return var_id(s, r) == id;
    for (uint32_t i = 0; nd->kind == 1 && i < nd->n; i++)
        if (occurs(s, id, kid(s, r, i)))
            return 1;
    return 0;
}

static void bind(bf_search *s, uint32_t id, ref r)
{
    s->bind[id] = r;
    s->trail[s->ntrail++] = id;
}

static int unify(bf_search *s, ref a, ref b)
{
    a = deref(s, a);
    b = deref(s, b);
    const bnode *x = nodeof(s, a), *y = nodeof(s, b);
    if (x->kind == 2 && y->kind == 2 && var_id(s, a) == var_id(s, b))
        return 1;
    if (x->kind == 2) {
        if (occurs(s, var_id(s, a), b))
            return 0;
        bind(s, var_id(s, a), b);
        return 1;
    }
    if (y->kind == 2)
        return unify(s, b, a);
    if (x->kind != y->kind || x->n != y->n)
        return 0;
    if (x->kind == 0)
        return memcmp(x->sym, y->sym, x->n) == 0;
    for (uint32_t i = 0; i < x->n; i++)
        if (!unify(s, kid(s, a, i), kid(s, b, i)))
            return 0;
    return 1;
}

/* ------------------------------------------------------ instantiating */

static void put(bf_search *s, const void *p, size_t n)
{
    if (ps_buf_append(&s->res, p, n))
        s->err = PS_E_NOMEM;
}

static void write_term(bf_search *s, ref r, uint32_t *next)
{
    r = deref(s, r);
    const bnode *nd = nodeof(s, r);
    uint8_t h[5];
    if (nd->kind == 2) {
        uint32_t id = var_id(s, r);
        if (s->stamp[id] == s->gen) {
            h[0] = (uint8_t)(0x80 | s->num[id]);
        } else {
            if (*next == 64) {
                s->err = PS_E_LIMIT;
                return;
            }
            s->stamp[id] = s->gen;
            s->num[id] = (*next)++;
            h[0] = 0xC0;
        }
        put(s, h, 1);
        return;
    }
    int wide = (nd->kind == 1 && nd->n >= 64) || (nd->kind == 0 && nd->n >= 64);
    if (wide) {
        h[0] = nd->kind == 1 ? PS_TAG_WIDE_LIST : PS_TAG_LONG_SYMBOL;
        h[1] = (uint8_t)(nd->n >> 24), h[2] = (uint8_t)(nd->n >> 16);
        h[3] = (uint8_t)(nd->n >> 8), h[4] = (uint8_t)nd->n;
        put(s, h, 5);
    } else {
        h[0] = (uint8_t)(nd->kind == 1 ? nd->n : 0xC0 + nd->n);
        put(s, h, 1);
    }
    if (nd->kind == 0) {
        put(s, nd->sym, nd->n);
        return;
    }
    for (uint32_t i = 0; i < nd->n; i++)
        write_term(s, kid(s, r, i), next);
}

static void solution(bf_search *s)
{
    s->solutions++;
    for (uint32_t i = 0; i < s->ntpl; i++) {
        uint32_t next = 0;
        s->gen++;
        ps_buf_clear(&s->res, 0);
        write_term(s, s->tpls[i], &next);
        if (!s->err && s->out && ps_space_insert(s->out, ps_buf_bytes(&s->res), NULL))
            s->err = PS_E_NOMEM;
    }
}

/* Pattern i against every atom, then the next pattern. */
static void search(bf_search *s, uint32_t i)
{
    if (i == s->npat) {
        solution(s);
        return;
    }
    for (uint64_t a = 0; a < s->db->n && !s->err; a++) {
        s->trees[i + 1] = s->db->atoms[a];
        uint32_t mark = s->ntrail;
        s->tried++;
        if (unify(s, s->pats[i], (ref){ i + 1, 0 }))
            search(s, i + 1);
        while (s->ntrail > mark)
            s->bind[s->trail[--s->ntrail]].tree = UINT32_MAX;
    }
}

/* The roots of the query's part r: the children after "," or r itself. */
static uint32_t roots(const bf_search *s, ref r, ref **out)
{
    const bnode *nd = nodeof(s, r);
    int conj = nd->kind == 1 && nd->n >= 1 && nodeof(s, kid(s, r, 0))->kind == 0 &&
               nodeof(s, kid(s, r, 0))->n == 1 && nodeof(s, kid(s, r, 0))->sym[0] == ',';
    uint32_t n = conj ? nd->n - 1 : 1;
    *out = calloc(n ? n : 1, sizeof **out);
    for (uint32_t i = 0; i < n; i++)
        (*out)[i] = conj ? kid(s, r, i + 1) : r;
    return n;
}

int bf_query(const bf_db *db, ps_bytes spec, ps_space *out, uint64_t *solutions,
             uint64_t *tried)
{
    bf_search s;
    memset(&s, 0, sizeof s);
    s.db = db;
    s.out = out;
    btree q;
    if (tree_of(spec.ptr, spec.len, &q) || q.nodes[0].kind != 1 || q.nodes[0].n != 2)
        return PS_E_INVAL;
    s.trees = calloc(66, sizeof *s.trees);
    s.trees[0] = q;
    s.npat = roots(&s, kid(&s, (ref){ 0, 0 }, 0), &s.pats);
    s.ntpl = roots(&s, kid(&s, (ref){ 0, 0 }, 1), &s.tpls);
    uint32_t ids = 64 * (s.npat + 1);
    s.bind = malloc(ids * sizeof *s.bind);
    s.trail = malloc(ids * sizeof *s.trail);
    for (uint32_t i = 0; i < ids; i++)
        s.bind[i].tree = UINT32_MAX;
    if (s.npat > 64)
        s.err = PS_E_LIMIT;
    else
        search(&s, 0);
    if (solutions)
        *solutions = s.solutions;
    if (tried)
        *tried = s.tried;
    free(q.nodes);
    free(s.trees);
    free(s.pats);
    free(s.tpls);
    free(s.bind);
    free(s.trail);
    ps_buf_free(&s.res);
    return s.err;
}
