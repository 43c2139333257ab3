/*
 * pathspace.h - the one public header of pathspace.
 *
 * pathspace stores large sets of S-expression atoms (a MeTTa "space") as
 * byte paths in a trie, saves and reopens them quickly, reads and writes
 * MORK's files byte for byte, and keeps a space safe across crashes
 * (checkpoints in a content-addressed store, plus a write-ahead log).
 *
 * A first program (examples/hello.c; `make check` compiles and runs this
 * one too, tests/cli_install.sh, "header_example"):
 *
 *   ps_space *kb, *who;
 *   ps_diag d = { 0 };
 *   ps_space_new(&kb);
 *   ps_space_load_file(kb, "family.metta", 0, &d);       // load: format by extension
 *   ps_buf atom = { 0 };
 *   ps_atom_parse("(parent Bob Ann)", 16, &atom, &d);    // MeTTa -> MORK's bytes
 *   ps_space_insert(kb, ps_buf_bytes(&atom), NULL);      // add
 *   ps_query *q;                                         // query: who is Ann's parent?
 *   ps_query_parse("(parent $p Ann)", 15, "$p", 2, &q, &d);
 *   ps_space_new(&who);
 *   ps_query_into(q, ps_source_space(kb), NULL, who, NULL, NULL, &d);
 *   ps_space_save_file(kb, "kb.snap", 0, &d);            // save a snapshot
 *   ps_query_free(q), ps_buf_free(&atom), ps_space_free(who), ps_space_free(kb);
 *
 * The API, in the order a user meets it (each line a section below):
 *   version, errors, byte strings, diagnostics, limits
 *   atoms and MeTTa text      ps_atom_*, ps_parser_*
 *   the space                 ps_space_*, ps_builder_*, ps_iter_*
 *   sinks                     ps_sink_* (where saves write)
 *   loading and saving        ps_space_load[_file], ps_space_save[_file],
 *                             ps_format_*
 *   queries                   ps_query_*, ps_source_*
 *   space algebra             ps_space_union, _intersect, _subtract, ...
 *   programs                  ps_space_exec, ps_exec_* (MORK's exec rules)
 *   formats: JSON and CSV     ps_json_parse, ps_csv_parse
 *            MORK's .paths    ps_paths_*
 *            MORK's ACT       ps_act_*
 *            snapshots        ps_snap_* (pathspace's own MTTS format)
 *   the store: blobs          ps_store_*, ps_ref_*
 *              checkpoints    ps_ckpt_*
 *              persistent     ps_pspace_*
 *   serving: served spaces    ps_served_*
 *            (libpathspace-net only, marked PS_NET_API:)
 *            the protocol     ps_frame_*
 *            the server       ps_server_*
 *            the client       ps_client_*
 *            MORK's HTTP API  ps_http_*
 *   utilities                 external sort (ps_sorter_*), the generator
 *                             (ps_gen_text), little-endian helpers, ps_buf,
 *                             the buffer pool, the compact vector
 *                             (PS_VEC_DEFINE)
 *
 * Conventions (hold for every function below):
 *   - Functions that can fail return int: PS_OK (0) or a ps_err value.
 *     Results travel through out-parameters. ps_strerror() names every code.
 *   - Byte strings are {ptr, len} (ps_bytes). Nothing assumes a NUL.
 *   - Every *_free() and *_close() accepts NULL.
 *   - On error, nothing the caller owned is lost or leaked: a failed push,
 *     reserve or append leaves the container exactly as it was.
 *   - Threads: each handle type says what may run at once. "One thread at a
 *     time" means calls on that handle must not overlap (a caller may hand
 *     it from thread to thread); different handles are always independent.
 *
 * ABI (libpathspace.so.0, libpathspace-net.so.0): only the functions declared
 * here are exported (ps_ prefix). Option structs start with their own size (set it with the
 * matching *_init function, or .size = sizeof): a library with newer fields
 * gives the missing ones their defaults, and an older library refuses a
 * newer caller's non-zero fields with PS_E_UNSUPPORTED. Structs the library
 * fills end in spare words, so new results fit in place. Enum values and
 * error codes are fixed forever; new ones are only appended.
 */
#ifndef PATHSPACE_H
#define PATHSPACE_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PS_API __attribute__((visibility("default")))
#define PS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PS_MAYBE_UNUSED __attribute__((unused))
#else
#define PS_API
#define PS_PRINTF(f, a)
#define PS_MAYBE_UNUSED
#endif

/* Declarations marked PS_NET_API (the servers, the client, their protocol)
 * are in libpathspace-net only, which carries the core as well; the rest
 * are in both libraries (docs/architecture.md). */
#define PS_NET_API PS_API

/* ---------------------------------------------------------------- version */

#define PS_VERSION_MAJOR 0
#define PS_VERSION_MINOR 8
#define PS_VERSION_PATCH 0
#define PS_VERSION_NUMBER \
    (PS_VERSION_MAJOR * 10000 + PS_VERSION_MINOR * 100 + PS_VERSION_PATCH)
#define PS_VERSION_STRING "0.8.0"

/* The library's version as linked (compare with PS_VERSION_NUMBER). */
PS_API unsigned ps_version(void);
PS_API const char *ps_version_string(void);

/* ----------------------------------------------------------------- errors */

/* One enum for every outcome. Values are fixed forever: new codes are only
 * ever appended. errno is never mixed in; I/O failures say PS_E_IO and the
 * detail goes into the operation's message where it has one. */
typedef enum ps_err {
    PS_OK = 0,
    PS_E_NOMEM = 1,       /* allocation failed                                */
    PS_E_OVERFLOW = 2,    /* a count or size would pass its limit (e.g. 2^32-1) */
    PS_E_INVAL = 3,       /* invalid argument                                 */
    PS_E_IO = 4,          /* read/write/open failed                           */
    PS_E_CORRUPT = 5,     /* input is malformed                               */
    PS_E_TRUNCATED = 6,   /* input ends early                                 */
    PS_E_VERSION = 7,     /* newer format version or unknown flags            */
    PS_E_CHECKSUM = 8,    /* checksum or hash mismatch                        */
    PS_E_PARSE = 9,       /* text syntax error                                */
    PS_E_NOTFOUND = 10,   /* no such key, object or file                      */
    PS_E_EXISTS = 11,     /* already present                                  */
    PS_E_UNSUPPORTED = 12,/* valid but not representable / not implemented    */
    PS_E_LIMIT = 13,      /* input passes a format limit (e.g. 64 variables)  */
    PS_E_EMPTY = 14,      /* nothing to pop / take                            */
    PS_E_HASH = 15,       /* a stored object's bytes do not match its name     */
    PS_E_LOCKED = 16,     /* another process holds the persistent space        */
    PS_E_DENIED = 17,     /* authentication required or refused               */
    PS_E_PROTOCOL = 18,   /* a frame out of order, or of a type not allowed   */
    PS_E_CLOSED = 19,     /* the peer closed the connection                   */
    PS_E_READONLY = 20,   /* a read replica: writes go to its primary         */
    PS_E_MOVED = 21       /* the key belongs to another shard (reload the map) */
} ps_err;

#define PS_ERR_COUNT 22

/* A short, static, human-readable name for code (never NULL). */
PS_API const char *ps_strerror(int code);

/* ------------------------------------------------------------ byte string */

/* A borrowed byte string. Who owns ptr, and for how long it stays valid, is
 * stated by the function that hands one out. */
typedef struct ps_bytes {
    const uint8_t *ptr;
    size_t len;
} ps_bytes;

static inline ps_bytes ps_bytes_of(const void *p, size_t n)
{
    ps_bytes b = { (const uint8_t *)p, n };
    return b;
}

