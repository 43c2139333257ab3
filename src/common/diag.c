/* diag.c - error reports with line:column. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

int ps__diag_set(ps_diag *d, int code, const uint8_t *text, uint64_t offset,
                const char *fmt, ...)
{
    if (!d)
        return code;
    d->code = code;
    d->offset = offset;
    d->line = d->col = 0;
    if (text) {
        uint32_t line = 1;
        uint64_t bol = 0;
        for (uint64_t i = 0; i < offset; i++)
            if (text[i] == '\n') {
                line++;
                bol = i + 1;
            }
        d->line = line;
        d->col = (uint32_t)(offset - bol + 1);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return code;
}

int ps__io_err(ps_diag *d, int code, const char *what)
{
    return ps__diag_set(d, code, NULL, 0, "%s: %s", what, strerror(errno));
}
