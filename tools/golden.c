/*
 * golden.c - writes the golden files of pathspace's own formats into
 * tests/golden/{snap,ckpt,wal}: files that must decode, with what they hold,
 * and files that must be rejected, one for each check the format documents
 * list, with the error each must give (a MANIFEST per directory).
 *
 * Run once from the project root (`make golden`), then commit the files.
 * Their bytes are pinned from then on: tests/test_golden.c decodes them,
 * compares what they hold, and re-encodes them with the library's writers,
 * so a change made to a writer and its reader together still fails.
 *
 * The snapshots to reject are built by an encoder written here from
 * docs/format-snapshot.md, not by the library's writer (it also checks,
 * while generating, that the two agree byte for byte on a plain file), and
 * every checksum is made right again after the damage, so that each file
 * reaches the one check it is for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "pathspace.h"
#include "../tests/fixtures.h"

#define SNAP_HDR 64
#define SNAP_ENTRY 64
#define SNAP_TRAILER 96
#define RESTART 32
#define OVERHEAD 29 /* the writer's per-entry allowance (format-snapshot.md) */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("golden: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void ok(int rc, const char *what)
{
    if (rc)
        die("%s: %s", what, ps_strerror(rc));
}

static void put_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
        die("cannot write %s: %s", path, strerror(errno));
}

static void mkdirs(const char *path)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *s = tmp + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(tmp, 0755);
            *s = '/';
        }
    mkdir(tmp, 0755);
}

/* ---------------------------------------------------------- path lists */

typedef struct ent {
    ps_bytes path;
    int hv;
    uint64_t v;
} ent;

typedef struct list {
    ent *e;
    size_t n;
    ps_buf bytes;
} list;

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* n generated atoms (seed), sorted and distinct, through a space. With
 * values, every third one gets one. */
static void gen_list(list *l, uint64_t seed, uint64_t n, int values, int with_empty)
{
    ps_space *s;
    ps_parser *p;
    ps_buf text = { 0 };
    ps_bytes a;
    ok(ps_space_new(&s), "space");
    ok(ps_parser_new(&p), "parser");
    ok(ps_gen_text(seed, 0, n, &text), "gen");
    ps_parser_reset(p, ps_buf_data(&text), text.len);
    uint64_t r = seed, i = 0;
    while (ps_parser_next(p, &a, NULL) == PS_OK) {
        if (values && i++ % 3 == 0) {
            uint64_t v = mix(&r), shift = mix(&r) & 63; /* values of every size */
            ok(ps_space_set_value(s, a, v >> shift), "set");
        }
        else
            ok(ps_space_insert(s, a, NULL), "insert");
    }
    if (with_empty)
        ok(ps_space_insert(s, ps_bytes_of(NULL, 0), NULL), "insert");
    ps_parser_free(p);
    ps_buf_free(&text);
    l->n = ps_space_count(s);
    l->e = calloc(l->n, sizeof *l->e);
    ps_iter *it;
    ok(ps_iter_new(s, ps_bytes_of(NULL, 0), &it), "iter");
    size_t *off = calloc(l->n, sizeof *off);
    for (size_t k = 0; ps_iter_next(it, &a, &l->e[k].hv, &l->e[k].v) == PS_OK; k++) {
        off[k] = l->bytes.len;
        l->e[k].path.len = a.len;
        ps_buf_append(&l->bytes, a.ptr, a.len);
    }
    for (size_t k = 0; k < l->n; k++)
        l->e[k].path.ptr = ps_buf_data(&l->bytes) + off[k];
    free(off);
    ps_iter_free(it);
    ps_space_free(s);
}

/* The expected contents: one line per path, "x<hex>" and " <value>". */
static void put_list(const char *path, const list *l)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write %s", path);
    for (size_t i = 0; i < l->n; i++) {
        fputc('x', f);
        for (size_t j = 0; j < l->e[i].path.len; j++)
            fprintf(f, "%02x", l->e[i].path.ptr[j]);
        if (l->e[i].hv)
            fprintf(f, " %" PRIu64, l->e[i].v);
        fputc('\n', f);
    }
    fclose(f);
}

static int plain_write(void *ctx, const void *data, size_t len)
{
    return ps_buf_append(ctx, data, len);
}

/* The library's writer, one thread (the bytes do not depend on it). */
static void lib_snap(const list *l, ps_buf *out, int codec, int level, int ck, uint32_t chunk,
                     int patchable)
{
    ps_snap_opts o;
    ps_snap_opts_init(&o);
    o.codec = codec;
    o.level = level;
    o.checksum = ck;
    o.threads = 1;
    o.chunk_size = chunk;
    ps_sink sink = patchable ? ps_sink_buf(out) : (ps_sink){ plain_write, NULL, out };
    ps_snap_writer *w;
    ok(ps_snap_writer_new(sink, &o, &w), "snap writer");
    for (size_t i = 0; i < l->n; i++)
        ok(l->e[i].hv ? ps_snap_writer_add_value(w, l->e[i].path, l->e[i].v)
                      : ps_snap_writer_add(w, l->e[i].path), "snap add");
    ok(ps_snap_writer_finish(w, NULL), "snap finish");
    ps_snap_writer_free(w);
}

/* --------------------------------- an MTTS encoder from the format spec */

static size_t lcp(ps_bytes a, ps_bytes b)
{
    size_t i = 0;
    while (i < a.len && i < b.len && a.ptr[i] == b.ptr[i])
        i++;
    return i;
}

typedef struct chunk {
    ps_buf raw;
    uint32_t count;
    ps_bytes first;
    uint8_t flags; /* bit 0 VALUES */
} chunk;

typedef struct sfile {
    chunk c[4096];
    size_t n;
    uint64_t paths, path_bytes;
    int values;
} sfile;

/* Front-codes e[0..n) into chunks the way format-snapshot.md says a writer
 * cuts them. */
