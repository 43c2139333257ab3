#!/bin/sh
# Bad input: a clear message with file:line:column, a non-zero exit, no
# crash; every command has --help; the generator is deterministic.
. tests/lib.sh "$@"

# expect FILE-CONTENT MESSAGE-FRAGMENT
expect() {
    printf '%b' "$1" > "$T/in.metta"
    out=$("$P" count "$T/in.metta" 2>&1) && fail "exit 0 for bad input: $1"
    case "$out" in *"$2"*) ;; *) fail "want '$2', got '$out'" ;; esac
}

text_errors() {
    expect '(a b)\n  )' 'in.metta:2:3: unexpected'
    expect '(a)\n (b (c d)\n' 'in.metta:2:2: input ends inside a list'
    expect '(a "b\\' 'in.metta:1:6: unfinished escape'
    vars=""; i=0; while [ $i -lt 65 ]; do vars="$vars \$v$i"; i=$((i+1)); done
    expect "(f$vars)" 'too many variables'
}

usage_errors() {
    if "$P" count "$T/missing.metta" 2>"$T/err"; then fail "missing file counted"; fi
    grep -q 'missing.metta' "$T/err" || fail "no file name in: $(cat "$T/err")"
    if "$P" nosuchcmd 2>/dev/null; then fail "unknown command"; fi
    if "$P" import 2>/dev/null; then fail "import without files"; fi
    if "$P" gen --atoms x 2>/dev/null; then fail "gen --atoms x"; fi
    for c in $("$P" --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
        [ "$c" = version ] && continue
        "$P" $c --help | grep -q usage || fail "$c --help"
    done
}

gen_deterministic() {
    "$P" gen --atoms 5000 --seed 7 > "$T/g1"
    "$P" gen --atoms 5000 --seed 7 > "$T/g2"
    cmp -s "$T/g1" "$T/g2" || fail "gen not deterministic"
    [ "$("$P" count "$T/g1")" = 5000 ] || fail "gen atoms not distinct"
}

# gen -o X.snap sorts in runs on disk (docs/sort.md): the same bytes as
# importing the generated text, whatever --mem; nothing left in --tmp; a
# --tmp that cannot take the runs is an error and no OUT
gen_sorted() {
    "$P" gen --atoms 60000 --seed 3 -o "$T/g.metta"
    "$P" import -q "$T/g.metta" -o "$T/ref.snap"
    mkdir -p "$T/runs"
    "$P" gen --atoms 60000 --seed 3 -o "$T/a.snap" --mem 1m --tmp "$T/runs" 2>"$T/err"
    grep -q "sorted in [1-9][0-9]* run(s) on disk" "$T/err" || fail "no runs: $(cat "$T/err")"
    cmp "$T/a.snap" "$T/ref.snap" || fail "gen .snap differs from import of its text"
    [ -z "$(ls -A "$T/runs")" ] || fail "runs left in --tmp: $(ls "$T/runs")"
    "$P" gen -q --atoms 60000 --seed 3 -o "$T/a.snap" # in memory: one run
    cmp "$T/a.snap" "$T/ref.snap" || fail "gen .snap (one run) differs"
    "$P" gen -q --atoms 60000 --seed 3 --to paths -o "$T/a.out" --mem 1m --tmp "$T/runs"
    "$P" dump "$T/ref.snap" > "$T/g.sorted"
    "$P" dump "$T/a.out" | cmp - "$T/g.sorted" || fail "gen --to paths differs"
    if "$P" gen -q --atoms 60000 -o "$T/b.snap" --mem 1m --tmp "$T/nodir" 2>"$T/err"; then
        fail "gen with a missing --tmp succeeded"
    fi
    grep -q "nodir" "$T/err" || fail "no --tmp in: $(cat "$T/err")"
    [ ! -e "$T/b.snap" ] || fail "a failed gen left its OUT"
    if "$P" gen --atoms 10 --mem 1k -o "$T/c.snap" 2>/dev/null; then fail "gen --mem 1k"; fi
}

tcase text_errors text_errors
tcase usage_errors usage_errors
tcase gen_deterministic gen_deterministic
tcase gen_sorted gen_sorted
finish
