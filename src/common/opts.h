/*
 * opts.h - reading a caller's options struct across versions.
 *
 * Every public options struct starts with `uint32_t size`, the sizeof the
 * caller compiled with. An older caller's struct is shorter: the fields it
 * lacks keep the library's defaults. A newer caller's struct is longer: the
 * bytes this library does not know must be zero (the caller left the new
 * fields at their defaults), else PS_E_UNSUPPORTED. This is the rule Linux
 * applies to openat2's struct open_how (copy_struct_from_user).
 */
#ifndef PS_COMMON_OPTS_H
#define PS_COMMON_OPTS_H

#include <stddef.h>

/* dst (this library's struct, dst_size bytes) already holds the defaults;
 * src is the caller's struct, or NULL for "all defaults". PS_E_INVAL when
 * src's size is too small to hold even the size field. */
int ps__opts_copy(void *dst, size_t dst_size, const void *src);

#endif
