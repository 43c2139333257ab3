/*
 * main.c - the unit-test runner. Usage: run_tests [--seed N] [NAME-SUBSTRING]
 * Ends with "N passed, N failed"; exits 1 if any case failed.
 */
#include <ftw.h>
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

int main(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            t_seed = strtoull(argv[++i], NULL, 0);
        else
            filter = argv[i];
    }
    printf("unit tests, seed %" PRIu64 " (rerun: run_tests --seed %" PRIu64 ")\n",
           t_seed, t_seed);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (filter && !strstr(cases[i].name, filter))
            continue;
        t_case_failures = 0;
        t_rng = t_seed ^ (0x51ED270B27ull * (i + 1));
        cases[i].fn();
        fflush(stderr);
        if (t_case_failures) {
            printf("FAIL %s\n", cases[i].name);
            failed++;
        } else {
            printf("ok   %s\n", cases[i].name);
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
