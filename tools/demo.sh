#!/bin/sh
# demo.sh BUILD - the main job on built-in data: import a real knowledge
# graph into a space, save it, reopen the saved file, and compare.
set -e
B=${1:-build}
P="$B/pathspace"
D=../shared/data
OUT="$B/demo"
mkdir -p "$OUT"
echo "== pathspace $("$P" version | cut -d' ' -f2): demo on $D/royal92.metta (genealogy of European royalty) =="
t0=$(date +%s.%N)
"$P" import "$D/royal92.metta" -o "$OUT/royal92.saved.metta"
t1=$(date +%s.%N)
echo "-- import + save took $(awk "BEGIN{printf \"%.3f\", $t1 - $t0}") s; saved file: $(wc -c < "$OUT/royal92.saved.metta") bytes"
echo "-- reopen the saved space:"
"$P" stats "$OUT/royal92.saved.metta"
"$P" dump "$OUT/royal92.saved.metta" | cmp -s - "$OUT/royal92.saved.metta" \
    && echo "-- reopened space dumps byte-identical to the saved file: lossless"
echo '-- query: (Individuals 0 (Title "Queen of England"))?'
"$P" contains "$OUT/royal92.saved.metta" '(Individuals 0 (Title "Queen of England"))' || true
echo '-- query: (Individuals 0 (Title "King of Mars"))?'
"$P" contains "$OUT/royal92.saved.metta" '(Individuals 0 (Title "King of Mars"))' || true
echo "-- first atoms in MORK order:"
head -n 3 "$OUT/royal92.saved.metta"
