/*
 * formats.c - file formats in the CLI: telling them apart, opening a SRC
 * (MeTTa text and .paths are loaded into a space; an ACT is queried in place
 * through its mapping), iterating it, and writing a DEST in any format.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

fmt fmt_parse(const char *name)
{
    return ps_format_of(name);
}

const char *fmt_name(fmt f)
{
    const char *n = ps_format_name(f);
    return n ? n : "?";
}

fmt fmt_out(const char *cmd, const char *out, fmt to)
{
    if (to == FMT_NONE)
        to = strcmp(out, "-") ? fmt_from_ext(out) : PS_FORMAT_METTA;
    if (to == FMT_NONE)
        to = PS_FORMAT_METTA;
    if (!ps_format_saves(to))
        return die("%s: %s is read, not written (write .metta, .paths, .act or .snap, or "
                   "use --to)", cmd, out), FMT_NONE;
    return to;
}

/* Only by an extension: a file called "csv" is not named by its name. */
fmt fmt_from_ext(const char *path)
{
    const char *base = strrchr(path, '/');
    return strchr(base ? base + 1 : path, '.') ? ps_format_of(path) : FMT_NONE;
}

/* By content: ACT or snapshot magic, a zlib or gzip header, else text. */
static fmt sniff(const uint8_t *p, size_t n)
{
    if (n >= 8 && !memcmp(p, "ACTree03", 8))
        return PS_FORMAT_ACT;
    if (n >= 4 && !memcmp(p, "MTTS", 4))
        return PS_FORMAT_SNAP;
    if (n >= 2 && ((p[0] == 0x1F && p[1] == 0x8B) ||
                   ((p[0] & 0x0F) == 8 && (p[0] * 256u + p[1]) % 31 == 0)))
        return PS_FORMAT_PATHS;
    return PS_FORMAT_METTA;
}

int diag_die(const char *name, const ps_diag *d, int rc)
{
    if (d->line)
        return die("%s:%u:%u: %s", name, d->line, d->col, d->msg);
    return die("%s: %s: %s (byte offset %llu)", name, ps_strerror(rc), d->msg,
               (unsigned long long)d->offset);
}

static int load_binary(ps_space *s, const input *in, fmt f)
{
    ps_diag d = { 0 };
    int rc = ps_space_load(s, in->data, in->len, (int)f, &d);
    return rc ? diag_die(in->name, &d, rc) : 0;
}

/* Loads one opened input; f FMT_NONE = tell by content (*told gets it). */
static int load_input(ps_space *s, const input *in, fmt f, int quiet, fmt *told)
{
    if (f == FMT_NONE)
        f = sniff(in->data, in->len);
    *told = f;
    return f == PS_FORMAT_METTA || f == FMT_NONE ? load_metta(s, in, quiet) : load_binary(s, in, f);
}

int load_source(ps_space *s, const char *path, fmt f, int quiet)
{
    input in;
    fmt told;
    if (input_open(&in, path))
        return 1;
    int rc = load_input(s, &in, f == FMT_NONE ? fmt_from_ext(path) : f, quiet, &told);
    input_close(&in);
    return rc;
}

fmt fmt_detect(const char *path, fmt f)
{
    if (f == FMT_NONE)
        f = fmt_from_ext(path);
    if (f == FMT_NONE && strcmp(path, "-")) {
        uint8_t head[8];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, head, sizeof head) : -1;
        if (fd >= 0)
            close(fd);
        f = n < 0 ? PS_FORMAT_METTA : sniff(head, (size_t)n); /* open errors come later */
    }
    return f; /* FMT_NONE only for stdin: sniffed once read */
}

/* A persistent space's directory as a source. */
static int src_open_dir(src *x, const char *dir)
{
    char w[4200], st[4200];
    struct stat s1, s2;
    snprintf(w, sizeof w, "%s/wal", dir);
    snprintf(st, sizeof st, "%s/store", dir);
    if (stat(w, &s1) || stat(st, &s2) || !S_ISDIR(s1.st_mode) || !S_ISDIR(s2.st_mode))
        return die("%s: a directory, but not a persistent space (no wal/ and store/)", dir);
    ps_pspace_opts o;
    ps_pspace_opts_init(&o);
    o.no_final_ckpt = 1;
    ps_diag d = { 0 };
    int rc = ps_pspace_open(dir, &o, &x->p, NULL, &d);
    if (rc)
        return die("%s: %s", dir, d.msg[0] ? d.msg : ps_strerror(rc));
    x->s = (ps_space *)ps_pspace_space(x->p); /* read only: nothing here changes it */
    x->f = PS_FORMAT_METTA;
    return 0;
}

