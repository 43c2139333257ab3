#!/bin/sh
# cli_conventions.sh - one habit for each thing every command does: where
# OUT's format comes from, what a pattern's prefix is, where a client's
# connection options stand, how help is asked for, --json, --import, and
# what exit codes and messages say.
. tests/lib.sh "$@"
. tests/httpkit.sh

F=$E/family.metta

# -o -: MeTTa text, for every command that writes; any other name without
# a known extension is text too, and the report line says so
out_format() {
    "$P" dump $F >"$T/want"
    "$P" convert $F - 2>/dev/null | cmp - "$T/want" || fail "convert -"
    "$P" import $F -o - 2>/dev/null | cmp - "$T/want" || fail "import -o -"
    "$P" union $F $F -o - 2>/dev/null | cmp - "$T/want" || fail "union -o -"
    "$P" intersect $F $F -o - 2>/dev/null | cmp - "$T/want" || fail "intersect -o -"
    "$P" transform $F '(nothing $x)' '$x' -o - 2>/dev/null | cmp - "$T/want" || fail "transform -o -"
    "$P" subtract $F $F -o - 2>/dev/null | cmp - /dev/null || fail "subtract -o -"
    "$P" convert $F "$T/out.txt" 2>"$T/err" || fail "convert to .txt"
    grep -q "as metta" "$T/err" || fail "convert to .txt did not say text: $(cat "$T/err")"
    cmp "$T/out.txt" "$T/want" || fail "out.txt"
    if "$P" convert $F "$T/x.json" 2>"$T/err"; then fail "wrote JSON"; fi
    grep -q "read, not written" "$T/err" || fail "JSON out: $(cat "$T/err")"
}

