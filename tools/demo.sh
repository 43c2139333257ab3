#!/bin/sh
# demo.sh BUILD - the main job on the project's own data: a genealogy written
# for pathspace (examples/family.metta) and a generated knowledge base.
# Import, save as a snapshot, reopen and query it in place (lookups, joins,
# a transform, the algebra); save for MORK
# (.paths and ACT) and query the ACT in place; a persistent space that
# survives a kill -9 and a restart. When the real files of ../shared/data
# are beside the checkout, it runs the same steps on them too.
set -e
B=${1:-build}
P="$B/pathspace"
E=examples
D=../shared/data
OUT="$B/demo"
rm -rf "$OUT"
mkdir -p "$OUT"
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.3f\", $2 - $1}"; }
say() { printf '\n-- %s\n' "$*"; }

echo "== pathspace $("$P" version | cut -d' ' -f2): demo on $E/family.metta (a genealogy written for pathspace) =="
say "import the text and save the space as a snapshot"
"$P" import "$E/family.metta" -o "$OUT/family.snap"
say "reopen the snapshot: every chunk checksummed and decoded, then its figures"
"$P" verify "$OUT/family.snap"
"$P" stats "$OUT/family.snap"
"$P" dump "$E/family.metta" > "$OUT/family.saved.metta"
"$P" dump "$OUT/family.snap" | cmp -s - "$OUT/family.saved.metta" &&
    echo "the reopened snapshot dumps byte-identical to the imported text: nothing lost"
say "ask the snapshot in place (one chunk decoded): is Eero the parent of Nnamdi? of Aino?"
printf '(parent Eero Nnamdi)? '; "$P" contains "$OUT/family.snap" '(parent Eero Nnamdi)' || true
printf '(parent Eero Aino)?   '; "$P" contains "$OUT/family.snap" '(parent Eero Aino)' || true
say "variables match by position, not by name: the sibling rule under other names"
"$P" contains "$OUT/family.snap" '(= (sibling $s $t) (, (parent $q $s) (parent $q $t)))'

say "ask questions (MORK's queries: unification, joins, templates), on the snapshot in place"
echo "grandparents of Matti3:"
"$P" query "$OUT/family.snap" '(, (parent $g $p) (parent $p Matti3))' '$g' | sed 's/^/   /'
echo "grandmothers, as a join of three patterns (first 3 of $("$P" query "$OUT/family.snap" \
    '(, (parent $g $p) (parent $p $c) (female $g))' '(grandmother $g $c)' --count)):"
"$P" query "$OUT/family.snap" '(, (parent $g $p) (parent $p $c) (female $g))' \
    '(grandmother $g $c)' | head -n 3 | sed 's/^/   /'
echo "variables on both sides: the stored sibling rule, asked with a pattern of its own:"
"$P" query "$OUT/family.snap" '(= (sibling $a $b) $body)' '(rule (sibling $a $b) $body)' | sed 's/^/   /'
say "a transform writes the space plus the results; the algebra shows what it added"
"$P" transform "$OUT/family.snap" '(, (parent $g $p) (parent $p $c))' '(grandparent $g $c)' \
    -o "$OUT/family+gp.snap" -q
"$P" subtract "$OUT/family+gp.snap" "$OUT/family.snap" -o "$OUT/added.metta" -q
echo "$(wc -l < "$OUT/added.metta") grandparent atoms added; $("$P" count "$OUT/family+gp.snap") atoms in all"

say "save for MORK: 2 atoms (an 81-byte formal name, a 94-item reunion list) do not fit"
echo "   MORK's encoding; pathspace keeps them, and refuses to truncate them silently:"
"$P" convert "$OUT/family.saved.metta" "$OUT/family.paths" 2>&1 | sed 's/^/   /' || true
"$P" convert "$OUT/family.saved.metta" "$OUT/family.paths" --skip-extended
"$P" convert "$OUT/family.paths" "$OUT/family.act"
"$P" verify "$OUT/family.act"
say "ask the ACT in place (mmap, nothing loaded)"
printf '(female Aino)? '; "$P" contains "$OUT/family.act" '(female Aino)' || true
echo "first atoms in MORK's order, from the ACT:"
"$P" dump "$OUT/family.act" | head -n 3

N=300000
echo
echo "== a generated knowledge base of $N atoms (pathspace gen, docs/gen.md) =="
t0=$(now)
"$P" gen --atoms $N --seed 1 -o "$OUT/kb.metta"
t1=$(now)
"$P" import -q "$OUT/kb.metta" -o "$OUT/kb.snap"
t2=$(now)
"$P" convert -q "$OUT/kb.snap" "$OUT/kb.paths"
t3=$(now)
"$P" convert -q "$OUT/kb.snap" "$OUT/kb.act"
t4=$(now)
"$P" verify "$OUT/kb.snap" > /dev/null
t5=$(now)
n=$("$P" count "$OUT/kb.snap")
echo "generate $(secs $t0 $t1) s; parse + snapshot $(secs $t1 $t2) s; .paths $(secs $t2 $t3) s;" \
     "ACT $(secs $t3 $t4) s; reopen + decode every chunk $(secs $t4 $t5) s"
echo "($n atoms; each figure includes starting the process)"
printf 'sizes: text %s bytes, snapshot %s, .paths %s, ACT %s\n' "$(wc -c < "$OUT/kb.metta")" \
    "$(wc -c < "$OUT/kb.snap")" "$(wc -c < "$OUT/kb.paths")" "$(wc -c < "$OUT/kb.act")"
[ "$("$P" dump "$OUT/kb.paths" | cksum)" = "$("$P" dump "$OUT/kb.act" | cksum)" ] &&
    echo "snapshot -> .paths and snapshot -> ACT hold the same $n atoms"
