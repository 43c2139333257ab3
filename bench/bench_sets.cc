/*
 * bench_sets.cc - the space as a dynamic set of byte strings, beside the
 * dynamic structures a C or C++ programmer would otherwise use, on the same
 * generated keys (MORK paths of `pathspace gen`, 46 bytes on average):
 * JudySL and JudyHS, LMDB with a large map on tmpfs, std::unordered_set and
 * std::set of std::string.
 *
 * Per structure and size: random-order insert of every key, random-order
 * contains of present keys, in-order iteration (where the structure has an
 * order), and resident bytes per key once built. Each structure runs in its
 * own child process, so one that does not fit (or a space that reaches its
 * arena limit) is reported and the others still run, and resident memory
 * is the child's own growth. Figures are medians of PS_BENCH_REPS builds
 * (at most 3 above 1M keys, 1 above 10M). Sizes: 1M and 10M; PS_BENCH_BIG=1
 * adds 100M (about 30 minutes); PS_BENCH_QUICK=1 runs 100K only.
 *
 * C++ only because std::set and std::unordered_set are C++.
 */
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Judy.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

extern "C" {
#include "../bench/common.h"
#include "pathspace.h"
}

/* ------------------------------------------------------------ the keys */

static std::vector<uint8_t> kbytes; /* every key, concatenated        */
static std::vector<uint64_t> koff;  /* key i = kbytes[koff[i], koff[i+1]) */
static std::vector<uint32_t> order; /* a random permutation: insert order */
static std::vector<uint32_t> probe; /* another: contains order           */
static size_t max_key;

static size_t nkeys(void) { return koff.size() - 1; }
static const uint8_t *kp(size_t i) { return kbytes.data() + koff[i]; }
static size_t kl(size_t i) { return koff[i + 1] - koff[i]; }

static void die(const char *what)
{
    fprintf(stderr, "bench_sets: %s\n", what);
    exit(1);
}

static void gen_keys(uint64_t n)
{
    kbytes.clear();
    koff.assign(1, 0);
    koff.reserve(n + 1);
    max_key = 0;
    ps_parser *p;
    ps_buf text = { 0 };
    ps_bytes a;
    if (ps_parser_new(&p))
        die("parser");
    for (uint64_t i = 0; i < n; i += 1000000) {
        ps_buf_clear(&text, 0);
        if (ps_gen_text(1, i, n - i < 1000000 ? n - i : 1000000, &text))
            die("gen");
        ps_parser_reset(p, ps_buf_data(&text), text.len);
        while (ps_parser_next(p, &a, NULL) == PS_OK) {
            kbytes.insert(kbytes.end(), a.ptr, a.ptr + a.len);
            koff.push_back(kbytes.size());
            max_key = std::max(max_key, a.len);
        }
    }
    ps_parser_free(p);
    ps_buf_free(&text);
}

static void shuffle(std::vector<uint32_t> &v, uint64_t rng)
{
    v.resize(nkeys());
    for (size_t i = 0; i < v.size(); i++)
        v[i] = (uint32_t)i;
    for (size_t i = v.size(); i > 1; i--) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        std::swap(v[i - 1], v[(rng >> 11) % i]);
    }
}

/* ------------------------------------------------------ the structures */

/* One build of a structure: insert everything in `order`, look everything
 * up in `probe`, iterate in order. Times in seconds; iter < 0 = no order.
 * Returns 0, or a short reason why the structure could not hold the keys. */
struct run {
    double insert, contains, iter, bytes; /* bytes: resident growth, or file */
    char why[96];
};

struct subject {
    const char *name;
    void (*one)(run *r);
};

#define FAIL(r, ...) (snprintf((r)->why, sizeof (r)->why, __VA_ARGS__), (void)0)

static void check(run *r, size_t found, size_t iterated)
{
    if (found != nkeys())
        FAIL(r, "found %zu of %zu keys", found, nkeys());
    else if (r->iter >= 0 && iterated != nkeys())
        FAIL(r, "iterated %zu of %zu keys", iterated, nkeys());
}

static void t_pathspace(run *r)
{
    ps_space *s;
    long before = bench_rss_bytes();
    if (ps_space_new(&s))
        return FAIL(r, "out of memory");
    double t0 = bench_now();
    for (uint32_t i : order) {
        int rc = ps_space_insert(s, ps_bytes_of(kp(i), kl(i)), NULL);
        if (rc) {
            FAIL(r, "%s after %llu keys", ps_strerror(rc), (unsigned long long)ps_space_count(s));
            ps_space_free(s);
            return;
        }
    }
    r->insert = bench_now() - t0;
    r->bytes = (double)(bench_rss_bytes() - before);
    size_t found = 0, it_n = 0;
    t0 = bench_now();
    for (uint32_t i : probe)
        found += ps_space_contains(s, ps_bytes_of(kp(i), kl(i))) == 1;
    r->contains = bench_now() - t0;
    ps_iter *it;
    ps_bytes p;
    uint64_t sum = 0;
    t0 = bench_now();
    if (ps_iter_new(s, ps_bytes_of(NULL, 0), &it))
        return FAIL(r, "iter");
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK)
        it_n++, sum += p.len;
    r->iter = bench_now() - t0;
    ps_iter_free(it);
    CLOBBER(&sum);
    check(r, found, it_n);
    ps_space_free(s);
}

