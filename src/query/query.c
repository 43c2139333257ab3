/*
 * query.c - compiling queries (pathspace.h, "queries"; the semantics:
 * docs/query.md; running them: run.c).
 *
 * A query is compiled once into internal terms (term.h): the patterns of
 * its conjunction and the templates, their variables numbered together as
 * in one atom. Each run starts from a copy of those terms, so one compiled
 * query may run on many threads at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "expr/tags.h"
#include "match.h"
#include "query.h"


/* ---------------------------------------------------------------- compile */


/* The roots of t: its children after the comma if it is "(, ...)", else
 * t itself. */
static int roots(const uint8_t *arena, uint64_t t, uint64_t **out, unsigned *n)
{
    const uint8_t *p = arena + t;
    uint64_t k;
    size_t first;
    /* internal terms are whole: their length bounds nothing here */
    if (ps__conj(p, SIZE_MAX, &k, &first)) {
        if (k > MATCH_MAX_PATTERNS)
            return PS_E_LIMIT;
        *out = ps_calloc(k ? (size_t)k : 1, sizeof **out);
        if (!*out)
            return PS_E_NOMEM;
        uint64_t c = t + first;
        for (uint64_t i = 0; i < k; i++) {
            (*out)[i] = c;
            c += ps__tlen(arena + c);
        }
        *n = (unsigned)k;
        return PS_OK;
    }
    if (!(*out = ps_malloc(sizeof **out)))
        return PS_E_NOMEM;
    (*out)[0] = t;
    *n = 1;
    return PS_OK;
}

static int compile(ps_query *q, ps_bytes spec, int with_template, ps_diag *d)
{
    terms t;
    if (ps__terms_init(&t, 0))
        return PS_E_NOMEM;
    uint32_t nv = 0;
    uint64_t root;
    int rc = ps__internalize(&t, spec.ptr, spec.len, 0, &nv, &root, NULL);
    if (rc) {
        ps__terms_free(&t);
        return ps__diag_set(d, rc == PS_E_CORRUPT ? PS_E_INVAL : rc, NULL, 0,
                            "not a query: the bytes are not one atom");
    }
    const uint8_t *a = ps_buf_data(&t.arena);
    uint64_t pat = root, tpl = root;
    item it;
    if (with_template) { /* (PATTERN TEMPLATE) */
        if (ps__item(a + root, SIZE_MAX, &it) || it.kind != ITEM_LIST || it.n != 2) {
            ps__terms_free(&t);
            return ps__diag_set(d, PS_E_INVAL, NULL, 0, "a query is (PATTERN TEMPLATE)");
        }
        pat = root + it.head;
        tpl = pat + ps__tlen(a + pat);
    }
    rc = roots(a, pat, &q->pat, &q->npat);
    if (!rc)
        rc = roots(a, tpl, &q->tpl, &q->ntpl);
    if (rc == PS_E_LIMIT)
        ps__diag_set(d, rc, NULL, 0, "more than %d patterns in one conjunction",
                     MATCH_MAX_PATTERNS);
    /* a variable term for each of the query's variables (for bindings) */
    q->nvars = nv;
    if (!rc && !(q->vars = ps_calloc(nv ? nv : 1, sizeof *q->vars)))
        rc = PS_E_NOMEM;
    for (uint32_t i = 0; !rc && i < nv; i++)
        rc = ps__var_term(&t, i, &q->vars[i]);
    q->arena = t.arena; /* the compiled terms are the query's */
    t.arena = (ps_buf){ 0 };
    ps__terms_free(&t);
    return rc;
}

int ps_query_new(ps_bytes spec, ps_query **out, ps_diag *d)
{
    size_t len;
    int rc = ps_atom_check(spec, &len, d);
    if (rc || len != spec.len)
        return ps__diag_set(d, PS_E_INVAL, NULL, rc ? d->offset : len,
                            "a query is one atom, (PATTERN TEMPLATE)");
    ps_query *q = ps_calloc(1, sizeof *q);
    if (!q)
        return PS_E_NOMEM;
    if ((rc = compile(q, spec, 1, d))) {
        ps_query_free(q);
        return rc;
    }
    *out = q;
    return PS_OK;
}

