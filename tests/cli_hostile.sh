#!/bin/sh
# No input of under 10 MB makes any command use more than 1 GB of memory or
# 10 s of CPU unless the user raises a limit: every command, on every
# hostile input of tests/hostile/gen.c (shared subtries holding 2^63 keys, a
# 1 GiB key, compression bombs, front-coding bombs, nested wide lists, a
# 9 MB atom), runs under `ulimit -t 10 -v 1048576`, ends with an exit code
# (never a signal), and says why when it refuses. The limits can be raised.
. tests/lib.sh "$@"
H="$T/h"
case "${PS_CFLAGS:-}" in *sanitize=address*) VLIM="" ;; *) VLIM="ulimit -v 1048576;" ;; esac

# bounded CMD...: runs under the limits; its exit code (a signal is 128+)
bounded() {
    sh -c "ulimit -t 10; $VLIM \"\$@\"" sh "$@" > "$T/out" 2> "$T/err"
}

# every_command FILE: each command ends by itself, within the limits
every_command() {
    for c in count verify stats dump; do
        rc=0
        bounded "$P" $c "$1" || rc=$?
        [ $rc -lt 128 ] || fail "$c $(basename "$1"): killed by signal $((rc - 128))"
    done
    for out in x.snap x.paths x.act; do
        rc=0
        bounded "$P" convert -q "$1" "$T/$out" --skip-extended || rc=$?
        [ $rc -lt 128 ] || fail "convert $(basename "$1") to $out: killed by signal $((rc - 128))"
    done
    rm -f "$T"/x.*
}

# refused FILE CMD WORDS: the command fails, saying WORDS
refused() {
    if bounded "$P" $2 "$1"; then fail "$2 $(basename "$1") succeeded"; fi
    grep -q -- "$3" "$T/err" || fail "$2 $(basename "$1"): want '$3', got: $(cat "$T/err")"
}

act_inputs() {
    "$B/hostile" "$H" 2>/dev/null || { mkdir -p "$H" && "$B/hostile" "$H"; }
    for f in "$H"/act-*.act; do every_command "$f"; done
    # counted (linear in records) and reported; walked: refused up front
    [ "$("$P" count "$H/act-dag.act")" = 9223372036854775808 ] || fail "dag count"
    "$P" verify "$H/act-dag.act" | grep -q "9223372036854775808 keys" || fail "dag verify"
    refused "$H/act-dag.act" dump "decoding budget"
    refused "$H/act-long-key.act" dump "decoding budget"
    refused "$H/act-wide.act" dump "decoding budget"
    # raising the limit lets the wide one through (4,194,304 keys, 4.7 GB)
    "$P" --max-expansion 100000000 count "$H/act-wide.act" | grep -q '^4194304$' || fail "count"
}

paths_inputs() {
    mkdir -p "$H" && "$B/hostile" "$H"
    for f in "$H"/paths-*.paths; do every_command "$f"; done
    refused "$H/paths-record.paths" count "atom limit"
    refused "$H/paths-bomb.paths" count "decoding budget"
    "$P" --max-atom 20m --max-expansion 1000 count "$H/paths-bomb.paths" | grep -q '^19$' ||
        fail "bomb with raised limits"
}

snap_inputs() {
    mkdir -p "$H" && "$B/hostile" "$H"
    for f in "$H"/snap-*.snap; do every_command "$f"; done
    refused "$H/snap-front.snap" dump "decoding budget"
    refused "$H/snap-liar.snap" dump "path bytes differ"
}

metta_inputs() {
    mkdir -p "$H" && "$B/hostile" "$H"
    for f in "$H"/metta-*.metta; do every_command "$f"; done
    # a 9 MB atom is within the default 16 MiB; over a lower limit, refused
    # at its line and column
    [ "$("$P" count "$H/metta-big-atom.metta")" = 1 ] || fail "big atom"
    if "$P" --max-atom 1m count "$H/metta-big-atom.metta" 2>"$T/err"; then fail "--max-atom"; fi
    grep -q "metta-big-atom.metta:1:1: atom longer than the limit of 1048576 bytes" "$T/err" ||
        fail "max-atom message: $(cat "$T/err")"
    [ "$("$P" count "$H/metta-nested.metta")" = 1 ] || fail "nested"
}

bad_limits() {
    if "$P" --max-atom 0 count $E/family.metta 2>/dev/null; then fail "--max-atom 0"; fi
    if "$P" --max-expansion x count $E/family.metta 2>/dev/null; then fail "--max-expansion x"; fi
    [ "$("$P" count $E/family.metta --max-atom 64k)" = 354 ] || fail "limits after the command"
}

tcase act_inputs act_inputs
tcase paths_inputs paths_inputs
tcase snap_inputs snap_inputs
tcase metta_inputs metta_inputs
tcase bad_limits bad_limits
finish
