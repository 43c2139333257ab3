/* prolog.c - see prolog.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prolog.h"

static const char prelude[] =
    ":- set_prolog_flag(occurs_check, true).\n"
    ":- style_check(-singleton).\n"
    ":- discontiguous q/2.\n"
    ":- dynamic f/1, q/2.\n"
    "pr(T) :- compound(T), compound_name_arity(T, '$VAR', 1), !, arg(1, T, N),\n"
    "    format(\"$v~d\", [N]).\n"
    "pr(T) :- compound(T), !, compound_name_arguments(T, _, As), write('('), prs(As),\n"
    "    write(')').\n"
    "pr(T) :- write(T).\n"
    "prs([]).\n"
    "prs([A]) :- !, pr(A).\n"
    "prs([A|As]) :- pr(A), write(' '), prs(As).\n"
    "canon(Ts, C) :- member(T, Ts), copy_term(T, C), numbervars(C, 0, _).\n"
    "show(I) :- format(\"#~d~n\", [I]),\n"
    "    forall((q(I, Ts), canon(Ts, C)), (pr(C), nl)).\n"
    "count(I) :- findall(C, (q(I, Ts), canon(Ts, C)), L), sort(L, S), length(S, N),\n"
    "    format(\"#~d ~d~n\", [I, N]).\n"
    "main(Mode, N) :- set_stream(user_output, encoding(octet)),\n"
    "    M is N - 1, forall(between(0, M, I), call(Mode, I)).\n";

int pl_have(void)
{
    return system("swipl --version >/dev/null 2>&1") == 0;
}

void pl_init(pl_prog *p)
{
    memset(p, 0, sizeof *p);
    (void)ps_buf_append(&p->text, prelude, sizeof prelude - 1);
}

void pl_free(pl_prog *p)
{
    ps_buf_free(&p->text);
}

static int puts_(ps_buf *b, const char *s)
{
    return ps_buf_append(b, s, strlen(s));
}

static uint32_t be32(const uint8_t *q)
{
    return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

/* A symbol as a quoted atom: every byte that is not plain printable ASCII
 * as \xHH\ (code points below 256, written back as those bytes). */
static int symbol(ps_buf *b, const uint8_t *s, size_t n)
{
    int rc = puts_(b, "'");
    for (size_t i = 0; i < n && !rc; i++) {
        char e[8];
        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\'' && s[i] != '\\') {
            rc = ps_buf_append(b, s + i, 1);
        } else {
            snprintf(e, sizeof e, "\\x%02X\\", s[i]);
            rc = puts_(b, e);
        }
    }
    return rc ? rc : puts_(b, "'");
}

/* Writes the term at a[0..len) to b, its variables named <pfx><number>,
 * NewVars numbered on from *nv; returns the bytes read, 0 if it is not a
 * term. An explicit stack of open lists: depth costs no C stack. */
static size_t term(ps_buf *b, const uint8_t *a, size_t len, const char *pfx, uint32_t *nv)
{
    uint64_t *open = malloc((len + 1) * sizeof *open); /* children still to come */
    size_t sp = 0, i = 0;
    int rc = open ? 0 : -1;
    do {
        if (rc || i >= len) {
            rc = -1;
            break;
        }
        uint8_t h = a[i++];
        uint64_t k = 0;
        int list = h < 0x40 || h == PS_TAG_WIDE_LIST;
        if (list) {
            k = h;
            if (h == PS_TAG_WIDE_LIST) {
                if (len - i < 4) {
                    rc = -1;
                    break;
                }
                k = be32(a + i);
                i += 4;
            }
            rc = puts_(b, k ? "l(" : "l()");
            if (k) {
                open[sp++] = k;
                continue; /* its children come next */
            }
        } else if (h >= 0x80 && h <= 0xC0) {
            char v[32];
            snprintf(v, sizeof v, "%s%u", pfx, h == 0xC0 ? (*nv)++ : (h & 0x3Fu));
            rc = puts_(b, v);
        } else {
            size_t n = h - 0xC0u;
            if (h == PS_TAG_LONG_SYMBOL) {
                if (len - i < 4) {
                    rc = -1;
                    break;
                }
                n = be32(a + i);
                i += 4;
            } else if (h < 0xC1) {
                rc = -1;
                break;
            }
            if (n > len - i) {
                rc = -1;
                break;
            }
            rc = symbol(b, a + i, n);
            i += n;
        }
        /* an item done: close every list it completes, else a comma */
        while (!rc && sp) {
            if (--open[sp - 1]) {
                rc = puts_(b, ",");
                break;
            }
            sp--;
            rc = puts_(b, ")");
        }
    } while (sp);
    free(open);
    return rc ? 0 : i;
}

int pl_fact(pl_prog *p, ps_bytes atom)
{
    uint32_t nv = 0;
    int rc = puts_(&p->text, "f(");
    if (!rc && term(&p->text, atom.ptr, atom.len, "V", &nv) != atom.len)
        return PS_E_INVAL;
    return rc ? rc : puts_(&p->text, ").\n");
}

