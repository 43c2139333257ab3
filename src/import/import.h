/* import.h - the pieces the JSON and CSV readers share. */
#ifndef PS_IMPORT_IMPORT_H
#define PS_IMPORT_IMPORT_H

#include "expr/tags.h" /* ps__sym_append, ps__arity_append */
#include "pathspace.h"

/* Hands each atom of MeTTa text, JSON, JSON Lines or CSV to fn (errors as
 * their parsers give them); PS_E_UNSUPPORTED for the binary formats. */
int ps__each_atom(const void *data, size_t len, int format, ps_atom_fn fn, void *ctx,
                  ps_diag *d);

/* Writes one line per path of s to out, in blocks of about 64 KiB: line()
 * appends a path's line to b. */
int ps__save_lines(const ps_space *s, ps_sink out, int (*line)(ps_buf *b, ps_bytes atom));

#endif
