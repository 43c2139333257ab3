/* test_http.c - MORK's HTTP API from inside: the permission rules and the
 * statuses (perm.c), the URL's segments (url.c), and the daemon serving
 * many clients at once beside the binary protocol (a case for TSan). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "common/alloc.h"
#include "http/http.h"
#include "netkit.h"
#include "test.h"

static void fake_init(ps_http *h)
{
    memset(h, 0, sizeof *h);
    h->o.perm_wait_ms = 20;
    h->o.status_bytes = 16u << 20;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

static void fake_free(ps_http *h)
{
    ps__perm_free(h);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
}

static grant gr(const char *p, int write)
{
    grant g = { (const uint8_t *)p, strlen(p), write };
    return g;
}

/* The status table holds at most status_bytes, however long the prefixes
 * (3,000 statuses on 96 KiB prefixes kept 289 MB before). */
void t_http_status_bytes(void)
{
    ps_http h;
    fake_init(&h);
    h.o.status_bytes = 1u << 20;
    size_t n = 96u << 10;
    uint8_t *p = ps_malloc(n);
    CHECK(p != NULL);
    memset(p, 'k', n);
    hstatus c = { ST_COUNT, 7, 0, "" };
    for (int i = 0; i < 3000; i++) {
        memcpy(p, &i, sizeof i);
        ps__perm_set(&h, p, n, &c);
        CHECK(h.st_bytes <= h.o.status_bytes);
    }
    CHECK(h.nst >= 9 && h.nst <= 11); /* the newest stay */
    hstatus st;
    int last = 2999;
    memcpy(p, &last, sizeof last);
    ps__perm_get(&h, p, n, &st);
    CHECK(st.kind == ST_COUNT && st.count == 7);
    ps__perm_set(&h, p, 4, &c); /* small ones still fit */
    ps__perm_get(&h, p, 4, &st);
    CHECK(st.kind == ST_COUNT);
    h.o.status_bytes = 1000; /* one larger than the whole table is not kept */
    last = 5000;
    memcpy(p, &last, sizeof last);
    ps__perm_set(&h, p, n, &c);
    ps__perm_get(&h, p, n, &st);
    CHECK(st.kind == ST_CLEAR);
    CHECK(h.st_bytes <= 1000);
    free(p);
    fake_free(&h);
}

void t_http_permissions(void)
{
    ps_http h;
    fake_init(&h);
    grant w = gr("ab", 1), r1 = gr("abc", 0), r2 = gr("x", 0), r3 = gr("xy", 0), w2 = gr("a", 1);
    grant beside = gr("ac", 1), all = gr("", 0);
    CHECK_OK(ps__perm_acquire(&h, &w, 1));
    CHECK_RC(ps__perm_acquire(&h, &r1, 1), PS_E_LOCKED);  /* below a write */
    CHECK_RC(ps__perm_acquire(&h, &w2, 1), PS_E_LOCKED);  /* above it */
    CHECK_RC(ps__perm_acquire(&h, &all, 1), PS_E_LOCKED); /* the whole space */
    CHECK_OK(ps__perm_acquire(&h, &beside, 1));           /* beside it */
    CHECK_OK(ps__perm_acquire(&h, &r2, 1));
    CHECK_OK(ps__perm_acquire(&h, &r3, 1)); /* reads share */
    hstatus st;
    ps__perm_get(&h, (const uint8_t *)"abcd", 4, &st);
    CHECK(st.kind == ST_FORBIDDEN_TMP);
    ps__perm_get(&h, (const uint8_t *)"x", 1, &st);
    CHECK(st.kind == ST_READONLY_TMP);
    ps__perm_get(&h, (const uint8_t *)"q", 1, &st);
    CHECK(st.kind == ST_CLEAR);
    ps__perm_release(&h, &w, 1);
    CHECK_OK(ps__perm_acquire(&h, &r1, 1)); /* free once the write went */
    /* a set status stays until a writer takes its prefix or one above */
    hstatus c = { ST_COUNT, 42, 0, "" };
    ps__perm_set(&h, (const uint8_t *)"q1", 2, &c);
    ps__perm_get(&h, (const uint8_t *)"q1", 2, &st);
    CHECK(st.kind == ST_COUNT && st.count == 42);
    ps_buf j = { 0 };
    CHECK_OK(ps__perm_json(&st, &j));
    static const char want[] = "{\"status\":\"countResult\",\"count\":42}";
    CHECK(j.len == sizeof want - 1 && !memcmp(ps_buf_data(&j), want, j.len));
    grant wq = gr("q", 1);
    CHECK_OK(ps__perm_acquire(&h, &wq, 1));
    ps__perm_release(&h, &wq, 1);
    ps__perm_get(&h, (const uint8_t *)"q1", 2, &st);
    CHECK(st.kind == ST_CLEAR);
    /* a message is escaped as JSON */
    hstatus e = { ST_PARSE_ERROR, 0, 0, "bad \"quote\"\n" };
    ps_buf_clear(&j, 0);
    CHECK_OK(ps__perm_json(&e, &j));
    CHECK(strstr((const char *)ps_buf_data(&j), "\"logMessage\":\"bad \\\"quote\\\"\\n\""));
    ps_buf_free(&j);
    ps__perm_release(&h, &beside, 1);
    ps__perm_release(&h, &r1, 1);
    ps__perm_release(&h, &r2, 1);
    ps__perm_release(&h, &r3, 1);
    CHECK(h.nheld == 0);
    fake_free(&h);
}