/* memcmp order, shorter first on a common prefix: the trie's order. */
static inline int ps_bytes_cmp(ps_bytes a, ps_bytes b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

/* A growable byte buffer (defined with the utilities at the end). Zero-init
 * ({0}) is a valid empty buffer; ps_buf_bytes() views its payload. */
typedef struct ps_buf ps_buf;

/* ------------------------------------------------------------ diagnostics */

/* Where and why an input was rejected. Parsers fill one when given it (NULL
 * is allowed). line and col are 1-based (0 for binary inputs); offset is the
 * byte offset in the input. msg is a complete sentence-fragment, e.g.
 * "unexpected ')'". */
typedef struct ps_diag {
    int code;
    uint64_t offset;
    uint32_t line, col;
    char msg[200];
} ps_diag;

/* ------------------------------------------------------------ limits */

/*
 * What every reader accepts from an input it does not trust (text, .paths,
 * ACT, snapshots, checkpoints), so that no small file makes a reader use
 * unbounded memory or time:
 *   - max_atom: the longest atom (path) in bytes. Longer ones are refused
 *     with PS_E_LIMIT and their offset (or line:column). Default 16 MiB;
 *     a snapshot cannot hold paths over 64 MiB less 29 bytes in any case.
 *   - a decoding budget: a reader produces at most max(min_budget,
 *     max_expansion x the input's size) bytes, counting each path as its
 *     length plus 32 (about what a path costs in a space). Defaults: 64x
 *     and 256 MiB. So a 10 MB input decodes to at most 640 MB, whatever it
 *     claims: a compression bomb, a front-coded snapshot whose paths share
 *     megabyte prefixes, or an ACT whose shared subtries hold 2^63 keys is
 *     refused (PS_E_LIMIT) before the work starts, or as soon as it passes.
 * The limits are process-wide; each reader takes them when it is created.
 * ps_limits_set is safe to call from any thread; readers made before it
 * keep the limits they took.
 */
#define PS_ATOM_MAX_DEFAULT (16u << 20)
#define PS_EXPANSION_DEFAULT 64u
#define PS_BUDGET_MIN_DEFAULT (256ull << 20)
#define PS_PATH_COST 32u /* bytes charged per path on top of its length */

typedef struct ps_limits {
    uint32_t size;          /* sizeof(ps_limits) (ps_limits_init sets it)  */
    uint32_t max_expansion; /* decoded bytes per input byte (>= 1)          */
    uint64_t max_atom;      /* longest atom in bytes (>= 1)                 */
    uint64_t min_budget;    /* what any input may decode to, however small  */
} ps_limits;
/* The defaults above. */
PS_API void ps_limits_init(ps_limits *l);
/* Sets the limits for readers created from now on: PS_E_INVAL for a zero
 * max_atom or max_expansion. */
PS_API int ps_limits_set(const ps_limits *l);
/* The limits in force now. */
PS_API void ps_limits_get(ps_limits *l);

/* ------------------------------------------------------------------ atoms */

/*
 * An atom is MORK's byte encoding of one S-expression (docs/encoding.md):
 * prefix order, one tag byte per item.
 *   0x00-0x3F  list of 0..63 children        0x80-0xBF  variable reference
 *   0xC0       new variable                  0xC1-0xFF  symbol of 1..63 bytes
 * pathspace extension (MORK leaves 0x40-0x7F unused), so nothing is lost:
 *   0x40 + u32 BE n   list of n >= 64 children
 *   0x41 + u32 BE n   symbol of n >= 64 bytes, then the bytes
 * Every other atom is byte-identical to MORK's encoding, and each atom has
 * exactly one encoding (the extension tags are used only where MORK's cannot
 * hold the atom).
 */
#define PS_MAX_VARS 64
#define PS_TAG_WIDE_LIST 0x40
#define PS_TAG_LONG_SYMBOL 0x41

/* Checks that `atom` starts with one complete, canonical atom; *len gets its
 * length (so a buffer of concatenated atoms can be walked). PS_E_TRUNCATED,
 * PS_E_CORRUPT (with d->offset) otherwise. */
PS_API int ps_atom_check(ps_bytes atom, size_t *len, ps_diag *d);
/* 1 if the atom uses no pathspace extension tag (MORK formats can hold it). */
PS_API int ps_atom_is_mork(ps_bytes atom);
/* The one rule of every route that saves atoms as .paths or ACT (the CLI,
 * both servers, Python, ps_space_save): 0 if `path` is a whole, valid atom
 * that needs an extension tag (a symbol over 63 bytes, a list over 63
 * items), which MORK cannot hold (it would truncate it); 1 for any other
 * byte path. Such an atom is refused, named by ps_refuse_extended, or
 * skipped when the caller asks. (The byte-level .paths and ACT writers
 * take any byte path, as PathMap does.) */
PS_API int ps_path_fits_mork(ps_bytes path);
/* Fills d with the refusal every route gives for such an atom: its number
 * (from 1) among those written, its text, and the format's name (PATHS or
 * ACT). Returns PS_E_UNSUPPORTED. */
PS_API int ps_refuse_extended(ps_bytes atom, uint64_t nth, int format, ps_diag *d);
/* Appends the atom as MeTTa text that re-parses to the same bytes (single
 * spaces, variables $a..$j, $x10..$x63; no newline). A symbol is written as
 * it is when that re-parses to it; otherwise each byte that would not
 * (space, paren, control byte, invalid UTF-8, a leading '$' '"' ';', a
 * backslash before "xNN") is written "\xNN", which the parser reads back
 * (docs/encoding.md). The text is valid UTF-8. Never reads past atom.len:
 * bytes that end early give PS_E_TRUNCATED, a reserved tag PS_E_CORRUPT
 * (ps_atom_check gives the full diagnosis with the offset). */
PS_API int ps_atom_print(ps_bytes atom, ps_buf *out);
/* As ps_atom_print, with every symbol written raw, as MORK's printer does:
 * what MORK's clients parse, but a symbol holding a space, a paren or a
 * leading '$' re-parses as other atoms. */
PS_API int ps_atom_print_mork(ps_bytes atom, ps_buf *out);

/* A streaming MeTTa text parser. Text rules: docs/encoding.md (MORK's, with
 * CR as whitespace and comments allowed before ')').
 * Threads: one thread at a time per parser. */
typedef struct ps_parser ps_parser;

PS_API int ps_parser_new(ps_parser **out);
PS_API void ps_parser_free(ps_parser *p);
/* Points the parser at text (not copied: it must outlive the parse). */
PS_API void ps_parser_reset(ps_parser *p, const void *text, size_t len);
/* Next top-level atom: PS_OK and *atom (valid until the next call), or
 * PS_E_EMPTY at the end, or PS_E_PARSE / PS_E_LIMIT with d filled (line,
 * column, offset). After an error the parser stays at the error. */
PS_API int ps_parser_next(ps_parser *p, ps_bytes *atom, ps_diag *d);
/* Bytes of text consumed so far (for progress reports). */
PS_API size_t ps_parser_offset(const ps_parser *p);
/* Parses text that must hold exactly one atom into out (appended). */
PS_API int ps_atom_parse(const void *text, size_t len, ps_buf *out, ps_diag *d);

/* ------------------------------------------------------------------ space */

/*
 * A set of byte paths (atoms, or any byte strings) in a path-compressed trie
 * whose nodes live in u32-indexed arenas (docs/space.md). Each path may carry
 * one u64 value. Iteration is in byte-lexicographic order, shorter first:
 * MORK's order.
 *
 * Threads: no internal locking. Any number of threads may read one space at
 * once (contains, get_value, count, stats, iterators, the writers of every
 * file format) while no thread changes it; a change (insert, remove,
 * set_value, clear, a builder) needs the space to itself.
 */
typedef struct ps_space ps_space;

PS_API int ps_space_new(ps_space **out);
PS_API void ps_space_free(ps_space *s);
/* Removes every path; keeps the arenas' memory for reuse. */
PS_API void ps_space_clear(ps_space *s);
/* *added (may be NULL) = 1 if the path was new. */
PS_API int ps_space_insert(ps_space *s, ps_bytes path, int *added);
/* *removed (may be NULL) = 1 if the path was there. */
PS_API int ps_space_remove(ps_space *s, ps_bytes path, int *removed);
PS_API int ps_space_contains(const ps_space *s, ps_bytes path);
/* Inserts the path if absent, and sets its value. */
PS_API int ps_space_set_value(ps_space *s, ps_bytes path, uint64_t value);
/* PS_E_NOTFOUND if the path is absent or has no value. */
PS_API int ps_space_get_value(const ps_space *s, ps_bytes path, uint64_t *value);
PS_API uint64_t ps_space_count(const ps_space *s);
/* The paths that start with prefix into *n, walking them (the whole space's
 * count is O(1)); with cap non-zero the walk stops at cap paths and *more
 * (may be NULL) says whether any were left. PS_E_NOMEM. */
PS_API int ps_space_count_prefix(const ps_space *s, ps_bytes prefix, uint64_t cap, uint64_t *n,
                                 int *more);

typedef struct ps_space_stats {
    uint64_t paths;       /* distinct paths                         */
    uint64_t path_bytes;  /* sum of their lengths                   */
    uint64_t nodes;       /* live trie nodes                        */
    uint64_t label_bytes; /* edge bytes stored (after prefix sharing) */
    uint64_t mem_bytes;   /* bytes allocated by the space's arenas  */
    uint64_t spare[4];    /* zero; room for new figures (ABI)       */
} ps_space_stats;
PS_API void ps_space_stats_get(const ps_space *s, ps_space_stats *st);

/* Bulk build from paths in strictly increasing order: no search per path,
 * the fastest way to fill a space (every loader uses it). The space must be
 * empty. A path not greater than the previous one is PS_E_INVAL, except an
 * exact duplicate, which is skipped. Each add is all or nothing, and the
 * space is usable at every point; after an allocation failure the builder
 * returns that error for every further add (free it; the space keeps every
 * path added before).
 * Threads: one thread at a time, and the space is the builder's alone until
 * the builder is freed. */
typedef struct ps_builder ps_builder;
PS_API int ps_builder_new(ps_space *s, ps_builder **out);
PS_API int ps_builder_add(ps_builder *b, ps_bytes path);
PS_API int ps_builder_add_value(ps_builder *b, ps_bytes path, uint64_t value);
PS_API void ps_builder_free(ps_builder *b);

/* Ordered iteration over the paths that start with prefix (empty = all).
 * The space must not change while an iterator is live.
 * Threads: one thread at a time per iterator; many iterators may walk one
 * space at once. */
typedef struct ps_iter ps_iter;
PS_API int ps_iter_new(const ps_space *s, ps_bytes prefix, ps_iter **out);
/* PS_OK with *path (valid until the next call; owned by the iterator),
 * *has_value and *value (either may be NULL), or PS_E_EMPTY at the end. */
PS_API int ps_iter_next(ps_iter *it, ps_bytes *path, int *has_value, uint64_t *value);
PS_API void ps_iter_free(ps_iter *it);

/* ------------------------------------------------------------------ sinks */

/* Where a writer's bytes go: write() must take all len bytes or fail
 * (returning a ps_err). A sink is called from one thread at a time. */
typedef struct ps_sink {
    int (*write)(void *ctx, const void *data, size_t len);
    /* Overwrites bytes already written (ACT's root offset, known only at
     * the end); NULL if the sink cannot. */
    int (*patch)(void *ctx, uint64_t offset, const void *data, size_t len);
    void *ctx;
} ps_sink;

/* A file descriptor (partial writes and EINTR are retried). patch is
 * pwrite at that file offset, so a writer that patches (ACT) needs the
 * descriptor to start at offset 0 of a regular file. */
PS_API ps_sink ps_sink_fd(int fd);
/* Appends to a ps_buf. */
PS_API ps_sink ps_sink_buf(ps_buf *b);

/* ------------------------------------------------ loading and saving */

/* The formats a space is loaded from and saved to (docs/mork-formats.md,
 * docs/format-snapshot.md, docs/json-csv.md). */
typedef enum ps_format {
    PS_FORMAT_METTA = 1, /* MeTTa text, one atom per top-level expression  */
    PS_FORMAT_PATHS,     /* MORK's .paths                                  */
    PS_FORMAT_ACT,       /* MORK's ACT                                     */
    PS_FORMAT_SNAP,      /* our snapshot                                   */
    PS_FORMAT_JSON,      /* load only: MORK's JSON mapping                 */
    PS_FORMAT_JSONL,     /* load only: JSON Lines                          */
    PS_FORMAT_CSV        /* load only: MORK's CSV mapping                  */
} ps_format;
/* The library's one table of formats, which the CLI and Python ask too.
 * A format by name ("metta", "paths", "act", "snap", "json", "jsonl",
 * "csv", "ndjson"), or by a file name's extension (.metta .paths .upaths
 * .paths.gz .act .snap .json .jsonl .ndjson .csv); 0 if neither. */
PS_API int ps_format_of(const char *name);
/* A format's name ("metta", ...), or NULL for a number that is none. */
PS_API const char *ps_format_name(int format);
/* 1 if ps_space_save writes format (JSON, JSON Lines and CSV are read only). */
PS_API int ps_format_saves(int format);
/* Adds every atom of data, in format, to s. Errors as the format's reader
 * gives them, with d (line:column for text, JSON and CSV; the byte offset
 * for the binary formats). */
PS_API int ps_space_load(ps_space *s, const void *data, size_t len, int format, ps_diag *d);
/* ps_space_load of a whole file, mapped; format 0 = by its extension. */
PS_API int ps_space_load_file(ps_space *s, const char *file, int format, ps_diag *d);
/* Writes every path of s to out: METTA (one atom a line, the lossless text
 * of ps_atom_print), PATHS, ACT (out must patch) or SNAP (default options).
 * PATHS and ACT refuse an atom MORK cannot hold (ps_path_fits_mork):
 * PS_E_UNSUPPORTED, with d naming it (its number and text). */
PS_API int ps_space_save(const ps_space *s, ps_sink out, int format, ps_diag *d);
/* ps_space_save into file (format 0 = by its extension), published whole
 * or not at all: written beside it under a temporary name, synced, then
 * renamed over it and its directory synced. */
PS_API int ps_space_save_file(const ps_space *s, const char *file, int format, ps_diag *d);
/* ps_space_save with flags: PS_SAVE_SKIP_EXTENDED leaves such atoms out of
 * PATHS and ACT instead, and counts them in *skipped (may be NULL). */
#define PS_SAVE_SKIP_EXTENDED 1u
PS_API int ps_space_save_with(const ps_space *s, ps_sink out, int format, unsigned flags,
                              uint64_t *skipped, ps_diag *d);
/* The length of atom's constant prefix: its bytes up to the first
 * variable (all of it when it has none). '(parent $x $y)' gives the prefix
 * every (parent ...) atom starts with. atom must pass ps_atom_check. */
PS_API size_t ps_atom_prefix(ps_bytes atom);

/* ---------------------------------------------------------------- queries */

/*
 * MORK's queries (docs/query.md): a pattern, or a conjunction (, p1 ... pn)
 * whose patterns share their variables, matched by full syntactic
 * unification with the occurs check against every atom of a source (a
 * stored atom's own variables are renamed apart for each match), and a
 * template, or (, t1 ... tm), instantiated with each most general unifier.
 * The search walks the source's trie: constant parts descend, a variable
 * takes one whole subterm in each branch, and a conjunction matches the
 * pattern with the fewest candidates first. Nothing is scanned.
 *
 * A compiled query never changes, so any number of threads may run one at
 * once (each run keeps its own state). A source must not change while a run
 * reads it.
 */
typedef struct ps_query ps_query;

/* Compiles MeTTa text: pattern (an atom or "(, ...)") and template (an atom
 * or "(, ...)"; NULL = the pattern itself). A name means one variable in
 * both. PS_E_PARSE with d's line:column counted in the part that is wrong
 * (d->msg says which), PS_E_LIMIT past 64 variables or patterns. */
PS_API int ps_query_parse(const char *pattern, size_t plen, const char *tmpl, size_t tlen,
                          ps_query **out, ps_diag *d);
/* Compiles one atom in MORK's encoding, (PATTERN TEMPLATE), as a client of
 * the server sends it. PS_E_INVAL if it is not one. */
PS_API int ps_query_new(ps_bytes spec, ps_query **out, ps_diag *d);
PS_API void ps_query_free(ps_query *q);
PS_API unsigned ps_query_patterns(const ps_query *q);
/* The query's variables, numbered by first appearance (pattern first). */
PS_API unsigned ps_query_vars(const ps_query *q);
/* Variable i's name ("$x"), or NULL (ps_query_new has no names). */
PS_API const char *ps_query_var_name(const ps_query *q, unsigned i);

/* Where a query runs. ps_pspace_space() gives a persistent space's; the
 * files a query reads in place are opened by their sections below. */
typedef struct ps_act ps_act;   /* MORK's ACT file (ps_act_open)          */
typedef struct ps_snap ps_snap; /* a snapshot (ps_snap_open)              */
typedef enum ps_source_kind {
    PS_SRC_SPACE = 1, /* an in-memory space                            */
    PS_SRC_ACT,       /* an ACT file, in place through its mapping      */
    PS_SRC_SNAP       /* a snapshot, decoding only the chunks a walk
                       * reaches (a chunk cache of its own per run)    */
} ps_source_kind;

typedef struct ps_source {
    int kind; /* ps_source_kind */
    union {
        const ps_space *space;
        const ps_act *act;
        const ps_snap *snap;
    } u;
} ps_source;

static inline ps_source ps_source_space(const ps_space *s)
{
    ps_source x;
    x.kind = PS_SRC_SPACE;
    x.u.space = s;
    return x;
}
static inline ps_source ps_source_act(const ps_act *a)
{
    ps_source x;
    x.kind = PS_SRC_ACT;
    x.u.act = a;
    return x;
}
static inline ps_source ps_source_snap(const ps_snap *n)
{
    ps_source x;
    x.kind = PS_SRC_SNAP;
    x.u.snap = n;
    return x;
}

typedef enum ps_query_mode {
    PS_QUERY_TEMPLATES = 0, /* each solution: each template, instantiated */
    PS_QUERY_BINDINGS,      /* each solution: one list atom, the values of
                             * the query's variables in order ($0 ... $n-1),
                             * their unbound variables numbered together */
    PS_QUERY_COUNT          /* nothing handed out: the solutions (unifiers)
                             * counted in ps_query_stats.solutions; where the
                             * plan allows, the leapfrog join counts the
                             * last variables without enumerating them */
} ps_query_mode;

typedef struct ps_query_opts {
    uint32_t size;   /* sizeof(ps_query_opts) (ps_query_opts_init)      */
    int mode;        /* ps_query_mode                                   */
    uint64_t limit;  /* stop after this many results (0: no limit);
                      * ps_query_into: this many distinct results       */
    uint32_t snap_cache; /* PS_SRC_SNAP: decoded chunks a search thread
                          * holds at once (0: 16); the handle keeps more
                          * for every query on it (ps_snap_set_cache)   */
    unsigned threads;    /* search threads (0 = one per CPU; default 1)  */
    uint64_t max_steps;  /* stop with PS_E_LIMIT once a search thread has
                          * read this many positions of the source (0: no
                          * budget): work bounded however few results   */
    int join;            /* ps_join: which algorithm (PS_JOIN_AUTO)      */
} ps_query_opts;

/* The join algorithms (docs/query.md, "join algorithms"). Every one gives
 * the same results: the choice is speed only. */
typedef enum ps_join {
    PS_JOIN_AUTO = 0, /* the planner chooses, per query                  */
    PS_JOIN_NESTED,   /* one pattern at a time, by unification           */
    PS_JOIN_LEAPFROG  /* one variable at a time over every pattern (worst-
                       * case optimal); where a stored atom the query
                       * reaches holds a variable, the run is nested's  */
} ps_join;
/* Templates, no limit, one search thread. */
PS_API void ps_query_opts_init(ps_query_opts *o);

typedef struct ps_query_stats {
    uint64_t atoms;     /* stored atoms a pattern matched whole           */
    uint64_t nodes;     /* trie positions the search stepped through      */
    uint64_t solutions; /* most general unifiers found                    */
    uint64_t results;   /* atoms handed to the callback                   */
    uint64_t chunks;    /* PS_SRC_SNAP: chunks decoded                    */
    uint64_t join;      /* the ps_join that gave the results              */
    uint64_t spare[2];
} ps_query_stats;

/* Receives each result: a template instantiated (or the bindings) as an
 * atom in MORK's encoding, valid during the call. Non-zero stops the run.
 * Results come in the order the search finds them and may repeat (one per
 * solution); a set of distinct results is what a caller keeps, e.g. in a
 * space (docs/query.md). fn runs on a search thread of the run, never on
 * two at once; with threads > 1 the order varies from run to run. */
typedef int (*ps_query_fn)(void *ctx, ps_bytes result);

/* Runs q on src, and returns when the search is done. The search runs on
 * threads of its own (each with 64 MiB of stack: it recurses once per
 * step, up to 65536 steps along one path). PS_OK when the search is done
 * or was stopped (the limit, or fn's non-zero); a damaged source's error
 * (PS_E_CORRUPT, PS_E_CHECKSUM) with d; PS_E_LIMIT with d when a result
 * would need more than 64 variables or a path of the search passes 65536
 * steps; PS_E_NOMEM if the threads cannot start. opts and st may be NULL;
 * st's work figures are summed over the threads. */
PS_API int ps_query_run(const ps_query *q, ps_source src, const ps_query_opts *opts,
                        ps_query_fn fn, void *ctx, ps_query_stats *st, ps_diag *d);
/* Runs q on src and adds each distinct result to out (which may be the
 * source's own space only if it is not src: a space that changes under a
 * run is undefined). *added (may be NULL): results that were new. */
PS_API int ps_query_into(const ps_query *q, ps_source src, const ps_query_opts *opts,
                         ps_space *out, uint64_t *added, ps_query_stats *st, ps_diag *d);

/* ---------------------------------------------------------- space algebra */

/*
 * PathMap's join, meet, subtract and restrict on spaces, in place: a
 * becomes a ∪ b, a ∩ b, a \ b, or the paths of a that start with some path
 * of b. Values: a path in a keeps its own value; union gives a's new paths
 * b's values. Each is one merge of the two spaces' sorted walks, linear in
 * their path bytes, with the result bulk-built (as ps_builder does) and
 * swapped into a; on PS_E_NOMEM a is unchanged. a and b must be different
 * spaces.
 */
PS_API int ps_space_union(ps_space *a, const ps_space *b);
PS_API int ps_space_intersect(ps_space *a, const ps_space *b);
PS_API int ps_space_subtract(ps_space *a, const ps_space *b);
PS_API int ps_space_restrict(ps_space *a, const ps_space *prefixes);

/* -------------------------------------------------------------- programs */

/*
 * MORK's exec rules (its MM2 calculus; docs/exec.md). An exec atom
 *
 *   (exec LOC (, p1 ... pn) (, t1 ... tm))     or with sources and sinks,
 *   (exec LOC (I s1 ... sn) (O k1 ... km))
 *
 * is a rule: each solution of the patterns (unified with the space's atoms,
 * each atom renamed apart) instantiates the templates, which are written to
 * the space. A run repeats: take the byte-order-smallest exec atom (so LOC
 * orders them), remove it, match against the space as it was when the step
 * began (the exec atom included: a rule sees itself), then apply the
 * step's writes. A rule that should persist writes itself back. The run
 * ends when no exec atom is left, or the budget is spent.
 *
 * Sources: (BTM p), (ACT name p), (== p q), (!= p q). Sinks: + - U AU head
 * tail count sum hash and fsum fmin fmax fprod pure ACT; pure evaluates 370
 * functions on fixed-width numbers and symbols. z3 and wasm are refused.
 *
 * A step is all or nothing: a step that fails writes nothing (its exec atom
 * stays removed, as in MORK), and is reported, not fatal. Work, results and
 * bytes are bounded per step by the options.
 */
typedef enum ps_exec_error {
    PS_EXEC_OK = 0,
    PS_EXEC_E_SHAPE,       /* not (exec LOC (,|I ...) (,|O ...))             */
    PS_EXEC_E_LOC,         /* LOC holds a variable                           */
    PS_EXEC_E_SOURCE,      /* an (I ...) factor that is no source            */
    PS_EXEC_E_SINK,        /* an (O ...) template that is no sink (or has the
                            * wrong number of arguments)                     */
    PS_EXEC_E_UNSUPPORTED, /* z3 or wasm, which pathspace does not run        */
    PS_EXEC_E_ARG,         /* a head/tail count or an ACT name that is wrong   */
    PS_EXEC_E_ACT,         /* an ACT file: no --act-dir, a bad name, or it
                            * cannot be read or written                      */
    PS_EXEC_E_PAYLOAD,     /* a sum/and/f* payload of the wrong form, or pure
                            * with a symbol where its result goes            */
    PS_EXEC_E_VARS,        /* an atom would hold more than 64 variables      */
    PS_EXEC_E_RESULTS,     /* the step passed max_results                     */
    PS_EXEC_E_BYTES,       /* the step passed max_bytes                       */
    PS_EXEC_E_WORK,        /* the step's matching passed max_work             */
    PS_EXEC_E_NOMEM,
    PS_EXEC_E_COUNT
} ps_exec_error;
/* A short name for a ps_exec_error ("shape", "loc", ...). */
PS_API const char *ps_exec_error_name(int code);

/* A failed step, as on_error receives it (valid during the call). */
typedef struct ps_exec_failure {
    int code;        /* ps_exec_error                                     */
    ps_bytes exec;   /* the exec atom                                     */
    uint64_t at;     /* where in it the fault is (0: the whole atom)       */
    uint64_t step;   /* its index in the run, from 0                      */
    int detail;      /* PS_E_ code of an I/O or engine error, else 0      */
} ps_exec_failure;

typedef struct ps_exec_stats {
    uint64_t execs;     /* exec atoms run                                  */
    uint64_t returned;  /* MORK's count: execs, or steps if the budget ended
                         * the run (its off-by-one)                        */
    uint64_t failed;    /* steps that failed (on_error saw each)           */
    uint64_t solutions; /* solutions of all the steps' patterns            */
    uint64_t added;     /* atoms the run added that were new               */
    uint64_t removed;   /* atoms it removed that were there                */
    uint64_t dropped;   /* pure instances dropped by an evaluation error   */
    uint64_t ns;        /* time in steps                                   */
    int stopped;        /* progress asked the run to stop                  */
    uint32_t spare32;
    uint64_t spare[4];
} ps_exec_stats;

typedef struct ps_exec_opts {
    uint32_t size;        /* sizeof(ps_exec_opts) (ps_exec_opts_init)       */
    int exact;            /* 0: MORK's budget, steps + 1 execs; 1: steps    */
    uint64_t steps;       /* the budget (default 10^15, as mork run's)      */
    int timing;           /* after each step add (timing X I NS): the exec
                           * atom, its index from 0, its nanoseconds          */
    const char *act_dir;  /* (ACT name ...) is DIR/name.act; NULL refuses
                           * every ACT source and sink                      */
    uint64_t max_results; /* per step: template instances (default 2^27)    */
    uint64_t max_bytes;   /* per step: their bytes (default 4 GiB)           */
    uint64_t max_work;    /* per step: positions matching reads (0: none)    */
    unsigned threads;     /* search threads for a step whose exec has one
                           * template and no sources (0: one per CPU;
                           * default 1)                                     */
    int stop_on_error;    /* the first step that fails ends the run (as a
                           * thread of MORK's server does)               */
    /* asked before each step (may be NULL): non-zero ends the run there */
    int (*stop)(void *ctx);
    /* each failed step (may be NULL) */
    void (*on_error)(void *ctx, const ps_exec_failure *f);
    /* called about 10 times a second with the figures so far (may be NULL):
     * non-zero stops the run after the current step */
    int (*progress)(void *ctx, const ps_exec_stats *st, uint64_t atoms);
    void *ctx;
} ps_exec_opts;
PS_API void ps_exec_opts_init(ps_exec_opts *o);

/* Runs the exec atoms of s until none is left or the budget is spent. The
 * matching runs on a thread of its own (64 MiB of stack, as queries do).
 * PS_OK however many steps failed (st says how many; on_error says which);
 * PS_E_NOMEM or PS_E_INVAL (d) when the run itself cannot go on. */
PS_API int ps_space_exec(ps_space *s, const ps_exec_opts *o, ps_exec_stats *st, ps_diag *d);
/* The same on a persistent space (its section below): each step is one
 * logged change (ps_pspace_apply), so a run killed at any moment reopens
 * at a step boundary, with no step applied twice or lost, and runs on from
 * there. A log that fails stops the run with its error. */
typedef struct ps_pspace ps_pspace;
PS_API int ps_pspace_exec(ps_pspace *p, const ps_exec_opts *o, ps_exec_stats *st, ps_diag *d);

/* --------------------------------------------------------- JSON and CSV */

/*
 * MORK's import mappings (docs/json-csv.md). JSON: every leaf becomes one
 * atom of nested pairs from the root to it, {"a": {"b": [x]}} -> (a (b (0
 * x))): keys and strings as symbols (no quotes), array elements keyed by
 * index, numbers in MORK's form (3.1415926 -> 31415926e-7), true, false,
 * null, {} and [] as symbols. JSON Lines (PS_JSON_LINES): each non-empty
 * line a document, its atoms (JSONL <n> ...) with n from 0. CSV: row n
 * (from 0, empty lines skipped) becomes (n field1 field2 ...), quoted
 * fields by RFC 4180. The empty string, which no symbol of MORK's encoding
 * holds, becomes the symbol "". Both stream: memory is bounded by the
 * nesting depth (512 at most) or one row, never by the input. Errors:
 * PS_E_PARSE with line:column (and, for CSV, the row and field in msg),
 * PS_E_LIMIT past ps_limits' max_atom or the depth.
 */
#define PS_JSON_LINES 1u

typedef struct ps_import_stats {
    uint64_t atoms;   /* handed to fn                                  */
    uint64_t records; /* documents, JSON lines or CSV rows             */
    uint64_t bytes;   /* input read                                    */
    uint64_t spare[3];
} ps_import_stats;

/* Receives each atom (valid during the call); non-zero stops the parse
 * with that code. */
typedef int (*ps_atom_fn)(void *ctx, ps_bytes atom);
PS_API int ps_json_parse(const void *data, size_t len, unsigned flags, ps_atom_fn fn, void *ctx,
                         ps_import_stats *st, ps_diag *d);
PS_API int ps_csv_parse(const void *data, size_t len, ps_atom_fn fn, void *ctx,
                        ps_import_stats *st, ps_diag *d);

/* ------------------------------------------------------ MORK .paths files */

/*
 * MORK's .paths file (docs/mork-formats.md): one zlib stream of records
 * [u32 LE length][path bytes], in sorted order, no values. The reader also
 * takes the older gzip-wrapped files and reports any damage (corrupt or cut
 * stream, checksum, a record running past the data, trailing bytes) as an
 * error with its offset, never as a silent partial load.
 * Threads: writers and readers are used by one thread at a time (a writer
 * compresses on threads of its own).
 */
#define PS_PATHS_LEVEL_DEFAULT 7 /* MORK's */
#define PS_PATHS_LEVEL_FAST (-1) /* isa-l igzip: ~10x zlib 7, ~15% larger */

typedef struct ps_paths_opts {
    uint32_t size;    /* sizeof(ps_paths_opts) (ps_paths_opts_init sets it) */
    int level;        /* zlib 0..9, or PS_PATHS_LEVEL_FAST            */
    unsigned threads; /* compressing threads; 0 = one per CPU, 1 = the
                       * caller's own (no thread is started)           */
} ps_paths_opts;
/* Level 7 (MORK's), one thread per CPU. */
PS_API void ps_paths_opts_init(ps_paths_opts *o);

typedef struct ps_paths_stats {
    uint64_t paths;      /* records                                    */
    uint64_t raw_bytes;  /* decompressed: 4 * paths + path bytes       */
    uint64_t file_bytes; /* compressed bytes written or consumed       */
    uint64_t spare[4];
} ps_paths_stats;

/* Streaming writer: records go in as given (the caller keeps them sorted
 * for MORK), compressed in 1 MiB chunks on `threads` threads. Output is the
 * same bytes whatever the thread count. opts NULL = ps_paths_opts_init's. */
typedef struct ps_paths_writer ps_paths_writer;
PS_API int ps_paths_writer_new(ps_sink out, const ps_paths_opts *opts, ps_paths_writer **w);
PS_API int ps_paths_writer_add(ps_paths_writer *w, ps_bytes path);
/* Flushes and ends the stream; st may be NULL. */
PS_API int ps_paths_writer_finish(ps_paths_writer *w, ps_paths_stats *st);
PS_API void ps_paths_writer_free(ps_paths_writer *w);

/* Streaming reader over a whole file in memory (e.g. mmap; not copied) or a
 * file descriptor (read in blocks). Memory is bounded by the longest record,
 * which grows only as its bytes actually arrive. */
typedef struct ps_paths_reader ps_paths_reader;
PS_API int ps_paths_reader_new(const void *data, size_t len, ps_paths_reader **r);
PS_API int ps_paths_reader_new_fd(int fd, ps_paths_reader **r);
/* PS_OK and *path (valid until the next call), PS_E_EMPTY after the last
 * record, or an error with d (offset = compressed byte offset; msg names the
 * record and its decompressed offset). Errors are sticky. */
PS_API int ps_paths_reader_next(ps_paths_reader *r, ps_bytes *path, ps_diag *d);
PS_API void ps_paths_reader_stats(const ps_paths_reader *r, ps_paths_stats *st);
PS_API void ps_paths_reader_free(ps_paths_reader *r);

/* Every path of s, sorted: any byte paths, as PathMap holds them. Saving
 * atoms for MORK goes through ps_space_save, which keeps MORK's rule. */
PS_API int ps_space_write_paths(const ps_space *s, ps_sink out, const ps_paths_opts *opts,
                                ps_paths_stats *st);
/* Adds every record of r to s (bulk build when s is empty and the records
 * are sorted, as MORK writes them; inserts otherwise). */
PS_API int ps_space_read_paths(ps_space *s, ps_paths_reader *r, ps_diag *d);

/* --------------------------------------------------------- MORK ACT files */

/*
 * MORK's ArenaCompactTree file, magic "ACTree03" (docs/mork-formats.md): a
 * trie of byte-offset-addressed records, every key with a u64 value, queried
 * in place. pathspace writes a path without a value as value 0 (as MORK
 * does) and reads value 0 back as "no value".
 */
typedef struct ps_act_stats {
    uint64_t paths;      /* keys (with a value)                        */
    uint64_t file_bytes;
    uint64_t branches;   /* branch node records                        */
    uint64_t lines;      /* line node records                          */
    uint64_t line_data;  /* distinct line byte strings written or seen */
    uint64_t line_bytes; /* their bytes                                */
    uint32_t merges;     /* append-only merge trailers (0: base file)  */
    uint32_t spare32;
    uint64_t path_bytes; /* verify: the keys' bytes in all (saturating) */
    uint64_t spare[3];
} ps_act_stats;

/* Streaming writer from strictly increasing paths (PS_E_INVAL otherwise),
 * byte-for-byte PathMap's writer. Memory: the longest path plus the line
 * dedup table, whatever the number of paths.
 * Threads: one thread at a time. */
typedef struct ps_act_writer ps_act_writer;
PS_API int ps_act_writer_new(ps_sink out, ps_act_writer **w);
PS_API int ps_act_writer_add(ps_act_writer *w, ps_bytes path, uint64_t value);
PS_API int ps_act_writer_finish(ps_act_writer *w, ps_act_stats *st);
PS_API void ps_act_writer_free(ps_act_writer *w);
PS_API int ps_space_write_act(const ps_space *s, ps_sink out, ps_act_stats *st);

/* A read-only ACT file. Opening checks the magic and the root offset only
 * (O(1)); every query checks each record it touches, so a hostile file gives
 * PS_E_CORRUPT (d: offset and why), never a crash or an endless loop, with
 * or without ps_act_verify.
 * Threads: the handle never changes after open, so any number of threads
 * may query it at once (get, count, verify, new iterators); close it only
 * when none is left. */
typedef struct ps_act ps_act;
/* ps_act_open and ps_snap_open map the file. As with any mapping, a file
 * that another process cuts short while it is open raises SIGBUS at the
 * next access past the cut (LMDB documents the same); a program that must
 * survive that reads the file itself and uses *_open_mem, or catches
 * SIGBUS (the pathspace command does: it names the file and exits 1). */
PS_API int ps_act_open(const char *file, ps_act **a, ps_diag *d); /* mmap */
PS_API int ps_act_open_mem(const void *data, size_t len, ps_act **a, ps_diag *d);
PS_API void ps_act_close(ps_act *a);
/* PS_OK (value may be NULL), PS_E_NOTFOUND, or PS_E_CORRUPT. */
PS_API int ps_act_get(const ps_act *a, ps_bytes path, uint64_t *value, ps_diag *d);
/* Keys under prefix, counted without building paths, in time linear in the
 * records (a file's shared subtries may stand for far more keys than it has
 * bytes); saturates at UINT64_MAX. */
PS_API int ps_act_count(const ps_act *a, ps_bytes prefix, uint64_t *n, ps_diag *d);
/* Checks every record reachable from the root once: well-formed, every
 * offset backwards and inside the arena and before every parent, child
 * bytes ascending. st gets the record counts, the keys (st->paths) and their
 * bytes. A file verify passes is one every iteration and lookup accepts. */
PS_API int ps_act_verify(const ps_act *a, ps_act_stats *st, ps_diag *d);

/* Ordered iteration of the keys under prefix, zero-copy except for the
 * path being assembled. The keys under prefix are measured first (linear in
 * records): more than the decoding budget (ps_limits) is PS_E_LIMIT from
 * the first ps_act_iter_next. Threads: one thread at a time per iterator. */
typedef struct ps_act_iter ps_act_iter;
PS_API int ps_act_iter_new(const ps_act *a, ps_bytes prefix, ps_act_iter **it);
/* PS_OK with *path (valid until the next call) and *value, PS_E_EMPTY at
 * the end, or PS_E_CORRUPT with d. */
PS_API int ps_act_iter_next(ps_act_iter *it, ps_bytes *path, uint64_t *value, ps_diag *d);
PS_API void ps_act_iter_free(ps_act_iter *it);
/* Adds every key (value 0 = none) to s; bulk build when s is empty. */
PS_API int ps_space_read_act(ps_space *s, const ps_act *a, ps_diag *d);

/* ------------------------------------------------------ MTTS snapshots */

/*
 * pathspace's own snapshot, magic "MTTS" (docs/format-snapshot.md): sorted
 * paths front-coded into independent chunks, each compressed and
 * checksummed, written and read in parallel, with an index of every chunk's
 * first path so one chunk answers a lookup. The fastest way to save and
 * reopen a space, and the payload of checkpoints.
 */
#define PS_SNAP_VERSION 1
#define PS_SNAP_CHUNK_DEFAULT (256u << 10) /* raw bytes per chunk */
#define PS_SNAP_CHUNK_MIN (4u << 10)
#define PS_SNAP_CHUNK_MAX (64u << 20)     /* also the longest path, less 16 */

typedef enum ps_codec {
    PS_CODEC_AUTO = 0, /* chosen by priority and size (docs/format-snapshot.md) */
    PS_CODEC_NONE,
    PS_CODEC_LZ4,      /* level 1 (default): LZ4; 2..12: LZ4HC          */
    PS_CODEC_ZSTD,     /* level -7..22 (0: default 1)                   */
    PS_CODEC_ZLIB      /* level 1..9 (0: default 6)                     */
} ps_codec;

typedef enum ps_priority {
    PS_PRIORITY_BALANCED = 0,
    PS_PRIORITY_SPEED,
    PS_PRIORITY_SIZE
} ps_priority;

typedef enum ps_checksum {
    PS_CHECKSUM_XXH3 = 0, /* XXH3-64: ~10 GB/s                          */
    PS_CHECKSUM_BLAKE2B   /* BLAKE2b-256 (libsodium): ~0.9 GB/s, cryptographic */
} ps_checksum;

typedef struct ps_snap_opts {
    uint32_t size;       /* sizeof(ps_snap_opts) (ps_snap_opts_init sets it) */
    int codec;           /* ps_codec; AUTO = by priority               */
    int level;           /* 0 = the codec's (or priority's) default    */
    int priority;        /* ps_priority, used when codec is AUTO       */
    int checksum;        /* ps_checksum                                */
    unsigned threads;    /* compressing threads; 0 = one per CPU, 1 =
                          * the caller's own (no thread is started)    */
    uint32_t chunk_size; /* raw bytes per chunk; 0 = default           */
    uint64_t size_hint;  /* expected path bytes, for AUTO (0 = unknown) */
} ps_snap_opts;
/* Balanced priority (Zstd 1), XXH3, one thread per CPU, default chunks. */
PS_API void ps_snap_opts_init(ps_snap_opts *o);

/* What a snapshot holds (from its trailer, or what a writer wrote). */
typedef struct ps_snap_info {
    uint16_t version;
    int codec, level, checksum; /* ps_codec (never AUTO), its level, ps_checksum */
    int values;                 /* some path has a value                */
    uint32_t chunk_size;        /* the writer's target                  */
    uint64_t paths;
    uint64_t path_bytes;        /* sum of path lengths                  */
    uint64_t chunks;
    uint64_t raw_bytes;         /* front-coded bytes before compression */
    uint64_t file_bytes;
    uint64_t spare[4];
} ps_snap_info;

/* The codec and level opts resolve to for `size` path bytes: the
 * priority table, exposed so callers and the CLI can show the choice. */
PS_API int ps_snap_resolve(const ps_snap_opts *opts, uint64_t size, int *codec, int *level);

/* Streaming writer from strictly increasing paths (PS_E_INVAL otherwise).
 * Memory: about 2 x threads x chunk_size, plus the index (one first path
 * per chunk). Output is the same bytes whatever the thread count. The
 * header's counts are patched at the end when the sink can patch; without
 * patch they read "unknown" and the trailer has them.
 * Threads: one thread at a time (it compresses on threads of its own). */
typedef struct ps_snap_writer ps_snap_writer;
PS_API int ps_snap_writer_new(ps_sink out, const ps_snap_opts *opts, ps_snap_writer **w);
PS_API int ps_snap_writer_add(ps_snap_writer *w, ps_bytes path);
PS_API int ps_snap_writer_add_value(ps_snap_writer *w, ps_bytes path, uint64_t value);
/* Writes the last chunk, the index and the trailer; info may be NULL. */
PS_API int ps_snap_writer_finish(ps_snap_writer *w, ps_snap_info *info);
PS_API void ps_snap_writer_free(ps_snap_writer *w);
PS_API int ps_space_write_snap(const ps_space *s, ps_sink out, const ps_snap_opts *opts,
                               ps_snap_info *info);

/* A read-only snapshot. Opening checks header, index and trailer against
 * the file checksum, in O(index); each chunk's own checksum is checked
 * whenever the chunk is decoded. Errors: PS_E_VERSION (newer version,
 * unknown flags, non-zero reserved bits), PS_E_CHECKSUM (d->msg names the
 * chunk, or "header/index"), PS_E_CORRUPT, PS_E_TRUNCATED; d->offset is the
 * file offset. Paths handed out stay valid until the next call on the
 * same handle or iterator.
 * Threads: ps_snap_get keeps a one-chunk cache in the handle, so gets on
 * one handle run one thread at a time. Everything that takes a const
 * ps_snap (info, verify, iterators, ps_space_read_snap) may run on any
 * number of threads at once, beside one thread's gets. */
typedef struct ps_snap ps_snap;
PS_API int ps_snap_open(const char *file, ps_snap **out, ps_diag *d); /* mmap: see ps_act_open */
PS_API int ps_snap_open_mem(const void *data, size_t len, ps_snap **out, ps_diag *d);
PS_API void ps_snap_close(ps_snap *s);

/* A snapshot kept elsewhere (an object in a bucket: ps_bucket_open),
 * read by byte range. Opening reads the header, the trailer and the index
 * (three reads) and checks them as ps_snap_open does; each chunk is read
 * the first time a reader reaches it, and checked by its checksum as
 * always. Readers that walk chunks in order read more at once (the window
 * doubles, up to 8 MiB). Memory: what was read; the file's length is only
 * reserved as address space. Reads run one at a time, on the thread that
 * needs them. done (may be NULL) is called once, at close or when the open
 * fails. */
typedef struct ps_snap_reader {
    uint64_t size; /* the snapshot's length in bytes */
    /* Exactly len bytes at off into buf, or an error code (and d). */
    int (*read)(void *arg, uint64_t off, void *buf, size_t len, ps_diag *d);
    void (*done)(void *arg);
    void *arg;
} ps_snap_reader;
PS_API int ps_snap_open_reader(const ps_snap_reader *r, ps_snap **out, ps_diag *d);
/* Reads, in one read per 64 MiB, every chunk not yet read that can hold a
 * path starting with prefix: a query reads what it reaches anyway, and
 * this saves it the round trips. Nothing to do for a snapshot in memory. */
PS_API int ps_snap_fetch(ps_snap *s, ps_bytes prefix, ps_diag *d);
/* The reads made so far and the bytes they read (0 in memory). */
PS_API void ps_snap_fetched(const ps_snap *s, uint64_t *reads, uint64_t *bytes);

PS_API void ps_snap_info_get(const ps_snap *s, ps_snap_info *info);
/* Looks the path up in the one chunk that can hold it: PS_OK (has_value,
 * value may be NULL), PS_E_NOTFOUND, or an error with d. */
PS_API int ps_snap_get(ps_snap *s, ps_bytes path, int *has_value, uint64_t *value,
                       ps_diag *d);
/* Decodes every chunk (on `threads` threads, 0 = one per CPU) and checks
 * all of it: checksums, entries, order across chunks, counts. */
PS_API int ps_snap_verify(const ps_snap *s, unsigned threads, ps_diag *d);
/* Queries on a snapshot in place read its chunks decoded whole; the
 * handle keeps those it decoded for every later query and search thread
 * on it, up to this many bytes beyond what running queries hold (least
 * recently used go first). Default PS_SNAP_CACHE_DEFAULT; 0 keeps none
 * past each query. Safe while queries run. */
#define PS_SNAP_CACHE_DEFAULT (256ull << 20)
PS_API void ps_snap_set_cache(ps_snap *s, uint64_t bytes);

/* Ordered iteration under prefix, one chunk decoded at a time, no space.
 * Threads: one thread at a time per iterator. */
typedef struct ps_snap_iter ps_snap_iter;
PS_API int ps_snap_iter_new(const ps_snap *s, ps_bytes prefix, ps_snap_iter **it);
PS_API int ps_snap_iter_next(ps_snap_iter *it, ps_bytes *path, int *has_value,
                             uint64_t *value, ps_diag *d);
PS_API void ps_snap_iter_free(ps_snap_iter *it);

/* Where the snapshot splits into `parts` key ranges holding about as many
 * paths each, from the chunk index alone (nothing is decoded): keys[0..*n)
 * ascending, each a chunk's first path, valid while s is open; *n is
 * parts - 1, or fewer when there are too few chunks. Range k is
 * [keys[k-1], keys[k]), the first unbounded below, the last above. */
PS_API int ps_snap_split_keys(const ps_snap *s, uint32_t parts, ps_bytes *keys, uint32_t *n);

/* Adds every path (and value) to sp: chunks decoded on `threads` threads
 * while this one bulk-builds (sp empty) or inserts (otherwise). */
PS_API int ps_space_read_snap(ps_space *sp, const ps_snap *s, unsigned threads, ps_diag *d);

/* ------------------------------------------------------------- shard maps */

/*
 * A space split by key range into shards (docs/replication.md, "Shards";
 * `pathspace shard split` writes the map as JSON): the ranges, in order,
 * covering every key once, and where each shard is served. A key is an
 * atom's encoding; a pattern reaches the shards whose range meets the keys
 * that start with its constant prefix (ps_atom_prefix).
 */
typedef struct ps_shardmap ps_shardmap;
typedef struct ps_shard_info {
    uint32_t id;
    ps_bytes lo, hi;            /* the range [lo, hi)                       */
    int bounded_lo, bounded_hi; /* 0: unbounded on that side (lo/hi empty)  */
    const char *binary, *http;  /* "host:port", or "" when the map has none */
    const char *bucket;         /* "s3://...": the shard's space, replicated,
                                 * holding exactly this range (ps_bucket_open);
                                 * "" when the map has none                 */
    uint64_t atoms;             /* when split (0: not said)                 */
} ps_shard_info;
/* Checks the whole map (format, version, ranges that cover every key once,
 * addresses) before it returns it. */
PS_API int ps_shardmap_parse(const void *json, size_t len, ps_shardmap **out, ps_diag *d);
PS_API int ps_shardmap_load(const char *file, ps_shardmap **out, ps_diag *d);
PS_API void ps_shardmap_free(ps_shardmap *m);
PS_API uint64_t ps_shardmap_version(const ps_shardmap *m);
PS_API uint32_t ps_shardmap_count(const ps_shardmap *m);
/* The JSON the map was parsed from, byte for byte (valid while m is). */
PS_API ps_bytes ps_shardmap_json(const ps_shardmap *m);
PS_API int ps_shardmap_shard(const ps_shardmap *m, uint32_t i, ps_shard_info *out);
/* The shard holding key, and whether shard i holds it. */
PS_API uint32_t ps_shardmap_route(const ps_shardmap *m, ps_bytes key);
PS_API int ps_shardmap_holds(const ps_shardmap *m, uint32_t i, ps_bytes key);
/* 1 when shard i's map marks key frozen: a part of its range being copied
 * to another shard (an online split), whose writes wait (PS_E_LOCKED). */
PS_API int ps_shardmap_frozen(const ps_shardmap *m, uint32_t i, ps_bytes key);
/* The shard served at binary address "host:port", or UINT32_MAX. */
PS_API uint32_t ps_shardmap_find(const ps_shardmap *m, const char *binary);
/* The shards pattern can match atoms in, ascending, into ids[0..cap);
 * returns how many there are (more than cap: only cap written). */
PS_API uint32_t ps_shardmap_reach(const ps_shardmap *m, ps_bytes pattern, uint32_t *ids,
                                  uint32_t cap);

/* ------------------------------------------------------------- blob store */

/*
 * A content-addressed store of immutable objects on the local filesystem
 * (docs/store.md). An object is named by the hash of its bytes:
 *
 *   <root>/sha256/ab/ab12...ef      objects (2-hex fan-out, full hex name)
 *   <root>/refs/checkpoints/...     refs: a name -> an object id, one file each
 *   <root>/temp/                    writes in progress
 *
 * A write goes to a temp file in 256 KiB chunks, hashed as it goes, then is
 * fsynced (unless nosync), renamed into place atomically, and the directory
 * fsynced. An object already present is never stored twice: a put under
 * 1 MiB hashes first and writes nothing; a larger one (hashed while it is
 * written) finds the duplicate at the rename and drops its temp file.
 * Any failure removes the temp file. Every read checks the bytes against the
 * name and reports PS_E_HASH when they differ. Every path is built from a
 * validated id or ref name under the root's directory descriptor: nothing
 * outside the root can be read or written through this API.
 */
typedef enum ps_hash {
    PS_HASH_SHA256 = 0,  /* OpenSSL SHA-256, the default; "sha256"          */
    PS_HASH_BLAKE2BP = 1,/* libb2 BLAKE2bp-256, cryptographic, ~2x faster   */
    PS_HASH_XXH128 = 2   /* XXH3-128, ~25x faster, NOT collision-resistant:
                          * only for stores that trust everything they hold */
} ps_hash;
#define PS_HASH_COUNT 3

#define PS_OID_MAX 32       /* bytes of the longest hash            */
#define PS_OID_STR_MAX 80   /* "blake2bp:" + 64 hex + NUL, rounded   */
typedef struct ps_oid {
    uint8_t hash;           /* ps_hash                              */
    uint8_t len;            /* bytes used in id: 32, 32 or 16       */
    uint8_t id[PS_OID_MAX];
} ps_oid;

/* "sha256:<64 hex>". Returns the length written (without the NUL). */
PS_API size_t ps_oid_format(const ps_oid *oid, char out[PS_OID_STR_MAX]);
/* Parses "<hash>:<hex>" (or bare 64 hex, read as sha256); exact lengths,
 * lower-case hex only. PS_E_INVAL otherwise. */
PS_API int ps_oid_parse(const char *s, ps_oid *oid);
PS_API int ps_oid_equal(const ps_oid *a, const ps_oid *b);
/* The hash of data under `hash`, as an oid (what put would name it). */
PS_API int ps_oid_of(int hash, const void *data, size_t len, ps_oid *oid);
PS_API const char *ps_hash_name(int hash);

typedef struct ps_store_opts {
    uint32_t size;  /* sizeof(ps_store_opts) (ps_store_opts_init sets it) */
    int hash;       /* ps_hash for new objects (reads take any)          */
    int nosync;     /* 1: skip fsync (fast, not durable across a crash)  */
    uint32_t gc_grace_s; /* gc spares objects younger than this (default
                          * 3600): a put and the ref that names it may be
                          * that far apart; 0 collects at once            */
} ps_store_opts;
/* SHA-256, durable, gc grace one hour. */
PS_API void ps_store_opts_init(ps_store_opts *o);

/* Threads: a store handle may be used by any number of threads at once
 * (every call opens what it needs under the root's descriptor). Writers,
 * readers and blobs are each used by one thread at a time.
 * Processes: any number may use one store at once. Writes hold <root>/LOCK
 * shared while they run; gc and checkpoint pruning hold it exclusively,
 * and refuse (PS_E_LOCKED) while a persistent space is open on the store.
 * A put that finds its object present touches it; gc spares objects
 * younger than gc_grace_s; a ref is set only to an object that exists. So
 * no ref is left dangling, however a put, a ref and a gc interleave. */
typedef struct ps_store ps_store;
/* Opens (create: makes the directories) the store at root; opts NULL =
 * ps_store_opts_init's. d says which step failed. */
PS_API int ps_store_open(const char *root, const ps_store_opts *opts, int create,
                         ps_store **out, ps_diag *d);
PS_API void ps_store_close(ps_store *st);

/* Stores len bytes; *oid names them; *added is 0 when they were present. */
PS_API int ps_store_put(ps_store *st, const void *data, size_t len, ps_oid *oid, int *added,
                        ps_diag *d);

/* Streaming write for objects larger than memory: write any number of
 * times, then finish (publishes) or free (abandons; the temp file goes). */
typedef struct ps_store_writer ps_store_writer;
PS_API int ps_store_writer_new(ps_store *st, ps_store_writer **w, ps_diag *d);
PS_API int ps_store_writer_write(ps_store_writer *w, const void *data, size_t len);
PS_API ps_sink ps_store_writer_sink(ps_store_writer *w); /* no patch */
PS_API int ps_store_writer_finish(ps_store_writer *w, ps_oid *oid, int *added, ps_diag *d);
PS_API void ps_store_writer_free(ps_store_writer *w);

/* Reads verify the bytes against the name unless PS_READ_NOVERIFY (for a
 * caller that checks them another way, e.g. a checkpoint's own checksum). */
#define PS_READ_NOVERIFY 1
/* The whole object into out (replacing its payload; sized exactly, once):
 * PS_E_HASH if the bytes are not what the name says, PS_E_NOTFOUND. */
PS_API int ps_store_get(ps_store *st, const ps_oid *oid, int flags, ps_buf *out,
                        ps_diag *d);
/* Zero-copy: the object mapped read-only (verified first, per flags). The
 * bytes stay valid until ps_blob_free. */
typedef struct ps_blob ps_blob;
PS_API int ps_store_map(ps_store *st, const ps_oid *oid, int flags, ps_blob **b,
                        ps_diag *d);
PS_API ps_bytes ps_blob_bytes(const ps_blob *b);
PS_API void ps_blob_free(ps_blob *b);
/* Streaming read: read until *n == 0 (the end). The last call returns
 * PS_E_HASH instead of the end when the bytes did not match the name. */
typedef struct ps_store_reader ps_store_reader;
PS_API int ps_store_reader_new(ps_store *st, const ps_oid *oid, ps_store_reader **r,
                               ps_diag *d);
PS_API int ps_store_reader_read(ps_store_reader *r, void *buf, size_t cap, size_t *n,
                                ps_diag *d);
PS_API uint64_t ps_store_reader_size(const ps_store_reader *r);
PS_API void ps_store_reader_free(ps_store_reader *r);

/* 1 present, 0 absent (never an error). */
PS_API int ps_store_exists(ps_store *st, const ps_oid *oid);
PS_API int ps_store_size(ps_store *st, const ps_oid *oid, uint64_t *size);
/* PS_E_NOTFOUND if absent. Refs to it are not touched (gc is the safe way). */
PS_API int ps_store_delete(ps_store *st, const ps_oid *oid);

/* Visits every object (in directory order). cb returning non-zero stops
 * the walk and is returned. */
PS_API int ps_store_each(ps_store *st,
                         int (*cb)(void *ctx, const ps_oid *oid, uint64_t size), void *ctx);
typedef struct ps_store_stats {
    uint64_t objects, bytes; /* every object and their total size */
    uint64_t refs;
    uint64_t temp_files;     /* writes in progress or abandoned     */
    uint64_t spare[4];
} ps_store_stats;
PS_API int ps_store_stats_get(ps_store *st, ps_store_stats *s);

/* Refs: names made of '/'-separated components of [A-Za-z0-9._-], none
 * empty, "." or "..", at most 200 bytes in all (so at most 100 deep). Set
 * is atomic and crash-safe (temp file, fsync, rename, fsync dir): a reader
 * sees the old or the new id, never a mix. Set refuses an object the
 * store does not hold (PS_E_NOTFOUND): a ref never dangles. */
PS_API int ps_ref_name_valid(const char *name);
PS_API int ps_ref_set(ps_store *st, const char *name, const ps_oid *oid, ps_diag *d);
PS_API int ps_ref_get(ps_store *st, const char *name, ps_oid *oid, ps_diag *d);
PS_API int ps_ref_delete(ps_store *st, const char *name);
/* Refs under prefix ("" for all, "checkpoints/" for a folder), sorted by
 * name, at any depth a name allows. cb returning non-zero stops the walk
 * and is returned. A ref whose content is not an id is passed with oid
 * NULL. Entries of refs/ that no valid name can reach (symlinks, odd
 * names) are not refs: ps_store_verify reports them. */
PS_API int ps_ref_each(ps_store *st, const char *prefix,
                       int (*cb)(void *ctx, const char *name, const ps_oid *oid), void *ctx);

/* Removes every object no ref names that is older than the grace period,
 * and every temp file whose writer is gone (a writer holds a lock on its
 * temp file while it writes). Holds the store exclusively: PS_E_LOCKED
 * while a persistent space is open on it. A ref that cannot be read or is
 * not an object id stops gc (PS_E_CORRUPT, naming it): gc cannot know
 * what that ref would keep. */
typedef struct ps_gc_stats {
    uint64_t kept, removed, removed_bytes, temp_removed;
    uint64_t young;        /* unnamed, but spared by the grace period */
    uint64_t spare[3];
} ps_gc_stats;
PS_API int ps_store_gc(ps_store *st, ps_gc_stats *gs, ps_diag *d);

/* A full check, as git fsck: every object re-hashed; every ref read, and
 * the object it names present; every entry of refs/ that is not a ref (a
 * symlink, a name no ref can have, a file too deep) reported. report (may
 * be NULL) hears each problem with its code (PS_E_HASH, PS_E_CORRUPT,
 * PS_E_NOTFOUND) and a line saying what; d gets the first. Returns PS_OK,
 * or the code of the first problem. */
typedef struct ps_verify_stats {
    uint64_t objects, bad_objects; /* re-hashed; not what their name says */
    uint64_t refs, bad_refs;       /* read; unreadable, not an id, or naming no object */
    uint64_t strays;               /* entries of refs/ that are no ref */
    uint64_t spare[3];
} ps_verify_stats;
PS_API int ps_store_verify(ps_store *st, void (*report)(void *ctx, int code, const char *what),
                           void *ctx, ps_verify_stats *vs, ps_diag *d);

/* ------------------------------------------------------------ checkpoints */

/*
 * A checkpoint is a store object: a 72-byte header, then a snapshot
 * (docs/format-checkpoint.md). All integers little-endian.
 *
 *    0  8  magic "PSCHKPT\n"          40  8  atom count
 *    8  4  format version (1)         48  8  log position (last WAL seq in it)
 *   12  4  header size (72)           56  8  creation time, ns since 1970
 *   16  8  payload length             64  4  flags (0; reserved, must be 0)
 *   24  8  payload XXH3-64            68  4  low 32 bits of XXH3-64 of [0,68)
 *   32  8  sequence number
 *
 * The ref checkpoints/<seq, 16 hex> names each one. Checkpoint functions
 * are as thread-safe as the store they are given.
 */
#define PS_CKPT_VERSION 1
#define PS_CKPT_HEADER 72
#define PS_CKPT_MAX_SKIPS 8

typedef struct ps_ckpt_info {
    uint64_t seq, atoms, log_pos, created_ns;
    uint64_t payload_len, payload_sum;
    uint32_t version;
    ps_oid oid;
    int status;          /* ps_ckpt_list: PS_OK if the header reads well */
    uint64_t spare[4];
} ps_ckpt_info;

/* Fills out[PS_CKPT_HEADER] (version, size and header checksum included). */
PS_API void ps_ckpt_header_encode(const ps_ckpt_info *ci, uint8_t *out);
/* Checks the header alone: magic, version (newer = PS_E_VERSION), header
 * size, flags, header checksum. */
PS_API int ps_ckpt_header_decode(const void *data, size_t len, ps_ckpt_info *ci, ps_diag *d);
/* Checks a whole checkpoint: the header, then that the payload length and
 * checksum match, before anything uses the payload. */
PS_API int ps_ckpt_check(const void *data, size_t len, ps_ckpt_info *ci, ps_bytes *payload,
                         ps_diag *d);

/* Saves s as checkpoint seq (0: one past the newest) with log position
 * log_pos; the header is written into room kept in front of the snapshot,
 * so the payload is never copied. so NULL = ps_snap_opts_init's. */
PS_API int ps_ckpt_save(ps_store *st, const ps_space *s, const ps_snap_opts *so, uint64_t seq,
                        uint64_t log_pos, ps_ckpt_info *out, ps_diag *d);
/* Every checkpoint, newest first, header read (status says if it is bad).
 * *out is malloc'd; free() it. */
PS_API int ps_ckpt_list(ps_store *st, ps_ckpt_info **out, size_t *n, ps_diag *d);

typedef struct ps_ckpt_skip {
    uint64_t seq;
    int code;
    char msg[200];
} ps_ckpt_skip;
typedef struct ps_ckpt_report {
    uint32_t skipped;                    /* checkpoints passed over         */
    ps_ckpt_skip skip[PS_CKPT_MAX_SKIPS];/* the first ones, newest first     */
    uint64_t spare[4];
} ps_ckpt_report;
/* Loads checkpoint seq into the empty space s; seq 0 = the newest valid
 * one, falling back past corrupt ones (each noted in rep). A checkpoint of
 * a newer format (PS_E_VERSION) is not passed over: loading an older one in
 * its place could hide newer changes, so restore stops there unless flags
 * has PS_RESTORE_PAST_NEWER. PS_E_NOTFOUND if there is none.
 * What is checked before anything is used: the header (magic, version,
 * size, XXH3 header checksum, flags), that the ref's number is the header's
 * sequence, the payload's length and XXH3-64 checksum, then every check of
 * the snapshot as it loads, and the atom count. The object's SHA-256 is not
 * recomputed (the checksums above cover every byte); `store verify` does. */
#define PS_RESTORE_PAST_NEWER 1
PS_API int ps_ckpt_restore(ps_store *st, uint64_t seq, int flags, ps_space *s, unsigned threads,
                           ps_ckpt_info *used, ps_ckpt_report *rep, ps_diag *d);
/* Keeps the newest `keep` checkpoints (at least 1) whose header, length
 * and payload checksum check out; drops the refs of the rest (damaged ones
 * included) and their objects. Checkpoints of a newer format are never
 * dropped, nor counted. Holds the store exclusively (PS_E_LOCKED while a
 * persistent space is open on it, from another process). */
PS_API int ps_ckpt_prune(ps_store *st, size_t keep, uint64_t *removed, ps_diag *d);

/* ------------------------------------------------------- persistent space */

/*
 * A directory holding a space that survives crashes (docs/store.md):
 *
 *   DIR/store/   blob store; checkpoints under refs/checkpoints/
 *   DIR/wal/     log segments <first seq, 16 hex>.log
 *   DIR/LOCK     flock()ed while open: one process at a time
 *
 * Every add/remove is appended to the log (and fsynced, under
 * PS_FSYNC_ALWAYS) before it is applied and acknowledged. Opening = the
 * newest valid checkpoint + a replay of the log after its position. A torn
 * last record is dropped and reported; damage before the tail is
 * PS_E_CORRUPT naming the file and offset, unless truncate_corrupt. A
 * checkpoint whose log position lies past the end of the log is refused
 * (PS_E_CORRUPT): records after it would be skipped unseen. A newest
 * checkpoint from a newer pathspace makes open refuse (PS_E_VERSION)
 * unless past_newer. Temp files of writers that died (a crash inside a
 * checkpoint) are removed. The space holds its store, so another
 * process's gc or prune refuses while it is open.
 *
 * Threads: one thread at a time per handle (the everysec sync runs on a
 * thread of its own and needs nothing from the caller). The space that
 * ps_pspace_space returns may be read between calls, never during one.
 */
typedef enum ps_fsync {
    PS_FSYNC_ALWAYS = 0,  /* fdatasync before every acknowledgement     */
    PS_FSYNC_EVERYSEC = 1,/* a background thread syncs once a second    */
    PS_FSYNC_NEVER = 2    /* the OS decides                             */
} ps_fsync;

typedef struct ps_pspace_opts {
    uint32_t size;            /* sizeof(ps_pspace_opts) (ps_pspace_opts_init) */
    int fsync;                /* ps_fsync                                 */
    uint64_t ckpt_changes;    /* checkpoint after this many changes (0 off) */
    uint32_t ckpt_seconds;    /* ... or when a change finds the last one older */
    uint32_t keep;            /* checkpoints kept (0 = 2)                  */
    int no_final_ckpt;        /* 1: close without a checkpoint             */
    int truncate_corrupt;     /* 1: cut the log at damage instead of failing */
    unsigned threads;         /* snapshot load/save threads (0 = all)      */
    int past_newer;           /* 1: fall back past checkpoints a newer
                               * pathspace wrote (else open refuses)       */
    const ps_store_opts *store; /* NULL = defaults; copied by open          */
    const ps_snap_opts *snap;   /* checkpoints' snapshots; NULL = defaults  */
} ps_pspace_opts;
/* fsync always, no automatic checkpoints but the final one, keep 2. */
PS_API void ps_pspace_opts_init(ps_pspace_opts *o);

typedef struct ps_recovery {
    int have_ckpt;
    ps_ckpt_info ckpt;        /* the checkpoint loaded                    */
    ps_ckpt_report skipped;   /* newer ones that were corrupt             */
    uint64_t segments;        /* log segments read                        */
    uint64_t replayed;        /* records applied after the checkpoint     */
    uint64_t last_seq;        /* sequence of the last record (or log_pos) */
    int torn;                 /* 1: a torn last record was dropped        */
    uint64_t torn_offset;     /* where, in torn_file                       */
    char torn_file[64];
    uint64_t truncated_bytes; /* cut by truncate_corrupt (0 otherwise)    */
    uint64_t temp_removed;    /* temp files of writers that died, removed */
    uint64_t spare[7];
} ps_recovery;

typedef struct ps_pspace ps_pspace;
/* opts NULL = ps_pspace_opts_init's; rec may be NULL. */
PS_API int ps_pspace_open(const char *dir, const ps_pspace_opts *opts, ps_pspace **out,
                          ps_recovery *rec, ps_diag *d);
/* Logged, then applied. *added / *removed (may be NULL) say whether the
 * space changed; a no-op is not logged. */
PS_API int ps_pspace_add(ps_pspace *p, ps_bytes path, int *added);
PS_API int ps_pspace_remove(ps_pspace *p, ps_bytes path, int *removed);
PS_API int ps_pspace_set_value(ps_pspace *p, ps_bytes path, uint64_t value);
/* Adds n paths with one log write (and one fsync): group commit. */
PS_API int ps_pspace_add_many(ps_pspace *p, const ps_bytes *paths, size_t n,
                              uint64_t *added);
/* Adds and removes as one change: applied in order, and logged so that
 * recovery replays all of them or none (a step of an exec rule). The
 * changes that are no-ops are not logged; *changed (may be NULL) counts
 * the others. PS_E_INVAL for an op that is neither. */
#define PS_PSPACE_ADD 1
#define PS_PSPACE_REMOVE 2
typedef struct ps_pspace_change {
    int op; /* PS_PSPACE_ADD or PS_PSPACE_REMOVE */
    ps_bytes path;
} ps_pspace_change;
PS_API int ps_pspace_apply(ps_pspace *p, const ps_pspace_change *c, size_t n,
                           uint64_t *changed);
PS_API int ps_pspace_sync(ps_pspace *p);
/* A checkpoint now; starts a new log segment, prunes old checkpoints and
 * the segments no kept checkpoint needs. */
PS_API int ps_pspace_checkpoint(ps_pspace *p, ps_ckpt_info *out, ps_diag *d);
PS_API const ps_space *ps_pspace_space(const ps_pspace *p);
PS_API ps_store *ps_pspace_store(ps_pspace *p);
PS_API uint64_t ps_pspace_seq(const ps_pspace *p); /* last logged sequence */
/* A final checkpoint (unless no_final_ckpt or nothing changed), then
 * closes. p is freed whatever the result. */
PS_API int ps_pspace_close(ps_pspace *p, ps_diag *d);
/* Closes without a checkpoint or sync (what a crash would leave). */
PS_API void ps_pspace_abandon(ps_pspace *p);

/* ---------------------------------------------------------- served spaces */

/*
 * A persistent space served to clients (docs/architecture.md): the object
 * both front ends (ps_server, the binary protocol; ps_http, MORK's HTTP
 * API) stand on, alone or together. It owns what serving needs beyond the
 * space: the lock that lets one front end's thread change the space while
 * others read it, the group commit (a change is logged before anything
 * acknowledges it), the one "the log failed" state (the served space then
 * stops and acknowledges nothing more), background checkpoints in a forked
 * child (a keeper thread applies the pspace's ckpt_changes and
 * ckpt_seconds, and runs what a client asks for), and the forked children
 * that exports and long searches run in. Threads: any; ps_served_stop
 * also from a signal handler.
 */
typedef struct ps_served ps_served;

/* p stays the caller's (close it after ps_served_free); the served space
 * changes it only through its own calls from now on. */
PS_API int ps_served_new(ps_pspace *p, ps_served **out, ps_diag *d);
PS_API ps_pspace *ps_served_pspace(ps_served *sv);
/* Stops every front end on sv (they return from their run or wait). */
PS_API void ps_served_stop(ps_served *sv);
/* Waits until sv stops: PS_OK, or PS_E_IO (d says why) when its log
 * failed; then close the pspace with ps_pspace_abandon, as a crash would. */
PS_API int ps_served_wait(ps_served *sv, ps_diag *d);
/* Waits for a running checkpoint, then frees sv (after its front ends). */
PS_API void ps_served_free(ps_served *sv);
/* Makes sv shard `id` of map (map stays the caller's until the next call
 * or ps_served_free; any thread, any time: it takes the write lock).
 * Adds and removes of keys outside its range are refused with PS_E_MOVED
 * (HTTP 421), naming the map's version and the shard that holds them, so a
 * router with an old map learns of the new; of keys in a frozen part, with
 * PS_E_LOCKED (HTTP 423: try again soon). id UINT32_MAX: the map does not
 * name sv yet (a standby, being filled before a split names it): nothing
 * is refused. map NULL: no shard. */
PS_API int ps_served_set_shard(ps_served *sv, const ps_shardmap *map, uint32_t id, ps_diag *d);
/* Removes, logged, every atom sv holds outside its shard's range (after a
 * split moved them to another shard); *removed gets how many. */
PS_API int ps_served_shard_purge(ps_served *sv, uint64_t *removed, ps_diag *d);
/* The version of the map sv enforces (0: none). */
PS_API uint64_t ps_served_shard_version(ps_served *sv);

/* ------------------------------------------------- the server's protocol */

/*
 * `pathspace serve` speaks frames over TCP (docs/protocol.md). A frame is a
 * 24-byte little-endian header and a payload:
 *
 *    0 u32 magic "PSP1"    8 u32 payload length   16 u64 request id
 *    4 u8  version 1      12 u32 reserved, zero
 *    5 u8  type
 *    6 u16 flags
 *
 * A reply carries its request's id and type | PS_MSG_REPLY (or
 * PS_MSG_ERROR). Replies come in the order of the requests, however many
 * are in flight; QUERY and EXPORT replies are streams of frames, all but the
 * last flagged PS_FLAG_MORE. Payload layouts: docs/protocol.md.
 */
#define PS_PROTO_VERSION 1
#define PS_FRAME_HEADER 24
#define PS_FRAME_MAGIC 0x31505350u /* "PSP1" read as a little-endian u32 */
#define PS_FRAME_MAX_DEFAULT (16u << 20)

typedef enum ps_msg_type {
    PS_MSG_HELLO = 1,      /* version and auth token; first on a connection */
    PS_MSG_PING = 2,       /* a heartbeat; the reply is the server's        */
    PS_MSG_ADD = 3,        /* a batch of atoms                              */
    PS_MSG_REMOVE = 4,
    PS_MSG_CONTAINS = 5,   /* a batch; the reply is one bit per atom        */
    PS_MSG_COUNT = 6,      /* atoms under a prefix (empty: all)             */
    PS_MSG_QUERY = 7,      /* pattern and template; results streamed        */
    PS_MSG_TRANSFORM = 8,  /* pattern and template; results added           */
    PS_MSG_EXPORT = 9,     /* the space or a prefix, streamed               */
    PS_MSG_CHECKPOINT = 10,
    PS_MSG_STATS = 11,
    PS_MSG_CANCEL = 12,    /* stops the stream of request `id`; no reply    */
    PS_MSG_RUN = 13,       /* runs exec rules; progress streamed            */
    PS_MSG_REPLY = 0x80,   /* or'ed into a request's type for its reply     */
    PS_MSG_ERROR = 0xFF    /* u32 code (ps_err), u32 length, message        */
} ps_msg_type;

#define PS_FLAG_MORE 1u      /* more frames of this reply follow            */
#define PS_FLAG_CANCELLED 2u /* last frame of a stream the client stopped   */
#define PS_FLAG_LIMITED 4u   /* last frame of results cut at the server's cap */

/* How a batch carries atoms: encoded (u32 length, bytes; each one whole
 * atom) or MeTTa text (any number of atoms). */
typedef enum ps_form { PS_FORM_PATHS = 0, PS_FORM_TEXT = 1 } ps_form;
/* EXPORT's formats. */
typedef enum ps_export_fmt {
    PS_EXPORT_TEXT = 0,  /* MeTTa, one atom per line          */
    PS_EXPORT_SNAP = 1,  /* a snapshot (docs/format-snapshot.md) */
    PS_EXPORT_PATHS = 2  /* MORK's .paths                     */
} ps_export_fmt;
/* Or'd into ps_client_export's format: a .paths export leaves out the
 * atoms MORK cannot hold (ps_path_fits_mork) instead of refusing. */
#define PS_EXPORT_SKIP_EXTENDED 0x100

typedef struct ps_frame {
    uint8_t version, type;
    uint16_t flags;
    uint32_t len;   /* payload bytes */
    uint64_t id;
} ps_frame;

PS_NET_API void ps_frame_encode(const ps_frame *f, uint8_t out[PS_FRAME_HEADER]);
/* Checks a header before anything is allocated for its payload:
 * PS_E_TRUNCATED below 24 bytes, PS_E_CORRUPT for a bad magic or non-zero
 * reserved bytes, PS_E_VERSION for another version, PS_E_LIMIT for a
 * payload over max_frame. d (may be NULL) says which. */
PS_NET_API int ps_frame_decode(const void *p, size_t n, uint32_t max_frame, ps_frame *f,
                           ps_diag *d);

/* PING and its reply: the write-up's heartbeat. */
#define PS_HEARTBEAT_SIZE 32
typedef struct ps_heartbeat {
    uint64_t node;      /* the sender's node id              */
    uint64_t uptime_ms; /* the sender's uptime               */
    uint64_t seq;       /* sequence id (a reply echoes it)   */
    uint32_t hops;      /* hop count (a reply adds one)      */
    uint32_t spare;
} ps_heartbeat;
/* One whole heartbeat frame (header and payload) in a pooled buffer of
 * exactly PS_FRAME_HEADER + PS_HEARTBEAT_SIZE bytes. */
PS_NET_API int ps_heartbeat_frame(ps_buf *out, int type, uint64_t id, const ps_heartbeat *hb);
PS_NET_API int ps_heartbeat_decode(ps_bytes payload, ps_heartbeat *hb, ps_diag *d);

/* ------------------------------------------------------------ the server */

/*
 * One thread's epoll loop over a persistent space (docs/protocol.md,
 * "Server"). Every reply is one pooled buffer of exactly its size; the
 * replies a turn of the loop makes for a connection go out in one writev.
 * Changes are logged before they are acknowledged (one write and one fsync
 * per turn of the loop, for every client: group commit). Checkpoints run
 * in a forked child. Threads: ps_server_run runs the loop on a thread of
 * its own (with 64 MiB of stack, so that queries run right on it) and
 * returns when it ends; ps_server_stop from any thread or a signal handler.
 */
typedef struct ps_server ps_server;

typedef struct ps_server_opts {
    uint32_t size;            /* sizeof(ps_server_opts) (ps_server_opts_init) */
    uint16_t port;            /* 0: an ephemeral port (ps_server_port)    */
    uint16_t spare16;
    const char *addr;         /* numeric IPv4/IPv6; NULL = "127.0.0.1"    */
    const char *token;        /* NULL: no auth; else HELLO must carry it  */
    uint32_t max_clients;     /* 1024; one more gets an ERROR and closes   */
    uint32_t max_frame;       /* payload bytes, PS_FRAME_MAX_DEFAULT (at
                               * most 256 MiB, a log record's limit)      */
    uint32_t max_batch;       /* atoms per request, 1M                    */
    uint32_t idle_ms;         /* close a silent client (0: never; 300 s)   */
    uint32_t write_timeout_ms;/* close a client that reads nothing of its
                               * pending replies this long (10 s)         */
    uint32_t spare32;
    uint64_t out_limit;       /* reply bytes queued per client before its
                               * requests wait (1 MiB)                    */
    uint64_t spare64;         /* checkpoints: the served space's (its
                               * pspace's ckpt_changes, ckpt_seconds)     */
    uint64_t max_results;     /* a query's results held to stream (1M)    */
    unsigned query_threads;   /* per query (1)                            */
    uint32_t unprotected;     /* serve a non-loopback address with no token
                               * (refused unless set: docs/security.md)   */
    uint64_t node_id;         /* PONG's node (0: random)                  */
    uint64_t max_memory;      /* what every client together may hold in the
                               * server: read buffers, queued replies and
                               * query results (1 GiB); past it a request
                               * gets PS_E_LIMIT, not the machine's memory */
    uint32_t hello_ms;        /* a client must say HELLO within this (10 s);
                               * before it, a frame is at most 4 KiB       */
    uint32_t per_ip;          /* connections from one address (256)       */
    uint64_t spare[2];
} ps_server_opts;
PS_NET_API void ps_server_opts_init(ps_server_opts *o);

typedef struct ps_server_stats {
    uint64_t uptime_ms, atoms, seq;
    uint64_t clients, connections, rejected, dropped; /* now, ever, over
                                 * max_clients, closed for a bad frame,
                                 * back-pressure or idleness               */
    uint64_t requests, errors, bytes_in, bytes_out, writevs, commits;
    uint64_t allocs;            /* library allocations on the loop thread */
    uint64_t pool_gets, pool_misses;
    uint64_t checkpoints, ckpt_failed;
    uint64_t fork_us_last, fork_us_max; /* the loop's pause per checkpoint */
    uint64_t ckpt_ms_last;      /* the child's time to write it           */
    uint64_t query_forks;       /* queries and counts run whole by a forked
                                 * child, past the loop's share of one     */
    uint64_t repl_role;         /* 0 none, 1 primary shipping to a bucket,
                                 * 2 read replica (docs/replication.md)    */
    uint64_t repl_fenced;       /* 1: a primary another took the bucket from */
    uint64_t repl_lag_seq;      /* changes not yet shipped / applied       */
    uint64_t repl_lag_ms;       /* the oldest of them, its age             */
    uint64_t repl_shipped;      /* the bucket holds the log through this   */
    uint64_t shard_version;     /* the shard map it enforces (0: none)     */
    uint64_t spare[1];
} ps_server_stats;
#define PS_SERVER_STATS_N 28  /* u64 fields in use, in order */

/* Binds and listens (nothing is served until ps_server_run). sv stays the
 * caller's; the server uses it until ps_server_free. */
PS_NET_API int ps_server_new(ps_served *sv, const ps_server_opts *o, ps_server **out, ps_diag *d);
PS_NET_API uint16_t ps_server_port(const ps_server *s);
/* Serves until ps_server_stop or ps_served_stop, then sends what is queued
 * (briefly) and returns. A log that cannot be written stops the served
 * space, and this returns PS_E_IO: it acknowledges nothing it cannot keep. */
PS_NET_API int ps_server_run(ps_server *s, ps_diag *d);
PS_NET_API void ps_server_stop(ps_server *s);
/* Counters, once ps_server_run returned (while it runs, a client asks
 * with STATS: the loop's own thread answers). */
PS_NET_API void ps_server_stats_get(const ps_server *s, ps_server_stats *st);
PS_NET_API void ps_server_free(ps_server *s);

/* ------------------------------------------------------------ the client */

/*
 * A blocking client (one thread at a time per handle). Each call sends one
 * request and reads its reply; an ERROR reply returns the server's code
 * with d->msg "server: ...". For pipelining, ps_client_send queues
 * requests, ps_client_flush sends them in one write and ps_client_recv
 * reads replies in order.
 */
typedef struct ps_client ps_client;

typedef struct ps_client_opts {
    uint32_t size;        /* sizeof(ps_client_opts) (ps_client_opts_init) */
    uint32_t max_frame;   /* largest reply accepted (PS_FRAME_MAX_DEFAULT) */
    const char *token;    /* sent in HELLO; NULL for none                */
    uint32_t timeout_ms;  /* per read or write (0: none; 30 s)          */
    uint32_t spare32;
    uint64_t spare[2];
} ps_client_opts;
PS_NET_API void ps_client_opts_init(ps_client_opts *o);

/* Connects (host: numeric or a name) and says HELLO. */
PS_NET_API int ps_client_connect(const char *host, uint16_t port, const ps_client_opts *o,
                             ps_client **out, ps_diag *d);
PS_NET_API void ps_client_close(ps_client *c);

typedef struct ps_change {
    uint64_t changed; /* atoms added or removed                         */
    uint64_t seq;     /* the log's position after them (durable)        */
    uint64_t atoms;   /* atoms in the space                             */
} ps_change;

PS_NET_API int ps_client_ping(ps_client *c, const ps_heartbeat *hb, ps_heartbeat *reply,
                          ps_diag *d);
/* form PS_FORM_PATHS: items[0..n) are atoms; PS_FORM_TEXT: MeTTa text in
 * items[0..n) (each a whole number of atoms). */
PS_NET_API int ps_client_add(ps_client *c, int form, const ps_bytes *items, size_t n,
                         ps_change *out, ps_diag *d);
PS_NET_API int ps_client_remove(ps_client *c, int form, const ps_bytes *items, size_t n,
                            ps_change *out, ps_diag *d);
/* bits (cleared first) gets bit i (byte i/8, bit i%8) set for each atom
 * present, in order; *count (may be NULL) the number of atoms asked. */
PS_NET_API int ps_client_contains(ps_client *c, int form, const ps_bytes *items, size_t n,
                              ps_buf *bits, uint64_t *count, ps_diag *d);
PS_NET_API int ps_client_count(ps_client *c, ps_bytes prefix, uint64_t *n, ps_diag *d);

typedef struct ps_client_qopts {
    uint32_t size;   /* sizeof(ps_client_qopts) (ps_client_qopts_init) */
    uint32_t batch;  /* results per frame (0: the server's 1024)      */
    uint64_t limit;  /* results at most (0: the server's cap)         */
    int form;        /* results as PS_FORM_PATHS or PS_FORM_TEXT      */
    int mode;        /* ps_query_mode                                 */
    uint64_t spare[2];
} ps_client_qopts;
PS_NET_API void ps_client_qopts_init(ps_client_qopts *q);
/* Streams the results to fn (an atom, or a line of text without its
 * newline); fn's non-zero sends CANCEL, and the rest of the stream is
 * read and dropped. *n (may be NULL): results delivered; *flags (may be
 * NULL): the last frame's PS_FLAG_CANCELLED / PS_FLAG_LIMITED. */
PS_NET_API int ps_client_query(ps_client *c, ps_bytes pattern, ps_bytes tmpl,
                           const ps_client_qopts *qo, ps_query_fn fn, void *ctx, uint64_t *n,
                           unsigned *flags, ps_diag *d);
/* Adds the query's distinct results to the server's space. */
PS_NET_API int ps_client_transform(ps_client *c, ps_bytes pattern, ps_bytes tmpl, ps_change *out,
                               uint64_t *results, ps_diag *d);
/* Writes the export stream (ps_export_fmt) to out. */
PS_NET_API int ps_client_export(ps_client *c, int format, ps_bytes prefix, ps_sink out,
                            uint64_t *bytes, ps_diag *d);
/* Returns when the server's checkpoint is written. */
/* RUN: the server runs its exec rules (docs/exec.md) on a thread of its
 * own, a step at a time, its other clients served between steps: those of
 * thread (MeTTa text: the atoms (exec (THREAD PRIO) ...)), or every exec
 * atom (NULL). steps 0 is MORK's budget. Figures come as the run goes
 * (about ten times a second) to progress (may be NULL), whose non-zero
 * stops the run (CANCEL); out gets the last. */
#define PS_RUN_EXACT 1u         /* exactly steps execs, not MORK's steps + 1 */
#define PS_RUN_TIMING 2u        /* (timing EXEC I NS) after each step       */
#define PS_RUN_STOP_ON_ERROR 4u /* the first step that fails ends the run   */
#define PS_RUN_REPLY 72         /* a RUN reply's fixed part (docs/protocol.md) */
typedef struct ps_run_report {
    uint64_t execs, steps, failed, solutions, added, removed, atoms, ns;
    int fail_code;          /* ps_exec_error of the first step that failed */
    int cancelled;          /* the run was stopped before its end         */
    char fail_exec[256];    /* that step's exec atom, as text (cut)        */
} ps_run_report;
PS_NET_API int ps_client_run(ps_client *c, uint64_t steps, unsigned flags, const char *thread,
                             int (*progress)(void *ctx, const ps_run_report *r), void *ctx,
                             ps_run_report *out, ps_diag *d);
PS_NET_API int ps_client_checkpoint(ps_client *c, ps_ckpt_info *out, ps_diag *d);
PS_NET_API int ps_client_stats(ps_client *c, ps_server_stats *out, ps_diag *d);

/* Pipelining. send encodes a frame (a pooled buffer) and queues it; *id
 * (may be NULL) gets its request id. */
PS_NET_API int ps_client_send(ps_client *c, int type, ps_bytes payload, uint64_t *id);
PS_NET_API int ps_client_flush(ps_client *c, ps_diag *d);
typedef struct ps_reply {
    ps_frame f;
    ps_bytes payload; /* valid until the next call on the client */
} ps_reply;
/* The next reply frame (an ERROR frame is returned as a frame, PS_OK). */
PS_NET_API int ps_client_recv(ps_client *c, ps_reply *r, ps_diag *d);
/* 1 if a whole reply is already received (ps_client_recv will not wait),
 * for a caller driving many clients from its own poll loop. */
PS_NET_API int ps_client_ready(const ps_client *c);
/* The connection's descriptor, for that loop (to poll, never to read). */
PS_NET_API int ps_client_fd(const ps_client *c);
/* A batch payload for ADD, REMOVE and CONTAINS, appended to out. */
PS_NET_API int ps_batch_encode(ps_buf *out, int form, const ps_bytes *items, size_t n);

/* ------------------------------------------------------- MORK's HTTP API */

/*
 * MORK's HTTP server (docs/http.md) on a served space, alone or beside a
 * ps_server on the same one: upload, import (file:// URIs), export, transform,
 * count, clear, copy, explore, status, status_stream and stop, with MORK's
 * URL forms, reply bodies, JSON shapes, status codes and asynchronous
 * status flow. Each command takes a read or a write permission on the
 * constant prefix of each of its expressions; permissions on overlapping
 * prefixes (one a prefix of the other) exclude each other unless both
 * read, and a command that cannot get its permissions within perm_wait_ms
 * fails with 401. Beyond MORK: every change is in the space's log (synced
 * per its fsync mode) before the reply or the status that acknowledges it,
 * an optional bearer token, request-size limits, and 127.0.0.1 by default.
 * Threads: libmicrohttpd's (one per connection) and up to `workers` for
 * the asynchronous commands; they read and change the space under the
 * served space's lock (between turns of a ps_server's loop).
 */
typedef struct ps_http ps_http;

typedef struct ps_http_opts {
    uint32_t size;         /* sizeof(ps_http_opts) (ps_http_opts_init)    */
    uint16_t port;         /* 0: any free port (ps_http_port)             */
    const char *addr;      /* numeric; NULL = 127.0.0.1                   */
    const char *token;     /* NULL: none; else "Authorization: Bearer T"  */
    uint64_t max_body;     /* request body bytes (default 256 MiB)        */
    uint64_t max_file;     /* file:// import bytes (default 16 GiB)       */
    uint64_t max_results;  /* atoms one export or explore holds (16M)     */
    uint32_t max_clients;  /* connections (default 256)                   */
    uint32_t workers;      /* asynchronous commands at once (default: the
                            * CPUs less one, at least 4, as MORK's)     */
    uint32_t perm_wait_ms; /* how long a conflicting command waits (200)  */
    uint32_t timeout_s;    /* idle connection (default 300)               */
    int spare_int;         /* was no_files: file:// is now off unless
                            * files_dir names a directory               */
    uint64_t max_result_bytes; /* bytes of results a search may make, every
                                * solution counted (default 1 GiB)        */
    uint64_t fork_results; /* an export of more results is written by a
                            * forked child, so the lock is held for fork()
                            * only (default 65536; 0: never)              */
    /* Security (docs/security.md). */
    const char *files_dir; /* file:// imports read and exports write only
                            * beneath this directory, never through a
                            * symlink or ".."; NULL (default): no file://  */
    const char *hosts;     /* Host names accepted besides IP literals and
                            * "localhost", comma-separated (DNS rebinding) */
    int unprotected;       /* serve a non-loopback address with no token  */
    uint32_t header_timeout_s; /* a request's line and headers must come
                            * within this (default 10)                    */
    uint32_t body_min_rate; /* body bytes a second, on average, after the
                            * headers' deadline (default 16384)           */
    uint32_t per_ip;       /* connections from one address (default 32)   */
    uint64_t status_bytes; /* bytes the status table may hold (16 MiB)    */
    const char *act_dir;   /* metta_thread's (ACT name ...) files: DIR/name.act
                            * (NULL: ACT sources and sinks fail)          */
    /* http(s):// imports (docs/security.md), off unless fetch_hosts names
     * the hosts they may reach (comma-separated; exact names). No redirect
     * to another host; no private, loopback or link-local address unless
     * fetch_private; at most fetch_max bytes (default 1 GiB) within
     * fetch_timeout_s seconds (default 60). */
    const char *fetch_hosts;
    uint64_t fetch_max;
    uint32_t fetch_timeout_s;
    int fetch_private;
    uint32_t queue;        /* asynchronous commands that wait for a worker
                            * before a 503 (default 64)                  */
} ps_http_opts;
PS_NET_API void ps_http_opts_init(ps_http_opts *o);
/* Starts serving sv over HTTP (on threads of its own: it returns at once);
 * /stop/ stops sv (ps_served_stop). PS_E_IO when the address cannot be
 * bound, PS_E_INVAL for bad options. */
PS_NET_API int ps_http_start(ps_served *sv, const ps_http_opts *o, ps_http **out, ps_diag *d);
PS_NET_API uint16_t ps_http_port(const ps_http *h);
/* Stops taking requests, lets running commands finish (their changes are
 * logged), and frees h. Call it before ps_served_free. */
PS_NET_API void ps_http_stop(ps_http *h);

/* ---------------------------------------------- replicas on object storage */

/*
 * A served space's log and checkpoints, shipped to an S3 bucket, and read
 * back: by a restore, and by read replicas that follow the bucket
 * (docs/replication.md; the bucket's layout: docs/format-bucket.md).
 *
 *   - ps_ship_start: the primary's thread ships every whole change of the
 *     log (as pieces, each a log segment) and every checkpoint, at most
 *     interval_ms after it is committed, then publishes a new manifest.
 *     A bucket that fails is retried with backoff; the primary serves on,
 *     and its log is kept until it is shipped. STATS reports the lag.
 *   - ps_follow_start: a replica's thread reads new manifests and applies
 *     the pieces, each change whole, with the primary's sequence numbers;
 *     its front ends refuse writes, naming the primary.
 *   - ps_restore: a new directory holding the space as of a kept point.
 *
 * The URL is s3://BUCKET[/PREFIX]; the endpoint, region and keys come from
 * the environment or ~/.aws/credentials, never from arguments (s3.h).
 */
typedef struct ps_replica ps_replica;

typedef struct ps_replica_opts {
    uint32_t size;          /* sizeof(ps_replica_opts) (ps_replica_opts_init) */
    uint32_t interval_ms;   /* ship or poll this often (1000)              */
    uint64_t piece_max;     /* bytes of log per piece, about (16m)         */
    uint32_t keep;          /* checkpoints a manifest keeps (2), with the
                             * log from the oldest on: the points restorable */
    uint32_t attempts;      /* tries per request before a round fails (6)  */
    const char *primary;    /* the primary's address, for a replica's
                             * refusals ("" or NULL: none said)            */
    int takeover;           /* ps_ship_start: claim a bucket another primary
                             * wrote (a promoted replica): a new epoch      */
    int sync;               /* ps_ship_start: every commit waits until the
                             * bucket holds it, before it is acknowledged   */
    uint64_t part_max;      /* a checkpoint larger than this goes up as a
                             * multipart upload, in parts of this size
                             * (64m; at least 5m, S3's smallest part)      */
    uint64_t spare[3];
} ps_replica_opts;
PS_NET_API void ps_replica_opts_init(ps_replica_opts *o);

PS_NET_API int ps_ship_start(ps_served *sv, const char *url, const ps_replica_opts *o,
                             ps_replica **out, ps_diag *d);
PS_NET_API int ps_follow_start(ps_served *sv, const char *url, const ps_replica_opts *o,
                               ps_replica **out, ps_diag *d);
/* Stops the thread (a primary first ships what is committed, one last
 * round) and frees r. Call it before ps_served_free. */
PS_NET_API void ps_replica_stop(ps_replica *r);

/* A shard map kept in a bucket (docs/format-bucket.md): each version is
 * created once, at PREFIX/shardmap/<version>, so of two writers of the
 * same version one wins (PS_E_EXISTS for the other). Fetch gives the
 * newest (PS_E_NOTFOUND: none); url may also be a local file. */
PS_NET_API int ps_shardmap_publish(const char *url, const ps_shardmap *m, ps_diag *d);
PS_NET_API int ps_shardmap_fetch(const char *url, ps_shardmap **out, ps_diag *d);

/* Restores into dir (new or empty) the newest point the bucket keeps, or
 * the last change at or before at_seq (0: the newest), or the last piece
 * shipped at or before at_ms (ms since 1970; 0: not by time). */
PS_NET_API int ps_restore(const char *url, const char *dir, uint64_t at_seq, uint64_t at_ms,
                          ps_recovery *rec, ps_diag *d);

/* A space in a bucket, queried where it lies (docs/replication.md,
 * "Reading a bucket in place"). When the bucket holds no log after its
 * newest checkpoint, that checkpoint's snapshot is the space: it is read
 * by byte range (ps_snap_open_reader), so a query reads the index and the
 * chunks it reaches, and nothing else. Otherwise the pieces after it must
 * be applied: the snapshot is read whole into memory and they are, each
 * checked as a replica checks it (in_place 0). Either way the view holds
 * the space as of the last change the bucket holds (seq). */
typedef struct ps_bucket ps_bucket;
typedef struct ps_bucket_info {
    uint64_t seq;        /* the view holds every change through this seq  */
    uint64_t ckpt_pos;   /* the checkpoint's log position (0: none)       */
    uint64_t tail;       /* changes after it (seq - ckpt_pos)             */
    uint64_t atoms;      /* atoms in the checkpoint                       */
    uint64_t snap_bytes; /* its snapshot's length                         */
    uint64_t reads;      /* range GETs made so far, and the bytes read:   */
    uint64_t bytes;      /*   frame, chunks, and the whole for a tail     */
    int in_place;        /* 1: queries read the snapshot by range         */
    uint64_t spare[4];
} ps_bucket_info;
/* What ps_bucket_open would find, from the newest manifest alone (a GET or
 * two): reads and bytes stay 0. */
PS_NET_API int ps_bucket_stat(const char *url, ps_bucket_info *info, ps_diag *d);
PS_NET_API int ps_bucket_open(const char *url, ps_bucket **out, ps_diag *d);
/* Where queries run (ps_query_run, ps_query_into), valid until close.
 * Queries on it may run on several threads; reads are one at a time. */
PS_NET_API ps_source ps_bucket_source(const ps_bucket *v);
/* ps_snap_fetch on the view: the chunks a prefix reaches, read at once. */
PS_NET_API int ps_bucket_fetch(ps_bucket *v, ps_bytes prefix, ps_diag *d);
PS_NET_API void ps_bucket_info_get(const ps_bucket *v, ps_bucket_info *info);
PS_NET_API void ps_bucket_close(ps_bucket *v);

/* ======================================================================
 * Utilities: general pieces the product is built from, usable on their own.
 * ====================================================================== */

/* ---------------------------------------------------------- external sort */

/*
 * Paths in any order in, distinct paths in increasing order out, in bounded
 * memory: a run fills mem_bytes, is sorted and (when more follow) written
 * to tmp_dir as a snapshot (the files are unlinked once open, so nothing
 * stays behind, even after a crash); the end merges the runs. This is how
 * an input larger than memory becomes a snapshot or a sorted stream for
 * the bulk builder (`pathspace gen -o FILE.snap`, docs/sort.md).
 * Disk: about a snapshot's size of the input. Memory: mem_bytes while
 * adding, one decoded chunk per run while merging.
 * Threads: one thread at a time (runs compress on threads of their own).
 */
typedef struct ps_sorter_opts {
    uint32_t size;       /* sizeof(ps_sorter_opts) (ps_sorter_opts_init)   */
    uint64_t mem_bytes;  /* a run's path bytes and index; default 1 GiB     */
    const char *tmp_dir; /* for the runs; NULL: $TMPDIR, else /tmp         */
    unsigned threads;    /* compressing threads per run; 0: one per CPU    */
} ps_sorter_opts;
PS_API void ps_sorter_opts_init(ps_sorter_opts *o);

typedef struct ps_sorter ps_sorter;
PS_API int ps_sorter_new(const ps_sorter_opts *opts, ps_sorter **out);
/* A path of at most PS_SNAP_CHUNK_MAX - 16 bytes (PS_E_LIMIT past it);
 * PS_E_INVAL once ps_sorter_next was called. */
PS_API int ps_sorter_add(ps_sorter *s, ps_bytes path);
/* The next distinct path in increasing order (valid until the next call);
 * PS_E_EMPTY at the end. The first call ends the input. Errors of the runs'
 * files (PS_E_IO, a damaged run) come with d (may be NULL). */
PS_API int ps_sorter_next(ps_sorter *s, ps_bytes *path, ps_diag *d);
/* Paths added, and runs written to disk so far. */
PS_API void ps_sorter_counts(const ps_sorter *s, uint64_t *paths, uint32_t *runs);
PS_API void ps_sorter_free(ps_sorter *s);

/* -------------------------------------------------------------- generator */

/* Appends atoms [first, first + count) of the deterministic synthetic
 * knowledge base for `seed` to out, as MeTTa text, one atom per line. Atom i
 * depends only on (seed, i), so any chunking gives the same text, and all
 * atoms are distinct. Shape: docs/gen.md. Thread-safe (no state). */
PS_API int ps_gen_text(uint64_t seed, uint64_t first, uint64_t count, ps_buf *out);

/* ------------------------------------------------ little-endian load/store */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PS_BSWAP16(x) __builtin_bswap16(x)
#define PS_BSWAP32(x) __builtin_bswap32(x)
#define PS_BSWAP64(x) __builtin_bswap64(x)
#else
#define PS_BSWAP16(x) (x)
#define PS_BSWAP32(x) (x)
#define PS_BSWAP64(x) (x)
#endif

/* Every on-disk and on-wire integer is little-endian, read and written
 * through these. */
static inline uint16_t ps_read_le16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return PS_BSWAP16(v);
}
static inline uint32_t ps_read_le32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return PS_BSWAP32(v);
}
static inline uint64_t ps_read_le64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return PS_BSWAP64(v);
}
static inline void ps_write_le16(void *p, uint16_t v)
{
    v = PS_BSWAP16(v);
    memcpy(p, &v, 2);
}
static inline void ps_write_le32(void *p, uint32_t v)
{
    v = PS_BSWAP32(v);
    memcpy(p, &v, 4);
}
static inline void ps_write_le64(void *p, uint64_t v)
{
    v = PS_BSWAP64(v);
    memcpy(p, &v, 8);
}

