/* query.h - a compiled query (private to src/query: query.c makes it,
 * run.c runs it). */
#ifndef PS_QUERY_QUERY_H
#define PS_QUERY_QUERY_H

#include "pathspace.h"

struct ps_query {
    ps_buf arena;       /* the compiled terms                        */
    uint64_t *pat, *tpl, *vars; /* roots: patterns, templates, variables */
    unsigned npat, ntpl, nvars;
    char *names[PS_MAX_VARS]; /* from the text, or NULL            */
};

#endif
