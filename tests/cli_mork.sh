#!/bin/sh
# MORK's files through the CLI: .paths files from other writers load exactly
# and survive paths -> act -> paths; every MeTTa file goes metta -> paths ->
# act -> metta (atoms MORK cannot hold refused by name, or skipped and
# counted); ACT files answer dump/count/contains/stats in place; damage is
# reported with its offset and never leaves a partial output.
. tests/lib.sh "$@"

# paths_file FILE COUNT: a .paths file from another writer, through ACT and back
paths_file() {
    [ "$("$P" count "$1")" = "$2" ] || fail "$1: count"
    "$P" convert -q "$1" "$T/x.act"
    "$P" verify "$T/x.act" | grep -q "ok: ACTree03, $2 keys" || fail "$1: ACT verify"
    "$P" convert -q "$T/x.act" "$T/x.paths"
    "$P" dump "$1" > "$T/x.0"
    "$P" dump "$T/x.act" > "$T/x.1"
    "$P" dump "$T/x.paths" > "$T/x.2"
    cmp "$T/x.0" "$T/x.1" || fail "$1: ACT dump differs"
    cmp "$T/x.0" "$T/x.2" || fail "$1: re-written .paths differs"
}

# levels_threads ACT COUNT: same bytes for any thread count; every level reads
levels_threads() {
    "$P" convert -q "$1" "$T/t1.paths" --threads 1
    "$P" convert -q "$1" "$T/t3.paths" --threads 3
    "$P" convert -q "$1" "$T/t2.paths"
    cmp "$T/t2.paths" "$T/t1.paths" && cmp "$T/t1.paths" "$T/t3.paths" || fail "threads change bytes"
    for l in fast 0 1 9; do
        "$P" convert -q "$1" "$T/l.paths" --level $l
        [ "$("$P" count "$T/l.paths")" = "$2" ] || fail "level $l"
    done
}

# in_place ACT DUMP COUNT: contains, stats, stdin, stdout
in_place() {
    a=$(sed -n 500p "$2")
    "$P" contains "$1" "$a" | grep -q yes || fail "contains on ACT"
    if "$P" contains "$1" "(axiom nope)" >/dev/null; then fail "contains: absent atom found"; fi
    "$P" stats "$1" | grep -q "^format       act" || fail "stats on ACT"
    [ "$(cat "$1" | "$P" count -)" = "$3" ] || fail "ACT on stdin"
    [ "$("$P" convert -q "$1" - --to act | "$P" count -)" = "$3" ] || fail "ACT to stdout"
}

# metta_through_mork FILE: metta -> paths -> act -> metta
metta_through_mork() {
    f=$1
    n=$(basename "$f" .metta)
    "$P" dump "$f" > "$T/$n.ref"
    ext=$("$P" stats "$f" | sed -n 's/^beyond MORK *\([0-9]*\).*/\1/p')
    if [ "$ext" -gt 0 ]; then
        if "$P" convert "$f" "$T/$n.paths" 2>"$T/err"; then fail "$n: extended atoms accepted"; fi
        grep -q "needs pathspace's extension, which" "$T/err" || fail "$n: message"
        [ ! -e "$T/$n.paths" ] || fail "$n: partial output left"
        if ls "$T" | grep -q tmp; then fail "$n: temp file left"; fi
        "$P" convert "$f" "$T/$n.paths" --skip-extended 2>"$T/err"
        grep -q "skipped $ext atoms beyond MORK" "$T/err" || fail "$n: skip count"
    else
        "$P" convert -q "$f" "$T/$n.paths"
    fi
    "$P" convert -q "$T/$n.paths" "$T/$n.act"
    "$P" convert -q "$T/$n.act" "$T/$n.back.metta"
    want=$(($("$P" count "$f") - ext))
    [ "$("$P" count "$T/$n.back.metta")" -eq "$want" ] || fail "$n: atom count after round trip"
    "$P" dump "$T/$n.back.metta" > "$T/$n.back"
    if [ "$ext" -eq 0 ]; then cmp "$T/$n.ref" "$T/$n.back" || fail "$n: round trip differs"; fi
    # nothing came back that was not there before
    LC_ALL=C sort "$T/$n.ref" > "$T/$n.a"
    LC_ALL=C sort "$T/$n.back" > "$T/$n.b"
    [ -z "$(LC_ALL=C comm -13 "$T/$n.a" "$T/$n.b")" ] || fail "$n: atoms appeared"
    [ "$("$P" count "$T/$n.act")" = "$want" ] || fail "$n: ACT count"
}

