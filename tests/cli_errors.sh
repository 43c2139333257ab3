#!/bin/sh
# Bad input: a clear message with file:line:column, a non-zero exit, no crash.
set -u
. tests/lib.sh "$@"
fail=0
expect() { # expect FILE-CONTENT MESSAGE-FRAGMENT
    printf '%b' "$1" > "$T/in.metta"
    out=$("$P" count "$T/in.metta" 2>&1); rc=$?
    case "$out" in *"$2"*) ;; *) echo "want '$2', got '$out'"; fail=1 ;; esac
    [ $rc -ne 0 ] || { echo "exit 0 for bad input: $1"; fail=1; }
}
expect '(a b)\n  )' 'in.metta:2:3: unexpected'
expect '(a)\n (b (c d)\n' 'in.metta:2:2: input ends inside a list'
expect '(a "b\\' 'in.metta:1:6: unfinished escape'
vars=""; i=0; while [ $i -lt 65 ]; do vars="$vars \$v$i"; i=$((i+1)); done
expect "(f$vars)" 'too many variables'
"$P" count "$T/missing.metta" 2>"$T/err" && fail=1
grep -q 'missing.metta' "$T/err" || { echo "no file name in: $(cat "$T/err")"; fail=1; }
"$P" nosuchcmd 2>/dev/null && fail=1
"$P" import 2>/dev/null && fail=1
"$P" gen --atoms x 2>/dev/null && fail=1
for c in import dump count contains stats gen; do
    "$P" $c --help | grep -q usage || { echo "$c --help"; fail=1; }
done
# gen is deterministic and distinct
"$P" gen --atoms 5000 --seed 7 > "$T/g1"; "$P" gen --atoms 5000 --seed 7 > "$T/g2"
cmp -s "$T/g1" "$T/g2" || { echo "gen not deterministic"; fail=1; }
[ "$("$P" count "$T/g1")" = 5000 ] || { echo "gen atoms not distinct"; fail=1; }
exit $fail
