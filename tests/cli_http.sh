#!/bin/sh
# MORK's HTTP API (pathspace serve --http) end to end, with curl as the
# client: every endpoint, status codes, the asynchronous status flow,
# namespaces, permission conflicts, malformed and oversized requests,
# auth, and kill -9 with acknowledged uploads. The harness starts every
# server on ports the kernel picks and kills it when the case ends.
. tests/lib.sh "$@"

command -v curl >/dev/null 2>&1 || { echo "0 passed, 0 failed, 1 skipped"; exit 0; }

. tests/httpkit.sh

endpoints() {
    start_http "$T/sp"
    get "/status/-"
    expect 200 '{"status":"pathClear"}'
    post "/upload/%24x/%24x/" "$(printf '(foo 1)\n(foo 2)\n(bar 3)')"
    expect 200 "ACK. Upload Successful"
    get "/export/%24x/%24x/"
    expect 200 "$(printf '(bar 3)\n(foo 1)\n(foo 2)')"
    get "/export/(foo%20%24x)/(got%20%24x)/"
    expect 200 "$(printf '(got 1)\n(got 2)')"
    get "/export/%24x/%24x/?format=raw&max_write=1"
    expect 200 "[2, 195, 98, 97, 114, 193, 51]"
    get "/export/%24x/%24x/?format=paths"
    "$P" dump "$T/body" | grep -qx "(foo 2)" || fail "the .paths export"
    get "/export/%24x/%24x/?uri=file://$T/f/all.metta"
    expect 200 "Output written to file: \"$T/f/all.metta\""
    [ "$(wc -l <"$T/f/all.metta")" = 3 ] || fail "the exported file"
    get "/count/(foo%20%24x)/"
    expect 200 "ACK. Starting Count"
    settle "(foo%20%24x)"
    expect 200 '{"status":"countResult","count":2}'
    post "/transform/" '(transform (, (foo $x) (bar $y)) (, (pair $x $y)))'
    expect 200 "ACK. Tranform dispatched"
    settle "(pair%20%24x%20%24y)"
    get "/export/(pair%20%24x%20%24y)/(%24x%20%24y)/"
    expect 200 "$(printf '(1 3)\n(2 3)')"
    get "/copy/(foo%20%24x)/(baz%20%24x)/"
    expect 200 "ACK. Copied"
    get "/export/(baz%20%24x)/%24x/"
    expect 200 "$(printf '1\n2')"
    get "/clear/(foo%20%24x)/"
    expect 200 "ACK. Cleared"
    get "/export/(foo%20%24x)/%24x/"
    expect 200 ""
    get "/explore/%24x//"
    expect 200
    # the top parts by arity: (bar 3) (baz 1) (baz 2), then (pair 1 3) (pair 2 3);
    # cnt, as MORK's: the children at each group's next branch (bar|baz, 1|2)
    expect 200 '[{"token":[2],"cnt":2,"expr":"(bar 3)"},{"token":[3],"cnt":2,"expr":"(pair 1 3)"}]'
    get "/explore/%24x/%02/" # below token [2]: bar and baz part at their third letter
    expect 200 '[{"token":[2,195,98,97,114],"cnt":1,"expr":"(bar 3)"},{"token":[2,195,98,97,122],"cnt":2,"expr":"(baz 1)"}]'
    get "/explore/%24x/%02%C3bar/" # one atom: it, with nothing below (MORK's answer)
    expect 200 '[{"token":[],"cnt":0,"expr":"(bar 3)"}]'
    get "/explore/(baz%20%24x)//" # only the groups whose atom unifies with the expression
    expect 200 '[{"token":[193,49],"cnt":1,"expr":"(baz 1)"},{"token":[193,50],"cnt":1,"expr":"(baz 2)"}]'
    get "/count/%24x/"
    # the event stream ends by itself once the status is final
    curl -s -N --max-time 20 "$U/status_stream/%24x" >"$T/sse" || fail "status_stream"
    grep -q '^data: {"status":"countResult","count":5}$' "$T/sse" || fail "sse: $(cat "$T/sse")"
    get "/metta_thread/?location=x" # no (exec (x ...) ...) atom: it ends at once
    expect 200
    settle "(exec%20x)"
    expect 200 '{"status":"pathClear"}'
    get "/stop/"
    expect 200 "ACK. Initiating Shutdown.  Connections will not longer be accepted"
    wait $SPID || fail "serve exited $? after /stop/"
    [ "$("$P" count "$T/sp")" = 5 ] || fail "after /stop/ the space holds $("$P" count "$T/sp")"
}

