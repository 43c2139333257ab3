/*
 * load.c - a space from bytes or a file in any format, and back: the one
 * place that knows which reader or writer each format needs (the HTTP
 * server's upload and import, and the Python package, go through here).
 */
#include <string.h>

#include "common/diag.h"
#include "common/mapfile.h"
#include "import.h"
#include "pathspace.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* The formats: the one table the CLI and Python ask (ps_format_of,
 * ps_format_name, ps_format_saves). */
static const struct format_row {
    int format;
    const char *name;
    const char *ext[3]; /* the extensions that name it, NULL after the last */
    int saves;          /* ps_space_save writes it */
} formats[] = {
    { PS_FORMAT_METTA, "metta", { ".metta" }, 1 },
    { PS_FORMAT_PATHS, "paths", { ".paths", ".upaths", ".paths.gz" }, 1 },
    { PS_FORMAT_ACT, "act", { ".act" }, 1 },
    { PS_FORMAT_SNAP, "snap", { ".snap" }, 1 },
    { PS_FORMAT_JSON, "json", { ".json" }, 0 },
    { PS_FORMAT_JSONL, "jsonl", { ".jsonl", ".ndjson" }, 0 },
    { PS_FORMAT_CSV, "csv", { ".csv" }, 0 },
};
#define NFORMATS (sizeof formats / sizeof formats[0])

static const struct format_row *row_of(int format)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i].format == format)
            return &formats[i];
    return NULL;
}

int ps_format_of(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < NFORMATS; i++) {
        if (!strcmp(name, formats[i].name))
            return formats[i].format;
        for (size_t k = 0; k < 3 && formats[i].ext[k]; k++)
            if (!strcmp(name, formats[i].ext[k] + 1) || ends_with(name, formats[i].ext[k]))
                return formats[i].format;
    }
    return 0;
}

const char *ps_format_name(int format)
{
    const struct format_row *r = row_of(format);
    return r ? r->name : NULL;
}

int ps_format_saves(int format)
{
    const struct format_row *r = row_of(format);
    return r && r->saves;
}

static int each_text(const void *data, size_t len, ps_atom_fn fn, void *ctx, ps_diag *d)
{
    ps_parser *p;
    if (ps_parser_new(&p))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    ps_parser_reset(p, data, len);
    ps_bytes a;
    int rc;
    while ((rc = ps_parser_next(p, &a, d)) == PS_OK)
        if ((rc = fn(ctx, a))) {
            ps__diag_set(d, rc, NULL, ps_parser_offset(p), "cannot take an atom");
            break;
        }
    ps_parser_free(p);
    return rc == PS_E_EMPTY ? PS_OK : rc;
}

int ps__each_atom(const void *data, size_t len, int format, ps_atom_fn fn, void *ctx, ps_diag *d)
{
    if (!data) /* an empty input may come as NULL */
        data = "", len = 0;
    switch (format) {
    case PS_FORMAT_METTA: return each_text(data, len, fn, ctx, d);
    case PS_FORMAT_JSON:
    case PS_FORMAT_JSONL:
        return ps_json_parse(data, len, format == PS_FORMAT_JSONL ? PS_JSON_LINES : 0, fn, ctx,
                             NULL, d);
    case PS_FORMAT_CSV: return ps_csv_parse(data, len, fn, ctx, NULL, d);
    default: return PS_E_UNSUPPORTED;
    }
}

static int load_paths(ps_space *s, const void *data, size_t len, ps_diag *d)
{
    ps_paths_reader *r;
    if (ps_paths_reader_new(data, len, &r))
        return ps__diag_set(d, PS_E_NOMEM, NULL, 0, "out of memory");
    int rc = ps_space_read_paths(s, r, d);
    ps_paths_reader_free(r);
    return rc;
}

static int load_act(ps_space *s, const void *data, size_t len, ps_diag *d)
{
    ps_act *a;
    int rc = ps_act_open_mem(data, len, &a, d);
    if (!rc) {
        rc = ps_space_read_act(s, a, d);
        ps_act_close(a);
    }
    return rc;
}

static int load_snap(ps_space *s, const void *data, size_t len, ps_diag *d)
{
    ps_snap *n;
    int rc = ps_snap_open_mem(data, len, &n, d);
    if (!rc) {
        rc = ps_space_read_snap(s, n, 0, d);
        ps_snap_close(n);
    }
    return rc;
}

static int add_atom(void *ctx, ps_bytes atom)
{
    return ps_space_insert(ctx, atom, NULL);
}

int ps_space_load(ps_space *s, const void *data, size_t len, int format, ps_diag *d)
{
    if (!data)
        data = "", len = 0;
    switch (format) {
    case PS_FORMAT_PATHS: return load_paths(s, data, len, d);
    case PS_FORMAT_ACT: return load_act(s, data, len, d);
    case PS_FORMAT_SNAP: return load_snap(s, data, len, d);
    case PS_FORMAT_METTA:
    case PS_FORMAT_JSON:
    case PS_FORMAT_JSONL:
    case PS_FORMAT_CSV: return ps__each_atom(data, len, format, add_atom, s, d);
    default: return ps__diag_set(d, PS_E_INVAL, NULL, 0, "no format %d", format);
    }
}

