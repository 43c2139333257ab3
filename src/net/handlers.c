/* handlers.c - the requests that answer at once: HELLO, PING, ADD,
 * REMOVE, CONTAINS, COUNT, STATS, CANCEL (docs/protocol.md). A request
 * whose layout is broken closes its connection after the ERROR; one whose
 * content is wrong (a bad atom, a text syntax error) gets an ERROR and the
 * connection goes on. A batch is checked whole before any of it applies. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/diag.h"
#include "server.h"
#include "wire.h"

static void hello(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    rd r = rd_of(payload);
    unsigned lo = rd_u16(&r), hi = rd_u16(&r);
    uint32_t tlen = rd_u32(&r);
    const uint8_t *tok = rd_take(&r, tlen);
    if (r.bad || rd_left(&r))
        return ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "HELLO: malformed payload");
    if (c->hello)
        return ps__conn_error(s, c, f->id, PS_E_PROTOCOL, 1, "HELLO twice");
    if (lo > PS_PROTO_VERSION || hi < PS_PROTO_VERSION)
        return ps__conn_error(s, c, f->id, PS_E_VERSION, 1,
                              "versions %u..%u asked; this server speaks %u", lo, hi,
                              PS_PROTO_VERSION);
    if (s->id.token_len && (tlen != s->id.token_len || sodium_memcmp(tok, s->id.token, tlen) != 0))
        return ps__conn_error(s, c, f->id, PS_E_DENIED, 1, "bad or missing token");
    c->hello = 1;
    ps_buf b = { 0 };
    int rc;
    uint8_t *p = ps__frame_begin(&b, PS_MSG_HELLO | PS_MSG_REPLY, 0, f->id, HELLO_REPLY, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    p = wr_u16(p, PS_PROTO_VERSION);
    p = wr_u16(p, 0);
    p = wr_u32(p, s->o.max_frame);
    p = wr_u64(p, s->node);
    p = wr_u64(p, ps_space_count(ps_pspace_space(s->p)));
    p = wr_u32(p, s->o.max_batch);
    wr_u32(p, 0);
    ps__conn_queue(s, c, &b);
}

static void ping(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    ps_heartbeat hb;
    ps_diag d;
    if (ps_heartbeat_decode(payload, &hb, &d))
        return ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "PING: %s", d.msg);
    ps_heartbeat me = { s->node, (uint64_t)(s->now - s->start_ms), hb.seq, hb.hops + 1, 0 };
    ps_buf b = { 0 };
    if (ps_heartbeat_frame(&b, PS_MSG_PING | PS_MSG_REPLY, f->id, &me))
        c->closing = 1;
    else
        ps__conn_queue(s, c, &b);
}

/* A batch's atoms into s->atoms as u32 length + bytes, all checked. 0, or
 * an ERROR queued (close says whether the layout itself was broken). */
static int take_batch(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload, uint32_t *n)
{
    rd r = rd_of(payload);
    uint8_t form = rd_u8(&r);
    const uint8_t *z = rd_take(&r, 3);
    uint32_t count = rd_u32(&r);
    ps_buf_clear(&s->atoms, 0);
    *n = 0;
    if (r.bad || z[0] || z[1] || z[2] || form > PS_FORM_TEXT || (form == PS_FORM_TEXT && count)) {
        ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "batch: malformed header");
        return -1;
    }
    if (count > s->o.max_batch) {
        ps__conn_error(s, c, f->id, PS_E_LIMIT, 0, "a batch of %u atoms (the limit is %u)",
                       count, s->o.max_batch);
        return -1;
    }
    if (form == PS_FORM_PATHS) {
        for (uint32_t i = 0; i < count; i++) {
            uint32_t len = rd_u32(&r);
            const uint8_t *a = rd_take(&r, len);
            size_t alen;
            ps_diag d;
            if (r.bad) {
                ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "batch: atom %u passes the frame", i);
                return -1;
            }
            int rc = ps_atom_check(ps_bytes_of(a, len), &alen, &d);
            if (!rc && alen != len)
                rc = PS_E_CORRUPT, snprintf(d.msg, sizeof d.msg, "bytes after the atom");
            if (rc) {
                ps__conn_error(s, c, f->id, rc, 0, "batch: atom %u: %s", i, d.msg);
                return -1;
            }
        }
        if (rd_left(&r)) {
            ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "batch: bytes after the last atom");
            return -1;
        }
        *n = count;
    } else {
        ps_parser_reset(s->parser, payload.ptr + BATCH_HEAD, payload.len - BATCH_HEAD);
        ps_bytes a;
        ps_diag d;
        int rc;
        while ((rc = ps_parser_next(s->parser, &a, &d)) == PS_OK) {
            uint8_t l[4];
            ps_write_le32(l, (uint32_t)a.len);
            if (ps_buf_append(&s->atoms, l, 4) || ps_buf_append(&s->atoms, a.ptr, a.len)) {
                ps__conn_error(s, c, f->id, PS_E_NOMEM, 0, "out of memory");
                return -1;
            }
            if (++*n > s->o.max_batch)
                break;
        }
        if (rc != PS_E_EMPTY && *n <= s->o.max_batch) {
            ps__conn_error(s, c, f->id, rc, 0, "text %u:%u: %s", d.line, d.col, d.msg);
            return -1;
        }
    }
    if (*n > s->o.max_batch) {
        ps__conn_error(s, c, f->id, PS_E_LIMIT, 0, "a batch of more than %u atoms",
                       s->o.max_batch);
        return -1;
    }
    return 0;
}

/* The i-th atom of a checked batch: from the payload or from s->atoms. */
typedef struct batch_rd {
    rd r;
} batch_rd;

