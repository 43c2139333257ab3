#!/bin/sh
# pathspace serve, client and bench-server end to end on loopback. The
# harness starts every server itself, on a port the kernel picks (written
# to --port-file), and kills it when the case ends however it ends.
. tests/lib.sh "$@"

SPID=""
# The server just started in the background (SPID): killed when the case
# ends however it ends; PORT once it listens.
wait_port() {
    trap 'kill -9 $SPID 2>/dev/null || true; rm -rf "$T"' EXIT
    wait_file "$T/port" $SPID "$T/serve.log"
    PORT=$(cat "$T/port")
}
start_server() { # DIR [serve options]
    dir=$1
    shift
    rm -f "$T/port"
    "$P" serve "$dir" --port 0 --port-file "$T/port" "$@" 2>>"$T/serve.log" &
    SPID=$!
    wait_port
}
stop_server() { # SIGTERM, and the exit status must be 0
    kill -TERM $SPID
    wait $SPID || fail "serve exited $? after SIGTERM: $(cat "$T/serve.log")"
}
c() { "$P" client --port "$PORT" "$@"; }

roundtrip() {
    start_server "$T/sp"
    c ping | grep -q "^pong node [0-9a-f]* uptime_ms [0-9]* seq 1 hops 1$" || fail "ping"
    c add '(parent tom bob)' '(parent bob ann)' | grep -q "^changed 2 seq 2 atoms 2$" || fail "add"
    c add -f $E/family.metta >"$T/out" || fail "add -f"
    n=$(c count)
    [ "$n" -gt 2 ] || fail "count $n"
    c contains '(parent tom bob)' >/dev/null || fail "contains present"
    if c contains '(parent tom bob)' '(nobody here)' >"$T/out"; then fail "contains absent exit 0"; fi
    [ "$(cat "$T/out")" = "yes
no" ] || fail "contains said $(cat "$T/out")"
    c query '(parent $x $y)' '$x' >"$T/q" || fail "query"
    grep -qx tom "$T/q" || fail "query results"
    c query '(parent $x $y)' '$x' --limit 1 | wc -l | grep -qx 1 || fail "query --limit"
    c transform '(parent $x $y)' '(child $y $x)' | grep -q "^results [1-9]" || fail "transform"
    c query '(child ann $p)' '$p' | grep -qx bob || fail "transform's atoms"
    c remove '(child ann bob)' | grep -q "^changed 1 " || fail "remove"
    c export >"$T/text" || fail "export"
    c export --format snap -o "$T/x.snap" || fail "export snap"
    [ "$("$P" count "$T/x.snap")" = "$(c count)" ] || fail "the snapshot export's count"
    "$P" dump "$T/x.snap" | cmp - "$T/text" || fail "the snapshot export differs from the text"
    # family.metta holds atoms MORK cannot hold: refused, named, or left out
    if c export --format paths -o "$T/x.paths" 2>"$T/err"; then fail "export paths took them"; fi
    grep -q "EXPORT: atom [0-9]* needs pathspace's extension, which .paths cannot hold: (" \
        "$T/err" || fail "export paths: $(cat "$T/err")"
    [ ! -e "$T/x.paths" ] || fail "a refused export left its file"
    c export --format paths --skip-extended -o "$T/x.paths" || fail "export paths --skip-extended"
    "$P" convert --skip-extended "$T/x.snap" "$T/y.paths" 2>/dev/null || fail "convert"
    "$P" dump "$T/y.paths" >"$T/ytext"
    "$P" dump "$T/x.paths" | cmp - "$T/ytext" || fail "the .paths export differs"
    # a pattern's constant part as the prefix: the same atoms the query finds
    np=$("$P" query "$T/x.snap" '(parent $x $y)' --count 2>/dev/null)
    [ "$(c count --prefix '(parent $x $y)')" = "$np" ] || fail "count --prefix"
    c export --prefix '(parent tom $y)' | grep -qx '(parent tom bob)' || fail "export --prefix"
    [ "$(c export --prefix '(parent tom $y)' | wc -l)" = 1 ] || fail "export --prefix: only tom's"
    if c count --prefix '(parent' 2>"$T/err"; then fail "a broken --prefix"; fi
    grep -q -- "--prefix 1:1:" "$T/err" || fail "--prefix error: $(cat "$T/err")"
    c checkpoint | grep -q "^checkpoint 1 atoms $(c count) " || fail "checkpoint"
    c stats | grep -q "^checkpoints 1$" || fail "stats"
    if c add '(unclosed' 2>"$T/err"; then fail "a syntax error was accepted"; fi
    grep -q "syntax error: server: text 1:" "$T/err" || fail "syntax error message: $(cat "$T/err")"
    stop_server
    grep -q "stopped; .* checkpointed" "$T/serve.log" || fail "no final checkpoint said"
    # a restart recovers the same space
    start_server "$T/sp"
    c export | cmp - "$T/text" || fail "after a restart the space differs"
    stop_server
}

# kill -9 during a write load under --fsync always: every atom whose ADD
# was acknowledged is there after a restart.
kill9() {
    start_server "$T/sp" --fsync always
    for w in 1 2 3; do
        (
            i=0
            while [ $i -lt 100000 ]; do
                i=$((i + 1))
                "$P" client --port "$PORT" add "(w$w $i)" >/dev/null 2>&1 || exit 0
                echo "(w$w $i)" >>"$T/acked$w"
            done
        ) &
    done
    sleep 2
    kill -9 $SPID
    wait $SPID 2>/dev/null || true
    wait
    cat "$T"/acked* | sort >"$T/acked"
    n=$(wc -l <"$T/acked")
    [ "$n" -gt 20 ] || fail "only $n acknowledged writes before the kill"
    start_server "$T/sp"
    c export | sort >"$T/have"
    missing=$(comm -23 "$T/acked" "$T/have" | wc -l)
    [ "$missing" = 0 ] || fail "$missing of $n acknowledged atoms lost: $(comm -23 "$T/acked" "$T/have" | head -3)"
    echo "$n acknowledged atoms, all present after kill -9"
    stop_server
}

auth() {
    printf 'tok-%s\n' "$$" >"$T/token"
    start_server "$T/sp" --token-file "$T/token"
    if c ping 2>"$T/err"; then fail "no token accepted"; fi
    grep -q "authentication required or refused" "$T/err" || fail "message: $(cat "$T/err")"
    printf 'wrong\n' >"$T/bad"
    if "$P" client --port "$PORT" --token-file "$T/bad" ping 2>/dev/null; then fail "bad token"; fi
    "$P" client --port "$PORT" --token-file "$T/token" ping >/dev/null || fail "token refused"
    PATHSPACE_TOKEN="tok-$$" c count >/dev/null || fail "token from the environment"
    stop_server
}

refusals() {
    start_server "$T/sp"
    if "$P" serve "$T/sp" --port 0 2>"$T/err"; then fail "a second server on one DIR"; fi
    grep -q "locked\|open in another process" "$T/err" || fail "second server: $(cat "$T/err")"
    if "$P" serve "$T/sp2" --port "$PORT" 2>"$T/err"; then fail "a port in use"; fi
    grep -q "cannot listen" "$T/err" || fail "port in use: $(cat "$T/err")"
    stop_server
    if "$P" serve "$T/sp" --fsync sometimes 2>/dev/null; then fail "--fsync sometimes"; fi
    if "$P" serve "$T/sp" --addr localhost 2>"$T/err"; then fail "a name as --addr"; fi
    grep -q "not a numeric address" "$T/err" || fail "--addr: $(cat "$T/err")"
    if "$P" client --port 1 ping 2>"$T/err"; then fail "nobody on port 1"; fi
    grep -q "cannot connect" "$T/err" || fail "connect: $(cat "$T/err")"
}

# Out of descriptors: the clients over the limit are shed, the loop does
# not spin, and the server goes on for the rest.
fd_limit() {
    rm -f "$T/port"
    (ulimit -n 48 && exec "$P" serve "$T/sp" --port 0 --port-file "$T/port" 2>>"$T/serve.log") &
    SPID=$!
    wait_port
    if "$P" bench-server --port "$PORT" -c 80 -n 800 -t ping >"$T/b" 2>&1; then
        fail "80 clients under a limit of 48 descriptors: $(cat "$T/b")"
    fi
    c ping >/dev/null || fail "the server stopped serving"
    c stats | grep -q "^rejected [1-9]" || fail "no client shed: $(c stats | grep rejected)"
    stop_server
}

bench() {
    gen_file 8000 1 "$T/kb.metta"
    start_server "$T/sp" --fsync everysec
    c add -f "$T/kb.metta" >/dev/null
    for t in ping add contains count; do
        "$P" bench-server --port "$PORT" -c 20 -n 2000 -P 4 -t $t >"$T/b" || fail "bench $t"
        grep -q "^$t: 2000 requests, 20 clients, pipeline 4: [0-9]* requests/s" "$T/b" ||
            fail "bench $t said $(cat "$T/b")"
    done
    "$P" bench-server --port "$PORT" -c 4 -n 200 -t query -r 1000 --csv >"$T/b" || fail "query"
    grep -q "^query,4,1,200," "$T/b" || fail "bench query said $(cat "$T/b")"
    stop_server
}

# A multi-million-atom space exported again and again into a pipe: every
# export whole (a stream whose queue emptied within one turn used to get
# no further turn: 10 of 12 stalled at 3M atoms), and a failed export
# leaves no partial -o file.
big_export() {
    n=${PS_EXPORT_ATOMS:-2000000}
    sanitized && n=${PS_EXPORT_ATOMS:-300000}
    "$P" gen --atoms "$n" -o "$T/g.snap" 2>/dev/null || fail "gen"
    echo count | "$P" open "$T/sp" --import "$T/g.snap" >/dev/null 2>&1 || fail "open --import"
    start_server "$T/sp"
    want=$("$P" dump "$T/g.snap" | wc -c)
    for i in 1 2 3 4 5 6 7 8; do
        got=$(timeout 20 "$P" client --port "$PORT" export | wc -c)
        [ "$got" = "$want" ] || fail "export $i: $got bytes of $want"
    done
    c export --format snap -o "$T/x.snap" || fail "export snap"
    cmp "$T/x.snap" "$T/g.snap" >/dev/null 2>&1 || [ "$("$P" count "$T/x.snap")" = "$n" ] ||
        fail "the snapshot export"
    kill -STOP $SPID
    if timeout 5 "$P" client --port "$PORT" export -o "$T/partial.metta" 2>/dev/null; then
        fail "an export from a stopped server succeeded"
    fi
    kill -CONT $SPID
    ls "$T" | grep -q partial && fail "a failed export left $(ls "$T" | grep partial)"
    stop_server
}

# client add -f of a file past the server's 16 MiB frame: parsed by the
# client and sent in batches of 4 MiB, every atom arrives; remove -f the same
big_add() {
    start_server "$T/sp" --fsync never
    python3 -c '
import random, sys
r = random.Random(7)
al = "abcdefghijklmnopqrstuvwxyz0123456789"
with open(sys.argv[1], "w") as f:
    for i in range(160000):  # about 18 MB of text
        f.write("(doc %d \"%s\")\n" % (i, "".join(r.choice(al) for _ in range(100))))' "$T/big.metta"
    [ "$(wc -c <"$T/big.metta")" -gt $((16 << 20)) ] || fail "the file is not past a frame"
    c add -f "$T/big.metta" >"$T/out" || fail "add -f: $(cat "$T/out")"
    grep -q "^changed 160000 " "$T/out" || fail "add -f: $(cat "$T/out")"
    c export | sort >"$T/got"
    sort "$T/big.metta" | cmp -s - "$T/got" || fail "the server does not hold the file's atoms"
    c remove -f "$T/big.metta" >"$T/out" || fail "remove -f: $(cat "$T/out")"
    grep -q "^changed 160000 seq [0-9]* atoms 0$" "$T/out" || fail "remove -f: $(cat "$T/out")"
    printf '(ok 1)\n(bad\n' >"$T/bad.metta"
    c add -f "$T/bad.metta" 2>"$T/err" && fail "a file that does not parse was taken"
    grep -q "2:" "$T/err" || fail "the error does not say where: $(cat "$T/err")"
    [ "$(c count)" = 0 ] || fail "part of a file that does not parse was added"
    stop_server
}

# RUN: exec rules on the served space, each step one logged change, the
# others served between steps; CANCEL (SIGINT), a client that leaves, a
# server stopped mid-run, and a space that reopens with whole steps only
runs() {
    start_server "$T/sp" --fsync never
    c add -f tests/exec/02-peano.metta > /dev/null
    c run > "$T/r" || fail "run: $(cat "$T/r")"
    grep -q "^execs 4 steps 4 failed 0 .* atoms 2$" "$T/r" || fail "run: $(cat "$T/r")"
    c query '$x' | cmp -s - tests/exec/02-peano.out || fail "the result"
    n=100000
    awk -v n=$n 'BEGIN { print "(ctr 0)"; for (i = 0; i < n; i++) printf "(next %d %d)\n", i, i + 1;
        print "(exec (long 0) (, (ctr $n) (next $n $m) (exec (long 0) $p $t)) (O (- (ctr $n)) (+ (ctr $m)) (+ (exec (long 0) $p $t))))" }' > "$T/c.metta"
    c add -f "$T/c.metta" > /dev/null
    c run --thread long --steps 999 --exact-steps | grep -q "^execs 999 " || fail "--steps"
    # a counter that never ends: (t N) to (t N+1), and the rule back
    c add '(t 0)' '(exec (spin 0) (, (t $n) (exec (spin 0) $p $q)) (O (- (t $n)) (pure (t $m) $m (i32_to_string (sum_i32 (i32_from_string $n) (i32_from_string 1)))) (+ (exec (spin 0) $p $q))))' > /dev/null
    "$P" client --port "$PORT" run --thread spin > "$T/r" 2>&1 & # $! is the client
    rp=$!
    sleep 0.3
    c add '(beside it)' | grep -q "^changed 1 " || fail "not served beside the run"
    kill -INT $rp
    wait $rp || fail "the cancelled run: $(cat "$T/r")"
    grep -q "(stopped)$" "$T/r" || fail "not stopped: $(cat "$T/r")"
    k=$(c query '(t $x)' '$x')
    [ "$k" -gt 0 ] || fail "t $k"
    # a client that leaves: its run stops too
    "$P" client --port "$PORT" run --thread spin > /dev/null 2>&1 &
    rp=$!
    sleep 0.3
    kill -9 $rp
    wait $rp 2> /dev/null || true
    sleep 0.2
    k1=$(c query '(t $x)' '$x')
    sleep 0.3
    [ "$(c query '(t $x)' '$x')" = "$k1" ] && [ "$k1" -gt "$k" ] || fail "the orphaned run: $k $k1"
    # errors
    rc=0; c run --thread '(a $x)' 2> "$T/e" || rc=$?
    [ $rc != 0 ] && grep -q "ground" "$T/e" || fail "bad thread: $rc $(cat "$T/e")"
    c add '(exec (bad 0) (, (a $x)) (O (nosuch $x)))' > /dev/null
    rc=0; c run --thread bad 2> "$T/e" > /dev/null || rc=$?
    [ $rc = 1 ] && grep -q "(sink): (exec (bad 0)" "$T/e" || fail "a failed step: $rc $(cat "$T/e")"
    # stopped mid-run: the server ends the run between steps, and reopens
    # with whole steps (one ctr, the rule there)
    "$P" client --port "$PORT" run --thread spin > /dev/null 2>&1 &
    sleep 0.3
    stop_server
    "$P" dump "$T/sp" > "$T/d"
    [ "$(grep -c '^(t ' "$T/d")" = 1 ] && [ "$(grep -c '^(exec (spin 0)' "$T/d")" = 1 ] ||
        fail "not at a step boundary: $(grep -v next "$T/d")"
}

tcase roundtrip roundtrip
tcase runs runs
tcase big_export big_export
tcase big_add big_add
tcase kill9 kill9
tcase auth auth
tcase refusals refusals
tcase fd_limit fd_limit
tcase bench bench
finish
