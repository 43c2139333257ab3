/*
 * fuzz_server.c - the server's request path on arbitrary bytes from one
 * client: frame headers, HELLO, every request's payload, pipelining,
 * CANCEL, streams. The bytes arrive through a socketpair and the real
 * read, process and writev code runs on them. Every reply must be a
 * well-formed frame, an ERROR must carry a known code, and nothing may
 * crash or hang. First byte, bit 0: start with a valid HELLO; bit 1: the
 * rest is (type, u16 length, payload) records, each given a valid header,
 * so the fuzzer reaches every handler.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/server.h"
#include "net/wire.h"
#define PS_FUZZ_PSPACE
#include "fuzz.h"

static ps_server *srv;
static ps_pspace *sp;

static void setup(void)
{
    sp = fuzz_pspace("server");
    ps_server_opts so;
    ps_server_opts_init(&so);
    so.max_frame = 1 << 16;
    so.max_results = 1000;
    ps_served *sv;
    REQUIRE(ps_served_new(sp, &sv, NULL) == PS_OK);
    REQUIRE(ps_server_new(sv, &so, &srv, NULL) == PS_OK);
    srv->no_fork_jobs = 1; /* exports in this process, where coverage is counted */
}

/* Appends the input as frames: a valid HELLO, then records. */
static void frame_up(const uint8_t *p, size_t n, int hello, int records, ps_buf *out)
{
    uint8_t h[PS_FRAME_HEADER + 8];
    uint64_t id = 1;
    if (hello) {
        ps_frame f = { PS_PROTO_VERSION, PS_MSG_HELLO, 0, 8, id++ };
        ps_frame_encode(&f, h);
        uint8_t pl[8] = { 1, 0, 1, 0, 0, 0, 0, 0 };
        memcpy(h + PS_FRAME_HEADER, pl, 8);
        ps_buf_append(out, h, sizeof h);
    }
    if (!records) {
        ps_buf_append(out, p, n);
        return;
    }
    for (size_t i = 0; i + 3 <= n;) {
        uint8_t type = p[i];
        size_t len = (size_t)(p[i + 1] | p[i + 2] << 8);
        i += 3;
        if (len > n - i)
            len = n - i;
        if (type == PS_MSG_CHECKPOINT)
            type = PS_MSG_STATS; /* no forks in the fuzzer */
        ps_frame f = { PS_PROTO_VERSION, type, 0, (uint32_t)len, id++ };
        ps_frame_encode(&f, h);
        ps_buf_append(out, h, PS_FRAME_HEADER);
        ps_buf_append(out, p + i, len);
        i += len;
    }
}

/* Every reply the server wrote: whole, well-formed frames. */
static void check_replies(const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (n - off >= PS_FRAME_HEADER) {
        ps_frame f;
        REQUIRE(ps_frame_decode(p + off, n - off, UINT32_MAX, &f, NULL) == PS_OK);
        REQUIRE(f.type == PS_MSG_ERROR || (f.type & PS_MSG_REPLY));
        if (n - off - PS_FRAME_HEADER < f.len)
            break; /* the rest did not fit the socket */
        if (f.type == PS_MSG_ERROR) {
            REQUIRE(f.len >= ERROR_HEAD_SIZE);
            uint32_t code = ps_read_le32(p + off + PS_FRAME_HEADER);
            REQUIRE(code > 0 && code < PS_ERR_COUNT);
            REQUIRE(ps_read_le32(p + off + PS_FRAME_HEADER + 4) == f.len - ERROR_HEAD_SIZE);
        }
        off += PS_FRAME_HEADER + f.len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        setup();
    if (size < 1)
        return 0;
    ps_buf in = { 0 }, out = { 0 };
    frame_up(data + 1, size - 1, data[0] & 1, data[0] & 2, &in);
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_storage peer = { .ss_family = AF_UNIX };
    ps__served_lock(srv->sv, 1); /* as the loop holds it through a turn */
    REQUIRE(ps__conn_new(srv, sv[0], &peer) == 0);
    conn *c = srv->conns[srv->nconns - 1];
    size_t sent = 0;
    for (int round = 0; round < 64 && srv->nconns && srv->conns[srv->nconns - 1] == c; round++) {
        if (sent < in.len) {
            ssize_t k = send(sv[1], ps_buf_data(&in) + sent, in.len - sent, MSG_DONTWAIT);
            sent += k > 0 ? (size_t)k : 0;
        } else if (sent == in.len) {
            shutdown(sv[1], SHUT_WR); /* then EOF: the connection closes */
            sent++;
        }
        ps__conn_readable(srv, c);
        if (srv->nconns && srv->conns[srv->nconns - 1] == c)
            ps__conn_flush(srv, c);
        uint8_t buf[65536];
        ssize_t k;
        while ((k = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)) > 0)
            ps_buf_append(&out, buf, (size_t)k);
    }
    while (srv->nconns) /* one that still waits (a stream the socket could not take) */
        ps__conn_close(srv, srv->conns[srv->nconns - 1]);
    ps__jobs_kill(srv); /* exports' children: nobody reads what they write now */
    srv->pending = NULL;
    ps__served_unlock(srv->sv);
    check_replies(ps_buf_data(&out), out.len);
    REQUIRE(!ps__served_failed(srv->sv));
    close(sv[1]);
    ps_buf_free(&in);
    ps_buf_free(&out);
    return 0;
}
