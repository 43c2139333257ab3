/* netkit.c - see netkit.h. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netkit.h"
#include "test.h"

static void *serve(void *arg)
{
    tsrv *t = arg;
    ps_diag d = { 0 };
    t->rc = ps_server_run(t->s, &d);
    if (t->rc)
        fprintf(stderr, "server: %s\n", d.msg);
    return NULL;
}

void t_srv_start(tsrv *t, const ps_server_opts *o, int fsync)
{
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    po.fsync = fsync >= 0 ? fsync : PS_FSYNC_EVERYSEC;
    t_srv_start_with(t, o, &po);
}

void t_srv_start_with(tsrv *t, const ps_server_opts *o, const ps_pspace_opts *po)
{
    memset(t, 0, sizeof *t);
    REQUIRE(t_tmpdir(t->dir));
    ps_diag d = { 0 };
    REQUIRE_OK(ps_pspace_open(t->dir, po, &t->p, NULL, &d));
    REQUIRE_OK(ps_served_new(t->p, &t->sv, &d));
    ps_server_opts so;
    ps_server_opts_init(&so);
    if (o)
        so = *o;
    REQUIRE_OK(ps_server_new(t->sv, &so, &t->s, &d));
    t->port = ps_server_port(t->s);
    REQUIRE(pthread_create(&t->th, NULL, serve, t) == 0);
}

int t_srv_stop(tsrv *t, int keep)
{
    ps_server_stop(t->s);
    pthread_join(t->th, NULL);
    ps_server_free(t->s);
    ps_served_free(t->sv);
    ps_diag d = { 0 };
    CHECK_OK(ps_pspace_close(t->p, &d));
    if (!keep)
        t_rmtree(t->dir);
    return t->rc;
}

ps_client *t_connect(const tsrv *t, const char *token)
{
    ps_client_opts o;
    ps_client_opts_init(&o);
    o.token = token;
    o.timeout_ms = 10000;
    ps_client *c = NULL;
    ps_diag d = { 0 };
    int rc = ps_client_connect("127.0.0.1", t->port, &o, &c, &d);
    if (rc)
        t_failf(__FILE__, __LINE__, "connect: %s", d.msg);
    return c;
}

void t_add_gen(ps_client *c, uint64_t seed, uint64_t n)
{
    ps_buf text = { 0 };
    ps_diag d = { 0 };
    REQUIRE_OK(ps_gen_text(seed, 0, n, &text));
    ps_bytes item = ps_buf_bytes(&text);
    int rc = ps_client_add(c, PS_FORM_TEXT, &item, 1, NULL, &d);
    ps_buf_free(&text);
    if (rc)
        t_failf(__FILE__, __LINE__, "add: %s", d.msg);
    REQUIRE_OK(rc);
}

int t_raw(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = { 5, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

int t_send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

size_t t_hello(uint8_t *out, uint64_t id)
{
    ps_frame f = { PS_PROTO_VERSION, PS_MSG_HELLO, 0, 8, id };
    ps_frame_encode(&f, out);
    uint8_t *p = out + PS_FRAME_HEADER;
    p[0] = PS_PROTO_VERSION, p[1] = 0, p[2] = PS_PROTO_VERSION, p[3] = 0;
    ps_write_le32(p + 4, 0);
    return PS_FRAME_HEADER + 8;
}

static int read_n(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = recv(fd, p, n, 0);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int t_read_frame(int fd, ps_frame *f, uint8_t *buf, size_t cap)
{
    uint8_t h[PS_FRAME_HEADER];
    if (read_n(fd, h, sizeof h) || ps_frame_decode(h, sizeof h, UINT32_MAX, f, NULL))
        return -1;
    if (f->len > cap) {
        for (uint32_t left = f->len; left;) { /* drain what does not fit */
            uint8_t junk[4096];
            uint32_t k = left < sizeof junk ? left : sizeof junk;
            if (read_n(fd, junk, k))
                return -1;
            left -= k;
        }
        return 0;
    }
    return read_n(fd, buf, f->len);
}

int t_closed(int fd)
{
    uint8_t junk[4096];
    for (;;) {
        ssize_t k = recv(fd, junk, sizeof junk, 0);
        if (k == 0)
            return 1;
        if (k < 0)
            return 0; /* a timeout: still open */
    }
}
