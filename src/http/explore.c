/*
 * explore.c - MORK's explore and status_stream.
 *
 * explore looks one branch deeper below a focus (the expression's constant
 * prefix, then the token's bytes), as MORK's token_bfs does: from the
 * focus it goes down to where the paths under it first part; each child
 * byte there is one group, answered as its token (the bytes from the
 * prefix through that byte), cnt, and its first atom, if that atom unifies
 * with the expression. cnt is what the client would meet one level on: the
 * children at the group's own next branch, or 1 when the group is one
 * atom. A focus that holds one atom answers that atom with an empty token
 * and cnt 0 (nothing further to explore). Three passes over the paths
 * under the focus, under the read lock.
 */
#include <string.h>

#include <yajl/yajl_gen.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "http.h"
#include "query/term.h"

typedef struct groups {
    uint64_t n;         /* paths under the focus                      */
    ps_buf first, last; /* pass 1                                     */
    size_t split;       /* where they part: their common prefix       */
    uint64_t cnt[256];  /* pass 2: paths per child byte               */
    size_t sample[256]; /* offset of its first path in samples        */
    size_t slen[256];
    ps_buf samples;
    ps_buf last_of[256]; /* pass 2: each group's last path            */
    size_t gsplit[256]; /* where the group's own paths part           */
    uint64_t kids[256]; /* pass 3: distinct bytes there               */
    int prev[256];      /* pass 3: the last such byte seen (-1: none) */
} groups;

static size_t lcp2(ps_bytes a, ps_bytes b)
{
    size_t n = a.len < b.len ? a.len : b.len, i = 0;
    while (i < n && a.ptr[i] == b.ptr[i])
        i++;
    return i;
}

static int pass(const ps_space *sp, ps_bytes focus, groups *g, int which)
{
    ps_iter *it;
    if (ps_iter_new(sp, focus, &it))
        return PS_E_NOMEM;
    ps_bytes a;
    int rc = PS_OK;
    while (!rc && ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
        if (which == 1) {
            ps_buf *dst = g->n++ ? &g->last : &g->first;
            ps_buf_clear(dst, 0);
            rc = ps_buf_append(dst, a.ptr, a.len);
            continue;
        }
        if (a.len <= g->split)
            continue; /* a path that is the others' prefix: not an atom */
        uint8_t b = a.ptr[g->split];
        if (which == 3) { /* the group's next branch: its distinct bytes */
            if (g->cnt[b] > 1 && a.len > g->gsplit[b] && a.ptr[g->gsplit[b]] != g->prev[b]) {
                g->prev[b] = a.ptr[g->gsplit[b]];
                g->kids[b]++;
            }
            continue;
        }
        if (!g->cnt[b]++) {
            g->sample[b] = g->samples.len;
            g->slen[b] = a.len;
            rc = ps_buf_append(&g->samples, a.ptr, a.len);
        }
        ps_buf_clear(&g->last_of[b], 0);
        if (!rc)
            rc = ps_buf_append(&g->last_of[b], a.ptr, a.len);
    }
    ps_iter_free(it);
    return rc;
}

/* 1 if the atom unifies with the expression (MORK keeps only those). */
static int unifiable(ps_bytes e, ps_bytes atom)
{
    terms t;
    uint32_t n1 = 0, n2 = 0;
    uint64_t a, b;
    if (ps__terms_init(&t, 2 * PS_MAX_VARS))
        return 1;
    int r = 1;
    if (!ps__internalize(&t, e.ptr, e.len, 0, &n1, &a, NULL) &&
        !ps__internalize(&t, atom.ptr, atom.len, PS_MAX_VARS, &n2, &b, NULL))
        r = ps__unify(&t, a, b) != 0;
    ps__terms_free(&t);
    return r;
}

static void put_item(yajl_gen y, ps_bytes tok, uint64_t cnt, ps_bytes atom, ps_buf *text,
                     int lossless)
{
    yajl_gen_map_open(y);
    yajl_gen_string(y, (const unsigned char *)"token", 5);
    yajl_gen_array_open(y);
    for (size_t i = 0; i < tok.len; i++)
        yajl_gen_integer(y, tok.ptr[i]);
    yajl_gen_array_close(y);
    yajl_gen_string(y, (const unsigned char *)"cnt", 3);
    yajl_gen_integer(y, (long long)cnt);
    yajl_gen_string(y, (const unsigned char *)"expr", 4);
    ps_buf_clear(text, 0);
    /* MORK's clients read MORK's text; lossless=1 asks for pathspace's */
    if (lossless ? ps_atom_print(atom, text) : ps_atom_print_mork(atom, text))
        ps_buf_clear(text, 0);
    yajl_gen_string(y, ps_buf_data(text), text->len);
    yajl_gen_map_close(y);
}

/* The JSON list for groups g found below the focus; prefix bytes are
 * left out of each token. */
static int answer(const groups *g, ps_bytes e, size_t pfx, int lossless, ps_buf *out)
{
    yajl_gen y = yajl_gen_alloc(NULL);
    if (!y)
        return PS_E_NOMEM;
    ps_buf text = { 0 };
    yajl_gen_array_open(y);
    if (g->n == 1 && unifiable(e, ps_buf_bytes(&g->first))) /* one atom: it, nothing below */
        put_item(y, ps_bytes_of(NULL, 0), 0, ps_buf_bytes(&g->first), &text, lossless);
    for (unsigned b = 0; b < 256 && g->n > 1; b++) {
        if (!g->cnt[b])
            continue;
        ps_bytes s = ps_bytes_of(ps_buf_data(&g->samples) + g->sample[b], g->slen[b]);
        if (unifiable(e, s))
            put_item(y, ps_bytes_of(s.ptr + pfx, g->split + 1 - pfx),
                     g->cnt[b] > 1 ? g->kids[b] : 1, s, &text, lossless);
    }
    yajl_gen_array_close(y);
    ps_buf_free(&text);
    return ps__json_take(y, out);
}

