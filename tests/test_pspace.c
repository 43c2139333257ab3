/* test_pspace.c - the write-ahead log and the persistent space: reopen
 * after a clean close and after an abandon; the checkpoint policy and
 * segment removal; a torn tail dropped and reported; damage mid-log an
 * error naming file and offset, or cut with truncate_corrupt; the lock; and
 * the crash test: a child applying random changes with fsync always is
 * SIGKILLed at random moments, and every recovery must hold exactly the
 * acknowledged changes (plus, at most, the one in flight). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "cases.h"
#include "store/wal.h"

#define WAL_HDR_BYTES WAL_HDR

#define UNIVERSE 300

static ps_bytes key(size_t i, char *buf)
{
    int n = snprintf(buf, 32, "(fact %zu)", i);
    return ps_bytes_of(buf, (size_t)n);
}

static ps_pspace *popen_space(const char *dir, int fsync, uint64_t every, ps_recovery *rec,
                              int expect)
{
    ps_pspace_opts o = { .size = sizeof(ps_pspace_opts), .fsync = fsync, .ckpt_changes = every, .threads = 1 };
    ps_pspace *p = NULL;
    ps_diag d = { 0 };
    int rc = ps_pspace_open(dir, &o, &p, rec, &d);
    if (rc != expect)
        t_failf(__FILE__, __LINE__, "open %s: %s (%s)", dir, ps_strerror(rc), d.msg);
    return p;
}

/* The last segment file of DIR/wal. */
static void last_segment(const char *dir, char *out)
{
    char wdir[300], best[256] = "";
    snprintf(wdir, sizeof wdir, "%s/wal", dir);
    DIR *d = opendir(wdir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".log") && strcmp(e->d_name, best) > 0)
            snprintf(best, sizeof best, "%s", e->d_name);
    if (d)
        closedir(d);
    snprintf(out, 400, "%s/%s", wdir, best);
}

static size_t segments(const char *dir)
{
    char wdir[300];
    snprintf(wdir, sizeof wdir, "%s/wal", dir);
    DIR *d = opendir(wdir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".log") != NULL;
    if (d)
        closedir(d);
    return n;
}

static uint64_t count(const ps_pspace *p)
{
    ps_space_stats s;
    ps_space_stats_get(ps_pspace_space(p), &s);
    return s.paths;
}

void t_pspace_reopen(void)
{
    char dir[256], k[32];
    CHECK(t_tmpdir(dir));
    ps_recovery rec;
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    CHECK(!rec.have_ckpt && rec.replayed == 0);
    int added, removed;
    for (size_t i = 0; i < 100; i++) {
        CHECK_OK(ps_pspace_add(p, key(i, k), &added));
        CHECK_EQ(added, 1);
    }
    CHECK_OK(ps_pspace_add(p, key(5, k), &added));
    CHECK_EQ(added, 0); /* a no-op, not logged */
    CHECK_OK(ps_pspace_remove(p, key(7, k), &removed));
    CHECK_EQ(removed, 1);
    CHECK_OK(ps_pspace_remove(p, key(7, k), &removed));
    CHECK_EQ(removed, 0);
    CHECK_OK(ps_pspace_set_value(p, key(9, k), 42));
    CHECK_EQ(ps_pspace_seq(p), 102);
    ps_pspace_abandon(p); /* no checkpoint: everything comes from the log */
    p = popen_space(dir, PS_FSYNC_ALWAYS, 0, &rec, PS_OK);
    CHECK(!rec.have_ckpt);
    CHECK_EQ(rec.replayed, 102);
    CHECK_EQ(rec.last_seq, 102);
    CHECK_EQ(count(p), 99);
    CHECK(!ps_space_contains(ps_pspace_space(p), key(7, k)));
    uint64_t v;
    CHECK_OK(ps_space_get_value(ps_pspace_space(p), key(9, k), &v));
    CHECK_EQ(v, 42);
    /* a second opener is refused while this one holds the lock */
    ps_pspace *q = popen_space(dir, PS_FSYNC_NEVER, 0, NULL, PS_E_LOCKED);
    CHECK(q == NULL);
    ps_bytes batch[50];
    char keys[50][32];
    for (size_t i = 0; i < 50; i++)
        batch[i] = key(90 + i, keys[i]);
    uint64_t n;
    CHECK_OK(ps_pspace_add_many(p, batch, 50, &n));
    CHECK_EQ(n, 40);
    CHECK_OK(ps_pspace_close(p, NULL)); /* final checkpoint */
    p = popen_space(dir, PS_FSYNC_EVERYSEC, 0, &rec, PS_OK);
    CHECK(rec.have_ckpt);
    CHECK_EQ(rec.ckpt.atoms, 139);
    CHECK_EQ(rec.ckpt.log_pos, 142);
    CHECK_EQ(rec.replayed, 0);
    CHECK_EQ(count(p), 139);
    CHECK_OK(ps_pspace_remove(p, key(0, k), NULL));
    CHECK_OK(ps_pspace_close(p, NULL));
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    CHECK_EQ(count(p), 138);
    CHECK_EQ(ps_pspace_seq(p), 143);
    CHECK_OK(ps_pspace_close(p, NULL)); /* nothing changed: no checkpoint */
    t_rmtree(dir);
}

