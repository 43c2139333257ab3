/*
 * hello.c - a first program with libpathspace: load MeTTa atoms into a
 * space, add one, ask a query, save the space as a snapshot, and reopen the
 * snapshot to look atoms up in place.
 *
 *   cc hello.c $(pkg-config --cflags --libs pathspace) -o hello
 *   ./hello [DIR]      (writes DIR/kb.snap; DIR defaults to .)
 *
 * `make check` builds it against an installed copy, shared and static.
 */
#include <stdio.h>
#include <string.h>

#include <pathspace.h>

static const char kb[] = "(parent Tom Bob)\n"
                         "(= (grandparent $x $z) (, (parent $x $y) (parent $y $z)))\n";

static int fail(const char *what, int rc, const ps_diag *d)
{
    fprintf(stderr, "hello: %s: %s%s%s\n", what, ps_strerror(rc), d && d->msg[0] ? ": " : "",
            d ? d->msg : "");
    return 1;
}

/* Prints each atom of s as MeTTa text, after what. */
static void show(const char *what, const ps_space *s)
{
    ps_iter *it;
    ps_bytes a;
    ps_buf text = { 0 };
    printf("%s", what);
    if (ps_iter_new(s, ps_bytes_of(NULL, 0), &it) == PS_OK)
        while (ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
            ps_buf_clear(&text, 0);
            if (ps_atom_print(a, &text) == PS_OK)
                printf(" %.*s", (int)text.len, (const char *)ps_buf_data(&text));
        }
    printf("\n");
    ps_iter_free(it);
    ps_buf_free(&text);
}

int main(int argc, char **argv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/kb.snap", argc > 1 ? argv[1] : ".");
    if (ps_version() != PS_VERSION_NUMBER)
        fprintf(stderr, "hello: built with %s, running %s\n", PS_VERSION_STRING,
                ps_version_string());
    ps_space *s, *who;
    ps_diag d = { 0 };
    int rc;
    if ((rc = ps_space_new(&s)) || (rc = ps_space_new(&who)))
        return fail("setup", rc, NULL);

    /* load MeTTa text (ps_space_load_file reads a file the same way) */
    if ((rc = ps_space_load(s, kb, sizeof kb - 1, PS_FORMAT_METTA, &d)))
        return fail("load", rc, &d);

    /* add one atom: MeTTa text -> MORK's byte encoding -> the space */
    ps_buf atom = { 0 };
    if ((rc = ps_atom_parse("(parent Bob Ann)", 16, &atom, &d)) ||
        (rc = ps_space_insert(s, ps_buf_bytes(&atom), NULL)))
        return fail("add", rc, &d);

    /* query: whose grandparent is Ann? Each distinct result goes into who */
    ps_query *q;
    const char *pat = "(, (parent $x $y) (parent $y Ann))", *tmpl = "$x";
    if ((rc = ps_query_parse(pat, strlen(pat), tmpl, strlen(tmpl), &q, &d)) ||
        (rc = ps_query_into(q, ps_source_space(s), NULL, who, NULL, NULL, &d)))
        return fail("query", rc, &d);
    ps_query_free(q);
    show("grandparent of Ann:", who);

    /* save a snapshot (by the extension; published whole or not at all) */
    if ((rc = ps_space_save_file(s, path, 0, &d)))
        return fail("save", rc, &d);

    /* reopen it and look atoms up: each is found in one decoded chunk */
    ps_snap *snap;
    if ((rc = ps_snap_open(path, &snap, &d)))
        return fail("open", rc, &d);
    const char *ask[] = { "(parent Bob Ann)", "(parent Ann Tom)",
                          "(= (grandparent $a $c) (, (parent $a $b) (parent $b $c)))" };
    for (size_t i = 0; i < sizeof ask / sizeof ask[0]; i++) {
        ps_buf_clear(&atom, 0);
        if ((rc = ps_atom_parse(ask[i], strlen(ask[i]), &atom, &d)))
            return fail("parse", rc, &d);
        rc = ps_snap_get(snap, ps_buf_bytes(&atom), NULL, NULL, &d);
        if (rc != PS_OK && rc != PS_E_NOTFOUND)
            return fail("get", rc, &d);
        printf("%s %s\n", ask[i], rc == PS_OK ? "yes" : "no");
    }
    ps_snap_info info;
    ps_snap_info_get(snap, &info);
    printf("%llu atoms in %llu bytes\n", (unsigned long long)info.paths,
           (unsigned long long)info.file_bytes);
    ps_buf_free(&atom);
    ps_snap_close(snap);
    ps_space_free(who);
    ps_space_free(s);
    return 0;
}
