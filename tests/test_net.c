/* test_net.c - the protocol and the server, end to end on loopback: a
 * server on an ephemeral port in a thread of the case, real clients, and
 * raw sockets for what no client would send. */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cases.h"
#include "malloc_count.h"
#include "netkit.h"
#include "test.h"

static ps_bytes txt(const char *s)
{
    return ps_bytes_of(s, strlen(s));
}

void t_net_frame_codec(void)
{
    ps_frame f = { PS_PROTO_VERSION, PS_MSG_ADD, 3, 1234, 0x0102030405060708ull }, g;
    uint8_t h[PS_FRAME_HEADER];
    ps_frame_encode(&f, h);
    CHECK(!memcmp(h, "PSP1", 4));
    CHECK_OK(ps_frame_decode(h, sizeof h, 4096, &g, NULL));
    CHECK(g.type == f.type && g.flags == 3 && g.len == 1234 && g.id == f.id);
    ps_diag d;
    CHECK_RC(ps_frame_decode(h, 23, 4096, &g, &d), PS_E_TRUNCATED);
    CHECK_RC(ps_frame_decode(h, sizeof h, 1000, &g, &d), PS_E_LIMIT);
    f.len = UINT32_MAX; /* a frame announcing 4 GiB */
    ps_frame_encode(&f, h);
    CHECK_RC(ps_frame_decode(h, sizeof h, PS_FRAME_MAX_DEFAULT, &g, &d), PS_E_LIMIT);
    h[12] = 1;
    CHECK_RC(ps_frame_decode(h, sizeof h, UINT32_MAX, &g, &d), PS_E_CORRUPT);
    h[12] = 0;
    h[4] = 2;
    CHECK_RC(ps_frame_decode(h, sizeof h, UINT32_MAX, &g, &d), PS_E_VERSION);
    h[4] = 1;
    h[0] = 'X';
    CHECK_RC(ps_frame_decode(h, sizeof h, UINT32_MAX, &g, &d), PS_E_CORRUPT);
}

void t_net_heartbeat(void)
{
    ps_heartbeat hb = { 7, 123456, 99, 3, 0 }, back;
    ps_buf b = { 0 };
    REQUIRE_OK(ps_heartbeat_frame(&b, PS_MSG_PING, 5, &hb));
    CHECK_EQ(b.len, PS_FRAME_HEADER + PS_HEARTBEAT_SIZE);
    CHECK_EQ(b.cap, 256); /* one pooled buffer of the smallest class */
    ps_frame f;
    CHECK_OK(ps_frame_decode(ps_buf_data(&b), b.len, 4096, &f, NULL));
    CHECK_OK(ps_heartbeat_decode(ps_bytes_of(ps_buf_data(&b) + 24, f.len), &back, NULL));
    CHECK(back.node == 7 && back.uptime_ms == 123456 && back.seq == 99 && back.hops == 3);
    CHECK_RC(ps_heartbeat_decode(ps_bytes_of(ps_buf_data(&b) + 24, 31), &back, NULL),
             PS_E_CORRUPT);
    ps_pool_put(&b);
}

typedef struct lines {
    ps_buf all;
    uint64_t n, stop_after;
} lines;

