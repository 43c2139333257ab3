#!/bin/sh
# What a hostile client, a web page or a careless default must not make a
# server do (docs/security.md): file:// confined to --http-files, no Host
# but ours, no cross-site request, no unprotected public address. Each case
# failed before its fix.
. tests/lib.sh "$@"
command -v curl >/dev/null 2>&1 || { echo "0 passed, 0 failed, 1 skipped"; exit 0; }
. tests/httpkit.sh

# file:// is off unless the operator names a directory
files_off() {
    echo "secret" >"$T/secret.metta"
    start_bare "$T/sp"
    get "/import/%24x/%24x/?uri=file://$T/secret.metta"
    expect 403
    body | grep -q -- "--http-files DIR" || fail "the refusal names no option: $(body)"
    get "/status/%24x"
    body | grep -q '"status":"fetchError"' || fail "the status of a refused import: $(body)"
    get "/export/%24x/%24x/?uri=file://$T/planted.sh"
    expect 403
    [ ! -e "$T/planted.sh" ] || fail "an export wrote a file with file:// off"
    get "/export/%24x/%24x/"
    expect 200 ""
    stop_http
}

# with --http-files DIR: beneath DIR only, no '..', no symlink, no store
files_confined() {
    mkdir -p "$T/f/sub"
    echo "(secret)" >"$T/secret.metta"
    echo "(fine)" >"$T/f/sub/ok.metta"
    ln -s "$T/secret.metta" "$T/f/link.metta"
    ln -s "$T" "$T/f/up"
    start_http "$T/sp"
    get "/import/%24x/%24x/?uri=file:///etc/passwd&format=metta"
    expect 403
    body | grep -q "not beneath" || fail "/etc/passwd: $(body)"
    for bad in "f/../secret.metta" "f/./sub/ok.metta" "f//sub/ok.metta"; do
        get "/import/%24x/(i%20%24x)/?uri=file://$T/$bad"
        expect 403
        body | grep -q "no '..'" || fail "import of $bad: $(body)"
    done
    for bad in "f/link.metta" "f/up/secret.metta"; do
        get "/import/%24x/(i%20%24x)/?uri=file://$T/$bad"
        expect 200 "ACK. Starting Import"
        settle "(i%20%24x)"
        body | grep -q '"status":"fetchError".*symlink' || fail "import of $bad: $(body)"
    done
    get "/import/%24x/(i%20%24x)/?uri=file://$T/f/sub/ok.metta"
    settle "(i%20%24x)"
    expect 200 '{"status":"pathClear"}'
    post "/upload/%24x/%24x/" "(x 1)"
    # an export never follows a link planted at its target: it replaces it
    echo "victim" >"$T/victim"
    ln -s "$T/victim" "$T/f/out.metta"
    get "/export/%24x/%24x/?uri=file://$T/f/out.metta"
    expect 200
    [ "$(cat "$T/victim")" = victim ] || fail "the export wrote through a symlink"
    [ -f "$T/f/out.metta" ] && [ ! -L "$T/f/out.metta" ] || fail "the link was not replaced"
    for bad in "f/../evil.sh" "f/up/evil.sh" "evil.sh" "f/sub" "f/sub/"; do
        get "/export/%24x/%24x/?uri=file://$T/$bad"
        [ "$CODE" = 403 ] || [ "$CODE" = 400 ] || fail "export to $bad: $CODE $(body)"
    done
    [ ! -e "$T/evil.sh" ] || fail "an export left the directory"
    [ -d "$T/f/sub" ] || fail "an export replaced a directory"
    stop_http
    # the store may not lie inside the files directory, nor it inside the store
    if "$P" serve "$T/f/sp" --port 0 --http 0 --http-files "$T/f" 2>"$T/err"; then
        fail "a store inside --http-files served"
    fi
    grep -q "overlap" "$T/err" || fail "store inside: $(cat "$T/err")"
    if "$P" serve "$T/sp" --port 0 --http 0 --http-files "$T/sp" 2>"$T/err"; then
        fail "--http-files on the store served"
    fi
    grep -q "overlap" "$T/err" || fail "files on the store: $(cat "$T/err")"
}

