/*
 * main.c - the unit-test runner. Usage: run_tests [--seed N] [NAME-SUBSTRING]
 * Ends with "N passed, N failed"; exits 1 if any case failed.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <time.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cases.h"

int t_case_failures;
uint64_t t_seed = 20261121;
uint64_t t_rng;

void t_fail(const char *file, int line, const char *expr)
{
    if (t_case_failures++ < 10)
        fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", file, line, expr);
}

void t_failf(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (t_case_failures++ >= 10)
        return;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int t_read_file(const char *path, ps_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[65536];
    size_t n;
    ps_buf_clear(out, 0);
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (ps_buf_append(out, tmp, n))
            break;
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

ps_space *t_gen_space(uint64_t seed, uint64_t n)
{
    ps_buf text = { 0 };
    ps_space *s;
    ps_parser *pr;
    ps_bytes a;
    REQUIRE_OK(ps_gen_text(seed, 0, n, &text));
    REQUIRE_OK(ps_space_new(&s));
    REQUIRE_OK(ps_parser_new(&pr));
    ps_parser_reset(pr, ps_buf_data(&text), text.len);
    while (ps_parser_next(pr, &a, NULL) == PS_OK)
        CHECK_OK(ps_space_insert(s, a, NULL));
    ps_parser_free(pr);
    ps_buf_free(&text);
    REQUIRE(ps_space_count(s) == n);
    return s;
}

const char *t_tmpdir(char buf[256])
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, 256, "%s/ps_test_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(buf);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

void t_rmtree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int t_child_limited(int (*fn)(const char *), const char *arg, long fsize)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = { (rlim_t)fsize, (rlim_t)fsize };
        signal(SIGXFSZ, SIG_IGN);
        _exit(setrlimit(RLIMIT_FSIZE, &rl) ? 99 : fn(arg));
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

struct tcase {
    const char *name;
    void (*fn)(void);
};

static const struct tcase cases[] = {
#define X(n) { #n, t_##n },
    TEST_CASES
#undef X
};

/* REQUIRE and SKIP leave the case through here. */
static jmp_buf case_exit;
static char skip_reason[256];

void t_abort_case(void)
{
    longjmp(case_exit, 1);
}

void t_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(skip_reason, sizeof skip_reason, fmt, ap);
    va_end(ap);
    longjmp(case_exit, 2);
}

void t_need_file(const char *path)
{
    if (access(path, R_OK))
        t_skip("needs %s, which is not here (real data sits beside a checkout in ../shared)",
               path);
}

const char *t_data(const char *name)
{
    static char path[4096];
    const char *dir = getenv("PS_DATA");
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "../shared/data", name);
    return path;
}

enum { R_PASS = 0, R_FAIL = 1, R_SKIP = 77 };

/* Runs case i in this process: R_PASS, R_FAIL or R_SKIP. */
static int run_here(size_t i)
{
    t_case_failures = 0;
    skip_reason[0] = 0;
    t_rng = t_seed ^ (0x51ED270B27ull * (i + 1));
    int how = setjmp(case_exit);
    if (how == 0)
        cases[i].fn();
    fflush(stderr);
    if (how == 2 && !t_case_failures)
        return R_SKIP;
    return t_case_failures ? R_FAIL : R_PASS;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs case i in a child with a time limit, so that a crash, an abort or a
 * hang fails that case by name and the others still run (as CTest does).
 * The child reports a skip's reason on the pipe. */
static int run_forked(size_t i, unsigned timeout, char *why, size_t whylen)
{
    int fds[2];
    if (pipe(fds))
        return snprintf(why, whylen, "cannot make a pipe"), R_FAIL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return snprintf(why, whylen, "cannot fork"), R_FAIL;
    if (pid == 0) {
        close(fds[0]);
        alarm(timeout); /* SIGALRM's default action ends the child */
        int r = run_here(i);
        if (r == R_SKIP && write(fds[1], skip_reason, strlen(skip_reason)) < 0)
            r = R_FAIL;
        fflush(stdout);
        _exit(r);
    }
    close(fds[1]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    /* read only now, without blocking: a grandchild the case forked may
     * still hold the pipe open */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    ssize_t n = read(fds[0], why, whylen - 1);
    why[n > 0 ? n : 0] = 0;
    close(fds[0]);
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == R_SKIP ? R_SKIP : WEXITSTATUS(status) ? R_FAIL : R_PASS;
    int sig = WTERMSIG(status);
    if (sig == SIGALRM)
        snprintf(why, whylen, "timed out after %u s", timeout);
    else
        snprintf(why, whylen, "crashed: signal %d (%s)", sig, strsignal(sig));
    return R_FAIL;
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    int fork_cases = 1;
    const char *env = getenv("PS_TEST_TIMEOUT");
    unsigned timeout = env && *env ? (unsigned)strtoul(env, NULL, 10) : 300;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            t_seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--no-fork")) /* for a debugger */
            fork_cases = 0;
        else
            filter = argv[i];
    }
    printf("unit tests, seed %" PRIu64 " (rerun: run_tests --seed %" PRIu64 " [NAME] "
           "[--no-fork])\n", t_seed, t_seed);
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (filter && !strstr(cases[i].name, filter))
            continue;
        char why[256] = "";
        double t0 = now();
        int r = fork_cases ? run_forked(i, timeout, why, sizeof why) : run_here(i);
        if (!fork_cases && r == R_SKIP)
            snprintf(why, sizeof why, "%s", skip_reason);
        double dt = now() - t0;
        if (r == R_PASS) {
            printf("ok   %s (%.2f s)\n", cases[i].name, dt);
            passed++;
        } else if (r == R_SKIP) {
            printf("skip %s: %s\n", cases[i].name, why);
            skipped++;
        } else {
            printf("FAIL %s%s%s\n", cases[i].name, why[0] ? ": " : "", why);
            failed++;
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