static int take_line(void *ctx, ps_bytes r)
{
    lines *l = ctx;
    ps_buf_append(&l->all, r.ptr, r.len);
    ps_buf_append(&l->all, "\n", 1);
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

static int has_line(const ps_buf *b, const char *line)
{
    char *s = (char *)ps_buf_data(b);
    size_t n = strlen(line);
    for (size_t i = 0; i + n <= b->len; i++)
        if ((i == 0 || s[i - 1] == '\n') && !memcmp(s + i, line, n) &&
            (i + n == b->len || s[i + n] == '\n'))
            return 1;
    return 0;
}

void t_net_every_message(void)
{
    tsrv t;
    t_srv_start(&t, NULL, -1);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    ps_heartbeat hb = { 1, 2, 42, 5, 0 }, pong;
    CHECK_OK(ps_client_ping(c, &hb, &pong, &d));
    CHECK(pong.seq == 42 && pong.hops == 6 && pong.node != 0);
    ps_bytes text = txt("(parent tom bob) (parent bob ann)\n(parent ann joe) (age tom 60)");
    ps_change ch;
    CHECK_OK(ps_client_add(c, PS_FORM_TEXT, &text, 1, &ch, &d));
    CHECK(ch.changed == 4 && ch.atoms == 4 && ch.seq == 4);
    /* encoded paths: (age bob 30) and one already there */
    ps_buf a1 = { 0 }, a2 = { 0 };
    CHECK_OK(ps_atom_parse("(age bob 30)", 12, &a1, NULL));
    CHECK_OK(ps_atom_parse("(age tom 60)", 12, &a2, NULL));
    ps_bytes items[2] = { ps_buf_bytes(&a1), ps_buf_bytes(&a2) };
    CHECK_OK(ps_client_add(c, PS_FORM_PATHS, items, 2, &ch, &d));
    CHECK(ch.changed == 1 && ch.atoms == 5);
    ps_buf bits = { 0 };
    uint64_t n = 0;
    CHECK_OK(ps_client_contains(c, PS_FORM_PATHS, items, 2, &bits, &n, &d));
    CHECK(n == 2 && ps_buf_data(&bits)[0] == 3);
    ps_bytes q = txt("(parent tom bob) (parent x y) (age bob 30)");
    CHECK_OK(ps_client_contains(c, PS_FORM_TEXT, &q, 1, &bits, &n, &d));
    CHECK(n == 3 && ps_buf_data(&bits)[0] == 5);
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &n, &d));
    CHECK_EQ(n, 5);
    /* COUNT under a prefix: (parent ...) is 0x03 0xC6 "parent" */
    uint8_t pre[] = { 0x03, 0xC6, 'p', 'a', 'r', 'e', 'n', 't' };
    CHECK_OK(ps_client_count(c, ps_bytes_of(pre, sizeof pre), &n, &d));
    CHECK_EQ(n, 3);
    ps_client_qopts qo;
    ps_client_qopts_init(&qo);
    qo.form = PS_FORM_TEXT;
    lines l = { { 0 }, 0, 0 };
    unsigned flags = 9;
    CHECK_OK(ps_client_query(c, txt("(, (parent $x $y) (parent $y $z))"), txt("(gp $x $z)"),
                             &qo, take_line, &l, &n, &flags, &d));
    CHECK(n == 2 && flags == 0 && has_line(&l.all, "(gp tom ann)") &&
          has_line(&l.all, "(gp bob joe)"));
    CHECK_OK(ps_client_query(c, txt("(nothing $x)"), ps_bytes_of(NULL, 0), &qo, take_line, &l,
                             &n, &flags, &d));
    CHECK(n == 0 && flags == 0);
    uint64_t results;
    CHECK_OK(ps_client_transform(c, txt("(, (parent $x $y) (parent $y $z))"), txt("(gp $x $z)"),
                                 &ch, &results, &d));
    CHECK(results == 2 && ch.changed == 2 && ch.atoms == 7);
    CHECK_OK(ps_client_remove(c, PS_FORM_TEXT, &q, 1, &ch, &d));
    CHECK(ch.changed == 2 && ch.atoms == 5);
    ps_buf out = { 0 };
    uint64_t bytes;
    CHECK_OK(ps_client_export(c, PS_EXPORT_TEXT, ps_bytes_of(NULL, 0), ps_sink_buf(&out),
                              &bytes, &d));
    CHECK(bytes == out.len && has_line(&out, "(gp tom ann)") && has_line(&out, "(age tom 60)") &&
          !has_line(&out, "(age bob 30)"));
    /* a snapshot export reads back as the same space */
    ps_buf_clear(&out, 0);
    CHECK_OK(ps_client_export(c, PS_EXPORT_SNAP, ps_bytes_of(NULL, 0), ps_sink_buf(&out),
                              &bytes, &d));
    ps_snap *sn;
    REQUIRE_OK(ps_snap_open_mem(ps_buf_data(&out), out.len, &sn, &d));
    ps_snap_info si;
    ps_snap_info_get(sn, &si);
    CHECK_EQ(si.paths, 5);
    ps_snap_close(sn);
    ps_buf_clear(&out, 0);
    CHECK_OK(ps_client_export(c, PS_EXPORT_PATHS, ps_bytes_of(NULL, 0), ps_sink_buf(&out),
                              &bytes, &d));
    CHECK(bytes > 0);
    ps_ckpt_info ci;
    CHECK_OK(ps_client_checkpoint(c, &ci, &d));
    CHECK(ci.atoms == 5 && ci.log_pos == 9);
    ps_server_stats st;
    CHECK_OK(ps_client_stats(c, &st, &d));
    CHECK(st.atoms == 5 && st.seq == 9 && st.clients == 1 && st.checkpoints == 1 &&
          st.requests >= 15 && st.errors == 0);
    /* a text error is an ERROR with line:column, and the connection goes on */
    ps_bytes bad = txt("(a b)\n  (c");
    CHECK_RC(ps_client_add(c, PS_FORM_TEXT, &bad, 1, &ch, &d), PS_E_PARSE);
    CHECK(strstr(d.msg, "server: text 2:") != NULL);
    CHECK_RC(ps_client_query(c, txt("(a $x"), ps_bytes_of(NULL, 0), NULL, take_line, &l, &n,
                             NULL, &d), PS_E_PARSE);
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &n, &d));
    CHECK_EQ(n, 5);
    ps_client_close(c);
    ps_buf_free(&a1);
    ps_buf_free(&a2);
    ps_buf_free(&bits);
    ps_buf_free(&out);
    ps_buf_free(&l.all);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* An export is written by a forked child; a client that leaves before it
 * is done costs the server nothing, and the next export still works. */