static void t_judysl(run *r)
{
    std::vector<uint8_t> key(max_key + 1);
    for (size_t i = 0; i < nkeys(); i++)
        if (memchr(kp(i), 0, kl(i)))
            return FAIL(r, "a key holds a NUL byte (JudySL keys are C strings)");
    Pvoid_t a = NULL;
    long before = bench_rss_bytes();
    double t0 = bench_now();
    for (uint32_t i : order) {
        memcpy(key.data(), kp(i), kl(i));
        key[kl(i)] = 0;
        PWord_t v = (PWord_t)JudySLIns(&a, key.data(), PJE0);
        if (v == PJERR)
            return FAIL(r, "out of memory");
        *v = 1;
    }
    r->insert = bench_now() - t0;
    r->bytes = (double)(bench_rss_bytes() - before);
    size_t found = 0, it_n = 0;
    t0 = bench_now();
    for (uint32_t i : probe) {
        memcpy(key.data(), kp(i), kl(i));
        key[kl(i)] = 0;
        found += JudySLGet(a, key.data(), PJE0) != NULL;
    }
    r->contains = bench_now() - t0;
    uint64_t sum = 0;
    t0 = bench_now();
    key[0] = 0;
    for (PWord_t v = (PWord_t)JudySLFirst(a, key.data(), PJE0); v;
         v = (PWord_t)JudySLNext(a, key.data(), PJE0))
        it_n++, sum += key[0];
    r->iter = bench_now() - t0;
    CLOBBER(&sum);
    check(r, found, it_n);
    JudySLFreeArray(&a, PJE0);
}

static void t_judyhs(run *r)
{
    Pvoid_t a = NULL;
    long before = bench_rss_bytes();
    double t0 = bench_now();
    for (uint32_t i : order) {
        PWord_t v = (PWord_t)JudyHSIns(&a, (void *)kp(i), kl(i), PJE0);
        if (v == PJERR)
            return FAIL(r, "out of memory");
        *v = 1;
    }
    r->insert = bench_now() - t0;
    r->bytes = (double)(bench_rss_bytes() - before);
    size_t found = 0;
    t0 = bench_now();
    for (uint32_t i : probe)
        found += JudyHSGet(a, (void *)kp(i), kl(i)) != NULL;
    r->contains = bench_now() - t0;
    r->iter = -1; /* JudyHS has no iteration */
    check(r, found, 0);
    JudyHSFreeArray(&a, PJE0);
}

/* LMDB's pages live in the tmpfs file, not in the process's anonymous
 * memory: its bytes are the file's allocated blocks (unlinked once open). Commits every 1M
 * inserts, so no transaction's dirty set is the whole data. */
static void t_lmdb(run *r)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/bench_sets_%d.mdb", (int)getpid());
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    size_t map = (size_t)nkeys() * 256 + (64u << 20);
    if (mdb_env_create(&env) || mdb_env_set_mapsize(env, map) ||
        mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOSYNC | MDB_WRITEMAP, 0600))
        return FAIL(r, "open failed");
    /* open, the files may go: a run that is killed leaves nothing in tmpfs */
    unlink(path);
    snprintf(path + strlen(path), 8, "-lock");
    unlink(path);
    int rc = 0;
    double t0 = bench_now();
    for (size_t j = 0; j < order.size() && !rc; j += 1000000) {
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) || (rc = mdb_dbi_open(txn, NULL, 0, &dbi)))
            break;
        for (size_t k = j; k < order.size() && k < j + 1000000 && !rc; k++) {
            uint32_t i = order[k];
            MDB_val kv = { kl(i), (void *)kp(i) }, vv = { 0, (void *)"" };
            rc = mdb_put(txn, dbi, &kv, &vv, 0);
        }
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    }
    r->insert = bench_now() - t0;
    struct stat st;
    int fd = -1;
    r->bytes = mdb_env_get_fd(env, &fd) || fstat(fd, &st) ? 0 : (double)st.st_blocks * 512;
    size_t found = 0, it_n = 0;
    if (!rc && !(rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) {
        t0 = bench_now();
        for (uint32_t i : probe) {
            MDB_val kv = { kl(i), (void *)kp(i) }, vv;
            found += mdb_get(txn, dbi, &kv, &vv) == 0;
        }
        r->contains = bench_now() - t0;
        MDB_cursor *c;
        MDB_val kv, vv;
        uint64_t sum = 0;
        t0 = bench_now();
        if (!(rc = mdb_cursor_open(txn, dbi, &c))) {
            for (int op = MDB_FIRST; mdb_cursor_get(c, &kv, &vv, (MDB_cursor_op)op) == 0;
                 op = MDB_NEXT)
                it_n++, sum += kv.mv_size;
            mdb_cursor_close(c);
        }
        r->iter = bench_now() - t0;
        CLOBBER(&sum);
        mdb_txn_abort(txn);
    }
    if (rc)
        FAIL(r, "%s", mdb_strerror(rc));
    else
        check(r, found, it_n);
    mdb_env_close(env);
}

