/* ident.h - where a front end listens and the token it asks for, and
 * protected mode: what both front ends (src/net, src/http) check alike
 * before they listen. */
#ifndef PS_LISTEN_IDENT_H
#define PS_LISTEN_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "pathspace.h"

/* Where a server listens and the token it asks for (both front ends). */
typedef struct net_ident {
    char addr[64];
    uint8_t token[256];
    size_t token_len; /* 0: no token */
} net_ident;

/* Copies a front end's options src into dst (what: its name in messages),
 * then its address (*addrp, NULL = 127.0.0.1) and token (*tokenp, fields
 * of dst) into id, and clears both fields: nothing points at the caller's
 * memory. */
int ps__ident_load(void *dst, size_t size, const void *src, const char *what, const char **addrp,
                   const char **tokenp, net_ident *id, ps_diag *d);

/* Protected mode, as Redis has it: PS_OK when id binds a loopback address,
 * carries a token, or the operator said unprotected; else PS_E_INVAL with
 * what to do (what: the option that named the address). */
int ps__ident_exposed(const net_ident *id, int unprotected, const char *what, ps_diag *d);

#endif
