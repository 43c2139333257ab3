/*
 * view_act.c - an ACT file as a query view (view.h), read in place.
 *
 * A position is a record and how far into its line (view.h's qview_act).
 * Positions are kept settled: a line read to its end moves on to its child
 * record, so a position at a line's end is one where a key ends (or a dead
 * end). Every record is parsed by ps__act_parse, which checks it against
 * its parent, so a hostile file gives PS_E_CORRUPT, never a bad read, and
 * offsets fall at every step down, so no walk loops.
 */
#include "common/diag.h"
#include "mork/act_walk.h"
#include "view.h"

#define ACTV(v) ((qview_act *)(v))

/* The parsed record at (off, limit), from the one-record cache. */
static int rec_at(qview *v, uint64_t off, uint64_t limit, const act_rec **out)
{
    qview_act *x = ACTV(v);
    if (!x->rec_ok || x->rec_off != off || x->rec_limit != limit) {
        x->rec_ok = 0;
        int rc = ps__act_parse(x->a, off, limit, &x->rec, &v->d);
        if (rc)
            return -rc; /* v->d was filled by the parser */
        x->rec_ok = 1;
        x->rec_off = off;
        x->rec_limit = limit;
    }
    *out = &x->rec;
    return 0;
}

/* The position (off, pos) settled: a line read to its end goes on at its
 * child. */
static int settle(qview *v, uint64_t off, uint64_t pos, uint64_t limit, qnode *out)
{
    const act_rec *r;
    int rc = rec_at(v, off, limit, &r);
    if (rc)
        return rc;
    if (r->is_line && pos == r->line_len && r->has_child) {
        uint64_t child = r->child;
        if ((rc = rec_at(v, child, off, &r)))
            return rc;
        *out = (qnode){ .act = { child, 0, off } };
        return 1;
    }
    *out = (qnode){ .act = { off, pos, limit } };
    return 1;
}

/* The record where child idx of branch r starts (checked by the parse
 * that follows in settle). */
static int kid_at(qview *v, const act_rec *r, uint32_t idx, uint64_t *out)
{
    qview_act *x = ACTV(v);
    unsigned slot = (unsigned)(r->off >> 1) % QVIEW_ACT_SIBS;
    uint64_t at = r->child;
    uint32_t i = 0;
    if (x->sib[slot].off == r->off && x->sib[slot].idx <= idx) {
        at = x->sib[slot].at;
        i = x->sib[slot].idx;
    }
    for (; i < idx; i++) {
        if (at < ACT_HDR || at >= r->off || !(at = act_skip(x->a, at, r->off)))
            return -ps__diag_set(&v->d, PS_E_CORRUPT, NULL, at,
                                 "sibling run runs past its parent at offset %llu",
                                 (unsigned long long)r->off);
    }
    x->sib[slot].off = r->off;
    x->sib[slot].idx = idx;
    x->sib[slot].at = at;
    *out = at;
    return 0;
}

/* The least child byte of branch r in [lo, hi], and its index. */
static int kid_from(const act_rec *r, unsigned lo, unsigned hi, uint8_t *b, uint32_t *idx)
{
    if (r->nkids < ACT_MASKED) {
        for (unsigned i = 0; i < r->nkids; i++)
            if (r->kids[i] >= lo) {
                if (r->kids[i] > hi)
                    return 0;
                *b = r->kids[i];
                *idx = i;
                return 1;
            }
        return 0;
    }
    uint32_t before = 0;
    for (unsigned w = 0; w < 4; w++) {
        uint64_t bits = ps_read_le64(r->kids + 8 * w);
        if (lo > w * 64 + 63) {
            before += (uint32_t)__builtin_popcountll(bits);
            continue;
        }
        uint64_t from = lo > w * 64 ? bits & (~0ull << (lo - w * 64)) : bits;
        if (from) {
            unsigned x = w * 64 + (unsigned)__builtin_ctzll(from);
            if (x > hi)
                return 0;
            *b = (uint8_t)x;
            *idx = before + (uint32_t)__builtin_popcountll(bits & ~from);
            return 1;
        }
        before += (uint32_t)__builtin_popcountll(bits);
    }
    return 0;
}

static int a_root(qview *v, qnode *out)
{
    const ps_act *a = ACTV(v)->a;
    int rc = settle(v, a->root, 0, a->arena_end, out);
    return rc < 0 ? rc : 1;
}

static int a_next(qview *v, const qnode *n, unsigned lo, unsigned hi, uint8_t *b, qnode *out)
{
    const act_rec *r;
    int rc = rec_at(v, n->act.rec, n->act.limit, &r);
    v->steps++;
    if (rc)
        return rc;
    if (r->is_line) {
        if (n->act.pos >= r->line_len)
            return 0;
        uint8_t x = r->line[n->act.pos];
        if (x < lo || x > hi)
            return 0;
        *b = x;
        return settle(v, n->act.rec, n->act.pos + 1, n->act.limit, out);
    }
    uint32_t idx;
    if (!kid_from(r, lo, hi, b, &idx))
        return 0;
    uint64_t off = r->off, at = 0;
    if ((rc = kid_at(v, r, idx, &at)))
        return rc;
    return settle(v, at, 0, off, out);
}

