/*
 * fuzz_http.c - MORK's HTTP API on arbitrary requests: the URL (command,
 * percent-encoded expression segments, query arguments) and the body
 * (uploads in every format, transforms) reach the real daemon over a real
 * socket, so libmicrohttpd's parsing and every command handler run on
 * them. Input: byte 0 bit 0 = POST; then the URL up to '\n'; then the
 * body. Every answer must be an HTTP/1.1 status line with a code the API
 * gives, never 500 (only memory or the log failing would), and nothing
 * may crash or hang. /stop/ is left out: it would end the server. file://
 * is on, beneath a directory of its own.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PS_FUZZ_PSPACE
#include "fuzz.h"
#include "http/http.h"

static ps_served *sv;
static ps_http *web;
static ps_pspace *sp;
static unsigned runs;

static void setup(void)
{
    sp = fuzz_pspace("http");
    REQUIRE(ps_served_new(sp, &sv, NULL) == PS_OK); /* HTTP alone: no binary server */
    ps_http_opts ho;
    ps_http_opts_init(&ho);
    ho.workers = 2;
    ho.perm_wait_ms = 5;
    ho.max_body = 1 << 16;
    ho.max_results = 200; /* a search stops after 3200 solutions */
    ho.max_result_bytes = 1 << 20;
    ho.fork_results = 64; /* bigger exports are written by a forked child */
    static char files[] = "/tmp/ps_fuzz_files_XXXXXX"; /* file:// on: refusals run */
    REQUIRE(mkdtemp(files) != NULL);
    ho.files_dir = files;
    REQUIRE(ps_http_start(sv, &ho, &web, NULL) == PS_OK);
}

static void request(const char *method, const uint8_t *url, size_t ulen, const uint8_t *body,
                    size_t blen, ps_buf *out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(ps_http_port(web)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* closed with a reset: tens of thousands of runs leave no TIME_WAIT */
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    int tries = 0;
    while (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        REQUIRE(++tries < 100); /* the daemon must keep accepting */
        usleep(1000);
    }
    char head[256];
    ps_buf rq = { 0 };
    ps_buf_append(&rq, method, strlen(method));
    ps_buf_append(&rq, " /", 2);
    ps_buf_append(&rq, url, ulen);
    int n =
        snprintf(head, sizeof head,
                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n", blen);
    ps_buf_append(&rq, head, (size_t)n);
    ps_buf_append(&rq, body, blen);
    size_t sent = 0;
    while (sent < rq.len) {
        ssize_t k = send(fd, ps_buf_data(&rq) + sent, rq.len - sent, MSG_NOSIGNAL);
        if (k <= 0)
            break; /* the server may answer and close before the body is in */
        sent += (size_t)k;
    }
    struct pollfd p = { fd, POLLIN, 0 };
    uint8_t buf[65536];
    while (poll(&p, 1, 10000) == 1) {
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0)
            break;
        ps_buf_append(out, buf, (size_t)k);
    }
    close(fd);
    ps_buf_free(&rq);
}

static void check(const ps_buf *out)
{
    if (!out->len)
        return; /* closed without an answer: libmicrohttpd's choice for some garbage */
    const char *s = (const char *)ps_buf_data(out);
    REQUIRE(out->len >= 12 && !memcmp(s, "HTTP/1.1 ", 9));
    int code = atoi(s + 9);
    REQUIRE(code >= 200 && code < 600 && code != 500);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!web)
        setup();
    if (size < 1)
        return 0;
    const uint8_t *url = data + 1, *nl = memchr(url, '\n', size - 1);
    size_t ulen = nl ? (size_t)(nl - url) : size - 1;
    if (memmem(url, ulen, "stop", 4) || ulen > 4096)
        return 0;
    const uint8_t *body = nl ? nl + 1 : data + size;
    ps_buf out = { 0 };
    request(data[0] & 1 ? "POST" : "GET", url, ulen, body, (size_t)(data + size - body), &out);
    check(&out);
    ps_buf_free(&out);
    ps__hjob_join_all(web);  /* the next input starts with no command running */
    /* nor a connection: a command whose client gave up (a slow unit) would
     * free its pattern during the next input, and libFuzzer's count of
     * mallocs and frees would call that input's balance a leak */
    for (int i = 0; i < 3000; i++) {
        const union MHD_DaemonInfo *di =
            MHD_get_daemon_info(web->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!di || !di->num_connections)
            break;
        usleep(1000);
    }
    if (++runs % 256 == 0) { /* keep the space small */
        ps_buf o = { 0 };
        request("GET", (const uint8_t *)"clear/%24x/", 11, NULL, 0, &o);
        ps_buf_free(&o);
    }
    return 0;
}