t0=$(now)
"$P" gen --atoms $N --seed 1 -o "$OUT/kb2.snap" --mem 4m --tmp "$OUT" 2>&1 | sed -n 1p
t1=$(now)
cmp -s "$OUT/kb.snap" "$OUT/kb2.snap" &&
    echo "gen straight to a snapshot (external sort in 4 MB runs, docs/sort.md): $(secs $t0 $t1) s," \
         "the same bytes as gen + import"

echo
echo "== a persistent space in $OUT/kb: checkpoints + a write-ahead log =="
printf 'add (parent Aino Eero-junior)\ncount\n' |
    "$P" open "$OUT/kb" --import "$E/family.metta" --no-final-checkpoint
echo "closed without a checkpoint: the import and the add live only in the log"
say "a writer killed with kill -9 right after its acknowledgements"
mkfifo "$OUT/cmds"
"$P" open "$OUT/kb" < "$OUT/cmds" > "$OUT/acks" 2>/dev/null &
pid=$!
exec 3> "$OUT/cmds"
printf 'add (parent Aino Kaarina)\nadd (note Kaarina "born the day the demo ran")\n' >&3
for i in $(seq 50); do
    [ "$(wc -l < "$OUT/acks")" -ge 2 ] && break
    sleep 0.1
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
exec 3>&-
echo "acknowledged before the kill: $(tr '\n' ' ' < "$OUT/acks")"
say "reopen: the log is replayed, nothing acknowledged is lost; a checkpoint at close"
printf 'contains (parent Aino Kaarina)\ncontains (parent Aino Eero-junior)\ncount\n' | "$P" open "$OUT/kb"
say "reopen again: from the checkpoint, nothing left to replay"
printf 'remove (parent Aino Eero-junior)\ncount\n' | "$P" open "$OUT/kb" --no-final-checkpoint
"$P" checkpoint ls "$OUT/kb"
"$P" store verify "$OUT/kb/store"

say "serve the space over TCP and MORK's HTTP API (ports the kernel picks); a client adds, asks, queries"
rm -f "$OUT/port" "$OUT/http"
"$P" serve "$OUT/kb" --port 0 --port-file "$OUT/port" --http 0 --http-port-file "$OUT/http" \
    --fsync always &
spid=$!
for i in $(seq 100); do [ -s "$OUT/http" ] && break; sleep 0.05; done
port=$(cat "$OUT/port")
U="http://127.0.0.1:$(cat "$OUT/http")"
"$P" client --port "$port" add '(parent Aino Eero-junior)' '(parent Eero-junior Ilona)'
"$P" client --port "$port" contains '(parent Aino Eero-junior)'
echo "Aino's grandchildren, as the server finds them:"
"$P" client --port "$port" query '(, (parent Aino $p) (parent $p $c))' '$c'
"$P" bench-server --port "$port" -c 50 -n 100000 -P 16 -t ping
echo "MORK's HTTP API on the same space: an upload into (demo ...), a transform, an export:"
curl -s -X POST --data-binary '(friend Aino Ilona)' "$U/upload/%24x/(demo%20%24x)/"; echo
curl -s -X POST --data-binary '(transform (, (parent Aino $c)) (, (demo (child-of-Aino $c))))' \
    "$U/transform/"; echo
until curl -s "$U/status/(demo%20%24x)" | grep -q pathClear; do sleep 0.05; done
curl -s "$U/export/(demo%20%24x)/%24x/"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
echo "the same through MORK's Python client (pathspace.MORK), a count in the namespace:"
PYTHONPATH=python PATHSPACE_LIB="$B/libpathspace.so" "$PY" -c "
import pathspace
print(pathspace.MORK('$U').work_at('demo').count(), 'atoms under (demo ...)')"
say "SIGTERM: the server writes a final checkpoint and exits"
kill -TERM $spid
wait $spid

if [ -r "$D/royal92.metta" ] && [ -r "$D/big_logic.metta.paths" ]; then
    echo
    echo "== real files found in $D: the same steps on them =="
    t0=$(now)
    "$P" import "$D/royal92.metta" -o "$OUT/royal92.snap"
    t1=$(now)
    echo "royal92 (a genealogy of European royalty): import + snapshot $(secs $t0 $t1) s"
    "$P" verify "$OUT/royal92.snap"
    printf '(Individuals 0 (Title "Queen of England"))? '
    "$P" contains "$OUT/royal92.snap" '(Individuals 0 (Title "Queen of England"))' || true
    "$P" convert "$OUT/royal92.snap" "$OUT/royal92.act" --skip-extended
    "$P" verify "$D/big_logic.metta.paths"
    "$P" convert "$D/big_logic.metta.paths" "$OUT/big_logic.act"
    "$P" convert "$OUT/big_logic.act" "$OUT/big_logic.paths"
    [ "$("$P" dump "$D/big_logic.metta.paths" | cksum)" = "$("$P" dump "$OUT/big_logic.paths" | cksum)" ] &&
        echo "PathMap's big_logic.metta.paths -> ACT -> .paths: the same 91,692 atoms"
    echo "royal92's fathers (a join, on the snapshot in place):"
    "$P" query "$OUT/royal92.snap" '(, (Relations $r (Husband $f)) (Relations $r (Children $k $c)))' \
        '(father $f $c)' --count --stats
    echo "big_logic's commutative axioms, on the ACT in place:"
    "$P" query "$OUT/big_logic.act" '(axiom (= (* $x $y) (* $y $x)))' '(comm $x $y)' --count --stats
else
    echo
    echo "(no ../shared/data beside this checkout: the demo ran on the project's own data only)"
fi