void t_pspace_policy(void)
{
    char dir[256], k[32];
    CHECK(t_tmpdir(dir));
    ps_recovery rec;
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 25, &rec, PS_OK);
    for (size_t i = 0; i < 110; i++)
        CHECK_OK(ps_pspace_add(p, key(i, k), NULL));
    /* checkpoints at 25, 50, 75, 100; two kept; the log from the older one */
    ps_ckpt_info *v;
    size_t n;
    CHECK_OK(ps_ckpt_list(ps_pspace_store(p), &v, &n, NULL));
    CHECK_EQ(n, 2);
    CHECK_EQ(v[0].log_pos, 100);
    CHECK_EQ(v[1].log_pos, 75);
    free(v);
    CHECK_EQ(segments(dir), 2); /* [76..100] and [101..] */
    ps_store_stats s;
    CHECK_OK(ps_store_stats_get(ps_pspace_store(p), &s));
    CHECK_EQ(s.objects, 2);
    ps_pspace_abandon(p);
    p = popen_space(dir, PS_FSYNC_NEVER, 25, &rec, PS_OK);
    CHECK_EQ(rec.ckpt.log_pos, 100);
    CHECK_EQ(rec.replayed, 10);
    CHECK_EQ(count(p), 110);
    ps_pspace_abandon(p);
    /* the newest checkpoint damaged: the older one plus more log */
    REQUIRE_OK(ps_pspace_open(dir, NULL, &p, &rec, NULL));
    ps_ckpt_info *w;
    CHECK_OK(ps_ckpt_list(ps_pspace_store(p), &w, &n, NULL));
    ps_oid newest = w[0].oid;
    free(w);
    ps_pspace_abandon(p);
    char id[PS_OID_STR_MAX], file[600];
    ps_oid_format(&newest, id);
    snprintf(file, sizeof file, "%s/store/sha256/%.2s/%s", dir, id + 7, id + 7);
    CHECK(truncate(file, 50) == 0);
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    CHECK_EQ(rec.skipped.skipped, 1);
    CHECK_EQ(rec.skipped.skip[0].seq, 4);
    CHECK_EQ(rec.ckpt.seq, 3);
    CHECK_EQ(rec.replayed, 35);
    CHECK_EQ(count(p), 110);
    CHECK_OK(ps_pspace_checkpoint(p, NULL, NULL)); /* and it heals */
    ps_pspace_abandon(p);
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    CHECK_EQ(rec.skipped.skipped, 0);
    CHECK_EQ(rec.ckpt.seq, 5);
    CHECK_EQ(count(p), 110);
    ps_pspace_abandon(p);
    t_rmtree(dir);
}

/* A new space in dir with keys [0, n), one log record each, no checkpoint
 * unless ckpt_at (then one after that many). */
static void logged_space(char *dir, size_t n, size_t ckpt_at)
{
    char k[32];
    CHECK(t_tmpdir(dir));
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, NULL, PS_OK);
    for (size_t i = 0; p && i < n; i++) {
        CHECK_OK(ps_pspace_add(p, key(i, k), NULL));
        if (i + 1 == ckpt_at)
            CHECK_OK(ps_pspace_checkpoint(p, NULL, NULL));
    }
    ps_pspace_abandon(p);
}

