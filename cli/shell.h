/* shell.h - pathspace shell: one interactive shell for a persistent space
 * in a directory and for a served one. The commands and their replies are
 * the client's (cmd_client.c prints through the same functions); what
 * differs is only where the space is, behind a backend. */
#ifndef PS_CLI_SHELL_H
#define PS_CLI_SHELL_H

#include "cli.h"

/* Where the space is. Every operation returns a ps_err and fills d. */
typedef struct shell_backend {
    void *ctx;
    const char *name; /* for the prompt: DIR, or host:port */
    /* text: MeTTa text of any number of atoms (len bytes). */
    int (*change)(void *ctx, int remove, const char *text, size_t len, ps_change *out,
                  ps_diag *d);
    /* bit i of bits (cleared first) for the i-th atom of text; *n atoms */
    int (*contains)(void *ctx, const char *text, size_t len, ps_buf *bits, uint64_t *n,
                    ps_diag *d);
    /* the atoms that begin with prefix (bytes; empty: all) */
    int (*count)(void *ctx, ps_bytes prefix, uint64_t *n, ps_diag *d);
    /* Each distinct result as a line of text (no newline) to fn, at most
     * limit (0: all); *cut: a limit stopped the search. */
    int (*query)(void *ctx, const char *pat, const char *tpl, uint64_t limit,
                 int (*fn)(void *, ps_bytes), void *fctx, int *cut, ps_diag *d);
    int (*transform)(void *ctx, const char *pat, const char *tpl, uint64_t *results,
                     ps_change *out, ps_diag *d);
    /* Every atom as text, one a line, into fd. */
    int (*export_text)(void *ctx, int fd, ps_diag *d);
    int (*checkpoint)(void *ctx, ps_ckpt_info *out, ps_diag *d);
    /* name/value pairs for stats */
    int (*stats)(void *ctx, report *r, ps_diag *d);
} shell_backend;

/* Runs the shell on stdin: a prompt, line editing, history and completion
 * when stdin is a terminal; errors are said and the session goes on,
 * unless strict (then the first one ends it). Exit status: 0, or 1 if a
 * command failed. */
int shell_run(const shell_backend *b, int strict);

int shell_local(shell_backend *b, ps_pspace *p, const char *dir);
/* cmd_client.c: the connection options taken out of argv (wherever they
 * stand), then a connection; 0, or 1 having said why. */
int client_connect(int *argc, char **argv, ps_client **c, char *where, size_t wcap);
/* pathspace shell --port P ...: the shell on a served space. */
int shell_served(int argc, char **argv, int strict);
/* Out of memory, said in d. */
int shell_nomem(ps_diag *d);
int shell_remote(shell_backend *b, ps_client *c, const char *where);

/* The replies, shared with pathspace client. */
void print_change(const ps_change *c);
void print_transform(uint64_t results, const ps_change *c);
void print_checkpoint(const ps_ckpt_info *ci);
/* The server's counters as stats prints them. */
void report_server_stats(report *r, const ps_server_stats *s);

#endif
