/*
 * progress.c - a status line on stderr for work that runs for seconds:
 * only on a terminal, only once the work has run for a second (quick
 * commands print nothing), at most five times a second, and wiped when
 * the work ends, so it never mixes with what the command prints.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_begin(progress *p, const char *what, const char *unit, uint64_t total, int quiet)
{
    p->on = !quiet && isatty(2);
    p->shown = 0;
    p->t0 = p->last = mono();
    p->what = what;
    p->unit = unit;
    p->total = total;
}

/* 1234567 -> "1.23M" */
static void human(char *b, size_t n, double v)
{
    static const char sfx[] = " kMGT";
    int k = 0;
    while (v >= 1000 && k < 4)
        v /= 1000, k++;
    snprintf(b, n, k ? "%.2f%c" : "%.0f", v, sfx[k]);
}

void progress_at(progress *p, uint64_t done)
{
    if (!p->on)
        return;
    double t = mono(), run = t - p->t0;
    if (run < 1.0 || t - p->last < 0.2)
        return;
    p->last = t;
    p->shown = 1;
    char d[16], r[16], all[16];
    human(d, sizeof d, (double)done);
    human(r, sizeof r, (double)done / run);
    if (p->total && done <= p->total) {
        human(all, sizeof all, (double)p->total);
        double eta = done ? run * (double)(p->total - done) / (double)done : 0;
        fprintf(stderr, "\r\033[K%s: %3.0f%%  %s of %s %s  %s/s  %.0f s left", p->what,
                100.0 * (double)done / (double)p->total, d, all, p->unit, r, eta);
    } else {
        fprintf(stderr, "\r\033[K%s: %s %s  %s/s  %.1f s", p->what, d, p->unit, r, run);
    }
}

void progress_end(progress *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
    p->shown = 0;
}
