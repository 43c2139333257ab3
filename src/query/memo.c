/* memo.c - see memo.h. An open-addressing table keyed by position. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "memo.h"

static uint64_t hash(const qnode *k)
{
    uint64_t h = k->w[0] * 0x9E3779B97F4A7C15ull ^ k->w[1] * 0xC2B2AE3D27D4EB4Full ^
                 k->w[2] * 0x165667B19E3779F9ull;
    return h ^ h >> 29;
}


int ps__memo_find(const memo *m, const qnode *k, uint32_t *first, uint32_t *n)
{
    if (!m->cap)
        return 0;
    for (uint64_t i = hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const mslot *s = &m->slots[i];
        if (!s->used)
            return 0;
        if (qnode_eq(&s->key, k)) {
            *first = s->first;
            *n = s->count;
            return 1;
        }
    }
}

static int grow(memo *m)
{
    uint32_t cap = m->cap ? m->cap * 2 : 1024;
    mslot *s = ps_calloc(cap, sizeof *s);
    if (!s)
        return PS_E_NOMEM;
    for (uint32_t j = 0; j < m->cap; j++) {
        if (!m->slots[j].used)
            continue;
        uint64_t i = hash(&m->slots[j].key) & (cap - 1);
        while (s[i].used)
            i = (i + 1) & (cap - 1);
        s[i] = m->slots[j];
    }
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    return PS_OK;
}

int ps__memo_keep(memo *m, const qnode *k, uint32_t first)
{
    uint64_t size = (uint64_t)m->terms.len * sizeof(mterm) + m->bytes.len +
                    (uint64_t)m->cap * sizeof(mslot);
    if (size > MEMO_MAX_BYTES || m->cap >= (1u << 30)) {
        m->full = 1;
        return PS_OK;
    }
    if (2 * (m->len + 1) > m->cap && grow(m))
        return PS_E_NOMEM;
    uint64_t i = hash(k) & (m->cap - 1);
    while (m->slots[i].used)
        i = (i + 1) & (m->cap - 1);
    m->slots[i] = (mslot){ *k, first, m->terms.len - first, 1 };
    m->len++;
    return PS_OK;
}

void ps__memo_free(memo *m)
{
    free(m->slots);
    mterm_list_free(&m->terms);
    ps_buf_free(&m->bytes);
    memset(m, 0, sizeof *m);
}

int ps__cmemo_find(const cmemo *m, const qnode *k, uint64_t *n)
{
    for (uint64_t i = m->cap ? hash(k) & (m->cap - 1) : 0; m->cap; i = (i + 1) & (m->cap - 1)) {
        const cslot *s = &m->slots[i];
        if (!s->count)
            return 0;
        if (qnode_eq(&s->key, k)) {
            *n = s->count - 1;
            return 1;
        }
    }
    return 0;
}

void ps__cmemo_keep(cmemo *m, const qnode *k, uint64_t n)
{
    if (2 * (m->len + 1) > m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 256;
        if (cap > (1u << 20))
            return; /* big enough: counting again is cheaper than memory */
        cslot *s = ps_calloc(cap, sizeof *s);
        if (!s)
            return;
        for (uint32_t j = 0; j < m->cap; j++) {
            if (!m->slots[j].count)
                continue;
            uint64_t i = hash(&m->slots[j].key) & (cap - 1);
            while (s[i].count)
                i = (i + 1) & (cap - 1);
            s[i] = m->slots[j];
        }
        free(m->slots);
        m->slots = s;
        m->cap = cap;
    }
    uint64_t i = hash(k) & (m->cap - 1);
    while (m->slots[i].count) {
        if (qnode_eq(&m->slots[i].key, k)) { /* counted further since */
            m->slots[i].count = n + 1;
            return;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = (cslot){ *k, n + 1 };
    m->len++;
}

void ps__memo_reset(memo *m)
{
    if (m->len)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->len = 0;
    m->terms.len = 0;
    ps_buf_clear(&m->bytes, 0);
    m->full = 0;
}

void ps__cmemo_reset(cmemo *m)
{
    if (m->len)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->len = 0;
}

void ps__cmemo_free(cmemo *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

int ps__view_kids(qview *v, const qnode *n, uint64_t kids[4], int *ends)
{
    uint8_t b[256];
    qnode q[256];
    int k = v->ops->kids(v, n, b, q);
    if (k < 0)
        return k;
    memset(kids, 0, 4 * sizeof *kids);
    for (int i = 0; i < k; i++)
        kids[b[i] >> 6] |= 1ull << (b[i] & 63);
    *ends = v->ops->end(v, n);
    return *ends < 0 ? *ends : 0;
}