# One prefix rule (a pattern's bytes up to its first variable) for
# restrict, count --prefix on the binary port and HTTP count; the answers
# counted by hand
prefix_rule() {
    printf '%s\n' '(parent Tom Bob)' '(parent Bob Ann)' '(parent Ann Joe)' '(child Ann Bob)' \
        '(edge 1 2)' '(edge 2 3 4)' '(parent Tom)' '(x (y z) w)' '("a b" c d)' >"$T/kb.metta"
    start_http "$T/sp" --import "$T/kb.metta"
    port=$(cat "$T/port")
    for pw in '(parent $x Ann):3' '(parent Tom $x):1' '(parent $x):1' '($x Tom Bob):7' \
              '(edge 2 $x $y):1' '(x (y $z) w):1'; do
        pat=${pw%:*} w=${pw##*:}
        printf '%s\n' "$pat" >"$T/pre.metta"
        "$P" restrict "$T/kb.metta" "$T/pre.metta" -o "$T/r.snap" 2>/dev/null || fail "restrict"
        r=$("$P" count "$T/r.snap")
        b=$("$P" client count --prefix "$pat" --port "$port")
        enc=$(printf '%s' "$pat" | sed 's/ /%20/g; s/\$/%24/g')
        get "/count/$enc/"
        settle "$enc"
        h=$(body | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
        [ "$r" = "$w" ] && [ "$b" = "$w" ] && [ "$h" = "$w" ] ||
            fail "$pat: restrict $r, client count $b, HTTP count $h; by hand $w"
    done
    stop_http
}

# serve --import, and the connection's options after the command too
serve_import() {
    start_bare "$T/sp" --import $F --import $F
    n=$("$P" count $F)
    [ "$("$P" client count --port "$(cat "$T/port")")" = "$n" ] || fail "client count --port P"
    [ "$("$P" client --port "$(cat "$T/port")" count)" = "$n" ] || fail "client --port P count"
    "$P" client stats --port "$(cat "$T/port")" --json >"$T/j" || fail "client stats --json"
    python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["atoms"] == int(sys.argv[2]), d' \
        "$T/j" "$n" || fail "client stats --json: $(cat "$T/j")"
    stop_http
    grep -q "added $n atoms" "$T/serve.log" || fail "serve --import said: $(cat "$T/serve.log")"
}

# --json where a command prints facts; help CMD is CMD --help
json_help() {
    "$P" stats $F --json >"$T/j" || fail "stats --json"
    python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["atoms"] == 354 and d["format"] == "metta", d' \
        "$T/j" || fail "stats --json: $(cat "$T/j")"
    echo checkpoint | "$P" open "$T/sp" --import $F >/dev/null 2>&1 || fail "open"
    "$P" checkpoint ls "$T/sp" --json >"$T/j" || fail "checkpoint ls --json"
    python3 -c 'import json,sys; c = json.load(open(sys.argv[1]))["checkpoints"]; assert c and all(x["status"] == "ok" for x in c), c' \
        "$T/j" || fail "checkpoint ls --json: $(cat "$T/j")"
    for c in query convert serve client restrict; do
        "$P" help $c >"$T/a" && "$P" $c --help >"$T/b" && cmp "$T/a" "$T/b" >/dev/null ||
            fail "help $c is not $c --help"
    done
    "$P" help >"$T/h"
    grep -q '\.snap' "$T/h" && grep -q -- '--http' "$T/h" || fail "the top-level help: $(cat "$T/h")"
    if "$P" help nosuch 2>"$T/err"; then fail "help of no command"; fi
}

# Exit codes and messages: a query cut by --limit (3, said), none (1);
# a damaged snapshot's count is an error; the binary client at the HTTP
# port says so in seconds; a failed system call says errno's words
exit_codes() {
    rc=0; "$P" query $F '(parent $x $y)' --limit 2 >/dev/null 2>"$T/err" || rc=$?
    [ $rc = 3 ] && grep -q "stopped at --limit 2" "$T/err" || fail "query --limit: $rc $(cat "$T/err")"
    rc=0; "$P" query $F '(nobody $x)' >/dev/null 2>&1 || rc=$?
    [ $rc = 1 ] || fail "query with no results exited $rc"
    "$P" convert $F "$T/f.snap" 2>/dev/null
    size=$(stat -c %s "$T/f.snap")
    printf '\377\377\377\377' | dd of="$T/f.snap" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
    if "$P" count "$T/f.snap" >"$T/out" 2>"$T/err"; then fail "count of a damaged snapshot: $(cat "$T/out")"; fi
    grep -q "checksum" "$T/err" || fail "count said: $(cat "$T/err")"
    start_bare "$T/sp" --import $F
    c() { "$P" client --port "$(cat "$T/port")" "$@"; }
    rc=0; c query '(parent $x $y)' --limit 2 >/dev/null 2>"$T/err" || rc=$?
    [ $rc = 3 ] || fail "client query --limit exited $rc"
    rc=0; c query '(nobody $x)' >/dev/null 2>&1 || rc=$?
    [ $rc = 1 ] || fail "client query with no results exited $rc"
    s=$(date +%s)
    if "$P" client --port "$(cat "$T/hport")" ping 2>"$T/err"; then fail "ping at the HTTP port"; fi
    [ $(($(date +%s) - s)) -le 5 ] || fail "the HTTP port took $(($(date +%s) - s)) s to tell"
    grep -q "speaks HTTP" "$T/err" || fail "at the HTTP port: $(cat "$T/err")"
    if "$P" serve "$T/sp2" --port 0 --http "$(cat "$T/hport")" 2>"$T/err"; then fail "two on one port"; fi
    grep -q "cannot listen for HTTP on .*: Address already in use" "$T/err" || fail "$(cat "$T/err")"
    stop_http
    if "$P" dump "$T/nonesuch.metta" 2>"$T/err"; then fail "dump of nothing"; fi
    grep -q "No such file or directory" "$T/err" || fail "dump of nothing: $(cat "$T/err")"
}

# Progress on a terminal (script(1) gives one) for work that runs for
# seconds; none when stderr is not a terminal
progress() {
    command -v script >/dev/null || skip "needs script(1) (util-linux)"
    # well over a second's work (the line shows after one): millions of
    # atoms for 2.5 s at the pace a million takes here now
    t0=$(date +%s%N)
    "$P" gen --atoms 1000000 -o "$T/probe.metta"
    ms=$((($(date +%s%N) - t0) / 1000000 + 1))
    m=$((2500 / ms + 1))
    [ $m -lt 2 ] && m=2
    n=$((m * 1000000))
    script -qec "\"$P\" gen --atoms $n -o \"$T/g.metta\"" /dev/null >"$T/tty" 2>&1 ||
        fail "gen under script: $(cat "$T/tty")"
    grep -q "gen: .*% .* of $((n / 1000000)).00M atoms" "$T/tty" || fail "no progress on a terminal: $(cat "$T/tty")"
    "$P" gen --atoms $n -o "$T/g2.metta" 2>"$T/err"
    [ ! -s "$T/err" ] || fail "progress without a terminal: $(cat "$T/err")"
    cmp "$T/g.metta" "$T/g2.metta" || fail "the progress line reached the output"
}

# One shell for a directory and a served space: the same replies as the
# client's; on a terminal a prompt, errors that do not end the session, and
# history; --strict ends a script at its first error
shell() {
    cmds='  add (a b) (c d)\ncontains (a b) (x)\ncount\nbogus\nquery ($x $y) $y\ntransform ($x $y) (r $y)\ncount (r $z)\nexport\n'
    rc=0; printf "$cmds" | "$P" shell "$T/local" >"$T/l" 2>"$T/le" || rc=$?
    [ $rc = 1 ] || fail "a script with an error exited $rc"
    grep -q "error: no command 'bogus'" "$T/le" || fail "the error: $(cat "$T/le")"
    start_bare "$T/served"
    printf "$cmds" | "$P" shell --port "$(cat "$T/port")" >"$T/r" 2>/dev/null || true
    cmp "$T/l" "$T/r" || fail "local and served replies differ: $(diff "$T/l" "$T/r")"
    "$P" client --port "$(cat "$T/port")" add '(e f)' >"$T/c"
    grep -qx 'changed 1 seq 5 atoms 5' "$T/c" || fail "client add said $(cat "$T/c")"
    stop_http
    grep -qx 'changed 2 seq 2 atoms 2' "$T/l" && grep -qx 'results 2 added 2 seq 4 atoms 4' "$T/l" ||
        fail "replies: $(cat "$T/l")"
    rc=0; printf 'bogus\ncount\n' | "$P" shell "$T/local" --strict >"$T/o" 2>/dev/null || rc=$?
    [ $rc = 1 ] && [ ! -s "$T/o" ] || fail "--strict went on: $(cat "$T/o")"
    command -v script >/dev/null || skip "needs script(1) for a terminal"
    printf 'bogus\ncount\nhelp quit\nquit\n' |
        HOME="$T" script -qec "\"$P\" shell \"$T/local\"" /dev/null >"$T/tty" 2>&1 || true
    tr -d '\r' <"$T/tty" >"$T/t"
    grep -q "local> count" "$T/t" && grep -qx 4 "$T/t" && grep -q "error: no command 'bogus'" "$T/t" &&
        grep -q "quit .*leave" "$T/t" || fail "on a terminal: $(cat "$T/t")"
    grep -qx count "$T/.pathspace_history" || fail "no history: $(cat "$T/.pathspace_history")"
}

tcase out_format out_format
tcase prefix_rule prefix_rule
tcase serve_import serve_import
tcase json_help json_help
tcase exit_codes exit_codes
tcase progress progress
tcase shell shell
finish
