/* cli.h - shared pieces of the pathspace command. */
#ifndef PS_CLI_H
#define PS_CLI_H

#include <stdio.h>

#include "pathspace.h"

/* A whole input in memory: mmap for files, read() for "-" (stdin). */
typedef struct input {
    const char *name;
    const uint8_t *data;
    size_t len;
    int mapped;
} input;

int input_open(input *in, const char *path);
void input_close(input *in);

/* An output that appears only when complete: a file is written under a
 * temporary name beside it (a signal removes it), then fsynced and renamed
 * over path; "-" is stdout, as it is. */
typedef struct outfile {
    const char *path;
    char tmp[4200]; /* "" for stdout */
    int fd;
    FILE *f; /* on fd, for writers that want stdio */
} outfile;
/* 0, or 1 after saying why. */
int out_begin(outfile *o, const char *path);
/* Publishes the output if ok (0 then), else removes it (1 then, and 1 too
 * when publishing fails, after saying why). */
int out_end(outfile *o, int ok);

/* Formats the CLI reads and writes: the library's (ps_format, its table
 * in src/import/load.c; docs/mork-formats.md); FMT_NONE: not known yet. */
typedef int fmt;
#define FMT_NONE 0
fmt fmt_parse(const char *name);    /* by name (ps_format_of) */
fmt fmt_from_ext(const char *path); /* by extension (ps_format_of) */
const char *fmt_name(fmt f);
/* The one rule for every command's OUT: `to` if given (--to), else OUT's
 * extension, else MeTTa text ("-", stdout, and any other name: the
 * "wrote OUT: ... as metta" line says so). FMT_NONE, after saying so, for
 * a format that is read only (JSON, CSV). */
fmt fmt_out(const char *cmd, const char *out, fmt to);
/* f if given, else by extension, else by content; FMT_NONE for stdin. */
fmt fmt_detect(const char *path, fmt f);

/* Loads MeTTa text (from a mapped input) into s. */
int load_metta(ps_space *s, const input *in, int quiet);
/* Loads a file of format f (FMT_NONE: by extension, else by content). */
int load_source(ps_space *s, const char *path, fmt f, int quiet);

/* A SRC: an ACT or a snapshot is queried in place, a directory is a
 * persistent space (opened without a final checkpoint: reading it changes
 * nothing but a torn log tail), other formats are loaded into a space. */
typedef struct src {
    const char *name;
    fmt f;
    ps_space *s;
    ps_act *a;
    ps_snap *n;
    ps_pspace *p; /* s is its space */
    ps_bucket *bk; /* s3://: n or s is its view's (src_open_bucket) */
} src;
int src_open(src *x, const char *path, fmt f);
void src_close(src *x);

typedef struct cursor {
    ps_iter *si;
    ps_act_iter *ai;
    ps_snap_iter *ni;
} cursor;
int cursor_open(cursor *c, const src *x, ps_bytes prefix);
/* 0 with the next path (*has: it has a value; an ACT's value 0 is none),
 * -1 at the end, 1 after reporting an error. */
int cursor_next(cursor *c, const src *x, ps_bytes *p, int *has, uint64_t *value);
/* Reports a ps_diag from reading x. */
int diag_die(const char *name, const ps_diag *d, int rc);
void cursor_close(cursor *c);

/* Writing a DEST. */
typedef struct wopts {
    const char *out;
    fmt from, to;
    int level, level_set; /* .paths: zlib 0..9 or PS_PATHS_LEVEL_FAST; .snap: the codec's */
    unsigned threads;     /* compressing threads, 0 = all CPUs */
    ps_snap_opts snap;    /* .snap: codec, priority, checksum, chunk size */
    int skip_ext, quiet;
} wopts;
/* Parses one option of convert/import at argv[*i]: 1 if taken, 0 if not
 * an output option, -1 after reporting a bad value. */
int wopts_arg(wopts *o, int argc, char **argv, int *i);
int write_dest(const src *x, const wopts *o);
/* The next path to write: 0 with it (valid until the next call), -1 at the
 * end, 1 after reporting an error. */
typedef int (*path_next_fn)(void *ctx, ps_bytes *p, int *has, uint64_t *value);
/* Writes the paths next() gives (in increasing order) to o->out; name is
 * what messages call the input, size_hint its path bytes (codec choice). */
int write_stream(const wopts *o, uint64_t size_hint, const char *name, path_next_fn next,
                 void *ctx);
/* The path bytes x holds (exact, or estimated from its file size). */
uint64_t src_bytes(const src *x);
/* "none", "lz4", ... for a ps_codec. */
const char *snap_codec_str(int codec);

int die(const char *msg, ...) __attribute__((format(printf, 1, 2)));
/* A query's exit status, for query and client query alike: results (0),
 * none (1), an error (2), or results a limit cut short (3: --limit was
 * reached before the search finished, or the server's cap cut them). */
enum { EXIT_RESULTS = 0, EXIT_NONE = 1, EXIT_ERROR = 2, EXIT_CUT = 3 };

/* progress.c: a status line on stderr for work that runs for seconds (a
 * terminal only, from a second in, wiped at the end). total 0: unknown. */
typedef struct progress {
    int on, shown;
    double t0, last;
    const char *what, *unit;
    uint64_t total;
} progress;
void progress_begin(progress *p, const char *what, const char *unit, uint64_t total, int quiet);
void progress_at(progress *p, uint64_t done);
void progress_end(progress *p);

/* report.c: a stats-like command's facts, as text lines or (--json) one
 * JSON object. Each fact is stated as a key and value (JSON only) and as
 * the line people read (report_text: text only). */