static batch_rd batch_start(ps_server *s, ps_bytes payload)
{
    batch_rd b;
    b.r = payload.ptr[0] == PS_FORM_PATHS ? rd_of(ps_bytes_of(payload.ptr + BATCH_HEAD,
                                                                 payload.len - BATCH_HEAD))
                                           : rd_of(ps_buf_bytes(&s->atoms));
    return b;
}

static ps_bytes batch_next(batch_rd *b)
{
    uint32_t len = rd_u32(&b->r);
    return ps_bytes_of(rd_take(&b->r, len), len);
}

static void change(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload, int op)
{
    uint32_t n;
    if (take_batch(s, c, f, payload, &n))
        return;
    batch_rd br = batch_start(s, payload);
    ps_diag d = { 0 };
    for (uint32_t i = 0; i < n; i++) /* a shard takes the batch whole or not at all */
        if (ps__served_owns(s->sv, batch_next(&br), &d))
            return ps__conn_error(s, c, f->id, d.code, 0, "%s", d.msg);
    br = batch_start(s, payload);
    uint64_t changed = 0;
    for (uint32_t i = 0; i < n; i++) {
        int ch;
        if (ps__served_stage(s->sv, op, batch_next(&br), &ch))
            return; /* the log is broken: the loop ends */
        changed += (uint64_t)ch;
    }
    ps_buf b = { 0 };
    int rc;
    uint8_t *p = ps__frame_begin(&b, f->type | PS_MSG_REPLY, 0, f->id, CHANGE_REPLY, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    p = wr_u64(p, changed);
    /* the position the log reaches once this turn commits */
    p = wr_u64(p, ps_pspace_seq(s->p) + ps__served_staged(s->sv));
    wr_u64(p, ps_space_count(ps_pspace_space(s->p)));
    ps__conn_queue(s, c, &b);
}

static void contains(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    uint32_t n;
    if (take_batch(s, c, f, payload, &n))
        return;
    batch_rd br = batch_start(s, payload);
    ps_buf b = { 0 };
    int rc;
    uint8_t *p = ps__frame_begin(&b, f->type | PS_MSG_REPLY, 0, f->id, 8 + (n + 7) / 8, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    p = wr_u32(p, n);
    p = wr_u32(p, 0);
    memset(p, 0, (n + 7) / 8);
    const ps_space *sp = ps_pspace_space(s->p);
    for (uint32_t i = 0; i < n; i++)
        if (ps_space_contains(sp, batch_next(&br)))
            p[i / 8] |= (uint8_t)(1u << (i % 8));
    ps__conn_queue(s, c, &b);
}

static void stats(ps_server *s, conn *c, const ps_frame *f)
{
    ps_server_stats st;
    ps_server_stats_get(s, &st);
    const uint64_t *v = &st.uptime_ms; /* the struct is PS_SERVER_STATS_N u64s, then spare */
    ps_buf b = { 0 };
    int rc;
    uint8_t *p = ps__frame_begin(&b, f->type | PS_MSG_REPLY, 0, f->id,
                                 8 + 8 * PS_SERVER_STATS_N, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    p = wr_u32(p, PS_SERVER_STATS_N);
    p = wr_u32(p, 0);
    for (unsigned i = 0; i < PS_SERVER_STATS_N; i++)
        p = wr_u64(p, v[i]);
    ps__conn_queue(s, c, &b);
}

void ps__dispatch(ps_server *s, conn *c, const ps_frame *f, ps_bytes payload)
{
    if (f->flags)
        return ps__conn_error(s, c, f->id, PS_E_PROTOCOL, 1, "request flags must be zero");
    if (!c->hello && f->type != PS_MSG_HELLO)
        return ps__conn_error(s, c, f->id, PS_E_PROTOCOL, 1, "HELLO must come first");
    const char *ro = ps__served_readonly(s->sv);
    if (ro && (f->type == PS_MSG_ADD || f->type == PS_MSG_REMOVE || f->type == PS_MSG_TRANSFORM ||
               f->type == PS_MSG_RUN))
        return ps__conn_error(s, c, f->id, PS_E_READONLY, 0, "%s", ro);
    switch (f->type) {
    case PS_MSG_HELLO: return hello(s, c, f, payload);
    case PS_MSG_PING: return ping(s, c, f, payload);
    case PS_MSG_ADD: return change(s, c, f, payload, SERVED_ADD);
    case PS_MSG_REMOVE: return change(s, c, f, payload, SERVED_REMOVE);
    case PS_MSG_CONTAINS: return contains(s, c, f, payload);
    case PS_MSG_COUNT: return ps__handle_count(s, c, f, payload);
    case PS_MSG_QUERY: return ps__handle_query(s, c, f, payload);
    case PS_MSG_TRANSFORM: return ps__handle_transform(s, c, f, payload);
    case PS_MSG_EXPORT: return ps__handle_export(s, c, f, payload);
    case PS_MSG_RUN: return ps__handle_run(s, c, f, payload);
    case PS_MSG_CHECKPOINT:
        if (payload.len)
            return ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "CHECKPOINT takes no payload");
        return ps__ckpt_request(s, c, f->id);
    case PS_MSG_STATS:
        if (payload.len)
            return ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "STATS takes no payload");
        return stats(s, c, f);
    case PS_MSG_CANCEL:
        if (payload.len != 8)
            return ps__conn_error(s, c, f->id, PS_E_CORRUPT, 1, "CANCEL takes a u64 id");
        return; /* its stream already ended: nothing to stop, no reply */
    default:
        return ps__conn_error(s, c, f->id, PS_E_PROTOCOL, 1, "no request of type %u", f->type);
    }
}
