/* ident.c - a front end's address and token, and protected mode (Redis's):
 * a listener on a non-loopback address with no token is refused unless the
 * operator says so. */
#include <arpa/inet.h>
#include <string.h>

#include "common/diag.h"
#include "common/opts.h"
#include "ident.h"

int ps__ident_load(void *dst, size_t size, const void *src, const char *what, const char **addrp,
                   const char **tokenp, net_ident *id, ps_diag *d)
{
    int rc = ps__opts_copy(dst, size, src);
    if (rc)
        return ps__diag_set(d, rc, NULL, 0, "%s options: %s", what,
                            rc == PS_E_INVAL ? "size not set" : "fields this build lacks");
    const char *addr = *addrp ? *addrp : "127.0.0.1", *token = *tokenp;
    *addrp = *tokenp = NULL; /* nothing points at the caller's memory */
    if (strlen(addr) >= sizeof id->addr)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "address too long");
    strcpy(id->addr, addr);
    if (token) {
        id->token_len = strlen(token);
        if (!id->token_len || id->token_len > sizeof id->token)
            return ps__diag_set(d, PS_E_INVAL, NULL, 0, "a token is 1 to 256 bytes");
        memcpy(id->token, token, id->token_len);
    }
    return PS_OK;
}

/* 1 loopback, 0 not, -1 not an address (binding it fails, saying so) */
static int loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) != 1)
        return -1;
    return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

int ps__ident_exposed(const net_ident *id, int unprotected, const char *what, ps_diag *d)
{
    if (id->token_len || unprotected || loopback(id->addr))
        return PS_OK; /* -1: not an address; the bind says so */
    return ps__diag_set(d, PS_E_INVAL, NULL, 0,
                        "%s: %s is not a loopback address and no token is set: anyone who "
                        "reaches it could read and change the space. Give --token-file FILE "
                        "(or $PATHSPACE_TOKEN), or --unprotected to serve it to anyone",
                        what, id->addr);
}