void t_http_url(void)
{
    ps_buf b = { 0 };
    ps_bytes seg[4];
    CHECK(ps__url_split("(a%20%24x)/%24x/", &b, seg, 4) == 2);
    CHECK(seg[0].len == 6 && !memcmp(seg[0].ptr, "(a $x)", 6));
    CHECK(seg[1].len == 2 && !memcmp(seg[1].ptr, "$x", 2));
    ps_buf_clear(&b, 0);
    CHECK(ps__url_split("e//", &b, seg, 4) == 2 && seg[1].len == 0); /* an empty token */
    ps_buf_clear(&b, 0);
    CHECK(ps__url_split("%2F%00%ff", &b, seg, 4) == 1 && seg[0].len == 3 && seg[0].ptr[0] == '/' &&
          seg[0].ptr[1] == 0 && seg[0].ptr[2] == 0xFF);
    ps_buf_clear(&b, 0);
    CHECK(ps__url_split("%4", &b, seg, 4) == -1);
    ps_buf_clear(&b, 0);
    CHECK(ps__url_split("%zz", &b, seg, 4) == -1);
    ps_buf_clear(&b, 0);
    CHECK(ps__url_split("a/b/c/d/e", &b, seg, 4) == -1); /* more than max */
    ps_buf_clear(&b, 0);
    CHECK(ps__url_decode("file:///tmp/a%20b", &b) == 0 &&
          !strcmp((char *)ps_buf_data(&b), "file:///tmp/a b"));
    ps_buf_free(&b);
}

/* file:// URIs: beneath the files directory as given or as resolved, no
 * dot or empty part, nothing when no directory was given. */
void t_http_files_rel(void)
{
    ps_http h;
    fake_init(&h);
    char given[] = "/x", real[] = "/real/x";
    h.files_given = given;
    h.files_real = real;
    h.files_fd = 0;
    reply r = { 0 };
    const char *rel = NULL;
    CHECK(ps__files_rel(&h, "file:///x/y", &rel, &r, "t") == 0 && !strcmp(rel, "y"));
    CHECK(ps__files_rel(&h, "file://localhost/x/a/b", &rel, &r, "t") == 0 && !strcmp(rel, "a/b"));
    CHECK(ps__files_rel(&h, "file:///real/x/z", &rel, &r, "t") == 0 && !strcmp(rel, "z"));
    static const char *const bad[] = { "file://host/x/y", "http://a/b", "file:///xy/z",
                                       "file:///x/", "file:///x", "file:///x/../y",
                                       "file:///x/a/./b", "file:///x/a//b", "file:///etc/passwd" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r.code = 0;
        CHECK(ps__files_rel(&h, bad[i], &rel, &r, "t") == 1 && r.code >= 400);
    }
    h.files_fd = -1;
    CHECK(ps__files_rel(&h, "file:///x/y", &rel, &r, "t") == 1 && r.code == 403);
    CHECK(memmem(ps_buf_data(&r.body), r.body.len, "--http-files", 12) != NULL);
    ps_buf_free(&r.body);
    fake_free(&h);
}

/* One HTTP/1.1 request on a fresh connection; the status code, the body
 * in out. */
static int request(uint16_t port, const char *method, const char *path, const char *body,
                   ps_buf *out)
{
    int fd = t_raw(port);
    if (fd < 0)
        return -1;
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n =
        snprintf(head, sizeof head,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
                 method, path, blen);
    t_send_all(fd, head, (size_t)n);
    if (blen)
        t_send_all(fd, body, blen);
    ps_buf all = { 0 };
    char buf[16384];
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0)
        ps_buf_append(&all, buf, (size_t)k);
    close(fd);
    int code = -1;
    const char *s = (const char *)ps_buf_data(&all), *sep;
    if (all.len > 12 && sscanf(s, "HTTP/1.1 %d", &code) == 1 &&
        (sep = memmem(s, all.len, "\r\n\r\n", 4))) {
        ps_buf_clear(out, 0);
        ps_buf_append(out, sep + 4, all.len - (size_t)(sep + 4 - s));
        ps_buf_append(out, "", 1);
        out->len--;
    }
    ps_buf_free(&all);
    return code;
}