static void encode_chunks(sfile *f, const list *l, uint32_t chunk_size)
{
    memset(f, 0, sizeof *f);
    int tagged = 0;
    chunk *c = NULL;
    ps_buf restarts = { 0 };
    ps_bytes prev = { 0 };
    for (size_t i = 0; i < l->n; i++) {
        const ent *e = &l->e[i];
        int start = !c;
        if (e->hv && !tagged) {
            tagged = 1;
            start = 1;
        } else if (c && c->raw.len + restarts.len + e->path.len + OVERHEAD > chunk_size) {
            start = 1;
        }
        if (start) {
            if (c && c->count) {
                ps_buf_append(&c->raw, ps_buf_data(&restarts), restarts.len);
                f->n++;
            }
            ps_buf_clear(&restarts, 0);
            c = &f->c[f->n];
            c->first = e->path;
            c->flags = tagged ? 1 : 0;
        }
        size_t shared = i ? lcp(prev, e->path) : 0;
        if (c->count % RESTART == 0) {
            uint8_t off[4];
            ps_write_le32(off, (uint32_t)c->raw.len);
            ps_buf_append(&restarts, off, 4);
            shared = 0;
        }
        uint8_t tmp[32];
        unsigned k = fx_leb128(tmp, tagged ? (uint64_t)shared << 1 | (e->hv != 0) : shared);
        k += fx_leb128(tmp + k, e->path.len - shared);
        ps_buf_append(&c->raw, tmp, k);
        ps_buf_append(&c->raw, e->path.ptr + shared, e->path.len - shared);
        if (e->hv)
            ps_buf_append(&c->raw, tmp, fx_leb128(tmp, e->v));
        c->count++;
        f->paths++;
        f->path_bytes += e->path.len;
        f->values |= e->hv;
        prev = e->path;
    }
    if (c && c->count) {
        ps_buf_append(&c->raw, ps_buf_data(&restarts), restarts.len);
        f->n++;
    }
    ps_buf_free(&restarts);
}

/* Makes the checksums right again after damage: every chunk's (from the
 * index's offsets and sizes, when they still fit the file) and the file's. */
static void reseal_file(ps_buf *b)
{
    uint8_t *p = ps_buf_data(b), *t = p + b->len - SNAP_TRAILER;
    uint64_t io = ps_read_le64(t), il = ps_read_le64(t + 8);
    XXH3_state_t *x = XXH3_createState();
    XXH3_64bits_reset(x);
    XXH3_64bits_update(x, p, SNAP_HDR);
    if (io + il <= b->len)
        XXH3_64bits_update(x, p + io, il);
    XXH3_64bits_update(x, t, 60);
    memset(t + 60, 0, 32);
    ps_write_le64(t + 60, XXH3_64bits_digest(x));
    XXH3_freeState(x);
}

static void reseal(ps_buf *b)
{
    uint8_t *p = ps_buf_data(b), *t = p + b->len - SNAP_TRAILER;
    uint64_t io = ps_read_le64(t), n = ps_read_le64(t + 16);
    for (uint64_t i = 0; i < n && io + (i + 1) * SNAP_ENTRY <= b->len - SNAP_TRAILER; i++) {
        uint8_t *e = p + io + i * SNAP_ENTRY;
        uint64_t off = ps_read_le64(e), st = ps_read_le32(e + 8);
        if (off + st <= b->len)
            fx_xxh3_field(p + off, st, e + 32);
    }
    reseal_file(b);
}

/* The whole file, codec none, XXH3: header, chunks, index, trailer. */
static void assemble(const sfile *f, uint32_t chunk_size, ps_buf *out)
{
    ps_buf_clear(out, 0);
    uint8_t h[SNAP_HDR] = { 0 };
    memcpy(h, "MTTS", 4);
    ps_write_le16(h + 4, 1);
    ps_write_le16(h + 6, (uint16_t)(f->values ? 0x20 : 0));
    ps_write_le32(h + 8, SNAP_HDR);
    ps_write_le32(h + 12, chunk_size);
    ps_write_le64(h + 16, f->paths);
    ps_write_le64(h + 24, f->path_bytes);
    h[33] = RESTART;
    ps_buf_append(out, h, sizeof h);
    uint64_t *offs = calloc(f->n + 1, sizeof *offs);
    for (size_t i = 0; i < f->n; i++) {
        offs[i] = out->len;
        ps_buf_append(out, ps_buf_data(&f->c[i].raw), f->c[i].raw.len);
    }
    uint64_t io = out->len;
    for (size_t i = 0; i < f->n; i++) {
        uint8_t e[SNAP_ENTRY] = { 0 };
        ps_write_le64(e, offs[i]);
        ps_write_le32(e + 8, (uint32_t)f->c[i].raw.len);
        ps_write_le32(e + 12, (uint32_t)f->c[i].raw.len);
        ps_write_le32(e + 16, f->c[i].count);
        ps_write_le32(e + 20, (uint32_t)f->c[i].first.len);
        e[24] = f->c[i].flags;
        fx_xxh3_field(ps_buf_data(&f->c[i].raw), f->c[i].raw.len, e + 32);
        ps_buf_append(out, e, sizeof e);
    }
    for (size_t i = 0; i < f->n; i++)
        ps_buf_append(out, f->c[i].first.ptr, f->c[i].first.len);
    uint8_t t[SNAP_TRAILER] = { 0 };
    ps_write_le64(t, io);
    ps_write_le64(t + 8, out->len - io);
    ps_write_le64(t + 16, f->n);
    ps_write_le64(t + 24, f->paths);
    ps_write_le64(t + 32, f->path_bytes);
    ps_write_le32(t + 40, f->values ? 1 : 0);
    memcpy(t + 92, "STTM", 4);
    ps_buf_append(out, t, sizeof t);
    free(offs);
    reseal(out);
}

/* ------------------------------------------------------- snapshot files */

static FILE *manifest;

/* One file that must be rejected: its name, the error code, and words the
 * message must hold. */
static void reject(const char *dir, const char *name, const ps_buf *b, int code, const char *words)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    put_file(path, ps_buf_data(b), b->len);
    fprintf(manifest, "%s %d %s\n", name, code, words);
}

static uint8_t *entry_at(ps_buf *b, uint64_t i)
{
    uint8_t *p = ps_buf_data(b);
    return p + ps_read_le64(p + b->len - SNAP_TRAILER) + i * SNAP_ENTRY;
}

