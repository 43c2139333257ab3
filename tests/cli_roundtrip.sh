#!/bin/sh
# Every real MeTTa file: import -> dump -> import -> dump gives identical
# output and the known atom counts; CRLF input equals LF input.
set -eu
. tests/lib.sh "$@"
check_count() { got=$("$P" count "$1"); [ "$got" = "$2" ] || { echo "$1: $got atoms, want $2"; exit 1; }; }
check_count $D/royal92.metta 53442
check_count $D/adameve.metta 6429
check_count $D/simpsons.metta 191
check_count $D/lordOfTheRings.metta 2165
for f in $D/*.metta; do
    n=$(basename "$f")
    "$P" dump "$f" > "$T/$n.1"
    "$P" import --quiet "$T/$n.1" -o "$T/$n.2"
    cmp "$T/$n.1" "$T/$n.2" || { echo "$n: dump does not round-trip"; exit 1; }
    [ "$("$P" count "$T/$n.2")" = "$("$P" count "$f")" ] || { echo "$n: count changed"; exit 1; }
    sed 's/$/\r/' "$f" > "$T/$n.crlf"
    "$P" dump "$T/$n.crlf" | cmp - "$T/$n.1" || { echo "$n: CRLF differs from LF"; exit 1; }
    echo "ok $n $(wc -l < "$T/$n.1") atoms"
done
# several inputs merge into one space; stdin works
cat $D/simpsons.metta | "$P" import --quiet - $D/lordOfTheRings.metta -o "$T/m"
[ "$(wc -l < "$T/m")" -eq $((191 + 2165)) ] || [ "$("$P" count "$T/m")" -le $((191 + 2165)) ]
# contains: the same atom under other variable names
"$P" contains $D/simpsons.metta "$(head -n 1 "$T/simpsons.metta.1")" >/dev/null
echo '(f $x (g $y $x))' | "$P" contains - '(f $a (g $b $a))' >/dev/null
if echo '(f $x (g $y $x))' | "$P" contains - '(f $a (g $a $b))' >/dev/null; then exit 1; fi
"$P" stats $D/royal92.metta | grep -q '^atoms *53442$'

# nothing truncated: the atoms MORK's encoding cannot hold are there, whole
"$P" stats $D/adameve.metta | grep -q '^beyond MORK  430 atoms'
"$P" stats $D/royal92.metta | grep -q '^beyond MORK  2 atoms'
echo "all round trips ok"