/* *out = n * each + extra, or PS_E_OVERFLOW. Formats use it to size output
 * up front ("bound" functions) without trusting a count to be small. */
PS_API int ps_size_bound(size_t n, size_t each, size_t extra, size_t *out);

/* ----------------------------------------------------- exact-size buffers */

/*
 * A growable byte buffer with reserved space in front ("headroom"), so a
 * header can be written before a payload that was produced first, without
 * moving the payload:
 *
 *   base                 base+head          base+head+len      base+cap
 *    |<---- headroom ---->|<---- payload ---->|<---- tailroom ---->|
 *
 * The struct is public so a buffer can live on the stack or inside another
 * object; treat the members as read-only and use the functions. Zero-init
 * ({0}) is a valid empty buffer. Growth never moves bytes it does not have to;
 * reserve_exact allocates exactly what was asked. Threads: one thread at a
 * time per buffer.
 */
struct ps_buf {
    uint8_t *base; /* malloc'd block, or NULL                 */
    size_t head;   /* headroom: payload starts at base + head */
    size_t len;    /* payload bytes                           */
    size_t cap;    /* bytes in the block                      */
};

static inline uint8_t *ps_buf_data(const ps_buf *b)
{
    return b->base ? b->base + b->head : NULL; /* NULL + 0 is undefined */
}
static inline size_t ps_buf_len(const ps_buf *b) { return b->len; }
static inline size_t ps_buf_tailroom(const ps_buf *b)
{
    return b->cap - b->head - b->len;
}
static inline ps_bytes ps_buf_bytes(const ps_buf *b)
{
    return ps_bytes_of(ps_buf_data(b), b->len);
}

