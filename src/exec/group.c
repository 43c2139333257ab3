/*
 * group.c - the sinks of the form (K tpl $v payload): count, sum, hash,
 * and, fsum, fmin, fmax, fprod and pure (exec_priv.h).
 *
 * The instances are a set in byte order, so those with the same tpl
 * instance are neighbours: a group. Each group gets one result from its
 * distinct (v, payload) suffixes; then, per distinct v: a variable that
 * occurs in tpl receives the result, a variable that does not leaves tpl
 * as it is, and a value is a guard (tpl is written only if it equals the
 * result).
 */
#include <float.h>
#include <string.h>
#include <xxhash.h>

#include "exec_priv.h"
#include "expr/tags.h"
#include "num.h"
#include "pure.h"
#include "query/term.h"

/* One instance's parts: offsets in its bytes. */
typedef struct parts {
    ps_bytes tpl, v, pay;
} parts;

static int split(ps_bytes in, parts *p)
{
    size_t off[5];
    uint64_t ar;
    if (ps__list_items(in.ptr, in.len, off, 5, &ar) || ar != 4)
        return -1;
    p->tpl = ps_bytes_of(in.ptr + off[1], off[2] - off[1]);
    p->v = ps_bytes_of(in.ptr + off[2], off[3] - off[2]);
    p->pay = ps_bytes_of(in.ptr + off[3], in.len - off[3]);
    return 0;
}

/* A group's fold over its members' payloads. */
typedef struct fold {
    int kind;
    uint64_t n;
    uint32_t sum;
    uint8_t and;
    double f;
    XXH3_state_t *h;
} fold;

static void fold_start(fold *f, int kind)
{
    f->kind = kind;
    f->n = 0;
    f->sum = 0;
    f->and = 0xFF;
    f->f = kind == SNK_FMIN ? DBL_MAX : kind == SNK_FMAX ? -DBL_MAX : kind == SNK_FPROD ? 1 : 0;
    if (f->h)
        XXH3_128bits_reset(f->h);
}

static int fold_add(fold *f, const parts *p)
{
    ps_bytes s;
    f->n++;
    switch (f->kind) {
    case SNK_SUM: {
        i128 v;
        if (!ps__symbol(p->pay.ptr, p->pay.len, &s) || ps__num_parse_int(s.ptr, s.len, 0, 32, &v))
            return PS_EXEC_E_PAYLOAD;
        f->sum += (uint32_t)v; /* wraps, as MORK's u32 does */
        return PS_OK;
    }
    case SNK_AND:
        if (!ps__symbol(p->pay.ptr, p->pay.len, &s))
            return PS_EXEC_E_PAYLOAD;
        f->and &= s.ptr[0];
        return PS_OK;
    case SNK_HASH:
        XXH3_128bits_update(f->h, p->v.ptr, p->v.len + p->pay.len); /* v then payload */
        return PS_OK;
    case SNK_FSUM:
    case SNK_FMIN:
    case SNK_FMAX:
    case SNK_FPROD: {
        double x;
        if (!ps__symbol(p->pay.ptr, p->pay.len, &s) || ps__num_parse_f64(s.ptr, s.len, &x))
            return PS_EXEC_E_PAYLOAD;
        f->f = f->kind == SNK_FSUM ? f->f + x : f->kind == SNK_FPROD ? f->f * x
             : f->kind == SNK_FMIN ? (x < f->f ? x : f->f) : (x > f->f ? x : f->f);
        return PS_OK;
    }
    default: /* count */
        return PS_OK;
    }
}

/* The group's result as a symbol, appended to out. */
static int fold_result(fold *f, ps_buf *out)
{
    char b[NUM_TEXT_MAX];
    size_t n;
    switch (f->kind) {
    case SNK_SUM: n = ps__num_int_text(f->sum, 0, b); break;
    case SNK_AND: b[0] = (char)f->and, n = 1; break;
    case SNK_HASH: {
        XXH128_hash_t h = XXH3_128bits_digest(f->h);
        XXH128_canonical_t c; /* big-endian, as MORK's digest is written */
        XXH128_canonicalFromHash(&c, h);
        memcpy(b, c.digest, 16), n = 16;
        break;
    }
    case SNK_COUNT: n = ps__num_int_text(f->n, 0, b); break;
    default: n = ps__num_display(f->f, b); break;
    }
    return ps__sym_append(out, b, n) ? PS_EXEC_E_NOMEM : PS_OK;
}

/* Writes tpl of the instance with its variable v bound to val (an atom),
 * or tpl as it is (val NULL). */