void t_pspace_torn_tail(void)
{
    char dir[256], k[32], seg[400];
    ps_recovery rec;
    ps_pspace *p;
    logged_space(dir, 20, 0);
    last_segment(dir, seg);
    struct stat sb;
    CHECK(stat(seg, &sb) == 0);
    /* every cut inside the last record: dropped and reported, never more */
    for (off_t cut = 1; cut < 24 + 10; cut += 3) {
        CHECK(truncate(seg, sb.st_size - cut) == 0);
        p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
        CHECK_EQ(rec.torn, 1);
        CHECK(strstr(rec.torn_file, ".log") != NULL);
        CHECK_EQ(count(p), 19);
        CHECK(!ps_space_contains(ps_pspace_space(p), key(19, k)));
        CHECK_OK(ps_pspace_add(p, key(19, k), NULL)); /* appends after the cut */
        ps_pspace_abandon(p);
        p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
        CHECK_EQ(rec.torn, 0);
        CHECK_EQ(count(p), 20);
        ps_pspace_abandon(p);
        CHECK(stat(seg, &sb) == 0);
    }
    /* zeros after the last record (a crash after the size grew) */
    int fd = open(seg, O_WRONLY | O_APPEND);
    static const uint8_t zeros[100];
    CHECK(write(fd, zeros, sizeof zeros) == (ssize_t)sizeof zeros);
    close(fd);
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    CHECK_EQ(rec.torn, 1);
    CHECK_EQ(count(p), 20);
    ps_pspace_abandon(p);
    t_rmtree(dir);
}

void t_pspace_corrupt_log(void)
{
    char dir[256], seg[400];
    ps_recovery rec;
    ps_pspace *p;
    logged_space(dir, 30, 10);
    last_segment(dir, seg);
    /* records here are 24 + 9 bytes: flip a byte in the fifth one */
    int fd = open(seg, O_RDWR);
    off_t at = 32 + 4 * 33 + 26;
    uint8_t c;
    CHECK(pread(fd, &c, 1, at) == 1);
    c ^= 0x40;
    CHECK(pwrite(fd, &c, 1, at) == 1);
    close(fd);
    ps_pspace_opts o = { .size = sizeof(ps_pspace_opts), .fsync = PS_FSYNC_NEVER };
    ps_diag d = { 0 };
    CHECK_RC(ps_pspace_open(dir, &o, &p, &rec, &d), PS_E_CORRUPT);
    CHECK(strstr(d.msg, "wal/000000000000000b.log at offset 164") != NULL);
    CHECK_RC(ps_pspace_open(dir, &o, &p, &rec, &d), PS_E_CORRUPT); /* nothing was lost */
    o.truncate_corrupt = 1;
    REQUIRE_OK(ps_pspace_open(dir, &o, &p, &rec, &d));
    CHECK(rec.truncated_bytes > 0);
    CHECK_EQ(rec.replayed, 4);
    CHECK_EQ(count(p), 14);
    ps_pspace_abandon(p);
    /* a damaged segment header, and a newer log version */
    fd = open(seg, O_RDWR);
    uint8_t h[4] = { WAL_VERSION + 1, 0, 0, 0 };
    CHECK(pwrite(fd, h, 4, 8) == 4);
    close(fd);
    o.truncate_corrupt = 0;
    CHECK_RC(ps_pspace_open(dir, &o, &p, &rec, &d), PS_E_VERSION);
    fd = open(seg, O_RDWR);
    CHECK(pwrite(fd, "X", 1, 0) == 1);
    close(fd);
    CHECK_RC(ps_pspace_open(dir, &o, &p, &rec, &d), PS_E_CORRUPT);
    CHECK(strstr(d.msg, "bad segment header") != NULL);
    t_rmtree(dir);
}

/* ------------------------------------------------------------ crash test */

typedef struct msg {
    uint8_t kind, op;
    uint16_t pad;
    uint32_t idx;
} msg;

static void send(int fd, uint8_t kind, uint8_t op, uint32_t idx)
{
    msg m = { kind, op, 0, idx };
    if (write(fd, &m, sizeof m) != sizeof m)
        _exit(4);
}

