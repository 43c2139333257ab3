#!/bin/sh
# Queries, transforms and the space algebra through the CLI: answers checked
# by hand on examples/family.metta, every source format giving the same
# lines, exit codes 0/1/2, errors with line:column, transforms that keep the
# source, the algebra against coreutils' comm on sorted dumps, and query and
# transform inside `pathspace open` (logged, so they survive a reopen).
. tests/lib.sh "$@"

F=$E/family.metta

hand_checked() {
    # Matti3's parents are Emeka2 and Ifeoma2; Emeka2's are Henrik and Aada,
    # Ifeoma2's are not in the file (lines 160-161, 202-203)
    "$P" query "$F" '(, (parent $g $p) (parent $p Matti3))' '$g' > "$T/g"
    printf 'Aada\nHenrik\n' | cmp -s - "$T/g" || fail "grandparents of Matti3: $(cat "$T/g")"
    # no variable: a lookup, answered with the template
    [ "$("$P" query "$F" '(parent Eero Obi)' yes)" = yes ] || fail "a fact as a query"
    # the default template is the pattern
    "$P" query "$F" '(parent Aada $c)' > "$T/c"
    while read -r l; do
        case $l in "(parent Aada "*) ;; *) fail "default template: $l" ;; esac
    done < "$T/c"
    # distinct results, in trie order: what sort gives for the same bytes
    "$P" query "$F" '(parent $p $c)' '(p $p)' > "$T/p"
    [ "$(sort -u "$T/p" | wc -l)" = "$(wc -l < "$T/p")" ] || fail "duplicate results"
    "$P" convert -q "$T/p" "$T/p.snap"
    "$P" dump "$T/p.snap" | cmp - "$T/p" || fail "results not in trie order"
}

exit_codes() {
    rc=0; "$P" query "$F" '(parent Nobody $x)' > "$T/o" || rc=$?
    [ $rc = 1 ] && [ ! -s "$T/o" ] || fail "no results: exit $rc"
    rc=0; "$P" query "$F" '(parent $x' 2> "$T/e" || rc=$?
    [ $rc = 2 ] || fail "bad pattern: exit $rc"
    grep -q "PATTERN:1:1: .*never closed" "$T/e" || fail "pattern message: $(cat "$T/e")"
    rc=0; "$P" query "$F" '(parent $x $y)' '(a))' 2> "$T/e" || rc=$?
    [ $rc = 2 ] && grep -q "TEMPLATE:1:4:" "$T/e" || fail "template message: $(cat "$T/e")"
    rc=0; "$P" query "$T/none.act" '$x' 2> "$T/e" || rc=$?
    [ $rc = 2 ] || fail "missing file: exit $rc"
    rc=0; "$P" query "$F" '$x' --limit 0 2> "$T/e" || rc=$?
    [ $rc = 2 ] || fail "--limit 0: exit $rc"
    rc=0; "$P" query "$F" 2> "$T/e" || rc=$?
    [ $rc = 2 ] || fail "no pattern: exit $rc"
}

count_limit_threads() {
    n=$("$P" query "$F" '(parent $p $c)' --count)
    [ "$n" -gt 10 ] || fail "count $n"
    [ "$("$P" query "$F" '(parent $p $c)' | wc -l)" = "$n" ] || fail "--count differs from lines"
    [ "$("$P" query "$F" '(parent $p $c)' --limit 3 | wc -l)" = 3 ] || fail "--limit 3"
    "$P" query "$F" '(, (parent $g $p) (parent $p $c))' '(gp $g $c)' --threads 1 > "$T/t1"
    "$P" query "$F" '(, (parent $g $p) (parent $p $c))' '(gp $g $c)' --threads 3 > "$T/t3"
    cmp "$T/t1" "$T/t3" || fail "threads change the answer"
    "$P" query "$F" '(parent $p $c)' --stats 2>&1 >/dev/null | grep -q "unifiers" || fail "--stats"
}