errors() {
    start_http "$T/sp" --http-max-body 1k --http-max-results 10 --http-max-result-bytes 4k
    get "/nothing/"
    expect 404
    get "/upload/%24x/%24x/"
    expect 405
    post "/upload/(a/%24x/" "(x)"
    expect 400
    body | grep -q "^pattern 1:1: input ends inside a list" || fail "a cut pattern: $(body)"
    post "/upload/(a%20%24x/%24x/" "(x)"
    expect 400
    body | grep -q "^pattern 1:" || fail "a bad pattern's message: $(body)"
    post "/upload/%24x/%24x/" "$(printf '(ok)\n(bad')"
    expect 400
    body | grep -q "syntax error at 2:1 " || fail "a bad body's line:column: $(body)"
    get "/export/(ok)/(ok)/" # nothing of a body with an error is added
    expect 200 ""
    post "/upload/%24x/(ns%20%24x)/?format=json" '{"a": [1, 2}'
    expect 400
    get "/export/(ns%20%24x)/%24x/"
    expect 200 ""
    post "/upload/%24x/%24x/?format=yaml" "(x)"
    expect 400
    get "/status/%ZZ"
    expect 400
    get "/export/%24x/%24x/?format=csv"
    expect 400
    get "/export/%24x/%24x/?uri=http://example.org/x"
    expect 400
    post "/transform/" "(not a transform)"
    expect 400
    post "/transform/" "(transform (, (a \$x)) (, (b \$x))"
    expect 400
    head -c 2000 /dev/zero | tr '\0' 'a' >"$T/big"
    post "/upload/%24x/%24x/" "@$T/big"
    expect 413
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' \
        --data-binary "@$T/big" "$U/upload/%24x/%24x/")
    expect 413
    get "/import/%24x/%24x/?uri=https://example.org/a.metta"
    expect 400
    get "/status/%24x"
    body | grep -q '"status":"fetchError"' || fail "a refused fetch's status: $(body)"
    get "/import/%24x/(m%20%24x)/?uri=file://$T/f/missing.metta"
    expect 200 "ACK. Starting Import"
    settle "(m%20%24x)"
    body | grep -q '"status":"fetchError"' || fail "a missing file's status: $(body)"
    printf '(fine)\n(broken\n' >"$T/f/bad.metta"
    get "/import/%24x/(p%20%24x)/?uri=file://$T/f/bad.metta"
    settle "(p%20%24x)"
    body | grep -q '"status":"parseError","logMessage":"Failed to parse file 2:' ||
        fail "a bad file's status: $(body)"
    # a cross product past --http-max-results: an error, and nothing added
    post "/upload/%24x/(q%20%24x)/" "$(printf '1\n2\n3\n4')"
    expect 200
    post "/transform/" '(transform (, (q $a) (q $b)) (, (pair $a $b)))'
    expect 200 "ACK. Tranform dispatched"
    settle "(pair%20%24a%20%24b)"
    body | grep -q '"status":"execError","logMessage":"transform: more than 10 results' ||
        fail "a transform past the limit: $(body)"
    get "/export/(pair%20%24x%20%24y)/%24x/"
    expect 200 ""
    # a cross product whose results repeat: bounded by solutions, not results
    post "/transform/" '(transform (, (q $a) (q $b) (q $c) (q $d) (q $e)) (, (same)))'
    settle "(same)"
    body | grep -q '"logMessage":"transform: more than 160 solutions' ||
        fail "a transform past the solutions: $(body)"
    # an export past --http-max-results, whole or not, unless max_write says fewer
    post "/upload/%24x/(many%20%24x)/" "$(seq 1 12)"
    get "/export/(many%20%24x)/%24x/"
    expect 413
    get "/export/%24x/%24x/"
    expect 413
    get "/export/(many%20%24x)/%24x/?max_write=5"
    expect 200
    [ "$(body | wc -l)" = 5 ] || fail "max_write=5 gave $(body | wc -l) lines"
    # a template that repeats its variable: bounded by the bytes of its results
    big=$(seq 300 | sed 's/.*/$a/' | tr '\n' ' ')
    post "/transform/" "(transform (, (many \$a)) (, (big $big)))"
    settle "(big%20$(printf '%s' "$big" | sed 's/\$/%24/g; s/ /%20/g'))" # where it wrote
    body | grep -q '"logMessage":"transform: more than 4096 bytes of results' ||
        fail "a transform past the result bytes: $(body)"
    kill -0 $SPID || fail "the server died"
    stop_http
}