/* Random adds and removes, and now and then a batch of 200 adds (one
 * write of ~7 KB: the kind a kill can tear). Each change is announced
 * before it is made ('I', or 'B' then 'J's) and acknowledged after ('A'). */
static void child(const char *dir, int fd, uint64_t seed)
{
    ps_pspace_opts o = { .size = sizeof(ps_pspace_opts), .fsync = PS_FSYNC_ALWAYS, .ckpt_changes = 40, .threads = 1 };
    ps_pspace *p;
    if (ps_pspace_open(dir, &o, &p, NULL, NULL))
        _exit(3);
    uint64_t s = seed;
    char k[32], keys[200][32];
    ps_bytes batch[200];
    for (;;) {
        int rc;
        if (t_rand_next(&s) % 16 == 0) {
            send(fd, 'B', 1, 200);
            for (uint32_t i = 0; i < 200; i++) {
                uint32_t idx = (uint32_t)(t_rand_next(&s) % UNIVERSE);
                batch[i] = key(idx, keys[i]);
                send(fd, 'J', 1, idx);
            }
            rc = ps_pspace_add_many(p, batch, 200, NULL);
        } else {
            uint8_t op = t_rand_next(&s) % 10 < 6;
            uint32_t idx = (uint32_t)(t_rand_next(&s) % UNIVERSE);
            send(fd, 'I', op, idx);
            rc = op ? ps_pspace_add(p, key(idx, k), NULL) : ps_pspace_remove(p, key(idx, k), NULL);
        }
        if (rc)
            _exit(5);
        send(fd, 'A', 0, 0);
    }
}

/* Does space p hold exactly model? */
static int matches(const ps_pspace *p, const uint8_t *model)
{
    char k[32];
    uint64_t n = 0;
    for (size_t i = 0; i < UNIVERSE; i++) {
        if (ps_space_contains(ps_pspace_space(p), key(i, k)) != model[i])
            return 0;
        n += model[i];
    }
    return count(p) == n;
}

void t_pspace_crash(void)
{
    char dir[256];
    CHECK(t_tmpdir(dir));
    uint8_t model[UNIVERSE] = { 0 };
    int rounds = 40, ambiguous = 0;
    uint64_t acked_total = 0, torn = 0;
    for (int round = 0; round < rounds && !t_case_failures; round++) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            child(dir, fds[1], t_rand());
        }
        close(fds[1]);
        struct timespec ts = { 0, (long)(2 + t_below(40)) * 1000000L };
        /* drain while waiting so the child never blocks on a full pipe */
        msg *log = NULL;
        size_t n = 0, cap = 0;
        int fl = fcntl(fds[0], F_GETFL);
        fcntl(fds[0], F_SETFL, fl | O_NONBLOCK);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
            if (n == cap)
                log = realloc(log, (cap = cap ? 2 * cap : 1024) * sizeof *log);
            ssize_t k = read(fds[0], log + n, (cap - n) * sizeof *log);
            if (k > 0)
                n += (size_t)k / sizeof *log;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long el = (now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec;
            if (el >= ts.tv_nsec)
                break;
            if (k <= 0)
                usleep(200);
        }
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status)); /* not an early exit of its own */
        fcntl(fds[0], F_SETFL, fl);
        for (;;) {
            if (n == cap)
                log = realloc(log, (cap = 2 * cap) * sizeof *log);
            ssize_t k = read(fds[0], log + n, (cap - n) * sizeof *log);
            if (k <= 0)
                break;
            n += (size_t)k / sizeof *log;
        }
        close(fds[0]);
        /* the model after every acknowledged change, and the ones in flight */
        msg pend[200];
        size_t npend = 0;
        for (size_t i = 0; i < n; i++) {
            if (log[i].kind == 'I' || log[i].kind == 'B')
                npend = 0;
            if (log[i].kind == 'I' || log[i].kind == 'J')
                pend[npend++] = log[i];
            if (log[i].kind == 'A') {
                for (size_t j = 0; j < npend; j++)
                    model[pend[j].idx] = pend[j].op;
                npend = 0;
                acked_total++;
            }
        }
        free(log);
        ps_recovery rec;
        ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
        if (!p)
            break;
        torn += (uint64_t)rec.torn;
        /* acceptable: every acknowledged change, plus a prefix of the
         * unacknowledged ones (what reached the log before the kill) */
        uint8_t alt[UNIVERSE];
        memcpy(alt, model, sizeof alt);
        size_t j = 0;
        while (!matches(p, alt) && j < npend) {
            alt[pend[j].idx] = pend[j].op;
            j++;
        }
        if (matches(p, alt)) {
            memcpy(model, alt, sizeof alt);
            ambiguous += j > 0;
        } else {
            t_failf(__FILE__, __LINE__, "round %d: recovery lost or invented a change (seed %llu)",
                    round, (unsigned long long)t_seed);
        }
        if (t_below(4) == 0)
            CHECK_OK(ps_pspace_close(p, NULL)); /* sometimes a clean checkpoint */
        else
            ps_pspace_abandon(p);
    }
    CHECK(acked_total > 0);
    if (getenv("PS_TEST_VERBOSE"))
        fprintf(stderr, "    crash: %d rounds, %llu acked, %d in flight kept, %llu torn\n",
                rounds, (unsigned long long)acked_total, ambiguous, (unsigned long long)torn);
    t_rmtree(dir);
}

