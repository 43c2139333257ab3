#!/bin/sh
# replica.sh BUILD - replication's overhead against what the same machine
# does locally (docs/replication.md), one table, medians of PS_BENCH_REPS
# runs (3). The bucket is s3rver on loopback, and this machine has two
# cores: these figures measure the overhead of shipping (HTTP, hashing,
# s3rver's folder), not a network's.
#   1. shipping a log of N atoms into the bucket vs a local checkpoint of them
#   2. restoring from the bucket vs opening the same directory locally
#   3. a replica's lag under a steady write load (ms, median and max)
set -u
B=${1:-build}
P="$B/pathspace"
S3="$B/npm/node_modules/.bin/s3rver"
[ -x "$S3" ] || sh tools/s3rver.sh "$B"
[ -x "$S3" ] || { echo "replica bench: no s3rver (npm), skipped"; exit 0; }
N=${PS_BENCH_ATOMS:-1000000}
[ -n "${PS_BENCH_QUICK:-}" ] && N=20000
REPS=${PS_BENCH_REPS:-3}
T=$(mktemp -d)
trap 'kill $(cat "$T"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
port=$(python3 tools/freeport.py)
export PATHSPACE_S3_ENDPOINT="http://127.0.0.1:$port"
mkdir -p "$T/s3"
"$S3" -d "$T/s3" -a 127.0.0.1 -p "$port" --configure-bucket kb --silent >/dev/null 2>&1 &
echo $! >"$T/s3.pid"
until curl -s -o /dev/null "$PATHSPACE_S3_ENDPOINT/"; do sleep 0.05; done
"$P" gen --atoms "$N" --seed 1 -o "$T/kb.metta" >/dev/null
now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
statv() { "$P" client --port "$1" stats | sed -n "s/^$2 //p"; }
serve() { # serve NAME DIR ARGS: a quiet server, port in $T/NAME.port
    n=$1 d=$2
    shift 2
    rm -f "$T/$n.port"
    "$P" serve "$d" --port 0 --port-file "$T/$n.port" --quiet --fsync never "$@" 2>>"$T/$n.log" &
    echo $! >"$T/$n.pid"
    while [ ! -s "$T/$n.port" ]; do sleep 0.02; done
}
stop() { kill "$(cat "$T/$1.pid")"; while kill -0 "$(cat "$T/$1.pid")" 2>/dev/null; do sleep 0.02; done; }

: >"$T/ship"; : >"$T/ckpt"; : >"$T/rest"; : >"$T/open"
r=0
while [ $r -lt "$REPS" ]; do
    r=$((r + 1))
    rm -rf "$T/a" "$T/r" "$T/s3/kb/b$r"
    # the import is logged before serving starts; the shipper then ships
    # that whole log: from the port file to no lag is shipping alone
    serve a "$T/a" --import "$T/kb.metta" --replicate "s3://kb/b$r" --replicate-interval 50
    pa=$(cat "$T/a.port")
    t1=$(now)
    while [ "$(statv "$pa" repl_lag_seq)" != 0 ]; do sleep 0.01; done
    t2=$(now)
    ms "$t1" "$t2" >>"$T/ship"
    logb=$(du -sb "$T/a/wal" | cut -f1)
    t3=$(now)
    "$P" client --port "$pa" checkpoint >/dev/null
    t4=$(now)
    ms "$t3" "$t4" >>"$T/ckpt"
    while [ "$(statv "$pa" repl_lag_seq)" != 0 ]; do sleep 0.01; done
    sleep 0.2 # the checkpoint shipped too
    stop a
    t5=$(now)
    "$P" restore "s3://kb/b$r" "$T/r" >/dev/null
    t6=$(now)
    ms "$t5" "$t6" >>"$T/rest"
    t7=$(now)
    echo count | "$P" open "$T/a" --no-final-checkpoint >/dev/null 2>&1
    t8=$(now)
    ms "$t7" "$t8" >>"$T/open"
done
bytes=$(du -sb "$T/s3/kb/b1" | cut -f1)

# 3. lag under a steady load: 4 writers, each a request at a time
rm -rf "$T/a" "$T/r"
serve a "$T/a" --replicate s3://kb/lag --replicate-interval 100
serve r "$T/r" --follow s3://kb/lag --replicate-interval 100
pa=$(cat "$T/a.port"); pr=$(cat "$T/r.port")
k=0
touch "$T/go"
writers=""
for w in 1 2 3 4; do
    ( i=0; while [ -f "$T/go" ]; do "$P" client --port "$pa" add "(l $w $i)" >/dev/null; i=$((i+1)); done ) &
    writers="$writers $!"
done
sleep 0.5
: >"$T/lag"; : >"$T/plag"
while [ $k -lt 40 ]; do
    statv "$pr" repl_lag_ms >>"$T/lag"
    statv "$pa" repl_lag_ms >>"$T/plag"
    sleep 0.1
    k=$((k + 1))
done
rm -f "$T/go"
wait $writers
seq_a=$(statv "$pa" seq)

s=$(median <"$T/ship"); c=$(median <"$T/ckpt"); rs=$(median <"$T/rest"); op=$(median <"$T/open")
echo "## Replication (bench/replica.sh): $N atoms, s3rver on loopback, 2 cores; median of $REPS"
echo
echo "| what | bucket | local | bucket / local |"
echo "|---|---|---|---|"
echo "| the log of $N atoms ($((logb / 1048576)) MiB) shipped vs a local checkpoint of the space | $s ms | $c ms | $(awk "BEGIN{printf \"%.2f\", $s/($c?$c:1)}")x |"
echo "| shipping, MiB/s of log | $(awk "BEGIN{printf \"%.0f\", $logb/1048576/($s/1000)}") | | |"
echo "| restore of the newest point ($((bytes / 1048576)) MiB in the bucket) vs opening the primary's directory | $rs ms | $op ms | $(awk "BEGIN{printf \"%.2f\", $rs/($op?$op:1)}")x |"
echo "| restore, per GiB of bucket | $(awk "BEGIN{printf \"%.1f\", $rs/1000*1073741824/$bytes}") s | | |"
echo
echo "Lag under 4 writers ($seq_a changes in 4.5 s), interval 100 ms, sampled every 100 ms:"
echo
echo "| | median | max |"
echo "|---|---|---|"
echo "| primary: oldest change not yet in the bucket | $(median <"$T/plag") ms | $(sort -n "$T/plag" | tail -1) ms |"
echo "| replica: oldest shipped change not yet applied | $(median <"$T/lag") ms | $(sort -n "$T/lag" | tail -1) ms |"
