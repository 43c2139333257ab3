/*
 * qhelp.h - what the query tests share: spaces from text, the same space
 * as an ACT and a snapshot in memory, and results as text.
 */
#ifndef PS_TESTS_QHELP_H
#define PS_TESTS_QHELP_H

#include "pathspace.h"
#include "prolog.h"

/* A space of the atoms of MeTTa text (REQUIREs that it parses). */
ps_space *q_space(const char *text);

/* One space seen as each source: itself, an ACT and a snapshot of small
 * chunks, both opened from memory. */
typedef struct q_sources {
    ps_space *s;
    ps_buf act_bytes, snap_bytes;
    ps_act *act;
    ps_snap *snap;
} q_sources;
void q_sources_open(q_sources *x, ps_space *s, uint32_t chunk_size);
void q_sources_close(q_sources *x); /* frees s too */
ps_source q_source(const q_sources *x, int i); /* i = 0 space, 1 ACT, 2 snapshot */
extern const char *const q_source_name[3];

/* The distinct results of q on src, one per line in trie order (malloc'd);
 * NULL after a failed run (rc in *rc). */
char *q_results(const ps_query *q, ps_source src, int *rc, ps_query_stats *st);
/* The same with that many search threads. */
char *q_results_threads(const ps_query *q, ps_source src, unsigned threads, int *rc,
                        ps_query_stats *st);
/* The same with these options. */
char *q_results_opts(const ps_query *q, ps_source src, const ps_query_opts *o, int *rc,
                     ps_query_stats *st);
/* Every path of s as text, one per line (malloc'd). */
char *q_dump(const ps_space *s);

/* Runs pl's n queries and checks each one's answer against want[i]; a
 * failure names the round and the query (what[i], may be NULL) and shows
 * both answers. */
void q_check_prolog(const char *file, int line, const pl_prog *pl, ps_space *const *want,
                    unsigned n, unsigned round, const char *const *what);

/* Checks that (pattern, template) on data gives want on every source. */
void q_check(const char *file, int line, const char *data, const char *pat, const char *tpl,
             const char *want);

#endif