static int write_tpl(exec_run *r, ps_bytes inst, ps_bytes *val)
{
    terms t;
    uint32_t nv = 0, nv2 = 0;
    uint64_t root, voff;
    if (ps__terms_init(&t, 2 * PS_MAX_VARS))
        return PS_EXEC_E_NOMEM;
    int rc = ps__internalize(&t, inst.ptr, inst.len, 0, &nv, &root, NULL);
    if (!rc && val)
        rc = ps__internalize(&t, val->ptr, val->len, PS_MAX_VARS, &nv2, &voff, NULL);
    /* the internal instance: [4] K tpl v payload */
    const uint8_t *a = t_at(&t, 0);
    uint64_t kids;
    uint64_t k = root + ps__thead(a + root, &kids);
    k += ps__tlen(a + k); /* K */
    uint64_t tpl = k, v = tpl + ps__tlen(a + tpl);
    if (!rc && val)
        rc = ps__bind(&t, t_var_id(a + v), voff);
    ps_buf_clear(&r->tmp, 0);
    if (!rc)
        rc = ps__instantiate(&t, tpl, &r->tmp);
    ps__terms_free(&t);
    if (rc)
        return rc == PS_E_LIMIT ? PS_EXEC_E_VARS : PS_EXEC_E_NOMEM;
    return ps__op(r, EXEC_OP_ADD, ps_buf_bytes(&r->tmp));
}

/* How v stands to tpl: 1 a variable of tpl, 0 a variable of its own, -1 a
 * value. */
static int v_kind(const parts *p)
{
    uint8_t h = p->v.ptr[0];
    if (h == TAG_NEWVAR)
        return 0;
    if (!tag_is_var(h))
        return -1;
    /* a VarRef to a variable introduced before v: all of them are in tpl */
    return 1;
}

/* The writes of one group: members [first, first + n) of the set, walked
 * again from the iterator's copy in r->val (the group's instances). */
static int group_writes(exec_run *r, fold *f, ps_buf *members, uint64_t n)
{
    ps_buf res = { 0 };
    int rc = fold_result(f, &res);
    const uint8_t *m = ps_buf_data(members);
    size_t at = 0;
    ps_bytes last_v = ps_bytes_of(NULL, 0);
    for (uint64_t i = 0; i < n && !rc; i++) {
        uint32_t len = ps_read_le32(m + at);
        ps_bytes inst = ps_bytes_of(m + at + 4, len);
        at += 4 + (size_t)len;
        parts p;
        split(inst, &p);
        if (last_v.ptr && ps_bytes_cmp(last_v, p.v) == 0)
            continue; /* one write per distinct v */
        last_v = p.v;
        int vk = v_kind(&p);
        ps_bytes rb = ps_buf_bytes(&res);
        if (vk == 1)
            rc = write_tpl(r, inst, &rb);
        else if (vk == 0)
            rc = write_tpl(r, inst, NULL);
        else if (ps_bytes_cmp(p.v, rb) == 0)
            rc = write_tpl(r, inst, NULL);
    }
    ps_buf_free(&res);
    return rc;
}

/* pure: each instance on its own. */
static int pure_one(exec_run *r, ps_bytes inst)
{
    parts p;
    split(inst, &p);
    int vk = v_kind(&p);
    if (vk < 0)
        return PS_EXEC_E_PAYLOAD;
    if (vk == 0)
        return write_tpl(r, inst, NULL); /* nothing to receive the value */
    ps_buf_clear(&r->val, 0);
    int e = ps__pure_eval(p.pay.ptr, p.pay.len, &r->val);
    if (e == PURE_E_NOMEM)
        return PS_EXEC_E_NOMEM;
    if (e || !ps__ground(ps_buf_data(&r->val), r->val.len)) {
        r->st.dropped++;
        return PS_OK;
    }
    ps_bytes v = ps_buf_bytes(&r->val);
    return write_tpl(r, inst, &v);
}

int ps__group_finish(exec_run *r, unsigned j)
{
    int kind = r->sh.snk[j];
    ps_iter *it;
    ps_bytes in;
    fold f = { 0 };
    ps_buf group = { 0 }, key = { 0 };
    uint64_t n = 0;
    if (ps_iter_new(r->set[j], ps_bytes_of(NULL, 0), &it))
        return PS_EXEC_E_NOMEM;
    if (kind == SNK_HASH && !(f.h = XXH3_createState())) {
        ps_iter_free(it);
        return PS_EXEC_E_NOMEM;
    }
    int rc = PS_OK;
    for (;;) {
        int more = ps_iter_next(it, &in, NULL, NULL) == PS_OK;
        parts p;
        if (more && split(in, &p))
            continue;
        if (kind == SNK_PURE) {
            if (!more)
                break;
            if ((rc = pure_one(r, in)))
                break;
            continue;
        }
        /* a new tpl instance ends the group before it */
        if (n && (!more || ps_bytes_cmp(ps_buf_bytes(&key), p.tpl) != 0)) {
            if ((rc = group_writes(r, &f, &group, n)))
                break;
            n = 0;
        }
        if (!more)
            break;
        if (!n) {
            fold_start(&f, kind);
            ps_buf_clear(&group, 0);
            ps_buf_clear(&key, 0);
            if (ps_buf_append(&key, p.tpl.ptr, p.tpl.len)) {
                rc = PS_EXEC_E_NOMEM;
                break;
            }
        }
        uint8_t len[4];
        ps_write_le32(len, (uint32_t)in.len);
        if (ps_buf_append(&group, len, 4) || ps_buf_append(&group, in.ptr, in.len)) {
            rc = PS_EXEC_E_NOMEM;
            break;
        }
        n++;
        if ((rc = fold_add(&f, &p)))
            break;
    }
    ps_iter_free(it);
    XXH3_freeState(f.h);
    ps_buf_free(&group);
    ps_buf_free(&key);
    return rc;
}