/* A full disk (RLIMIT_FSIZE in a child): a batch that does not fit fails,
 * is neither applied nor left in the log, and the next change works. */
static int wal_full_child(const char *dir)
{
    ps_pspace_opts o = { .size = sizeof(ps_pspace_opts), .fsync = PS_FSYNC_ALWAYS, .no_final_ckpt = 1 };
    ps_pspace *p;
    if (ps_pspace_open(dir, &o, &p, NULL, NULL))
        return 10;
    static char keys[4000][32];
    ps_bytes b[4000];
    for (size_t i = 0; i < 4000; i++)
        b[i] = key(1000 + i, keys[i]); /* ~130 KB of records: past the limit */
    int bad = 0;
    bad += ps_pspace_add_many(p, b, 4000, NULL) != PS_E_IO;
    bad += count(p) != 0;
    char k[32];
    bad += ps_pspace_add(p, key(1, k), NULL) != PS_OK;
    ps_pspace_abandon(p);
    return bad;
}

void t_pspace_disk_full(void)
{
    char dir[256];
    CHECK(t_tmpdir(dir));
    CHECK_EQ(t_child_limited(wal_full_child, dir, 100000), 0);
    ps_recovery rec;
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    if (p) {
        char k[32];
        CHECK_EQ(rec.torn, 0); /* the failed batch was cut back, not left torn */
        CHECK_EQ(rec.replayed, 1);
        CHECK_EQ(count(p), 1);
        CHECK(ps_space_contains(ps_pspace_space(p), key(1, k)));
        ps_pspace_abandon(p);
    }
    t_rmtree(dir);
}

/* ------------------------------------------------------ hardening cases */

/* The object file of the newest checkpoint of DIR (through its ref). */
static void newest_ckpt_file(const char *dir, char *out, size_t cap)
{
    char root[300];
    snprintf(root, sizeof root, "%s/store", dir);
    ps_store *st;
    REQUIRE_OK(ps_store_open(root, NULL, 0, &st, NULL));
    ps_ckpt_info *v;
    size_t n;
    REQUIRE_OK(ps_ckpt_list(st, &v, &n, NULL));
    REQUIRE(n > 0);
    char id[PS_OID_STR_MAX];
    ps_oid_format(&v[0].oid, id);
    const char *hex = strchr(id, ':') + 1;
    snprintf(out, cap, "%s/sha256/%.2s/%s", root, hex, hex);
    free(v);
    ps_store_close(st);
}

/* Rewrites the log position in a checkpoint's header, and the header
 * checksum with it, as a forger would. */
static void set_log_pos(const char *file, uint64_t log_pos)
{
    chmod(file, 0644);
    int fd = open(file, O_RDWR);
    REQUIRE(fd >= 0);
    uint8_t h[PS_CKPT_HEADER];
    REQUIRE(pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h);
    ps_ckpt_info ci;
    REQUIRE_OK(ps_ckpt_header_decode(h, sizeof h, &ci, NULL));
    ci.log_pos = log_pos;
    ps_ckpt_header_encode(&ci, h);
    REQUIRE(pwrite(fd, h, sizeof h, 0) == (ssize_t)sizeof h);
    close(fd);
}