static uint8_t *trailer(ps_buf *b)
{
    return ps_buf_data(b) + b->len - SNAP_TRAILER;
}

/* One chunk front-coding paths[0..n) (sorted, no values). */
static void chunk_of(chunk *c, const char **paths, size_t n)
{
    list l = { 0 };
    l.n = n;
    l.e = calloc(n, sizeof *l.e);
    for (size_t i = 0; i < n; i++)
        l.e[i].path = ps_bytes_of(paths[i], strlen(paths[i]));
    sfile *f = calloc(1, sizeof *f);
    encode_chunks(f, &l, 4096);
    *c = f->c[0];
    free(f);
    free(l.e);
}

/* A file of hand-made chunk raw bytes (for the entry rules): count and the
 * first path given, totals from the caller. */
static void one_chunk(ps_buf *out, const uint8_t *raw, size_t n, uint32_t count, const char *first,
                      uint64_t path_bytes, int values)
{
    sfile *f = calloc(1, sizeof *f);
    f->n = 1;
    ps_buf_append(&f->c[0].raw, raw, n);
    f->c[0].count = count;
    f->c[0].first = ps_bytes_of(first, strlen(first));
    f->c[0].flags = values ? 1 : 0;
    f->paths = count;
    f->path_bytes = path_bytes;
    f->values = values;
    assemble(f, 4096, out);
    ps_buf_free(&f->c[0].raw);
    free(f);
}

