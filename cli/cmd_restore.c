/* cmd_restore.c - pathspace restore s3://BUCKET/PREFIX DIR: a space out of
 * a bucket a primary ships to (docs/replication.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage[] =
    "usage: pathspace restore s3://BUCKET[/PREFIX] DIR [--at SEQ | --at-time TIME]\n"
    "  Makes DIR (new or empty) a persistent space holding what the bucket's\n"
    "  primary had shipped: the newest point, or the last change at or before\n"
    "  log sequence SEQ, or as of TIME (seconds since 1970, or UTC as\n"
    "  2026-12-07T05:30:00Z): the last piece of log shipped by then, so to\n"
    "  within the primary's shipping interval. Only points from the oldest\n"
    "  checkpoint the bucket keeps on can be restored. Keys and endpoint: from\n"
    "  the environment (PATHSPACE_S3_ENDPOINT, AWS_ACCESS_KEY_ID,\n"
    "  AWS_SECRET_ACCESS_KEY, AWS_REGION) or ~/.aws/credentials.\n";

/* Seconds since 1970 (a fraction allowed), or YYYY-MM-DDTHH:MM:SSZ, as ms. */
static int parse_time(const char *v, uint64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end && (!strcmp(end, "Z") || !*end)) {
        time_t t = timegm(&tm);
        if (t < 0)
            return -1;
        *ms = (uint64_t)t * 1000;
        return 0;
    }
    char *e;
    double s = strtod(v, &e);
    if (e == v || *e || s < 0 || s > 1e13)
        return -1;
    *ms = (uint64_t)(s * 1000);
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    if (has_help(argc, argv, usage))
        return 0;
    const char *url = NULL, *dir = NULL;
    uint64_t at = 0, at_ms = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--at")) {
            if (!v || parse_u64(v, &at) || !at)
                return die("restore: --at takes a log sequence number (1 or more)"), 2;
            i++;
        } else if (!strcmp(argv[i], "--at-time")) {
            if (!v || parse_time(v, &at_ms) || !at_ms)
                return die("restore: --at-time takes seconds since 1970 or "
                           "YYYY-MM-DDTHH:MM:SSZ"), 2;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return die("restore: unknown option %s", argv[i]), 2;
        } else if (!url) {
            url = argv[i];
        } else if (!dir) {
            dir = argv[i];
        } else {
            return die("restore: one bucket and one DIR (see --help)"), 2;
        }
    }
    if (!url || !dir)
        return die("restore: needs s3://BUCKET[/PREFIX] and DIR (see --help)"), 2;
    if (at && at_ms)
        return die("restore: --at or --at-time, not both"), 2;
    ps_recovery r;
    ps_diag d = { 0 };
    int rc = ps_restore(url, dir, at, at_ms, &r, &d);
    if (rc)
        return die("restore: %s: %s", ps_strerror(rc), d.msg);
    printf("restored %s: last seq %" PRIu64 ", %" PRIu64 " log records replayed\n", dir,
           r.last_seq, r.replayed);
    return 0;
}