typedef struct report {
    void *g; /* yajl_gen, when JSON */
} report;
int report_begin(report *r, int json);
void report_u64(report *r, const char *key, uint64_t v);
void report_str(report *r, const char *key, const char *v);
/* A nested object or (list) array under key (NULL inside an array). */
void report_open(report *r, const char *key, int list);
void report_close(report *r, int list);
void report_text(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the JSON (if ok) and frees it. */
int report_end(report *r, int ok);
/* Adds the atoms of file (any format) to p as logged batches, saying how
 * many on stderr: 0, or 1 having said why (open --import, serve --import). */
int pspace_import(ps_pspace *p, const char *file);
/* Opens the persistent space in dir, saying how it recovered unless
 * quiet: 0, or 1 having said why. */
int open_space(const char *dir, const ps_pspace_opts *o, ps_pspace **p, int quiet);
/* A decimal u64 (nothing else): 0, or 1 if s is not one. */
int parse_u64(const char *s, uint64_t *out);
/* Bytes with an optional k, m or g suffix (powers of 1024), 1..max. */
int parse_bytes(const char *v, uint64_t max, uint64_t *out);

/* Signals (signals.c): install once; name the temporary output being
 * written (removed on SIGTERM/SIGINT/SIGHUP/SIGBUS) and the mapped inputs
 * (named if one shrinks underneath: SIGBUS). */
void sig_install(void);
void sig_temp_set(const char *path);
void sig_temp_clear(void);
void sig_input_push(const char *name);
void sig_input_pop(void);
int has_help(int argc, char **argv, const char *usage);
/* 1 if flag stands in argv[1..], which it is then taken out of. */
int take_flag(int *argc, char **argv, const char *flag);

/* "always", "everysec", "never" as a ps_fsync, or -1. */
int fsync_parse(const char *s);

/* The server and its client (cmd_serve.c, cmd_client.c, cmd_bench.c). */
#define PS_CLI_PORT 7420
/* The first line of FILE (a token: 1..256 bytes) into out[cap]; 0 or 1
 * after reporting. */
int read_token(const char *file, char *out, size_t cap);
int cmd_serve(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_shard(int argc, char **argv);
/* serve --shard-map FILE: the map in force, followed as the file changes
 * (serve_shard.c). id UINT64_MAX: the shard is found by self, the
 * server's binary address. 0, or 1 having said why. */
typedef struct shard_watch shard_watch;
int shard_watch_start(ps_served *sv, const char *file, uint64_t id, const char *self,
                      unsigned purge_after_s, shard_watch **out);
/* Stops following; the served space enforces no map after it. */
void shard_watch_stop(shard_watch *w);
/* A shard map as JSON (shardmap_out.c): begin, an entry a shard, end. */
/* Atoms to a server in requests of about BATCH_BYTES each (batch.c). */
#define BATCH_BYTES (4u << 20) /* a request's atoms: well under a frame */
typedef struct batch {
    ps_buf bytes;  /* the atoms back to back (an iterator's bytes do not stay) */
    size_t *end;   /* where each ends in bytes */
    size_t n, cap;
    ps_bytes *items;
} batch;
void batch_free(batch *b);
int batch_add(batch *b, ps_bytes a);
/* Sends b's atoms to c as one add (or remove), and empties b. */
int batch_send(ps_client *c, int add, batch *b, ps_change *ch, ps_diag *d);
/* Every atom of sp from `from` on to c, a batch at a time: *sent of them;
 * *total: the changes summed, the last reply's seq and atoms. */
int batch_all(ps_client *c, const ps_space *sp, ps_bytes from, int add, uint64_t *sent,
              ps_change *total, ps_diag *d);
/* The atoms of ATOM... or -f FILE (MeTTa text), parsed into sp; 1 having
 * said what is wrong and where. */
int items_load(int argc, char **argv, ps_space *sp);

typedef struct map_shard {
    uint32_t id;
    ps_bytes lo, hi;
    int has_lo, has_hi;        /* 0: unbounded on that side            */
    const char *file, *binary, *http; /* NULL or "": left out          */
    const char *bucket;        /* NULL or "": left out                 */
    uint64_t atoms;            /* 0: left out                          */
    int frozen, has_fhi;       /* a part [flo, fhi) being moved away   */
    ps_bytes flo, fhi;
} map_shard;
void map_begin(FILE *f, uint64_t version);
void map_entry(FILE *f, const map_shard *s, int last);
void map_end(FILE *f);
/* shard move MAP K --to ADDR (shard_move.c): a shard split online. */
int shard_move(const char *map, uint32_t k, const char *to, const char *to_http);
/* client --shards MAP COMMAND ... (cmd_routed.c) */
int client_routed(const char *file, const char *token, int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_bench_server(int argc, char **argv);

int cmd_import(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_contains(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_transform(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_union(int argc, char **argv);
int cmd_intersect(int argc, char **argv);
int cmd_subtract(int argc, char **argv);
int cmd_restrict(int argc, char **argv);

/* Queries (cmd_query.c): x as a query source; a query compiled from the
 * command line (reported: exit 2); q run on x into out (reported). */
ps_source src_source(const src *x);
int query_compile(const char *pat, const char *tpl, ps_query **q);
int query_into(const ps_query *q, const src *x, uint64_t limit, unsigned threads,
               ps_space *out, int stats, int join);

/* The algebra (cmd_algebra.c): the sources' sorted streams merged into o.
 * Restrict takes xs[1] as a space of prefixes. */
typedef enum alg_op { ALG_UNION, ALG_INTERSECT, ALG_SUBTRACT, ALG_RESTRICT } alg_op;
int alg_write(src *xs, int n, alg_op op, const wopts *o);

/* What recovery found and did (skipped checkpoints, a torn record, a
 * headless segment, cut log, dead writers' temp files), to stderr. */
void report_faults(const char *dir, const ps_recovery *r);

#endif
