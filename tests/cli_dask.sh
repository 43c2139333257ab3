#!/bin/sh
# cli_dask.sh - a space split into shards (pathspace shard split), each
# served with --http, routed by the Python package (pathspace.shards), and
# queries and joins run across them as Dask graphs (pathspace.dask) on a
# scheduler and two workers started here as separate processes on
# loopback. Every answer is compared with the single-machine engine's
# (pathspace query on the unsplit space): generated family trees, and the
# real genealogy royal92 when ../shared/data has it.
. tests/lib.sh "$@"

PY=${PS_PYTHON:-/usr/bin/python3}
LIB=$(cd "$B" && pwd)/libpathspace.so
export PYTHONPATH="$(pwd)/python${PYTHONPATH:+:$PYTHONPATH}" PATHSPACE_LIB="$LIB"
# a sanitizer build's library needs its runtime first in Python
san=$(LD_PRELOAD= ldd "$LIB" 2>/dev/null | awk '/libasan|libubsan/ { printf "%s:", $3 }')
[ -n "$san" ] && export LD_PRELOAD="$san" ASAN_OPTIONS="detect_leaks=0"

cleanup() {
    rc=$?
    set +e
    for f in "$T"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

need_dask() {
    "$PY" -c 'import dask.bag, distributed' 2>/dev/null ||
        skip "needs python3-dask and python3-distributed (make deps installs them)"
    command -v dask-scheduler >/dev/null || skip "needs dask-scheduler (python3-distributed)"
}

# a scheduler and two single-threaded workers, each its own process
cluster() {
    dask-scheduler --host 127.0.0.1 --port 0 --dashboard-address :0 --no-show \
        --scheduler-file "$T/sched.json" >"$T/sched.log" 2>&1 &
    echo $! >"$T/sched.pid"
    i=0
    until [ -s "$T/sched.json" ]; do
        i=$((i + 1))
        [ $i -gt 400 ] && fail "no scheduler: $(cat "$T/sched.log")"
        sleep 0.05
    done
    for w in 1 2; do
        dask-worker --scheduler-file "$T/sched.json" --nthreads 1 --nworkers 1 --no-nanny \
            --host 127.0.0.1 --dashboard-address :0 >"$T/worker$w.log" 2>&1 &
        echo $! >"$T/worker$w.pid"
    done
}

# shards SNAP N: split, serve each shard over HTTP, and write the map with
# the ports they got into $T/map.json
shards() {
    "$P" shard split "$1" "$2" "$T/split" >"$T/split.log" || fail "split: $(cat "$T/split.log")"
    k=0
    while [ $k -lt "$2" ]; do
        "$P" serve "$T/s$k" --import "$T/split/shard-$k.snap" --http-only --http 0 \
            --http-port-file "$T/s$k.port" --quiet >"$T/s$k.log" 2>&1 &
        echo $! >"$T/s$k.pid"
        wait_file "$T/s$k.port" "$(cat "$T/s$k.pid")" "$T/s$k.log"
        k=$((k + 1))
    done
    "$PY" - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
m = json.load(open(f"{t}/split/shardmap.json"))
for s in m["shards"]:
    s["http"] = "127.0.0.1:" + open(f"{t}/s{s['id']}.port").read().strip()
json.dump(m, open(f"{t}/map.json", "w"))
EOF
}

# compare SRC: the Python script below against pathspace query on SRC
compare() {
    "$PY" - "$T" "$P" "$1" "$T/cases" <<'EOF' || fail "$(cat "$T/py.log")"
import subprocess, sys
from distributed import Client
from pathspace import dask as psd
from pathspace.shards import ShardMap
t, P, src, cases = sys.argv[1:5]
c = Client(scheduler_file=f"{t}/sched.json", timeout=30)
c.wait_for_workers(2, timeout=60)
m = ShardMap.load(f"{t}/map.json")
log = open(f"{t}/py.log", "w")

def single(pattern, template):
    r = subprocess.run([P, "query", src, pattern, template], capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    return [l for l in r.stdout.splitlines() if l]

bad = 0
for line in open(cases):
    patterns, template = line.rstrip("\n").split(" => ")
    pats = patterns.split(" ; ")
    want = single(pats[0] if len(pats) == 1 else "(, " + " ".join(pats) + ")", template)
    runs = {}
    if len(pats) == 1:
        runs["query"] = psd.query(c, m, pats[0], template)
        runs["reach"] = [len(m.reach(pats[0])), len(m.shards)]
    else:
        for name, bmax in (("broadcast", 10**9), ("shuffle", 0)):
            st = {}
            runs[name] = psd.join(c, m, pats, template, broadcast_max=bmax, stats=st)
            assert set(st["joins"]) == {name}, st
    for name, got in runs.items():
        if name == "reach":
            continue
        ok = sorted(got) == sorted(want)
        print(f"{'ok' if ok else 'DIFF'} {name} {len(got)}/{len(want)} {patterns} => {template}"
              f" reach={runs.get('reach')}", file=log)
        bad += not ok
log.close()
sys.exit(1 if bad else 0)
EOF
    cat "$T/py.log"
}

gen_family() { # gen_family N OUT: parent and age facts of N people, seeded
    "$PY" - "$1" "$2" <<'EOF'
import random, sys
n, out = int(sys.argv[1]), sys.argv[2]
r = random.Random(29)
with open(out, "w") as f:
    for i in range(1, n):
        for p in r.sample(range(i), min(i, 2)):
            f.write(f"(parent p{p} p{i})\n")
        f.write(f"(age p{i} {r.randrange(1, 90)})\n")
        if r.random() < 0.3:
            f.write(f'(name p{i} "P {i}")\n')
EOF
}

family() {
    need_dask
    gen_family 3000 "$T/kb.metta"
    "$P" import "$T/kb.metta" -o "$T/kb.snap" --chunk 4096 --quiet
    shards "$T/kb.snap" 3
    cluster
    cat >"$T/cases" <<'EOF'
(parent p7 $x) => (child p7 $x)
(parent $x p2000) => (parent $x p2000)
(age $p $a) => (a $p $a)
(name $p $n) => $n
(parent $x $y) ; (parent $y $z) => (gp $x $z)
(parent $x $y) ; (parent $x $z) ; (name $z $n) => (sib $y $n)
(parent p3 $y) ; (parent $y $z) ; (age $z $a) => (g $z $a)
EOF
    compare "$T/kb.snap"
}

# routed adds, removes and point lookups land on (and only on) the right shard
routing() {
    need_dask
    gen_family 500 "$T/kb.metta"
    "$P" import "$T/kb.metta" -o "$T/kb.snap" --chunk 4096 --quiet
    shards "$T/kb.snap" 3
    "$PY" - "$T" <<'EOF' || fail "routing"
import sys
from pathspace.client import MORK
from pathspace.shards import ShardMap, ShardedSpace
t = sys.argv[1]
m = ShardMap.load(f"{t}/map.json")
s = ShardedSpace(m)
new = [f"(parent q{i} r{i})" for i in range(50)] + [f"(zz {i})" for i in range(20)]
s.add(new)
for a in new:
    assert s.contains(a), a
    home = m.route(a)
    for sh in m.shards:  # on its own shard only
        here = bool(MORK(f"http://{sh.http}").query(a, a, lossless=True))
        assert here == (sh is home), (a, sh, home)
assert sorted(s.query("(zz $x)")) == sorted(s.query("(zz $x)", "(zz $x)"))
assert len(s.query("(zz $x)")) == 20
s.remove(new[:10])
assert not any(s.contains(a) for a in new[:10])
assert all(s.contains(a) for a in new[10:])
EOF
}

royal92() {
    need_dask
    need_data royal92.metta
    "$P" import "$D/royal92.metta" -o "$T/kb.snap" --chunk 8192 --quiet
    shards "$T/kb.snap" 4
    cluster
    cat >"$T/cases" <<'EOF'
(Individuals $i (Fullname $n)) => (name $i $n)
(Relations $r (Husband $f)) ; (Relations $r (Children $k $c)) => (father $f $c)
(Relations $r (Husband $f)) ; (Relations $r (Wife $m)) ; (Relations $r (Children $k $c)) => (parents $c $f $m)
EOF
    compare "$T/kb.snap"
}

tcase family family
tcase routing routing
tcase royal92 royal92
finish
