/*
 * sink.c - what each template does with an instance (exec_priv.h).
 *
 * Every sink collects into a set during the match, so duplicates collapse
 * and the finish reads its instances in byte order; nothing is written to
 * the space until the whole step is done (step.c applies the writes).
 */
#include <string.h>

#include "exec_priv.h"

int ps__op(exec_run *r, int op, ps_bytes atom)
{
    uint8_t h[5];
    h[0] = (uint8_t)op;
    if (atom.len > UINT32_MAX)
        return PS_EXEC_E_BYTES;
    ps_write_le32(h + 1, (uint32_t)atom.len);
    if (ps_buf_append(&r->ops, h, 5) || ps_buf_append(&r->ops, atom.ptr, atom.len))
        return PS_EXEC_E_NOMEM;
    return PS_OK;
}

/* The k-th argument of a sink's instance (K a1 a2 ...), k from 1. */
static ps_bytes arg(ps_bytes inst, unsigned k)
{
    size_t off[5];
    uint64_t ar;
    if (ps__list_items(inst.ptr, inst.len, off, 5, &ar) || k >= ar)
        return ps_bytes_of(NULL, 0); /* shape.c checked the arity */
    size_t end = k + 1 < ar ? off[k + 1] : inst.len;
    return ps_bytes_of(inst.ptr + off[k], end - off[k]);
}

static int collect(exec_run *r, unsigned j, ps_bytes b)
{
    if (!r->set[j] && ps_space_new(&r->set[j]))
        return PS_EXEC_E_NOMEM;
    return ps_space_insert(r->set[j], b, NULL) ? PS_EXEC_E_NOMEM : PS_OK;
}

int ps__sink_feed(exec_run *r, unsigned j, ps_bytes inst)
{
    const shape *sh = &r->sh;
    if (++r->results > r->o.max_results)
        return PS_EXEC_E_RESULTS;
    if ((r->bytes += inst.len) > r->o.max_bytes)
        return PS_EXEC_E_BYTES;
    if (!sh->wrap[j]) /* a (, ...) template */
        return ps_space_insert(r->adds, inst, NULL) ? PS_EXEC_E_NOMEM : PS_OK;
    switch (sh->snk[j]) {
    case SNK_ADD:
        return ps_space_insert(r->adds, arg(inst, 1), NULL) ? PS_EXEC_E_NOMEM : PS_OK;
    case SNK_REMOVE:
    case SNK_U:
    case SNK_AU:
        return collect(r, j, arg(inst, 1));
    case SNK_HEAD:
    case SNK_TAIL:
    case SNK_ACT:
        return collect(r, j, arg(inst, 2));
    default: /* the grouping sinks read their whole instance */
        return collect(r, j, inst);
    }
}

/* (head N t): the N byte-smallest; (tail N t): the N largest. */
static int keep(exec_run *r, unsigned j)
{
    uint64_t n = ps_space_count(r->set[j]), k = r->sh.keep[j];
    uint64_t from = r->sh.snk[j] == SNK_HEAD || n <= k ? 0 : n - k;
    uint64_t to = r->sh.snk[j] == SNK_TAIL || n <= k ? n : k;
    ps_iter *it;
    ps_bytes p;
    if (ps_iter_new(r->set[j], ps_bytes_of(NULL, 0), &it))
        return PS_EXEC_E_NOMEM;
    int rc = PS_OK;
    for (uint64_t i = 0; i < to && !rc && ps_iter_next(it, &p, NULL, NULL) == PS_OK; i++)
        if (i >= from)
            rc = ps__op(r, EXEC_OP_ADD, p);
    ps_iter_free(it);
    return rc;
}

static int each_op(exec_run *r, unsigned j, int op)
{
    ps_iter *it;
    ps_bytes p;
    if (ps_iter_new(r->set[j], ps_bytes_of(NULL, 0), &it))
        return PS_EXEC_E_NOMEM;
    int rc = PS_OK;
    while (!rc && ps_iter_next(it, &p, NULL, NULL) == PS_OK)
        rc = ps__op(r, op, p);
    ps_iter_free(it);
    return rc;
}

int ps__sink_finish(exec_run *r, unsigned j)
{
    const shape *sh = &r->sh;
    if (!sh->wrap[j] || !r->set[j] || !ps_space_count(r->set[j]))
        return PS_OK; /* written during the match, or nothing came */
    switch (sh->snk[j]) {
    case SNK_REMOVE:
        return each_op(r, j, EXEC_OP_REMOVE);
    case SNK_HEAD:
    case SNK_TAIL:
        return keep(r, j);
    case SNK_U:
    case SNK_AU:
        return ps__fold_finish(r, j);
    case SNK_ACT:
        return PS_OK; /* written after every sink has finished (step.c) */
    default:
        return ps__group_finish(r, j);
    }
}