/* A checkpoint whose log position lies past the end of the log is refused
 * at open: a header forged to 2^40 used to load, skipping 10 acknowledged
 * records without a word. */
void t_pspace_log_position(void)
{
    char dir[256], k[32], file[600];
    REQUIRE(t_tmpdir(dir));
    ps_recovery rec;
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    for (size_t i = 0; i < 20; i++)
        CHECK_OK(ps_pspace_add(p, key(i, k), NULL));
    CHECK_OK(ps_pspace_checkpoint(p, NULL, NULL)); /* log position 20 */
    for (size_t i = 20; i < 30; i++)
        CHECK_OK(ps_pspace_add(p, key(i, k), NULL));
    ps_pspace_abandon(p); /* the last 10 live in the log only */
    newest_ckpt_file(dir, file, sizeof file);
    set_log_pos(file, 1ull << 40);
    ps_diag d = { 0 };
    ps_pspace_opts o;
    ps_pspace_opts_init(&o);
    o.fsync = PS_FSYNC_NEVER;
    CHECK_RC(ps_pspace_open(dir, &o, &p, &rec, &d), PS_E_CORRUPT);
    CHECK(strstr(d.msg, "up to seq 1099511627776, but the log ends at seq 30") != NULL);
    /* put back as it was: all 30 are there */
    set_log_pos(file, 20);
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    CHECK_EQ(count(p), 30);
    CHECK_EQ(rec.replayed, 10);
    ps_pspace_abandon(p);
    t_rmtree(dir);
}

/* A newest checkpoint from a newer build (format 2) makes open refuse,
 * naming it; past_newer falls back; nothing removes it meanwhile. */
void t_pspace_newer_checkpoint(void)
{
    char dir[256], k[32], file[600];
    REQUIRE(t_tmpdir(dir));
    ps_recovery rec;
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    for (size_t i = 0; i < 5; i++)
        CHECK_OK(ps_pspace_add(p, key(i, k), NULL));
    CHECK_OK(ps_pspace_checkpoint(p, NULL, NULL)); /* 1 */
    CHECK_OK(ps_pspace_add(p, key(5, k), NULL));
    CHECK_OK(ps_pspace_checkpoint(p, NULL, NULL)); /* 2 */
    ps_pspace_abandon(p);
    newest_ckpt_file(dir, file, sizeof file);
    /* version 2: decoded as "newer" before its checksum is even looked at */
    chmod(file, 0644);
    int fd = open(file, O_RDWR);
    uint8_t v2[4] = { 2, 0, 0, 0 };
    REQUIRE(fd >= 0 && pwrite(fd, v2, 4, 8) == 4);
    close(fd);
    ps_pspace_opts o;
    ps_pspace_opts_init(&o);
    o.fsync = PS_FSYNC_NEVER;
    ps_diag d = { 0 };
    CHECK_RC(ps_pspace_open(dir, &o, &p, &rec, &d), PS_E_VERSION);
    CHECK(strstr(d.msg, "checkpoint 2 was written by a newer pathspace") != NULL);
    o.past_newer = 1;
    REQUIRE_OK(ps_pspace_open(dir, &o, &p, &rec, &d));
    CHECK(rec.have_ckpt && rec.ckpt.seq == 1 && rec.skipped.skipped == 1);
    CHECK_EQ(count(p), 6); /* checkpoint 1, then the log */
    CHECK_OK(ps_pspace_add(p, key(6, k), NULL));
    CHECK_OK(ps_pspace_close(p, NULL)); /* a checkpoint 3, a prune: 2 must stay */
    CHECK(access(file, F_OK) == 0);
    char root[300];
    snprintf(root, sizeof root, "%s/store", dir);
    ps_store *st;
    REQUIRE_OK(ps_store_open(root, NULL, 0, &st, NULL));
    ps_ckpt_info *v;
    size_t n;
    REQUIRE_OK(ps_ckpt_list(st, &v, &n, NULL));
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= v[i].seq == 2 && v[i].status == PS_E_VERSION;
    CHECK(found);
    free(v);
    ps_store_close(st);
    t_rmtree(dir);
}

