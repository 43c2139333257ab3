/* cmd_routed.c - pathspace client --shards MAP COMMAND: a sharded space
 * through its map (docs/replication.md, "Shards"). Adds and removes go to
 * the shard of each atom's key, in batches; contains asks that shard alone;
 * query and count ask the shards a pattern's constant prefix reaches and
 * merge in trie order. A shard that answers PS_E_MOVED (its map is newer):
 * the map file is read again and the batch routed anew. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shell.h"

#define REROUTES 3
#define LOCKED_WAIT_MS 60000   /* how long a write waits out a split */

typedef struct routed {
    const char *file;
    ps_shardmap *map;
    ps_client **conn; /* by shard, made when first needed */
    uint32_t nconn;
    const char *token;
} routed;

static void drop_conns(routed *r)
{
    for (uint32_t i = 0; i < r->nconn; i++)
        ps_client_close(r->conn[i]);
    free(r->conn);
    r->conn = NULL;
    r->nconn = 0;
}

static int load(routed *r)
{
    ps_diag d = { 0 };
    ps_shardmap *m;
    int rc = ps_shardmap_fetch(r->file, &m, &d); /* a file, or a bucket's newest */
    if (rc)
        return die("client --shards %s: %s: %s", r->file, ps_strerror(rc), d.msg);
    drop_conns(r);
    ps_shardmap_free(r->map);
    r->map = m;
    r->nconn = ps_shardmap_count(m);
    r->conn = calloc(r->nconn, sizeof *r->conn);
    return r->conn ? 0 : die("out of memory");
}

static ps_client *conn_of(routed *r, uint32_t i, ps_diag *d)
{
    if (r->conn[i])
        return r->conn[i];
    ps_shard_info si;
    ps_shardmap_shard(r->map, i, &si);
    char host[256];
    const char *colon = strrchr(si.binary, ':');
    if (!colon || (size_t)(colon - si.binary) >= sizeof host) {
        d->code = PS_E_NOTFOUND;
        snprintf(d->msg, sizeof d->msg, "shard %u has no binary address in the map", i);
        return NULL;
    }
    memcpy(host, si.binary, (size_t)(colon - si.binary));
    host[colon - si.binary] = 0;
    ps_client_opts o;
    ps_client_opts_init(&o);
    o.token = r->token;
    if (ps_client_connect(host, (uint16_t)atoi(colon + 1), &o, &r->conn[i], d))
        r->conn[i] = NULL;
    return r->conn[i];
}

/* ---- adds and removes, batched per shard (cli/batch.c) */

/* Sends b to shard i (op add or remove); PS_E_MOVED is the caller's. */
static int send_batch(routed *r, uint32_t i, int add, batch *b, uint64_t *changed, ps_diag *d)
{
    ps_client *c = conn_of(r, i, d);
    if (!c)
        return d->code ? d->code : PS_E_IO;
    ps_change ch;
    int rc = batch_send(c, add, b, &ch, d);
    if (!rc)
        *changed += ch.changed;
    return rc;
}

/* Every atom of sp to its shard, a batch at a time. */
static int route_all(routed *r, const ps_space *sp, int add, uint64_t *changed, ps_diag *d)
{
    uint32_t n = ps_shardmap_count(r->map);
    batch *bs = calloc(n, sizeof *bs);
    ps_iter *it = NULL;
    int rc = bs ? ps_iter_new(sp, ps_bytes_of(NULL, 0), &it) : PS_E_NOMEM;
    ps_bytes a;
    while (!rc && !(rc = ps_iter_next(it, &a, NULL, NULL))) {
        uint32_t s = ps_shardmap_route(r->map, a);
        if (!(rc = batch_add(&bs[s], a)) && ps_buf_len(&bs[s].bytes) >= BATCH_BYTES)
            rc = send_batch(r, s, add, &bs[s], changed, d);
    }
    if (rc == PS_E_EMPTY)
        rc = PS_OK;
    for (uint32_t i = 0; i < n && !rc; i++)
        if (bs[i].n)
            rc = send_batch(r, i, add, &bs[i], changed, d);
    if (it)
        ps_iter_free(it);
    for (uint32_t i = 0; bs && i < n; i++)
        batch_free(&bs[i]);
    free(bs);
    if (rc == PS_E_NOMEM && !d->msg[0])
        snprintf(d->msg, sizeof d->msg, "out of memory");
    return rc;
}

