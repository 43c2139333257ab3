/* s3.c - PUT, GET and DELETE on an S3 bucket, signed by libcurl (s3.h). */
#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "s3.h"

struct s3 {
    CURL *c;
    char url[S3_KEY_MAX];       /* s3://bucket/prefix, as given          */
    char base[1024];            /* endpoint/bucket/ (prefix/), path-style */
    char sigv4[128];            /* "aws:amz:REGION:s3"                   */
    char id[256], secret[256], token[2048];
    unsigned attempts, first_wait_ms;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* Once, on the thread that opens the first bucket, before any replication
 * thread runs: libcurl, and one SHA-256 through OpenSSL's EVP. A digest's
 * first use fills libcrypto's method cache under its write lock; after
 * that, uses take read locks only. A checkpoint's child (fork) hashes with
 * the same EVP SHA-256, and a write lock that a replication thread held at
 * the fork would never be released in the child. */
static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest("", 0, md, &n, EVP_sha256(), NULL);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Bucket names and prefixes: what S3 allows and needs no escaping. */
static int name_ok(const char *s, size_t n, int slash)
{
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
              s[i] == '.' || s[i] == '_' || (slash && s[i] == '/')))
            return 0;
    return n > 0 && !strstr(s, "..");
}

/* "key = value" of one line, trimmed, into out[cap]: 1 when line names key. */
static int ini_value(const char *line, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    while (*line == ' ' || *line == '\t')
        line++;
    if (strncmp(line, key, k))
        return 0;
    line += k;
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line++ != '=')
        return 0;
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strcspn(line, " \t\r\n");
    if (n >= cap)
        return 0;
    memcpy(out, line, n);
    out[n] = 0;
    return 1;
}

/* The keys of [profile] in an AWS credentials file. */
static void creds_file(s3 *b)
{
    char path[4096];
    const char *f = env("AWS_SHARED_CREDENTIALS_FILE"), *home = env("HOME");
    const char *profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
    if (!f && home)
        snprintf(path, sizeof path, "%s/.aws/credentials", home), f = path;
    FILE *fp = f ? fopen(f, "r") : NULL;
    if (!fp)
        return;
    char line[4096], want[300];
    int in = 0;
    snprintf(want, sizeof want, "[%s]", profile);
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '[') {
            in = !strncmp(line, want, strlen(want));
            continue;
        }
        if (in && !ini_value(line, "aws_access_key_id", b->id, sizeof b->id) &&
            !ini_value(line, "aws_secret_access_key", b->secret, sizeof b->secret))
            ini_value(line, "aws_session_token", b->token, sizeof b->token);
    }
    fclose(fp);
}

static int credentials(s3 *b, ps_diag *d)
{
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (id && secret) {
        snprintf(b->id, sizeof b->id, "%s", id);
        snprintf(b->secret, sizeof b->secret, "%s", secret);
        if (env("AWS_SESSION_TOKEN"))
            snprintf(b->token, sizeof b->token, "%s", env("AWS_SESSION_TOKEN"));
    } else {
        creds_file(b);
    }
    if (!b->id[0] || !b->secret[0])
        return ps__diag_set(d, PS_E_DENIED, NULL, 0,
                            "no S3 keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                            "write them to ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE)");
    return PS_OK;
}

/* s3://bucket[/prefix] and the endpoint into b->base. */
static int parse_url(s3 *b, const char *url, ps_diag *d)
{
    if (strncmp(url, "s3://", 5) || strlen(url) >= sizeof b->url)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "'%s' is not s3://BUCKET[/PREFIX]", url);
    snprintf(b->url, sizeof b->url, "%s", url);
    const char *bucket = url + 5, *slash = strchr(bucket, '/');
    size_t bn = slash ? (size_t)(slash - bucket) : strlen(bucket);
    const char *prefix = slash ? slash + 1 : "";
    size_t pn = strlen(prefix);
    while (pn && prefix[pn - 1] == '/')
        pn--;
    if (!name_ok(bucket, bn, 0) || (pn && (!name_ok(prefix, pn, 1) || prefix[0] == '/')))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0,
                            "'%s': bucket and prefix take a-z, 0-9, '.', '_', '-' (and '/' "
                            "in the prefix), no '..'", url);
    const char *region = env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
    region = region ? region : "us-east-1";
    if (strlen(region) > 64)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "AWS_REGION is too long");
    snprintf(b->sigv4, sizeof b->sigv4, "aws:amz:%s:s3", region);
    const char *ep = env("PATHSPACE_S3_ENDPOINT");
    ep = ep ? ep : env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3") : env("AWS_ENDPOINT_URL");
    char def[128];
    if (!ep)
        snprintf(def, sizeof def, "https://s3.%s.amazonaws.com", region), ep = def;
    size_t en = strlen(ep);
    while (en && ep[en - 1] == '/')
        en--;
    if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "the S3 endpoint '%s' is not http(s)://", ep);
    int n = snprintf(b->base, sizeof b->base, "%.*s/%.*s/%.*s%s", (int)en, ep, (int)bn, bucket,
                     (int)pn, prefix, pn ? "/" : "");
    if (n < 0 || (size_t)n >= sizeof b->base - S3_KEY_MAX)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "the S3 endpoint and prefix are too long");
    return PS_OK;
}