void t_net_export_fork(void)
{
    tsrv t;
    t_srv_start(&t, NULL, -1);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    ps_buf out = { 0 };
    t_add_gen(c, 5, 50000);
    for (int i = 0; i < 12; i++) { /* more than the jobs at once: leavers */
        int fd = t_raw(t.port);
        uint8_t buf[64];
        size_t n = t_hello(buf, 1);
        ps_frame f = { PS_PROTO_VERSION, PS_MSG_EXPORT, 0, 8, 2 };
        ps_frame_encode(&f, buf + n);
        memset(buf + n + PS_FRAME_HEADER, 0, 8);
        t_send_all(fd, buf, n + PS_FRAME_HEADER + 8);
        close(fd);
    }
    uint64_t bytes;
    CHECK_OK(ps_client_export(c, PS_EXPORT_SNAP, ps_bytes_of(NULL, 0), ps_sink_buf(&out),
                              &bytes, &d));
    ps_snap *sn;
    REQUIRE_OK(ps_snap_open_mem(ps_buf_data(&out), out.len, &sn, &d));
    ps_snap_info si;
    ps_snap_info_get(sn, &si);
    CHECK_EQ(si.paths, 50000);
    ps_snap_close(sn);
    /* under a prefix: (age ...) is one atom in 8 of the generator's */
    uint8_t pre[] = { 0x03, 0xC3, 'a', 'g', 'e' }; /* (age ...) */
    ps_buf_clear(&out, 0);
    CHECK_OK(ps_client_export(c, PS_EXPORT_TEXT, ps_bytes_of(pre, sizeof pre), ps_sink_buf(&out),
                              &bytes, &d));
    size_t nl = 0;
    for (size_t i = 0; i < out.len; i++)
        nl += ps_buf_data(&out)[i] == '\n';
    CHECK_EQ(nl, 50000 / 8);
    ps_buf_free(&out);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* 300 requests of four kinds in flight on one connection: the replies
 * come in order, each with its request's id and type. */
void t_net_pipeline(void)
{
    tsrv t;
    t_srv_start(&t, NULL, -1);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    uint64_t ids[300];
    int types[300];
    ps_buf pay = { 0 };
    for (int i = 0; i < 300; i++) {
        static const int kinds[4] = { PS_MSG_PING, PS_MSG_ADD, PS_MSG_CONTAINS, PS_MSG_COUNT };
        types[i] = kinds[i % 4];
        ps_buf_clear(&pay, 0);
        char a[32];
        snprintf(a, sizeof a, "(n %d)", i / 4);
        ps_bytes item = txt(a);
        if (types[i] == PS_MSG_PING) {
            uint8_t hb[PS_HEARTBEAT_SIZE] = { 0 };
            ps_buf_append(&pay, hb, sizeof hb);
        } else if (types[i] != PS_MSG_COUNT)
            REQUIRE_OK(ps_batch_encode(&pay, PS_FORM_TEXT, &item, 1));
        REQUIRE_OK(ps_client_send(c, types[i], ps_buf_bytes(&pay), &ids[i]));
    }
    REQUIRE_OK(ps_client_flush(c, &d));
    for (int i = 0; i < 300; i++) {
        ps_reply r;
        REQUIRE_OK(ps_client_recv(c, &r, &d));
        CHECK(r.f.id == ids[i] && r.f.type == (types[i] | PS_MSG_REPLY));
        if (types[i] == PS_MSG_CONTAINS) /* the ADD just before it was applied first */
            CHECK(r.payload.len == 9 && r.payload.ptr[8] == 1);
        if (types[i] == PS_MSG_COUNT)
            CHECK_EQ(ps_read_le64(r.payload.ptr), i / 4 + 1);
    }
    ps_buf_free(&pay);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* 250 clients at once, each adding its own atom and finding it. */
void t_net_many_clients(void)
{
    enum { N = 250 };
    tsrv t;
    t_srv_start(&t, NULL, -1);
    ps_client *cs[N];
    ps_diag d = { 0 };
    for (int i = 0; i < N; i++)
        REQUIRE((cs[i] = t_connect(&t, NULL)) != NULL);
    for (int i = 0; i < N; i++) { /* all requests out before any reply is read */
        char a[32];
        snprintf(a, sizeof a, "(client %d)", i);
        ps_buf pay = { 0 };
        ps_bytes item = txt(a);
        REQUIRE_OK(ps_batch_encode(&pay, PS_FORM_TEXT, &item, 1));
        REQUIRE_OK(ps_client_send(cs[i], PS_MSG_ADD, ps_buf_bytes(&pay), NULL));
        REQUIRE_OK(ps_client_send(cs[i], PS_MSG_CONTAINS, ps_buf_bytes(&pay), NULL));
        REQUIRE_OK(ps_client_flush(cs[i], &d));
        ps_buf_free(&pay);
    }
    for (int i = 0; i < N; i++) {
        ps_reply r;
        REQUIRE_OK(ps_client_recv(cs[i], &r, &d));
        CHECK(r.f.type == (PS_MSG_ADD | PS_MSG_REPLY) && ps_read_le64(r.payload.ptr) == 1);
        REQUIRE_OK(ps_client_recv(cs[i], &r, &d));
        CHECK(r.f.type == (PS_MSG_CONTAINS | PS_MSG_REPLY) && r.payload.ptr[8] == 1);
    }
    ps_server_stats st;
    CHECK_OK(ps_client_stats(cs[0], &st, &d));
    CHECK(st.clients == N && st.atoms == N);
    for (int i = 0; i < N; i++)
        ps_client_close(cs[i]);
    CHECK_OK(t_srv_stop(&t, 0));
}

typedef struct badcase {
    const char *what;
    int hello;         /* send a HELLO first */
    uint8_t type;
    uint16_t flags;
    const void *payload;
    uint32_t len;
    int want;          /* the ERROR's code */
} badcase;

static void bad_frame(const tsrv *t, const badcase *b)
{
    int fd = t_raw(t->port);
    REQUIRE(fd >= 0);
    uint8_t buf[512];
    ps_frame f;
    if (b->hello) {
        size_t n = t_hello(buf, 1);
        REQUIRE(t_send_all(fd, buf, n) == 0);
        REQUIRE(t_read_frame(fd, &f, buf, sizeof buf) == 0);
        CHECK(f.type == (PS_MSG_HELLO | PS_MSG_REPLY));
    }
    ps_frame h = { PS_PROTO_VERSION, b->type, b->flags, b->len, 77 };
    ps_frame_encode(&h, buf);
    if (b->len)
        memcpy(buf + PS_FRAME_HEADER, b->payload, b->len);
    REQUIRE(t_send_all(fd, buf, PS_FRAME_HEADER + b->len) == 0);
    int got = t_read_frame(fd, &f, buf, sizeof buf) == 0;
    if (!got || f.type != PS_MSG_ERROR || ps_read_le32(buf) != (uint32_t)b->want)
        t_failf(__FILE__, __LINE__, "%s: no ERROR %d (type %u code %u)", b->what, b->want,
                got ? f.type : 0, got ? ps_read_le32(buf) : 0);
    if (!t_closed(fd))
        t_failf(__FILE__, __LINE__, "%s: the connection stayed open", b->what);
    close(fd);
}

void t_net_malformed(void)
{
    tsrv t;
    t_srv_start(&t, NULL, -1);
    uint8_t hb31[31] = { 0 }, z8[8] = { 0 };
    uint8_t batch_over[12] = { 0, 0, 0, 0, 5, 0, 0, 0, 200, 0, 0, 0 }; /* atom passes frame */
    uint8_t batch_tail[14] = { 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xC0, 0 };
    uint8_t batch_res[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
    uint8_t hello2[8] = { 1, 0, 1, 0, 0, 0, 0, 0 };
    uint8_t hello_bad[8] = { 1, 0, 1, 0, 9, 0, 0, 0 }; /* token passes the frame */
    uint8_t hello_v[8] = { 2, 0, 3, 0, 0, 0, 0, 0 };
    uint8_t query_bad[24] = { 9, 0, 0, 0 };
    const badcase cases[] = {
        { "command before HELLO", 0, PS_MSG_PING, 0, hb31, 0, PS_E_PROTOCOL },
        { "HELLO twice", 1, PS_MSG_HELLO, 0, hello2, 8, PS_E_PROTOCOL },
        { "HELLO token past the frame", 0, PS_MSG_HELLO, 0, hello_bad, 8, PS_E_CORRUPT },
        { "HELLO of another version", 0, PS_MSG_HELLO, 0, hello_v, 8, PS_E_VERSION },
        { "unknown type", 1, 0x33, 0, NULL, 0, PS_E_PROTOCOL },
        { "a reply's type", 1, PS_MSG_PING | PS_MSG_REPLY, 0, NULL, 0, PS_E_PROTOCOL },
        { "flags set", 1, PS_MSG_COUNT, 1, NULL, 0, PS_E_PROTOCOL },
        { "PING of 31 bytes", 1, PS_MSG_PING, 0, hb31, 31, PS_E_CORRUPT },
        { "batch header short", 1, PS_MSG_ADD, 0, z8, 5, PS_E_CORRUPT },
        { "batch atom past the frame", 1, PS_MSG_ADD, 0, batch_over, 12, PS_E_CORRUPT },
        { "batch reserved bytes", 1, PS_MSG_CONTAINS, 0, batch_res, 8, PS_E_CORRUPT },
        { "batch bytes after the atoms", 1, PS_MSG_REMOVE, 0, batch_tail, 14, PS_E_CORRUPT },
        { "query lengths past the frame", 1, PS_MSG_QUERY, 0, query_bad, 24, PS_E_CORRUPT },
        { "export short", 1, PS_MSG_EXPORT, 0, z8, 3, PS_E_CORRUPT },
        { "stats with a payload", 1, PS_MSG_STATS, 0, z8, 1, PS_E_CORRUPT },
        { "cancel short", 1, PS_MSG_CANCEL, 0, z8, 4, PS_E_CORRUPT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad_frame(&t, &cases[i]);
    /* a batch whose atom is not canonical is an ERROR, the connection goes on */
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    uint8_t bad_atom[] = { 0x02, 0xC1, 'a' }; /* a 2-list with one child */
    ps_bytes item = ps_bytes_of(bad_atom, sizeof bad_atom);
    ps_diag d = { 0 };
    CHECK_RC(ps_client_add(c, PS_FORM_PATHS, &item, 1, NULL, &d), PS_E_TRUNCATED);
    uint64_t n = 9;
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &n, &d));
    CHECK_EQ(n, 0);
    ps_server_stats st;
    CHECK_OK(ps_client_stats(c, &st, &d));
    CHECK(st.errors >= sizeof cases / sizeof cases[0]);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* Bad headers: magic, reserved bytes, version, a frame announcing 4 GiB;
 * then frames cut short by the client leaving. The server answers the bad
 * ones, closes them, and allocates nothing for what a header announces. */
void t_net_truncated(void)
{
    tsrv t;
    t_srv_start(&t, NULL, -1);
    static const struct {
        const char *what;
        int at;
        uint8_t v;
        int want;
    } hdr[] = {
        { "bad magic", 0, 'X', PS_E_CORRUPT },
        { "reserved bytes", 13, 1, PS_E_CORRUPT },
        { "version 9", 4, 9, PS_E_VERSION },
        { "4 GiB frame", 11, 0xFF, PS_E_LIMIT },
    };
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        int fd = t_raw(t.port);
        REQUIRE(fd >= 0);
        uint8_t buf[256];
        size_t n = t_hello(buf, 1);
        buf[hdr[i].at] = hdr[i].v;
        if (hdr[i].at == 11)
            buf[8] = buf[9] = buf[10] = 0xFF;
        REQUIRE(t_send_all(fd, buf, n) == 0);
        ps_frame f;
        int got = t_read_frame(fd, &f, buf, sizeof buf) == 0;
        if (!got || f.type != PS_MSG_ERROR || ps_read_le32(buf) != (uint32_t)hdr[i].want)
            t_failf(__FILE__, __LINE__, "%s: no ERROR %d", hdr[i].what, hdr[i].want);
        CHECK(t_closed(fd));
        close(fd);
    }
    for (int cut = 1; cut < 24 + 8; cut += 5) { /* HELLO cut at every few bytes */
        int fd = t_raw(t.port);
        uint8_t buf[64];
        t_hello(buf, 1);
        REQUIRE(t_send_all(fd, buf, (size_t)cut) == 0);
        close(fd);
    }
    /* a header announcing 15 MiB, then 10 bytes and silence: nothing waits on it */
    int fd = t_raw(t.port);
    uint8_t buf[64];
    size_t n = t_hello(buf, 1);
    t_send_all(fd, buf, n);
    ps_frame f;
    REQUIRE(t_read_frame(fd, &f, buf, sizeof buf) == 0);
    ps_frame big = { PS_PROTO_VERSION, PS_MSG_ADD, 0, 15u << 20, 2 };
    ps_frame_encode(&big, buf);
    t_send_all(fd, buf, PS_FRAME_HEADER + 10);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    ps_server_stats st;
    CHECK_OK(ps_client_stats(c, &st, &d));
    CHECK(st.clients == 2 && st.dropped >= 4);
    ps_client_close(c);
    close(fd);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* A client that sends EXPORTs and never reads: its replies wait (bounded
 * by out_limit), then it is dropped when write_timeout passes, while
 * another client is served throughout. */
void t_net_slow_reader(void)
{
    ps_server_opts o;
    ps_server_opts_init(&o);
    o.write_timeout_ms = 1000;
    o.out_limit = 256 << 10;
    tsrv t;
    t_srv_start(&t, &o, -1);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    t_add_gen(c, 1, 20000);
    int fd = t_raw(t.port);
    uint8_t buf[64];
    size_t n = t_hello(buf, 1);
    t_send_all(fd, buf, n);
    int small = 4096; /* the client's own socket buffer stays small */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    uint8_t req[PS_FRAME_HEADER + 8] = { 0 };
    ps_frame f = { PS_PROTO_VERSION, PS_MSG_EXPORT, 0, 8, 2 };
    for (int i = 0; i < 200; i++) { /* ~1 MB of text each: far past any buffer */
        f.id = 2 + (uint64_t)i;
        ps_frame_encode(&f, req);
        if (send(fd, req, sizeof req, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            break;
    }
    uint64_t cnt = 0;
    for (int i = 0; i < 5; i++) { /* served meanwhile */
        CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &cnt, &d));
        usleep(100000);
    }
    CHECK_EQ(cnt, 20000);
    int dropped = 0;
    for (int i = 0; i < 40 && !dropped; i++) {
        ps_server_stats st;
        CHECK_OK(ps_client_stats(c, &st, &d));
        dropped = st.dropped >= 1 && st.clients == 1;
        usleep(100000);
    }
    CHECK(dropped);
    close(fd);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

void t_net_auth(void)
{
    ps_server_opts o;
    ps_server_opts_init(&o);
    o.token = "s3cret-token";
    tsrv t;
    t_srv_start(&t, &o, -1);
    ps_client_opts co;
    ps_client_opts_init(&co);
    ps_client *c = NULL;
    ps_diag d = { 0 };
    CHECK_RC(ps_client_connect("127.0.0.1", t.port, &co, &c, &d), PS_E_DENIED);
    co.token = "s3cret-tokem";
    CHECK_RC(ps_client_connect("127.0.0.1", t.port, &co, &c, &d), PS_E_DENIED);
    co.token = "s3cret-token-";
    CHECK_RC(ps_client_connect("127.0.0.1", t.port, &co, &c, &d), PS_E_DENIED);
    /* a command before HELLO is refused as well */
    int fd = t_raw(t.port);
    uint8_t buf[64];
    ps_frame f = { PS_PROTO_VERSION, PS_MSG_COUNT, 0, 0, 1 };
    ps_frame_encode(&f, buf);
    t_send_all(fd, buf, PS_FRAME_HEADER);
    REQUIRE(t_read_frame(fd, &f, buf, sizeof buf) == 0);
    CHECK(f.type == PS_MSG_ERROR && ps_read_le32(buf) == PS_E_PROTOCOL);
    close(fd);
    c = t_connect(&t, "s3cret-token");
    REQUIRE(c);
    uint64_t n;
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &n, &d));
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
    /* no token on the server: any HELLO will do, with or without one */
    t_srv_start(&t, NULL, -1);
    c = t_connect(&t, "anything");
    CHECK(c != NULL);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

void t_net_limits(void)
{
    ps_server_opts o;
    ps_server_opts_init(&o);
    o.max_clients = 2;
    o.idle_ms = 300;
    o.max_batch = 3;
    o.max_frame = 4096;
    tsrv t;
    t_srv_start(&t, &o, -1);
    ps_client *a = t_connect(&t, NULL), *b = t_connect(&t, NULL), *c = NULL;
    REQUIRE(a && b);
    ps_client_opts co;
    ps_client_opts_init(&co);
    ps_diag d = { 0 };
    CHECK_RC(ps_client_connect("127.0.0.1", t.port, &co, &c, &d), PS_E_LIMIT);
    ps_bytes four = txt("(a) (b) (c) (d)"), three = txt("(a) (b) (c)");
    CHECK_RC(ps_client_add(a, PS_FORM_TEXT, &four, 1, NULL, &d), PS_E_LIMIT);
    CHECK_OK(ps_client_add(a, PS_FORM_TEXT, &three, 1, NULL, &d));
    ps_buf big = { 0 };
    for (int i = 0; i < 600; i++)
        ps_buf_append(&big, "(xxxxxx)", 8);
    ps_bytes bb = ps_buf_bytes(&big);
    CHECK_RC(ps_client_add(b, PS_FORM_TEXT, &bb, 1, NULL, &d), PS_E_LIMIT); /* frame > 4096 */
    ps_client_close(b);
    usleep(700000); /* a is idle past 300 ms: dropped */
    uint64_t n;
    CHECK(ps_client_count(a, ps_bytes_of(NULL, 0), &n, &d) != PS_OK);
    ps_client_close(a);
    c = t_connect(&t, NULL);
    REQUIRE(c);
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &n, &d));
    CHECK_EQ(n, 3);
    ps_client_close(c);
    ps_buf_free(&big);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* Unauthenticated clients are small and brief: a frame before HELLO is at
 * most 4 KiB (a 16 MiB HELLO was buffered before its token was checked),
 * HELLO is due within hello_ms (idle connections locked everyone out for
 * 300 s), and one address holds at most per_ip connections. */
void t_net_unauthenticated(void)
{
    ps_server_opts o;
    ps_server_opts_init(&o);
    o.token = "s3cret-token";
    o.hello_ms = 300;
    o.per_ip = 3;
    tsrv t;
    t_srv_start(&t, &o, -1);
    uint8_t buf[256];
    int fd = t_raw(t.port);
    ps_frame f = { PS_PROTO_VERSION, PS_MSG_HELLO, 0, 16u << 20, 1 };
    ps_frame_encode(&f, buf);
    t_send_all(fd, buf, PS_FRAME_HEADER);
    REQUIRE(t_read_frame(fd, &f, buf, sizeof buf) == 0);
    CHECK(f.type == PS_MSG_ERROR && ps_read_le32(buf) == PS_E_LIMIT);
    CHECK(t_closed(fd));
    close(fd);
    int mute[3];
    for (int i = 0; i < 3; i++)
        mute[i] = t_raw(t.port);
    int more = t_raw(t.port); /* the fourth from 127.0.0.1 */
    REQUIRE(t_read_frame(more, &f, buf, sizeof buf) == 0);
    CHECK(f.type == PS_MSG_ERROR && ps_read_le32(buf) == PS_E_LIMIT);
    CHECK(memmem(buf + 8, f.len - 8, "this address", 12) != NULL);
    close(more);
    usleep(600000); /* past hello_ms: the silent ones are gone */
    for (int i = 0; i < 3; i++) {
        CHECK(t_closed(mute[i]));
        close(mute[i]);
    }
    ps_client *c = t_connect(&t, "s3cret-token");
    CHECK(c != NULL);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* max_memory bounds what every client together holds: partial frames
 * (200 of them took 3.25 GB) and query results past it get PS_E_LIMIT,
 * and the server goes on serving. */
void t_net_max_memory(void)
{
    ps_server_opts o;
    ps_server_opts_init(&o);
    o.max_memory = 8u << 20;
    tsrv t;
    t_srv_start(&t, &o, -1);
    uint8_t buf[512];
    int fds[4], refused = 0;
    static uint8_t part[2u << 20];
    for (int i = 0; i < 4; i++) {
        fds[i] = t_raw(t.port);
        size_t n = t_hello(buf, 1);
        t_send_all(fds[i], buf, n);
        ps_frame f;
        REQUIRE(t_read_frame(fds[i], &f, buf, sizeof buf) == 0 && f.type != PS_MSG_ERROR);
        ps_frame add = { PS_PROTO_VERSION, PS_MSG_ADD, 0, 6u << 20, 2 };
        ps_frame_encode(&add, buf);
        t_send_all(fds[i], buf, PS_FRAME_HEADER);
        t_send_all(fds[i], part, sizeof part); /* a third of it, then silence */
    }
    for (int i = 0; i < 4; i++) {
        ps_frame f;
        struct timeval tv = { 0, 300000 };
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (t_read_frame(fds[i], &f, buf, sizeof buf) == 0 && f.type == PS_MSG_ERROR &&
            ps_read_le32(buf) == PS_E_LIMIT && memmem(buf + 8, f.len - 8, "max_memory", 10))
            refused++;
    }
    CHECK(refused >= 2); /* 4 x 4 MiB of buffers cannot all fit in 8 MiB */
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    t_add_gen(c, 5, 150000);
    /* one client's frame holds all but some 20 KiB of the 8 MiB: a query's
     * results get the rest, and pass it well before the loop's share */
    int hog = t_raw(t.port);
    size_t hn = t_hello(buf, 1);
    t_send_all(hog, buf, hn);
    ps_frame f;
    REQUIRE(t_read_frame(hog, &f, buf, sizeof buf) == 0 && f.type != PS_MSG_ERROR);
    ps_frame add = { PS_PROTO_VERSION, PS_MSG_ADD, 0, (8u << 20) - (48u << 10), 2 };
    ps_frame_encode(&add, buf);
    t_send_all(hog, buf, PS_FRAME_HEADER);
    t_send_all(hog, part, sizeof part);
    t_send_all(hog, part, sizeof part);
    t_send_all(hog, part, (1u << 20) / 2);
    usleep(200000); /* read by the loop */
    ps_client_qopts qo;
    ps_client_qopts_init(&qo);
    qo.form = PS_FORM_TEXT;
    ps_diag d = { 0 };
    lines l = { { 0 }, 0, 0 };
    uint64_t got;
    int rc = ps_client_query(c, txt("$x"), txt("(a-result-with-a-long-name $x $x)"), &qo,
                             take_line, &l, &got, NULL, &d);
    CHECK_RC(rc, PS_E_LIMIT); /* past what is left */
    CHECK(strstr(d.msg, "max_memory") != NULL);
    close(hog);
    usleep(100000);
    /* the memory back, the same query runs whole: past the loop's share of
     * a query (1 MiB), in a forked child, streamed from its file */
    l.n = 0;
    ps_buf_clear(&l.all, 0);
    CHECK_OK(ps_client_query(c, txt("$x"), txt("(a-result-with-a-long-name $x $x)"), &qo,
                             take_line, &l, &got, NULL, &d));
    CHECK_EQ(got, 150000);
    CHECK_EQ(l.n, 150000);
    ps_server_stats ss;
    CHECK_OK(ps_client_stats(c, &ss, &d));
    CHECK(ss.query_forks >= 1); /* it left the loop */
    /* a COUNT under a prefix holding more than the loop counts: a child's */
    ps_space *g = t_gen_space(5, 150000);
    uint8_t three = 3; /* every 3-item list */
    ps_iter *it;
    ps_bytes pth;
    uint64_t want = 0, got3;
    REQUIRE(ps_iter_new(g, ps_bytes_of(&three, 1), &it) == PS_OK);
    while (ps_iter_next(it, &pth, NULL, NULL) == PS_OK)
        want++;
    ps_iter_free(it);
    ps_space_free(g);
    CHECK(want > 131072); /* past what the loop counts itself */
    CHECK_OK(ps_client_count(c, ps_bytes_of(&three, 1), &got3, &d));
    CHECK_EQ(got3, want);
    uint64_t forks = ss.query_forks;
    CHECK_OK(ps_client_stats(c, &ss, &d));
    CHECK_EQ(ss.query_forks, forks + 1);
    /* stopped early: CANCEL reaches a stream that reads from a child's file */
    lines s2 = { { 0 }, 0, 1000 };
    unsigned fl = 0;
    CHECK_OK(ps_client_query(c, txt("$x"), txt("(a-result-with-a-long-name $x $x)"), &qo,
                             take_line, &s2, &got, &fl, &d));
    CHECK_EQ(s2.n, 1000); /* CANCELLED, unless the stream ended before it was read */
    ps_buf_free(&s2.all);
    uint64_t n;
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &n, &d));
    CHECK_EQ(n, 150000);
    ps_buf_free(&l.all);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* Results come in frames of `batch`; stopping sends CANCEL and the stream
 * ends flagged; a client limit and the server's cap both bound it. */
void t_net_query_stream(void)
{
    ps_server_opts o;
    ps_server_opts_init(&o);
    o.max_results = 500;
    tsrv t;
    t_srv_start(&t, &o, -1);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    t_add_gen(c, 1, 8000); /* 1000 (age ...) atoms among them */
    ps_client_qopts q;
    ps_client_qopts_init(&q);
    q.batch = 7;
    lines l = { { 0 }, 0, 0 };
    uint64_t n;
    unsigned flags;
    CHECK_OK(ps_client_query(c, txt("(age $e $a)"), txt("$a"), &q, take_line, &l, &n, &flags,
                             &d));
    CHECK(n == 500 && (flags & PS_FLAG_LIMITED)); /* the server's cap */
    q.limit = 100;
    CHECK_OK(ps_client_query(c, txt("(age $e $a)"), txt("$a"), &q, take_line, &l, &n, &flags,
                             &d));
    CHECK(n == 100 && flags == 0);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
    /* a stream far larger than the socket buffers: one result per frame,
     * ~20 MB; the client stops after 10 and the server ends it early */
    t_srv_start(&t, NULL, -1);
    c = t_connect(&t, NULL);
    REQUIRE(c);
    t_add_gen(c, 1, 200000);
    q.batch = 1;
    q.limit = 0;
    l.n = 0;
    l.stop_after = 10;
    CHECK_OK(ps_client_query(c, txt("$x"), ps_bytes_of(NULL, 0), &q, take_line, &l, &n, &flags,
                             &d));
    CHECK(n == 10 && (flags & PS_FLAG_CANCELLED));
    uint64_t cnt;
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &cnt, &d)); /* in step after a cancel */
    CHECK_EQ(cnt, 200000);
    ps_buf_free(&l.all);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
}

/* The steady state allocates nothing: 20,000 requests (PING, ADD of atoms
 * already there, CONTAINS, COUNT), pipelined by 16, move neither the
 * server's allocation counter nor its pool's misses, nor (outside
 * sanitizer builds) the process's malloc count, client included. */
void t_net_zero_alloc(void)
{
    tsrv t;
    t_srv_start(&t, NULL, PS_FSYNC_EVERYSEC);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    ps_bytes seed = txt("(a 1) (a 2) (a 3)");
    REQUIRE_OK(ps_client_add(c, PS_FORM_TEXT, &seed, 1, NULL, &d));
    ps_buf pays[4] = { { 0 } };
    uint8_t hb[PS_HEARTBEAT_SIZE] = { 0 };
    ps_buf_append(&pays[0], hb, sizeof hb);
    ps_bytes one = txt("(a 2)");
    ps_batch_encode(&pays[1], PS_FORM_TEXT, &one, 1);
    ps_batch_encode(&pays[2], PS_FORM_TEXT, &one, 1);
    static const int kinds[4] = { PS_MSG_PING, PS_MSG_ADD, PS_MSG_CONTAINS, PS_MSG_COUNT };
    ps_server_stats s0, s1;
    unsigned long long m0 = 0, m1 = 0;
    for (int round = 0; round < 2; round++) { /* the first warms every buffer */
        if (round) {
            REQUIRE_OK(ps_client_stats(c, &s0, &d));
            m0 = t_malloc_calls();
        }
        for (int i = 0; i < 20000 / 16; i++) {
            for (int k = 0; k < 16; k++)
                REQUIRE_OK(ps_client_send(c, kinds[k % 4], ps_buf_bytes(&pays[k % 4]), NULL));
            REQUIRE_OK(ps_client_flush(c, &d));
            for (int k = 0; k < 16; k++) {
                ps_reply r;
                REQUIRE_OK(ps_client_recv(c, &r, &d));
                REQUIRE(r.f.type == (kinds[k % 4] | PS_MSG_REPLY));
            }
        }
        if (round)
            m1 = t_malloc_calls();
    }
    REQUIRE_OK(ps_client_stats(c, &s1, &d));
    CHECK(s1.requests - s0.requests == 20001);
    CHECK_EQ(s1.allocs - s0.allocs, 0);
    CHECK_EQ(s1.pool_misses - s0.pool_misses, 0);
    CHECK(s1.pool_gets - s0.pool_gets >= 20000); /* every reply was a pooled buffer */
    CHECK(s1.writevs - s0.writevs <= 20000 / 16 + 10); /* ~one writev per pipeline */
    CHECK_EQ(m1 - m0, 0);
    for (int i = 0; i < 4; i++)
        ps_buf_free(&pays[i]);
    ps_client_close(c);
    CHECK_OK(t_srv_stop(&t, 0));
    if (!PS_COUNT_MALLOC)
        t_skip("the process-wide malloc count (sanitizer builds own malloc); the server's "
               "own counters were checked");
}

/* Checkpoints in a forked child by policy and on request; the space comes
 * back whole after a restart. */
void t_net_bg_checkpoint(void)
{
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    po.ckpt_changes = 1000;
    tsrv t;
    t_srv_start_with(&t, NULL, &po);
    ps_client *c = t_connect(&t, NULL);
    REQUIRE(c);
    ps_diag d = { 0 };
    t_add_gen(c, 3, 5000);
    ps_server_stats st = { 0 };
    for (int i = 0; i < 50 && st.checkpoints == 0; i++) {
        usleep(100000);
        CHECK_OK(ps_client_stats(c, &st, &d));
    }
    CHECK(st.checkpoints >= 1 && st.ckpt_failed == 0 && st.fork_us_max > 0);
    ps_bytes more = txt("(after the policy checkpoint)");
    CHECK_OK(ps_client_add(c, PS_FORM_TEXT, &more, 1, NULL, &d));
    ps_ckpt_info ci;
    CHECK_OK(ps_client_checkpoint(c, &ci, &d));
    CHECK(ci.atoms == 5001 && ci.log_pos == 5001);
    ps_client_close(c);
    char dir[256];
    memcpy(dir, t.dir, sizeof dir);
    CHECK_OK(t_srv_stop(&t, 1));
    ps_pspace *p;
    ps_recovery r;
    REQUIRE_OK(ps_pspace_open(dir, NULL, &p, &r, &d));
    CHECK(r.have_ckpt && r.replayed == 0 && ps_space_count(ps_pspace_space(p)) == 5001);
    ps_pspace_close(p, NULL);
    t_rmtree(dir);
}

/* ps_served_shard_purge removes exactly the keys outside the shard's range,
 * however the keys sit around its bounds (prefixes of a bound, keys that
 * extend one, bytes just above and below): checked against a plain
 * comparison of bytes. */
static void purge_keys(ps_bytes *lo, ps_bytes *hi, uint8_t *buf)
{
    /* bounds of a few bytes from a small alphabet, so keys collide with them */
    for (int b = 0; b < 2; b++) {
        uint8_t *p = buf + 8 * b;
        size_t n = 1 + t_below(3);
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)(0x7E + t_below(4));
        (b ? hi : lo)->ptr = p;
        (b ? hi : lo)->len = n;
    }
    if (ps_bytes_cmp(*lo, *hi) > 0) {
        ps_bytes t = *lo;
        *lo = *hi;
        *hi = t;
    }
}