static void snap_rejects(const char *dir, const ps_buf *base)
{
    ps_buf b = { 0 };
#define FRESH() (ps_buf_clear(&b, 0), ps_buf_append(&b, ps_buf_data(base), base->len))
    uint8_t *p;
    /* the frame: magic, size, version, end magic, index position, file checksum */
    FRESH(); p = ps_buf_data(&b); p[0] = 'X';
    reject(dir, "reject-magic.snap", &b, PS_E_CORRUPT, "bad magic");
    FRESH(); b.len = SNAP_HDR + SNAP_TRAILER - 1;
    reject(dir, "reject-short.snap", &b, PS_E_TRUNCATED, "too short");
    FRESH(); ps_write_le16(ps_buf_data(&b) + 4, 2);
    reject(dir, "reject-version-newer.snap", &b, PS_E_VERSION, "newer than this reader");
    FRESH(); ps_write_le16(ps_buf_data(&b) + 4, 0);
    reject(dir, "reject-version-zero.snap", &b, PS_E_CORRUPT, "version 0");
    FRESH(); b.len -= 1;
    reject(dir, "reject-cut.snap", &b, PS_E_TRUNCATED, "cut short");
    FRESH(); p = ps_buf_data(&b); p[6] |= 0x18; reseal(&b);
    reject(dir, "reject-checksum-kind.snap", &b, PS_E_VERSION, "unknown checksum kind");
    FRESH(); ps_write_le64(trailer(&b), ps_read_le64(trailer(&b)) + 1); reseal(&b);
    reject(dir, "reject-index-position.snap", &b, PS_E_CORRUPT, "index does not end where");
    FRESH(); ps_buf_data(&b)[40] = 1;
    reject(dir, "reject-file-checksum.snap", &b, PS_E_CHECKSUM, "header/index checksum mismatch");
    /* fields the file checksum vouches for */
    FRESH(); ps_buf_data(&b)[7] |= 0x40; reseal(&b);
    reject(dir, "reject-header-flags.snap", &b, PS_E_VERSION, "unknown header flags");
    FRESH(); p = ps_buf_data(&b); p[6] = (uint8_t)((p[6] & ~7) | 5); reseal(&b);
    reject(dir, "reject-codec.snap", &b, PS_E_VERSION, "unknown codec");
    FRESH(); ps_write_le32(ps_buf_data(&b) + 8, 72); reseal(&b);
    reject(dir, "reject-header-size.snap", &b, PS_E_VERSION, "header size 72");
    FRESH(); ps_buf_data(&b)[63] = 1; reseal(&b);
    reject(dir, "reject-header-reserved.snap", &b, PS_E_VERSION, "reserved header bytes");
    FRESH(); ps_buf_data(&b)[33] = 0; reseal(&b);
    reject(dir, "reject-restart-zero.snap", &b, PS_E_CORRUPT, "restart interval 0");
    FRESH(); trailer(&b)[40] |= 2; reseal(&b);
    reject(dir, "reject-trailer-flags.snap", &b, PS_E_VERSION, "unknown trailer flags");
    FRESH(); trailer(&b)[59] = 1; reseal(&b);
    reject(dir, "reject-trailer-reserved.snap", &b, PS_E_VERSION, "reserved bytes set");
    FRESH(); ps_write_le32(ps_buf_data(&b) + 12, 1024); reseal(&b);
    reject(dir, "reject-chunk-size.snap", &b, PS_E_CORRUPT, "chunk size out of range");
    FRESH(); ps_write_le64(ps_buf_data(&b) + 16, 7); reseal(&b);
    reject(dir, "reject-header-counts.snap", &b, PS_E_CORRUPT, "header counts differ");
    FRESH(); trailer(&b)[40] |= 1; reseal(&b);
    reject(dir, "reject-values-header.snap", &b, PS_E_CORRUPT, "values in the trailer but not");
    /* the index */
    FRESH(); entry_at(&b, 1)[24] |= 0x10; reseal(&b);
    reject(dir, "reject-entry-flags.snap", &b, PS_E_VERSION, "chunk 1: unknown flags");
    FRESH(); entry_at(&b, 1)[30] = 1; reseal(&b);
    reject(dir, "reject-entry-reserved.snap", &b, PS_E_VERSION, "chunk 1: unknown flags or reserved");
    FRESH(); entry_at(&b, 0)[63] = 1; reseal_file(&b);
    reject(dir, "reject-entry-checksum-pad.snap", &b, PS_E_VERSION, "chunk 0: unknown flags or reserved");
    FRESH(); ps_write_le32(entry_at(&b, 1) + 16, 0); reseal(&b);
    reject(dir, "reject-entry-count.snap", &b, PS_E_CORRUPT, "chunk 1: path count impossible");
    FRESH(); ps_write_le32(entry_at(&b, 1) + 12, (64u << 20) + 2); reseal(&b);
    reject(dir, "reject-entry-raw-limit.snap", &b, PS_E_CORRUPT, "chunk 1: raw size over");
    FRESH(); ps_write_le32(entry_at(&b, 1) + 12, ps_read_le32(entry_at(&b, 1) + 12) - 1); reseal(&b);
    reject(dir, "reject-entry-stored-size.snap", &b, PS_E_CORRUPT, "chunk 1: stored size impossible");
    FRESH(); entry_at(&b, 1)[24] |= 2; reseal(&b);
    reject(dir, "reject-entry-stored-flag.snap", &b, PS_E_CORRUPT, "stored flag in an uncompressed file");
    FRESH(); entry_at(&b, 1)[24] |= 1; reseal(&b);
    reject(dir, "reject-entry-values.snap", &b, PS_E_CORRUPT, "values in a file whose trailer says none");
    FRESH(); ps_write_le32(entry_at(&b, 1) + 20, 5000); reseal(&b);
    reject(dir, "reject-entry-first-len.snap", &b, PS_E_CORRUPT, "first path longer than the chunk");
    FRESH(); ps_write_le64(trailer(&b) + 16, 1000); reseal(&b);
    reject(dir, "reject-chunk-count.snap", &b, PS_E_CORRUPT, "chunk count larger than the index");
    FRESH(); ps_write_le64(entry_at(&b, 1), ps_read_le64(entry_at(&b, 1)) + 1); reseal(&b);
    reject(dir, "reject-chunk-position.snap", &b, PS_E_CORRUPT, "chunk 1: not where the previous chunk ends");
    {
        FRESH();
        uint64_t n = ps_read_le64(trailer(&b) + 16);
        uint8_t *e = entry_at(&b, n - 1);
        ps_write_le32(e + 20, ps_read_le32(e + 20) + 1);
        reseal(&b);
        reject(dir, "reject-first-paths-past.snap", &b, PS_E_CORRUPT, "first paths run past the index");
    }
    {
        /* chunk 1's first path made to sort before chunk 0's (same length) */
        FRESH();
        p = ps_buf_data(&b);
        uint64_t n = ps_read_le64(trailer(&b) + 16), key = ps_read_le64(trailer(&b)) + n * SNAP_ENTRY;
        uint32_t l0 = ps_read_le32(entry_at(&b, 0) + 20);
        p[key + l0] = 0;
        reseal(&b);
        reject(dir, "reject-first-order.snap", &b, PS_E_CORRUPT, "chunk 1: first path not after the previous");
    }
    {
        /* one byte too many in the index */
        FRESH();
        uint8_t t[SNAP_TRAILER];
        memcpy(t, trailer(&b), SNAP_TRAILER);
        b.len -= SNAP_TRAILER;
        ps_buf_append(&b, "\xff", 1);
        ps_write_le64(t + 8, ps_read_le64(t + 8) + 1);
        ps_buf_append(&b, t, SNAP_TRAILER);
        reseal(&b);
        reject(dir, "reject-index-bytes.snap", &b, PS_E_CORRUPT, "index does not account for every byte");
    }
    FRESH(); ps_write_le64(trailer(&b) + 24, ps_read_le64(trailer(&b) + 24) + 1);
    ps_write_le64(ps_buf_data(&b) + 16, ps_read_le64(trailer(&b) + 24)); reseal(&b);
    reject(dir, "reject-trailer-count.snap", &b, PS_E_CORRUPT, "trailer counts differ from the index");
    FRESH(); ps_write_le64(trailer(&b) + 32, ps_read_le64(trailer(&b) + 32) + 1);
    ps_write_le64(ps_buf_data(&b) + 24, ps_read_le64(trailer(&b) + 32)); reseal(&b);
    reject(dir, "reject-trailer-path-bytes.snap", &b, PS_E_CORRUPT, "path bytes differ");
    /* chunks: the checksum, then the entries (one hand-made chunk each) */
    FRESH(); p = ps_buf_data(&b); p[SNAP_HDR + 3] ^= 0x20;
    reject(dir, "reject-chunk-checksum.snap", &b, PS_E_CHECKSUM, "chunk 0 (file offset 64): checksum mismatch");
    {
        /* chunk 0 holds ab, az; chunk 1 starts at ac: the index's first
         * paths are in order, the chunks' contents are not */
        static const char *c0[] = { "ab", "az" }, *c1[] = { "ac" };
        sfile *f = calloc(1, sizeof *f);
        f->n = 2;
        chunk_of(&f->c[0], c0, 2);
        chunk_of(&f->c[1], c1, 1);
        f->paths = 3;
        f->path_bytes = 6;
        assemble(f, 4096, &b);
        ps_buf_free(&f->c[0].raw);
        ps_buf_free(&f->c[1].raw);
        free(f);
        reject(dir, "reject-chunk-seam.snap", &b, PS_E_CORRUPT, "first path not after the previous chunk's last");
    }
    static const struct {
        const char *name, *words;
        uint8_t raw[24];
        size_t n;
        uint32_t count;
        const char *first;
        uint64_t pb;
        int values;
    } ents[] = {
        /* raw: entries | restart table; paths "ab" (and "ac") */
        { "reject-restart-table.snap", "restart table does not fit", { 0, 2, 'a', 'b', 0, 0, 0, 0 }, 8, 3, "ab", 6, 0 },
        { "reject-entry-varint.snap", "bad or cut varint", { 0x80, 0x00, 2, 'a', 'b', 0, 0, 0, 0 }, 9, 1, "ab", 2, 0 },
        { "reject-entry-suffix.snap", "suffix runs past the chunk", { 0, 9, 'a', 'b', 0, 0, 0, 0 }, 8, 1, "ab", 2, 0 },
        { "reject-restart-shares.snap", "a restart entry shares a prefix", { 2, 0, 0, 0, 0, 0 }, 6, 1, "", 0, 0 },
        { "reject-restart-offset.snap", "restart offset does not point", { 0, 2, 'a', 'b', 1, 0, 0, 0 }, 8, 1, "ab", 2, 0 },
        { "reject-entry-order.snap", "path not after the previous one", { 0, 2, 'a', 'c', 1, 1, 'b', 0, 0, 0, 0 }, 11, 2, "ac", 4, 0 },
        { "reject-entry-shares.snap", "shares more than the previous path", { 0, 2, 'a', 'b', 3, 1, 'c', 0, 0, 0, 0 }, 11, 2, "ab", 6, 0 },
        { "reject-entry-empty-suffix.snap", "path not after the previous one", { 0, 2, 'a', 'b', 2, 0, 0, 0, 0, 0 }, 10, 2, "ab", 4, 0 },
        { "reject-entry-value.snap", "bad or cut value", { 1, 2, 'a', 'b', 0x80, 0, 0, 0, 0 }, 9, 1, "ab", 2, 1 },
        { "reject-entry-first.snap", "first path differs from the index", { 0, 2, 'a', 'c', 0, 0, 0, 0 }, 8, 1, "ab", 2, 0 },
        { "reject-entry-trailing.snap", "bytes after the last entry", { 0, 2, 'a', 'b', 7, 0, 0, 0, 0 }, 9, 1, "ab", 2, 0 },
        { "reject-entry-overlong.snap", "bad or cut varint", { 0x80, 0x80, 0x00, 2, 'a', 'b', 0, 0, 0, 0 }, 10, 1, "ab", 2, 0 },
    };
    for (size_t i = 0; i < sizeof ents / sizeof *ents; i++) {
        one_chunk(&b, ents[i].raw, ents[i].n, ents[i].count, ents[i].first, ents[i].pb, ents[i].values);
        reject(dir, ents[i].name, &b, PS_E_CORRUPT, ents[i].words);
    }
    ps_buf_free(&b);
#undef FRESH
}