conflicts() {
    mkdir -p "$T/f"
    gen_file 2000000 1 "$T/f/big.metta" # about two seconds to import
    start_http "$T/sp" --http-workers 1 --http-perm-wait 20 --http-queue 0
    get "/import/%24x/(big%20%24x)/?uri=file://$T/f/big.metta"
    expect 200 "ACK. Starting Import"
    get "/count/(other%20%24x)/" # the one worker is busy, and none may wait
    expect 503
    get "/status/(big%20%24x)"
    expect 200 '{"status":"pathForbiddenTemporary"}'
    post "/upload/%24x/(big%20(x%20%24x))/" "(y)" # below the import's prefix
    expect 401
    get "/export/(big%20%24x)/%24x/"
    expect 401
    get "/clear/%24x/" # above it
    expect 401
    post "/upload/%24x/(other%20%24x)/" "(y)" # beside it: runs at once
    expect 200
    settle "(big%20%24x)"
    expect 200 '{"status":"pathClear"}'
    get "/count/(big%20%24x)/"
    settle "(big%20%24x)"
    expect 200 '{"status":"countResult","count":2000000}'
    # reads share: a count holds a read, exports read beside it
    get "/count/%24x/"
    get "/export/(other%20%24x)/%24x/"
    expect 200 "(y)"
    stop_http
}

namespaces() {
    start_http "$T/sp"
    post "/upload/%24x/(a%20%24x)/" "(foo 1)"
    post "/upload/%24x/(b%20%24x)/" "$(printf '(foo 2)\n(foo 3)')"
    get "/export/(a%20%24x)/%24x/"
    expect 200 "(foo 1)"
    get "/export/(b%20(foo%20%24x))/%24x/"
    expect 200 "$(printf '2\n3')"
    # a '/' inside an expression, unencoded as Python's quote() leaves it
    post "/upload/%24x/(c%20a/b%20%24x)/" "(z)"
    expect 200
    get "/export/(c%20a/b%20%24x)/%24x/"
    expect 200 "(z)"
    # both protocols serve one space
    [ "$("$P" client --port "$(cat "$T/port")" count)" = 4 ] || fail "the binary protocol's count"
    "$P" client --port "$(cat "$T/port")" add '(from binary)' >/dev/null
    get "/export/(from%20%24x)/%24x/"
    expect 200 "binary"
    stop_http
}

kill9() {
    start_http "$T/sp"
    i=0
    while [ $i -lt 40 ]; do
        post "/upload/%24x/(k%20%24x)/" "(n $i)"
        expect 200 "ACK. Upload Successful"
        i=$((i + 1))
    done
    kill -9 $SPID
    wait $SPID 2>/dev/null || true
    start_http "$T/sp"
    get "/export/(k%20%24x)/%24x/"
    [ "$(body | wc -l)" = 40 ] || fail "after kill -9: $(body | wc -l) of 40 acknowledged uploads"
    stop_http
}

auth() {
    printf 's3cret\n' >"$T/token"
    start_http "$T/sp" --token-file "$T/token"
    get "/status/-"
    expect 401
    grep -q . "$T/body" || fail "no message with the 401"
    get "/status/-" -H "Authorization: Bearer wrong"
    expect 401
    get "/status/-" -H "Authorization: Bearer s3cret"
    expect 200
    stop_http
}