/* A space in a bucket, read in place when it can be (ps_bucket_open). */
static int src_open_bucket(src *x, const char *url)
{
    ps_diag d = { 0 };
    int rc = ps_bucket_open(url, &x->bk, &d);
    if (rc)
        return diag_die(url, &d, rc);
    ps_source v = ps_bucket_source(x->bk);
    if (v.kind == PS_SRC_SNAP)
        x->n = (ps_snap *)v.u.snap;
    else
        x->s = (ps_space *)v.u.space;
    x->f = PS_FORMAT_METTA;
    return 0;
}

int src_open(src *x, const char *path, fmt f)
{
    memset(x, 0, sizeof *x);
    x->name = path;
    if (f == FMT_NONE && !strncmp(path, "s3://", 5))
        return src_open_bucket(x, path);
    struct stat ds;
    if (f == FMT_NONE && strcmp(path, "-") && !stat(path, &ds) && S_ISDIR(ds.st_mode))
        return src_open_dir(x, path);
    f = fmt_detect(path, f);
    x->f = f == FMT_NONE ? PS_FORMAT_METTA : f;
    if ((f == PS_FORMAT_ACT || f == PS_FORMAT_SNAP) && strcmp(path, "-")) {
        ps_diag d = { 0 };
        int rc = f == PS_FORMAT_ACT ? ps_act_open(path, &x->a, &d) : ps_snap_open(path, &x->n, &d);
        if (rc == PS_E_IO)
            return die("%s: %s", path, strerror(errno));
        if (!rc)
            sig_input_push(path); /* mapped: named if it shrinks underneath */
        return rc ? diag_die(path, &d, rc) : 0;
    }
    if (ps_space_new(&x->s))
        return die("out of memory");
    input in;
    if (input_open(&in, path)) {
        src_close(x);
        return 1;
    }
    int rc = load_input(x->s, &in, f, 1, &x->f);
    input_close(&in);
    if (rc)
        src_close(x);
    return rc;
}

void src_close(src *x)
{
    if (x->bk) {
        ps_bucket_close(x->bk); /* its view's n or s with it */
        memset(x, 0, sizeof *x);
        return;
    }
    if (x->a || x->n)
        sig_input_pop();
    if (x->p) {
        ps_diag d = { 0 };
        ps_pspace_close(x->p, &d); /* no checkpoint: nothing to lose */
    } else {
        ps_space_free(x->s);
    }
    ps_act_close(x->a);
    ps_snap_close(x->n);
    memset(x, 0, sizeof *x);
}

int cursor_open(cursor *c, const src *x, ps_bytes prefix)
{
    memset(c, 0, sizeof *c);
    int rc = x->a   ? ps_act_iter_new(x->a, prefix, &c->ai)
             : x->n ? ps_snap_iter_new(x->n, prefix, &c->ni)
                    : ps_iter_new(x->s, prefix, &c->si);
    return rc ? die("%s: cannot iterate (%s)", x->name, ps_strerror(rc)) : 0;
}

int cursor_next(cursor *c, const src *x, ps_bytes *p, int *has, uint64_t *value)
{
    ps_diag d = { 0 };
    int rc;
    *has = 0;
    *value = 0;
    if (c->ai) {
        rc = ps_act_iter_next(c->ai, p, value, &d);
        *has = *value != 0;
    } else if (c->ni) {
        rc = ps_snap_iter_next(c->ni, p, has, value, &d);
    } else {
        rc = ps_iter_next(c->si, p, has, value);
    }
    if (rc == PS_E_EMPTY)
        return -1;
    return rc ? diag_die(x->name, &d, rc) : 0;
}

void cursor_close(cursor *c)
{
    ps_iter_free(c->si);
    ps_act_iter_free(c->ai);
    ps_snap_iter_free(c->ni);
}

const char *snap_codec_str(int codec)
{
    static const char *n[] = { "auto", "none", "lz4", "zstd", "zlib" };
    return codec >= 0 && codec <= PS_CODEC_ZLIB ? n[codec] : "?";
}

/* ------------------------------------------------------------- writing */

typedef struct dest {
    const wopts *o;
    ps_sink sink;
    int err_no;  /* what write() said when the sink failed (ENOSPC, EFBIG, ...) */
    ps_buf buf; /* metta text, or a whole ACT bound for a pipe */
    int fd;
    ps_paths_writer *pw;
    ps_act_writer *aw;
    ps_snap_writer *nw;
    ps_snap_info info;
    uint64_t atoms, skipped, bytes;
} dest;