# a page the operator visits may not drive the server, nor read it by DNS rebinding
browsers() {
    start_bare "$T/sp" --http-host kb.example,other.example
    post "/upload/%24x/%24x/" "(keep 1)"
    expect 200
    port=$(cat "$T/hport")
    get "/export/%24x/%24x/" -H "Host: evil.example:$port"
    expect 403
    body | grep -q "not a name of this server" || fail "rebinding: $(body)"
    for h in "localhost:$port" "127.0.0.1:$port" "kb.example" "OTHER.example:$port" "[::1]:$port"; do
        get "/export/%24x/%24x/" -H "Host: $h"
        expect 200 "(keep 1)"
    done
    get "/clear/%24x/" -H "Sec-Fetch-Site: cross-site"
    expect 403
    get "/stop/" -H "Sec-Fetch-Site: same-site"
    expect 403
    post "/upload/%24x/%24x/" "(evil)" -H "Content-Type: text/plain" -H "Origin: http://evil.example"
    expect 403
    get "/clear/%24x/" -H "Origin: null"
    expect 403
    get "/export/%24x/%24x/"
    expect 200 "(keep 1)"
    get "/export/%24x/%24x/" -H "Sec-Fetch-Site: same-origin"
    expect 200 "(keep 1)"
    get "/export/%24x/%24x/" -H "Sec-Fetch-Site: none"
    expect 200 "(keep 1)"
    get "/export/%24x/%24x/" -H "Origin: http://127.0.0.1:$port"
    expect 200 "(keep 1)"
    stop_http
}

# a public address needs a token, or the operator's explicit --unprotected
protected() {
    if "$P" serve "$T/sp" --addr 0.0.0.0 --port 0 2>"$T/err"; then
        fail "the binary protocol served 0.0.0.0 with no token"
    fi
    grep -q "not a loopback address and no token" "$T/err" || fail "binary: $(cat "$T/err")"
    if "$P" serve "$T/sp" --port 0 --http 0.0.0.0:0 2>"$T/err"; then
        fail "HTTP served 0.0.0.0 with no token"
    fi
    grep -q -- "--unprotected" "$T/err" || fail "http: $(cat "$T/err")"
    start_bare "$T/sp" --addr 0.0.0.0 --unprotected
    stop_http
    echo "s3cret-token" >"$T/tok"
    start_bare "$T/sp" --addr 0.0.0.0 --token-file "$T/tok"
    get "/status/-" -H "Authorization: Bearer s3cret-token"
    expect 200
    stop_http
}

# a server killed while its forked child writes leaves nothing held: an
# immediate restart takes the directory and both ports' worth of sockets
orphans() {
    gen_file 1500000 3 "$T/g.metta"
    for what in checkpoint export; do
        rm -rf "$T/sp"
        start_bare "$T/sp"
        post "/upload/%24x/%24x/" "@$T/g.metta"
        expect 200
        if [ $what = checkpoint ]; then
            "$P" client --port "$(cat "$T/port")" checkpoint >/dev/null 2>&1 &
        else
            curl -s -o /dev/null "$U/export/%24x/%24x/" &
        fi
        i=0
        until pgrep -P $SPID >/dev/null; do
            i=$((i + 1))
            [ $i -gt 400 ] && fail "no $what child started"
            sleep 0.005
        done
        kill -9 $SPID
        wait $SPID 2>/dev/null || true
        # at once, as a supervisor would
        "$P" serve "$T/sp" --port 0 --port-file "$T/port2" --quiet 2>"$T/err" &
        pid2=$!
        i=0
        while [ ! -s "$T/port2" ]; do
            i=$((i + 1))
            kill -0 $pid2 2>/dev/null || fail "restart after a $what child: $(cat "$T/err")"
            [ $i -gt 200 ] && fail "restart after a $what child did not listen"
            sleep 0.05
        done
        n=$("$P" client --port "$(cat "$T/port2")" count)
        [ "$n" = 1500000 ] || fail "after the restart: $n atoms"
        kill -TERM $pid2
        wait $pid2 || fail "the restarted server exited $?"
        rm -f "$T/port2"
        wait || true
    done
}

# slow clients (Slowloris: headers or a body a byte at a time) are closed
# at their deadline, one address holds few threads, and others are served
slowloris() {
    start_bare "$T/sp" --http-header-timeout 2 --http-per-ip 8 --http-max-clients 64
    python3 tests/slowloris.py "$(cat "$T/hport")" 6 2 || fail "slow clients won"
    stop_http
}

