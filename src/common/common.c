/*
 * common.c - version, error names and checked size arithmetic.
 */
#include "pathspace.h"
#include "alloc.h"

_Thread_local long ps__alloc_fail_in;

void ps_test_fail_alloc(long n)
{
    ps__alloc_fail_in = n > 0 ? n : 0;
}

unsigned ps_version(void)
{
    return PS_VERSION_NUMBER;
}

const char *ps_version_string(void)
{
    return PS_VERSION_STRING;
}

static const char *const err_names[PS_ERR_COUNT] = {
    [PS_OK] = "success",
    [PS_E_NOMEM] = "out of memory",
    [PS_E_OVERFLOW] = "size or count limit exceeded",
    [PS_E_INVAL] = "invalid argument",
    [PS_E_IO] = "input/output error",
    [PS_E_CORRUPT] = "corrupt input",
    [PS_E_TRUNCATED] = "truncated input",
    [PS_E_VERSION] = "unsupported format version or flags",
    [PS_E_CHECKSUM] = "checksum mismatch",
    [PS_E_PARSE] = "syntax error",
    [PS_E_NOTFOUND] = "not found",
    [PS_E_EXISTS] = "already exists",
    [PS_E_UNSUPPORTED] = "not representable or not supported",
    [PS_E_LIMIT] = "format limit exceeded",
    [PS_E_EMPTY] = "empty",
    [PS_E_HASH] = "content does not match its hash",
    [PS_E_LOCKED] = "locked by another process",
};

const char *ps_strerror(int code)
{
    if (code < 0 || code >= PS_ERR_COUNT || !err_names[code])
        return "unknown error";
    return err_names[code];
}

int ps_size_bound(size_t n, size_t each, size_t extra, size_t *out)
{
    size_t t;
    if (__builtin_mul_overflow(n, each, &t) || __builtin_add_overflow(t, extra, &t))
        return PS_E_OVERFLOW;
    *out = t;
    return PS_OK;
}
