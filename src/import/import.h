/* import.h - the pieces the JSON and CSV readers share. */
#ifndef PS_IMPORT_IMPORT_H
#define PS_IMPORT_IMPORT_H

#include "pathspace.h"

/* Appends a symbol's encoding: 0xC0 + n for 1..63 bytes, the long-symbol
 * tag past that. The empty string, which no symbol can be in MORK's
 * encoding, becomes the two-byte symbol "" (a quoted empty string). */
int ps__sym_append(ps_buf *b, const void *s, size_t n);
/* Appends a list's arity tag (the wide-list tag past 63). */
int ps__arity_append(ps_buf *b, uint64_t n);

#endif