PS_API void ps_buf_init(ps_buf *b);
PS_API void ps_buf_free(ps_buf *b);
/* Allocates exactly headroom + size bytes for an empty buffer (frees any old
 * block). The usual start for "header, then payload of known bound". */
PS_API int ps_buf_init_exact(ps_buf *b, size_t headroom, size_t size);
/* Ensures tailroom >= n, allocating exactly that much more (no growth
 * factor). Use when the final size is known. */
PS_API int ps_buf_reserve_exact(ps_buf *b, size_t n);
/* Ensures tailroom >= n, growing geometrically (amortised appends). */
PS_API int ps_buf_reserve(ps_buf *b, size_t n);
PS_API int ps_buf_append(ps_buf *b, const void *p, size_t n);
/* Extends the payload by n uninitialised bytes and returns them. */
PS_API uint8_t *ps_buf_append_uninit(ps_buf *b, size_t n, int *rc);
/* Puts n bytes in front of the payload. Uses the headroom when it is large
 * enough (no copy of the payload); otherwise grows and moves once. */
PS_API int ps_buf_prepend(ps_buf *b, const void *p, size_t n);
/* Empties the payload, keeps the block; headroom is reset to keep_head
 * (clamped to cap). */
PS_API void ps_buf_clear(ps_buf *b, size_t keep_head);
/* Hands the payload to the caller as a malloc'd block the caller frees with
 * free(): it starts at the returned pointer (any headroom is closed by one
 * move). The buffer is left empty. Returns NULL for an empty buffer. */