static void snap_accept(const char *dir, const char *name, const list *l, int codec, int level,
                        int ck, uint32_t chunk_size, int patchable)
{
    char path[512];
    ps_buf b = { 0 };
    lib_snap(l, &b, codec, level, ck, chunk_size, patchable);
    snprintf(path, sizeof path, "%s/%s.snap", dir, name);
    put_file(path, ps_buf_data(&b), b.len);
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    put_list(path, l);
    ps_buf_free(&b);
}

/* dir, made, and its MANIFEST open for the reject lines. */
static void open_manifest(const char *dir)
{
    char path[512];
    mkdirs(dir);
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    if (!(manifest = fopen(path, "w")))
        die("cannot write %s", path);
    fprintf(manifest, "# file code words-the-message-holds (written by tools/golden.c)\n");
}

static void snap_golden(void)
{
    const char *dir = "tests/golden/snap";
    open_manifest(dir);
    list atoms = { 0 }, vals = { 0 }, few = { 0 }, none = { 0 };
    gen_list(&atoms, 1, 400, 0, 0);
    gen_list(&vals, 2, 300, 1, 0);
    gen_list(&few, 3, 60, 0, 1);
    snap_accept(dir, "accept-zstd", &atoms, PS_CODEC_ZSTD, 3, PS_CHECKSUM_XXH3, 4096, 1);
    snap_accept(dir, "accept-lz4-blake2b-values", &vals, PS_CODEC_LZ4, 1, PS_CHECKSUM_BLAKE2B, 4096, 1);
    snap_accept(dir, "accept-zlib", &atoms, PS_CODEC_ZLIB, 6, PS_CHECKSUM_XXH3, 8192, 1);
    snap_accept(dir, "accept-none-stream", &few, PS_CODEC_NONE, 0, PS_CHECKSUM_XXH3, 4096, 0);
    snap_accept(dir, "accept-empty", &none, PS_CODEC_ZSTD, 1, PS_CHECKSUM_XXH3, 0, 1);
    /* this file's encoder and the library's writer agree on a plain file */
    sfile *f = malloc(sizeof *f);
    ps_buf mine = { 0 }, lib = { 0 };
    encode_chunks(f, &atoms, 4096);
    assemble(f, 4096, &mine);
    lib_snap(&atoms, &lib, PS_CODEC_NONE, 0, PS_CHECKSUM_XXH3, 4096, 1);
    if (mine.len != lib.len || memcmp(ps_buf_data(&mine), ps_buf_data(&lib), lib.len))
        die("the spec's encoder and the library's writer disagree (%zu vs %zu bytes)", mine.len,
            lib.len);
    if (f->n < 3)
        die("the reject base needs 3 chunks, has %zu", f->n);
    snap_rejects(dir, &mine);
    for (size_t i = 0; i < f->n; i++)
        ps_buf_free(&f->c[i].raw);
    free(f);
    ps_buf_free(&mine);
    ps_buf_free(&lib);
    fclose(manifest);
}

/* ----------------------------------------------------------- checkpoints */

#define CK_HDR 72

static void ckpt_header(uint8_t *h, uint64_t len, uint64_t sum, uint64_t seq, uint64_t atoms,
                        uint64_t log_pos, uint64_t created)
{
    memset(h, 0, CK_HDR);
    memcpy(h, "PSCHKPT\n", 8);
    ps_write_le32(h + 8, 1);
    ps_write_le32(h + 12, CK_HDR);
    ps_write_le64(h + 16, len);
    ps_write_le64(h + 24, sum);
    ps_write_le64(h + 32, seq);
    ps_write_le64(h + 40, atoms);
    ps_write_le64(h + 48, log_pos);
    ps_write_le64(h + 56, created);
    ps_write_le32(h + 68, (uint32_t)XXH3_64bits(h, 68));
}

static void ckpt_seal(ps_buf *b)
{
    ps_write_le32(ps_buf_data(b) + 68, (uint32_t)XXH3_64bits(ps_buf_data(b), 68));
}

