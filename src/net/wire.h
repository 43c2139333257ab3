/*
 * wire.h - reading and writing payloads (docs/protocol.md), shared by the
 * server and the client.
 *
 * A reader never trusts a count: every read checks the bytes that are
 * really there, and a short payload sets `bad` instead of reading past it.
 * A reply is built in one pooled buffer of exactly its size: the caller
 * knows the payload length first (reply_begin), so the header is written
 * once and nothing moves.
 */
#ifndef PS_NET_WIRE_H
#define PS_NET_WIRE_H

#include <string.h>

#include "pathspace.h"

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
    int bad;
} rd;

static inline rd rd_of(ps_bytes b)
{
    rd r = { b.ptr, b.len, 0, 0 };
    return r;
}
static inline size_t rd_left(const rd *r) { return r->n - r->off; }
static inline const uint8_t *rd_take(rd *r, size_t k)
{
    if (r->bad || rd_left(r) < k) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += k;
    return p;
}
static inline uint8_t rd_u8(rd *r)
{
    const uint8_t *p = rd_take(r, 1);
    return p ? *p : 0;
}
static inline uint16_t rd_u16(rd *r)
{
    const uint8_t *p = rd_take(r, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}
static inline uint32_t rd_u32(rd *r)
{
    const uint8_t *p = rd_take(r, 4);
    return p ? ps_read_le32(p) : 0;
}
static inline uint64_t rd_u64(rd *r)
{
    const uint8_t *p = rd_take(r, 8);
    return p ? ps_read_le64(p) : 0;
}

/* Writing into a buffer whose room was reserved up front. */
static inline uint8_t *wr_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}
static inline uint8_t *wr_u32(uint8_t *p, uint32_t v)
{
    ps_write_le32(p, v);
    return p + 4;
}
static inline uint8_t *wr_u64(uint8_t *p, uint64_t v)
{
    ps_write_le64(p, v);
    return p + 8;
}

/* A frame of `len` payload bytes in a pooled buffer of exactly
 * PS_FRAME_HEADER + len bytes (its class's capacity): the header is
 * written, and the payload's bytes are returned for the caller to fill
 * (b->len already counts them). NULL with *rc on failure. */
uint8_t *ps__frame_begin(ps_buf *b, int type, uint16_t flags, uint64_t id, size_t len, int *rc);

/* Fixed payload sizes. */
#define HELLO_REQ_MIN 8     /* u16 min, u16 max, u32 token length, token */
#define HELLO_REPLY 32      /* u16 version, u16 0, u32 max frame, u64 node,
                             * u64 atoms, u32 max batch, u32 0            */
#define CHANGE_REPLY 24     /* u64 changed, u64 seq, u64 atoms            */
#define BATCH_HEAD 8        /* u8 form, u8[3] 0, u32 count               */
#define QUERY_HEAD 24       /* u32 plen, u32 tlen, u32 batch, u8 form,
                             * u8 mode, u16 0, u64 limit                  */
#define TRANSFORM_REPLY 32  /* u64 results, u64 added, u64 seq, u64 atoms */
#define EXPORT_HEAD 8       /* u8 format, u8[7] 0, then the prefix        */
#define CKPT_REPLY 80       /* u64 seq, atoms, log_pos, created_ns,
                             * payload_len; u8 hash, u8 id length, u16 0,
                             * u32 version; u8[32] id                      */
#define ERROR_HEAD_SIZE 8        /* u32 code, u32 message length               */
#define ERROR_MSG_MAX 200

#endif