int ps_space_load_file(ps_space *s, const char *file, int format, ps_diag *d)
{
    if (!format && !(format = ps_format_of(file)))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "%s: no format, and no known extension", file);
    const void *data;
    size_t len;
    int rc = ps__map_file(file, &data, &len, d);
    if (rc)
        return rc;
    rc = ps_space_load(s, data, len, format, d);
    ps__unmap_file(data, len);
    return rc;
}

int ps__save_lines(const ps_space *s, ps_sink out, int (*line)(ps_buf *b, ps_bytes atom))
{
    ps_iter *it;
    if (ps_iter_new(s, ps_bytes_of(NULL, 0), &it))
        return PS_E_NOMEM;
    ps_buf b = { 0 };
    ps_bytes a;
    int rc = PS_OK;
    while (!rc && ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
        rc = line(&b, a);
        if (!rc && b.len >= 65536) {
            rc = out.write(out.ctx, ps_buf_data(&b), b.len);
            ps_buf_clear(&b, 0);
        }
    }
    if (!rc && b.len)
        rc = out.write(out.ctx, ps_buf_data(&b), b.len);
    ps_buf_free(&b);
    ps_iter_free(it);
    return rc;
}

static int text_line(ps_buf *b, ps_bytes a)
{
    int rc = ps_atom_print(a, b);
    return rc ? rc : ps_buf_append(b, "\n", 1);
}

static int save_text(const ps_space *s, ps_sink out, ps_diag *d)
{
    int rc = ps__save_lines(s, out, text_line);
    return rc ? ps__diag_set(d, rc, NULL, 0, "cannot write the text") : PS_OK;
}

int ps_refuse_extended(ps_bytes a, uint64_t nth, int format, ps_diag *d)
{
    ps_buf t = { 0 };
    ps_atom_print(a, &t);
    int cut = t.len > 64; /* the message travels in a ps_diag, prefixes and all */
    ps__diag_set(d, PS_E_UNSUPPORTED, NULL, 0,
                 "atom %llu needs pathspace's extension, which %s cannot hold: %.*s%s",
                 (unsigned long long)nth, format == PS_FORMAT_ACT ? "ACT" : ".paths",
                 (int)(cut ? 64 : t.len), (const char *)ps_buf_data(&t), cut ? "..." : "");
    ps_buf_free(&t);
    return PS_E_UNSUPPORTED;
}

/* .paths or ACT, atom by atom, so that one MORK cannot hold is named or
 * skipped. */
static int save_mork(const ps_space *s, ps_sink out, int act, unsigned flags, uint64_t *skipped,
                     ps_diag *d)
{
    ps_paths_writer *pw = NULL;
    ps_act_writer *aw = NULL;
    ps_iter *it = NULL;
    ps_bytes p;
    int has, rc = act ? ps_act_writer_new(out, &aw) : ps_paths_writer_new(out, NULL, &pw);
    uint64_t v, n = 0, skip = 0;
    if (!rc)
        rc = ps_iter_new(s, ps_bytes_of(NULL, 0), &it);
    while (!rc && (rc = ps_iter_next(it, &p, &has, &v)) == PS_OK) {
        if (!ps_path_fits_mork(p) && (flags & PS_SAVE_SKIP_EXTENDED))
            skip++;
        else if (!ps_path_fits_mork(p))
            rc = ps_refuse_extended(p, n + 1, act ? PS_FORMAT_ACT : PS_FORMAT_PATHS, d);
        else if (++n, act)
            rc = ps_act_writer_add(aw, p, has ? v : 0);
        else
            rc = ps_paths_writer_add(pw, p);
    }
    if (rc == PS_E_EMPTY)
        rc = act ? ps_act_writer_finish(aw, NULL) : ps_paths_writer_finish(pw, NULL);
    ps_iter_free(it);
    ps_act_writer_free(aw);
    ps_paths_writer_free(pw);
    if (skipped)
        *skipped = skip;
    if (rc && rc != PS_E_UNSUPPORTED)
        ps__diag_set(d, rc, NULL, 0, "cannot write the %s file", act ? "ACT" : ".paths");
    return rc;
}

int ps_space_save(const ps_space *s, ps_sink out, int format, ps_diag *d)
{
    return ps_space_save_with(s, out, format, 0, NULL, d);
}

int ps_space_save_with(const ps_space *s, ps_sink out, int format, unsigned flags,
                       uint64_t *skipped, ps_diag *d)
{
    int rc;
    if (skipped)
        *skipped = 0;
    switch (format) {
    case PS_FORMAT_METTA: return save_text(s, out, d);
    case PS_FORMAT_PATHS: return save_mork(s, out, 0, flags, skipped, d);
    case PS_FORMAT_ACT: return save_mork(s, out, 1, flags, skipped, d);
    case PS_FORMAT_SNAP: rc = ps_space_write_snap(s, out, NULL, NULL); break;
    default: return ps__diag_set(d, PS_E_INVAL, NULL, 0, "cannot save in format %d", format);
    }
    return rc ? ps__diag_set(d, rc, NULL, 0, "cannot write the snapshot") : PS_OK;
}