static void ckpt_golden(void)
{
    const char *dir = "tests/golden/ckpt";
    char path[512];
    open_manifest(dir);
    list l = { 0 };
    gen_list(&l, 4, 250, 0, 0);
    ps_buf snap = { 0 }, b = { 0 }, base = { 0 };
    lib_snap(&l, &snap, PS_CODEC_AUTO, 0, PS_CHECKSUM_XXH3, 0, 1); /* what ps_ckpt_save writes */
    uint8_t h[CK_HDR];
    /* seq 3, log position 10, made 2026-12-01 00:00:00 UTC */
    ckpt_header(h, snap.len, XXH3_64bits(ps_buf_data(&snap), snap.len), 3, l.n, 10,
                1764547200ull * 1000000000ull);
    ps_buf_append(&base, h, CK_HDR);
    ps_buf_append(&base, ps_buf_data(&snap), snap.len);
    snprintf(path, sizeof path, "%s/accept-3.ckpt", dir);
    put_file(path, ps_buf_data(&base), base.len);
    snprintf(path, sizeof path, "%s/accept-3.txt", dir);
    put_list(path, &l);
#define FRESH() (ps_buf_clear(&b, 0), ps_buf_append(&b, ps_buf_data(&base), base.len))
    uint8_t *p;
    FRESH(); b.len = 15;
    reject(dir, "reject-short.ckpt", &b, PS_E_TRUNCATED, "needs 16 bytes");
    FRESH(); ps_buf_data(&b)[3] = 'X';
    reject(dir, "reject-magic.ckpt", &b, PS_E_CORRUPT, "bad magic");
    FRESH(); ps_write_le32(ps_buf_data(&b) + 8, 2);
    reject(dir, "reject-version-newer.ckpt", &b, PS_E_VERSION, "newer than this build");
    FRESH(); ps_write_le32(ps_buf_data(&b) + 8, 0); ckpt_seal(&b);
    reject(dir, "reject-version-zero.ckpt", &b, PS_E_CORRUPT, "bad checkpoint version 0");
    FRESH(); ps_write_le32(ps_buf_data(&b) + 12, 80); ckpt_seal(&b);
    reject(dir, "reject-header-size.ckpt", &b, PS_E_CORRUPT, "header size 80");
    FRESH(); b.len = 40;
    reject(dir, "reject-header-cut.ckpt", &b, PS_E_TRUNCATED, "needs 72 bytes");
    FRESH(); ps_buf_data(&b)[45] ^= 1;
    reject(dir, "reject-header-checksum.ckpt", &b, PS_E_CHECKSUM, "header checksum mismatch");
    FRESH(); ps_write_le32(ps_buf_data(&b) + 64, 4); ckpt_seal(&b);
    reject(dir, "reject-flags.ckpt", &b, PS_E_VERSION, "unknown checkpoint flags");
    FRESH(); b.len -= 1;
    reject(dir, "reject-payload-short.ckpt", &b, PS_E_TRUNCATED, "header says");
    FRESH(); ps_buf_append(&b, "", 1);
    reject(dir, "reject-payload-long.ckpt", &b, PS_E_CORRUPT, "header says");
    FRESH(); p = ps_buf_data(&b); p[CK_HDR + 100] ^= 1;
    reject(dir, "reject-payload-checksum.ckpt", &b, PS_E_CHECKSUM, "payload checksum mismatch");
    {
        /* damage inside the snapshot, under a payload checksum made right:
         * the snapshot's own checks must catch it */
        FRESH();
        p = ps_buf_data(&b);
        p[CK_HDR + 70] ^= 1;
        ps_write_le64(p + 24, XXH3_64bits(p + CK_HDR, b.len - CK_HDR));
        ckpt_seal(&b);
        reject(dir, "reject-snapshot.ckpt", &b, PS_E_CHECKSUM, "chunk 0");
    }
    FRESH(); ps_write_le64(ps_buf_data(&b) + 40, l.n + 1); ckpt_seal(&b);
    reject(dir, "reject-atom-count.ckpt", &b, PS_E_CORRUPT, "atoms, header says");
    FRESH(); ps_write_le64(ps_buf_data(&b) + 32, 4); ckpt_seal(&b);
    reject(dir, "reject-seq.ckpt", &b, PS_E_CORRUPT, "header says seq 4");
#undef FRESH
    fclose(manifest);
    ps_buf_free(&snap);
    ps_buf_free(&b);
    ps_buf_free(&base);
}

/* --------------------------------------------------------- the log (WAL) */

#define WAL_HDR 32
#define WAL_REC 24
#define WAL_VERSION 2 /* version 2: records carry flags */
#define WAL_F_MORE 1   /* the next record is of the same change */

static void wal_header_v(ps_buf *b, uint64_t first, uint32_t version)
{
    uint8_t h[WAL_HDR] = { 0 };
    memcpy(h, "PSWALOG\n", 8);
    ps_write_le32(h + 8, version);
    ps_write_le32(h + 12, WAL_HDR);
    ps_write_le64(h + 16, first);
    ps_write_le32(h + 28, (uint32_t)XXH3_64bits(h, 28));
    ps_buf_append(b, h, sizeof h);
}

/* The version 1 header the first golden files have (still read). */
static void wal_header(ps_buf *b, uint64_t first)
{
    wal_header_v(b, first, 1);
}

/* A record of op (1 add, 2 remove, 3 set) for text, value for a set. */
static size_t wal_rec(ps_buf *b, uint64_t seq, int op, const char *text, uint64_t value)
{
    ps_buf atom = { 0 };
    if (ps_atom_parse(text, strlen(text), &atom, NULL))
        die("bad atom %s", text);
    size_t extra = op == 3 ? 8 : 0, len = extra + atom.len, at = b->len;
    uint8_t r[WAL_REC] = { 0 };
    ps_write_le32(r + 4, (uint32_t)len);
    ps_write_le64(r + 8, seq);
    r[16] = (uint8_t)op;
    ps_buf_append(b, r, sizeof r);
    if (extra) {
        uint8_t v[8];
        ps_write_le64(v, value);
        ps_buf_append(b, v, 8);
    }
    ps_buf_append(b, ps_buf_data(&atom), atom.len);
    uint8_t *q = ps_buf_data(b) + at;
    ps_write_le32(q, (uint32_t)XXH3_64bits(q + 4, WAL_REC - 4 + len));
    ps_buf_free(&atom);
    return at;
}

