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

tcase text_errors text_errors
tcase usage_errors usage_errors
tcase gen_deterministic gen_deterministic
finish
