/* batch.c - atoms sent to a server in requests of about BATCH_BYTES, the
 * way both clients send what they read from a file (client add -f, and
 * client --shards): a request stays well under the largest frame a server
 * takes (16 MiB), however large the file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void batch_free(batch *b)
{
    ps_buf_free(&b->bytes);
    free(b->end);
    free(b->items);
    memset(b, 0, sizeof *b);
}

int batch_add(batch *b, ps_bytes a)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        size_t *e = realloc(b->end, cap * sizeof *e);
        ps_bytes *v = e ? realloc(b->items, cap * sizeof *v) : NULL;
        if (e)
            b->end = e;
        if (!v)
            return PS_E_NOMEM;
        b->items = v, b->cap = cap;
    }
    int rc = ps_buf_append(&b->bytes, a.ptr, a.len);
    if (!rc)
        b->end[b->n++] = ps_buf_len(&b->bytes);
    return rc;
}

int batch_send(ps_client *c, int add, batch *b, ps_change *ch, ps_diag *d)
{
    for (size_t k = 0, at = 0; k < b->n; at = b->end[k++])
        b->items[k] = ps_bytes_of(ps_buf_data(&b->bytes) + at, b->end[k] - at);
    int rc = add ? ps_client_add(c, PS_FORM_PATHS, b->items, b->n, ch, d)
                 : ps_client_remove(c, PS_FORM_PATHS, b->items, b->n, ch, d);
    b->n = 0;
    ps_buf_clear(&b->bytes, 0);
    return rc;
}

int batch_all(ps_client *c, const ps_space *sp, ps_bytes from, int add, uint64_t *sent,
              ps_change *total, ps_diag *d)
{
    batch b = { 0 };
    ps_iter *it = NULL;
    ps_change ch = { 0 };
    memset(total, 0, sizeof *total);
    *sent = 0;
    int rc = ps_iter_new(sp, ps_bytes_of(NULL, 0), &it);
    ps_bytes a;
    while (!rc && !(rc = ps_iter_next(it, &a, NULL, NULL))) {
        if (ps_bytes_cmp(a, from) < 0 || (rc = batch_add(&b, a)))
            continue;
        ++*sent;
        if (ps_buf_len(&b.bytes) < BATCH_BYTES || (rc = batch_send(c, add, &b, &ch, d)))
            continue;
        *total = (ps_change){ total->changed + ch.changed, ch.seq, ch.atoms };
    }
    if (rc == PS_E_EMPTY)
        rc = PS_OK;
    /* the last batch; an empty one still says where the log stands */
    if (!rc && (b.n || !total->seq) && !(rc = batch_send(c, add, &b, &ch, d)))
        *total = (ps_change){ total->changed + ch.changed, ch.seq, ch.atoms };
    if (it)
        ps_iter_free(it);
    batch_free(&b);
    return rc;
}

int items_load(int argc, char **argv, ps_space *sp)
{
    ps_buf text = { 0 };
    int rc = 0;
    if (argc >= 2 && !strcmp(argv[0], "-f")) {
        input in;
        if (input_open(&in, argv[1]))
            return 1;
        rc = ps_buf_append(&text, in.data, in.len);
        input_close(&in);
    } else {
        for (int i = 0; i < argc && !rc; i++)
            rc = ps_buf_append(&text, argv[i], strlen(argv[i])) || ps_buf_append(&text, "\n", 1);
    }
    ps_diag d = { 0 };
    if (!rc)
        rc = ps_space_load(sp, ps_buf_data(&text), ps_buf_len(&text), PS_FORMAT_METTA, &d);
    ps_buf_free(&text);
    return rc ? die("client: %u:%u: %s", d.line, d.col, d.msg[0] ? d.msg : "out of memory") : 0;
}