int ps__s3_open(const char *url, s3 **out, ps_diag *d)
{
    pthread_once(&curl_once, curl_start);
    *out = NULL;
    s3 *b = ps_calloc(1, sizeof *b);
    if (!b)
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    b->attempts = 6;
    b->first_wait_ms = 100;
    int rc = parse_url(b, url, d);
    if (!rc)
        rc = credentials(b, d);
    if (!rc && !(b->c = curl_easy_init()))
        rc = ps__diag_set(d, PS_E_NOMEM, NULL, 0, "cannot start libcurl");
    if (rc) {
        ps__s3_close(b);
        return rc;
    }
    *out = b;
    return PS_OK;
}

void ps__s3_close(s3 *b)
{
    if (!b)
        return;
    if (b->c)
        curl_easy_cleanup(b->c);
    explicit_bzero(b->secret, sizeof b->secret);
    free(b);
}

void ps__s3_retries(s3 *b, unsigned attempts, unsigned first_wait_ms)
{
    b->attempts = attempts ? attempts : 1;
    b->first_wait_ms = first_wait_ms;
}

const char *ps__s3_url(const s3 *b)
{
    return b->url;
}

/* ---- one request */

typedef s3_req xfer;

static size_t on_read(char *p, size_t size, size_t n, void *ctx)
{
    xfer *x = ctx;
    size_t k = size * n, left = x->body.len - x->sent;
    k = k < left ? k : left;
    memcpy(p, x->body.ptr + x->sent, k);
    x->sent += k;
    return k;
}

static size_t on_write(char *p, size_t size, size_t n, void *ctx)
{
    xfer *x = ctx;
    size_t k = size * n;
    if (!x->out)
        return k; /* an error's body: not kept */
    if (ps_buf_len(x->out) + k > x->max) {
        x->too_big = 1;
        return 0;
    }
    return ps_buf_append(x->out, p, k) ? 0 : k;
}

/* The ETag header of the answer (a part's, in a multipart upload). */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    xfer *x = ctx;
    size_t k = size * n;
    if (k > 5 && !strncasecmp(p, "etag:", 5)) {
        size_t i = 5, j = k;
        while (i < j && (p[i] == ' ' || p[i] == '\t'))
            i++;
        while (j > i && (p[j - 1] == '\r' || p[j - 1] == '\n' || p[j - 1] == ' '))
            j--;
        if (j - i < sizeof x->etag) {
            memcpy(x->etag, p + i, j - i);
            x->etag[j - i] = 0;
        }
    }
    return k;
}

static void sha256_hex(ps_bytes b, char *hex)
{
    uint8_t md[32];
    unsigned n = 0;
    EVP_Digest(b.ptr ? b.ptr : (const uint8_t *)"", b.len, md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
}

/* One attempt: the HTTP status, or 0 with *cerr the transport's failure. */
static long attempt(s3 *b, int kind, const char *key, xfer *x, CURLcode *cerr)
{
    CURL *c = b->c;
    char url[sizeof b->base + S3_KEY_MAX + S3_QUERY_MAX], hdr[128], tok[2100];
    snprintf(url, sizeof url, "%s%s%s%s", b->base, key, x->query ? "?" : "", x->query ? x->query : "");
    curl_easy_reset(c);
    struct curl_slist *h = NULL;
    char hex[65];
    int sends = kind == REQ_PUT || kind == REQ_PUT_NEW || kind == REQ_POST;
    sha256_hex(sends ? x->body : ps_bytes_of(NULL, 0), hex);
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", hex);
    h = curl_slist_append(h, hdr);
    if (kind == REQ_PUT_NEW)
        h = curl_slist_append(h, "If-None-Match: *");
    if (b->token[0]) {
        snprintf(tok, sizeof tok, "x-amz-security-token: %s", b->token);
        h = curl_slist_append(h, tok);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, b->sigv4);
    curl_easy_setopt(c, CURLOPT_USERNAME, b->id);
    curl_easy_setopt(c, CURLOPT_PASSWORD, b->secret);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    /* no wait for "100 Continue" before a body (an "Expect:" header of our
     * own would be signed, as an empty header, and fail a real store's
     * signature check) */
    curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L); /* a stalled bucket is a failure */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    if (kind == REQ_PUT || kind == REQ_PUT_NEW) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, x);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body.len);
    } else if (kind == REQ_GET && x->len) {
        char range[48];
        snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)x->from,
                 (unsigned long long)(x->from + x->len - 1));
        curl_easy_setopt(c, CURLOPT_RANGE, range);
    } else if (kind == REQ_POST) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body.len ? (const char *)x->body.ptr : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body.len);
        /* said outright: curl would send a form's type unsigned, and a
         * header removed ("Content-Type:") it signs empty but never sends,
         * which a store that checks signatures refuses (as "Expect:") */
        h = curl_slist_append(h, "Content-Type: application/xml");
    } else if (kind == REQ_DELETE) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    *cerr = curl_easy_perform(c);
    long code = 0;
    if (*cerr == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    return code;
}

