#!/bin/sh
# bucket.sh BUILD - queries read from a bucket in place (byte ranges of
# the checkpoint's snapshot) against the same queries asked of the server
# that shipped it (docs/replication.md, "Reading a bucket in place"), two
# tables, medians of PS_BENCH_REPS runs (5):
#   1. one space: pathspace query s3://... against client query, with the
#      bytes each moved (the bucket's ranges; the server's answer text);
#   2. four shards, as Dask graphs (2 workers): every shard read from its
#      server, from its bucket, and as source="auto" chooses.
# The bucket is s3rver on loopback and this machine has two cores: these
# figures compare what each path costs here, not over a network, where the
# bytes column matters more.
set -u
B=${1:-build}
P="$B/pathspace"
PY=/usr/bin/python3
S3="$B/npm/node_modules/.bin/s3rver"
[ -x "$S3" ] || sh tools/s3rver.sh "$B"
[ -x "$S3" ] || { echo "bucket bench: no s3rver (npm), skipped"; exit 0; }
"$PY" -c 'import dask.bag, distributed' 2>/dev/null || { echo "bucket bench: no Dask, skipped"; exit 0; }
N=${PS_BENCH_ATOMS:-400000}
[ -n "${PS_BENCH_QUICK:-}" ] && N=20000
REPS=${PS_BENCH_REPS:-5}
T=$(mktemp -d)
trap 'kill $(cat "$T"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export PYTHONPATH="$(pwd)/python" PATHSPACE_LIB="$(cd "$B" && pwd)/libpathspace.so"
port() { python3 tools/freeport.py; }
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
s3port=$(port)
export PATHSPACE_S3_ENDPOINT="http://127.0.0.1:$s3port"
mkdir -p "$T/s3"
"$S3" -d "$T/s3" -a 127.0.0.1 -p "$s3port" --configure-bucket kb --silent >/dev/null 2>&1 &
echo $! >"$T/s3.pid"
until curl -s -o /dev/null "$PATHSPACE_S3_ENDPOINT/"; do sleep 0.05; done
serve() { # serve NAME SNAP BUCKET: binary + HTTP, replicated, checkpointed
    n=$1
    port >"$T/$n.bport"; port >"$T/$n.hport"
    "$P" serve "$T/$n" --import "$2" --port "$(cat "$T/$n.bport")" --port-file "$T/$n.up" \
        --http "$(cat "$T/$n.hport")" --replicate "$3" --replicate-interval 100 --quiet \
        2>>"$T/$n.log" &
    echo $! >"$T/$n.pid"
    while [ ! -s "$T/$n.up" ]; do sleep 0.02; done
    "$P" client --port "$(cat "$T/$n.bport")" checkpoint >/dev/null
}
in_place() { # until every bucket named holds one checkpoint and no log after it
    "$PY" -c '
import sys, time
from pathspace.bucket import stat
while not all(stat(u)["in_place"] for u in sys.argv[1:]):
    time.sleep(0.1)' "$@"
}
"$P" gen --atoms "$N" --seed 5 -o "$T/kb.metta" >/dev/null
"$P" import "$T/kb.metta" -o "$T/kb.snap" --chunk 16384 --quiet
serve one "$T/kb.snap" s3://kb/one
"$P" shard split "$T/kb.snap" 4 "$T/split" --bucket s3://kb/s >/dev/null
for i in 0 1 2 3; do serve "s$i" "$T/split/shard-$i.snap" "s3://kb/s/shard-$i"; done
"$PY" tests/mapports.py "$T/split/shardmap.json" "$T/map.json" "$T" # $T/s<id>.{b,h}port
in_place s3://kb/one s3://kb/s/shard-0 s3://kb/s/shard-1 s3://kb/s/shard-2 s3://kb/s/shard-3

Q0='(age $x $a)'                  # open: one relation, whole
Q1='(age $x 27)'                  # selective: a constant after the variable
Q2='($r $x $y)'                   # open: most of the space
Q3='(age (Entity Q00000010) $a)'  # open, one atom: a point lookup
echo "## Reading a bucket in place (bench/bucket.sh): $N atoms, s3rver on loopback, 2 cores; median of $REPS"
echo
echo "### One space: \`pathspace query s3://\` against \`client query\` on its server"
echo
echo "| query | results | server | answer bytes | bucket in place | reads | bytes read (of the snapshot) | bucket / server |"
echo "|---|---|---|---|---|---|---|---|"
for i in 0 1 2 3; do
    eval "pat=\$Q$i"
    : >"$T/ms.s"; : >"$T/ms.b"
    r=0
    while [ $r -lt "$REPS" ]; do
        t0=$(now); "$P" client --port "$(cat "$T/one.bport")" query "$pat" >"$T/r.s"; t1=$(now)
        "$P" query s3://kb/one "$pat" --stats >"$T/r.b" 2>"$T/st"; t2=$(now)
        echo $(((t1 - t0) / 1000)) >>"$T/ms.s"; echo $(((t2 - t1) / 1000)) >>"$T/ms.b"
        r=$((r + 1))
    done
    cmp -s "$T/r.s" "$T/r.b" || echo "MISMATCH: $pat" >&2
    set -- $(sed -n 's/^bucket: .*; \([0-9]*\) reads, \([0-9]*\) bytes of a \([0-9]*\)-byte snapshot$/\1 \2 \3/p' "$T/st")
    s=$(median <"$T/ms.s"); b=$(median <"$T/ms.b")
    echo "| \`$pat\` | $(wc -l <"$T/r.s") | $((s / 1000)) ms | $(wc -c <"$T/r.s") | $((b / 1000)) ms | $1 | $2 ($3) | $(awk "BEGIN{printf \"%.2f\", $b/$s}")x |"
done
echo
. bench/dask.sh
echo "### Four shards, as Dask graphs: where workers read"
echo
echo "| query | results | shards reached | from servers | from buckets | buckets / servers | auto chose | auto |"
echo "|---|---|---|---|---|---|---|---|"
"$PY" - "$T" "$REPS" "$Q0" "$Q1" "$Q2" "$Q3" <<'PYEOF'
import statistics, sys, time
from distributed import Client
from pathspace import dask as psd
from pathspace.shards import ShardMap
t, reps, pats = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
c = Client(scheduler_file=f"{t}/sched.json", timeout=30)
c.wait_for_workers(2, timeout=60)
m = ShardMap.load(f"{t}/map.json")
for p in pats:
    ms, res, chose = {}, {}, None
    for src in ("server", "bucket", "auto"):
        runs = []
        for _ in range(reps):
            st = {}
            t0 = time.perf_counter()
            res[src] = psd.query(c, m, p, source=src, stats=st)
            runs.append((time.perf_counter() - t0) * 1000)
        ms[src] = statistics.median(runs)
        if src == "auto":
            kinds = [k for _, k in st["sources"][p]]
            chose = ", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds)))
    if res["server"] != res["bucket"] or res["server"] != res["auto"]:
        print(f"MISMATCH: {p}", file=sys.stderr)
    print(f"| `{p}` | {len(res['server'])} | {len(m.reach(p))} | {ms['server']:.0f} ms | "
          f"{ms['bucket']:.0f} ms | {ms['bucket'] / ms['server']:.2f}x | {chose} | {ms['auto']:.0f} ms |")
PYEOF