static int delim(char c)
{
    return c == '(' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The names of the variables of text, in order of first appearance (the
 * order the parser numbers them in), by MORK's token rules. */
static int var_names(ps_query *q, const char *s, size_t n)
{
    unsigned k = 0;
    for (size_t i = 0; i < n && k < PS_MAX_VARS;) {
        char c = s[i];
        if (c == ';') { /* a comment, where a token may start */
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '"') { /* a string: to the next unescaped quote */
            for (i++; i < n && s[i] != '"'; i++)
                i += s[i] == '\\';
            i++;
            continue;
        }
        if (delim(c)) {
            i++;
            continue;
        }
        size_t j = i + 1; /* a token: at least this byte */
        while (j < n && !delim(s[j]))
            j++;
        if (c == '$') {
            unsigned seen = 0;
            while (seen < k && (strlen(q->names[seen]) != j - i || memcmp(q->names[seen], s + i, j - i)))
                seen++;
            if (seen == k) {
                if (!(q->names[k] = ps_malloc(j - i + 1)))
                    return PS_E_NOMEM;
                memcpy(q->names[k], s + i, j - i);
                q->names[k++][j - i] = 0;
            }
        }
        i = j;
    }
    return PS_OK;
}

/* Puts "pattern: " or "template: " before d's message. */
static void name_part(ps_diag *d, const char *part)
{
    if (!d)
        return;
    char m[sizeof d->msg];
    size_t k = strlen(part);
    memcpy(m, d->msg, sizeof m);
    memcpy(d->msg, part, k);
    memcpy(d->msg + k, ": ", 2);
    memcpy(d->msg + k + 2, m, sizeof m - k - 3); /* cut to fit */
    d->msg[sizeof d->msg - 1] = 0;
}

int ps_query_parse(const char *pattern, size_t plen, const char *tmpl, size_t tlen,
                   ps_query **out, ps_diag *d)
{
    /* one atom, "(PATTERN TEMPLATE)", so that a name means one variable in
     * both; the diagnostics then count from the pattern's first byte */
    ps_buf text = { 0 }, atom = { 0 };
    int rc = ps_buf_append(&text, "(", 1);
    if (!rc)
        rc = ps_buf_append(&text, pattern, plen);
    if (!rc)
        rc = ps_buf_append(&text, "\n", 1);
    if (!rc)
        rc = tmpl ? ps_buf_append(&text, tmpl, tlen) : ps_buf_append(&text, pattern, plen);
    if (!rc)
        rc = ps_buf_append(&text, "\n)", 2);
    if (rc) {
        ps_buf_free(&text);
        return rc;
    }
    ps_parser *p;
    ps_bytes a;
    if ((rc = ps_parser_new(&p))) {
        ps_buf_free(&text);
        return rc;
    }
    /* each part must hold one atom: parse them alone first, for messages
     * that point into the text the user wrote */
    ps_buf one = { 0 };
    rc = ps_atom_parse(pattern, plen, &one, d);
    if (rc)
        name_part(d, "pattern");
    if (!rc && tmpl) {
        ps_buf_clear(&one, 0);
        if ((rc = ps_atom_parse(tmpl, tlen, &one, d)))
            name_part(d, "template");
    }
    ps_buf_free(&one);
    if (!rc) {
        ps_parser_reset(p, ps_buf_data(&text), text.len);
        rc = ps_parser_next(p, &a, d);
        if (!rc)
            rc = ps_buf_append(&atom, a.ptr, a.len);
    }
    ps_parser_free(p);
    ps_query *q = NULL;
    if (!rc && !(q = ps_calloc(1, sizeof *q)))
        rc = PS_E_NOMEM;
    if (!rc)
        rc = compile(q, ps_buf_bytes(&atom), 1, d);
    if (!rc)
        rc = var_names(q, (const char *)ps_buf_data(&text), text.len);
    ps_buf_free(&text);
    ps_buf_free(&atom);
    if (rc) {
        ps_query_free(q);
        return rc;
    }
    *out = q;
    return PS_OK;
}

void ps_query_free(ps_query *q)
{
    if (!q)
        return;
    ps_buf_free(&q->arena);
    free(q->pat);
    free(q->tpl);
    free(q->vars);
    for (unsigned i = 0; i < PS_MAX_VARS; i++)
        free(q->names[i]);
    free(q);
}

unsigned ps_query_patterns(const ps_query *q)
{
    return q->npat;
}

unsigned ps_query_vars(const ps_query *q)
{
    return q->nvars;
}

const char *ps_query_var_name(const ps_query *q, unsigned i)
{
    return i < q->nvars ? q->names[i] : NULL;
}
