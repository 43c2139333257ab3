#!/bin/sh
# demo.sh BUILD - the main job on built-in data: import a real knowledge
# graph into a space, save it as a snapshot, reopen it, compare, query it in
# place; save it for MORK (.paths and ACT) and query the ACT in place; then
# load PathMap's own .paths file.
set -e
B=${1:-build}
P="$B/pathspace"
D=../shared/data
OUT="$B/demo"
mkdir -p "$OUT"
secs() { awk "BEGIN{printf \"%.3f\", $2 - $1}"; }
echo "== pathspace $("$P" version | cut -d' ' -f2): demo on $D/royal92.metta (genealogy of European royalty) =="
t0=$(date +%s.%N)
"$P" import "$D/royal92.metta" -o "$OUT/royal92.snap"
t1=$(date +%s.%N)
echo "-- import + save as a snapshot took $(secs $t0 $t1) s (process start included)"
echo "-- reopen the snapshot: every chunk checksummed and decoded, then its figures:"
"$P" verify "$OUT/royal92.snap"
"$P" stats "$OUT/royal92.snap"
"$P" dump "$D/royal92.metta" > "$OUT/royal92.saved.metta"
"$P" dump "$OUT/royal92.snap" | cmp -s - "$OUT/royal92.saved.metta" \
    && echo "-- the reopened snapshot dumps byte-identical to the imported text: lossless"
echo '-- query the snapshot in place (one chunk decoded): (Individuals 0 (Title "Queen of England"))?'
"$P" contains "$OUT/royal92.snap" '(Individuals 0 (Title "Queen of England"))' || true
echo "-- save for MORK: 2 atoms hold symbols over 63 bytes, which MORK's files cannot;"
echo "   refused unless --skip-extended:"
"$P" convert "$OUT/royal92.saved.metta" "$OUT/royal92.paths" 2>&1 | head -n 2 || true
"$P" convert "$OUT/royal92.saved.metta" "$OUT/royal92.paths" --skip-extended
"$P" convert "$OUT/royal92.paths" "$OUT/royal92.act"
"$P" verify "$OUT/royal92.act"
echo '-- query the ACT in place (mmap, nothing loaded): (Individuals 0 (Title "Queen of England"))?'
"$P" contains "$OUT/royal92.act" '(Individuals 0 (Title "Queen of England"))' || true
echo '-- query: (Individuals 0 (Title "King of Mars"))?'
"$P" contains "$OUT/royal92.act" '(Individuals 0 (Title "King of Mars"))' || true
echo "-- first atoms in MORK order, from the ACT:"
"$P" dump "$OUT/royal92.act" | head -n 3
echo "== PathMap's own file $D/big_logic.metta.paths =="
"$P" verify "$D/big_logic.metta.paths"
"$P" convert "$D/big_logic.metta.paths" "$OUT/big_logic.act"
"$P" convert "$OUT/big_logic.act" "$OUT/big_logic.paths"
[ "$("$P" dump "$D/big_logic.metta.paths" | cksum)" = "$("$P" dump "$OUT/big_logic.paths" | cksum)" ] \
    && echo "-- paths -> act -> paths: the same 91,692 atoms"
echo "== a persistent space in $OUT/kb: checkpoint + write-ahead log =="
rm -rf "$OUT/kb"
printf 'add (Individuals 0 (Title "King of Mars"))\ncount\n' |
    "$P" open "$OUT/kb" --import "$D/royal92.metta" --no-final-checkpoint
echo "-- closed without a checkpoint: the import and the add live only in the log"
echo "-- reopen: the log is replayed; then a checkpoint at close"
printf 'contains (Individuals 0 (Title "King of Mars"))\ncount\n' | "$P" open "$OUT/kb"
echo "-- reopen again: the checkpoint, nothing left to replay"
printf 'remove (Individuals 0 (Title "King of Mars"))\ncount\n' | "$P" open "$OUT/kb" --no-final-checkpoint
"$P" checkpoint ls "$OUT/kb"
"$P" store verify "$OUT/kb/store"