int pl_facts(pl_prog *p, const ps_space *s)
{
    ps_iter *it;
    ps_bytes a;
    int rc = ps_iter_new(s, ps_bytes_of(NULL, 0), &it);
    while (!rc && ps_iter_next(it, &a, NULL, NULL) == PS_OK)
        rc = pl_fact(p, a);
    ps_iter_free(it);
    return rc;
}

/* One part of the query at a: the roots of a conjunction "(, r1 ... rn)"
 * or the part itself, each written as wrap(root) and joined by ", " (or
 * `none` if there are no roots). Returns the part's bytes, 0 if bad. */
static size_t part(ps_buf *b, const uint8_t *a, size_t len, uint32_t *nv, const char *wrap,
                   const char *none)
{
    int conj = len >= 3 && a[0] >= 1 && a[0] < 0x40 && a[1] == 0xC1 && a[2] == ',';
    size_t at = conj ? 3 : 0;
    unsigned k = conj ? a[0] - 1u : 1;
    int rc = k ? 0 : puts_(b, none);
    for (unsigned r = 0; r < k && !rc; r++) {
        rc = puts_(b, r ? ", " : "");
        if (!rc)
            rc = puts_(b, wrap);
        ps_buf t = { 0 };
        size_t n = rc ? 0 : term(&t, a + at, len - at, "Q", nv);
        if (!n)
            rc = -1;
        if (!rc)
            rc = ps_buf_append(b, ps_buf_data(&t), t.len);
        ps_buf_free(&t);
        if (!rc && *wrap)
            rc = puts_(b, ")");
        at += n;
    }
    return rc ? 0 : at;
}

int pl_query(pl_prog *p, ps_bytes spec)
{
    /* (PATTERN TEMPLATE): the variables are numbered across the whole
     * spec, pattern first, as the bytes introduce them */
    const uint8_t *a = spec.ptr;
    if (spec.len < 1 || a[0] != 2)
        return PS_E_INVAL;
    ps_buf body = { 0 }, head = { 0 };
    uint32_t nv = 0;
    size_t n1 = part(&body, a + 1, spec.len - 1, &nv, "f(", "true");
    size_t n2 = n1 ? part(&head, a + 1 + n1, spec.len - 1 - n1, &nv, "", "") : 0;
    int rc = n1 && n2 && 1 + n1 + n2 == spec.len ? 0 : PS_E_INVAL;
    char hdr[48];
    snprintf(hdr, sizeof hdr, "q(%u, [", p->nq);
    if (!rc)
        rc = puts_(&p->text, hdr);
    if (!rc)
        rc = ps_buf_append(&p->text, ps_buf_data(&head), head.len);
    if (!rc)
        rc = puts_(&p->text, "]) :- ");
    if (!rc)
        rc = ps_buf_append(&p->text, ps_buf_data(&body), body.len);
    if (!rc)
        rc = puts_(&p->text, ".\n");
    ps_buf_free(&body);
    ps_buf_free(&head);
    p->nq++;
    return rc;
}

static int parse_line(const char *line, size_t n, ps_space *out)
{
    ps_buf a = { 0 };
    int rc = ps_atom_parse(line, n, &a, NULL);
    if (!rc)
        rc = ps_space_insert(out, ps_buf_bytes(&a), NULL);
    ps_buf_free(&a);
    return rc;
}

int pl_run(const pl_prog *p, ps_space **out, uint64_t *counts, char *msg, size_t msglen)
{
    char file[] = "/tmp/ps_prolog_XXXXXX";
    int fd = mkstemp(file);
    if (fd < 0) {
        snprintf(msg, msglen, "mkstemp failed");
        return -1;
    }
    size_t len = p->text.len;
    const uint8_t *d = ps_buf_data(&p->text);
    int bad = write(fd, d, len) != (ssize_t)len;
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "swipl --stack-limit=8g -q -g 'main(%s, %u)' -t halt %s",
             counts ? "count" : "show", p->nq, file);
    FILE *f = bad ? NULL : popen(cmd, "r");
    if (!f) {
        unlink(file);
        snprintf(msg, msglen, "cannot run swipl");
        return -1;
    }
    for (unsigned i = 0; !counts && i < p->nq; i++)
        if (ps_space_new(&out[i]))
            bad = 1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long cur = -1;
    while (!bad && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = 0;
        if (line[0] == '#') {
            unsigned long long c = 0;
            if (counts && sscanf(line + 1, "%ld %llu", &cur, &c) == 2 && cur >= 0 &&
                (unsigned long)cur < p->nq)
                counts[cur] = c;
            else if (!counts)
                cur = strtol(line + 1, NULL, 10);
            continue;
        }
        if (!counts && (cur < 0 || (unsigned long)cur >= p->nq || parse_line(line, (size_t)n, out[cur]))) {
            snprintf(msg, msglen, "unexpected swipl output: %.100s", line);
            bad = 1;
        }
    }
    free(line);
    int st = pclose(f);
    unlink(file);
    if (!bad && st != 0) {
        snprintf(msg, msglen, "swipl exited with status %d", st);
        bad = 1;
    }
    return bad ? -1 : 0;
}