/* The output file, as a sink that keeps the reason a write failed, so the
 * message can say "No space left on device" rather than "I/O error". */
static int dest_put(dest *t, const void *data, size_t len, int64_t at)
{
    const char *p = data;
    while (len) {
        ssize_t n = at < 0 ? write(t->fd, p, len) : pwrite(t->fd, p, len, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            t->err_no = n < 0 ? errno : EIO;
            return PS_E_IO;
        }
        p += n;
        len -= (size_t)n;
        at = at < 0 ? at : at + n;
    }
    return PS_OK;
}

static int dest_write(void *ctx, const void *data, size_t len)
{
    return dest_put(ctx, data, len, -1);
}

static int dest_patch(void *ctx, uint64_t offset, const void *data, size_t len)
{
    return dest_put(ctx, data, len, (int64_t)offset);
}

/* Why rc happened, in words: the system's for a failed write. */
static const char *why(const dest *t, int rc)
{
    return rc == PS_E_IO && t->err_no ? strerror(t->err_no) : ps_strerror(rc);
}

static int flush_text(dest *t, int force)
{
    if (!force && t->buf.len < (1u << 20))
        return PS_OK;
    int rc = t->sink.write(t->sink.ctx, ps_buf_data(&t->buf), t->buf.len);
    t->bytes += t->buf.len;
    ps_buf_clear(&t->buf, 0);
    return rc;
}

/* An atom MORK's formats cannot hold: skipped with --skip-extended, else
 * named, as every route names it (ps_space_save's words). */
static int refuse_extended(dest *t, ps_bytes p, const char *name)
{
    if (t->o->skip_ext) {
        t->skipped++;
        return 0;
    }
    ps_diag d;
    ps_refuse_extended(p, t->atoms + 1, (int)t->o->to, &d);
    die("%s: %s\nuse --skip-extended to leave such atoms out", name, d.msg);
    return 1;
}

static int dest_add(dest *t, ps_bytes p, int has, uint64_t v, const char *name)
{
    int rc;
    if ((t->o->to == PS_FORMAT_PATHS || t->o->to == PS_FORMAT_ACT) && !ps_path_fits_mork(p))
        return refuse_extended(t, p, name);
    if (t->o->to == PS_FORMAT_PATHS) {
        rc = ps_paths_writer_add(t->pw, p);
    } else if (t->o->to == PS_FORMAT_ACT) {
        rc = ps_act_writer_add(t->aw, p, v);
    } else if (t->o->to == PS_FORMAT_SNAP) {
        rc = has ? ps_snap_writer_add_value(t->nw, p, v) : ps_snap_writer_add(t->nw, p);
    } else {
        rc = ps_atom_print(p, &t->buf);
        if (!rc)
            rc = ps_buf_append(&t->buf, "\n", 1);
        if (!rc)
            rc = flush_text(t, 0);
        if (rc == PS_E_TRUNCATED || rc == PS_E_CORRUPT)
            return die("%s: path %llu is not an atom, so it has no MeTTa text", name,
                       (unsigned long long)t->atoms + 1);
    }
    if (rc)
        return die("%s: %s", t->o->out, why(t, rc));
    t->atoms++;
    return 0;
}

/* Path bytes the source holds (exact, or estimated from its size), for
 * the snapshot's automatic codec choice. */
uint64_t src_bytes(const src *x)
{
    ps_snap_info in;
    ps_space_stats st;
    if (x->n) {
        ps_snap_info_get(x->n, &in);
        return in.path_bytes;
    }
    if (x->a) { /* an ACT holds about 40% of its path bytes */
        struct stat fs;
        return stat(x->name, &fs) ? 0 : 5 * (uint64_t)fs.st_size / 2;
    }
    ps_space_stats_get(x->s, &st);
    return st.path_bytes;
}