static int a_step(qview *v, const qnode *n, uint8_t b, qnode *out)
{
    uint8_t got;
    return a_next(v, n, b, b, &got, out);
}

static int a_walk(qview *v, const qnode *n, const uint8_t *p, size_t k, qnode *out)
{
    qnode cur = *n;
    while (k) {
        const act_rec *r;
        int rc = rec_at(v, cur.act.rec, cur.act.limit, &r);
        if (rc)
            return rc;
        if (r->is_line && cur.act.pos < r->line_len) { /* the rest of the line at once */
            uint64_t m = r->line_len - cur.act.pos < k ? r->line_len - cur.act.pos : k;
            if (memcmp(r->line + cur.act.pos, p, (size_t)m))
                return 0;
            v->steps++;
            if ((rc = settle(v, cur.act.rec, cur.act.pos + m, cur.act.limit, &cur)) < 0)
                return rc;
            p += m;
            k -= (size_t)m;
            continue;
        }
        if ((rc = a_step(v, &cur, p[0], &cur)) <= 0)
            return rc;
        p++;
        k--;
    }
    *out = cur;
    return 1;
}

static int a_run(qview *v, const qnode *n, const uint8_t **p, size_t *k)
{
    const act_rec *r;
    int rc = rec_at(v, n->act.rec, n->act.limit, &r);
    if (rc)
        return rc;
    *k = r->is_line ? (size_t)(r->line_len - n->act.pos) : 0;
    if (*k)
        *p = r->line + n->act.pos;
    return 0;
}

static int a_end(qview *v, const qnode *n)
{
    const act_rec *r;
    int rc = rec_at(v, n->act.rec, n->act.limit, &r);
    if (rc)
        return rc;
    return r->has_value && (!r->is_line || n->act.pos == r->line_len);
}

/* Keys under n, counted by a depth-first walk of the records that stops at
 * cap keys or after a bounded number of records (it is an estimate that
 * ranks patterns; a lower bound, and never 0 when there is a key). */
static uint64_t a_count(qview *v, const qnode *n, uint64_t cap)
{
    qview_act *x = ACTV(v);
    struct { uint64_t off, limit; } st[64];
    unsigned sp = 0, visits = 0;
    uint64_t c = 0;
    st[sp].off = n->act.rec;
    st[sp++].limit = n->act.limit;
    while (sp && c < cap && visits++ < 4 * cap) {
        act_rec r;
        uint64_t off = st[--sp].off, limit = st[sp].limit;
        if (ps__act_parse(x->a, off, limit, &r, NULL))
            continue; /* damage is reported when the search gets there */
        c += r.has_value;
        if (r.is_line) {
            if (r.has_child && sp < 64)
                st[sp].off = r.child, st[sp++].limit = off;
            continue;
        }
        uint64_t at = r.child;
        unsigned k = ps__act_nkids(&r);
        for (unsigned i = 0; i < k && at && sp < 64; i++) {
            st[sp].off = at, st[sp++].limit = off;
            at = at < off ? act_skip(x->a, at, off) : 0;
        }
    }
    return c < cap ? c : cap;
}

static int a_kids(qview *v, const qnode *n, uint8_t *b, qnode *out)
{
    const act_rec *r;
    int rc = rec_at(v, n->act.rec, n->act.limit, &r);
    v->steps++;
    if (rc)
        return rc;
    if (r->is_line) {
        if (n->act.pos >= r->line_len)
            return 0;
        b[0] = r->line[n->act.pos];
        rc = settle(v, n->act.rec, n->act.pos + 1, n->act.limit, &out[0]);
        return rc < 0 ? rc : 1;
    }
    act_rec br = *r; /* settle() below reuses the record cache */
    unsigned k = ps__act_nkids(&br);
    uint64_t at = br.child;
    for (unsigned i = 0, x = 0; i < k; i++, x++) {
        if (br.nkids < ACT_MASKED) {
            b[i] = br.kids[i];
        } else {
            while (!(ps_read_le64(br.kids + 8 * (x >> 6)) >> (x & 63) & 1))
                x++;
            b[i] = (uint8_t)x;
        }
        if (i && (at >= br.off || !(at = act_skip(ACTV(v)->a, at, br.off))))
            return -ps__diag_set(&v->d, PS_E_CORRUPT, NULL, at, "sibling run runs past "
                                 "its parent at offset %llu", (unsigned long long)br.off);
        uint64_t here = at;
        if ((rc = settle(v, here, 0, br.off, &out[i])) < 0)
            return rc;
    }
    return (int)k;
}

static int a_skip(qview *v, const qnode *n, size_t k, qnode *out)
{
    v->steps++;
    int rc = settle(v, n->act.rec, n->act.pos + k, n->act.limit, out); /* inside one line: run() said so */
    return rc < 0 ? rc : 1;
}

static const qview_ops act_ops = { a_root, a_step, a_walk, a_next, a_run, a_end, a_count,
                                   a_kids, a_skip };

void ps__qview_act(qview_act *v, const ps_act *a)
{
    memset(v, 0, sizeof *v);
    v->v.ops = &act_ops;
    v->a = a;
    for (unsigned i = 0; i < QVIEW_ACT_SIBS; i++)
        v->sib[i].off = UINT64_MAX;
}