# exports past --http-fork-results are written by a forked child: the same
# bytes as in this process, every format, the file, the caps
forked_exports() {
    start_http "$T/sp" --http-fork-results 2 --http-max-results 8
    post "/upload/%24x/%24x/" "$(printf '(n 1)\n(n 2)\n(n 3)\n(m 4)\n(m (x $a $a))')"
    expect 200
    get "/export/%24x/%24x/"
    expect 200 "$(printf '(m (x $a $a))\n(m 4)\n(n 1)\n(n 2)\n(n 3)')"
    get "/export/(n%20%24x)/(got%20%24x)/"
    expect 200 "$(printf '(got 1)\n(got 2)\n(got 3)')"
    get "/export/(n%20%24x)/%24x/?max_write=2" # two: in this process
    expect 200 "$(printf '1\n2')"
    get "/export/%24x/%24x/?format=raw"
    [ "$(body | wc -l)" = 5 ] && body | grep -qx "\[2, 193, 109, 193, 52\]" || fail "raw: $(body)"
    get "/export/%24x/%24x/?format=paths"
    "$P" dump "$T/body" | grep -qx '(m (x $a $a))' || fail "the forked .paths export"
    get "/export/(n%20%24x)/%24x/?uri=file://$T/f/n.metta"
    expect 200 "Output written to file: \"$T/f/n.metta\""
    [ "$(cat "$T/f/n.metta")" = "$(printf '1\n2\n3')" ] || fail "the forked file: $(cat "$T/f/n.metta")"
    post "/upload/%24x/(k%20%24x)/" "$(seq 1 6)"
    get "/export/%24x/%24x/" # 11 atoms, past --http-max-results 8
    expect 413
    get "/export/(k%20%24x)/%24x/" # 6: fine
    expect 200
    [ -z "$(ls -A "$T/f" | grep -v '^[a-z]')" ] || fail "a temporary file was left: $(ls -A "$T/f")"
    stop_http
}

# MORK's HTTP API with no binary listener: the served space's keeper runs
# the checkpoint policy, /stop/ ends it, and the space is whole after.
http_alone() {
    rm -f "$T/hport"
    "$P" serve "$T/sp" --http-only --http 0 --http-port-file "$T/hport" --ckpt-changes 3 \
        --port-file "$T/port" --quiet 2>>"$T/serve.log" &
    SPID=$!
    trap 'kill -9 $SPID 2>/dev/null || true; rm -rf "$T"' EXIT
    wait_file "$T/hport" $SPID "$T/serve.log"
    U="http://127.0.0.1:$(cat "$T/hport")"
    [ ! -e "$T/port" ] || fail "--http-only wrote a binary port file"
    post "/upload/%24x/%24x/" "$(printf '(a 1)\n(a 2)\n(a 3)\n(a 4)')"
    expect 200 "ACK. Upload Successful"
    i=0
    until "$P" checkpoint ls "$T/sp" 2>/dev/null | grep -q ' 4 *4 .* ok$'; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "no policy checkpoint: $("$P" checkpoint ls "$T/sp" 2>&1)"
        sleep 0.05
    done
    get "/export/%24x/%24x/"
    expect 200 "$(printf '(a 1)\n(a 2)\n(a 3)\n(a 4)')"
    get "/stop/"
    expect 200
    wait $SPID || fail "serve --http-only exited $? after /stop/: $(cat "$T/serve.log")"
    [ "$("$P" count "$T/sp")" = 4 ] || fail "after /stop/: $("$P" count "$T/sp")"
    if "$P" serve "$T/sp" --http-only 2>"$T/err"; then fail "--http-only without --http served"; fi
    grep -q -- "--http-only needs --http" "$T/err" || fail "$(cat "$T/err")"
}

bad_options() {
    if "$P" serve "$T/sp" --port 0 --http nonsense:0 2>"$T/err"; then fail "a bad address served"; fi
    grep -q "not a numeric address: nonsense" "$T/err" || fail "bad address: $(cat "$T/err")"
    if "$P" serve "$T/sp" --port 0 --http 70000 2>"$T/err"; then fail "port 70000 served"; fi
    grep -q "\-\-http" "$T/err" || fail "bad port: $(cat "$T/err")"
    if "$P" serve "$T/sp" --port 0 --http 0 --http-workers 0 2>"$T/err"; then
        fail "no workers served"
    fi
}

