/*
 * cmd_algebra.c - pathspace union, intersect, subtract and restrict: a
 * merge of sorted streams, one per source (an ACT or a snapshot read in
 * place, text and .paths loaded, since they are not sorted), written as it
 * goes. Memory: the loaded sources and one path per stream.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char algebra_usage[] =
    "usage: pathspace union A B... -o OUT [convert's output options]\n"
    "       pathspace intersect A B... -o OUT [...]\n"
    "       pathspace subtract A B... -o OUT [...]\n"
    "       pathspace restrict A PREFIXES -o OUT [...]\n"
    "  The atoms in any of the sources (union), in all of them (intersect), in A\n"
    "  but in none of the others (subtract), or in A under some prefix of PREFIXES\n"
    "  (restrict): PathMap's join, meet, subtract and restrict. Sources are of any\n"
    "  format; ACTs and snapshots are streamed in place, the others loaded. OUT's\n"
    "  format comes from its extension (or --to FMT; text for -); it appears only\n"
    "  when complete. A prefix is a path of PREFIXES; in MeTTa text, an atom stands\n"
    "  for its constant part, its bytes up to its first variable (the rule of\n"
    "  client count): (parent Tom $x) keeps every (parent Tom ...) of 3 items,\n"
    "  (parent $x $y) every parent triple, and (parent $x Ann) every parent triple\n"
    "  too (what follows a variable cannot narrow a prefix).\n";

typedef struct stream {
    src *x;
    cursor c;
    ps_bytes p;
    int has, live;
    uint64_t v;
} stream;

typedef struct merge {
    stream *s;
    int n;
    alg_op op;
    ps_buf out;            /* the path handed out, copied: its stream moves on */
    ps_bytes *stack;       /* restrict: prefixes so far, each a prefix of the next */
    ps_buf *stack_bytes;
    int depth, err;
} merge;

static int advance(stream *s)
{
    int r = cursor_next(&s->c, s->x, &s->p, &s->has, &s->v);
    s->live = r == 0;
    return r > 0;
}

static int starts_with(ps_bytes a, ps_bytes pre)
{
    return a.len >= pre.len && !memcmp(a.ptr, pre.ptr, pre.len);
}

static int emit(merge *m, const stream *s, ps_bytes *p, int *has, uint64_t *v)
{
    ps_buf_clear(&m->out, 0);
    if (ps_buf_append(&m->out, s->p.ptr, s->p.len))
        return die("out of memory");
    *p = ps_buf_bytes(&m->out);
    *has = s->has;
    *v = s->v;
    return 0;
}

/* The least live head, or -1. */
static int least(const merge *m)
{
    int best = -1;
    for (int i = 0; i < m->n; i++)
        if (m->s[i].live && (best < 0 || ps_bytes_cmp(m->s[i].p, m->s[best].p) < 0))
            best = i;
    return best;
}

/* Moves every stream whose head is p on; 1 after an error. */
static int skip_equal(merge *m, ps_bytes p)
{
    for (int i = 0; i < m->n; i++)
        if (m->s[i].live && !ps_bytes_cmp(m->s[i].p, p) && advance(&m->s[i]))
            return 1;
    return 0;
}

/* Restrict: is some prefix read so far a prefix of a? The stack holds the
 * prefixes not yet passed, each a prefix of the next: one that is not a
 * prefix of a is no prefix of anything after a either. */
static int restricted(merge *m, ps_bytes a, int *keep)
{
    stream *pre = &m->s[1];
    while (pre->live && ps_bytes_cmp(pre->p, a) <= 0) {
        while (m->depth && !starts_with(pre->p, m->stack[m->depth - 1]))
            m->depth--;
        ps_buf *b = &m->stack_bytes[m->depth];
        ps_buf_clear(b, 0);
        if (ps_buf_append(b, pre->p.ptr, pre->p.len))
            return die("out of memory");
        m->stack[m->depth++] = ps_buf_bytes(b);
        if (advance(pre))
            return 1;
    }
    while (m->depth && !starts_with(a, m->stack[m->depth - 1]))
        m->depth--;
    *keep = m->depth > 0;
    return 0;
}

