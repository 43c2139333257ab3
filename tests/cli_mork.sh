#!/bin/sh
# MORK's files through the CLI: big_logic and pobox load exactly and survive
# paths -> act -> paths; every .metta file goes metta -> paths -> act ->
# metta (atoms MORK cannot hold refused by name, or skipped and counted);
# ACT files answer dump/count/contains/stats in place; damage is reported
# with its offset and never leaves a partial output.
set -eu
. tests/lib.sh "$@"

# PathMap's own file: exact count, same atoms after paths -> act -> paths
[ "$("$P" count $D/big_logic.metta.paths)" = 91692 ] || fail "big_logic count"
"$P" verify $D/big_logic.metta.paths | grep -q "91692 records, 5332645 bytes decompressed, sorted and unique" ||
    fail "big_logic verify"
"$P" convert -q $D/big_logic.metta.paths "$T/bl.act"
"$P" verify "$T/bl.act" | grep -q "ok: ACTree03, 91692 keys" || fail "bl.act verify"
"$P" convert -q "$T/bl.act" "$T/bl.paths"
"$P" dump $D/big_logic.metta.paths > "$T/bl.0"
"$P" dump "$T/bl.act" > "$T/bl.1"
"$P" dump "$T/bl.paths" > "$T/bl.2"
cmp "$T/bl.0" "$T/bl.1" || fail "big_logic: ACT dump differs"
cmp "$T/bl.0" "$T/bl.2" || fail "big_logic: re-written .paths differs"
# same bytes for any thread count; every level readable
"$P" convert -q "$T/bl.act" "$T/t1.paths" --threads 1
"$P" convert -q "$T/bl.act" "$T/t3.paths" --threads 3
cmp "$T/bl.paths" "$T/t1.paths" && cmp "$T/t1.paths" "$T/t3.paths" || fail "threads change bytes"
for l in fast 0 1 9; do
    "$P" convert -q "$T/bl.act" "$T/l.paths" --level $l
    [ "$("$P" count "$T/l.paths")" = 91692 ] || fail "level $l"
done
# ACT in place: contains, stats; stdin; ACT to stdout
a=$(sed -n 500p "$T/bl.0")
"$P" contains "$T/bl.act" "$a" | grep -q yes || fail "contains on ACT"
"$P" contains "$T/bl.act" "(axiom nope)" >/dev/null && fail "contains: absent atom found"
"$P" stats "$T/bl.act" | grep -q "^format       act" || fail "stats on ACT"
[ "$(cat "$T/bl.act" | "$P" count -)" = 91692 ] || fail "ACT on stdin"
[ "$("$P" convert -q "$T/bl.paths" - --to act | "$P" count -)" = 91692 ] || fail "ACT to stdout"

# MORK's JSON-derived file: unordered records, symbols with spaces
[ "$("$P" count $D/pobox.paths)" = 13 ] || fail "pobox count"
"$P" verify $D/pobox.paths | grep -q "13 records.*unordered" || fail "pobox verify"
"$P" convert -q $D/pobox.paths "$T/pobox.act"
"$P" convert -q "$T/pobox.act" "$T/pobox.paths"
[ "$("$P" dump $D/pobox.paths)" = "$("$P" dump "$T/pobox.paths")" ] || fail "pobox round trip"

# every MeTTa file: metta -> paths -> act -> metta
for f in $D/*.metta; do
    n=$(basename "$f" .metta)
    "$P" dump "$f" > "$T/$n.ref"
    ext=$("$P" stats "$f" | sed -n 's/^beyond MORK *\([0-9]*\).*/\1/p')
    if [ "$ext" -gt 0 ]; then
        "$P" convert "$f" "$T/$n.paths" 2>"$T/err" && fail "$n: extended atoms accepted"
        grep -q "needs pathspace's long-symbol/wide-list extension" "$T/err" || fail "$n: message"
        [ -e "$T/$n.paths" ] && fail "$n: partial output left"
        ls "$T" | grep -q tmp && fail "$n: temp file left"
        "$P" convert "$f" "$T/$n.paths" --skip-extended 2>"$T/err"
        grep -q "skipped $ext atoms beyond MORK" "$T/err" || fail "$n: skip count"
    else
        "$P" convert -q "$f" "$T/$n.paths"
    fi
    "$P" convert -q "$T/$n.paths" "$T/$n.act"
    "$P" convert -q "$T/$n.act" "$T/$n.back.metta"
    want=$(($("$P" count "$f") - ext))
    [ "$("$P" count "$T/$n.back.metta")" -eq "$want" ] || fail "$n: atom count after round trip"
    # the atoms that came back are exactly the MORK-representable ones
    "$P" dump "$T/$n.back.metta" > "$T/$n.back"
    if [ "$ext" -eq 0 ]; then cmp "$T/$n.ref" "$T/$n.back" || fail "$n: round trip differs"; fi
    [ "$("$P" count "$T/$n.act")" = "$want" ] || fail "$n: ACT count"
done

# damage: reported with an offset, exit 1, nothing written
head -c 2000 "$T/bl.act" > "$T/cut.act"
"$P" verify "$T/cut.act" 2>"$T/err" && fail "cut ACT verified"
grep -q "offset" "$T/err" || fail "cut ACT: no offset"
head -c 400000 $D/big_logic.metta.paths > "$T/cut.paths"
"$P" verify "$T/cut.paths" 2>"$T/err" && fail "cut .paths verified"
grep -q "compressed stream ends early" "$T/err" || fail "cut .paths message"
"$P" convert "$T/cut.paths" "$T/out.act" 2>/dev/null && fail "cut .paths converted"
[ -e "$T/out.act" ] && fail "partial output left"
printf 'ACTree03\377\377\377\377\377\377\377\377\0\0\0\0\0\0\0\0\0' > "$T/bad.act"
"$P" count "$T/bad.act" 2>"$T/err" && fail "bad root accepted"
grep -q "root offset" "$T/err" || fail "bad root message"
echo "cli_mork: ok"
