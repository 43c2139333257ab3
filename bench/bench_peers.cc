/*
 * bench_peers.cc - the snapshot and the ACT beside the stores a user
 * would otherwise reach for, on the same 1M generated atoms in one run:
 * LMDB (sorted MDB_APPEND bulk load), marisa-trie (build, save, mmap) and
 * SQLite (sorted inserts in one transaction, WITHOUT ROWID).
 *
 * Columns: save (from memory to a durable file: write + fsync), file size
 * as % of the key bytes, reopen (until lookups can start; median of 31), and the mean
 * latency of 200K random lookups of present keys. pathspace starts from
 * its space; the peers start from the sorted keys already in memory. C++
 * only because marisa's API is C++.
 */
#include <fcntl.h>
#include <lmdb.h>
#include <marisa.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "../bench/common.h"
#include "pathspace.h"
}

static std::string dir;
static std::vector<std::string> keys;   /* sorted */
static std::vector<size_t> probe;       /* random indexes into keys */
static uint64_t key_bytes;

static void must(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "bench_peers: %s failed\n", what);
        exit(1);
    }
}

static double file_size(const std::string &p)
{
    struct stat st;
    return stat(p.c_str(), &st) ? 0 : (double)st.st_size;
}

static void fsync_path(const std::string &p)
{
    int fd = open(p.c_str(), O_RDONLY);
    must(fd >= 0 && fsync(fd) == 0, "fsync");
    close(fd);
}

struct result {
    const char *name;
    double save, bytes, reopen, lookup;
    const char *note;
};

template <class F> static double median_of(int n, F f)
{
    double t[31];
    for (int i = 0; i < n; i++) {
        double t0 = bench_now();
        f();
        t[i] = bench_now() - t0;
    }
    return bench_median(t, n);
}

/* Saves: 3 runs. Reopens: 31 (they are microseconds, and noisy). */
template <class F> static double median3(F f) { return median_of(3, f); }
template <class F> static double median31(F f) { return median_of(31, f); }

/* ------------------------------------------------------------ pathspace */

static result ours_snap(ps_space *s, const char *name, ps_snap_opts o)
{
    std::string p = dir + "/kb.snap";
    double save = median3([&] {
        int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        must(fd >= 0 && ps_space_write_snap(s, ps_sink_fd(fd), &o, NULL) == PS_OK, "snap write");
        must(fsync(fd) == 0 && close(fd) == 0, "snap fsync");
    });
    ps_space *back = NULL;
    double reopen = median3([&] {
        ps_snap *sn;
        ps_space_free(back);
        must(ps_snap_open(p.c_str(), &sn, NULL) == PS_OK && ps_space_new(&back) == PS_OK &&
                 ps_space_read_snap(back, sn, 0, NULL) == PS_OK, "snap read");
        ps_snap_close(sn);
    });
    int found = 0;
    double t0 = bench_now();
    for (size_t i : probe)
        found += ps_space_contains(back, ps_bytes_of(keys[i].data(), keys[i].size()));
    double lookup = (bench_now() - t0) / probe.size();
    must(found == (int)probe.size(), "snap lookups");
    ps_space_free(back);
    return { name, save, file_size(p), reopen, lookup, "reopen = load into a full space" };
}

static result ours_snap_inplace(void)
{
    std::string p = dir + "/kb.snap"; /* as the last ours_snap left it */
    ps_snap *sn = NULL;
    double reopen = median31([&] {
        ps_snap_close(sn);
        must(ps_snap_open(p.c_str(), &sn, NULL) == PS_OK, "snap open");
    });
    int found = 0;
    double t0 = bench_now();
    for (size_t k = 0; k < 20000; k++) {
        const std::string &key = keys[probe[k]];
        found += ps_snap_get(sn, ps_bytes_of(key.data(), key.size()), NULL, NULL, NULL) == PS_OK;
    }
    double lookup = (bench_now() - t0) / 20000;
    must(found == 20000, "snap get");
    ps_snap_close(sn);
    return { "  same, queried in place", 0, file_size(p), reopen, lookup,
             "open = index only; a lookup decodes one chunk" };
}

