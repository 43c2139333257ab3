/*
 * driver.c - the workload of tests/cli_faults.sh, run under faultfs.
 *
 *   faultdrv run DIR N     adds (f i) for i < N, one call each, removes
 *                          every fifth again, and checkpoints every 40
 *                          changes, with fsync always; prints "+ i" or
 *                          "- i" to stdout after each call that returned
 *                          PS_OK (acknowledged: it is in the log and
 *                          synced), then closes. Exits 0, or 3 at the first
 *                          error (an injected fault). $PS_FAULT_NOSYNC
 *                          makes it a broken space that never syncs, for
 *                          the harness to show it notices.
 *   faultdrv check DIR ACKS  reopens DIR with no fault and checks that
 *                          every acknowledged change holds: what was added
 *                          and not removed is there, what was removed is
 *                          not. Only the one change in flight when the
 *                          fault came may go either way. Exit 0, or 1
 *                          saying what differs, or 2 if it does not open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathspace.h"

static ps_bytes atom(int i, ps_buf *b)
{
    char t[32];
    int n = snprintf(t, sizeof t, "(f %d)", i);
    ps_buf_clear(b, 0);
    if (ps_atom_parse(t, (size_t)n, b, NULL))
        exit(4);
    return ps_buf_bytes(b);
}

static int run(const char *dir, int n)
{
    ps_pspace_opts o;
    ps_pspace_opts_init(&o);
    o.fsync = getenv("PS_FAULT_NOSYNC") ? PS_FSYNC_NEVER : PS_FSYNC_ALWAYS; /* a broken build */
    o.threads = 1;
    ps_pspace *p;
    ps_diag d = { 0 };
    if (ps_pspace_open(dir, &o, &p, NULL, &d))
        return fprintf(stderr, "open: %s\n", d.msg), 3;
    ps_buf b = { 0 };
    int changes = 0, rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if ((rc = ps_pspace_add(p, atom(i, &b), NULL)))
            break;
        printf("+ %d\n", i);
        fflush(stdout);
        if (i % 5 == 4) {
            if ((rc = ps_pspace_remove(p, atom(i - 2, &b), NULL)))
                break;
            printf("- %d\n", i - 2);
            fflush(stdout);
        }
        if (++changes % 40 == 0 && (rc = ps_pspace_checkpoint(p, NULL, &d)))
            break;
    }
    ps_buf_free(&b);
    if (rc) {
        fprintf(stderr, "fault: %s\n", ps_strerror(rc));
        ps_pspace_abandon(p);
        return 3;
    }
    return ps_pspace_close(p, &d) ? (fprintf(stderr, "close: %s\n", d.msg), 3) : 0;
}

static int check(const char *dir, const char *acks)
{
    FILE *f = fopen(acks, "r");
    if (!f)
        return 2;
    int state[100000] = { 0 }; /* 0 never, 1 added, 2 removed (acknowledged) */
    int last = -1, lastop = 0, top = 8; /* past every index seen, and the one in flight */
    char op;
    int i;
    while (fscanf(f, " %c %d", &op, &i) == 2 && i >= 0 && i < 100000) {
        state[i] = op == '+' ? 1 : 2;
        last = i;
        lastop = op;
        top = i + 8 > top ? i + 8 : top;
    }
    fclose(f);
    ps_pspace *p;
    ps_diag d = { 0 };
    if (ps_pspace_open(dir, NULL, &p, NULL, &d))
        return fprintf(stderr, "reopen: %s\n", d.msg), 2;
    /* the change after the last acknowledged one was in flight: either way */
    int fly_add = last < 0 ? 0 : lastop == '-' ? last + 3 : last % 5 == 4 ? -1 : last + 1;
    int fly_rm = lastop == '+' && last % 5 == 4 ? last - 2 : -1;
    ps_buf b = { 0 };
    int bad = 0;
    for (i = 0; i < top && i < 100000; i++) {
        int has = ps_space_contains(ps_pspace_space(p), atom(i, &b));
        if ((state[i] == 1 && !has && i != fly_rm) || (state[i] == 2 && has) ||
            (!state[i] && has && i != fly_add)) {
            fprintf(stderr, "(f %d): acknowledged %s, %s after reopening\n", i,
                    state[i] == 1 ? "added" : state[i] == 2 ? "removed" : "nothing",
                    has ? "present" : "absent");
            bad = 1;
        }
    }
    ps_buf_free(&b);
    ps_pspace_close(p, NULL);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "run"))
        return run(argv[2], atoi(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "check"))
        return check(argv[2], argv[3]);
    fprintf(stderr, "usage: faultdrv run DIR N | check DIR ACKS\n");
    return 2;
}