static int transient(long code)
{
    return code == 0 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
}

static void nap(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static const char *verb(int kind)
{
    return kind == REQ_GET ? "GET" : kind == REQ_DELETE ? "DELETE" : kind == REQ_POST ? "POST"
                                                                                      : "PUT";
}

long ps__s3_request(s3 *b, int kind, const char *key, s3_req *x, ps_diag *d)
{
    assert(strlen(key) < S3_KEY_MAX);
    unsigned wait = b->first_wait_ms;
    size_t keep = x->out ? ps_buf_len(x->out) : 0;
    long code = 0;
    CURLcode cerr = CURLE_OK;
    for (unsigned i = 0; i < b->attempts; i++) {
        if (i)
            nap(wait), wait = wait < 5000 ? wait * 2 : wait;
        x->sent = 0;
        x->too_big = 0;
        if (x->out)
            x->out->len = keep;
        code = attempt(b, kind, key, x, &cerr);
        if (x->too_big || !transient(code))
            break;
    }
    if (x->out && code != 200 && code != 206)
        x->out->len = keep; /* an error's body is not the object */
    if (x->too_big)
        return ps__diag_set(d, PS_E_LIMIT, NULL, 0, "%s/%s holds more than %llu bytes", b->url,
                            key, (unsigned long long)x->max), -1;
    if (code == 0)
        ps__diag_set(d, PS_E_IO, NULL, 0, "%s %s/%s: %s", verb(kind), b->url, key,
                     curl_easy_strerror(cerr));
    return code;
}

int ps__s3_status_err(const s3 *b, int kind, const char *key, long code, ps_diag *d)
{
    if (code == 403 || code == 401)
        return ps__diag_set(d, PS_E_DENIED, NULL, 0, "%s %s/%s: HTTP %ld (the keys are refused)",
                            verb(kind), b->url, key, code);
    return ps__diag_set(d, PS_E_IO, NULL, 0, "%s %s/%s: HTTP %ld", verb(kind), b->url, key, code);
}

int ps__s3_put(s3 *b, const char *key, ps_bytes body, int create_only, ps_diag *d)
{
    xfer x = { .body = body };
    int kind = create_only ? REQ_PUT_NEW : REQ_PUT;
    long code = ps__s3_request(b, kind, key, &x, d);
    if (code <= 0)
        return code < 0 ? PS_E_LIMIT : PS_E_IO;
    if (code == 412)
        return ps__diag_set(d, PS_E_EXISTS, NULL, 0, "%s/%s exists", b->url, key);
    return code / 100 == 2 ? PS_OK : ps__s3_status_err(b, kind, key, code, d);
}

int ps__s3_get(s3 *b, const char *key, uint64_t max, ps_buf *out, ps_diag *d)
{
    xfer x = { .out = out, .max = max };
    long code = ps__s3_request(b, REQ_GET, key, &x, d);
    if (code <= 0)
        return code < 0 ? PS_E_LIMIT : PS_E_IO;
    if (code == 404)
        return ps__diag_set(d, PS_E_NOTFOUND, NULL, 0, "%s/%s: no such key", b->url, key);
    return code == 200 ? PS_OK : ps__s3_status_err(b, REQ_GET, key, code, d);
}

int ps__s3_get_range(s3 *b, const char *key, uint64_t from, uint64_t len, ps_buf *out,
                     ps_diag *d)
{
    assert(len);
    size_t had = ps_buf_len(out);
    xfer x = { .out = out, .max = had + len, .from = from, .len = len };
    long code = ps__s3_request(b, REQ_GET, key, &x, d);
    if (code < 0) /* more than asked for: a store that ignores Range sends it whole */
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, from, "%s/%s: asked for bytes %llu-%llu, "
                            "the store sent more: it does not hold them (or ignores Range)",
                            b->url, key, (unsigned long long)from,
                            (unsigned long long)(from + len - 1));
    if (code == 0)
        return PS_E_IO;
    if (code == 404)
        return ps__diag_set(d, PS_E_NOTFOUND, NULL, 0, "%s/%s: no such key", b->url, key);
    if (code == 200 && from) /* the whole object, though it was asked for a part */
        code = 416;
    if (code == 416 || ((code == 206 || code == 200) && ps_buf_len(out) - had != len)) {
        out->len = had;
        return ps__diag_set(d, PS_E_TRUNCATED, NULL, from, "%s/%s is shorter than bytes %llu-%llu",
                            b->url, key, (unsigned long long)from,
                            (unsigned long long)(from + len - 1));
    }
    return code == 206 || code == 200 ? PS_OK : ps__s3_status_err(b, REQ_GET, key, code, d);
}

int ps__s3_delete(s3 *b, const char *key, ps_diag *d)
{
    xfer x = { 0 };
    long code = ps__s3_request(b, REQ_DELETE, key, &x, d);
    if (code <= 0)
        return PS_E_IO;
    return code / 100 == 2 || code == 404 ? PS_OK : ps__s3_status_err(b, REQ_DELETE, key, code, d);
}
