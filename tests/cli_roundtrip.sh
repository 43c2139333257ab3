#!/bin/sh
# MeTTa text through the CLI: import -> dump -> import -> dump gives identical
# output and exact atom counts; CRLF input equals LF input; several inputs
# merge into one space; contains ignores variable names. Run on the project's
# own example and generated text, and on the real files when they are here.
. tests/lib.sh "$@"

# roundtrip FILE: dump, re-import, dump again; CRLF gives the same atoms
roundtrip() {
    n=$(basename "$1")
    "$P" dump "$1" > "$T/$n.1"
    "$P" import --quiet "$T/$n.1" -o "$T/$n.2"
    cmp "$T/$n.1" "$T/$n.2" || fail "$n: dump does not round-trip"
    [ "$("$P" count "$T/$n.2")" = "$("$P" count "$1")" ] || fail "$n: count changed"
    sed 's/$/\r/' "$1" > "$T/$n.crlf"
    "$P" dump "$T/$n.crlf" | cmp - "$T/$n.1" || fail "$n: CRLF differs from LF"
}

local_roundtrip() {
    roundtrip $E/family.metta
    gen_file 20000 3 "$T/gen.metta"
    roundtrip "$T/gen.metta"
}

local_counts() {
    [ "$("$P" count $E/family.metta)" = 354 ] || fail "family count"
    "$P" stats $E/family.metta | grep -q '^atoms *354$' || fail "family stats"
    # kept whole: the long formal name and the 94-item reunion list
    "$P" stats $E/family.metta | grep -q '^beyond MORK  2 atoms' || fail "beyond MORK"
    "$P" dump $E/family.metta | grep -q 'Aino-Maria-Josefiina-Wilhelmiina-Charlotta-Lindqvist-Okonkwo-of-Tampere-and-Enugu)$' ||
        fail "long symbol not whole"
}

local_merge() {
    # disjoint sources: the union holds exactly both
    gen_file 5000 11 "$T/g.metta"
    cat $E/family.metta | "$P" import --quiet - "$T/g.metta" -o "$T/m.metta"
    [ "$("$P" count "$T/m.metta")" = $((354 + 5000)) ] || fail "union count"
    # a source twice: the union is the source
    "$P" import --quiet "$T/g.metta" "$T/g.metta" -o "$T/g2.metta"
    [ "$("$P" count "$T/g2.metta")" = 5000 ] || fail "self-union count"
}

contains_renaming() {
    "$P" contains $E/family.metta '(= (sibling $p $q) (, (parent $r $p) (parent $r $q)))' >/dev/null ||
        fail "same rule under other variable names"
    echo '(f $x (g $y $x))' | "$P" contains - '(f $a (g $b $a))' >/dev/null || fail "renamed"
    if echo '(f $x (g $y $x))' | "$P" contains - '(f $a (g $a $b))' >/dev/null; then
        fail "a different variable pattern matched"
    fi
}

real_counts() {
    need_data royal92.metta adameve.metta simpsons.metta lordOfTheRings.metta
    for f in royal92.metta:53442 adameve.metta:6429 simpsons.metta:191 lordOfTheRings.metta:2165; do
        got=$("$P" count "$D/${f%%:*}")
        [ "$got" = "${f#*:}" ] || fail "$f: $got atoms"
    done
    "$P" stats $D/royal92.metta | grep -q '^atoms *53442$' || fail "royal92 stats"
    "$P" stats $D/adameve.metta | grep -q '^beyond MORK  430 atoms' || fail "adameve beyond MORK"
    "$P" stats $D/royal92.metta | grep -q '^beyond MORK  2 atoms' || fail "royal92 beyond MORK"
}

real_roundtrip() {
    need_data royal92.metta
    for f in $D/*.metta; do roundtrip "$f"; done
}

real_merge() {
    need_data simpsons.metta lordOfTheRings.metta
    # 2313: the distinct top-level expressions of both files, counted by a
    # separate parser (Python) when this test was written
    cat $D/simpsons.metta | "$P" import --quiet - $D/lordOfTheRings.metta -o "$T/m"
    [ "$("$P" count "$T/m")" = 2313 ] || fail "union count $("$P" count "$T/m")"
    "$P" contains $D/simpsons.metta '(Individuals 0 (Id "@Abraham_Simpson@"))' >/dev/null || fail contains
}

tcase local_roundtrip local_roundtrip
tcase local_counts local_counts
tcase local_merge local_merge
tcase contains_renaming contains_renaming
tcase real_counts real_counts
tcase real_roundtrip real_roundtrip
tcase real_merge real_merge
finish