static int dest_begin(dest *t, uint64_t size_hint)
{
    const wopts *o = t->o;
    struct stat st;
    t->sink = (ps_sink){ dest_write, dest_patch, t };
    if (t->fd == 1 && (fstat(1, &st) || !S_ISREG(st.st_mode))) {
        if (o->to == PS_FORMAT_ACT)
            t->sink = ps_sink_buf(&t->buf); /* a pipe cannot be patched */
        else
            t->sink.patch = NULL; /* a snapshot's header then says "unknown" */
    }
    ps_paths_opts po;
    ps_paths_opts_init(&po);
    if (o->level_set)
        po.level = o->level;
    po.threads = o->threads;
    ps_snap_opts so = o->snap;
    so.size = sizeof so;
    so.level = o->level_set ? o->level : 0;
    so.threads = o->threads;
    so.size_hint = size_hint;
    int rc = PS_OK;
    if (o->to == PS_FORMAT_PATHS)
        rc = ps_paths_writer_new(t->sink, &po, &t->pw);
    else if (o->to == PS_FORMAT_ACT)
        rc = ps_act_writer_new(t->sink, &t->aw);
    else if (o->to == PS_FORMAT_SNAP)
        rc = ps_snap_writer_new(t->sink, &so, &t->nw);
    if (rc == PS_E_INVAL)
        return die("%s: --level %d is not valid for this codec (see convert --help)", o->out,
                   o->level);
    return rc ? die("%s: %s", o->out, why(t, rc)) : 0;
}

static int dest_end(dest *t)
{
    ps_paths_stats ps;
    ps_act_stats as;
    int rc = PS_OK;
    if (t->pw && !(rc = ps_paths_writer_finish(t->pw, &ps)))
        t->bytes = ps.file_bytes;
    if (t->aw && !(rc = ps_act_writer_finish(t->aw, &as)))
        t->bytes = as.file_bytes;
    if (t->nw && !(rc = ps_snap_writer_finish(t->nw, &t->info)))
        t->bytes = t->info.file_bytes;
    if (!rc && t->o->to == PS_FORMAT_ACT && t->fd == 1)
        rc = dest_write(t, ps_buf_data(&t->buf), t->buf.len);
    if (!rc && t->o->to == PS_FORMAT_METTA)
        rc = flush_text(t, 1);
    return rc ? die("%s: write failed: %s", t->o->out, why(t, rc)) : 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Writes every path next() gives to o->out through a temporary file
 * renamed into place on success, so a failed write never leaves a partial
 * OUT. */
int write_stream(const wopts *o, uint64_t size_hint, const char *name, path_next_fn next,
                 void *ctx)
{
    if (o->to >= PS_FORMAT_JSON)
        return die("%s: %s is read, not written (write .metta, .paths, .act or .snap)", o->out,
                   fmt_name(o->to));
    dest t = { .o = o };
    outfile of;
    double t0 = now();
    if (out_begin(&of, o->out))
        return 1;
    t.fd = of.fd;
    ps_bytes p;
    uint64_t v;
    int has, rc = dest_begin(&t, size_hint), more = 0;
    progress pr; /* not over the text when that goes to the same terminal */
    progress_begin(&pr, o->out, "atoms", 0, o->quiet || (t.fd == 1 && isatty(1)));
    while (!rc && (more = next(ctx, &p, &has, &v)) == 0) {
        rc = dest_add(&t, p, has, v, name);
        if ((t.atoms & 0xFFFF) == 0)
            progress_at(&pr, t.atoms);
    }
    rc |= more > 0;
    if (!rc)
        rc = dest_end(&t);
    progress_end(&pr);
    ps_paths_writer_free(t.pw);
    ps_act_writer_free(t.aw);
    ps_snap_writer_free(t.nw);
    ps_buf_free(&t.buf);
    rc = out_end(&of, !rc) || rc;
    if (!rc && !o->quiet) {
        fprintf(stderr, "wrote %s: %llu atoms, %llu bytes as %s in %.3f s", o->out,
                (unsigned long long)t.atoms, (unsigned long long)t.bytes, fmt_name(o->to),
                now() - t0);
        if (o->to == PS_FORMAT_SNAP)
            fprintf(stderr, " (%s level %d, %s, %llu chunks)", snap_codec_str(t.info.codec),
                    t.info.level, t.info.checksum ? "blake2b" : "xxh3",
                    (unsigned long long)t.info.chunks);
        if (t.skipped)
            fprintf(stderr, "; skipped %llu atoms beyond MORK's encoding",
                    (unsigned long long)t.skipped);
        fputc('\n', stderr);
    }
    return rc;
}

typedef struct src_walk {
    const src *x;
    cursor c;
} src_walk;

static int src_walk_next(void *ctx, ps_bytes *p, int *has, uint64_t *v)
{
    src_walk *w = ctx;
    return cursor_next(&w->c, w->x, p, has, v);
}

int write_dest(const src *x, const wopts *o)
{
    src_walk w = { x, { 0 } };
    if (cursor_open(&w.c, x, ps_bytes_of(NULL, 0)))
        return 1;
    int rc = write_stream(o, src_bytes(x), x->name, src_walk_next, &w);
    cursor_close(&w.c);
    return rc;
}
