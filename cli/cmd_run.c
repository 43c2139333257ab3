/*
 * cmd_run.c - pathspace run: MORK's `mork run`. Loads FILE and every
 * --aux-path into one space, runs its exec rules, and writes the space
 * (docs/exec.md).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static const char run_usage[] =
    "usage: pathspace run FILE [OUT] [options]\n"
    "       pathspace run DIR [OUT] [options]     (a persistent space, run in place)\n"
    "\n"
    "Runs the exec rules of FILE as MORK's `mork run` does: each step takes the\n"
    "byte-order-smallest (exec LOC PATTERNS TEMPLATES) atom, removes it, matches its\n"
    "patterns against the space, and writes what its templates and sinks make. The\n"
    "run ends when no exec atom is left or the budget is spent; then the space is\n"
    "written to OUT (format by extension or --to; default: stdout as MeTTa text).\n"
    "What the run did goes to stderr.\n"
    "\n"
    "  --steps N          the budget: as MORK, N+1 exec atoms (default 10^15)\n"
    "  --exact-steps      run exactly N exec atoms\n"
    "  --timing           add (timing EXEC I NS) after each step\n"
    "  --aux-path FILE    load FILE into the same space too (repeatable)\n"
    "  --act-dir DIR      (ACT name ...) reads and writes DIR/name.act (default: none,\n"
    "                     and ACT sources and sinks fail)\n"
    "  --max-results N    per step: template instances, at most (default 134217728)\n"
    "  --max-bytes B      per step: their bytes (k/m/g; default 4g)\n"
    "  --max-work N       per step: trie positions matching may read (default: no limit)\n"
    "  --instrumentation N  0: no counting lines (default 1)\n"
    "  --to FMT           OUT's format\n"
    "\n"
    "With DIR, a persistent space (pathspace open), the program runs in it: every\n"
    "step is one logged change, so a run killed at any moment reopens at a step\n"
    "boundary and `pathspace run DIR` goes on from there (--aux-path files are\n"
    "added to it first, logged). SIGINT or SIGTERM stops it after the current step.\n"
    "The space is written to OUT only when OUT is given.\n"
    "\n"
    "A step that fails (a malformed exec, an unknown sink, a limit) writes nothing,\n"
    "is named on stderr, and the run goes on; the exit status is 1 if any failed.\n";

typedef struct runctx {
    progress p;
    char what[64];
    unsigned long failures_shown;
} runctx;

/* A run in place stops between two steps when asked. */
static volatile sig_atomic_t stop_asked;
static void on_stop(int sig)
{
    (void)sig;
    stop_asked = 1;
}

static void on_error(void *ctx, const ps_exec_failure *f)
{
    runctx *c = ctx;
    if (c->failures_shown++ >= 20) {
        if (c->failures_shown == 22)
            fprintf(stderr, "pathspace run: more steps failed (the count is at the end)\n");
        return;
    }
    ps_buf t = { 0 };
    ps_atom_print(f->exec, &t);
    progress_end(&c->p);
    fprintf(stderr, "pathspace run: step %llu failed (%s%s%s): %.*s\n",
            (unsigned long long)f->step, ps_exec_error_name(f->code), f->detail ? ": " : "",
            f->detail ? ps_strerror(f->detail) : "", (int)(t.len > 300 ? 300 : t.len),
            (const char *)ps_buf_data(&t));
    ps_buf_free(&t);
}

static int on_progress(void *ctx, const ps_exec_stats *st, uint64_t atoms)
{
    runctx *c = ctx;
    snprintf(c->what, sizeof c->what, "run (%llu atoms)", (unsigned long long)atoms);
    c->p.what = c->what;
    progress_at(&c->p, st->execs);
    return stop_asked;
}

static int num_opt(const char *name, const char *v, uint64_t *out)
{
    if (!v || parse_u64(v, out))
        return die("run: %s needs a number", name);
    return 0;
}

/* Options: 0, or the exit status after saying why. */
static int options(int argc, char **argv, ps_exec_opts *o, wopts *w, const char **pos,
                   int *npos, const char **aux, int *naux, uint64_t *instr)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int k = wopts_arg(w, argc, argv, &i);
        if (k < 0)
            return 2;
        if (k)
            continue;
        if (!strcmp(a, "--exact-steps"))
            o->exact = 1;
        else if (!strcmp(a, "--timing"))
            o->timing = 1;
        else if (!strcmp(a, "--steps") && ++i)
            k = num_opt(a, v, &o->steps);
        else if (!strcmp(a, "--max-results") && ++i)
            k = num_opt(a, v, &o->max_results);
        else if (!strcmp(a, "--max-work") && ++i)
            k = num_opt(a, v, &o->max_work);
        else if (!strcmp(a, "--instrumentation") && ++i)
            k = num_opt(a, v, instr);
        else if (!strcmp(a, "--max-bytes") && ++i)
            k = !v || parse_bytes(v, UINT64_MAX, &o->max_bytes) ? die("run: --max-bytes needs a size") : 0;
        else if (!strcmp(a, "--act-dir") && ++i)
            k = v ? (o->act_dir = v, 0) : die("run: --act-dir needs a directory");
        else if (!strcmp(a, "--aux-path") && ++i)
            k = v ? (aux[(*naux)++] = v, 0) : die("run: --aux-path needs a file");
        else if (!strncmp(a, "--", 2) || *npos == 2)
            k = die("run: unexpected argument '%s' (see --help)", a);
        else
            pos[(*npos)++] = a;
        if (k)
            return 2;
    }
    return 0;
}