every_source() {
    gen_file 20000 5 "$T/g.metta"
    "$P" convert -q "$T/g.metta" "$T/g.act"
    "$P" convert -q "$T/g.metta" "$T/g.snap" --chunk 8k
    "$P" convert -q "$T/g.metta" "$T/g.paths"
    printf '' | "$P" open "$T/dir" --import "$T/g.metta" 2>/dev/null
    for q in '(age $e $a)|(age $a)' '(, (isa $e $t) (age $e 27))|$t' '(, (= $l $r) (= $l $r))|$l'; do
        pat=${q%%|*}; tpl=${q##*|}
        "$P" query "$T/g.metta" "$pat" "$tpl" > "$T/want"
        [ -s "$T/want" ] || fail "$pat: no results"
        for s in g.act g.snap g.paths dir; do
            "$P" query "$T/$s" "$pat" "$tpl" | cmp -s - "$T/want" || fail "$pat differs on $s"
        done
    done
}

damaged() {
    gen_file 5000 2 "$T/d.metta"
    "$P" convert -q "$T/d.metta" "$T/d.act"
    size=$(wc -c < "$T/d.act")
    # overwrite the root record (the last before the padding): every walk
    # starts there
    printf '\377\377\377\377' | dd of="$T/d.act" bs=1 seek=$((size - 14)) conv=notrunc 2>/dev/null
    rc=0; "$P" query "$T/d.act" '$x' --count > /dev/null 2> "$T/e" || rc=$?
    [ $rc = 2 ] || fail "damaged ACT: exit $rc"
    grep -q "offset" "$T/e" || fail "damaged ACT message: $(cat "$T/e")"
}

transform() {
    "$P" transform "$F" '(, (parent $g $p) (parent $p $c))' '(grandparent $g $c)' -o "$T/t.snap" -q
    n0=$("$P" count "$F")
    ng=$("$P" query "$F" '(, (parent $g $p) (parent $p $c))' '(grandparent $g $c)' --count)
    [ "$("$P" count "$T/t.snap")" = $((n0 + ng)) ] || fail "transform: $n0 + $ng atoms"
    "$P" query "$T/t.snap" '(grandparent Aada $c)' --count > /dev/null || fail "results missing"
    "$P" subtract "$T/t.snap" "$F" -o "$T/new.metta" -q
    [ "$(wc -l < "$T/new.metta")" = "$ng" ] || fail "transform added other atoms"
    # from a snapshot, in place, to a snapshot
    "$P" convert -q "$F" "$T/f.snap"
    "$P" transform "$T/f.snap" '(parent $p $c)' '(child $c $p)' -o "$T/t2.snap" -q
    "$P" query "$T/t2.snap" '(child Obi $p)' '$p' > "$T/o"
    printf 'Aino\nEero\n' | cmp -s - "$T/o" || fail "snapshot transform: $(cat "$T/o")"
    # an error leaves no OUT
    rc=0; "$P" transform "$F" '(parent $p' x -o "$T/bad.act" 2>/dev/null || rc=$?
    [ $rc = 2 ] && [ ! -e "$T/bad.act" ] || fail "bad transform: exit $rc, output left"
}

algebra() {
    gen_file 3000 1 "$T/a.metta"
    gen_file 5000 1 "$T/b0.metta" # shares its first 3000 atoms with a
    "$P" gen --atoms 2000 --seed 9 > "$T/c.metta"
    cat "$T/b0.metta" "$T/c.metta" > "$T/b.metta"
    "$P" convert -q "$T/a.metta" "$T/a.act"
    "$P" convert -q "$T/b.metta" "$T/b.snap"
    # comm on dumps sorted by bytes (LC_ALL=C) is the oracle
    "$P" dump "$T/a.act" | LC_ALL=C sort > "$T/A"
    "$P" dump "$T/b.snap" | LC_ALL=C sort > "$T/B"
    "$P" union "$T/a.act" "$T/b.snap" -o "$T/u.metta" -q
    "$P" intersect "$T/a.metta" "$T/b.snap" -o "$T/i.metta" -q
    "$P" subtract "$T/b.snap" "$T/a.act" -o "$T/s.metta" -q
    LC_ALL=C sort -u "$T/A" "$T/B" | cmp -s - "$(sh -c "LC_ALL=C sort $T/u.metta > $T/u.s; echo $T/u.s")" \
        || fail "union"
    LC_ALL=C comm -12 "$T/A" "$T/B" | cmp -s - "$(sh -c "LC_ALL=C sort $T/i.metta > $T/i.s; echo $T/i.s")" \
        || fail "intersect"
    LC_ALL=C comm -13 "$T/A" "$T/B" | cmp -s - "$(sh -c "LC_ALL=C sort $T/s.metta > $T/s.s; echo $T/s.s")" \
        || fail "subtract"
    # three inputs, and the output in every format
    "$P" union "$T/a.metta" "$T/b0.metta" "$T/c.metta" -o "$T/u3.snap" -q
    [ "$("$P" count "$T/u3.snap")" = "$("$P" count "$T/b.snap")" ] || fail "union of three"
    "$P" intersect "$T/a.act" "$T/b0.metta" "$T/b.snap" -o "$T/i3.act" -q
    [ "$("$P" count "$T/i3.act")" = 3000 ] || fail "intersect of three"
    # restrict: text prefixes stand for their bytes up to trailing variables
    printf '(age $e $a)\n(isa (Entity Q00000001) $t)\n' > "$T/pre.metta"
    "$P" restrict "$T/a.act" "$T/pre.metta" -o "$T/r.metta" -q
    want=$(( $(grep -c '^(age ' "$T/A") + $(grep -c '^(isa (Entity Q00000001) ' "$T/A") ))
    [ "$(wc -l < "$T/r.metta")" = "$want" ] || fail "restrict: $(wc -l < "$T/r.metta") vs $want"
    grep -qv '^(age \|^(isa (Entity Q00000001) ' "$T/r.metta" && fail "restrict kept others"
    rc=0; "$P" union "$T/a.act" -o "$T/x.metta" 2>/dev/null || rc=$?
    [ $rc = 2 ] || fail "union of one: exit $rc"
    return 0
}

open_shell() {
    printf 'add (parent Tom Bob)\nadd (parent Bob Ann)\nadd (parent Bob Pat)\nquery (, (parent $g $p) (parent $p $c)) (grandparent $g $c)\ntransform (, (parent $g $p) (parent $p $c)) (grandparent $g $c)\ntransform (, (parent $g $p) (parent $p $c)) (grandparent $g $c)\ncount\n' \
        | "$P" open "$T/s" --fsync never > "$T/out" 2>/dev/null
    # the client's replies (pathspace client answers the same)
    printf 'changed 1 seq 1 atoms 1\nchanged 1 seq 2 atoms 2\nchanged 1 seq 3 atoms 3\n(grandparent Tom Ann)\n(grandparent Tom Pat)\nresults 2 added 2 seq 5 atoms 5\nresults 2 added 0 seq 5 atoms 5\n5\n' \
        | cmp - "$T/out" || { cat "$T/out"; fail "open: answers"; }
    # logged: the transform's atoms are there after a reopen (no checkpoint)
    printf 'query (grandparent Tom $c) $c\n' | "$P" open "$T/s" --no-final-checkpoint > "$T/out2" 2>/dev/null
    printf 'Ann\nPat\n' | cmp - "$T/out2" || fail "open: transform not kept"
    # a bad query is said with its line and column; --strict ends the session
    rc=0; printf 'query (parent $x\ncount\n' | "$P" open "$T/s" --strict > "$T/out3" 2> "$T/err" || rc=$?
    [ $rc = 1 ] && [ ! -s "$T/out3" ] || fail "open: bad query: $rc $(cat "$T/out3")"
    grep -q "error: query 1:1: " "$T/err" && grep -q "(stdin line 1)" "$T/err" ||
        fail "open: message $(cat "$T/err")"
    # a line that starts with a space is a command like any other
    printf '  count\n' | "$P" open "$T/s" 2>/dev/null | grep -qx 5 || fail "a line after a space"
}

real_data() {
    need_data royal92.metta big_logic.metta.paths
    "$P" query "$D/royal92.metta" '(, (Relations $r (Husband $f)) (Relations $r (Children $k $c)))' \
        '(father $f $c)' --count > "$T/n"
    [ "$(cat "$T/n")" -gt 1000 ] || fail "royal92 fathers: $(cat "$T/n")"
    "$P" convert -q "$D/big_logic.metta.paths" "$T/bl.act"
    a=$("$P" query "$D/big_logic.metta.paths" '(axiom (= (* $x $y) (* $y $x)))' '(c $x $y)' --count)
    b=$("$P" query "$T/bl.act" '(axiom (= (* $x $y) (* $y $x)))' '(c $x $y)' --count)
    [ "$a" = "$b" ] && [ "$a" -gt 0 ] || fail "big_logic: $a vs $b"
}

# mork convert's pattern and template: the same atoms a query gives
convert_through() {
    "$P" query "$F" '(parent $x $y)' '(child $y $x)' > "$T/q"
    "$P" convert -q "$F" "$T/c.paths" --pattern '(parent $x $y)' --template '(child $y $x)'
    "$P" dump "$T/c.paths" | cmp -s - "$T/q" || fail "convert --pattern differs from query"
    rc=0; "$P" convert -q "$F" "$T/x.metta" --pattern '(a $x)' 2> "$T/e" || rc=$?
    [ $rc = 2 ] && grep -q "go together" "$T/e" || fail "a pattern alone: $rc"
}

# the join algorithms: the same answers, --stats says which ran; the
# unifiers counted without the results equal the distinct bindings (ground
# data: one solution per binding)
joins() {
    q='(, (parent $g $p) (parent $p $c) (parent $g $q))'
    for j in nested leapfrog auto; do
        "$P" query "$F" "$q" '(t $g $c $q)' --join $j --stats > "$T/j.$j" 2> "$T/s.$j" ||
            fail "--join $j: exit $?"
    done
    cmp "$T/j.nested" "$T/j.leapfrog" && cmp "$T/j.nested" "$T/j.auto" || fail "joins differ"
    grep -q "leapfrog join" "$T/s.leapfrog" && grep -q "nested join" "$T/s.nested" ||
        fail "--stats names the join: $(cat "$T/s.leapfrog")"
    n=$("$P" query "$F" "$q" --unifiers)
    [ "$n" = "$("$P" query "$F" "$q" --unifiers --join nested)" ] || fail "--unifiers differ"
    # every solution is one (g p c q): the bindings as results count them all
    "$P" query "$F" "$q" '(s $g $p $c $q)' > "$T/all"
    [ "$n" = "$(wc -l < "$T/all")" ] || fail "--unifiers $n, bindings $(wc -l < "$T/all")"
    rc=0; "$P" query "$F" "$q" --join fast 2> "$T/e" || rc=$?
    [ $rc = 2 ] && grep -q "auto, nested or leapfrog" "$T/e" || fail "--join fast: $rc"
    rc=0; "$P" query "$F" "$q" --unifiers --limit 2 2> "$T/e" || rc=$?
    [ $rc = 2 ] || fail "--unifiers --limit: $rc"
}

tcase hand_checked hand_checked
tcase joins joins
tcase convert_through convert_through
tcase exit_codes exit_codes
tcase count_limit_threads count_limit_threads
tcase every_source every_source
tcase damaged damaged
tcase transform transform
tcase algebra algebra
tcase open_shell open_shell
tcase real_data real_data
finish