PS_API uint8_t *ps_buf_detach(ps_buf *b, size_t *len);

/* ------------------------------------------------------------ buffer pool */

/*
 * Thread-local pools of reusable ps_buf blocks in fixed size classes. A warm
 * get/put loop does not allocate. Each thread has its own pools (no locks);
 * a thread's pools are freed when it exits (or by ps_pool_thread_release()).
 *
 * Classes (bytes): 256, 512, 1500 (an Ethernet MTU, the write-up's classes),
 * 16 KiB and 64 KiB (server reads and batched writes). At most
 * PS_POOL_MAX_PER_CLASS idle buffers are kept per class per thread.
 */
#define PS_POOL_NCLASS 5
#define PS_POOL_MAX_PER_CLASS 32

/* Smallest class holding `size` bytes, or 0 when none does. */
PS_API size_t ps_pool_class_size(size_t size);

/* An empty buffer with cap == the class size for `size` (headroom 0). A size
 * larger than every class gets a plain exact allocation (counted as a miss).
 * PS_E_NOMEM on failure. */
PS_API int ps_pool_get(ps_buf *b, size_t size);
/* Returns b to this thread's pool: cleared (len = head = 0) and kept when its
 * capacity is exactly a class size and that class has room; otherwise freed
 * (a buffer that grew past its class is "foreign"). b is left empty. */