/* Runs o on x (a space) or p (a persistent space), saying what it did. */
static int execute(ps_space *s, ps_pspace *p, ps_exec_opts *o, const char *file, const char *out,
                   uint64_t instr)
{
    const ps_space *sp = s ? s : ps_pspace_space(p);
    if (instr)
        fprintf(stderr, "loaded %llu expressions\n", (unsigned long long)ps_space_count(sp));
    fprintf(stderr, "loaded \"%s\" ; running and outputing to \"%s\"\n", file, out ? out : "-");
    runctx c;
    memset(&c, 0, sizeof c);
    progress_begin(&c.p, "run", "steps", 0, 0);
    o->on_error = on_error;
    o->progress = on_progress;
    o->ctx = &c;
    ps_exec_stats st;
    ps_diag d = { 0 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int e = s ? ps_space_exec(s, o, &st, &d) : ps_pspace_exec(p, o, &st, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    progress_end(&c.p);
    int rc = e ? diag_die("run", &d, e) : 0;
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    fprintf(stderr, "executing %llu steps took %.0f ms (execs %llu, solutions %llu, added %llu, "
                    "removed %llu, failed %llu%s)\n",
            (unsigned long long)st.returned, ms, (unsigned long long)st.execs,
            (unsigned long long)st.solutions, (unsigned long long)st.added,
            (unsigned long long)st.removed, (unsigned long long)st.failed,
            st.stopped ? ", stopped" : "");
    if (instr)
        fprintf(stderr, "dumping %llu expressions\n", (unsigned long long)ps_space_count(sp));
    return rc ? rc : st.failed ? 1 : 0;
}

/* pathspace run DIR: the program runs in the persistent space. */
static int run_in_place(const char *dir, const char **aux, int naux, ps_exec_opts *o, wopts *w,
                        int has_out, uint64_t instr)
{
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    ps_pspace *p;
    if (open_space(dir, &po, &p, instr == 0))
        return 2;
    int rc = 0;
    for (int i = 0; !rc && i < naux; i++)
        rc = pspace_import(p, aux[i]) ? 2 : 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!rc)
        rc = execute(NULL, p, o, dir, has_out ? w->out : NULL, instr);
    if (rc != 2 && has_out) {
        src x;
        memset(&x, 0, sizeof x);
        x.name = dir;
        x.f = PS_FORMAT_METTA;
        x.s = (ps_space *)ps_pspace_space(p);
        if (write_dest(&x, w))
            rc = 2;
    }
    ps_diag d = { 0 };
    int c = ps_pspace_close(p, &d);
    if (c && rc != 2)
        rc = diag_die(dir, &d, c);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    if (has_help(argc, argv, run_usage))
        return 0;
    ps_exec_opts o;
    ps_exec_opts_init(&o);
    wopts w = { 0 };
    const char *pos[2] = { NULL, NULL };
    const char **aux = calloc((size_t)argc, sizeof *aux);
    int npos = 0, naux = 0;
    uint64_t instr = 1;
    if (!aux)
        return die("out of memory") + 1;
    int rc = options(argc, argv, &o, &w, pos, &npos, aux, &naux, &instr);
    if (!rc && npos < 1)
        rc = die("run: needs FILE (see --help)") + 1;
    w.out = npos > 1 ? pos[1] : "-";
    w.quiet = 1;
    if (!rc && (w.to = fmt_out("run", w.out, w.to)) == FMT_NONE)
        rc = 2;
    struct stat sb;
    if (!rc && !stat(pos[0], &sb) && S_ISDIR(sb.st_mode)) {
        rc = run_in_place(pos[0], aux, naux, &o, &w, npos > 1, instr);
        free(aux);
        return rc;
    }
    src x;
    memset(&x, 0, sizeof x);
    x.name = "the space";
    x.f = PS_FORMAT_METTA;
    if (!rc && ps_space_new(&x.s))
        rc = die("out of memory") + 1;
    if (!rc && load_source(x.s, pos[0], w.from, 1))
        rc = 2;
    for (int i = 0; !rc && i < naux; i++)
        if (load_source(x.s, aux[i], FMT_NONE, 1))
            rc = 2;
    if (!rc)
        rc = execute(x.s, NULL, &o, pos[0], w.out, instr);
    if (rc != 2 && write_dest(&x, &w))
        rc = 2;
    ps_space_free(x.s);
    free(aux);
    return rc;
}
