/*
 * signals.c - what the command does when a signal comes, so that no signal
 * leaves a half-written output behind or dies without saying why:
 *   - SIGTERM, SIGINT, SIGHUP: remove the temporary output being written,
 *     then die of the signal as usual (the caller sees how we ended);
 *   - SIGBUS: a mapped input shrank underneath us (another process cut
 *     it): say which file, remove the temporary output, exit 1;
 *   - SIGXFSZ is ignored, so a file-size limit (ulimit -f) makes the write
 *     fail with EFBIG, which every writer reports and cleans up after.
 * The handlers use only async-signal-safe calls (write, unlink, _exit,
 * raise) on names copied into fixed buffers beforehand.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define NAME_MAX_LEN 1024
#define MAX_INPUTS 8

static char temp_out[NAME_MAX_LEN];
static volatile sig_atomic_t have_temp;
static char inputs[MAX_INPUTS][NAME_MAX_LEN];
static volatile sig_atomic_t ninputs;

static void say(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void drop_temp(void)
{
    if (have_temp)
        unlink(temp_out);
}

static void on_term(int sig)
{
    drop_temp();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_bus(int sig)
{
    (void)sig;
    say("pathspace: ");
    say(ninputs ? inputs[ninputs - 1] : "an input file");
    say(": the file changed underneath (it was cut short) while it was being read\n");
    drop_temp();
    _exit(1);
}

void sig_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_bus;
    sigaction(SIGBUS, &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
}

/* Copies name into buf; a name too long to hold is left out (the message
 * then says "an input file"). */
static int copy_name(char *buf, const char *name)
{
    size_t n = strlen(name);
    if (n >= NAME_MAX_LEN)
        return 0;
    memcpy(buf, name, n + 1);
    return 1;
}

void sig_temp_set(const char *path)
{
    have_temp = 0;
    if (copy_name(temp_out, path))
        have_temp = 1;
}

void sig_temp_clear(void)
{
    have_temp = 0;
}

void sig_input_push(const char *name)
{
    if (ninputs < MAX_INPUTS && copy_name(inputs[ninputs], name))
        ninputs++;
}

void sig_input_pop(void)
{
    if (ninputs)
        ninputs--;
}