PS_API void ps_pool_put(ps_buf *b);

typedef struct ps_pool_stats {
    uint64_t gets;      /* ps_pool_get calls                       */
    uint64_t hits;      /* served from the pool                    */
    uint64_t misses;    /* needed malloc                           */
    uint64_t allocs;    /* malloc calls made by the pool           */
    uint64_t puts;      /* ps_pool_put calls                       */
    uint64_t pooled;    /* kept for reuse                          */
    uint64_t frees;     /* freed: foreign size or class full       */
    uint32_t idle[PS_POOL_NCLASS]; /* buffers idle per class now  */
    uint32_t spare32;
    uint64_t spare[4];
} ps_pool_stats;

/* Counters of the calling thread's pools. */
PS_API void ps_pool_stats_get(ps_pool_stats *out);
/* Frees the calling thread's idle buffers and zeroes its counters. */
PS_API void ps_pool_thread_release(void);

/* ------------------------------------------------- compact vector (u32) */

/*
 * A growable array whose length and capacity are u32: 16 bytes of header on
 * a 64-bit machine where a size_t vector needs 24. Used for the trie's node
 * arenas, where it is indexed by 32-bit node ids.
 *
 *   PS_VEC_DEFINE(u32vec, uint32_t)
 *
 * defines the type `u32vec` and static inline functions u32vec_push(),
 * u32vec_get(), ... (listed below; unused ones cost nothing and draw no
 * warning). The fast paths are inline; growth is one out-of-line, cold call
 * into the library (ps_vec_reserve_raw). Threads: one thread at a time per
 * vector.
 *
 * Limits: at most PS_VEC_MAX_LEN elements; reaching it is PS_E_OVERFLOW, and
 * so is any reserve/extend whose arithmetic would wrap. Capacity grows by the
 * policy in docs/vector.md and then takes whatever the allocator really gave
 * (malloc_usable_size), so no allocated byte is idle. Types aligned above
 * alignof(max_align_t) are allocated aligned and grow by copy (the usable-size
 * trick is unsound for aligned blocks; see docs/vector.md).
 *
 * Members may be read directly: data[0..len) are the elements (the slice for
 * iteration); data is NULL while cap == 0.
 */
