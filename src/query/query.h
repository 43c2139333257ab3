/* query.h - a compiled query (private to src/query: query.c makes it,
 * run.c runs it), and the run the server makes on its own thread. */
#ifndef PS_QUERY_QUERY_H
#define PS_QUERY_QUERY_H

#include "pathspace.h"

struct ps_query {
    ps_buf arena;       /* the compiled terms                        */
    uint64_t *pat, *tpl, *vars; /* roots: patterns, templates, variables */
    unsigned npat, ntpl, nvars;
    char *names[PS_MAX_VARS]; /* from the text, or NULL            */
};

/* ps_query_run on the calling thread (threads 1), for a caller whose
 * thread has MATCH_STACK of stack: the server's loop, which runs a
 * selective query in less time than a thread hand-off takes. */
int ps__query_run_here(const ps_query *q, ps_source src, const ps_query_opts *opts,
                       ps_query_fn fn, void *ctx, ps_query_stats *st, ps_diag *d);

#endif
