#!/bin/sh
# Exec rules (MORK's MM2) through `pathspace run`: the 14 programs of
# ../shared/spec/mork-mm2.md (section 6) with their exact outputs (kept in
# tests/exec/), random programs against a reference interpreter in Python,
# every pure family against Python, and the errors, limits and options.
. tests/lib.sh "$@"

X=tests/exec

spec_programs() {
    for f in "$X"/[0-9]*.metta; do
        n=${f%.metta}
        "$P" run "$f" --act-dir "$T" > "$T/out" 2> "$T/err" || fail "$f: exit $?: $(cat "$T/err")"
        cmp -s "$T/out" "$n.out" || fail "$f: got
$(cat "$T/out")
want
$(cat "$n.out")"
    done
    # 1b: the budget's off-by-one: --steps 1 runs 2 execs and says 1
    "$P" run "$X/01-counter.metta" --steps 1 > "$T/out" 2> "$T/err"
    cmp -s "$T/out" "$X/01b-steps1.out" || fail "--steps 1: $(cat "$T/out")"
    grep -q "^executing 1 steps .*execs 2," "$T/err" || fail "--steps 1: $(cat "$T/err")"
    # 14: the ACT file holds what the sink wrote, and nothing else
    "$P" dump "$T/edges.act" > "$T/edges"
    printf '(edge 2 1)\n(edge 3 2)\n' | cmp -s - "$T/edges" || fail "edges.act: $(cat "$T/edges")"
    # hash: one atom (h <16 raw bytes>)
    { cat "$X/14-act.metta"; echo '(exec 3 (, (bits $b)) (O (hash (h $k) $k $b)))'; } > "$T/h.metta"
    "$P" run "$T/h.metta" "$T/h.paths" --act-dir "$T" 2> /dev/null
    [ "$("$P" query "$T/h.paths" '(h $k)' '$k' | wc -l)" = 1 ] || fail "hash: not one atom"
    "$P" query "$T/h.paths" '(h $k)' '$k' --to paths -o "$T/k.paths" 2> /dev/null || true
}

reference() {
    command -v python3 > /dev/null || skip "needs python3"
    python3 tests/exec_ref.py "$P" 400 "${PS_TEST_SEED:-1}" > "$T/r" || fail "$(cat "$T/r")"
}

pure_oracle() {
    command -v python3 > /dev/null || skip "needs python3"
    python3 tests/exec_pure.py "$P" "${PS_TEST_SEED:-1}" > "$T/r" || fail "$(cat "$T/r")"
}

# run FILE OPTIONS...: stdout in $T/out, stderr in $T/err, exit in $rc
run() {
    rc=0
    "$P" run "$@" > "$T/out" 2> "$T/err" || rc=$?
}

errors_named() {
    cat > "$T/bad.metta" <<'X'
(a 1)
(b x)
(exec 0 (x (a $x)) (, (no $x)))
(exec 1 (, (a $x)) (O (nosuch $x)))
(exec 2 (I (z3 s (a $x))) (, (no $x)))
(exec 3 (, (a $x)) (O (wasm body $x)))
(exec ($l) (, (a $x)) (, (no $x)))
(exec 5 (I (ACT e (a $x))) (, (no $x)))
(exec 6 (I (foo (a $x))) (, (no $x)))
(exec 7 (, (a $x)) (O (head 0 (no $x))))
(exec 8 (, (a $x)) (O (pure (no $r) $x (sum_i32))))
(exec 9 (, (b $x)) (O (sum (s $s) $s $x) (+ (no $x))))
(exec 99 (, (a $x)) (, (yes $x)))
X
    run "$T/bad.metta"
    [ $rc = 1 ] || fail "exit $rc"
    printf '(a 1)\n(b x)\n(yes 1)\n' | cmp -s - "$T/out" || fail "the good exec, alone: $(cat "$T/out")"
    for w in "(shape): (exec 0 " "(sink): (exec 1 " "(unsupported): (exec 2 " \
        "(unsupported): (exec 3 " "(loc): (exec (\$a) " "(act: invalid argument): (exec 5 " \
        "(source): (exec 6 " "(argument): (exec 7 " "(payload): (exec 8 " "failed 10)"; do
        grep -qF "$w" "$T/err" || fail "no '$w' in: $(cat "$T/err")"
    done
    # step 9: sum of a non-number fails the whole step: (no 1) is not written
    grep -qF "(payload): (exec 9 " "$T/err" || fail "sum of a symbol: $(cat "$T/err")"
}

