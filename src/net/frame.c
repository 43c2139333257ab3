/* frame.c - frame headers, heartbeats and batch payloads
 * (docs/protocol.md). */
#include "common/diag.h"
#include "wire.h"

void ps_frame_encode(const ps_frame *f, uint8_t out[PS_FRAME_HEADER])
{
    ps_write_le32(out, PS_FRAME_MAGIC);
    out[4] = f->version;
    out[5] = f->type;
    wr_u16(out + 6, f->flags);
    ps_write_le32(out + 8, f->len);
    ps_write_le32(out + 12, 0);
    ps_write_le64(out + 16, f->id);
}

int ps_frame_decode(const void *p, size_t n, uint32_t max_frame, ps_frame *f, ps_diag *d)
{
    const uint8_t *h = p;
    if (n < PS_FRAME_HEADER)
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, n, "frame header: %zu of 24 bytes", n);
    if (ps_read_le32(h) != PS_FRAME_MAGIC)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "frame header: bad magic");
    f->version = h[4];
    f->type = h[5];
    f->flags = (uint16_t)(h[6] | h[7] << 8);
    f->len = ps_read_le32(h + 8);
    f->id = ps_read_le64(h + 16);
    if (ps_read_le32(h + 12))
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 12, "frame header: reserved bytes not zero");
    if (f->version != PS_PROTO_VERSION)
        return ps__diag_set(d, PS_E_VERSION, NULL, 4, "frame version %u (this is %u)",
                            f->version, PS_PROTO_VERSION);
    if (f->len > max_frame)
        return ps__diag_set(d, PS_E_LIMIT, NULL, 8, "frame of %u bytes passes the limit of %u",
                            f->len, max_frame);
    return PS_OK;
}

uint8_t *ps__frame_begin(ps_buf *b, int type, uint16_t flags, uint64_t id, size_t len, int *rc)
{
    if (len > UINT32_MAX) {
        *rc = PS_E_LIMIT;
        return NULL;
    }
    if ((*rc = ps_pool_get(b, PS_FRAME_HEADER + len)))
        return NULL;
    ps_frame f = { PS_PROTO_VERSION, (uint8_t)type, flags, (uint32_t)len, id };
    ps_frame_encode(&f, b->base);
    b->len = PS_FRAME_HEADER + len;
    return b->base + PS_FRAME_HEADER;
}

int ps_heartbeat_frame(ps_buf *out, int type, uint64_t id, const ps_heartbeat *hb)
{
    int rc;
    uint8_t *p = ps__frame_begin(out, type, 0, id, PS_HEARTBEAT_SIZE, &rc);
    if (!p)
        return rc;
    p = wr_u64(p, hb->node);
    p = wr_u64(p, hb->uptime_ms);
    p = wr_u64(p, hb->seq);
    p = wr_u32(p, hb->hops);
    wr_u32(p, 0);
    return PS_OK;
}

int ps_heartbeat_decode(ps_bytes payload, ps_heartbeat *hb, ps_diag *d)
{
    if (payload.len != PS_HEARTBEAT_SIZE)
        return ps__diag_set(d, PS_E_CORRUPT, NULL, 0, "heartbeat of %zu bytes (not 32)",
                            payload.len);
    rd r = rd_of(payload);
    hb->node = rd_u64(&r);
    hb->uptime_ms = rd_u64(&r);
    hb->seq = rd_u64(&r);
    hb->hops = rd_u32(&r);
    hb->spare = rd_u32(&r);
    return PS_OK;
}

int ps_batch_encode(ps_buf *out, int form, const ps_bytes *items, size_t n)
{
    if ((form != PS_FORM_PATHS && form != PS_FORM_TEXT) || n > UINT32_MAX)
        return PS_E_INVAL;
    size_t total = BATCH_HEAD;
    for (size_t i = 0; i < n; i++) {
        size_t each = items[i].len + (form == PS_FORM_PATHS ? 4 : 1);
        if (items[i].len > UINT32_MAX || __builtin_add_overflow(total, each, &total))
            return PS_E_OVERFLOW;
    }
    int rc = ps_buf_reserve_exact(out, total);
    if (rc)
        return rc;
    uint8_t h[BATCH_HEAD] = { (uint8_t)form, 0, 0, 0 };
    wr_u32(h + 4, form == PS_FORM_PATHS ? (uint32_t)n : 0);
    ps_buf_append(out, h, sizeof h);
    for (size_t i = 0; i < n; i++) {
        if (form == PS_FORM_PATHS) {
            uint8_t l[4];
            wr_u32(l, (uint32_t)items[i].len);
            ps_buf_append(out, l, 4);
        }
        if (items[i].len)
            ps_buf_append(out, items[i].ptr, items[i].len);
        if (form == PS_FORM_TEXT)
            ps_buf_append(out, "\n", 1); /* items stay separate atoms */
    }
    return PS_OK;
}