static result ours_act(ps_space *s)
{
    std::string p = dir + "/kb.act";
    double save = median3([&] {
        int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        must(fd >= 0 && ps_space_write_act(s, ps_sink_fd(fd), NULL) == PS_OK, "act write");
        must(fsync(fd) == 0 && close(fd) == 0, "act fsync");
    });
    ps_act *a = NULL;
    double reopen = median31([&] {
        ps_act_close(a);
        must(ps_act_open(p.c_str(), &a, NULL) == PS_OK, "act open");
    });
    int found = 0;
    double t0 = bench_now();
    for (size_t i : probe)
        found += ps_act_get(a, ps_bytes_of(keys[i].data(), keys[i].size()), NULL, NULL) == PS_OK;
    double lookup = (bench_now() - t0) / probe.size();
    must(found == (int)probe.size(), "act lookups");
    ps_act_close(a);
    return { "pathspace ACT", save, file_size(p), reopen, lookup, "MORK's format, mmap in place" };
}

/* ---------------------------------------------------------------- peers */

static result lmdb(void)
{
    std::string p = dir + "/kb.mdb";
    double save = median3([&] {
        unlink(p.c_str());
        unlink((p + "-lock").c_str());
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi dbi;
        must(!mdb_env_create(&env) && !mdb_env_set_mapsize(env, 4ull << 30) &&
                 !mdb_env_open(env, p.c_str(), MDB_NOSUBDIR, 0644) &&
                 !mdb_txn_begin(env, NULL, 0, &txn) && !mdb_dbi_open(txn, NULL, 0, &dbi),
             "lmdb open");
        for (const std::string &k : keys) {
            MDB_val kv = { k.size(), (void *)k.data() }, vv = { 0, (void *)"" };
            must(!mdb_put(txn, dbi, &kv, &vv, MDB_APPEND), "lmdb put");
        }
        must(!mdb_txn_commit(txn) && !mdb_env_sync(env, 1), "lmdb commit"); /* fsyncs */
        mdb_env_close(env);
    });
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    double reopen = median31([&] {
        if (env) {
            mdb_txn_abort(txn);
            mdb_env_close(env);
        }
        must(!mdb_env_create(&env) && !mdb_env_set_mapsize(env, 4ull << 30) &&
                 !mdb_env_open(env, p.c_str(), MDB_NOSUBDIR | MDB_RDONLY, 0644) &&
                 !mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) && !mdb_dbi_open(txn, NULL, 0, &dbi),
             "lmdb reopen");
    });
    int found = 0;
    double t0 = bench_now();
    for (size_t i : probe) {
        MDB_val kv = { keys[i].size(), (void *)keys[i].data() }, vv;
        found += mdb_get(txn, dbi, &kv, &vv) == 0;
    }
    double lookup = (bench_now() - t0) / probe.size();
    must(found == (int)probe.size(), "lmdb lookups");
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return { "LMDB 0.9 (sorted, MDB_APPEND)", save, file_size(p), reopen, lookup, "B+tree, mmap" };
}

static result marisa_trie(void)
{
    std::string p = dir + "/kb.marisa";
    double save = median3([&] {
        marisa::Keyset ks;
        for (const std::string &k : keys)
            ks.push_back(k.data(), k.size());
        marisa::Trie t;
        t.build(ks);
        t.save(p.c_str());
        fsync_path(p);
    });
    marisa::Trie *t = NULL;
    double reopen = median31([&] {
        delete t;
        t = new marisa::Trie;
        t->mmap(p.c_str());
    });
    int found = 0;
    marisa::Agent ag;
    double t0 = bench_now();
    for (size_t i : probe) {
        ag.set_query(keys[i].data(), keys[i].size());
        found += t->lookup(ag);
    }
    double lookup = (bench_now() - t0) / probe.size();
    must(found == (int)probe.size(), "marisa lookups");
    delete t;
    return { "marisa-trie 0.2 (build+save)", save, file_size(p), reopen, lookup, "succinct, mmap" };
}