/* a's head goes out if keep; either way a moves on. 0: one went out, 1: an
 * error, TAKE_NONE: none did (the merge goes on). */
#define TAKE_NONE 2
static int take_a(merge *m, int keep, ps_bytes *p, int *has, uint64_t *v)
{
    stream *a = &m->s[0];
    if (keep)
        return emit(m, a, p, has, v) ? 1 : advance(a);
    return advance(a) ? 1 : TAKE_NONE;
}

static int merge_next(void *ctx, ps_bytes *p, int *has, uint64_t *v)
{
    merge *m = ctx;
    stream *a = &m->s[0];
    for (;;) {
        int i = least(m), keep = 0, r;
        if (i < 0 || (m->op != ALG_UNION && !a->live))
            return -1;
        ps_bytes h = m->s[i].p;
        switch (m->op) {
        case ALG_UNION:
            if (emit(m, &m->s[i], p, has, v))
                return 1;
            return skip_equal(m, ps_buf_bytes(&m->out));
        case ALG_INTERSECT: /* every stream must hold the least head */
            for (int k = 0; k < m->n; k++) {
                if (!m->s[k].live)
                    return -1;
                keep += !ps_bytes_cmp(m->s[k].p, h);
            }
            if (keep == m->n) {
                if (emit(m, a, p, has, v))
                    return 1;
                return skip_equal(m, ps_buf_bytes(&m->out));
            }
            if (skip_equal(m, h))
                return 1;
            break;
        case ALG_SUBTRACT: /* the others catch up with a's head */
            for (int k = 1; k < m->n; k++)
                while (m->s[k].live && ps_bytes_cmp(m->s[k].p, a->p) < 0)
                    if (advance(&m->s[k]))
                        return 1;
            for (int k = 1; k < m->n; k++)
                keep |= m->s[k].live && !ps_bytes_cmp(m->s[k].p, a->p);
            if ((r = take_a(m, !keep, p, has, v)) != TAKE_NONE)
                return r;
            break;
        case ALG_RESTRICT:
            if (restricted(m, a->p, &keep))
                return 1;
            if ((r = take_a(m, keep, p, has, v)) != TAKE_NONE)
                return r;
            break;
        }
    }
}

int alg_write(src *xs, int n, alg_op op, const wopts *o)
{
    merge m = { 0 };
    m.n = n;
    m.op = op;
    m.s = calloc((size_t)n, sizeof *m.s);
    if (!m.s)
        return die("out of memory");
    int rc = 0;
    uint64_t hint = 0;
    for (int i = 0; i < n && !rc; i++) {
        m.s[i].x = &xs[i];
        if (!(rc = cursor_open(&m.s[i].c, &xs[i], ps_bytes_of(NULL, 0))))
            rc = advance(&m.s[i]);
        hint += src_bytes(&xs[i]);
    }
    if (!rc && op == ALG_RESTRICT) { /* at most one stack entry per prefix byte */
        uint64_t longest = 0;
        ps_bytes p;
        ps_iter *it;
        if (ps_iter_new(xs[1].s, ps_bytes_of(NULL, 0), &it))
            rc = die("out of memory");
        while (!rc && ps_iter_next(it, &p, NULL, NULL) == PS_OK)
            longest = p.len > longest ? p.len : longest;
        ps_iter_free(it);
        m.stack = calloc(longest + 1, sizeof *m.stack);
        m.stack_bytes = calloc(longest + 1, sizeof *m.stack_bytes);
        if (!rc && (!m.stack || !m.stack_bytes))
            rc = die("out of memory");
        if (!rc)
            rc = write_stream(o, hint, xs[0].name, merge_next, &m);
        for (uint64_t i = 0; m.stack_bytes && i <= longest; i++)
            ps_buf_free(&m.stack_bytes[i]);
    } else if (!rc) {
        rc = write_stream(o, hint, xs[0].name, merge_next, &m);
    }
    for (int i = 0; i < n; i++)
        cursor_close(&m.s[i].c);
    free(m.s);
    free(m.stack);
    free(m.stack_bytes);
    ps_buf_free(&m.out);
    return rc;
}

