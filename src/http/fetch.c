/*
 * fetch.c - http(s):// imports through libcurl (docs/security.md,
 * "fetching"). Off unless the operator names the hosts; then each fetch
 * goes only to those hosts (a redirect elsewhere is refused: redirects are
 * followed here, one at a time, each checked), never to a private,
 * loopback or link-local address unless allowed (checked on the address
 * libcurl is about to connect to, so a name that resolves there is caught
 * too), within a size and a time limit. The body goes to an unlinked file
 * the import then reads as any file.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

#define FETCH_REDIRECTS 5

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ps__fetch_is_url(const char *uri)
{
    return uri && (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8));
}

/* The URL's host, lower case, into out: 0, or -1. */
static int host_of(const char *url, char *out, size_t cap)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int rc = -1;
    if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
        !curl_url_get(u, CURLUPART_HOST, &host, 0) && strlen(host) < cap) {
        for (size_t i = 0; host[i]; i++)
            out[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
        out[strlen(host)] = 0;
        rc = 0;
    }
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int ps__fetch_allowed(const ps_http *h, const char *url)
{
    char host[256];
    const char *list = h->o.fetch_hosts;
    if (!list || host_of(url, host, sizeof host))
        return 0;
    size_t n = strlen(host);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncasecmp(p, host, n))
            return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

/* Loopback, private, link-local, unspecified, multicast, carrier-grade NAT. */
static int private_v4(uint32_t a)
{
    return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 || (a >> 16) == 0xA9FE ||
           (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 || (a >> 22) == (100u << 2 | 1) ||
           (a >> 28) == 0xE || a == 0xFFFFFFFFu;
}

static int private_addr(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return private_v4(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6)
        return 1;
    const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
    if (!memcmp(b, mapped, 12))
        return private_v4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    int zero = 1;
    for (int i = 0; i < 15; i++)
        zero &= b[i] == 0;
    return (zero && (b[15] == 0 || b[15] == 1)) || (b[0] & 0xFE) == 0xFC ||
           (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) || b[0] == 0xFF;
}

typedef struct fetch {
    const ps_http *h;
    int fd;
    uint64_t got;
    int too_big, refused;
} fetch;

static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
    fetch *f = ctx;
    (void)purpose;
    if (!f->h->o.fetch_private && private_addr(&a->addr)) {
        f->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t take(char *p, size_t size, size_t n, void *ctx)
{
    fetch *f = ctx;
    size_t len = size * n;
    if ((f->got += len) > f->h->o.fetch_max) {
        f->too_big = 1;
        return 0; /* libcurl stops with a write error */
    }
    for (size_t done = 0; done < len;) {
        ssize_t k = write(f->fd, p + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;
        done += (size_t)k;
    }
    return len;
}

/* One request: the HTTP status, or 0 with why set. *next: a redirect's
 * target (curl_free it). */
static long one(fetch *f, const char *url, char **next, char *why, size_t cap)
{
    CURL *c = curl_easy_init();
    if (!c)
        return snprintf(why, cap, "out of memory"), 0;
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)f->h->o.fetch_timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)f->h->o.fetch_timeout_s);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->h->o.fetch_max);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, f);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "pathspace");
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    char *loc = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (!rc && code >= 300 && code < 400 && !curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) && loc)
        *next = strdup(loc);
    if (rc) {
        code = 0;
        if (f->refused)
            snprintf(why, cap, "%s resolves to a private or loopback address (allow with "
                     "--http-fetch-private)", url);
        else if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED)
            snprintf(why, cap, "%s is larger than --http-fetch-max", url);
        else
            snprintf(why, cap, "%s: %s", url, err[0] ? err : curl_easy_strerror(rc));
    }
    curl_easy_cleanup(c);
    return code;
}

int ps__fetch(ps_http *h, const char *url, int *fd, unsigned *status, char *why, size_t cap)
{
    pthread_once(&curl_once, curl_start);
    const char *dir = getenv("TMPDIR");
    char path[4200];
    snprintf(path, sizeof path, "%s/ps_fetch_XXXXXX", dir && *dir ? dir : "/tmp");
    fetch f = { h, mkstemp(path), 0, 0, 0 };
    *status = 502;
    if (f.fd < 0)
        return snprintf(why, cap, "cannot make a temporary file"), -1;
    unlink(path);
    char *cur = strdup(url), *next = NULL;
    long code = 0;
    for (int hop = 0; cur && hop <= FETCH_REDIRECTS; hop++) {
        if (!ps__fetch_allowed(h, cur)) {
            snprintf(why, cap, "%s: its host is not one --http-fetch allows", cur);
            *status = 403;
            code = 0;
            break;
        }
        if (ftruncate(f.fd, 0) || lseek(f.fd, 0, SEEK_SET)) {
            snprintf(why, cap, "cannot reset the temporary file");
            break;
        }
        f.got = 0;
        code = one(&f, cur, &next, why, cap);
        free(cur);
        cur = next;
        next = NULL;
        if (!code || code < 300 || code >= 400)
            break;
    }
    if (code >= 300 && code < 400 && !why[0])
        snprintf(why, cap, "%s: a redirect without a location, or more than %d", url,
                 FETCH_REDIRECTS);
    free(cur);
    if (code == 200) {
        *fd = f.fd;
        return 0;
    }
    if (code && !why[0]) {
        snprintf(why, cap, "%s: HTTP %ld", url, code);
        *status = (unsigned)code;
    }
    if (f.too_big)
        *status = 413;
    close(f.fd);
    return -1;
}