tcase endpoints endpoints
tcase errors errors
tcase conflicts conflicts
tcase namespaces namespaces
# MORK's exec threads: the demo of MORK's client, a long thread that the
# others are served beside, 409 for a second one, suspend and resume, errors
metta_threads() {
    start_bare "$T/mt" --fsync never
    post "/upload/\$x/\$x/" '(data (foo 1))
(data (foo 2))
(_exec 0 (, (data (foo $x))) (, (data (bar $x))))'
    expect 200
    post /transform/ '(transform (, (_exec $priority $p $t)) (, (exec (test $priority) $p $t)))'
    expect 200
    settle "(exec%20test)"
    get "/metta_thread/?location=test"
    expect 200 'Thread `test` was dispatched. Errors will be found at the status location: `(exec test)`'
    settle "(exec%20test)"
    expect 200 '{"status":"pathClear"}'
    get "/export/(data%20\$x)/\$x/"
    printf '(bar 1)\n(bar 2)\n(foo 1)\n(foo 2)\n' | cmp -s - "$T/body" || fail "demo: $(body)"
    # a thread that never ends by itself: a counter (t N) -> (t N+1)
    post "/upload/%24x/%24x/" '(t 0)
(exec (long 0) (, (t $n) (exec (long 0) $p $q)) (O (- (t $n)) (pure (t $m) $m (i32_to_string (sum_i32 (i32_from_string $n) (i32_from_string 1)))) (+ (exec (long 0) $p $q))))'
    expect 200
    get "/metta_thread/?location=long"
    expect 200
    get "/status/(exec%20long)"
    case $(body) in *pathForbiddenTemporary*) ;; *) fail "running: $(body)" ;; esac
    get "/metta_thread/?location=long"
    expect 409
    # the others are served while it runs
    post "/upload/(beside%20\$x)/(beside%20\$x)/" '(beside it)'
    expect 200
    get "/export/(beside%20\$x)/\$x/"
    expect 200 "it"
    get "/metta_thread_suspend/long/frozen/"
    expect 200 'Ack. Thread long cleared, now frozen at `(frozen (exec (long $priorities) $patterns $templates))`'
    settle "(exec%20long)"
    expect 200 '{"status":"pathClear"}'
    get "/export/(frozen%20\$x)/\$x/"
    [ "$(grep -c '^(exec (long 0)' "$T/body")" = 1 ] || fail "frozen: $(body)"
    get "/export/(t%20\$x)/\$x/"
    k=$(body)
    [ "$k" -gt 0 ] || fail "stopped at $k"
    sleep 0.2
    get "/export/(t%20\$x)/\$x/"
    expect 200 "$k" # it stays stopped
    get "/metta_thread_suspend/long/other/" # not running: 410 (it clears (other ...))
    expect 410
    # resume: copy back, run again, and it goes on from k
    post /transform/ '(transform (, (frozen $e)) (, $e))'
    expect 200
    settle "\$x"
    get "/metta_thread/?location=long"
    expect 200
    sleep 0.3
    get "/metta_thread_suspend/long/frozen2/"
    expect 200
    settle "(exec%20long)"
    get "/export/(t%20\$x)/\$x/"
    [ "$(body)" -gt "$k" ] || fail "did not go on from $k: $(body)"
    # errors
    get "/metta_thread/"
    expect 501
    get "/metta_thread/?location=(a"
    expect 400
    get "/metta_thread/?location=(a%20\$x)"
    expect 400
    post "/upload/\$x/\$x/" '(exec (bad 0) (, (a $x)) (O (nosuch $x)))'
    get "/metta_thread/?location=bad"
    expect 200
    settle "(exec%20bad)"
    case $(body) in *'"status":"execError"'*'ExecError: sink (exec (bad 0)'*) ;; *) fail "execError: $(body)" ;; esac
    stop_http
}

# more asynchronous commands than workers wait for one (MORK's orchestrate.py
# sends many transforms at once and ignores a 503)
queueing() {
    start_http "$T/sp" --http-workers 1
    post "/upload/%24x/(q%20%24x)/" "$(seq 1 300)"
    pids=""
    for t in 1 2 3 4 5 6; do
        curl -s -o "$T/b$t" -w '%{http_code}' -X POST --data-binary \
            "(transform (, (q \$a) (q \$b)) (, (p$t \$a \$b)))" "$U/transform/" > "$T/c$t" &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p"; done # not the server's
    for t in 1 2 3 4 5 6; do
        [ "$(cat "$T/c$t")" = 200 ] || fail "transform $t: $(cat "$T/c$t") $(cat "$T/b$t")"
        settle "(p$t%20%24x%20%24y)"
        get "/count/(p$t%20%24x%20%24y)/"
        settle "(p$t%20%24x%20%24y)"
        [ "$(body)" = '{"status":"countResult","count":90000}' ] || fail "count of p$t: $(body)"
    done
    stop_http
}

