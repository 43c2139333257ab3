/*
 * hello.c - a first program with libpathspace: parse a few MeTTa atoms into
 * a space, save it as a snapshot, reopen the snapshot and ask it questions.
 *
 *   cc hello.c $(pkg-config --cflags --libs pathspace) -o hello
 *   ./hello [DIR]      (writes DIR/kb.snap; DIR defaults to .)
 *
 * `make check` builds it against an installed copy, shared and static.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pathspace.h>

static const char kb[] = "(parent Tom Bob)\n"
                         "(parent Bob Ann)\n"
                         "(= (grandparent $x $z) (, (parent $x $y) (parent $y $z)))\n";

static int fail(const char *what, int rc, const ps_diag *d)
{
    fprintf(stderr, "hello: %s: %s%s%s\n", what, ps_strerror(rc), d && d->msg[0] ? ": " : "",
            d ? d->msg : "");
    return 1;
}

int main(int argc, char **argv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/kb.snap", argc > 1 ? argv[1] : ".");
    if (ps_version() != PS_VERSION_NUMBER)
        fprintf(stderr, "hello: built with %s, running %s\n", PS_VERSION_STRING,
                ps_version_string());

    /* MeTTa text -> MORK's byte encoding -> the space */
    ps_space *s;
    ps_parser *p;
    ps_bytes atom;
    ps_diag d = { 0 };
    int rc;
    if ((rc = ps_space_new(&s)) || (rc = ps_parser_new(&p)))
        return fail("setup", rc, NULL);
    ps_parser_reset(p, kb, sizeof kb - 1);
    while ((rc = ps_parser_next(p, &atom, &d)) == PS_OK)
        if ((rc = ps_space_insert(s, atom, NULL)))
            return fail("insert", rc, NULL);
    ps_parser_free(p);
    if (rc != PS_E_EMPTY)
        return fail("parse", rc, &d);

    /* save a snapshot (default options: balanced, Zstd 1, XXH3) */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail(path, PS_E_IO, NULL);
    rc = ps_space_write_snap(s, ps_sink_fd(fd), NULL, NULL);
    if (close(fd) || rc)
        return fail("save", rc ? rc : PS_E_IO, NULL);

    /* reopen it and ask: the atom is found in one decoded chunk */
    ps_snap *snap;
    if ((rc = ps_snap_open(path, &snap, &d)))
        return fail("open", rc, &d);
    ps_buf q = { 0 };
    const char *ask[] = { "(parent Bob Ann)", "(parent Ann Tom)",
                          "(= (grandparent $a $c) (, (parent $a $b) (parent $b $c)))" };
    for (size_t i = 0; i < sizeof ask / sizeof ask[0]; i++) {
        ps_buf_clear(&q, 0);
        if ((rc = ps_atom_parse(ask[i], strlen(ask[i]), &q, &d)))
            return fail("parse", rc, &d);
        rc = ps_snap_get(snap, ps_buf_bytes(&q), NULL, NULL, &d);
        if (rc != PS_OK && rc != PS_E_NOTFOUND)
            return fail("get", rc, &d);
        printf("%s %s\n", ask[i], rc == PS_OK ? "yes" : "no");
    }
    ps_snap_info info;
    ps_snap_info_get(snap, &info);
    printf("%llu atoms in %llu bytes\n", (unsigned long long)info.paths,
           (unsigned long long)info.file_bytes);
    ps_buf_free(&q);
    ps_snap_close(snap);
    ps_space_free(s);
    return 0;
}
