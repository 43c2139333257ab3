/* diag.h - filling a ps_diag. */
#ifndef PS_COMMON_DIAG_H
#define PS_COMMON_DIAG_H
#include "pathspace.h"

/* Sets d (if not NULL) and returns code. Line/column are computed from
 * text[0..offset) when text is given: errors are rare, so the parser does
 * not count lines on the hot path. */
int ps__diag_set(ps_diag *d, int code, const uint8_t *text, uint64_t offset,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* For a failed system call: "what: " and errno's text ("Address already
 * in use"), so that no message about one leaves out why. */
int ps__io_err(ps_diag *d, int code, const char *what);

#endif
