/* shardmap_out.c - a shard map written as JSON (docs/replication.md,
 * "Shards"): the one writer, for shard split and shard move. The one
 * reader is ps_shardmap_parse. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"

void map_begin(FILE *f, uint64_t version)
{
    fprintf(f, "{\"format\": \"pathspace-shardmap\", \"version\": 1, \"map_version\": %" PRIu64
               ",\n \"shards\": [\n", version);
}

/* A key as hex in quotes, or null when unbounded. */
static void key(FILE *f, ps_bytes b, int has)
{
    if (!has) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < b.len; i++)
        fprintf(f, "%02x", b.ptr[i]);
    fputc('"', f);
}

void map_entry(FILE *f, const map_shard *s, int last)
{
    fprintf(f, "  {\"id\": %u, \"lo\": ", s->id);
    key(f, s->lo, s->has_lo);
    fputs(", \"hi\": ", f);
    key(f, s->hi, s->has_hi);
    if (s->file)
        fprintf(f, ", \"file\": \"%s\"", s->file);
    if (s->atoms)
        fprintf(f, ", \"atoms\": %" PRIu64, s->atoms);
    if (s->binary && *s->binary)
        fprintf(f, ", \"binary\": \"%s\"", s->binary);
    if (s->http && *s->http)
        fprintf(f, ", \"http\": \"%s\"", s->http);
    if (s->bucket && *s->bucket)
        fprintf(f, ", \"bucket\": \"%s\"", s->bucket);
    if (s->frozen) {
        fputs(", \"frozen\": [", f);
        key(f, s->flo, 1);
        fputs(", ", f);
        key(f, s->fhi, s->has_fhi);
        fputc(']', f);
    }
    fprintf(f, "}%s\n", last ? "" : ",");
}

void map_end(FILE *f)
{
    fputs(" ]}\n", f);
}