template <class S> static void t_std(run *r, bool ordered)
{
    S *s = new S;
    long before = bench_rss_bytes();
    double t0 = bench_now();
    for (uint32_t i : order)
        s->emplace((const char *)kp(i), kl(i));
    r->insert = bench_now() - t0;
    r->bytes = (double)(bench_rss_bytes() - before);
    size_t found = 0, it_n = 0;
    std::string k;
    t0 = bench_now();
    for (uint32_t i : probe) {
        k.assign((const char *)kp(i), kl(i));
        found += s->count(k);
    }
    r->contains = bench_now() - t0;
    r->iter = -1;
    if (ordered) {
        uint64_t sum = 0;
        t0 = bench_now();
        for (const std::string &x : *s)
            it_n++, sum += x.size();
        r->iter = bench_now() - t0;
        CLOBBER(&sum);
    }
    check(r, found, it_n);
    delete s;
}

static void t_uset(run *r) { t_std<std::unordered_set<std::string>>(r, false); }
static void t_set(run *r) { t_std<std::set<std::string>>(r, true); }

static const subject subjects[] = {
    { "pathspace space", t_pathspace },
    { "JudySL 1.0.5", t_judysl },
    { "JudyHS 1.0.5", t_judyhs },
    { "LMDB 0.9, tmpfs", t_lmdb },
    { "std::unordered_set<string>", t_uset },
    { "std::set<string>", t_set },
};

/* ----------------------------------------------------------- the runs */

/* Runs `reps` builds of one subject in a child; the medians come back
 * through a pipe. A child that dies (out of memory) says so by its status. */
static run measure(const subject *sb, int reps)
{
    run out = {};
    int fd[2];
    if (pipe(fd))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fd[0]);
        double ins[32], con[32], it[32];
        run r = {};
        for (int k = 0; k < reps && !r.why[0]; k++) {
            run one = {};
            sb->one(&one);
            ins[k] = one.insert, con[k] = one.contains, it[k] = one.iter;
            if (k == 0)
                r.bytes = one.bytes;
            memcpy(r.why, one.why, sizeof r.why);
        }
        if (!r.why[0]) {
            r.insert = bench_median(ins, reps);
            r.contains = bench_median(con, reps);
            r.iter = bench_median(it, reps);
        }
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], &out, sizeof out);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof out) {
        out = run{};
        if (WIFSIGNALED(status))
            FAIL(&out, "killed by signal %d (out of memory?)", WTERMSIG(status));
        else
            FAIL(&out, "child failed");
    }
    return out;
}

static void size_table(uint64_t n)
{
    double t0 = bench_now();
    gen_keys(n);
    shuffle(order, 0x9e3779b97f4a7c15ull);
    shuffle(probe, 12345);
    int reps = n > 10000000 ? 1 : n > 1000000 ? std::min(3, bench_reps()) : bench_reps();
    printf("%llu keys, %.1f MB of key bytes (%.1f per key), generated in %.1f s; median of %d\n",
           (unsigned long long)n, kbytes.size() / 1e6, (double)kbytes.size() / (double)n,
           bench_now() - t0, reps);
    printf("  %-28s %12s %12s %12s %10s %10s %10s\n", "structure", "insert M/s", "contains M/s",
           "iterate M/s", "bytes/key", "ps/insert", "ps/contain");
    run ps = {};
    for (const subject &sb : subjects) {
        run r = measure(&sb, reps);
        if (&sb == subjects)
            ps = r;
        if (r.why[0]) {
            printf("  %-28s did not complete: %s\n", sb.name, r.why);
            fflush(stdout);
            continue;
        }
        char it[32] = "-", ri[32] = "-", rc[32] = "-";
        if (r.iter > 0)
            snprintf(it, sizeof it, "%.2f", n / r.iter / 1e6);
        if (!ps.why[0] && &sb != subjects) {
            snprintf(ri, sizeof ri, "%.2fx", r.insert / ps.insert);
            snprintf(rc, sizeof rc, "%.2fx", r.contains / ps.contains);
        }
        printf("  %-28s %12.2f %12.2f %12s %10.1f %10s %10s\n", sb.name, n / r.insert / 1e6,
               n / r.contains / 1e6, it, r.bytes / (double)n, ri, rc);
        fflush(stdout);
    }
    printf("\n");
}

int main(void)
{
    printf("== bench_sets: dynamic sets of byte strings, random order (each structure in its own "
           "process) ==\n"
           "   ps/insert, ps/contain: the peer's time over pathspace's (above 1 = pathspace is "
           "faster)\n   bytes/key: resident growth once built (LMDB: its tmpfs file)\n\n");
    if (bench_quick()) {
        size_table(100000);
        return 0;
    }
    size_table(1000000);
    size_table(10000000);
    const char *big = getenv("PS_BENCH_BIG");
    if (big && *big == '1')
        size_table(100000000);
    return 0;
}
