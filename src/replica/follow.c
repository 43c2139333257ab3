/* follow.c - a read replica's thread: new manifests read, their pieces
 * applied a change at a time, every interval (docs/replication.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "replica.h"

static void lag(ps_replica *r)
{
    uint64_t seq = ps__served_seq(r->sv), now = (uint64_t)ps__wall_ms();
    r->st.shipped = r->m.shipped;
    r->st.lag_seq = r->m.shipped > seq ? r->m.shipped - seq : 0;
    r->st.lag_ms = 0;
    for (uint32_t i = 0; r->st.lag_seq && i < r->m.npiece; i++)
        if (r->m.piece[i].last > seq) { /* the oldest change not applied: shipped then */
            r->st.lag_ms = now > r->m.piece[i].time_ms ? now - r->m.piece[i].time_ms : 0;
            break;
        }
}

static void refuse_writes(ps_replica *r)
{
    char why[1024];
    const char *at = r->primary[0] ? r->primary : r->m.primary;
    snprintf(why, sizeof why, "a read-only replica of %s: write to its primary%s%s",
             ps__s3_url(r->b), at[0] ? " at " : "", at);
    ps__served_set_readonly(r->sv, why);
}

static int round_(ps_replica *r, ps_diag *d)
{
    int rc = ps__bucket_latest(r->b, r->m.number, &r->m, d);
    if (rc == PS_E_NOTFOUND && r->m.number) /* collected: look for the newest again */
        rc = ps__bucket_latest(r->b, 0, &r->m, d);
    if (!rc)
        rc = ps__bucket_apply(r, &r->m, d);
    return rc == PS_E_NOTFOUND ? PS_OK : rc; /* a piece collected under us: read again */
}

static void *follow_main(void *arg)
{
    ps_replica *r = arg;
    for (uint64_t wait = 0; !ps__replica_nap(r, wait);) {
        ps_diag d = { 0 };
        int rc = round_(r, &d);
        lag(r);
        if (!rc)
            r->st.why[0] = 0;
        ps__replica_report(r, rc ? &d : NULL);
        wait = r->o.interval_ms;
    }
    return NULL;
}

int ps_follow_start(ps_served *sv, const char *url, const ps_replica_opts *o, ps_replica **out,
                    ps_diag *d)
{
    ps_replica *r;
    int rc = ps__replica_new(sv, url, o, &r, d);
    if (rc)
        return rc;
    rc = ps__bucket_latest(r->b, 0, &r->m, d);
    if (rc && rc != PS_E_NOTFOUND) { /* none yet is fine: the primary's comes */
        ps__replica_free(r);
        return rc;
    }
    r->st.role = SERVED_REPLICA;
    refuse_writes(r);
    lag(r);
    if ((rc = ps__replica_run(r, follow_main, d)))
        return rc;
    *out = r;
    return PS_OK;
}
