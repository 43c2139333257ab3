#!/bin/sh
# demo.sh BUILD - the main job, at the scale users have: a knowledge base of
# 10 million atoms generated, saved, reopened, queried and served, each step
# with its rate and a peer beside it (gzip, sort -u); then the features on a
# small genealogy written for pathspace (examples/family.metta); then the
# real files of ../shared/data when they are beside the checkout.
# PS_DEMO_ATOMS sets the scale (default 10000000).
set -e
B=${1:-build}
P="$B/pathspace"
E=examples
D=../shared/data
OUT="$B/demo"
N=${PS_DEMO_ATOMS:-10000000}
rm -rf "$OUT"
mkdir -p "$OUT"
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.2f\", $2 - $1}"; }
rate() { awk "BEGIN{d = $3 - $2; printf \"%.2fM atoms/s\", (d > 0 ? $1 / d / 1e6 : 0)}"; }
mb() { awk "BEGIN{printf \"%.1f MB\", $(wc -c < "$1") / 1e6}"; }
say() { printf '\n-- %s\n' "$*"; }
ans() { printf '   %-46s %s\n' "$1" "$2"; } # a labelled answer

echo "== pathspace $("$P" version | cut -d' ' -f2): the main job on $N generated atoms =="
say "generate a knowledge base (pathspace gen: people, ages, relations; docs/gen.md)"
t0=$(now)
"$P" gen --atoms "$N" --seed 1 -o "$OUT/kb.metta"
t1=$(now)
ans "generated, as MeTTa text:" "$(mb "$OUT/kb.metta") in $(secs $t0 $t1) s ($(rate $N $t0 $t1))"
say "save: parse the text into a space, write a snapshot"
t0=$(now)
"$P" import -q "$OUT/kb.metta" -o "$OUT/kb.snap"
t1=$(now)
ans "parsed and saved:" "$(secs $t0 $t1) s ($(rate $N $t0 $t1))"
t2=$(now)
LC_ALL=C sort -u -S 1G "$OUT/kb.metta" > "$OUT/kb.sorted"
t3=$(now)
ans "peer: sort -u of the same text (a set, no more):" "$(secs $t2 $t3) s ($(rate $N $t2 $t3))"
gzip -1 -c "$OUT/kb.metta" > "$OUT/kb.metta.gz"
ans "sizes: text / gzip -1 / snapshot:" "$(mb "$OUT/kb.metta") / $(mb "$OUT/kb.metta.gz") / $(mb "$OUT/kb.snap")"
rm -f "$OUT/kb.sorted"
say "reopen: every chunk decoded and checked against its checksum"
t0=$(now)
n=$("$P" count "$OUT/kb.snap")
t1=$(now)
ans "atoms in the snapshot, each chunk checked:" "$n in $(secs $t0 $t1) s ($(rate $n $t0 $t1))"
t0=$(now)
"$P" dump "$OUT/kb.snap" | "$P" count - > "$OUT/n2"
t1=$(now)
ans "dumped as text and parsed back (lossless):" "$(cat "$OUT/n2") atoms in $(secs $t0 $t1) s"
say "query the snapshot in place (nothing loaded; docs/query.md)"
t0=$(now)
a=$("$P" query "$OUT/kb.snap" '(age (Entity Q00000042) $a)' '$a')
t1=$(now)
ans "the age of (Entity Q00000042):" "$a ($(secs $t0 $t1) s, the process included)"
t0=$(now)
c=$("$P" query "$OUT/kb.snap" '(isa $e kakakalo)' '$e' --count)
t1=$(now)
ans "entities that are (isa ... kakakalo):" "$c ($(secs $t0 $t1) s)"
t0=$(now)
c=$("$P" query "$OUT/kb.snap" '(, (isa $e kakakalo) (age $e $a))' '(aged $e $a)' --count)
t1=$(now)
ans "a join, their ages:" "$c results ($(secs $t0 $t1) s)"

say "serve it: a persistent space (log + checkpoints) under both front ends"
t0=$(now)
"$P" serve "$OUT/kb" --port 0 --port-file "$OUT/port" --http 0 --http-port-file "$OUT/http" \
    --fsync everysec --quiet --import "$OUT/kb.snap" 2>"$OUT/serve.log" &
spid=$!
for i in $(seq 1200); do [ -s "$OUT/http" ] && break; sleep 0.05; done
t1=$(now)
port=$(cat "$OUT/port")
U="http://127.0.0.1:$(cat "$OUT/http")"
ans "started, $N atoms imported through the log:" "$(secs $t0 $t1) s ($(rate $N $t0 $t1))"
c() { "$P" client --port "$port" "$@"; }
ans "client count:" "$(c count)"
ans "client add (Entity Q99999999) facts:" "$(c add '(age (Entity Q99999999) 42)' '(isa (Entity Q99999999) kakakalo)')"
ans "client query, that entity's age:" "$(c query '(age (Entity Q99999999) $a)' '$a')"
t0=$(now)
bytes=$(c export | wc -c)
t1=$(now)
ans "client export of the whole space, as text:" "$(awk "BEGIN{printf \"%.0f MB\", $bytes / 1e6}") in $(secs $t0 $t1) s"
"$P" bench-server --port "$port" -c 50 -n 100000 -P 16 -t query -r $((N / 8)) --csv > "$OUT/bench" 2>&1 || true
ans "bench-server, 50 clients, selective queries:" "$(awk -F, '{printf "%.0f queries/s, p99 %s ms", $5, $7}' "$OUT/bench")"
curl -s "$U/count/(age%20%24x%20%24y)/" > /dev/null
for i in $(seq 600); do
    st=$(curl -s "$U/status/(age%20%24x%20%24y)")
    case $st in *countResult*) break ;; esac
    sleep 0.05