static void wal_reseal(ps_buf *b, size_t at)
{
    uint8_t *q = ps_buf_data(b) + at;
    size_t len = ps_read_le32(q + 4);
    ps_write_le32(q, (uint32_t)XXH3_64bits(q + 4, WAL_REC - 4 + len));
}

static void wal_put(const char *dir, uint64_t first, const ps_buf *b)
{
    char path[512];
    snprintf(path, sizeof path, "tests/golden/wal/%s", dir);
    mkdirs(path);
    snprintf(path, sizeof path, "tests/golden/wal/%s/%016" PRIx64 ".log", dir, first);
    put_file(path, ps_buf_data(b), b->len);
}

static void wal_expect(const char *dir, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "tests/golden/wal/%s/expect", dir);
    put_file(path, text, strlen(text));
}

/* The records every case starts from: seq 1..4. */
static void wal_base(ps_buf *b, size_t at[4])
{
    ps_buf_clear(b, 0);
    wal_header(b, 1);
    at[0] = wal_rec(b, 1, 1, "(parent Aino Eero)", 0);
    at[1] = wal_rec(b, 2, 1, "(parent Eero Lars)", 0);
    at[2] = wal_rec(b, 3, 3, "(age Lars)", 42);
    at[3] = wal_rec(b, 4, 2, "(parent Aino Eero)", 0);
}

/* Version 2: seq 1 alone, then 2..4 as one change (WAL_F_MORE on 2, 3). */
static void wal_change(ps_buf *b, size_t at[4])
{
    ps_buf_clear(b, 0);
    wal_header_v(b, 1, 2);
    at[0] = wal_rec(b, 1, 1, "(parent Aino Eero)", 0);
    at[1] = wal_rec(b, 2, 1, "(parent Eero Lars)", 0);
    at[2] = wal_rec(b, 3, 3, "(age Lars)", 42);
    at[3] = wal_rec(b, 4, 2, "(parent Aino Eero)", 0);
    for (int i = 1; i <= 2; i++) {
        ps_buf_data(b)[at[i] + 17] = WAL_F_MORE;
        wal_reseal(b, at[i]);
    }
}

#define BASE_OPS "add (parent Aino Eero)\nadd (parent Eero Lars)\nset 42 (age Lars)\n" \
                 "remove (parent Aino Eero)\n"

