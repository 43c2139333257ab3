#!/bin/sh
# Snapshots through the CLI: every .metta file and both MORK files survive
# X -> .snap -> X for every codec and checksum; thread counts give the
# same bytes; dump/count/contains/stats/verify work in place; snapshots go
# through pipes; damage and cut files are reported with their offset and
# never leave a partial output.
set -eu
. tests/lib.sh "$@"

# every .metta file (extended atoms included: a snapshot holds any path)
for f in $D/*.metta; do
    n=$(basename "$f" .metta)
    "$P" dump "$f" > "$T/$n.0"
    for c in none lz4 zstd zlib; do
        "$P" convert -q "$f" "$T/$n.snap" --codec $c --chunk 4k
        "$P" verify "$T/$n.snap" | grep -q "ok: MTTS v1" || fail "$n $c verify"
        "$P" dump "$T/$n.snap" > "$T/$n.1"
        cmp "$T/$n.0" "$T/$n.1" || fail "$n: $c snapshot dump differs"
    done
    [ "$("$P" count "$T/$n.snap")" = "$("$P" count "$f")" ] || fail "$n count"
done

# big_logic: every priority and checksum; .paths -> .snap -> .paths exact
"$P" dump $D/big_logic.metta.paths > "$T/bl.0"
for p in speed balanced size; do
    for k in xxh3 blake2b; do
        "$P" convert -q $D/big_logic.metta.paths "$T/bl.snap" --priority $p --checksum $k
        "$P" dump "$T/bl.snap" > "$T/bl.1"
        cmp "$T/bl.0" "$T/bl.1" || fail "big_logic $p $k"
    done
done
"$P" convert -q "$T/bl.snap" "$T/bl.paths"
"$P" dump "$T/bl.paths" > "$T/bl.2"
cmp "$T/bl.0" "$T/bl.2" || fail "big_logic snap -> paths"
"$P" stats "$T/bl.snap" | grep -q "^snapshot     MTTS v1, zstd level 19, blake2b" || fail "stats"
# same bytes for any thread count
"$P" convert -q $D/big_logic.metta.paths "$T/t1.snap" --threads 1 --chunk 64k
"$P" convert -q $D/big_logic.metta.paths "$T/t3.snap" --threads 3 --chunk 64k
cmp "$T/t1.snap" "$T/t3.snap" || fail "threads change bytes"
# pobox (unordered .paths) and ACT sources
"$P" convert -q $D/pobox.paths "$T/pb.snap"
[ "$("$P" count "$T/pb.snap")" = "$("$P" count $D/pobox.paths)" ] || fail "pobox count"
"$P" convert -q "$T/bl.snap" "$T/bl.act"
"$P" convert -q "$T/bl.act" "$T/bl2.snap"
"$P" dump "$T/bl2.snap" | cmp - "$T/bl.0" || fail "act -> snap"

# in place: contains; pipes both ways
a=$(sed -n 777p "$T/bl.0")
"$P" contains "$T/bl.snap" "$a" | grep -q yes || fail "contains"
"$P" contains "$T/bl.snap" "(axiom nope)" >/dev/null && fail "contains: absent atom found"
"$P" convert -q "$T/bl.snap" - --to snap --codec lz4 > "$T/piped.snap"
"$P" verify "$T/piped.snap" | grep -q "91692 paths" || fail "snapshot to a pipe"
[ "$(cat "$T/piped.snap" | "$P" count -)" = 91692 ] || fail "snapshot on stdin"

# damage: a flipped byte names its chunk; a cut file is refused; no partial output
cp "$T/bl.snap" "$T/bad.snap"
printf '\377' | dd of="$T/bad.snap" bs=1 seek=5000 conv=notrunc 2>/dev/null
"$P" verify "$T/bad.snap" > "$T/err" 2>&1 && fail "flipped byte accepted"
grep -q "checksum mismatch" "$T/err" && grep -q "chunk 0 " "$T/err" || fail "damage message: $(cat "$T/err")"
head -c 20000 "$T/bl.snap" > "$T/cut.snap"
"$P" convert "$T/cut.snap" "$T/out.metta" > "$T/err" 2>&1 && fail "cut file accepted"
grep -q "truncated" "$T/err" || fail "cut message: $(cat "$T/err")"
[ ! -e "$T/out.metta" ] && [ -z "$(ls "$T" | grep tmp)" ] || fail "partial output left"
"$P" convert -q "$T/bl.snap" "$T/x.snap" --codec zlib --level 12 2>/dev/null && fail "bad level accepted"
"$P" convert -q "$T/bl.snap" "$T/x.snap" --chunk 100 2>/dev/null && fail "bad chunk accepted"
[ ! -e "$T/x.snap" ] || fail "partial output after a bad option"
echo ok