# a small deep JSON stands for gigabytes (each leaf repeats its path): it
# is refused by the decoding budget, from the CLI and over HTTP, and
# nothing reaches the log; what a server accepted reopens with defaults
amplification() {
    python3 -c "
s = '[' + ','.join(['1'] * 1000000) + ']'
for i in range(499):
    s = '{\"a\":' + s + '}'
open('$T/deep.json', 'w').write(s)"
    if "$P" import "$T/deep.json" -o "$T/deep.snap" 2>"$T/err"; then fail "the deep JSON imported"; fi
    grep -q "decoding budget" "$T/err" || fail "import: $(cat "$T/err")"
    start_bare "$T/sp"
    post "/upload/%24x/%24x/?format=json" "@$T/deep.json"
    expect 400
    body | grep -q "decoding budget" || fail "upload: $(body)"
    get "/count/%24x/"
    settle "%24x"
    expect 200 '{"status":"countResult","count":0}'
    log=$(du -sk "$T/sp" | cut -f1)
    [ "$log" -lt 2048 ] || fail "the refused upload left ${log} KiB in the store"
    # what it does accept (a shallower document) checkpoints and reopens
    python3 -c "
s = '[' + ','.join(['1'] * 20000) + ']'
for i in range(200):
    s = '{\"a\":' + s + '}'
open('$T/ok.json', 'w').write(s)"
    post "/upload/%24x/%24x/?format=json" "@$T/ok.json"
    expect 200
    stop_http
    start_bare "$T/sp"
    get "/count/%24x/"
    settle "%24x"
    expect 200 '{"status":"countResult","count":20000}'
    stop_http
}

# a fault is named, with its errno text, to the client first and then the
# operator; a headless last log segment is reported as it is removed
faults() {
    gen_file 200000 4 "$T/g.metta"
    rm -f "$T/port"
    sh -c 'ulimit -f 2048; exec "$@"' sh "$P" serve "$T/sp" --port 0 --port-file "$T/port" \
        --quiet 2>"$T/serve.err" &
    spid=$!
    wait_file "$T/port" $spid "$T/serve.err"
    if "$P" client --port "$(cat "$T/port")" add -f "$T/g.metta" >"$T/out" 2>"$T/err"; then
        fail "200K atoms fit in a 1 MiB file limit"
    fi
    grep -q "the log cannot be written (File too large)" "$T/err" ||
        fail "the client was not told why: $(cat "$T/err")"
    rc=0
    wait $spid || rc=$?
    [ $rc -ne 0 ] || fail "serve exited 0 after its log failed"
    grep -q "File too large" "$T/serve.err" || fail "the operator was not told: $(cat "$T/serve.err")"
    # whatever it acknowledged is there; a headless last segment is reported
    last=$(ls "$T/sp/wal" | sort | tail -n 1)
    next=$(printf '%016x.log' $((0x${last%.log} + 1000000)))
    printf 'short' >"$T/sp/wal/$next"
    "$P" serve "$T/sp" --port 0 --port-file "$T/port2" --quiet 2>"$T/serve2.err" &
    spid=$!
    wait_file "$T/port2" $spid "$T/serve2.err"
    kill -TERM $spid
    wait $spid || fail "serve exited $?: $(cat "$T/serve2.err")"
    grep -q "removed wal/$next, a last log segment shorter than its header" "$T/serve2.err" ||
        fail "the headless segment went unmentioned: $(cat "$T/serve2.err")"
}

# past 1,024 descriptors (binary clients) HTTP still answers: select()
# reset every HTTP connection whose descriptor passed FD_SETSIZE
many_fds() {
    ulimit -n 4096 2>/dev/null || skip "needs 4096 descriptors (ulimit -n)"
    start_bare "$T/sp" --per-ip 2000 --max-clients 2000
    python3 -c "
import socket, sys, time, urllib.request
held = []
for i in range(1100):
    held.append(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))
time.sleep(0.3)
r = urllib.request.urlopen('http://127.0.0.1:%s/status/-' % sys.argv[2], timeout=5)
assert r.status == 200, r.status
" "$(cat "$T/port")" "$(cat "$T/hport")" || fail "HTTP past 1,024 descriptors"
    stop_http
}

tcase files_off files_off
tcase files_confined files_confined
tcase browsers browsers
tcase protected protected
tcase orphans orphans
tcase slowloris slowloris
tcase amplification amplification
tcase faults faults
tcase many_fds many_fds
finish