/* While a space is open, another process's gc and prune refuse (they used
 * to run beside it); after it closes, they run. A temp file a crash left
 * in the store is removed at the next open. */
static int maintain(const char *dir)
{
    char root[300];
    snprintf(root, sizeof root, "%s/store", dir);
    ps_store *st;
    if (ps_store_open(root, NULL, 0, &st, NULL))
        return 90;
    ps_gc_stats gs;
    ps_diag d = { 0 };
    int a = ps_store_gc(st, &gs, &d), b = ps_ckpt_prune(st, 1, NULL, NULL);
    ps_store_close(st);
    return a == PS_E_LOCKED && b == PS_E_LOCKED ? 0 : a == PS_OK && b == PS_OK ? 1 : 2;
}

void t_pspace_maintenance(void)
{
    char dir[256], k[32], path[600];
    REQUIRE(t_tmpdir(dir));
    ps_recovery rec;
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    for (size_t i = 0; i < 5; i++) {
        CHECK_OK(ps_pspace_add(p, key(i, k), NULL));
        CHECK_OK(ps_pspace_checkpoint(p, NULL, NULL));
    }
    CHECK_EQ(t_child_limited(maintain, dir, 1 << 30), 0); /* refused while open */
    ps_pspace_abandon(p);
    CHECK_EQ(t_child_limited(maintain, dir, 1 << 30), 1); /* and runs once it is closed */
    snprintf(path, sizeof path, "%s/store/temp/0123456789abcdef01234567", dir);
    fclose(fopen(path, "w")); /* what a kill inside a checkpoint leaves */
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    CHECK_EQ(rec.temp_removed, 1);
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ(count(p), 5);
    ps_pspace_abandon(p);
    t_rmtree(dir);
}

/* A hostile last segment: a record whose checksum fails, then 4 MiB in
 * which every 16th offset holds a plausible record header (sequence 3, a
 * length of 1 MiB). The old recovery hashed a megabyte at each of those
 * offsets, looking for a whole record after the bad one (quadratic: hours),
 * and then cut the whole segment as one torn record. Recovery must stop at
 * the bad record at once, and since bytes follow it, call it damage and
 * change nothing. */
void t_wal_hostile_tail(void)
{
    char dir[256], wdir[300], seg[400];
    REQUIRE(t_tmpdir(dir));
    snprintf(wdir, sizeof wdir, "%s/wal", dir);
    REQUIRE(mkdir(wdir, 0755) == 0);
    ps_buf b = { 0 }, a = { 0 };
    uint8_t h[WAL_HDR_BYTES];
    ps__wal_header(h, 1);
    ps_buf_append(&b, h, sizeof h);
    REQUIRE_OK(ps_atom_parse("(ok)", 4, &a, NULL));
    wal_op op = { WAL_ADD, ps_buf_bytes(&a), 0, 0 };
    REQUIRE_OK(ps__wal_encode(&b, 1, &op, 1));
    size_t bad = b.len;
    op.path = ps_bytes_of("(bad)", 5);
    REQUIRE_OK(ps__wal_encode(&b, 2, &op, 1));
    ps_buf_data(&b)[bad] ^= 0xFF; /* its checksum fails */
    for (size_t i = 0; i < (4u << 20) / 16; i++) {
        uint8_t r[16] = { 0xAA, 0xAA, 0xAA, 0xAA };
        ps_write_le32(r + 4, 1u << 20);
        ps_write_le64(r + 8, 3);
        ps_buf_append(&b, r, sizeof r);
    }
    snprintf(seg, sizeof seg, "%s/0000000000000001.log", wdir);
    int fd = open(seg, O_WRONLY | O_CREAT, 0644);
    REQUIRE(fd >= 0 && write(fd, ps_buf_data(&b), b.len) == (ssize_t)b.len);
    close(fd);
    ps_pspace_opts o;
    ps_pspace_opts_init(&o);
    o.fsync = PS_FSYNC_NEVER;
    ps_pspace *p;
    ps_recovery rec;
    ps_diag d = { 0 };
    CHECK_RC(ps_pspace_open(dir, &o, &p, &rec, &d), PS_E_CORRUPT);
    char want[80];
    snprintf(want, sizeof want, "at offset %zu: record checksum mismatch", bad);
    CHECK(strstr(d.msg, want) != NULL);
    struct stat sb;
    CHECK(stat(seg, &sb) == 0 && (size_t)sb.st_size == b.len); /* nothing cut */
    ps_buf_free(&a);
    ps_buf_free(&b);
    t_rmtree(dir);
}

