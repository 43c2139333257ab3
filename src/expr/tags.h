/*
 * tags.h - the atom encoding's tags, decoded and encoded in one place
 * (docs/encoding.md). Every layer that reads or writes atoms byte by byte
 * (the parser and printer here, the query engine, the importers, MORK's
 * HTTP commands) asks this header what a tag means.
 *
 *   0x00..0x3F  a list of that many items (its arity)
 *   0x40        a list of a u32 big-endian count (>= 64) of items
 *   0x41        a symbol of a u32 big-endian count (>= 64) of bytes
 *   0x42..0x7F  reserved (the query engine's T_VAR is 0x50, never stored)
 *   0x80..0xBF  a reference to the (tag & 63)-th variable of the atom
 *   0xC0        a new variable
 *   0xC1..0xFF  a symbol of (tag & 63) bytes
 */
#ifndef PS_EXPR_TAGS_H
#define PS_EXPR_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "pathspace.h"

#define TAG_NEWVAR 0xC0
#define TAG_VARREF 0x80
#define TAG_SHORT_MAX 63 /* the longest arity or symbol a one-byte tag holds */

static inline int tag_is_list(uint8_t t)
{
    return t < 0x40;
}

/* A new variable or a reference: something a pattern binds. */
static inline int tag_is_var(uint8_t t)
{
    return t >= TAG_VARREF && t <= TAG_NEWVAR;
}

static inline int tag_is_short_symbol(uint8_t t)
{
    return t > TAG_NEWVAR;
}

/* The arity, symbol length or variable number in a one-byte tag. */
static inline unsigned tag_low(uint8_t t)
{
    return t & 63u;
}

/* One item of an atom: what it is, and its sizes. */
enum { ITEM_LIST, ITEM_SYMBOL, ITEM_NEWVAR, ITEM_VARREF, ITEM_RESERVED };
typedef struct item {
    int kind;
    size_t head; /* the tag and its length field: 1 or 5 bytes             */
    uint64_t n;  /* LIST: its arity; SYMBOL: its bytes (after head);
                  * VARREF: the variable's number                         */
} item;

static inline uint32_t tag_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decodes the item at p, with left bytes readable: 0, or -1 when its
 * length field is cut short (a symbol's bytes are not checked: n says how
 * many must follow). */
static inline int ps__item(const uint8_t *p, size_t left, item *it)
{
    uint8_t t = p[0];
    it->head = 1;
    it->n = t & 63u;
    if (t < 0x40)
        it->kind = ITEM_LIST;
    else if (t == PS_TAG_WIDE_LIST || t == PS_TAG_LONG_SYMBOL) {
        if (left < 5)
            return -1;
        it->kind = t == PS_TAG_WIDE_LIST ? ITEM_LIST : ITEM_SYMBOL;
        it->head = 5;
        it->n = tag_be32(p + 1);
    } else if (t < TAG_VARREF)
        it->kind = ITEM_RESERVED;
    else if (t < TAG_NEWVAR)
        it->kind = ITEM_VARREF;
    else
        it->kind = t == TAG_NEWVAR ? ITEM_NEWVAR : ITEM_SYMBOL;
    return 0;
}

/* The bytes of the item at p: its head and a symbol's bytes. */
static inline size_t item_size(const item *it)
{
    return it->head + (it->kind == ITEM_SYMBOL ? (size_t)it->n : 0);
}

/* 1 when the term at p (n bytes) is MORK's conjunction (, t1 t2 ...): a
 * list whose head is the symbol ",". *terms gets how many terms follow
 * the comma, *first where the first starts. */
static inline int ps__conj(const uint8_t *p, size_t n, uint64_t *terms, size_t *first)
{
    item it;
    if (!n || ps__item(p, n, &it) || it.kind != ITEM_LIST || it.n < 1 || n - it.head < 2 ||
        p[it.head] != TAG_NEWVAR + 1 || p[it.head + 1] != ',')
        return 0;
    *terms = it.n - 1;
    *first = it.head + 2;
    return 1;
}

/* The length of the term that starts at p, walking no further than n
 * bytes (a term cut short gives n; reserved tags count one byte). */
size_t ps__term_len(const uint8_t *p, size_t n);

/* Appends a symbol's encoding (an empty one, which the encoding cannot
 * hold, as the two bytes ""), or a list's arity. PS_E_LIMIT past 2^32-1. */
int ps__sym_append(ps_buf *b, const void *s, size_t n);
int ps__arity_append(ps_buf *b, uint64_t n);

#endif