static int explore_passes(const ps_space *sp, ps_bytes focus, groups *g)
{
    int rc = pass(sp, focus, g, 1);
    g->split = g->n > 1 ? lcp2(ps_buf_bytes(&g->first), ps_buf_bytes(&g->last)) : 0;
    if (!rc && g->n > 1)
        rc = pass(sp, focus, g, 2);
    for (unsigned b = 0; b < 256; b++) {
        g->prev[b] = -1;
        if (g->cnt[b] > 1)
            g->gsplit[b] = lcp2(ps_bytes_of(ps_buf_data(&g->samples) + g->sample[b], g->slen[b]),
                                ps_buf_bytes(&g->last_of[b]));
    }
    if (!rc && g->n > 1)
        rc = pass(sp, focus, g, 3);
    return rc;
}

static void groups_free(groups *g)
{
    if (!g)
        return;
    ps_buf_free(&g->first);
    ps_buf_free(&g->last);
    ps_buf_free(&g->samples);
    for (unsigned b = 0; b < 256; b++)
        ps_buf_free(&g->last_of[b]);
    free(g);
}

void ps__cmd_explore(req *q, reply *r)
{
    ps_buf e = { 0 };
    size_t pfx;
    if (ps__expr_arg(q, r, "explore", &e, &pfx))
        return;
    grant g = { ps_buf_data(&e), pfx, 0 };
    int rc = ps__perm_acquire(q->h, &g, 1);
    if (rc) {
        ps__http_busy(r, "explore", rc);
        return ps_buf_free(&e);
    }
    ps_buf focus = { 0 };
    groups *gr = ps_calloc(1, sizeof *gr);
    if (!gr || ps_buf_append(&focus, ps_buf_data(&e), pfx) ||
        ps_buf_append(&focus, q->seg[1].ptr, q->seg[1].len))
        rc = PS_E_NOMEM;
    if (!rc) {
        ps__served_lock(q->h->sv, 0);
        rc = explore_passes(ps_pspace_space(ps_served_pspace(q->h->sv)), ps_buf_bytes(&focus), gr);
        ps__served_unlock(q->h->sv);
    }
    ps__perm_release(q->h, &g, 1);
    ps_buf_clear(&r->body, 0);
    ps_buf lb = { 0 };
    int lossless = ps__arg_true(ps__reply_arg(q, "lossless", &lb, NULL));
    ps_buf_free(&lb);
    if (rc || answer(gr, ps_buf_bytes(&e), pfx, lossless, &r->body))
        ps__reply_text(r, 500, "explore: out of memory");
    else {
        r->code = 200;
        r->type = "application/json";
    }
    groups_free(gr);
    ps_buf_free(&focus);
    ps_buf_free(&e);
}

/* ---------------------------------------------------------- status_stream */

typedef struct sse {
    ps_http *h;
    ps_buf key;
    uint64_t v;
    int started, done;
    hstatus last;
} sse;

/* One event per change of the status, a comment line as a heartbeat; the
 * stream ends after a status that is not temporary (the command is done),
 * or at shutdown. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse *s = cls;
    if (s->done)
        return MHD_CONTENT_READER_END_OF_STREAM;
    uint64_t v = s->started ? ps__perm_wait(s->h, s->v, 15000) : ps__perm_version(s->h);
    hstatus st;
    ps__perm_get(s->h, ps_buf_data(&s->key), s->key.len, &st);
    int same = s->started && st.kind == s->last.kind && st.count == s->last.count;
    s->started = 1;
    s->v = v;
    s->last = st;
    if (!ps__perm_temporary(&st) || s->h->stopping)
        s->done = 1;
    if (same && !s->done) {
        memcpy(buf, ":\n\n", 3);
        return 3;
    }
    ps_buf j = { 0 };
    if (ps_buf_append(&j, "data: ", 6) || ps__perm_json(&st, &j) || ps_buf_append(&j, "\n\n", 2) ||
        j.len > max) {
        ps_buf_free(&j);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    memcpy(buf, ps_buf_data(&j), j.len);
    ssize_t n = (ssize_t)j.len;
    ps_buf_free(&j);
    return n;
}

static void sse_free(void *cls)
{
    sse *s = cls;
    ps_buf_free(&s->key);
    free(s);
}

void ps__cmd_status_stream(req *q, reply *r)
{
    ps_buf e = { 0 };
    size_t pfx;
    if (ps__expr_arg(q, r, "status_stream", &e, &pfx))
        return;
    sse *s = ps_calloc(1, sizeof *s);
    if (!s || ps_buf_append(&s->key, ps_buf_data(&e), pfx)) {
        free(s);
        ps__reply_text(r, 500, "status_stream: out of memory");
        return ps_buf_free(&e);
    }
    ps_buf_free(&e);
    s->h = q->h;
    r->stream = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
    if (!r->stream) {
        sse_free(s);
        ps__reply_text(r, 500, "status_stream: out of memory");
        return;
    }
    MHD_add_response_header(r->stream, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    r->code = 200;
    r->type = "text/event-stream";
}