local_paths() {
    # written by Python's zlib (tools/make_golden.py): unsorted records,
    # symbols with spaces; the dump is the one Python printed
    G=tests/golden/paths/accept-unordered.paths
    "$P" verify $G | grep -q "8 records.*unordered" || fail "unordered verify"
    "$P" dump $G | cmp - tests/golden/paths/accept-unordered.dump || fail "unordered dump"
    "$P" convert -q $G "$T/u.act"
    "$P" convert -q "$T/u.act" "$T/u.paths"
    [ "$("$P" dump $G)" = "$("$P" dump "$T/u.paths")" ] || fail "unordered round trip"
    # generated atoms with variables, as a .paths file
    gen_file 30000 4 "$T/g.metta"
    "$P" convert -q "$T/g.metta" "$T/g.paths" --level 9 --threads 1
    paths_file "$T/g.paths" 30000
    levels_threads "$T/x.act" 30000
    in_place "$T/x.act" "$T/x.0" 30000
}

local_metta() {
    metta_through_mork $E/family.metta
    gen_file 20000 8 "$T/gen.metta"
    metta_through_mork "$T/gen.metta"
}

local_damage() {
    gen_file 30000 4 "$T/g.metta"
    "$P" convert -q "$T/g.metta" "$T/g.paths"
    "$P" convert -q "$T/g.paths" "$T/g.act"
    head -c 2000 "$T/g.act" > "$T/cut.act"
    if "$P" verify "$T/cut.act" 2>"$T/err"; then fail "cut ACT verified"; fi
    grep -q "offset" "$T/err" || fail "cut ACT: no offset"
    head -c 100000 "$T/g.paths" > "$T/cut.paths"
    if "$P" verify "$T/cut.paths" 2>"$T/err"; then fail "cut .paths verified"; fi
    grep -q "compressed stream ends early" "$T/err" || fail "cut .paths message: $(cat "$T/err")"
    if "$P" convert "$T/cut.paths" "$T/out.act" 2>/dev/null; then fail "cut .paths converted"; fi
    [ ! -e "$T/out.act" ] || fail "partial output left"
    printf 'ACTree03\377\377\377\377\377\377\377\377\0\0\0\0\0\0\0\0\0' > "$T/bad.act"
    if "$P" count "$T/bad.act" 2>"$T/err"; then fail "bad root accepted"; fi
    grep -q "root offset" "$T/err" || fail "bad root message"
}

real_big_logic() {
    need_data big_logic.metta.paths
    "$P" verify $D/big_logic.metta.paths |
        grep -q "91692 records, 5332645 bytes decompressed, sorted and unique" || fail "big_logic verify"
    paths_file $D/big_logic.metta.paths 91692
    levels_threads "$T/x.act" 91692
    in_place "$T/x.act" "$T/x.0" 91692
    head -c 400000 $D/big_logic.metta.paths > "$T/cut.paths"
    if "$P" verify "$T/cut.paths" 2>"$T/err"; then fail "cut .paths verified"; fi
    grep -q "compressed stream ends early" "$T/err" || fail "cut .paths message"
}

real_pobox() {
    need_data pobox.paths
    "$P" verify $D/pobox.paths | grep -q "13 records.*unordered" || fail "pobox verify"
    "$P" convert -q $D/pobox.paths "$T/pobox.act"
    "$P" convert -q "$T/pobox.act" "$T/pobox.paths"
    [ "$("$P" count $D/pobox.paths)" = 13 ] || fail "pobox count"
    [ "$("$P" dump $D/pobox.paths)" = "$("$P" dump "$T/pobox.paths")" ] || fail "pobox round trip"
}

real_metta() {
    need_data royal92.metta
    for f in $D/*.metta; do metta_through_mork "$f"; done
}

tcase local_paths local_paths
tcase local_metta local_metta
tcase local_damage local_damage
tcase real_big_logic real_big_logic
tcase real_pobox real_pobox
tcase real_metta real_metta
finish