act_confined() {
    mkdir "$T/acts"
    ln -s /etc/hostname "$T/acts/link.act"
    printf '(e 1)\n(exec 0 (I (ACT link (e $x))) (, (got $x)))\n(exec 1 (, (e $x)) (O (ACT ../up (e $x))))\n(exec 2 (, (e $x)) (O (ACT .hidden (e $x))))\n' > "$T/a.metta"
    run "$T/a.metta" --act-dir "$T/acts"
    [ $rc = 1 ] || fail "exit $rc"
    [ "$(grep -c "failed (act" "$T/err")" = 3 ] || fail "$(cat "$T/err")"
    [ ! -e "$T/up.act" ] && [ ! -e "$T/acts/.hidden.act" ] || fail "wrote outside DIR"
}

limits() {
    { for i in $(seq 1 50); do echo "(n $i)"; done
      echo '(exec 0 (, (n $x) (n $y)) (, (pair $x $y)))'
      echo '(exec 1 (, (n $x)) (, (one $x)))'; } > "$T/l.metta"
    run "$T/l.metta" --max-results 100
    [ $rc = 1 ] && grep -q "step 0 failed (results)" "$T/err" || fail "max-results: $(cat "$T/err")"
    grep -q "^(pair" "$T/out" && fail "a failed step wrote"
    [ "$(grep -c "^(one" "$T/out")" = 50 ] || fail "the next step did not run"
    run "$T/l.metta" --max-work 10
    grep -q "step 0 failed (work)" "$T/err" || fail "max-work: $(cat "$T/err")"
    run "$T/l.metta" --max-bytes 1k
    grep -q "step 0 failed (bytes)" "$T/err" || fail "max-bytes: $(cat "$T/err")"
    run "$T/l.metta"
    [ $rc = 0 ] && [ "$(grep -c "^(pair" "$T/out")" = 2500 ] || fail "no limit: $rc"
}

options() {
    run "$X/02-peano.metta" --timing
    [ "$(grep -c '^(timing (exec ' "$T/out")" = 4 ] || fail "--timing: $(cat "$T/out")"
    grep -q '^(timing (exec step .*) 0 [0-9]*)$' "$T/out" || fail "--timing form: $(cat "$T/out")"
    run "$X/01-counter.metta" --steps 1 --exact-steps
    grep -q "execs 1," "$T/err" || fail "--exact-steps: $(cat "$T/err")"
    run "$X/01-counter.metta" "$T/o.act"
    "$P" dump "$T/o.act" | cmp -s - "$X/01-counter.out" || fail "OUT as ACT"
    # an endless rule ends with the budget
    echo '(exec 0 (, (exec 0 $p $t)) (, (exec 0 $p $t) (tick)))' > "$T/loop.metta"
    run "$T/loop.metta" --steps 1000
    grep -q "^executing 1000 steps .*execs 1001," "$T/err" || fail "endless: $(cat "$T/err")"
    run "$T/loop.metta" --steps x
    [ $rc = 2 ] || fail "bad --steps: $rc"
}

numbering() {
    # the spec's (I)/(O) numbering defect: pathspace numbers (n $c) right
    printf '(a 1)\n(a 2)\n(a 3)\n(exec 0 (I (BTM (a $x))) (O (+ (a $u)) (count (n $c) $c $x)))\n' > "$T/n.metta"
    run "$T/n.metta"
    grep -qx '(n 3)' "$T/out" || fail "count in (I)/(O): $(cat "$T/out")"
    # two counts, independent (MORK issue 37)
    printf '(a 1)\n(a 2)\n(a 3)\n(b 1)\n(exec 0 (, (a $x) (b $y)) (O (count (c1 $c) $c $x) (count (c2 $c) $c $y)))\n' > "$T/c.metta"
    run "$T/c.metta"
    grep -qx '(c1 3)' "$T/out" && grep -qx '(c2 1)' "$T/out" || fail "two counts: $(cat "$T/out")"
    # a literal guard: (total 5) only if the sum is 5
    printf '(s 2)\n(s 3)\n(exec 0 (, (s $x)) (O (sum (total 5) 5 $x) (sum (total 9) 9 $x)))\n' > "$T/g.metta"
    run "$T/g.metta"
    grep -qx '(total 5)' "$T/out" && ! grep -q '(total 9)' "$T/out" || fail "guard: $(cat "$T/out")"
    # head: duplicates are no-ops (MORK asserts)
    printf '(v 1)\n(v 2)\n(w 1)\n(w 2)\n(exec 0 (, (v $x) (w $y)) (O (head 1 (lo $x))))\n' > "$T/h.metta"
    run "$T/h.metta"
    grep -qx '(lo 1)' "$T/out" && [ "$(grep -c '^(lo' "$T/out")" = 1 ] || fail "head: $(cat "$T/out")"
}

# check_ctr DIR N: the space is at a step boundary: one (ctr K), tocks
# for exactly 1..K, and the rule there while K < N. Prints K.
check_ctr() {
    "$P" dump "$1" > "$T/d" 2> /dev/null || fail "dump after a kill: $(cat "$T/d")"
    [ "$(grep -c '^(ctr ' "$T/d")" = 1 ] || fail "not one ctr: $(grep '^(ctr' "$T/d")"
    k=$(sed -n 's/^(ctr \([0-9]*\))$/\1/p' "$T/d")
    [ "$(grep -c '^(tock ' "$T/d")" = "$k" ] || fail "ctr $k but $(grep -c '^(tock ' "$T/d") tocks"
    r=$(grep -c '^(exec tick ' "$T/d" || true)
    if [ "$k" -lt "$2" ]; then [ "$r" = 1 ] || fail "ctr $k and the rule gone"
    else [ "$r" = 0 ] || fail "ctr $k and the rule still there"; fi
    echo "$k"
}

kill_trials() {
    n=10000
    { echo '(ctr 0)'; i=0; while [ $i -lt $n ]; do echo "(next $i $((i + 1)))"; i=$((i + 1)); done
      echo '(exec tick (, (ctr $n) (next $n $m) (exec tick $p $t))'
      echo '      (O (- (ctr $n)) (+ (ctr $m)) (+ (tock $m)) (+ (exec tick $p $t))))'; } > "$T/k.metta"
    mkdir "$T/sp"
    "$P" run "$T/sp" --aux-path "$T/k.metta" --steps 0 --exact-steps --instrumentation 0 2> /dev/null
    seed=${PS_TEST_SEED:-1}
    kills=0 prev=0
    for t in $(awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 12; i++) printf "%.3f\n", 0.02 + rand() * 0.25 }'); do
        "$P" run "$T/sp" --instrumentation 0 > /dev/null 2>&1 &
        pid=$!
        sleep "$t"
        kill -9 $pid 2> /dev/null && kills=$((kills + 1))
        wait $pid 2> /dev/null || true
        k=$(check_ctr "$T/sp" $n) || fail "$k"
        [ "$k" -ge "$prev" ] || fail "went back from $prev to $k"
        prev=$k
    done
    [ "$kills" -ge 3 ] || skip "the runs ended before the kills ($kills killed): a faster machine"
    "$P" run "$T/sp" --instrumentation 0 > /dev/null 2>&1 || fail "the last run: $?"
    k=$(check_ctr "$T/sp" $n) || fail "$k"
    [ "$k" = $n ] || fail "ended at $k, not $n"
    echo "$kills kills, each reopened at a step boundary, then ran on to $n"
}

tcase spec_programs spec_programs
tcase reference reference
tcase pure_oracle pure_oracle
tcase errors_named errors_named
tcase act_confined act_confined
tcase limits limits
tcase options options
tcase numbering numbering
tcase kill_trials kill_trials
finish