static void wal_golden(void)
{
    ps_buf b = { 0 }, c = { 0 };
    size_t at[4];
    char text[1024];
    /* must recover */
    wal_base(&b, at);
    wal_put("accept-basic", 1, &b);
    wal_expect("accept-basic", "after 0\n" BASE_OPS "last 4\ntorn 0\n");
    /* two segments; a checkpoint at 2 means 3 and 4 are replayed */
    ps_buf_clear(&c, 0);
    wal_header(&c, 1);
    wal_rec(&c, 1, 1, "(parent Aino Eero)", 0);
    wal_rec(&c, 2, 1, "(parent Eero Lars)", 0);
    wal_put("accept-segments", 1, &c);
    ps_buf_clear(&c, 0);
    wal_header(&c, 3);
    wal_rec(&c, 3, 3, "(age Lars)", 42);
    wal_rec(&c, 4, 2, "(parent Aino Eero)", 0);
    wal_put("accept-segments", 3, &c);
    wal_expect("accept-segments", "after 2\nset 42 (age Lars)\nremove (parent Aino Eero)\nlast 4\ntorn 0\n");
    /* torn tails: a record cut short, a record whose bytes did not all
     * arrive at the very end, a zeroed tail, and a header cut short */
    wal_base(&b, at);
    b.len -= 3;
    wal_put("accept-torn-cut", 1, &b);
    snprintf(text, sizeof text, "after 0\nadd (parent Aino Eero)\nadd (parent Eero Lars)\nset 42 (age Lars)\nlast 3\ntorn 1 %zu\n", at[3]);
    wal_expect("accept-torn-cut", text);
    wal_base(&b, at);
    ps_buf_data(&b)[b.len - 2] ^= 0x55;
    wal_put("accept-torn-checksum", 1, &b);
    wal_expect("accept-torn-checksum", text);
    wal_base(&b, at);
    b.len = at[3];
    for (int i = 0; i < 100; i++)
        ps_buf_append(&b, "", 1);
    wal_put("accept-torn-zeros", 1, &b);
    wal_expect("accept-torn-zeros", text);
    wal_base(&b, at);
    b.len = at[3] + 10;
    wal_put("accept-torn-header", 1, &b);
    wal_expect("accept-torn-header", text);
    {
        /* a length no record can have, running past the end: cut short */
        wal_base(&b, at);
        b.len = at[3];
        uint8_t r[WAL_REC] = { 0 };
        ps_write_le32(r + 4, (256u << 20) + 1);
        ps_write_le64(r + 8, 4);
        r[16] = 1;
        ps_buf_append(&b, r, WAL_REC);
        wal_put("accept-torn-long-length", 1, &b);
        wal_expect("accept-torn-long-length", text);
    }
    /* version 2: a change of several records, whole, and cut (inside it,
     * or just before its last record's end): none of it */
    wal_change(&b, at);
    wal_put("accept-change", 1, &b);
    wal_expect("accept-change", "after 0\n" BASE_OPS "last 4\ntorn 0\n");
    snprintf(text, sizeof text, "after 0\nadd (parent Aino Eero)\nlast 1\ntorn 1 %zu\n", at[1]);
    wal_change(&b, at);
    b.len = at[3];
    wal_put("accept-torn-change", 1, &b);
    wal_expect("accept-torn-change", text);
    wal_change(&b, at);
    b.len -= 1;
    wal_put("accept-torn-change-last", 1, &b);
    wal_expect("accept-torn-change-last", text);
    /* must be refused: the header's checks */
    FILE *m = fopen("tests/golden/wal/MANIFEST", "w");
    if (!m)
        die("cannot write the wal MANIFEST");
    fprintf(m, "# case-directory code words-the-message-holds (written by tools/golden.c)\n");
#define REJ(name, code, words) (wal_put(name, 1, &b), fprintf(m, "%s %d %s\n", name, code, words))
    wal_base(&b, at); ps_buf_data(&b)[0] = 'X';
    REJ("reject-magic", PS_E_CORRUPT, "bad segment header");
    wal_base(&b, at); ps_write_le32(ps_buf_data(&b) + 8, WAL_VERSION + 1);
    REJ("reject-version-newer", PS_E_VERSION, "newer than this build");
    wal_base(&b, at); ps_write_le32(ps_buf_data(&b) + 12, 40);
    ps_write_le32(ps_buf_data(&b) + 28, (uint32_t)XXH3_64bits(ps_buf_data(&b), 28));
    REJ("reject-header-size", PS_E_CORRUPT, "bad segment header");
    wal_base(&b, at); ps_write_le32(ps_buf_data(&b) + 24, 1);
    ps_write_le32(ps_buf_data(&b) + 28, (uint32_t)XXH3_64bits(ps_buf_data(&b), 28));
    REJ("reject-header-flags", PS_E_CORRUPT, "bad segment header");
    wal_base(&b, at); ps_buf_data(&b)[29] ^= 1;
    REJ("reject-header-checksum", PS_E_CORRUPT, "bad segment header");
    wal_base(&b, at); ps_write_le64(ps_buf_data(&b) + 16, 2);
    ps_write_le32(ps_buf_data(&b) + 28, (uint32_t)XXH3_64bits(ps_buf_data(&b), 28));
    REJ("reject-header-first", PS_E_CORRUPT, "disagree on the first seq");
    /* records: damage anywhere but a torn tail */
    wal_base(&b, at); ps_buf_data(&b)[at[1] + 30] ^= 1;
    snprintf(text, sizeof text, "at offset %zu: record checksum mismatch", at[1]);
    REJ("reject-record-checksum", PS_E_CORRUPT, text);
    wal_base(&b, at); ps_write_le64(ps_buf_data(&b) + at[2] + 8, 9); wal_reseal(&b, at[2]);
    REJ("reject-record-seq", PS_E_CORRUPT, "record sequence out of order");
    wal_base(&b, at); ps_buf_data(&b)[at[1] + 16] = 7; wal_reseal(&b, at[1]);
    REJ("reject-record-op", PS_E_CORRUPT, "unknown record op");
    wal_base(&b, at); ps_buf_data(&b)[at[3] + 20] = 1; wal_reseal(&b, at[3]);
    REJ("reject-record-reserved", PS_E_CORRUPT, "reserved record bytes");
    /* version 1 has no record flags */
    wal_base(&b, at); ps_buf_data(&b)[at[1] + 17] = WAL_F_MORE; wal_reseal(&b, at[1]);
    REJ("reject-record-flags-v1", PS_E_CORRUPT, "reserved record bytes");
    /* version 2: a flag it does not know */
    wal_change(&b, at); ps_buf_data(&b)[at[1] + 17] = 2; wal_reseal(&b, at[1]);
    REJ("reject-record-flags-unknown", PS_E_CORRUPT, "reserved record bytes");
    /* a change of several records that an earlier segment ends inside */
    wal_change(&b, at); b.len = at[2];
    wal_put("reject-change-cut-early", 1, &b);
    ps_buf_clear(&c, 0);
    wal_header_v(&c, 3, 2);
    wal_rec(&c, 3, 1, "(c)", 0);
    wal_put("reject-change-cut-early", 3, &c);
    fprintf(m, "reject-change-cut-early %d ends inside a change\n", PS_E_CORRUPT);
    {
        wal_base(&b, at);
        b.len = at[3];
        ps_buf c2 = { 0 };
        wal_header(&c2, 1);
        size_t r = wal_rec(&c2, 4, 3, "(x)", 0);
        uint8_t *q = ps_buf_data(&c2) + r;
        ps_write_le32(q + 4, 4); /* a set-value record of 4 bytes: no room for its value */
        wal_reseal(&c2, r);
        ps_buf_append(&b, q, WAL_REC + 4);
        ps_buf_free(&c2);
        REJ("reject-record-set-short", PS_E_CORRUPT, "set-value record without its value");
    }
    /* a bad record with more bytes after it: damage, not a tail */
    wal_base(&b, at); ps_buf_data(&b)[at[3] - 3] ^= 1;
    REJ("reject-record-middle", PS_E_CORRUPT, "record checksum mismatch");
    wal_base(&b, at); ps_buf_data(&b)[at[3] + 30] ^= 1; ps_buf_append(&b, "\x01", 1);
    REJ("reject-record-checksum-trailing", PS_E_CORRUPT, "record checksum mismatch");
    /* a checked record with an unknown op at the very end is no torn tail */
    wal_base(&b, at); ps_buf_data(&b)[at[3] + 16] = 9; wal_reseal(&b, at[3]);
    REJ("reject-record-op-last", PS_E_CORRUPT, "unknown record op");
#undef REJ
    /* segments that do not join up */
    ps_buf_clear(&c, 0);
    wal_header(&c, 1);
    wal_rec(&c, 1, 1, "(a)", 0);
    wal_put("reject-gap", 1, &c);
    ps_buf_clear(&c, 0);
    wal_header(&c, 3);
    wal_rec(&c, 3, 1, "(c)", 0);
    wal_put("reject-gap", 3, &c);
    fprintf(m, "reject-gap %d a segment is missing\n", PS_E_CORRUPT);
    fclose(m);
    /* the start after the checkpoint: "after" is in the expect file */
    ps_buf_clear(&c, 0);
    wal_header(&c, 5);
    wal_rec(&c, 5, 1, "(e)", 0);
    wal_put("reject-after-checkpoint", 5, &c);
    wal_expect("reject-after-checkpoint", "after 2\n");
    m = fopen("tests/golden/wal/MANIFEST", "a");
    fprintf(m, "reject-after-checkpoint %d covers only up to 2\n", PS_E_CORRUPT);
    fclose(m);
    ps_buf_free(&b);
    ps_buf_free(&c);
}

int main(void)
{
    snap_golden();
    ckpt_golden();
    wal_golden();
    printf("golden: wrote tests/golden/snap, tests/golden/ckpt, tests/golden/wal\n");
    return 0;
}
