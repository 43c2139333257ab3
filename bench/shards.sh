#!/bin/sh
# shards.sh BUILD - a query over a space split into 1, 2 and 4 shards,
# against the same query on the unsplit space served alone, one table,
# medians of PS_BENCH_REPS runs (5). Each shard is a server on loopback;
# the fan-out runs from the C client (client --shards: the shards one after
# another) and as a Dask graph (pathspace.dask: a task per shard, on a
# scheduler and 2 workers). This machine has two cores, so this measures
# what fanning out costs, not what more machines would gain.
set -u
B=${1:-build}
P="$B/pathspace"
PY=/usr/bin/python3
N=${PS_BENCH_ATOMS:-400000}
[ -n "${PS_BENCH_QUICK:-}" ] && N=20000
REPS=${PS_BENCH_REPS:-5}
"$PY" -c 'import dask.bag, distributed' 2>/dev/null || { echo "shards bench: no Dask, skipped"; exit 0; }
T=$(mktemp -d)
trap 'kill $(cat "$T"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
export PYTHONPATH="$(pwd)/python" PATHSPACE_LIB="$(cd "$B" && pwd)/libpathspace.so"
port() { python3 tools/freeport.py; }
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
serve() { # serve NAME SNAP ARGS: binary + HTTP, ports into $T/NAME.{b,h}port
    n=$1 snap=$2
    shift 2
    port >"$T/$n.bport"; port >"$T/$n.hport"
    "$P" serve "$T/$n" --import "$snap" --port "$(cat "$T/$n.bport")" --port-file "$T/$n.up" \
        --http "$(cat "$T/$n.hport")" --quiet "$@" 2>>"$T/$n.log" &
    echo $! >"$T/$n.pid"
    while [ ! -s "$T/$n.up" ]; do sleep 0.02; done
}
"$P" gen --atoms "$N" --seed 5 -o "$T/kb.metta" >/dev/null
"$P" import "$T/kb.metta" -o "$T/kb.snap" --chunk 16384 --quiet # chunks to split at
serve one "$T/kb.snap"
for k in 1 2 4; do
    "$P" shard split "$T/kb.snap" $k "$T/split$k" >/dev/null
    i=0
    while [ $i -lt $k ]; do
        serve "s${k}_$i" "$T/split$k/shard-$i.snap"
        i=$((i + 1))
    done
    "$PY" - "$T" $k <<'PYEOF'
import json, sys
t, k = sys.argv[1], sys.argv[2]
m = json.load(open(f"{t}/split{k}/shardmap.json"))
for s in m["shards"]:
    s["binary"] = "127.0.0.1:" + open(f"{t}/s{k}_{s['id']}.bport").read().strip()
    s["http"] = "127.0.0.1:" + open(f"{t}/s{k}_{s['id']}.hport").read().strip()
json.dump(m, open(f"{t}/map{k}.json", "w"))
PYEOF
done
. bench/dask.sh

Q0='(age $x $a)'                       # one relation: its prefix reaches one shard
Q1='($r (Entity Q00000010) $y)'         # a variable first: every shard, few results
Q2='($r $x $y)'                         # every shard, most of the space
one_ms() { # one_ms PATTERN: the query on the unsplit space (C client)
    t0=$(now); "$P" client --port "$(cat "$T/one.bport")" query "$1" >"$T/r.one"; t1=$(now)
    echo $(((t1 - t0) / 1000000))
}
c_ms() { # c_ms K PATTERN
    t0=$(now); "$P" client --shards "$T/map$1.json" query "$2" >"$T/r.c$1"; t1=$(now)
    echo $(((t1 - t0) / 1000000))
}
"$PY" - "$T" "$REPS" "$Q0" "$Q1" "$Q2" >"$T/dask.txt" <<'PYEOF'
import statistics, sys, time
from distributed import Client
from pathspace import dask as psd
from pathspace.shards import ShardMap
t, reps, pats = sys.argv[1], int(sys.argv[2]), sys.argv[3:6]
c = Client(scheduler_file=f"{t}/sched.json", timeout=30)
c.wait_for_workers(2, timeout=60)
for k in (1, 2, 4):
    m = ShardMap.load(f"{t}/map{k}.json")
    for i, p in enumerate(pats):
        ms = []
        for _ in range(reps):
            t0 = time.perf_counter()
            r = psd.query(c, m, p)
            ms.append((time.perf_counter() - t0) * 1000)
        print(k, i, round(statistics.median(ms)), len(r), len(m.reach(p)))
PYEOF
echo "## Sharded queries (bench/shards.sh): $N atoms, shards on loopback, 2 cores; median of $REPS"
echo
echo "| query | results | one space | shards | reached | C client, shard by shard | vs one | Dask graph | vs one |"
echo "|---|---|---|---|---|---|---|---|---|"
for i in 0 1 2; do
    eval "pat=\$Q$i"
    r=0; : >"$T/ms.one"
    while [ $r -lt "$REPS" ]; do one_ms "$pat" >>"$T/ms.one"; r=$((r + 1)); done
    o=$(median <"$T/ms.one")
    res=$(wc -l <"$T/r.one")
    for k in 1 2 4; do
        r=0; : >"$T/ms.c"
        while [ $r -lt "$REPS" ]; do c_ms $k "$pat" >>"$T/ms.c"; r=$((r + 1)); done
        cm=$(median <"$T/ms.c")
        cmp -s "$T/r.one" "$T/r.c$k" || echo "MISMATCH: $pat over $k shards" >&2
        set -- $(awk -v k=$k -v i=$i '$1 == k && $2 == i' "$T/dask.txt")
        echo "| \`$pat\` | $res | $o ms | $k | $5 | $cm ms | $(awk "BEGIN{printf \"%.2f\", $cm/($o?$o:1)}")x | $3 ms | $(awk "BEGIN{printf \"%.2f\", $3/($o?$o:1)}")x |"
    done
done