static int do_change(routed *r, int add, int argc, char **argv)
{
    ps_space *sp;
    if (ps_space_new(&sp))
        return die("out of memory");
    int rc = items_load(argc, argv, sp);
    uint64_t changed = 0;
    ps_diag d = { 0 };
    unsigned wait_ms = 10, waited = 0;
    for (int k = 0; !rc && k <= REROUTES;) {
        /* a batch a shard refused as not its own: every atom again, by the
         * map as it is now (what went in already is a no-op); a part being
         * moved (PS_E_LOCKED): the same, a little later */
        rc = route_all(r, sp, add, &changed, &d);
        if (rc == PS_E_LOCKED && waited < LOCKED_WAIT_MS) {
            struct timespec ts = { 0, (long)wait_ms * 1000000L };
            nanosleep(&ts, NULL);
            waited += wait_ms;
            wait_ms = wait_ms < 200 ? wait_ms * 2 : 200;
            memset(&d, 0, sizeof d);
            rc = load(r); /* the split may have ended: the map says where to */
            continue;
        }
        if (rc != PS_E_MOVED || k++ == REROUTES)
            break;
        fprintf(stderr, "pathspace: %s; reading %s again\n", d.msg, r->file);
        memset(&d, 0, sizeof d);
        if ((rc = load(r)))
            break;
    }
    ps_space_free(sp);
    if (rc && rc != 1)
        return die("client %s: %s: %s", add ? "add" : "remove", ps_strerror(rc), d.msg), 1;
    if (!rc)
        printf("changed %" PRIu64 "\n", changed);
    return rc ? 1 : 0;
}

static int do_contains(routed *r, int argc, char **argv)
{
    int missing = 0;
    for (int i = 0; i < argc; i++) {
        ps_buf a = { 0 }, bits = { 0 };
        ps_diag d = { 0 };
        int rc = ps_atom_parse(argv[i], strlen(argv[i]), &a, &d);
        ps_client *c = rc ? NULL : conn_of(r, ps_shardmap_route(r->map, ps_buf_bytes(&a)), &d);
        ps_bytes item = ps_buf_bytes(&a);
        if (!c || (rc = ps_client_contains(c, PS_FORM_PATHS, &item, 1, &bits, NULL, &d))) {
            ps_buf_free(&a);
            return die("client contains: %s", d.msg), 2;
        }
        int has = ps_buf_data(&bits)[0] & 1;
        puts(has ? "yes" : "no");
        missing += !has;
        ps_buf_free(&a);
        ps_buf_free(&bits);
    }
    return missing ? 1 : 0;
}

/* ---- fan-out: query and count */

static int collect(void *ctx, ps_bytes atom)
{
    return ps_space_insert(ctx, atom, NULL);
}

/* The shards pattern text reaches, into ids (malloc'd); their count. */
static uint32_t reach(routed *r, const char *pattern, uint32_t **ids, ps_buf *enc)
{
    ps_diag d = { 0 };
    *ids = NULL;
    if (ps_atom_parse(pattern, strlen(pattern), enc, &d)) {
        die("client: %u:%u: %s", d.line, d.col, d.msg);
        return UINT32_MAX;
    }
    uint32_t n = ps_shardmap_count(r->map);
    *ids = malloc(n * sizeof **ids);
    return *ids ? ps_shardmap_reach(r->map, ps_buf_bytes(enc), *ids, n) : UINT32_MAX;
}

