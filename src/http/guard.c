/*
 * guard.c - what a web browser may not make this server do
 * (docs/security.md, "Browsers").
 *
 * MORK's API changes state on GET (/clear/, /stop/, /copy/, /import/,
 * export to a file) and takes text/plain bodies, so any page its operator
 * visits could send it requests (cross-site request forgery), and a page
 * whose name an attacker re-points at 127.0.0.1 could read the replies
 * (DNS rebinding). Two checks, before anything else runs:
 *
 *  - Host must name this server: an IP literal (a rebinding page's Host
 *    is its own name, never our address), "localhost", or a name the
 *    operator lists (--http-host). A request without Host (HTTP/1.0) is
 *    no browser's.
 *  - A cross-site request is refused on every method, as Go's net/http
 *    CrossOriginProtection does for unsafe ones: Sec-Fetch-Site, which
 *    every current browser sends, must be same-origin or none; without
 *    it, an Origin must name the Host. curl and MORK's Python client send
 *    neither header and are served as before.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "http.h"

/* The host part of a Host or Origin authority [a, a+n): port dropped,
 * lowercased into out (cap bytes). 0, or -1 when it does not fit. */
static int host_part(const char *a, size_t n, char *out, size_t cap)
{
    const char *end = a + n;
    if (n && a[0] == '[') { /* [v6]:port */
        const char *rb = memchr(a, ']', n);
        if (!rb)
            return -1;
        a++, end = rb;
    } else {
        const char *colon = memchr(a, ':', n);
        if (colon)
            end = colon;
    }
    size_t k = (size_t)(end - a);
    while (k && a[k - 1] == '.') /* "localhost." is localhost */
        k--;
    if (k >= cap)
        return -1;
    for (size_t i = 0; i < k; i++)
        out[i] = (char)tolower((unsigned char)a[i]);
    out[k] = 0;
    return 0;
}

static int listed(const char *names, const char *host)
{
    size_t n = strlen(host);
    for (const char *p = names; p && *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncasecmp(p, host, n))
            return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

static int host_ok(const ps_http *h, const char *host)
{
    char name[256];
    uint8_t a[16];
    if (host_part(host, strlen(host), name, sizeof name))
        return 0;
    return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1 ||
           !strcmp(name, "localhost") || listed(h->o.hosts, name);
}

/* 1 when origin ("scheme://authority") names the same host as host. */
static int same_origin(const char *origin, const char *host)
{
    const char *auth = strstr(origin, "://");
    char a[256], b[256];
    if (!auth)
        return 0;
    auth += 3;
    return !host_part(auth, strcspn(auth, "/"), a, sizeof a) &&
           !host_part(host, strlen(host), b, sizeof b) && !strcmp(a, b);
}

int ps__guard(ps_http *h, struct MHD_Connection *c, reply *r)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
    if (host && !host_ok(h, host))
        return ps__reply_text(r, 403,
                              "Host '%.200s' is not a name of this server (an IP address, "
                              "localhost, or one given with --http-host)",
                              host);
    if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
        return ps__reply_text(r, 403, "cross-site request refused (Sec-Fetch-Site: %.40s)", site);
    if (!site && origin && (!host || !same_origin(origin, host)))
        return ps__reply_text(r, 403, "cross-origin request refused (Origin: %.200s)", origin);
    return 0;
}
