/* tags.c - walking and writing terms (tags.h). */
#include "tags.h"

size_t ps__term_len(const uint8_t *p, size_t n)
{
    size_t i = 0;
    uint64_t owed = 1;
    while (owed && i < n) {
        item it;
        owed--;
        if (ps__item(p + i, n - i, &it))
            return n;
        if (it.kind == ITEM_LIST)
            owed += it.n;
        i += item_size(&it);
    }
    return i < n ? i : n;
}

int ps__sym_append(ps_buf *b, const void *s, size_t n)
{
    if (n == 0)
        return ps__sym_append(b, "\"\"", 2);
    if (n > UINT32_MAX)
        return PS_E_LIMIT;
    uint8_t h[5];
    size_t hl = 1;
    if (n <= TAG_SHORT_MAX)
        h[0] = (uint8_t)(TAG_NEWVAR + n);
    else {
        h[0] = PS_TAG_LONG_SYMBOL;
        h[1] = (uint8_t)(n >> 24), h[2] = (uint8_t)(n >> 16), h[3] = (uint8_t)(n >> 8);
        h[4] = (uint8_t)n;
        hl = 5;
    }
    int rc = ps_buf_append(b, h, hl);
    return rc ? rc : ps_buf_append(b, s, n);
}

int ps__arity_append(ps_buf *b, uint64_t n)
{
    if (n > UINT32_MAX)
        return PS_E_LIMIT;
    if (n <= TAG_SHORT_MAX) {
        uint8_t t = (uint8_t)n;
        return ps_buf_append(b, &t, 1);
    }
    uint8_t h[5] = { PS_TAG_WIDE_LIST, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
                     (uint8_t)(n >> 8), (uint8_t)n };
    return ps_buf_append(b, h, 5);
}