static int do_query(routed *r, int argc, char **argv)
{
    if (argc < 1 || argc > 2)
        return die("client --shards query PATTERN [TEMPLATE]"), 2;
    ps_buf enc = { 0 };
    uint32_t *ids;
    uint32_t n = reach(r, argv[0], &ids, &enc);
    ps_space *out;
    if (n == UINT32_MAX || ps_space_new(&out))
        return ps_buf_free(&enc), 2;
    ps_client_qopts q;
    ps_client_qopts_init(&q);
    q.form = PS_FORM_PATHS; /* atoms, merged in one space: distinct, in trie order */
    ps_bytes pat = ps_bytes_of(argv[0], strlen(argv[0]));
    ps_bytes tpl = ps_bytes_of(argv[argc - 1], strlen(argv[argc - 1]));
    int rc = 0;
    for (uint32_t k = 0; k < n && !rc; k++) {
        ps_diag d = { 0 };
        ps_client *c = conn_of(r, ids[k], &d);
        if (!c || ps_client_query(c, pat, tpl, &q, collect, out, NULL, NULL, &d))
            rc = die("client query: shard %u: %s", ids[k], d.msg) + 1;
    }
    ps_buf line = { 0 };
    ps_iter *it;
    ps_bytes a;
    uint64_t results = 0;
    if (!rc && !ps_iter_new(out, ps_bytes_of(NULL, 0), &it)) {
        while (!ps_iter_next(it, &a, NULL, NULL)) {
            ps_buf_clear(&line, 0);
            if (!ps_atom_print(a, &line))
                printf("%.*s\n", (int)ps_buf_len(&line), (const char *)ps_buf_data(&line));
            results++;
        }
        ps_iter_free(it);
    }
    ps_buf_free(&line);
    ps_space_free(out);
    ps_buf_free(&enc);
    free(ids);
    return rc ? 2 : results ? EXIT_RESULTS : EXIT_NONE;
}

static int do_count(routed *r, int argc, char **argv)
{
    const char *pattern = argc == 2 && !strcmp(argv[0], "--prefix") ? argv[1] : "$x";
    if (argc && argc != 2)
        return die("client --shards count [--prefix PATTERN]"), 2;
    ps_buf enc = { 0 };
    uint32_t *ids;
    uint32_t n = reach(r, pattern, &ids, &enc);
    if (n == UINT32_MAX)
        return ps_buf_free(&enc), 2;
    ps_bytes pre = ps_bytes_of(ps_buf_data(&enc), ps_atom_prefix(ps_buf_bytes(&enc)));
    uint64_t total = 0;
    int rc = 0;
    for (uint32_t k = 0; k < n && !rc; k++) {
        ps_diag d = { 0 };
        uint64_t c = 0;
        ps_client *cl = conn_of(r, ids[k], &d);
        if (!cl || ps_client_count(cl, pre, &c, &d))
            rc = die("client count: shard %u: %s", ids[k], d.msg) + 1;
        total += c;
    }
    if (!rc)
        printf("%" PRIu64 "\n", total);
    ps_buf_free(&enc);
    free(ids);
    return rc ? 2 : 0;
}

int client_routed(const char *file, const char *token, int argc, char **argv)
{
    routed r = { file, NULL, NULL, 0, token };
    if (argc < 1)
        return die("client --shards MAP: no COMMAND (add, remove, contains, query, count)"), 2;
    if (load(&r))
        return 2;
    const char *cmd = argv[0];
    int rc = !strcmp(cmd, "add")      ? do_change(&r, 1, argc - 1, argv + 1)
             : !strcmp(cmd, "remove")   ? do_change(&r, 0, argc - 1, argv + 1)
             : !strcmp(cmd, "contains") ? do_contains(&r, argc - 1, argv + 1)
             : !strcmp(cmd, "query")    ? do_query(&r, argc - 1, argv + 1)
             : !strcmp(cmd, "count")    ? do_count(&r, argc - 1, argv + 1)
                                        : (die("client --shards: %s is not routed (add, remove, "
                                               "contains, query, count)", cmd), 2);
    drop_conns(&r);
    ps_shardmap_free(r.map);
    return rc;
}