# http(s):// imports: off by default, then only to the hosts allowed, no
# private address unless allowed, no redirect to another host, within the
# size and time limits (a web server of the test's own on loopback)
fetching() {
    command -v python3 > /dev/null || skip "needs python3"
    mkdir -p "$T/www"
    printf '(web 1)\n(web 2)\n' > "$T/www/a.metta"
    head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 50 | sed 's/.*/(b &)/' > "$T/www/big.metta"
    python3 tests/fetchd.py "$T/www" "$T/wport" &
    WPID=$!
    trap 'kill -9 $SPID $WPID 2>/dev/null || true; rm -rf "$T"' EXIT
    i=0
    while [ ! -s "$T/wport" ]; do i=$((i + 1)); [ $i -gt 200 ] && fail "no web server"; sleep 0.05; done
    W="http://127.0.0.1:$(cat "$T/wport")"
    start_bare "$T/s1"
    get "/import/%24x/%24x/?uri=$W/a.metta"
    expect 400
    body | grep -q -- "--http-fetch" || fail "the refusal names the option: $(body)"
    stop_http
    start_bare "$T/s2" --http-fetch 127.0.0.1
    get "/import/%24x/(a%20%24x)/?uri=$W/a.metta" # loopback: private
    expect 200
    settle "(a%20%24x)"
    body | grep -q '"status":"fetchError".*--http-fetch-private' || fail "private: $(body)"
    get "/import/%24x/%24x/?uri=http://localhost:1/a.metta" # not an allowed host
    expect 403
    stop_http
    start_bare "$T/s3" --http-fetch 127.0.0.1,127.0.0.2 --http-fetch-private --http-fetch-max 100k \
        --http-fetch-timeout 1
    get "/import/%24x/(a%20%24x)/?uri=$W/a.metta"
    settle "(a%20%24x)"
    expect 200 '{"status":"pathClear"}'
    get "/export/(a%20%24x)/%24x/"
    expect 200 "$(printf '(web 1)\n(web 2)')"
    get "/import/%24x/(r%20%24x)/?uri=$W/to-same&format=metta" # a redirect here: followed
    settle "(r%20%24x)"
    get "/export/(r%20%24x)/%24x/"
    expect 200 "$(printf '(web 1)\n(web 2)')"
    stop_http
    start_bare "$T/s4" --http-fetch 127.0.0.1 --http-fetch-private --http-fetch-max 100k \
        --http-fetch-timeout 1
    get "/import/%24x/(o%20%24x)/?uri=$W/to-other&format=metta" # to another host
    settle "(o%20%24x)"
    body | grep -q '"status":"fetchError".*127.0.0.2.*not one --http-fetch allows' || fail "redirect: $(body)"
    get "/import/%24x/(b%20%24x)/?uri=$W/big.metta"
    settle "(b%20%24x)"
    body | grep -q '"status":"fetchError".*larger than --http-fetch-max' || fail "size: $(body)"
    get "/import/%24x/(s%20%24x)/?uri=$W/slow.metta"
    settle "(s%20%24x)"
    body | grep -q '"status":"fetchError"' || fail "time: $(body)"
    get "/count/%24x/"
    settle "%24x"
    expect 200 '{"status":"countResult","count":0}'
    stop_http
    kill $WPID
}

tcase fetching fetching
tcase queueing queueing
# an exec thread's step collects at most its share of the server's result
# bytes: a cross product past it fails the step, and writes nothing
thread_limits() {
    start_bare "$T/tl" --http-workers 1 --http-max-result-bytes 64k
    post "/upload/%24x/(q%20%24x)/" "$(seq 1 300)"
    post "/upload/%24x/%24x/" '(exec (big 0) (, (q $a) (q $b)) (, (pair $a $b)))'
    get "/metta_thread/?location=big"
    expect 200
    settle "(exec%20big)"
    case $(body) in *'"status":"execError"'*'ExecError: bytes'*) ;; *) fail "limit: $(body)" ;; esac
    get "/count/(pair%20%24x%20%24y)/"
    settle "(pair%20%24x%20%24y)"
    expect 200 '{"status":"countResult","count":0}'
    stop_http
}

tcase thread_limits thread_limits
tcase metta_threads metta_threads
tcase kill9 kill9
tcase auth auth
tcase forked_exports forked_exports
tcase http_alone http_alone
tcase bad_options bad_options
finish