/* PREFIXES: paths as they are, or for MeTTa text each atom's bytes up to
 * its first variable (sorted again: cutting changes the order). */
static int open_prefixes(src *x, const char *path)
{
    if (src_open(x, path, FMT_NONE))
        return 1;
    if (x->f != PS_FORMAT_METTA || !x->s)
        return 0;
    ps_space *cut;
    ps_iter *it;
    ps_bytes p;
    if (ps_space_new(&cut) || ps_iter_new(x->s, ps_bytes_of(NULL, 0), &it))
        return die("out of memory");
    int rc = 0;
    while (!rc && ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        /* the one prefix rule (count --prefix, HTTP count, client export
         * --prefix): the pattern's bytes up to its first variable */
        size_t n = ps_atom_prefix(p);
        rc = ps_space_insert(cut, ps_bytes_of(p.ptr, n), NULL) ? die("out of memory") : 0;
    }
    ps_iter_free(it);
    if (x->p)
        ps_pspace_close(x->p, NULL), x->p = NULL;
    else
        ps_space_free(x->s);
    x->s = cut;
    return rc;
}

static int algebra(int argc, char **argv, alg_op op)
{
    if (has_help(argc, argv, algebra_usage))
        return 0;
    wopts o = { 0 };
    int npos = 0;
    char **pos = calloc((size_t)argc, sizeof *pos);
    if (!pos)
        return die("out of memory");
    for (int i = 1; i < argc; i++) {
        int w = wopts_arg(&o, argc, argv, &i);
        if (w < 0) {
            free(pos);
            return 2;
        }
        if (!w && !strncmp(argv[i], "--", 2)) {
            free(pos);
            return die("%s: unexpected argument '%s' (see --help)", argv[0], argv[i]) + 1;
        }
        if (!w)
            pos[npos++] = argv[i];
    }
    int rc = 0;
    if (npos < 2 || (op == ALG_RESTRICT && npos != 2) || !o.out)
        rc = die("%s: needs %s -o OUT (see --help)", argv[0],
                 op == ALG_RESTRICT ? "A PREFIXES" : "A B...");
    if (!rc && (o.to = fmt_out(argv[0], o.out, o.to)) == FMT_NONE)
        rc = 1;
    src *xs = rc ? NULL : calloc((size_t)npos, sizeof *xs);
    int opened = 0;
    for (; xs && opened < npos; opened++) {
        int r = op == ALG_RESTRICT && opened == 1 ? open_prefixes(&xs[1], pos[1])
                                                  : src_open(&xs[opened], pos[opened], o.from);
        if (r) {
            rc = 1;
            break;
        }
    }
    if (!rc && !xs)
        rc = die("out of memory");
    if (!rc)
        rc = alg_write(xs, npos, op, &o);
    for (int i = 0; i < opened; i++)
        src_close(&xs[i]);
    free(xs);
    free(pos);
    return rc ? 2 : 0;
}

int cmd_union(int argc, char **argv)
{
    return algebra(argc, argv, ALG_UNION);
}

int cmd_intersect(int argc, char **argv)
{
    return algebra(argc, argv, ALG_INTERSECT);
}

int cmd_subtract(int argc, char **argv)
{
    return algebra(argc, argv, ALG_SUBTRACT);
}

int cmd_restrict(int argc, char **argv)
{
    return algebra(argc, argv, ALG_RESTRICT);
}