#define PS_VEC_MAX_LEN UINT32_MAX

/* Out-of-line growth (cold). Sets the capacity for `need` elements in total
 * (len <= need <= PS_VEC_MAX_LEN), keeping the first `len` elements.
 * mode 0: at least `need`, grown by the policy (push, reserve);
 * mode 1: exactly `need` if that grows the block (reserve_exact);
 * mode 2: exactly `need` even if smaller (shrink).
 * The final capacity includes the allocator's rounding. On success *data and
 * *cap are updated; on failure both are unchanged and the block still valid. */
PS_API int ps_vec_reserve_raw(void **data, uint32_t *cap, uint32_t len, uint64_t need,
                              size_t esize, size_t align, int mode);
/* Frees a block allocated by ps_vec_reserve_raw (NULL is fine). */
PS_API void ps_vec_free_raw(void *data, size_t align);
/* The capacity the growth policy asks for when `cap` must hold `need`, before
 * usable-size rounding. Exposed so tests can check the arithmetic at the 2^32
 * boundary without allocating. 0 means impossible (overflow). */
PS_API uint64_t ps_vec_next_cap(uint64_t cap, uint64_t need, size_t esize);

#if defined(__GNUC__)
#define PS_LIKELY(x) __builtin_expect(!!(x), 1)
#define PS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PS_LIKELY(x) (x)
#define PS_UNLIKELY(x) (x)
#endif

