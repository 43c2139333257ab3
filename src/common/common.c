/*
 * common.c - version, error names and checked size arithmetic.
 */
#include "pathspace.h"
#include "alloc.h"
#include "opts.h"

_Thread_local long ps__alloc_fail_in;
_Thread_local unsigned long long ps__alloc_calls;

void ps__test_fail_alloc(long n)
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
    [PS_E_DENIED] = "authentication required or refused",
    [PS_E_PROTOCOL] = "protocol violation",
    [PS_E_CLOSED] = "connection closed",
    [PS_E_READONLY] = "read-only replica",
    [PS_E_MOVED] = "the key belongs to another shard",
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

int ps__opts_copy(void *dst, size_t dst_size, const void *src)
{
    if (!src)
        return PS_OK;
    uint32_t n;
    memcpy(&n, src, sizeof n);
    if (n < sizeof n)
        return PS_E_INVAL; /* .size never set: refuse rather than guess */
    const uint8_t *s = src;
    for (size_t i = dst_size; i < n; i++)
        if (s[i])
            return PS_E_UNSUPPORTED;
    memcpy(dst, src, n < dst_size ? n : dst_size);
    n = (uint32_t)dst_size;
    memcpy(dst, &n, sizeof n);
    return PS_OK;
}
