#!/bin/sh
# cli_dask.sh - a space split into shards (pathspace shard split), each
# served with --http, routed by the Python package (pathspace.shards), and
# queries and joins run across them as Dask graphs (pathspace.dask) on a
# scheduler and two workers started here as separate processes on
# loopback. Every answer is compared with the single-machine engine's
# (pathspace query on the unsplit space): generated family trees, and the
# real genealogy royal92 when ../shared/data has it.
. tests/lib.sh "$@"
. tests/s3lib.sh

PY_BIN=${PS_PYTHON:-/usr/bin/python3}
LIB=$(cd "$B" && pwd)/libpathspace.so
export PYTHONPATH="$(pwd)/python${PYTHONPATH:+:$PYTHONPATH}" PATHSPACE_LIB="$LIB"
# a sanitizer build's library needs its runtime first in Python (and in
# Python alone: preloaded into curl, it hangs)
san=$(san_preload "$LIB")
PY_ENV="env"
[ -n "$san" ] && PY_ENV="env LD_PRELOAD=$san ASAN_OPTIONS=detect_leaks=0"
PY="$PY_ENV $PY_BIN"

cleanup() {
    rc=$?
    set +e
    for f in "$T"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
    [ -n "${S3PID:-}" ] && kill -9 "$S3PID" 2>/dev/null
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

need_dask() {
    $PY -c 'import dask.bag, distributed' 2>/dev/null ||
        skip "needs python3-dask and python3-distributed (make deps installs them)"
    command -v dask-scheduler >/dev/null || skip "needs dask-scheduler (python3-distributed)"
}

# a scheduler and two single-threaded workers, each its own process
cluster() {
    $PY_ENV dask-scheduler --host 127.0.0.1 --port 0 --dashboard-address :0 --no-show \
        --scheduler-file "$T/sched.json" >"$T/sched.log" 2>&1 &
    echo $! >"$T/sched.pid"
    i=0
    until [ -s "$T/sched.json" ]; do
        i=$((i + 1))
        [ $i -gt 400 ] && fail "no scheduler: $(cat "$T/sched.log")"
        sleep 0.05
    done
    for w in 1 2; do
        $PY_ENV dask-worker --scheduler-file "$T/sched.json" --nthreads 1 --nworkers 1 --no-nanny \
            --host 127.0.0.1 --dashboard-address :0 >"$T/worker$w.log" 2>&1 &
        echo $! >"$T/worker$w.pid"
    done
}

# serve_shard K: shard K on its ports, holding its range of $T/map.json
serve_shard() {
    rm -f "$T/s$1.port"
    "$P" serve "$T/s$1" --import "$T/split/shard-$1.snap" --port "$(cat "$T/s$1.bport")" \
        --port-file "$T/s$1.port" --http "$(cat "$T/s$1.hport")" --shard-map "$T/map.json" \
        --shard-id "$1" --quiet ${SHARD_ARGS:+$SHARD_ARGS$1} >>"$T/s$1.log" 2>&1 &
    echo $! >"$T/s$1.pid"
    wait_file "$T/s$1.port" "$(cat "$T/s$1.pid")" "$T/s$1.log"
}

# shards SNAP N: split, pick each shard's ports, write the map with them
# into $T/map.json, and serve each shard
shards() {
    "$P" shard split "$1" "$2" "$T/split" ${SPLIT_ARGS:-} >"$T/split.log" ||
        fail "split: $(cat "$T/split.log")"
    k=0
    while [ $k -lt "$2" ]; do
        free_port >"$T/s$k.bport"
        free_port >"$T/s$k.hport"
        k=$((k + 1))
    done
    $PY tests/mapports.py "$T/split/shardmap.json" "$T/map.json" "$T"
    k=0
    while [ $k -lt "$2" ]; do
        serve_shard $k
        k=$((k + 1))
    done
}

# compare SRC: the Python script below against pathspace query on SRC
compare() {
    $PY - "$T" "$P" "$1" "$T/cases" <<'EOF' || fail "$(cat "$T/py.log")"
import os, subprocess, sys
from distributed import Client
from pathspace import dask as psd
from pathspace.shards import ShardMap
t, P, src, cases = sys.argv[1:5]
SOURCE = os.environ.get("SOURCE", "server")
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
        runs["query"] = psd.query(c, m, pats[0], template, source=SOURCE)
        runs["reach"] = [len(m.reach(pats[0])), len(m.shards)]
    else:
        for name, bmax in (("broadcast", 10**9), ("shuffle", 0)):
            st = {}
            runs[name] = psd.join(c, m, pats, template, broadcast_max=bmax, stats=st,
                                  source=SOURCE)
            assert set(st["joins"]) == {name}, st
    for name, got in runs.items():
        if name == "reach":
            continue
        ok = got == want  # the same results, in the same (trie) order
        print(f"{'ok' if ok else 'DIFF'} {name} {len(got)}/{len(want)} {patterns} => {template}"
              f" reach={runs.get('reach')}", file=log)
        bad += not ok
log.close()
sys.exit(1 if bad else 0)
EOF
    cat "$T/py.log"
}

gen_family() { # gen_family N OUT: parent and age facts of N people, seeded
    $PY - "$1" "$2" <<'EOF'
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
    # a transform: the join's results written back through routed adds on
    # the workers, then read from the shards as the single machine makes them
    $PY - "$T" "$P" <<'EOF' || fail "transform"
import subprocess, sys
from distributed import Client
from pathspace import dask as psd
from pathspace.shards import ShardMap
t, P = sys.argv[1:3]
c = Client(scheduler_file=f"{t}/sched.json", timeout=30)
m = ShardMap.load(f"{t}/map.json")
n = psd.transform(c, m, ["(parent $x $y)", "(parent $y $z)"], "(gp $x $z)")
got = psd.query(c, m, "(gp $x $z)")
want = [l for l in subprocess.run([P, "query", f"{t}/kb.snap", "(, (parent $x $y) (parent $y $z))",
                                   "(gp $x $z)"], capture_output=True, text=True).stdout.splitlines() if l]
assert got == want and n >= len(want), (len(got), len(want), n)
EOF
}

# routed adds, removes and point lookups land on (and only on) the right
# shard, from Python and from the C client; a shard refuses what is not its
# own; a map that changes under a router is read again
routing() {
    gen_family 500 "$T/kb.metta"
    "$P" import "$T/kb.metta" -o "$T/kb.snap" --chunk 4096 --quiet
    shards "$T/kb.snap" 3
    $PY - "$T" <<'EOF' || fail "routing (python)"
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
assert len(s.query("(zz $x)")) == 20
s.remove(new[:10])
assert not any(s.contains(a) for a in new[:10])
assert all(s.contains(a) for a in new[10:])
EOF
    M="$T/map.json"
    # the C client: the same routing, and fan-out merged in trie order
    "$P" client --shards "$M" add "(cc 1 2)" "(cc 3 4)" "(age p1 200)" >"$T/out" || fail "routed add"
    grep -qx "changed 3" "$T/out" || fail "routed add: $(cat "$T/out")"
    "$P" client --shards "$M" contains "(cc 1 2)" "(age p1 200)" >/dev/null || fail "routed contains"
    "$P" client --shards "$M" query '(age $p $a)' '(age $p $a)' >"$T/got"
    "$P" import "$T/kb.metta" -o "$T/all.metta" --quiet
    printf '(age p1 200)\n' >>"$T/all.metta"
    "$P" query "$T/all.metta" '(age $p $a)' >"$T/want"
    cmp -s "$T/want" "$T/got" || fail "routed query differs: $(diff "$T/want" "$T/got" | head -5)"
    n=$("$P" client --shards "$M" count --prefix '(age $p $a)')
    [ "$n" = "$(wc -l <"$T/want")" ] || fail "routed count $n"
    "$P" client --shards "$M" remove "(cc 1 2)" >/dev/null
    "$P" client --shards "$M" contains "(cc 1 2)" >/dev/null && fail "routed remove"
    # a shard refuses atoms of another's range, over both protocols
    a=$($PY -c "
import sys; from pathspace.shards import ShardMap
m = ShardMap.load('$M'); print(next(x for x in ['(cc 9 9)', '(zz 9)', '(parent q1 q2)', '(age q 1)', '(name q 1)'] if m.route(x).id != 0))")
    "$P" client --port "$(cat "$T/s0.bport")" add "$a" 2>"$T/err" && fail "shard 0 took $a"
    grep -q "another shard.*map version 1" "$T/err" || fail "unclear: $(cat "$T/err")"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$a" \
        "http://127.0.0.1:$(cat "$T/s0.hport")/upload/%24x/%24x")
    [ "$code" = 421 ] || fail "HTTP upload of a foreign atom: $code"
    # the map moves shard 0's end into shard 1's range (version 2); the
    # servers restart with it; a router holding version 1 learns of it
    $PY - "$T" <<'EOF' || fail "map change"
import json, os, signal, subprocess, sys, time
from pathspace import encode
from pathspace.shards import ShardMap, ShardedSpace
t = sys.argv[1]
v1 = ShardMap.load(f"{t}/map.json")
m = json.load(open(f"{t}/map.json"))
json.dump(m, open(f"{t}/map.v1.json", "w"))
hi1 = v1.shards[1].hi
cands = [f(i) for i in range(2000) for f in (lambda i: f"(parent q{i} r{i})", lambda i: f"(age q{i} 1)",
                                             lambda i: f"(zz {i})", lambda i: f"(name q{i} x)")]
probe = next(a for a in cands if v1.route(a).id == 1 and (hi1 is None or encode(a) + b"\xff" < hi1))
new_hi = encode(probe) + b"\xff"
m["shards"][0]["hi"] = m["shards"][1]["lo"] = new_hi.hex()
m["map_version"] = 2
json.dump(m, open(f"{t}/map.json.new", "w"))
os.rename(f"{t}/map.json.new", f"{t}/map.json")
open(f"{t}/probe", "w").write(probe)
EOF
    for k in 0 1; do
        kill "$(cat "$T/s$k.pid")"
        wait_gone "$(cat "$T/s$k.pid")"
        serve_shard $k
    done
    $PY - "$T" <<'EOF' || fail "the router did not follow the new map"
import sys
from pathspace.client import MORK
from pathspace.shards import ShardMap, ShardedSpace
t = sys.argv[1]
probe = open(f"{t}/probe").read()
m1 = ShardMap.load(f"{t}/map.v1.json")  # a router that read the map before it changed
m1.path = f"{t}/map.json"               # and reads it again from where it is kept
s = ShardedSpace(m1)
assert s.map.route(probe).id == 1
s.add([probe])
assert s.map.version == 2, s.map.version
assert s.map.route(probe).id == 0
assert MORK(f"http://{s.map.shards[0].http}").query(probe, probe, lossless=True)
EOF
}

# a shard split while it serves (shard move): writers from C and Python and
# a reader run through it; no write is lost or doubled, no read fails, and
# the old shard lets go of the moved half
online_split() {
    "$P" gen --atoms 20000 --seed 9 -o "$T/kb.metta" >/dev/null 2>&1
    "$P" import "$T/kb.metta" -o "$T/kb.snap" --chunk 4096 --quiet
    "$P" shard split "$T/kb.snap" 2 "$T/split" >"$T/split.log"
    for k in 0 1 2; do free_port >"$T/s$k.bport"; free_port >"$T/s$k.hport"; done
    $PY tests/mapports.py "$T/split/shardmap.json" "$T/map.json" "$T"
    for k in 0 1 2; do # 2: the standby the split moves to
        [ $k = 2 ] || imp="--import $T/split/shard-$k.snap"
        [ $k = 2 ] && imp=""
        "$P" serve "$T/s$k" $imp --port "$(cat "$T/s$k.bport")" --port-file "$T/s$k.port" \
            --http "$(cat "$T/s$k.hport")" --shard-map "$T/map.json" --shard-purge-after 1 \
            >>"$T/s$k.log" 2>&1 &
        echo $! >"$T/s$k.pid"
        wait_file "$T/s$k.port" "$(cat "$T/s$k.pid")" "$T/s$k.log"
    done
    M="$T/map.json"
    touch "$T/go" # the writers and the reader run until it goes
    ( i=0; while [ -f "$T/go" ]; do
        "$P" client --shards "$M" add "(w $i)" "(zz w $i)" >/dev/null 2>>"$T/w.err" || echo "add $i" >>"$T/lost"
        i=$((i + 1)); done; echo $i >"$T/cn" ) &
    cw=$!
    $PY - "$T" >"$T/py.out" 2>&1 <<'EOF' &
import os, sys
from pathspace.shards import ShardMap, ShardedSpace
t = sys.argv[1]
s = ShardedSpace(ShardMap.load(f"{t}/map.json"))
i = 0
while os.path.exists(f"{t}/go"):
    s.add([f"(py {i})", f"(zz py {i})"])
    i += 1
open(f"{t}/pn", "w").write(str(i))
print("py done", s.map.version)
EOF
    pw=$!
    ( while [ -f "$T/go" ]; do
        "$P" client --shards "$M" count >/dev/null 2>>"$T/r.err" || echo read >>"$T/readfail"
      done ) &
    rd=$!
    sleep 0.5
    "$P" shard move "$M" 1 --to "127.0.0.1:$(cat "$T/s2.bport")" \
        --to-http "127.0.0.1:$(cat "$T/s2.hport")" >"$T/move.out" || fail "move: $(cat "$T/move.out")"
    sleep 0.5
    rm "$T/go"
    wait $cw; wait $pw || fail "the Python writer: $(cat "$T/py.out")"
    wait $rd
    cat "$T/move.out"
    cn=$(cat "$T/cn"); pn=$(cat "$T/pn")
    echo "C writes $cn, Python writes $pn, through the split"
    [ ! -s "$T/lost" ] || fail "writes failed: $(head -3 "$T/lost") $(head -3 "$T/w.err")"
    [ ! -s "$T/readfail" ] || fail "reads failed: $(head -3 "$T/r.err")"
    grep -q "py done 3" "$T/py.out" || fail "the Python router did not follow: $(cat "$T/py.out")"
    sleep 2 # the old shard's purge (1 s after the new map)
    want=$((20000 + 2 * cn + 2 * pn))
    n=$("$P" client --shards "$M" count)
    [ "$n" = $want ] || fail "routed count $n, want $want"
    sum=0
    for k in 0 1 2; do
        c=$("$P" client --port "$(cat "$T/s$k.bport")" count)
        [ "$(stat_of_port "$(cat "$T/s$k.bport")" shard_version)" = 3 ] || fail "s$k is not at version 3"
        sum=$((sum + c))
    done
    [ $sum = $want ] || fail "the shards hold $sum atoms, not $want: a moved atom stayed twice or went"
    for p in '(w $i)' '(zz w $i)'; do
        [ "$("$P" client --shards "$M" query "$p" | wc -l)" = "$cn" ] || fail "missing $p"
    done
    for p in '(py $i)' '(zz py $i)'; do
        [ "$("$P" client --shards "$M" query "$p" | wc -l)" = "$pn" ] || fail "missing $p"
    done
}

stat_of_port() { "$P" client --port "$1" stats | sed -n "s/^$2 //p"; }


# workers reading shards from their buckets by byte range: family()'s cases
# from the buckets alone, each equal to the single machine; then "auto":
# every shard from its server while it answers, and a shard whose server is
# gone from its bucket, changes after its checkpoint included
bucket_reads() {
    need_dask
    s3_start
    gen_family 3000 "$T/kb.metta"
    "$P" import "$T/kb.metta" -o "$T/kb.snap" --chunk 4096 --quiet
    SPLIT_ARGS="--bucket s3://pskb/fam" \
        SHARD_ARGS="--replicate-interval 100 --replicate s3://pskb/fam/shard-" shards "$T/kb.snap" 3
    for k in 0 1 2; do "$P" client --port "$(cat "$T/s$k.bport")" checkpoint >/dev/null; done
    cluster
    $PY - "$T" <<'EOF' || fail "the shards' checkpoints never reached their buckets"
import sys, time
from pathspace.bucket import stat
from pathspace.shards import ShardMap
m = ShardMap.load(f"{sys.argv[1]}/map.json")
assert all(s.bucket for s in m.shards), m.doc
for _ in range(200):
    if all(stat(s.bucket)["in_place"] for s in m.shards):
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
EOF
    cat >"$T/cases" <<'EOF'
(parent p7 $x) => (child p7 $x)
(age $p $a) => (a $p $a)
(name $p $n) => $n
(parent $x $y) ; (parent $y $z) => (gp $x $z)
(parent $x $y) ; (parent $x $z) ; (name $z $n) => (sib $y $n)
EOF
    SOURCE=bucket compare "$T/kb.snap"
    "$P" client --shards "$T/map.json" add "(age p1 200)" >/dev/null || fail "routed add"
    $PY - "$T" "$P" <<'EOF' || fail "auto: $(cat "$T/auto.log")"
import subprocess, sys, time
from distributed import Client
from pathspace import dask as psd
from pathspace.bucket import stat
from pathspace.shards import ShardMap
t, P = sys.argv[1:3]
log = open(f"{t}/auto.log", "w")
c = Client(scheduler_file=f"{t}/sched.json", timeout=30)
m = ShardMap.load(f"{t}/map.json")
home = m.route("(age p1 200)")
for _ in range(200):  # the add reaches its shard's bucket: a tail, not in place
    if stat(home.bucket)["tail"]:
        break
    time.sleep(0.1)
subprocess.run([P, "import", f"{t}/kb.metta", "-o", f"{t}/all.metta", "--quiet"], check=True)
with open(f"{t}/all.metta", "a") as f:
    f.write("(age p1 200)\n")

def single(p, tpl):
    r = subprocess.run([P, "query", f"{t}/all.metta", p, tpl], capture_output=True, text=True)
    return [l for l in r.stdout.splitlines() if l]

def run(p, tpl, want):
    st = {}
    got = psd.query(c, m, p, tpl, stats=st)
    kinds = dict(st["sources"][p])
    print(p, kinds, len(got), file=log, flush=True)
    assert got == single(p, tpl), p
    for sid, k in want.items():
        assert kinds[sid] == k, (p, kinds)

# the servers answer: each read from its server
run("(age $p $a)", "(a $p $a)", {s.id: "server" for s in m.reach("(age $p $a)")})
run("(parent $x p2000)", "(c $x)", {s.id: "server" for s in m.reach("(parent $x p2000)")})
subprocess.run(["kill", open(f"{t}/s{home.id}.pid").read().strip()], check=True)
time.sleep(0.5)
# a server gone: its shard from its bucket, read whole with the change
# after its checkpoint; the others still from their servers
run("(age $p $a)", "(a $p $a)", {s.id: "bucket" if s is home else "server"
                                 for s in m.reach("(age $p $a)")})
run("(age $p 200)", "(old $p)", {home.id: "bucket"})
EOF
    cat "$T/auto.log"
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
tcase online_split online_split
tcase bucket_reads bucket_reads
tcase royal92 royal92
finish
