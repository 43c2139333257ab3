/* checkpoint.c - CHECKPOINT: the served space's keeper forks the
 * checkpoint (serve/bgsave.c); the request waits, in its connection's
 * order, for the first checkpoint that started after it, and its reply
 * says what that checkpoint holds. */
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "wire.h"

static void reply(ps_server *s, conn *c, const served_ckpt *m)
{
    c->ckpt_wait = 0;
    if (m->rc) {
        ps__conn_error(s, c, c->ckpt_id, m->rc, 0, "checkpoint: %s", m->msg);
        return;
    }
    ps_buf b = { 0 };
    int rc;
    uint8_t *p = ps__frame_begin(&b, PS_MSG_CHECKPOINT | PS_MSG_REPLY, 0, c->ckpt_id,
                                 CKPT_REPLY, &rc);
    if (!p) {
        c->closing = 1;
        return;
    }
    const ps_ckpt_info *ci = &m->ci;
    p = wr_u64(p, ci->seq);
    p = wr_u64(p, ci->atoms);
    p = wr_u64(p, ci->log_pos);
    p = wr_u64(p, ci->created_ns);
    p = wr_u64(p, ci->payload_len);
    *p++ = ci->oid.hash;
    *p++ = ci->oid.len;
    p = wr_u16(p, 0);
    p = wr_u32(p, ci->version);
    memset(p, 0, 32);
    memcpy(p, ci->oid.id, ci->oid.len <= 32 ? ci->oid.len : 32);
    ps__conn_queue(s, c, &b);
}

void ps__ckpt_ended(ps_server *s)
{
    uint64_t v;
    ssize_t k = read(ps__served_ckpt_fd(s->sv), &v, sizeof v); /* resets it */
    (void)k;
    served_ckpt m;
    ps__served_ckpt_last(s->sv, &m);
    for (uint32_t i = 0; i < s->nconns; i++) {
        conn *c = s->conns[i];
        if (c->ckpt_wait && m.nth > c->ckpt_after) {
            reply(s, c, &m);
            ps__conn_pending(s, c);
        }
    }
}

void ps__ckpt_request(ps_server *s, conn *c, uint64_t id)
{
    if (ps__commit(s))
        return; /* the log failed: the loop ends */
    c->ckpt_wait = 1;
    c->ckpt_id = id;
    c->ckpt_after = ps__served_ckpt_ask(s->sv);
}