static result sqlite(void)
{
    std::string p = dir + "/kb.sqlite";
    double save = median3([&] {
        unlink(p.c_str());
        sqlite3 *db;
        sqlite3_stmt *st;
        must(sqlite3_open(p.c_str(), &db) == SQLITE_OK, "sqlite open");
        must(sqlite3_exec(db, "PRAGMA synchronous=FULL; CREATE TABLE t(k BLOB PRIMARY KEY) "
                              "WITHOUT ROWID; BEGIN", NULL, NULL, NULL) == SQLITE_OK, "sqlite create");
        must(sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?)", -1, &st, NULL) == SQLITE_OK, "prep");
        for (const std::string &k : keys) {
            sqlite3_bind_blob(st, 1, k.data(), (int)k.size(), SQLITE_STATIC);
            must(sqlite3_step(st) == SQLITE_DONE, "sqlite insert");
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        must(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "sqlite commit");
        sqlite3_close(db);
    });
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    double reopen = median31([&] {
        if (db) {
            sqlite3_finalize(st);
            sqlite3_close(db);
        }
        must(sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
                 sqlite3_prepare_v2(db, "SELECT 1 FROM t WHERE k=?", -1, &st, NULL) == SQLITE_OK,
             "sqlite reopen");
    });
    int found = 0;
    double t0 = bench_now();
    for (size_t i : probe) {
        sqlite3_bind_blob(st, 1, keys[i].data(), (int)keys[i].size(), SQLITE_STATIC);
        found += sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
    }
    double lookup = (bench_now() - t0) / probe.size();
    must(found == (int)probe.size(), "sqlite lookups");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return { "SQLite 3 (sorted, one txn)", save, file_size(p), reopen, lookup, "WITHOUT ROWID" };
}

int main(void)
{
    uint64_t n = bench_quick() ? 100000 : 1000000;
    char tmpl[] = "build/bench/peersXXXXXX";
    must(mkdtemp(tmpl) != NULL, "mkdtemp");
    dir = tmpl;
    ps_space *s = bench_gen_space(n);
    ps_iter *it;
    ps_bytes p;
    must(ps_iter_new(s, ps_bytes_of(NULL, 0), &it) == PS_OK, "iter");
    while (ps_iter_next(it, &p, NULL, NULL) == PS_OK) {
        keys.emplace_back((const char *)p.ptr, p.len);
        key_bytes += p.len;
    }
    ps_iter_free(it);
    uint64_t rng = 7;
    for (size_t i = 0; i < 200000; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        probe.push_back((size_t)((rng >> 11) % keys.size()));
    }
    printf("== bench_peers: %llu generated atoms, %.1f MB of key bytes, one run; save = write + "
           "fsync to %s (median of 3) ==\n\n", (unsigned long long)n, key_bytes / 1e6, dir.c_str());
    std::vector<result> r;
    ps_snap_opts bal, sz;
    ps_snap_opts_init(&bal);
    r.push_back(ours_snap(s, "pathspace snapshot, balanced", bal));
    ps_snap_opts_init(&sz);
    sz.priority = PS_PRIORITY_SIZE;
    r.push_back(ours_snap(s, "pathspace snapshot, size", sz));
    r.push_back(ours_snap_inplace());
    r.push_back(ours_act(s));
    r.push_back(lmdb());
    r.push_back(marisa_trie());
    r.push_back(sqlite());
    printf("  %-32s %9s %14s %11s %10s  %s\n", "system", "save s", "file (% keys)", "reopen",
           "lookup", "");
    for (const result &x : r) {
        char save[32] = "-";
        if (x.save > 0)
            snprintf(save, sizeof save, "%.3f", x.save);
        char reo[32];
        if (x.reopen < 1e-3)
            snprintf(reo, sizeof reo, "%.3f ms", x.reopen * 1e3);
        else
            snprintf(reo, sizeof reo, "%.3f s", x.reopen);
        printf("  %-32s %9s %6.1f MB %5.1f%% %11s %7.2f us  %s\n", x.name, save, x.bytes / 1e6,
               100 * x.bytes / key_bytes, reo, x.lookup * 1e6, x.note);
    }
    for (const char *f : { "kb.snap", "kb.act", "kb.mdb", "kb.mdb-lock", "kb.marisa", "kb.sqlite" })
        unlink((dir + "/" + f).c_str());
    rmdir(dir.c_str());
    ps_space_free(s);
    return 0;
}
