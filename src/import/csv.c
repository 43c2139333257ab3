/*
 * csv.c - CSV rows as atoms, with MORK's mapping (docs/json-csv.md): row
 * r (from 0) with fields f1..fn becomes (r f1 ... fn). Fields are taken as
 * they are (not trimmed), quoted fields by RFC 4180 ("" is one quote, and
 * commas and line ends may stand inside quotes); empty lines are skipped
 * and not numbered. A row is built in one buffer, its arity written once
 * its fields are counted.
 */
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "common/limits.h"
#include "import.h"

typedef struct row {
    ps_buf fields;   /* the fields' symbols, encoded        */
    ps_buf text;     /* one quoted field, unescaped          */
    uint64_t n;      /* fields in the row                    */
} row;

/* One field at p[*at..len): its symbol appended; *at past the field. 0,
 * or an error for d: a quote inside an unquoted field, text after a
 * closing quote, a quote never closed. */
static int field(row *r, const uint8_t *p, size_t len, size_t *at, const char **why)
{
    size_t i = *at;
    if (i < len && p[i] == '"') {
        ps_buf_clear(&r->text, 0);
        for (i++;; i++) {
            if (i >= len) {
                *why = "a quoted field is never closed";
                return PS_E_PARSE;
            }
            if (p[i] == '"') {
                if (i + 1 < len && p[i + 1] == '"')
                    i++; /* "" is one quote */
                else
                    break;
            }
            if (ps_buf_append(&r->text, p + i, 1))
                return PS_E_NOMEM;
        }
        i++;
        if (i < len && p[i] != ',' && p[i] != '\n' && p[i] != '\r') {
            *why = "text after a quoted field's closing quote";
            *at = i;
            return PS_E_PARSE;
        }
        *at = i;
        return ps__sym_append(&r->fields, ps_buf_data(&r->text), r->text.len);
    }
    size_t s = i;
    while (i < len && p[i] != ',' && p[i] != '\n' && !(p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')) {
        if (p[i] == '"') {
            *why = "a quote inside an unquoted field";
            *at = i;
            return PS_E_PARSE;
        }
        i++;
    }
    *at = i;
    return ps__sym_append(&r->fields, p + s, i - s);
}

typedef struct sink_to {
    ps_atom_fn fn;
    void *ctx;
    uint64_t max_atom, used, budget; /* the decoding budget (docs/limits.md) */
    int over;                        /* the budget was passed              */
} sink_to;

/* The atom (number f1 ... fn) to fn: PS_E_LIMIT past max_atom or past
 * the budget (then o->over). */
static int emit(row *r, uint64_t number, ps_buf *atom, sink_to *o)
{
    char num[24];
    int k = snprintf(num, sizeof num, "%llu", (unsigned long long)number);
    ps_buf_clear(atom, 0);
    int rc = ps__arity_append(atom, r->n + 1);
    if (!rc)
        rc = ps__sym_append(atom, num, (size_t)k);
    if (!rc)
        rc = ps_buf_append(atom, ps_buf_data(&r->fields), r->fields.len);
    if (!rc && atom->len > o->max_atom)
        rc = PS_E_LIMIT;
    else if (!rc && !ps__budget_charge(&o->used, o->budget, atom->len))
        rc = PS_E_LIMIT, o->over = 1;
    return rc ? rc : o->fn(o->ctx, ps_buf_bytes(atom));
}

int ps_csv_parse(const void *data, size_t len, ps_atom_fn fn, void *ctx, ps_import_stats *st,
                 ps_diag *d)
{
    ps_import_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    ps_limits lim;
    ps_limits_get(&lim);
    sink_to o = { fn, ctx, lim.max_atom, 0, ps__budget(len), 0 };
    const uint8_t *p = data;
    row r = { { 0 }, { 0 }, 0 };
    ps_buf atom = { 0 };
    int rc = PS_OK;
    const char *why = "out of memory";
    size_t at = 0;
    while (!rc && at < len) {
        if (p[at] == '\n' || (p[at] == '\r' && at + 1 < len && p[at + 1] == '\n')) {
            at += p[at] == '\r' ? 2 : 1; /* an empty line: skipped, not numbered */
            continue;
        }
        ps_buf_clear(&r.fields, 0);
        r.n = 0;
        for (;;) {
            rc = field(&r, p, len, &at, &why);
            if (rc)
                break;
            r.n++;
            if (at < len && p[at] == ',') {
                at++;
                continue;
            }
            at += at < len ? (p[at] == '\r' ? 2 : 1) : 0; /* the row's end */
            break;
        }
        if (!rc && (rc = emit(&r, st->records, &atom, &o))) {
            why = o.over             ? "the rows pass the decoding budget (raise it with "
                                       "--max-expansion)"
                  : rc == PS_E_LIMIT ? "a row longer than the --max-atom limit"
                                     : "the receiver refused a row";
        }
        if (!rc) {
            st->records++;
            st->atoms++;
        }
    }
    if (rc) {
        ps__diag_set(d, rc, p, at, "row %llu (numbered from 0), field %llu: %s",
                     (unsigned long long)st->records, (unsigned long long)r.n + 1, why);
    }
    st->bytes = len;
    ps_buf_free(&r.fields);
    ps_buf_free(&r.text);
    ps_buf_free(&atom);
    return rc;
}