/* The functions a PS_VEC_DEFINE makes: a program uses a few of them, and
 * the rest must not warn (clang's -Wunused-function looks at the file the
 * macro expands in). */
#define PS_VEC_FN static inline PS_MAYBE_UNUSED

#define PS_VEC_DEFINE(name, T)                                                 \
    typedef struct name {                                                      \
        T *data;                                                               \
        uint32_t len;                                                          \
        uint32_t cap;                                                          \
    } name;                                                                    \
                                                                               \
    PS_VEC_FN void name##_init(name *v)                                        \
    {                                                                          \
        v->data = NULL;                                                        \
        v->len = v->cap = 0;                                                   \
    }                                                                          \
    /* Copies in and out so no member's address escapes: a vector that is  \
     * a local then lives in registers across a push loop. */                 \
    PS_VEC_FN int name##_reserve_to_(name *v, uint64_t need, int mode)         \
    {                                                                          \
        void *d = v->data;                                                     \
        uint32_t c = v->cap;                                                   \
        int rc = ps_vec_reserve_raw(&d, &c, v->len, need, sizeof(T),           \
                                    alignof(T), mode);                         \
        v->data = (T *)d;                                                      \
        v->cap = c;                                                            \
        return rc;                                                             \
    }                                                                          \
    /* Room for `extra` more elements, growing by the policy. */               \
    PS_VEC_FN int name##_reserve(name *v, uint64_t extra)                      \
    {                                                                          \
        if (PS_LIKELY((uint64_t)(v->cap - v->len) >= extra))                   \
            return PS_OK;                                                      \
        if (extra > PS_VEC_MAX_LEN) /* keeps len + extra from wrapping */      \
            return PS_E_OVERFLOW;                                              \
        return name##_reserve_to_(v, (uint64_t)v->len + extra, 0);             \
    }                                                                          \
    /* Room for exactly `extra` more (plus the allocator's rounding). */       \
    PS_VEC_FN int name##_reserve_exact(name *v, uint64_t extra)                \
    {                                                                          \
        if ((uint64_t)(v->cap - v->len) >= extra)                              \
            return PS_OK;                                                      \
        if (extra > PS_VEC_MAX_LEN)                                            \
            return PS_E_OVERFLOW;                                              \
        return name##_reserve_to_(v, (uint64_t)v->len + extra, 1);             \
    }                                                                          \
    PS_VEC_FN int name##_with_capacity(name *v, uint64_t cap)                  \
    {                                                                          \
        name##_init(v);                                                        \
        return name##_reserve_exact(v, cap);                                   \
    }                                                                          \
    PS_VEC_FN void name##_free(name *v)                                        \
    {                                                                          \
        if (v) {                                                               \
            ps_vec_free_raw(v->data, alignof(T));                              \
            name##_init(v);                                                    \
        }                                                                      \
    }                                                                          \
    PS_VEC_FN int name##_push(name *v, T x)                                    \
    {                                                                          \
        if (PS_UNLIKELY(v->len == v->cap)) {                                   \
            int rc_ = name##_reserve_to_(v, (uint64_t)v->len + 1, 0);          \
            if (rc_)                                                           \
                return rc_;                                                    \
        }                                                                      \
        v->data[v->len++] = x;                                                 \
        return PS_OK;                                                          \
    }                                                                          \
    /* Caller guarantees len < cap (after a reserve). */                       \
    PS_VEC_FN void name##_push_unchecked(name *v, T x)                         \
    {                                                                          \
        v->data[v->len++] = x;                                                 \
    }                                                                          \
    PS_VEC_FN int name##_pop(name *v, T *out)                                  \
    {                                                                          \
        if (v->len == 0)                                                       \
            return PS_E_EMPTY;                                                 \
        v->len--;                                                              \
        if (out)                                                               \
            *out = v->data[v->len];                                            \
        return PS_OK;                                                          \
    }                                                                          \
    /* Unchecked element access (i < len is the caller's promise). */          \
    PS_VEC_FN T name##_at(const name *v, uint32_t i) { return v->data[i]; }    \
    PS_VEC_FN T *name##_ptr(const name *v, uint32_t i)                         \
    {                                                                          \
        return &v->data[i];                                                    \
    }                                                                          \
    PS_VEC_FN int name##_get(const name *v, uint32_t i, T *out)                \
    {                                                                          \
        if (i >= v->len)                                                       \
            return PS_E_INVAL;                                                 \
        *out = v->data[i];                                                     \
        return PS_OK;                                                          \
    }                                                                          \
    PS_VEC_FN int name##_set(name *v, uint32_t i, T x)                         \
    {                                                                          \
        if (i >= v->len)                                                       \
            return PS_E_INVAL;                                                 \
        v->data[i] = x;                                                        \
        return PS_OK;                                                          \
    }                                                                          \
    /* Keeps the capacity. */                                                  \
    PS_VEC_FN void name##_clear(name *v) { v->len = 0; }                       \
    /* Drops len to n (n <= len). */                                           \
    PS_VEC_FN void name##_truncate(name *v, uint32_t n)                        \
    {                                                                          \
        if (n < v->len)                                                        \
            v->len = n;                                                        \
    }                                                                          \
    /* Gives back unused capacity (to the allocator's rounding). */            \
    PS_VEC_FN int name##_shrink(name *v)                                       \
    {                                                                          \
        if (v->len == v->cap)                                                  \
            return PS_OK;                                                      \
        if (v->len == 0) {                                                     \
            name##_free(v);                                                    \
            return PS_OK;                                                      \
        }                                                                      \
        return name##_reserve_to_(v, v->len, 2);                               \
    }                                                                          \
    /* Appends n elements copied from src (src must not point into v). */      \
    PS_VEC_FN int name##_extend(name *v, const T *src, uint64_t n)             \
    {                                                                          \
        int rc_ = name##_reserve(v, n);                                        \
        if (rc_ || n == 0)                                                     \
            return rc_;                                                        \
        memcpy(v->data + v->len, src, (size_t)n * sizeof(T));                 \
        v->len += (uint32_t)n;                                                 \
        return PS_OK;                                                          \
    }                                                                          \
    /* Appends n copies of x. */                                               \
    PS_VEC_FN int name##_push_n(name *v, T x, uint64_t n)                      \
    {                                                                          \
        int rc_ = name##_reserve(v, n);                                        \
        if (rc_ || n == 0)                                                     \
            return rc_;                                                        \
        T *p_ = v->data + v->len;                                              \
        for (uint64_t i_ = 0; i_ < n; i_++)                                    \
            p_[i_] = x;                                                        \
        v->len += (uint32_t)n;                                                 \
        return PS_OK;                                                          \
    }                                                                          \
    /* Reserves n slots, counts them as elements and returns the first, for   \
     * the caller to fill (the fastest way to append in bulk). NULL on error  \
     * with *rc set. */                                                        \
    PS_VEC_FN T *name##_extend_uninit(name *v, uint64_t n, int *rc)            \
    {                                                                          \
        *rc = name##_reserve(v, n);                                            \
        if (*rc || v->data == NULL)                                            \
            return NULL;                                                       \
        T *p_ = v->data + v->len;                                              \
        v->len += (uint32_t)n;                                                 \
        return p_;                                                             \
    }

#ifdef __cplusplus
}
#endif
#endif /* PATHSPACE_H */