done
ans "MORK's HTTP API, count under (age ...):" "$st"
kill -TERM $spid
wait $spid
ans "stopped (SIGTERM), final checkpoint:" "$("$P" checkpoint ls "$OUT/kb" | sed -n 2p | awk '{print "checkpoint " $1 ", " $4 " atoms"}')"
rm -f "$OUT/kb.metta" "$OUT/kb.metta.gz"

echo
echo "== the features, on $E/family.metta (a genealogy written for pathspace) =="
F="$OUT/family.snap"
"$P" import -q "$E/family.metta" -o "$F"
ans "atoms:" "$("$P" count "$F")"
"$P" dump "$E/family.metta" > "$OUT/family.saved.metta"
"$P" dump "$F" | cmp -s - "$OUT/family.saved.metta" &&
    ans "snapshot vs the text, atom for atom:" "the same (nothing lost)"
ans "contains (parent Eero Nnamdi):" "$("$P" contains "$F" '(parent Eero Nnamdi)' || true)"
ans "contains (parent Eero Aino):" "$("$P" contains "$F" '(parent Eero Aino)' || true)"
ans "the sibling rule, other variable names:" \
    "$("$P" contains "$F" '(= (sibling $s $t) (, (parent $q $s) (parent $q $t)))' || true)"
ans "grandparents of Matti3:" "$("$P" query "$F" '(, (parent $g $p) (parent $p Matti3))' '$g' | tr '\n' ' ')"
ans "grandmothers (a join of three patterns):" \
    "$("$P" query "$F" '(, (parent $g $p) (parent $p $c) (female $g))' '(grandmother $g $c)' --count)"
"$P" transform "$F" '(, (parent $g $p) (parent $p $c))' '(grandparent $g $c)' -o "$OUT/f+gp.snap" -q
"$P" subtract "$OUT/f+gp.snap" "$F" -o "$OUT/added.metta" -q
ans "a transform's new grandparent atoms:" "$(wc -l < "$OUT/added.metta")"
say "text is lossless: a symbol with a space or a paren prints escaped, and reads back the same"
"$P" import -q --from json - -o "$OUT/j.snap" <<'J'
{"name": "Lovelace, Ada", "note": "f(x) = $y"}
J
"$P" dump "$OUT/j.snap" | sed 's/^/   /'
"$P" dump "$OUT/j.snap" > "$OUT/j.metta"
"$P" dump "$OUT/j.metta" | cmp -s - "$OUT/j.metta" &&
    ans "printed, parsed and printed again:" "the same atoms, byte for byte"
say "MORK's formats: 2 atoms do not fit them (an 81-byte name, a 94-item list); every route says so"
"$P" convert "$OUT/family.saved.metta" "$OUT/family.paths" 2>&1 | sed 's/^/   /' || true
"$P" convert -q "$OUT/family.saved.metta" "$OUT/family.paths" --skip-extended
"$P" convert -q "$OUT/family.paths" "$OUT/family.act"
ans "with --skip-extended, .paths -> ACT:" "$("$P" count "$OUT/family.act") atoms"
say "exec rules (MORK's MM2): ancestors by a rule that writes itself back until nothing is new"
cat > "$OUT/anc.metta" <<'X'
(exec 0 (, (parent $x $y)) (, (anc $x $y)))
(exec 1 (, (anc $x $y) (parent $y $z) (exec 1 $p $t)) (, (anc $x $z) (exec 1 $p $t)))
X
t0=$(now)
"$P" run "$OUT/anc.metta" "$OUT/anc.out.metta" --aux-path "$E/family.metta" --steps 12 --exact-steps \
    --instrumentation 0 2> "$OUT/anc.log"
t1=$(now)
ans "12 steps, ancestor pairs found:" "$(grep -c '^(anc ' "$OUT/anc.out.metta") in $(secs $t0 $t1) s"
ans "ancestors of Matti3:" "$("$P" query "$OUT/anc.out.metta" '(anc $a Matti3)' '$a' | tr '\n' ' ')"
say "a shell on a persistent space (pathspace shell DIR; the same replies on a server, --port P)"
"$P" shell "$OUT/fam" --import "$E/family.metta" </dev/null 2>/dev/null
for cmd in 'add (parent Aino Kaarina)' 'contains (parent Aino Kaarina)' 'query (parent Aino $c) $c' \
           'count' 'checkpoint'; do
    ans "shell> $cmd" "$(printf '%s\n' "$cmd" | "$P" shell "$OUT/fam" 2>/dev/null | tr '\n' ' ')"
done

if [ -r "$D/royal92.metta" ] && [ -r "$D/big_logic.metta.paths" ]; then
    echo
    echo "== real files found in $D =="
    t0=$(now)
    "$P" import -q "$D/royal92.metta" -o "$OUT/royal92.snap"
    t1=$(now)
    ans "royal92 (European royalty), import + snapshot:" "$(secs $t0 $t1) s"
    ans "(Individuals 0 (Title \"Queen of England\"))?" \
        "$("$P" contains "$OUT/royal92.snap" '(Individuals 0 (Title "Queen of England"))' || true)"
    ans "royal92's fathers (a join, snapshot in place):" \
        "$("$P" query "$OUT/royal92.snap" '(, (Relations $r (Husband $f)) (Relations $r (Children $k $c)))' '(father $f $c)' --count)"
    "$P" convert -q "$D/big_logic.metta.paths" "$OUT/big_logic.act"
    ans "big_logic (PathMap's), commutative axioms:" \
        "$("$P" query "$OUT/big_logic.act" '(axiom (= (* $x $y) (* $y $x)))' '(comm $x $y)' --count)"
else
    echo
    echo "(no ../shared/data beside this checkout: the demo ran on the project's own data only)"
fi
