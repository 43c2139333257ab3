/*
 * buf.c - growable byte buffer with headroom (see the picture in
 * pathspace.h).
 *
 * Invariant: head + len <= cap, and base == NULL iff cap == 0.
 * Every function either succeeds or leaves the buffer exactly as it was.
 */
#include "pathspace.h"
#include "common/alloc.h"

void ps_buf_init(ps_buf *b)
{
    b->base = NULL;
    b->head = b->len = b->cap = 0;
}

void ps_buf_free(ps_buf *b)
{
    if (!b)
        return;
    free(b->base);
    ps_buf_init(b);
}

int ps_buf_init_exact(ps_buf *b, size_t headroom, size_t size)
{
    size_t total;
    if (ps_size_bound(1, headroom, size, &total))
        return PS_E_OVERFLOW;
    uint8_t *p = total ? ps_malloc(total) : NULL;
    if (total && !p)
        return PS_E_NOMEM;
    free(b->base);
    b->base = p;
    b->head = headroom;
    b->len = 0;
    b->cap = total;
    return PS_OK;
}

static int resize(ps_buf *b, size_t ncap)
{
    uint8_t *p = ps_realloc(b->base, ncap);
    if (!p)
        return PS_E_NOMEM;
    b->base = p;
    b->cap = ncap;
    return PS_OK;
}

int ps_buf_reserve_exact(ps_buf *b, size_t n)
{
    size_t need;
    if (ps_buf_tailroom(b) >= n)
        return PS_OK;
    if (ps_size_bound(1, b->head + b->len, n, &need))
        return PS_E_OVERFLOW;
    return resize(b, need);
}

int ps_buf_reserve(ps_buf *b, size_t n)
{
    size_t need;
    if (PS_LIKELY(ps_buf_tailroom(b) >= n))
        return PS_OK;
    if (ps_size_bound(1, b->head + b->len, n, &need))
        return PS_E_OVERFLOW;
    size_t grow = b->cap + b->cap / 2;
    if (grow < b->cap) /* wrapped */
        grow = need;
    return resize(b, need > grow ? need : grow < 64 ? 64 : grow);
}

uint8_t *ps_buf_append_uninit(ps_buf *b, size_t n, int *rc)
{
    *rc = ps_buf_reserve(b, n);
    if (*rc || !b->base) /* n == 0 on an empty buffer: nothing to point at */
        return NULL;
    uint8_t *p = b->base + b->head + b->len;
    b->len += n;
    return p;
}

int ps_buf_append(ps_buf *b, const void *p, size_t n)
{
    int rc;
    uint8_t *dst = ps_buf_append_uninit(b, n, &rc);
    if (dst && n)
        memcpy(dst, p, n);
    return rc;
}

int ps_buf_prepend(ps_buf *b, const void *p, size_t n)
{
    if (PS_LIKELY(b->head >= n)) {
        b->head -= n;
        b->len += n;
        if (n)
            memcpy(b->base + b->head, p, n);
        return PS_OK;
    }
    /* Not enough headroom: one new block, header then payload, keeping the
     * tailroom the caller had. */
    size_t total, tail = ps_buf_tailroom(b);
    if (ps_size_bound(1, n, b->len, &total) || ps_size_bound(1, total, tail, &total))
        return PS_E_OVERFLOW;
    uint8_t *nb = ps_malloc(total);
    if (!nb)
        return PS_E_NOMEM;
    memcpy(nb, p, n);
    if (b->len)
        memcpy(nb + n, b->base + b->head, b->len);
    free(b->base);
    b->base = nb;
    b->head = 0;
    b->len += n;
    b->cap = total;
    return PS_OK;
}

void ps_buf_clear(ps_buf *b, size_t keep_head)
{
    b->len = 0;
    b->head = keep_head < b->cap ? keep_head : b->cap;
}

uint8_t *ps_buf_detach(ps_buf *b, size_t *len)
{
    uint8_t *p = b->base;
    *len = b->len;
    if (b->len == 0) {
        ps_buf_free(b);
        return NULL;
    }
    if (b->head)
        memmove(p, p + b->head, b->len);
    ps_buf_init(b);
    return p;
}