typedef struct worker_arg {
    uint16_t port;
    int id, fails;
} worker_arg;

static void *uploader(void *p)
{
    worker_arg *a = p;
    ps_buf out = { 0 };
    char path[128], body[64];
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof path, "/upload/%%24x/(w%d%%20%%24x)/", a->id);
        snprintf(body, sizeof body, "(n %d)", i);
        a->fails += request(a->port, "POST", path, body, &out) != 200;
        snprintf(path, sizeof path, "/export/(w%d%%20%%24x)/%%24x/", a->id);
        a->fails += request(a->port, "GET", path, NULL, &out) != 200;
        a->fails += request(a->port, "GET", "/count/(w0%20%24x)/", NULL, &out) != 200 &&
                    strstr((const char *)ps_buf_data(&out), "busy") == NULL;
    }
    ps_buf_free(&out);
    return NULL;
}

void t_http_concurrent(void)
{
    tsrv t;
    t_srv_start(&t, NULL, -1);
    ps_http *h;
    ps_http_opts o;
    ps_http_opts_init(&o);
    o.perm_wait_ms = 2000; /* writes to one namespace queue rather than fail */
    CHECK_OK(ps_http_start(t.sv, &o, &h, NULL));
    uint16_t port = ps_http_port(h);
    pthread_t th[4];
    worker_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (worker_arg){ port, i, 0 };
        CHECK(pthread_create(&th[i], NULL, uploader, &a[i]) == 0);
    }
    ps_client *c = t_connect(&t, NULL); /* the binary protocol meanwhile */
    t_add_gen(c, 1, 2000);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(a[i].fails == 0);
    }
    uint64_t n;
    CHECK_OK(ps_client_count(c, ps_bytes_of(NULL, 0), &n, NULL));
    CHECK(n == 2000 + 4 * 40);
    ps_buf out = { 0 };
    CHECK(request(port, "GET", "/export/(w3%20(n%20%24x))/%24x/", NULL, &out) == 200);
    CHECK(out.len > 0 && !memcmp(ps_buf_data(&out), "0\n1\n2\n", 6));
    ps_buf_free(&out);
    ps_client_close(c);
    ps_http_stop(h); /* while the loop runs: its commands finish between turns */
    CHECK_OK(t_srv_stop(&t, 0));
}

/* An upload into a namespace puts each atom in the template's hole
 * without a search: the same atoms as the query engine's. */
void t_http_wrap_vs_query(void)
{
    static const char *tmpls[] = { "(ns $x)", "(a (b $x) c)", "(k $x \"\xc1\xbf\")",
                                   "$x",      "(two $x $x)",  "(v $x $y)" };
    static const char *atoms[] = { "(f $a $a)",
                                   "$a",
                                   "(g $a (h $b $a) $b)",
                                   "plain",
                                   "(\"a long symbol of more than sixty-three bytes, to take the "
                                   "wide tag path ....\")",
                                   "((nested (deep)) $z)" };
    ps_space *in, *want, *got;
    CHECK_OK(ps_space_new(&in));
    for (size_t i = 0; i < sizeof atoms / sizeof *atoms; i++) {
        ps_buf b = { 0 };
        CHECK_OK(ps_atom_parse(atoms[i], strlen(atoms[i]), &b, NULL));
        CHECK_OK(ps_space_insert(in, ps_buf_bytes(&b), NULL));
        ps_buf_free(&b);
    }
    for (size_t k = 0; k < sizeof tmpls / sizeof *tmpls; k++) {
        reply r = { 0 };
        pt x;
        CHECK(ps__pt_parse(&x, ps_bytes_of("$x", 2), ps_bytes_of(tmpls[k], strlen(tmpls[k])), 0,
                           &r) == 0);
        CHECK_OK(ps_space_new(&want));
        CHECK_OK(ps_space_new(&got));
        CHECK_OK(ps_query_into(x.q, ps_source_space(in), NULL, want, NULL, NULL, NULL));
        ps_http h;
        fake_init(&h);
        h.o.max_results = 1000;
        h.o.max_result_bytes = 1 << 20;
        CHECK_OK(ps__space_match(&h, &x, in, got, NULL));
        fake_free(&h);
        CHECK(ps_space_count(got) == ps_space_count(want));
        ps_space_intersect(got, want);
        CHECK(ps_space_count(got) == ps_space_count(want));
        ps_space_free(want);
        ps_space_free(got);
        ps__pt_free(&x);
        ps_buf_free(&r.body);
    }
    ps_space_free(in);
}