/* A space the server acknowledged reopens with the default limits, however
 * well its checkpoint compresses: 20,000 paths that share 500-byte prefixes
 * decode to 40x their checkpoint's size or more, past a budget of 4x (the
 * defaults are 64x, met the same way by larger spaces: docs/limits.md). */
void t_pspace_own_checkpoint_budget(void)
{
    ps_limits l;
    ps_limits_init(&l);
    l.max_expansion = 4;
    l.min_budget = 1u << 20;
    CHECK_OK(ps_limits_set(&l));
    char dir[256], path[600];
    CHECK(t_tmpdir(dir));
    ps_pspace *p = popen_space(dir, PS_FSYNC_NEVER, 0, NULL, PS_OK);
    memset(path, 'p', 500);
    for (size_t i = 0; i < 20000; i++) {
        int n = snprintf(path + 500, 32, "%08zu", i);
        CHECK_OK(ps_pspace_add(p, ps_bytes_of(path, 500 + (size_t)n), NULL));
    }
    ps_ckpt_info ci;
    ps_diag d = { 0 };
    CHECK_OK(ps_pspace_checkpoint(p, &ci, &d));
    CHECK_OK(ps_pspace_close(p, &d));
    ps_recovery rec;
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    REQUIRE(p);
    CHECK(rec.have_ckpt);
    CHECK_EQ(count(p), 20000);
    ps_pspace_close(p, NULL);
    t_rmtree(dir);
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[4096];
    size_t n;
    int rc = a && b ? 0 : -1;
    while (!rc && (n = fread(buf, 1, sizeof buf, a)) > 0)
        rc = fwrite(buf, 1, n, b) == n ? 0 : -1;
    if (a)
        fclose(a);
    if (b && fclose(b))
        rc = -1;
    return rc;
}

/* A change of several records (ps_pspace_apply) cut at every byte of its
 * run: recovery gives the space before it or after it, never between. */
void t_pspace_change_whole(void)
{
    char dir[256], seg[400], k[8][32];
    ps_recovery rec;
    ps_pspace *p;
    logged_space(dir, 10, 0);
    p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
    ps_pspace_change c[8];
    for (int i = 0; i < 8; i++) /* remove keys 0..3, add 100..103 */
        c[i] = (ps_pspace_change){ i < 4 ? PS_PSPACE_REMOVE : PS_PSPACE_ADD,
                                   key(i < 4 ? i : 96 + i, k[i]) };
    uint64_t changed = 0;
    struct stat before, after;
    last_segment(dir, seg);
    CHECK(stat(seg, &before) == 0);
    CHECK_OK(ps_pspace_apply(p, c, 8, &changed));
    CHECK_EQ(changed, 8);
    c[0].op = 9;
    CHECK_EQ(ps_pspace_apply(p, c, 8, NULL), PS_E_INVAL);
    ps_pspace_abandon(p);
    CHECK(stat(seg, &after) == 0);
    char copy[420];
    snprintf(copy, sizeof copy, "%s.whole", seg);
    CHECK(copy_file(seg, copy) == 0);
    for (off_t len = before.st_size; len <= after.st_size; len++) {
        CHECK(copy_file(copy, seg) == 0);
        CHECK(truncate(seg, len) == 0);
        p = popen_space(dir, PS_FSYNC_NEVER, 0, &rec, PS_OK);
        uint64_t n = count(p);
        int old = ps_space_contains(ps_pspace_space(p), key(0, k[0]));
        if (len == after.st_size) {
            CHECK(!old && n == 10);
            CHECK(ps_space_contains(ps_pspace_space(p), key(103, k[7])));
        } else { /* cut inside the change: none of it */
            CHECK(old && n == 10);
            CHECK(!ps_space_contains(ps_pspace_space(p), key(100, k[4])));
            CHECK_EQ(rec.torn, len > before.st_size);
        }
        ps_pspace_abandon(p);
    }
    unlink(copy);
    t_rmtree(dir);
}