static void purge_map(ps_bytes lo, ps_bytes hi, char *json, size_t cap)
{
    char l[32] = "", h[32] = "";
    for (size_t i = 0; i < lo.len; i++)
        sprintf(l + 2 * i, "%02x", lo.ptr[i]);
    for (size_t i = 0; i < hi.len; i++)
        sprintf(h + 2 * i, "%02x", hi.ptr[i]);
    snprintf(json, cap, "{\"format\": \"pathspace-shardmap\", \"version\": 1, \"shards\": ["
             "{\"id\": 0, \"lo\": null, \"hi\": \"%s\"}, {\"id\": 1, \"lo\": \"%s\", \"hi\": \"%s\"},"
             "{\"id\": 2, \"lo\": \"%s\", \"hi\": null}]}", l, l, h, h);
}

void t_net_shard_purge(void)
{
    for (int round = 0; round < 40; round++) {
        uint8_t bounds[16], key[5];
        ps_bytes lo, hi;
        purge_keys(&lo, &hi, bounds);
        if (!ps_bytes_cmp(lo, hi))
            continue;
        char dir[256], json[512];
        REQUIRE(t_tmpdir(dir));
        ps_pspace_opts po;
        ps_pspace_opts_init(&po);
        po.fsync = PS_FSYNC_NEVER;
        ps_pspace *p;
        ps_served *sv;
        ps_shardmap *m;
        ps_diag d = { 0 };
        REQUIRE_OK(ps_pspace_open(dir, &po, &p, NULL, &d));
        uint64_t inside = 0;
        for (int k = 0; k < 300; k++) { /* keys of 0 to 4 bytes around the bounds */
            size_t n = t_below(5);
            for (size_t i = 0; i < n; i++)
                key[i] = (uint8_t)(0x7D + t_below(6));
            int added;
            REQUIRE_OK(ps_pspace_add(p, ps_bytes_of(key, n), &added));
            ps_bytes kb = ps_bytes_of(key, n);
            inside += added && ps_bytes_cmp(lo, kb) <= 0 && ps_bytes_cmp(kb, hi) < 0;
        }
        uint64_t before = ps_space_count(ps_pspace_space(p)), removed;
        purge_map(lo, hi, json, sizeof json);
        REQUIRE_OK(ps_served_new(p, &sv, &d));
        REQUIRE_OK(ps_shardmap_parse(json, strlen(json), &m, &d));
        REQUIRE_OK(ps_served_set_shard(sv, m, 1, &d));
        CHECK_OK(ps_served_shard_purge(sv, &removed, &d));
        const ps_space *sp = ps_pspace_space(p);
        CHECK_EQ(ps_space_count(sp), inside);
        CHECK_EQ(removed, before - inside);
        ps_iter *it;
        ps_bytes a;
        REQUIRE_OK(ps_iter_new(sp, ps_bytes_of(NULL, 0), &it));
        while (ps_iter_next(it, &a, NULL, NULL) == PS_OK)
            CHECK(ps_bytes_cmp(lo, a) <= 0 && ps_bytes_cmp(a, hi) < 0);
        ps_iter_free(it);
        ps_served_free(sv);
        ps_shardmap_free(m);
        CHECK_OK(ps_pspace_close(p, &d));
        t_rmtree(dir);
    }
}
